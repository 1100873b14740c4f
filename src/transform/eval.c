/*
 * eval.c - runs a program over a batch: one pass per instruction, each a
 * tight loop over the rows of its registers (no per-row dispatch).
 *
 * Registers are preallocated for the eval's capacity, so a run allocates
 * nothing unless a string result outgrows the bytes a register held
 * before. Each string-producing register owns its byte buffer and reserves
 * the whole batch's bytes before writing, so the strings of one register
 * never move during a run. Rules shared by every kernel: a null operand
 * gives null (except and/or/if/coalesce/is_null); division by zero,
 * integer overflow and non-finite floats give null.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/dtype.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "prog.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

struct lr__eval {
  const lr__prog *p;
  int capacity;
  lr__ecol *regs;
  lr__buf *bytes;  /* per register: the strings it produced */
  lr__buf scratch; /* number formatting */
};

static size_t elem_size(lr__etype t) {
  switch (t) {
  case LR__ET_BOOL: return 1;
  case LR__ET_STRING: return sizeof(lr__estr);
  case LR__ET_VEC: return sizeof(lr__evec);
  default: return 8;
  }
}

/* Fills a constant register for every row of the capacity. */
static void fill_const(lr__eval *e, const lr__const *k) {
  lr__ecol *r = &e->regs[k->reg];
  for (int i = 0; i < e->capacity; i++) {
    r->null[i] = k->type == LR__ET_NULL;
    switch (k->type) {
    case LR__ET_BOOL: r->u.b[i] = (uint8_t)k->i; break;
    case LR__ET_INT: r->u.i[i] = k->i; break;
    case LR__ET_FLOAT: r->u.f[i] = k->f; break;
    case LR__ET_STRING: r->u.s[i] = (lr__estr){k->s, k->len}; break;
    default: break;
    }
  }
}

int lr__eval_create(const lr__prog *p, int capacity, lr__eval **out) {
  *out = NULL;
  if (capacity < 1)
    return LR_EINVAL;
  lr__eval *e = calloc(1, sizeof *e);
  if (!e)
    return LR_ENOMEM;
  e->p = p;
  e->capacity = capacity;
  e->regs = calloc((size_t)p->n_regs + 1, sizeof *e->regs);
  e->bytes = calloc((size_t)p->n_regs + 1, sizeof *e->bytes);
  lr__buf_init(&e->scratch);
  int ok = e->regs && e->bytes;
  for (int r = 0; ok && r < p->n_regs; r++) {
    lr__ecol *c = &e->regs[r];
    c->type = p->reg_types[r];
    c->null = calloc((size_t)capacity, 1);
    c->u.b = calloc((size_t)capacity, elem_size((lr__etype)c->type));
    lr__buf_init(&e->bytes[r]);
    ok = c->null && c->u.b;
  }
  if (!ok) {
    lr__eval_free(e);
    return LR_ENOMEM;
  }
  for (int k = 0; k < p->n_consts; k++)
    fill_const(e, &p->consts[k]);
  *out = e;
  return 0;
}

void lr__eval_free(lr__eval *e) {
  if (!e)
    return;
  for (int r = 0; e->regs && r < e->p->n_regs; r++) {
    free(e->regs[r].null);
    free(e->regs[r].u.b);
    if (e->bytes)
      lr__buf_free(&e->bytes[r]);
  }
  free(e->regs);
  free(e->bytes);
  lr__buf_free(&e->scratch);
  free(e);
}

lr__ecol *lr__eval_input(lr__eval *e, int i) {
  return i >= 0 && i < e->p->n_inputs ? &e->regs[i] : NULL;
}

/* ---- inputs and outputs ------------------------------------------------ */

int lr__eval_set(lr__eval *e, int i, int row, const lr_value *v) {
  lr__ecol *c = &e->regs[i];
  int t = v->type;
  c->null[row] = 0;
  switch ((lr__etype)c->type) {
  case LR__ET_BOOL:
    if (t == LR_TYPE_BOOL) return c->u.b[row] = (uint8_t)(v->v.b != 0), 0;
    break;
  case LR__ET_INT:
    if (t == LR_TYPE_INT32) return c->u.i[row] = v->v.i32, 0;
    if (t == LR_TYPE_INT64) return c->u.i[row] = v->v.i64, 0;
    break;
  case LR__ET_FLOAT: {
    double d = t == LR_TYPE_FLOAT32 ? v->v.f32
             : t == LR_TYPE_FLOAT64 ? v->v.f64
             : t == LR_TYPE_INT32   ? v->v.i32
             : t == LR_TYPE_INT64   ? (double)v->v.i64 : NAN;
    if (t == LR_TYPE_FLOAT32 || t == LR_TYPE_FLOAT64 || t == LR_TYPE_INT32 ||
        t == LR_TYPE_INT64) {
      c->u.f[row] = d;
      c->null[row] = !isfinite(d); /* NaN and infinities read as null */
      return 0;
    }
    break;
  }
  case LR__ET_STRING:
    if (t == LR_TYPE_STRING)
      return c->u.s[row] = (lr__estr){v->v.str.ptr, v->v.str.len}, 0;
    break;
  case LR__ET_TIME:
    if (t == LR_TYPE_TIMESTAMP) return c->u.i[row] = v->v.ts, 0;
    break;
  case LR__ET_VEC:
    if (t == (LR_TYPE_ARRAY | LR_TYPE_FLOAT32))
      return c->u.v[row] = (lr__evec){v->v.array.data, v->v.array.n}, 0;
    break;
  default:
    break;
  }
  c->null[row] = 1;
  memset(c->u.b + (size_t)row * elem_size((lr__etype)c->type), 0,
         elem_size((lr__etype)c->type));
  return t == LR_TYPE_NULL ? 0 : LR_ETYPE;
}

void lr__eval_get(const lr__eval *e, int k, int row, lr_value *out) {
  const lr__ecol *c = &e->regs[e->p->out_regs[k]];
  uint8_t dt = e->p->out_dtypes[k];
  memset(&out->v, 0, sizeof out->v);
  out->type = LR_TYPE_NULL;
  if (c->null[row])
    return;
  int is_int = c->type == LR__ET_INT;
  switch (dt) {
  case LR__DT_BOOL: out->v.b = c->u.b[row]; break;
  case LR__DT_INT32:
    if (c->u.i[row] < INT32_MIN || c->u.i[row] > INT32_MAX)
      return;
    out->v.i32 = (int32_t)c->u.i[row];
    break;
  case LR__DT_INT64: out->v.i64 = c->u.i[row]; break;
  case LR__DT_FLOAT32:
    out->v.f32 = is_int ? (float)c->u.i[row] : (float)c->u.f[row];
    if (!isfinite(out->v.f32))
      return;
    break;
  case LR__DT_FLOAT64:
    out->v.f64 = is_int ? (double)c->u.i[row] : c->u.f[row];
    break;
  case LR__DT_STRING:
    out->v.str = (lr_str){c->u.s[row].ptr, c->u.s[row].len};
    break;
  case LR__DT_TIMESTAMP: out->v.ts = c->u.i[row]; break;
  default: /* array<float32> */
    out->v.array.data = c->u.v[row].ptr;
    out->v.array.n = c->u.v[row].n;
    break;
  }
  out->type = dt;
}

/* ---- kernels ----------------------------------------------------------- */

/* The null of a two-operand result: either operand null. */
static void null2(lr__ecol *d, const lr__ecol *a, const lr__ecol *b, int n) {
  for (int i = 0; i < n; i++)
    d->null[i] = a->null[i] | b->null[i];
}

/* Floats that came out NaN or infinite become null. */
static void finish_float(lr__ecol *d, int n) {
  for (int i = 0; i < n; i++)
    d->null[i] |= !isfinite(d->u.f[i]);
}

static void int_arith(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                      const lr__ecol *b, int n) {
  null2(d, a, b, n);
  const int64_t *x = a->u.i, *y = b->u.i;
  int64_t *r = d->u.i;
  for (int i = 0; i < n; i++) {
    int bad = 0;
    switch (in->op) {
    case LR__I_ADD_I: bad = __builtin_add_overflow(x[i], y[i], &r[i]); break;
    case LR__I_SUB_I: bad = __builtin_sub_overflow(x[i], y[i], &r[i]); break;
    case LR__I_MUL_I: bad = __builtin_mul_overflow(x[i], y[i], &r[i]); break;
    case LR__I_MIN_I: r[i] = x[i] < y[i] ? x[i] : y[i]; break;
    case LR__I_MAX_I: r[i] = x[i] > y[i] ? x[i] : y[i]; break;
    case LR__I_IDIV_I: /* floor division, as Python's // */
      bad = y[i] == 0 || (x[i] == INT64_MIN && y[i] == -1);
      if (!bad) {
        r[i] = x[i] / y[i];
        if (x[i] % y[i] != 0 && ((x[i] < 0) != (y[i] < 0)))
          r[i]--;
      }
      break;
    default: /* MOD_I: the remainder takes the divisor's sign */
      bad = y[i] == 0;
      if (!bad) {
        r[i] = y[i] == -1 ? 0 : x[i] % y[i];
        if (r[i] != 0 && ((r[i] < 0) != (y[i] < 0)))
          r[i] += y[i];
      }
      break;
    }
    d->null[i] |= (uint8_t)bad;
  }
}

static void float_arith(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                        const lr__ecol *b, int n) {
  null2(d, a, b, n);
  const double *x = a->u.f, *y = b->u.f;
  double *r = d->u.f;
  switch (in->op) {
  case LR__I_ADD_F: for (int i = 0; i < n; i++) r[i] = x[i] + y[i]; break;
  case LR__I_SUB_F: for (int i = 0; i < n; i++) r[i] = x[i] - y[i]; break;
  case LR__I_MUL_F: for (int i = 0; i < n; i++) r[i] = x[i] * y[i]; break;
  case LR__I_MIN_F: for (int i = 0; i < n; i++) r[i] = fmin(x[i], y[i]); break;
  case LR__I_MAX_F: for (int i = 0; i < n; i++) r[i] = fmax(x[i], y[i]); break;
  case LR__I_POW: for (int i = 0; i < n; i++) r[i] = pow(x[i], y[i]); break;
  case LR__I_DIV_F: /* x / 0 is null: the NaN or infinity is caught below */
    for (int i = 0; i < n; i++) r[i] = y[i] == 0 ? NAN : x[i] / y[i];
    break;
  case LR__I_IDIV_F:
    for (int i = 0; i < n; i++) r[i] = y[i] == 0 ? NAN : floor(x[i] / y[i]);
    break;
  default: /* MOD_F */
    for (int i = 0; i < n; i++) {
      r[i] = y[i] == 0 ? NAN : fmod(x[i], y[i]);
      if (r[i] != 0 && ((r[i] < 0) != (y[i] < 0)))
        r[i] += y[i];
    }
    break;
  }
  finish_float(d, n);
}

/* Rounds half away from zero at `digits` decimals. */
static double round_digits(double x, int64_t digits) {
  if (digits > 17)
    return x;
  if (digits < -308)
    return 0;
  double scale = pow(10.0, (double)digits);
  return round(x * scale) / scale;
}

static void float_unary(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                        const lr__ecol *b, int n) {
  const double *x = a->u.f;
  double *r = d->u.f;
  memcpy(d->null, a->null, (size_t)n);
  for (int i = 0; i < n; i++) {
    switch (in->op) {
    case LR__I_NEG_F: r[i] = -x[i]; break;
    case LR__I_ABS_F: r[i] = fabs(x[i]); break;
    case LR__I_SQRT: r[i] = x[i] < 0 ? NAN : sqrt(x[i]); break;
    case LR__I_LOG: r[i] = x[i] <= 0 ? NAN : log(x[i]); break;
    case LR__I_EXP: r[i] = exp(x[i]); break;
    case LR__I_FLOOR: r[i] = floor(x[i]); break;
    case LR__I_CEIL: r[i] = ceil(x[i]); break;
    case LR__I_ROUND: r[i] = round(x[i]); break;
    case LR__I_ROUND_N:
      d->null[i] |= b->null[i];
      r[i] = round_digits(x[i], b->u.i[i]);
      break;
    case LR__I_F2F32: r[i] = (double)(float)x[i]; break;
    default: r[i] = (double)a->u.i[i]; break; /* TOFLOAT */
    }
  }
  finish_float(d, n);
}

static void int_unary(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                      int n) {
  memcpy(d->null, a->null, (size_t)n);
  int ints = in->op != LR__I_F2I && in->op != LR__I_B2I; /* a holds ints */
  for (int i = 0; i < n; i++) {
    int64_t x = ints ? a->u.i[i] : 0;
    switch (in->op) {
    case LR__I_NEG_I:
    case LR__I_ABS_I:
      d->null[i] |= x == INT64_MIN;
      d->u.i[i] = x == INT64_MIN ? 0
                : in->op == LR__I_NEG_I || x < 0 ? -x : x;
      break;
    case LR__I_F2I: { /* toward zero; outside the range (of int32: aux 32)
                         is null */
      double f = a->u.f[i];
      double lo = in->aux == 32 ? -2147483649.0 : -9223372036854775808.0;
      double hi = in->aux == 32 ? 2147483648.0 : 9223372036854775808.0;
      int ok = f > lo && f < hi;
      d->null[i] |= !ok;
      d->u.i[i] = ok ? (int64_t)f : 0;
      break;
    }
    case LR__I_B2I: d->u.i[i] = a->u.b[i]; break;
    case LR__I_T2I: /* seconds, rounded down */
      d->u.i[i] = x / US_PER_SEC - (x % US_PER_SEC < 0);
      break;
    case LR__I_I2T:
      d->null[i] |= (uint8_t)__builtin_mul_overflow(x, US_PER_SEC, &d->u.i[i]);
      break;
    case LR__I_HOUR:
      d->u.i[i] = ((x % US_PER_DAY + US_PER_DAY) % US_PER_DAY) /
                  (3600 * US_PER_SEC);
      break;
    default: { /* DOW: Monday 0 .. Sunday 6; 1970-01-01 was a Thursday */
      int64_t days = x / US_PER_DAY - (x % US_PER_DAY < 0);
      d->u.i[i] = ((days + 3) % 7 + 7) % 7;
      break;
    }
    }
  }
}

/* -1, 0 or 1 for row i of two registers of the compare's type. */
static int cmp_row(uint8_t op, const lr__ecol *a, const lr__ecol *b, int i) {
  switch (op) {
  case LR__I_CMP_F: return (a->u.f[i] > b->u.f[i]) - (a->u.f[i] < b->u.f[i]);
  case LR__I_CMP_B: return (a->u.b[i] > b->u.b[i]) - (a->u.b[i] < b->u.b[i]);
  case LR__I_CMP_S: {
    const lr__estr *x = &a->u.s[i], *y = &b->u.s[i];
    int c = memcmp(x->ptr, y->ptr, x->len < y->len ? x->len : y->len);
    return c ? (c > 0) - (c < 0) : (x->len > y->len) - (x->len < y->len);
  }
  default: return (a->u.i[i] > b->u.i[i]) - (a->u.i[i] < b->u.i[i]);
  }
}

static void compare(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                    const lr__ecol *b, int n) {
  null2(d, a, b, n);
  for (int i = 0; i < n; i++) {
    int c = d->null[i] ? 0 : cmp_row(in->op, a, b, i);
    switch (in->aux) {
    case LR__OP_EQ: d->u.b[i] = c == 0; break;
    case LR__OP_NE: d->u.b[i] = c != 0; break;
    case LR__OP_LT: d->u.b[i] = c < 0; break;
    case LR__OP_LE: d->u.b[i] = c <= 0; break;
    case LR__OP_GT: d->u.b[i] = c > 0; break;
    default: d->u.b[i] = c >= 0; break;
    }
  }
}

/* and, or, not with SQL's three-valued logic: false and null is false,
 * true or null is true. */
static void logic(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                  const lr__ecol *b, int n) {
  for (int i = 0; i < n; i++) {
    int x = a->u.b[i], xn = a->null[i];
    if (in->op == LR__I_NOT) {
      d->null[i] = (uint8_t)xn;
      d->u.b[i] = !x;
      continue;
    }
    int y = b->u.b[i], yn = b->null[i];
    int decided = in->op == LR__I_AND ? (!xn && !x) || (!yn && !y)
                                      : (!xn && x) || (!yn && y);
    d->null[i] = (uint8_t)(!decided && (xn || yn));
    d->u.b[i] = (uint8_t)(in->op == LR__I_AND ? !decided : decided);
  }
}

/* if, coalesce, is_null: choose per row between registers. */
static void choose(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                   const lr__ecol *b, const lr__ecol *c, int n) {
  size_t size = elem_size((lr__etype)d->type);
  for (int i = 0; i < n; i++) {
    const lr__ecol *from;
    if (in->op == LR__I_IS_NULL) {
      d->null[i] = 0;
      d->u.b[i] = a->null[i];
      continue;
    }
    if (in->op == LR__I_IF) /* a null condition takes the else branch */
      from = !a->null[i] && a->u.b[i] ? b : c;
    else
      from = a->null[i] ? b : a;
    d->null[i] = from->null[i];
    memcpy(d->u.b + (size_t)i * size, from->u.b + (size_t)i * size, size);
  }
}

/* Reserves room for `total` string bytes in register `r`'s buffer. */
static char *reserve(lr__eval *e, int r, size_t total) {
  lr__buf *b = &e->bytes[r];
  lr__buf_reset(b);
  lr__buf_pad(b, total + 1);
  return lr__buf_failed(b) ? NULL : b->data;
}

/* Code points in UTF-8 text: the bytes that do not continue one. */
static int64_t utf8_length(const lr__estr *s) {
  int64_t n = 0;
  for (size_t k = 0; k < s->len; k++)
    n += ((unsigned char)s->ptr[k] & 0xC0) != 0x80;
  return n;
}

static int strings(lr__eval *e, const lr__instr *in, lr__ecol *d,
                   const lr__ecol *a, const lr__ecol *b, int n) {
  if (in->op == LR__I_CONCAT)
    null2(d, a, b, n);
  else
    memcpy(d->null, a->null, (size_t)n);
  if (in->op == LR__I_LENGTH) {
    for (int i = 0; i < n; i++)
      d->u.i[i] = d->null[i] ? 0 : utf8_length(&a->u.s[i]);
    return 0;
  }
  size_t total = 0;
  for (int i = 0; i < n; i++)
    if (!d->null[i])
      total += a->u.s[i].len + (in->op == LR__I_CONCAT ? b->u.s[i].len : 0);
  char *out = reserve(e, in->dst, total);
  if (!out)
    return LR_ENOMEM;
  for (int i = 0; i < n; i++) {
    d->u.s[i] = (lr__estr){out, 0};
    if (d->null[i])
      continue;
    const lr__estr *x = &a->u.s[i];
    memcpy(out, x->ptr, x->len);
    if (in->op == LR__I_CONCAT) {
      memcpy(out + x->len, b->u.s[i].ptr, b->u.s[i].len);
    } else {
      for (size_t k = 0; k < x->len; k++) { /* ASCII letters only */
        char ch = out[k];
        if (in->op == LR__I_LOWER && ch >= 'A' && ch <= 'Z')
          out[k] = (char)(ch + 32);
        else if (in->op == LR__I_UPPER && ch >= 'a' && ch <= 'z')
          out[k] = (char)(ch - 32);
      }
    }
    d->u.s[i].len = x->len + (in->op == LR__I_CONCAT ? b->u.s[i].len : 0);
    out += d->u.s[i].len;
  }
  return 0;
}

/* Writes row i of `a` as text into the eval's scratch buffer. */
static void format_row(lr__eval *e, uint8_t op, const lr__ecol *a, int i) {
  lr__buf *s = &e->scratch;
  lr__buf_reset(s);
  char text[40];
  switch (op) {
  case LR__I_I2S: lr__buf_put_int(s, a->u.i[i]); break;
  case LR__I_F2S: lr__put_float64(s, a->u.f[i], 0); break;
  case LR__I_B2S: lr__buf_puts(s, a->u.b[i] ? "true" : "false"); break;
  default: /* T2S */
    lr__time_format(a->u.i[i], text);
    lr__buf_puts(s, text);
    break;
  }
}

/* Casts to string: every row's text is at most 40 bytes. */
static int to_string(lr__eval *e, const lr__instr *in, lr__ecol *d,
                     const lr__ecol *a, int n) {
  memcpy(d->null, a->null, (size_t)n);
  char *out = reserve(e, in->dst, (size_t)n * 40);
  if (!out)
    return LR_ENOMEM;
  for (int i = 0; i < n; i++) {
    d->u.s[i] = (lr__estr){out, 0};
    if (d->null[i])
      continue;
    format_row(e, in->op, a, i);
    size_t len = e->scratch.len < 40 ? e->scratch.len : 40;
    memcpy(out, e->scratch.data, len);
    d->u.s[i].len = len;
    out += len;
  }
  return lr__buf_failed(&e->scratch) ? LR_ENOMEM : 0;
}

/* Parses row i of a string register as `op` says; 0, or -1 for text that
 * is not such a value (the row becomes null). */
static int parse_row(uint8_t op, const lr__estr *s, lr__ecol *d, int i) {
  char text[64];
  size_t len = s->len;
  const char *p = s->ptr;
  while (len && (*p == ' ' || *p == '\t'))
    p++, len--;
  while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  if (len == 0 || len >= sizeof text)
    return -1;
  memcpy(text, p, len);
  text[len] = 0;
  char *end;
  switch (op) {
  case LR__I_S2I: {
    errno = 0;
    long long v = strtoll(text, &end, 10);
    d->u.i[i] = v;
    return *end || errno ? -1 : 0;
  }
  case LR__I_S2F:
    d->u.f[i] = lr__strtod(text, &end);
    return *end || !isfinite(d->u.f[i]) ? -1 : 0;
  case LR__I_S2B:
    if (!lr__ascii_casecmp(text, "true") || !strcmp(text, "1"))
      return d->u.b[i] = 1, 0;
    if (!lr__ascii_casecmp(text, "false") || !strcmp(text, "0"))
      return d->u.b[i] = 0, 0;
    return -1;
  default: /* S2T */
    return lr__time_parse(text, &d->u.i[i]);
  }
}

static void from_string(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                        int n) {
  memcpy(d->null, a->null, (size_t)n);
  for (int i = 0; i < n; i++)
    if (!d->null[i] && parse_row(in->op, &a->u.s[i], d, i) != 0)
      d->null[i] = 1;
}

static void times(const lr__instr *in, lr__ecol *d, const lr__ecol *a, int n,
                  const int64_t *now) {
  for (int i = 0; i < n; i++) {
    if (in->op == LR__I_NOW) {
      d->null[i] = 0;
      d->u.i[i] = now[i];
    } else { /* AGE */
      d->null[i] = a->null[i];
      d->u.f[i] = (double)(now[i] - a->u.i[i]) / (double)US_PER_SEC;
    }
  }
}

/* dot, cosine, norm over array<float32>; lengths must match. */
static void vectors(const lr__instr *in, lr__ecol *d, const lr__ecol *a,
                    const lr__ecol *b, int n) {
  for (int i = 0; i < n; i++) {
    const lr__evec *x = &a->u.v[i];
    const lr__evec *y = in->op == LR__I_NORM ? x : &b->u.v[i];
    d->null[i] = a->null[i] || (in->op != LR__I_NORM && b->null[i]) ||
                 x->n != y->n;
    double xy = 0, xx = 0, yy = 0;
    for (size_t k = 0; !d->null[i] && k < x->n; k++) {
      xy += (double)x->ptr[k] * (double)y->ptr[k];
      xx += (double)x->ptr[k] * (double)x->ptr[k];
      yy += (double)y->ptr[k] * (double)y->ptr[k];
    }
    d->u.f[i] = in->op == LR__I_DOT      ? xy
              : in->op == LR__I_NORM     ? sqrt(xx)
              : xx == 0 || yy == 0       ? NAN
                                         : xy / (sqrt(xx) * sqrt(yy));
  }
  finish_float(d, n);
}

static void int_to_bool(lr__ecol *d, const lr__ecol *a, int n) {
  memcpy(d->null, a->null, (size_t)n);
  for (int i = 0; i < n; i++)
    d->u.b[i] = a->u.i[i] != 0;
}

static int run_one(lr__eval *e, const lr__instr *in, int n,
                   const int64_t *now) {
  lr__ecol *d = &e->regs[in->dst];
  const lr__ecol *a = &e->regs[in->a], *b = &e->regs[in->b],
                 *c = &e->regs[in->c];
  switch ((lr__iop)in->op) {
  case LR__I_ADD_I: case LR__I_SUB_I: case LR__I_MUL_I: case LR__I_IDIV_I:
  case LR__I_MOD_I: case LR__I_MIN_I: case LR__I_MAX_I:
    int_arith(in, d, a, b, n); break;
  case LR__I_ADD_F: case LR__I_SUB_F: case LR__I_MUL_F: case LR__I_DIV_F:
  case LR__I_IDIV_F: case LR__I_MOD_F: case LR__I_MIN_F: case LR__I_MAX_F:
  case LR__I_POW:
    float_arith(in, d, a, b, n); break;
  case LR__I_TOFLOAT: case LR__I_NEG_F: case LR__I_ABS_F: case LR__I_SQRT:
  case LR__I_LOG: case LR__I_EXP: case LR__I_FLOOR: case LR__I_CEIL:
  case LR__I_ROUND: case LR__I_ROUND_N: case LR__I_F2F32:
    float_unary(in, d, a, b, n); break;
  case LR__I_NEG_I: case LR__I_ABS_I: case LR__I_F2I: case LR__I_B2I:
  case LR__I_T2I: case LR__I_I2T: case LR__I_HOUR: case LR__I_DOW:
    int_unary(in, d, a, n); break;
  case LR__I_CMP_I: case LR__I_CMP_F: case LR__I_CMP_S: case LR__I_CMP_B:
    compare(in, d, a, b, n); break;
  case LR__I_AND: case LR__I_OR: case LR__I_NOT:
    logic(in, d, a, b, n); break;
  case LR__I_IF: case LR__I_COALESCE: case LR__I_IS_NULL:
    choose(in, d, a, b, c, n); break;
  case LR__I_LOWER: case LR__I_UPPER: case LR__I_LENGTH: case LR__I_CONCAT:
    return strings(e, in, d, a, b, n);
  case LR__I_I2S: case LR__I_F2S: case LR__I_B2S: case LR__I_T2S:
    return to_string(e, in, d, a, n);
  case LR__I_S2I: case LR__I_S2F: case LR__I_S2B: case LR__I_S2T:
    from_string(in, d, a, n); break;
  case LR__I_NOW: case LR__I_AGE:
    times(in, d, a, n, now); break;
  case LR__I_DOT: case LR__I_COSINE: case LR__I_NORM:
    vectors(in, d, a, b, n); break;
  case LR__I_I2B:
    int_to_bool(d, a, n); break;
  }
  return 0;
}

int lr__eval_run(lr__eval *e, int n, const int64_t *now) {
  if (n < 0 || n > e->capacity || (e->p->uses_now && !now && n > 0))
    return LR_EINVAL;
  for (int k = 0; k < e->p->n_code; k++) {
    int rc = run_one(e, &e->p->code[k], n, now);
    if (rc)
      return rc;
  }
  return 0;
}

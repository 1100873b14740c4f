/*
 * compile.c - from syntax trees to a program: names are resolved to
 * inputs, every node is typed, ints are widened where floats meet them, and
 * each operation becomes one instruction writing a new register.
 *
 * Typing happens here, once, at `larder apply` (errors with positions) and
 * again when a store or an offline job loads the view; the evaluator then
 * never checks a type. Variadic functions (coalesce, min, max, concat)
 * become chains of two-argument instructions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/names.h"
#include "prog.h"

typedef struct compiler {
  lr__prog *p;
  const lr__expr_input *inputs;
  int n_inputs;
  int output; /* the expression being compiled */
  lr__expr_error_fn on_error;
  void *ctx;
  int failed; /* in this expression */
  int oom;
  int cap_regs, cap_code, cap_consts;
} compiler;

static const char *const type_names[] = {"null",   "bool", "int", "float",
                                         "string", "timestamp",
                                         "array<float32>"};

static int error(compiler *C, const lr__node *at, const char *hint,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports a type or name error at `at`; returns -1 (no register). */
static int error(compiler *C, const lr__node *at, const char *hint,
                 const char *fmt, ...) {
  if (C->failed)
    return -1;
  C->failed = 1;
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  C->on_error(C->ctx, C->output, at ? at->pos : 0, msg, hint ? hint : "");
  return -1;
}

/* Grows an array held in the program's arena (old copies stay in it). */
static int grow(compiler *C, void **items, int n, int *cap, size_t size) {
  if (n < *cap)
    return 0;
  int new_cap = *cap ? *cap * 2 : 16;
  void *grown = lr__arena_array(&C->p->arena, (size_t)new_cap, size);
  if (!grown) {
    C->oom = 1;
    return -1;
  }
  if (n)
    memcpy(grown, *items, (size_t)n * size);
  *items = grown;
  *cap = new_cap;
  return 0;
}

static int new_reg(compiler *C, lr__etype type) {
  lr__prog *p = C->p;
  if (p->n_regs >= 65535 || grow(C, (void **)&p->reg_types, p->n_regs,
                                 &C->cap_regs, 1))
    return -1;
  p->reg_types[p->n_regs] = (uint8_t)type;
  return p->n_regs++;
}

/* Emits `op` on registers a, b, c into a new register of `type`. */
static int emit(compiler *C, lr__iop op, lr__etype type, int a, int b, int c,
                int aux) {
  if (a < 0 || b < -1 || c < -1)
    return -1;
  int dst = new_reg(C, type);
  lr__prog *p = C->p;
  if (dst < 0 || grow(C, (void **)&p->code, p->n_code, &C->cap_code,
                      sizeof *p->code))
    return -1;
  p->code[p->n_code++] = (lr__instr){(uint8_t)op, (uint8_t)aux,
                                     (uint16_t)dst, (uint16_t)a,
                                     (uint16_t)(b < 0 ? 0 : b),
                                     (uint16_t)(c < 0 ? 0 : c)};
  if (op == LR__I_NOW || op == LR__I_AGE)
    p->uses_now = 1;
  return dst;
}

/* A constant register: filled once when an eval is created. */
static int constant(compiler *C, lr__etype type, int64_t i, double f,
                    const char *s, size_t len) {
  int reg = new_reg(C, type);
  lr__prog *p = C->p;
  if (reg < 0 || grow(C, (void **)&p->consts, p->n_consts, &C->cap_consts,
                      sizeof *p->consts))
    return -1;
  p->consts[p->n_consts++] = (lr__const){(uint16_t)reg, (uint8_t)type, i, f,
                                         s, len};
  return reg;
}

/* A column of nulls of `type` (how `null` takes the type around it). */
static int null_of(compiler *C, lr__etype type) {
  lr__const *k;
  int reg = constant(C, type, 0, 0, NULL, 0);
  if (reg >= 0) {
    k = &C->p->consts[C->p->n_consts - 1];
    k->type = LR__ET_NULL; /* marks the column all-null; the register keeps
                              `type` */
  }
  return reg;
}

static lr__etype type_of(const compiler *C, int reg) {
  return reg < 0 ? LR__ET_NULL : (lr__etype)C->p->reg_types[reg];
}

static int is_numeric(lr__etype t) {
  return t == LR__ET_INT || t == LR__ET_FLOAT;
}

static int to_float(compiler *C, int reg) {
  lr__etype t = type_of(C, reg);
  if (t == LR__ET_NULL)
    return null_of(C, LR__ET_FLOAT);
  return t == LR__ET_INT ? emit(C, LR__I_TOFLOAT, LR__ET_FLOAT, reg, -1, -1, 0)
                         : reg;
}

/* Brings a and b to one type (a `null` takes the other's; int meets float
 * as float). Returns the type, or LR__ET_NULL when they cannot meet. */
static lr__etype unify(compiler *C, int *a, int *b) {
  lr__etype ta = type_of(C, *a), tb = type_of(C, *b);
  if (ta == LR__ET_NULL && tb != LR__ET_NULL)
    *a = null_of(C, ta = tb);
  else if (tb == LR__ET_NULL && ta != LR__ET_NULL)
    *b = null_of(C, tb = ta);
  if (ta == tb)
    return ta;
  if (is_numeric(ta) && is_numeric(tb)) {
    *a = to_float(C, *a);
    *b = to_float(C, *b);
    return LR__ET_FLOAT;
  }
  return LR__ET_NULL;
}

static int compile_node(compiler *C, const lr__node *n);

/* ---- names ------------------------------------------------------------- */

static int resolve_name(compiler *C, const lr__node *n) {
  int found = -1, matches = 0;
  for (int i = 0; i < C->n_inputs; i++) {
    const lr__expr_input *in = &C->inputs[i];
    if (strcmp(in->name, n->text) == 0 ||
        (in->alias && strcmp(in->alias, n->text) == 0)) {
      if (matches++ == 0)
        found = i;
    }
  }
  if (matches > 1)
    return error(C, n, "write it as view__feature", "'%s' is ambiguous: "
                 "more than one input of this view has that name", n->text);
  if (found < 0) {
    lr__buf hint;
    lr__buf_init(&hint);
    const char **names = calloc((size_t)C->n_inputs * 2 + 1, sizeof *names);
    int k = 0;
    for (int i = 0; names && i < C->n_inputs; i++) {
      names[k++] = C->inputs[i].name;
      if (C->inputs[i].alias)
        names[k++] = C->inputs[i].alias;
    }
    lr__suggest(&hint, "inputs", n->text, names, k);
    error(C, n, lr__buf_str(&hint), "unknown name '%s': not a feature of "
          "the view's sources nor a request field", n->text);
    free(names);
    lr__buf_free(&hint);
    return -1;
  }
  lr__etype t = lr__etype_of_dtype(C->inputs[found].dtype);
  if (t == LR__ET_NULL) {
    char scratch[32];
    return error(C, n, "expressions read bool, int32, int64, float32, "
                 "float64, string, timestamp and array<float32> inputs",
                 "input '%s' is %s, which expressions cannot read", n->text,
                 lr__dtype_name(C->inputs[found].dtype, scratch));
  }
  C->p->input_used[found] = 1;
  C->p->output_inputs[(size_t)C->output * (size_t)C->n_inputs + (size_t)found] = 1;
  return found;
}

/* ---- operators --------------------------------------------------------- */

static int arith(compiler *C, const lr__node *n, int a, int b) {
  lr__etype ta = type_of(C, a), tb = type_of(C, b);
  if ((!is_numeric(ta) && ta != LR__ET_NULL) ||
      (!is_numeric(tb) && tb != LR__ET_NULL))
    return error(C, n, ta == LR__ET_STRING && n->op == LR__OP_ADD
                           ? "join strings with concat(a, b)"
                           : "arithmetic takes int and float operands",
                 "cannot apply '%s' to %s and %s",
                 n->op == LR__OP_IDIV ? "//" : (char[]){(char)n->op, 0},
                 type_names[ta], type_names[tb]);
  int ints = ta != LR__ET_FLOAT && tb != LR__ET_FLOAT && n->op != LR__OP_DIV;
  if (!ints) {
    a = to_float(C, a);
    b = to_float(C, b);
  } else if (ta == LR__ET_NULL || tb == LR__ET_NULL) {
    unify(C, &a, &b);
  }
  static const struct { int op; lr__iop i, f; } ops[] = {
      {LR__OP_ADD, LR__I_ADD_I, LR__I_ADD_F},
      {LR__OP_SUB, LR__I_SUB_I, LR__I_SUB_F},
      {LR__OP_MUL, LR__I_MUL_I, LR__I_MUL_F},
      {LR__OP_DIV, LR__I_DIV_F, LR__I_DIV_F},
      {LR__OP_IDIV, LR__I_IDIV_I, LR__I_IDIV_F},
      {LR__OP_MOD, LR__I_MOD_I, LR__I_MOD_F},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (ops[i].op == n->op)
      return emit(C, ints ? ops[i].i : ops[i].f,
                  ints ? LR__ET_INT : LR__ET_FLOAT, a, b, -1, 0);
  return -1;
}

static int compare(compiler *C, const lr__node *n, int a, int b) {
  lr__etype ta = type_of(C, a), tb = type_of(C, b);
  lr__etype t = unify(C, &a, &b);
  static const lr__iop by_type[] = {
      [LR__ET_BOOL] = LR__I_CMP_B, [LR__ET_INT] = LR__I_CMP_I,
      [LR__ET_FLOAT] = LR__I_CMP_F, [LR__ET_STRING] = LR__I_CMP_S,
      [LR__ET_TIME] = LR__I_CMP_I};
  if (t == LR__ET_NULL && ta == LR__ET_NULL && tb == LR__ET_NULL)
    return null_of(C, LR__ET_BOOL);
  if (t == LR__ET_NULL || t == LR__ET_VEC)
    return error(C, n, "compare values of one type (cast(x, type) converts)",
                 "cannot compare %s with %s", type_names[ta], type_names[tb]);
  return emit(C, by_type[t], LR__ET_BOOL, a, b, -1, n->op);
}

/* Checks that register `reg` (argument `what` of `fn`) has type `want`. */
static int want_type(compiler *C, const lr__node *at, int reg, lr__etype want,
                     const char *what) {
  lr__etype t = type_of(C, reg);
  if (reg < 0)
    return -1;
  if (t == LR__ET_NULL)
    return null_of(C, want);
  if (t == want || (want == LR__ET_FLOAT && t == LR__ET_INT))
    return want == LR__ET_FLOAT ? to_float(C, reg) : reg;
  return error(C, at, NULL, "%s must be %s, not %s", what, type_names[want],
               type_names[t]);
}

static int logic(compiler *C, const lr__node *n, int a, int b) {
  const char *what = n->op == LR__OP_AND ? "an operand of 'and'"
                                          : "an operand of 'or'";
  a = want_type(C, n->args[0], a, LR__ET_BOOL, what);
  b = want_type(C, n->args[1], b, LR__ET_BOOL, what);
  return emit(C, n->op == LR__OP_AND ? LR__I_AND : LR__I_OR, LR__ET_BOOL, a,
              b, -1, 0);
}

static int compile_unary(compiler *C, const lr__node *n) {
  int a = compile_node(C, n->args[0]);
  if (n->op == LR__OP_NOT)
    return emit(C, LR__I_NOT, LR__ET_BOOL,
                want_type(C, n->args[0], a, LR__ET_BOOL, "the operand of 'not'"),
                -1, -1, 0);
  lr__etype t = type_of(C, a);
  if (a >= 0 && t == LR__ET_NULL)
    return a;
  if (a >= 0 && !is_numeric(t))
    return error(C, n, NULL, "cannot negate %s", type_names[t]);
  return emit(C, t == LR__ET_INT ? LR__I_NEG_I : LR__I_NEG_F, t, a, -1, -1, 0);
}

static int compile_binary(compiler *C, const lr__node *n) {
  int a = compile_node(C, n->args[0]);
  int b = compile_node(C, n->args[1]);
  if (a < 0 || b < 0)
    return -1;
  switch (n->op) {
  case LR__OP_AND:
  case LR__OP_OR: return logic(C, n, a, b);
  case LR__OP_ADD: case LR__OP_SUB: case LR__OP_MUL: case LR__OP_DIV:
  case LR__OP_IDIV: case LR__OP_MOD: return arith(C, n, a, b);
  default: return compare(C, n, a, b);
  }
}

/* ---- functions --------------------------------------------------------- */

typedef struct call {
  const lr__node *n;
  int *args; /* compiled arguments */
} call;

typedef int (*fn_compile)(compiler *C, const call *k, int variant);

/* Argument i, required to have type `want`. */
static int arg(compiler *C, const call *k, int i, lr__etype want) {
  char what[64];
  snprintf(what, sizeof what, "argument %d of %s()", i + 1, k->n->text);
  return want_type(C, k->n->args[i], k->args[i], want, what);
}

static int fn_unary_float(compiler *C, const call *k, int op) {
  return emit(C, (lr__iop)op, LR__ET_FLOAT, arg(C, k, 0, LR__ET_FLOAT), -1, -1,
              0);
}

static int fn_pow(compiler *C, const call *k, int op) {
  return emit(C, (lr__iop)op, LR__ET_FLOAT, arg(C, k, 0, LR__ET_FLOAT),
              arg(C, k, 1, LR__ET_FLOAT), -1, 0);
}

/* abs, floor, ceil, round: ints stay ints (floor/ceil/round are then the
 * identity), floats stay floats. */
static int fn_numeric(compiler *C, const call *k, int op) {
  int a = k->args[0];
  lr__etype t = type_of(C, a);
  if (t == LR__ET_NULL)
    return a;
  if (!is_numeric(t))
    return error(C, k->n->args[0], NULL, "%s() takes a number, not %s",
                 k->n->text, type_names[t]);
  if (k->n->n_args == 2) /* round(x, digits) */
    return emit(C, LR__I_ROUND_N, LR__ET_FLOAT, to_float(C, a),
                arg(C, k, 1, LR__ET_INT), -1, 0);
  if (t == LR__ET_INT)
    return op == LR__I_ABS_F ? emit(C, LR__I_ABS_I, t, a, -1, -1, 0) : a;
  return emit(C, (lr__iop)op, t, a, -1, -1, 0);
}

/* min or max of two registers: ints while both are ints. */
static int minmax2(compiler *C, const lr__node *at, int a, int b,
                   int is_max) {
  lr__etype ta = type_of(C, a), tb = type_of(C, b);
  lr__etype t = unify(C, &a, &b);
  if (ta == LR__ET_NULL && tb == LR__ET_NULL)
    return a;
  if (!is_numeric(t))
    return error(C, at, NULL, "min(), max() and clamp() take numbers, not "
                 "%s", type_names[is_numeric(ta) ? tb : ta]);
  lr__iop op = t == LR__ET_INT ? (is_max ? LR__I_MAX_I : LR__I_MIN_I)
                               : (is_max ? LR__I_MAX_F : LR__I_MIN_F);
  return emit(C, op, t, a, b, -1, 0);
}

/* min, max: a chain over the arguments. */
static int fn_minmax(compiler *C, const call *k, int is_max) {
  int acc = k->args[0];
  for (int i = 1; i < k->n->n_args && acc >= 0; i++)
    acc = minmax2(C, k->n->args[i], acc, k->args[i], is_max);
  return acc;
}

/* clamp(x, lo, hi) = min(max(x, lo), hi). */
static int fn_clamp(compiler *C, const call *k, int unused) {
  (void)unused;
  int floored = minmax2(C, k->n->args[1], k->args[0], k->args[1], 1);
  return floored < 0 ? -1 : minmax2(C, k->n->args[2], floored, k->args[2], 0);
}

static int fn_if(compiler *C, const call *k, int unused) {
  (void)unused;
  int cond = arg(C, k, 0, LR__ET_BOOL);
  int a = k->args[1], b = k->args[2];
  lr__etype ta = type_of(C, a), tb = type_of(C, b);
  lr__etype t = unify(C, &a, &b);
  if (t == LR__ET_NULL && (ta != LR__ET_NULL || tb != LR__ET_NULL))
    return error(C, k->n, "give both branches one type",
                 "the branches of if() are %s and %s", type_names[ta],
                 type_names[tb]);
  return t == LR__ET_NULL ? a : emit(C, LR__I_IF, t, cond, a, b, 0);
}

static int fn_coalesce(compiler *C, const call *k, int unused) {
  (void)unused;
  int acc = k->args[0];
  for (int i = 1; i < k->n->n_args && acc >= 0; i++) {
    int b = k->args[i];
    lr__etype ta = type_of(C, acc), tb = type_of(C, b);
    lr__etype t = unify(C, &acc, &b);
    if (t == LR__ET_NULL && (ta != LR__ET_NULL || tb != LR__ET_NULL))
      return error(C, k->n->args[i], NULL,
                   "coalesce() mixes %s and %s", type_names[ta],
                   type_names[tb]);
    if (t != LR__ET_NULL)
      acc = emit(C, LR__I_COALESCE, t, acc, b, -1, 0);
  }
  return acc;
}

static int fn_is_null(compiler *C, const call *k, int unused) {
  (void)unused;
  return emit(C, LR__I_IS_NULL, LR__ET_BOOL, k->args[0], -1, -1, 0);
}

static int fn_string(compiler *C, const call *k, int op) {
  return emit(C, (lr__iop)op, op == LR__I_LENGTH ? LR__ET_INT : LR__ET_STRING,
              arg(C, k, 0, LR__ET_STRING), -1, -1, 0);
}

static int fn_concat(compiler *C, const call *k, int unused) {
  (void)unused;
  int acc = arg(C, k, 0, LR__ET_STRING);
  for (int i = 1; i < k->n->n_args && acc >= 0; i++)
    acc = emit(C, LR__I_CONCAT, LR__ET_STRING, acc,
               arg(C, k, i, LR__ET_STRING), -1, 0);
  return acc;
}

static int fn_time(compiler *C, const call *k, int op) {
  if (op == LR__I_NOW)
    return emit(C, LR__I_NOW, LR__ET_TIME, 0, -1, -1, 0);
  return emit(C, (lr__iop)op, op == LR__I_AGE ? LR__ET_FLOAT : LR__ET_INT,
              arg(C, k, 0, LR__ET_TIME), -1, -1, 0);
}

static int fn_vector(compiler *C, const call *k, int op) {
  int a = arg(C, k, 0, LR__ET_VEC);
  int b = op == LR__I_NORM ? -1 : arg(C, k, 1, LR__ET_VEC);
  if (op != LR__I_NORM && b < 0)
    return -1;
  return emit(C, (lr__iop)op, LR__ET_FLOAT, a, b, -1, 0);
}

/* cast(x, dtype): the conversions below; the others are errors. */
static int cast_to(compiler *C, const lr__node *at, int a, lr__etype to,
                   uint8_t dtype) {
  static const struct { lr__etype from, to; lr__iop op; } casts[] = {
      {LR__ET_INT, LR__ET_FLOAT, LR__I_TOFLOAT},
      {LR__ET_INT, LR__ET_BOOL, LR__I_I2B},
      {LR__ET_INT, LR__ET_STRING, LR__I_I2S},
      {LR__ET_INT, LR__ET_TIME, LR__I_I2T},
      {LR__ET_FLOAT, LR__ET_INT, LR__I_F2I},
      {LR__ET_FLOAT, LR__ET_STRING, LR__I_F2S},
      {LR__ET_BOOL, LR__ET_INT, LR__I_B2I},
      {LR__ET_BOOL, LR__ET_STRING, LR__I_B2S},
      {LR__ET_STRING, LR__ET_INT, LR__I_S2I},
      {LR__ET_STRING, LR__ET_FLOAT, LR__I_S2F},
      {LR__ET_STRING, LR__ET_BOOL, LR__I_S2B},
      {LR__ET_STRING, LR__ET_TIME, LR__I_S2T},
      {LR__ET_TIME, LR__ET_INT, LR__I_T2I},
      {LR__ET_TIME, LR__ET_STRING, LR__I_T2S},
  };
  lr__etype from = type_of(C, a);
  if (from == LR__ET_NULL)
    return null_of(C, to);
  int out = from == to ? a : -1;
  for (size_t i = 0; out < 0 && i < sizeof casts / sizeof casts[0]; i++)
    if (casts[i].from == from && casts[i].to == to)
      out = emit(C, casts[i].op, to, a, -1, -1, 0);
  if (out < 0)
    return error(C, at, NULL, "cannot cast %s to %s", type_names[from],
                 type_names[to]);
  /* the narrower dtypes: int32 range, float32 rounding */
  if (dtype == LR__DT_INT32)
    out = emit(C, LR__I_F2I, LR__ET_INT, to_float(C, out), -1, -1, 32);
  if (dtype == LR__DT_FLOAT32)
    out = emit(C, LR__I_F2F32, LR__ET_FLOAT, out, -1, -1, 0);
  return out;
}

static int fn_cast(compiler *C, const call *k, int unused) {
  (void)unused;
  const lr__node *t = k->n->args[1];
  uint8_t dt = 0;
  if ((t->kind != LR__N_NAME && t->kind != LR__N_STRING) ||
      lr__dtype_parse(t->text, &dt) != 0 || LR__DT_IS_ARRAY(dt) ||
      dt == LR__DT_BYTES)
    return error(C, t, "e.g. cast(x, float64); types: bool int32 int64 "
                 "float32 float64 string timestamp",
                 "the second argument of cast() must name a scalar type");
  return cast_to(C, k->n, k->args[0], lr__etype_of_dtype(dt), dt);
}

static const struct {
  const char *name;
  int min_args, max_args; /* max -1: any number */
  fn_compile fn;
  int variant;
} functions[] = {
    {"if", 3, 3, fn_if, 0},
    {"coalesce", 1, -1, fn_coalesce, 0},
    {"is_null", 1, 1, fn_is_null, 0},
    {"abs", 1, 1, fn_numeric, LR__I_ABS_F},
    {"sqrt", 1, 1, fn_unary_float, LR__I_SQRT},
    {"log", 1, 1, fn_unary_float, LR__I_LOG},
    {"exp", 1, 1, fn_unary_float, LR__I_EXP},
    {"pow", 2, 2, fn_pow, LR__I_POW},
    {"floor", 1, 1, fn_numeric, LR__I_FLOOR},
    {"ceil", 1, 1, fn_numeric, LR__I_CEIL},
    {"round", 1, 2, fn_numeric, LR__I_ROUND},
    {"min", 2, -1, fn_minmax, 0},
    {"max", 2, -1, fn_minmax, 1},
    {"clamp", 3, 3, fn_clamp, 0},
    {"lower", 1, 1, fn_string, LR__I_LOWER},
    {"upper", 1, 1, fn_string, LR__I_UPPER},
    {"length", 1, 1, fn_string, LR__I_LENGTH},
    {"concat", 1, -1, fn_concat, 0},
    {"cast", 2, 2, fn_cast, 0},
    {"now", 0, 0, fn_time, LR__I_NOW},
    {"age_seconds", 1, 1, fn_time, LR__I_AGE},
    {"hour", 1, 1, fn_time, LR__I_HOUR},
    {"day_of_week", 1, 1, fn_time, LR__I_DOW},
    {"dot", 2, 2, fn_vector, LR__I_DOT},
    {"cosine", 2, 2, fn_vector, LR__I_COSINE},
    {"norm", 1, 1, fn_vector, LR__I_NORM},
};
#define N_FUNCTIONS ((int)(sizeof functions / sizeof functions[0]))

static void suggest_function(lr__buf *hint, const char *name) {
  const char *names[N_FUNCTIONS];
  for (int i = 0; i < N_FUNCTIONS; i++)
    names[i] = functions[i].name;
  lr__suggest(hint, "functions", name, names, N_FUNCTIONS);
}

static int compile_call(compiler *C, const lr__node *n) {
  int f = 0;
  while (f < N_FUNCTIONS && strcmp(functions[f].name, n->text) != 0)
    f++;
  if (f == N_FUNCTIONS) {
    lr__buf hint;
    lr__buf_init(&hint);
    suggest_function(&hint, n->text);
    error(C, n, lr__buf_str(&hint), "unknown function '%s'", n->text);
    lr__buf_free(&hint);
    return -1;
  }
  int lo = functions[f].min_args, hi = functions[f].max_args;
  if (n->n_args < lo || (hi >= 0 && n->n_args > hi))
    return error(C, n, NULL, "%s() takes %s%d argument%s, not %d", n->text,
                 hi < 0 ? "at least " : lo != hi ? "1 or " : "",
                 hi < 0 ? lo : hi, (hi < 0 ? lo : hi) == 1 ? "" : "s",
                 n->n_args);
  int args[16];
  int is_cast = functions[f].fn == fn_cast;
  for (int i = 0; i < n->n_args; i++) {
    args[i] = is_cast && i == 1 ? 0 : compile_node(C, n->args[i]);
    if (args[i] < 0)
      return -1;
  }
  call k = {n, args};
  return functions[f].fn(C, &k, functions[f].variant);
}

static int compile_node(compiler *C, const lr__node *n) {
  if (!n || C->failed || C->oom)
    return -1;
  switch ((lr__node_kind)n->kind) {
  case LR__N_INT: return constant(C, LR__ET_INT, n->ival, 0, NULL, 0);
  case LR__N_FLOAT: return constant(C, LR__ET_FLOAT, 0, n->fval, NULL, 0);
  case LR__N_BOOL: return constant(C, LR__ET_BOOL, n->ival, 0, NULL, 0);
  case LR__N_STRING:
    return constant(C, LR__ET_STRING, 0, 0, n->text, n->len);
  case LR__N_NULL: return null_of(C, LR__ET_NULL);
  case LR__N_NAME: return resolve_name(C, n);
  case LR__N_UNARY: return compile_unary(C, n);
  case LR__N_BINARY: return compile_binary(C, n);
  case LR__N_CALL: return compile_call(C, n);
  }
  return -1;
}

/* ---- outputs ----------------------------------------------------------- */

/* 1 when a value of type `t` can be stored as dtype `dt`. */
static int assignable(lr__etype t, uint8_t dt) {
  switch (t) {
  case LR__ET_NULL: return 1;
  case LR__ET_BOOL: return dt == LR__DT_BOOL;
  case LR__ET_INT:
    return dt == LR__DT_INT32 || dt == LR__DT_INT64 || dt == LR__DT_FLOAT32 ||
           dt == LR__DT_FLOAT64;
  case LR__ET_FLOAT: return dt == LR__DT_FLOAT32 || dt == LR__DT_FLOAT64;
  case LR__ET_STRING: return dt == LR__DT_STRING;
  case LR__ET_TIME: return dt == LR__DT_TIMESTAMP;
  case LR__ET_VEC: return dt == (LR__DT_ARRAY | LR__DT_FLOAT32);
  }
  return 0;
}

static void compile_output(compiler *C, const lr__node *root, uint8_t dt,
                           int k) {
  int reg = compile_node(C, root);
  if (reg < 0)
    return;
  lr__etype t = type_of(C, reg);
  char scratch[32];
  if (!assignable(t, dt)) {
    const char *name = lr__dtype_name(dt, scratch);
    char hint[96];
    snprintf(hint, sizeof hint, "convert it with cast(..., %s) or declare "
             "the feature %s", name,
             t == LR__ET_VEC ? "array<float32>" : type_names[t]);
    error(C, root, hint, "the expression is %s but the feature is declared "
          "%s", type_names[t], name);
    return;
  }
  C->p->out_regs[k] = (uint16_t)reg;
}

int lr__prog_compile(const lr__expr_input *inputs, int n_inputs,
                     const char *const *exprs, const uint8_t *out_dtypes,
                     int n_out, lr__expr_error_fn on_error, void *ctx,
                     lr__prog **out) {
  *out = NULL;
  lr__prog *p = calloc(1, sizeof *p);
  if (!p)
    return LR_ENOMEM;
  lr__arena_init(&p->arena);
  compiler C = {.p = p, .inputs = inputs, .n_inputs = n_inputs,
                .on_error = on_error, .ctx = ctx};
  p->n_inputs = n_inputs;
  p->n_out = n_out;
  p->input_types = lr__arena_array(&p->arena, (size_t)n_inputs + 1, 1);
  p->input_used = lr__arena_array(&p->arena, (size_t)n_inputs + 1, 1);
  p->out_regs = lr__arena_array(&p->arena, (size_t)n_out + 1,
                                sizeof *p->out_regs);
  p->out_dtypes = lr__arena_array(&p->arena, (size_t)n_out + 1, 1);
  p->output_inputs = lr__arena_array(&p->arena, (size_t)n_out + 1,
                                     (size_t)n_inputs + 1);
  C.oom = !p->input_types || !p->input_used || !p->out_regs ||
          !p->out_dtypes || !p->output_inputs;
  for (int i = 0; !C.oom && i < n_inputs; i++) {
    p->input_types[i] = (uint8_t)lr__etype_of_dtype(inputs[i].dtype);
    new_reg(&C, (lr__etype)p->input_types[i]);
  }
  int failed = 0;
  for (int k = 0; !C.oom && k < n_out; k++) {
    C.output = k;
    C.failed = 0;
    p->out_dtypes[k] = out_dtypes[k];
    lr__node *root = lr__expr_parse(exprs[k], &p->arena, k, on_error, ctx);
    if (root)
      compile_output(&C, root, out_dtypes[k], k);
    failed |= !root || C.failed;
  }
  if (C.oom || failed) {
    lr__prog_free(p);
    return C.oom ? LR_ENOMEM : LR_EINVAL;
  }
  *out = p;
  return 0;
}

void lr__prog_free(lr__prog *p) {
  if (!p)
    return;
  lr__arena_free(&p->arena);
  free(p);
}

int lr__prog_uses_input(const lr__prog *p, int i) {
  return i >= 0 && i < p->n_inputs && p->input_used[i];
}

int lr__prog_output_uses_input(const lr__prog *p, int k, int i) {
  return k >= 0 && k < p->n_out && i >= 0 && i < p->n_inputs &&
         p->output_inputs[(size_t)k * (size_t)p->n_inputs + (size_t)i];
}

int lr__prog_uses_now(const lr__prog *p) { return p->uses_now; }

lr__etype lr__etype_of_dtype(uint8_t dtype) {
  switch (dtype) {
  case LR__DT_BOOL: return LR__ET_BOOL;
  case LR__DT_INT32:
  case LR__DT_INT64: return LR__ET_INT;
  case LR__DT_FLOAT32:
  case LR__DT_FLOAT64: return LR__ET_FLOAT;
  case LR__DT_STRING: return LR__ET_STRING;
  case LR__DT_TIMESTAMP: return LR__ET_TIME;
  case LR__DT_ARRAY | LR__DT_FLOAT32: return LR__ET_VEC;
  default: return LR__ET_NULL;
  }
}

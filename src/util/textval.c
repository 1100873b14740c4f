/*
 * textval.c - float and base64 text (see textval.h): the fast paths that
 * write a float's shortest round-trip text from its bits (falling back on
 * floatsearch.c's search), and base64.
 */
#include "textval.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "floattext.h"

/* ---- the fast paths ---------------------------------------------------- *
 *
 * The search (floatsearch.c) costs about 80 ns a float: frexp and floor, a
 * 128-bit division, a double division per try and the text built twice. The
 * fast paths read the mantissa and exponent from the bits, scale |v| by a power
 * of ten once, exactly, and decide each try with integer comparisons
 * against the interval of decimals that read back as v: half an ulp on
 * each side (a quarter below a power of two, whose lower neighbour is
 * closer), ends included when the mantissa is even, as strtof and strtod
 * round ties to even. That is the same test as reading the text back, so
 * the output is still printf's byte for byte. The text is then laid out
 * straight into the buffer.
 *
 * float32 in 2^-20 .. 2^30 (about 1e-6 .. 1e9) fits 64 bits. The rest of
 * float32 in 2^-69 .. 2^64 (1.7e-21 .. 1.8e19), and double in 2^-14 ..
 * 2^64 (6e-5 .. 1.8e19), use 128 bits. Zero is written directly. Values
 * outside those (and subnormals, NaN, infinities) take the search. */

/* ---- laying out %g text ---- */

static const char digit_pairs[201] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes v < 10^8 as exactly eight digits, two at a time, without a
 * division: y is v / 10^6 in fixed point with 52 fraction bits, rounded
 * up (the excess, below 10^8 / 2^52 < 2^-25, stays under a step of the
 * last pair when scaled by 100 three times); each pair is the whole part,
 * then the fraction is scaled by 100 for the next. */
static inline void put8(char *out, uint32_t v) {
  const uint64_t fraction = (1ull << 52) - 1;
  uint64_t y = v * 4503599628ull; /* ceil(2^52 / 10^6) */
  memcpy(out, digit_pairs + 2 * (y >> 52), 2);
  y = (y & fraction) * 100;
  memcpy(out + 2, digit_pairs + 2 * (y >> 52), 2);
  y = (y & fraction) * 100;
  memcpy(out + 4, digit_pairs + 2 * (y >> 52), 2);
  y = (y & fraction) * 100;
  memcpy(out + 6, digit_pairs + 2 * (y >> 52), 2);
}

/* The exponent of the scientific form: "e+07", "e-45", "e+308". */
static char *put_exponent(char *at, int x) {
  int ax = x < 0 ? -x : x;
  *at++ = 'e';
  *at++ = x < 0 ? '-' : '+';
  if (ax >= 100) {
    *at++ = (char)('0' + ax / 100);
    ax %= 100;
  }
  memcpy(at, digit_pairs + 2 * (size_t)ax, 2);
  return at + 2;
}

/* How many of the p digits at s are left once trailing zeros go (at
 * least one: the first is not zero). Eight at a time, for the 2-8 zeros
 * of short decimals: the last eight digits as a word, less '0' in each
 * byte, are zero bytes where the digits are zeros, and on a little-endian
 * machine its leading zero bytes are the last digits. s must be readable
 * from 7 bytes before it. */
static int significant(const char *s, int p) {
  int n = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  for (;;) {
    uint64_t w;
    memcpy(&w, s + n - 8, 8);
    w ^= 0x3030303030303030ull; /* '0' in each byte */
    if (w)
      return n - __builtin_clzll(w) / 8;
    n -= 8; /* s[0] is not '0': n > 8 here */
  }
#else
  while (n > 1 && s[n - 1] == '0')
    n--;
  return n;
#endif
}

/* Lays out the p significant digits at s (the first nonzero) at decimal
 * exponent x as %.{p}g does: trailing zeros dropped, scientific when
 * x < -4 or x >= p. The copies are of a fixed 24 bytes, cheaper than
 * exact ones: s must be readable from 7 bytes before it to 48 bytes on,
 * and text writable 48 bytes (the text itself is at most 24). Returns the
 * length. */
static inline size_t layout_g(char *text, int negative, const char *s, int p,
                              int x) {
  char *at = text;
  int n = significant(s, p);
  *at = '-';
  at += negative;
  if (x < -4 || x >= p) { /* d.ddde+xx */
    at[0] = s[0];
    at[1] = '.';
    memcpy(at + 2, s + 1, 24);
    at = put_exponent(at + (n > 1 ? n + 1 : 1), x);
  } else if (x < 0) { /* 0.000ddd */
    memset(at, '0', 8);
    at[1] = '.';
    memcpy(at + 1 - x, s, 24);
    at += 1 - x + n;
  } else if (n <= x + 1) { /* ddd000: the zeros are among the p digits */
    memcpy(at, s, 24);
    at += x + 1;
  } else { /* ddd.ddd */
    memcpy(at, s, 24);
    at[x + 1] = '.';
    memcpy(at + x + 2, s + x + 1, 24);
    at += n + 1;
  }
  return (size_t)(at - text);
}

/* Whether `out` has room for `n` more bytes, growing it if not; the common
 * case without a call into buf.c. */
static int room(lr__buf *out, size_t n) {
  if (!out->failed && out->len + n < out->cap)
    return 1;
  return lr__buf_reserve(out, n);
}

/* digits after a carry, 10^p, are 1 at the next decimal exponent: what
 * %g prints for 9.9999999 at 6 digits is 10. */
static void fold_carry(uint64_t *digits, int p, int *x) {
  if (*digits == lr__pow10_u64[p]) {
    *digits = lr__pow10_u64[p - 1];
    (*x)++;
  }
}

/* Writes digits < 10^10 as exactly ten digits after eight '0's (which
 * significant() may read): fixed work, no loop. */
static void digit_text10(char *s, uint64_t digits) {
  memset(s, '0', 8);
  memcpy(s + 8, digit_pairs + 2 * (digits / 100000000), 2);
  put8(s + 10, (uint32_t)(digits % 100000000));
}

/* The same for digits < 10^20, as twenty digits. */
static void digit_text20(char *s, uint64_t digits) {
  uint64_t hi = digits / 100000000;
  uint32_t top = (uint32_t)(hi / 100000000);
  memset(s, '0', 8);
  memcpy(s + 8, digit_pairs + 2 * (size_t)(top / 100), 2);
  memcpy(s + 10, digit_pairs + 2 * (size_t)(top % 100), 2);
  put8(s + 12, (uint32_t)(hi % 100000000));
  put8(s + 20, (uint32_t)(digits % 100000000));
}

/* Appends the p digits at s (written by digit_text10/20) at decimal
 * exponent x as %.{p}g does. */
static inline void put_laid_out(lr__buf *out, int negative, const char *s,
                                int p, int x) {
  if (!room(out, 48))
    return;
  out->len += layout_g(out->data + out->len, negative, s, p, x);
  out->data[out->len] = '\0';
}

/* ---- float32 in 64 bits ---- *
 *
 * |v| = m * 2^e and t + frac / 2^g = |v| * 10^k with t of ten digits, all
 * exact: tn = t * 2^g + frac = m * 5^k * 2^(max(e, 0) + 2) (times 10 when
 * that gives only nine digits). The half-ulp w in the same 2^-g steps is
 * 5^k * 2^(max(e, 0) + 1). For v in 2^-20 .. 2^30 the fraction needs at
 * most 30 bits, so tn < 10^10 * 2^30 fits 64 bits. */

typedef struct f32dec {
  uint64_t t, frac, w; /* ten digits, what is below them, half an ulp */
  int g, x, even;      /* fraction bits, decimal exponent, mantissa even */
} f32dec;

/* floor(2^64 / 10^j) + 1: for t < 2^34, t / 10^j is the high half of
 * t * this (the excess, below t / 2^64 < 2^-30, cannot reach the next
 * whole number: t / 10^j is at least 10^-j below it). */
static const uint64_t inv10[5] = {0, 1844674407370955162ull,
                                  184467440737095517ull, 18446744073709552ull,
                                  1844674407370956ull};

static uint64_t quot10(uint64_t t, int j) {
  return (uint64_t)(((u128)t * inv10[j]) >> 64);
}

/* Scales a normal float32 (its bits) as above; 0 when outside the 64-bit
 * range. The decimal exponent from the binary one, floor(log2 * log10(2)),
 * may be one short: then t has nine digits and is made ten. */
static int f32_scale(uint32_t bits, f32dec *d) {
  int be = (int)(bits >> 23 & 0xFF), e = be - 150;
  uint64_t m = (bits & 0x7FFFFF) | 0x800000;
  int x = ((be - 127) * 78913) >> 18; /* |be - 127| < 1650 */
  int k = 8 - x, up = e > 0 ? e : 0;
  int g = (e < 0 ? -e : 0) + 2 - k;
  if (k < 0 || k > 27 || g < 0 || g > 30)
    return 0;
  uint64_t tn = m * lr__pow5_u64[k] << (up + 2), w = lr__pow5_u64[k] << (up + 1);
  if (tn >> g < 1000000000) {
    tn *= 10;
    w *= 10;
  } else {
    x++;
  }
  d->t = tn >> g;
  d->frac = tn & ((1ull << g) - 1);
  d->w = w;
  d->g = g;
  d->x = x;
  d->even = !(m & 1);
  return 1;
}

/* t mod 10^j for j = 1..4, in 2^-g steps with the fraction below t: how
 * far v * 10^k lies above the multiple of 10^j below it. */
static void f32_rests(const f32dec *d, uint64_t rest[5]) {
  uint32_t a = (uint32_t)(d->t - quot10(d->t, 4) * 10000);
  rest[4] = (uint64_t)a << d->g | d->frac;
  rest[3] = (uint64_t)(a % 1000) << d->g | d->frac;
  rest[2] = (uint64_t)(a % 100) << d->g | d->frac;
  rest[1] = (uint64_t)(a % 10) << d->g | d->frac;
}

/* How many of t's ten digits to drop (1..4: p = 9..6) for the shortest
 * text, when v's interval is symmetric. A rounding to 10^j reads back when
 * the nearest multiple of 10^j is within w: the rest r or 10^j - r is
 * below w (or equal, when even). More digits never read back worse, so
 * the three tries are counted, without branches. */
static int f32_drop(const f32dec *d, const uint64_t rest[5]) {
  uint64_t wl = d->w + (uint64_t)d->even;
  int ok4 = (rest[4] < wl) | ((10000ull << d->g) - rest[4] < wl);
  int ok3 = (rest[3] < wl) | ((1000ull << d->g) - rest[3] < wl);
  int ok2 = (rest[2] < wl) | ((100ull << d->g) - rest[2] < wl);
  return 1 + ok2 + ok3 + ok4;
}

/* Whether printf's rounding of t to 10^j (q is t / 10^j) goes up: past
 * half a step, or at exactly half to make the digits even. */
static int f32_up(const f32dec *d, int j, uint64_t rest, uint64_t q) {
  uint64_t half = lr__pow10_u64[j] / 2 << d->g;
  return (rest > half) | ((rest == half) & q & 1);
}

/* The same as f32_drop when v is a power of two above the smallest
 * binade: its neighbour below is half as far (w / 2), so which way the
 * rounding goes matters, and a coarser rounding above can read back where
 * a finer one below does not: tried in order. */
static int f32_drop_tight(const f32dec *d, const uint64_t rest[5]) {
  for (int j = 4; j >= 2; j--) {
    uint64_t step = lr__pow10_u64[j] << d->g;
    if (f32_up(d, j, rest[j], quot10(d->t, j)) ? step - rest[j] < d->w + 1
                                               : rest[j] < d->w / 2 + 1)
      return j;
  }
  return 1;
}

/* Appends a normal float32's text through the 64-bit path; 0 when it is
 * outside it. */
static int put_f32_fast(lr__buf *out, uint32_t bits) {
  f32dec d;
  if (!f32_scale(bits, &d))
    return 0;
  uint64_t rest[5];
  f32_rests(&d, rest);
  int j = bits & 0x7FFFFF || (bits >> 23 & 0xFF) == 1
              ? f32_drop(&d, rest)
              : f32_drop_tight(&d, rest);
  uint64_t digits = quot10(d.t, j);
  digits += (uint64_t)f32_up(&d, j, rest[j], digits);
  int p = 10 - j, x = d.x;
  char s[64];
  fold_carry(&digits, p, &x);
  digit_text10(s, digits);
  put_laid_out(out, (int)(bits >> 31), s + 18 - p, p, x);
  return 1;
}

/* ---- the 128-bit path ---- */

/* |v| = m * 2^e with m's top bit at 2^log2 / 2^e (a normal value). When m
 * is a power of two above the smallest binade, the float below v is half
 * as far away as the one above: `tight_below`. */
typedef struct parts {
  uint64_t m;
  int e, log2, tight_below, negative;
} parts;

/* The same as f32dec, wider: |v| * 10^k = t + frac / unit exactly, with t
 * of P + 1 digits, the first at decimal exponent x of v. w_hi and w_lo are
 * the distances from v to the midpoints with its neighbours above and
 * below, in the same 1/unit steps. */
typedef struct decimal {
  uint64_t t;
  u128 frac, unit, w_hi, w_lo;
  int x, even;
} decimal;

#define E19 10000000000000000000ull
/* 10^k for k <= 38, the largest power of ten below 2^128. */
static const u128 pow10_wide[39] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
    1000000000000ull, 10000000000000ull, 100000000000000ull,
    1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull, 10000000000000000000ull, (u128)E19 * 10ull,
    (u128)E19 * 100ull, (u128)E19 * 1000ull, (u128)E19 * 10000ull,
    (u128)E19 * 100000ull, (u128)E19 * 1000000ull, (u128)E19 * 10000000ull,
    (u128)E19 * 100000000ull, (u128)E19 * 1000000000ull,
    (u128)E19 * 10000000000ull, (u128)E19 * 100000000000ull,
    (u128)E19 * 1000000000000ull, (u128)E19 * 10000000000000ull,
    (u128)E19 * 100000000000000ull, (u128)E19 * 1000000000000000ull,
    (u128)E19 * 10000000000000000ull, (u128)E19 * 100000000000000000ull,
    (u128)E19 * 1000000000000000000ull, (u128)E19 * 10000000000000000000ull,
};

/* |v| * 10^k for v below 10^P, k = P - 1 - x (x is v's decimal exponent
 * or one short): an exact product, then the binary point placed with a
 * shift (unit is a power of two, 4 / 2^e, so the half-ulp distances are
 * whole), times 10 when t has only P digits. -1 when the product would not
 * fit 128 bits: t < 10^(P+1) must leave sh + 2 bits, which `sh_max`
 * gives. */
static int scale_up(const parts *v, int x, int P, int sh_max, decimal *s) {
  int sh = v->e < 0 ? -v->e : 0, up = v->e > 0 ? v->e : 0, k = P - 1 - x;
  if (sh > sh_max || k > 38)
    return -1;
  u128 tn = ((u128)v->m << up) * pow10_wide[k] << 2;
  s->w_hi = pow10_wide[k] << (up + 1); /* 2^(e-1) * 10^k * unit */
  s->x = x + 1;
  if (tn >> (sh + 2) < lr__pow10_u64[P]) {
    tn *= 10;
    s->w_hi *= 10;
    s->x = x;
  }
  s->unit = (u128)1 << (sh + 2);
  s->t = (uint64_t)(tn >> (sh + 2));
  s->frac = tn & (s->unit - 1);
  return 0;
}

/* |v| / 10^(x - P) for v of 10^P or more: v is then a whole number, and
 * one 64-bit division places the decimal point (unit = 10^(x - P)). -1
 * when v does not fit 64 bits (past 1.8e19). */
static int scale_down(const parts *v, int x, int P, decimal *s) {
  if (v->e < 2 || v->e >= 64 || v->m >> (64 - v->e))
    return -1;
  uint64_t num = v->m << v->e; /* below 2^64: x <= 18 */
  x += num >= lr__pow10_u64[x + 1];
  s->unit = lr__pow10_u64[x - P];
  s->t = num / lr__pow10_u64[x - P];
  s->frac = num % lr__pow10_u64[x - P];
  s->w_hi = (u128)1 << (v->e - 1); /* half an ulp of v, times unit */
  s->x = x;
  return 0;
}

/* Scales |v| so that t holds its first P + 1 digits; -1 outside the
 * 128-bit path's range. */
static int wide_scale(const parts *v, int P, int sh_max, decimal *s) {
  int x = (v->log2 * 78913) >> 18; /* floor(log2 * log10(2)), |log2| < 1650 */
  if (x < P ? scale_up(v, x, P, sh_max, s) : scale_down(v, x, P, s))
    return -1;
  if (s->t < lr__pow10_u64[P] || s->t >= lr__pow10_u64[P + 1])
    return -1; /* cannot happen; the slow path would still be right */
  s->w_lo = v->tight_below ? s->w_hi >> 1 : s->w_hi;
  s->even = !(v->m & 1);
  return 0;
}

/* t mod 10^j for j = 1..4, in 1/unit steps with the fraction below t. */
static void wide_rests(const decimal *s, u128 rest[5]) {
  uint32_t a = (uint32_t)(s->t % 10000);
  rest[4] = (u128)a * s->unit + s->frac;
  rest[3] = (u128)(a % 1000) * s->unit + s->frac;
  rest[2] = (u128)(a % 100) * s->unit + s->frac;
  rest[1] = (u128)(a % 10) * s->unit + s->frac;
}

/* How many of t's P + 1 digits to drop (1..4) for the shortest text when
 * v's interval is symmetric: as f32_drop. */
static int wide_drop(const decimal *s, const u128 rest[5]) {
  u128 wl = s->w_hi + (u128)s->even;
  int ok4 = (rest[4] < wl) | (10000 * s->unit - rest[4] < wl);
  int ok3 = (rest[3] < wl) | (1000 * s->unit - rest[3] < wl);
  int ok2 = (rest[2] < wl) | (100 * s->unit - rest[2] < wl);
  return 1 + ok2 + ok3 + ok4;
}

/* Whether printf's rounding of t to 10^j (q is t / 10^j) goes up. */
static int wide_up(const decimal *s, int j, u128 rest, uint64_t q) {
  u128 half = lr__pow10_u64[j] / 2 * s->unit;
  return (rest > half) | ((rest == half) & q & 1);
}

/* wide_drop at a power of two: as f32_drop_tight (a rare case: its
 * division is a real one). */
static int wide_drop_tight(const decimal *s, const u128 rest[5]) {
  for (int j = 4; j >= 2; j--) {
    u128 step = lr__pow10_u64[j] * s->unit;
    if (wide_up(s, j, rest[j], s->t / lr__pow10_u64[j])
            ? step - rest[j] < s->w_hi + 1
            : rest[j] < s->w_lo + 1)
      return j;
  }
  return 1;
}

/* n / 10^j for j = 1..4, each a division by a constant (a
 * multiplication) rather than a division instruction. */
static uint64_t div_pow10(uint64_t n, int j) {
  switch (j) {
  case 1: return n / 10;
  case 2: return n / 100;
  case 3: return n / 1000;
  default: return n / 10000;
  }
}

/* Appends v's text through the 128-bit path, P = lo + 3 digits at most; 0
 * when v is outside it. */
static int put_wide(lr__buf *out, const parts *v, int lo, int sh_max) {
  decimal s;
  u128 rest[5];
  if (wide_scale(v, lo + 3, sh_max, &s))
    return 0;
  wide_rests(&s, rest);
  int j = v->tight_below ? wide_drop_tight(&s, rest) : wide_drop(&s, rest);
  uint64_t digits = div_pow10(s.t, j);
  digits += (uint64_t)wide_up(&s, j, rest[j], digits);
  int p = lo + 4 - j, x = s.x;
  char text[64];
  fold_carry(&digits, p, &x);
  digit_text20(text, digits);
  put_laid_out(out, v->negative, text + 28 - p, p, x);
  return 1;
}

/* Zero is "0" or "-0" at any precision (and common in features). */
static void put_zero(lr__buf *out, int negative) {
  lr__buf_append(out, &"-0"[!negative], 2 - (size_t)!negative);
}

/* float32 outside the 64-bit path: zero, the 128-bit path (where t <
 * 10^10 < 2^34 leaves sh <= 128 - 2 - 34), and the search for subnormals,
 * NaN and infinities (exponent 0 and 255) and far exponents. Kept out of
 * line so that the common path stays a small function (fewer registers
 * saved on each call). */
__attribute__((noinline)) static void put_f32_rest(lr__buf *out, float v,
                                                   int json) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  int be = (int)(bits >> 23 & 0xFF);
  uint32_t frac = bits & 0x7FFFFF;
  parts p = {frac | 1u << 23, be - 150, be - 127, !frac && be > 1,
             (int)(bits >> 31)};
  if (be == 0 && !frac)
    put_zero(out, p.negative);
  else if (be == 0 || be == 0xFF || !put_wide(out, &p, 6, 92)) {
    if (!lr__float_special(out, v, json))
      lr__float_search(out, v, 6, 1);
  }
}

/* float32 bits: 1 sign, 8 exponent (bias 127), 23 mantissa. */
void lr__put_float32(lr__buf *out, float v, int json) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  unsigned be = bits >> 23 & 0xFF;
  if (be - 1 < 254 && put_f32_fast(out, bits)) /* normal, in range */
    return;
  put_f32_rest(out, v, json);
}

/* double bits: 1 sign, 11 exponent (bias 1023), 52 mantissa; t < 10^18 <
 * 2^60 leaves sh <= 128 - 2 - 60. */
void lr__put_float64(lr__buf *out, double v, int json) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  int be = (int)(bits >> 52 & 0x7FF);
  uint64_t frac = bits & 0xFFFFFFFFFFFFFull;
  parts p = {frac | 1ull << 52, be - 1075, be - 1023, !frac && be > 1,
             (int)(bits >> 63)};
  if (be == 0 && !frac)
    put_zero(out, p.negative);
  else if (be == 0 || be == 0x7FF || !put_wide(out, &p, 14, 66)) {
    if (!lr__float_special(out, v, json))
      lr__float_search(out, v, 14, 0);
  }
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void lr__base64_encode(lr__buf *out, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < len)
      v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < len)
      v |= p[i + 2];
    char quad[4] = {b64_alphabet[v >> 18 & 63], b64_alphabet[v >> 12 & 63],
                    i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=',
                    i + 2 < len ? b64_alphabet[v & 63] : '='};
    lr__buf_append(out, quad, 4);
  }
}

static int b64_value(char c) {
  const char *at = c ? strchr(b64_alphabet, c) : NULL;
  return at ? (int)(at - b64_alphabet) : -1;
}

int lr__base64_decode(lr__buf *out, const char *text, size_t len) {
  while (len && text[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return -1;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value(text[i]);
    if (v < 0)
      return -1;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      lr__buf_putc(out, (char)(acc >> bits & 0xff));
    }
  }
  return 0;
}

/*
 * floatsearch.c - the shortest round-trip text of a float by search (see
 * floattext.h): exact decimal digits with 128-bit integers, tried at
 * increasing precision. textval.c's fast paths cover the values features
 * hold and fall back on this for the rest.
 */
#include "floattext.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clocale.h"

/* NaN and infinities have no digits: named instead (JSON has no literal). */
int lr__float_special(lr__buf *out, double v, int json) {
  const char *s = isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  if (!isnan(v) && !isinf(v))
    return 0;
  lr__buf_printf(out, json ? "\"%s\"" : "%s", s);
  return 1;
}

/* ---- shortest round-trip text ----------------------------------------- *
 *
 * The text of a float is printf's `%.{p}g` for the smallest p among lo..lo+3
 * whose text reads back as the same value (lo+3 always does: 9 digits for
 * float32, 17 for double). printf formats the exact binary value, which is
 * slow (a few hundred ns each, and the search formats two or three times),
 * and the feature server prints thousands of floats per response. The
 * fast paths of textval.c cover the values features hold; this search is
 * what they fall back on for the rest (subnormals, far exponents). Its
 * digits are computed with exact 128-bit integer arithmetic, rounded as
 * printf rounds (to nearest, ties to even), whenever the numbers fit; only
 * values far from 1 (outside about 1e-20..1e30) go through snprintf.
 * Reading back stays with strtof/strtod: the test is the same as before,
 * so the output is byte for byte printf's. */

/* 5^n for n <= 27, the largest that fits 64 bits. */
const uint64_t lr__pow5_u64[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull,
    390625ull, 1953125ull, 9765625ull, 48828125ull, 244140625ull,
    1220703125ull, 6103515625ull, 30517578125ull, 152587890625ull,
    762939453125ull, 3814697265625ull, 19073486328125ull,
    95367431640625ull, 476837158203125ull, 2384185791015625ull,
    11920928955078125ull, 59604644775390625ull, 298023223876953125ull,
    1490116119384765625ull, 7450580596923828125ull};

/* 5^n for n <= 31. */
static u128 pow5(int n) {
  return n <= 27 ? lr__pow5_u64[n] : (u128)lr__pow5_u64[27] * lr__pow5_u64[n - 27];
}

/* How a truncated quotient relates to the exact one: the remainder is
 * zero, below half, half, or above half of the divisor. */
enum { REST_ZERO, REST_BELOW, REST_HALF, REST_ABOVE };

static int rest_of(u128 rem, u128 den) {
  return rem == 0 ? REST_ZERO
       : 2 * rem < den ? REST_BELOW
       : 2 * rem == den ? REST_HALF : REST_ABOVE;
}

/* num/den, truncated; *rest says what was cut off. */
static uint64_t divide(u128 num, u128 den, int *rest) {
  u128 q, rem;
  if (!(num >> 64) && !(den >> 64)) { /* one 64-bit division, not 128 */
    q = (uint64_t)num / (uint64_t)den;
    rem = (uint64_t)num % (uint64_t)den;
  } else {
    q = num / den;
    rem = num % den;
  }
  *rest = rest_of(rem, den);
  return (uint64_t)q;
}

/* num / 2^sh, truncated; *rest says what was cut off. */
static uint64_t shift_down(u128 num, int sh, int *rest) {
  *rest = rest_of(num & (((u128)1 << sh) - 1), (u128)1 << sh);
  return (uint64_t)(num >> sh);
}

/* |v| * 10^k exactly, truncated (*rest: what was cut off), when it fits;
 * -1 otherwise. |v| = M * 2^e. */
static int scaled(uint64_t mant, int e, int k, uint64_t *out, int *rest) {
  *rest = REST_ZERO;
  if (k >= 0) { /* M * 5^k * 2^(e+k) */
    if (k > 31)
      return -1;
    u128 n = (u128)mant * pow5(k);
    int s = e + k;
    if (s >= 0) {
      if (s > 20 || (n << s) >> s != n || (n << s) >> 64)
        return -1;
      *out = (uint64_t)(n << s);
    } else {
      if (-s > 120 || (n >> -s) >> 64)
        return -1;
      *out = shift_down(n, -s, rest);
    }
    return 0;
  }
  int q = -k; /* M * 2^(e-q) / 5^q */
  if (q > 27)
    return -1;
  u128 den = pow5(q);
  int s = e - q;
  if ((s >= 0 && s > 70) || (s < 0 && -s > 60))
    return -1;
  u128 num = s >= 0 ? (u128)mant << s : mant;
  if (s < 0)
    den <<= -s;
  if ((num / den) >> 64)
    return -1;
  *out = divide(num, den, rest);
  return 0;
}

/* The first P significant digits of |v|, truncated (an integer of exactly
 * P digits), what was cut off, and the decimal exponent of the first digit
 * (10^x <= |v| < 10^(x+1), exactly); -1 when out of the exact range. */
typedef struct exact {
  uint64_t digits;
  int rest; /* REST_* */
  int p, x;
} exact;

static int exact_digits(double v, int p, exact *out) {
  int e2;
  double fr = frexp(fabs(v), &e2);
  uint64_t mant = (uint64_t)ldexp(fr, 53);
  int e = e2 - 53;
  int x = (int)floor((e2 - 1) * 0.30102999566398119); /* log10(2): +-1 */
  uint64_t lo = 1;
  for (int i = 1; i < p; i++)
    lo *= 10;
  for (int tries = 0; tries < 4; tries++) {
    if (scaled(mant, e, p - 1 - x, &out->digits, &out->rest))
      return -1;
    if (out->digits >= lo * 10)
      x++;
    else if (out->digits < lo)
      x--;
    else {
      out->p = p;
      out->x = x;
      return 0;
    }
  }
  return -1;
}

const uint64_t lr__pow10_u64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull};

/* The exact digits rounded to p <= P significant digits as printf rounds
 * them (to nearest, ties to even): *digits has p digits, *x the exponent
 * after a carry (9.99..5 becomes 1.00.. one decade up). */
static void round_to(const exact *ex, int p, uint64_t *digits, int *x) {
  uint64_t scale = lr__pow10_u64[ex->p - p];
  uint64_t q = ex->digits / scale, r = ex->digits % scale;
  int up = scale == 1
               ? ex->rest == REST_ABOVE || (ex->rest == REST_HALF && (q & 1))
               : r > scale / 2 ||
                     (r == scale / 2 && (ex->rest != REST_ZERO || (q & 1)));
  q += (uint64_t)up;
  *x = ex->x;
  if (q == lr__pow10_u64[p]) {
    q = lr__pow10_u64[p - 1];
    (*x)++;
  }
  *digits = q;
}

/* Writes `digits` (p of them) at decimal exponent x as %g does: trailing
 * zeros dropped, scientific when x < -4 or x >= p. */
static size_t g_format(char *text, int negative, uint64_t digits, int p,
                       int x) {
  char d[24];
  int n = 0;
  for (int i = 0; i < p; i++, digits /= 10)
    d[p - 1 - i] = (char)('0' + digits % 10);
  n = p;
  while (n > 1 && d[n - 1] == '0')
    n--;
  size_t at = 0;
  if (negative)
    text[at++] = '-';
  if (x < -4 || x >= p) {
    text[at++] = d[0];
    if (n > 1) {
      text[at++] = '.';
      memcpy(text + at, d + 1, (size_t)n - 1);
      at += (size_t)n - 1;
    }
    at += (size_t)sprintf(text + at, "e%c%02d", x < 0 ? '-' : '+',
                          x < 0 ? -x : x);
  } else if (x < 0) {
    memcpy(text + at, "0.", 2);
    at += 2;
    for (int i = 0; i < -x - 1; i++)
      text[at++] = '0';
    memcpy(text + at, d, (size_t)n);
    at += (size_t)n;
  } else {
    int whole = x + 1;
    for (int i = 0; i < whole; i++)
      text[at++] = i < n ? d[i] : '0';
    if (n > whole) {
      text[at++] = '.';
      memcpy(text + at, d + whole, (size_t)(n - whole));
      at += (size_t)(n - whole);
    }
  }
  text[at] = '\0';
  return at;
}

static const double exact_pow10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* What strtod (or strtof) gives for digits * 10^(x - p + 1), computed with
 * one correctly rounded operation when both operands are exact doubles
 * (Clinger's fast path); -1 when the text must be parsed. For float32, a
 * double exactly halfway between two floats would round twice: parsed. */
static int read_back(uint64_t digits, int p, int x, int single, double *out) {
  int k = p - 1 - x; /* value = digits / 10^k */
  if (digits > (1ull << 53) || k > 22 || k < -22)
    return -1;
  double d = k >= 0 ? (double)digits / exact_pow10[k]
                    : (double)digits * exact_pow10[-k];
  if (single) {
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    if ((bits & 0x1FFFFFFF) == 0x10000000 || d < 1.1754943508222875e-38)
      return -1; /* a tie between floats, or a subnormal float */
    d = (float)d;
  }
  *out = d;
  return 0;
}

/* Writes v with `precision` significant digits as %g does, from its exact
 * digits `ex`, or through snprintf when they are not known (NULL). */
static void write_g(char *text, size_t cap, double v, const exact *ex,
                    int precision) {
  if (ex) {
    uint64_t digits;
    int x;
    round_to(ex, precision, &digits, &x);
    g_format(text, v < 0, digits, precision, x);
  } else {
    locale_t previous = lr__locale_push(); /* a decimal point, always */
    snprintf(text, cap, "%.*g", precision, v);
    lr__locale_pop(previous);
  }
}

/* Whether `precision` significant digits read back as the same value
 * (float32 when `single`): computed from the digits when Clinger's fast
 * path applies, else by parsing the text. */
static int round_trips(double v, const exact *ex, int precision, int single) {
  if (ex) {
    uint64_t digits;
    int x;
    double back;
    round_to(ex, precision, &digits, &x);
    if (read_back(digits, precision, x, single, &back) == 0)
      return back == fabs(single ? (double)(float)v : v);
  }
  char text[40];
  write_g(text, sizeof text, v, ex, precision);
  return single ? lr__strtof(text, NULL) == (float)v
                : lr__strtod(text, NULL) == v;
}

/* The shortest of lo..lo+3 digits that round-trips (lo+3 always does).
 * More digits never read back worse, so it is a search over a monotone
 * test: two tries instead of up to four. The exact digits are computed
 * once, at lo+3 digits, and rounded for each try; the text is written once,
 * for the answer. */
void lr__float_search(lr__buf *out, double v, int lo, int single) {
  exact ex;
  const exact *known =
      v != 0 && exact_digits(v, lo + 3, &ex) == 0 ? &ex : NULL;
  int p;
  if (round_trips(v, known, lo + 1, single))
    p = round_trips(v, known, lo, single) ? lo : lo + 1;
  else
    p = round_trips(v, known, lo + 2, single) ? lo + 2 : lo + 3;
  char text[40];
  write_g(text, sizeof text, v, known, p);
  lr__buf_puts(out, text);
}

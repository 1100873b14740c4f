/*
 * test_codec.c - the online store's codecs, below the public API: LEB128
 * varints and zigzag (codec/varint.h), the order-preserving entity key
 * (codec/key.h) and the packed row (codec/row.h).
 *
 * Keys: for every key shape the byte order of the encodings (memcmp, then
 * length, as LMDB compares) must equal the order of the values, and decoding
 * must give the values back. Rows: every dtype round-trips, including nulls,
 * empty strings and arrays, NaN, infinities, integer extremes and times
 * before 1970; damaged rows (every truncation, flipped bits, random bytes,
 * out-of-range fields) are refused with -1 and never crash.
 */
#include <math.h>
#include <stdint.h>

#include "codec/crc32c.h"
#include "codec/entry.h"
#include "codec/key.h"
#include "codec/row.h"
#include "codec/varint.h"
#include "helpers.h"
#include "util/dtype.h"
#include "util/buf.h"

/* ---- helpers ------------------------------------------------------------- */

/* A deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* LMDB's default key order: memcmp over the common length, then shorter
 * first. */
static int key_cmp(const uint8_t *a, size_t la, const uint8_t *b, size_t lb) {
  size_t n = la < lb ? la : lb;
  int c = n ? memcmp(a, b, n) : 0;
  if (c)
    return c < 0 ? -1 : 1;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

static int sign(int x) { return (x > 0) - (x < 0); }

static int i64_cmp(int64_t a, int64_t b) { return (a > b) - (a < b); }

/* Byte-string order (what string keys mean by "less"). */
static int str_cmp(const char *a, size_t la, const char *b, size_t lb) {
  return key_cmp((const uint8_t *)a, la, (const uint8_t *)b, lb);
}

static lr__keypart kp_int(uint8_t dt, int64_t v) {
  lr__keypart p = {.dtype = dt, .i = v};
  return p;
}

static lr__keypart kp_str(const char *s, size_t len) {
  lr__keypart p = {.dtype = LR__DT_STRING, .ptr = s, .len = len};
  return p;
}

/* Encodes, asserting success; returns the length. */
static size_t enc(const lr__keypart *parts, int n, uint8_t *out) {
  size_t len = lr__key_encode(parts, n, out);
  cr_assert_gt(len, 0, "key encoding failed");
  cr_assert_leq(len, LR__KEY_MAX);
  return len;
}

/* Strings with embedded NULs, prefixes and high bytes; length in the table. */
typedef struct sample {
  const char *s;
  size_t len;
} sample;

static const sample strings[] = {
    {"", 0},        {"\0", 1},       {"\0\0", 2},     {"\0\x01", 2},
    {"\0\xff", 2},  {"\x01", 1},     {"a", 1},        {"a\0", 2},
    {"a\0\0", 3},   {"a\0b", 3},     {"a\x01", 2},    {"ab", 2},
    {"ab\0", 3},    {"abc", 3},      {"b", 1},        {"\xfe", 1},
    {"\xff", 1},    {"\xff\0", 2},   {"\xff\xff", 2}, {"zz\0\xff", 4},
};
#define N_STRINGS (sizeof strings / sizeof strings[0])

/* ---- varints ------------------------------------------------------------- */

Test(codec, c001_varint_round_trip_and_lengths) {
  const struct {
    uint64_t v;
    size_t bytes;
  } cases[] = {
      {0, 1},
      {1, 1},
      {127, 1},
      {128, 2},
      {300, 2},
      {16383, 2},
      {16384, 3},
      {(1ull << 32) - 1, 5},
      {1ull << 35, 6},
      {(1ull << 63) - 1, 9},
      {1ull << 63, 10},
      {UINT64_MAX, 10},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lr__buf b;
    lr__buf_init(&b);
    lr__varint_put(&b, cases[i].v);
    cr_assert_eq(b.len, cases[i].bytes, "varint %llu took %zu bytes",
                 (unsigned long long)cases[i].v, b.len);
    const uint8_t *p = (const uint8_t *)b.data, *end = p + b.len;
    uint64_t got = 0;
    cr_assert_eq(lr__varint_get(&p, end, &got), 0);
    cr_assert_eq(got, cases[i].v);
    cr_assert_eq(p, end, "the reader must consume exactly the varint");
    lr__buf_free(&b);
  }
  /* random values, several in one buffer read back in sequence */
  lr__buf b;
  lr__buf_init(&b);
  uint64_t vals[500];
  for (int i = 0; i < 500; i++) {
    vals[i] = rnd() >> (rnd() % 64);
    lr__varint_put(&b, vals[i]);
  }
  const uint8_t *p = (const uint8_t *)b.data, *end = p + b.len;
  for (int i = 0; i < 500; i++) {
    uint64_t got;
    cr_assert_eq(lr__varint_get(&p, end, &got), 0);
    cr_assert_eq(got, vals[i], "value %d", i);
  }
  cr_assert_eq(p, end);
  lr__buf_free(&b);
}

Test(codec, c002_zigzag_round_trip_incl_extremes) {
  const int64_t cases[] = {0,         -1,        1,          -2,
                           2,         63,        -64,        64,
                           INT32_MAX, INT32_MIN, INT64_MAX,  INT64_MIN,
                           INT64_MAX - 1, INT64_MIN + 1};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t v = cases[i];
    cr_assert_eq(lr__unzigzag(lr__zigzag(v)), v, "zigzag(%lld)",
                 (long long)v);
    /* through a varint too */
    lr__buf b;
    lr__buf_init(&b);
    lr__varint_put(&b, lr__zigzag(v));
    const uint8_t *p = (const uint8_t *)b.data;
    uint64_t u;
    cr_assert_eq(lr__varint_get(&p, p + b.len, &u), 0);
    cr_assert_eq(lr__unzigzag(u), v);
    lr__buf_free(&b);
  }
  /* small magnitudes stay small: 0,-1,1,-2,2 -> 0,1,2,3,4 */
  cr_assert_eq(lr__zigzag(0), 0u);
  cr_assert_eq(lr__zigzag(-1), 1u);
  cr_assert_eq(lr__zigzag(1), 2u);
  cr_assert_eq(lr__zigzag(-2), 3u);
  cr_assert_eq(lr__zigzag(2), 4u);
  cr_assert_eq(lr__zigzag(INT64_MAX), UINT64_MAX - 1);
  cr_assert_eq(lr__zigzag(INT64_MIN), UINT64_MAX);
  for (int i = 0; i < 2000; i++) {
    int64_t v = (int64_t)rnd();
    cr_assert_eq(lr__unzigzag(lr__zigzag(v)), v);
  }
}

Test(codec, c003_varint_truncated_or_overlong_fails) {
  lr__buf b;
  lr__buf_init(&b);
  lr__varint_put(&b, UINT64_MAX);
  for (size_t cut = 0; cut < b.len; cut++) {
    const uint8_t *p = (const uint8_t *)b.data;
    uint64_t v;
    cr_assert_eq(lr__varint_get(&p, p + cut, &v), -1, "cut at %zu", cut);
  }
  lr__buf_free(&b);
  /* eleven continuation bytes: longer than 64 bits */
  uint8_t overlong[11];
  memset(overlong, 0x80, sizeof overlong);
  const uint8_t *p = overlong;
  uint64_t v;
  cr_assert_eq(lr__varint_get(&p, overlong + sizeof overlong, &v), -1);
}

/* ---- keys ---------------------------------------------------------------- */

Test(codec, c004_key_int64_order_and_round_trip) {
  int64_t vals[64] = {INT64_MIN, INT64_MIN + 1, -256, -255, -1, 0, 1,
                      255,       256,           INT64_MAX - 1, INT64_MAX};
  int n = 11;
  while (n < 64)
    vals[n++] = (int64_t)rnd() >> (rnd() % 60);
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX];
  for (int i = 0; i < n; i++) {
    lr__keypart a = kp_int(LR__DT_INT64, vals[i]);
    size_t la = enc(&a, 1, ka);
    cr_assert_eq(la, 8);
    lr__keypart back = {.dtype = LR__DT_INT64};
    cr_assert_eq(lr__key_decode(ka, la, &back, 1, NULL), 0);
    cr_assert_eq(back.i, vals[i]);
    for (int j = 0; j < n; j++) {
      lr__keypart b = kp_int(LR__DT_INT64, vals[j]);
      size_t lb = enc(&b, 1, kb);
      cr_assert_eq(key_cmp(ka, la, kb, lb), i64_cmp(vals[i], vals[j]),
                   "%lld vs %lld", (long long)vals[i], (long long)vals[j]);
    }
  }
  /* many random pairs */
  for (int t = 0; t < 5000; t++) {
    int64_t x = (int64_t)rnd(), y = (int64_t)rnd();
    if (t % 5 == 0)
      y = x; /* some equal pairs */
    else if (t % 7 == 0 && x < INT64_MAX)
      y = x + 1; /* and neighbours */
    lr__keypart a = kp_int(LR__DT_INT64, x), b = kp_int(LR__DT_INT64, y);
    size_t la = enc(&a, 1, ka), lb = enc(&b, 1, kb);
    cr_assert_eq(key_cmp(ka, la, kb, lb), i64_cmp(x, y), "%lld vs %lld",
                 (long long)x, (long long)y);
  }
}

Test(codec, c005_key_int32_order_and_round_trip) {
  int64_t vals[48] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535,
                      INT32_MAX - 1, INT32_MAX};
  int n = 9;
  while (n < 48)
    vals[n++] = (int32_t)(uint32_t)rnd();
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX];
  for (int i = 0; i < n; i++) {
    lr__keypart a = kp_int(LR__DT_INT32, vals[i]);
    size_t la = enc(&a, 1, ka);
    cr_assert_eq(la, 4, "int32 keys take 4 bytes");
    lr__keypart back = {.dtype = LR__DT_INT32};
    cr_assert_eq(lr__key_decode(ka, la, &back, 1, NULL), 0);
    cr_assert_eq(back.i, vals[i], "int32 %lld decoded as %lld",
                 (long long)vals[i], (long long)back.i);
    for (int j = 0; j < n; j++) {
      lr__keypart b = kp_int(LR__DT_INT32, vals[j]);
      size_t lb = enc(&b, 1, kb);
      cr_assert_eq(key_cmp(ka, la, kb, lb), i64_cmp(vals[i], vals[j]));
    }
  }
}

Test(codec, c006_key_string_order_with_nuls_and_prefixes) {
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX], scratch[LR__KEY_MAX];
  /* the named cases: "a" < "a\0" < "ab" */
  lr__keypart a = kp_str("a", 1), a0 = kp_str("a\0", 2), ab = kp_str("ab", 2);
  size_t la = enc(&a, 1, ka), lb = enc(&a0, 1, kb);
  cr_assert_lt(key_cmp(ka, la, kb, lb), 0, "\"a\" < \"a\\0\"");
  la = enc(&ab, 1, ka);
  cr_assert_gt(key_cmp(ka, la, kb, lb), 0, "\"a\\0\" < \"ab\"");
  /* every pair of samples (the empty string cannot be a lone key) */
  for (size_t i = 1; i < N_STRINGS; i++) {
    lr__keypart x = kp_str(strings[i].s, strings[i].len);
    la = enc(&x, 1, ka);
    lr__keypart back = {.dtype = LR__DT_STRING};
    cr_assert_eq(lr__key_decode(ka, la, &back, 1, scratch), 0);
    cr_assert_eq(back.len, strings[i].len);
    cr_assert_eq(memcmp(back.ptr, strings[i].s, back.len), 0, "sample %zu", i);
    for (size_t j = 1; j < N_STRINGS; j++) {
      lr__keypart y = kp_str(strings[j].s, strings[j].len);
      lb = enc(&y, 1, kb);
      cr_assert_eq(key_cmp(ka, la, kb, lb),
                   str_cmp(strings[i].s, strings[i].len, strings[j].s,
                           strings[j].len),
                   "sample %zu vs %zu", i, j);
    }
  }
}

/* Composite (int64, string): order is by the integer, then the string. */
Test(codec, c007_key_composite_int64_string) {
  const int64_t ints[] = {INT64_MIN, -1, 0, 1, 7, INT64_MAX};
  const int n_ints = sizeof ints / sizeof ints[0];
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX], scratch[LR__KEY_MAX];
  for (int ia = 0; ia < n_ints; ia++)
    for (size_t sa = 0; sa < N_STRINGS; sa++) {
      lr__keypart pa[2] = {kp_int(LR__DT_INT64, ints[ia]),
                           kp_str(strings[sa].s, strings[sa].len)};
      size_t la = enc(pa, 2, ka);
      lr__keypart back[2] = {{.dtype = LR__DT_INT64},
                             {.dtype = LR__DT_STRING}};
      cr_assert_eq(lr__key_decode(ka, la, back, 2, scratch), 0);
      cr_assert_eq(back[0].i, ints[ia]);
      cr_assert_eq(back[1].len, strings[sa].len);
      cr_assert_eq(memcmp(back[1].ptr, strings[sa].s, back[1].len), 0);
      for (int ib = 0; ib < n_ints; ib++)
        for (size_t sb = 0; sb < N_STRINGS; sb++) {
          lr__keypart pb[2] = {kp_int(LR__DT_INT64, ints[ib]),
                               kp_str(strings[sb].s, strings[sb].len)};
          size_t lb = enc(pb, 2, kb);
          int want = i64_cmp(ints[ia], ints[ib]);
          if (!want)
            want = str_cmp(strings[sa].s, strings[sa].len, strings[sb].s,
                           strings[sb].len);
          cr_assert_eq(sign(key_cmp(ka, la, kb, lb)), want,
                       "(%lld, #%zu) vs (%lld, #%zu)", (long long)ints[ia], sa,
                       (long long)ints[ib], sb);
        }
    }
}

/* Composite (string, int64): the string is not last, so it is escaped and
 * terminated; order is by the string first, even when one is a prefix of
 * the other or holds NUL bytes. */
Test(codec, c008_key_composite_string_int64) {
  const int64_t ints[] = {INT64_MIN, -1, 0, 1, 256, INT64_MAX};
  const int n_ints = sizeof ints / sizeof ints[0];
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX], scratch[LR__KEY_MAX];
  for (size_t sa = 0; sa < N_STRINGS; sa++)
    for (int ia = 0; ia < n_ints; ia++) {
      lr__keypart pa[2] = {kp_str(strings[sa].s, strings[sa].len),
                           kp_int(LR__DT_INT64, ints[ia])};
      size_t la = enc(pa, 2, ka);
      lr__keypart back[2] = {{.dtype = LR__DT_STRING},
                             {.dtype = LR__DT_INT64}};
      cr_assert_eq(lr__key_decode(ka, la, back, 2, scratch), 0,
                   "decode (#%zu, %lld)", sa, (long long)ints[ia]);
      cr_assert_eq(back[0].len, strings[sa].len, "sample %zu", sa);
      cr_assert_eq(memcmp(back[0].ptr, strings[sa].s, back[0].len), 0);
      cr_assert_eq(back[1].i, ints[ia]);
      for (size_t sb = 0; sb < N_STRINGS; sb++)
        for (int ib = 0; ib < n_ints; ib++) {
          lr__keypart pb[2] = {kp_str(strings[sb].s, strings[sb].len),
                               kp_int(LR__DT_INT64, ints[ib])};
          size_t lb = enc(pb, 2, kb);
          int want = str_cmp(strings[sa].s, strings[sa].len, strings[sb].s,
                             strings[sb].len);
          if (!want)
            want = i64_cmp(ints[ia], ints[ib]);
          cr_assert_eq(sign(key_cmp(ka, la, kb, lb)), want,
                       "(#%zu, %lld) vs (#%zu, %lld)", sa, (long long)ints[ia],
                       sb, (long long)ints[ib]);
        }
    }
}

/* Three parts with two escaped strings: (string, string, int32). */
Test(codec, c009_key_composite_two_strings_round_trip_and_order) {
  uint8_t ka[LR__KEY_MAX], kb[LR__KEY_MAX], scratch[LR__KEY_MAX];
  for (size_t a1 = 0; a1 < N_STRINGS; a1 += 3)
    for (size_t a2 = 0; a2 < N_STRINGS; a2 += 2) {
      lr__keypart pa[3] = {kp_str(strings[a1].s, strings[a1].len),
                           kp_str(strings[a2].s, strings[a2].len),
                           kp_int(LR__DT_INT32, -5)};
      size_t la = enc(pa, 3, ka);
      lr__keypart back[3] = {{.dtype = LR__DT_STRING},
                             {.dtype = LR__DT_STRING},
                             {.dtype = LR__DT_INT32}};
      cr_assert_eq(lr__key_decode(ka, la, back, 3, scratch), 0);
      cr_assert_eq(back[0].len, strings[a1].len);
      cr_assert_eq(memcmp(back[0].ptr, strings[a1].s, back[0].len), 0);
      cr_assert_eq(back[1].len, strings[a2].len);
      cr_assert_eq(memcmp(back[1].ptr, strings[a2].s, back[1].len), 0);
      cr_assert_eq(back[2].i, -5);
      for (size_t b1 = 0; b1 < N_STRINGS; b1 += 3)
        for (size_t b2 = 0; b2 < N_STRINGS; b2 += 2) {
          lr__keypart pb[3] = {kp_str(strings[b1].s, strings[b1].len),
                               kp_str(strings[b2].s, strings[b2].len),
                               kp_int(LR__DT_INT32, -5)};
          size_t lb = enc(pb, 3, kb);
          int want = str_cmp(strings[a1].s, strings[a1].len, strings[b1].s,
                             strings[b1].len);
          if (!want)
            want = str_cmp(strings[a2].s, strings[a2].len, strings[b2].s,
                           strings[b2].len);
          cr_assert_eq(sign(key_cmp(ka, la, kb, lb)), want);
        }
    }
}

Test(codec, c010_key_too_long_or_empty_gives_zero) {
  static char big[2 * LR__KEY_MAX];
  memset(big, 'x', sizeof big);
  uint8_t out[LR__KEY_MAX + 64];
  /* a lone string: up to LR__KEY_MAX bytes fit */
  lr__keypart p = kp_str(big, LR__KEY_MAX);
  cr_assert_eq(lr__key_encode(&p, 1, out), (size_t)LR__KEY_MAX);
  p = kp_str(big, LR__KEY_MAX + 1);
  cr_assert_eq(lr__key_encode(&p, 1, out), 0);
  p = kp_str(big, sizeof big);
  cr_assert_eq(lr__key_encode(&p, 1, out), 0);
  /* a lone empty string: LMDB cannot store an empty key */
  p = kp_str("", 0);
  cr_assert_eq(lr__key_encode(&p, 1, out), 0);
  /* int64 then string: 8 + len */
  lr__keypart two[2] = {kp_int(LR__DT_INT64, 1), kp_str(big, LR__KEY_MAX - 8)};
  cr_assert_eq(lr__key_encode(two, 2, out), (size_t)LR__KEY_MAX);
  two[1].len = LR__KEY_MAX - 7;
  cr_assert_eq(lr__key_encode(two, 2, out), 0);
  /* an escaped first part grows: NULs take two bytes each */
  static char nuls[300];
  memset(nuls, 0, sizeof nuls);
  lr__keypart esc[2] = {kp_str(nuls, sizeof nuls), kp_int(LR__DT_INT64, 1)};
  cr_assert_eq(lr__key_encode(esc, 2, out), 0, "300 NULs escape to 600 bytes");
  esc[0].len = 250; /* 500 + terminator 2 + int 8 = 510 */
  size_t len = lr__key_encode(esc, 2, out);
  cr_assert_eq(len, 510);
  uint8_t scratch[LR__KEY_MAX];
  lr__keypart back[2] = {{.dtype = LR__DT_STRING}, {.dtype = LR__DT_INT64}};
  cr_assert_eq(lr__key_decode(out, len, back, 2, scratch), 0);
  cr_assert_eq(back[0].len, 250);
  cr_assert_eq(memcmp(back[0].ptr, nuls, 250), 0);
  cr_assert_eq(back[1].i, 1);
  /* an empty string in a composite key is fine */
  lr__keypart e2[2] = {kp_str("", 0), kp_str("", 0)};
  cr_assert_gt(lr__key_encode(e2, 2, out), 0);
}

Test(codec, c011_key_decode_rejects_malformed) {
  uint8_t scratch[LR__KEY_MAX];
  uint8_t key[16] = {0};
  lr__keypart one64 = {.dtype = LR__DT_INT64};
  cr_assert_eq(lr__key_decode(key, 7, &one64, 1, scratch), -1, "short int64");
  cr_assert_eq(lr__key_decode(key, 9, &one64, 1, scratch), -1,
               "trailing bytes after an int64");
  lr__keypart one32 = {.dtype = LR__DT_INT32};
  cr_assert_eq(lr__key_decode(key, 3, &one32, 1, scratch), -1);
  cr_assert_eq(lr__key_decode(key, 5, &one32, 1, scratch), -1);
  /* (string, int64): a string part without its 00 01 terminator */
  lr__keypart si[2] = {{.dtype = LR__DT_STRING}, {.dtype = LR__DT_INT64}};
  const uint8_t unterminated[] = {'a', 'b', 'c'};
  cr_assert_eq(lr__key_decode(unterminated, 3, si, 2, scratch), -1);
  const uint8_t lone_zero[] = {'a', 0};
  cr_assert_eq(lr__key_decode(lone_zero, 2, si, 2, scratch), -1);
  const uint8_t bad_escape[] = {'a', 0, 0x05, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  cr_assert_eq(lr__key_decode(bad_escape, sizeof bad_escape, si, 2, scratch),
               -1);
  /* terminated string but the int64 is short */
  const uint8_t short_int[] = {'a', 0, 1, 0x80, 0, 0};
  cr_assert_eq(lr__key_decode(short_int, sizeof short_int, si, 2, scratch),
               -1);
}

/* ---- rows ---------------------------------------------------------------- */

/* Every dtype, in slot order. */
static const uint8_t all_types[] = {
    LR__DT_BOOL,    LR__DT_INT32,   LR__DT_INT64,
    LR__DT_FLOAT32, LR__DT_FLOAT64, LR__DT_STRING,
    LR__DT_BYTES,   LR__DT_TIMESTAMP,
    LR__DT_ARRAY | LR__DT_FLOAT32,  LR__DT_ARRAY | LR__DT_INT64,
    LR__DT_ARRAY | LR__DT_STRING,   LR__DT_ARRAY | LR__DT_INT32,
    LR__DT_ARRAY | LR__DT_FLOAT64,
};
#define N_ALL (sizeof all_types / sizeof all_types[0])

/* The payload of an array<string> in row form: varint length + bytes each. */
static void put_str_array(lr__buf *b, const sample *items, int n) {
  for (int i = 0; i < n; i++) {
    lr__varint_put(b, items[i].len);
    lr__buf_append(b, items[i].s, items[i].len);
  }
}

/* Parses a decoded array<string> cell back into lengths/bytes and compares
 * with `items`. */
static void assert_str_array(const lr__cell *c, const sample *items, int n) {
  cr_assert_eq(c->count, (uint32_t)n);
  const uint8_t *p = c->ptr, *end = c->ptr + c->len;
  for (int i = 0; i < n; i++) {
    uint64_t len;
    cr_assert_eq(lr__varint_get(&p, end, &len), 0);
    cr_assert_eq(len, items[i].len);
    cr_assert_leq(len, (uint64_t)(end - p));
    cr_assert_eq(memcmp(p, items[i].s, len), 0, "array item %d", i);
    p += len;
  }
  cr_assert_eq(p, end);
}

/* Encodes then decodes; returns the row length, fills `h` and `out`. */
static lr__buf round_trip(const uint8_t *types, uint32_t n,
                          const lr__cell *cells, int64_t event, int64_t created,
                          lr__row_header *h, lr__cell *out) {
  lr__buf row;
  lr__buf_init(&row);
  lr__row_encode(types, n, cells, event, created, &row);
  cr_assert(!lr__buf_failed(&row));
  cr_assert_gt(row.len, 0);
  memset(out, 0xA5, n * sizeof *out); /* garbage the decoder must overwrite */
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, n, h,
                              out),
               0, "a valid row must decode");
  cr_assert_eq(h->event_us, event);
  cr_assert_eq(h->created_us, created);
  cr_assert_eq(h->n_slots, n);
  lr__row_header h2;
  cr_assert_eq(lr__row_header_read((const uint8_t *)row.data, row.len, &h2),
               0);
  cr_assert_eq(h2.event_us, event);
  cr_assert_eq(h2.created_us, created);
  cr_assert_eq(h2.n_slots, n);
  return row;
}

/* A full row of every dtype with ordinary values. */
static const float af32[] = {1.5f, -2.25f, 0.1f};
static const int64_t ai64[] = {INT64_MIN, 0, INT64_MAX, -7};
static const int32_t ai32[] = {INT32_MIN, -1, INT32_MAX};
static const double af64[] = {1e300, -0.0, 3.141592653589793};
static const sample astr[] = {{"hello", 5}, {"", 0}, {"a\0b", 3}, {"\xff", 1}};

static void fill_all(lr__cell *c, lr__buf *strarr) {
  memset(c, 0, N_ALL * sizeof *c);
  c[0].v.b = 1;
  c[1].v.i32 = -123456;
  c[2].v.i64 = 1234567890123LL;
  c[3].v.f32 = 0.1f;
  c[4].v.f64 = -2.5e-300;
  c[5].ptr = (const uint8_t *)"caf\xc3\xa9";
  c[5].len = 5;
  c[6].ptr = (const uint8_t *)"\0\x01\xfe\xff";
  c[6].len = 4;
  c[7].v.i64 = 1704103200123456LL;
  c[8].ptr = (const uint8_t *)af32;
  c[8].len = sizeof af32;
  c[8].count = 3;
  c[9].ptr = (const uint8_t *)ai64;
  c[9].len = sizeof ai64;
  c[9].count = 4;
  put_str_array(strarr, astr, 4);
  c[10].ptr = (const uint8_t *)strarr->data;
  c[10].len = strarr->len;
  c[10].count = 4;
  c[11].ptr = (const uint8_t *)ai32;
  c[11].len = sizeof ai32;
  c[11].count = 3;
  c[12].ptr = (const uint8_t *)af64;
  c[12].len = sizeof af64;
  c[12].count = 3;
}

/* fill_all's row, cell 4 null, encoded into `row` (initialised here) at
 * event and created times `ev`, `cr`; `strarr` (initialised here) holds
 * its string-array payload. */
static void encode_all_null4(lr__cell *cells, lr__buf *strarr, int64_t ev,
                             int64_t cr, lr__buf *row) {
  lr__buf_init(strarr);
  fill_all(cells, strarr);
  cells[4].is_null = 1;
  lr__buf_init(row);
  lr__row_encode(all_types, N_ALL, cells, ev, cr, row);
}

static void assert_all(const lr__cell *d) {
  for (size_t i = 0; i < N_ALL; i++)
    cr_assert_eq(d[i].is_null, 0, "slot %zu", i);
  cr_assert_eq(d[0].v.b, 1);
  cr_assert_eq(d[1].v.i32, -123456);
  cr_assert_eq(d[2].v.i64, 1234567890123LL);
  cr_assert_eq(d[3].v.f32, 0.1f);
  cr_assert_eq(d[4].v.f64, -2.5e-300);
  cr_assert_eq(d[5].len, 5);
  cr_assert_eq(memcmp(d[5].ptr, "caf\xc3\xa9", 5), 0);
  cr_assert_eq(d[6].len, 4);
  cr_assert_eq(memcmp(d[6].ptr, "\0\x01\xfe\xff", 4), 0);
  cr_assert_eq(d[7].v.i64, 1704103200123456LL);
  cr_assert_eq(d[8].count, 3);
  cr_assert_eq(d[8].len, sizeof af32);
  cr_assert_eq(memcmp(d[8].ptr, af32, sizeof af32), 0);
  cr_assert_eq(d[9].count, 4);
  cr_assert_eq(d[9].len, sizeof ai64);
  cr_assert_eq(memcmp(d[9].ptr, ai64, sizeof ai64), 0);
  assert_str_array(&d[10], astr, 4);
  cr_assert_eq(d[11].count, 3);
  cr_assert_eq(memcmp(d[11].ptr, ai32, sizeof ai32), 0);
  cr_assert_eq(d[12].count, 3);
  cr_assert_eq(memcmp(d[12].ptr, af64, sizeof af64), 0);
}

Test(codec, c012_row_every_dtype_round_trip_without_created) {
  lr__cell cells[N_ALL], out[N_ALL];
  lr__buf strarr;
  lr__buf_init(&strarr);
  fill_all(cells, &strarr);
  lr__row_header h;
  lr__buf row = round_trip(all_types, N_ALL, cells, 1704103200000000LL,
                           LR__ROW_NO_CREATED, &h, out);
  assert_all(out);
  lr__buf_free(&row);
  lr__buf_free(&strarr);
}

Test(codec, c013_row_every_dtype_round_trip_with_created) {
  lr__cell cells[N_ALL], out[N_ALL];
  lr__buf strarr;
  lr__buf_init(&strarr);
  fill_all(cells, &strarr);
  lr__row_header h;
  /* created after, equal to and before the event time */
  const int64_t event = 1704103200654321LL;
  const int64_t created[] = {event + 3600000000LL, event, event - 1,
                             event - 86400000000LL * 365, event + 1};
  for (size_t i = 0; i < sizeof created / sizeof created[0]; i++) {
    lr__buf row = round_trip(all_types, N_ALL, cells, event, created[i], &h,
                             out);
    assert_all(out);
    lr__buf_free(&row);
  }
  lr__buf_free(&strarr);
}

Test(codec, c014_row_nulls_round_trip) {
  lr__cell cells[N_ALL], out[N_ALL];
  lr__buf strarr;
  lr__buf_init(&strarr);
  /* every slot null */
  memset(cells, 0, sizeof cells);
  for (size_t i = 0; i < N_ALL; i++)
    cells[i].is_null = 1;
  lr__row_header h;
  lr__buf row = round_trip(all_types, N_ALL, cells, 0, LR__ROW_NO_CREATED, &h,
                           out);
  for (size_t i = 0; i < N_ALL; i++)
    cr_assert_eq(out[i].is_null, 1, "slot %zu", i);
  lr__buf_free(&row);
  /* each slot null alone; the others keep their values */
  for (size_t k = 0; k < N_ALL; k++) {
    lr__buf_reset(&strarr);
    fill_all(cells, &strarr);
    cells[k].is_null = 1;
    row = round_trip(all_types, N_ALL, cells, 5, 6, &h, out);
    for (size_t i = 0; i < N_ALL; i++)
      cr_assert_eq(out[i].is_null, i == k, "null slot %zu, slot %zu", k, i);
    if (k != 5)
      cr_assert_eq(memcmp(out[5].ptr, "caf\xc3\xa9", 5), 0);
    if (k != 10)
      assert_str_array(&out[10], astr, 4);
    if (k != 12)
      cr_assert_eq(memcmp(out[12].ptr, af64, sizeof af64), 0);
    lr__buf_free(&row);
  }
  lr__buf_free(&strarr);
}

/* More than 8 and 16 slots: the null bitmap spans bytes. */
Test(codec, c015_row_null_bitmap_over_several_bytes) {
  enum { N = 21 };
  uint8_t types[N];
  lr__cell cells[N], out[N];
  memset(cells, 0, sizeof cells);
  for (int i = 0; i < N; i++) {
    types[i] = LR__DT_INT64;
    cells[i].is_null = (i % 3 == 0) || i == 8 || i == 20;
    cells[i].v.i64 = i * 1000 - 7;
  }
  lr__row_header h;
  lr__buf row = round_trip(types, N, cells, -1, LR__ROW_NO_CREATED, &h, out);
  for (int i = 0; i < N; i++) {
    cr_assert_eq(out[i].is_null, cells[i].is_null, "slot %d", i);
    if (!cells[i].is_null)
      cr_assert_eq(out[i].v.i64, i * 1000 - 7);
  }
  lr__buf_free(&row);
}

Test(codec, c016_row_empty_strings_and_arrays) {
  lr__cell cells[N_ALL], out[N_ALL];
  memset(cells, 0, sizeof cells);
  /* empty string, empty bytes and every array empty; ptr NULL (as a writer
   * with nothing to point at has) */
  lr__row_header h;
  lr__buf row = round_trip(all_types, N_ALL, cells, 1, LR__ROW_NO_CREATED, &h,
                           out);
  cr_assert_eq(out[5].is_null, 0);
  cr_assert_eq(out[5].len, 0);
  cr_assert_eq(out[6].is_null, 0);
  cr_assert_eq(out[6].len, 0);
  for (size_t i = 8; i < N_ALL; i++) {
    cr_assert_eq(out[i].is_null, 0, "slot %zu", i);
    cr_assert_eq(out[i].count, 0, "slot %zu", i);
    cr_assert_eq(out[i].len, 0, "slot %zu", i);
  }
  /* an array<string> of empty strings is not an empty array */
  const sample empties[] = {{"", 0}, {"", 0}, {"", 0}};
  lr__buf sa;
  lr__buf_init(&sa);
  put_str_array(&sa, empties, 3);
  cells[10].ptr = (const uint8_t *)sa.data;
  cells[10].len = sa.len;
  cells[10].count = 3;
  lr__buf_free(&row);
  row = round_trip(all_types, N_ALL, cells, 1, LR__ROW_NO_CREATED, &h, out);
  assert_str_array(&out[10], empties, 3);
  lr__buf_free(&row);
  lr__buf_free(&sa);
}

Test(codec, c017_row_float_specials_and_int_extremes) {
  const uint8_t types[] = {LR__DT_FLOAT32, LR__DT_FLOAT32, LR__DT_FLOAT32,
                           LR__DT_FLOAT32, LR__DT_FLOAT64, LR__DT_FLOAT64,
                           LR__DT_FLOAT64, LR__DT_FLOAT64, LR__DT_INT64,
                           LR__DT_INT64,   LR__DT_INT32,   LR__DT_INT32,
                           LR__DT_TIMESTAMP, LR__DT_TIMESTAMP, LR__DT_FLOAT32,
                           LR__DT_FLOAT64};
  enum { N = sizeof types };
  lr__cell cells[N], out[N];
  memset(cells, 0, sizeof cells);
  cells[0].v.f32 = NAN;
  cells[1].v.f32 = INFINITY;
  cells[2].v.f32 = -INFINITY;
  cells[3].v.f32 = -0.0f;
  cells[4].v.f64 = NAN;
  cells[5].v.f64 = INFINITY;
  cells[6].v.f64 = -INFINITY;
  cells[7].v.f64 = -0.0;
  cells[8].v.i64 = INT64_MIN;
  cells[9].v.i64 = INT64_MAX;
  cells[10].v.i32 = INT32_MIN;
  cells[11].v.i32 = INT32_MAX;
  cells[12].v.i64 = INT64_MIN; /* timestamp values are plain 8 bytes */
  cells[13].v.i64 = INT64_MAX;
  cells[14].v.f32 = 1.17549435e-38f / 4; /* subnormal */
  cells[15].v.f64 = 4.9e-324;            /* smallest subnormal */
  lr__row_header h;
  lr__buf row = round_trip(types, N, cells, 0, LR__ROW_NO_CREATED, &h, out);
  cr_assert(isnan(out[0].v.f32));
  cr_assert(isinf(out[1].v.f32) && out[1].v.f32 > 0);
  cr_assert(isinf(out[2].v.f32) && out[2].v.f32 < 0);
  cr_assert(out[3].v.f32 == 0 && signbit(out[3].v.f32), "-0.0f keeps its sign");
  cr_assert(isnan(out[4].v.f64));
  cr_assert(isinf(out[5].v.f64) && out[5].v.f64 > 0);
  cr_assert(isinf(out[6].v.f64) && out[6].v.f64 < 0);
  cr_assert(out[7].v.f64 == 0 && signbit(out[7].v.f64));
  cr_assert_eq(out[8].v.i64, INT64_MIN);
  cr_assert_eq(out[9].v.i64, INT64_MAX);
  cr_assert_eq(out[10].v.i32, INT32_MIN);
  cr_assert_eq(out[11].v.i32, INT32_MAX);
  cr_assert_eq(out[12].v.i64, INT64_MIN);
  cr_assert_eq(out[13].v.i64, INT64_MAX);
  cr_assert_eq(memcmp(&out[14].v.f32, &cells[14].v.f32, 4), 0);
  cr_assert_eq(memcmp(&out[15].v.f64, &cells[15].v.f64, 8), 0);
  /* NaN payloads are kept bit for bit */
  uint32_t nan_bits = 0x7fc01234u;
  memcpy(&cells[0].v.f32, &nan_bits, 4);
  lr__buf_free(&row);
  row = round_trip(types, N, cells, 0, LR__ROW_NO_CREATED, &h, out);
  uint32_t got_bits;
  memcpy(&got_bits, &out[0].v.f32, 4);
  cr_assert_eq(got_bits, nan_bits);
  lr__buf_free(&row);
}

/* Event and created times before 1970, with microseconds, and around the
 * second boundaries. */
Test(codec, c018_row_times_before_1970_and_microseconds) {
  const int64_t events[] = {
      0,        1,        -1,       999999,   1000000,  -999999,
      -1000000, -1000001, -1500000, -86400000000LL * 365 * 70 - 123457,
      -2208988800000000LL + 1, /* 1900-01-01T00:00:00.000001 */
      253402300799999999LL,    /* 9999-12-31T23:59:59.999999 */
      1704103200999999LL};
  const uint8_t types[] = {LR__DT_TIMESTAMP};
  lr__cell cells[1], out[1];
  memset(cells, 0, sizeof cells);
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    cells[0].v.i64 = events[i] - 7;
    lr__row_header h;
    lr__buf row = round_trip(types, 1, cells, events[i], LR__ROW_NO_CREATED,
                             &h, out);
    cr_assert_eq(out[0].v.i64, events[i] - 7);
    lr__buf_free(&row);
    /* with a created time on either side */
    row = round_trip(types, 1, cells, events[i], events[i] - 1234567, &h, out);
    lr__buf_free(&row);
    row = round_trip(types, 1, cells, events[i], -events[i] + 5, &h, out);
    lr__buf_free(&row);
  }
}

/* The row codec takes any int64 microsecond time; the extremes must come back
 * as they went in (and encoding them must not overflow). */
Test(codec, c019_row_times_at_the_range_ends_and_beyond) {
  const uint8_t types[] = {LR__DT_INT32};
  lr__cell cells[1], out[1];
  memset(cells, 0, sizeof cells);
  cells[0].v.i32 = 42;
  /* the ends of the range round-trip, created far on the other side too */
  const int64_t ends[] = {LR__TIME_MAX_US, LR__TIME_MIN_US};
  for (size_t i = 0; i < 2; i++) {
    lr__row_header h;
    lr__buf row = round_trip(types, 1, cells, ends[i], LR__ROW_NO_CREATED,
                             &h, out);
    cr_assert_eq(out[0].v.i32, 42);
    lr__buf_free(&row);
    row = round_trip(types, 1, cells, ends[i], ends[1 - i], &h, out);
    cr_assert_eq(h.created_us, ends[1 - i]);
    lr__buf_free(&row);
  }
  /* beyond it (int64 extremes): no overflow, the row is refused as damage */
  const int64_t beyond[][2] = {{INT64_MAX, LR__ROW_NO_CREATED},
                               {INT64_MIN + 1, LR__ROW_NO_CREATED},
                               {LR__TIME_MAX_US, LR__TIME_MAX_US + 1},
                               {0, INT64_MIN + 1}};
  for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
    lr__buf row;
    lr__buf_init(&row);
    lr__row_encode(types, 1, cells, beyond[i][0], beyond[i][1], &row);
    lr__row_header h;
    cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, 1,
                                &h, out), -1, "case %zu", i);
    cr_assert_eq(lr__row_header_read((const uint8_t *)row.data, row.len, &h),
                 -1, "case %zu", i);
    lr__buf_free(&row);
  }
  cr_assert(lr__time_in_range(LR__TIME_MAX_US));
  cr_assert(!lr__time_in_range(LR__TIME_MAX_US + 1));
  cr_assert(!lr__time_in_range(INT64_MIN));
}

Test(codec, c020_row_more_slots_than_layout_reads_known_slots) {
  const uint8_t types[] = {LR__DT_INT64, LR__DT_STRING, LR__DT_FLOAT32,
                           LR__DT_INT32, LR__DT_BOOL};
  lr__cell cells[5], out[5];
  memset(cells, 0, sizeof cells);
  cells[0].v.i64 = 1;
  cells[1].ptr = (const uint8_t *)"xy";
  cells[1].len = 2;
  cells[2].v.f32 = 2.5f;
  cells[3].v.i32 = 3;
  cells[4].v.b = 1;
  lr__buf row;
  lr__buf_init(&row);
  lr__row_encode(types, 5, cells, 100, LR__ROW_NO_CREATED, &row);
  lr__row_header h;
  /* a reader with an older layout (fewer slots) reads the slots it knows
   * and skips the rest: features added by a newer writer */
  for (uint32_t max = 0; max < 5; max++) {
    memset(out, 0, sizeof out);
    cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, max,
                                &h, out),
                 0, "a 5-slot row against a %u-slot layout", max);
    cr_assert_eq(h.n_slots, 5);
    if (max > 0)
      cr_assert_eq(out[0].v.i64, 1);
    if (max > 1)
      cr_assert(out[1].len == 2 && memcmp(out[1].ptr, "xy", 2) == 0);
    if (max > 2)
      cr_assert_eq(out[2].v.f32, 2.5f);
    if (max > 3)
      cr_assert_eq(out[3].v.i32, 3);
  }
  /* but a damaged tail is still caught when every slot is known */
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len - 1, types,
                              5, &h, out), -1);
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, 5, &h,
                              out),
               0);
  lr__buf_free(&row);
  /* a row written with fewer slots (features added since) decodes under a
   * larger layout and reports its own n_slots */
  lr__buf_init(&row);
  lr__row_encode(types, 3, cells, 100, 200, &row);
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, 5, &h,
                              out),
               0);
  cr_assert_eq(h.n_slots, 3);
  cr_assert_eq(out[0].v.i64, 1);
  cr_assert_eq(out[1].len, 2);
  cr_assert_eq(memcmp(out[1].ptr, "xy", 2), 0);
  cr_assert_eq(out[2].v.f32, 2.5f);
  lr__buf_free(&row);
}

Test(codec, c021_row_every_truncation_fails) {
  lr__cell cells[N_ALL];
  lr__buf strarr;
  lr__buf_init(&strarr);
  /* one row with values and created, one with nulls */
  for (int variant = 0; variant < 3; variant++) {
    lr__buf_reset(&strarr);
    fill_all(cells, &strarr);
    if (variant == 1)
      cells[3].is_null = cells[10].is_null = 1;
    lr__buf row;
    lr__buf_init(&row);
    lr__row_encode(all_types, N_ALL, cells, -1500000 + variant,
                   variant == 2 ? LR__ROW_NO_CREATED : 1704103200000000LL,
                   &row);
    for (size_t cut = 0; cut < row.len; cut++) {
      /* a copy of exactly `cut` bytes, so ASan sees any read past it */
      uint8_t *copy = malloc(cut ? cut : 1);
      memcpy(copy, row.data, cut);
      lr__cell out[N_ALL];
      lr__row_header h;
      cr_assert_eq(lr__row_decode(copy, cut, all_types, N_ALL, &h, out), -1,
                   "variant %d: a row cut to %zu of %zu bytes decoded",
                   variant, cut, row.len);
      lr__row_header_read(copy, cut, &h); /* may succeed; must not crash */
      free(copy);
    }
    /* one byte too many fails too */
    lr__buf_putc(&row, 0);
    lr__cell out[N_ALL];
    lr__row_header h;
    cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, all_types,
                                N_ALL, &h, out),
                 -1, "trailing garbage");
    lr__buf_free(&row);
  }
  lr__buf_free(&strarr);
}

/* Damaged fields: each must give -1. */
Test(codec, c022_row_damaged_fields_fail) {
  const uint8_t types[] = {LR__DT_STRING, LR__DT_ARRAY | LR__DT_INT64,
                           LR__DT_ARRAY | LR__DT_STRING};
  lr__cell out[3];
  lr__row_header h;
  /* wrong format nibble */
  const uint8_t bad_format[] = {0x20, 0, 0, 0};
  cr_assert_eq(lr__row_decode(bad_format, sizeof bad_format, types, 3, &h, out),
               -1);
  cr_assert_eq(lr__row_header_read(bad_format, sizeof bad_format, &h), -1);
  const uint8_t zero_format[] = {0x00, 0, 0, 0};
  cr_assert_eq(lr__row_header_read(zero_format, sizeof zero_format, &h), -1);
  /* microseconds out of range (1000000 = c0 84 3d) */
  const uint8_t bad_frac[] = {0x10, 0, 0xc0, 0x84, 0x3d, 0};
  cr_assert_eq(lr__row_decode(bad_frac, sizeof bad_frac, types, 3, &h, out),
               -1);
  /* a string longer than the row */
  const uint8_t long_str[] = {0x10, 0, 0, 1, 0x05, 'a', 'b'};
  cr_assert_eq(lr__row_decode(long_str, sizeof long_str, types, 3, &h, out),
               -1);
  /* a string length of 2^63 (would wrap a pointer) */
  const uint8_t huge_str[] = {0x10, 0,    0,    1,    0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'};
  cr_assert_eq(lr__row_decode(huge_str, sizeof huge_str, types, 3, &h, out),
               -1);
  /* an array<int64> count whose byte size overflows 64 bits */
  const uint8_t huge_arr[] = {0x10, 0, 0, 2, 0x00, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0,
                              0,    0,    0,    0,    0};
  cr_assert_eq(lr__row_decode(huge_arr, sizeof huge_arr, types, 3, &h, out),
               -1);
  /* 2^61 elements of 8 bytes = 2^64: wraps to 0 if multiplied blindly */
  const uint8_t wrap_arr[] = {0x10, 0,    0,    2,    0x00, 0x80, 0x80, 0x80,
                              0x80, 0x80, 0x80, 0x80, 0x80, 0x20};
  cr_assert_eq(lr__row_decode(wrap_arr, sizeof wrap_arr, types, 3, &h, out),
               -1);
  /* an array<string> item longer than the rest of the row */
  const uint8_t long_item[] = {0x10, 0, 0, 3, 0x00, 0x00, 0x02, 0x01, 'a',
                               0x09, 'b'};
  cr_assert_eq(lr__row_decode(long_item, sizeof long_item, types, 3, &h, out),
               -1);
  /* an n_slots varint past 2^16 + 1 */
  const uint8_t many_slots[] = {0x10, 0, 0, 0xff, 0xff, 0x7f};
  cr_assert_eq(lr__row_header_read(many_slots, sizeof many_slots, &h), -1);
  /* a null bitmap cut short */
  const uint8_t short_bitmap[] = {0x11, 0, 0, 9, 0xff};
  uint8_t nine[9];
  memset(nine, LR__DT_BOOL, sizeof nine);
  lr__cell out9[9];
  cr_assert_eq(lr__row_decode(short_bitmap, sizeof short_bitmap, nine, 9, &h,
                              out9),
               -1);
  /* the same bitmap complete, all null: a valid row */
  const uint8_t full_bitmap[] = {0x11, 0, 0, 9, 0xff, 0x01};
  cr_assert_eq(lr__row_decode(full_bitmap, sizeof full_bitmap, nine, 9, &h,
                              out9),
               0);
  for (int i = 0; i < 9; i++)
    cr_assert_eq(out9[i].is_null, 1);
}

/* A row whose event seconds do not fit an int64 of microseconds (damage, or
 * a writer bug) must be refused, not wrapped or trapped on. */
Test(codec, c023_row_event_seconds_out_of_range_fail) {
  const uint8_t types[] = {LR__DT_BOOL};
  lr__cell out[1];
  lr__row_header h;
  /* zigzag seconds = UINT64_MAX - 1, i.e. INT64_MAX seconds */
  lr__buf row;
  lr__buf_init(&row);
  uint8_t flags = 0x10;
  lr__buf_append(&row, &flags, 1);
  lr__varint_put(&row, lr__zigzag(INT64_MAX / 1000));
  lr__varint_put(&row, 0);
  lr__varint_put(&row, 0);
  cr_assert_eq(lr__row_header_read((const uint8_t *)row.data, row.len, &h), -1);
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, types, 1, &h,
                              out),
               -1);
  lr__buf_free(&row);
  /* a created delta that overflows the event time */
  lr__buf_init(&row);
  flags = 0x12;
  lr__buf_append(&row, &flags, 1);
  lr__varint_put(&row, lr__zigzag(INT64_MAX / 1000000 - 1));
  lr__varint_put(&row, 0);
  lr__varint_put(&row, lr__zigzag(INT64_MAX));
  lr__varint_put(&row, 0);
  cr_assert_eq(lr__row_header_read((const uint8_t *)row.data, row.len, &h), -1);
  lr__buf_free(&row);
}

/* Random damage: flipping any bit of a valid row, or decoding random bytes,
 * returns 0 or -1 and reads nothing outside the row. */
Test(codec, c024_row_bit_flips_and_random_bytes_never_crash) {
  lr__cell cells[N_ALL], out[N_ALL];
  lr__buf strarr, row;
  encode_all_null4(cells, &strarr, 1704103200000001LL, 1704103200000009LL, &row);
  uint8_t *copy = malloc(row.len);
  int refused = 0;
  for (size_t i = 0; i < row.len; i++)
    for (int bit = 0; bit < 8; bit++) {
      memcpy(copy, row.data, row.len);
      copy[i] ^= (uint8_t)(1u << bit);
      lr__row_header h;
      int rc = lr__row_decode(copy, row.len, all_types, N_ALL, &h, out);
      cr_assert(rc == 0 || rc == -1);
      refused += rc == -1;
    }
  cr_assert_gt(refused, 0, "some flipped rows must be refused");
  free(copy);
  lr__buf_free(&row);
  lr__buf_free(&strarr);
  /* random bytes behind a valid format byte */
  for (int t = 0; t < 20000; t++) {
    size_t len = 1 + rnd() % 40;
    uint8_t *junk = malloc(len);
    for (size_t i = 0; i < len; i++)
      junk[i] = (uint8_t)rnd();
    junk[0] = (uint8_t)(0x10 | (junk[0] & 3));
    lr__row_header h;
    int rc = lr__row_decode(junk, len, all_types, N_ALL, &h, out);
    cr_assert(rc == 0 || rc == -1);
    lr__row_header_read(junk, len, &h);
    free(junk);
  }
}

Test(codec, c025_row_compare_times) {
  const int64_t NO = LR__ROW_NO_CREATED;
  /* the event time decides first */
  cr_assert_lt(lr__row_compare_times(1, 100, 2, 0), 0);
  cr_assert_gt(lr__row_compare_times(2, 0, 1, 100), 0);
  cr_assert_lt(lr__row_compare_times(-5, NO, 0, NO), 0);
  cr_assert_lt(lr__row_compare_times(INT64_MIN + 1, NO, INT64_MAX, NO), 0);
  /* then the created time */
  cr_assert_lt(lr__row_compare_times(5, 1, 5, 2), 0);
  cr_assert_gt(lr__row_compare_times(5, 2, 5, 1), 0);
  cr_assert_eq(lr__row_compare_times(5, 2, 5, 2), 0);
  cr_assert_eq(lr__row_compare_times(5, NO, 5, NO), 0);
  /* a missing created time is older than any present one, even a negative
   * one */
  cr_assert_lt(lr__row_compare_times(5, NO, 5, INT64_MIN + 1), 0);
  cr_assert_lt(lr__row_compare_times(5, NO, 5, -1000000), 0);
  cr_assert_gt(lr__row_compare_times(5, 0, 5, NO), 0);
}

Test(codec, c026_dtype_widths_and_compact_size) {
  cr_assert_eq(lr__dtype_width(LR__DT_BOOL), 1);
  cr_assert_eq(lr__dtype_width(LR__DT_INT32), 4);
  cr_assert_eq(lr__dtype_width(LR__DT_FLOAT32), 4);
  cr_assert_eq(lr__dtype_width(LR__DT_INT64), 8);
  cr_assert_eq(lr__dtype_width(LR__DT_FLOAT64), 8);
  cr_assert_eq(lr__dtype_width(LR__DT_TIMESTAMP), 8);
  cr_assert_eq(lr__dtype_width(LR__DT_STRING), 0);
  cr_assert_eq(lr__dtype_width(LR__DT_BYTES), 0);
  /* 20 float32 features, no nulls, no created time: the row is the 80 value
   * bytes plus a header of format byte, 5-byte seconds (a 2024 time),
   * 1-byte microseconds and 1-byte slot count, and the 4-byte checksum */
  uint8_t types[20];
  lr__cell cells[20], out[20];
  memset(cells, 0, sizeof cells);
  for (int i = 0; i < 20; i++) {
    types[i] = LR__DT_FLOAT32;
    cells[i].v.f32 = (float)i / 3.0f;
  }
  lr__row_header h;
  lr__buf row = round_trip(types, 20, cells, 1704103200000000LL,
                           LR__ROW_NO_CREATED, &h, out);
  cr_assert_eq(row.len, 92);
  for (int i = 0; i < 20; i++)
    cr_assert_eq(out[i].v.f32, (float)i / 3.0f);
  lr__buf_free(&row);
}

/* CRC-32C: the standard check value, and the instruction and the table
 * agree on every length (and alignment) up to 200 bytes. */
Test(codec, c027_crc32c_known_values_and_both_ways_agree) {
  cr_assert_eq(lr__crc32c("123456789", 9), 0xE3069283u);
  cr_assert_eq(lr__crc32c_table("123456789", 9), 0xE3069283u);
  cr_assert_eq(lr__crc32c("", 0), 0u);
  uint8_t data[256];
  uint64_t seed = 27;
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (uint8_t)th_random(&seed);
  for (size_t off = 0; off < 8; off++)
    for (size_t len = 0; len <= 200; len++)
      cr_assert_eq(lr__crc32c(data + off, len),
                   lr__crc32c_table(data + off, len), "len %zu at %zu", len,
                   off);
}

/* Every change of one byte of a row (any of 255 values at any position) is
 * caught: the checksum's, or the format byte's flag, or the length. */
Test(codec, c028_row_checksum_catches_every_byte_change) {
  lr__cell cells[N_ALL], out[N_ALL];
  lr__buf strarr, row;
  encode_all_null4(cells, &strarr, 1704103200000000LL, 1704103201000000LL, &row);
  uint8_t *copy = malloc(row.len);
  for (size_t at = 0; at < row.len; at++)
    for (int mask = 1; mask < 256; mask++) {
      memcpy(copy, row.data, row.len);
      copy[at] ^= (uint8_t)mask;
      lr__row_header h;
      cr_assert_eq(lr__row_decode(copy, row.len, all_types, N_ALL, &h, out),
                   -1, "byte %zu ^ 0x%02x of %zu decoded", at, mask,
                   row.len);
    }
  free(copy);
  lr__buf_free(&row);
  lr__buf_free(&strarr);
}

/* A row written before rows had checksums (no flag, no trailer) reads as
 * it did; a checksummed one reads the same values. */
Test(codec, c029_row_without_checksum_still_reads) {
  lr__cell cells[N_ALL], a[N_ALL], b[N_ALL];
  lr__buf strarr;
  lr__buf_init(&strarr);
  fill_all(cells, &strarr);
  lr__buf row;
  lr__buf_init(&row);
  lr__row_encode(all_types, N_ALL, cells, 1704103200000000LL,
                 LR__ROW_NO_CREATED, &row);
  cr_assert_eq(((uint8_t)row.data[0]) & 0xf4, 0x14, "format 1, checksum");
  uint8_t *old = malloc(row.len);
  memcpy(old, row.data, row.len - 4);
  old[0] &= (uint8_t)~0x04;
  lr__row_header ha, hb;
  memset(a, 0, sizeof a); /* decoding sets only what each type uses */
  memset(b, 0, sizeof b);
  cr_assert_eq(lr__row_decode((const uint8_t *)row.data, row.len, all_types,
                              N_ALL, &ha, a),
               0);
  cr_assert_eq(lr__row_decode(old, row.len - 4, all_types, N_ALL, &hb, b), 0);
  cr_assert_eq(lr__row_header_read(old, row.len - 4, &hb), 0);
  cr_assert_eq(ha.event_us, hb.event_us);
  cr_assert_eq(ha.n_slots, hb.n_slots);
  for (size_t i = 0; i < N_ALL; i++) {
    cr_assert_eq(a[i].is_null, b[i].is_null);
    cr_assert_eq(a[i].v.i64, b[i].v.i64, "slot %zu", i);
    cr_assert_eq(a[i].len, b[i].len, "slot %zu", i);
    if (a[i].ptr)
      cr_assert_eq(a[i].ptr - (const uint8_t *)row.data, b[i].ptr - old);
  }
  /* too short to hold the checksum its flag announces */
  const uint8_t stub[] = {0x14, 0, 0, 0};
  cr_assert_eq(lr__row_header_read(stub, sizeof stub, &ha), -1);
  free(old);
  lr__buf_free(&row);
  lr__buf_free(&strarr);
}

/* A key longer than LMDB stores (damage) is refused before unescaping
 * into the LR__KEY_MAX-byte scratch. */
Test(codec, c030_key_longer_than_max_fails) {
  uint8_t key[LR__KEY_MAX + 2], scratch[LR__KEY_MAX];
  memset(key, 'a', sizeof key);
  lr__keypart parts[2] = {{.dtype = LR__DT_STRING}, {.dtype = LR__DT_STRING}};
  cr_assert_eq(lr__key_decode(key, sizeof key, parts, 2, scratch), -1);
  cr_assert_eq(lr__key_decode(key, sizeof key, parts, 1, scratch), -1);
  cr_assert_eq(lr__key_decode(key, LR__KEY_MAX, parts, 1, scratch), 0);
}

/* Newer wins as a total order: times first, then the rows' bytes, so the
 * winner of two rows does not depend on which came first. */
Test(codec, c031_newer_wins_is_a_total_order) {
  const char a[] = "row-a", b[] = "row-b", longer[] = "row-ab";
  cr_assert_lt(lr__row_newer_wins(1, 0, b, 5, 2, 0, a, 5), 0, "older event");
  cr_assert_gt(lr__row_newer_wins(2, 5, a, 5, 2, 4, b, 5), 0, "newer created");
  cr_assert_lt(lr__row_newer_wins(2, 4, a, 5, 2, 4, b, 5), 0);
  cr_assert_gt(lr__row_newer_wins(2, 4, b, 5, 2, 4, a, 5), 0);
  cr_assert_gt(lr__row_newer_wins(2, 4, longer, 6, 2, 4, b, 5), 0);
  cr_assert_eq(lr__row_newer_wins(2, 4, a, 5, 2, 4, a, 5), 0, "the same row");
}

/* A log entry round-trips its head and pairs (groups switch between
 * databases), and any changed byte fails its chain digest. */
Test(codec, c032_log_entry_round_trip_and_damage) {
  lr__buf records, entry;
  lr__buf_init(&records);
  lr__buf_init(&entry);
  const char *group = NULL;
  lr__entry_put_pair(&records, &group, "v@1", "k1", 2, "row1", 4);
  lr__entry_put_pair(&records, &group, "v@1", "k2", 2, "", 0);
  lr__entry_put_pair(&records, &group, "odfv@2", "k1", 2, "r\0w", 3);
  lr__entry_head head = {LR__ENTRY_ROWS, 42, 7, 3, {0}};
  memset(head.prev, 0xab, sizeof head.prev);
  uint8_t chain[16], chain2[16];
  lr__entry_encode(&entry, &head, records.data, records.len, chain);
  lr__entry_head got;
  const uint8_t *recs;
  size_t n;
  cr_assert_eq(lr__entry_decode(entry.data, entry.len, &got, &recs, &n,
                                chain2), 0);
  cr_assert(got.kind == LR__ENTRY_ROWS && got.seq == 42 && got.epoch == 7 &&
            got.generation == 3 && memcmp(got.prev, head.prev, 16) == 0 &&
            memcmp(chain, chain2, 16) == 0);
  lr__entry_iter it = {recs, recs + n, NULL, 0};
  const char *want[][3] = {{"v@1", "k1", "row1"}, {"v@1", "k2", ""},
                           {"odfv@2", "k1", "r"}};
  const void *key, *row;
  size_t klen, rlen;
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(lr__entry_next(&it, &key, &klen, &row, &rlen), 1);
    cr_assert(it.name_len == strlen(want[i][0]) &&
              memcmp(it.name, want[i][0], it.name_len) == 0);
    cr_assert(klen == 2 && memcmp(key, want[i][1], 2) == 0);
    cr_assert(rlen == (i == 2 ? 3 : strlen(want[i][2])) &&
              memcmp(row, want[i][2], strlen(want[i][2])) == 0);
  }
  cr_assert_eq(lr__entry_next(&it, &key, &klen, &row, &rlen), 0);
  for (size_t at = 0; at < entry.len; at++) {
    entry.data[at] ^= 0x10;
    cr_assert_eq(lr__entry_decode(entry.data, entry.len, &got, &recs, &n,
                                  chain2), -1, "byte %zu changed unseen", at);
    entry.data[at] ^= 0x10;
  }
  cr_assert_eq(lr__entry_decode(entry.data, entry.len - 1, &got, &recs, &n,
                                chain2), -1, "a cut entry");
  lr__buf_free(&records);
  lr__buf_free(&entry);
}

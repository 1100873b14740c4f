/*
 * test_dtype.c - unit tests of value types and durations: parsing every
 * spelling (ours and Feast's), rejecting the rest, canonical names, key
 * types, and ttl parsing and formatting.
 */
#include <stdint.h>

#include "helpers.h"
#include "util/dtype.h"
#include "util/buf.h"

enum { SENTINEL = 0xEE };

/* Parses `text` expecting `want`; fails the test otherwise. */
static void expect_dtype(const char *text, uint8_t want) {
  uint8_t dt = SENTINEL;
  int rc = lr__dtype_parse(text, &dt);
  cr_assert_eq(rc, 0, "'%s' should parse (got %d)", text, rc);
  cr_assert_eq(dt, want, "'%s' parsed as 0x%02x, want 0x%02x", text, dt, want);
}

/* Parses `text` expecting the return code `want_rc` and *dt untouched. */
static void expect_dtype_reject(const char *text, int want_rc) {
  uint8_t dt = SENTINEL;
  int rc = lr__dtype_parse(text, &dt);
  cr_assert_eq(rc, want_rc, "'%s': got %d, want %d", text, rc, want_rc);
  cr_assert_eq(dt, SENTINEL, "'%s': *dt was written on failure", text);
}

Test(dtype, d001_parse_every_canonical_name) {
  expect_dtype("bool", LR__DT_BOOL);
  expect_dtype("int32", LR__DT_INT32);
  expect_dtype("int64", LR__DT_INT64);
  expect_dtype("float32", LR__DT_FLOAT32);
  expect_dtype("float64", LR__DT_FLOAT64);
  expect_dtype("string", LR__DT_STRING);
  expect_dtype("bytes", LR__DT_BYTES);
  expect_dtype("timestamp", LR__DT_TIMESTAMP);
  expect_dtype("array<int32>", LR__DT_ARRAY | LR__DT_INT32);
  expect_dtype("array<int64>", LR__DT_ARRAY | LR__DT_INT64);
  expect_dtype("array<float32>", LR__DT_ARRAY | LR__DT_FLOAT32);
  expect_dtype("array<float64>", LR__DT_ARRAY | LR__DT_FLOAT64);
  expect_dtype("array<string>", LR__DT_ARRAY | LR__DT_STRING);
}

Test(dtype, d002_parse_feast_spellings) {
  expect_dtype("Float32", LR__DT_FLOAT32);
  expect_dtype("Float64", LR__DT_FLOAT64);
  expect_dtype("INT64", LR__DT_INT64);
  expect_dtype("Int64", LR__DT_INT64);
  expect_dtype("Int32", LR__DT_INT32);
  expect_dtype("String", LR__DT_STRING);
  expect_dtype("Bytes", LR__DT_BYTES);
  expect_dtype("Bool", LR__DT_BOOL);
  expect_dtype("UnixTimestamp", LR__DT_TIMESTAMP);
  expect_dtype("unix_timestamp", LR__DT_TIMESTAMP);
  expect_dtype("FLOAT", LR__DT_FLOAT32);
  expect_dtype("DOUBLE", LR__DT_FLOAT64);
  expect_dtype("Array(Float32)", LR__DT_ARRAY | LR__DT_FLOAT32);
  expect_dtype("Array(Int64)", LR__DT_ARRAY | LR__DT_INT64);
  expect_dtype("Array(String)", LR__DT_ARRAY | LR__DT_STRING);
  expect_dtype("array<string>", LR__DT_ARRAY | LR__DT_STRING);
  expect_dtype("List(String)", LR__DT_ARRAY | LR__DT_STRING);
  expect_dtype("list<int64>", LR__DT_ARRAY | LR__DT_INT64);
  expect_dtype("Array(Double)", LR__DT_ARRAY | LR__DT_FLOAT64);
}

Test(dtype, d003_parse_is_case_insensitive) {
  expect_dtype("FLOAT32", LR__DT_FLOAT32);
  expect_dtype("fLoAt64", LR__DT_FLOAT64);
  expect_dtype("TIMESTAMP", LR__DT_TIMESTAMP);
  expect_dtype("BoOl", LR__DT_BOOL);
  expect_dtype("ARRAY<INT32>", LR__DT_ARRAY | LR__DT_INT32);
  expect_dtype("aRrAy(sTrInG)", LR__DT_ARRAY | LR__DT_STRING);
  expect_dtype("ARRAY(FLOAT32)", LR__DT_ARRAY | LR__DT_FLOAT32);
  expect_dtype("UNIXTIMESTAMP", LR__DT_TIMESTAMP);
}

Test(dtype, d004_arrays_of_types_arrays_cannot_hold) {
  expect_dtype_reject("array<bool>", -2);
  expect_dtype_reject("Array(Bool)", -2);
  expect_dtype_reject("array<bytes>", -2);
  expect_dtype_reject("array<timestamp>", -2);
  expect_dtype_reject("List(UnixTimestamp)", -2);
}

Test(dtype, d005_rejects_what_is_not_a_type) {
  expect_dtype_reject("float16", -1);
  expect_dtype_reject("array<float32", -1);
  expect_dtype_reject("", -1);
  expect_dtype_reject("int", -1);
  expect_dtype_reject("int128", -1);
  expect_dtype_reject("array<>", -1);
  expect_dtype_reject("array()", -1);
  expect_dtype_reject("array<float32>>", -1);
  expect_dtype_reject("array(int32>", -1);
  expect_dtype_reject("array<int32)", -1);
  expect_dtype_reject("arr<int32>", -1);
  expect_dtype_reject("arrays<int32>", -1);
  expect_dtype_reject("array<array<int32>>", -1);
  expect_dtype_reject("array<float17>", -1);
  expect_dtype_reject("map<string,int64>", -1);
  expect_dtype_reject(" int64", -1);
  expect_dtype_reject("int64 ", -1);
  expect_dtype_reject("float32x", -1);
  expect_dtype_reject("<int32>", -1);
}

Test(dtype, d006_name_is_canonical_and_round_trips) {
  static const struct {
    uint8_t dt;
    const char *name;
  } cases[] = {
      {LR__DT_BOOL, "bool"},
      {LR__DT_INT32, "int32"},
      {LR__DT_INT64, "int64"},
      {LR__DT_FLOAT32, "float32"},
      {LR__DT_FLOAT64, "float64"},
      {LR__DT_STRING, "string"},
      {LR__DT_BYTES, "bytes"},
      {LR__DT_TIMESTAMP, "timestamp"},
      {LR__DT_ARRAY | LR__DT_INT32, "array<int32>"},
      {LR__DT_ARRAY | LR__DT_INT64, "array<int64>"},
      {LR__DT_ARRAY | LR__DT_FLOAT32, "array<float32>"},
      {LR__DT_ARRAY | LR__DT_FLOAT64, "array<float64>"},
      {LR__DT_ARRAY | LR__DT_STRING, "array<string>"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char scratch[32];
    const char *name = lr__dtype_name(cases[i].dt, scratch);
    cr_assert_str_eq(name, cases[i].name);
    uint8_t back = SENTINEL;
    cr_assert_eq(lr__dtype_parse(name, &back), 0, "%s", name);
    cr_assert_eq(back, cases[i].dt, "%s", name);
  }
  /* Feast spellings come back in our spelling */
  uint8_t dt;
  char scratch[32];
  cr_assert_eq(lr__dtype_parse("Array(Float32)", &dt), 0);
  cr_assert_str_eq(lr__dtype_name(dt, scratch), "array<float32>");
  cr_assert_eq(lr__dtype_parse("UnixTimestamp", &dt), 0);
  cr_assert_str_eq(lr__dtype_name(dt, scratch), "timestamp");
  cr_assert_eq(lr__dtype_parse("DOUBLE", &dt), 0);
  cr_assert_str_eq(lr__dtype_name(dt, scratch), "float64");
}

Test(dtype, d007_name_of_an_invalid_code) {
  char scratch[32];
  cr_assert_str_eq(lr__dtype_name(0, scratch), "?");
  cr_assert_str_eq(lr__dtype_name(0x7f, scratch), "?");
  cr_assert_str_eq(lr__dtype_name(LR__DT_ARRAY | 0x40, scratch), "array<?>");
}

Test(dtype, d008_is_key) {
  cr_assert(lr__dtype_is_key(LR__DT_INT32));
  cr_assert(lr__dtype_is_key(LR__DT_INT64));
  cr_assert(lr__dtype_is_key(LR__DT_STRING));
  cr_assert(lr__dtype_is_key(LR__DT_BYTES));
  cr_assert_not(lr__dtype_is_key(LR__DT_BOOL));
  cr_assert_not(lr__dtype_is_key(LR__DT_FLOAT32));
  cr_assert_not(lr__dtype_is_key(LR__DT_FLOAT64));
  cr_assert_not(lr__dtype_is_key(LR__DT_TIMESTAMP));
  cr_assert_not(lr__dtype_is_key(LR__DT_ARRAY | LR__DT_INT64));
  cr_assert_not(lr__dtype_is_key(LR__DT_ARRAY | LR__DT_STRING));
  cr_assert_not(lr__dtype_is_key(0));
}

Test(dtype, d009_hint_names_the_types) {
  const char *hint = lr__dtype_hint();
  const char *words[] = {"bool", "int32", "int64", "float32", "float64",
                         "string", "bytes", "timestamp", "array<T>",
                         "Array(Float32)"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    cr_assert(strstr(hint, words[i]), "hint lacks '%s': %s", words[i], hint);
}

/* ---- durations ---------------------------------------------------------- */

static void expect_duration(const char *text, int64_t want) {
  int64_t s = -12345;
  int rc = lr__duration_parse(text, &s);
  cr_assert_eq(rc, 0, "'%s' should parse", text);
  cr_assert_eq(s, want, "'%s' = %lld, want %lld", text, (long long)s,
               (long long)want);
}

static void expect_duration_reject(const char *text) {
  int64_t s = -12345;
  int rc = lr__duration_parse(text, &s);
  cr_assert_eq(rc, -1, "'%s' should be rejected (got %lld)", text,
               (long long)s);
  cr_assert_eq(s, -12345, "'%s': *seconds was written on failure", text);
}

Test(dtype, d010_duration_parse_accepts) {
  expect_duration("1d", 86400);
  expect_duration("90m", 5400);
  expect_duration("1h30m", 5400);
  expect_duration("0s", 0);
  expect_duration("0", 0);
  expect_duration("2w", 1209600);
  expect_duration("45s", 45);
  expect_duration("1h", 3600);
  expect_duration("36h", 129600);
  expect_duration("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  expect_duration("0d0h", 0);
  expect_duration("007m", 420);
  expect_duration("100000w", 100000LL * 604800);
}

Test(dtype, d011_duration_parse_rejects) {
  expect_duration_reject("1y");
  expect_duration_reject("-5d");
  expect_duration_reject("d");
  expect_duration_reject("10");
  expect_duration_reject("");
  expect_duration_reject("1.5h");
  expect_duration_reject("99999999999999999999d");
  expect_duration_reject("1h30");
  expect_duration_reject("1 d");
  expect_duration_reject("1d ");
  expect_duration_reject(" 1d");
  expect_duration_reject("+1d");
  expect_duration_reject("1dd");
  expect_duration_reject("h1");
  expect_duration_reject("0x10s");
  expect_duration_reject("1ms");
}

Test(dtype, d012_duration_parse_rejects_overflow) {
  /* Just inside int64: accepted. */
  expect_duration("9223372036854775807s", INT64_MAX);
  /* Past it, with each unit: rejected, not clamped. */
  expect_duration_reject("15250284452472w"); /* * 604800 > INT64_MAX */
  expect_duration_reject("106751991167301d");
  expect_duration_reject("9223372036854775807s1s");
  expect_duration_reject("9223372036854775808s");
  expect_duration_reject("99999999999999999999s");
  expect_duration_reject("99999999999999999999m");
}

static void expect_ms(const char *text, int64_t want) {
  int64_t ms = -12345;
  cr_assert_eq(lr__duration_parse_ms(text, &ms), 0, "'%s' should parse", text);
  cr_assert_eq(ms, want, "'%s' = %lld ms, want %lld", text, (long long)ms,
               (long long)want);
}

static void expect_ms_reject(const char *text) {
  int64_t ms = -12345;
  cr_assert_eq(lr__duration_parse_ms(text, &ms), -1, "'%s' should be "
               "rejected (got %lld)", text, (long long)ms);
  cr_assert_eq(ms, -12345, "'%s': *ms was written on failure", text);
}

Test(dtype, d015_duration_parse_ms) {
  expect_ms("500ms", 500);
  expect_ms("5s", 5000);
  expect_ms("2m", 120000);
  expect_ms("1m30s", 90000);
  expect_ms("1s500ms", 1500);
  expect_ms("1h", 3600000);
  expect_ms("1w", 604800000LL);
  expect_ms("0", 0);
  expect_ms("0ms", 0);
  expect_ms("9223372036854775807ms", INT64_MAX);
  expect_ms_reject("soon");
  expect_ms_reject("5");
  expect_ms_reject("");
  expect_ms_reject("ms");
  expect_ms_reject("1.5s");
  expect_ms_reject("-1s");
  expect_ms_reject("5 s");
  expect_ms_reject("1mss");
  expect_ms_reject("9223372036854775807s"); /* past int64 in ms */
}

static char *format_duration(int64_t seconds) {
  lr__buf b;
  lr__buf_init(&b);
  lr__duration_format(&b, seconds);
  return lr__buf_steal(&b);
}

Test(dtype, d013_duration_format) {
  static const struct {
    int64_t seconds;
    const char *text;
  } cases[] = {
      {0, "0s"},          {1, "1s"},          {59, "59s"},
      {60, "1m"},         {5400, "1h30m"},    {3600, "1h"},
      {86400, "1d"},      {90061, "1d1h1m1s"}, {604800, "7d"},
      {691200, "8d"},     {1209600, "14d"},   {86399, "23h59m59s"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *s = format_duration(cases[i].seconds);
    cr_assert_str_eq(s, cases[i].text, "%lld", (long long)cases[i].seconds);
    free(s);
  }
}

Test(dtype, d014_duration_format_round_trips) {
  uint64_t state = 12345;
  for (int i = 0; i < 2000; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    int64_t v;
    switch (i % 4) {
    case 0: v = (int64_t)(state >> 40); break;                 /* < 2^24 */
    case 1: v = (int64_t)(state >> 20); break;                 /* < 2^44 */
    case 2: v = (int64_t)(state % 1000); break;
    default: v = (int64_t)((state >> 30) % 1000) * 86400; break;
    }
    char *s = format_duration(v);
    int64_t back = -1;
    cr_assert_eq(lr__duration_parse(s, &back), 0, "'%s' (from %lld)", s,
                 (long long)v);
    cr_assert_eq(back, v, "'%s' parsed as %lld, formatted from %lld", s,
                 (long long)back, (long long)v);
    free(s);
  }
  /* and the other way: canonical spellings come back unchanged */
  const char *canon[] = {"0s", "1d", "1h30m", "14d", "13d23h59m59s", "5m"};
  for (size_t i = 0; i < sizeof canon / sizeof *canon; i++) {
    int64_t v;
    cr_assert_eq(lr__duration_parse(canon[i], &v), 0);
    char *s = format_duration(v);
    cr_assert_str_eq(s, canon[i]);
    free(s);
  }
  /* a non-canonical spelling formats to the canonical one; weeks are
   * written as days */
  int64_t v;
  cr_assert_eq(lr__duration_parse("90m", &v), 0);
  char *s = format_duration(v);
  cr_assert_str_eq(s, "1h30m");
  free(s);
  cr_assert_eq(lr__duration_parse("1w", &v), 0);
  s = format_duration(v);
  cr_assert_str_eq(s, "7d");
  free(s);
  cr_assert_eq(lr__duration_parse("0", &v), 0);
  s = format_duration(v);
  cr_assert_str_eq(s, "0s");
  free(s);
}

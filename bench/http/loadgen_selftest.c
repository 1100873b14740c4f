/*
 * loadgen_selftest.c - `loadgen selftest`: the answer readers of both
 * protocols against answers made here (right ones, whole, split at every
 * byte and two in a row; and wrong ones: a value, a key, a status, the
 * framing, a miss), the HTTP request against lookup.lua's body, Feast's
 * field hash, and the latency histogram's quantiles against the exact ones
 * of the same values (within 1%) and merged from two halves. Prints one
 * line per check; any failure makes the exit status 1.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common.h"
#include "loadgen.h"

static int failures;

/* Prints the outcome of one check and counts a failure. */
static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  failures += !ok;
}

/* An answer being made, NUL after its bytes. */
typedef struct text {
  char buf[1 << 16];
  size_t len;
} text;

/* Appends `len` bytes at `p` to `t`. */
static void add(text *t, const void *p, size_t len) {
  memcpy(t->buf + t->len, p, len);
  t->len += len;
  t->buf[t->len] = '\0';
}

/* Appends printf-formatted text to `t`. */
static void addf(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void addf(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  t->len += (size_t)vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
  va_end(ap);
}

/* How an HTTP answer made here goes wrong. */
enum { RIGHT, WRONG_VALUE, WRONG_KEY, NULL_VALUE, NO_LENGTH };

/* Appends an answer of the feature server to `ids` in its shape (shortest
 * float digits, as it prints them), with `status` and fault `fault`. */
static void http_answer(text *t, const long long *ids, int batch, int status,
                        int fault) {
  text body = {.len = 0};
  addf(&body, "{\"metadata\": {\"larder_version\": \"2.11\", \"feature_names\":"
              " [\"user_id\"]}, \"results\": [{\"values\": [");
  for (int e = 0; e < batch; e++)
    addf(&body, "%s%lld", e ? ", " : "", ids[e] + (fault == WRONG_KEY));
  addf(&body, "], \"statuses\": [\"PRESENT\"]}");
  for (int f = 0; f < LG_FEATURES; f++) {
    addf(&body, ", {\"values\": [");
    for (int e = 0; e < batch; e++) {
      float v = lg_feature_value(ids[e], f);
      int checked = ids[e] % LG_FEATURES == f;
      if (checked && fault == WRONG_VALUE)
        v += 0.001f;
      int p = 1;
      char digits[320];
      do
        snprintf(digits, sizeof digits, "%.*g", p++, v);
      while (strtof(digits, NULL) != v);
      addf(&body, "%s%s", e ? ", " : "",
           checked && fault == NULL_VALUE ? "null" : digits);
    }
    addf(&body, "], \"event_timestamps\": [\"2026-12-07T16:50:38Z\"]}");
  }
  addf(&body, "]}");
  addf(t, "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n", status);
  if (fault != NO_LENGTH)
    addf(t, "Content-Length: %zu\r\n", body.len);
  addf(t, "\r\n");
  add(t, body.buf, body.len);
}

/* Appends Redis' answer to the HMGETs of `ids`; entity `missing` (or -1)
 * as a key Redis does not hold, `fields` fields per reply. */
static void redis_answer(text *t, const long long *ids, int batch,
                         long long missing, int fields) {
  for (int e = 0; e < batch; e++) {
    addf(t, "*%d\r\n", fields);
    for (int f = 0; f < fields; f++) {
      unsigned char val[5] = {0x35};
      float v = lg_feature_value(ids[e], f);
      memcpy(val + 1, &v, 4);
      if (ids[e] == missing) {
        addf(t, "$-1\r\n");
      } else if (f == LG_FEATURES) {
        addf(t, "$6\r\n");
        add(t, "\x08\xf6\xa9\xc5\xd2\x06\r\n", 8); /* Timestamp{seconds} */
      } else {
        addf(t, "$5\r\n");
        add(t, val, sizeof val);
        add(t, "\r\n", 2);
      }
    }
  }
}

/* Reads `t` with `p` for `ids`: its length or 0 / -1, and the verdict. */
static long read_all(const lg_protocol *p, const text *t,
                     const long long *ids, int batch, lg_verdict *v) {
  return p->read_answer(t->buf, t->len, ids, batch, v);
}

/* Every strict prefix of `t` needs more bytes. */
static int needs_more_at_every_split(const lg_protocol *p, const text *t,
                                     const long long *ids, int batch) {
  static text prefix;
  for (size_t k = 0; k < t->len; k++) {
    prefix.len = 0;
    add(&prefix, t->buf, k);
    lg_verdict v;
    if (read_all(p, &prefix, ids, batch, &v) != 0)
      return 0;
  }
  return 1;
}

/* The HTTP reader: right answers whole, split and two in a row; wrong
 * ones. */
static void test_http(void) {
  static const long long ids[] = {5, 999999, 40, 1000000};
  static text a, b;
  lg_verdict v;
  http_answer(&a, ids, 3, 200, RIGHT);
  check(read_all(&lg_http, &a, ids, 3, &v) == (long)a.len && !v.error &&
            !v.misses,
        "http: a right answer of 3 entities is read whole, no error");
  check(needs_more_at_every_split(&lg_http, &a, ids, 3),
        "http: split at any byte, the answer needs more bytes");
  size_t first = a.len;
  http_answer(&a, ids + 1, 1, 200, RIGHT);
  check(read_all(&lg_http, &a, ids, 3, &v) == (long)first && !v.error &&
            lg_http.read_answer(a.buf + first, a.len - first, ids + 1, 1,
                                &v) == (long)(a.len - first) &&
            !v.error,
        "http: two answers in one read are read one after the other");
  struct { int status, fault, error, misses; const char *what; } cases[] = {
      {200, WRONG_VALUE, 1, 0, "http: a wrong feature value is an error"},
      {200, WRONG_KEY, 1, 0, "http: a key not asked is an error"},
      {500, RIGHT, 1, 0, "http: status 500 is an error, its body skipped"},
      {200, NULL_VALUE, 0, 2, "http: a null value is a miss (both entities)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    b.len = 0;
    http_answer(&b, ids, 2, cases[i].status, cases[i].fault);
    check(read_all(&lg_http, &b, ids, 2, &v) == (long)b.len &&
              v.error == cases[i].error && v.misses == cases[i].misses,
          cases[i].what);
  }
  b.len = 0;
  http_answer(&b, ids, 2, 200, NO_LENGTH);
  check(read_all(&lg_http, &b, ids, 2, &v) == -1,
        "http: an answer without Content-Length puts it out of step");
  b.len = 0;
  http_answer(&b, ids, 2, 200, RIGHT);
  check(read_all(&lg_http, &b, ids, 3, &v) == (long)b.len && v.error,
        "http: fewer entities than asked is an error");
}

/* The HTTP request: lookup.lua's POST, framed by its Content-Length. */
static void test_http_request(void) {
  static const long long ids[] = {17, 4};
  char out[4096];
  size_t n = lg_http.write_request(out, ids, 2, 6566);
  out[n] = '\0';
  const char *body = strstr(out, "\r\n\r\n");
  const char *want_tail = "\"entities\": {\"user_id\": [17,4]}}";
  check(n <= lg_http.request_cap(2) && body &&
            !strncmp(out, "POST /get-online-features HTTP/1.1\r\n", 36) &&
            strstr(out, "Host: 127.0.0.1:6566\r\n") &&
            (size_t)atoi(strstr(out, "Content-Length: ") + 16) ==
                strlen(body + 4) &&
            !strncmp(body + 4, "{\"features\": [\"user_stats:f00\", ", 32) &&
            strstr(body, "\"user_stats:f19\"], ") &&
            !strcmp(out + n - strlen(want_tail), want_tail),
        "http: the request is lookup.lua's POST, framed by Content-Length");
}

/* The RESP reader, like the HTTP one, and Feast's field hash. */
static void test_redis(void) {
  static const long long ids[] = {3, 77, 12};
  static text a, b;
  lg_verdict v;
  redis_answer(&a, ids, 3, -1, LG_FEATURES + 1);
  check(read_all(&lg_redis, &a, ids, 3, &v) == (long)a.len && !v.error &&
            !v.misses,
        "redis: 3 replies of 21 bulk strings are read whole, no error");
  check(needs_more_at_every_split(&lg_redis, &a, ids, 3),
        "redis: split at any byte, the answer needs more bytes");
  check(read_all(&lg_redis, &a, ids + 1, 2, &v) > 0 && v.error,
        "redis: values of other keys are an error");
  redis_answer(&b, ids, 3, 77, LG_FEATURES + 1);
  check(read_all(&lg_redis, &b, ids, 3, &v) == (long)b.len && !v.error &&
            v.misses == 1,
        "redis: a key of 21 nils is a miss");
  b.len = 0;
  redis_answer(&b, ids, 2, -1, LG_FEATURES);
  check(read_all(&lg_redis, &b, ids, 2, &v) == (long)b.len && v.error,
        "redis: replies of 20 fields are an error");
  b.len = 0;
  addf(&b, "-ERR wrong number of arguments\r\n");
  redis_answer(&b, ids + 1, 1, -1, LG_FEATURES + 1);
  check(read_all(&lg_redis, &b, ids, 2, &v) == (long)b.len && v.error,
        "redis: an error reply is an error, the next reply still read");
  b.len = 0;
  addf(&b, "+OK\r\n");
  check(read_all(&lg_redis, &b, ids, 1, &v) == -1,
        "redis: a status reply puts it out of step");
  uint32_t h = lg_mmh3_32("hello", 5); /* mmh3.hash("hello", signed=False) */
  check(h == 613153351u, "redis: mmh3(hello) = 613153351, Feast's field hash");
}

/* qsort's order of nanosecond values. */
static int by_value(const void *a, const void *b) {
  unsigned long long x = *(const unsigned long long *)a,
                     y = *(const unsigned long long *)b;
  return (x > y) - (x < y);
}

/* The histogram's quantiles against the exact ones, merged and exact. */
static void test_histogram(void) {
  enum { N = 200000 };
  static unsigned long long values[N];
  static latency whole, half1, half2;
  uint64_t rng = 42;
  for (int i = 0; i < N; i++) { /* log-uniform over 100 ns .. 10 s */
    double u = (double)(xorshift_next(&rng) >> 11) / 9007199254740992.0;
    values[i] = (unsigned long long)pow(10, 2 + 8 * u);
    latency_record(&whole, values[i]);
    latency_record(i % 2 ? &half1 : &half2, values[i]);
  }
  latency_merge(&half1, &half2);
  qsort(values, N, sizeof *values, by_value);
  double qs[] = {0.5, 0.9, 0.99, 0.999, 0.9999}, worst = 0;
  int merged_same = 1;
  for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
    double exact = (double)values[(size_t)ceil(qs[i] * N) - 1];
    double got = (double)latency_quantile(&whole, qs[i]);
    worst = fmax(worst, fabs(got - exact) / exact);
    merged_same &= latency_quantile(&half1, qs[i]) == (unsigned long long)got;
  }
  printf("     histogram: worst relative error %.4f%%\n", 100 * worst);
  check(worst <= 0.01, "histogram: p50..p99.99 within 1% of the exact values");
  check(merged_same && half1.count == N && half1.max_ns == values[N - 1],
        "histogram: two halves merged give the whole's quantiles");
  latency small = {0};
  for (unsigned long long ns = 1; ns <= 100; ns++)
    latency_record(&small, ns);
  check(latency_quantile(&small, 0.5) == 50 &&
            latency_quantile(&small, 0.99) == 99,
        "histogram: exact below 128 ns");
}

/* Runs every check (see loadgen.h). */
int lg_selftest(void) {
  test_http();
  test_http_request();
  test_redis();
  test_histogram();
  printf("loadgen selftest: %s\n", failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}

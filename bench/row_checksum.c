/*
 * row_checksum.c - what verifying the per-row checksum costs a 1-entity
 * lookup (issue 13: kept only if under 5%).
 *
 *   row_checksum DATA_DIR N_ENTITIES ROUNDS
 *
 * DATA_DIR is a store made by online_lookup (20 float32 features, entities
 * 0..N-1). Two figures, each the median of ROUNDS rounds in thread CPU time
 * (so that time the machine gives other processes is not counted):
 *   - a 1-entity lookup of a random entity (the map warmed first);
 *   - lr__row_decode of one such row with its checksum and of the same row
 *     without it (as written before checksums: no flag, no trailer), the
 *     two alternating in one process, so the difference is the check alone.
 * The check's share of the lookup is the second difference over the first.
 * A comparison of two stores (one without checksums) end to end was tried
 * first: on a shared 2-core VM its noise (+-10%) hid a difference this size.
 */
#include <stdint.h>

#include "codec/row.h"
#include "common.h"
#include "larder.h"
#include "util/dtype.h"

enum { FEATURES = 20, LOOKUPS = 20000, DECODES = 200000, MAX_ROUNDS = 101 };

static const char *const who = "row_checksum";
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* Nanoseconds of CPU time this thread has used. */
static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* The request for the 20 features of `dir`'s store (opened into *store). */
static lr_request *open_request(const char *dir, lr_store **store) {
  if (lr_store_open(dir, LR_STORE_READONLY, store))
    bench_die(who, "open", lr_store_errmsg(*store));
  const char *refs[FEATURES];
  char names[FEATURES][32];
  for (int i = 0; i < FEATURES; i++) {
    snprintf(names[i], sizeof names[i], "user_stats:f%02d", i);
    refs[i] = names[i];
  }
  lr_request *req;
  if (lr_request_prepare(*store, refs, FEATURES, &req))
    bench_die(who, "prepare", lr_store_errmsg(*store));
  return req;
}

/* CPU nanoseconds per lookup over `runs` random 1-entity lookups of the
 * entities 0..n-1. */
static double time_lookups(const lr_request *req, lr_result *res,
                           long long n, int runs) {
  double t0 = cpu_ns();
  for (int i = 0; i < runs; i++) {
    lr_value key = {.type = LR_TYPE_INT64,
                    .v.i64 = (int64_t)(xorshift_next(&rng_state) %
                                       (uint64_t)n)};
    if (lr_get_online_features(req, &key, 1, res))
      bench_die(who, "get", lr_result_errmsg(res));
  }
  return (cpu_ns() - t0) / runs;
}

/* CPU nanoseconds per lr__row_decode of `row`. */
static double time_decodes(const uint8_t *row, size_t len,
                           const uint8_t *types) {
  lr__cell cells[FEATURES];
  lr__row_header h;
  double t0 = cpu_ns();
  for (int i = 0; i < DECODES; i++)
    if (lr__row_decode(row, len, types, FEATURES, &h, cells))
      bench_die(who, "decode", "a valid row failed");
  return (cpu_ns() - t0) / DECODES;
}

/* Decode time with and without the checksum, medians over `rounds`. */
static void time_check(int rounds, double *with, double *without) {
  uint8_t types[FEATURES];
  lr__cell cells[FEATURES];
  memset(cells, 0, sizeof cells);
  for (int i = 0; i < FEATURES; i++) {
    types[i] = LR__DT_FLOAT32;
    cells[i].v.f32 = (float)i / 7.0f;
  }
  lr__buf row;
  lr__buf_init(&row);
  lr__row_encode(types, FEATURES, cells, 1704103200000000LL,
                 LR__ROW_NO_CREATED, &row);
  uint8_t plain[256];
  memcpy(plain, row.data, row.len - 4);
  plain[0] &= (uint8_t)~0x04; /* the row as written before checksums */
  static double a[MAX_ROUNDS], b[MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    a[r] = time_decodes((const uint8_t *)row.data, row.len, types);
    b[r] = time_decodes(plain, row.len - 4, types);
  }
  *with = median(a, rounds);
  *without = median(b, rounds);
  lr__buf_free(&row);
}

int main(int argc, char **argv) {
  if (argc != 4)
    bench_die(who, "usage", "row_checksum DATA_DIR N_ENTITIES ROUNDS");
  long long n = atoll(argv[2]);
  int rounds = atoi(argv[3]);
  if (rounds < 1 || rounds > MAX_ROUNDS)
    bench_die(who, "usage", "ROUNDS is 1..101");
  lr_store *store;
  lr_result *res;
  lr_request *req = open_request(argv[1], &store);
  if (lr_result_create(req, 1, &res))
    bench_die(who, "result", "cannot create");
  time_lookups(req, res, n, (int)(2 * n)); /* warm the map */
  static double lookups[MAX_ROUNDS];
  for (int r = 0; r < rounds; r++)
    lookups[r] = time_lookups(req, res, n, LOOKUPS);
  double lookup = median(lookups, rounds), with, without;
  time_check(rounds, &with, &without);
  printf("1-entity lookup of 20 float32 (%lld entities): %.1f ns\n", n,
         lookup);
  printf("row decode: %.1f ns with the checksum, %.1f ns without: the "
         "check costs %.1f ns, %.1f%% of the lookup\n", with, without,
         with - without, 100.0 * (with - without) / lookup);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(store);
  return 0;
}

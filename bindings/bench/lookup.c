/*
 * lookup.c - the C side of the binding benchmark: exactly the lookups of
 * bindings/rust/examples/bench_lookup.rs (same features, same keys, same
 * cells read), so that their difference is the Rust binding's overhead.
 *
 *   lookup REPO [LOOKUPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "larder.h"

static const char *features[] = {"driver_hourly_stats:conv_rate",
                                 "driver_hourly_stats:acc_rate",
                                 "driver_hourly_stats:avg_daily_trips"};

/* The i-th key, as bench_lookup.rs computes it. */
static long long key(size_t i) { return 1001 + (long long)(i * 7919 % 300); }

/* Where the cells read are summed, so that the reads cannot be optimized
 * away. */
static volatile double sink;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A cell's number, or 0 when it is not present. */
static double number(const lr_result *res, int e, int f) {
  lr_value v;
  lr_result_cell(res, e, f, &v);
  if (v.status != LR_STATUS_PRESENT)
    return 0;
  return v.type == LR_TYPE_FLOAT32 ? v.v.f32 : (double)v.v.i64;
}

/* Times `runs` lookups of `batch` entities after as many untimed ones. */
static void time_batch(const lr_request *req, int batch, size_t runs) {
  lr_result *res;
  lr_value *keys = calloc((size_t)batch, sizeof *keys);
  double *ns = calloc(runs, sizeof *ns), sum = 0, total = 0;
  if (!keys || !ns || lr_result_create(req, batch, &res)) {
    fprintf(stderr, "lookup: out of memory\n");
    exit(1);
  }
  for (size_t r = 0; r < 2 * runs; r++) {
    for (int j = 0; j < batch; j++)
      keys[j] = (lr_value){.type = LR_TYPE_INT64,
                           .v.i64 = key(r * (size_t)batch + (size_t)j)};
    double start = now_ns();
    if (lr_get_online_features(req, keys, batch, res)) {
      fprintf(stderr, "lookup: %s\n", lr_result_errmsg(res));
      exit(1);
    }
    for (int e = 0; e < batch; e++)
      sum += number(res, e, 0) + number(res, e, 1) + number(res, e, 2);
    if (r >= runs)
      total += ns[r - runs] = now_ns() - start;
  }
  qsort(ns, runs, sizeof *ns, compare_doubles);
  sink = sum;
  printf("c batch=%d runs=%zu p50_ns=%.0f p99_ns=%.0f mean_ns=%.0f\n", batch,
         runs, ns[runs / 2], ns[runs * 99 / 100], total / (double)runs);
  lr_result_free(res);
  free(keys);
  free(ns);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: lookup REPO [LOOKUPS]\n");
    return 2;
  }
  size_t lookups = argc > 2 ? (size_t)atol(argv[2]) : 200000;
  lr_store *store;
  lr_request *req;
  if (lr_store_open(argv[1], LR_STORE_READONLY, &store) ||
      lr_request_prepare(store, features, 3, &req)) {
    fprintf(stderr, "lookup: %s\n", lr_store_errmsg(store));
    return 1;
  }
  for (int batch = 1; batch <= 100; batch *= 100)
    time_batch(req, batch, lookups / (size_t)batch > 100
                               ? lookups / (size_t)batch : 100);
  lr_request_free(req);
  lr_store_close(store);
  return 0;
}

/*
 * user_stats.h - the benchmark view `user_stats` that bench/online_lookup.c
 * defines and loads: 20 float32 features keyed by the int64 `user_id`.
 * What the programs that write or read such a store share (online_lookup.c,
 * replica_lookup.c): the values its rows hold, columns to write them with,
 * and timed lookups of random entities, checked against those values.
 */
#ifndef LR_BENCH_USER_STATS_H
#define LR_BENCH_USER_STATS_H

#include "common.h"
#include "larder.h"

enum { USER_STATS_FEATURES = 20, USER_STATS_MAX_BATCH = 1000 };

/* The keys every program draws, seeded: the same runs get the same keys. */
static uint64_t user_stats_rng = 0x2545F4914F6CDD1Dull;

/* The value of feature `f` of entity `id`, as loaded and checked. */
static inline float user_stats_value(long long id, int f) {
  return (float)((id * 31 + f) % 1000) / 1000.0f;
}

/* Room for `cap` rows, column by column as lr_write_rows takes them; the
 * columns point into the struct, so it is not copied. */
typedef struct user_stats_rows {
  size_t cap;
  lr_value *values; /* 2 + USER_STATS_FEATURES columns of `cap` values */
  char names[USER_STATS_FEATURES][8];
  lr_column cols[USER_STATS_FEATURES + 2];
} user_stats_rows;

static inline void user_stats_rows_init(user_stats_rows *b, size_t cap) {
  b->cap = cap;
  b->values = calloc(cap * (USER_STATS_FEATURES + 2), sizeof *b->values);
  if (!b->values)
    bench_die("bench", "rows", "out of memory");
  b->cols[0] = (lr_column){"user_id", b->values};
  b->cols[1] = (lr_column){"event_timestamp", b->values + cap};
  for (int f = 0; f < USER_STATS_FEATURES; f++) {
    snprintf(b->names[f], sizeof b->names[f], "f%02d", f);
    b->cols[f + 2] =
        (lr_column){b->names[f], b->values + (size_t)(f + 2) * cap};
  }
}

static inline void user_stats_rows_free(user_stats_rows *b) {
  free(b->values);
  b->values = NULL;
}

/* Row `r`: entity `id` at event time `ts` (microseconds), its values. */
static inline void user_stats_rows_set(user_stats_rows *b, size_t r,
                                       long long id, long long ts) {
  b->values[r] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = id};
  b->values[b->cap + r] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = ts};
  for (int f = 0; f < USER_STATS_FEATURES; f++)
    b->values[(size_t)(f + 2) * b->cap + r] = (lr_value){
        .type = LR_TYPE_FLOAT32, .v.f32 = user_stats_value(id, f)};
}

/* Writes the first `rows` rows into `store`, or dies. */
static inline void user_stats_rows_write(const user_stats_rows *b,
                                         lr_store *store, size_t rows) {
  if (lr_write_rows(store, "user_stats", b->cols, USER_STATS_FEATURES + 2,
                    rows, NULL))
    bench_die("bench", "write", lr_store_errmsg(store));
}

/* A request for `refs`, or dies. */
static inline lr_request *user_stats_prepare(lr_store *store,
                                             const char *const *refs, int n) {
  lr_request *req;
  if (lr_request_prepare(store, refs, n, &req))
    bench_die("bench", "prepare", lr_store_errmsg(store));
  return req;
}

/* A request for the 20 features by reference. */
static inline lr_request *user_stats_request(lr_store *store) {
  const char *refs[USER_STATS_FEATURES];
  char names[USER_STATS_FEATURES][24];
  for (int f = 0; f < USER_STATS_FEATURES; f++) {
    snprintf(names[f], sizeof names[f], "user_stats:f%02d", f);
    refs[f] = names[f];
  }
  return user_stats_prepare(store, refs, USER_STATS_FEATURES);
}

/* Fills the key columns of `batch` entities: user_id at random among
 * 0..n-1, and any other column (the request field val_to_add) 1. */
static inline void user_stats_random_keys(const lr_request *req, int batch,
                                          long long n, lr_value *keys) {
  int n_keys;
  lr_request_shape(req, &n_keys, NULL);
  for (int e = 0; e < batch; e++)
    for (int c = 0; c < n_keys; c++) {
      const char *name;
      lr_request_key(req, c, &name, NULL);
      long long v =
          strcmp(name, "user_id")
              ? 1
              : (long long)(xorshift_next(&user_stats_rng) % (uint64_t)n);
      keys[e * n_keys + c] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = v};
    }
}

/* Checks a feature of the first entity (its key is the first column)
 * against what was written; `feature` -1 checks the on-demand score (the
 * last feature): f00 * f01 + f02 / 1. */
static inline void user_stats_check(const lr_result *res, const lr_value *keys,
                                    int feature, int n_features) {
  lr_value cell;
  long long id = keys[0].v.i64;
  lr_result_cell(res, 0, feature < 0 ? n_features - 1 : feature, &cell);
  double want = feature >= 0 ? (double)user_stats_value(id, feature)
                             : (double)user_stats_value(id, 0) *
                                       (double)user_stats_value(id, 1) +
                                   (double)user_stats_value(id, 2);
  double got = cell.type == LR_TYPE_FLOAT64 ? cell.v.f64 : (double)cell.v.f32;
  if (cell.status != LR_STATUS_PRESENT || got < want - 1e-6 ||
      got > want + 1e-6)
    bench_die("bench", "get", "wrong value read back");
}

/* Times `runs` lookups of `batch` random entities through `req` and
 * prints the row (scenario, system, "entities=B features=F"). */
static inline void user_stats_bench(const lr_request *req,
                                    const char *scenario, const char *system,
                                    long long n, int batch, int runs,
                                    latency *h) {
  lr_result *res;
  int n_keys, n_features;
  lr_request_shape(req, &n_keys, &n_features);
  int with_score = !strcmp(system, "larder_odfv"); /* the last feature */
  if (lr_result_create(req, USER_STATS_MAX_BATCH, &res))
    bench_die("bench", "result", "cannot create");
  static lr_value keys[USER_STATS_MAX_BATCH * 2];
  double total = 0;
  latency_reset(h);
  for (int i = 0; i < runs; i++) {
    user_stats_random_keys(req, batch, n, keys);
    double t0 = bench_now_ns();
    if (lr_get_online_features(req, keys, batch, res))
      bench_die("bench", "get", lr_result_errmsg(res));
    double ns = bench_now_ns() - t0;
    total += ns;
    latency_record(h, (unsigned long long)ns);
    user_stats_check(res, keys, 0, n_features);
    if (with_score)
      user_stats_check(res, keys, -1, n_features);
  }
  lr_result_free(res);
  char params[64]; /* the score is not counted: rows pair by params */
  snprintf(params, sizeof params, "entities=%d features=%d", batch,
           n_features - with_score);
  bench_row(scenario, system, params, runs / (total / 1e9), "lookups/s", h);
}

/* Looks every entity up once, in order, so that Larder's mapping of the
 * store is warm (a serving process that has been up a while). */
static inline void user_stats_warm_up(const lr_request *req, long long n) {
  lr_result *res;
  if (lr_result_create(req, USER_STATS_MAX_BATCH, &res))
    bench_die("bench", "result", "cannot create");
  lr_value keys[USER_STATS_MAX_BATCH];
  for (long long start = 0; start < n; start += USER_STATS_MAX_BATCH) {
    int batch = n - start < USER_STATS_MAX_BATCH ? (int)(n - start)
                                                 : USER_STATS_MAX_BATCH;
    for (int e = 0; e < batch; e++)
      keys[e] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = start + e};
    if (lr_get_online_features(req, keys, batch, res))
      bench_die("bench", "warm-up", lr_result_errmsg(res));
  }
  lr_result_free(res);
}

#endif

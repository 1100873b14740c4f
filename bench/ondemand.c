/*
 * ondemand.c - issue 6's benchmark: the cost of an on-demand feature on top
 * of the lookup that feeds it.
 *
 *   ondemand DATA_DIR N_ENTITIES [SECONDS_PER_SCENARIO]
 *
 * Builds (once; reused while DATA_DIR holds the same N) a repo with one view
 * of 20 float32 features, an on-demand view with a 3-operator expression
 * over three of them and a request field, loaded with N entities. Then, for
 * batches of 1 and 100 random entities, measures the plain lookup of the
 * 20 features and the same lookup plus the on-demand feature, alternating
 * the two every 1000 lookups so that both see the same machine. Prints one
 * `name key=value ...` line per scenario and the overhead ratio.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "larder.h"

enum { FEATURES = 20, LOAD_BATCH = 50000, MAX_BATCH = 100, ROUND = 1000 };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void die(const char *what, const char *msg) {
  fprintf(stderr, "ondemand: %s: %s\n", what, msg);
  exit(1);
}

static void write_text(const char *dir, const char *name, const char *text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f)
    die("cannot write", path);
  fputs(text, f);
  fclose(f);
}

/* The definitions: stats (f0..f19) and `scored` = f0 * f1 + f2 / boost. */
static void write_repo(const char *dir) {
  char defs[4096];
  int n = snprintf(defs, sizeof defs,
                   "entities:\n"
                   "  - {name: user, join_keys: [user_id], value_type: int64}\n"
                   "sources:\n"
                   "  - {name: src, kind: file, path: data/none.csv, "
                   "timestamp_field: ts}\n"
                   "request_sources:\n"
                   "  - name: req\n"
                   "    schema: [{name: boost, dtype: float64}]\n"
                   "feature_views:\n"
                   "  - name: stats\n    entities: [user]\n    source: src\n"
                   "    schema:\n");
  for (int f = 0; f < FEATURES; f++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "      - {name: f%d, dtype: float32}\n", f);
  snprintf(defs + n, sizeof defs - (size_t)n,
           "on_demand_feature_views:\n"
           "  - name: scored\n    sources: [stats, req]\n    schema:\n"
           "      - {name: score, dtype: float64, expr: \"f0 * f1 + f2 / "
           "boost\"}\n");
  char data[4096];
  snprintf(data, sizeof data, "%s/data", dir);
  mkdir(dir, 0755);
  mkdir(data, 0755);
  write_text(dir, "feature_store.yaml", "project: bench_ondemand\n");
  write_text(dir, "features.yaml", defs);
  write_text(data, "none.csv", "user_id,ts\n");
  lr_repo *repo;
  if (lr_repo_open(dir, &repo) || lr_repo_apply(repo, 0, NULL))
    die("apply", lr_repo_errmsg(repo));
  lr_repo_close(repo);
}

/* Loads entities 0..n-1 with random features, in batches. */
static void load(const char *dir, long n) {
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READWRITE, &store))
    die("open", lr_store_errmsg(store));
  static lr_value keys[LOAD_BATCH], times[LOAD_BATCH],
      values[FEATURES][LOAD_BATCH];
  static char names[FEATURES][8];
  lr_column cols[FEATURES + 2] = {{"user_id", keys}, {"event_timestamp", times}};
  for (int f = 0; f < FEATURES; f++) {
    snprintf(names[f], sizeof names[f], "f%d", f);
    cols[f + 2] = (lr_column){names[f], values[f]};
  }
  long long ts = (long long)time(NULL) * 1000000;
  for (long at = 0; at < n; at += LOAD_BATCH) {
    long rows = n - at < LOAD_BATCH ? n - at : LOAD_BATCH;
    for (long r = 0; r < rows; r++) {
      keys[r] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = at + r};
      times[r] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = ts};
      for (int f = 0; f < FEATURES; f++)
        values[f][r] = (lr_value){.type = LR_TYPE_FLOAT32,
                                  .v.f32 = (float)(next_random() % 1000) / 100};
    }
    if (lr_write_rows(store, "stats", cols, FEATURES + 2, (size_t)rows, NULL))
      die("write", lr_store_errmsg(store));
  }
  lr_store_close(store);
}

/* Builds the repo unless DATA_DIR/n already says it holds n entities. */
static void prepare(const char *dir, long n) {
  char stamp_path[4096], stamp[64] = "";
  snprintf(stamp_path, sizeof stamp_path, "%s/n", dir);
  FILE *f = fopen(stamp_path, "r");
  if (f) {
    if (!fgets(stamp, sizeof stamp, f))
      stamp[0] = 0;
    fclose(f);
  }
  if (atol(stamp) == n)
    return;
  write_repo(dir);
  load(dir, n);
  snprintf(stamp, sizeof stamp, "%ld\n", n);
  write_text(dir, "n", stamp);
}

/* One request and its result: the plain one or with the on-demand score. */
typedef struct scenario {
  lr_request *req;
  lr_result *res;
  int n_keys;
  double *lat;
  long n_lat;
} scenario;

static void open_scenario(lr_store *store, scenario *s, int with_score,
                          long max_samples) {
  const char *refs[FEATURES + 1];
  static char names[FEATURES][16];
  for (int f = 0; f < FEATURES; f++) {
    snprintf(names[f], sizeof names[f], "stats:f%d", f);
    refs[f] = names[f];
  }
  refs[FEATURES] = "scored:score";
  if (lr_request_prepare(store, refs, FEATURES + with_score, &s->req) ||
      lr_result_create(s->req, MAX_BATCH, &s->res))
    die("prepare", lr_store_errmsg(store));
  lr_request_shape(s->req, &s->n_keys, NULL);
  s->lat = malloc((size_t)max_samples * sizeof *s->lat);
  s->n_lat = 0;
}

/* ROUND lookups of `batch` random entities, each timed. */
static void run_round(scenario *s, long n, int batch) {
  lr_value keys[MAX_BATCH * 2];
  for (int i = 0; i < ROUND; i++) {
    for (int e = 0; e < batch; e++) {
      keys[e * s->n_keys] = (lr_value){
          .type = LR_TYPE_INT64, .v.i64 = (long long)(next_random() % (uint64_t)n)};
      if (s->n_keys == 2)
        keys[e * 2 + 1] = (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = 1.5};
    }
    double t0 = now_ns();
    if (lr_get_online_features(s->req, keys, batch, s->res))
      die("lookup", lr_result_errmsg(s->res));
    s->lat[s->n_lat++] = now_ns() - t0;
  }
}

static double percentile(scenario *s, double p) {
  qsort(s->lat, (size_t)s->n_lat, sizeof *s->lat, compare_doubles);
  return s->lat[(long)(p * (double)(s->n_lat - 1))];
}

static void close_scenario(scenario *s) {
  lr_result_free(s->res);
  lr_request_free(s->req);
  free(s->lat);
}

int main(int argc, char **argv) {
  if (argc < 3)
    die("usage", "ondemand DATA_DIR N_ENTITIES [SECONDS_PER_SCENARIO]");
  const char *dir = argv[1];
  long n = atol(argv[2]);
  double seconds = argc > 3 ? atof(argv[3]) : 3;
  prepare(dir, n);
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READONLY, &store))
    die("open", lr_store_errmsg(store));
  static const int batches[] = {1, 100};
  for (int b = 0; b < 2; b++) {
    long max_samples = 4000000;
    scenario plain, scored;
    open_scenario(store, &plain, 0, max_samples);
    open_scenario(store, &scored, 1, max_samples);
    double end = now_ns() + seconds * 2e9;
    while (now_ns() < end && plain.n_lat + ROUND <= max_samples) {
      run_round(&plain, n, batches[b]);
      run_round(&scored, n, batches[b]);
    }
    double p50 = percentile(&plain, 0.5), s50 = percentile(&scored, 0.5);
    printf("ondemand batch=%d plain_p50_ns=%.0f plain_p99_ns=%.0f "
           "odfv_p50_ns=%.0f odfv_p99_ns=%.0f overhead=%.1f%% lookups=%ld\n",
           batches[b], p50, percentile(&plain, 0.99), s50,
           percentile(&scored, 0.99), (s50 / p50 - 1) * 100, plain.n_lat);
    close_scenario(&plain);
    close_scenario(&scored);
  }
  lr_store_close(store);
  return 0;
}

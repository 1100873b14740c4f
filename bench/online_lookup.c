/*
 * online_lookup.c - issue 3's benchmark: in-process lookups on N entities x
 * 20 float32 features, random keys.
 *
 *   online_lookup DATA_DIR N_ENTITIES [SECONDS_PER_SCENARIO]
 *
 * Builds (once; reused while DATA_DIR/n holds N) a repo with one view of 20
 * float32 features and a service serving them, loads N entities through
 * lr_write_rows in batches, compacts, then measures:
 *   - raw LMDB mdb_get of the same keys (the floor), p50/p99;
 *   - lr_get_online_features of 1 entity (feature refs and the service);
 *   - batches of 10, 100, 1000 entities;
 *   - the store's bytes per entity against the raw bytes (80 + 8 key).
 * Prints one `name key=value ...` line per scenario.
 */
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "larder.h"
#include "registry/regfile.h"

enum { FEATURES = 20, LOAD_BATCH = 100000, MAX_BATCH = 1000 };

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
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
  fprintf(stderr, "online_lookup: %s: %s\n", what, msg);
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

static void make_repo(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/data' && touch "
           "'%s/data/stats.csv'", dir, dir, dir);
  if (system(cmd) != 0)
    die("cannot create", dir);
  write_text(dir, "feature_store.yaml", "project: bench\n");
  char defs[8192];
  int n = snprintf(defs, sizeof defs,
                   "entities:\n  - {name: user, join_keys: [user_id], "
                   "value_type: int64}\nsources:\n  - {name: stats, kind: "
                   "file, path: data/stats.csv, timestamp_field: ts}\n"
                   "feature_views:\n  - name: user_stats\n    entities: "
                   "[user]\n    source: stats\n    schema:\n");
  for (int f = 0; f < FEATURES; f++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "      - {name: f%02d, dtype: float32}\n", f);
  n += snprintf(defs + n, sizeof defs - (size_t)n,
                "feature_services:\n  - name: all_stats\n    features: "
                "[user_stats]\n");
  write_text(dir, "features.yaml", defs);
  lr_repo *repo;
  if (lr_repo_open(dir, &repo) || lr_repo_apply(repo, 0, NULL))
    die("apply", lr_repo_errmsg(repo));
  lr_repo_close(repo);
}

static float feature_value(long long id, int f) {
  return (float)((id * 31 + f) % 1000) / 1000.0f;
}

static void load(const char *dir, long long n) {
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READWRITE, &store))
    die("open", lr_store_errmsg(store));
  static const char *names[FEATURES + 2];
  char name_buf[FEATURES][8];
  names[0] = "user_id";
  names[1] = "event_timestamp";
  for (int f = 0; f < FEATURES; f++) {
    snprintf(name_buf[f], sizeof name_buf[f], "f%02d", f);
    names[f + 2] = name_buf[f];
  }
  lr_value *values = calloc((size_t)LOAD_BATCH * (FEATURES + 2), sizeof *values);
  lr_column cols[FEATURES + 2];
  for (int c = 0; c < FEATURES + 2; c++) {
    cols[c].name = names[c];
    cols[c].values = values + (size_t)c * LOAD_BATCH;
  }
  long long ts = (long long)time(NULL) * 1000000;
  double t0 = now_ns();
  for (long long start = 0; start < n; start += LOAD_BATCH) {
    long long rows = n - start < LOAD_BATCH ? n - start : LOAD_BATCH;
    for (long long r = 0; r < rows; r++) {
      long long id = start + r;
      values[r] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = id};
      values[LOAD_BATCH + r] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = ts};
      for (int f = 0; f < FEATURES; f++)
        values[(size_t)(f + 2) * LOAD_BATCH + (size_t)r] =
            (lr_value){.type = LR_TYPE_FLOAT32, .v.f32 = feature_value(id, f)};
    }
    if (lr_write_rows(store, "user_stats", cols, FEATURES + 2, (size_t)rows, NULL))
      die("write", lr_store_errmsg(store));
  }
  double secs = (now_ns() - t0) / 1e9;
  unsigned long long before, after;
  if (lr_store_compact(store, &before, &after))
    die("compact", lr_store_errmsg(store));
  printf("load entities=%lld seconds=%.1f rows_per_s=%.0f file_bytes=%llu "
         "compacted_bytes=%llu\n", n, secs, (double)n / secs, before, after);
  free(values);
  lr_store_close(store);
}

/* Fewer timed runs for larger batches: about the same number of lookups. */
static int batch_runs(int runs, int batch) {
  int r = runs / batch * 4 + 100;
  return r < runs ? r : runs;
}

static void report(const char *name, double *ns, int runs, int batch) {
  qsort(ns, (size_t)runs, sizeof *ns, compare_doubles);
  printf("%s batch=%d runs=%d p50_us=%.2f p99_us=%.2f p999_us=%.2f\n", name,
         batch, runs, ns[runs / 2] / 1e3, ns[runs * 99 / 100] / 1e3,
         ns[runs * 999 / 1000] / 1e3);
}

/* Touches every page of the view's database once (a cursor scan), so that
 * measurements start from a warm page cache and mapped pages, as in a
 * serving process that has been up for a while. */
static void warm_up(MDB_txn *txn, MDB_dbi dbi) {
  MDB_cursor *cur;
  MDB_val k, v;
  volatile size_t sink = 0;
  mdb_cursor_open(txn, dbi, &cur);
  for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT)
    sink += ((const unsigned char *)v.mv_data)[0];
  (void)sink;
  mdb_cursor_close(cur);
}

/* The floor: mdb_get of keys encoded as Larder does (int64 big-endian,
 * sign bit flipped) in the view's database, nothing decoded; `batch` gets
 * per timed run, in one read transaction. */
static void bench_raw(const char *dir, long long n, int batch, int runs,
                      double *ns) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data/online", dir);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, (size_t)256 << 30);
  if (mdb_env_open(env, path, MDB_RDONLY | MDB_NOTLS, 0644))
    die("raw open", path);
  mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  if (mdb_dbi_open(txn, "user_stats@0", 0, &dbi))
    die("raw dbi", "user_stats@0");
  mdb_txn_commit(txn);
  mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  warm_up(txn, dbi);
  mdb_txn_reset(txn);
  volatile size_t sink = 0;
  static unsigned char keys[MAX_BATCH][8];
  for (int i = 0; i < runs; i++) {
    for (int e = 0; e < batch; e++) {
      uint64_t u = (next_random() % (uint64_t)n) ^ (1ull << 63);
      for (int b = 0; b < 8; b++)
        keys[e][b] = (unsigned char)(u >> (56 - 8 * b));
    }
    double t0 = now_ns();
    mdb_txn_renew(txn);
    for (int e = 0; e < batch; e++) {
      MDB_val k = {8, keys[e]}, v;
      if (mdb_get(txn, dbi, &k, &v) == 0)
        sink += v.mv_size;
    }
    mdb_txn_reset(txn);
    ns[i] = now_ns() - t0;
  }
  (void)sink;
  mdb_txn_abort(txn);
  mdb_env_close(env);
  report("raw_mdb_get", ns, runs, batch);
}

static void bench_larder(lr_store *store, lr_request *req, const char *name,
                         long long n, int batch, int runs, double *ns) {
  lr_result *res;
  lr_result_create(req, MAX_BATCH, &res);
  lr_value keys[MAX_BATCH];
  long long checked = 0;
  for (int i = 0; i < runs; i++) {
    for (int e = 0; e < batch; e++)
      keys[e] = (lr_value){.type = LR_TYPE_INT64,
                           .v.i64 = (long long)(next_random() % (uint64_t)n)};
    double t0 = now_ns();
    if (lr_get_online_features(req, keys, batch, res))
      die("get", lr_result_errmsg(res));
    ns[i] = now_ns() - t0;
    lr_value cell;
    lr_result_cell(res, 0, 3, &cell);
    if (cell.status != LR_STATUS_PRESENT ||
        cell.v.f32 != feature_value(keys[0].v.i64, 3))
      die("get", "wrong value read back");
    checked++;
  }
  (void)store;
  lr_result_free(res);
  report(name, ns, runs, batch);
}

/* Looks every entity up once, in order, so that Larder's mapping of the
 * store is as warm as the raw one was. */
static void warm_up_larder(lr_request *req, long long n) {
  lr_result *res;
  lr_result_create(req, MAX_BATCH, &res);
  lr_value keys[MAX_BATCH];
  for (long long start = 0; start < n; start += MAX_BATCH) {
    int batch = n - start < MAX_BATCH ? (int)(n - start) : MAX_BATCH;
    for (int e = 0; e < batch; e++)
      keys[e] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = start + e};
    if (lr_get_online_features(req, keys, batch, res))
      die("warm-up", lr_result_errmsg(res));
  }
  lr_result_free(res);
}

int main(int argc, char **argv) {
  if (argc < 3)
    die("usage", "online_lookup DATA_DIR N_ENTITIES [RUNS]");
  const char *dir = argv[1];
  long long n = atoll(argv[2]);
  int runs = argc > 3 ? atoi(argv[3]) : 200000;
  char stamp[4200], want[64];
  snprintf(stamp, sizeof stamp, "%s/entities", dir);
  /* the stamp names the registry format too: data written by an older
   * Larder is generated again rather than failing to open */
  snprintf(want, sizeof want, "%lld format %d\n", n, LR__REGFILE_FORMAT);
  FILE *f = fopen(stamp, "r");
  char have[64] = "";
  if (f) {
    if (!fgets(have, sizeof have, f))
      have[0] = '\0';
    fclose(f);
  }
  if (strcmp(have, want) != 0) {
    make_repo(dir);
    load(dir, n);
    write_text(dir, "entities", want);
  }
  double *ns = malloc((size_t)runs * sizeof *ns);
  static const int batches[] = {1, 10, 100, 1000};
  for (int b = 0; b < 4; b++)
    bench_raw(dir, n, batches[b], batch_runs(runs, batches[b]), ns);
  double t0 = now_ns();
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READONLY, &store))
    die("open", lr_store_errmsg(store));
  printf("store_open us=%.1f\n", (now_ns() - t0) / 1e3);
  const char *refs[FEATURES];
  char ref_buf[FEATURES][32];
  for (int i = 0; i < FEATURES; i++) {
    snprintf(ref_buf[i], sizeof ref_buf[i], "user_stats:f%02d", i);
    refs[i] = ref_buf[i];
  }
  lr_request *by_refs, *by_service;
  if (lr_request_prepare(store, refs, FEATURES, &by_refs) ||
      lr_request_prepare_service(store, "all_stats", &by_service))
    die("prepare", lr_store_errmsg(store));
  warm_up_larder(by_refs, n);
  for (int b = 0; b < 4; b++)
    bench_larder(store, by_refs, "larder_refs", n, batches[b],
                 batch_runs(runs, batches[b]), ns);
  bench_larder(store, by_service, "larder_service", n, 1, runs, ns);
  char data_path[4200];
  snprintf(data_path, sizeof data_path, "%s/data/online/data.mdb", dir);
  struct stat st;
  stat(data_path, &st);
  printf("store_size entities=%lld bytes=%lld bytes_per_entity=%.1f "
         "raw_bytes_per_entity=%d ratio=%.2f\n", n, (long long)st.st_size,
         (double)st.st_size / (double)n, FEATURES * 4 + 8,
         (double)st.st_size / (double)n / (FEATURES * 4 + 8));
  lr_request_free(by_refs);
  lr_request_free(by_service);
  lr_store_close(store);
  free(ns);
  return 0;
}

/*
 * online_lookup.c - in-process lookups on N entities x 20 float32 features,
 * random keys, against the floor of raw LMDB reads.
 *
 *   online_lookup DATA_DIR N_ENTITIES RUNS   (RUNS 0: only make the data)
 *
 * Builds (once; reused while DATA_DIR/entities holds N and the store opens
 * with this Larder) a repo with one view `user_stats` of 20 float32
 * features keyed by `user_id` (int64, entities 0..N-1), a service
 * `all_stats` serving them, and an on-demand view `user_stats_plus`
 * (score = f00 * f01 + f02 / the request field val_to_add); loads the
 * entities with lr_write_rows in batches and compacts. Then, every page touched once
 * first (a serving process that has been up a while), prints report rows
 * (common.h):
 *   lookup          raw_lmdb (mdb_get of the same keys, nothing decoded)
 *                   and larder, batches of 1, 10, 100, 1000 entities;
 *   lookup_service  larder_service against larder_refs, 1 entity;
 *   lookup_odfv     larder_odfv (the 20 features and the on-demand score)
 *                   against larder_plain (the 20 features), 1 and 100
 *                   entities (issue 6: the score may add at most 20%);
 *   store_size      larder (the data file) and raw (80 + 8 key bytes) per
 *                   entity.
 */
#include <lmdb.h>
#include <stdint.h>
#include <sys/stat.h>

#include "user_stats.h"

enum {
  FEATURES = USER_STATS_FEATURES,
  LOAD_BATCH = 100000,
  MAX_BATCH = USER_STATS_MAX_BATCH
};

static const char *const who = "online_lookup";

/* Reports a failure and exits 1. */
static void die(const char *what, const char *msg) {
  bench_die(who, what, msg);
}

/* The definitions: the view, its service and the on-demand view; and
 * their source, the columns they read with no rows (the store is loaded
 * by writes), so that `larder apply` of the repo or a copy passes the
 * source check. */
static void write_definitions(const char *dir) {
  char defs[8192], path[4200], header[512];
  int n = snprintf(defs, sizeof defs,
                   "entities:\n  - {name: user, join_keys: [user_id], "
                   "value_type: int64}\nsources:\n  - {name: stats, kind: "
                   "file, path: data/stats.csv, timestamp_field: ts}\n"
                   "request_sources:\n  - name: vals\n    schema:\n"
                   "      - {name: val_to_add, dtype: int64}\n"
                   "feature_views:\n  - name: user_stats\n    entities: "
                   "[user]\n    source: stats\n    schema:\n");
  for (int f = 0; f < FEATURES; f++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "      - {name: f%02d, dtype: float32}\n", f);
  snprintf(defs + n, sizeof defs - (size_t)n,
           "on_demand_feature_views:\n  - name: user_stats_plus\n"
           "    sources: [user_stats, vals]\n    schema:\n"
           "      - {name: score, dtype: float64, expr: \"f00 * f01 + "
           "f02 / val_to_add\"}\nfeature_services:\n  - name: all_stats\n"
           "    features: [user_stats]\n");
  int h = snprintf(header, sizeof header, "user_id,ts");
  for (int f = 0; f < FEATURES; f++)
    h += snprintf(header + h, sizeof header - (size_t)h, ",f%02d", f);
  snprintf(header + h, sizeof header - (size_t)h, "\n");
  snprintf(path, sizeof path, "%s/data/stats.csv", dir);
  bench_write_text(path, header);
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  bench_write_text(path, "project: bench\n");
  snprintf(path, sizeof path, "%s/features.yaml", dir);
  bench_write_text(path, defs);
  lr_repo *repo;
  if (lr_repo_open(dir, &repo) || lr_repo_apply(repo, 0, NULL))
    die("apply", lr_repo_errmsg(repo));
  lr_repo_close(repo);
}

/* Writes entities 0..n-1 in batches, then compacts. */
static void load(const char *dir, long long n) {
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READWRITE, &store))
    die("open", lr_store_errmsg(store));
  user_stats_rows rows;
  user_stats_rows_init(&rows, LOAD_BATCH);
  long long ts = (long long)time(NULL) * 1000000;
  double t0 = bench_now_ns();
  for (long long start = 0; start < n; start += LOAD_BATCH) {
    long long batch = n - start < LOAD_BATCH ? n - start : LOAD_BATCH;
    for (long long r = 0; r < batch; r++)
      user_stats_rows_set(&rows, (size_t)r, start + r, ts);
    user_stats_rows_write(&rows, store, (size_t)batch);
  }
  double secs = (bench_now_ns() - t0) / 1e9;
  unsigned long long before, after;
  if (lr_store_compact(store, &before, &after))
    die("compact", lr_store_errmsg(store));
  printf("load entities=%lld seconds=%.1f rows_per_s=%.0f compacted_bytes=%llu"
         "\n",
         n, secs, (double)n / secs, after);
  user_stats_rows_free(&rows);
  lr_store_close(store);
}

/* Reuses DATA_DIR when its stamp says N entities and this Larder opens
 * it; otherwise generates it again. The definitions are applied either
 * way (a no-op when unchanged). */
static void ensure_data(const char *dir, long long n) {
  char stamp[4200], have[64], want[64], cmd[8500];
  snprintf(stamp, sizeof stamp, "%s/entities", dir);
  snprintf(want, sizeof want, "%lld", n);
  bench_read_line(stamp, have, sizeof have);
  lr_store *store = NULL;
  int usable =
      !strcmp(have, want) && lr_store_open(dir, LR_STORE_READONLY, &store) == 0;
  lr_store_close(store);
  if (usable) {
    write_definitions(dir);
    return;
  }
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/data'", dir, dir);
  if (system(cmd) != 0)
    die("cannot create", dir);
  write_definitions(dir);
  load(dir, n);
  snprintf(want, sizeof want, "%lld\n", n);
  bench_write_text(stamp, want);
}

/* Fewer timed runs for larger batches: about the same number of lookups. */
static int batch_runs(int runs, int batch) {
  int r = runs / batch * 4 + 100;
  return r < runs ? r : runs;
}

/* Touches every page of the view's database once (a cursor scan). */
static void warm_up_raw(MDB_txn *txn, MDB_dbi dbi) {
  MDB_cursor *cur;
  MDB_val k, v;
  volatile size_t sink = 0;
  mdb_cursor_open(txn, dbi, &cur);
  for (int op = MDB_FIRST; mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT)
    sink += ((const unsigned char *)v.mv_data)[0];
  (void)sink;
  mdb_cursor_close(cur);
}

/* Key bytes as Larder encodes an int64: big-endian, sign bit flipped. */
static void encode_key(long long id, unsigned char *key) {
  uint64_t u = (uint64_t)id ^ (1ull << 63);
  for (int b = 0; b < 8; b++)
    key[b] = (unsigned char)(u >> (56 - 8 * b));
}

/* The floor: `batch` mdb_get per timed run in one read transaction, in
 * the view's database, nothing decoded. */
static void bench_raw(MDB_env *env, MDB_dbi dbi, long long n, int batch,
                      int runs, latency *h) {
  MDB_txn *txn;
  mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  mdb_txn_reset(txn);
  volatile size_t sink = 0;
  static unsigned char keys[MAX_BATCH][8];
  double total = 0;
  latency_reset(h);
  for (int i = 0; i < runs; i++) {
    for (int e = 0; e < batch; e++)
      encode_key((long long)(xorshift_next(&user_stats_rng) % (uint64_t)n), keys[e]);
    double t0 = bench_now_ns();
    mdb_txn_renew(txn);
    for (int e = 0; e < batch; e++) {
      MDB_val k = {8, keys[e]}, v;
      if (mdb_get(txn, dbi, &k, &v) == 0)
        sink += v.mv_size;
    }
    mdb_txn_reset(txn);
    double ns = bench_now_ns() - t0;
    total += ns;
    latency_record(h, (unsigned long long)ns);
  }
  (void)sink;
  mdb_txn_abort(txn);
  char params[64];
  snprintf(params, sizeof params, "entities=%d features=%d", batch, FEATURES);
  bench_row("lookup", "raw_lmdb", params, runs / (total / 1e9), "lookups/s", h);
}

/* Opens the store's LMDB environment directly, warms it, and measures
 * every batch size. */
static void bench_raw_all(const char *dir, long long n, int runs, latency *h) {
  char path[4096], current[32] = "";
  snprintf(path, sizeof path, "%s/data/online/CURRENT", dir);
  bench_read_line(path, current, sizeof current); /* the live generation */
  if (*current)
    snprintf(path, sizeof path, "%s/data/online/gen-%s", dir, current);
  else
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
  warm_up_raw(txn, dbi);
  mdb_txn_commit(txn);
  static const int batches[] = {1, 10, 100, 1000};
  for (int b = 0; b < 4; b++)
    bench_raw(env, dbi, n, batches[b], batch_runs(runs, batches[b]), h);
  mdb_env_close(env);
}

/* The 20 features, plain and with the on-demand score (three operators
 * over three of them and a request field) added: what computing on demand
 * costs on top of the lookup that feeds it. */
static void bench_odfv(lr_store *store, long long n, int runs, latency *h) {
  const char *refs[FEATURES + 1];
  char names[FEATURES][24];
  for (int f = 0; f < FEATURES; f++) {
    snprintf(names[f], sizeof names[f], "user_stats:f%02d", f);
    refs[f] = names[f];
  }
  refs[FEATURES] = "user_stats_plus:score";
  lr_request *plain = user_stats_prepare(store, refs, FEATURES);
  lr_request *odfv = user_stats_prepare(store, refs, FEATURES + 1);
  static const int batches[] = {1, 100};
  for (int b = 0; b < 2; b++) {
    int r = batch_runs(runs, batches[b]);
    user_stats_bench(plain, "lookup_odfv", "larder_plain", n, batches[b], r, h);
    user_stats_bench(odfv, "lookup_odfv", "larder_odfv", n, batches[b], r, h);
  }
  lr_request_free(plain);
  lr_request_free(odfv);
}

/* The store's bytes per entity against the raw bytes. */
static void report_size(const char *dir, long long n) {
  char path[4200], params[64], current[32] = "";
  snprintf(path, sizeof path, "%s/data/online/CURRENT", dir);
  bench_read_line(path, current, sizeof current); /* the live generation */
  snprintf(path, sizeof path, "%s/data/online/gen-%s/data.mdb", dir, current);
  snprintf(params, sizeof params, "entities=%lld features=%d", n, FEATURES);
  struct stat st;
  if (stat(path, &st))
    die("stat", path);
  bench_figure("store_size", "larder", params, (double)st.st_size / (double)n,
               "bytes/entity", -1);
  bench_figure("store_size", "raw", params, FEATURES * 4 + 8, "bytes/entity",
               -1);
}

/* Makes the data, then measures every scenario in turn. */
int main(int argc, char **argv) {
  if (argc != 4)
    die("usage", "online_lookup DATA_DIR N_ENTITIES RUNS");
  const char *dir = argv[1];
  long long n = atoll(argv[2]);
  int runs = atoi(argv[3]);
  ensure_data(dir, n);
  if (runs == 0)
    return 0;
  latency *h = calloc(1, sizeof *h);
  bench_raw_all(dir, n, runs, h);
  lr_store *store;
  if (lr_store_open(dir, LR_STORE_READONLY, &store))
    die("open", lr_store_errmsg(store));
  const char *refs[FEATURES];
  char ref_buf[FEATURES][32];
  for (int i = 0; i < FEATURES; i++) {
    snprintf(ref_buf[i], sizeof ref_buf[i], "user_stats:f%02d", i);
    refs[i] = ref_buf[i];
  }
  lr_request *by_refs = user_stats_prepare(store, refs, FEATURES), *by_service;
  if (lr_request_prepare_service(store, "all_stats", &by_service))
    die("prepare", lr_store_errmsg(store));
  user_stats_warm_up(by_refs, n);
  static const int batches[] = {1, 10, 100, 1000};
  for (int b = 0; b < 4; b++)
    user_stats_bench(by_refs, "lookup", "larder", n, batches[b],
                 batch_runs(runs, batches[b]), h);
  user_stats_bench(by_service, "lookup_service", "larder_service", n, 1, runs, h);
  user_stats_bench(by_refs, "lookup_service", "larder_refs", n, 1, runs, h);
  bench_odfv(store, n, runs, h);
  report_size(dir, n);
  lr_request_free(by_refs);
  lr_request_free(by_service);
  lr_store_close(store);
  free(h);
  return 0;
}

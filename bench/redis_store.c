/*
 * redis_store.c - Larder's online store on Redis (issue 17): materializing
 * into it and looking up from it, beside Feast's Redis layout read by the
 * same client (bench/redis_store.sh runs it and measures memory).
 *
 *   redis_store materialize REPO PARQUET PORT BUCKETS
 *       makes REPO (a view `stats` of 20 float32 features, user_id int64,
 *       read from PARQUET: bench/offline.c's latest.parquet, one row per
 *       user 0..N-1) with its online store on redis://127.0.0.1:PORT and
 *       BUCKETS buckets, applies it and materializes everything: a
 *       `redis_materialize` row (rows/s, the run's seconds).
 *   redis_store lookup REPO N RUNS
 *       RUNS lookups each of 1, 10 and 100 random users of 0..N-1 through
 *       lr_get_online_features (all 20 features): `redis_lookup` rows,
 *       system larder, latency per lookup.
 *   redis_store feast PORT N RUNS
 *       the same lookups of Feast's layout (`loadgen redis-gen N` loaded
 *       into PORT): one HMGET of the 20 features and _ts per entity, a
 *       lookup's HMGETs in one pipelined batch of Larder's Redis client
 *       (src/redis/cluster.h), the replies checked for shape only (Feast
 *       would then decode protobufs: left out, in Feast's favour).
 * Every lookup's answer is checked: Larder's values PRESENT, Feast's 21
 * strings per entity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "http/loadgen.h"
#include "larder.h"
#include "redis/cluster.h"

enum { FEATURES = 20 };
static const int SIZES[] = {1, 10, 100};

static void die(const char *what, const char *msg) {
  bench_die("redis_store", what, msg);
}

/* xorshift64: the lookups' random users. */
static unsigned long long next_random(unsigned long long *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void make_repo(const char *repo, const char *parquet, int port,
                      long long buckets) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", repo, repo);
  if (system(cmd))
    die("cannot create", repo);
  char path[4200], text[8192];
  snprintf(path, sizeof path, "%s/feature_store.yaml", repo);
  snprintf(text, sizeof text, "project: bench\nonline_store: {type: redis, "
           "url: \"redis://127.0.0.1:%d/0\", buckets: %lld, timeout: 10s}\n",
           port, buckets);
  bench_write_text(path, text);
  int n = snprintf(text, sizeof text,
                   "entities:\n  - {name: user, join_keys: [user_id], "
                   "value_type: int64}\nsources:\n  - {name: latest, kind: "
                   "file, path: '%s', timestamp_field: ts}\nfeature_views:\n"
                   "  - name: stats\n    entities: [user]\n    source: "
                   "latest\n    schema:\n", parquet);
  for (int f = 0; f < FEATURES; f++)
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "      - {name: f%02d, dtype: float32}\n", f);
  snprintf(path, sizeof path, "%s/features.yaml", repo);
  bench_write_text(path, text);
  lr_repo *r;
  if (lr_repo_open(repo, &r) || lr_repo_apply(r, 0, NULL))
    die("apply", lr_repo_errmsg(r));
  lr_repo_close(r);
}

static int materialize(const char *repo, const char *parquet, int port,
                       long long buckets) {
  make_repo(repo, parquet, port, buckets);
  lr_offline *off;
  if (lr_offline_open(repo, &off))
    die("open", lr_offline_errmsg(off));
  static const char *views[] = {"stats"};
  lr_materialize_spec spec = {.start_us = 0, .end_us = 4102444800000000LL,
                              .views = views, .n_views = 1};
  lr_materialize_stats st;
  double t0 = bench_now_ns();
  if (lr_materialize(off, &spec, &st))
    die("materialize", lr_offline_errmsg(off));
  double secs = (bench_now_ns() - t0) / 1e9;
  char params[96];
  snprintf(params, sizeof params, "entities=%llu features=20 buckets=%lld",
           st.rows_read, buckets);
  bench_figure("redis_materialize", "larder", params,
               (double)st.rows_read / secs, "rows/s", secs);
  lr_offline_close(off);
  return 0;
}

/* RUNS lookups of k random users through the API; a redis_lookup row. */
static void lookup_size(lr_store *store, long long n, int runs, int k) {
  const char *refs[FEATURES];
  char names[FEATURES][16];
  for (int f = 0; f < FEATURES; f++) {
    snprintf(names[f], sizeof names[f], "stats:f%02d", f);
    refs[f] = names[f];
  }
  lr_request *req;
  lr_result *res;
  if (lr_request_prepare(store, refs, FEATURES, &req) ||
      lr_result_create(req, k, &res))
    die("prepare", lr_store_errmsg(store));
  lr_value keys[100];
  unsigned long long seed = 0x9e3779b97f4a7c15ull;
  latency h;
  latency_reset(&h);
  double t0 = bench_now_ns();
  for (int run = 0; run < runs; run++) {
    for (int e = 0; e < k; e++)
      keys[e] = (lr_value){.type = LR_TYPE_INT64,
                           .v.i64 = (long long)(next_random(&seed) % (unsigned long long)n)};
    double s = bench_now_ns();
    if (lr_get_online_features(req, keys, k, res))
      die("lookup", lr_result_errmsg(res));
    latency_record(&h, (unsigned long long)(bench_now_ns() - s));
    lr_value v;
    lr_result_cell(res, k - 1, FEATURES - 1, &v);
    if (v.status != LR_STATUS_PRESENT)
      die("lookup", "a user's feature is not PRESENT");
  }
  double secs = (bench_now_ns() - t0) / 1e9;
  char params[64];
  snprintf(params, sizeof params, "entities=%d", k);
  bench_row("redis_lookup", "larder", params, runs / secs, "lookups/s", &h);
  lr_result_free(res);
  lr_request_free(req);
}

static int lookups(const char *repo, long long n, int runs) {
  lr_store *store;
  if (lr_store_open(repo, LR_STORE_READONLY, &store))
    die("open", lr_store_errmsg(store));
  for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
    lookup_size(store, n, runs, SIZES[i]);
  lr_store_close(store);
  return 0;
}

/* RUNS lookups of k random users in Feast's layout; a redis_lookup row. */
static void feast_size(lr__redis_cluster *c, long long n, int runs, int k) {
  unsigned char keys[100][LG_FEAST_KEY_LEN];
  const unsigned char *args[100][1 + LG_FEAST_HMGET_ARGS];
  size_t lens[100][1 + LG_FEAST_HMGET_ARGS];
  lr__redis_command cmds[100];
  lr__redis_answer answers[100];
  lr__buf err;
  lr__buf_init(&err);
  unsigned long long seed = 0x9e3779b97f4a7c15ull;
  latency h;
  latency_reset(&h);
  double t0 = bench_now_ns();
  for (int run = 0; run < runs; run++) {
    double s = bench_now_ns();
    for (int e = 0; e < k; e++) {
      long long id = (long long)(next_random(&seed) % (unsigned long long)n);
      args[e][0] = (const unsigned char *)"HMGET";
      lens[e][0] = 5;
      int argc = 1 + lg_feast_hmget(id, keys[e], args[e] + 1, lens[e] + 1);
      cmds[e] = (lr__redis_command){argc, (const char *const *)args[e],
                                    lens[e], keys[e], LG_FEAST_KEY_LEN};
    }
    if (lr__redis_cluster_batch(c, cmds, (size_t)k, answers, &err))
      die("HMGET", lr__buf_str(&err));
    latency_record(&h, (unsigned long long)(bench_now_ns() - s));
    for (int e = 0; e < k; e++)
      if (answers[e].reply->type != REDIS_REPLY_ARRAY ||
          answers[e].reply->elements != LG_FEATURES + 1 ||
          answers[e].reply->element[LG_FEATURES]->type != REDIS_REPLY_STRING)
        die("HMGET", "an answer of another shape (is the data loaded?)");
    lr__redis_answers_clear(answers, (size_t)k);
  }
  double secs = (bench_now_ns() - t0) / 1e9;
  char params[64];
  snprintf(params, sizeof params, "entities=%d", k);
  bench_row("redis_lookup", "feast_layout", params, runs / secs, "lookups/s",
            &h);
  lr__buf_free(&err);
}

static int feast(int port, long long n, int runs) {
  char seed[32];
  snprintf(seed, sizeof seed, "127.0.0.1:%d", port);
  const char *seeds[1] = {seed};
  lr__redis_options o = {.seeds = seeds, .n_seeds = 1,
                         .conn = {.connect_timeout_ms = 1000,
                                  .command_timeout_ms = 10000}};
  lr__redis_cluster *c;
  lr__buf err;
  lr__buf_init(&err);
  if (lr__redis_cluster_open(&o, &c, &err))
    die("connect", lr__buf_str(&err));
  for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
    feast_size(c, n, runs, SIZES[i]);
  lr__redis_cluster_close(c);
  lr__buf_free(&err);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "materialize"))
    return materialize(argv[2], argv[3], atoi(argv[4]), atoll(argv[5]));
  if (argc == 5 && !strcmp(argv[1], "lookup"))
    return lookups(argv[2], atoll(argv[3]), atoi(argv[4]));
  if (argc == 5 && !strcmp(argv[1], "feast"))
    return feast(atoi(argv[2]), atoll(argv[3]), atoi(argv[4]));
  fprintf(stderr, "usage: redis_store materialize REPO PARQUET PORT BUCKETS "
                  "| lookup REPO N RUNS | feast PORT N RUNS\n");
  return 2;
}

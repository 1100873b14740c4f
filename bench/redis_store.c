/*
 * redis_store.c - Larder's online store on Redis (issue 17): materializing
 * into it and looking up from it, beside Feast's Redis layout read by the
 * same client (bench/redis_store.sh runs it and measures memory).
 *
 *   redis_store materialize REPO PARQUET PORTS BUCKETS
 *       makes REPO (a view `stats` of 20 float32 features, user_id int64,
 *       read from PARQUET: bench/offline.c's latest.parquet, one row per
 *       user 0..N-1) with its online store on redis://127.0.0.1:PORT (or
 *       on the cluster of 127.0.0.1:P1,P2,... when PORTS lists several)
 *       and BUCKETS buckets, applies it and materializes everything: a
 *       `redis_materialize` row (rows/s, the run's seconds).
 *   redis_store lookup REPO PORT N RUNS
 *       RUNS lookups each of 1, 10 and 100 random users of 0..N-1 through
 *       lr_get_online_features (all 20 features) on REPO's store, and the
 *       same lookups of Feast's layout (`loadgen redis-gen N` loaded into
 *       the same server at PORT): one HMGET of the 20 features and _ts per
 *       entity, a lookup's HMGETs in one pipelined batch of Larder's Redis
 *       client (src/redis/cluster.h), the replies checked for shape only
 *       (Feast would then decode protobufs: left out, in Feast's favour).
 *       The two alternate in rounds of ROUND lookups, so both meet the same
 *       server, the same caches and the same CPU wake-ups; `redis_lookup`
 *       rows, systems larder and feast_layout, latency per lookup.
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

enum { FEATURES = 20, ROUND = 100 };
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

/* The online_store block's address: `url: ...` for one port, `cluster:
 * [...]` for a comma-separated list. */
static void address_of(const char *ports, char *out, size_t size) {
  if (!strchr(ports, ',')) {
    snprintf(out, size, "url: \"redis://127.0.0.1:%s/0\"", ports);
    return;
  }
  int n = snprintf(out, size, "cluster: [");
  char *list = strdup(ports);
  char *save = NULL;
  for (char *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save))
    n += snprintf(out + n, size - (size_t)n, "%s\"redis://127.0.0.1:%s\"",
                  n > 10 ? ", " : "", p);
  snprintf(out + n, size - (size_t)n, "]");
  free(list);
}

static void make_repo(const char *repo, const char *parquet,
                      const char *ports, long long buckets) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", repo, repo);
  if (system(cmd))
    die("cannot create", repo);
  char path[4200], text[8192];
  snprintf(path, sizeof path, "%s/feature_store.yaml", repo);
  char address[512];
  address_of(ports, address, sizeof address);
  snprintf(text, sizeof text, "project: bench\nonline_store: {type: redis, "
           "%s, buckets: %lld, timeout: 10s}\n", address, buckets);
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

static int materialize(const char *repo, const char *parquet,
                       const char *ports, long long buckets) {
  make_repo(repo, parquet, ports, buckets);
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
  int masters = 1;
  for (const char *p = ports; *p; p++)
    masters += *p == ',';
  char params[96];
  snprintf(params, sizeof params,
           "entities=%llu features=20 buckets=%lld masters=%d", st.rows_read,
           buckets, masters);
  bench_figure("redis_materialize", "larder", params,
               (double)st.rows_read / secs, "rows/s", secs);
  lr_offline_close(off);
  return 0;
}

/* One size's lookups of both systems: the random users, each system's
 * latencies and time. */
typedef struct size_run {
  int k;
  long long n;
  unsigned long long seed[2];
  latency h[2];
  double ns[2];
} size_run;

/* ROUND lookups of run->k random users through the API. */
static void larder_round(size_run *run, lr_request *req, lr_result *res) {
  lr_value keys[100];
  for (int i = 0; i < ROUND; i++) {
    for (int e = 0; e < run->k; e++)
      keys[e] = (lr_value){.type = LR_TYPE_INT64,
                           .v.i64 = (long long)(next_random(&run->seed[0]) %
                                                (unsigned long long)run->n)};
    double s = bench_now_ns();
    if (lr_get_online_features(req, keys, run->k, res))
      die("lookup", lr_result_errmsg(res));
    double took = bench_now_ns() - s;
    latency_record(&run->h[0], (unsigned long long)took);
    run->ns[0] += took;
    lr_value v;
    lr_result_cell(res, run->k - 1, FEATURES - 1, &v);
    if (v.status != LR_STATUS_PRESENT)
      die("lookup", "a user's feature is not PRESENT");
  }
}

/* ROUND lookups of run->k random users in Feast's layout. */
static void feast_round(size_run *run, lr__redis_cluster *c) {
  unsigned char keys[100][LG_FEAST_KEY_LEN];
  const unsigned char *args[100][1 + LG_FEAST_HMGET_ARGS];
  size_t lens[100][1 + LG_FEAST_HMGET_ARGS];
  lr__redis_command cmds[100];
  lr__redis_answer answers[100];
  lr__buf err;
  lr__buf_init(&err);
  for (int i = 0; i < ROUND; i++) {
    double s = bench_now_ns();
    for (int e = 0; e < run->k; e++) {
      long long id = (long long)(next_random(&run->seed[1]) %
                                 (unsigned long long)run->n);
      args[e][0] = (const unsigned char *)"HMGET";
      lens[e][0] = 5;
      int argc = 1 + lg_feast_hmget(id, keys[e], args[e] + 1, lens[e] + 1);
      cmds[e] = (lr__redis_command){argc, (const char *const *)args[e],
                                    lens[e], keys[e], LG_FEAST_KEY_LEN};
    }
    if (lr__redis_cluster_batch(c, cmds, (size_t)run->k, answers, &err))
      die("HMGET", lr__buf_str(&err));
    double took = bench_now_ns() - s;
    latency_record(&run->h[1], (unsigned long long)took);
    run->ns[1] += took;
    for (int e = 0; e < run->k; e++)
      if (answers[e].reply->type != REDIS_REPLY_ARRAY ||
          answers[e].reply->elements != LG_FEATURES + 1 ||
          answers[e].reply->element[LG_FEATURES]->type != REDIS_REPLY_STRING)
        die("HMGET", "an answer of another shape (is the data loaded?)");
    lr__redis_answers_clear(answers, (size_t)run->k);
  }
  lr__buf_free(&err);
}

/* RUNS lookups of k users by each system, alternating rounds; two
 * redis_lookup rows. */
static void compare_size(lr_store *store, lr__redis_cluster *c, long long n,
                         int runs, int k) {
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
  size_run run = {.k = k, .n = n,
                  .seed = {0x9e3779b97f4a7c15ull, 0x9e3779b97f4a7c15ull}};
  latency_reset(&run.h[0]);
  latency_reset(&run.h[1]);
  for (int done = 0; done < runs; done += ROUND) {
    larder_round(&run, req, res);
    feast_round(&run, c);
  }
  int made = (runs + ROUND - 1) / ROUND * ROUND;
  char params[64];
  snprintf(params, sizeof params, "entities=%d", k);
  bench_row("redis_lookup", "larder", params, made / (run.ns[0] / 1e9),
            "lookups/s", &run.h[0]);
  bench_row("redis_lookup", "feast_layout", params, made / (run.ns[1] / 1e9),
            "lookups/s", &run.h[1]);
  lr_result_free(res);
  lr_request_free(req);
}

static int lookups(const char *repo, int port, long long n, int runs) {
  lr_store *store;
  if (lr_store_open(repo, LR_STORE_READONLY, &store))
    die("open", lr_store_errmsg(store));
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
    compare_size(store, c, n, runs, SIZES[i]);
  lr__redis_cluster_close(c);
  lr__buf_free(&err);
  lr_store_close(store);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "materialize"))
    return materialize(argv[2], argv[3], argv[4], atoll(argv[5]));
  if (argc == 6 && !strcmp(argv[1], "lookup"))
    return lookups(argv[2], atoi(argv[3]), atoll(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: redis_store materialize REPO PARQUET PORTS BUCKETS "
                  "| lookup REPO PORT N RUNS\n");
  return 2;
}

/*
 * test_rstore.c - the online store on Redis (src/online/rstore*.c), on a
 * real redis-server of each test's own (tests/redis_fixture.h, stopped
 * by pid), through the public API, the CLI and the keys Redis then holds:
 * the layout (buckets, fields, the meta hash), newer wins on the server,
 * the buckets' expiry, a batch the checks refuse writing nothing, the
 * calls that need an LMDB store, a script the server lost, two `larder
 * serve` on one Redis agreeing, teardown (standalone, Redis down, a
 * cluster), the CLI and a schema's changes printing the same as on LMDB,
 * and the keys of dropped views removed. The server's data-driven cases
 * run on a Redis store too (test_server.c, s901); the failure modes (a
 * cluster resharding, Redis killed, OOM, a wrong password) are
 * test_rstore_faults.c's.
 */
#include "server_fixture.h"

TestSuite(rstore, .init = setup_redis, .fini = teardown_redis,
          .timeout = 60);

/* The reply of `command` on the test's server (freed by the caller). */
static redisReply *rcmd(const char *command) {
  redisReply *r = th_redis_command(g_redis.port, command);
  cr_assert(r, "no answer to %s", command);
  return r;
}

static long long rint_of(const char *command) {
  redisReply *r = rcmd(command);
  cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s: type %d", command, r->type);
  long long v = r->integer;
  freeReplyObject(r);
  return v;
}

/* Reads user `id`'s feature `feature` of view `view` through the API. */
static lr_value read_one(const char *view_feature, long long id, int *status,
                         lr_data_version *version) {
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &store), 0, "%s",
               lr_store_errmsg(store));
  const char *features[] = {view_feature};
  lr_request *req;
  cr_assert_eq(lr_request_prepare(store, features, 1, &req), 0, "%s",
               lr_store_errmsg(store));
  lr_result *res;
  cr_assert_eq(lr_result_create(req, 1, &res), 0);
  lr_value key = v_i64(id);
  cr_assert_eq(lr_get_online_features(req, &key, 1, res), 0, "%s",
               lr_result_errmsg(res));
  lr_value v;
  cr_assert_eq(lr_result_cell(res, 0, 0, &v), 0);
  *status = v.status;
  if (version)
    lr_result_version(res, version);
  lr_value copy = v;
  if (v.status == LR_STATUS_PRESENT && v.type == LR_TYPE_STRING)
    copy.v.str.ptr = th_keep(strndup(v.v.str.ptr, v.v.str.len));
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(store);
  return copy;
}

/* One row of user_recent: user `id`, event time `at`, recent_clicks. */
static lr_write_stats write_recent(long long id, const char *at,
                                   long long clicks) {
  const char *cols[] = {"user_id", "event_timestamp", "recent_clicks"};
  lr_value row[] = {v_i64(id), v_ts(at), v_i64(clicks)};
  lr_write_stats stats;
  write_rows("user_recent", cols, 3, row, 1, &stats);
  return stats;
}

/* The fixture's rows are in buckets of the documented names: a hash per
 * bucket, its field the encoded key, its value the packed row; the meta
 * hash holds the version counter and the freshness records. */
Test(rstore, rs001_rows_are_bucketed_into_hashes_under_the_prefix) {
  redisReply *keys = rcmd("KEYS larder:t:*");
  cr_assert_eq(keys->type, REDIS_REPLY_ARRAY);
  int user_stats = 0, meta = 0;
  for (size_t i = 0; i < keys->elements; i++) {
    const char *k = keys->element[i]->str;
    user_stats += strncmp(k, "larder:t:user_stats@", 20) == 0;
    meta += strcmp(k, "larder:t:meta") == 0;
  }
  freeReplyObject(keys);
  cr_assert_eq(user_stats, 2, "users 1 and 2: two buckets of 2^20");
  cr_assert_eq(meta, 1);
  redisReply *seq = rcmd("HGET larder:t:meta seq");
  cr_assert_str_eq(seq->str, "3", "three writes (users, items, recent)");
  freeReplyObject(seq);
  redisReply *fields = rcmd("HKEYS larder:t:meta");
  int fresh = 0;
  for (size_t i = 0; i < fields->elements; i++)
    fresh += strncmp(fields->element[i]->str, "fresh:user_stats@", 17) == 0;
  freeReplyObject(fields);
  cr_assert_eq(fresh, 1, "user_stats' freshness record");
  redisReply *enc = rcmd("OBJECT ENCODING larder:t:meta");
  cr_assert_str_eq(enc->str, "listpack");
  freeReplyObject(enc);
}

/* Newer wins on the server: an older row is skipped and counted so, an
 * equal one stored again changes nothing and moves no version, a newer
 * one replaces; every answer carries the counter as its version. */
Test(rstore, rs002_newer_wins_on_the_server_and_the_version_counts_changes) {
  lr_write_stats st = write_recent(5, "2100-01-02T00:00:00Z", 50);
  cr_assert_eq(st.rows_written, 1);
  st = write_recent(5, "2100-01-01T00:00:00Z", 40);
  cr_assert_eq(st.rows_written, 0);
  cr_assert_eq(st.rows_skipped, 1, "older than the stored row");
  int status;
  lr_data_version ver;
  lr_value v = read_one("user_recent:recent_clicks", 5, &status, &ver);
  cr_assert_eq(status, LR_STATUS_PRESENT);
  cr_assert_eq(v.v.i64, 50);
  cr_assert_eq(ver.generation, 1);
  cr_assert_eq(ver.seq, 4, "the skipped row moved no version");
  st = write_recent(5, "2100-01-02T00:00:00Z", 50);
  cr_assert_eq(st.rows_written, 1, "the very row: written, as on LMDB");
  read_one("user_recent:recent_clicks", 5, &status, &ver);
  cr_assert_eq(ver.seq, 4, "nothing changed: the same version");
  write_recent(5, "2100-01-03T00:00:00Z", 60);
  v = read_one("user_recent:recent_clicks", 5, &status, &ver);
  cr_assert_eq(v.v.i64, 60);
  cr_assert_eq(ver.seq, 5);
}

/* A bucket of a view with a ttl expires the margin after its newest
 * row's ttl (here 100 years: setup_redis); a view without one never. */
Test(rstore, rs003_buckets_expire_ttl_plus_margin_after_their_newest_row) {
  write_recent(7, "2100-01-01T00:00:00Z", 1);
  write_recent(7, "2099-01-01T00:00:00Z", 2); /* older: no change */
  redisReply *keys = rcmd("KEYS larder:t:user_recent@*");
  long long want = ts_of("2100-01-01T00:00:00Z") / 1000 + 86400000LL +
                   36500LL * 86400000LL;
  int found = 0;
  long long seen[8] = {0};
  for (size_t i = 0; i < keys->elements; i++) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "PEXPIRETIME %s", keys->element[i]->str);
    long long at = rint_of(cmd);
    seen[i % 8] = at;
    found += at == want;
    cr_assert_gt(at, 0, "%s has no expiry", keys->element[i]->str);
  }
  freeReplyObject(keys);
  cr_assert_eq(found, 2, "the buckets of users 7 and 2 (the fixture's, "
               "also newest at 2100-01-01) expire at %lld (seen %lld, %lld, "
               "%lld)", want, seen[0], seen[1], seen[2]);
  keys = rcmd("KEYS larder:t:user_stats@*");
  for (size_t i = 0; i < keys->elements; i++) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "PTTL %s", keys->element[i]->str);
    cr_assert_eq(rint_of(cmd), -1, "user_stats has no ttl");
  }
  freeReplyObject(keys);
}

/* Rows the checks may refuse wait for the verdict: a refused batch
 * leaves no row in Redis (Redis cannot take rows back), and the refusal
 * is counted in the meta hash. */
Test(rstore, rs004_a_batch_the_checks_refuse_writes_nothing) {
  apply_defs(DEFS_HEAD
             "    checks:\n"
             "      - {feature: clicks, between: [0, 100], on_fail: reject}\n"
             DEFS_TAIL);
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &store), 0, "%s",
               lr_store_errmsg(store));
  lr_value ids[] = {v_i64(20), v_i64(21)};
  lr_value times[] = {v_ts("2024-01-03T00:00:00Z"),
                      v_ts("2024-01-03T00:00:00Z")};
  lr_value clicks[] = {v_i64(1), v_i64(1000)};
  lr_value nulls[] = {v_null(), v_null()};
  lr_column cols[] = {{"user_id", ids},   {"event_timestamp", times},
                      {"clicks", clicks}, {"score", nulls},
                      {"label", nulls},   {"blob", nulls},
                      {"emb", nulls},     {"seen", nulls}};
  lr_write_stats st;
  int rc = lr_write_rows(store, "user_stats", cols, 8, 2, &st);
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", lr_store_errmsg(store));
  lr_store_close(store);
  cr_assert_eq(rc, LR_ECHECK, "%s", msg);
  cr_assert_str_eq(msg, "feature view 'user_stats': the checks refused the "
                   "batch, so nothing was written: check 'clicks_between' "
                   "(between on clicks, on_fail: reject): 1 of 2 rows failed "
                   "(50%); fix the rows, or the checks in the view's "
                   "definition (`larder check user_stats` runs them over "
                   "the source)");
  int status;
  read_one("user_stats:clicks", 20, &status, NULL);
  cr_assert_eq(status, LR_STATUS_NOT_FOUND, "the passing row waited too");
  redisReply *rec = rcmd("HGET larder:t:meta checks:user_stats");
  cr_assert_eq(rec->type, REDIS_REPLY_STRING);
  cr_assert(strstr(rec->str, "batches_rejected 1\n"), "%s", rec->str);
  freeReplyObject(rec);
}

/* What only an LMDB store does says so, naming the store. */
Test(rstore, rs005_lmdb_only_calls_name_the_redis_store) {
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &store), 0, "%s",
               lr_store_errmsg(store));
  cr_assert_eq(lr_store_compact(store, NULL, NULL), LR_EUNSUPPORTED);
  char want[256];
  snprintf(want, sizeof want, "compact needs an online store of type lmdb: "
           "this repo's is on Redis (redis://127.0.0.1:%d/0), which every "
           "server shares", g_redis.port);
  cr_assert_str_eq(lr_store_errmsg(store), want);
  char *json = NULL;
  cr_assert_eq(lr_store_digests(store, &json), LR_EUNSUPPORTED);
  cr_assert(strstr(lr_store_errmsg(store), "reading every stored row "
                   "(digests, compare, samples, skew) needs an online store "
                   "of type lmdb"), "%s", lr_store_errmsg(store));
  lr_store_close(store);
  char config[256];
  snprintf(config, sizeof config, "project: t\nonline_store: {type: redis, "
           "url: \"redis://127.0.0.1:%d/0\"}\nreplication: {role: primary, "
           "log: \"redis://127.0.0.1:%d/1\", snapshots: snaps}\n",
           g_redis.port, g_redis.port);
  th_write(g_repo, "feature_store.yaml", config);
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &store),
               LR_EUNSUPPORTED);
  cr_assert_str_eq(lr_store_errmsg(store), "feature_store.yaml has a "
                   "replication block and an online store of type redis: "
                   "replication ships LMDB stores to each host, a Redis "
                   "store is shared by every server already; drop one of "
                   "the two");
  lr_store_close(store);
}

/* A server that lost its scripts (SCRIPT FLUSH: a restart, a failover)
 * gets the write script again at the first NOSCRIPT. */
Test(rstore, rs006_a_lost_script_is_loaded_again) {
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &store), 0, "%s",
               lr_store_errmsg(store));
  freeReplyObject(rcmd("SCRIPT FLUSH"));
  lr_value row[] = {v_i64(9), v_ts("2100-01-05T00:00:00Z"), v_i64(90)};
  lr_column cols[] = {{"user_id", &row[0]}, {"event_timestamp", &row[1]},
                      {"recent_clicks", &row[2]}};
  lr_write_stats st;
  int rc = lr_write_rows(store, "user_recent", cols, 3, 1, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  cr_assert_eq(st.rows_written, 1);
  lr_store_close(store);
  int status;
  cr_assert_eq(read_one("user_recent:recent_clicks", 9, &status, NULL).v.i64,
               90);
}

/* Two servers on one Redis serve one store: a write through one is read
 * through the other, with the same version. */
Test(rstore, rs007_two_servers_on_one_redis_agree) {
  srv_start("--threads", "2");
  pid_t first = g_pid;
  int first_port = g_port, first_out = g_out;
  srv_start("--threads", "2");
  int second_port = g_port;
  g_port = first_port;
  hresp w = call("POST", "/write-to-online-store",
                 "{\"feature_view_name\": \"user_recent\", \"df\": "
                 "{\"user_id\": [11], \"event_timestamp\": "
                 "[\"2100-01-01T00:00:00Z\"], \"recent_clicks\": [111]}}");
  cr_assert_eq(w.status, 200, "%s", w.body);
  hresp_free(&w);
  const char *get = "{\"features\": [\"user_recent:recent_clicks\"], "
                    "\"entities\": {\"user_id\": [11]}}";
  hresp a = call("POST", "/get-online-features", get);
  g_port = second_port;
  hresp b = call("POST", "/get-online-features", get);
  cr_assert_eq(a.status, 200, "%s", a.body);
  cr_assert_str_eq(a.body, b.body, "the two servers answer alike");
  cr_assert(strstr(b.body, "[111]"), "%s", b.body);
  hresp_free(&a);
  hresp_free(&b);
  srv_stop();
  g_pid = first;
  g_out = first_out;
  srv_stop();
}

/* How many keys of server `port` match `pattern`. */
static size_t keys_matching(int port, const char *pattern) {
  char command[128];
  snprintf(command, sizeof command, "KEYS %s", pattern);
  redisReply *r = th_redis_command(port, command);
  cr_assert(r && r->type == REDIS_REPLY_ARRAY, "no answer to %s", command);
  size_t n = r->elements;
  freeReplyObject(r);
  return n;
}

/* A teardown removes every key under the store's prefix, and only those
 * (a key of another project, or one that only starts alike, stays);
 * checking first counts them and removes nothing. */
Test(rstore, rs008_a_teardown_removes_the_keys_under_the_prefix) {
  freeReplyObject(rcmd("SET larder:other:k 1"));
  freeReplyObject(rcmd("SET larder:t 1"));
  size_t ours = keys_matching(g_redis.port, "larder:t:*");
  cr_assert_geq(ours, 4, "buckets of three views and the meta hash");
  char *report = NULL, *err = NULL;
  cr_assert_eq(lr_repo_teardown(g_repo, LR_TEARDOWN_CHECK, &report, &err), 0,
               "%s", err);
  char want[512];
  snprintf(want, sizeof want, "Would remove the online store on "
           "redis://127.0.0.1:%d/0: %zu keys under 'larder:t:'.\nStop every "
           "writer of the store first: keys written during the teardown may "
           "stay.\nWould remove the registry data/registry.db.\n",
           g_redis.port, ours);
  cr_assert_str_eq(report, want);
  lr_free(report);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t:*"), ours);
  cr_assert_eq(lr_repo_teardown(g_repo, 0, &report, &err), 0, "%s", err);
  snprintf(want, sizeof want, "Removed the online store on "
           "redis://127.0.0.1:%d/0: %zu keys under 'larder:t:'.\nRemoved the "
           "registry data/registry.db.\n", g_redis.port, ours);
  cr_assert_str_eq(report, want);
  lr_free(report);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t:*"), 0);
  cr_assert_eq(keys_matching(g_redis.port, "larder:other:*"), 1);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t"), 1);
  cr_assert_eq(lr_repo_teardown(g_repo, 0, &report, &err), 0, "%s", err);
  cr_assert_str_eq(report, "", "nothing left to remove");
  lr_free(report);
}

/* Redis down: the teardown fails naming the server, and removes nothing
 * (the registry stays, since rows without it could not be read). */
Test(rstore, rs009_a_teardown_with_redis_down_removes_nothing) {
  int port = g_redis.port;
  th_redis_down(&g_redis);
  char *report = NULL, *err = NULL;
  cr_assert_eq(lr_repo_teardown(g_repo, 0, &report, &err), LR_EIO);
  char want[256];
  snprintf(want, sizeof want, "cannot connect to Redis at 127.0.0.1:%d "
           "(Connection refused): start redis-server there, or fix the "
           "online store's url in feature_store.yaml; nothing was removed",
           port);
  cr_assert_str_eq(err, want);
  lr_free(err);
  char path[4200];
  snprintf(path, sizeof path, "%s/data/registry.db", g_repo);
  cr_assert_eq(access(path, F_OK), 0, "the registry stays");
}

static th_cluster g_cluster;

static void setup_cluster(void) {
  th_cluster_up(&g_cluster, NULL);
  char config[512];
  snprintf(config, sizeof config, "project: t\nonline_store: {type: redis, "
           "cluster: [\"redis://127.0.0.1:%d\"], buckets: 64}\n",
           g_cluster.port[1]);
  setup_with(config);
}

static void teardown_cluster(void) {
  teardown();
  th_cluster_down(&g_cluster);
}

/* On a cluster, the keys are on every master and a teardown removes them
 * from each. */
Test(rstore, rs010_a_teardown_removes_the_keys_from_every_master,
     .init = setup_cluster, .fini = teardown_cluster) {
  for (long long id = 100; id < 400; id++)
    write_recent(id, "2100-01-01T00:00:00Z", id);
  size_t before = 0;
  for (int i = 0; i < TH_MASTERS; i++) {
    size_t n = keys_matching(g_cluster.port[i], "larder:t:*");
    cr_assert_gt(n, 0, "node %d holds some of the store", i);
    before += n;
  }
  char *report = NULL, *err = NULL;
  cr_assert_eq(lr_repo_teardown(g_repo, 0, &report, &err), 0, "%s", err);
  char want[512];
  snprintf(want, sizeof want, "Removed the online store on the Redis "
           "Cluster at 127.0.0.1:%d: %zu keys under 'larder:t:'.\nRemoved "
           "the registry data/registry.db.\n", g_cluster.port[1], before);
  cr_assert_str_eq(report, want);
  lr_free(report);
  for (int i = 0; i < TH_MASTERS; i++)
    cr_assert_eq(keys_matching(g_cluster.port[i], "larder:t:*"), 0);
}

/* Runs `larder -c repo COMMAND ARGS...` (within 60 s); its exit code goes
 * first into the output it returns (kept until the test ends), so that a
 * difference of either shows. */
static const char *cli_out(const char *repo, const char *command,
                           const char *const *args) {
  char *out = NULL;
  int code = th_run_larder(repo, command, args, 60000, &out);
  lr__buf text;
  lr__buf_init(&text);
  lr__buf_printf(&text, "[exit %d] %s", code, out ? out : "");
  free(out);
  return th_keep(lr__buf_steal(&text));
}

/* The same commands on the example repo (`larder init`, its view reading
 * the push source) with its store on LMDB and on Redis print the same,
 * byte for byte: apply, materialize, get (a service with on-demand
 * features), write, push, version and the lookups' values after them.
 * `bench` runs on both. */
Test(rstore, rs011_the_cli_prints_the_same_on_redis_as_on_lmdb) {
  char *lmdb = th_tempdir();
  char *redis = th_tempdir();
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "%s init %s/r >/dev/null && sed -i 's/^    "
           "source: driver_stats_source/    source: driver_stats_push/' "
           "%s/r/features.yaml && cp -r %s/r %s/r", th_larder_bin(), lmdb,
           lmdb, lmdb, redis);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  char repo[2][1100], config[256];
  snprintf(repo[0], sizeof repo[0], "%s/r", lmdb);
  snprintf(repo[1], sizeof repo[1], "%s/r", redis);
  snprintf(config, sizeof config, "project: driver_ranking\nregistry: "
           "data/registry.db\nonline_store: {type: redis, url: "
           "\"redis://127.0.0.1:%d/2\"}\noffline_store: {type: duckdb}\n",
           g_redis.port);
  th_write(repo[1], "feature_store.yaml", config);
  static const char rows[] = "driver_id,event_timestamp,conv_rate,acc_rate,"
                             "avg_daily_trips\n1001,2099-01-01T00:00:00Z,0.5,"
                             "0.25,7\n1001,2001-01-01T00:00:00Z,0.9,0.9,9\n";
  th_write(lmdb, "rows.csv", rows);
  th_write(redis, "rows.csv", rows);
  static const char *const get[] = {
      "--service", "driver_activity_v1", "--entity", "driver_id=1001",
      "--entity", "driver_id=1005", "--entity", "driver_id=99",
      "--request", "val_to_add=1", "--request", "val_to_add_2=10", "--json",
      NULL};
  const char *outs[2][8];
  const char *base[2] = {lmdb, redis};
  static const char *const none[] = {NULL};
  for (int r = 0; r < 2; r++) {
    char file[1200];
    snprintf(file, sizeof file, "%s/rows.csv", base[r]);
    const char *const materialize[] = {"2000-01-01T00:00:00Z",
                                       "2100-01-01T00:00:00Z", NULL};
    const char *const write[] = {"driver_hourly_stats", file, NULL};
    const char *const push[] = {"driver_stats_push", file, "--to", "online",
                                NULL};
      outs[r][0] = cli_out(repo[r], "apply", none);
    outs[r][1] = cli_out(repo[r], "materialize", materialize);
    outs[r][2] = cli_out(repo[r], "get", get);
    outs[r][3] = cli_out(repo[r], "write", write);
    outs[r][4] = cli_out(repo[r], "push", push);
    outs[r][5] = cli_out(repo[r], "get", get);
    outs[r][6] = cli_out(repo[r], "version", none);
    const char *const bench[] = {"--service", "driver_activity_v1",
                                 "--random", "20", "--request",
                                 "val_to_add=1", "--request",
                                 "val_to_add_2=10", "--duration", "200ms",
                                 "--warmup", "50ms", NULL};
    outs[r][7] = cli_out(repo[r], "bench", bench);
  }
  for (int i = 0; i < 8; i++)
    cr_assert(!strncmp(outs[1][i], "[exit 0] ", 9), "command %d: %s", i,
              outs[1][i]);
  for (int i = 0; i < 7; i++)
    cr_assert_str_eq(outs[1][i], outs[0][i], "command %d differs", i);
  cr_assert(strstr(outs[0][1], "300 rows read, 300 written"), "%s",
            outs[0][1]);
  cr_assert(strstr(outs[0][3], "Wrote 1 row to driver_hourly_stats (1 older "
                   "than the stored rows were skipped)"), "%s", outs[0][3]);
  cr_assert(strstr(outs[0][2], "PRESENT"), "%s", outs[0][2]);
  cr_assert(strstr(outs[0][5], "0.5"), "the written row: %s", outs[0][5]);
  cr_assert(!strncmp(outs[1][7], "[exit 0] ", 9), "%s", outs[1][7]);
  th_rmrf(lmdb);
  th_rmrf(redis);
}

/* The definitions of rs012's repo, version `v`: a view keyed by a user and
 * an item (a composite key, one string part), a float and an array; v2
 * adds a feature, v3 retypes one (a new layout: its old rows are gone). */
static void evolving_defs(const char *repo, int v) {
  char text[1024];
  snprintf(text, sizeof text,
           "entities:\n"
           "  - {name: user, join_keys: [user_id], value_type: int64}\n"
           "  - {name: item, join_keys: [item_id], value_type: string}\n"
           "sources:\n"
           "  - {name: s, kind: file, path: data/x.csv, timestamp_field: ts}\n"
           "feature_views:\n"
           "  - name: pair\n"
           "    entities: [user, item]\n"
           "    source: s\n"
           "    ttl: 36500d\n"
           "    schema:\n"
           "      - {name: score, dtype: %s}\n"
           "      - {name: tags, dtype: array<string>}\n%s",
           v == 3 ? "float64" : "float32",
           v >= 2 ? "      - {name: n, dtype: int64}\n" : "");
  th_write(repo, "defs.yaml", text);
}

/* rs012's commands on `repo`, their outputs one after the other. */
static const char *evolve(const char *repo) {
  static const char *const none[] = {NULL};
  static const char *const force[] = {"--force", NULL};
  char file[1100];
  snprintf(file, sizeof file, "%s/rows.jsonl", repo);
  const char *const write[] = {"pair", file, NULL};
  static const char *const get1[] = {
      "--features", "pair:score,pair:tags", "--entity",
      "user_id=1,item_id=a", "--entity", "user_id=1,item_id=b", "--entity",
      "user_id=2,item_id=a", NULL};
  static const char *const get2[] = {
      "--features", "pair:score,pair:tags,pair:n", "--entity",
      "user_id=1,item_id=a", "--entity", "user_id=2,item_id=a", NULL};
  lr__buf out;
  lr__buf_init(&out);
  th_write(repo, "data/x.csv", "user_id,item_id,ts,score,tags,n\n");
  evolving_defs(repo, 1);
  lr__buf_puts(&out, cli_out(repo, "apply", none));
  th_write(repo, "rows.jsonl",
           "{\"user_id\": 1, \"item_id\": \"a\", \"event_timestamp\": "
           "\"2024-01-01T00:00:00Z\", \"score\": 0.5, \"tags\": [\"x\", "
           "\"y\"]}\n{\"user_id\": 1, \"item_id\": \"b\", \"event_timestamp\": "
           "\"2024-01-01T00:00:00Z\", \"score\": null, \"tags\": []}\n"
           "{\"user_id\": 1, \"item_id\": \"a\", \"event_timestamp\": "
           "\"2023-01-01T00:00:00Z\", \"score\": 9, \"tags\": [\"old\"]}\n");
  lr__buf_puts(&out, cli_out(repo, "write", write));
  lr__buf_puts(&out, cli_out(repo, "get", get1));
  evolving_defs(repo, 2);
  lr__buf_puts(&out, cli_out(repo, "apply", none));
  lr__buf_puts(&out, cli_out(repo, "get", get2));
  th_write(repo, "rows.jsonl",
           "{\"user_id\": 2, \"item_id\": \"a\", \"event_timestamp\": "
           "\"2024-01-02T00:00:00Z\", \"score\": 1.25, \"tags\": [\"z\"], "
           "\"n\": 7}\n");
  lr__buf_puts(&out, cli_out(repo, "write", write));
  lr__buf_puts(&out, cli_out(repo, "get", get2));
  evolving_defs(repo, 3);
  lr__buf_puts(&out, cli_out(repo, "apply", none));
  lr__buf_puts(&out, cli_out(repo, "apply", force));
  lr__buf_puts(&out, cli_out(repo, "get", get2));
  return th_keep(lr__buf_steal(&out));
}

/* The same case on both stores: composite keys with a string part, arrays
 * and nulls, an older row skipped, a feature added (old rows read it as
 * NOT_FOUND, new rows have it) and one retyped with --force (the old rows
 * are gone). The two transcripts are the same, byte for byte. */
Test(rstore, rs012_keys_arrays_and_schema_changes_alike_on_both_stores) {
  char *lmdb = th_tempdir();
  char *redis = th_tempdir();
  char config[256];
  snprintf(config, sizeof config, "project: t\nonline_store: {type: redis, "
           "url: \"redis://127.0.0.1:%d/1\"}\n", g_redis.port);
  th_write(lmdb, "feature_store.yaml", "project: t\n");
  th_write(redis, "feature_store.yaml", config);
  const char *on_lmdb = evolve(lmdb);
  const char *on_redis = evolve(redis);
  cr_assert_str_eq(on_redis, on_lmdb);
  cr_assert(strstr(on_lmdb, "Wrote 2 rows to pair (1 older than the stored "
                   "rows were skipped)"), "%s", on_lmdb);
  cr_assert(strstr(on_lmdb, "[\"x\", \"y\"]") || strstr(on_lmdb, "[x, y]"),
            "%s", on_lmdb);
  cr_assert(strstr(on_lmdb, "<NOT_FOUND>"), "%s", on_lmdb);
  th_rmrf(lmdb);
  th_rmrf(redis);
}

/* How many fields of the meta hash end in ":NAME". */
static int meta_records_of(const char *name) {
  redisReply *r = rcmd("HKEYS larder:t:meta");
  int n = 0;
  size_t len = strlen(name);
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *f = r->element[i];
    n += f->len > len && f->str[f->len - len - 1] == ':' &&
         !strcmp(f->str + f->len - len, name);
  }
  freeReplyObject(r);
  return n;
}

/* A read-write open removes the buckets and records of a view the
 * registry no longer has, and of a layout `apply --force` dropped, as the
 * LMDB store drops their databases; the other views keep theirs. (The
 * fixture's views have epochs by name: item_stats@0 ... user_stats@4.) */
Test(rstore, rs013_a_read_write_open_removes_the_keys_of_dropped_views) {
  cr_assert_gt(keys_matching(g_redis.port, "larder:t:item_stats@*"), 0);
  cr_assert_eq(meta_records_of("item_stats@0"), 2, "db: and fresh:");
  cr_assert_gt(keys_matching(g_redis.port, "larder:t:user_recent@3:*"), 0);
  size_t users = keys_matching(g_redis.port, "larder:t:user_stats@4:*");
  cr_assert_gt(users, 0);
  apply_defs_with(DEFS_HEAD "  - name: user_recent\n"
                  "    entities: [user]\n"
                  "    source: s\n"
                  "    ttl: 1d\n"
                  "    schema:\n"
                  "      - {name: recent_clicks, dtype: float64}\n",
                  LR_APPLY_FORCE);
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &store), 0, "%s",
               lr_store_errmsg(store));
  lr_store_close(store);
  cr_assert_gt(keys_matching(g_redis.port, "larder:t:item_stats@*"), 0,
               "a read-only open removes nothing");
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &store), 0, "%s",
               lr_store_errmsg(store));
  lr_store_close(store);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t:item_stats@*"), 0);
  cr_assert_eq(meta_records_of("item_stats@0"), 0);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t:user_recent@3:*"), 0,
               "the retyped view's old layout");
  cr_assert_eq(meta_records_of("user_recent@3"), 0);
  cr_assert_eq(keys_matching(g_redis.port, "larder:t:user_stats@4:*"), users,
               "the views kept keep their rows");
  cr_assert_eq(meta_records_of("user_stats@4"), 2);
}

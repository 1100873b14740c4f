/*
 * test_replication.c - a primary and its replicas, as processes: a real
 * redis-server on loopback holds the write log, `larder replicate` runs
 * the shipper and the followers, writers push from child processes, and
 * the stores are compared by version, digests and values.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helpers.h"
#include "larder.h"
#include "online/apply.h"
#include "process.h"

/* 2024-01-01T00:00:00Z in microseconds. */
static const long long T0 = 1704067200LL * 1000000;

enum { N_REPLICAS = 3, N_WRITERS = 4, WRITES = 40, KEYS = 500 };

/* The scratch folder: primary/, replica-N/, snapshots/. */
static char *g_tmp;

static void cleanup(void) {
  th_kill_children();
  if (g_tmp)
    th_rmrf(g_tmp);
  g_tmp = NULL;
}

TestSuite(replication, .fini = cleanup, .timeout = 120);

/* Makes repo `name` in g_tmp with the definitions and a replication block
 * of `role` on redis port `port`, applied. Returns its path (kept). */
static char *make_repo(const char *name, const char *role, int port) {
  char *dir = th_keep(malloc(4096));
  snprintf(dir, 4096, "%s/%s", g_tmp, name);
  char config[1024];
  snprintf(config, sizeof config,
           "project: t\n"
           "replication:\n"
           "  role: %s\n"
           "  log: redis://127.0.0.1:%d/0\n"
           "  stream: larder:t\n"
           "  snapshots: %s/snapshots\n"
           "  keep_snapshots: 2\n"
           "  max_lag: 1s\n", role, port, g_tmp);
  th_apply_repo(dir, config, TH_STATS_DEFS);
  return dir;
}

/* Starts `larder -c REPO replicate` (its output discarded). */
static pid_t start_replicate(const char *repo) {
  int out;
  static const char *const none[] = {NULL};
  pid_t pid = th_spawn_larder(repo, "replicate", 1, &out, none);
  close(out);
  th_track_child(pid);
  return pid;
}

/* Writes keys [first, first + n) with a = value, at event time `at`. */
static int put_rows(lr_store *s, long long first, int n, long long value,
                    long long at) {
  lr_value uid[KEYS], ev[KEYS], a[KEYS];
  for (int i = 0; i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = value};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a}};
  return lr_write_rows(s, "stats", cols, 3, (size_t)n, NULL);
}

/* A writer child: WRITES pushes of 1-50 keys each, overlapping the other
 * writers' keys, some at equal times with other values. Exit 0 when every
 * write was acknowledged. */
static pid_t start_writer(const char *repo, int w) {
  pid_t pid = th_fork_child();
  if (pid == 0) {
    lr_store *s = NULL;
    if (lr_store_open(repo, LR_STORE_READWRITE, &s) != 0) {
      fprintf(stderr, "writer %d: %s\n", w, lr_store_errmsg(s));
      _exit(2);
    }
    uint64_t rnd = 0x5eed0000u + (uint64_t)w;
    for (int i = 0; i < WRITES; i++) {
      long long first = (long long)(th_random(&rnd) % (KEYS - 50));
      int n = 1 + (int)(th_random(&rnd) % 50);
      long long at = T0 + (long long)(th_random(&rnd) % 20) * 1000000;
      if (put_rows(s, first, n, w * 1000 + i, at) != 0) {
        fprintf(stderr, "writer %d: %s\n", w, lr_store_errmsg(s));
        _exit(1);
      }
      usleep(2000);
    }
    lr_store_close(s);
    _exit(0);
  }
  return pid;
}

static lr_data_version version_of(const char *repo) {
  lr_store *s = NULL;
  lr_data_version v = {0, 0};
  if (lr_store_open(repo, LR_STORE_READONLY, &s) == 0)
    lr_store_version(s, &v);
  lr_store_close(s);
  return v;
}

static char *digests_of(const char *repo) {
  lr_store *s = NULL;
  char *json = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(lr_store_digests(s, &json), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  return th_keep(json);
}

/* Every key's value of stats:a in `repo` (INT64_MIN for none). */
static void values_of(const char *repo, long long *out) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &s), 0);
  static const char *const refs[] = {"stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  cr_assert_eq(lr_request_prepare(s, refs, 1, &req), 0);
  cr_assert_eq(lr_result_create(req, 1, &res), 0);
  for (int k = 0; k < KEYS; k++) {
    lr_value key = {.type = LR_TYPE_INT64, .v.i64 = k};
    cr_assert_eq(lr_get_online_features(req, &key, 1, res), 0);
    lr_value v;
    cr_assert_eq(lr_result_cell(res, 0, 0, &v), 0);
    out[k] = v.type == LR_TYPE_INT64 ? v.v.i64 : INT64_MIN;
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
}

/* Waits (30 s at most) until `repo` is at version `want`. */
static void wait_version(const char *repo, lr_data_version want) {
  lr_data_version v = {0, 0};
  for (long long end = th_now_ms() + 30000; th_now_ms() < end; usleep(20000)) {
    v = version_of(repo);
    if (v.generation == want.generation && v.seq == want.seq)
      return;
  }
  cr_assert_fail("%s stayed at %llu.%llu, the primary is at %llu.%llu", repo,
                 v.generation, v.seq, want.generation, want.seq);
}

/* Every replica reaches the primary's version (within 30 s), with its
 * digests and its value of every key. */
static void assert_converged(const char *primary, char *const *replica,
                             int n) {
  lr_data_version want = version_of(primary);
  char *digests = digests_of(primary);
  long long expected[KEYS], got[KEYS];
  values_of(primary, expected);
  for (int i = 0; i < n; i++) {
    wait_version(replica[i], want);
    cr_assert_str_eq(digests_of(replica[i]), digests, "replica %d", i);
    values_of(replica[i], got);
    for (int k = 0; k < KEYS; k++)
      cr_assert_eq(got[k], expected[k], "replica %d, key %d", i, k);
  }
}

/* Stops a `larder replicate` child with SIGTERM (it must go). */
static void stop_replicate(pid_t pid) {
  kill(pid, SIGTERM);
  cr_assert(th_reap(pid, 10000, NULL), "replicate %d ignored SIGTERM", pid);
  th_untrack_child(pid);
}

/* Pushes from 4 writer processes, with a compaction among them: every
 * replica reaches the primary's version, with its digests and its value
 * of every key. */
Test(replication, rp001_primary_and_three_replicas_converge) {
  g_tmp = th_tempdir();
  int port = 0;
  pid_t redis = th_redis_start(&port);
  char *primary = make_repo("primary", "primary", port);
  char *replica[N_REPLICAS];
  for (int i = 0; i < N_REPLICAS; i++) {
    char name[32];
    snprintf(name, sizeof name, "replica-%d", i);
    replica[i] = make_repo(name, "replica", port);
  }
  pid_t shipper = start_replicate(primary);
  pid_t follower[N_REPLICAS];
  for (int i = 0; i < N_REPLICAS; i++)
    follower[i] = start_replicate(replica[i]);
  pid_t writer[N_WRITERS];
  for (int w = 0; w < N_WRITERS; w++)
    writer[w] = start_writer(primary, w);
  usleep(100000);
  char *out = NULL;
  static const char *const none[] = {NULL};
  cr_assert_eq(th_run_larder(primary, "compact", none, 30000, &out), 0, "%s",
               out);
  free(out);
  for (int w = 0; w < N_WRITERS; w++)
    cr_assert_eq(th_child_status(writer[w], 60000), 0,
                 "writer %d failed or hung", w);
  lr_data_version want = version_of(primary);
  cr_assert_gt(want.generation, 1, "the compaction made no generation");
  cr_assert_gt(want.seq, N_WRITERS * 2, "the writes were not counted");
  assert_converged(primary, replica, N_REPLICAS);
  stop_replicate(shipper);
  for (int i = 0; i < N_REPLICAS; i++)
    stop_replicate(follower[i]);
  th_redis_stop(redis);
}

/* A replica takes no writes, and says where they go. */
Test(replication, rp002_replica_refuses_writes_naming_the_log) {
  g_tmp = th_tempdir();
  char *replica = make_repo("replica", "replica", 1);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(replica, LR_STORE_READWRITE, &s), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(put_rows(s, 1, 1, 1, T0), LR_EREADONLY);
  cr_assert_str_eq(lr_store_errmsg(s),
                   "this repo is a replica: it follows the write log "
                   "redis://127.0.0.1:1/0 (stream larder:t) and takes no "
                   "writes; write on the primary that logs there");
  lr_store_close(s);
}

/* A scratch folder with a redis-server (its pid returned, its port in
 * *port), a primary repo and one replica repo. */
static pid_t start_pair(int *port, char **primary, char **replica) {
  g_tmp = th_tempdir();
  *port = 0;
  pid_t redis = th_redis_start(port);
  *primary = make_repo("primary", "primary", *port);
  *replica = make_repo("replica", "replica", *port);
  return redis;
}

/* Runs writer `w`'s pushes on the primary to the end. */
static void run_writer(const char *primary, int w) {
  cr_assert_eq(th_child_status(start_writer(primary, w), 60000), 0,
               "writer %d failed or hung", w);
}

/* Runs redis-cli against port `port` (loopback). */
static void redis_cli(int port, const char *args) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s >/dev/null",
           port, args);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A follower killed with -9 at random points of applying, and started
 * again each time, ends where the primary is. */
Test(replication, rp003_follower_killed_while_applying_catches_up) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t writer = start_writer(primary, 0);
  uint64_t rnd = 0x5eed0003u;
  for (int trial = 0; trial < 10; trial++) {
    pid_t follower = start_replicate(replica);
    usleep((useconds_t)(20000 + th_random(&rnd) % 80000));
    kill(follower, SIGKILL);
    th_reap(follower, 5000, NULL);
    th_untrack_child(follower);
  }
  cr_assert_eq(th_child_status(writer, 60000), 0, "the writer failed");
  pid_t follower = start_replicate(replica);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* The stream trimmed past a stopped replica's position: it bootstraps
 * from a snapshot the primary publishes for it, never skipping entries
 * silently. */
Test(replication, rp004_stream_trimmed_past_a_replica_bootstraps) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  run_writer(primary, 0);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  run_writer(primary, 1);
  stop_replicate(shipper); /* all shipped: its outbox is the log's */
  redis_cli(port, "XTRIM larder:t MAXLEN 1");
  shipper = start_replicate(primary);
  follower = start_replicate(replica);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* Redis restarted empty (the log's tail lost) with the primary's changes
 * still to come: the shipper appends again what the outbox keeps, a
 * replica that had applied some of it finds them applied (duplicate
 * delivery), and all converge. */
Test(replication, rp005_redis_restarted_empty_and_duplicates) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  run_writer(primary, 0);
  assert_converged(primary, &replica, 1);
  th_redis_stop(redis);
  redis = th_redis_start(&port); /* the same port, nothing kept */
  run_writer(primary, 1);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* Waits (10 s at most) for /health on `port` to answer `status`; returns
 * the last body. */
static const char *wait_health(int port, int status) {
  static char body[4096];
  int got = -1;
  for (long long end = th_now_ms() + 10000; th_now_ms() < end; usleep(50000))
    if ((got = th_http_get(port, "/health", body, sizeof body)) == status)
      return body;
  cr_assert_fail("/health answered %d, not %d: %s", got, status, body);
  return body;
}

/* A replica's /health is 503 with the reason until its follower reports,
 * 200 once it follows (and /metrics shows its position and the log's),
 * and 503 again when the follower stops reporting for longer than
 * max_lag. */
Test(replication, rp006_replica_health_follows_the_follower) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  int out, http;
  pid_t server = th_serve(replica, NULL, &out, &http);
  th_track_child(server);
  cr_assert_str_eq(wait_health(http, 503),
                   "{\"status\": \"lagging\", \"registry_version\": 1, "
                   "\"store_version\": \"1.0\", \"reason\": \"no follower "
                   "has reported yet: run `larder replicate` on this "
                   "replica\"}\n");
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  run_writer(primary, 0);
  assert_converged(primary, &replica, 1);
  wait_health(http, 200);
  char metrics[16384];
  cr_assert_eq(th_http_get(http, "/metrics", metrics, sizeof metrics), 200);
  lr_data_version v = version_of(primary);
  char want[128];
  snprintf(want, sizeof want, "\nlarder_store_sequence %llu\n", v.seq);
  cr_assert(strstr(metrics, want), "%s", metrics);
  snprintf(want, sizeof want, "\nlarder_replica_log_head %llu\n", v.seq);
  cr_assert(strstr(metrics, want), "%s", metrics);
  cr_assert(strstr(metrics, "\nlarder_replica_lag_entries 0\n"), "%s",
            metrics);
  cr_assert(strstr(metrics, "\nlarder_replica_digest_mismatches_total 0\n"),
            "%s", metrics);
  unsigned long long rows = 0;
  const char *applied = strstr(metrics, "\nlarder_replica_applied_rows_total ");
  cr_assert(applied && sscanf(applied, "\nlarder_replica_applied_rows_total "
                              "%llu", &rows) == 1 && rows > 0, "%s", metrics);
  char hex[33], *digests = digests_of(primary); /* {"stats": {"rows": N, ... */
  unsigned long long n;
  cr_assert_eq(sscanf(digests, "{\"stats\": {\"rows\": %llu, \"digest\": "
                      "\"%32[0-9a-f]\"}}", &n, hex), 2, "%s", digests);
  snprintf(want, sizeof want, "\nlarder_view_rows{view=\"stats\"} %llu\n", n);
  cr_assert(strstr(metrics, want), "%s", metrics);
  snprintf(want, sizeof want, "\nlarder_view_digest_info{view=\"stats\","
           "digest=\"%s\"} 1\n", hex);
  cr_assert(strstr(metrics, want), "the primary's digest %s not in %s", hex,
            metrics);
  char *text = NULL;
  static const char *const none[] = {NULL};
  cr_assert_eq(th_run_larder(replica, "version", none, 10000, &text), 0);
  snprintf(want, sizeof want, "replica: log head %llu, 0 entries behind for "
           "0 ms (reported ", v.seq);
  cr_assert(strstr(text, want), "%s", text);
  free(text);
  stop_replicate(follower);
  const char *body = wait_health(http, 503);
  cr_assert(strstr(body, "\"reason\": \"the follower last reported "), "%s",
            body);
  cr_assert(strstr(body, " ms ago (max_lag 1000 ms): is `larder replicate` "
                   "running?\"}"), "%s", body);
  kill(server, SIGTERM);
  cr_assert(th_reap(server, 10000, NULL));
  th_untrack_child(server);
  close(out);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* A replica's generations come only from its primary: `compact` there is
 * refused, and a second `larder replicate` on one repo is refused while
 * the first runs (two followers would install and apply over each
 * other). */
Test(replication, rp007_replica_refuses_compact_and_a_second_replicator) {
  g_tmp = th_tempdir();
  int port = 0;
  pid_t redis = th_redis_start(&port);
  char *replica = make_repo("replica", "replica", port);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(replica, LR_STORE_READWRITE, &s), 0);
  cr_assert_eq(lr_store_compact(s, NULL, NULL), LR_EREADONLY);
  cr_assert_str_eq(lr_store_errmsg(s), "this repo is a replica: its "
                   "generations come from its primary's snapshots; compact "
                   "the primary");
  lr_store_close(s);
  pid_t first = start_replicate(replica);
  char *out = NULL;
  static const char *const once[] = {"--once", NULL};
  char want[4096];
  snprintf(want, sizeof want, "larder: replicate: another `larder "
           "replicate` runs on this repo (it holds %s/data/online/"
           "replicator.lock); one is enough\n"
           "replica at 1.0, log head 0, lag 0 entries, 0 applied, 0 "
           "bootstraps\n", replica);
  char status[4096]; /* written once the first holds the lock */
  snprintf(status, sizeof status, "%s/data/online/replica.status", replica);
  for (long long end = th_now_ms() + 10000;
       access(status, F_OK) != 0 && th_now_ms() < end;)
    usleep(20000);
  cr_assert_eq(access(status, F_OK), 0, "the first replicator never ran");
  int code = th_run_larder(replica, "replicate", once, 10000, &out);
  cr_assert_eq(code, 1);
  cr_assert_str_eq(out, want);
  free(out);
  stop_replicate(first);
  th_redis_stop(redis);
}

/* Two primaries logging to one stream: the second's shipper finds other
 * entries under its sequence numbers and says so, instead of stalling
 * its replicas silently. */
Test(replication, rp008_two_primaries_on_one_stream_is_an_error) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  char *other = make_repo("primary-2", "primary", port);
  lr_store *s = NULL;
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(lr_store_open(i ? other : primary, LR_STORE_READWRITE, &s), 0);
    cr_assert_eq(put_rows(s, 1, 1, i, T0), 0, "%s", lr_store_errmsg(s));
    lr_store_close(s);
  }
  static const char *const once[] = {"--once", NULL};
  char *out = NULL;
  cr_assert_eq(th_run_larder(primary, "replicate", once, 10000, &out), 0, "%s",
               out);
  free(out);
  cr_assert_eq(th_run_larder(other, "replicate", once, 10000, &out), 1);
  char want[1024];
  snprintf(want, sizeof want, "larder: replicate: the write log "
           "redis://127.0.0.1:%d/0 (stream larder:t) holds another entry 2 "
           "than this primary's: two primaries log to one stream, or this "
           "store was restored from an older copy; give each primary its own "
           "`replication.stream`\n"
           "primary at 1.2, log head 0, lag 0 entries, 0 shipped, 0 "
           "bootstraps\n", port);
  cr_assert_str_eq(out, want);
  free(out);
  th_redis_stop(redis);
}

/* A flipped byte in the snapshot a replica must take (after a compaction
 * on the primary): the follower refuses it and the replica keeps serving
 * its rows at its version; a snapshot published again lets it converge. */
Test(replication, rp009_damaged_snapshot_refused_old_rows_served) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  run_writer(primary, 0);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  lr_data_version before = version_of(replica);
  long long old_values[KEYS], now_values[KEYS];
  values_of(replica, old_values);
  char *out = NULL;
  static const char *const none[] = {NULL};
  cr_assert_eq(th_run_larder(primary, "compact", none, 30000, &out), 0, "%s",
               out);
  free(out);
  lr_data_version compacted = version_of(primary);
  char snap[4096];
  snprintf(snap, sizeof snap, "%s/snapshots/snap-%llu-%llu", g_tmp,
           compacted.generation, compacted.seq);
  char data[8192];
  snprintf(data, sizeof data, "%s/data.mdb", snap);
  for (long long end = th_now_ms() + 10000;
       access(data, F_OK) != 0 && th_now_ms() < end;)
    usleep(20000); /* the shipper publishes it before shipping the entry */
  int fd = open(data, O_RDWR);
  cr_assert_geq(fd, 0, "no snapshot %s", data);
  unsigned char byte;
  cr_assert_eq(pread(fd, &byte, 1, 5000), 1);
  byte ^= 0x40;
  cr_assert_eq(pwrite(fd, &byte, 1, 5000), 1);
  close(fd);
  follower = start_replicate(replica);
  usleep(1500000); /* rounds that each refuse the snapshot */
  lr_data_version v = version_of(replica);
  cr_assert(v.generation == before.generation && v.seq == before.seq,
            "the replica moved to %llu.%llu", v.generation, v.seq);
  values_of(replica, now_values);
  for (int k = 0; k < KEYS; k++)
    cr_assert_eq(now_values[k], old_values[k], "key %d", k);
  run_writer(primary, 1); /* the version moves on: a new snapshot */
  cr_assert_eq(th_run_larder(primary, "publish", none, 30000, &out), 0, "%s",
               out);
  free(out);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* TH_STATS_DEFS with one more feature: definitions a replica may have
 * applied that the primary does not have. */
#define DEFS_WITH_B TH_STATS_DEFS "      - {name: b, dtype: float32}\n"

/* Runs `larder -c REPO COMMAND ARGS` (ARGS may be NULL) and asserts its
 * exit code, showing its output when it is not `want`. */
static void run_expecting(const char *repo, const char *command,
                          const char *const *args, int want) {
  static const char *const none[] = {NULL};
  args = args ? args : none;
  char *out = NULL;
  int code = th_run_larder(repo, command, args, 20000, &out);
  cr_assert_eq(code, want, "larder %s exited %d: %s", command, code, out);
  free(out);
}

/* Removes a repo's registry file, as the fix for other definitions says. */
static void remove_registry(const char *repo) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data/registry.db", repo);
  cr_assert_eq(unlink(path), 0, "%s: %s", path, strerror(errno));
}

/* A replica whose applied definitions are not the primary's stops before
 * its first bootstrap, naming the difference and the fix; following the
 * fix, it bootstraps and converges. */
Test(replication, rp020_replica_with_other_definitions_is_refused) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  th_write(replica, "defs.yaml", DEFS_WITH_B);
  run_expecting(replica, "apply", NULL, 1); /* it has a registry (rp021) */
  remove_registry(replica);
  run_expecting(replica, "apply", NULL, 0);
  static const char *const once[] = {"--once", NULL};
  run_expecting(primary, "replicate", once, 0);
  char *out = NULL;
  int code = th_run_larder(replica, "replicate", once, 20000, &out);
  char want[4096];
  snprintf(want, sizeof want, "larder: replicate: the definitions applied in "
           "%s (registry version 1) are not the primary's (version 1, in "
           "%s/snapshots/snap-1-1/registry.db); a replica serves the "
           "primary's definitions: apply these changes on the primary, or "
           "put the primary's definition files here, remove "
           "%s/data/registry.db and run `larder apply` again (a replica "
           "applies only before it first follows). From this replica's to "
           "the primary's:\n"
           "  ~ feature view stats\n"
           "      - feature b  its stored bytes are ignored\n"
           "replica at 1.0, log head 1, lag 1 entries, 0 applied, 0 "
           "bootstraps\n", replica, g_tmp, replica);
  cr_assert_eq(code, 1, "%s", out);
  cr_assert_str_eq(out, want);
  free(out);
  th_write(replica, "defs.yaml", TH_STATS_DEFS);
  remove_registry(replica);
  run_expecting(replica, "apply", NULL, 0);
  run_expecting(replica, "replicate", once, 0);
  lr_data_version p = version_of(primary), r = version_of(replica);
  cr_assert(p.seq == r.seq && p.seq > 0, "replica %llu.%llu, primary "
            "%llu.%llu", r.generation, r.seq, p.generation, p.seq);
  th_redis_stop(redis);
}

/* Once it follows, a replica's definitions are the primary's: a changed
 * definition applied there is refused, naming where to apply it. */
Test(replication, rp021_apply_on_a_following_replica_is_refused) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  static const char *const once[] = {"--once", NULL};
  run_expecting(primary, "replicate", once, 0);
  run_expecting(replica, "replicate", once, 0);
  th_write(replica, "defs.yaml", DEFS_WITH_B);
  char *out = NULL;
  static const char *const none[] = {NULL};
  int code = th_run_larder(replica, "apply", none, 20000, &out);
  char want[512];
  snprintf(want, sizeof want, "larder: apply: this repo is a replica "
           "(replication: role: replica in feature_store.yaml): it serves "
           "the primary's definitions, which each snapshot brings; apply on "
           "the primary (the one that logs to redis://127.0.0.1:%d/0, "
           "stream larder:t)\n", port);
  cr_assert_eq(code, 1, "%s", out);
  cr_assert(strstr(out, want), "%s", out);
  free(out);
  th_redis_stop(redis);
}

/* A damaged entry in the log (its chain digest does not match its bytes)
 * is never applied: the replica keeps its version, counts a mismatch, and
 * says so in `larder version`. */
Test(replication, rp022_damaged_log_entry_is_counted_never_applied) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  static const char *const once[] = {"--once", NULL};
  run_expecting(primary, "replicate", once, 0);
  run_expecting(replica, "replicate", once, 0);
  lr_data_version before = version_of(replica);
  char args[128];
  snprintf(args, sizeof args, "XADD larder:t %llu-0 e LRE1-damaged",
           before.seq + 1);
  redis_cli(port, args);
  run_expecting(replica, "replicate", once, 0);
  lr_data_version after = version_of(replica);
  cr_assert(after.generation == before.generation && after.seq == before.seq,
            "the replica moved from %llu.%llu to %llu.%llu", before.generation,
            before.seq, after.generation, after.seq);
  char *text = NULL;
  static const char *const none[] = {NULL};
  cr_assert_eq(th_run_larder(replica, "version", none, 10000, &text), 0);
  char want[256];
  snprintf(want, sizeof want, "replica: log head %llu, 1 entries behind for "
           "0 ms (reported ", before.seq + 1);
  cr_assert(strstr(text, want), "%s", text);
  cr_assert(strstr(text, " ms ago); 1 digest mismatches (log entries or "
                   "snapshots refused)\n"), "%s", text);
  free(text);
  th_redis_stop(redis);
}

/* Copies (cp -a) `from` to `to`, both folders, `to` replaced. */
static void copy_folder(const char *from, const char *to) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* A primary restored from an older copy (it lost changes its replica
 * holds) starts a new epoch past the log's head: the replica bootstraps
 * and holds what the primary holds, not the lost changes on top. */
Test(replication, rp023_restored_primary_starts_a_new_epoch) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t follower = start_replicate(replica);
  pid_t shipper = start_replicate(primary);
  run_writer(primary, 0);
  assert_converged(primary, &replica, 1);
  stop_replicate(shipper);
  char data[4096], backup[4096];
  snprintf(data, sizeof data, "%s/data", primary);
  snprintf(backup, sizeof backup, "%s/backup", g_tmp);
  copy_folder(data, backup);
  shipper = start_replicate(primary);
  run_writer(primary, 1);
  assert_converged(primary, &replica, 1);
  lr_data_version lost = version_of(primary);
  stop_replicate(shipper);
  copy_folder(backup, data);
  cr_assert_lt(version_of(primary).seq, lost.seq);
  shipper = start_replicate(primary);
  for (long long end = th_now_ms() + 10000;
       version_of(primary).seq <= lost.seq && th_now_ms() < end;)
    usleep(20000);
  cr_assert_gt(version_of(primary).seq, lost.seq, "the restored primary "
               "did not move past the log's head");
  assert_converged(primary, &replica, 1);
  stop_replicate(shipper);
  stop_replicate(follower);
  th_redis_stop(redis);
}

/* outbox_each callback: counts the entries and their bytes, keeps the
 * first sequence number. */
typedef struct outbox_tally {
  unsigned long long first, n;
  size_t bytes;
} outbox_tally;

static int tally(void *ctx, unsigned long long seq, const void *entry,
                 size_t len) {
  (void)entry;
  outbox_tally *t = ctx;
  if (!t->n++)
    t->first = seq;
  t->bytes += len;
  return 0;
}

static outbox_tally outbox_of(lr_store *s) {
  outbox_tally t = {0, 0, 0};
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__store_outbox_each(s, 0, tally, &t, &err), 0, "%s",
               lr__buf_str(&err));
  lr__buf_free(&err);
  return t;
}

/* A primary keeps what it shipped by count and by bytes: the newest
 * entries up to `keep` and `keep_bytes`, never one not shipped yet. */
Test(replication, rp024_outbox_keeps_shipped_entries_by_count_and_bytes) {
  g_tmp = th_tempdir();
  char *primary = make_repo("primary", "primary", 1);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(primary, LR_STORE_READWRITE, &s), 0);
  for (int i = 0; i < 30; i++)
    cr_assert_eq(put_rows(s, i, 10, i, T0 + i), 0, "%s", lr_store_errmsg(s));
  outbox_tally all = outbox_of(s);
  unsigned long long last = all.first + all.n - 1;
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__store_outbox_prune(s, last - 5, 10, SIZE_MAX, &err), 0);
  outbox_tally t = outbox_of(s);
  cr_assert(t.n == 15 && t.first == last - 14, "kept %llu from %llu", t.n,
            t.first);
  size_t three = t.bytes / t.n * 3; /* these 15 entries' sizes are equal */
  cr_assert_eq(lr__store_outbox_prune(s, last - 5, 10, three, &err), 0);
  t = outbox_of(s);
  cr_assert(t.n == 8 && t.first == last - 7, "kept %llu from %llu", t.n,
            t.first);
  lr__buf_free(&err);
  lr_store_close(s);
}

enum { WHOLE_ROUNDS = 40, WHOLE_KEYS = 200 };

/* A replica reader child: holds the replica's store open and looks up
 * keys 0..WHOLE_KEYS-1 until `stop` is readable, then once more. Every
 * lookup must see one entry whole: all keys absent, or all at the same
 * value (each of the primary's writes sets them all alike), never an
 * older one than before; the last one the final value, read from the
 * primary's newest generation. Exit 0, or 1 + what failed. */
static void whole_reader_child(const char *replica, int stop,
                               unsigned long long gen) {
  lr_store *s = NULL;
  static const char *const refs[] = {"stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  if (lr_store_open(replica, LR_STORE_READONLY, &s) ||
      lr_request_prepare(s, refs, 1, &req) ||
      lr_result_create(req, WHOLE_KEYS, &res))
    _exit(1);
  lr_value keys[WHOLE_KEYS];
  for (int k = 0; k < WHOLE_KEYS; k++)
    keys[k] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = k};
  struct pollfd p = {.fd = stop, .events = POLLIN};
  long long seen = -1;
  for (int last = 0; !last; usleep(500)) {
    last = poll(&p, 1, 0) == 1;
    if (lr_get_online_features(req, keys, WHOLE_KEYS, res))
      _exit(2);
    lr_value v0, v;
    lr_result_cell(res, 0, 0, &v0);
    long long now = v0.status == LR_STATUS_PRESENT ? v0.v.i64 : -1;
    for (int k = 1; k < WHOLE_KEYS; k++) {
      lr_result_cell(res, k, 0, &v);
      if ((v.status == LR_STATUS_PRESENT ? v.v.i64 : -1) != now)
        _exit(3); /* part of an entry */
    }
    if (now < seen)
      _exit(4);
    seen = now;
  }
  lr_data_version read;
  lr_result_version(res, &read);
  if (seen != WHOLE_ROUNDS - 1 || read.generation != gen)
    _exit(5);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  _exit(0);
}

/* A reader in another process, attached to a replica while it follows a
 * primary whose writer sets every key to a new value a write, with a
 * compaction among the writes (the replica bootstraps a new generation
 * from a snapshot): each lookup sees one entry whole, never an older
 * one, and the last the primary's end state, on its newest generation. */
Test(replication, rp025_replica_readers_see_each_entry_whole) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(primary, LR_STORE_READWRITE, &s), 0);
  pid_t reader = 0;
  for (int i = 0; i < WHOLE_ROUNDS; i++) {
    cr_assert_eq(put_rows(s, 0, WHOLE_KEYS, i, T0 + i * 1000000LL), 0, "%s",
                 lr_store_errmsg(s));
    if (i == 0) {
      reader = th_fork_child();
      if (reader == 0)
        whole_reader_child(replica, stop[0], 2);
    }
    if (i == WHOLE_ROUNDS / 2)
      cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s",
                   lr_store_errmsg(s));
    usleep(5000);
  }
  lr_store_close(s);
  assert_converged(primary, &replica, 1);
  cr_assert_eq(write(stop[1], "s", 1), 1);
  int code = th_child_status(reader, 20000);
  cr_assert_eq(code, 0, "the replica's reader failed at step %d (3: part "
               "of an entry, 4: an older one, 5: not the end state or "
               "generation)", code - 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* A shipper killed with -9 at random points while a writer writes, and
 * started again each time: no change is lost or shipped twice, and the
 * replica ends where the primary is (the shipper's state is the store's
 * outbox). */
Test(replication, rp026_shipper_killed_while_shipping_catches_up) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t follower = start_replicate(replica);
  pid_t writer = start_writer(primary, 0);
  uint64_t rnd = 0x5eed0026u;
  for (int trial = 0; trial < 10; trial++) {
    pid_t shipper = start_replicate(primary);
    usleep((useconds_t)(20000 + th_random(&rnd) % 80000));
    kill(shipper, SIGKILL);
    th_reap(shipper, 5000, NULL);
    th_untrack_child(shipper);
  }
  cr_assert_eq(th_child_status(writer, 60000), 0, "the writer failed");
  pid_t shipper = start_replicate(primary);
  assert_converged(primary, &replica, 1);
  stop_replicate(shipper);
  stop_replicate(follower);
  th_redis_stop(redis);
}

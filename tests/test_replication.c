/*
 * test_replication.c - a primary and its replicas, as processes: a real
 * redis-server on loopback holds the write log, `larder replicate` runs
 * the shipper and the followers, writers push from child processes, and
 * the stores are compared by version, digests and values; then the
 * configuration errors of `larder replicate` and `larder publish`, each a
 * whole message. The faults (kills, a full disk, a clock off, unreadable
 * snapshots, a killed materialization) are in test_replication_faults.c.
 */
#include "replication_fixture.h"

enum { N_REPLICAS = 3, N_WRITERS = 4 };

TestSuite(replication, .fini = repl_cleanup, .timeout = 120);

/* Pushes from 4 writer processes, with a compaction among them: every
 * replica reaches the primary's version, with its digests and its value
 * of every key. */
Test(replication, rp001_primary_and_three_replicas_converge) {
  int port;
  pid_t redis = start_scratch(&port);
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
  cr_assert_eq(th_run_larder(primary, "compact", NONE, 30000, &out), 0, "%s",
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
  pid_t shipper;
  pid_t redis = start_followed_pair(&port, &primary, &replica, &shipper, 0);
  run_writer(primary, 1);
  stop_replicate(shipper); /* all shipped: its outbox is the log's */
  redis_cli(port, "XTRIM larder:t MAXLEN 1");
  shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
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
  char *text = NULL;
  cr_assert_eq(th_run_larder(replica, "version", NONE, 10000, &text), 0);
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
  stop_serve(server, out);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* A replica's generations come only from its primary: `compact` there is
 * refused, and a second `larder replicate` on one repo is refused while
 * the first runs (two followers would install and apply over each
 * other). */
Test(replication, rp007_replica_refuses_compact_and_a_second_replicator) {
  int port;
  pid_t redis = start_scratch(&port);
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
  int code = th_run_larder(replica, "replicate", ONCE, 10000, &out);
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
  char *out = NULL;
  cr_assert_eq(th_run_larder(primary, "replicate", ONCE, 10000, &out), 0, "%s",
               out);
  free(out);
  cr_assert_eq(th_run_larder(other, "replicate", ONCE, 10000, &out), 1);
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
  pid_t shipper;
  pid_t redis = start_followed_pair(&port, &primary, &replica, &shipper, 0);
  lr_data_version before = version_of(replica);
  long long old_values[KEYS], now_values[KEYS];
  values_of(replica, old_values);
  char *out = NULL;
  cr_assert_eq(th_run_larder(primary, "compact", NONE, 30000, &out), 0, "%s",
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
  pid_t follower = start_replicate(replica);
  usleep(1500000); /* rounds that each refuse the snapshot */
  lr_data_version v = version_of(replica);
  cr_assert(v.generation == before.generation && v.seq == before.seq,
            "the replica moved to %llu.%llu", v.generation, v.seq);
  values_of(replica, now_values);
  for (int k = 0; k < KEYS; k++)
    cr_assert_eq(now_values[k], old_values[k], "key %d", k);
  run_writer(primary, 1); /* the version moves on: a new snapshot */
  cr_assert_eq(th_run_larder(primary, "publish", NONE, 30000, &out), 0, "%s",
               out);
  free(out);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* ---- configuration errors through the CLI --------------------------------- */

/* `larder replicate --once` on `repo` exits 1 printing `message` and the
 * status line `status`. */
static void once_fails(const char *repo, const char *message,
                       const char *status) {
  char *out = NULL;
  int code = th_run_larder(repo, "replicate", ONCE, 20000, &out);
  th_keep(out);
  char want[16384];
  snprintf(want, sizeof want, "larder: replicate: %s\n%s\n", message, status);
  cr_assert_str_eq(out, want);
  cr_assert_eq(code, 1);
  th_release(out);
}

/* Redis not listening: a round of either role names the address and the
 * fix; publishing needs no log and goes on. */
Test(replication, rp015_redis_unreachable) {
  g_tmp = th_tempdir();
  int closed = th_free_port();
  char *primary = make_repo("primary", "primary", closed);
  char *replica = make_repo("replica", "replica", closed);
  char msg[1024];
  snprintf(msg, sizeof msg, "cannot reach the write log at "
           "redis://127.0.0.1:%d/0: Connection refused; start redis-server "
           "there or fix `replication.log` in feature_store.yaml", closed);
  once_fails(replica, msg, "replica at 1.0, log head 0, lag 0 entries, 0 "
             "applied, 0 bootstraps");
  put_rows_in(primary, 0, 10, 1, T0);
  once_fails(primary, msg, "primary at 1.2, log head 0, lag 0 entries, 0 "
             "shipped, 0 bootstraps"); /* the registry's entry, the rows' */
  char *out = NULL;
  cr_assert_eq(th_run_larder(primary, "publish", NONE, 20000, &out), 0);
  th_keep(out);
  cr_assert_str_eq(out, "Published snap-1-2.\n");
}

/* A replica reading another stream than its primary logs to: once the
 * primary has logged (its snapshot shows it), the replica's round says so
 * at once, naming the stream and the key to set, instead of waiting for
 * entries that never come; before, it waits (nothing to follow yet). */
Test(replication, rp016_replica_on_another_stream) {
  int port;
  pid_t redis = start_scratch(&port);
  char *primary = make_repo("primary", "primary", port);
  char *replica = make_repo_at("replica", "replica", port, "larder:other",
                               NULL);
  static const char idle[] = "replica at 1.0, log head 0, lag 0 entries, 0 "
                             "applied, 0 bootstraps\n";
  char *out = NULL;
  cr_assert_eq(th_run_larder(replica, "replicate", ONCE, 20000, &out), 0);
  th_keep(out);
  cr_assert_str_eq(out, idle);
  put_rows_in(primary, 0, 10, 1, T0);
  run_ok(primary, "replicate", ONCE);
  char msg[4096];
  snprintf(msg, sizeof msg, "the write log redis://127.0.0.1:%d/0 has no "
           "entries in stream larder:other, but its primary has logged some "
           "(the newest snapshot in %s/snapshots is at entry 2): this replica "
           "reads another stream than its primary logs to; set "
           "`replication.stream` in %s/feature_store.yaml to the primary's "
           "`replication.stream` (if the stream is right, the log lost its "
           "entries: `larder replicate` on the primary appends them again)",
           port, g_tmp, replica);
  once_fails(replica, msg, "replica at 1.0, log head 0, lag 0 entries, 0 "
             "applied, 0 bootstraps");
  pid_t follower = start_replicate(replica); /* 0 entries behind, failing */
  wait_health_reason(replica, "the follower's rounds have failed for ", msg);
  stop_replicate(follower);
  th_redis_stop(redis);
}

/* A replica that must bootstrap (the log trimmed past its position) with
 * `replication.snapshots` naming a folder that does not exist: its round
 * names the folder and the fix. */
Test(replication, rp017_snapshot_folder_missing) {
  int port;
  pid_t redis = start_scratch(&port);
  char *primary = make_repo("primary", "primary", port);
  char nowhere[1024];
  snprintf(nowhere, sizeof nowhere, "%s/nowhere", g_tmp);
  char *replica = make_repo_at("replica", "replica", port, "larder:t",
                               nowhere);
  put_rows_in(primary, 0, 10, 1, T0);
  put_rows_in(primary, 0, 10, 2, T0 + 1000000);
  run_ok(primary, "replicate", ONCE);
  redis_cli(port, "XTRIM larder:t MAXLEN 1");
  char msg[8192];
  snprintf(msg, sizeof msg, "no snapshot in %s: the folder does not exist; "
           "publish one on the primary (`larder publish`), or set "
           "replication.snapshots to the folder it publishes to", nowhere);
  once_fails(replica, msg, "replica at 1.0, log head 3, lag 3 entries, 0 "
             "applied, 0 bootstraps"); /* the registry's entry, 2 writes */
  th_redis_stop(redis);
}

/* `larder publish` into a folder it cannot write (mode 0500; a root
 * larder runs without the capabilities that ignore modes): the folder
 * and the fix. */
Test(replication, rp018_snapshot_folder_not_writable) {
  g_tmp = th_tempdir();
  snprintf(g_locked, sizeof g_locked, "%s/locked", g_tmp);
  th_mkdirs(g_locked);
  cr_assert_eq(chmod(g_locked, 0500), 0);
  if (!th_modes_bind_without_dac(g_locked, "-w"))
    cr_skip_test("a folder of mode 0500 stops no process here (root without "
                 "CAP_SETPCAP to drop CAP_DAC_OVERRIDE?): not testable");
  char *primary = make_repo_at("primary", "primary", th_free_port(),
                               "larder:t", g_locked);
  char *out = NULL;
  int code = th_run_larder_flags(primary, "publish", TH_DROP_DAC, NONE, 20000,
                                 &out);
  th_keep(out);
  char want[8192];
  snprintf(want, sizeof want, "larder: publish: cannot publish a snapshot "
           "into %s (cannot create %s/publish.lock: Permission denied); make "
           "the folder writable by the user running larder, or set "
           "replication.snapshots to another folder\n", g_locked, g_locked);
  cr_assert_str_eq(out, want);
  cr_assert_eq(code, 1);
}

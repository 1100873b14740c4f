/*
 * test_replication.c - a primary and its replicas, as processes: a real
 * redis-server on loopback holds the write log, `larder replicate` runs
 * the shipper and the followers, writers push from child processes, and
 * the stores are compared by version, digests and values; then the
 * configuration errors of `larder replicate` and `larder publish`, each a
 * whole message. The faults (kills, a full disk, a clock off, unreadable
 * snapshots, a killed materialization) are in test_replication_faults.c.
 */
#include "online/apply.h"
#include "online/freshness.h"
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

/* A new replica repo in g_tmp (its folder into *replica), its store
 * opened read-write. */
static lr_store *open_new_replica(char **replica) {
  *replica = make_repo("replica", "replica", 1);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(*replica, LR_STORE_READWRITE, &s), 0, "%s",
               lr_store_errmsg(s));
  return s;
}

/* A replica takes no writes, and says where they go. */
Test(replication, rp002_replica_refuses_writes_naming_the_log) {
  g_tmp = th_tempdir();
  char *replica;
  lr_store *s = open_new_replica(&replica);
  cr_assert_eq(put_rows(s, 1, 1, 1, T0), LR_EREADONLY);
  cr_assert_str_eq(lr_store_errmsg(s),
                   "this repo is a replica: it follows the write log "
                   "redis://127.0.0.1:1/0 (stream larder:t) and takes no "
                   "writes; write on the primary that logs there");
  lr_store_close(s);
}

/* One side's `larder replicate` (the follower's when `follower_killed`,
 * else the shipper's) killed with -9 at 10 random points drawn from
 * `seed`, and started again each time, while a writer process writes on
 * the primary; the other side runs throughout. Once the writer is done
 * and the killed side runs again, the replica ends where the primary is:
 * no change lost or applied twice. */
static void converges_after_kills(int follower_killed, uint64_t seed) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  const char *killed = follower_killed ? replica : primary;
  pid_t steady = start_replicate(follower_killed ? primary : replica);
  pid_t writer = start_writer(primary, 0);
  for (int trial = 0; trial < 10; trial++) {
    pid_t victim = start_replicate(killed);
    usleep((useconds_t)(20000 + th_random(&seed) % 80000));
    kill(victim, SIGKILL);
    th_reap(victim, 5000, NULL);
    th_untrack_child(victim);
  }
  cr_assert_eq(th_child_status(writer, 60000), 0, "the writer failed");
  pid_t again = start_replicate(killed);
  assert_converged(primary, &replica, 1);
  stop_replicate(again);
  stop_replicate(steady);
  th_redis_stop(redis);
}

/* A follower killed with -9 at random points of applying, and started
 * again each time, ends where the primary is. */
Test(replication, rp003_follower_killed_while_applying_catches_up) {
  converges_after_kills(1, 0x5eed0003u);
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
  static answer old_values[SAMPLED], now_values[SAMPLED];
  sample_answers(replica, old_values);
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
  sample_answers(replica, now_values);
  for (int k = 0; k < SAMPLED; k++)
    cr_assert(same_answer(&now_values[k], &old_values[k]), "lookup %d "
              "changed", k);
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

/* TH_STATS_DEFS with one more feature: definitions a replica may have
 * applied that the primary does not have. */
#define DEFS_WITH_B TH_STATS_DEFS "      - {name: b, dtype: float32}\n"

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
  run_exits(replica, "apply", NULL, 1, 20000); /* has a registry: rp021 */
  remove_registry(replica);
  run_exits(replica, "apply", NULL, 0, 20000);
  run_exits(primary, "replicate", ONCE, 0, 20000);
  char *out = NULL;
  int code = th_run_larder(replica, "replicate", ONCE, 20000, &out);
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
  run_exits(replica, "apply", NULL, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
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
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  th_write(replica, "defs.yaml", DEFS_WITH_B);
  char *out = NULL;
  int code = th_run_larder(replica, "apply", NONE, 20000, &out);
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
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  lr_data_version before = version_of(replica);
  char args[128];
  snprintf(args, sizeof args, "XADD larder:t %llu-0 e LRE1-damaged",
           before.seq + 1);
  redis_cli(port, args);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  lr_data_version after = version_of(replica);
  cr_assert(after.generation == before.generation && after.seq == before.seq,
            "the replica moved from %llu.%llu to %llu.%llu", before.generation,
            before.seq, after.generation, after.seq);
  char *text = NULL;
  cr_assert_eq(th_run_larder(replica, "version", NONE, 10000, &text), 0);
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

/* The number in the file `path`, or -1 while it is not there. */
static long long number_in(const char *path) {
  FILE *f = fopen(path, "r");
  long long n = -1;
  if (f && fscanf(f, "%lld", &n) != 1)
    n = -1;
  if (f)
    fclose(f);
  return n;
}

/* One request of 16 random keys: each answer must hold one value for
 * every key (each write set them all), so a request that mixed two
 * versions shows two; and none older than *seen, the newest before
 * (every write's value is larger than the last). Exits the child on a
 * failure: 1 a mix (on stderr), 4 a failed lookup, 5 an older answer. */
static void mix_read(lr_request *req, lr_result *res, uint64_t *rnd,
                     long long *seen) {
  lr_value keys[16];
  for (int i = 0; i < 16; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64,
                         .v.i64 = (long long)(th_random(rnd) % KEYS)};
  if (lr_get_online_features(req, keys, 16, res) != 0)
    _exit(4);
  lr_value first, v;
  lr_result_cell(res, 0, 0, &first);
  for (int i = 1; i < 16; i++) {
    lr_result_cell(res, i, 0, &v);
    if (v.status != first.status ||
        (v.status == LR_STATUS_PRESENT && v.v.i64 != first.v.i64)) {
      fprintf(stderr, "a request read %lld and %lld\n", first.v.i64,
              v.v.i64);
      _exit(1);
    }
  }
  if (first.status != LR_STATUS_PRESENT)
    return;
  if (first.v.i64 < *seen)
    _exit(5);
  *seen = first.v.i64;
}

/* A reader child on `repo`: mix_read again and again until the file
 * `stop` holds a generation (60 s at most), then once more, which must
 * read that generation (a reader moves to a new generation at its next
 * lookup). Exit 0; 1, 4 or 5 as mix_read; 2 when it never saw a value; 6
 * when its last read was not on that generation. */
static pid_t start_mix_reader(const char *repo, const char *stop) {
  pid_t pid = th_fork_child();
  if (pid)
    return pid;
  lr_store *s = NULL;
  static const char *const refs[] = {"stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  if (lr_store_open(repo, LR_STORE_READONLY, &s) ||
      lr_request_prepare(s, refs, 1, &req) ||
      lr_result_create(req, 16, &res))
    _exit(3);
  uint64_t rnd = (uint64_t)getpid();
  long long seen = -1, want = -1;
  for (long long end = th_now_ms() + 60000;
       th_now_ms() < end && (want = number_in(stop)) < 0;)
    mix_read(req, res, &rnd, &seen);
  mix_read(req, res, &rnd, &seen);
  lr_data_version read;
  lr_result_version(res, &read);
  _exit(seen < 0 ? 2 : (long long)read.generation != want ? 6 : 0);
}

/* Tells a mix reader to stop: `name` in g_tmp gets the generation its
 * last read must be on, `repo`'s (written whole, then renamed). */
static void stop_mix_reader(const char *name, const char *repo) {
  char text[32], tmp[64], from[4096], to[4096];
  snprintf(text, sizeof text, "%llu\n", version_of(repo).generation);
  snprintf(tmp, sizeof tmp, "%s.tmp", name);
  th_write(g_tmp, tmp, text);
  snprintf(from, sizeof from, "%s/%s", g_tmp, tmp);
  snprintf(to, sizeof to, "%s/%s", g_tmp, name);
  cr_assert_eq(rename(from, to), 0, "%s: %s", to, strerror(errno));
}

/* Reads during generation swaps under load never mix two versions in one
 * request nor go back to an older one: every write sets all keys to one
 * value, larger each time, the primary compacts among them (each
 * compaction a new generation the replica swaps to), and reader processes
 * on the primary and the replica check every answer; once the replica has
 * caught up, each reader's next lookup is on its store's newest
 * generation. */
Test(replication, rp025_reads_never_mix_versions_across_swaps) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(primary, LR_STORE_READWRITE, &s), 0);
  cr_assert_eq(put_rows(s, 0, KEYS, 1, T0), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  assert_converged(primary, &replica, 1);
  char stop[2][4096];
  snprintf(stop[0], sizeof stop[0], "%s/stop-primary", g_tmp);
  snprintf(stop[1], sizeof stop[1], "%s/stop-replica", g_tmp);
  pid_t readers[] = {start_mix_reader(primary, stop[0]),
                     start_mix_reader(replica, stop[1])};
  for (int round = 0; round < 3; round++) {
    cr_assert_eq(lr_store_open(primary, LR_STORE_READWRITE, &s), 0);
    for (int i = 0; i < 20; i++)
      cr_assert_eq(put_rows(s, 0, KEYS, 2 + round * 20 + i,
                            T0 + 1 + round * 20 + i), 0, "%s",
                   lr_store_errmsg(s));
    lr_store_close(s);
    char *out = NULL;
    cr_assert_eq(th_run_larder(primary, "compact", NONE, 30000, &out), 0,
                 "%s", out);
    free(out);
  }
  assert_converged(primary, &replica, 1); /* the swaps are all behind */
  stop_mix_reader("stop-primary", primary);
  stop_mix_reader("stop-replica", replica);
  for (int i = 0; i < 2; i++)
    cr_assert_eq(th_child_status(readers[i], 20000), 0,
                 "the reader on the %s saw a mix or an older answer, failed, "
                 "read nothing or stayed on an old generation",
                 i ? "replica" : "primary");
  cr_assert_geq(version_of(replica).generation, 4, "the replica swapped "
                "generations fewer than 3 times");
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* The last transaction id committed in `repo`'s store. */
static unsigned long long last_txnid_of(const char *repo) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  unsigned long long id = lr__store_last_txnid(s);
  lr_store_close(s);
  return id;
}

/* A replica bootstrapped from a snapshot that holds rows (so its view's
 * database is there), then `changes` writes on the primary shipped while
 * the replica's follower is not running; *before gets the replica's
 * version. */
static pid_t replica_behind(int *port, char **primary, char **replica,
                            int changes, lr_data_version *before) {
  pid_t redis = start_pair(port, primary, replica);
  put_rows_in(*primary, 100, 10, 0, T0);
  run_ok(*primary, "replicate", ONCE);
  run_ok(*replica, "replicate", ONCE);
  *before = version_of(*replica);
  for (int i = 0; i < changes; i++)
    put_rows_in(*primary, i * 10, 10, i, T0 + 1 + i);
  run_ok(*primary, "replicate", ONCE);
  return redis;
}

/* The entries one read brings are applied in one write transaction, each
 * checked against the position the one before it wrote: five changes
 * shipped while the follower was stopped are taken in one round with one
 * commit (the replica's last transaction id moves by one), and the
 * replica holds the primary's version, digests and values. */
Test(replication, rp026_entries_read_together_apply_in_one_commit) {
  int port;
  char *primary, *replica;
  lr_data_version before;
  pid_t redis = replica_behind(&port, &primary, &replica, 5, &before);
  cr_assert_eq(version_of(primary).seq, before.seq + 5);
  unsigned long long txnid = last_txnid_of(replica);
  run_ok(replica, "replicate", ONCE);
  unsigned long long now = last_txnid_of(replica);
  cr_assert_eq(now, txnid + 1, "%llu commits for 5 entries", now - txnid);
  assert_converged(primary, &replica, 1);
  th_redis_stop(redis);
}

/* A batch stops at the first entry that does not apply: two changes
 * shipped, then a damaged entry after them in the log; one round applies
 * the two (committed) and refuses the third, counting a mismatch. */
Test(replication, rp027_batch_stops_at_a_damaged_entry_keeping_those_before) {
  int port;
  char *primary, *replica;
  lr_data_version before;
  pid_t redis = replica_behind(&port, &primary, &replica, 2, &before);
  char args[128];
  snprintf(args, sizeof args, "XADD larder:t %llu-0 e LRE1-damaged",
           before.seq + 3);
  redis_cli(port, args);
  run_ok(replica, "replicate", ONCE);
  lr_data_version after = version_of(replica);
  cr_assert(after.generation == before.generation &&
                after.seq == before.seq + 2,
            "the replica is at %llu.%llu, not %llu.%llu", after.generation,
            after.seq, before.generation, before.seq + 2);
  assert_converged(primary, &replica, 1);
  char *text = NULL;
  cr_assert_eq(th_run_larder(replica, "version", NONE, 10000, &text), 0);
  cr_assert(strstr(text, " ms ago); 1 digest mismatches (log entries or "
                   "snapshots refused)\n"), "%s", text);
  free(text);
  th_redis_stop(redis);
}

/* The status file is rewritten in place, one report over the last: what
 * is read back is the last report (a shorter error after a longer one
 * included); a report whose checksum does not hold (caught half-written,
 * or damaged) is LR_ECORRUPT; a file an older Larder wrote (no checksum
 * line) still reads. */
Test(replication, rp028_status_file_rewritten_in_place_reads_back) {
  g_tmp = th_tempdir();
  char *replica;
  lr_store *s = open_new_replica(&replica);
  lr__buf err;
  lr__buf_init(&err);
  lr__replica_status st = {7, 2, 30, 1704067200000LL, 1, 9, 90, 0, 0, ""}, got;
  snprintf(st.error, sizeof st.error, "cannot reach the write log: a long "
           "message, longer than the next one");
  cr_assert_eq(lr__store_put_replica_status(s, &st, &err), 0);
  st = (lr__replica_status){8, 0, 0, 1704067200500LL, 1, 10, 100, 0, 0,
                            "short"};
  cr_assert_eq(lr__store_put_replica_status(s, &st, &err), 0);
  cr_assert_eq(lr__store_replica_status(s, &got), 0);
  cr_assert(got.head == 8 && got.lag_entries == 0 && got.applied == 10 &&
            got.applied_rows == 100 && got.updated_ms == 1704067200500LL);
  cr_assert_str_eq(got.error, "short");
  char status[4096];
  snprintf(status, sizeof status, "%s/data/online/replica.status", replica);
  int fd = open(status, O_RDWR);
  cr_assert_geq(fd, 0);
  cr_assert_eq(pwrite(fd, "9", 1, 24), 1); /* a digit of head */
  close(fd);
  cr_assert_eq(lr__store_replica_status(s, &got), LR_ECORRUPT);
  th_write(replica, "data/online/replica.status",
           "head 5\nlag_entries 1\nlag_ms 20\nupdated_ms 1704067200000\n"
           "bootstraps 0\napplied 4\napplied_rows 40\nmismatches 0\n"
           "failing_ms 0\nerror \n");
  cr_assert_eq(lr__store_replica_status(s, &got), 0);
  cr_assert(got.head == 5 && got.lag_entries == 1 && got.applied_rows == 40);
  cr_assert_str_eq(got.error, "");
  lr__buf_free(&err);
  lr_store_close(s);
}

/* A shipper killed with -9 at random points while a writer writes, and
 * started again each time: no change is lost or shipped twice, and the
 * replica ends where the primary is (the shipper's state is the store's
 * outbox). */
Test(replication, rp029_shipper_killed_while_shipping_catches_up) {
  converges_after_kills(0, 0x5eed0029u);
}

/* A follower applying log entries notes `replicate` in the replica's
 * freshness records, in the apply's transaction, with the newest event
 * time of the pairs applied (the primary's); the primary's wall-clock
 * times stay its own, and the two stores still compare identical at one
 * version. */
Test(replication, rp030_apply_notes_replicate_freshness) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  put_rows_in(primary, 0, 10, 5, T0 + 7000000);
  put_rows_in(primary, 3, 2, 6, T0 + 1000000); /* older: lost to newer */
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  lr_data_version want = version_of(primary);
  wait_version(replica, want);
  lr_store *p = NULL, *r = NULL;
  cr_assert_eq(lr_store_open(primary, LR_STORE_READONLY, &p), 0);
  cr_assert_eq(lr_store_open(replica, LR_STORE_READONLY, &r), 0);
  lr__freshness fp, fr;
  cr_assert_eq(lr__store_freshness(p, "stats", &fp), 0, "%s",
               lr_store_errmsg(p));
  cr_assert_eq(lr__store_freshness(r, "stats", &fr), 0, "%s",
               lr_store_errmsg(r));
  cr_assert(fp.max_event_us == T0 + 7000000 && fr.max_event_us ==
            fp.max_event_us, "newest events: primary %lld, replica %lld",
            (long long)fp.max_event_us, (long long)fr.max_event_us);
  cr_assert(fp.last_write_us[LR__FRESH_WRITE] != LR__FRESH_NONE &&
            fp.last_write_us[LR__FRESH_REPLICATE] == LR__FRESH_NONE);
  cr_assert(fr.last_write_us[LR__FRESH_REPLICATE] >=
                fp.last_write_us[LR__FRESH_WRITE] &&
            fr.last_write_us[LR__FRESH_WRITE] == LR__FRESH_NONE,
            "replica: write %lld, replicate %lld",
            (long long)fr.last_write_us[LR__FRESH_WRITE],
            (long long)fr.last_write_us[LR__FRESH_REPLICATE]);
  int identical = 0;
  char *report = NULL;
  cr_assert_eq(lr_store_compare(r, p, LR_COMPARE_FULL, &identical, &report),
               0, "%s", lr_store_errmsg(r));
  cr_assert_eq(identical, 1, "%s", report);
  lr_free(report);
  lr_store_close(p);
  lr_store_close(r);
  th_redis_stop(redis);
}

/*
 * test_replication_faults.c - replication under faults, each with real
 * processes (a redis-server on loopback, `larder replicate` children,
 * followers forked to run in-process with a fault hook set, readers
 * attached to the replica): a follower killed -9 during bootstraps, a full
 * disk during one, a replica's clock 5 minutes off, a snapshot the replica
 * cannot read yet, the primary killed during a full materialization.
 * (Configuration errors through the CLI are in test_replication.c.)
 */
#include <dirent.h>
#include <poll.h>

#include "replication/log.h"
#include "replication_fixture.h"
#include "util/fs.h"
#include "util/timefmt.h"

/* Rows behind a snapshot big enough that a bootstrap takes a while. */
enum { BIG = 30000, TRIALS = 10 };

static void faults_cleanup(void) {
  lr__fault_enospc_after = -1;
  lr__fault_clock_offset_us = 0;
  repl_cleanup();
}

TestSuite(replication_faults, .fini = faults_cleanup, .timeout = 120);

/* The bounds of stream `stream` of the write log on `port`. */
static void log_bounds(int port, const char *stream, unsigned long long *first,
                       unsigned long long *last) {
  char url[64];
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/0", port);
  lr__buf err;
  lr__buf_init(&err);
  lr__log *log = NULL;
  int rc = lr__log_open(url, stream, 0, 2000, &log, &err);
  if (rc == 0)
    rc = lr__log_bounds(log, first, last, &err);
  lr__log_close(log);
  cr_assert_eq(rc, 0, "%s", lr__buf_str(&err));
  lr__buf_free(&err);
}

/* Waits (30 s at most) until the stream larder:t on `port` holds `seq`. */
static void wait_logged(int port, unsigned long long seq) {
  unsigned long long first = 0, last = 0;
  for (long long end = th_now_ms() + 30000; th_now_ms() < end; usleep(10000)) {
    log_bounds(port, "larder:t", &first, &last);
    if (last >= seq)
      return;
  }
  cr_assert_fail("the log stayed at entry %llu, not %llu", last, seq);
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

/* The snapshot folder as text: its entries (publish.lock aside; hidden
 * ones only when they are a publish's temporary folder) in name order,
 * then what LATEST names. */
static char *snapshots_listing(void) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/snapshots", g_tmp);
  char names[64][256];
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && n < 64 && (e = readdir(d));)
    if ((e->d_name[0] != '.' || !strncmp(e->d_name, ".tmp-", 5)) &&
        strcmp(e->d_name, "publish.lock"))
      snprintf(names[n++], sizeof names[0], "%s", e->d_name);
  if (d)
    closedir(d);
  qsort(names, (size_t)n, sizeof names[0], by_name);
  lr__buf b;
  lr__buf_init(&b);
  for (int i = 0; i < n; i++)
    lr__buf_printf(&b, "%s\n", names[i]);
  char *latest = th_read(dir, "LATEST");
  lr__buf_printf(&b, "LATEST: %s", latest ? latest : "(none)\n");
  free(latest);
  return th_keep(lr__buf_steal(&b));
}

/* The generation folders of `repo`'s online store, as text; the highest
 * number in *top. */
static char *generation_folders(const char *repo, unsigned long long *top) {
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/data/online", repo);
  lr__buf b;
  lr__buf_init(&b);
  *top = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));)
    if (!strncmp(e->d_name, "gen-", 4)) {
      lr__buf_printf(&b, "%s ", e->d_name);
      unsigned long long n = strtoull(e->d_name + 4, NULL, 10);
      *top = n > *top ? n : *top;
    }
  if (d)
    closedir(d);
  return th_keep(lr__buf_steal(&b));
}

/* The line of `larder version` on `repo` that starts with `prefix`
 * (kept), or NULL. */
static char *version_line(const char *repo, const char *prefix) {
  char *out = NULL;
  cr_assert_eq(th_run_larder(repo, "version", NONE, 10000, &out), 0, "%s",
               out);
  char *at = strstr(out, prefix);
  char *line = at ? strndup(at, strcspn(at, "\n")) : NULL;
  free(out);
  return th_keep(line);
}

static const char FAILED[] = "replica: its rounds have failed for ";

/* Waits (10 s at most) for `larder version` on `repo` to report a failed
 * round; returns its message (kept). */
static const char *wait_failure(const char *repo) {
  for (long long end = th_now_ms() + 10000; th_now_ms() < end; usleep(50000)) {
    char *line = version_line(repo, FAILED);
    const char *msg = line ? strstr(line, " ms: ") : NULL;
    if (msg)
      return msg + strlen(" ms: ");
    th_release(line);
  }
  cr_assert_fail("%s: `larder version` reported no failed round", repo);
  return NULL;
}

/* Waits (10 s at most) until `larder version` on `repo` reports no failed
 * round (the follower reports after the round that went well). */
static void wait_no_failure(const char *repo) {
  char *line = NULL;
  for (long long end = th_now_ms() + 10000; th_now_ms() < end; usleep(50000)) {
    th_release(line);
    if (!(line = version_line(repo, FAILED)))
      return;
  }
  cr_assert_fail("%s: `larder version` still says: %s", repo, line);
}

/* ---- rp010: kills during bootstraps ------------------------------------- */

/* A new generation on the primary for `trial`: new values of keys below
 * KEYS, then a compaction (a SNAPSHOT entry, published before it is
 * shipped); then the stream trimmed to that entry, so the replica can
 * only move by taking the snapshot. */
static void new_generation(const char *primary, int port, int trial) {
  put_rows_in(primary, 0, KEYS, 100 + trial, T0 + trial * 1000000LL);
  run_ok(primary, "compact", NONE);
  wait_logged(port, version_of(primary).seq);
  redis_cli(port, "XTRIM larder:t MAXLEN 1");
}

/* Starts `larder replicate --once` on `repo`, its output discarded. */
static pid_t start_round(const char *repo) {
  int out;
  pid_t pid = th_spawn_larder(repo, "replicate", 1, &out, ONCE);
  close(out);
  th_track_child(pid);
  return pid;
}

/* One trial: a round of the follower killed `delay_us` after its start
 * (1 when the kill landed before it ended; *left_old counts the kills that
 * left the old state), with a reader attached; the store is the old state
 * or the new after the kill, and the follower started again brings the
 * new one. */
static int bootstrap_trial(const char *primary, const char *replica, int port,
                           int trial, long long delay_us, int *left_old) {
  new_generation(primary, port, trial);
  char *old = repl_state_of(replica), *new_ = repl_state_of(primary);
  cr_assert_str_neq(old, new_);
  reader_spec spec = {replica, 0, old, new_, repl_state};
  reader r = reader_start(&spec);
  pid_t round = start_round(replica);
  usleep((useconds_t)delay_us);
  kill(round, SIGKILL);
  int st = 0;
  cr_assert(th_reap(round, 10000, &st), "the follower outlived SIGKILL");
  th_untrack_child(round);
  int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
  cr_assert(killed || th_exit_code(st) == 0, "trial %d: the follower exited "
            "%d", trial, th_exit_code(st));
  char *now = repl_state_of(replica);
  cr_assert(!strcmp(now, old) || !strcmp(now, new_), "trial %d: after a kill "
            "at %lld us the replica holds neither state:\n%.300s", trial,
            delay_us, now);
  *left_old += !strcmp(now, old);
  run_ok(replica, "replicate", ONCE);
  cr_assert_str_eq(repl_state_of(replica), new_, "trial %d", trial);
  if (killed && !strcmp(now, new_))
    usleep(1100000); /* killed after CURRENT moved, maybe before the marker
                        that tells readers at once: they look at CURRENT
                        within a second anyway (docs/internals/online.md) */
  char name[128];
  snprintf(name, sizeof name, "trial %d (kill at %lld us, %s, then %s)",
           trial, delay_us, killed ? "killed" : "ended first",
           strcmp(now, old) ? "new" : "old");
  reader_stop(&r, name);
  return killed;
}

/* A follower killed -9 at seeded random points of bootstraps from a
 * snapshot of 30,000 rows, a reader process attached each time: every
 * read is the old generation or the new one, the store after each kill
 * too, and the follower started again takes the new one. */
Test(replication_faults, rp010_follower_killed_during_bootstraps) {
  int port;
  char *primary, *replica;
  pid_t shipper;
  pid_t redis = start_followed_pair(&port, &primary, &replica, &shipper, 0);
  put_rows_in(primary, KEYS, BIG, 1, T0); /* the snapshots' bulk */
  new_generation(primary, port, 0); /* one bootstrap to its end, timed */
  long long t0 = th_now_ms();
  run_ok(replica, "replicate", ONCE);
  long long dur_us = (th_now_ms() - t0) * 1000;
  cr_assert_str_eq(repl_state_of(replica), repl_state_of(primary));
  uint64_t rnd = 0x5eed0010u;
  int killed = 0, left_old = 0;
  for (int trial = 1; trial <= TRIALS; trial++)
    killed += bootstrap_trial(primary, replica, port, trial,
                              (long long)(th_random(&rnd) %
                                          (uint64_t)(dur_us * 5 / 4 + 1)),
                              &left_old);
  fprintf(stderr, "rp010: a bootstrap round takes %lld us; %d of %d kills "
          "landed before it ended, %d left the old generation\n", dur_us,
          killed, TRIALS, left_old);
  cr_assert_gt(killed, 0, "no kill landed before the bootstrap ended");
  pid_t follower = start_replicate(replica);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* ---- rp011: a full disk ------------------------------------------------- */

/* A primary and a replica that followed it (a follower started with
 * `follower_flags`), then a compaction on the primary (shipped): the
 * replica must bootstrap. Returns redis's pid. */
static pid_t replica_behind_a_compaction(int *port, char **primary,
                                         char **replica, int follower_flags) {
  pid_t shipper; /* runs on; the suite's fini stops it */
  pid_t redis = start_followed_pair(port, primary, replica, &shipper,
                                    follower_flags);
  run_ok(*primary, "compact", NONE);
  wait_logged(*port, version_of(*primary).seq);
  return redis;
}

/* The disk fills up while a follower (forked, in-process, with the fault
 * hook) copies the snapshot in: its round fails with the whole message,
 * the replica keeps its generation, version and values (a reader process
 * sees nothing else), no folder is left behind, `larder version` says
 * why; with room again it bootstraps. */
Test(replication_faults, rp011_disk_full_during_bootstrap) {
  int port;
  char *primary, *replica;
  pid_t redis = replica_behind_a_compaction(&port, &primary, &replica, 0);
  lr_data_version before = version_of(replica), want = version_of(primary);
  char *old = repl_state_of(replica);
  unsigned long long top, top_now;
  char *folders = generation_folders(replica, &top);
  reader_spec spec = {replica, 0, old, old, repl_state};
  reader r = reader_start(&spec);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t child = th_fork_child();
  if (child == 0) {
    lr_replicator *rep = NULL;
    int rc = lr_replicator_open(replica, &rep);
    lr__fault_enospc_after = 4096;
    if (rc == 0)
      rc = lr_replicator_step(rep, 0);
    dprintf(fds[1], "%d %s\n", rc, lr_replicator_errmsg(rep));
    lr_replicator_close(rep);
    _exit(0);
  }
  close(fds[1]);
  char line[8400], want_line[8400];
  cr_assert_geq(th_read_line(fds[0], line, sizeof line, 60000), 0,
                "the follower did not answer");
  close(fds[0]);
  cr_assert_eq(th_child_status(child, 10000), 0);
  char msg[8192];
  snprintf(msg, sizeof msg, "snapshot %s/snapshots/snap-%llu-%llu: the disk "
           "is full (cannot write %s/data/online/gen-%llu/data.mdb: No "
           "space left on device); free some space on the replica and "
           "install again; the replica keeps serving what it had", g_tmp,
           want.generation, want.seq, replica, top + 1);
  snprintf(want_line, sizeof want_line, "%d %s", LR_EIO, msg);
  cr_assert_str_eq(line, want_line);
  lr_data_version v = version_of(replica);
  cr_assert(v.generation == before.generation && v.seq == before.seq);
  cr_assert_str_eq(repl_state_of(replica), old);
  cr_assert_str_eq(generation_folders(replica, &top_now), folders);
  cr_assert_str_eq(wait_failure(replica), msg);
  reader_stop(&r, "during the full disk");
  pid_t follower = start_replicate(replica);
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  th_redis_stop(redis);
}

/* ---- rp012: a clock off ------------------------------------------------- */

/* A replica machine whose clock is `offset_us` off: a child with the
 * fault hook set serves `replica` (in-process) and follows the log until
 * `*ctl` gets a byte; *http gets the server's port. */
static pid_t start_skewed_replica(const char *replica, long long offset_us,
                                  int *http, int *ctl) {
  int up[2], down[2];
  cr_assert_eq(pipe(up), 0);
  cr_assert_eq(pipe(down), 0);
  pid_t pid = th_fork_child();
  if (pid == 0) {
    lr__fault_clock_offset_us = offset_us;
    lr_server_options opt = {.repo = replica, .port = 0, .threads = 2};
    lr_server *srv = NULL;
    lr_replicator *rep = NULL;
    if (lr_server_start(&opt, &srv) || lr_replicator_open(replica, &rep))
      _exit(2);
    dprintf(up[1], "%d\n", lr_server_port(srv));
    struct pollfd p = {.fd = down[0], .events = POLLIN};
    int failures = 0;
    while (poll(&p, 1, 0) == 0)
      if (lr_replicator_step(rep, 100) != 0 && failures++ < 3)
        fprintf(stderr, "skewed follower: %s\n", lr_replicator_errmsg(rep));
    lr_server_stop(srv);
    lr_server_wait(srv);
    lr_server_close(srv);
    lr_replicator_close(rep);
    _exit(0);
  }
  close(up[1]);
  close(down[0]);
  char line[64];
  cr_assert_geq(th_read_line(up[0], line, sizeof line, 30000), 0,
                "the skewed replica did not start");
  close(up[0]);
  *http = atoi(line);
  *ctl = down[1];
  return pid;
}

/* Replicas whose clocks are 5 minutes ahead and 5 minutes behind (the
 * fault hook moves every wall-clock reading of their processes, server
 * and follower): they reach the primary's version, digests and values
 * (applying reads no clock), their /health is 200 (a report's age and the
 * lag are measured on the replica's own clock), and their reports carry
 * their own clock's time. */
Test(replication_faults, rp012_replica_clocks_five_minutes_off) {
  int port;
  pid_t redis = start_scratch(&port);
  char *primary = make_repo("primary", "primary", port);
  char *replica[2] = {make_repo("ahead", "replica", port),
                      make_repo("behind", "replica", port)};
  const long long offset[2] = {300000000LL, -300000000LL};
  int http[2], ctl[2];
  pid_t child[2];
  for (int i = 0; i < 2; i++)
    child[i] = start_skewed_replica(replica[i], offset[i], &http[i], &ctl[i]);
  pid_t shipper = start_replicate(primary);
  run_writer(primary, 0);
  run_ok(primary, "compact", NONE); /* a bootstrap too */
  run_writer(primary, 1);
  assert_converged(primary, replica, 2);
  lr_data_version v = version_of(primary);
  char want[256];
  snprintf(want, sizeof want, "{\"status\": \"ok\", \"registry_version\": 1, "
           "\"store_version\": \"%llu.%llu\"}\n", v.generation, v.seq);
  for (int i = 0; i < 2; i++) {
    cr_assert_str_eq(wait_health(http[i], 200), want, "replica %d", i);
    char *status = th_keep(th_read(replica[i], "data/online/replica.status"));
    cr_assert_not_null(status);
    const char *at = strstr(status, "updated_ms ");
    cr_assert_not_null(at, "%s", status);
    long long off_ms = atoll(at + strlen("updated_ms ")) -
                       lr__time_now_us() / 1000; /* this process: no offset */
    cr_assert(llabs(off_ms - offset[i] / 1000) < 60000, "replica %d: its "
              "report is %lld ms off the real time, not about %lld", i,
              off_ms, offset[i] / 1000);
  }
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(write(ctl[i], "q", 1), 1);
    close(ctl[i]);
    cr_assert_eq(th_child_status(child[i], 20000), 0, "replica %d", i);
  }
  stop_replicate(shipper);
  th_redis_stop(redis);
}

/* ---- rp013: a snapshot not readable yet ---------------------------------- */

/* The new generation's snapshot unreadable by the replica's follower
 * (mode 000; a root follower runs without the capabilities that ignore
 * modes): the replica keeps serving its generation, version and values (a
 * reader process sees nothing else), `larder version` says why; once the
 * snapshot is readable it swaps. */
Test(replication_faults, rp013_unreadable_snapshot_keeps_the_old_generation) {
  int port;
  char *primary, *replica;
  pid_t redis = replica_behind_a_compaction(&port, &primary, &replica,
                                            TH_DROP_DAC);
  lr_data_version before = version_of(replica), want = version_of(primary);
  char snap[1024];
  snprintf(snap, sizeof snap, "%s/snapshots/snap-%llu-%llu", g_tmp,
           want.generation, want.seq);
  cr_assert_eq(chmod(snap, 0), 0, "%s", snap);
  snprintf(g_locked, sizeof g_locked, "%s", snap);
  if (!th_modes_bind_without_dac(snap, "-r"))
    cr_skip_test("a folder of mode 000 stops no process here (root without "
                 "CAP_SETPCAP to drop CAP_DAC_OVERRIDE?): not testable");
  char *old = repl_state_of(replica);
  reader_spec spec = {replica, 0, old, repl_state_of(primary), repl_state};
  reader r = reader_start(&spec);
  pid_t follower = start_replicate_flags(replica, TH_DROP_DAC);
  char msg[8192];
  snprintf(msg, sizeof msg, "cannot open %s/MANIFEST: Permission denied; "
           "make %s and its files readable by the user running larder", snap,
           snap);
  cr_assert_str_eq(wait_failure(replica), msg);
  lr_data_version v = version_of(replica);
  cr_assert(v.generation == before.generation && v.seq == before.seq);
  cr_assert_str_eq(repl_state_of(replica), old);
  wait_health_reason(replica, "1 entries behind for ", msg);
  cr_assert_eq(chmod(snap, 0700), 0);
  g_locked[0] = '\0';
  assert_converged(primary, &replica, 1);
  wait_no_failure(replica);
  reader_stop(&r, "the snapshot unreadable, then readable");
  stop_replicate(follower);
  th_redis_stop(redis);
}

/* ---- rp014: the primary killed during a full materialization ------------ */

enum { MAT_ROWS = 140000 }; /* past 64 DuckDB chunks: a progress report */

/* data/x.csv of `repo`: keys 0..MAT_ROWS-1 at T0 + 1 s with a = 3 k + 1. */
static void write_source(const char *repo) {
  char path[4200];
  snprintf(path, sizeof path, "%s/data/x.csv", repo);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs("user_id,event_timestamp,a\n", f);
  for (int k = 0; k < MAT_ROWS; k++)
    fprintf(f, "%d,2024-01-01T00:00:01Z,%d\n", k, 3 * k + 1);
  cr_assert_eq(fclose(f), 0);
}

/* lr_materialize's progress in the child: the first report comes from
 * inside the load's transaction; it says so and waits for the kill. */
static void park_at_progress(void *ctx, const char *what,
                             unsigned long long done,
                             unsigned long long total) {
  (void)what;
  if (done >= total)
    return;
  dprintf(*(int *)ctx, "loading\n");
  for (;;)
    pause();
}

/* A full materialization on the primary killed -9 inside its load (a
 * child running it in-process, stopped at its first progress report):
 * nothing is published (the snapshot folder and LATEST as they were, no
 * temporary folder), the log and the primary's version hold nothing of
 * it, the replica keeps its version; the command run again publishes a
 * snapshot at its version, and the replica converges. */
Test(replication_faults, rp014_primary_killed_during_materialize) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  write_source(primary);
  pid_t shipper = start_replicate(primary);
  pid_t follower = start_replicate(replica);
  put_rows_in(primary, 0, KEYS, 7, T0);
  assert_converged(primary, &replica, 1);
  char *listing = snapshots_listing();
  cr_assert(strstr(listing, "LATEST: snap-"), "%s", listing);
  lr_data_version p0 = version_of(primary), r0 = version_of(replica);
  unsigned long long first0, last0, first, last;
  log_bounds(port, "larder:t", &first0, &last0);
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  pid_t child = th_fork_child();
  if (child == 0) {
    lr_offline *off = NULL;
    lr_materialize_spec ms = {.start_us = T0 - 86400000000LL,
                              .end_us = T0 + 86400000000LL,
                              .progress = park_at_progress,
                              .progress_ctx = &fds[1]};
    if (lr_offline_open(primary, &off) == 0)
      lr_materialize(off, &ms, NULL);
    dprintf(fds[1], "ended: %s\n", lr_offline_errmsg(off));
    _exit(1);
  }
  close(fds[1]);
  char line[4096];
  cr_assert_geq(th_read_line(fds[0], line, sizeof line, 60000), 0);
  close(fds[0]);
  cr_assert_str_eq(line, "loading");
  kill(child, SIGKILL);
  cr_assert_eq(th_child_status(child, 10000), 128 + SIGKILL);
  usleep(1000000); /* shipper rounds that find nothing to ship */
  cr_assert_str_eq(snapshots_listing(), listing);
  log_bounds(port, "larder:t", &first, &last);
  cr_assert(first == first0 && last == last0, "the log moved to %llu-%llu",
            first, last);
  lr_data_version p = version_of(primary), r = version_of(replica);
  cr_assert(p.generation == p0.generation && p.seq == p0.seq);
  cr_assert(r.generation == r0.generation && r.seq == r0.seq);
  static const char *const window[] = {"2023-12-31", "2024-01-02", NULL};
  run_ok(primary, "materialize", window);
  p = version_of(primary);
  cr_assert_eq(p.seq, p0.seq + 1);
  char latest[64];
  snprintf(latest, sizeof latest, "snap-%llu-%llu\n", p.generation, p.seq);
  char *now = NULL;
  for (long long end = th_now_ms() + 30000; th_now_ms() < end; usleep(20000)) {
    free(now);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/snapshots", g_tmp);
    if ((now = th_read(dir, "LATEST")) && !strcmp(now, latest))
      break;
  }
  th_keep(now);
  cr_assert_str_eq(now, latest, "the materialization was not published");
  assert_converged(primary, &replica, 1);
  stop_replicate(follower);
  stop_replicate(shipper);
  th_redis_stop(redis);
}

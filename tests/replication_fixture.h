/*
 * replication_fixture.h - what the replication suites (test_replication.c,
 * test_replication_faults.c) share: a scratch folder with a primary repo,
 * replica repos and their snapshot folder, a redis-server of the test's
 * own, `larder replicate` children, writer children, and the comparison of
 * a replica with its primary by version, digests and values. The suite
 * that includes it declares `TestSuite(NAME, .fini = repl_cleanup)`.
 */
#ifndef LR_TESTS_REPLICATION_FIXTURE_H
#define LR_TESTS_REPLICATION_FIXTURE_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "reader_child.h"
#include "util/buf.h"

/* 2024-01-01T00:00:00Z in microseconds. */
static const long long T0 = 1704067200LL * 1000000;

/* Writer children push WRITES times to keys below KEYS, which are the
 * keys compared. */
enum { WRITES = 40, KEYS = 500 };

/* The scratch folder: primary/, replica-N/, snapshots/. */
static char *g_tmp;
static char g_locked[1024]; /* a folder whose mode a test took away */

/* The suites' teardown: the children a failed assertion left, the memory
 * kept, a folder's mode, the scratch folder. */
static inline void repl_cleanup(void) {
  th_kill_children();
  if (g_locked[0])
    chmod(g_locked, 0755);
  g_locked[0] = '\0';
  th_free_kept();
  if (g_tmp)
    th_rmrf(g_tmp);
  g_tmp = NULL;
}

/* Makes repo `name` in g_tmp with the definitions and a replication block
 * of `role` on redis port `port`, logging to `stream`, its snapshots in
 * `snapshots` (g_tmp/snapshots when NULL), applied. Returns its path
 * (kept). */
static inline char *make_repo_at(const char *name, const char *role, int port,
                                 const char *stream, const char *snapshots) {
  char *dir = th_keep(malloc(4096));
  snprintf(dir, 4096, "%s/%s", g_tmp, name);
  char config[8192], snaps[2048];
  snprintf(snaps, sizeof snaps, "%s/snapshots", g_tmp);
  snprintf(config, sizeof config,
           "project: t\n"
           "replication:\n"
           "  role: %s\n"
           "  log: redis://127.0.0.1:%d/0\n"
           "  stream: %s\n"
           "  snapshots: %s\n"
           "  keep_snapshots: 2\n"
           "  max_lag: 1s\n", role, port, stream,
           snapshots ? snapshots : snaps);
  th_apply_repo(dir, config, TH_STATS_DEFS);
  /* `larder apply` checks the source: give it the columns the tests'
   * definitions read (TH_STATS_DEFS, test_replication's DEFS_WITH_B),
   * with no rows. */
  th_write(dir, "data/x.csv", "user_id,event_timestamp,a,b\n");
  return dir;
}

/* make_repo_at on the stream larder:t and g_tmp/snapshots. */
static inline char *make_repo(const char *name, const char *role, int port) {
  return make_repo_at(name, role, port, "larder:t", NULL);
}

/* Starts `larder -c REPO replicate` (its output discarded); `flags` as
 * th_spawn_larder_flags takes them. */
static inline pid_t start_replicate_flags(const char *repo, int flags) {
  int out;
  static const char *const none[] = {NULL};
  pid_t pid = th_spawn_larder_flags(repo, "replicate", flags | TH_MERGE_STDERR,
                                    &out, none);
  close(out);
  th_track_child(pid);
  return pid;
}

static inline pid_t start_replicate(const char *repo) {
  return start_replicate_flags(repo, 0);
}

/* Writes keys [first, first + n) with a = value, at event time `at`. */
static inline int put_rows(lr_store *s, long long first, int n,
                           long long value, long long at) {
  lr_value *uid = calloc((size_t)n, sizeof *uid);
  lr_value *ev = calloc((size_t)n, sizeof *ev);
  lr_value *a = calloc((size_t)n, sizeof *a);
  int rc = uid && ev && a ? 0 : LR_ENOMEM;
  for (int i = 0; rc == 0 && i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = value};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a}};
  if (rc == 0)
    rc = lr_write_rows(s, "stats", cols, 3, (size_t)n, NULL);
  free(uid);
  free(ev);
  free(a);
  return rc;
}

/* put_rows on `repo`, opened for it; the test fails on an error. */
static inline void put_rows_in(const char *repo, long long first, int n,
                               long long value, long long at) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READWRITE, &s), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(put_rows(s, first, n, value, at), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
}

/* A writer child: WRITES pushes of 1-50 keys each, overlapping the other
 * writers' keys, some at equal times with other values. Exit 0 when every
 * write was acknowledged. */
static inline pid_t start_writer(const char *repo, int w) {
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

/* Runs writer `w`'s pushes on the primary to the end. */
static inline void run_writer(const char *primary, int w) {
  cr_assert_eq(th_child_status(start_writer(primary, w), 60000), 0,
               "writer %d failed or hung", w);
}

static inline lr_data_version version_of(const char *repo) {
  lr_store *s = NULL;
  lr_data_version v = {0, 0};
  if (lr_store_open(repo, LR_STORE_READONLY, &s) == 0)
    lr_store_version(s, &v);
  lr_store_close(s);
  return v;
}

static inline char *digests_of(const char *repo) {
  lr_store *s = NULL;
  char *json = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(lr_store_digests(s, &json), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  return th_keep(json);
}

/* A key's answer: stats:a's value (INT64_MIN for none), status and event
 * time. */
typedef struct answer {
  long long value, event_ts;
  int status;
} answer;

static inline int same_answer(const answer *a, const answer *b) {
  return a->value == b->value && a->event_ts == b->event_ts &&
         a->status == b->status;
}

/* The answers of `repo` to SAMPLED lookups of random keys, in requests of
 * 1 to 16 entities (the same seeded keys for every repo). */
enum { SAMPLED = 10000 };
static inline void sample_answers(const char *repo, answer *out) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &s), 0);
  static const char *const refs[] = {"stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  cr_assert_eq(lr_request_prepare(s, refs, 1, &req), 0);
  cr_assert_eq(lr_result_create(req, 16, &res), 0);
  uint64_t rnd = 42;
  for (int done = 0; done < SAMPLED;) {
    int n = 1 + (int)(th_random(&rnd) % 16);
    n = n < SAMPLED - done ? n : SAMPLED - done;
    lr_value keys[16];
    for (int i = 0; i < n; i++)
      keys[i] = (lr_value){.type = LR_TYPE_INT64,
                           .v.i64 = (long long)(th_random(&rnd) % KEYS)};
    cr_assert_eq(lr_get_online_features(req, keys, n, res), 0);
    for (int i = 0; i < n; i++, done++) {
      lr_value v;
      cr_assert_eq(lr_result_cell(res, i, 0, &v), 0);
      out[done] = (answer){v.type == LR_TYPE_INT64 ? v.v.i64 : INT64_MIN,
                           v.event_ts, v.status};
    }
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
}

/* `larder -c REPLICA verify --against PRIMARY --full` finds them
 * identical, every row read. */
static inline void assert_verified(const char *replica, const char *primary) {
  const char *const argv[] = {"--against", primary, "--full", NULL};
  char *out = NULL;
  int code = th_run_larder(replica, "verify", argv, 30000, &out);
  cr_assert(code == 0 && strstr(out, "Identical: 1 view."), "%s", out);
  free(out);
}

/* Waits (30 s at most) until `repo` is at version `want`. */
static inline void wait_version(const char *repo, lr_data_version want) {
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
 * digests, `verify --against` finds it identical, and 10,000 sampled
 * lookups answer as on the primary (value, status, event time). */
static inline void assert_converged(const char *primary, char *const *replica,
                                    int n) {
  lr_data_version want = version_of(primary);
  char *digests = digests_of(primary);
  static answer expected[SAMPLED], got[SAMPLED];
  sample_answers(primary, expected);
  for (int i = 0; i < n; i++) {
    wait_version(replica[i], want);
    cr_assert_str_eq(digests_of(replica[i]), digests, "replica %d", i);
    assert_verified(replica[i], primary);
    sample_answers(replica[i], got);
    for (int k = 0; k < SAMPLED; k++)
      cr_assert(same_answer(&got[k], &expected[k]),
                "replica %d, lookup %d: %lld at %lld (%d), the primary %lld "
                "at %lld (%d)", i, k, got[k].value, got[k].event_ts,
                got[k].status, expected[k].value, expected[k].event_ts,
                expected[k].status);
  }
}

/* Stops a `larder replicate` child with SIGTERM (it must go). */
static inline void stop_replicate(pid_t pid) {
  kill(pid, SIGTERM);
  cr_assert(th_reap(pid, 10000, NULL), "replicate %d ignored SIGTERM", pid);
  th_untrack_child(pid);
}

/* A scratch folder (g_tmp) and a redis-server on a free port (its pid
 * returned, its port in *port). */
static inline pid_t start_scratch(int *port) {
  g_tmp = th_tempdir();
  *port = 0;
  return th_redis_start(port);
}

/* start_scratch, then a primary repo and one replica repo. */
static inline pid_t start_pair(int *port, char **primary, char **replica) {
  pid_t redis = start_scratch(port);
  *primary = make_repo("primary", "primary", *port);
  *replica = make_repo("replica", "replica", *port);
  return redis;
}

/* start_pair, with the primary's shipper running (its pid in *shipper)
 * and writer 0's pushes followed by the replica (a follower started with
 * `flags`, as th_spawn_larder_flags takes them, and stopped once the
 * replica converged). Returns redis's pid. */
static inline pid_t start_followed_pair(int *port, char **primary,
                                        char **replica, pid_t *shipper,
                                        int flags) {
  pid_t redis = start_pair(port, primary, replica);
  *shipper = start_replicate(*primary);
  pid_t follower = start_replicate_flags(*replica, flags);
  run_writer(*primary, 0);
  assert_converged(*primary, replica, 1);
  stop_replicate(follower);
  return redis;
}

/* Stops a `larder serve` child (th_serve, tracked) with SIGTERM and
 * closes its output. */
static inline void stop_serve(pid_t server, int out) {
  kill(server, SIGTERM);
  cr_assert(th_reap(server, 10000, NULL), "serve %d ignored SIGTERM", server);
  th_untrack_child(server);
  close(out);
}

/* Runs redis-cli against port `port` (loopback). */
static inline void redis_cli(int port, const char *args) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "redis-cli -h 127.0.0.1 -p %d %s >/dev/null",
           port, args);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Waits (10 s at most) for /health on `port` to answer `status`; returns
 * the last body. */
static inline const char *wait_health(int port, int status) {
  static char body[4096];
  int got = -1;
  for (long long end = th_now_ms() + 10000; th_now_ms() < end; usleep(50000))
    if ((got = th_http_get(port, "/health", body, sizeof body)) == status)
      return body;
  cr_assert_fail("/health answered %d, not %d: %s", got, status, body);
  return body;
}

static const char *const NONE[] = {NULL};
static const char *const ONCE[] = {"--once", NULL};

/* Runs `larder -c REPO COMMAND ARGS...` (ARGS may be NULL), which must
 * exit `want` within `ms` (its output shown when it does not). */
static inline void run_exits(const char *repo, const char *command,
                             const char *const *args, int want, int ms) {
  char *out = NULL;
  int code = th_run_larder(repo, command, args ? args : NONE, ms, &out);
  th_keep(out);
  cr_assert_eq(code, want, "larder %s exited %d: %s", command, code, out);
  th_release(out);
}

/* Runs `larder -c REPO COMMAND ARGS...`, which must exit 0 (within
 * 60 s). */
static inline void run_ok(const char *repo, const char *command,
                          const char *const *args) {
  run_exits(repo, command, args, 0, 60000);
}

/* Serves `repo` (`larder serve`) until its /health is 503 with a reason
 * that starts with `lead` and ends with `: ` and the round's error
 * `error` (the figures between vary), then stops the server. */
static inline void wait_health_reason(const char *repo, const char *lead,
                               const char *error) {
  int out, http;
  pid_t server = th_serve(repo, NULL, &out, &http);
  th_track_child(server);
  char want_lead[512], want_end[8400];
  snprintf(want_lead, sizeof want_lead, "\"reason\": \"%s", lead);
  snprintf(want_end, sizeof want_end, ": %s\"}\n", error);
  const char *body = "";
  for (long long end = th_now_ms() + 10000; th_now_ms() < end; usleep(50000)) {
    body = wait_health(http, 503);
    const char *at = strstr(body, want_lead);
    size_t n = strlen(body), m = strlen(want_end);
    if (at && n >= m && !strcmp(body + n - m, want_end))
      break;
  }
  cr_assert(strstr(body, want_lead), "%s", body);
  cr_assert(strlen(body) >= strlen(want_end) &&
            !strcmp(body + strlen(body) - strlen(want_end), want_end), "%s",
            body);
  stop_serve(server, out);
}

/* The state a reader child compares (reader_child.h): the store's version
 * and stats:a of keys 0..KEYS-1 and of every 97th key past them up to
 * 40,000, all in one lookup (one read transaction). */
static inline int repl_state(lr_store *store, lr__buf *b) {
  enum { FAR = 40000 / 97 + 1 };
  static const char *const refs[] = {"stats:a"};
  lr_value keys[KEYS + FAR];
  int n = 0;
  for (int k = 0; k < KEYS; k++)
    keys[n++] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = k};
  for (int k = KEYS; k < 40000 && n < KEYS + FAR; k += 97)
    keys[n++] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = k};
  lr__buf_reset(b);
  lr_request *req = NULL;
  lr_result *res = NULL;
  int rc = lr_request_prepare(store, refs, 1, &req);
  if (rc == 0)
    rc = lr_result_create(req, n, &res);
  if (rc == 0)
    rc = lr_get_online_features(req, keys, n, res);
  lr_data_version v = {0, 0};
  if (rc == 0)
    rc = lr_result_version(res, &v);
  if (rc) {
    lr__buf_printf(b, "lookup: %s", res ? lr_result_errmsg(res)
                                        : lr_store_errmsg(store));
  } else {
    lr__buf_printf(b, "version %llu.%llu\n", v.generation, v.seq);
    for (int i = 0; i < n; i++) {
      lr_value cell;
      lr_result_cell(res, i, 0, &cell);
      lr__buf_printf(b, "%lld=%lld\n", keys[i].v.i64,
                     cell.type == LR_TYPE_INT64 ? cell.v.i64 : -1);
    }
  }
  lr_result_free(res);
  lr_request_free(req);
  return rc;
}

/* repl_state of `repo` (heap text, kept); the test fails when it cannot
 * be read. */
static inline char *repl_state_of(const char *repo) {
  lr__buf b;
  lr__buf_init(&b);
  int rc = th_repo_state(repo, repl_state, &b);
  char *text = th_keep(lr__buf_steal(&b));
  cr_assert_eq(rc, 0, "%s: cannot read its state: %s", repo, text);
  return text;
}

#endif

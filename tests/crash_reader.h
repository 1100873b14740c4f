/*
 * crash_reader.h - how the crash suite (test_crash.c), and the suites that
 * change a store under other processes the same way (test_materialize.c),
 * see an online store: the example repo they start from, the state of its
 * sampled keys as one text, read in one lookup, and the reader child that
 * stays attached to the store meanwhile and checks that every read it
 * makes is the old or the new state, never a mix and never an error.
 */
#ifndef LR_TESTS_CRASH_READER_H
#define LR_TESTS_CRASH_READER_H

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "util/buf.h"

enum {
  SAMPLE = 48,   /* sampled keys, of the 300 drivers 1001..1300 */
  RUN_MS = 60000 /* the bound on any one command or reader answer */
};

static long long g_keys[SAMPLE]; /* the sampled driver ids */

/* ---- the example repo --------------------------------------------------- */

/* Runs `larder -c REPO ARGS...` (NULL-terminated) and fails unless it
 * succeeds. */
static void larder_ok(const char *repo, const char *const *argv) {
  char *out;
  int rc = th_run_larder(repo, argv[0], argv + 1, RUN_MS, &out);
  th_keep(out);
  cr_assert_eq(rc, 0, "larder %s on %s exited %d: %s", argv[0], repo, rc, out);
  th_release(out);
}
#define LARDER_OK(repo, ...)                                                   \
  larder_ok(repo, (const char *const[]){__VA_ARGS__, NULL})

/* An ISO 8601 UTC time from microseconds since the epoch. */
static char *iso(long long us, char *buf) {
  time_t s = (time_t)(us / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/* The last hour of the example data in `repo`: the time of its first
 * latest row. */
static long long last_hour(const char *repo) {
  char *csv = th_read(repo, "data/driver_stats_latest.csv");
  cr_assert_not_null(csv);
  char text[32] = "";
  const char *row = strchr(csv, '\n');
  cr_assert(row && sscanf(row + 1, "%*[^,],%19[^,]", text) == 1, "%s", csv);
  text[10] = 'T';
  strcat(text, "Z");
  free(csv);
  long long us;
  cr_assert_eq(lr_parse_time(text, 0, &us), 0, "%s", text);
  return us;
}

/* `larder init` at `repo`, applied and loaded up to an hour before the end
 * of its data (materialize-incremental); SAMPLE of its 300 drivers drawn
 * into g_keys from `seed`. Returns the last hour of the data (µs). */
static long long example_repo(const char *repo, uint64_t seed) {
  LARDER_OK(".", "init", repo);
  LARDER_OK(repo, "apply");
  long long last = last_hour(repo);
  char t[32];
  LARDER_OK(repo, "materialize-incremental", iso(last - 3600000000LL, t));
  uint64_t rng = seed * 2 + 1;
  for (int i = 0; i < SAMPLE; i++) {
    int dup;
    do {
      g_keys[i] = 1001 + (long long)(th_random(&rng) % 300);
      dup = 0;
      for (int j = 0; j < i; j++)
        dup |= g_keys[j] == g_keys[i];
    } while (dup);
  }
  return last;
}

/* Writes `path`: one driver_hourly_stats row of a driver outside the
 * example's (999999), always the same: a write no sampled key sees. */
static void write_touch_csv(const char *path) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips\n"
        "999999,2024-01-01T00:00:00Z,0.5,0.5,5\n", f);
  fclose(f);
}

/* ---- its state ----------------------------------------------------------- */

/* The features read: the view's three, and what the changed definitions of
 * the apply case add (resolvable only once they are applied). */
static const char *const REFS[] = {
    "driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips", "driver_hourly_stats:trips_rank",
    "driver_daily_stats:conv_rate"};
enum { N_BASE_REFS = 3, N_REFS = 5 };

/* One cell as text: status, event time, and the value when present. */
static void put_cell(lr__buf *b, const lr_value *v) {
  lr__buf_printf(b, " %s@%lld", lr_status_name(v->status), v->event_ts);
  if (v->status != LR_STATUS_PRESENT)
    return;
  switch (v->type) {
  case LR_TYPE_INT64:
    lr__buf_printf(b, "=%lld", v->v.i64);
    break;
  case LR_TYPE_FLOAT32:
    lr__buf_printf(b, "=%.9g", (double)v->v.f32);
    break;
  case LR_TYPE_FLOAT64:
    lr__buf_printf(b, "=%.17g", v->v.f64);
    break;
  default:
    lr__buf_printf(b, "=<type %d>", v->type);
  }
}

/* Looks the sampled keys up in one lookup (one read transaction) and
 * appends them to `b`, a line per key. Returns 0 or the lookup's code (its
 * message in `b`). */
static int put_lookup(lr__buf *b, lr_request *req, int n_feat) {
  lr_value keys[SAMPLE];
  for (int i = 0; i < SAMPLE; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = g_keys[i]};
  lr_result *res = NULL;
  int rc = lr_result_create(req, SAMPLE, &res);
  if (rc == 0)
    rc = lr_get_online_features(req, keys, SAMPLE, res);
  if (rc)
    lr__buf_printf(b, "lookup: %s", res ? lr_result_errmsg(res) : "");
  for (int i = 0; rc == 0 && i < SAMPLE; i++) {
    lr__buf_printf(b, "%lld:", g_keys[i]);
    for (int f = 0; f < n_feat; f++) {
      lr_value v;
      lr_result_cell(res, i, f, &v);
      put_cell(b, &v);
    }
    lr__buf_putc(b, '\n');
  }
  lr_result_free(res);
  return rc;
}

/* The state of an open store as text into `b` (reset first): the features
 * that resolve (all of REFS once the apply case's definitions are applied,
 * else the first three), then the sampled keys. Returns 0, or a code with
 * its message in `b`. */
static int crash_state(lr_store *store, lr__buf *b) {
  lr__buf_reset(b);
  int n = N_REFS;
  lr_request *req = NULL;
  int rc = lr_request_prepare(store, REFS, n, &req);
  if (rc == LR_ENOTFOUND) {
    n = N_BASE_REFS;
    rc = lr_request_prepare(store, REFS, n, &req);
  }
  if (rc) {
    lr__buf_printf(b, "prepare: %s", lr_store_errmsg(store));
    return rc;
  }
  lr__buf_printf(b, "features %d\n", n);
  rc = put_lookup(b, req, n);
  lr_request_free(req);
  return rc;
}

/* Opens the store of `repo`, reads its state into `b`, closes it. */
static int repo_state(const char *repo, lr__buf *b) {
  lr_store *store = NULL;
  int rc = lr_store_open(repo, LR_STORE_READONLY, &store);
  if (rc) {
    lr__buf_reset(b);
    lr__buf_printf(b, "open: %s", store ? lr_store_errmsg(store) : "");
  } else {
    rc = crash_state(store, b);
  }
  lr_store_close(store);
  return rc;
}

/* ---- the reader child ---------------------------------------------------- */

/* What a reader saw, sent back as one line. */
typedef struct reader_tally {
  int reads, old, new_, bad;
  char problem[512]; /* the first read that was neither state */
} reader_tally;

/* One read: classifies it against the old and new texts (counted as old
 * when they are equal). Returns 1 when it showed the new state. */
static int reader_read(lr_store *held, const char *repo, const char *old,
                       const char *new_, reader_tally *t, lr__buf *b) {
  int rc = held ? crash_state(held, b) : repo_state(repo, b);
  const char *s = lr__buf_str(b);
  t->reads++;
  if (rc == 0 && !strcmp(s, old))
    t->old++;
  else if (rc == 0 && !strcmp(s, new_))
    t->new_++;
  else if (t->bad++ == 0) {
    snprintf(t->problem, sizeof t->problem, "read %d (code %d): %.400s",
             t->reads, rc, s);
    for (char *c = t->problem; *c; c++)
      *c = *c == '\n' ? '|' : *c; /* the report is one line */
  }
  return rc == 0 && !strcmp(s, new_);
}

/* The reader's loop: reads until the parent writes to `ctl`, then reads once
 * more (that read must show the new state) and reports on `rep`. `reopen`:
 * open the store for each read (to see a new registry), else hold one open
 * the whole time. Never returns. */
static void reader_main(const char *repo, int reopen, const char *old,
                        const char *new_, int ctl, int rep) {
  lr_store *held = NULL;
  if (!reopen && lr_store_open(repo, LR_STORE_READONLY, &held) != 0) {
    dprintf(rep, "cannot open: %s\n", held ? lr_store_errmsg(held) : "");
    _exit(1);
  }
  reader_tally t = {0};
  lr__buf b;
  lr__buf_init(&b);
  reader_read(held, repo, old, new_, &t, &b);
  dprintf(rep, "ready\n");
  struct pollfd p = {.fd = ctl, .events = POLLIN};
  while (poll(&p, 1, 0) == 0) {
    reader_read(held, repo, old, new_, &t, &b);
    usleep(200); /* leave the command most of a core of the two */
  }
  int final_new = reader_read(held, repo, old, new_, &t, &b);
  dprintf(rep, "reads %d, old %d, new %d, neither %d; last read %s; %s\n",
          t.reads, t.old, t.new_, t.bad, final_new ? "new" : "NOT new",
          t.bad ? t.problem : "-");
  lr__buf_free(&b);
  lr_store_close(held);
  _exit(t.bad || !final_new);
}

/* A running reader: its pid and its two pipes. */
typedef struct reader {
  pid_t pid;
  int ctl, rep;
} reader;

/* Forks a reader on `repo` and waits until its first read is done. */
static reader reader_start(const char *repo, int reopen, const char *old,
                           const char *new_) {
  int ctl[2], rep[2];
  cr_assert_eq(pipe(ctl), 0);
  cr_assert_eq(pipe(rep), 0);
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    if (getppid() != parent)
      _exit(1); /* the test died before the line above */
    close(ctl[1]);
    close(rep[0]);
    reader_main(repo, reopen, old, new_, ctl[0], rep[1]);
  }
  th_track_child(pid);
  close(ctl[0]);
  close(rep[1]);
  reader r = {pid, ctl[1], rep[0]};
  char line[1024];
  int n = th_read_line(r.rep, line, sizeof line, RUN_MS);
  cr_assert(n >= 0 && !strcmp(line, "ready"), "the reader did not start: %s",
            n >= 0 ? line : "(no answer)");
  return r;
}

/* Stops the reader: its report into `line`, its exit code returned (0 when
 * every read it made was the old or the new state and its last one new). */
static int reader_finish(reader *r, char *line, size_t cap) {
  cr_assert_eq(write(r->ctl, "q", 1), 1);
  close(r->ctl);
  int n = th_read_line(r->rep, line, cap, RUN_MS);
  close(r->rep);
  int st = 0;
  int exited = th_reap(r->pid, RUN_MS, &st);
  th_untrack_child(r->pid);
  cr_assert(exited && n >= 0, "the reader did not report");
  return th_exit_code(st);
}

/* Stops the reader and fails unless its reads were all old or new and its
 * last one new. Returns its number of reads. */
static int reader_stop(reader *r, const char *trial) {
  char line[1024];
  int rc = reader_finish(r, line, sizeof line);
  cr_assert_eq(rc, 0, "%s: the reader saw: %s", trial, line);
  return atoi(line + strlen("reads "));
}

#endif

/*
 * reader_child.h - a reader process attached to a store while another
 * process changes it (or is killed changing it): it reads the store's
 * state as one text again and again, each read classified as the old
 * state, the new one or neither, and reports when told to stop. What the
 * "state" is belongs to the suite: a function that reads an open store
 * into text (the crash suite's sampled driver features, crash_reader.h;
 * the replication suite's values and version, replication_fixture.h).
 */
#ifndef LR_TESTS_READER_CHILD_H
#define LR_TESTS_READER_CHILD_H

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "util/buf.h"

/* The bound on a reader's start and on its report. */
enum { TH_READER_MS = 60000 };

/* Reads the state of an open store into `b` (reset first). Returns 0, or
 * a code with its message in `b`. */
typedef int (*th_state_fn)(lr_store *store, lr__buf *b);

/* Opens the store of `repo`, reads its state into `b`, closes it. */
static inline int th_repo_state(const char *repo, th_state_fn state,
                                lr__buf *b) {
  lr_store *store = NULL;
  int rc = lr_store_open(repo, LR_STORE_READONLY, &store);
  if (rc) {
    lr__buf_reset(b);
    lr__buf_printf(b, "open: %s", store ? lr_store_errmsg(store) : "");
  } else {
    rc = state(store, b);
  }
  lr_store_close(store);
  return rc;
}

/* What a reader saw, sent back as one line. */
typedef struct reader_tally {
  int reads, old, new_, bad;
  char problem[512]; /* the first read that was neither state */
} reader_tally;

/* What a reader reads and against what. */
typedef struct reader_spec {
  const char *repo;
  int reopen; /* open the store for each read, else hold one open */
  const char *old, *new_;
  th_state_fn state;
} reader_spec;

/* One read: classifies it against the old and new texts (counted as old
 * when they are equal). Returns 1 when it showed the new state. */
static inline int reader_read(const reader_spec *spec, lr_store *held,
                              reader_tally *t, lr__buf *b) {
  int rc = held ? spec->state(held, b) : th_repo_state(spec->repo,
                                                       spec->state, b);
  const char *s = lr__buf_str(b);
  t->reads++;
  if (rc == 0 && !strcmp(s, spec->old))
    t->old++;
  else if (rc == 0 && !strcmp(s, spec->new_))
    t->new_++;
  else if (t->bad++ == 0) {
    snprintf(t->problem, sizeof t->problem, "read %d (code %d): %.400s",
             t->reads, rc, s);
    for (char *c = t->problem; *c; c++)
      *c = *c == '\n' ? '|' : *c; /* the report is one line */
  }
  return rc == 0 && !strcmp(s, spec->new_);
}

/* The reader's loop: reads until the parent writes to `ctl`, then reads once
 * more (that read must show the new state) and reports on `rep`. Never
 * returns. */
static inline void reader_main(const reader_spec *spec, int ctl, int rep) {
  lr_store *held = NULL;
  if (!spec->reopen &&
      lr_store_open(spec->repo, LR_STORE_READONLY, &held) != 0) {
    dprintf(rep, "cannot open: %s\n", held ? lr_store_errmsg(held) : "");
    _exit(1);
  }
  reader_tally t = {0};
  lr__buf b;
  lr__buf_init(&b);
  reader_read(spec, held, &t, &b);
  dprintf(rep, "ready\n");
  struct pollfd p = {.fd = ctl, .events = POLLIN};
  while (poll(&p, 1, 0) == 0) {
    reader_read(spec, held, &t, &b);
    usleep(200); /* leave the command most of a core of the two */
  }
  int final_new = reader_read(spec, held, &t, &b);
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

/* Forks a reader (tracked: th_kill_children stops it) and waits until its
 * first read is done. */
static inline reader reader_start(const reader_spec *spec) {
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
    reader_main(spec, ctl[0], rep[1]);
  }
  th_track_child(pid);
  close(ctl[0]);
  close(rep[1]);
  reader r = {pid, ctl[1], rep[0]};
  char line[1024];
  int n = th_read_line(r.rep, line, sizeof line, TH_READER_MS);
  cr_assert(n >= 0 && !strcmp(line, "ready"), "the reader did not start: %s",
            n >= 0 ? line : "(no answer)");
  return r;
}

/* Stops the reader: its report into `line`, its exit code returned (0 when
 * every read it made was the old or the new state and its last one new). */
static inline int reader_finish(reader *r, char *line, size_t cap) {
  cr_assert_eq(write(r->ctl, "q", 1), 1);
  close(r->ctl);
  int n = th_read_line(r->rep, line, cap, TH_READER_MS);
  close(r->rep);
  int st = 0;
  int exited = th_reap(r->pid, TH_READER_MS, &st);
  th_untrack_child(r->pid);
  cr_assert(exited && n >= 0, "the reader did not report");
  return th_exit_code(st);
}

/* Stops the reader and fails unless its reads were all old or new and its
 * last one new. Returns its number of reads. */
static inline int reader_stop(reader *r, const char *trial) {
  char line[1024];
  int rc = reader_finish(r, line, sizeof line);
  cr_assert_eq(rc, 0, "%s: the reader saw: %s", trial, line);
  return atoi(line + strlen("reads "));
}

#endif

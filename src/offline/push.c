/*
 * push.c - pushes through a push source to the online store, the offline
 * store or both: lr_push and lr_push_file, and lr__push_run, which they
 * and the server's /push share (pushed.h).
 *
 * The order of the two sides is the point of pushing to both: the offline
 * file is written (and synced) first, the online views after it, so a row
 * that serving returns is always in the training data. A failure of the
 * offline side leaves online untouched; one of the online side after the
 * file was written is reported as such, with the file and the views that
 * were written, since pushing the same rows again is then the fix and is
 * safe (identical offline copies read as one row; online, newer wins).
 */
#include <stdlib.h>
#include <string.h>

#include "../online/introspect.h"
#include "../registry/replication.h"
#include "offline.h"
#include "parquet.h"
#include "pushed.h"

/* Lists the views of the plan that were written online into `out`. */
static void put_written(const lr__push_plan *p, int n_written, lr__buf *out) {
  int listed = 0;
  for (int i = 0; i < p->n_views && listed < n_written; i++)
    if (lr__push_view_online(p, i))
      lr__buf_printf(out, "%s%s", listed++ ? ", " : "",
                     p->views[i].view->name);
}

/* The message of an online write that failed after `out` was written. */
static void online_failed(const lr__push_plan *p, const lr__push_outcome *out,
                          const char *why, lr__buf *err) {
  if (out->offline_rows)
    lr__buf_printf(err, "the rows were appended to the offline store (%s) "
                   "but not written online: ", lr__buf_str(&out->file));
  lr__buf_puts(err, why);
  if (out->online_views) {
    lr__buf_puts(err, " (already written online: ");
    put_written(p, out->online_views, err);
    lr__buf_puts(err, ")");
  }
  if (out->offline_rows)
    lr__buf_puts(err, "; pushing the same rows again is safe: the offline "
                      "copies are identical rows, read as one");
}

/* LR_EREADONLY when the repo is a replica (which takes no writes, of
 * either side: its files are not the primary's), else 0. */
static int refuse_replica(const char *repo, lr__buf *err) {
  lr__replication r;
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__replication_load(repo, &r, &diag) == 0 &&
                   r.role == LR__ROLE_REPLICA
               ? lr__errmsg_set(err, LR_EREADONLY, "this repo is a replica: "
                                "it follows the write log %s (stream %s) and "
                                "takes no pushes; push on the primary that "
                                "logs there", r.log, r.stream)
               : 0;
  lr__replication_free(&r);
  lr__diag_free(&diag);
  return rc;
}

/* Whether the online views' checks must run before anything is written:
 * when the push writes another side or view first. A push into one
 * online view alone has its writer's verdict, which writes nothing when
 * it refuses. */
static int needs_precheck(const lr__push_plan *p, unsigned to) {
  int online = 0;
  for (int i = 0; i < p->n_views; i++)
    online += lr__push_view_online(p, i);
  return (to & LR_PUSH_ONLINE) && ((to & LR_PUSH_OFFLINE) || online > 1);
}

int lr__push_run(const lr__push_sides *sides, const lr__push_plan *p,
                 unsigned to, const lr_column *cols, int n_cols,
                 size_t n_rows, lr__push_outcome *out, lr__buf *err) {
  out->online_views = 0;
  out->offline_rows = 0;
  memset(out->per_view, 0, sizeof out->per_view);
  int rc = to & LR_PUSH_OFFLINE ? refuse_replica(sides->repo, err) : 0;
  if (rc == 0 && needs_precheck(p, to) &&
      (rc = lr__push_precheck(sides->store, p, cols, n_cols, n_rows)) != 0)
    lr__buf_puts(err, lr_store_errmsg(sides->store));
  if (rc == 0 && (to & LR_PUSH_OFFLINE) && n_rows) { /* no empty files */
    rc = lr__pushed_append(sides->db, sides->repo, p, cols, n_cols, n_rows,
                           &out->file, err);
    out->offline_rows = rc == 0 ? n_rows : 0;
  }
  if (rc == 0 && (to & LR_PUSH_ONLINE)) {
    rc = lr__push_online(sides->store, p, cols, n_cols, n_rows, out->per_view,
                         &out->online_views, &out->checks);
    if (rc) {
      char *why = strdup(lr_store_errmsg(sides->store));
      online_failed(p, out, why ? why : "out of memory", err);
      free(why);
    }
  }
  return rc;
}

int lr__push_check_read(const lr__push_plan *p, const lr__rows *rows,
                        const char *shown, lr__buf *err) {
  size_t mark = err->len;
  int rc = lr__push_check(p, rows->cols, rows->n_cols, rows->n_rows, err);
  if (rc) { /* the rows read are not what the views take: name the input */
    char *why = strdup(lr__buf_str(err) + mark);
    err->len = mark;
    lr__buf_printf(err, "%s: %s", shown, why ? why : "");
    free(why);
  }
  return rc;
}

/* The sides of a push of `off` going `to`: its DuckDB session for the
 * offline side, a read-write store of the call's own for the online one
 * (*store, closed by the caller). */
static int open_sides(lr_offline *off, unsigned to, lr__push_sides *sides,
                      lr_store **store) {
  sides->repo = off->repo;
  sides->db = &off->db;
  sides->store = NULL;
  *store = NULL;
  int rc = to & LR_PUSH_OFFLINE ? lr__offline_session(off) : 0;
  if (rc == 0 && (to & LR_PUSH_ONLINE)) {
    rc = lr_store_open(off->repo, LR_STORE_READWRITE, store);
    if (rc)
      lr__errmsg_set(&off->errmsg, rc, "%s", lr_store_errmsg(*store));
    sides->store = *store;
  }
  return rc;
}

/* The counts of lr_push_stats from what a push wrote. */
static void fill_stats(const lr__push_plan *p, const lr__push_outcome *out,
                       lr_push_stats *stats) {
  *stats = (lr_push_stats){out->online_views, 0, 0, out->offline_rows};
  for (int i = 0; i < p->n_views; i++) {
    stats->rows_written += out->per_view[i].rows_written;
    stats->rows_skipped += out->per_view[i].rows_skipped;
  }
}

/* A push call's state: the handle, the plan, the outcome. */
typedef struct push_call {
  lr_offline *off;
  unsigned to;
  lr__push_plan plan;
  lr__push_outcome out;
  lr_push_stats *stats;
} push_call;

/* Starts a push call: checks the handle and `to`, makes the plan. */
static int call_begin(push_call *c, lr_offline *off, const char *source,
                      unsigned to, lr_push_stats *stats) {
  static lr_push_stats ignored;
  memset(c, 0, sizeof *c);
  c->off = off;
  c->to = to;
  c->stats = stats ? stats : &ignored;
  *c->stats = (lr_push_stats){0, 0, 0, 0};
  lr__buf_init(&c->out.file);
  lr__buf_init(&c->out.checks);
  lr__arena_init(&c->plan.arena);
  if (!off)
    return LR_EINVAL;
  lr__buf_reset(&off->errmsg);
  if (to == 0 || (to & ~(unsigned)LR_PUSH_ONLINE_AND_OFFLINE))
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "push 'to' is %u: give "
                          "LR_PUSH_ONLINE, LR_PUSH_OFFLINE or "
                          "LR_PUSH_ONLINE_AND_OFFLINE", to);
  return lr__push_plan_init(&c->plan, &off->reg, source, to, &off->errmsg);
}

/* Runs the push of rows `cols` and ends the call. */
static int call_run(push_call *c, int rc, const lr_column *cols, int n_cols,
                    size_t n_rows) {
  lr_store *store = NULL;
  lr__push_sides sides;
  if (rc == 0)
    rc = open_sides(c->off, c->to, &sides, &store);
  if (rc == 0)
    rc = lr__push_run(&sides, &c->plan, c->to, cols, n_cols, n_rows, &c->out,
                      &c->off->errmsg);
  if (c->off)
    fill_stats(&c->plan, &c->out, c->stats);
  lr_store_close(store);
  lr__push_plan_free(&c->plan);
  lr__buf_free(&c->out.file);
  lr__buf_free(&c->out.checks);
  return rc;
}

int lr_push(lr_offline *off, const char *push_source, unsigned to,
            const lr_column *columns, int n_columns, size_t n_rows,
            lr_push_stats *stats) {
  push_call c;
  int rc = call_begin(&c, off, push_source, to, stats);
  if (rc == 0)
    rc = lr__push_check(&c.plan, columns, n_columns, n_rows, &off->errmsg);
  return call_run(&c, rc, columns, n_columns, n_rows);
}

/* Reads a readable file of rows (lr__with_file_rows) by the plan's
 * columns. */
typedef struct file_read {
  const lr__colset *cols;
  lr__rows *rows;
  lr__buf *err;
} file_read;

static int read_readable(void *ctx, const char *readable,
                         const lr__ingest_opts *opts) {
  file_read *r = ctx;
  lr__rows_free(r->rows);
  return lr__ingest_read_file(r->cols, readable, opts, r->rows, r->err);
}

int lr_push_file(lr_offline *off, const char *push_source, unsigned to,
                 const char *path, unsigned flags, lr_push_stats *stats) {
  push_call c;
  int rc = call_begin(&c, off, push_source, to, stats);
  if (rc == 0 && !path)
    rc = lr__errmsg_set(&off->errmsg, LR_EINVAL, "no file given");
  lr__rows rows = {0};
  lr__arena_init(&rows.arena);
  file_read r = {&c.plan.cols, &rows, off ? &off->errmsg : NULL};
  if (rc == 0)
    rc = lr__with_file_rows(path, flags, &off->errmsg, read_readable, &r);
  if (rc == 0)
    rc = lr__push_check_read(&c.plan, &rows, path, &off->errmsg);
  rc = call_run(&c, rc, rows.cols, rows.n_cols, rows.n_rows);
  lr__rows_free(&rows);
  return rc;
}

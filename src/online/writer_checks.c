/*
 * writer_checks.c - a writer's checks (quality/checkrun.h): the view's
 * rules run over every batch put, before the newer-wins choice; at commit
 * their verdict, the quarantine file of the rows they dropped and the
 * counts for /metrics, and the report the caller reads
 * (lr_store_check_report).
 *
 * Order at commit, so that no row is lost: the verdict first (a refused
 * batch writes nothing), then the dropped rows' file, synced, then the
 * rows' transaction. A file that cannot be written fails the commit, so a
 * dropped row is either in the quarantine or, with the batch refused,
 * still with its writer.
 */
#include <stdlib.h>

#include "../quality/quarantine.h"
#include "../util/timefmt.h"
#include "checkstats.h"
#include "writer_state.h"

int lr__writer_checks_open(lr__writer *w) {
  lr__buf_reset(lr__store_report(w->store, 0));
  lr__buf_reset(lr__store_report(w->store, 1));
  return lr__checkrun_open(&w->store->reg, w->ov->view, &w->checks,
                           lr__store_err(w->store));
}

int lr__writer_checks_rows(lr__writer *w, const lr_column **cols,
                           size_t *n_rows) {
  if (!w->checks)
    return 0;
  int rc = lr__checkrun_rows(w->checks, *cols, w->n_cols, *n_rows, cols,
                             n_rows);
  return rc ? lr__errmsg_set(lr__store_err(w->store), rc, "out of memory "
                             "running the checks") : 0;
}

void lr__writer_checks_grouped(lr__writer *w) {
  if (w->checks)
    lr__checkrun_grouped(w->checks);
}

/* Writes the dropped rows' file; 0 when none were dropped. */
static int quarantine(lr__writer *w, unsigned long long *rows) {
  const lr_column *cols;
  const lr_value *rules;
  int n_cols;
  size_t n = lr__checkrun_dropped(w->checks, &cols, &n_cols, &rules);
  *rows = n;
  if (!n)
    return 0;
  lr__buf dir, file, why;
  lr__buf_init(&dir);
  lr__buf_init(&file);
  lr__buf_init(&why);
  lr__quarantine_dir(w->store->root, w->ov->view->name, &dir);
  int rc = cols ? lr__quarantine_save(&w->store->reg, w->ov->view,
                                      lr__buf_str(&dir), cols, n_cols, n,
                                      rules, &file, &why)
                : LR_ENOMEM;
  if (rc == 0)
    lr__checkrun_quarantined(w->checks, lr__buf_str(&file));
  else
    lr__errmsg_set(lr__store_err(w->store), rc, "feature view '%s': %zu "
                   "row%s failed a drop check and must be copied to the "
                   "quarantine before the others are written, but: %s; "
                   "nothing was written", w->ov->view->name, n,
                   n == 1 ? "" : "s", lr__buf_str(&why));
  lr__buf_free(&dir);
  lr__buf_free(&file);
  lr__buf_free(&why);
  return rc;
}

/* The report, both renderings, for lr_store_check_report. */
static void keep_report(lr__writer *w) {
  lr__checkrun_report(w->checks, 0, 5, lr__store_report(w->store, 0));
  lr__checkrun_report(w->checks, LR_FORMAT_JSON, 5,
                      lr__store_report(w->store, 1));
}

int lr__writer_checks_commit(lr__writer *w) {
  if (!w->checks)
    return 0;
  unsigned long long quarantined = 0;
  int rc = lr__checkrun_finish(w->checks, lr__time_now_us(),
                               lr__store_err(w->store));
  if (rc == 0)
    rc = quarantine(w, &quarantined);
  if (rc == 0 && w->rw)
    w->quarantined = quarantined; /* noted with the commit's records */
  else if (rc == 0 && lr__checkstats_note(w->txn, w->meta_dbi, w->ov->view->name,
                                     w->checks, quarantined))
    rc = lr__errmsg_set(lr__store_err(w->store), LR_EIO, "cannot record "
                        "what the checks of view '%s' did",
                        w->ov->view->name);
  keep_report(w);
  return rc;
}

void lr__writer_checks_refused(lr__writer *w, int rc) {
  if (w->checks && rc == LR_ECHECK)
    lr__checkstats_note_refused(w->store, w->ov->view->name, w->checks);
}

/*
 * push.h - pushes through a push source (Feast's push), as far as the
 * online layer goes: which feature views a push source feeds, the columns
 * its rows may have (theirs, together), the checks every row passes before
 * any side is written, and the write into each online view. The offline
 * side (offline/pushed.c) appends the same rows to the push source's
 * folder; offline/push.c runs both in their order.
 */
#ifndef LR_ONLINE_PUSH_H
#define LR_ONLINE_PUSH_H

#include "../registry/model.h"
#include "ingest.h"
#include "store.h"

/* The most views one push source may feed. */
#define LR__PUSH_MAX_VIEWS 64

/* A push through one push source of one model. */
typedef struct lr__push_plan {
  const lr__model *m;
  const lr__source *source; /* the push source */
  const lr__source *batch;  /* its batch source (the offline columns) */
  int n_views;              /* the batch views whose source it is */
  lr__online_view views[LR__PUSH_MAX_VIEWS]; /* each with its keys (no
                                                database: db_name NULL) */
  lr__colset cols;          /* every column of those views */
  lr__arena arena;
} lr__push_plan;

/*
 * lr__push_plan_init - the push through push source `name` of model `m`,
 * which goes `to` LR_PUSH_ONLINE and/or LR_PUSH_OFFLINE. Returns 0;
 * LR_ENOTFOUND (no push source of that name, with the push sources there
 * are); LR_EINVAL when no feature view reads it (the message lists which
 * views read which sources, and how to make a view read it) or, for an
 * online push, none of those views is online; LR_ENOMEM. Free it with
 * lr__push_plan_free whatever this returned.
 */
int lr__push_plan_init(lr__push_plan *p, const lr__model *m, const char *name,
                       unsigned to, lr__buf *err);
void lr__push_plan_free(lr__push_plan *p);

/* 1 when view i of the plan is stored online. */
int lr__push_view_online(const lr__push_plan *p, int i);

/* The batch source column that holds plan column c offline: the
 * timestamp_field for event_timestamp, the created_timestamp_column for
 * created_timestamp (NULL when the batch source has none: not kept), the
 * field_mapping's column for a key or feature. */
const char *lr__push_offline_column(const lr__push_plan *p, int c);

/* Checks rows pushed as `cols` (n_cols columns of n_rows values) before
 * anything is written: every column is one of a fed view's (an unknown
 * one is named, and so is the view it belongs to when another view has
 * it), each view finds every column it needs with values of its types,
 * and keys encode. Returns 0, LR_EINVAL or LR_ETYPE; the message (rows
 * counted from 1, as lr_write_rows counts them) goes to `err`. */
int lr__push_check(const lr__push_plan *p, const lr_column *cols, int n_cols,
                   size_t n_rows, lr__buf *err);

/* Before anything of a push to several places is written (the offline
 * store and online views, or several views): runs the checks of each
 * online view of plan p over the rows (writing nothing), so that rows the
 * checks would refuse for one view reach neither the offline store nor
 * any other view. Returns 0, or LR_ECHECK (or LR_ENOMEM) with the reason on the
 * store. */
int lr__push_precheck(lr_store *store, const lr__push_plan *p,
                      const lr_column *cols, int n_cols, size_t n_rows);

/* Writes checked rows into each online view of the plan, one transaction
 * per view, in the plan's order; per_view[i] gets view i's counts (zero
 * for an offline-only view) and *written how many views were written.
 * `checks` (may be NULL) gets, for each view whose checks ran, a JSON
 * member `"VIEW": REPORT` (lr_store_check_report's), comma separated.
 * Stops at the first failure (the message is the store's) and returns
 * its code. */
int lr__push_online(lr_store *store, const lr__push_plan *p,
                    const lr_column *cols, int n_cols, size_t n_rows,
                    lr_write_stats *per_view, int *written, lr__buf *checks);

#endif

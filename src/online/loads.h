/*
 * loads.h - what the online store records of each view's materializations,
 * and what the next incremental one must therefore reload.
 *
 * Two records in the meta database, put in the transaction of the rows a
 * load wrote, so that whatever crashes they describe the rows stored:
 *
 *   materialized:VIEW@EPOCH  the last load's interval: start, end and the
 *                            time it ran (3 x int64 µs); an incremental
 *                            load resumes at its end. Dropped with the
 *                            view's database.
 *   loaded:VIEW              u32 format (1), int64 start, int64 end (µs),
 *                            then the registry image of the view's load
 *                            definition (registry/loaddef.h): the range
 *                            of event times loaded with that definition,
 *                            or, once it changed, loaded partly with later
 *                            ones (a load that replaced only part of the
 *                            range leaves the record as it was).
 *
 * Keeping them in the store rather than in the registry file ties them to
 * the rows: `apply` writes a new registry and leaves them alone, and a
 * store copied, compacted or restored brings its own. Stores written
 * before `loaded:` existed have only the first record: their definition is
 * unknown, and the next incremental load reloads them.
 */
#ifndef LR_ONLINE_LOADS_H
#define LR_ONLINE_LOADS_H

#include <lmdb.h>

#include "../registry/model.h"
#include "writer.h"

/* View v's records as read from the store. */
typedef struct lr__loads {
  int has_interval;      /* materialized:VIEW@EPOCH of v's epoch exists */
  int64_t interval_end;  /* its end */
  int record;            /* loaded:VIEW: 1 read, 0 none, -1 unreadable */
  int64_t range_start, range_end;
  lr__model def;         /* its definition; no views when it does not
                            decode */
  int def_rc;            /* 0, or why it does not: LR_EVERSION,
                            LR_ECORRUPT */
} lr__loads;

/* Reads view v's records (its name and epoch, from any model) from the
 * store's live generation into the empty *out (lr__loads_free it, also on
 * failure). Returns 0, LR_ENOMEM or LR_EIO (the message on the store). */
int lr__loads_read(lr_store *store, const lr__view *v, lr__loads *out);
void lr__loads_free(lr__loads *l);

/* Only the end of view v's last interval: 0, LR_ENOTFOUND (never
 * materialized at its epoch), LR_ENOMEM or LR_EIO. */
int lr__loads_interval_end(lr_store *store, const lr__view *v,
                           int64_t *end_us);

/* What the next load of a view must do about its past loads. */
typedef struct lr__reload {
  int changed;      /* the rows stored were loaded with other definitions
                       (or unknown ones): a load replaces equal-time rows */
  int needed;       /* changed, or a longer ttl reaches before the range:
                       an incremental load reloads from start_us */
  int64_t start_us;
  int from_ttl;     /* start_us is the end - ttl of the load */
  int unknown;      /* the records do not say what was loaded */
  lr__buf why;      /* the reasons, for the user: "feature f1 added", or
                       (unknown) why nothing is known */
} lr__reload;

/* Decides, for a load of view v (of model m, the definitions it loads
 * with) ending at end_us, from the records `l`: nothing when the view was
 * never loaded or its definitions are those recorded; else a reload from
 * the start of the recorded range (from end - ttl when a longer ttl
 * reaches before it; from where a first load starts when the range is
 * unknown). *out is filled (lr__reload_free it). Returns 0 or LR_ENOMEM. */
int lr__loads_decide(const lr__loads *l, const lr__model *m,
                     const lr__view *v, int64_t end_us, lr__reload *out);
void lr__reload_free(lr__reload *r);

/* Appends why the view is reloaded, for the user: "definition changed
 * since its last load (feature f1 added)", or why its records say nothing. */
void lr__reload_describe(const lr__reload *r, lr__buf *out);

/* 1 when a load over [start_us, end_us] replaces every row the records
 * `l` say were loaded with other definitions (r: lr__loads_decide's), or
 * there are none. */
int lr__loads_covers(const lr__loads *l, const lr__reload *r,
                     const lr__view *v, int64_t start_us, int64_t end_us);

/* Where a view's first incremental load starts: end - ttl, or the
 * beginning when its ttl is 0. */
int64_t lr__loads_first_start(const lr__view *v, int64_t end_us);

/* Puts the records of a load of view v (of model m) over
 * [start_us, end_us], run at at_us, into w's transaction: the interval,
 * and the loaded range as lr__loads_decide's `r` and the past records `l`
 * make it (widened under the same definition; replaced by this load's when
 * it covers the whole recorded range, else left as it was). Returns 0 or
 * a status with the message on the store. */
int lr__loads_put(lr__writer *w, const lr__model *m, const lr__view *v,
                  const lr__loads *l, const lr__reload *r, int64_t start_us,
                  int64_t end_us, int64_t at_us);

/* Deletes the interval record of view database `db_name` (VIEW@EPOCH),
 * which is being dropped, in write transaction txn. */
void lr__loads_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name);

#endif

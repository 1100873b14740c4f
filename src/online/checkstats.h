/*
 * checkstats.h - what a view's checks did over the store's life, for
 * /metrics: per rule the rows that passed and failed it, the batches its
 * checks refused and the rows they quarantined. One record per view in
 * the meta database,
 *
 *   checks:VIEW   text: "batches_rejected N", "rows_quarantined N", then
 *                 "rule NAME PASSED FAILED" per rule, one per line,
 *
 * added to by every write transaction that ran the checks: in the
 * transaction itself when it commits, in one of its own when the checks
 * refused it (its rows were not written, but the refusal is counted). Like
 * the freshness records it takes no part in digests, verify or compare.
 */
#ifndef LR_ONLINE_CHECKSTATS_H
#define LR_ONLINE_CHECKSTATS_H

#include <lmdb.h>

#include "../quality/checkrun.h"
#include "store.h"

/* In write transaction txn: adds what runner cr counted to view's record;
 * `quarantined` rows were copied out. Returns an LMDB code. */
/* The record's key of view `view` ("checks:VIEW") into buf. */
void lr__checkstats_key(const char *view, char *buf, size_t cap);

/* The record `old` (old_len bytes of text; NULL: none) with runner cr's
 * counts, `quarantined` rows and `refused` more refused batches added,
 * rendered into `out`: what the notes below store. A Redis store changes
 * its records with it. Returns 0 or LR_ENOMEM. */
int lr__checkstats_update(const char *old, size_t old_len,
                          const lr__checkrun *cr,
                          unsigned long long quarantined, int refused,
                          lr__buf *out);

int lr__checkstats_note(MDB_txn *txn, MDB_dbi meta, const char *view,
                        const lr__checkrun *cr, unsigned long long quarantined);

/* In a transaction of its own: the same, for a transaction the checks
 * refused. Returns 0 or a status with the message on the store. */
int lr__checkstats_note_refused(lr_store *store, const char *view,
                                const lr__checkrun *cr);

/* A record's counts. */
typedef struct lr__checkstats {
  int present; /* 0: the view's checks never ran on this store */
  unsigned long long rejected, quarantined;
  int n_rules;
  struct lr__rule_counts {
    char name[128];
    unsigned long long passed, failed;
  } rules[64];
} lr__checkstats;

/* The record of `view` in the live generation. Returns 0 or a status with
 * the message on the store. Any thread that may use `store`. */
int lr__store_checkstats(lr_store *store, const char *view,
                         lr__checkstats *out);

#endif

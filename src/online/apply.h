/*
 * apply.h - what the replication layer (src/replication/) needs of a
 * store beyond the public API: its log position, a replica's applying of
 * one log entry, and a primary's outbox (outbox.h) read and pruned.
 */
#ifndef LR_ONLINE_APPLY_H
#define LR_ONLINE_APPLY_H

#include <stddef.h>

#include "../registry/replication.h"
#include "../util/buf.h"
#include "larder.h"
#include "version.h"

/* The replication block the store was opened with. */
const lr__replication *lr__store_replication(const lr_store *store);

/* The live generation's position (version.h). Returns 0 or LR_EIO. */
int lr__store_logpos(lr_store *store, lr__logpos *pos, lr__buf *err);

/* The id of the last transaction any process committed in the live
 * generation, as a reader sees it: an empty read transaction and no
 * system call, for a shipper that looks often whether anything was
 * committed. */
unsigned long long lr__store_last_txnid(lr_store *store);

/* lr__store_apply_entry outcomes besides errors. */
enum {
  LR__APPLIED = 0,
  LR__APPLY_SEEN = 1,      /* at or before the store's position: a no-op */
  LR__APPLY_BOOTSTRAP = 2, /* does not follow (a gap, another epoch) or
                              asks for a snapshot: the reason is in err */
  LR__APPLY_MISMATCH = 3   /* damaged, or its chain digest does not follow
                              the entries applied: a bootstrap too, and
                              counted (the reason is in err) */
};

/* Applies log entry `data` to a replica in one write transaction with
 * its sequence number, epoch and chain digest: each pair stored unless
 * the stored row wins (newer wins, a total order), digests kept; *stored
 * gets how many were stored. Checks against the position inside that
 * transaction, so a re-delivered entry is a no-op. Returns an outcome
 * above, or LR_ECORRUPT (an entry whose chain digest holds but whose
 * records do not parse), LR_EIO. */
int lr__store_apply_entry(lr_store *store, const void *data, size_t len,
                          unsigned long long *stored, lr__buf *err);

/* One log entry's bytes, as read. */
typedef struct lr__apply_entry {
  const void *data;
  size_t len;
} lr__apply_entry;

/* Applies entries[0..n) in order, each as lr__store_apply_entry does, as
 * many as fit in one write transaction (at most 8 MiB of entries
 * together, what one entry may hold; at least one), committed once: each
 * entry is checked against the position the entries before it wrote, and
 * writes its own with its pairs. It stops at the first entry that neither
 * applies nor was seen; the entries before it are committed. *taken gets
 * how many entries were looked at (call again with the rest), *applied
 * how many of them applied and *stored the pairs they stored. Returns the
 * outcome of the last entry taken (LR__APPLIED or LR__APPLY_SEEN when
 * every one applied or was seen), or an error: of the last entry taken
 * (LR_ECORRUPT, malformed: the ones before it are committed), or of the
 * transaction (nothing is committed; *applied and *stored are 0). */
int lr__store_apply_entries(lr_store *store, const lr__apply_entry *entries,
                            int n, int *taken, int *applied,
                            unsigned long long *stored, lr__buf *err);

/* Calls each(ctx, seq, entry, len) for the outbox entries after `after`,
 * in order, from one snapshot; stops at a nonzero return (returned).
 * Returns 0, that value, or LR_EIO. */
int lr__store_outbox_each(lr_store *store, unsigned long long after,
                          int (*each)(void *ctx, unsigned long long seq,
                                      const void *entry, size_t len),
                          void *ctx, lr__buf *err);

/* Keeps, of the entries up to `shipped` (in the log already), the newest
 * `keep` and at most `keep_bytes` of them, and deletes the older ones.
 * Returns 0 or LR_EIO. */
int lr__store_outbox_prune(lr_store *store, unsigned long long shipped,
                           unsigned long long keep, size_t keep_bytes,
                           lr__buf *err);

/* On a primary opened read-write: when its registry version is not the
 * one it last logged, logs a SNAPSHOT change (replicas take the new
 * definitions and rows from a snapshot, registry file included). Returns
 * 0 or a status with the message in err. */
int lr__store_log_registry(lr_store *store, lr__buf *err);

/* On a primary whose log holds entries of its epoch past its position
 * `past` being the last (it was restored from an older copy): starts a
 * new epoch with a SNAPSHOT change numbered past + 1, so that replicas,
 * which may hold changes this store lost, take it whole from a snapshot
 * rather than apply on top of what it no longer has. Returns 0 or a
 * status with the message in err. */
int lr__store_restart_epoch(lr_store *store, unsigned long long past,
                            lr__buf *err);

/* Takes the repo's replicator lock (flock on ONLINE/replicator.lock, held
 * on *fd until closed): one replicator per repo, so two followers never
 * install and apply over each other. Returns 0; LR_EEXISTS (another holds
 * it, named); LR_EIO. */
int lr__store_lock_replicator(lr_store *store, int *fd, lr__buf *err);

/* What a replica's follower last said of itself, in ONLINE/replica.status
 * (rewritten in place each round, with a checksum): readers in other
 * processes (the server's /health and /metrics, `larder version`) learn
 * the lag from it without a connection to the log. */
typedef struct lr__replica_status {
  unsigned long long head;      /* the log's last entry */
  unsigned long long lag_entries;
  long long lag_ms;
  long long updated_ms;         /* unix ms of the report */
  unsigned long long bootstraps, applied;
  unsigned long long applied_rows, mismatches; /* lr_replication_status */
  long long failing_ms;         /* how long its rounds have failed; 0: the
                                   last one succeeded */
  char error[LR_REPLICATION_ERROR_MAX]; /* the last round's error, one
                                   line, or "" */
} lr__replica_status;

/* Writes the status file. Returns 0 or LR_EIO. */
int lr__store_put_replica_status(lr_store *store, const lr__replica_status *st,
                                 lr__buf *err);

/* Reads it (again when it was caught half-written): 0, or LR_ENOTFOUND
 * (no follower reported yet), LR_ECORRUPT. */
int lr__store_replica_status(lr_store *store, lr__replica_status *st);

#endif

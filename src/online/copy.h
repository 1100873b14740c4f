/*
 * copy.h - what snapshots (replication/snapshot.c) need of the online
 * store's insides, which the layers above must not reach themselves:
 *
 *  - a consistent copy of the live generation into a file, while readers
 *    and writers carry on;
 *  - what such a copy holds, read from the copy itself (its version
 *    records, version.h, and each view's digest, digest.h), so that a
 *    manifest describes exactly the bytes beside it;
 *  - bringing a copy in as a new generation of a store: it arrives in a
 *    generation folder reserved for it, is checked (every view's digest
 *    counted again from its rows), and only then goes live, as a
 *    compaction's build does (lr__store_replace).
 */
#ifndef LR_ONLINE_COPY_H
#define LR_ONLINE_COPY_H

#include "../util/buf.h"
#include "digest.h"
#include "env.h"
#include "larder.h"
#include "version.h"

/* One view database of a copy (VIEW@EPOCH, as the registry names it) and
 * its digest. */
typedef struct lr__view_digest {
  char *name;
  lr__digest digest;
} lr__view_digest;

/* What a copy holds: its version and every view database in it, in name
 * order, with the digest its meta database records. */
typedef struct lr__copy_info {
  lr__logpos pos;
  lr__view_digest *views;
  int n_views;
} lr__copy_info;

/* Frees what an lr__copy_info holds; zeroed structs are fine. */
void lr__copy_info_free(lr__copy_info *info);

/* Writes a compacting copy (mdb_env_copyfd2, MDB_CP_COMPACT) of `src` to
 * the file `path` (created or replaced) and fsyncs it and its folder. The
 * copy reads one snapshot: it holds every write committed before it began
 * and none after, and writers are not held up. Returns 0 or LR_EIO (a
 * full disk said so) with the reason in `err`. */
int lr__copy_env(lr__env *src, const char *path, lr__buf *err);

/* lr__copy_env of the store's live generation (CURRENT read first);
 * *gen receives that generation's folder number. */
int lr__copy_live(lr_store *store, const char *path, unsigned long long *gen,
                  lr__buf *err);

/* Reads what the copy at `path` holds, from the copy alone (opened as an
 * environment of its own, read-only, without a lock file): a record that
 * is missing reads as version.h says, with `folder_gen` as G. `counted`
 * (may be NULL) receives a heap array (free() it) of each view's digest
 * as its rows give it. Returns 0, LR_ECORRUPT (the file fails its check,
 * filecheck.h, or a record is damaged) or LR_EIO, naming `path`. */
int lr__copy_read(const char *path, unsigned long long folder_gen,
                  lr__copy_info *out, lr__digest **counted, lr__buf *err);

/* A generation folder reserved for a copy being brought in. */
typedef struct lr__incoming {
  unsigned long long gen; /* its folder's number */
  int hold;               /* its in-use flock: no collector deletes it */
  char *path;             /* ONLINE/gen-N/data.mdb: write the copy here */
  int installed;          /* it went live */
} lr__incoming;

/* Reserves a new generation folder of `store` for a copy: ONLINE/gen-N,
 * N never used, marked in use by this process (a process that dies
 * leaves it unheld, and the next collection deletes it). Then write the
 * data file at in->path and call lr__incoming_install, and in any case
 * lr__incoming_end. Returns 0, LR_EREADONLY (the store is open read-only)
 * or LR_EIO. */
int lr__incoming_begin(lr_store *store, lr__incoming *in, lr__buf *err);

/* Makes the copy at in->path the live generation of `store` (opened
 * read-write), once it proves to be what `want` says: the version and the
 * view databases and digests recorded in it must be want's, and each
 * view's rows must give its digest. Then the version is written into the
 * copy (so it carries G whatever its folder number), and under the layout
 * lock, with the live generation's writers held, the folder takes the
 * next generation number, before_publish(ctx, err) runs (may be NULL; a
 * failure stops the install), CURRENT moves to it and the store follows.
 * Messages start with `what` (e.g. "snapshot S/snap-3-17: data.mdb").
 * Returns 0, LR_ECORRUPT (what does not match, named) or LR_EIO; on
 * failure the live generation is untouched. */
int lr__incoming_install(lr_store *store, lr__incoming *in,
                         const lr__copy_info *want, const char *what,
                         int (*before_publish)(void *ctx, lr__buf *err),
                         void *ctx, lr__buf *err);

/* Lets the folder go: unless it was installed, it is deleted. */
void lr__incoming_end(lr_store *store, lr__incoming *in);

#endif

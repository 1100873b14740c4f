/*
 * compact.c - replacing the live generation with a new one
 * (lr__store_replace): lr_store_compact and the upgrade of a store of the
 * old layout on its first read-write open build it from the live one; a
 * snapshot install (copy.c) brings it from elsewhere.
 *
 * LMDB never shrinks its file and pages freed by overwrites stay in it; a
 * compacting copy (mdb_env_copyfd2 with MDB_CP_COMPACT) writes every page
 * full and in key order, which is how the store reaches its size target.
 *
 * The copy goes into a new generation folder beside the live one, never
 * over a file another process has mapped. The builder holds the layout
 * lock (one build at a time) and a write transaction on the live
 * generation for the whole build: every writer, in any process, waits in
 * LMDB's writer lock, so the copy holds every committed write and nothing
 * is written to the old generation after it. Then CURRENT is pointed at the
 * new generation and a marker is committed in the old one, which changes
 * its transaction id: readers notice at their next lookup, and writers that
 * waited find CURRENT moved and write into the new generation instead
 * (lr__store_write_begin). A crash before CURRENT moves leaves the old
 * generation live and the unfinished one to be deleted; after, the new one
 * is live and complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fs.h"
#include "../codec/entry.h"
#include "copy.h"
#include "outbox.h"
#include "store.h"

/* The meta record the builder commits into the generation it replaced:
 * the number of its successor. */
#define MOVED_KEY "larder:moved-to"

/* The bytes env's data holds: its pages up to the last one used (the file
 * itself may be longer, by the sparse margin filecheck.h keeps). */
static unsigned long long used_bytes(lr__env *env) {
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_env_info(lr__env_mdb(env), &info) || mdb_env_stat(lr__env_mdb(env),
                                                             &st))
    return 0;
  return (unsigned long long)(info.me_last_pgno + 1) * st.ms_psize;
}

/* Makes the copied generation `gen` ready to go live: its digests counted
 * when `src` (a store of the old layout) kept none, and one more change
 * recorded, which names `gen` its generation: the version moves on. On a
 * primary that change is logged as a SNAPSHOT entry: replicas take the new
 * generation from a snapshot (the shipper publishes one first). */
static int seal_generation(lr_store *store, const lr__env *src,
                           unsigned long long gen, lr__buf *err) {
  lr__env *env;
  int rc = lr__env_acquire(store->root, gen, LR__ENV_WRITE, store->maxdbs,
                           &env, err);
  if (rc == 0 && lr__env_gen(src) == LR__GEN_LEGACY)
    rc = lr__store_count_digests(store, env);
  if (store->repl.role == LR__ROLE_REPLICA) { /* (an upgrade) a replica's
                                                 version is its primary's */
    lr__env_release(env);
    return rc;
  }
  MDB_dbi meta, outbox;
  MDB_txn *txn;
  int logged = store->repl.role == LR__ROLE_PRIMARY;
  if (rc == 0 && (!lr__env_dbi(env, LR__META_DB, 1, &meta) ||
                  (logged && !lr__env_dbi(env, LR__OUTBOX_DB, 1, &outbox))))
    rc = lr__store_mdb_error(err, MDB_NOTFOUND,
                             "cannot open the meta database");
  if (rc == 0) {
    int mrc = lr__env_write_begin(env, &txn);
    if (!mrc) {
      mrc = lr__outbox_count(txn, meta, logged ? &outbox : NULL,
                             lr__env_gen(src), gen, LR__ENTRY_SNAPSHOT, NULL,
                             NULL);
      mrc = mrc ? (mdb_txn_abort(txn), mrc) : mdb_txn_commit(txn);
    }
    if (mrc)
      rc = lr__store_mdb_error(err, mrc, "cannot seal the new generation");
  }
  lr__env_release(env);
  return rc;
}

int lr__store_replace(lr_store *store, lr__gen_build_fn build, void *ctx,
                      lr__buf *err) {
  int lock;
  int rc = lr__gen_lock(store->root, &lock, err);
  if (rc)
    return rc;
  rc = lr__store_refresh(store, err); /* on the live one */
  const char *names[] = {LR__META_DB};
  MDB_dbi meta;
  MDB_txn *txn = NULL;
  lr__env *live = NULL;
  if (rc >= 0)
    rc = lr__store_write_begin(store, names, 1, &meta, &live, &txn, err);
  unsigned long long gen = lr__gen_next(store->root);
  if (rc == 0)
    rc = build(ctx, live, gen, err);
  if (rc == 0)
    rc = lr__gen_publish(store->root, gen, err);
  if (rc == 0) {
    MDB_val k = {sizeof MOVED_KEY - 1, MOVED_KEY}, v = {sizeof gen, &gen};
    int mrc = mdb_put(txn, meta, &k, &v, 0);
    mrc = mrc ? mrc : mdb_txn_commit(txn);
    txn = NULL;
    (void)mrc; /* CURRENT moved already: readers notice within a second
                  even without the marker */
  }
  if (txn)
    mdb_txn_abort(txn);
  lr__env_release(live);
  if (rc == 0)
    rc = lr__store_refresh(store, err) < 0 ? LR_EIO : 0;
  lr__gen_unlock(store->root, lock); /* and sweeps: the old one if nobody
                                        reads it, or a failed build's
                                        folder */
  return rc;
}

/* What a compaction reports: the data's size before it. */
typedef struct rebuild_ctx {
  lr_store *store;
  unsigned long long *before;
} rebuild_ctx;

/* lr__store_rebuild's build: a compacting copy of the live generation
 * (its writers wait), sealed as the next version. */
static int copy_live(void *ctx, lr__env *live, unsigned long long gen,
                     lr__buf *err) {
  rebuild_ctx *c = ctx;
  if (c->before)
    *c->before = used_bytes(live);
  lr__buf dir;
  lr__buf_init(&dir);
  lr__gen_dir(&dir, c->store->root, gen);
  int rc = lr__fs_mkdirs(lr__buf_str(&dir), err);
  lr__buf_puts(&dir, "/data.mdb");
  if (rc == 0)
    rc = lr__copy_env(live, lr__buf_str(&dir), err);
  if (rc == 0)
    rc = seal_generation(c->store, live, gen, err);
  lr__buf_free(&dir);
  return rc;
}

int lr__store_rebuild(lr_store *store, unsigned long long *before,
                      unsigned long long *after) {
  rebuild_ctx c = {store, before};
  int rc = lr__store_replace(store, copy_live, &c, lr__store_err(store));
  if (rc == 0 && after) {
    lr__env *now = lr__store_env(store);
    *after = used_bytes(now);
    lr__env_release(now);
  }
  return rc;
}

int lr_store_compact(lr_store *store, unsigned long long *before,
                     unsigned long long *after) {
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(lr__store_err(store));
  if (lr__store_need_lmdb(store, "compact", lr__store_err(store)))
    return LR_EUNSUPPORTED; /* Redis frees its memory itself */
  if (!store->writable) {
    lr__buf_puts(lr__store_err(store), "compact needs the store open read-write");
    return LR_EREADONLY;
  }
  if (store->repl.role == LR__ROLE_REPLICA) {
    lr__buf_puts(lr__store_err(store), "this repo is a replica: its "
                 "generations come from its primary's snapshots; compact "
                 "the primary");
    return LR_EREADONLY;
  }
  return lr__store_rebuild(store, before, after);
}

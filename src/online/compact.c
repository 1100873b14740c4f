/*
 * compact.c - building a new generation from the live one: lr_store_compact,
 * and the upgrade of a store of the old layout on its first read-write open.
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
#include "store.h"
#include "../codec/entry.h"
#include "outbox.h"

/* The meta record the builder commits into the generation it replaced:
 * the number of its successor. */
#define MOVED_KEY "larder:moved-to"


/* fsyncs the folder `dir`, so a file created in it survives a crash. */
static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
  if (fd >= 0)
    close(fd);
  return rc;
}

/* Writes a compacting copy of `src` into generation folder `dir`, synced. */
static int copy_into(lr_store *store, lr__env *src, const char *dir) {
  lr__buf path;
  lr__buf_init(&path);
  lr__buf_printf(&path, "%s/data.mdb", dir);
  int rc = lr__fs_mkdirs(dir, lr__store_err(store));
  int fd = rc ? -1 : open(lr__buf_str(&path),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int mrc = fd < 0 ? 0 : mdb_env_copyfd2(lr__env_mdb(src), fd, MDB_CP_COMPACT);
  if (rc == 0 && mrc)
    rc = lr__store_mdb_error(lr__store_err(store), mrc, "cannot copy the store");
  else if (rc == 0 && (fd < 0 || fsync(fd) != 0 || sync_dir(dir) != 0)) {
    lr__buf_printf(lr__store_err(store), "cannot write %s: %s", lr__buf_str(&path),
                   strerror(errno));
    rc = LR_EIO;
  }
  if (fd >= 0)
    close(fd);
  lr__buf_free(&path);
  return rc;
}

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
                           unsigned long long gen) {
  lr__env *env;
  int rc = lr__env_acquire(store->root, gen, LR__ENV_WRITE, store->maxdbs,
                           &env, lr__store_err(store));
  if (rc == 0 && lr__env_gen(src) == LR__GEN_LEGACY)
    rc = lr__store_count_digests(store, env);
  MDB_dbi meta, outbox;
  MDB_txn *txn;
  int logged = store->repl.role == LR__ROLE_PRIMARY;
  if (rc == 0 && (!lr__env_dbi(env, LR__META_DB, 1, &meta) ||
                  (logged && !lr__env_dbi(env, LR__OUTBOX_DB, 1, &outbox))))
    rc = lr__store_mdb_error(lr__store_err(store), MDB_NOTFOUND,
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
      rc = lr__store_mdb_error(lr__store_err(store), mrc,
                               "cannot seal the new generation");
  }
  lr__env_release(env);
  return rc;
}

/* With the layout lock held and `src` live: copies it into a new
 * generation while its writers wait, publishes that, and commits the marker
 * in `src`. */
static int build_from(lr_store *store, lr__env *src) {
  const char *names[] = {LR__META_DB};
  MDB_dbi meta;
  MDB_txn *txn;
  lr__env *held;
  int rc = lr__store_write_begin(store, names, 1, &meta, &held, &txn,
                                 lr__store_err(store));
  if (rc)
    return rc;
  if (held != src) { /* cannot be: builds take the layout lock */
    mdb_txn_abort(txn);
    lr__env_release(held);
    lr__buf_puts(lr__store_err(store), "the live generation changed during a "
                 "build");
    return LR_EIO;
  }
  unsigned long long gen = lr__gen_next(store->root);
  lr__buf dir;
  lr__buf_init(&dir);
  lr__gen_dir(&dir, store->root, gen);
  rc = copy_into(store, src, lr__buf_str(&dir));
  if (rc == 0)
    rc = seal_generation(store, src, gen);
  if (rc == 0)
    rc = lr__gen_publish(store->root, gen, lr__store_err(store));
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
  lr__env_release(held);
  lr__buf_free(&dir);
  return rc;
}

int lr__store_rebuild(lr_store *store, unsigned long long *before,
                      unsigned long long *after) {
  int lock;
  int rc = lr__gen_lock(store->root, 0, &lock, lr__store_err(store));
  if (rc)
    return rc;
  rc = lr__store_refresh(store, lr__store_err(store)); /* on the live one */
  lr__env *src = rc < 0 ? NULL : lr__store_env(store);
  if (src) {
    if (before)
      *before = used_bytes(src);
    rc = build_from(store, src);
  }
  if (rc == 0)
    rc = lr__store_refresh(store, lr__store_err(store)) < 0 ? LR_EIO : 0;
  if (rc == 0 && after) {
    lr__env *now = lr__store_env(store);
    *after = used_bytes(now);
    lr__env_release(now);
  }
  lr__env_release(src);
  lr__gen_collect(store->root); /* the old one if nobody reads it, or a
                                   failed build's folder */
  lr__gen_unlock(lock);
  return rc;
}

int lr_store_compact(lr_store *store, unsigned long long *before,
                     unsigned long long *after) {
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(lr__store_err(store));
  if (!store->writable) {
    lr__buf_puts(lr__store_err(store), "compact needs the store open read-write");
    return LR_EREADONLY;
  }
  return lr__store_rebuild(store, before, after);
}

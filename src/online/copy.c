/*
 * copy.c - copies of a store's live generation, read and brought back in
 * (see copy.h): the online layer's half of snapshots.
 *
 * A copy is read as an LMDB environment of its own, opened on the file
 * with MDB_NOLOCK: nobody else has it open (it is a snapshot's file, or a
 * folder reserved for it), so no lock file is made beside it and nothing
 * but the data file is ever in a snapshot or an incoming folder. Each view
 * database is opened in a read transaction of its own, which closes its
 * handle when it ends, so any number of views fit in two handles.
 */
#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/fs.h"
#include "../util/sha256.h"
#include "filecheck.h"
#include "store.h"

void lr__copy_info_free(lr__copy_info *info) {
  for (int i = 0; i < info->n_views; i++)
    free(info->views[i].name);
  free(info->views);
  info->views = NULL;
  info->n_views = 0;
}

int lr__copy_env(lr__env *src, const char *path, lr__buf *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int mrc = fd < 0 ? errno
                   : mdb_env_copyfd2(lr__env_mdb(src), fd, MDB_CP_COMPACT);
  if (mrc == 0 && (fsync(fd) != 0 || lr__fs_sync_parent(path) != 0))
    mrc = errno;
  if (fd >= 0)
    close(fd);
  if (mrc == ENOSPC)
    lr__buf_printf(err, "the disk is full: cannot copy the online store "
                   "into %s; free some space there and try again", path);
  else if (mrc)
    lr__buf_printf(err, "cannot copy the online store into %s: %s", path,
                   mdb_strerror(mrc));
  return mrc ? LR_EIO : 0;
}

int lr__copy_live(lr_store *store, const char *path, unsigned long long *gen,
                  lr__buf *err) {
  int rc = lr__store_need_lmdb(store, "a copy of the store", err);
  if (rc)
    return rc;
  rc = lr__store_refresh(store, err);
  if (rc < 0)
    return rc;
  lr__env *env = lr__store_env(store);
  *gen = lr__env_gen(env);
  rc = lr__copy_env(env, path, err);
  lr__env_release(env);
  return rc;
}

/* An LMDB error about the copy at `path` as a status and message. */
static int mdb_fail(lr__buf *err, int mrc, const char *path) {
  lr__buf_printf(err, "cannot read %s: %s", path, mdb_strerror(mrc));
  return mrc == MDB_CORRUPTED || mrc == MDB_INVALID ? LR_ECORRUPT : LR_EIO;
}

/* Opens the copy at `path` as an environment of its own (see the top of
 * the file), after the check that keeps LMDB from faulting on a damaged
 * file. */
static int open_copy(const char *path, int writable, MDB_env **env,
                     lr__buf *err) {
  *env = NULL;
  int rc = lr__mdb_file_check(path, err);
  if (rc)
    return rc;
  int mrc = mdb_env_create(env);
  if (!mrc)
    mrc = mdb_env_set_maxdbs(*env, 2); /* the meta database and one view */
  if (!mrc)
    mrc = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_NOLOCK |
                       (writable ? 0 : MDB_RDONLY), 0644);
  if (mrc && *env) {
    mdb_env_close(*env);
    *env = NULL;
  }
  return mrc ? mdb_fail(err, mrc, path) : 0;
}

/* The view databases (VIEW@EPOCH) among the named databases of `txn`. */
static int list_views(MDB_txn *txn, lr__copy_info *out) {
  int n;
  char **names = lr__env_db_names(txn, &n);
  out->views = calloc((size_t)n + 1, sizeof *out->views);
  for (int i = 0; i < n; i++) {
    if (out->views && strchr(names[i], '@'))
      out->views[out->n_views++].name = names[i];
    else
      free(names[i]);
  }
  free(names);
  return out->views ? 0 : ENOMEM;
}

/* The version and the list of views, in one read transaction that leaves
 * *meta open (0 when the copy has no meta database). */
static int read_version(MDB_env *env, unsigned long long folder_gen,
                        lr__copy_info *out, MDB_dbi *meta) {
  MDB_txn *txn;
  *meta = 0;
  out->pos = (lr__logpos){.generation = folder_gen};
  int mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  if (mrc)
    return mrc;
  mrc = mdb_dbi_open(txn, LR__META_DB, 0, meta);
  if (mrc == MDB_NOTFOUND) {
    *meta = 0;
    mrc = 0;
  } else if (mrc == 0) {
    mrc = lr__logpos_read(txn, *meta, folder_gen, &out->pos);
  }
  if (mrc == 0)
    mrc = list_views(txn, out);
  if (mrc == 0)
    return mdb_txn_commit(txn); /* keeps the meta handle */
  mdb_txn_abort(txn);
  return mrc;
}

/* View `v`'s recorded digest and, when `counted`, the one its rows give
 * (counted on two threads: a copy is a whole store, and a bootstrap waits
 * for the count). The view's handle is closed after, as the copy's
 * environment has room for one. */
static int read_view(MDB_env *env, MDB_dbi meta, lr__view_digest *v,
                     lr__digest *counted) {
  MDB_txn *txn;
  int mrc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
  if (mrc)
    return mrc;
  memset(&v->digest, 0, sizeof v->digest);
  if (meta)
    mrc = lr__digest_read(txn, meta, v->name, &v->digest);
  MDB_dbi dbi = 0;
  if (mrc == 0 && counted)
    mrc = mdb_dbi_open(txn, v->name, 0, &dbi);
  if (mrc) {
    mdb_txn_abort(txn);
    return mrc;
  }
  mrc = mdb_txn_commit(txn); /* keeps the view's handle open */
  if (mrc == 0 && counted) {
    memset(counted, 0, sizeof *counted);
    mrc = lr__digest_count_split(env, dbi, counted);
    mdb_dbi_close(env, dbi);
  }
  return mrc;
}

/* What the open copy holds, as lr__copy_read describes. */
static int read_info(MDB_env *env, unsigned long long folder_gen,
                     lr__copy_info *out, lr__digest **counted,
                     const char *path, lr__buf *err) {
  *out = (lr__copy_info){{0}, NULL, 0};
  MDB_dbi meta;
  int mrc = read_version(env, folder_gen, out, &meta);
  lr__digest *sums = NULL;
  if (mrc == 0 && counted &&
      !(sums = calloc((size_t)out->n_views + 1, sizeof *sums)))
    mrc = ENOMEM;
  for (int i = 0; mrc == 0 && i < out->n_views; i++)
    mrc = read_view(env, meta, &out->views[i], sums ? &sums[i] : NULL);
  if (mrc) {
    free(sums);
    lr__copy_info_free(out);
    return mdb_fail(err, mrc, path);
  }
  if (counted)
    *counted = sums;
  return 0;
}

int lr__copy_read(const char *path, unsigned long long folder_gen,
                  lr__copy_info *out, lr__digest **counted, lr__buf *err) {
  *out = (lr__copy_info){{0}, NULL, 0};
  MDB_env *env;
  int rc = open_copy(path, 0, &env, err);
  if (rc == 0)
    rc = read_info(env, folder_gen, out, counted, path, err);
  if (env)
    mdb_env_close(env);
  return rc;
}

int lr__incoming_begin(lr_store *store, lr__incoming *in, lr__buf *err) {
  *in = (lr__incoming){.hold = -1};
  if (lr__store_need_lmdb(store, "installing a copy", err))
    return LR_EUNSUPPORTED;
  if (!store->writable) {
    lr__buf_printf(err, "the online store at %s is open read-only: open it "
                   "read-write to install a copy into it", store->root);
    return LR_EREADONLY;
  }
  int lock;
  int rc = lr__gen_lock(store->root, &lock, err);
  if (rc)
    return rc;
  in->gen = lr__gen_next(store->root); /* under the lock: nobody else's */
  lr__buf dir;
  lr__buf_init(&dir);
  lr__gen_dir(&dir, store->root, in->gen);
  rc = lr__fs_mkdirs(lr__buf_str(&dir), err);
  if (rc == 0 && lr__gen_hold(store->root, in->gen, &in->hold) != 0) {
    lr__buf_printf(err, "cannot mark %s in use: %s", lr__buf_str(&dir),
                   strerror(errno));
    rc = LR_EIO;
  }
  lr__gen_unlock(store->root, lock);
  lr__buf_puts(&dir, "/data.mdb");
  in->path = lr__buf_steal(&dir);
  return rc ? rc : in->path ? 0 : LR_ENOMEM;
}

/* `p` as text into `out`: "G.S (epoch E, chain HEX)". */
static void describe_pos(lr__buf *out, const lr__logpos *p) {
  char chain[33];
  lr__hex_encode(p->chain, sizeof p->chain, chain);
  lr__buf_printf(out, "%llu.%llu (epoch %llu, chain %s)", p->generation,
                 p->seq, p->epoch, chain);
}

static int same_pos(const lr__logpos *a, const lr__logpos *b) {
  return a->generation == b->generation && a->seq == b->seq &&
         a->epoch == b->epoch && !memcmp(a->chain, b->chain, sizeof a->chain);
}

/* The entry of `list` named `name`, or NULL. */
static const lr__view_digest *find_view(const lr__copy_info *list,
                                        const char *name) {
  for (int i = 0; i < list->n_views; i++)
    if (strcmp(list->views[i].name, name) == 0)
      return &list->views[i];
  return NULL;
}

/* Appends "N rows with digest HEX". */
static void describe_digest(lr__buf *out, const lr__digest *d) {
  char hex[33];
  lr__digest_hex(d, hex);
  lr__buf_printf(out, "%llu rows with digest %s", (unsigned long long)d->rows,
                 hex);
}

/* The message of view `name` recording `recorded` where `says` (its
 * manifest, its rows) gives `other`. */
static int digest_mismatch(lr__buf *err, const char *what, const char *name,
                           const lr__digest *recorded, const char *says,
                           const lr__digest *other) {
  lr__buf_printf(err, "%s records ", what);
  describe_digest(err, recorded);
  lr__buf_printf(err, " for view '%s', but %s ", name, says);
  describe_digest(err, other);
  return LR_ECORRUPT;
}

/* The first difference between the copy's views (`got`, its rows giving
 * `counted`) and want's, as a message; 0 when there is none. */
static int compare_views(const lr__copy_info *got, const lr__digest *counted,
                         const lr__copy_info *want, const char *what,
                         lr__buf *err) {
  for (int i = 0; i < want->n_views; i++)
    if (!find_view(got, want->views[i].name)) {
      lr__buf_printf(err, "%s has no view '%s', which its manifest lists",
                     what, want->views[i].name);
      return LR_ECORRUPT;
    }
  for (int i = 0; i < got->n_views; i++) {
    const lr__view_digest *g = &got->views[i];
    const lr__view_digest *w = find_view(want, g->name);
    if (!w) {
      lr__buf_printf(err, "%s holds view '%s', which its manifest does not "
                     "list", what, g->name);
      return LR_ECORRUPT;
    }
    if (!lr__digest_equal(&g->digest, &w->digest))
      return digest_mismatch(err, what, g->name, &g->digest,
                             "its manifest says", &w->digest);
    if (!lr__digest_equal(&g->digest, &counted[i]))
      return digest_mismatch(err, what, g->name, &g->digest, "its rows give",
                             &counted[i]);
  }
  return 0;
}

/* The first difference between the copy and `want`, as a message. */
static int compare(const lr__copy_info *got, const lr__digest *counted,
                   const lr__copy_info *want, const char *what, lr__buf *err) {
  if (same_pos(&got->pos, &want->pos))
    return compare_views(got, counted, want, what, err);
  lr__buf_printf(err, "%s is at version ", what);
  describe_pos(err, &got->pos);
  lr__buf_puts(err, ", its manifest says ");
  describe_pos(err, &want->pos);
  return LR_ECORRUPT;
}

/* Writes the version `pos` into the copy's meta database. */
static int write_pos(MDB_env *env, const lr__logpos *pos) {
  MDB_txn *txn;
  MDB_dbi meta;
  int mrc = mdb_txn_begin(env, NULL, 0, &txn);
  if (mrc)
    return mrc;
  mrc = mdb_dbi_open(txn, LR__META_DB, MDB_CREATE, &meta);
  if (mrc == 0)
    mrc = lr__logpos_write(txn, meta, pos);
  if (mrc == 0)
    return mdb_txn_commit(txn);
  mdb_txn_abort(txn);
  return mrc;
}

/* Checks the copy at `path` against `want` and writes want's version into
 * it (see lr__incoming_install). */
static int check_copy(const char *path, const lr__copy_info *want,
                      const char *what, lr__buf *err) {
  MDB_env *env;
  lr__copy_info got = {{0}, NULL, 0};
  lr__digest *counted = NULL;
  int rc = open_copy(path, 1, &env, err);
  if (rc == 0)
    rc = read_info(env, want->pos.generation, &got, &counted, path, err);
  if (rc == 0)
    rc = compare(&got, counted, want, what, err);
  int mrc = rc ? 0 : write_pos(env, &want->pos);
  if (mrc)
    rc = mdb_fail(err, mrc, path);
  if (env)
    mdb_env_close(env);
  lr__copy_info_free(&got);
  free(counted);
  return rc;
}

/* What the build step of an install needs. */
typedef struct install_ctx {
  lr_store *store;
  lr__incoming *in;
  int (*before_publish)(void *ctx, lr__buf *err);
  void *ctx;
} install_ctx;

/* lr__store_replace's build for an install: the checked folder takes
 * number `gen` (greater than any folder's, its own included), then the
 * caller's last step runs. */
static int move_in(void *ctx, lr__env *live, unsigned long long gen,
                   lr__buf *err) {
  install_ctx *c = ctx;
  (void)live; /* held only so that no writer writes meanwhile */
  lr__buf from, to;
  lr__buf_init(&from);
  lr__buf_init(&to);
  lr__gen_dir(&from, c->store->root, c->in->gen);
  lr__gen_dir(&to, c->store->root, gen);
  int rc = 0;
  if (rename(lr__buf_str(&from), lr__buf_str(&to)) != 0 ||
      lr__fs_sync_parent(lr__buf_str(&to)) != 0) {
    lr__buf_printf(err, "cannot rename %s to %s: %s", lr__buf_str(&from),
                   lr__buf_str(&to), strerror(errno));
    rc = LR_EIO;
  } else {
    c->in->gen = gen;
  }
  lr__buf_free(&from);
  lr__buf_free(&to);
  if (rc == 0 && c->before_publish)
    rc = c->before_publish(c->ctx, err);
  return rc;
}

int lr__incoming_install(lr_store *store, lr__incoming *in,
                         const lr__copy_info *want, const char *what,
                         int (*before_publish)(void *ctx, lr__buf *err),
                         void *ctx, lr__buf *err) {
  int rc = check_copy(in->path, want, what, err);
  install_ctx c = {store, in, before_publish, ctx};
  if (rc == 0)
    rc = lr__store_replace(store, move_in, &c, err);
  in->installed = rc == 0;
  return rc;
}

void lr__incoming_end(lr_store *store, lr__incoming *in) {
  if (in->hold >= 0)
    close(in->hold);
  if (in->gen && !in->installed)
    lr__gen_sweep(store->root); /* our folder, no longer held */
  free(in->path);
  *in = (lr__incoming){.hold = -1};
}

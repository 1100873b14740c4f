/*
 * store.c - opening a store: the applied registry, the LMDB environment and
 * one named database per online view (see store.h).
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../registry/dtype.h"
#include "../registry/registry.h"
#include "../util/fs.h"
#include "filecheck.h"

/* Room for the views' databases, stale ones being dropped, and the meta
 * database of later layers. */
enum { STORE_EXTRA_DBS = 64 };

/* The address space reserved for the data file. The file itself grows only
 * as data is written; readers adopt a larger size set by a writer. */
static const size_t store_map_size = (size_t)256 << 30;

const char *lr_store_errmsg(const lr_store *store) {
  return store ? lr__buf_str(&store->errmsg) : "no store handle";
}

int lr__store_mdb_error(lr__buf *err, int mdb_rc, const char *doing) {
  lr__buf_printf(err, "%s: %s", doing, mdb_strerror(mdb_rc));
  if (mdb_rc == ENOMEM)
    return LR_ENOMEM;
  return mdb_rc == MDB_CORRUPTED || mdb_rc == MDB_INVALID ? LR_ECORRUPT
                                                         : LR_EIO;
}

lr__online_view *lr__store_view(lr_store *store, const char *name) {
  const lr__view *v = lr__model_view(&store->reg, name);
  return v ? &store->views[v - store->reg.views] : NULL;
}

/* Fills key names and types from the view's entities. */
static int describe_keys(lr_store *store, lr__online_view *ov) {
  int n = lr__model_view_keys(&store->reg, ov->view, NULL, NULL, 0);
  ov->key_names = lr__arena_array(&store->reg.arena, (size_t)n + 1,
                                  sizeof *ov->key_names);
  ov->key_types = lr__arena_array(&store->reg.arena, (size_t)n + 1, 1);
  if (!ov->key_names || !ov->key_types)
    return LR_ENOMEM;
  ov->n_keys = lr__model_view_keys(&store->reg, ov->view, ov->key_names,
                                   ov->key_types, n);
  return 0;
}


/* Makes the data file as long as the map (a bulk store writes pages
 * through the map: past the end of the file they would fault). */
static int grow_file(lr_store *store) {
  int fd;
  MDB_envinfo info;
  struct stat st;
  if (mdb_env_get_fd(store->env, &fd) || mdb_env_info(store->env, &info) ||
      fstat(fd, &st))
    return EIO;
  if ((size_t)st.st_size < info.me_mapsize &&
      ftruncate(fd, (off_t)info.me_mapsize) != 0)
    return errno;
  return 0;
}

int lr__store_write_begin(lr_store *store, MDB_txn **txn) {
  int mrc = mdb_txn_begin(store->env, NULL, 0, txn);
  if (mrc == 0 && store->bulk && (mrc = grow_file(store)) != 0)
    mdb_txn_abort(*txn);
  return mrc;
}

/* Cuts a bulk store's data file back to its last page, inside a write
 * transaction so that no writer uses the pages cut. Readers never read
 * past the last page of their snapshot, and other bulk stores grow the
 * file again before writing. */
static int trim_file(lr_store *store) {
  MDB_txn *txn;
  int fd, rc = -1;
  MDB_envinfo info;
  MDB_stat st;
  if (mdb_txn_begin(store->env, NULL, 0, &txn))
    return -1;
  if (mdb_env_get_fd(store->env, &fd) == 0 &&
      mdb_env_info(store->env, &info) == 0 &&
      mdb_env_stat(store->env, &st) == 0)
    rc = ftruncate(fd, (off_t)(info.me_last_pgno + 1) * st.ms_psize);
  mdb_txn_abort(txn);
  return rc;
}

/* Creates and opens the LMDB environment in `dir`; returns an LMDB code. */
static int open_mdb(lr_store *store, const char *dir) {
  int mrc = mdb_env_create(&store->env);
  if (!mrc)
    mrc = mdb_env_set_maxdbs(store->env,
                             (MDB_dbi)(store->n_views + STORE_EXTRA_DBS));
  if (!mrc)
    mrc = mdb_env_set_mapsize(store->env, store_map_size);
  if (!mrc)
    mrc = mdb_env_set_maxreaders(store->env, 1024);
  unsigned flags = MDB_NOTLS | (store->writable ? 0 : MDB_RDONLY) |
                   (store->bulk ? MDB_WRITEMAP : 0);
  if (!mrc)
    mrc = mdb_env_open(store->env, dir, flags, 0644);
  if (mrc && store->env)
    mdb_env_close(store->env);
  if (mrc)
    store->env = NULL;
  return mrc;
}

/* Opens the LMDB environment in folder `dir` (created if missing). A bulk
 * store whose file cannot span the map opens as a plain one. */
static int open_env_at(lr_store *store, const char *dir) {
  int rc = 0;
  if (!lr__fs_is_dir(dir))
    rc = lr__fs_mkdirs(dir, &store->errmsg);
  if (!rc) { /* LMDB would fault on a damaged file: check it first */
    lr__buf file;
    lr__buf_init(&file);
    lr__fs_join(&file, dir, "data.mdb");
    rc = lr__mdb_file_check(lr__buf_str(&file), &store->errmsg);
    lr__buf_free(&file);
  }
  int mrc = rc ? 0 : open_mdb(store, dir);
  if (!rc && mrc && store->bulk) {
    store->bulk = 0;
    mrc = open_mdb(store, dir);
  }
  if (!rc && !mrc && store->writable)
    (void)lr__mdb_file_pad(store->env); /* best effort, see filecheck.h */
  if (!rc && mrc) {
    lr__buf why;
    lr__buf_init(&why);
    lr__buf_printf(&why, "cannot open the online store at %s", dir);
    rc = lr__store_mdb_error(&store->errmsg, mrc, lr__buf_str(&why));
    lr__buf_free(&why);
  }
  return rc;
}

static int open_env(lr_store *store, const char *repo) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo, store->reg.config.online_path);
  int rc = open_env_at(store, lr__buf_str(&path));
  lr__buf_free(&path);
  return rc;
}

/* Opens the databases of the stored views that exist (or, writable, all,
 * and the meta database). */
static void open_databases(lr_store *store) {
  MDB_txn *txn;
  if (store->writable && lr__store_write_begin(store, &txn) == 0) {
    if (mdb_dbi_open(txn, LR__META_DB, MDB_CREATE, &store->meta_dbi) == 0)
      mdb_txn_commit(txn);
    else
      mdb_txn_abort(txn);
  }
  for (int i = 0; i < store->n_views; i++)
    if (lr__view_is_stored(store->views[i].view))
      lr__store_try_open_db(store, &store->views[i]);
}

int lr__store_reopen(lr_store *store) {
  const char *path;
  if (mdb_env_get_path(store->env, &path))
    return LR_EIO;
  char *dir = strdup(path);
  MDB_env **old = realloc(store->old_envs,
                          (size_t)(store->n_old_envs + 1) * sizeof *old);
  if (!dir || !old) {
    free(dir);
    if (old)
      store->old_envs = old;
    return LR_ENOMEM;
  }
  store->old_envs = old;
  store->old_envs[store->n_old_envs++] = store->env;
  store->env = NULL;
  store->env_gen++;
  for (int i = 0; i < store->n_views; i++)
    atomic_store(&store->views[i].dbi_open, 0);
  int rc = open_env_at(store, dir);
  free(dir);
  if (rc == 0)
    open_databases(store);
  return rc;
}

/* An environment that was never written has no data file: a reader makes
 * an empty one first, so that it can open read-only and see later writes. */
static int ensure_env_exists(lr_store *store, const char *repo) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo, store->reg.config.online_path);
  lr__buf_puts(&path, "/data.mdb");
  int exists = lr__fs_exists(lr__buf_str(&path));
  lr__buf_free(&path);
  if (exists)
    return 0;
  store->writable = 1;
  int rc = open_env(store, repo);
  if (store->env)
    mdb_env_close(store->env);
  store->env = NULL;
  store->writable = 0;
  return rc;
}

int lr__store_try_open_db(lr_store *store, lr__online_view *ov) {
  if (atomic_load_explicit(&ov->dbi_open, memory_order_acquire))
    return 1;
  pthread_mutex_lock(&store->dbi_lock);
  if (!atomic_load(&ov->dbi_open)) {
    MDB_txn *txn;
    unsigned flags = store->writable ? MDB_CREATE : 0;
    if ((store->writable ? lr__store_write_begin(store, &txn)
                         : mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn))
        == 0) {
      if (mdb_dbi_open(txn, ov->db_name, flags, &ov->dbi) == 0 &&
          mdb_txn_commit(txn) == 0)
        atomic_store_explicit(&ov->dbi_open, 1, memory_order_release);
      else
        mdb_txn_abort(txn);
    }
  }
  pthread_mutex_unlock(&store->dbi_lock);
  return atomic_load(&ov->dbi_open);
}

/* 1 when `name` (from the main database) is a view database that the
 * registry no longer uses: VIEW@EPOCH with another epoch, or of a view
 * that is gone or no longer online. */
static int is_stale(lr_store *store, const char *name) {
  const char *at = strchr(name, '@');
  if (!at)
    return 0;
  for (int i = 0; i < store->n_views; i++)
    if (lr__view_is_stored(store->views[i].view) &&
        strcmp(store->views[i].db_name, name) == 0)
      return 0;
  return 1;
}

/* Frees the databases of removed views and of dropped layouts. */
static int drop_stale(lr_store *store) {
  MDB_txn *txn;
  MDB_dbi main_db;
  MDB_cursor *cur;
  int mrc = lr__store_write_begin(store, &txn);
  if (mrc)
    return lr__store_mdb_error(&store->errmsg, mrc, "cannot begin a write");
  char stale[32][160];
  int n_stale = 0;
  if (mdb_dbi_open(txn, NULL, 0, &main_db) == 0 &&
      mdb_cursor_open(txn, main_db, &cur) == 0) {
    MDB_val k, v;
    for (int op = MDB_FIRST; n_stale < 32 && mdb_cursor_get(cur, &k, &v, op) == 0;
         op = MDB_NEXT) {
      if (k.mv_size >= sizeof stale[0])
        continue;
      memcpy(stale[n_stale], k.mv_data, k.mv_size);
      stale[n_stale][k.mv_size] = '\0';
      n_stale += is_stale(store, stale[n_stale]);
    }
    mdb_cursor_close(cur);
  }
  for (int i = 0; i < n_stale; i++) {
    MDB_dbi dbi;
    if (mdb_dbi_open(txn, stale[i], 0, &dbi) == 0)
      mdb_drop(txn, dbi, 1);
  }
  mrc = mdb_txn_commit(txn);
  return mrc ? lr__store_mdb_error(&store->errmsg, mrc, "cannot drop old rows")
             : 0;
}

static int setup_views(lr_store *store) {
  store->n_views = store->reg.n_views;
  store->views = calloc((size_t)store->n_views + 1, sizeof *store->views);
  if (!store->views)
    return LR_ENOMEM;
  for (int i = 0; i < store->n_views; i++) {
    lr__online_view *ov = &store->views[i];
    ov->view = &store->reg.views[i];
    snprintf(ov->db_name, sizeof ov->db_name, "%s@%u", ov->view->name,
             (unsigned)ov->view->layout_epoch);
    int rc = describe_keys(store, ov);
    if (rc)
      return rc;
  }
  return 0;
}

int lr_store_open(const char *repo, unsigned flags, lr_store **out) {
  if (!out)
    return LR_EINVAL;
  lr_store *store = calloc(1, sizeof *store);
  *out = store;
  if (!store)
    return LR_ENOMEM;
  lr__model_init(&store->reg);
  lr__buf_init(&store->errmsg);
  pthread_mutex_init(&store->dbi_lock, NULL);
  if (!repo) {
    lr__buf_puts(&store->errmsg, "no repo folder given");
    return LR_EINVAL;
  }
  int rc = lr__registry_load(repo, &store->reg, &store->errmsg);
  if (rc == 0)
    rc = setup_views(store);
  if (rc == 0 && !(flags & LR_STORE_READWRITE))
    rc = ensure_env_exists(store, repo);
  store->writable = (flags & LR_STORE_READWRITE) != 0;
  store->bulk = store->writable && (flags & LR__STORE_BULK);
  if (rc == 0)
    rc = open_env(store, repo);
  if (rc == 0 && store->writable)
    rc = drop_stale(store);
  if (rc == 0)
    open_databases(store);
  return rc;
}

void lr_store_close(lr_store *store) {
  if (!store)
    return;
  if (store->env && store->bulk)
    (void)trim_file(store); /* else the file stays longer (sparse) */
  if (store->env)
    mdb_env_close(store->env);
  for (int i = 0; i < store->n_old_envs; i++)
    mdb_env_close(store->old_envs[i]);
  free(store->old_envs);
  free(store->views);
  pthread_mutex_destroy(&store->dbi_lock);
  lr__model_free(&store->reg);
  lr__buf_free(&store->errmsg);
  free(store);
}

int lr__store_encode_key(const lr__online_view *ov, const lr_value *values,
                         uint8_t *key, size_t *len, lr__buf *err,
                         const char *what, size_t index) {
  lr__keypart parts[16];
  if (ov->n_keys > 16) {
    lr__buf_printf(err, "view '%s' has more than 16 key columns",
                   ov->view->name);
    return LR_EINVAL;
  }
  for (int k = 0; k < ov->n_keys; k++) {
    const lr_value *v = &values[k];
    uint8_t want = ov->key_types[k];
    lr__keypart *p = &parts[k];
    p->dtype = want;
    int ok = v->type == want ||
             (want == LR__DT_INT64 && v->type == LR_TYPE_INT32);
    if (v->type == LR_TYPE_NULL) {
      lr__buf_printf(err, "%s %zu: key '%s' is null", what, index,
                     ov->key_names[k]);
      return LR_EINVAL;
    }
    if (!ok) {
      char s1[32], s2[32];
      lr__buf_printf(err, "%s %zu: key '%s' must be %s, got %s", what, index,
                     ov->key_names[k], lr__dtype_name(want, s1),
                     lr_type_name(v->type, s2));
      return LR_ETYPE;
    }
    if (want == LR__DT_INT32 || want == LR__DT_INT64) {
      p->i = v->type == LR_TYPE_INT32 ? v->v.i32 : v->v.i64;
    } else {
      p->ptr = v->v.str.ptr;
      p->len = v->v.str.len;
    }
  }
  *len = lr__key_encode(parts, ov->n_keys, key);
  if (*len)
    return 0;
  lr__buf_printf(err, "%s %zu: the key of view '%s' is empty or longer than "
                 "%d bytes", what, index, ov->view->name, LR__KEY_MAX);
  return LR_EINVAL;
}

int lr__store_meta_get(lr_store *store, const char *key, void *value,
                       size_t cap, size_t *len) {
  MDB_txn *txn;
  MDB_dbi meta;
  int mrc = mdb_txn_begin(store->env, NULL, MDB_RDONLY, &txn);
  if (mrc)
    return lr__store_mdb_error(&store->errmsg, mrc, "cannot start a read");
  pthread_mutex_lock(&store->dbi_lock); /* mdb_dbi_open: one at a time */
  mrc = mdb_dbi_open(txn, LR__META_DB, 0, &meta);
  MDB_val k = {strlen(key), (void *)key}, v;
  if (mrc == 0)
    mrc = mdb_get(txn, meta, &k, &v);
  if (mrc == 0) {
    *len = v.mv_size;
    memcpy(value, v.mv_data, v.mv_size < cap ? v.mv_size : cap);
  }
  mdb_txn_abort(txn);
  pthread_mutex_unlock(&store->dbi_lock);
  if (mrc == MDB_NOTFOUND)
    return LR_ENOTFOUND;
  return mrc ? lr__store_mdb_error(&store->errmsg, mrc, "cannot read a record")
             : 0;
}

/*
 * store.h - the online layer's shared state: an open store (registry plus
 * LMDB environment) and how each view is kept in it. Used by the files of
 * src/online/ only; other layers use the public lr_store_* API.
 *
 * One LMDB named database per online view, named `VIEW@EPOCH`: the epoch
 * comes from the registry and is bumped when `apply --force` makes the
 * stored rows unreadable, so those rows are simply in another database,
 * freed by the next read-write open.
 */
#ifndef LR_ONLINE_STORE_H
#define LR_ONLINE_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../codec/key.h"
#include "../registry/model.h"
#include "larder.h"

/* The database of store-wide records (what each materialization loaded).
 * The colon keeps it apart from view databases (VIEW@EPOCH, identifiers). */
#define LR__META_DB "larder:meta"

/* lr_store_open flag (internal, with LR_STORE_READWRITE): a bulk load.
 * The environment maps the data file writable (MDB_WRITEMAP): LMDB writes
 * dirty pages in place instead of allocating, copying and writing each one
 * at commit, and sizes the file to the whole map (sparse). Write
 * transactions begin with lr__store_write_begin, which gives the file that
 * size back if another bulk store trimmed it; closing trims the file to its
 * last page again. Commits sync as usual (docs/internals/online.md). */
#define LR__STORE_BULK (1u << 8)

/* How one view is kept online. */
typedef struct lr__online_view {
  const lr__view *view;
  char db_name[160];
  MDB_dbi dbi;
  atomic_int dbi_open; /* 1 once dbi is usable (it may be created later by
                          another process: readers retry) */
  int n_keys;          /* the join keys of the view's entities, in order */
  const char **key_names;
  uint8_t *key_types;
} lr__online_view;

struct lr_store {
  lr__model reg;
  MDB_env *env;
  unsigned env_gen;   /* bumped when env is replaced (after compaction) */
  MDB_env **old_envs; /* replaced environments: results may still hold
                         transactions on them; closed with the store */
  int n_old_envs;
  int writable;
  int bulk;           /* opened with LR__STORE_BULK (and MDB_WRITEMAP) */
  lr__online_view *views; /* one per registry view (on-demand views too,
                             with no database yet) */
  int n_views;
  pthread_mutex_t dbi_lock; /* mdb_dbi_open is one-at-a-time per process */
  MDB_dbi meta_dbi;         /* writable stores: LR__META_DB, opened at open */
  lr__buf errmsg;
};

/* The online view named `name`, or NULL. */
lr__online_view *lr__store_view(lr_store *store, const char *name);

/* Makes ov->dbi usable if its database exists now (readers call it before
 * each lookup of a view not opened yet). Returns 1 when open. */
int lr__store_try_open_db(lr_store *store, lr__online_view *ov);

/* Encodes one entity key of `ov` from `values` (one per join key, ordered
 * as ov->key_names) into `key`, its length in *len. Returns 0, or after
 * writing why into `err`: LR_ETYPE (a wrong type), LR_EINVAL (a null, or a
 * key empty or too long). Messages name the row as `what index` ("row 3");
 * nothing is formatted unless something is wrong. */
int lr__store_encode_key(const lr__online_view *ov, const lr_value *values,
                         uint8_t *key, size_t *len, lr__buf *err,
                         const char *what, size_t index);

/* Opens the environment again (after its data file was replaced), with the
 * same flags. The old one stays open until the store closes, since results
 * may hold transactions on it; they move to the new one on their next
 * lookup (env_gen tells them). */
int lr__store_reopen(lr_store *store);

/* Reads the meta record `key` into `value` (at most `cap` bytes; *len gets
 * its size). Returns 0, LR_ENOTFOUND (no such record) or LR_EIO. */
int lr__store_meta_get(lr_store *store, const char *key, void *value,
                       size_t cap, size_t *len);

/* Begins a write transaction (mdb_txn_begin); in a bulk store, also makes
 * the data file span the map again. Returns 0 or an LMDB/errno code. */
int lr__store_write_begin(lr_store *store, MDB_txn **txn);

/* Converts an LMDB error into a status and message. */
int lr__store_mdb_error(lr__buf *err, int mdb_rc, const char *doing);

#endif

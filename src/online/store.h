/*
 * store.h - the online layer's shared state: an open store (registry plus
 * the live generation's LMDB environment) and how each view is kept in it.
 * Used by the files of src/online/ only; other layers use the public
 * lr_store_* API.
 *
 * The store folder holds one LMDB environment per generation
 * (generation.h), opened once per process (env.h). In it, one named
 * database per online view, named `VIEW@EPOCH`: the epoch comes from the
 * registry and is bumped when `apply --force` makes the stored rows
 * unreadable, so those rows are simply in another database, freed by the
 * next read-write open.
 */
#ifndef LR_ONLINE_STORE_H
#define LR_ONLINE_STORE_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../codec/key.h"
#include "../registry/model.h"
#include "../registry/replication.h"
#include "env.h"
#include "generation.h"
#include "introspect.h"
#include "larder.h"

/* The database of store-wide records (what each materialization loaded).
 * The colon keeps it apart from view databases (VIEW@EPOCH, identifiers). */
#define LR__META_DB "larder:meta"

/* lr_store_open flag (internal, with LR_STORE_READWRITE): a bulk load.
 * The environment maps the data file writable (MDB_WRITEMAP): LMDB writes
 * dirty pages in place instead of allocating, copying and writing each one
 * at commit, and sizes the file to the whole map (sparse). Write
 * transactions (lr__env_write_begin) give the file that size back if
 * another bulk store trimmed it; the last close trims the file to its last
 * page again. Commits sync as usual (docs/internals/online.md). A process
 * that has the generation open already without it shares that plain
 * environment. */
#define LR__STORE_BULK (1u << 8)

/* How one view is kept online. */
typedef struct lr__online_view {
  const lr__view *view;
  const char *db_name; /* VIEW@EPOCH, in the registry's arena */
  int n_keys;          /* the join keys of the view's entities, in order */
  const char **key_names;
  uint8_t *key_types;
} lr__online_view;

struct lr_store {
  lr__model reg;
  char *root;                /* the online store folder (generation.h) */
  unsigned env_flags;        /* LR__ENV_* this store asks of a generation */
  unsigned maxdbs;
  lr__env *_Atomic env;      /* the live generation as this store knows it;
                                the store holds a reference on it */
  pthread_mutex_t move_lock; /* taken to move to another generation */
  lr__gen_stamp stamp;       /* CURRENT as last read (under move_lock) */
  atomic_ullong seen_txnid;  /* the last transaction id a lookup saw */
  atomic_llong next_check_ms; /* when lookups next look at CURRENT */
  int writable;
  lr__replication repl;      /* feature_store.yaml's replication block */
  struct lr__rstore *redis; /* a store on Redis (rstore.h): then there is
                               no LMDB environment (env stays NULL) */
  lr__online_view *views; /* one per registry view (on-demand views too,
                             with no database yet) */
  int n_views;
  lr__buf errmsg; /* only if a thread's own message cannot be allocated */
};

/* 0 when the store keeps its rows in LMDB; on a Redis store, LR_UNSUPPORTED
 * after writing into `err` that `what` ("compact") needs an LMDB store. */
int lr__store_need_lmdb(const lr_store *store, const char *what,
                        lr__buf *err);

/* The calling thread's report of the checks of its last write on store
 * (`json`: the JSON one, else the text one); empty when that write ran no
 * checks. The writer fills both (online/writer_checks.c). */
lr__buf *lr__store_report(lr_store *store, int json);

/* The online view named `name`, or NULL. */
lr__online_view *lr__store_view(lr_store *store, const char *name);

/* Encodes one entity key of `ov` from `values` (one per join key, ordered
 * as ov->key_names) into `key`, its length in *len. Returns 0, or after
 * writing why into `err`: LR_ETYPE (a wrong type), LR_EINVAL (a null, or a
 * key empty or too long). Messages name the row as `what N` ("row 3"), N
 * = index + 1: rows are numbered from 1 in every message; nothing is
 * formatted unless something is wrong. */
int lr__store_encode_key(const lr__online_view *ov, const lr_value *values,
                         uint8_t *key, size_t *len, lr__buf *err,
                         const char *what, size_t index);

/* A reference to the store's live generation (release it with
 * lr__env_release). Thread-safe. */
lr__env *lr__store_env(lr_store *store);

/* Looks at CURRENT and, when another generation is live, moves the store
 * to it. Returns 1 when it moved, 0 when not, or a negative status with
 * the reason in `err`. Thread-safe. */
int lr__store_refresh(lr_store *store, lr__buf *err);

/* 1 when a lookup that read transaction id `txnid` should look at CURRENT:
 * the id changed (something was committed, maybe the marker a generation
 * build commits into the one it replaces), or a second passed (a build
 * that died after publishing commits no marker). */
static inline int lr__store_check_due(lr_store *store,
                                      unsigned long long txnid) {
  if (txnid != atomic_load_explicit(&store->seen_txnid,
                                    memory_order_relaxed))
    return 1;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  return ms >= atomic_load_explicit(&store->next_check_ms,
                                    memory_order_relaxed);
}

/* Notes that a lookup saw `txnid` and looked at CURRENT. */
void lr__store_checked(lr_store *store, unsigned long long txnid);

/* Begins a write transaction on the store's live generation, with the
 * databases `names` (n of them; created if missing) opened into `dbis`.
 * Waits for other writers, and for a generation being built (its builder
 * holds the old one's writer lock); a transaction begun on a generation
 * that was replaced meanwhile is given up and begun again on the new one,
 * so no write lands in a generation nobody reads. *env receives a
 * reference (release it after the transaction ends). Returns 0, or a
 * status with the message in `err`. */
int lr__store_write_begin(lr_store *store, const char *const *names, int n,
                          MDB_dbi *dbis, lr__env **env, MDB_txn **txn,
                          lr__buf *err);

/* What makes the files of a new generation: called by lr__store_replace
 * with the layout lock and a write transaction on the `live` generation
 * held (every writer waits), for generation number `gen` (its folder is
 * lr__gen_dir's). Returns 0 or a status with the message in `err`. */
typedef int (*lr__gen_build_fn)(void *ctx, lr__env *live,
                                unsigned long long gen, lr__buf *err);

/* Replaces the live generation with one `build` makes (compact.c): under
 * the layout lock, with the live generation's writers held, builds
 * generation N+1, points CURRENT at it, commits the marker readers notice
 * into the old one, and moves this store to it. On any failure nothing is
 * published and the unfinished folder is deleted (unless its builder still
 * holds it). Returns 0 or a status with the message in `err`. */
int lr__store_replace(lr_store *store, lr__gen_build_fn build, void *ctx,
                      lr__buf *err);

/* Builds a new generation from the live one (a compacting copy), makes it
 * live and moves this store to it; writers wait meanwhile (compact.c).
 * before/after (may be NULL) receive the data files' sizes. Returns 0 or
 * a status with the message on the store. */
int lr__store_rebuild(lr_store *store, unsigned long long *before,
                      unsigned long long *after);

/* Sets every stored view's digest in `env` to what its rows give (a
 * generation built from a store that kept none: the old layout). In a
 * write transaction of its own on env (verify.c). Returns 0 or a status
 * with the message on the store. */
int lr__store_count_digests(lr_store *store, lr__env *env);

/* Reads the meta record `key` of the live generation into `value`
 * (replacing its content). Returns 0, LR_ENOTFOUND (no such record),
 * LR_ENOMEM or LR_EIO (the message on the store). */
int lr__store_meta_read(lr_store *store, const char *key, lr__buf *value);

/* Converts an LMDB error into a status and message. */
int lr__store_mdb_error(lr__buf *err, int mdb_rc, const char *doing);

#endif

/*
 * env.h - the LMDB environments this process has open, one per generation
 * folder, shared by every store of the process that reads that generation
 * and counted: LMDB forbids opening one environment twice in a process
 * (closing the second would drop the first one's locks), and a generation
 * stays marked in use (generation.h) exactly as long as it is open here.
 *
 * An environment also keeps its named databases' handles by name, since a
 * handle belongs to one environment and several stores (with different
 * registries) may share it.
 */
#ifndef LR_ONLINE_ENV_H
#define LR_ONLINE_ENV_H

#include <lmdb.h>
#include <pthread.h>
#include <sys/types.h>

#include "../util/buf.h"

typedef struct lr__env lr__env;

/* lr__env_acquire flags. */
enum {
  LR__ENV_WRITE = 1u << 0, /* the caller will write (else a read-only map
                              is enough, though a writable one is shared) */
  LR__ENV_BULK = 1u << 1   /* MDB_WRITEMAP, if the environment is not open
                              already without it */
};

/* Opens generation `gen` of the store folder `root` (generation.h), or
 * takes another reference to it when this process has it open. `maxdbs`:
 * the named databases the first opener needs. Returns 0; LR_ENOTFOUND when
 * the generation is gone (read CURRENT again); LR_EREADONLY when writing
 * is asked of a folder this process cannot write; LR_ECORRUPT, LR_EIO,
 * with the reason in `err`. */
int lr__env_acquire(const char *root, unsigned long long gen, unsigned flags,
                    unsigned maxdbs, lr__env **out, lr__buf *err);

/* Another reference to an environment already held. */
void lr__env_retain(lr__env *env);

/* Drops a reference. The last one closes the environment, releases the
 * generation and, when it is no longer the live one, deletes it unless
 * another process still reads it. NULL is allowed. */
void lr__env_release(lr__env *env);

MDB_env *lr__env_mdb(const lr__env *env);
unsigned long long lr__env_gen(const lr__env *env);
int lr__env_is_bulk(const lr__env *env);
int lr__env_is_writable(const lr__env *env);

/* The handle of database `name` in env: 1 when it exists (created first
 * with `create`, in a write transaction of its own: the calling thread
 * must not hold one on env), 0 when not (or on an error). Thread-safe. */
int lr__env_dbi(lr__env *env, const char *name, int create, MDB_dbi *dbi);

/* The names of the named databases of txn's environment (the keys of its
 * main database), as a list of `*n` strings; the caller frees each and the
 * list. NULL (with *n 0) when there are none or it cannot be read. */
char **lr__env_db_names(MDB_txn *txn, int *n);

/* Drops every named database of env for which is_stale(ctx, name) says 1
 * (any number of them), in one write transaction, calling dropped(ctx,
 * txn, name) after each. Returns 0 or an LMDB code. */
int lr__env_drop_dbs(lr__env *env, int (*is_stale)(void *ctx, const char *),
                     void (*dropped)(void *ctx, MDB_txn *txn, const char *),
                     void *ctx);

/* Begins a write transaction; in a bulk environment the data file is first
 * made as long as the map (pages are written through it). Returns 0 or an
 * LMDB/errno code. */
int lr__env_write_begin(lr__env *env, MDB_txn **txn);

#endif

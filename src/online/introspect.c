/*
 * introspect.c - the store's internals other layers may ask about (see
 * introspect.h), answered here so the store's struct stays private to
 * src/online/.
 */
#include "introspect.h"

#include "loads.h"
#include "rstore.h"
#include "store.h"

const lr__model *lr__store_model(const lr_store *store) {
  return &store->reg;
}

int lr__store_health(lr_store *store) {
  if (store->redis) {
    lr__buf ignored;
    lr__buf_init(&ignored);
    int rc = lr__rstore_ping(store->redis, &ignored);
    lr__buf_free(&ignored);
    return rc;
  }
  lr__env *env = lr__store_env(store);
  MDB_txn *txn;
  int mrc = mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn);
  if (mrc == 0)
    mdb_txn_abort(txn);
  lr__env_release(env);
  return mrc ? LR_EIO : 0;
}

int lr__store_materialized_end(lr_store *store, const lr__view *v,
                               long long *end_us) {
  int64_t end = 0;
  int rc = lr__loads_interval_end(store, v, &end);
  *end_us = end;
  return rc;
}

int lr__store_clear_stale_readers(lr_store *store, int *cleared) {
  int dead = 0;
  if (cleared)
    *cleared = 0;
  if (store->redis)
    return 0; /* no reader table: Redis keeps no readers' slots */
  lr__env *env = lr__store_env(store);
  int mrc = mdb_reader_check(lr__env_mdb(env), &dead);
  lr__env_release(env);
  if (cleared)
    *cleared = mrc ? 0 : dead;
  return mrc ? LR_EIO : 0;
}

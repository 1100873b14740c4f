/*
 * meta_txn.h - a write transaction on the meta database (online/store.h's
 * LR__META_DB) of a store's live generation, behind the writers' back:
 * how the suites make a record that no write made (a damaged or tampered
 * store, one of the old layout), for the code that must notice.
 */
#ifndef LR_TESTS_META_TXN_H
#define LR_TESTS_META_TXN_H

#include <criterion/criterion.h>

#include "online/store.h"

typedef struct th_meta_txn {
  lr__env *env;
  MDB_dbi meta;
  MDB_txn *txn;
} th_meta_txn;

/* Begins it on `s`'s live generation, whose meta database must exist. */
static inline th_meta_txn th_meta_begin(lr_store *s) {
  th_meta_txn m = {.env = lr__store_env(s)};
  cr_assert(lr__env_dbi(m.env, LR__META_DB, 0, &m.meta));
  cr_assert_eq(lr__env_write_begin(m.env, &m.txn), 0);
  return m;
}

/* Commits it and lets the generation go. */
static inline void th_meta_commit(th_meta_txn *m) {
  cr_assert_eq(mdb_txn_commit(m->txn), 0);
  lr__env_release(m->env);
}

#endif

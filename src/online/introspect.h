/*
 * introspect.h - what other layers (the server, src/serve/) may learn of
 * an open store beyond the public API, so that none of them reaches into
 * struct lr_store: its registry model, a health probe, each view's last
 * materialization, and clearing the reader slots of dead processes.
 */
#ifndef LR_ONLINE_INTROSPECT_H
#define LR_ONLINE_INTROSPECT_H

#include "../registry/model.h"
#include "../util/buf.h"
#include "larder.h"

/* The calling thread's message buffer for calls on `store` (reset when
 * the thread last wrote about another store): every failure of a store
 * call, in any layer, goes here, and lr_store_errmsg() reads it back. */
lr__buf *lr__store_err(lr_store *store);

/* The registry the store was opened with; valid until it closes. */
const lr__model *lr__store_model(const lr_store *store);

/* Whether the store can be read now: 0 when a read transaction begins
 * (it takes a reader slot, given back at once), else LR_EIO. Writes no
 * message, so it may run in any thread at any time. */
int lr__store_health(lr_store *store);

/* The end (µs since the epoch) of the last interval materialized into
 * online view `v`, from the store's meta records. Returns 0,
 * LR_ENOTFOUND (never materialized) or LR_EIO. Uses the store's message:
 * callers serialize it with the store's other message writers. */
int lr__store_materialized_end(lr_store *store, const lr__view *v,
                               long long *end_us);

/* Frees the reader slots held by processes that died without closing
 * the store (kill -9): LMDB keeps them taken while any other process has
 * the store open. *cleared (may be NULL) gets how many. Returns 0 or
 * LR_EIO. Safe in any thread, at any time. */
int lr__store_clear_stale_readers(lr_store *store, int *cleared);

#endif

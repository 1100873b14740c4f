/*
 * cache.h - the server's prepared requests and their pooled results, kept
 * within the bounds of server.h (cache.c).
 */
#ifndef LR_SERVE_CACHE_H
#define LR_SERVE_CACHE_H

#include "../util/json.h"
#include "server.h"

/* The entry for the request named by `features` (a JSON list of
 * references) or `service`, prepared on first use; the caller gives it
 * back with lr__cache_release. On failure returns NULL with *rc set and
 * the store's message in `err`. `s->lock` is held for reading. */
lr__cached_request *lr__cache_acquire(lr__server *s,
                                      const lr__jnode *features,
                                      const char *service, int *rc,
                                      lr__buf *err);

/* Gives an entry back (NULL is ignored); an evicted one is freed by its
 * last user. */
void lr__cache_release(lr__server *s, lr__cached_request *c);

/* A result of the entry able to hold n entities (an idle one, or a new
 * one), its capacity in *capacity; NULL when out of memory. */
lr_result *lr__cache_checkout(lr__server *s, lr__cached_request *c, int n,
                              int *capacity);

/* Gives a result back to the entry's pool, or frees it when the pool or
 * the server's idle total is full, or it is too large to keep. */
void lr__cache_checkin(lr__server *s, lr__cached_request *c, lr_result *res,
                       int capacity);

#endif

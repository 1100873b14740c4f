/*
 * server.h - the feature server's shared state: options, the store (and the
 * prepared requests made from it), the metrics. Requests hold `lock` for
 * reading; a reload after `larder apply` takes it for writing, so the store
 * is never swapped under a request.
 */
#ifndef LR_SERVE_SERVER_H
#define LR_SERVE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "../util/buf.h"
#include "larder.h"
#include "metrics.h"

/* A prepared request kept for reuse, with a stack of idle results. */
typedef struct lr__cached_request {
  char *key;            /* "f:" + the features as sent, or "s:" + service */
  size_t key_len;
  lr_request *req;
  pthread_mutex_t lock; /* guards the results stack */
  lr_result **results;
  int *capacity;        /* entities each result holds */
  int n_results, cap_results;
  int temporary;        /* not in the cache (it was full): freed after use */
} lr__cached_request;

/* How many distinct requests are kept prepared. */
enum { LR__CACHE_MAX = 1024 };

typedef struct lr__server {
  lr_server_options opt;
  char *token;
  size_t token_len;
  pthread_rwlock_t lock;
  lr_store *store;
  lr__cached_request *cache[LR__CACHE_MAX]; /* entries never move */
  int n_cache;
  pthread_mutex_t cache_lock; /* also guards the store's message while a
                                 request is prepared */
  pthread_mutex_t write_lock; /* one write at a time (and its message) */
  char *registry_path;       /* watched for changes */
  struct timespec registry_mtime;
  atomic_llong last_check_us;
  atomic_int in_flight;      /* requests begun and not yet answered */
  lr__metrics metrics;
} lr__server;

/* An answer: status, body, and the headers that go with it. */
typedef struct lr__reply {
  int status;
  lr__buf body;
  const char *content_type;
  const char *allow; /* 405: the method the path takes */
} lr__reply;

/* Makes the server's state for `opt` (defaults filled in, the token read,
 * the store opened read-write), without listening: lr_serve listens on it,
 * the thread suite and the request-handler fuzzer call lr__server_handle
 * directly. *out is set even on failure (NULL only for LR_ENOMEM); the
 * reason goes to `err`. Free it with lr__server_free. */
int lr__server_create(const lr_server_options *opt, lr__server **out,
                      lr__buf *err);
void lr__server_free(lr__server *s);

/* Answers one request. `method`, `path` and the body are the client's;
 * `auth` is its Authorization header or NULL. */
void lr__server_handle(lr__server *s, const char *method, const char *path,
                       const char *auth, const char *body, size_t len,
                       lr__reply *reply);

/* Re-opens the store if the registry file changed (checked at most once a
 * second). Takes the write lock while it swaps. */
void lr__server_maybe_reload(lr__server *s);

/* The endpoints that use the store (handlers.c); `s->lock` is held for
 * reading. Each sets *status and writes JSON into `out`. */
void lr__get_online_features(lr__server *s, const char *body, size_t len,
                             int *status, lr__buf *out);
void lr__write_to_online_store(lr__server *s, const char *body, size_t len,
                               int *status, lr__buf *out);
void lr__push(lr__server *s, const char *body, size_t len, int *status,
              lr__buf *out);

/* Writes {"error": error, "detail": detail} and sets *status. */
void lr__json_error(lr__buf *out, int *status, int code, const char *error,
                    const char *detail);

/* Frees every cached request and its results (before the store closes). */
void lr__server_clear_cache(lr__server *s);

#endif

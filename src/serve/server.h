/*
 * server.h - the feature server's shared state: options, the store (and the
 * prepared requests made from it), the metrics, the open connections and
 * the thread that ticks and stops. Requests hold `lock` for reading; a
 * reload after `larder apply` takes it for writing, so the store is never
 * swapped under a request.
 */
#ifndef LR_SERVE_SERVER_H
#define LR_SERVE_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../util/buf.h"
#include "larder.h"
#include "metrics.h"

/* The bounds that keep the server's reader slots (one per live result: a
 * result keeps a reset read transaction) and memory in check whatever
 * clients send (docs/internals/serve.md):
 * - LR__CACHE_MAX prepared requests; the least recently used is evicted;
 * - LR__POOL_PER_REQUEST idle results per prepared request, and
 *   LR__IDLE_RESULTS_MAX idle results in all; results in use are at most
 *   one per worker thread (a thread answers one request at a time);
 * - results are made in power-of-two sizes (at least LR__RESULT_MIN
 *   entities); ones larger than LR__POOLED_ENTITIES_MAX are not kept. */
enum {
  LR__CACHE_MAX = 256,
  LR__POOL_PER_REQUEST = 4,
  LR__IDLE_RESULTS_MAX = 64,
  LR__RESULT_MIN = 64,
  LR__POOLED_ENTITIES_MAX = 1024
};

/* A prepared request kept for reuse, with a few idle results. */
typedef struct lr__cached_request {
  char *key;            /* "f:" + the features' references, or "s:" +
                           the service (request_key) */
  size_t key_len;
  lr_request *req;
  int n_features;       /* the request's features ... */
  int *served_view;     /* ... each one's view counters in the metrics
                           (-1: none), for larder_features_served_total */
  pthread_mutex_t lock; /* guards the idle results */
  lr_result *idle[LR__POOL_PER_REQUEST];
  int idle_capacity[LR__POOL_PER_REQUEST]; /* entities each holds */
  int n_idle;
  /* under the server's cache_lock: */
  int users;                /* requests using it now */
  unsigned long long used;  /* the cache clock at its last use */
  int evicted;              /* out of the cache: its last user frees it */
} lr__cached_request;

/* An open connection, for the bound on a request's whole time. */
typedef struct lr__conn {
  struct lr__conn *prev, *next;
  int fd;
  atomic_llong since_us; /* opened, or its last answer completed */
  int shut;              /* shut down for being too slow */
} lr__conn;

typedef struct lr_server lr__server;

struct lr_server {
  lr_server_options opt;
  char *token;
  size_t token_len;
  pthread_rwlock_t lock;
  lr_store *store;
  lr__cached_request *cache[LR__CACHE_MAX];
  int n_cache;
  unsigned long long cache_clock;
  pthread_mutex_t cache_lock; /* also guards the store's message while a
                                 request is prepared */
  pthread_mutex_t write_lock; /* one write at a time (and its message);
                                 pushes hold it through both sides */
  struct lr__duckdb *push_db; /* the DuckDB session offline pushes write
                                 through, opened at the first one (under
                                 write_lock); lookups never touch it */
  char *push_repo;            /* the repo folder, absolute, with it */
  atomic_int idle_results;    /* pooled results, all requests together */
  char *registry_path;        /* watched for changes */
  struct timespec registry_mtime;
  atomic_int in_flight;       /* requests begun and not yet answered */
  lr__metrics metrics;
  /* lifecycle (server.c) */
  struct lr__frontend *front; /* the event loops (frontend.c) */
  int port;
  int stop_pipe[2];           /* lr_server_stop writes a byte */
  pthread_t ticker;
  int ticking, waited;
  pthread_mutex_t conns_lock;
  lr__conn *conns;
  lr__buf errmsg;
};

/* An answer: status, body, and the headers that go with it. */
typedef struct lr__reply {
  int status;
  lr__buf body;
  const char *content_type;
  const char *allow; /* 405: the method the path takes */
  lr_data_version version; /* sent as Larder-Version: what a lookup read,
                              else the store's version when it answered */
  int versioned;           /* version is set */
  const char *min_version; /* in: the request's Larder-Min-Version header,
                              or NULL (lr__get_online_features) */
  /* A min_version the store has not reached yet: a caller that cannot
   * park the request has the handler sleep until the store reaches it or
   * the wait ends; one that sets `parkable` (an event loop, which must not
   * sleep) gets status LR__STATUS_PARKED instead and calls again later
   * with the same reply. wait_until_us: when the wait ends (0: not
   * begun). */
  int parkable;
  long long wait_until_us;
  /* The web UI's (src/ui/ui.h). In: the request's Cookie header and its
   * query string (k=v&..., percent-encoded), or NULL. Out: a Set-Cookie
   * and a Location header (malloc'd, NULL when none: lr__reply_release
   * frees them), and `page`: an HTML page or a UI resource, sent with the
   * UI's security headers (no caching, a strict Content-Security-Policy). */
  const char *cookie;
  const char *query;
  char *set_cookie;
  char *location;
  int page;
} lr__reply;

/* Frees what a reply holds: its body, set_cookie and location. */
void lr__reply_release(lr__reply *r);

/* 1 when `given` (len bytes) is the server's token, compared in time
 * that depends only on the lengths; 1 when the server has no token. */
int lr__server_token_ok(const lr__server *s, const char *given, size_t len);

/* 1 when `auth` (an Authorization header, or NULL) is "Bearer <the
 * server's token>"; 1 when the server has no token. */
int lr__server_authorized(const lr__server *s, const char *auth);

/* lr__reply.status of a request parked until its min_version (not HTTP). */
#define LR__STATUS_PARKED 1

/* Makes the server's state for `opt` (defaults filled in, the token read,
 * the store opened read-write), without listening: lr_server_start listens
 * on it, the thread suite and the request-handler fuzzer call
 * lr__server_handle directly. *out is set even on failure (NULL only for
 * LR_ENOMEM); the reason goes to `err`. Free it with lr__server_free (a
 * server that never listened). */
int lr__server_create(const lr_server_options *opt, lr__server **out,
                      lr__buf *err);
void lr__server_free(lr__server *s);

/* Answers one request. `method`, `path` and the body are the client's;
 * `auth` is its Authorization header or NULL. */
void lr__server_handle(lr__server *s, const char *method, const char *path,
                       const char *auth, const char *body, size_t len,
                       lr__reply *reply);

/* Re-opens the store if the registry file changed (the ticker calls it).
 * Takes the write lock while it swaps. */
void lr__server_maybe_reload(lr__server *s);

/* The endpoints that use the store (handlers.c); `s->lock` is held for
 * reading. Each sets *status and writes JSON into `out`; a lookup also
 * sets r->version to the version it read. */
void lr__get_online_features(lr__server *s, const char *body, size_t len,
                             lr__reply *r);
void lr__write_to_online_store(lr__server *s, const char *body, size_t len,
                               int *status, lr__buf *out);
void lr__push(lr__server *s, const char *body, size_t len, int *status,
              lr__buf *out);

/* Writes {"error": error, "detail": detail} and sets *status. */
void lr__json_error(lr__buf *out, int *status, int code, const char *error,
                    const char *detail);

/* Frees every cached request and its results (before the store closes;
 * no request may be under way). */
void lr__server_clear_cache(lr__server *s);

#endif

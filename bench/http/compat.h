/*
 * compat.h - the two shapes of lr__server_handle the bench prototypes meet:
 * (…, int *status, lr__buf *out, const char **content_type) up to commit
 * 732bb67, and (…, lr__reply *reply) after it. bench/server.sh defines
 * LR_BENCH_REPLY when src/serve/server.h declares lr__reply. Measurement
 * helpers only (bench/http/h2o_server.c, handler_loop.c).
 */
#ifndef LR_BENCH_COMPAT_H
#define LR_BENCH_COMPAT_H

#include "serve/server.h"

/* Calls the handler; `out` is the caller's buffer (appended to). */
static inline void bench_handle(lr__server *s, const char *method,
                                const char *path, const char *auth,
                                const char *body, size_t len, int *status,
                                lr__buf *out, const char **content_type) {
#ifdef LR_BENCH_REPLY
  lr__reply r = {.status = 500, .content_type = "application/json"};
  r.body = *out;
  lr__server_handle(s, method, path, auth, body, len, &r);
  *out = r.body;
  *status = r.status;
  *content_type = r.content_type;
#else
  lr__server_handle(s, method, path, auth, body, len, status, out,
                    content_type);
#endif
}

/* The locks lr_server_start() initializes. */
static inline void bench_init_locks(lr__server *s) {
  pthread_rwlock_init(&s->lock, NULL);
  pthread_mutex_init(&s->cache_lock, NULL);
#ifdef LR_BENCH_REPLY
  pthread_mutex_init(&s->write_lock, NULL);
#endif
}

#endif

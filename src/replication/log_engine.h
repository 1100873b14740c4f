/*
 * log_engine.h - the side of the write log (log.h) that its engines see.
 * log.c picks an engine by the URL's scheme and forwards every lr__log_*
 * call to it through the table below, so another engine (Kafka, NATS
 * JetStream) is one more log_NAME.c and one more line in log.c's list of
 * engines, and no caller changes. Callers include log.h only.
 */
#ifndef LR_REPLICATION_LOG_ENGINE_H
#define LR_REPLICATION_LOG_ENGINE_H

#include "log.h"

typedef struct lr__log_engine lr__log_engine;

/* The part of a handle log.c reads: an engine's handle starts with it (an
 * engine casts its lr__log * back to its own struct). */
struct lr__log {
  const lr__log_engine *engine;
};

/* What lr__log_open was given, checked: `url` and `stream` non-empty,
 * `timeout_ms` at least 1. `address` is the URL past "SCHEME://", for the
 * engine to parse. */
typedef struct lr__log_options {
  const char *url;
  const char *address;
  const char *stream;
  unsigned long long retention;
  int timeout_ms;
} lr__log_options;

/* One engine. Each function has the contract of the lr__log_* function of
 * the same name (log.h); `open` parses opt->address itself, since what
 * follows the scheme is each engine's own (a host, a broker list, ...). */
struct lr__log_engine {
  const char *scheme;   /* before "://", matched ignoring case */
  const char *url_form; /* e.g. "redis://HOST:PORT[/DB]", for messages */
  int (*open)(const lr__log_options *opt, lr__log **out, lr__buf *err);
  void (*close)(lr__log *log);
  int (*append)(lr__log *log, unsigned long long seq, const void *data,
                size_t len, lr__buf *err);
  int (*bounds)(lr__log *log, unsigned long long *first,
                unsigned long long *last, lr__buf *err);
  int (*read)(lr__log *log, unsigned long long after, int max, int block_ms,
              int (*each)(void *ctx, const lr__log_entry *e), void *ctx,
              lr__buf *err);
  int (*get)(lr__log *log, unsigned long long seq, lr__buf *out,
             lr__buf *err);
};

extern const lr__log_engine lr__log_redis_engine; /* log_redis.c */

/* Sets the one message of a URL that cannot be used, "the write log URL
 * `URL` PROBLEM: use FORMS (fix `replication.log` in feature_store.yaml)",
 * and returns LR_EINVAL. */
int lr__log_bad_url(lr__buf *err, const char *url, const char *problem,
                    const char *forms);

#endif

/*
 * log.c - the write log's front (log.h): lr__log_open checks what it is
 * given and picks the engine by the URL's scheme; every other call goes
 * to the engine the handle was opened with (log_engine.h). Callers never
 * name an engine, so one can be added without touching them.
 */
#include <string.h>
#include <strings.h>

#include "larder.h"
#include "log_engine.h"

/* Every engine there is; a new one is one more line. */
static const lr__log_engine *const engines[] = {&lr__log_redis_engine};
enum { N_ENGINES = sizeof engines / sizeof engines[0] };

int lr__log_bad_url(lr__buf *err, const char *url, const char *problem,
                    const char *forms) {
  return lr__errmsg_set(err, LR_EINVAL,
                        "the write log URL `%s` %s: use %s (fix "
                        "`replication.log` in feature_store.yaml)",
                        url, problem, forms);
}

/* The engine whose scheme `url` starts with (before "://"), or NULL. */
static const lr__log_engine *engine_of(const char *url) {
  const char *sep = strstr(url, "://");
  for (int i = 0; sep && i < N_ENGINES; i++) {
    size_t n = strlen(engines[i]->scheme);
    if ((size_t)(sep - url) == n && !strncasecmp(url, engines[i]->scheme, n))
      return engines[i];
  }
  return NULL;
}

/* The URL forms of every engine, for the message of an unknown scheme. */
static void list_forms(lr__buf *forms) {
  for (int i = 0; i < N_ENGINES; i++) {
    if (i)
      lr__buf_puts(forms, " or ");
    lr__buf_puts(forms, engines[i]->url_form);
  }
}

static int unknown_scheme(const char *url, lr__buf *err) {
  lr__buf forms;
  lr__buf_init(&forms);
  list_forms(&forms);
  int rc = lr__buf_failed(&forms)
               ? lr__errmsg_set(err, LR_ENOMEM, "out of memory")
               : lr__log_bad_url(err, url, "does not start with a scheme "
                                 "Larder knows", lr__buf_str(&forms));
  lr__buf_free(&forms);
  return rc;
}

int lr__log_open(const char *url, const char *stream,
                 unsigned long long retention, int timeout_ms, lr__log **out,
                 lr__buf *err) {
  *out = NULL;
  url = url ? url : "";
  const lr__log_engine *engine = engine_of(url);
  if (!engine)
    return unknown_scheme(url, err);
  if (!stream || !*stream)
    return lr__errmsg_set(err, LR_EINVAL,
                          "no stream is named for the write log at %s: set "
                          "`replication.stream` in feature_store.yaml", url);
  if (timeout_ms < 1)
    return lr__errmsg_set(err, LR_EINVAL,
                          "the write log's timeout must be at least 1 ms, "
                          "not %d", timeout_ms);
  lr__log_options opt = {.url = url,
                         .address = strstr(url, "://") + 3,
                         .stream = stream,
                         .retention = retention,
                         .timeout_ms = timeout_ms};
  return engine->open(&opt, out, err);
}

void lr__log_close(lr__log *log) {
  if (log)
    log->engine->close(log);
}

int lr__log_append(lr__log *log, unsigned long long seq, const void *data,
                   size_t len, lr__buf *err) {
  if (seq == 0)
    return lr__errmsg_set(err, LR_EINVAL,
                          "cannot append entry 0 to the write log: sequence "
                          "numbers start at 1");
  return log->engine->append(log, seq, data, len, err);
}

int lr__log_bounds(lr__log *log, unsigned long long *first,
                   unsigned long long *last, lr__buf *err) {
  return log->engine->bounds(log, first, last, err);
}

int lr__log_read(lr__log *log, unsigned long long after, int max,
                 int block_ms, int (*each)(void *ctx, const lr__log_entry *e),
                 void *ctx, lr__buf *err) {
  if (max < 1 || block_ms < 0)
    return lr__errmsg_set(err, LR_EINVAL,
                          "cannot read the write log with max %d and "
                          "block_ms %d: max must be at least 1, block_ms at "
                          "least 0", max, block_ms);
  return log->engine->read(log, after, max, block_ms, each, ctx, err);
}

int lr__log_get(lr__log *log, unsigned long long seq, lr__buf *out,
                lr__buf *err) {
  return log->engine->get(log, seq, out, err);
}

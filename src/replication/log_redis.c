/*
 * log_redis.c - the write log on a Redis Stream (log.h, log_engine.h),
 * through hiredis. Entry SEQ is the stream entry with the explicit ID
 * "SEQ-0" and one field, `e`, holding the entry's bytes: Redis then keeps
 * the order and refuses an ID at or below the last one itself, and a
 * reader resumes with the plain ID it stopped at. `MAXLEN ~ retention` on
 * each XADD lets Redis trim whole nodes of old entries cheaply.
 *
 * A handle holds one connection. A call that finds it broken connects
 * again first, so a follower outlives a restart of Redis: the call that
 * hit the error reports it, the next one reconnects.
 */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../redis/address.h"
#include "../redis/node.h"
#include "../redis/sigpipe.h"
#include "larder.h"
#include "log_engine.h"

#define URL_FORM "redis://HOST:PORT[/DB]"
#define FIELD "e"

typedef struct redis_log {
  lr__log base;
  char *host;
  int port;
  int db;
  char *url;    /* redis://HOST:PORT/DB with the defaults filled in */
  char *key;    /* the stream's key */
  unsigned long long retention; /* MAXLEN ~ of each XADD; 0: none */
  int timeout_ms;
  redisContext *ctx; /* NULL or in error: connect again at the next call */
} redis_log;

/* ---- the URL --------------------------------------------------------- */

/* Parses "HOST[:PORT][/DB]" (port 6379 and DB 0 by default) into the
 * handle; LR_EINVAL with the URL's message otherwise. */
static int parse_address(redis_log *log, const lr__log_options *opt,
                         lr__buf *err) {
  lr__redis_address_error e = lr__redis_parse_server(opt->address, &log->host,
                                                     &log->port, &log->db);
  if (e == LR__REDIS_ADDRESS_NOMEM)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  return e ? lr__log_bad_url(err, opt->url, lr__redis_address_problem(e),
                             URL_FORM)
           : 0;
}

/* ---- the connection -------------------------------------------------- */

/* Drops the connection after an error, so the next call makes a new one. */
static void disconnect(redis_log *log) {
  redisFree(log->ctx);
  log->ctx = NULL;
}

/* SELECT DB on a new connection (DB 0 needs none). */
static int select_db(redis_log *log, lr__buf *err) {
  if (log->db == 0)
    return 0;
  redisReply *r = redisCommand(log->ctx, "SELECT %d", log->db);
  int ok = r && r->type == REDIS_REPLY_STATUS;
  int rc = ok ? 0
           : lr__errmsg_set(err, LR_EIO, "the write log at %s refused "
                            "SELECT %d: %s; fix `replication.log` in "
                            "feature_store.yaml", log->url, log->db,
                            r && r->type == REDIS_REPLY_ERROR
                                ? r->str : log->ctx->errstr);
  freeReplyObject(r);
  return rc;
}

/* Connects unless the handle holds a working connection. */
static int connect_if_needed(redis_log *log, lr__buf *err) {
  if (log->ctx && !log->ctx->err)
    return 0;
  disconnect(log);
  log->ctx = redisConnectWithTimeout(log->host, log->port,
                                     lr__redis_timeval(log->timeout_ms));
  if (!log->ctx)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  int rc = 0;
  if (log->ctx->err ||
      redisSetTimeout(log->ctx, lr__redis_timeval(log->timeout_ms)) != REDIS_OK)
    rc = lr__errmsg_set(err, LR_EIO, "cannot reach the write log at %s: "
                        "%s; start redis-server there or fix "
                        "`replication.log` in feature_store.yaml",
                        log->url, log->ctx->errstr);
  if (!rc)
    rc = select_db(log, err);
  if (rc)
    disconnect(log);
  return rc;
}

/* The message of an error reply to command `cmd`; LR_EEXISTS (no message:
 * the caller names the entry) when an XADD's ID was not above the last. */
static int reply_error(redis_log *log, const char *cmd, const redisReply *r,
                       lr__buf *err) {
  if (strstr(r->str, "equal or smaller than the target stream top item"))
    return LR_EEXISTS;
  if (!strncmp(r->str, "WRONGTYPE", 9))
    return lr__errmsg_set(err, LR_EIO, "the key %s at %s holds something "
                          "other than a stream; fix `replication.stream` in "
                          "feature_store.yaml", log->key, log->url);
  return lr__errmsg_set(err, LR_EIO, "the write log at %s refused %s on %s: "
                        "%s", log->url, cmd, log->key, r->str);
}

/* Checks reply `r` to command `cmd` (NULL: the connection failed, within
 * timeout_ms). Returns 0, or the error with its message (the caller frees
 * the reply either way). */
static int check_reply(redis_log *log, const char *cmd, redisReply *r,
                       long long timeout_ms, lr__buf *err) {
  if (!r)
    return lr__errmsg_set(err, log->ctx->err == REDIS_ERR_OOM ? LR_ENOMEM
                          : LR_EIO, "lost the write log at %s during %s on "
                          "%s: %s; check that redis-server runs there and "
                          "answers within %lld ms (the next call connects "
                          "again)", log->url, cmd, log->key,
                          log->ctx->errstr, timeout_ms);
  return r->type == REDIS_REPLY_ERROR ? reply_error(log, cmd, r, err) : 0;
}

/* Runs the command `fmt` (hiredis' format; it starts with the command's
 * name, which messages quote), connecting first when needed. `wait_ms` is
 * how long the server may hold the answer back (XREAD BLOCK): the
 * socket's timeout grows by that much for this command. Returns 0 and the
 * reply in *out (free it), or the error with its message. */
static int run(redis_log *log, int wait_ms, redisReply **out, lr__buf *err,
               const char *fmt, ...) {
  *out = NULL;
  int rc = connect_if_needed(log, err);
  if (rc)
    return rc;
  long long timeout_ms = (long long)log->timeout_ms + wait_ms;
  if (wait_ms)
    redisSetTimeout(log->ctx, lr__redis_timeval(timeout_ms));
  va_list ap;
  va_start(ap, fmt);
  lr__redis_sigpipe guard;
  lr__redis_sigpipe_block(&guard);
  redisReply *r = redisvCommand(log->ctx, fmt, ap);
  lr__redis_sigpipe_restore(&guard);
  va_end(ap);
  char cmd[16];
  snprintf(cmd, sizeof cmd, "%.*s", (int)strcspn(fmt, " "), fmt);
  if (r && wait_ms)
    redisSetTimeout(log->ctx, lr__redis_timeval(log->timeout_ms));
  rc = check_reply(log, cmd, r, timeout_ms, err);
  if (rc == 0)
    *out = r;
  else if (r)
    freeReplyObject(r);
  return rc;
}

/* ---- entries --------------------------------------------------------- */

/* The message of an entry (or an answer) Larder did not write. */
static int foreign_entry(redis_log *log, const char *id, lr__buf *err) {
  return lr__errmsg_set(err, LR_EIO, "the stream %s at %s holds an entry "
                        "Larder did not write (ID %s; Larder writes ID SEQ-0 "
                        "with the one field `" FIELD "`); point "
                        "`replication.stream` in feature_store.yaml at a "
                        "stream of Larder's own", log->key, log->url, id);
}

/* The sequence number of stream ID "SEQ-0"; 0 when it is not one. */
static unsigned long long seq_of_id(const char *id) {
  if (*id < '0' || *id > '9')
    return 0;
  char *end;
  errno = 0;
  unsigned long long seq = strtoull(id, &end, 10);
  return errno || strcmp(end, "-0") ? 0 : seq;
}

/* Reads one stream entry of an answer, [ID, [e, BYTES]], into `out`
 * (whose data points into the reply). */
static int parse_entry(redis_log *log, const redisReply *r,
                       lr__log_entry *out, lr__buf *err) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING)
    return foreign_entry(log, "?", err);
  const char *id = r->element[0]->str;
  const redisReply *fields = r->element[1];
  out->seq = seq_of_id(id);
  if (!out->seq || fields->type != REDIS_REPLY_ARRAY ||
      fields->elements != 2 ||
      fields->element[0]->type != REDIS_REPLY_STRING ||
      strcmp(fields->element[0]->str, FIELD) ||
      fields->element[1]->type != REDIS_REPLY_STRING)
    return foreign_entry(log, id, err);
  out->data = fields->element[1]->str;
  out->len = fields->element[1]->len;
  return 0;
}

/* The one entry of an answer to XRANGE or XREVRANGE ... COUNT 1 into
 * `out` (seq 0 when none), pointing into the reply. */
static int first_entry(redis_log *log, const redisReply *r,
                       lr__log_entry *out, lr__buf *err) {
  *out = (lr__log_entry){0};
  if (r->type != REDIS_REPLY_ARRAY)
    return foreign_entry(log, "?", err);
  return r->elements ? parse_entry(log, r->element[0], out, err) : 0;
}

/* Runs CMD KEY FROM TO COUNT 1 (CMD XRANGE or XREVRANGE) and reads the
 * one entry it answers into `out` (seq 0 when none), which points into
 * *reply (free it). */
static int range_one(redis_log *log, const char *cmd, const char *from,
                     const char *to, redisReply **reply, lr__log_entry *out,
                     lr__buf *err) {
  *out = (lr__log_entry){0};
  char fmt[32]; /* the name leads the format: messages quote it */
  snprintf(fmt, sizeof fmt, "%s %%s %%s %%s COUNT 1", cmd);
  int rc = run(log, 0, reply, err, fmt, log->key, from, to);
  return rc ? rc : first_entry(log, *reply, out, err);
}

/* ---- the engine ------------------------------------------------------ */

static void redis_close(lr__log *base) {
  redis_log *log = (redis_log *)base;
  redisFree(log->ctx);
  free(log->host);
  free(log->url);
  free(log->key);
  free(log);
}

static int redis_open(const lr__log_options *opt, lr__log **out,
                      lr__buf *err) {
  redis_log *log = calloc(1, sizeof *log);
  if (!log)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  log->base.engine = &lr__log_redis_engine;
  log->retention = opt->retention;
  log->timeout_ms = opt->timeout_ms;
  lr__buf url;
  lr__buf_init(&url);
  int rc = parse_address(log, opt, err);
  if (!rc) {
    lr__buf_printf(&url, "redis://%s:%d/%d", log->host, log->port, log->db);
    log->url = lr__buf_steal(&url);
    log->key = strdup(opt->stream);
    rc = log->url && log->key
             ? connect_if_needed(log, err)
             : lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  }
  if (rc)
    redis_close(&log->base);
  else
    *out = &log->base;
  return rc;
}

static int redis_append(lr__log *base, unsigned long long seq,
                        const void *data, size_t len, lr__buf *err) {
  redis_log *log = (redis_log *)base;
  char id[32];
  snprintf(id, sizeof id, "%llu-0", seq);
  redisReply *r;
  int rc = log->retention
               ? run(log, 0, &r, err, "XADD %s MAXLEN ~ %llu %s " FIELD " %b",
                     log->key, log->retention, id, data, len)
               : run(log, 0, &r, err, "XADD %s %s " FIELD " %b", log->key, id,
                     data, len);
  freeReplyObject(r);
  if (rc == LR_EEXISTS)
    return lr__errmsg_set(err, rc, "cannot append entry %llu to the stream "
                          "%s at %s: it holds entry %llu or a later one "
                          "already", seq, log->key, log->url, seq);
  return rc;
}

/* The first and the last entry in one round trip: XRANGE and XREVRANGE
 * pipelined (each round of a shipper and of a follower asks). */
static int redis_bounds(lr__log *base, unsigned long long *first,
                        unsigned long long *last, lr__buf *err) {
  redis_log *log = (redis_log *)base;
  static const char *const cmds[2] = {"XRANGE", "XREVRANGE"};
  redisReply *r[2] = {NULL, NULL};
  unsigned long long ends[2] = {0, 0};
  *first = *last = 0;
  int rc = connect_if_needed(log, err);
  if (rc)
    return rc;
  lr__redis_sigpipe guard;
  lr__redis_sigpipe_block(&guard);
  if (redisAppendCommand(log->ctx, "XRANGE %s - + COUNT 1", log->key) ==
          REDIS_OK &&
      redisAppendCommand(log->ctx, "XREVRANGE %s + - COUNT 1", log->key) ==
          REDIS_OK &&
      redisGetReply(log->ctx, (void **)&r[0]) == REDIS_OK)
    redisGetReply(log->ctx, (void **)&r[1]);
  lr__redis_sigpipe_restore(&guard);
  for (int i = 0; i < 2; i++) {
    lr__log_entry e = {0};
    if (!rc)
      rc = check_reply(log, cmds[i], r[i], log->timeout_ms, err);
    if (!rc)
      rc = first_entry(log, r[i], &e, err);
    ends[i] = e.seq;
    if (r[i])
      freeReplyObject(r[i]);
  }
  if (!rc && ends[0] && ends[1]) { /* else empty, or it changed between */
    *first = ends[0];
    *last = ends[1];
  }
  return rc;
}

/* The entries of an XREAD answer on one stream: [[KEY, [ENTRY...]]], or
 * nil when none came. Sets *entries (NULL when none). */
static int xread_entries(redis_log *log, const redisReply *r,
                         const redisReply **entries, lr__buf *err) {
  *entries = NULL;
  if (r->type == REDIS_REPLY_NIL)
    return 0;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
      r->element[0]->type != REDIS_REPLY_ARRAY ||
      r->element[0]->elements != 2 ||
      r->element[0]->element[1]->type != REDIS_REPLY_ARRAY)
    return foreign_entry(log, "?", err);
  *entries = r->element[0]->element[1];
  return 0;
}

/* Hands each entry of `entries` to `each` in order. */
static int deliver(redis_log *log, const redisReply *entries,
                   int (*each)(void *ctx, const lr__log_entry *e), void *ctx,
                   lr__buf *err) {
  for (size_t i = 0; entries && i < entries->elements; i++) {
    lr__log_entry e = {.more = (int)(entries->elements - 1 - i)};
    int rc = parse_entry(log, entries->element[i], &e, err);
    if (!rc)
      rc = each(ctx, &e);
    if (rc)
      return rc;
  }
  return 0;
}

static int redis_read(lr__log *base, unsigned long long after, int max,
                      int block_ms,
                      int (*each)(void *ctx, const lr__log_entry *e),
                      void *ctx, lr__buf *err) {
  redis_log *log = (redis_log *)base;
  char id[32];
  snprintf(id, sizeof id, "%llu-0", after);
  redisReply *r;
  int rc = block_ms
               ? run(log, block_ms, &r, err,
                     "XREAD BLOCK %d COUNT %d STREAMS %s %s", block_ms, max,
                     log->key, id)
               : run(log, 0, &r, err, "XREAD COUNT %d STREAMS %s %s", max,
                     log->key, id);
  const redisReply *entries;
  if (!rc)
    rc = xread_entries(log, r, &entries, err);
  if (!rc)
    rc = deliver(log, entries, each, ctx, err);
  freeReplyObject(r);
  return rc;
}

static int redis_get(lr__log *base, unsigned long long seq, lr__buf *out,
                     lr__buf *err) {
  redis_log *log = (redis_log *)base;
  char id[32];
  snprintf(id, sizeof id, "%llu-0", seq);
  redisReply *r;
  lr__log_entry e;
  int rc = range_one(log, "XRANGE", id, id, &r, &e, err);
  if (!rc && !e.seq)
    rc = lr__errmsg_set(err, LR_ENOTFOUND, "the stream %s at %s holds no "
                        "entry %llu (trimmed, or not appended yet)", log->key,
                        log->url, seq);
  if (!rc) {
    lr__buf_reset(out);
    lr__buf_append(out, e.data, e.len);
    if (lr__buf_failed(out))
      rc = lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  }
  freeReplyObject(r);
  return rc;
}

const lr__log_engine lr__log_redis_engine = {
    .scheme = "redis",
    .url_form = URL_FORM,
    .open = redis_open,
    .close = redis_close,
    .append = redis_append,
    .bounds = redis_bounds,
    .read = redis_read,
    .get = redis_get,
};

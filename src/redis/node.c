/*
 * node.c - one Redis server and Larder's connection to it (node.h).
 */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "sigpipe.h"

struct timeval lr__redis_timeval(long long ms) {
  return (struct timeval){.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
}

lr__redis_node *lr__redis_node_new(const char *host, size_t host_len,
                                   int port) {
  lr__redis_node *n = calloc(1, sizeof *n);
  lr__buf name;
  lr__buf_init(&name);
  lr__buf_printf(&name, "%.*s:%d", (int)host_len, host, port);
  if (n) {
    n->host = strndup(host, host_len);
    n->port = port;
    n->name = lr__buf_steal(&name);
  }
  if (n && (!n->host || !n->name)) {
    lr__redis_node_free(n);
    return NULL;
  }
  lr__buf_free(&name);
  return n;
}

void lr__redis_node_free(lr__redis_node *n) {
  if (!n)
    return;
  redisFree(n->ctx);
  free(n->host);
  free(n->name);
  free(n);
}

void lr__redis_node_drop(lr__redis_node *n) {
  redisFree(n->ctx);
  n->ctx = NULL;
}

int lr__redis_node_refused(const lr__redis_node *n, const char *what,
                           const redisReply *reply, lr__buf *err) {
  return lr__errmsg_set(err, LR_EIO, "%s refused %s: %s", n->name, what,
                        reply->str);
}

/* hiredis 0.14 reports a read that timed out as an I/O error with the
 * text of EAGAIN. */
static int timed_out(const redisContext *ctx) {
  return ctx->err == REDIS_ERR_IO && !strcmp(ctx->errstr, strerror(EAGAIN));
}

int lr__redis_node_io_error(lr__redis_node *n, const char *command,
                            const lr__redis_conn_options *o, lr__buf *err) {
  int rc = n->ctx->err == REDIS_ERR_OOM ? LR_ENOMEM : LR_EIO;
  if (timed_out(n->ctx))
    lr__errmsg_set(err, rc, "%s did not answer %s within %d ms", n->name,
                   command, o->command_timeout_ms);
  else
    lr__errmsg_set(err, rc, "lost the connection to %s during %s: %s",
                   n->name, command, n->ctx->errstr);
  lr__redis_node_drop(n);
  return rc;
}

/* Runs one command on a connected node, without reconnecting. An error
 * reply is "HOST:PORT refused WHAT: REPLY". */
static int call(lr__redis_node *n, const lr__redis_conn_options *o,
                const char *what, int argc, const char **argv,
                const size_t *argvlen, redisReply **out, lr__buf *err) {
  lr__redis_sigpipe guard;
  lr__redis_sigpipe_block(&guard);
  redisReply *r = redisCommandArgv(n->ctx, argc, argv, argvlen);
  lr__redis_sigpipe_restore(&guard);
  *out = NULL;
  if (!r)
    return lr__redis_node_io_error(n, argv[0], o, err);
  if (r->type == REDIS_REPLY_ERROR) {
    int rc = lr__redis_node_refused(n, what, r, err);
    freeReplyObject(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* AUTH [USER] PASSWORD, then SELECT DB, as the options say. */
static int authenticate_and_select(lr__redis_node *n,
                                   const lr__redis_conn_options *o,
                                   lr__buf *err) {
  redisReply *r = NULL;
  int rc = 0;
  if (o->password) {
    const char *argv[3] = {"AUTH", o->user ? o->user : o->password,
                           o->password};
    rc = call(n, o, "the password", o->user ? 3 : 2, argv, NULL, &r, err);
    freeReplyObject(r);
  }
  if (!rc && o->db > 0) {
    char db[16];
    snprintf(db, sizeof db, "%d", o->db);
    const char *argv[2] = {"SELECT", db};
    rc = call(n, o, "SELECT", 2, argv, NULL, &r, err);
    freeReplyObject(r);
  }
  return rc;
}

int lr__redis_node_connect(lr__redis_node *n, const lr__redis_conn_options *o,
                           lr__buf *err) {
  if (n->ctx && !n->ctx->err)
    return 0;
  lr__redis_node_drop(n);
  n->ctx = redisConnectWithTimeout(n->host, n->port,
                                   lr__redis_timeval(o->connect_timeout_ms));
  if (!n->ctx)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  int rc = 0;
  if (n->ctx->err ||
      redisSetTimeout(n->ctx, lr__redis_timeval(o->command_timeout_ms)) !=
          REDIS_OK)
    rc = lr__errmsg_set(err, LR_EIO, "cannot connect to %s: %s", n->name,
                        n->ctx->errstr);
  if (!rc)
    rc = authenticate_and_select(n, o, err);
  if (rc)
    lr__redis_node_drop(n);
  return rc;
}

int lr__redis_node_call(lr__redis_node *n, const lr__redis_conn_options *o,
                        int argc, const char **argv, const size_t *argvlen,
                        redisReply **out, lr__buf *err) {
  *out = NULL;
  int rc = lr__redis_node_connect(n, o, err);
  return rc ? rc : call(n, o, argv[0], argc, argv, argvlen, out, err);
}

/*
 * node.h - one Redis server and Larder's connection to it (hiredis,
 * blocking, with connect and command timeouts): connecting when there is
 * no working connection (then AUTH and SELECT as the options say),
 * dropping a connection after an error so the next use connects again,
 * and the messages of its failures, each naming the server ("cannot
 * connect to 127.0.0.1:7001: Connection refused").
 */
#ifndef LR_REDIS_NODE_H
#define LR_REDIS_NODE_H

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include "../util/buf.h"

/* How every connection is made. */
typedef struct lr__redis_conn_options {
  int connect_timeout_ms; /* > 0 */
  int command_timeout_ms; /* > 0: a reply that takes longer fails */
  const char *user;       /* NULL: AUTH PASSWORD (the default user) */
  const char *password;   /* NULL: no AUTH */
  int db;                 /* SELECT DB when > 0 (standalone servers) */
} lr__redis_conn_options;

typedef struct lr__redis_node {
  char *host;
  int port;
  char *name;        /* "HOST:PORT", for messages */
  redisContext *ctx; /* NULL until connected, and after an error */
} lr__redis_node;

/* `ms` milliseconds as a struct timeval. */
struct timeval lr__redis_timeval(long long ms);

/* A node for HOST (`host_len` bytes) and PORT, not connected; NULL when
 * out of memory. */
lr__redis_node *lr__redis_node_new(const char *host, size_t host_len,
                                   int port);

/* Closes the connection and frees the node (NULL: nothing). */
void lr__redis_node_free(lr__redis_node *n);

/* Drops the connection (after an error: the next use connects again). */
void lr__redis_node_drop(lr__redis_node *n);

/* Connects unless the node holds a working connection, then AUTH and
 * SELECT as `o` says. Returns 0, or LR_EIO with the message in `err`
 * ("cannot connect to HOST:PORT: REASON", "HOST:PORT refused the
 * password: REASON", ...). */
int lr__redis_node_connect(lr__redis_node *n, const lr__redis_conn_options *o,
                           lr__buf *err);

/* The message of a connection that failed during `command` (sending it or
 * waiting for its reply): the node did not answer within the command
 * timeout, or the connection was lost; the connection is dropped. Returns
 * LR_EIO (LR_ENOMEM when hiredis ran out of memory). */
int lr__redis_node_io_error(lr__redis_node *n, const char *command,
                            const lr__redis_conn_options *o, lr__buf *err);

/* The message of error reply `reply` to `what` (a command's name, or "the
 * password"): "HOST:PORT refused WHAT: REPLY" (OOM, NOAUTH, WRONGPASS,
 * ...). Returns LR_EIO. */
int lr__redis_node_refused(const lr__redis_node *n, const char *what,
                           const redisReply *reply, lr__buf *err);

/* Runs one command (argv form) on the node, connecting first when needed:
 * 0 and the reply in *out (free it), or the error with its message (an
 * error reply is one: lr__redis_node_refused). */
int lr__redis_node_call(lr__redis_node *n, const lr__redis_conn_options *o,
                        int argc, const char **argv, const size_t *argvlen,
                        redisReply **out, lr__buf *err);

#endif

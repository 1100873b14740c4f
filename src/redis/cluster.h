/*
 * cluster.h - a client of Redis Cluster (or of one standalone server,
 * through the same calls): seeds, the slot map from CLUSTER SLOTS, one
 * connection per master, and batches. A batch of commands, each with the
 * key that routes it, is split per node by the keys' slots, each node's
 * part pipelined (every node is sent its part before any reply is read,
 * so the nodes work at once: one round trip per node), the commands a
 * node redirects (MOVED: the map is refreshed; ASK: ASKING and the
 * command on the node named, once) sent again in a next round, at most
 * max_redirects rounds; each command gets its reply or its own error, in
 * the input order.
 *
 * A handle is used by one thread at a time. A connection that failed is
 * dropped and made again by the next batch that needs it; a node that
 * cannot be reached fails the commands it serves ("cannot connect to
 * 127.0.0.1:7001: Connection refused") and makes the next batch reload
 * the map (a replica may have taken over).
 */
#ifndef LR_REDIS_CLUSTER_H
#define LR_REDIS_CLUSTER_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "../util/buf.h"
#include "node.h"

typedef struct lr__redis_options {
  const char *const *seeds; /* "HOST[:PORT]" each (port 6379 when none) */
  size_t n_seeds;
  int cluster;       /* 1: Redis Cluster; 0: the first seed, standalone */
  lr__redis_conn_options conn; /* timeouts, AUTH, SELECT (standalone) */
  int max_redirects; /* rounds after the first; 0: 5 */
} lr__redis_options;

/* One command of a batch, argv form (argvlen NULL: each is a C string),
 * and the key whose slot says where it goes. */
typedef struct lr__redis_command {
  int argc;
  const char *const *argv;
  const size_t *argvlen;
  const void *key;
  size_t key_len;
} lr__redis_command;

/* A command's outcome: its reply (never an error reply), or NULL and why
 * in `error` ("127.0.0.1:7001 refused SET: OOM command not allowed when
 * used memory > 'maxmemory'."). Both are the caller's to free
 * (lr__redis_answers_clear). */
typedef struct lr__redis_answer {
  redisReply *reply;
  char *error;
} lr__redis_answer;

typedef struct lr__redis_cluster lr__redis_cluster;

/* Parses the seeds and, for a cluster, loads the slot map from the first
 * seed that answers (a standalone server is connected to). Returns 0 and
 * the handle in *out, or LR_EINVAL (a bad seed), LR_EIO (no seed
 * answered: every one's failure in the message), LR_ENOMEM. */
int lr__redis_cluster_open(const lr__redis_options *o,
                           lr__redis_cluster **out, lr__buf *err);

/* Closes every connection and frees the handle (NULL: nothing). */
void lr__redis_cluster_close(lr__redis_cluster *c);

/* Runs `n` commands as a batch; answers[i] gets command i's outcome.
 * Returns 0 when every command got a reply; otherwise the first failure's
 * code (LR_EIO, LR_ENOMEM) and "K of N commands failed; the first,
 * command I: ERROR" in `err`, each command's outcome in `answers` still. */
int lr__redis_cluster_batch(lr__redis_cluster *c,
                            const lr__redis_command *cmds, size_t n,
                            lr__redis_answer *answers, lr__buf *err);

/* Frees the replies and errors of `n` answers and empties them. */
void lr__redis_answers_clear(lr__redis_answer *answers, size_t n);

/* The name ("HOST:PORT") of the node serving key `key` by the map as it
 * is; NULL when none does. */
const char *lr__redis_cluster_node_of(const lr__redis_cluster *c,
                                      const void *key, size_t key_len);

/* The nodes that serve a slot (a cluster's masters, or the one
 * standalone server), by the map as it is (reloaded first when stale):
 * their indexes into out[] (at most `cap` of them), the count returned.
 * For commands of no key, such as SCAN, that each master must run. */
size_t lr__redis_cluster_masters(lr__redis_cluster *c, int *out,
                                 size_t cap);

/* Runs one command on node `node` (an index lr__redis_cluster_masters
 * gave), connecting first when needed: 0 and the reply in *out (free it
 * with freeReplyObject), or LR_EIO with the node's message (an error
 * reply is one). No redirection is followed. */
int lr__redis_cluster_call_on(lr__redis_cluster *c, int node, int argc,
                              const char **argv, const size_t *argvlen,
                              redisReply **out, lr__buf *err);

/* How many MOVED and ASK redirections the handle's batches met. */
void lr__redis_cluster_redirects(const lr__redis_cluster *c,
                                 unsigned long long *moved,
                                 unsigned long long *asked);

#endif

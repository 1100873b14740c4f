/*
 * cluster.c - a client of Redis Cluster or of one standalone server
 * (cluster.h). A batch runs in rounds: each round routes its commands
 * (the slot map, or the node an ASK named), sends every node its part,
 * then reads every node's replies; the redirected ones make the next
 * round. Nodes are read one after the other, but they all had their
 * commands before the first read, so the round costs about the slowest
 * node's time, not the sum.
 */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "larder.h"
#include "sigpipe.h"
#include "slot.h"
#include "slotmap.h"

enum { DEFAULT_REDIRECTS = 5, TRYAGAIN_PAUSE_MS = 20 };

struct lr__redis_cluster {
  int cluster;
  int max_redirects;
  lr__redis_conn_options conn; /* user and password owned */
  lr__redis_slotmap map;
  int map_stale; /* reload before the next round */
  unsigned long long moved, asked; /* redirections met, for the counts */
};

/* A command still to run: where it goes in this round, whether ASKING
 * goes first, and the last redirection it met (for the message when the
 * rounds run out, and to pause when it is MOVED again). */
typedef struct pending {
  size_t cmd;
  int node;
  int asking;
  char redirect[80];
} pending;

/* One batch's state: the commands, their answers, the first failure and
 * how many failed. */
typedef struct batch {
  lr__redis_cluster *c;
  const lr__redis_command *cmds;
  lr__redis_answer *answers;
  size_t n, failed;
  size_t first_failed;
  int first_rc;
  pending *todo, *next; /* this round's commands; the next round's */
  size_t n_todo, n_next;
  int pause; /* a TRYAGAIN, a second MOVED: wait before the next round */
} batch;

/* ---- the handle ------------------------------------------------------ */

void lr__redis_cluster_close(lr__redis_cluster *c) {
  if (!c)
    return;
  lr__redis_slotmap_free(&c->map);
  free((char *)c->conn.user);
  free((char *)c->conn.password);
  free(c);
}

/* Adds the seeds to the map's nodes. */
static int add_seeds(lr__redis_cluster *c, const lr__redis_options *o,
                     lr__buf *err) {
  if (o->n_seeds == 0)
    return lr__errmsg_set(err, LR_EINVAL, "no Redis server named: give "
                          "HOST:PORT");
  for (size_t i = 0; i < o->n_seeds; i++) {
    char *host = NULL;
    int port;
    lr__redis_address_error e =
        lr__redis_parse_hostport(o->seeds[i], 6379, &host, &port);
    if (e == LR__REDIS_ADDRESS_NOMEM)
      return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
    if (e)
      return lr__errmsg_set(err, LR_EINVAL, "the Redis address '%s' %s; "
                            "write HOST:PORT", o->seeds[i],
                            lr__redis_address_problem(e));
    int node = lr__redis_slotmap_node(&c->map, host, strlen(host), port);
    free(host);
    if (node < 0)
      return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  }
  return 0;
}

/* Copies the connection options, the strings included. */
static int copy_conn(lr__redis_cluster *c, const lr__redis_conn_options *o,
                     lr__buf *err) {
  c->conn = *o;
  c->conn.user = o->user ? strdup(o->user) : NULL;
  c->conn.password = o->password ? strdup(o->password) : NULL;
  if ((o->user && !c->conn.user) || (o->password && !c->conn.password))
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  return 0;
}

int lr__redis_cluster_open(const lr__redis_options *o,
                           lr__redis_cluster **out, lr__buf *err) {
  *out = NULL;
  lr__redis_cluster *c = calloc(1, sizeof *c);
  if (!c)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  lr__redis_slotmap_init(&c->map);
  c->cluster = o->cluster;
  c->max_redirects = o->max_redirects > 0 ? o->max_redirects
                                          : DEFAULT_REDIRECTS;
  int rc = copy_conn(c, &o->conn, err);
  if (!rc)
    rc = add_seeds(c, o, err);
  if (!rc && c->cluster)
    rc = lr__redis_slotmap_load(&c->map, &c->conn, err);
  if (!rc && !c->cluster) {
    lr__redis_slotmap_assign_all(&c->map, 0);
    rc = lr__redis_node_connect(c->map.nodes[0], &c->conn, err);
  }
  if (rc)
    lr__redis_cluster_close(c);
  else
    *out = c;
  return rc;
}

void lr__redis_answers_clear(lr__redis_answer *answers, size_t n) {
  for (size_t i = 0; i < n; i++) {
    freeReplyObject(answers[i].reply);
    free(answers[i].error);
    answers[i] = (lr__redis_answer){0};
  }
}

const char *lr__redis_cluster_node_of(const lr__redis_cluster *c,
                                      const void *key, size_t key_len) {
  int node = c->map.owner[lr__redis_key_slot(key, key_len)];
  return node < 0 ? NULL : c->map.nodes[node]->name;
}

void lr__redis_cluster_redirects(const lr__redis_cluster *c,
                                 unsigned long long *moved,
                                 unsigned long long *asked) {
  *moved = c->moved;
  *asked = c->asked;
}

/* ---- outcomes -------------------------------------------------------- */

/* Command p's outcome is reply `r` (not an error reply). */
static void answer_reply(batch *b, const pending *p, redisReply *r) {
  b->answers[p->cmd].reply = r;
}

/* Command p's outcome is the error `message` (code rc). */
static void answer_error(batch *b, const pending *p, int rc,
                         const char *message) {
  char *copy = strdup(message);
  b->answers[p->cmd].error = copy;
  if (b->failed++ == 0) {
    b->first_failed = p->cmd;
    b->first_rc = copy ? rc : LR_ENOMEM;
  }
}

/* Command p goes to the next round, to `node` (ASKING first when
 * `asking`), having met `redirect`. */
static void retry(batch *b, const pending *p, int node, int asking,
                  const char *redirect) {
  pending *q = &b->next[b->n_next++];
  *q = (pending){.cmd = p->cmd, .node = node, .asking = asking};
  snprintf(q->redirect, sizeof q->redirect, "%s", redirect);
}

/* ---- redirections ---------------------------------------------------- */

/* Reads "MOVED SLOT HOST:PORT" or "ASK SLOT HOST:PORT" (the error's text
 * after the word): the slot and the node (added when new; an empty host
 * is the host of the node that answered). Returns 0 when it is not one. */
static int read_redirect(lr__redis_cluster *c, const char *text,
                         const lr__redis_node *from, unsigned *slot,
                         int *node) {
  char *end;
  unsigned long s = strtoul(text, &end, 10);
  const char *addr = end;
  if (end == text || *addr != ' ' || s >= LR__REDIS_SLOTS)
    return 0;
  addr++;
  const char *colon = strrchr(addr, ':');
  if (!colon)
    return 0;
  int port = atoi(colon + 1);
  if (port <= 0 || port > 65535)
    return 0;
  const char *host = colon == addr ? from->host : addr;
  size_t host_len = colon == addr ? strlen(from->host)
                                  : (size_t)(colon - addr);
  *slot = (unsigned)s;
  *node = lr__redis_slotmap_node(&c->map, host, host_len, port);
  return *node >= 0;
}

/* Handles error reply `r` to command p from node `from`: a redirection
 * or TRYAGAIN sends it to the next round; any other error is its
 * outcome. */
static void on_error_reply(batch *b, const pending *p, lr__redis_node *from,
                           const redisReply *r) {
  lr__redis_cluster *c = b->c;
  unsigned slot;
  int node;
  if (c->cluster && !strncmp(r->str, "MOVED ", 6) &&
      read_redirect(c, r->str + 6, from, &slot, &node)) {
    c->map.owner[slot] = (int16_t)node;
    c->map_stale = 1;
    c->moved++;
    /* MOVED again: while a slot changes hands the nodes can disagree for
     * a moment (the source given the slot's new owner before the target
     * knows it), and without a pause the rounds would run out at once */
    b->pause |= !strncmp(p->redirect, "MOVED ", 6);
    retry(b, p, node, 0, r->str);
  } else if (c->cluster && !strncmp(r->str, "ASK ", 4) &&
             read_redirect(c, r->str + 4, from, &slot, &node)) {
    c->asked++;
    retry(b, p, node, 1, r->str);
  } else if (c->cluster && !strncmp(r->str, "TRYAGAIN", 8)) {
    b->pause = 1;
    retry(b, p, -1, 0, r->str);
  } else {
    lr__buf msg;
    lr__buf_init(&msg);
    int rc = lr__redis_node_refused(from, b->cmds[p->cmd].argv[0], r, &msg);
    answer_error(b, p, rc, lr__buf_str(&msg));
    lr__buf_free(&msg);
  }
}

/* ---- one round ------------------------------------------------------- */

/* Where each of this round's commands goes: the node an ASK named, or its
 * slot's master. A slot no node serves fails its command. */
static void route(batch *b) {
  size_t kept = 0;
  for (size_t i = 0; i < b->n_todo; i++) {
    pending *p = &b->todo[i];
    const lr__redis_command *cmd = &b->cmds[p->cmd];
    if (!p->asking)
      p->node = b->c->map.owner[lr__redis_key_slot(cmd->key, cmd->key_len)];
    if (p->node >= 0) {
      b->todo[kept++] = *p;
      continue;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "no node of the cluster serves slot %u (of "
             "the key of %s): the cluster is down or resharding",
             lr__redis_key_slot(cmd->key, cmd->key_len), cmd->argv[0]);
    answer_error(b, p, LR_EIO, msg);
  }
  b->n_todo = kept;
}

/* Orders this round's commands by node, keeping their order within each
 * node (a counting sort): a node's replies come in the order it was sent
 * its commands. */
static int group_by_node(batch *b) {
  size_t n_nodes = b->c->map.n_nodes;
  size_t *start = calloc(n_nodes + 1, sizeof *start);
  pending *sorted = malloc((b->n_todo ? b->n_todo : 1) * sizeof *sorted);
  if (!start || !sorted) {
    free(start);
    free(sorted);
    return LR_ENOMEM;
  }
  for (size_t i = 0; i < b->n_todo; i++)
    start[b->todo[i].node + 1]++;
  for (size_t k = 0; k < n_nodes; k++)
    start[k + 1] += start[k];
  for (size_t i = 0; i < b->n_todo; i++)
    sorted[start[b->todo[i].node]++] = b->todo[i];
  memcpy(b->todo, sorted, b->n_todo * sizeof *sorted);
  free(start);
  free(sorted);
  return 0;
}

/* Fails the commands todo[from, to) with `message` (code rc). */
static void fail_range(batch *b, size_t from, size_t to, int rc,
                       const char *message) {
  for (size_t i = from; i < to; i++)
    answer_error(b, &b->todo[i], rc, message);
}

/* Queues todo[from, to) (one node's commands) in its connection's output
 * buffer and writes it all. Returns 0, or the failure in `err` (the
 * connection dropped). */
static int send_part(batch *b, lr__redis_node *node, size_t from, size_t to,
                     lr__buf *err) {
  int rc = lr__redis_node_connect(node, &b->c->conn, err);
  for (size_t i = from; !rc && i < to; i++) {
    const lr__redis_command *cmd = &b->cmds[b->todo[i].cmd];
    if ((b->todo[i].asking &&
         redisAppendCommand(node->ctx, "ASKING") != REDIS_OK) ||
        redisAppendCommandArgv(node->ctx, cmd->argc, (const char **)cmd->argv,
                               cmd->argvlen) != REDIS_OK)
      rc = lr__redis_node_io_error(node, "the batch", &b->c->conn, err);
  }
  int done = 0;
  while (!rc && !done)
    if (redisBufferWrite(node->ctx, &done) != REDIS_OK)
      rc = lr__redis_node_io_error(node, "the batch", &b->c->conn, err);
  return rc;
}

/* Reads one reply from `node` into *r: 0, or the failure in `err`. */
static int read_reply(batch *b, lr__redis_node *node, redisReply **r,
                      lr__buf *err) {
  *r = NULL;
  if (redisGetReply(node->ctx, (void **)r) == REDIS_OK && *r)
    return 0;
  return lr__redis_node_io_error(node, "the batch", &b->c->conn, err);
}

/* Reads the replies to todo[from, to) from `node`, in order. A lost
 * connection fails the commands not answered yet. */
static void read_part(batch *b, lr__redis_node *node, size_t from,
                      size_t to) {
  lr__buf err;
  lr__buf_init(&err);
  for (size_t i = from; i < to; i++) {
    const pending *p = &b->todo[i];
    redisReply *r = NULL;
    int rc = p->asking ? read_reply(b, node, &r, &err) : 0;
    freeReplyObject(r); /* ASKING's +OK */
    if (!rc)
      rc = read_reply(b, node, &r, &err);
    if (rc) {
      fail_range(b, i, to, rc, lr__buf_str(&err));
      break;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      on_error_reply(b, p, node, r);
      freeReplyObject(r);
    } else {
      answer_reply(b, p, r);
    }
  }
  lr__buf_free(&err);
}

/* The end of node todo[from]'s part: the first command past it that goes
 * elsewhere. */
static size_t part_end(const batch *b, size_t from) {
  size_t to = from;
  while (to < b->n_todo && b->todo[to].node == b->todo[from].node)
    to++;
  return to;
}

/* One round: route, send every node its part, then read every part. A
 * node that cannot be reached fails its part (and the next round or
 * batch reloads the map). */
static int run_round(batch *b) {
  route(b);
  if (group_by_node(b))
    return LR_ENOMEM;
  char *sent = calloc(b->n_todo ? b->n_todo : 1, 1);
  if (!sent)
    return LR_ENOMEM;
  lr__redis_sigpipe guard;
  lr__redis_sigpipe_block(&guard);
  lr__buf err;
  lr__buf_init(&err);
  for (size_t from = 0, to; from < b->n_todo; from = to) {
    to = part_end(b, from);
    lr__redis_node *node = b->c->map.nodes[b->todo[from].node];
    int rc = send_part(b, node, from, to, &err);
    if (rc) {
      fail_range(b, from, to, rc, lr__buf_str(&err));
      b->c->map_stale = b->c->cluster;
    }
    sent[from] = !rc;
  }
  for (size_t from = 0, to; from < b->n_todo; from = to) {
    to = part_end(b, from);
    if (sent[from])
      read_part(b, b->c->map.nodes[b->todo[from].node], from, to);
  }
  lr__redis_sigpipe_restore(&guard);
  lr__buf_free(&err);
  free(sent);
  return 0;
}

/* ---- the batch ------------------------------------------------------- */

/* Reloads the map when a redirection or a lost node said it changed; a
 * reload that fails keeps the map as the redirections left it. */
static void refresh_map(lr__redis_cluster *c) {
  if (!c->map_stale)
    return;
  lr__buf err;
  lr__buf_init(&err);
  if (lr__redis_slotmap_load(&c->map, &c->conn, &err) == 0)
    c->map_stale = 0;
  lr__buf_free(&err);
}

/* Fails the commands the rounds ran out on, naming their last
 * redirection. */
static void fail_redirected(batch *b) {
  for (size_t i = 0; i < b->n_todo; i++) {
    const pending *p = &b->todo[i];
    char msg[256];
    snprintf(msg, sizeof msg, "%s was still redirected after %d tries "
             "(the last answer: %s)", b->cmds[p->cmd].argv[0],
             b->c->max_redirects + 1, p->redirect);
    answer_error(b, p, LR_EIO, msg);
  }
}

/* The batch's result: 0, or the first failure with the count. */
static int summary(const batch *b, lr__buf *err) {
  if (!b->failed)
    return 0;
  const lr__redis_answer *a = &b->answers[b->first_failed];
  return lr__errmsg_set(err, b->first_rc, "%zu of %zu commands failed; the "
                        "first, command %zu: %s", b->failed, b->n,
                        b->first_failed, a->error ? a->error
                                                  : "out of memory");
}

int lr__redis_cluster_batch(lr__redis_cluster *c,
                            const lr__redis_command *cmds, size_t n,
                            lr__redis_answer *answers, lr__buf *err) {
  batch b = {.c = c, .cmds = cmds, .answers = answers, .n = n};
  memset(answers, 0, n * sizeof *answers);
  b.todo = malloc((n ? n : 1) * sizeof *b.todo);
  b.next = malloc((n ? n : 1) * sizeof *b.next);
  int rc = b.todo && b.next ? 0 : LR_ENOMEM;
  for (size_t i = 0; !rc && i < n; i++)
    b.todo[i] = (pending){.cmd = i, .node = -1};
  b.n_todo = n;
  for (int round = 0; !rc && b.n_todo && round <= c->max_redirects;
       round++) {
    if (c->cluster)
      refresh_map(c);
    if (b.pause)
      usleep(TRYAGAIN_PAUSE_MS * 1000 * (unsigned)round);
    b.n_next = 0;
    b.pause = 0;
    rc = run_round(&b);
    pending *swap = b.todo;
    b.todo = b.next;
    b.next = swap;
    b.n_todo = b.n_next;
  }
  if (!rc)
    fail_redirected(&b);
  free(b.todo);
  free(b.next);
  return rc ? lr__errmsg_set(err, rc, "out of memory") : summary(&b, err);
}

/* ---- commands of no key --------------------------------------------- */

size_t lr__redis_cluster_masters(lr__redis_cluster *c, int *out,
                                 size_t cap) {
  refresh_map(c);
  size_t n = 0;
  for (size_t node = 0; node < c->map.n_nodes; node++) {
    int serves = 0;
    for (int slot = 0; slot < LR__REDIS_SLOTS && !serves; slot++)
      serves = c->map.owner[slot] == (int)node;
    if (serves && n < cap)
      out[n] = (int)node;
    n += serves;
  }
  return n;
}

int lr__redis_cluster_call_on(lr__redis_cluster *c, int node, int argc,
                              const char **argv, const size_t *argvlen,
                              redisReply **out, lr__buf *err) {
  return lr__redis_node_call(c->map.nodes[node], &c->conn, argc, argv,
                             argvlen, out, err);
}

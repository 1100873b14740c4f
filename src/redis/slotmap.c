/*
 * slotmap.c - which node serves which slot (slotmap.h).
 */
#include "slotmap.h"

#include <stdlib.h>
#include <string.h>

#include "larder.h"

void lr__redis_slotmap_init(lr__redis_slotmap *m) {
  m->nodes = NULL;
  m->n_nodes = m->cap = 0;
  lr__redis_slotmap_assign_all(m, -1);
}

void lr__redis_slotmap_free(lr__redis_slotmap *m) {
  for (size_t i = 0; i < m->n_nodes; i++)
    lr__redis_node_free(m->nodes[i]);
  free(m->nodes);
  lr__redis_slotmap_init(m);
}

int lr__redis_slotmap_node(lr__redis_slotmap *m, const char *host,
                           size_t host_len, int port) {
  for (size_t i = 0; i < m->n_nodes; i++)
    if (m->nodes[i]->port == port && strlen(m->nodes[i]->host) == host_len &&
        !memcmp(m->nodes[i]->host, host, host_len))
      return (int)i;
  if (m->n_nodes == INT16_MAX)
    return -1;
  if (m->n_nodes == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    lr__redis_node **grown = realloc(m->nodes, cap * sizeof *grown);
    if (!grown)
      return -1;
    m->nodes = grown;
    m->cap = cap;
  }
  lr__redis_node *n = lr__redis_node_new(host, host_len, port);
  if (!n)
    return -1;
  m->nodes[m->n_nodes] = n;
  return (int)m->n_nodes++;
}

void lr__redis_slotmap_assign_all(lr__redis_slotmap *m, int node) {
  for (int s = 0; s < LR__REDIS_SLOTS; s++)
    m->owner[s] = (int16_t)node;
}

/* 1 when `r` is a range of CLUSTER SLOTS: [START, END, [IP, PORT, ...],
 * ...] with 0 <= START <= END < 16384. */
static int is_range(const redisReply *r) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3)
    return 0;
  const redisReply *start = r->element[0], *end = r->element[1],
                   *master = r->element[2];
  return start->type == REDIS_REPLY_INTEGER &&
         end->type == REDIS_REPLY_INTEGER && start->integer >= 0 &&
         start->integer <= end->integer && end->integer < LR__REDIS_SLOTS &&
         master->type == REDIS_REPLY_ARRAY && master->elements >= 2 &&
         master->element[0]->type == REDIS_REPLY_STRING &&
         master->element[1]->type == REDIS_REPLY_INTEGER &&
         master->element[1]->integer > 0 &&
         master->element[1]->integer <= 65535;
}

/* Reads CLUSTER SLOTS' answer `r`, given by node `asked`, into `owner`.
 * A master with no address it knows ("" or "?") is at the asked node's
 * host. */
static int read_ranges(lr__redis_slotmap *m, size_t asked,
                       const redisReply *r, int16_t *owner, lr__buf *err) {
  if (r->type != REDIS_REPLY_ARRAY)
    return lr__errmsg_set(err, LR_EIO, "%s answered CLUSTER SLOTS with "
                          "something other than a list of ranges",
                          m->nodes[asked]->name);
  for (size_t i = 0; i < r->elements; i++) {
    const redisReply *range = r->element[i];
    if (!is_range(range))
      return lr__errmsg_set(err, LR_EIO, "%s answered CLUSTER SLOTS with a "
                            "range Larder cannot read (entry %zu)",
                            m->nodes[asked]->name, i);
    const redisReply *ip = range->element[2]->element[0];
    const char *host = ip->str;
    size_t host_len = ip->len;
    if (host_len == 0 || !strcmp(host, "?")) {
      host = m->nodes[asked]->host;
      host_len = strlen(host);
    }
    int node = lr__redis_slotmap_node(m, host, host_len,
                                      (int)range->element[2]->element[1]
                                          ->integer);
    if (node < 0)
      return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
    for (long long s = range->element[0]->integer;
         s <= range->element[1]->integer; s++)
      owner[s] = (int16_t)node;
  }
  return 0;
}

/* Asks node `i` for the map: 0 and the map in `owner`, or its failure. */
static int ask_node(lr__redis_slotmap *m, size_t i,
                    const lr__redis_conn_options *o, int16_t *owner,
                    lr__buf *err) {
  static const char *const argv[] = {"CLUSTER", "SLOTS"};
  redisReply *r = NULL;
  int rc = lr__redis_node_call(m->nodes[i], o, 2, (const char **)argv, NULL,
                               &r, err);
  if (!rc) {
    for (int s = 0; s < LR__REDIS_SLOTS; s++)
      owner[s] = -1;
    rc = read_ranges(m, i, r, owner, err);
  }
  freeReplyObject(r);
  return rc;
}

int lr__redis_slotmap_load(lr__redis_slotmap *m,
                           const lr__redis_conn_options *o, lr__buf *err) {
  int16_t *owner = malloc(sizeof m->owner);
  if (!owner)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  lr__buf failures, one;
  lr__buf_init(&failures);
  lr__buf_init(&one);
  int rc = LR_EIO;
  for (size_t i = 0; rc && rc != LR_ENOMEM && i < m->n_nodes; i++) {
    rc = ask_node(m, i, o, owner, &one);
    if (rc)
      lr__buf_printf(&failures, "%s%s", failures.len ? "; " : "",
                     lr__buf_str(&one));
  }
  if (!rc)
    memcpy(m->owner, owner, sizeof m->owner);
  else if (rc != LR_ENOMEM)
    lr__errmsg_set(err, rc, "no node of the cluster gave its slot map "
                   "(CLUSTER SLOTS): %s", lr__buf_str(&failures));
  else
    lr__errmsg_set(err, rc, "out of memory");
  lr__buf_free(&failures);
  lr__buf_free(&one);
  free(owner);
  return rc;
}

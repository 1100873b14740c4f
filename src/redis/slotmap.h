/*
 * slotmap.h - which node serves which slot: the nodes a cluster client
 * knows (the seeds, the masters CLUSTER SLOTS names, the targets of
 * redirections), each with its connection, and for each of the 16384
 * slots the index of its master. The map is loaded from CLUSTER SLOTS,
 * asking the known nodes in turn until one answers; a standalone server
 * serves every slot.
 */
#ifndef LR_REDIS_SLOTMAP_H
#define LR_REDIS_SLOTMAP_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "slot.h"

typedef struct lr__redis_slotmap {
  lr__redis_node **nodes; /* owned; an index never changes */
  size_t n_nodes, cap;
  int16_t owner[LR__REDIS_SLOTS]; /* index into nodes; -1: no node */
} lr__redis_slotmap;

/* An empty map: no nodes, no slot served. */
void lr__redis_slotmap_init(lr__redis_slotmap *m);

/* Closes every connection and frees the nodes. */
void lr__redis_slotmap_free(lr__redis_slotmap *m);

/* The index of node HOST (`host_len` bytes):PORT, added when new; -1 when
 * out of memory. */
int lr__redis_slotmap_node(lr__redis_slotmap *m, const char *host,
                           size_t host_len, int port);

/* Every slot to node `node` (a standalone server). */
void lr__redis_slotmap_assign_all(lr__redis_slotmap *m, int node);

/* Loads the map from CLUSTER SLOTS, asking the known nodes in order until
 * one answers. Returns 0, or LR_EIO with every node's failure in `err`
 * (the map is left as it was). */
int lr__redis_slotmap_load(lr__redis_slotmap *m,
                           const lr__redis_conn_options *o, lr__buf *err);

#endif

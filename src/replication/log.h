/*
 * log.h - the write log a primary appends to and its replicas tail: an
 * ordered sequence of opaque entries, each under a sequence number that
 * the primary assigns (1, 2, 3, ...; contiguous). What an entry holds and
 * how a replica checks it (epoch, chain digest) is entry.h's business; the
 * log only stores and returns bytes in sequence order.
 *
 * Engines sit behind this interface so that another one (Kafka, NATS
 * JetStream) can be added without touching the rest: the URL's scheme
 * picks it. The one there is Redis Streams (log_redis.c, "redis://").
 *
 * A handle is used by one thread at a time; open one per thread. The
 * call that loses the connection returns LR_EIO; the handle's next call
 * connects again first, so a handle outlives a restart of the server.
 */
#ifndef LR_REPLICATION_LOG_H
#define LR_REPLICATION_LOG_H

#include <stddef.h>

#include "../util/buf.h"

typedef struct lr__log lr__log;

/* One entry as read. `more`: how many entries of the same answer follow
 * it in this read; `data` stays valid until the callback has returned for
 * the last of them (more 0), so a reader may keep the entries of one
 * answer and apply them together. */
typedef struct lr__log_entry {
  unsigned long long seq;
  const void *data;
  size_t len;
  int more;
} lr__log_entry;

/* Connects to the log at `url` ("redis://HOST:PORT[/DB]") holding stream
 * `stream`. `retention`: about how many entries the log keeps (older ones
 * are trimmed as new ones are appended); 0 keeps everything. `timeout_ms`
 * bounds connecting and each command. Returns 0; LR_EINVAL (a malformed
 * URL or an unknown scheme, named in the message; no stream; timeout_ms
 * below 1); LR_EIO (unreachable: the message names the address and the
 * fix). *out is NULL unless 0 is returned. */
int lr__log_open(const char *url, const char *stream,
                 unsigned long long retention, int timeout_ms, lr__log **out,
                 lr__buf *err);

/* Closes the connection and frees the handle; NULL is allowed. */
void lr__log_close(lr__log *log);

/* Appends `data` as entry `seq`. Returns 0; LR_EEXISTS when the log holds
 * an entry at `seq` or later already (nothing appended: the caller decides
 * whether it is the same one); LR_EINVAL for seq 0; LR_EIO. Entries must
 * be appended in increasing order; a gap is allowed (the log does not
 * check contiguity: replicas do). */
int lr__log_append(lr__log *log, unsigned long long seq, const void *data,
                   size_t len, lr__buf *err);

/* The first and last sequence numbers the log holds now (both 0 when it
 * is empty or missing). Returns 0 or LR_EIO. */
int lr__log_bounds(lr__log *log, unsigned long long *first,
                   unsigned long long *last, lr__buf *err);

/* Reads up to `max` entries after sequence number `after`, in order,
 * calling each(ctx, entry) for each (a nonzero return stops the read and
 * is returned). When there is none yet, waits up to `block_ms` for one
 * (0: do not wait). Returns 0 (also when nothing came), the callback's
 * value, LR_EINVAL (max below 1, block_ms below 0), or LR_EIO (also for
 * an entry Larder did not write). */
int lr__log_read(lr__log *log, unsigned long long after, int max,
                 int block_ms, int (*each)(void *ctx, const lr__log_entry *e),
                 void *ctx, lr__buf *err);

/* The entry at `seq` exactly: 0 and a copy in `out` (replaced), or
 * LR_ENOTFOUND, or LR_EIO. */
int lr__log_get(lr__log *log, unsigned long long seq, lr__buf *out,
                lr__buf *err);

#endif

/*
 * rstore.h - the online store on Redis or Redis Cluster: the same packed
 * rows as the LMDB store (codec/row.h), bucketed into hashes.
 *
 *   PREFIX VIEW@EPOCH ":" BUCKET   a hash: field = the encoded entity key
 *                                  (codec/key.h), value = the packed row;
 *                                  BUCKET = a hash of the key modulo the
 *                                  `buckets` setting, so ~100 entities
 *                                  share a hash kept as a listpack
 *   PREFIX "meta"                  a hash of the store-wide records the
 *                                  LMDB store keeps in its meta database
 *                                  (freshness, loads, check counts), and
 *                                  "seq", the version's counter
 *
 * Rows are written by one Lua script (loaded once, called with EVALSHA),
 * which per row compares the stored row's (event, created) times with the
 * new one's and replaces only an older row, then moves the bucket's expiry
 * (PEXPIREAT) to the newest row's event time + the view's ttl + the
 * expire margin. Meta records change under WATCH/MULTI/EXEC on the meta
 * hash. docs/internals/redis.md says why, with the figures.
 *
 * The store owns a pool of clients (src/redis/cluster.h): a lookup or a
 * write takes one, uses it from one thread, and gives it back.
 */
#ifndef LR_ONLINE_RSTORE_H
#define LR_ONLINE_RSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "../redis/cluster.h"
#include "../registry/online_redis.h"
#include "../util/buf.h"

typedef struct lr__rstore lr__rstore;

/* The meta field "db:VIEW@EPOCH" marks a view database written to, so
 * that lr__rstore_sweep finds the ones the registry no longer uses. */
#define LR__RSTORE_DB_FIELD "db:"

/* The meta hash's counter of committed writes (the version's seq). */
#define LR__RSTORE_SEQ "seq"
/* A Redis store has one generation, forever: its versions are (1, seq). */
#define LR__RSTORE_GENERATION 1

/* Opens a store on the servers `cfg` names (copied) and checks that they
 * answer: one client is made and PINGs (a cluster: its slot map is read).
 * Returns 0, or LR_EIO / LR_EINVAL / LR_ENOMEM with the message in `err`
 * (naming the server, and the setting to fix). */
int lr__rstore_open(const lr__online_redis *cfg, lr__rstore **out,
                    lr__buf *err);

/* lr__rstore_open of the online_store block of the repo at `repo` (read
 * with lr__online_redis_load: its problems, file:line:col, in `err`, with
 * LR_EDEFINITION). */
int lr__rstore_open_repo(const char *repo, lr__rstore **out, lr__buf *err);

/* Closes every pooled client and frees the store (NULL: nothing). No
 * client may be out. */
void lr__rstore_close(lr__rstore *rs);

/* A client for the calling thread: a pooled one, or a new one. NULL with
 * the message in `err` when none can be made. Thread-safe. */
lr__redis_cluster *lr__rstore_take(lr__rstore *rs, lr__buf *err);

/* Gives a client back to the pool. Thread-safe. */
void lr__rstore_give(lr__rstore *rs, lr__redis_cluster *c);

/* Appends the bucket key of the row of `key` (len bytes) in database
 * `db_name` to `out`. */
void lr__rstore_bucket_key(const lr__rstore *rs, const char *db_name,
                           const uint8_t *key, size_t len, lr__buf *out);

/* The meta hash's key (PREFIX "meta"). */
const char *lr__rstore_meta_key(const lr__rstore *rs);

/* The prefix of every key of the store (`key_prefix`). */
const char *lr__rstore_prefix(const lr__rstore *rs);

/* 1 when the store is a Redis Cluster (a script's keys must then share a
 * slot), 0 for a standalone server. */
int lr__rstore_is_cluster(const lr__rstore *rs);

/* The expire margin, in milliseconds. */
long long lr__rstore_margin_ms(const lr__rstore *rs);

/* The SHA1 of the write script (for EVALSHA), and its text (for EVAL
 * after a NOSCRIPT: a server restarted or failed over, a node new to the
 * cluster). */
const char *lr__rstore_script_sha(const lr__rstore *rs);
const char *lr__rstore_script_text(void);

/* The store's settings (feature_store.yaml's online_store block). */
const lr__online_redis *lr__rstore_settings(const lr__rstore *rs);

/* Replaces `msg`, a failure of the Redis layer (src/redis: "cannot
 * connect to HOST:PORT: ...", "HOST:PORT refused EVALSHA: OOM ...", maybe
 * after a batch's "K of N commands failed; the first, command I: "), with
 * what it means for the store and the fix ("Redis at HOST:PORT refused
 * the write: its maxmemory is reached (OOM); raise maxmemory or free
 * memory"); `writing`: the failure ended a write, so the message adds
 * that writing again is safe (newer wins). rstore_error.c. */
void lr__rstore_explain(const lr__rstore *rs, int writing, lr__buf *msg);

/* Where the store is, for messages: "redis://HOST:PORT/DB" or "the Redis
 * Cluster at HOST:PORT, ...". */
const char *lr__rstore_where(const lr__rstore *rs);

/* Runs one command (argv form) on the meta hash's node with client `c`
 * (the caller's thread's); a->reply or a->error is the caller's to clear
 * (lr__redis_answers_clear). Returns as lr__redis_cluster_batch. */
int lr__rstore_meta_command(lr__rstore *rs, lr__redis_cluster *c, int argc,
                            const char **argv, lr__redis_answer *a,
                            lr__buf *err);

/* Reads meta record `field` into `value` (replacing its content). Returns
 * 0, LR_ENOTFOUND (no such record), or LR_EIO / LR_ENOMEM with the
 * message in `err`. Thread-safe. */
int lr__rstore_meta_read(lr__rstore *rs, const char *field, lr__buf *value,
                         lr__buf *err);

/* The version counter now (0: nothing written yet). Thread-safe. */
int lr__rstore_seq(lr__rstore *rs, unsigned long long *seq, lr__buf *err);

/* PINGs the server of the meta hash (the health check). Thread-safe. */
int lr__rstore_ping(lr__rstore *rs, lr__buf *err);

/* Removes every key under the store's prefix on every master (SCAN MATCH,
 * UNLINK), or with `check` only counts them; *n_keys gets the count. Keys
 * written meanwhile may stay: call it with no writer running. Returns 0,
 * or LR_EIO / LR_ENOMEM with the message in `err` (some keys may be gone
 * then: running it again removes the rest). */
int lr__rstore_teardown(lr__rstore *rs, int check, unsigned long long *n_keys,
                        lr__buf *err);

/* Removes the buckets and the meta records (fields ending ":NAME") of
 * every view database NAME marked written (LR__RSTORE_DB_FIELD) for which
 * is_stale(ctx, NAME) says 1. For a read-write
 * open: the LMDB store drops such databases then too. Keys a writer of
 * the old registry writes meanwhile may stay (the next sweep takes them).
 * Returns 0, or LR_EIO / LR_ENOMEM with the message in `err`. */
int lr__rstore_sweep(lr__rstore *rs, int (*is_stale)(void *ctx, const char *),
                     void *ctx, lr__buf *err);

/* A change of meta records: given the records `fields` hold now (`old`,
 * an HMGET reply: one string or nil each), appends the records to set to
 * `puts` with lr__rstore_meta_put. Returns 0 or a status (the change is
 * then not made). */
typedef int (*lr__rstore_meta_fn)(void *ctx, const redisReply *old,
                                  lr__buf *puts);

/* Appends "set field to value (len bytes)" to a change's `puts`. */
void lr__rstore_meta_put(lr__buf *puts, const char *field, const void *value,
                         size_t len);

/* Changes meta records atomically, optimistically: WATCH the meta hash,
 * read `fields` (n of them), let `change` compute the records to set, then
 * MULTI, HSET them (and with `bump_seq` HINCRBY seq 1), EXEC; when another
 * writer changed the hash between, the change is computed again (up to
 * 50 times). Uses client `c` (the caller's thread's). Returns 0, or a
 * status with the message in `err`. */
int lr__rstore_meta_change(lr__rstore *rs, lr__redis_cluster *c,
                           const char *const *fields, int n,
                           lr__rstore_meta_fn change, void *ctx, int bump_seq,
                           lr__buf *err);

#endif

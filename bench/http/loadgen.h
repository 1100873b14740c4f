/*
 * loadgen.h - what the parts of the load generator (bench/http/loadgen.c)
 * share: the values the benchmark's entities hold, the verdict on one
 * answer, and the two protocols it speaks (HTTP/1.1 to the feature server,
 * bench/http/loadgen_http.c; RESP to Redis in Feast's layout,
 * bench/http/loadgen_redis.c), each a request writer and an answer reader
 * that the event loop drives without knowing which it is.
 */
#ifndef LR_BENCH_LOADGEN_H
#define LR_BENCH_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

enum { LG_FEATURES = 20, LG_MAX_BATCH = 1000 };

/* Feature f (0..19) of entity `id`, as bench/online_lookup.c writes it into
 * Larder's store and `loadgen redis-gen` into Redis. */
static inline float lg_feature_value(long long id, int f) {
  return (float)((id * 31 + f) % 1000) / 1000.0f;
}

/* Feast's Redis key of an entity: 35 bytes and the project's 5. */
enum { LG_FEAST_KEY_LEN = 40, LG_FEAST_HMGET_ARGS = 1 + LG_FEATURES + 1 };

/* The arguments of the HMGET Feast's online store sends for entity `id`
 * (after "HMGET": the key, written into `key`, then the 20 features'
 * fields and "_ts:user_stats"), into args/lens (LG_FEAST_HMGET_ARGS
 * each). Returns how many. */
int lg_feast_hmget(long long id, unsigned char key[LG_FEAST_KEY_LEN],
                   const unsigned char **args, size_t *lens);

/* What one answer said. */
typedef struct lg_verdict {
  int error;  /* 1: a wrong answer (status, shape, keys or values) */
  int misses; /* entities asked that the server does not hold */
} lg_verdict;

/* One protocol. */
typedef struct lg_protocol {
  const char *name; /* the report's system=: "http" or "redis" */
  /* The most bytes a request of `batch` entities takes. */
  size_t (*request_cap)(int batch);
  /* Writes the request for entities ids[0..batch) into `out` (at least
   * request_cap(batch) bytes) and returns its length; `port` is the
   * server's, for HTTP's Host header. */
  size_t (*write_request)(char *out, const long long *ids, int batch,
                          int port);
  /* Reads the answer to that request from the `len` bytes at `in`, which
   * are followed by a readable NUL (in[len] == 0). Returns the answer's
   * length when it is all there (filling *v), 0 when more bytes are
   * needed, -1 when the bytes cannot be an answer (the connection is out
   * of step and must be dropped). */
  long (*read_answer)(const char *in, size_t len, const long long *ids,
                      int batch, lg_verdict *v);
} lg_protocol;

extern const lg_protocol lg_http, lg_redis;

/* Feast's Redis layout (bench/http/loadgen_redis.c): prints the HSETs of
 * entities 0..n-1 in Redis' protocol, for `redis-cli --pipe`; prints one
 * HMGET of entity `id` as redis-cli reads it from stdin; MurmurHash3_x86_32
 * with seed 0, which names the fields. */
int lg_redis_gen(long long n);
int lg_redis_command(long long id);
uint32_t lg_mmh3_32(const void *key, size_t len);

/* Checks the answer readers and the latency histogram; prints one line per
 * check and returns 0 when all pass (bench/http/loadgen_selftest.c). */
int lg_selftest(void);

#endif

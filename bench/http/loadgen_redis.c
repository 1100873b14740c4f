/*
 * loadgen_redis.c - Redis in Feast's layout for the benchmark's entities:
 * the data (`loadgen redis-gen`, `loadgen redis-command`) and the load
 * generator's RESP protocol, which reads it as Feast's Redis online store
 * does: one HMGET per entity, a request's BATCH HMGETs pipelined.
 *
 * Layout (feast/infra/online_stores/redis.py, entity key serialization v3):
 *   key    = serialize_entity_key({user_id: int64}) + b"bench" (the project):
 *            <I 1> <I STRING=2> <I 7> "user_id" <I INT64=4> <I 8> <q id>
 *   fields = mmh3_32("user_stats:fNN") as 4 little-endian bytes, each
 *            holding a serialized ValueProto{float_val} (5 bytes: tag 0x35 +
 *            the float), and "_ts:user_stats" holding a serialized
 *            Timestamp{seconds} (6 bytes).
 * Values are the ones bench/online_lookup.c writes (lg_feature_value).
 *
 * An answer is BATCH arrays of 21 bulk strings (the 20 features, then
 * _ts). A key Redis does not hold answers 21 nils: a miss. Any other shape,
 * an error reply, a missing _ts or a wrong value of the feature checked
 * (feature id % 20 of entity id, so that every feature is checked over a
 * run) makes the answer an error.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loadgen.h"

enum { FIELDS = LG_FEATURES + 1, KEY_LEN = LG_FEAST_KEY_LEN };

/* Rotates x left by r bits. */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* MurmurHash3_x86_32, seed 0: what Python's mmh3.hash(s, signed=False)
 * returns and Feast's _mmh3 packs little-endian. */
uint32_t lg_mmh3_32(const void *key, size_t len) {
  const uint8_t *data = key;
  size_t nblocks = len / 4;
  uint32_t h1 = 0, c1 = 0xcc9e2d51, c2 = 0x1b873593, k1;
  for (size_t i = 0; i < nblocks; i++) {
    memcpy(&k1, data + i * 4, 4);
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const uint8_t *tail = data + nblocks * 4;
  k1 = 0;
  switch (len & 3) {
  case 3: k1 ^= (uint32_t)tail[2] << 16; /* fall through */
  case 2: k1 ^= (uint32_t)tail[1] << 8;  /* fall through */
  case 1:
    k1 ^= tail[0];
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= (uint32_t)len;
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6b;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35;
  h1 ^= h1 >> 16;
  return h1;
}

/* Writes `v` little-endian at p. */
static void put_u32le(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Feast's Redis key of user_id = id in project "bench". */
static void entity_key(long long id, unsigned char *k) {
  put_u32le(k, 1);      /* number of join keys (v3) */
  put_u32le(k + 4, 2);  /* ValueType.STRING */
  put_u32le(k + 8, 7);  /* len("user_id") (v3) */
  memcpy(k + 12, "user_id", 7);
  put_u32le(k + 19, 4); /* ValueType.INT64 */
  put_u32le(k + 23, 8);
  uint64_t u = (uint64_t)id;
  for (int i = 0; i < 8; i++)
    k[27 + i] = (unsigned char)(u >> (8 * i));
  memcpy(k + 35, "bench", 5);
}

/* The hash field names, made once: the 20 features' and "_ts:user_stats". */
static unsigned char field_names[FIELDS][16];
static size_t field_lens[FIELDS];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

/* Fills the field names (once, by need_fields). */
static void make_fields(void) {
  for (int f = 0; f < LG_FEATURES; f++) {
    char ref[32];
    int n = snprintf(ref, sizeof ref, "user_stats:f%02d", f);
    put_u32le(field_names[f], lg_mmh3_32(ref, (size_t)n));
    field_lens[f] = 4;
  }
  memcpy(field_names[LG_FEATURES], "_ts:user_stats", 14);
  field_lens[LG_FEATURES] = 14;
}

/* Makes the field names if no one has yet. */
static void need_fields(void) { pthread_once(&fields_once, make_fields); }

/* Prints bulk string `p` (`len` bytes) in Redis' protocol. */
static void put_bulk(FILE *out, const void *p, size_t len) {
  fprintf(out, "$%zu\r\n", len);
  fwrite(p, 1, len, out);
  fputs("\r\n", out);
}

/* HSET key field value ... for every entity, in Redis' protocol. */
int lg_redis_gen(long long n) {
  need_fields();
  uint64_t secs = (uint64_t)time(NULL);
  unsigned char ts[16];
  size_t ts_len = 0;
  ts[ts_len++] = 0x08; /* Timestamp.seconds, varint */
  for (uint64_t v = secs;; v >>= 7) {
    ts[ts_len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f)
      break;
  }
  static char iobuf[1 << 20];
  setvbuf(stdout, iobuf, _IOFBF, sizeof iobuf);
  for (long long id = 0; id < n; id++) {
    unsigned char key[KEY_LEN];
    entity_key(id, key);
    fprintf(stdout, "*%d\r\n$4\r\nHSET\r\n", 2 + 2 * FIELDS);
    put_bulk(stdout, key, KEY_LEN);
    for (int f = 0; f < LG_FEATURES; f++) {
      unsigned char val[5] = {0x35}; /* ValueProto.float_val, fixed32 */
      float v = lg_feature_value(id, f);
      memcpy(val + 1, &v, 4);
      put_bulk(stdout, field_names[f], field_lens[f]);
      put_bulk(stdout, val, sizeof val);
    }
    put_bulk(stdout, field_names[LG_FEATURES], field_lens[LG_FEATURES]);
    put_bulk(stdout, ts, ts_len);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}

int lg_feast_hmget(long long id, unsigned char key[LG_FEAST_KEY_LEN],
                   const unsigned char **args, size_t *lens) {
  need_fields();
  entity_key(id, key);
  args[0] = key;
  lens[0] = KEY_LEN;
  for (int f = 0; f < FIELDS; f++) {
    args[1 + f] = field_names[f];
    lens[1 + f] = field_lens[f];
  }
  return 1 + FIELDS;
}

/* Prints one HMGET of entity `id` (its 20 features and _ts) in the syntax
 * redis-cli reads from stdin: each argument quoted, bytes as \xHH. */
int lg_redis_command(long long id) {
  unsigned char key[KEY_LEN];
  const unsigned char *args[1 + FIELDS];
  size_t lens[1 + FIELDS];
  lg_feast_hmget(id, key, args, lens);
  fputs("HMGET", stdout);
  for (int a = 0; a < 1 + FIELDS; a++) {
    fputs(" \"", stdout);
    for (size_t i = 0; i < lens[a]; i++)
      printf("\\x%02x", args[a][i]);
    fputs("\"", stdout);
  }
  putchar('\n');
  return 0;
}

/* ---- the protocol ------------------------------------------------------ */

/* One HMGET: "*22\r\n$5\r\nHMGET\r\n" (16), the key (47), 20 features of
 * 10 bytes and _ts (21); 300 leaves room. */
static size_t redis_request_cap(int batch) { return 300 * (size_t)batch; }

/* Appends bulk string `p` (`len` bytes) at `out`; returns its end. */
static char *put_bulk_mem(char *out, const void *p, size_t len) {
  out += sprintf(out, "$%zu\r\n", len);
  memcpy(out, p, len);
  memcpy(out + len, "\r\n", 2);
  return out + len + 2;
}

/* Writes BATCH pipelined HMGETs of the 20 features and _ts (see
 * loadgen.h). */
static size_t redis_write_request(char *out, const long long *ids, int batch,
                                  int port) {
  (void)port;
  need_fields();
  char *p = out;
  for (int e = 0; e < batch; e++) {
    unsigned char key[KEY_LEN];
    entity_key(ids[e], key);
    p += sprintf(p, "*%d\r\n$5\r\nHMGET\r\n", 2 + FIELDS);
    p = put_bulk_mem(p, key, KEY_LEN);
    for (int f = 0; f < FIELDS; f++)
      p = put_bulk_mem(p, field_names[f], field_lens[f]);
  }
  return (size_t)(p - out);
}

/* Reads the line of type `type` at *p ("*21\r\n", "$5\r\n") up to `end`:
 * its number into *n and *p past it. 0 when read, 1 when the line is not
 * all there yet, -1 when it is not such a line. */
static int read_count(const char **p, const char *end, char type,
                      long long *n) {
  const char *eol = memchr(*p, '\n', (size_t)(end - *p));
  if (!eol)
    return 1;
  char *stop;
  if (**p != type || eol - *p < 3 || eol[-1] != '\r')
    return -1;
  *n = strtoll(*p + 1, &stop, 10);
  if (stop != eol - 1)
    return -1;
  *p = eol + 1;
  return 0;
}

/* Reads one HMGET reply of entity `id` at *p: 0 read (*p past it, the
 * verdict added to *v), 1 not all there, -1 out of step. */
static int read_reply(const char **p, const char *end, long long id,
                      lg_verdict *v) {
  long long n, len;
  int rc;
  if (*p < end && **p == '-') { /* an error reply: one line */
    const char *eol = memchr(*p, '\n', (size_t)(end - *p));
    if (!eol)
      return 1;
    *p = eol + 1;
    v->error = 1;
    return 0;
  }
  if ((rc = read_count(p, end, '*', &n)) != 0)
    return rc;
  if (n != FIELDS)
    v->error = 1;
  int nils = 0, checked = (int)(id % LG_FEATURES);
  for (long long i = 0; i < n; i++) {
    if ((rc = read_count(p, end, '$', &len)) != 0)
      return rc;
    if (len < 0) {
      nils++;
      continue;
    }
    if (end - *p < len + 2)
      return 1;
    if ((*p)[len] != '\r' || (*p)[len + 1] != '\n')
      return -1;
    float got, want = lg_feature_value(id, checked);
    if (i == checked && (len != 5 || (unsigned char)**p != 0x35 ||
                         (memcpy(&got, *p + 1, 4), got != want)))
      v->error = 1;
    *p += len + 2;
  }
  if (nils == FIELDS)
    v->misses++;
  else if (nils)
    v->error = 1; /* a held key lacks a field or its _ts */
  return 0;
}

/* Reads the BATCH replies of one request (see loadgen.h). */
static long redis_read_answer(const char *in, size_t len,
                              const long long *ids, int batch,
                              lg_verdict *v) {
  const char *p = in, *end = in + len;
  *v = (lg_verdict){0};
  for (int e = 0; e < batch; e++) {
    int rc = read_reply(&p, end, ids[e], v);
    if (rc)
      return rc > 0 ? 0 : -1;
  }
  return (long)(p - in);
}

const lg_protocol lg_redis = {"redis", redis_request_cap, redis_write_request,
                              redis_read_answer};

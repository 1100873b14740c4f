/*
 * redis_layout.c - the layouts a Redis online store could use for Larder's
 * packed rows, written in Redis' protocol for `redis-cli --pipe`, so that
 * bench/redis_layout.sh can measure each one's used_memory per entity
 * (docs/internals/redis.md, "layout: the figures").
 *
 *   redis_layout rows N [TTL_S]   one string per entity: SET KEY ROW (with
 *                                 PXAT now + TTL_S seconds when given)
 *   redis_layout buckets N FIELDS one hash per bucket of about FIELDS
 *                                 entities: HSET BUCKET KEY ROW
 *
 * Entity ID (0..N-1) has the benchmark's 20 float32 features, the values
 * bench/online_lookup.c and bench/http/redis_load.c write
 * ((id*31+f)%1000/1000), packed by the row codec (src/codec/row.h) as the
 * LMDB store packs them: an event time, no created time, the checksum:
 * 92 bytes. Its encoded key (src/codec/key.h, an int64 join key) is 8
 * bytes. Keys carry a 6-byte prefix, "bench" (the project, as Feast's
 * keys carry it) and one byte for the view:
 *   rows:    PREFIX + encoded key                         (14 bytes)
 *   buckets: PREFIX + bucket, 4 bytes big-endian (10 bytes); the field is
 *            the encoded key; the bucket is CRC-32C(encoded key) modulo
 *            N / FIELDS, so that any key type spreads evenly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/crc32c.h"
#include "codec/key.h"
#include "codec/row.h"
#include "util/dtype.h"

enum { FEATURES = 20 };
static const char PREFIX[] = "bench\x01";
#define PREFIX_LEN 6

static float feature_value(long long id, int f) {
  return (float)((id * 31 + f) % 1000) / 1000.0f;
}

static void put_bulk(const void *p, size_t len) {
  fprintf(stdout, "$%zu\r\n", len);
  fwrite(p, 1, len, stdout);
  fputs("\r\n", stdout);
}

/* Entity id's packed row, into `row`. */
static void pack(long long id, int64_t event_us, lr__buf *row) {
  static uint8_t types[FEATURES];
  lr__cell cells[FEATURES];
  for (int f = 0; f < FEATURES; f++) {
    types[f] = LR__DT_FLOAT32;
    cells[f] = (lr__cell){.v.f32 = feature_value(id, f)};
  }
  lr__buf_reset(row);
  lr__row_encode(types, FEATURES, cells, event_us, LR__ROW_NO_CREATED, row);
}

/* Entity id's encoded key (8 bytes). */
static size_t encode_key(long long id, uint8_t *out) {
  lr__keypart part = {.dtype = LR__DT_INT64, .i = id};
  return lr__key_encode(&part, 1, out);
}

/* SET PREFIX+KEY ROW [PXAT at] for every entity. */
static int rows(long long n, long long ttl_s) {
  int64_t now_us = (int64_t)time(NULL) * 1000000;
  lr__buf row;
  lr__buf_init(&row);
  for (long long id = 0; id < n; id++) {
    uint8_t key[PREFIX_LEN + LR__KEY_MAX];
    memcpy(key, PREFIX, PREFIX_LEN);
    size_t len = PREFIX_LEN + encode_key(id, key + PREFIX_LEN);
    pack(id, now_us, &row);
    fprintf(stdout, "*%d\r\n$3\r\nSET\r\n", ttl_s ? 5 : 3);
    put_bulk(key, len);
    put_bulk(row.data, row.len);
    if (ttl_s) {
      char at[32];
      int at_len = snprintf(at, sizeof at, "%lld",
                            (long long)(now_us / 1000) + ttl_s * 1000);
      put_bulk("PXAT", 4);
      put_bulk(at, (size_t)at_len);
    }
  }
  lr__buf_free(&row);
  return fflush(stdout) == 0 ? 0 : 1;
}

/* HSET PREFIX+BUCKET KEY ROW for every entity. */
static int buckets(long long n, long long fields) {
  int64_t now_us = (int64_t)time(NULL) * 1000000;
  uint32_t n_buckets = (uint32_t)(n / fields > 0 ? n / fields : 1);
  lr__buf row;
  lr__buf_init(&row);
  for (long long id = 0; id < n; id++) {
    uint8_t field[LR__KEY_MAX], bucket[PREFIX_LEN + 4];
    size_t len = encode_key(id, field);
    uint32_t b = lr__crc32c(field, len) % n_buckets;
    memcpy(bucket, PREFIX, PREFIX_LEN);
    for (int i = 0; i < 4; i++)
      bucket[PREFIX_LEN + i] = (uint8_t)(b >> (24 - 8 * i));
    pack(id, now_us, &row);
    fputs("*4\r\n$4\r\nHSET\r\n", stdout);
    put_bulk(bucket, sizeof bucket);
    put_bulk(field, len);
    put_bulk(row.data, row.len);
  }
  lr__buf_free(&row);
  return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  static char iobuf[1 << 20];
  setvbuf(stdout, iobuf, _IOFBF, sizeof iobuf);
  if ((argc == 3 || argc == 4) && !strcmp(argv[1], "rows"))
    return rows(atoll(argv[2]), argc == 4 ? atoll(argv[3]) : 0);
  if (argc == 4 && !strcmp(argv[1], "buckets") && atoll(argv[3]) > 0)
    return buckets(atoll(argv[2]), atoll(argv[3]));
  fprintf(stderr, "usage: redis_layout rows N [TTL_S] | buckets N FIELDS\n");
  return 2;
}

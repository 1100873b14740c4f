/*
 * siphash.c - SipHash-2-4-128, incremental (see siphash.h): two
 * compression rounds per 8-byte word, four finalization rounds per output
 * half.
 */
#include "siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

static inline void sip_round(lr__siphash *s) {
  s->v0 += s->v1;
  s->v1 = rotl(s->v1, 13);
  s->v1 ^= s->v0;
  s->v0 = rotl(s->v0, 32);
  s->v2 += s->v3;
  s->v3 = rotl(s->v3, 16);
  s->v3 ^= s->v2;
  s->v0 += s->v3;
  s->v3 = rotl(s->v3, 21);
  s->v3 ^= s->v0;
  s->v2 += s->v1;
  s->v1 = rotl(s->v1, 17);
  s->v1 ^= s->v2;
  s->v2 = rotl(s->v2, 32);
}

static inline void compress(lr__siphash *s, uint64_t m) {
  s->v3 ^= m;
  sip_round(s);
  sip_round(s);
  s->v0 ^= m;
}

/* An unaligned little-endian word (one load on little-endian hosts). */
static inline uint64_t load_le(const uint8_t *p) {
  uint64_t m;
  memcpy(&m, p, sizeof m);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  m = __builtin_bswap64(m);
#endif
  return m;
}

void lr__siphash_init(lr__siphash *s, const uint8_t key[16]) {
  uint64_t k0 = load_le(key), k1 = load_le(key + 8);
  s->v0 = k0 ^ 0x736f6d6570736575ull;
  s->v1 = k1 ^ 0x646f72616e646f6dull ^ 0xee; /* 0xee: 128-bit output */
  s->v2 = k0 ^ 0x6c7967656e657261ull;
  s->v3 = k1 ^ 0x7465646279746573ull;
  s->tail = 0;
  s->n = 0;
}

void lr__siphash_update(lr__siphash *s, const void *data, size_t len) {
  const uint8_t *p = data;
  while (len && (s->n & 7)) { /* finish the word under way */
    s->tail |= (uint64_t)*p++ << (8 * (s->n & 7));
    len--;
    if ((++s->n & 7) == 0) {
      compress(s, s->tail);
      s->tail = 0;
    }
  }
  for (; len >= 8; p += 8, len -= 8, s->n += 8)
    compress(s, load_le(p));
  for (; len; len--, s->n++)
    s->tail |= (uint64_t)*p++ << (8 * (s->n & 7));
}

void lr__siphash_final(lr__siphash *s, uint64_t out[2]) {
  compress(s, s->tail | ((uint64_t)(s->n & 0xff) << 56));
  s->v2 ^= 0xee;
  for (int i = 0; i < 4; i++)
    sip_round(s);
  out[0] = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
  s->v1 ^= 0xdd;
  for (int i = 0; i < 4; i++)
    sip_round(s);
  out[1] = s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

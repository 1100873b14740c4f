/*
 * siphash.h - SipHash-2-4 with a 128-bit output (Aumasson and Bernstein),
 * fed in pieces: the strong hash behind the online store's view digests
 * (online/digest.c). Written from the published specification.
 */
#ifndef LR_UTIL_SIPHASH_H
#define LR_UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr__siphash {
  uint64_t v0, v1, v2, v3;
  uint64_t tail;  /* bytes not yet in a full 8-byte word, little-endian */
  size_t n;       /* bytes fed so far */
} lr__siphash;

/* Starts a hash under the 16-byte key `key`. */
void lr__siphash_init(lr__siphash *s, const uint8_t key[16]);

/* Feeds `len` bytes. */
void lr__siphash_update(lr__siphash *s, const void *data, size_t len);

/* The 128-bit hash of everything fed, as two 64-bit halves: out[0] holds
 * the first 8 bytes of the reference output (little-endian), out[1] the
 * last 8. */
void lr__siphash_final(lr__siphash *s, uint64_t out[2]);

#endif

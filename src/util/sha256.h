/*
 * sha256.h - SHA-256 (FIPS 180-4), fed in pieces: the checksum of every
 * file a snapshot carries (replication/snapshot.c), so a replica can tell a
 * damaged or half-copied file from a sound one before it serves it. Written
 * from the standard; tests/test_util.c checks it against NIST's vectors.
 */
#ifndef LR_UTIL_SHA256_H
#define LR_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr__sha256 {
  uint32_t h[8];      /* the intermediate hash value H(i) */
  uint64_t bytes;     /* message length so far */
  uint8_t block[64];  /* the message block being filled */
  size_t fill;        /* bytes of it filled */
} lr__sha256;

void lr__sha256_init(lr__sha256 *s);

/* Feeds `len` bytes (any split gives the same digest). */
void lr__sha256_update(lr__sha256 *s, const void *data, size_t len);

/* Pads the message, writes the 32-byte digest and leaves `s` spent (init
 * it again to reuse it). */
void lr__sha256_final(lr__sha256 *s, uint8_t out[32]);

/* Whether the CPU's SHA instructions do the rounds: `on` 1 uses them from
 * now on where the CPU has them (the default, decided at the first
 * digest), 0 the portable code. Returns whether they are used now. For
 * the tests, which check both ways against the same vectors; any thread,
 * any time (a digest under way may mix them: both give the same state). */
int lr__sha256_use_hardware(int on);

/* `n` bytes as 2n lowercase hex digits and a NUL, the form digests take
 * in text (a SHA-256 in a manifest: n = 32; a log's chain digest: 16). */
void lr__hex_encode(const void *data, size_t n, char *out);

/* Reads exactly 2n lowercase hex digits (then the string must end) into
 * `n` bytes. Returns 0, or -1 when `hex` is anything else. */
int lr__hex_decode(const char *hex, void *out, size_t n);

#endif

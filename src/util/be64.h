/*
 * be64.h - 64-bit integers as 8 big-endian bytes: the form sequence
 * numbers and version records take in keys and values, so that byte
 * order is number order.
 */
#ifndef LR_UTIL_BE64_H
#define LR_UTIL_BE64_H

#include <stddef.h>
#include <stdint.h>

static inline void lr__be64_put(uint8_t out[8], unsigned long long v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    out[i] = (uint8_t)v;
}

/* Reads `n` (at most 8) big-endian bytes. */
static inline unsigned long long lr__be_get(const uint8_t *in, size_t n) {
  unsigned long long v = 0;
  for (size_t i = 0; i < n; i++)
    v = v << 8 | in[i];
  return v;
}

#endif

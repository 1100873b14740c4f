/*
 * xorshift.h - the seeded random numbers of `larder bench` and of the
 * benchmark programs in bench/: xorshift64*, fast and good enough to draw
 * keys; the same seed gives the same keys.
 */
#ifndef LR_CLI_XORSHIFT_H
#define LR_CLI_XORSHIFT_H

#include <stdint.h>

/* The next number; `*state` must never be 0. */
static inline uint64_t xorshift_next(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 2685821657736338717ull;
}

#endif

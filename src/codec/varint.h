/*
 * varint.h - LEB128 unsigned varints and zigzag signed ones, as used by the
 * row codec: small numbers (lengths, slot counts, created-minus-event
 * deltas) take one byte.
 */
#ifndef LR_CODEC_VARINT_H
#define LR_CODEC_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

static inline void lr__varint_put(lr__buf *out, uint64_t v) {
  uint8_t bytes[10];
  size_t n = 0;
  while (v >= 0x80) {
    bytes[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  bytes[n++] = (uint8_t)v;
  lr__buf_append(out, bytes, n);
}

/* Reads a varint at *p (not past `end`); advances *p. Returns 0, or -1 when
 * the bytes run out or the number is longer than 64 bits. */
static inline int lr__varint_get(const uint8_t **p, const uint8_t *end,
                                 uint64_t *v) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*p >= end)
      return -1;
    uint8_t byte = *(*p)++;
    result |= (uint64_t)(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      *v = result;
      return 0;
    }
  }
  return -1;
}

static inline uint64_t lr__zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (0 - ((uint64_t)v >> 63));
}

static inline int64_t lr__unzigzag(uint64_t v) {
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif

/*
 * key.h - the online store's key: an entity key (one value per join key, in
 * the view's declared order) encoded so that byte order is value order.
 *
 * int32/int64: big-endian with the sign bit flipped (so -1 < 0 < 1).
 * string/bytes: raw bytes when last; otherwise each 0x00 is written as
 * 0x00 0xFF and the part ends with 0x00 0x01, so no part is a prefix of
 * another and the order holds part by part.
 */
#ifndef LR_CODEC_KEY_H
#define LR_CODEC_KEY_H

#include <stddef.h>
#include <stdint.h>

/* LMDB's default key limit. */
#define LR__KEY_MAX 511

typedef struct lr__keypart {
  uint8_t dtype;   /* LR__DT_INT32, INT64, STRING or BYTES */
  int64_t i;       /* integers */
  const void *ptr; /* string/bytes */
  size_t len;
} lr__keypart;

/* Encodes `n` parts into `out` (at least LR__KEY_MAX bytes). Returns the
 * length, or 0 when the key would exceed LR__KEY_MAX bytes or is empty (a
 * lone empty string): LMDB stores neither. */
size_t lr__key_encode(const lr__keypart *parts, int n, uint8_t *out);

/* Decodes a key into parts whose dtypes are set by the caller; string parts
 * that needed escaping are unescaped into `scratch` (LR__KEY_MAX bytes).
 * Returns 0, or -1 when the bytes do not form such a key (or are longer
 * than LR__KEY_MAX: damage). */
int lr__key_decode(const uint8_t *key, size_t len, lr__keypart *parts, int n,
                   uint8_t *scratch);

#endif

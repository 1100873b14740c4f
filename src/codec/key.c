/*
 * key.c - order-preserving entity key encoding (see key.h).
 */
#include "key.h"

#include <string.h>

#include "../util/dtype.h"

static size_t put_int(uint8_t *out, int64_t v, int bytes) {
  uint64_t u = (uint64_t)v ^ (1ull << (bytes * 8 - 1));
  for (int i = 0; i < bytes; i++)
    out[i] = (uint8_t)(u >> (8 * (bytes - 1 - i)));
  return (size_t)bytes;
}

static int64_t get_int(const uint8_t *in, int bytes) {
  uint64_t u = 0;
  for (int i = 0; i < bytes; i++)
    u = (u << 8) | in[i];
  u ^= 1ull << (bytes * 8 - 1);
  if (bytes == 4)
    return (int32_t)(uint32_t)u;
  return (int64_t)u;
}

size_t lr__key_encode(const lr__keypart *parts, int n, uint8_t *out) {
  size_t len = 0;
  for (int k = 0; k < n; k++) {
    const lr__keypart *p = &parts[k];
    if (p->dtype == LR__DT_INT32 || p->dtype == LR__DT_INT64) {
      int bytes = p->dtype == LR__DT_INT32 ? 4 : 8;
      if (len + (size_t)bytes > LR__KEY_MAX)
        return 0;
      len += put_int(out + len, p->i, bytes);
      continue;
    }
    const uint8_t *s = p->ptr;
    if (k == n - 1) { /* the last part needs no terminator */
      if (len + p->len > LR__KEY_MAX)
        return 0;
      if (p->len)
        memcpy(out + len, s, p->len);
      len += p->len;
      continue;
    }
    for (size_t i = 0; i < p->len; i++) {
      if (len + 2 > LR__KEY_MAX)
        return 0;
      out[len++] = s[i];
      if (s[i] == 0)
        out[len++] = 0xFF;
    }
    if (len + 2 > LR__KEY_MAX)
      return 0;
    out[len++] = 0;
    out[len++] = 1;
  }
  return len;
}

int lr__key_decode(const uint8_t *key, size_t len, lr__keypart *parts, int n,
                   uint8_t *scratch) {
  size_t pos = 0, used = 0;
  if (len > LR__KEY_MAX)
    return -1; /* no writer stores one; the scratch holds no more */
  for (int k = 0; k < n; k++) {
    lr__keypart *p = &parts[k];
    if (p->dtype == LR__DT_INT32 || p->dtype == LR__DT_INT64) {
      int bytes = p->dtype == LR__DT_INT32 ? 4 : 8;
      if (pos + (size_t)bytes > len)
        return -1;
      p->i = get_int(key + pos, bytes);
      pos += (size_t)bytes;
      continue;
    }
    if (k == n - 1) {
      p->ptr = key + pos;
      p->len = len - pos;
      pos = len;
      continue;
    }
    uint8_t *start = scratch + used;
    for (;;) {
      if (pos >= len)
        return -1;
      uint8_t c = key[pos++];
      if (c != 0) {
        scratch[used++] = c;
        continue;
      }
      if (pos >= len)
        return -1;
      uint8_t next = key[pos++];
      if (next == 1)
        break;
      if (next != 0xFF)
        return -1;
      scratch[used++] = 0;
    }
    p->ptr = start;
    p->len = (size_t)(scratch + used - start);
  }
  return pos == len ? 0 : -1;
}

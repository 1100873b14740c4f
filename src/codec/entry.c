/*
 * entry.c - encoding and checking write-log entries (entry.h).
 */
#include <string.h>

#include "../util/be64.h"
#include "../util/siphash.h"
#include "entry.h"

/* The chain digest's key: fixed, since the digest guards against damage
 * and reordering, not against someone who can write the log. */
static const uint8_t chain_key[16] = "larder:chain:v1";

/* Appends the low `bytes` bytes of v, big-endian. */
static void put_be(lr__buf *out, unsigned long long v, int bytes) {
  uint8_t b[8];
  lr__be64_put(b, v);
  lr__buf_append(out, b + 8 - bytes, (size_t)bytes);
}

void lr__entry_put_pair(lr__buf *records, const char **current,
                        const char *name, const void *key, size_t key_len,
                        const void *row, size_t row_len) {
  if (!*current || strcmp(*current, name) != 0) {
    lr__buf_putc(records, 'G');
    put_be(records, strlen(name), 2);
    lr__buf_puts(records, name);
    *current = name;
  }
  lr__buf_putc(records, 'P');
  put_be(records, key_len, 4);
  lr__buf_append(records, key, key_len);
  put_be(records, row_len, 4);
  lr__buf_append(records, row, row_len);
}

static void chain_of(const void *data, size_t len, uint8_t chain[16]) {
  lr__siphash s;
  uint64_t h[2];
  lr__siphash_init(&s, chain_key);
  lr__siphash_update(&s, data, len);
  lr__siphash_final(&s, h);
  for (int i = 0; i < 8; i++) {
    chain[i] = (uint8_t)(h[0] >> (8 * i));
    chain[8 + i] = (uint8_t)(h[1] >> (8 * i));
  }
}

void lr__entry_encode(lr__buf *out, const lr__entry_head *head,
                      const void *records, size_t len, uint8_t chain[16]) {
  lr__buf_reset(out);
  lr__buf_append(out, "LRE1", 4);
  lr__buf_putc(out, (char)head->kind);
  put_be(out, head->seq, 8);
  put_be(out, head->epoch, 8);
  put_be(out, head->generation, 8);
  lr__buf_append(out, head->prev, 16);
  lr__buf_append(out, records, len);
  chain_of(out->data, out->len, chain);
  lr__buf_append(out, chain, 16);
}

int lr__entry_decode(const void *data, size_t len, lr__entry_head *head,
                     const uint8_t **records, size_t *records_len,
                     uint8_t chain[16]) {
  const uint8_t *p = data;
  if (len < LR__ENTRY_HEAD + LR__ENTRY_CHAIN || memcmp(p, "LRE1", 4) != 0)
    return -1;
  uint8_t computed[16];
  chain_of(p, len - LR__ENTRY_CHAIN, computed);
  if (memcmp(computed, p + len - LR__ENTRY_CHAIN, 16) != 0)
    return -1;
  head->kind = p[4];
  head->seq = lr__be_get(p + 5, 8);
  head->epoch = lr__be_get(p + 13, 8);
  head->generation = lr__be_get(p + 21, 8);
  memcpy(head->prev, p + 29, 16);
  if (head->kind != LR__ENTRY_ROWS && head->kind != LR__ENTRY_SNAPSHOT)
    return -1;
  *records = p + LR__ENTRY_HEAD;
  *records_len = len - LR__ENTRY_HEAD - LR__ENTRY_CHAIN;
  memcpy(chain, computed, 16);
  return 0;
}

/* Takes `n` bytes at it->p: NULL when fewer are left. */
static const uint8_t *take(lr__entry_iter *it, size_t n) {
  if ((size_t)(it->end - it->p) < n)
    return NULL;
  const uint8_t *at = it->p;
  it->p += n;
  return at;
}

int lr__entry_next(lr__entry_iter *it, const void **key, size_t *key_len,
                   const void **row, size_t *row_len) {
  for (;;) {
    const uint8_t *tag = take(it, 1);
    if (!tag)
      return 0;
    const uint8_t *n = take(it, *tag == 'G' ? 2 : 4);
    if (!n || (*tag != 'G' && *tag != 'P'))
      return -1;
    if (*tag == 'G') {
      it->name_len = (size_t)lr__be_get(n, 2);
      it->name = (const char *)take(it, it->name_len);
      if (!it->name || !it->name_len)
        return -1;
      continue;
    }
    *key_len = (size_t)lr__be_get(n, 4);
    const uint8_t *r;
    if (!it->name || !(*key = take(it, *key_len)) || !(r = take(it, 4)))
      return -1;
    *row_len = (size_t)lr__be_get(r, 4);
    return (*row = take(it, *row_len)) ? 1 : -1;
  }
}

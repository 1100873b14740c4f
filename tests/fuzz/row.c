/*
 * row.c - fuzzes the row decoder (src/codec/row.c), the reader of every
 * stored row. The first byte picks how many slots the reader's layout
 * has (0..15), the next ones their dtypes (any base type, array or not),
 * the rest is the row. Every decoded cell is read back to its last byte
 * so a cell pointing past the row shows up under ASan; a row that
 * decodes must also re-encode to a row that decodes to the same cells.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/row.h"
#include "util/dtype.h"

enum { MAX_SLOTS = 16 };

/* 1 when two decoded cells of dtype `dt` hold the same value. */
static int same_cell(uint8_t dt, const lr__cell *a, const lr__cell *b) {
  if (a->is_null || b->is_null)
    return a->is_null == b->is_null;
  int width = LR__DT_IS_ARRAY(dt) ? 0 : lr__dtype_width(dt);
  if (width)
    return !memcmp(&a->v, &b->v, (size_t)width);
  return a->len == b->len && a->count == b->count &&
         (!a->len || !memcmp(a->ptr, b->ptr, a->len));
}

/* Encodes the decoded cells again and checks they decode the same. */
static void round_trip(const uint8_t *types, uint32_t n,
                       const lr__row_header *h, const lr__cell *cells) {
  lr__buf again;
  lr__buf_init(&again);
  lr__row_encode(types, n, cells, h->event_us, h->created_us, &again);
  lr__row_header h2;
  lr__cell cells2[MAX_SLOTS];
  memset(cells2, 0, sizeof cells2);
  if (lr__row_decode((const uint8_t *)again.data, again.len, types, n, &h2,
                     cells2) != 0 ||
      h2.event_us != h->event_us || h2.created_us != h->created_us)
    __builtin_trap();
  for (uint32_t i = 0; i < n; i++)
    if (!same_cell(types[i], &cells[i], &cells2[i]))
      __builtin_trap();
  lr__buf_free(&again);
}

static unsigned touch(const uint8_t *p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += p[i];
  return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint32_t n_types = data[0] % MAX_SLOTS;
  if (size < 1 + n_types)
    return 0;
  uint8_t types[MAX_SLOTS];
  for (uint32_t i = 0; i < n_types; i++) {
    uint8_t base = 1 + data[1 + i] % LR__DT_TIMESTAMP;
    types[i] = (data[1 + i] & 0x80) && base != LR__DT_BYTES &&
                       base != LR__DT_BOOL && base != LR__DT_TIMESTAMP
                   ? (uint8_t)(LR__DT_ARRAY | base)
                   : base;
  }
  const uint8_t *row = data + 1 + n_types;
  size_t len = size - 1 - n_types;
  /* the row alone in its own allocation: ASan sees any read past it */
  uint8_t *copy = malloc(len ? len : 1);
  memcpy(copy, row, len);
  lr__row_header h, h2;
  lr__cell cells[MAX_SLOTS];
  memset(cells, 0, sizeof cells); /* the decoder sets ptr only where used */
  int header_ok = lr__row_header_read(copy, len, &h2) == 0;
  if (lr__row_decode(copy, len, types, n_types, &h, cells) == 0) {
    if (!header_ok || h.event_us != h2.event_us)
      __builtin_trap(); /* a row that decodes has a readable header */
    volatile unsigned sum = 0;
    uint32_t n = h.n_slots < n_types ? h.n_slots : n_types;
    for (uint32_t i = 0; i < n; i++)
      if (!cells[i].is_null && (LR__DT_IS_ARRAY(types[i]) ||
                                !lr__dtype_width(types[i])))
        sum += touch(cells[i].ptr, cells[i].len);
    (void)sum;
    if (h.n_slots == n_types)
      round_trip(types, n_types, &h, cells);
  }
  free(copy);
  return 0;
}

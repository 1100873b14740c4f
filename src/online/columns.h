/*
 * columns.h - checking and converting the columns of a write (columns.c),
 * for the writer (write.c).
 */
#ifndef LR_ONLINE_COLUMNS_H
#define LR_ONLINE_COLUMNS_H

#include <stdint.h>
#include <string.h>

#include "../codec/row.h"
#include "../codec/varint.h"
#include "../util/dtype.h"
#include "store.h"

#define EVENT_COLUMN "event_timestamp"
#define CREATED_COLUMN "created_timestamp"

/* Where each needed column is among the caller's columns (-1: absent). */
typedef struct column_map {
  int *key;        /* per join key of the view */
  int event;
  int created;
  int *feature;    /* per feature of the view */
} column_map;

/* Finds the view's columns among `cols` into `map` (allocated by the
 * caller: a key per join key, a feature per feature). Returns 0, or
 * LR_EINVAL naming a missing or unknown column in `err`. */
int lr__columns_map(lr__buf *err, const lr__online_view *ov,
                    const lr_column *cols, int n_cols, column_map *map);

/* Checks every value of the mapped columns against its type (and times
 * against the range a row holds) over n_rows rows. Returns 0, LR_EINVAL or
 * LR_ETYPE naming the row and column. */
int lr__columns_check(lr__buf *err, const lr__online_view *ov,
                      const lr_column *cols, const column_map *map,
                      size_t n_rows);

/* Converts one value into a row cell of dtype `want`; variable-width
 * payloads go to `payload`, and c->ptr holds their offset until fix-up.
 * Inline: it runs once per cell of every row written (out of line it cost
 * materialization some 3%). lr__put_array appends an array's payload (see
 * row.h). */
static inline void lr__put_array(lr__buf *payload, const lr_value *v,
                                 lr__cell *c) {
  uint8_t base = LR__DT_BASE(v->type);
  c->count = (uint32_t)v->v.array.n;
  if (base != LR__DT_STRING) {
    lr__buf_append(payload, v->v.array.data,
                   v->v.array.n * (size_t)lr__dtype_width(base));
    return;
  }
  const lr_str *items = v->v.array.data;
  for (size_t k = 0; k < v->v.array.n; k++) {
    lr__varint_put(payload, items[k].len);
    lr__buf_append(payload, items[k].ptr, items[k].len);
  }
}

static inline void lr__value_to_cell(const lr_value *v, uint8_t want,
                                     lr__buf *payload, lr__cell *c) {
  memset(c, 0, sizeof *c);
  if (v->type == LR_TYPE_NULL) {
    c->is_null = 1;
    return;
  }
  switch (want & 0x7f) {
  case LR__DT_BOOL: c->v.b = v->v.b != 0; break;
  case LR__DT_INT32: c->v.i32 = v->v.i32; break;
  case LR__DT_FLOAT32: c->v.f32 = v->v.f32; break;
  case LR__DT_FLOAT64:
    c->v.f64 = v->type == LR_TYPE_FLOAT32 ? v->v.f32 : v->v.f64;
    break;
  case LR__DT_INT64:
    c->v.i64 = v->type == LR_TYPE_INT32 ? v->v.i32 : v->v.i64;
    break;
  case LR__DT_TIMESTAMP: c->v.i64 = v->v.ts; break;
  default: break;
  }
  if (!(want & LR__DT_ARRAY) && want != LR__DT_STRING && want != LR__DT_BYTES)
    return;
  size_t start = payload->len;
  if (want & LR__DT_ARRAY)
    lr__put_array(payload, v, c);
  else
    lr__buf_append(payload, v->v.str.ptr, v->v.str.len);
  c->ptr = (const uint8_t *)(uintptr_t)start;
  c->len = payload->len - start;
}

#endif

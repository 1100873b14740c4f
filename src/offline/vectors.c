/*
 * vectors.c - DuckDB vectors read as lr_values: the one conversion used by
 * materialization (chunks into the online writer) and by the on-demand
 * scalar functions (a query's columns into the evaluator).
 */
#include <string.h>

#include "../util/dtype.h"
#include "duckdb.h"

static lr_str duck_string(const duckdb_string_t *s) {
  lr_str out;
  out.len = s->value.inlined.length;
  out.ptr = out.len <= 12 ? s->value.inlined.inlined : s->value.pointer.ptr;
  return out;
}

static inline int is_valid(const uint64_t *valid, idx_t r) {
  return !valid || ((valid[r / 64] >> (r % 64)) & 1);
}

/* Reads row `r` of a vector of (base) dtype `dt` into `out`. */
static inline void read_scalar(const void *data, uint8_t dt, idx_t r, lr_value *out) {
  out->type = dt;
  switch (dt) {
  case LR__DT_BOOL: out->v.b = ((const uint8_t *)data)[r] != 0; break;
  case LR__DT_INT32: out->v.i32 = ((const int32_t *)data)[r]; break;
  case LR__DT_FLOAT32: out->v.f32 = ((const float *)data)[r]; break;
  case LR__DT_FLOAT64: out->v.f64 = ((const double *)data)[r]; break;
  case LR__DT_STRING:
  case LR__DT_BYTES: out->v.str = duck_string((const duckdb_string_t *)data + r); break;
  default: out->v.i64 = ((const int64_t *)data)[r]; break; /* int64, ts */
  }
}

/* Reads row `r` of a LIST vector whose child is `child` (see
 * lr__duck_read_column for string tables). Returns -1 for a null item. */
static int read_list(const lr__duckdb_api *api, duckdb_vector child,
                     const void *data, uint8_t dt, idx_t r, lr__buf *scratch,
                     lr_value *out) {
  const duckdb_list_entry *entry = (const duckdb_list_entry *)data + r;
  const char *items = api->vector_get_data(child);
  uint64_t *valid = api->vector_get_validity(child);
  for (idx_t i = 0; i < entry->length; i++)
    if (!is_valid(valid, entry->offset + i))
      return -1;
  uint8_t base = LR__DT_BASE(dt);
  out->type = dt;
  out->v.array.n = entry->length;
  if (base != LR__DT_STRING) {
    size_t width = base == LR__DT_INT32 || base == LR__DT_FLOAT32 ? 4 : 8;
    out->v.array.data = items + entry->offset * width;
    return 0;
  }
  size_t at = scratch->len;
  for (idx_t i = 0; i < entry->length; i++) {
    lr_str s = duck_string((const duckdb_string_t *)items + entry->offset + i);
    lr__buf_append(scratch, &s, sizeof s);
  }
  out->v.array.data = (const void *)(uintptr_t)(at + 1); /* fixed later */
  return 0;
}

idx_t lr__duck_read_column(duckdb_vector vec, uint8_t dt, idx_t from,
                           idx_t n, lr__buf *scratch, lr_value *out) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  const void *data = api->vector_get_data(vec);
  const uint64_t *valid = api->vector_get_validity(vec);
  duckdb_vector child = LR__DT_IS_ARRAY(dt) ? api->list_vector_get_child(vec)
                                            : NULL;
  idx_t bad = 0;
  for (idx_t i = 0; i < n; i++) {
    idx_t r = from + i;
    out[i] = (lr_value){0}; /* LR_TYPE_NULL */
    if (!is_valid(valid, r))
      continue;
    if (!child) {
      read_scalar(data, dt, r, &out[i]);
    } else if (read_list(api, child, data, dt, r, scratch, &out[i]) != 0) {
      out[i] = (lr_value){0};
      bad++;
    }
  }
  return bad;
}

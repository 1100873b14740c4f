/*
 * vectors.c - DuckDB vectors read as lr_values, and lr_values written into
 * vectors: the one conversion each way, used by materialization (chunks
 * into the online writer), the on-demand scalar functions (a query's
 * columns into the evaluator, its outputs back) and pushes to the offline
 * store (rows into the appender).
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

static duckdb_type duck_type(uint8_t base) {
  switch (base) {
  case LR__DT_BOOL: return DUCKDB_TYPE_BOOLEAN;
  case LR__DT_INT32: return DUCKDB_TYPE_INTEGER;
  case LR__DT_INT64: return DUCKDB_TYPE_BIGINT;
  case LR__DT_FLOAT32: return DUCKDB_TYPE_FLOAT;
  case LR__DT_FLOAT64: return DUCKDB_TYPE_DOUBLE;
  case LR__DT_STRING: return DUCKDB_TYPE_VARCHAR;
  case LR__DT_BYTES: return DUCKDB_TYPE_BLOB;
  default: return DUCKDB_TYPE_TIMESTAMP_TZ;
  }
}

duckdb_logical_type lr__duck_logical_type(uint8_t dt) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_logical_type t = api->create_logical_type(duck_type(LR__DT_BASE(dt)));
  if (!LR__DT_IS_ARRAY(dt))
    return t;
  duckdb_logical_type list = api->create_list_type(t);
  api->destroy_logical_type(&t);
  return list;
}

/* Writes value `v` (not null) of base dtype `dt` at row r of a vector
 * whose data is `data`. */
static void write_scalar(duckdb_vector vec, void *data, uint8_t dt, idx_t r,
                         const lr_value *v) {
  switch (dt) {
  case LR__DT_BOOL: ((uint8_t *)data)[r] = (uint8_t)(v->v.b != 0); break;
  case LR__DT_INT32: ((int32_t *)data)[r] = v->v.i32; break;
  case LR__DT_FLOAT32: ((float *)data)[r] = v->v.f32; break;
  case LR__DT_FLOAT64:
    ((double *)data)[r] = v->type == LR_TYPE_FLOAT32 ? v->v.f32 : v->v.f64;
    break;
  case LR__DT_STRING:
  case LR__DT_BYTES:
    lr__duckdb_fns()->vector_assign_string_element_len(vec, r, v->v.str.ptr,
                                                       v->v.str.len);
    break;
  case LR__DT_INT64:
    ((int64_t *)data)[r] = v->type == LR_TYPE_INT32 ? v->v.i32 : v->v.i64;
    break;
  default: ((int64_t *)data)[r] = v->v.ts; break; /* timestamp */
  }
}

/* Writes the items of every array value into the list vector's child,
 * reserved once for all of them, and the entries pointing at them. */
static int write_lists(duckdb_vector vec, uint8_t dt, const lr_value *values,
                       idx_t n, uint64_t *valid) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  uint8_t base = LR__DT_BASE(dt);
  idx_t total = 0;
  for (idx_t r = 0; r < n; r++)
    total += values[r].type == LR_TYPE_NULL ? 0 : values[r].v.array.n;
  if (api->list_vector_reserve(vec, total) != DuckDBSuccess)
    return -1;
  duckdb_list_entry *entries = api->vector_get_data(vec);
  duckdb_vector child = api->list_vector_get_child(vec);
  char *items = api->vector_get_data(child);
  size_t width = base == LR__DT_INT32 || base == LR__DT_FLOAT32 ? 4 : 8;
  idx_t at = 0;
  for (idx_t r = 0; r < n; r++) {
    const lr_value *v = &values[r];
    entries[r] = (duckdb_list_entry){at, 0};
    if (v->type == LR_TYPE_NULL) {
      valid[r / 64] &= ~(1ull << (r % 64));
      continue;
    }
    for (size_t i = 0; base == LR__DT_STRING && i < v->v.array.n; i++) {
      const lr_str *s = (const lr_str *)v->v.array.data + i;
      api->vector_assign_string_element_len(child, at + i, s->ptr, s->len);
    }
    if (base != LR__DT_STRING)
      memcpy(items + at * width, v->v.array.data, v->v.array.n * width);
    entries[r].length = v->v.array.n;
    at += v->v.array.n;
  }
  return api->list_vector_set_size(vec, total) == DuckDBSuccess ? 0 : -1;
}

int lr__duck_write_column(duckdb_vector vec, uint8_t dt, const lr_value *values,
                          idx_t n) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  api->vector_ensure_validity_writable(vec);
  uint64_t *valid = api->vector_get_validity(vec);
  if (LR__DT_IS_ARRAY(dt))
    return write_lists(vec, dt, values, n, valid);
  void *data = api->vector_get_data(vec);
  for (idx_t r = 0; r < n; r++) {
    if (values[r].type == LR_TYPE_NULL)
      valid[r / 64] &= ~(1ull << (r % 64));
    else
      write_scalar(vec, data, dt, r, &values[r]);
  }
  return 0;
}

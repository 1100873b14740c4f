/*
 * chunkcols.c - a view's source rows as DuckDB streams them, turned into
 * the columns an online writer or a check runner takes (chunkcols.h).
 */
#include "chunkcols.h"

#include <stdlib.h>

#include "../codec/row.h"
#include "../util/dtype.h"
#include "../util/timefmt.h"
#include "offline.h"

enum { MAX_KEYS = 16 };


int lr__chunk_columns_read(lr_offline *off, duckdb_data_chunk chunk,
                           lr__chunk_columns *cc, idx_t from, idx_t n) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  lr__buf_reset(&cc->scratch);
  for (int c = 0; c < cc->n_cols; c++) {
    duckdb_vector vec = api->data_chunk_get_vector(chunk, (idx_t)c);
    lr_value *col = cc->values + (size_t)c * n;
    cc->cols[c].values = col;
    if (lr__duck_read_column(vec, cc->types[c], from, n, &cc->scratch, col)) {
      lr__buf_printf(&off->errmsg, "column '%s' holds a list with a null "
                     "item; arrays cannot hold nulls", cc->cols[c].name);
      return LR_EINVAL;
    }
  }
  /* string tables: offsets (+1, so 0 stays NULL) into scratch -> pointers */
  for (int c = 0; c < cc->n_cols; c++)
    if (cc->types[c] == (LR__DT_ARRAY | LR__DT_STRING))
      for (idx_t r = 0; r < n; r++) {
        lr_value *v = &cc->values[(size_t)c * n + r];
        if (v->type != LR_TYPE_NULL)
          v->v.array.data = cc->scratch.data + (uintptr_t)v->v.array.data - 1;
      }
  return lr__buf_failed(&cc->scratch) ? LR_ENOMEM : 0;
}

int lr__chunk_columns_setup(const lr__model *reg, const lr__view *v,
                            lr__chunk_columns *cc) {
  const char *keys[MAX_KEYS];
  uint8_t key_types[MAX_KEYS];
  int n_keys = lr__model_view_keys(reg, v, keys, key_types, MAX_KEYS);
  cc->n_cols = n_keys + 2 + v->n_features;
  cc->cols = calloc((size_t)cc->n_cols, sizeof *cc->cols);
  cc->types = calloc((size_t)cc->n_cols, 1);
  cc->values = calloc((size_t)cc->n_cols * LR__CHUNK_BATCH,
                      sizeof *cc->values);
  lr__buf_init(&cc->scratch);
  if (!cc->cols || !cc->types || !cc->values)
    return LR_ENOMEM;
  for (int k = 0; k < n_keys; k++) {
    cc->cols[k].name = keys[k];
    cc->types[k] = key_types[k];
  }
  cc->cols[n_keys].name = "event_timestamp";
  cc->cols[n_keys + 1].name = "created_timestamp";
  cc->types[n_keys] = cc->types[n_keys + 1] = LR__DT_TIMESTAMP;
  for (int f = 0; f < v->n_features; f++) {
    cc->cols[n_keys + 2 + f].name = v->features[f].name;
    cc->types[n_keys + 2 + f] = v->features[f].dtype;
  }
  return 0;
}

void lr__chunk_columns_free(lr__chunk_columns *cc) {
  free(cc->cols);
  free(cc->types);
  free(cc->values);
  lr__buf_free(&cc->scratch);
}

/* The window of the load, as a SQL condition on __ts. */
static void window_sql(lr__buf *sql, int64_t start, int64_t end) {
  char ts[40];
  lr__buf_puts(sql, " WHERE ");
  if (start > LR__TIME_MIN_US) {
    lr__time_format(start, ts);
    lr__buf_printf(sql, "__ts >= '%s'::TIMESTAMPTZ AND ", ts);
  }
  lr__time_format(end, ts);
  lr__buf_printf(sql, "__ts <= '%s'::TIMESTAMPTZ", ts);
}

int lr__view_rows_sql(lr_offline *off, const lr__view *v, int64_t start,
                      int64_t end, int by_key, lr__buf *sql,
                      lr__buf *count_sql) {
  lr__buf source;
  lr__buf_init(&source);
  int rc = lr__source_select(off, v, &source);
  const char *keys[MAX_KEYS];
  uint8_t types[MAX_KEYS];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, types, MAX_KEYS);
  lr__buf_printf(sql, "SELECT * FROM (%s)", lr__buf_str(&source));
  window_sql(sql, start, end);
  for (int k = 0; by_key && k < n_keys; k++) {
    lr__buf_puts(sql, k ? ", " : " ORDER BY ");
    lr__sql_ident(sql, keys[k]);
  }
  lr__buf_printf(count_sql, "SELECT count(*) FROM (%s)", lr__buf_str(&source));
  window_sql(count_sql, start, end);
  lr__buf_free(&source);
  return rc;
}


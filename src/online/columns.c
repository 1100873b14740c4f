/*
 * columns.c - the columns of a write, before any of it is written: each
 * needed column found among the caller's (every join key, the event time,
 * maybe the created time, every feature), each value checked against its
 * type and range, and values turned into row cells. So a bad batch fails
 * whole and fast, before the write transaction begins.
 */
#include "columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/varint.h"
#include "../util/dtype.h"
#include "../util/names.h"
#include "../util/timefmt.h"
#include "introspect.h"

static int find_column(const lr_column *cols, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (cols[i].name && strcmp(cols[i].name, name) == 0)
      return i;
  return -1;
}

/* 1 when a value of type `have` may be stored as `want` (exact, or the
 * lossless widenings int32 -> int64 and float32 -> float64). */
static int type_fits(int have, uint8_t want) {
  return have == want || (want == LR__DT_INT64 && have == LR_TYPE_INT32) ||
         (want == LR__DT_FLOAT64 && have == LR_TYPE_FLOAT32);
}

int lr__columns_map(lr__buf *err, const lr__online_view *ov,
                    const lr_column *cols, int n_cols, column_map *map) {
  const lr__view *v = ov->view;
  for (int k = 0; k < ov->n_keys; k++)
    map->key[k] = find_column(cols, n_cols, ov->key_names[k]);
  map->event = find_column(cols, n_cols, EVENT_COLUMN);
  map->created = find_column(cols, n_cols, CREATED_COLUMN);
  for (int f = 0; f < v->n_features; f++)
    map->feature[f] = find_column(cols, n_cols, v->features[f].name);
  int missing = 0;
  for (int k = 0; k < ov->n_keys; k++)
    if (map->key[k] < 0)
      lr__buf_printf(err, "%s'%s'", missing++ ? ", " : "", ov->key_names[k]);
  if (map->event < 0)
    lr__buf_printf(err, "%s'%s'", missing++ ? ", " : "", EVENT_COLUMN);
  for (int f = 0; f < v->n_features; f++)
    if (map->feature[f] < 0)
      lr__buf_printf(err, "%s'%s'", missing++ ? ", " : "", v->features[f].name);
  if (missing) {
    lr__buf_printf(err, ": missing column%s for view '%s' (every join key, "
                   "event_timestamp and every feature are needed; nulls are "
                   "allowed in features)", missing > 1 ? "s" : "", v->name);
    return LR_EINVAL;
  }
  for (int c = 0; c < n_cols; c++) {
    const char *name = cols[c].name ? cols[c].name : "";
    int known = strcmp(name, EVENT_COLUMN) == 0 ||
                strcmp(name, CREATED_COLUMN) == 0 ||
                lr__view_feature(v, name) != NULL;
    for (int k = 0; k < ov->n_keys && !known; k++)
      known = strcmp(name, ov->key_names[k]) == 0;
    if (!known) {
      lr__buf_printf(err, "unknown column '%s' for view '%s'", name, v->name);
      return LR_EINVAL;
    }
  }
  return 0;
}

/* Checks the type of every value of column `col` against `want`. Row
 * times (`is_row_time`) must also be in the range a row holds. Messages
 * number the rows from 1, as every message about rows does. */
static int check_column(lr__buf *err, const lr_column *col, uint8_t want,
                        size_t n_rows, int nullable, int is_row_time) {
  for (size_t r = 0; r < n_rows; r++) {
    int have = col->values[r].type;
    if (have == LR_TYPE_NULL && nullable)
      continue;
    if (have == LR_TYPE_NULL) {
      lr__buf_printf(err, "row %zu: '%s' is null; it must have a "
                     "value", r + 1, col->name);
      return LR_EINVAL;
    }
    if (is_row_time && have == LR_TYPE_TIMESTAMP &&
        !lr__time_in_range(col->values[r].v.ts)) {
      lr__buf_printf(err, "row %zu: column '%s' is further than "
                     "the year 9999 from 1970", r + 1, col->name);
      return LR_EINVAL;
    }
    if (!type_fits(have, want)) {
      char s1[32], s2[32];
      lr__buf_printf(err, "row %zu: column '%s' is %s, but the "
                     "feature is %s", r + 1, col->name, lr_type_name(have, s1),
                     lr__dtype_name(want, s2));
      return LR_ETYPE;
    }
  }
  return 0;
}

int lr__columns_check(lr__buf *err, const lr__online_view *ov,
                      const lr_column *cols, const column_map *map,
                      size_t n_rows) {
  int rc = check_column(err, &cols[map->event], LR__DT_TIMESTAMP, n_rows,
                        0, 1);
  if (rc == 0 && map->created >= 0)
    rc = check_column(err, &cols[map->created], LR__DT_TIMESTAMP, n_rows,
                      1, 1);
  for (int f = 0; rc == 0 && f < ov->view->n_features; f++)
    rc = check_column(err, &cols[map->feature[f]],
                      ov->view->features[f].dtype, n_rows, 1, 0);
  return rc;
}



/*
 * columns.h - checking and converting the columns of a write (columns.c),
 * for the writer (write.c).
 */
#ifndef LR_ONLINE_COLUMNS_H
#define LR_ONLINE_COLUMNS_H

#include "../codec/row.h"
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
 * LR_EINVAL naming a missing or unknown column (the message is the
 * store's). */
int lr__columns_map(lr_store *store, const lr__online_view *ov,
                    const lr_column *cols, int n_cols, column_map *map);

/* Checks every value of the mapped columns against its type (and times
 * against the range a row holds) over n_rows rows. Returns 0, LR_EINVAL or
 * LR_ETYPE naming the row and column. */
int lr__columns_check(lr_store *store, const lr__online_view *ov,
                      const lr_column *cols, const column_map *map,
                      size_t n_rows);

/* Converts one value into a row cell of dtype `want`; variable-width
 * payloads go to `payload`, and c->ptr holds their offset until fix-up. */
void lr__value_to_cell(const lr_value *v, uint8_t want, lr__buf *payload,
                       lr__cell *c);

#endif

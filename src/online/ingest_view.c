/*
 * ingest_view.c - writes of a file's or a request's rows into one view
 * (lr__ingest_file, lr__ingest_json_df): the view's columns as a colset,
 * the rows read by ingest.c, then written with lr_write_rows in one
 * transaction, its messages naming the file.
 */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "store.h"
#include "writer.h"

int lr__colset_of_view(lr__colset *cs, lr__arena *arena, const lr__model *m,
                       const lr__online_view *ov) {
  int n = ov->n_keys + 2 + ov->view->n_features;
  cs->names = lr__arena_array(arena, (size_t)n, sizeof *cs->names);
  cs->types = lr__arena_array(arena, (size_t)n, 1);
  cs->required = lr__arena_array(arena, (size_t)n, 1);
  lr__buf owner;
  lr__buf_init(&owner);
  lr__buf_printf(&owner, "view '%s'", ov->view->name);
  cs->owner = lr__arena_strdup(arena, lr__buf_str(&owner));
  lr__buf_free(&owner);
  cs->columns_are = "its join keys, event_timestamp, created_timestamp and "
                    "its features";
  cs->explain_unknown = NULL;
  cs->time_unit = lr__source_time_unit(lr__model_source(m, ov->view->source));
  cs->unit_source = ov->view->source;
  if (!cs->names || !cs->types || !cs->required || !cs->owner)
    return LR_ENOMEM;
  cs->n = 0;
  for (int k = 0; k < ov->n_keys; k++) {
    cs->names[cs->n] = ov->key_names[k];
    cs->types[cs->n] = ov->key_types[k];
    cs->required[cs->n++] = 1;
  }
  static const char *const times[2] = {"event_timestamp", "created_timestamp"};
  for (int i = 0; i < 2; i++) {
    cs->names[cs->n] = times[i];
    cs->types[cs->n] = LR__DT_TIMESTAMP;
    cs->required[cs->n++] = i == 0;
  }
  for (int f = 0; f < ov->view->n_features; f++) {
    cs->names[cs->n] = ov->view->features[f].name;
    cs->types[cs->n] = ov->view->features[f].dtype;
    cs->required[cs->n++] = 0;
  }
  return 0;
}

/* Reads rows for a write into `view` with `read` (a file or a df) and
 * writes them with lr_write_rows; a file's messages name it. */
static int write_into_view(lr_store *store, const char *view,
                           const char *shown,
                           int (*read)(const lr__colset *, const void *,
                                       lr__rows *, lr__buf *),
                           const void *input, lr_write_stats *stats) {
  int rc;
  lr__online_view *ov = lr__writer_view(store, view, &rc);
  if (!ov)
    return rc;
  lr__arena arena;
  lr__arena_init(&arena);
  lr__colset cs;
  lr__rows rows = {0};
  lr__arena_init(&rows.arena);
  rc = lr__colset_of_view(&cs, &arena, lr__store_model(store), ov);
  if (rc == 0)
    rc = read(&cs, input, &rows, lr__store_err(store));
  int read_ok = rc == 0;
  if (rc == 0)
    rc = lr_write_rows(store, view, rows.cols, rows.n_cols, rows.n_rows,
                       stats);
  if (rc && read_ok && shown) { /* name the file in lr_write_rows' message */
    char *why = strdup(lr__buf_str(lr__store_err(store)));
    lr__errmsg_set(lr__store_err(store), rc, "%s: %s", shown, why ? why : "");
    free(why);
  }
  lr__rows_free(&rows);
  lr__arena_free(&arena);
  return rc;
}

/* A file for write_into_view: its path and options. */
typedef struct file_input {
  const char *path;
  const lr__ingest_opts *opts;
} file_input;

static int read_file_input(const lr__colset *cs, const void *input,
                           lr__rows *rows, lr__buf *err) {
  const file_input *in = input;
  return lr__ingest_read_file(cs, in->path, in->opts, rows, err);
}

static int read_df_input(const lr__colset *cs, const void *input,
                         lr__rows *rows, lr__buf *err) {
  return lr__ingest_read_df(cs, input, rows, err);
}

int lr__ingest_file(lr_store *store, const char *view, const char *path,
                    const lr__ingest_opts *opts, lr_write_stats *stats) {
  file_input in = {path, opts};
  const char *shown = opts && opts->shown ? opts->shown : path;
  return write_into_view(store, view, shown, read_file_input, &in, stats);
}

int lr__ingest_json_df(lr_store *store, const char *view,
                       const lr__jnode *df, lr_write_stats *stats) {
  lr__buf_reset(lr__store_err(store));
  return write_into_view(store, view, "df", read_df_input, df, stats);
}

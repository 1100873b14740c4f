/*
 * format.c - printing a result: an aligned text table for people, or the
 * JSON of Feast's feature server response (column-major) for programs.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "request.h"
#include "result.h"

static void put_feature_name(lr__buf *out, const lr__req_feature *f,
                             unsigned flags) {
  if (flags & LR_FULL_FEATURE_NAMES)
    lr__buf_printf(out, "%s__%s", f->view, f->name);
  else
    lr__buf_puts(out, f->name);
}

static const lr_value *cell(const lr_result *res, int row, int f) {
  return &res->cells[(size_t)row * (size_t)res->req->n_cells + (size_t)f];
}

/* A formatted time. The features of one entity and view share one event
 * time, so the response keeps one per entity: most columns reuse it. */
typedef struct time_cache {
  int64_t us;
  char text[40];
  size_t len;
} time_cache;

static void put_time(lr__buf *out, int64_t us, time_cache *c) {
  if (us != c->us || !c->len) {
    c->us = us;
    lr__time_format(us, c->text);
    c->len = strlen(c->text);
  }
  lr__buf_append(out, c->text, c->len);
}

/* Appends `n` copies of one list item, separated as the rest of the list. */
static void put_repeated(lr__buf *out, const char *item, int n) {
  for (int r = 0; r < n; r++) {
    if (r)
      lr__buf_append(out, ", ", 2);
    lr__buf_puts(out, item);
  }
}

/* The metadata's column names (join keys, then features, named as
 * `flags` asks) and the start of the results: the same for every answer
 * to one request, so made once (lr__request_json_template). */
static void put_names(const lr_request *req, unsigned flags, lr__buf *out) {
  int nj = req->n_join_keys; /* request fields are not echoed */
  lr__buf_puts(out, "\", \"feature_names\": [");
  for (int k = 0; k < nj; k++) {
    lr__buf_puts(out, k ? ", " : "");
    lr__buf_json_str(out, req->key_names[k]);
  }
  for (int f = 0; f < req->n_features; f++) {
    lr__buf_puts(out, (nj + f) ? ", \"" : "\"");
    put_feature_name(out, &req->features[f], flags);
    lr__buf_putc(out, '"');
  }
  lr__buf_puts(out, "]}, \"results\": [");
}

int lr__request_json_template(lr_request *req) {
  for (int full = 0; full < 2; full++) {
    lr__buf text;
    lr__buf_init(&text);
    put_names(req, full ? LR_FULL_FEATURE_NAMES : 0, &text);
    char *copy = lr__buf_failed(&text)
                     ? NULL
                     : lr__arena_alloc(&req->arena, text.len + 1);
    if (copy)
      memcpy(copy, lr__buf_str(&text), text.len + 1);
    req->json_names[full] = copy;
    req->json_names_len[full] = text.len;
    lr__buf_free(&text);
    if (!copy)
      return LR_ENOMEM;
  }
  return 0;
}

/* Feast's metadata, with the version the lookup read ("larder_version":
 * "G.S", as the Larder-Version header) so that an answer carries its
 * version wherever it is kept, then the start of the results. */
static void put_metadata(const lr_result *res, unsigned flags,
                         lr__buf *out) {
  int full = (flags & LR_FULL_FEATURE_NAMES) != 0;
  lr__buf_puts(out, "{\"metadata\": {\"larder_version\": \"");
  lr__buf_put_int(out, (long long)res->version.generation);
  lr__buf_putc(out, '.');
  lr__buf_put_int(out, (long long)res->version.seq);
  lr__buf_append(out, res->req->json_names[full],
                 res->req->json_names_len[full]);
}

/* A join key's column: its values, PRESENT, and the epoch, as Feast's
 * server sends them. */
static void put_key_column(const lr_request *req, const lr_value *keys,
                           int k, int n, lr__buf *out) {
  lr__buf_puts(out, k ? ", {\"values\": [" : "{\"values\": [");
  for (int r = 0; r < n; r++) {
    lr__buf_puts(out, r ? ", " : "");
    lr__value_put(out, &keys[(size_t)r * (size_t)req->n_keys + (size_t)k], 1);
  }
  lr__buf_puts(out, "], \"statuses\": [");
  put_repeated(out, "\"PRESENT\"", n);
  lr__buf_puts(out, "], \"event_timestamps\": [");
  put_repeated(out, "\"1970-01-01T00:00:00Z\"", n);
  lr__buf_puts(out, "]}");
}

/* Feature f's column: values (null when not present), statuses, times. */
static void put_feature_column(const lr_result *res, int f, int first,
                               time_cache *ts_cache, lr__buf *out) {
  int n = res->n_entities;
  lr__buf_puts(out, first ? "{\"values\": [" : ", {\"values\": [");
  for (int r = 0; r < n; r++) {
    const lr_value *v = cell(res, r, f);
    lr__buf_puts(out, r ? ", " : "");
    if (v->status == LR_STATUS_PRESENT)
      lr__value_put(out, v, 1);
    else
      lr__buf_puts(out, "null");
  }
  lr__buf_puts(out, "], \"statuses\": [");
  for (int r = 0; r < n; r++) {
    lr__buf_puts(out, r ? ", \"" : "\"");
    lr__buf_puts(out, lr_status_name(cell(res, r, f)->status));
    lr__buf_putc(out, '"');
  }
  lr__buf_puts(out, "], \"event_timestamps\": [");
  for (int r = 0; r < n; r++) {
    lr__buf_puts(out, r ? ", \"" : "\"");
    put_time(out, cell(res, r, f)->event_ts, &ts_cache[r]);
    lr__buf_putc(out, '"');
  }
  lr__buf_puts(out, "]}");
}

/* Time caches for up to this many entities live on the stack; a larger
 * answer allocates them. */
enum { STACK_TIMES = 16 };

int lr__result_json(const lr_result *res, const lr_value *keys,
                    unsigned flags, lr__buf *out) {
  const lr_request *req = res->req;
  int n = res->n_entities;
  time_cache on_stack[STACK_TIMES];
  time_cache *ts_cache = n <= STACK_TIMES
                             ? on_stack
                             : malloc((size_t)n * sizeof *ts_cache);
  if (!ts_cache)
    return LR_ENOMEM;
  for (int r = 0; r < n; r++)
    ts_cache[r].len = 0;
  put_metadata(res, flags, out);
  for (int k = 0; k < req->n_join_keys; k++)
    put_key_column(req, keys, k, n, out);
  for (int f = 0; f < req->n_features; f++)
    put_feature_column(res, f, req->n_join_keys + f == 0, ts_cache, out);
  lr__buf_puts(out, "]}\n");
  if (ts_cache != on_stack)
    free(ts_cache);
  return lr__buf_failed(out) ? LR_ENOMEM : 0;
}

/* The text of one table cell: a value, or its status in angle brackets. */
static void table_cell(lr__buf *out, const lr_value *v) {
  if (v->status == LR_STATUS_PRESENT || v->status == 0)
    lr__value_put(out, v, 0);
  else
    lr__buf_printf(out, "<%s>", lr_status_name(v->status));
}

static void format_table(const lr_result *res, const lr_value *keys,
                         unsigned flags, lr__buf *out) {
  const lr_request *req = res->req;
  int nj = req->n_join_keys; /* request fields are not echoed */
  int n_cols = nj + req->n_features;
  size_t *width = calloc((size_t)n_cols, sizeof *width);
  lr__buf text;
  lr__buf_init(&text);
  if (!width)
    return;
  /* pass 0 measures the columns, pass 1 prints them */
  for (int pass = 0; pass < 2; pass++) {
    for (int r = -1; r < res->n_entities; r++) {
      for (int c = 0; c < n_cols; c++) {
        lr__buf_reset(&text);
        if (r < 0 && c < nj)
          lr__buf_puts(&text, req->key_names[c]);
        else if (r < 0)
          put_feature_name(&text, &req->features[c - nj], flags);
        else if (c < nj)
          lr__value_put(&text,
                        &keys[(size_t)r * (size_t)req->n_keys + (size_t)c], 0);
        else
          table_cell(&text, cell(res, r, c - nj));
        if (pass == 0 && text.len > width[c])
          width[c] = text.len;
        if (pass == 1) {
          lr__buf_puts(out, lr__buf_str(&text));
          lr__buf_pad(out, c + 1 < n_cols ? width[c] - text.len + 2 : 0);
        }
      }
      if (pass == 1)
        lr__buf_putc(out, '\n');
    }
  }
  lr__buf_free(&text);
  free(width);
}

int lr_result_format(const lr_result *res, const lr_value *keys,
                     unsigned flags, char **out) {
  if (!res || !out || (res->n_entities && !keys))
    return LR_EINVAL;
  lr__buf text;
  lr__buf_init(&text);
  int rc = 0;
  if (flags & LR_FORMAT_JSON)
    rc = lr__result_json(res, keys, flags, &text);
  else
    format_table(res, keys, flags, &text);
  *out = rc ? NULL : lr__buf_steal(&text);
  if (rc)
    lr__buf_free(&text);
  return *out ? 0 : LR_ENOMEM;
}

/*
 * ingest.c - rows from CSV or JSON-lines files and from requests' tables,
 * converted to the types of the columns they may have (a colset: a view's,
 * or a push source's). Writes into a view (ingest_view.c) and pushes
 * (push.c, offline/push.c) read their rows here; lr_write_file
 * (offline/write_file.c) turns Parquet into CSV first.
 *
 * Each column's type comes from the colset (join keys, event_timestamp and
 * created_timestamp as timestamps, features by their dtype), so the text is
 * parsed once, straight into typed values; errors name the file, the row
 * (1-based data rows, the header not counted) and the column.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/dtype.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "ingest.h"

/* The table being read: column names and a growing list of row values. */
typedef struct table {
  lr__arena arena; /* strings, arrays, names */
  int n_cols;
  const char **names;
  uint8_t *types;   /* the dtype each column is parsed as */
  uint8_t *ignored; /* 1 for a column the view does not have, skipped */
  lr__buf cells;    /* lr_value per cell, row-major */
  size_t n_rows;
  const char *path; /* the file as messages name it */
  int skip_extra;   /* LR_WRITE_IGNORE_EXTRA_COLUMNS */
  int from_file;    /* a file (the flag applies), not a request's table */
  int unit;         /* of epoch numbers in time columns (the colset's) */
  const char *unit_source; /* the source where that unit is declared */
  lr__buf *err;
} table;

/* Row `at` of the file in a message: `FILE: row N`, N counted from 1 at
 * the first data row (the header is not a row), as every message about a
 * row of data says it (docs/cli.md, "Rows in messages"). */
static void put_place(table *t, size_t at) {
  lr__buf_printf(t->err, "%s: row %zu", t->path, at);
}

/* The index of column `name` in the colset, or -1. */
static int colset_find(const lr__colset *cs, const char *name) {
  for (int c = 0; c < cs->n; c++)
    if (!strcmp(cs->names[c], name))
      return c;
  return -1;
}

static int column_type(const lr__colset *cs, const char *name,
                       uint8_t *type) {
  int c = colset_find(cs, name);
  if (c < 0)
    return -1;
  *type = cs->types[c];
  return 0;
}

/* Refuses the columns among `names` (n) that `extra` marks (one at
 * least), all named, with the way past them; at row `at`, or for the
 * whole file (0). */
static int refuse_extra(table *t, const lr__colset *cs,
                        const char *const *names, const uint8_t *extra, int n,
                        size_t at) {
  int count = 0;
  for (int c = 0; c < n; c++)
    count += extra[c];
  if (at)
    put_place(t, at);
  else
    lr__buf_puts(t->err, t->path);
  lr__buf_printf(t->err, ": unknown column%s ", count > 1 ? "s" : "");
  for (int c = 0, listed = 0; c < n; c++)
    if (extra[c])
      lr__buf_printf(t->err, "%s'%s'", listed++ ? ", " : "", names[c]);
  lr__buf_printf(t->err, " for %s (columns are %s)", cs->owner,
                 cs->columns_are);
  if (t->from_file)
    lr__buf_printf(t->err, ": remove %s from the file, or skip %s with "
                   "--ignore-extra-columns (LR_WRITE_IGNORE_EXTRA_COLUMNS)",
                   count > 1 ? "them" : "it", count > 1 ? "them" : "it");
  for (int c = 0, told = 0; c < n && cs->explain_unknown && !told; c++)
    told = extra[c] && cs->explain_unknown(cs->explain_ctx, names[c], t->err);
  return LR_EINVAL;
}

static int set_columns(table *t, const lr__colset *cs, const char **names,
                       int n) {
  t->n_cols = n;
  t->names = lr__arena_array(&t->arena, (size_t)n + 1, sizeof *t->names);
  t->types = lr__arena_array(&t->arena, (size_t)n + 1, 1);
  t->ignored = lr__arena_array(&t->arena, (size_t)n + 1, 1);
  if (!t->names || !t->types || !t->ignored)
    return LR_ENOMEM;
  int extra = 0;
  for (int c = 0; c < n; c++) {
    t->names[c] = lr__arena_strdup(&t->arena, names[c]);
    t->ignored[c] = column_type(cs, names[c], &t->types[c]) != 0;
    extra += t->ignored[c];
  }
  return extra && !t->skip_extra
             ? refuse_extra(t, cs, t->names, t->ignored, n, 0) : 0;
}

static int bad_value(table *t, size_t at, int col, const char *text,
                     uint8_t dt) {
  char s[32];
  put_place(t, at);
  lr__buf_printf(t->err, ": column '%s': ", t->names[col]);
  if (dt == LR__DT_TIMESTAMP) { /* why, in the words of every path */
    lr__buf where;
    lr__buf_init(&where);
    lr__buf_printf(&where, " on source '%s'", t->unit_source);
    lr__time_why(t->err, text, t->unit, "declare timestamp_unit: ",
                 lr__buf_str(&where));
    lr__buf_free(&where);
  } else {
    lr__buf_printf(t->err, "'%.60s' is not a valid %s", text,
                   lr__dtype_name(dt, s));
  }
  return LR_EINVAL;
}

int lr__parse_int_text(const char *s, int type, lr_value *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end ||
      (type == LR_TYPE_INT32 && (v < INT32_MIN || v > INT32_MAX)))
    return -1;
  out->type = type;
  if (type == LR_TYPE_INT32)
    out->v.i32 = (int)v;
  else
    out->v.i64 = v;
  return 0;
}

/* Parses scalar text as a value of base type `dt` (epoch numbers of a
 * timestamp in `unit`). Returns 0 or -1. */
static int parse_scalar(lr__arena *arena, const char *s, uint8_t dt, int unit,
                        lr_value *out) {
  char *end = NULL;
  errno = 0;
  out->type = dt;
  switch (dt) {
  case LR__DT_BOOL:
    if (!lr__ascii_casecmp(s, "true") || !strcmp(s, "1"))
      out->v.b = 1;
    else if (!lr__ascii_casecmp(s, "false") || !strcmp(s, "0"))
      out->v.b = 0;
    else
      return -1;
    return 0;
  case LR__DT_INT32:
  case LR__DT_INT64:
    return lr__parse_int_text(s, dt, out);
  case LR__DT_FLOAT32:
  case LR__DT_FLOAT64: {
    double v = lr__strtod(s, &end);
    if (end == s || *end)
      return -1;
    if (dt == LR__DT_FLOAT32)
      out->v.f32 = (float)v;
    else
      out->v.f64 = v;
    return 0;
  }
  case LR__DT_TIMESTAMP: {
    int64_t us;
    if (lr__time_read(s, unit, &us))
      return -1;
    out->v.ts = us;
    return 0;
  }
  case LR__DT_BYTES: {
    lr__buf bytes;
    lr__buf_init(&bytes);
    int rc = lr__base64_decode(&bytes, s, strlen(s));
    char *copy = rc ? NULL : lr__arena_strndup(arena, lr__buf_str(&bytes),
                                               bytes.len);
    out->v.str.ptr = copy;
    out->v.str.len = bytes.len;
    lr__buf_free(&bytes);
    return copy ? 0 : -1;
  }
  default: /* string */
    out->v.str.ptr = lr__arena_strdup(arena, s);
    out->v.str.len = strlen(s);
    return out->v.str.ptr ? 0 : -1;
  }
}

/* The text of a JSON scalar (a string, number or boolean), or NULL. */
static const char *scalar_text(const lr__jnode *node) {
  return node && (node->kind == LR__J_STRING || node->kind == LR__J_NUMBER ||
                  node->kind == LR__J_BOOL)
             ? node->text
             : NULL;
}

/* A JSON list as an array value of dtype `dt`. */
static int parse_array(lr__arena *arena, const lr__jnode *seq, uint8_t dt,
                       int unit, lr_value *out) {
  if (!seq || seq->kind != LR__J_ARRAY)
    return -1;
  uint8_t base = LR__DT_BASE(dt);
  size_t n = (size_t)seq->n;
  size_t width = base == LR__DT_STRING ? sizeof(lr_str)
                 : base == LR__DT_INT32 || base == LR__DT_FLOAT32 ? 4 : 8;
  char *data = lr__arena_array(arena, n + 1, width);
  if (!data)
    return -1;
  for (size_t k = 0; k < n; k++) {
    const char *s = scalar_text(seq->items[k]);
    lr_value elem;
    if (!s || parse_scalar(arena, s, base, unit, &elem))
      return -1;
    if (base == LR__DT_STRING)
      memcpy(data + k * width, &elem.v.str, width);
    else
      memcpy(data + k * width, &elem.v, width);
  }
  out->type = dt;
  out->v.array.data = data;
  out->v.array.n = n;
  return 0;
}

/* Keys and event_timestamp must have a value in every row: checked here,
 * where the file's row is known, rather than by lr_write_rows. */
static int check_required(table *t, const lr__colset *cs,
                          const lr_value *row, size_t at) {
  for (int c = 0; c < t->n_cols; c++) {
    if (row[c].type != LR_TYPE_NULL || t->ignored[c])
      continue;
    int k = colset_find(cs, t->names[c]);
    if (k >= 0 && cs->required[k]) {
      put_place(t, at);
      lr__buf_printf(t->err, ": column '%s' is empty; every row needs its "
                     "keys and event_timestamp", t->names[c]);
      return LR_EINVAL;
    }
  }
  return 0;
}

static lr_value *new_row(table *t) {
  size_t at = t->cells.len;
  lr__buf_pad(&t->cells, (size_t)t->n_cols * sizeof(lr_value));
  if (lr__buf_failed(&t->cells))
    return NULL;
  memset(t->cells.data + at, 0, (size_t)t->n_cols * sizeof(lr_value));
  t->n_rows++;
  return (lr_value *)(t->cells.data + at);
}

/* A CSV cell's text into column `c` of `row`; empty is null. */
static int csv_cell(table *t, const char *text, size_t at, int c,
                    lr_value *row) {
  if (!*text)
    return 0;
  uint8_t dt = t->types[c];
  if (!LR__DT_IS_ARRAY(dt))
    return parse_scalar(&t->arena, text, dt, t->unit, &row[c])
               ? bad_value(t, at, c, text, dt)
               : 0;
  lr__buf ignored;
  lr__buf_init(&ignored);
  const lr__jnode *list = lr__json_read(text, strlen(text), &t->arena,
                                        &ignored);
  lr__buf_free(&ignored);
  return parse_array(&t->arena, list, dt, t->unit, &row[c])
             ? bad_value(t, at, c, text, dt) : 0;
}

/* Splits one CSV record starting at *p (RFC 4180 quoting) into `fields`
 * (unquoted, NUL-terminated, in `scratch`). Advances *p past the record.
 * Returns the number of fields, -1 on an unterminated quote. */
static int csv_record(const char **p, lr__buf *scratch, size_t *offsets,
                      int max_fields) {
  lr__buf_reset(scratch);
  int n = 0;
  const char *s = *p;
  for (;;) {
    if (n < max_fields)
      offsets[n] = scratch->len;
    n++;
    if (*s == '"') {
      for (s++;; s++) {
        if (!*s)
          return -1;
        if (*s == '"' && s[1] == '"')
          s++;
        else if (*s == '"')
          break;
        lr__buf_putc(scratch, *s);
      }
      s++;
    }
    while (*s && *s != ',' && *s != '\n' && *s != '\r')
      lr__buf_putc(scratch, *s++);
    lr__buf_putc(scratch, '\0');
    if (*s != ',')
      break;
    s++;
  }
  if (*s == '\r')
    s++;
  if (*s == '\n')
    s++;
  *p = s;
  return n;
}

enum { MAX_COLUMNS = 1024 };

static int read_csv(table *t, const lr__colset *cs, const char *text) {
  const char *p = text;
  size_t offsets[MAX_COLUMNS];
  lr__buf scratch;
  lr__buf_init(&scratch);
  int n = csv_record(&p, &scratch, offsets, MAX_COLUMNS);
  const char *names[MAX_COLUMNS];
  for (int c = 0; c < n && c < MAX_COLUMNS; c++)
    names[c] = scratch.data + offsets[c];
  int rc = n < 1 || n > MAX_COLUMNS ? LR_EINVAL : set_columns(t, cs, names, n);
  if (n < 1 || n > MAX_COLUMNS)
    lr__buf_printf(t->err, "%s: bad header row", t->path);
  while (rc == 0 && *p) {
    int got = csv_record(&p, &scratch, offsets, MAX_COLUMNS);
    if (got == 1 && scratch.data[0] == '\0')
      continue; /* a blank line */
    size_t at = t->n_rows + 1;
    if (got != t->n_cols) {
      put_place(t, at);
      lr__buf_printf(t->err, ": %d fields, but the header has %d",
                     got < 0 ? 0 : got, t->n_cols);
      rc = LR_EINVAL;
      break;
    }
    lr_value *row = new_row(t);
    if (!row)
      rc = LR_ENOMEM;
    for (int c = 0; rc == 0 && c < got; c++)
      if (!t->ignored[c])
        rc = csv_cell(t, scratch.data + offsets[c], at, c, row);
    if (rc == 0)
      rc = check_required(t, cs, row, at);
  }
  lr__buf_free(&scratch);
  return rc;
}

enum { SKIPPED = -2 };

/* The column index of `name`, added (with its type) when new; SKIPPED for
 * a key the view does not have (refused before, unless skipped); -1 past
 * MAX_COLUMNS. */
static int json_column(table *t, const lr__colset *cs, const char *name) {
  for (int c = 0; c < t->n_cols; c++)
    if (!strcmp(t->names[c], name))
      return c;
  uint8_t type;
  if (column_type(cs, name, &type))
    return SKIPPED;
  if (t->n_cols == MAX_COLUMNS)
    return -1;
  t->names[t->n_cols] = lr__arena_strdup(&t->arena, name);
  t->types[t->n_cols] = type;
  return t->n_cols++;
}

/* Refuses the keys of a JSON line that are not the view's columns (all of
 * them named), unless they are to be skipped. */
static int check_keys(table *t, const lr__colset *cs,
                      const lr__jnode *object, size_t at) {
  if (t->skip_extra)
    return 0;
  uint8_t *extra = lr__arena_array(&t->arena, (size_t)object->n + 1, 1);
  if (!extra)
    return LR_ENOMEM;
  int any = 0;
  for (int i = 0; i < object->n; i++) {
    uint8_t type;
    extra[i] = column_type(cs, object->keys[i], &type) != 0;
    any |= extra[i];
  }
  return any ? refuse_extra(t, cs, (const char *const *)object->keys, extra,
                            object->n, at)
             : 0;
}

/* lr__json_to_value with epoch numbers in `unit`. */
static int json_to_value(lr__arena *arena, const lr__jnode *node, uint8_t dt,
                         int unit, lr_value *out) {
  const char *s = scalar_text(node);
  if (!node || node->kind == LR__J_NULL) {
    out->type = LR_TYPE_NULL;
    return 0;
  }
  return LR__DT_IS_ARRAY(dt) ? parse_array(arena, node, dt, unit, out)
         : !s || parse_scalar(arena, s, dt, unit, out) ? -1
                                                        : 0;
}

int lr__json_to_value(lr__arena *arena, const lr__jnode *node, uint8_t dt,
                      lr_value *out) {
  return json_to_value(arena, node, dt, LR__TIME_S, out);
}

static int json_value(table *t, const lr__jnode *node, size_t at, int c,
                      lr_value *row) {
  if (json_to_value(&t->arena, node, t->types[c], t->unit, &row[c]) == 0)
    return 0;
  const char *s = scalar_text(node);
  return bad_value(t, at, c, s ? s : "(a list or object)", t->types[c]);
}

/* Widens rows read before a new column appeared (they hold null there). */
static int widen_rows(table *t, int old_cols) {
  if (t->n_cols == old_cols || t->n_rows == 0)
    return 0;
  lr__buf wider;
  lr__buf_init(&wider);
  const lr_value *rows = (const lr_value *)t->cells.data;
  for (size_t r = 0; r < t->n_rows; r++) {
    lr__buf_append(&wider, rows + r * (size_t)old_cols,
                   (size_t)old_cols * sizeof(lr_value));
    size_t at = wider.len;
    lr__buf_pad(&wider, (size_t)(t->n_cols - old_cols) * sizeof(lr_value));
    if (!lr__buf_failed(&wider))
      memset(wider.data + at, 0, wider.len - at);
  }
  lr__buf_free(&t->cells);
  t->cells = wider;
  return lr__buf_failed(&t->cells) ? LR_ENOMEM : 0;
}

static int json_line(table *t, const lr__colset *cs, const char *text,
                     size_t len) {
  size_t at = t->n_rows + 1; /* the row this line holds */
  lr__buf why;
  lr__buf_init(&why);
  const lr__jnode *root = lr__json_read(text, len, &t->arena, &why);
  int rc = 0;
  if (!root || root->kind != LR__J_OBJECT) {
    put_place(t, at);
    lr__buf_printf(t->err, ": not a JSON object%s%s", why.len ? ": " : "",
                   lr__buf_str(&why));
    rc = LR_EINVAL;
  }
  int old_cols = t->n_cols;
  if (rc == 0)
    rc = check_keys(t, cs, root, at);
  for (int i = 0; rc == 0 && i < root->n; i++)
    if (json_column(t, cs, root->keys[i]) == -1) {
      put_place(t, at);
      lr__buf_printf(t->err, ": more than %d columns", MAX_COLUMNS);
      rc = LR_EINVAL;
    }
  if (rc == 0)
    rc = widen_rows(t, old_cols);
  lr_value *row = rc == 0 ? new_row(t) : NULL;
  if (rc == 0 && !row)
    rc = LR_ENOMEM;
  for (int i = 0; rc == 0 && i < root->n; i++) {
    int c = json_column(t, cs, root->keys[i]);
    if (c != SKIPPED)
      rc = json_value(t, root->items[i], at, c, row);
  }
  if (rc == 0)
    rc = check_required(t, cs, row, at);
  lr__buf_free(&why);
  return rc;
}

static int read_jsonl(table *t, const lr__colset *cs, const char *text) {
  t->names = lr__arena_array(&t->arena, MAX_COLUMNS, sizeof *t->names);
  t->types = lr__arena_array(&t->arena, MAX_COLUMNS, 1);
  t->ignored = lr__arena_array(&t->arena, MAX_COLUMNS, 1); /* none */
  if (!t->names || !t->types || !t->ignored)
    return LR_ENOMEM;
  int rc = 0;
  for (const char *p = text; rc == 0 && *p;) {
    size_t len = strcspn(p, "\n");
    if (strspn(p, " \t\r") < len)
      rc = json_line(t, cs, p, len);
    p += len + (p[len] == '\n');
  }
  return rc;
}

/* Moves the table's cells into `rows` as columns (the skipped ones left
 * out); the table's arena goes with them. */
static int table_to_rows(table *t, lr__rows *rows) {
  rows->arena = t->arena;
  lr__arena_init(&t->arena);
  rows->cols = calloc((size_t)t->n_cols + 1, sizeof *rows->cols);
  rows->values = calloc((size_t)t->n_cols * t->n_rows + 1,
                        sizeof *rows->values);
  if (!rows->cols || !rows->values)
    return LR_ENOMEM;
  const lr_value *cells = (const lr_value *)t->cells.data;
  rows->n_rows = t->n_rows;
  for (int c = 0; c < t->n_cols; c++) {
    if (t->ignored[c])
      continue;
    lr_value *column = rows->values + (size_t)rows->n_cols * t->n_rows;
    rows->cols[rows->n_cols].name = t->names[c];
    rows->cols[rows->n_cols++].values = column;
    for (size_t r = 0; r < t->n_rows; r++)
      column[r] = cells[r * (size_t)t->n_cols + (size_t)c];
  }
  return 0;
}

void lr__rows_free(lr__rows *rows) {
  lr__arena_free(&rows->arena);
  free(rows->cols);
  free(rows->values);
  memset(rows, 0, sizeof *rows);
}

/* A table to read colset cs's rows into, messages going to `err`. */
static void table_init(table *t, const lr__colset *cs, const char *shown,
                       lr__buf *err) {
  memset(t, 0, sizeof *t);
  t->path = shown;
  t->unit = cs->time_unit;
  t->unit_source = cs->unit_source;
  t->err = err;
  lr__arena_init(&t->arena);
  lr__buf_init(&t->cells);
}

static void table_free(table *t) {
  lr__arena_free(&t->arena);
  lr__buf_free(&t->cells);
}

static int is_jsonl(const char *path) {
  return lr__fs_has_suffix(path, ".jsonl") || lr__fs_has_suffix(path, ".json");
}

static int unknown_format(lr__buf *err, const char *shown) {
  return lr__errmsg_set(err, LR_EINVAL, "%s: unknown format: use .csv, "
                        ".jsonl, .json or .parquet", shown);
}

int lr__ingest_read_file(const lr__colset *cs, const char *path,
                         const lr__ingest_opts *opts, lr__rows *rows,
                         lr__buf *err) {
  static const lr__ingest_opts plain = {NULL, 0};
  if (!opts)
    opts = &plain;
  memset(rows, 0, sizeof *rows);
  lr__arena_init(&rows->arena);
  const char *shown = opts->shown ? opts->shown : path;
  int csv = lr__fs_has_suffix(path, ".csv");
  if (!csv && !is_jsonl(path))
    return unknown_format(err, shown);
  char *text;
  size_t len;
  int rc = lr__fs_read_text(path, &text, &len, err);
  if (rc)
    return rc;
  table t;
  table_init(&t, cs, shown, err);
  t.skip_extra = (opts->flags & LR_WRITE_IGNORE_EXTRA_COLUMNS) != 0;
  t.from_file = 1;
  rc = csv ? read_csv(&t, cs, text) : read_jsonl(&t, cs, text);
  if (rc == 0)
    rc = table_to_rows(&t, rows);
  table_free(&t);
  free(text);
  return rc;
}

int lr__ingest_read_df(const lr__colset *cs, const lr__jnode *df,
                       lr__rows *rows, lr__buf *err) {
  memset(rows, 0, sizeof *rows);
  lr__arena_init(&rows->arena);
  if (!df || df->kind != LR__J_OBJECT)
    return lr__errmsg_set(err, LR_EINVAL, "'df' must be an object of "
                          "columns: {\"column\": [values...]}");
  table t;
  table_init(&t, cs, "df", err);
  int rc = 0, n = df->n, n_rows = -1;
  for (int c = 0; rc == 0 && c < n; c++) {
    const lr__jnode *list = df->items[c];
    int len = list->kind == LR__J_ARRAY ? list->n : -1;
    if (len < 0 || (n_rows >= 0 && len != n_rows))
      rc = lr__errmsg_set(err, LR_EINVAL, "column '%s' of 'df' must be a "
                          "list as long as the others", df->keys[c]);
    n_rows = len;
  }
  if (rc == 0)
    rc = set_columns(&t, cs, df->keys, n);
  for (int r = 0; rc == 0 && r < n_rows; r++) {
    lr_value *row = new_row(&t);
    if (!row)
      rc = LR_ENOMEM;
    for (int c = 0; rc == 0 && c < n; c++)
      if (!t.ignored[c])
        rc = json_value(&t, df->items[c]->items[r], (size_t)r + 1, c, row);
    if (rc == 0)
      rc = check_required(&t, cs, row, (size_t)r + 1);
  }
  if (rc == 0)
    rc = table_to_rows(&t, rows);
  table_free(&t);
  return rc;
}

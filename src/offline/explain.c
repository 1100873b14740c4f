/*
 * explain.c - DuckDB's errors in Larder's words (explain.h).
 *
 * DuckDB answers a failed query with its own text ("Conversion Error:
 * Could not convert string 'n/a' to FLOAT when casting from source column
 * score") and the line of SQL it failed on: accurate, but about a query
 * the user never wrote, and without the file or row at fault. Two failures
 * are common enough to be told properly: a source whose files are gone,
 * and a value that does not convert to the declared type. For the second,
 * a query of its own finds the first such value with TRY_CAST and where it
 * is: the file (DuckDB's `filename` column) and its 1-based data row
 * (`file_row_number` for Parquet; for CSV the row's place in a one-thread
 * scan of the file, which keeps the file's order). Anything else keeps
 * DuckDB's first line, its query left for verbose mode.
 */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"

/* How DuckDB quotes a glob that matches nothing. */
#define NO_FILES "No files found that match the pattern \""
/* How it reports a value that does not convert. */
#define NO_CONVERT "Could not convert string '"

/* Appends DuckDB's first paragraph: its message without the quoted query
 * ("LINE 1: ...") that follows a blank line. */
static void first_paragraph(const char *duck, lr__buf *out) {
  const char *end = strstr(duck, "\n\nLINE ");
  if (!end)
    end = strstr(duck, "\nLINE ");
  size_t n = end ? (size_t)(end - duck) : strlen(duck);
  while (n && (duck[n - 1] == '\n' || duck[n - 1] == ' '))
    n--;
  lr__buf_printf(out, "%.*s", (int)n, duck);
}

/* Appends, in verbose mode, what Larder ran and what DuckDB said. */
static void put_verbose(lr_offline *off, const char *duck, const char *sql) {
  if (!off->verbose)
    return;
  lr__buf_printf(&off->errmsg, "\nDuckDB said: %s", duck);
  if (sql)
    lr__buf_printf(&off->errmsg, "\nThe query: %s", sql);
}

/* The hint that ends a message keeping DuckDB's words. */
static void put_hint(lr_offline *off) {
  if (!off->verbose)
    lr__buf_puts(&off->errmsg, " (`larder --verbose` shows the query)");
}

/* The glob DuckDB found no file for, into `path`; 0 when `duck` is not
 * about that. */
static int missing_glob(const char *duck, lr__buf *path) {
  const char *at = strstr(duck, NO_FILES);
  if (!at)
    return 0;
  at += strlen(NO_FILES);
  const char *end = strchr(at, '"');
  lr__buf_printf(path, "%.*s", end ? (int)(end - at) : (int)strlen(at), at);
  return 1;
}

/* `path` as the user wrote it: relative to the repo when inside it. */
static const char *in_repo(const lr_offline *off, const char *path) {
  size_t n = strlen(off->repo);
  return !strncmp(path, off->repo, n) && path[n] == '/' ? path + n + 1 : path;
}

/* The text of DuckDB's line that starts with `label`, up to its end, into
 * `out`; 0 when there is none. */
static int line_after(const char *duck, const char *label, lr__buf *out) {
  const char *at = strstr(duck, label);
  if (!at)
    return 0;
  at += strlen(label);
  size_t n = strcspn(at, "\n");
  lr__buf_printf(out, "%.*s", (int)n, at);
  return 1;
}

/* A CSV file whose first rows DuckDB could not make a table of: appends
 * the file and what to look for. Returns 1 when `duck` says that. */
static int explain_sniffing(lr_offline *off, const char *duck) {
  lr__buf file;
  lr__buf_init(&file);
  int sniffing = line_after(duck, "Error when sniffing file \"", &file) &&
                 strchr(lr__buf_str(&file), '"');
  if (sniffing) {
    const char *path = in_repo(off, lr__buf_str(&file));
    lr__buf_printf(&off->errmsg,
                   "%.*s is not a CSV file Larder can read: "
                   "its first rows do not make a table (a row with more or "
                   "fewer fields than the header, or a quote not closed); "
                   "check them",
                   (int)(strchr(path, '"') - path), path);
  }
  lr__buf_free(&file);
  return sniffing;
}

/* A CSV file DuckDB could not parse ("CSV Error on Line: N", the file
 * named in its settings below): appends "FILE: row N-1: why", the header
 * being line 1. Returns 1 when `duck` is such an error. */
static int explain_csv(lr_offline *off, const char *duck) {
  lr__buf line, file, why;
  lr__buf_init(&line);
  lr__buf_init(&file);
  lr__buf_init(&why);
  int is_csv = line_after(duck, "CSV Error on Line: ", &line) &&
               line_after(duck, "\n  file = ", &file) &&
               line_after(duck, "Original Line: ", &why);
  if (is_csv) {
    lr__buf_reset(&why);
    const char *at = strstr(duck, "Original Line: ");
    at = strchr(at, '\n');
    size_t n = at ? strcspn(at + 1, "\n") : 0;
    int want = 0, got = 0;
    if (at && sscanf(at + 1, "Expected Number of Columns: %d Found: %d", &want,
                     &got) == 2)
      lr__buf_printf(&why, "%d field%s, but the header has %d", got,
                     got == 1 ? "" : "s", want);
    else
      lr__buf_printf(&why, "%.*s", (int)n, at ? at + 1 : "");
    lr__buf_printf(&off->errmsg, "%s: row %lld: %s",
                   in_repo(off, lr__buf_str(&file)),
                   atoll(lr__buf_str(&line)) - 1, lr__buf_str(&why));
  }
  lr__buf_free(&line);
  lr__buf_free(&file);
  lr__buf_free(&why);
  return is_csv || explain_sniffing(off, duck);
}

int lr__explain_query(lr_offline *off, const char *doing, const char *duck,
                      const char *sql) {
  lr__buf path;
  lr__buf_init(&path);
  lr__buf_printf(&off->errmsg, "%s: ", doing);
  if (missing_glob(duck, &path)) {
    lr__buf_printf(&off->errmsg,
                   "no file matches %s: check the path, or "
                   "put the file there",
                   in_repo(off, lr__buf_str(&path)));
  } else if (!explain_csv(off, duck)) {
    first_paragraph(duck, &off->errmsg);
    put_hint(off);
  }
  put_verbose(off, duck, sql);
  lr__buf_free(&path);
  return LR_EINVAL;
}

/* ---- a value that does not convert ------------------------------------ */

/* Where a bad value was found. */
typedef struct bad_value {
  lr__buf file;  /* its file, as DuckDB names it; empty for a sql source */
  lr__buf row;   /* its 1-based row in that file */
  lr__buf value; /* the value, as text */
} bad_value;

/* Runs `sql`, whose one row (if any) is file, row, value; fills `bad`.
 * Returns 1 when a row came back. */
static int first_bad(lr_offline *off, const char *sql, bad_value *bad) {
  lr__buf rows, why;
  lr__buf_init(&rows);
  lr__buf_init(&why);
  int found = lr__duckdb_run(&off->db, sql, 3, &rows, &why) == 0 && rows.len;
  if (found) {
    const char *text = lr__buf_str(&rows);
    const char *tab1 = strchr(text, '\t');
    const char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    const char *nl = tab2 ? strchr(tab2 + 1, '\n') : NULL;
    found = nl != NULL;
    if (found) {
      lr__buf_printf(&bad->file, "%.*s", (int)(tab1 - text), text);
      lr__buf_printf(&bad->row, "%.*s", (int)(tab2 - tab1 - 1), tab1 + 1);
      lr__buf_printf(&bad->value, "%.*s", (int)(nl - tab2 - 1), tab2 + 1);
    }
  }
  lr__buf_free(&rows);
  lr__buf_free(&why);
  return found;
}

/* Looks for the first value of source column `column` of s that does not
 * cast to dtype dt. The scan runs on one thread so that a CSV file's rows
 * are numbered in the file's order; the setting is put back after. */
static int find_bad(lr_offline *off, const lr__source *s, const char *column,
                    uint8_t dt, bad_value *bad) {
  lr__buf sql, threads, why;
  lr__buf_init(&sql);
  lr__buf_init(&threads);
  lr__buf_init(&why);
  lr__buf_puts(&sql, "SELECT __larder_file, __larder_file_row, CAST(");
  lr__sql_ident(&sql, column);
  lr__buf_puts(&sql, " AS VARCHAR)");
  lr__source_from_located(off, s, &sql);
  lr__buf_puts(&sql, " WHERE ");
  lr__sql_ident(&sql, column);
  lr__buf_puts(&sql, " IS NOT NULL AND ");
  lr__sql_cast_column(&sql, column, dt, !lr__source_is_parquet(s) &&
                                            s->kind == LR__SOURCE_FILE, 1);
  lr__buf_puts(&sql, " IS NULL LIMIT 1");
  int found = 0;
  if (lr__duckdb_run(&off->db, "SELECT current_setting('threads')", 1, &threads,
                     &why) == 0 &&
      lr__duckdb_run(&off->db, "SET threads = 1", 0, NULL, &why) == 0) {
    found = first_bad(off, lr__buf_str(&sql), bad);
    char reset[64];
    snprintf(reset, sizeof reset, "SET threads = %d",
             atoi(lr__buf_str(&threads)));
    lr__duckdb_run(&off->db, reset, 0, NULL, &why);
  }
  lr__buf_free(&sql);
  lr__buf_free(&threads);
  lr__buf_free(&why);
  return found;
}

/* Names the bad value of output `name` (a feature, or a join key when
 * `key`) of view v, read from source s as dtype dt. */
static void put_bad(lr_offline *off, const lr__view *v, const lr__source *s,
                    const char *name, int key, uint8_t dt,
                    const bad_value *bad) {
  char scratch[32];
  const char *type = lr__dtype_name(dt, scratch);
  const char *column = lr__source_column(s, name);
  lr__buf *m = &off->errmsg;
  lr__buf_printf(m, "feature view '%s': ", v->name);
  if (s->kind == LR__SOURCE_FILE)
    lr__buf_printf(m, "%s: row %s: column '%s': '%s' is not a valid %s",
                   in_repo(off, lr__buf_str(&bad->file)),
                   lr__buf_str(&bad->row), column, lr__buf_str(&bad->value),
                   type);
  else
    lr__buf_printf(m,
                   "the query of source '%s' gives '%s' in column '%s', "
                   "which is not a valid %s",
                   s->name, lr__buf_str(&bad->value), column, type);
  lr__buf_printf(m, " (the type of %s '%s'): ", key ? "join key" : "feature",
                 name);
  if (s->kind != LR__SOURCE_FILE)
    lr__buf_puts(m, "convert or filter it in the query");
  else if (key)
    lr__buf_puts(m, "fix the value");
  else
    lr__buf_puts(m, "fix the value, or leave the cell empty for a null");
}

/* 1 when DuckDB's text `named` (what follows "source column ") is
 * `column`, up to its line's end. */
static int is_named(const char *named, const char *column) {
  size_t len = strlen(column);
  return strncmp(named, column, len) == 0 &&
         (named[len] == '\0' || named[len] == '\n');
}

/* Looks through v's join keys and features, the column DuckDB named
 * first, for a value that does not convert; puts the message. Returns 1
 * when one was found. */
static int explain_conversion(lr_offline *off, const lr__view *v,
                              const lr__source *s, const char *duck) {
  const char *named = strstr(duck, "when casting from source column ");
  if (named)
    named += strlen("when casting from source column ");
  const char *keys[16];
  uint8_t key_types[16];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, key_types, 16);
  bad_value bad;
  lr__buf_init(&bad.file);
  lr__buf_init(&bad.row);
  lr__buf_init(&bad.value);
  int found = 0;
  /* pass 0: the column DuckDB named; pass 1: every column */
  for (int pass = named ? 0 : 1; !found && pass < 2; pass++)
    for (int i = 0; !found && i < n_keys + v->n_features; i++) {
      int key = i < n_keys;
      const char *name = key ? keys[i] : v->features[i - n_keys].name;
      uint8_t dt = key ? key_types[i] : v->features[i - n_keys].dtype;
      const char *column = lr__source_column(s, name);
      if ((pass == 0 && !is_named(named, column)) || dt == LR__DT_TIMESTAMP)
        continue; /* times are the time parser's to report (timecol.c) */
      if ((found = find_bad(off, s, column, dt, &bad)))
        put_bad(off, v, s, name, key, dt, &bad);
    }
  lr__buf_free(&bad.file);
  lr__buf_free(&bad.row);
  lr__buf_free(&bad.value);
  return found;
}

int lr__explain_source(lr_offline *off, const lr__view *v, const char *duck,
                       const char *sql) {
  const lr__source *s = lr__offline_source(off, v);
  lr__buf path;
  lr__buf_init(&path);
  lr__buf_reset(&off->errmsg);
  if (s && missing_glob(duck, &path)) {
    lr__buf_printf(&off->errmsg,
                   "feature view '%s': source '%s' reads %s, "
                   "and no file matches it: put the data back there, or "
                   "point the source's path at it and run `larder apply`",
                   v->name, s->name,
                   s->kind == LR__SOURCE_FILE
                       ? s->path
                       : in_repo(off, lr__buf_str(&path)));
  } else if (strstr(duck, "CSV Error on Line: ") ||
             strstr(duck, "Error when sniffing file \"")) {
    lr__buf_printf(&off->errmsg, "feature view '%s': ", v->name);
    if (!explain_csv(off, duck))
      first_paragraph(duck, &off->errmsg);
  } else if (!s || !strstr(duck, NO_CONVERT) ||
             !explain_conversion(off, v, s, duck)) {
    lr__buf_printf(&off->errmsg, "feature view '%s': reading its source",
                   v->name);
    if (s)
      lr__buf_printf(&off->errmsg, " '%s'", s->name);
    lr__buf_puts(&off->errmsg, ": ");
    first_paragraph(duck, &off->errmsg);
    put_hint(off);
  }
  put_verbose(off, duck, sql);
  lr__buf_free(&path);
  return LR_EINVAL;
}

/* ---- the entity rows ---------------------------------------------------- */

/* Looks for the first entity row whose column `key` does not cast to dt;
 * fills `bad` (no file). */
static int find_bad_key(lr_offline *off, const char *key, uint8_t dt,
                        bad_value *bad) {
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_puts(&sql, "SELECT '', __larder_row, CAST(");
  lr__sql_ident(&sql, key);
  lr__buf_puts(&sql, " AS VARCHAR) FROM __entities WHERE ");
  lr__sql_ident(&sql, key);
  lr__buf_puts(&sql, " IS NOT NULL AND TRY_CAST(");
  lr__sql_ident(&sql, key);
  lr__buf_puts(&sql, " AS ");
  lr__sql_type(&sql, dt);
  lr__buf_puts(&sql, ") IS NULL ORDER BY __larder_row LIMIT 1");
  int found = first_bad(off, lr__buf_str(&sql), bad);
  lr__buf_free(&sql);
  return found;
}

int lr__explain_entity_keys(lr_offline *off, const lr__view *const *views,
                            int n_views, const char *entities) {
  bad_value bad;
  lr__buf_init(&bad.file);
  lr__buf_init(&bad.row);
  lr__buf_init(&bad.value);
  int found = 0;
  for (int g = 0; !found && g < n_views; g++) {
    const char *keys[16];
    uint8_t key_types[16];
    int n_keys = lr__model_view_keys(&off->reg, views[g], keys, key_types, 16);
    for (int k = 0; !found && k < n_keys; k++)
      if ((found = find_bad_key(off, keys[k], key_types[k], &bad))) {
        char scratch[32];
        const char *type = lr__dtype_name(key_types[k], scratch);
        lr__buf_reset(&off->errmsg);
        lr__buf_printf(&off->errmsg,
                       "%s: row %s: column '%s': '%s' is "
                       "not a valid %s (a join key of feature view '%s'): "
                       "fix the value",
                       entities, lr__buf_str(&bad.row), keys[k],
                       lr__buf_str(&bad.value), type, views[g]->name);
      }
  }
  lr__buf_free(&bad.file);
  lr__buf_free(&bad.row);
  lr__buf_free(&bad.value);
  return found;
}

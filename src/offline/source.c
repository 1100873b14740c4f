/*
 * source.c - the SQL that reads a feature view's rows from its source:
 * a file (Parquet or CSV, globs allowed), a SQL query, or a push source's
 * batch source. Every name from the definitions is quoted as an
 * identifier, every path as a literal; paths resolve inside the repo.
 */
#include <string.h>
#include <strings.h>

#include "../util/fs.h"
#include "offline.h"

static void cast_column(lr__buf *sql, const char *column, uint8_t dtype,
                        const char *as) {
  lr__buf_puts(sql, "CAST(");
  lr__sql_ident(sql, column);
  lr__buf_puts(sql, " AS ");
  lr__sql_type(sql, dtype);
  lr__buf_puts(sql, ") AS ");
  lr__sql_ident(sql, as);
}

int lr__source_is_parquet(const lr__source *s) {
  return s->kind == LR__SOURCE_FILE && !lr__fs_has_suffix(s->path, ".csv") &&
         !lr__fs_has_suffix(s->path, ".csv.gz");
}

void lr__source_path(const lr_offline *off, const lr__source *s,
                     lr__buf *out) {
  lr__fs_join(out, off->repo, s->path);
}

/* The table function that reads file source s, without its closing
 * parenthesis: read_csv(PATH, ... or read_parquet(PATH. With `as_text`
 * (the loads) a CSV file is read in a fixed dialect, every column as
 * text: the view's casts convert it, so a value that does not convert
 * fails as the same error wherever it is in the file, rather than as a
 * type DuckDB guessed from the first rows. Without (the source check's
 * DESCRIBE) DuckDB's guess is what is asked for. */
static void read_call(const lr_offline *off, const lr__source *s,
                      int as_text, lr__buf *sql) {
  lr__buf path;
  lr__buf_init(&path);
  lr__source_path(off, s, &path);
  int csv = !lr__source_is_parquet(s);
  lr__buf_puts(sql, csv ? "read_csv(" : "read_parquet(");
  lr__sql_literal(sql, lr__buf_str(&path));
  if (csv)
    lr__buf_puts(sql, ", header = true");
  if (csv && as_text)
    lr__buf_puts(sql, ", delim = ',', quote = '\"', escape = '\"', "
                      "all_varchar = true");
  lr__buf_free(&path);
}

/* The FROM clause of file or sql source s; see read_call for as_text. */
static void from_clause(const lr_offline *off, const lr__source *s,
                        int as_text, lr__buf *sql) {
  if (s->kind == LR__SOURCE_SQL) {
    lr__buf_printf(sql, " FROM (%s) AS __source", s->query);
    return;
  }
  lr__buf_puts(sql, " FROM ");
  read_call(off, s, as_text, sql);
  lr__buf_puts(sql, ")");
}

void lr__source_from(const lr_offline *off, const lr__source *s,
                     lr__buf *sql) {
  from_clause(off, s, 0, sql);
}

void lr__source_from_located(const lr_offline *off, const lr__source *s,
                             lr__buf *sql) {
  if (s->kind == LR__SOURCE_SQL) {
    lr__buf_printf(sql, " FROM (SELECT *, '' AS __larder_file, "
                   "row_number() OVER () AS __larder_file_row FROM (%s)) "
                   "AS __source", s->query);
    return;
  }
  int parquet = lr__source_is_parquet(s);
  lr__buf_puts(sql, " FROM (SELECT * EXCLUDE (filename");
  lr__buf_puts(sql, parquet ? ", file_row_number" : "");
  lr__buf_puts(sql, "), filename AS __larder_file, ");
  lr__buf_puts(sql, parquet ? "file_row_number + 1"
                            : "row_number() OVER (PARTITION BY filename)");
  lr__buf_puts(sql, " AS __larder_file_row FROM ");
  read_call(off, s, 1, sql);
  lr__buf_puts(sql, parquet ? ", filename = true, file_row_number = true))"
                            : ", filename = true))");
}

const lr__source *lr__offline_source(const lr_offline *off,
                                    const lr__view *v) {
  return lr__model_data_source(&off->reg, v);
}

int lr__source_select(lr_offline *off, const lr__view *v, lr__buf *sql) {
  const lr__source *s = lr__offline_source(off, v);
  if (!s || (s->kind != LR__SOURCE_FILE && s->kind != LR__SOURCE_SQL)) {
    lr__buf_printf(&off->errmsg, "feature view '%s' has no file or sql "
                   "source to read", v->name);
    return LR_EINVAL;
  }
  const char *keys[16];
  uint8_t key_types[16];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, key_types, 16);
  lr__buf_puts(sql, "SELECT ");
  for (int k = 0; k < n_keys; k++) {
    cast_column(sql, lr__source_column(s, keys[k]), key_types[k], keys[k]);
    lr__buf_puts(sql, ", ");
  }
  cast_column(sql, s->timestamp_field, LR__DT_TIMESTAMP, "__ts");
  lr__buf_puts(sql, ", ");
  if (s->created_column)
    cast_column(sql, s->created_column, LR__DT_TIMESTAMP, "__created");
  else
    lr__buf_puts(sql, "NULL::TIMESTAMPTZ AS \"__created\"");
  for (int f = 0; f < v->n_features; f++) {
    lr__buf_puts(sql, ", ");
    cast_column(sql, lr__source_column(s, v->features[f].name),
                v->features[f].dtype, v->features[f].name);
  }
  from_clause(off, s, 1, sql);
  return 0;
}

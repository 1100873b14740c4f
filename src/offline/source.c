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

/* FROM clause of a file or sql source. */
static int from_clause(lr_offline *off, const lr__source *s, lr__buf *sql) {
  if (s->kind == LR__SOURCE_SQL) {
    lr__buf_printf(sql, " FROM (%s) AS __source", s->query);
    return 0;
  }
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, off->repo, s->path);
  int csv = !lr__source_is_parquet(s);
  lr__buf_puts(sql, csv ? " FROM read_csv(" : " FROM read_parquet(");
  lr__sql_literal(sql, lr__buf_str(&path));
  lr__buf_puts(sql, csv ? ", header = true)" : ")");
  lr__buf_free(&path);
  return 0;
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
  return from_clause(off, s, sql);
}

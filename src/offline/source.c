/*
 * source.c - the SQL that reads a feature view's rows from its source:
 * a file (Parquet or CSV, globs allowed), a SQL query, or a push source's
 * batch source together with the files pushed to the offline store
 * through the push source (UNION ALL: the same reads over both, so a
 * pushed row reads as a batch row does). Every name from the definitions
 * is quoted as an identifier, every path as a literal; paths resolve
 * inside the repo.
 *
 * Time columns (timestamp_field, created_timestamp_column, timestamp
 * features) are read by Larder's time parser (timecol.c), never by a cast:
 * CSV files give them as text (loads read every CSV column as text, so no
 * sniffer picks a date format), and each file row carries its file and
 * 1-based data row for the messages. A snapshot source (no timestamp_field) gives each row
 * as_of, or the modification time of its file.
 */
#include <string.h>
#include <strings.h>

#include "../util/dtype.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "offline.h"
#include "pushed.h"

/* The columns a file read adds: the file a row came from and its row. */
#define FILE_COLUMN "__larder_file"
#define ROW_COLUMN "__larder_row"

/* Appends CAST or TRY_CAST of `column` to dtype. */
static void plain_cast(lr__buf *sql, const char *column, uint8_t dtype,
                       int as_try) {
  lr__buf_puts(sql, as_try ? "TRY_CAST(" : "CAST(");
  lr__sql_ident(sql, column);
  lr__buf_puts(sql, " AS ");
  lr__sql_type(sql, dtype);
  lr__buf_puts(sql, ")");
}

void lr__sql_cast_column(lr__buf *sql, const char *column, uint8_t dtype,
                         int text, int as_try) {
  if (!text || (dtype != LR__DT_INT32 && dtype != LR__DT_INT64)) {
    plain_cast(sql, column, dtype, as_try);
    return;
  }
  lr__buf_puts(sql, "CASE WHEN regexp_full_match(");
  lr__sql_ident(sql, column);
  lr__buf_puts(sql, ", '\\s*[+-]?[0-9]+\\s*') THEN ");
  plain_cast(sql, column, dtype, as_try);
  if (!as_try) { /* fails as a value that does not convert does */
    lr__buf_puts(sql, " ELSE CAST(");
    lr__sql_ident(sql, column);
    lr__buf_puts(sql, " || ' is not an integer' AS ");
    lr__sql_type(sql, dtype);
    lr__buf_puts(sql, ")");
  }
  lr__buf_puts(sql, " END");
}

/* Appends `column` cast to dtype (see lr__sql_cast_column), named `as`. */
static void cast_column(lr__buf *sql, const char *column, uint8_t dtype,
                        int text, const char *as) {
  lr__sql_cast_column(sql, column, dtype, text, 0);
  lr__buf_puts(sql, " AS ");
  lr__sql_ident(sql, as);
}

int lr__source_is_parquet(const lr__source *s) {
  return s->kind == LR__SOURCE_FILE && !lr__fs_has_suffix(s->path, ".csv") &&
         !lr__fs_has_suffix(s->path, ".csv.gz");
}

/* 1 when view v reads a column of source s as a time. */
static int reads_times(const lr__source *s, const lr__view *v) {
  int any = s->timestamp_field || s->created_column;
  for (int f = 0; f < v->n_features && !any; f++)
    any = v->features[f].dtype == LR__DT_TIMESTAMP;
  return any;
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

/* The scan of file source `s` a load reads: read_call's, each row with
 * its file (and, for Parquet, its row in it). */
static void file_scan(const lr_offline *off, const lr__source *s,
                      lr__buf *sql) {
  read_call(off, s, 1, sql);
  lr__buf_puts(sql, lr__source_is_parquet(s)
                        ? ", filename = '" FILE_COLUMN "', "
                          "file_row_number = true)"
                        : ", filename = '" FILE_COLUMN "')");
}

/* FROM of a file source: its scan, and for CSV the rows numbered in each
 * file (DuckDB keeps a scan's order; a glob's files come one after the
 * other, so a file's rows are numbered from its first). */
static void file_from(const lr_offline *off, const lr__source *s,
                      const lr__view *v, lr__buf *sql) {
  lr__buf_puts(sql, " FROM ");
  if (lr__source_is_parquet(s) || !reads_times(s, v)) {
    file_scan(off, s, sql); /* no row read as a time needs a number */
    return;
  }
  int glob = strpbrk(s->path, "*?[") != NULL;
  lr__buf_puts(sql, glob ? "(SELECT * EXCLUDE (__larder_n), __larder_n - "
                           "min(__larder_n) OVER (PARTITION BY " FILE_COLUMN
                           ") + 1 AS " ROW_COLUMN " FROM (SELECT *, "
                           "row_number() OVER () AS __larder_n FROM "
                         : "(SELECT *, row_number() OVER () AS " ROW_COLUMN
                           " FROM ");
  file_scan(off, s, sql);
  lr__buf_puts(sql, glob ? ")) AS __source" : ") AS __source");
}

/* The messages' words for source `s`'s time columns. */
typedef struct source_words {
  lr__buf owner, place, where;
} source_words;

static void words_init(source_words *w, const lr__source *s) {
  lr__buf_init(&w->owner);
  lr__buf_init(&w->place);
  lr__buf_init(&w->where);
  if (s->kind == LR__SOURCE_SQL) { /* the place names the source */
    lr__buf_printf(&w->place, "source '%s' (its query)", s->name);
  } else {
    lr__buf_printf(&w->owner, " of source '%s'", s->name);
    lr__buf_puts(&w->place, s->path);
  }
  lr__buf_printf(&w->where, " on source '%s'", s->name);
}

static void words_free(source_words *w) {
  lr__buf_free(&w->owner);
  lr__buf_free(&w->place);
  lr__buf_free(&w->where);
}

/* Where rows come from: SQL expressions of a row's file and 1-based row
 * for the messages, or NULL (a query's rows); and whether their cells are
 * text (a CSV file, read as text) or typed. */
typedef struct row_place {
  const char *file, *row;
  int text;
} row_place;

/* The place of the rows of source s's own files (or query). */
static row_place source_place(const lr__source *s) {
  if (s->kind != LR__SOURCE_FILE)
    return (row_place){NULL, NULL, 0};
  int parquet = lr__source_is_parquet(s);
  return (row_place){FILE_COLUMN, parquet ? "file_row_number + 1" : ROW_COLUMN,
                     !parquet};
}

/* Appends `column` of source `s` read as a time, named `as`. */
static int time_column(lr_offline *off, const lr__source *s, row_place at,
                       const char *column, const char *as, lr__buf *sql) {
  source_words w;
  words_init(&w, s);
  lr__time_column how = {column, lr__buf_str(&w.owner), lr__buf_str(&w.place),
                         lr__source_time_unit(s), "declare timestamp_unit: ",
                         lr__buf_str(&w.where)};
  lr__buf value;
  lr__buf_init(&value);
  lr__sql_ident(&value, column);
  int rc = lr__time_column_call(off, &how, lr__buf_str(&value), at.file,
                                at.row, sql);
  lr__buf_puts(sql, " AS ");
  lr__sql_ident(sql, as);
  lr__buf_free(&value);
  words_free(&w);
  return rc;
}

/* A snapshot's event time: as_of, or each row's file's modification
 * time. */
static int snapshot_time(lr_offline *off, const lr__source *s, lr__buf *sql) {
  if (s->has_as_of) {
    char as_of[40];
    lr__time_format(s->as_of_us, as_of);
    lr__buf_printf(sql, "'%s'::TIMESTAMPTZ AS \"__ts\"", as_of);
    return 0;
  }
  source_words w;
  words_init(&w, s);
  lr__buf what;
  lr__buf_init(&what);
  lr__buf_printf(&what, "source '%s'", s->name);
  lr__time_column how = {lr__buf_str(&what), "", lr__buf_str(&w.place),
                         LR__TIME_S, "", ""};
  int rc = lr__file_time_call(off, &how, FILE_COLUMN, sql);
  lr__buf_puts(sql, " AS \"__ts\"");
  lr__buf_free(&what);
  words_free(&w);
  return rc;
}

const lr__source *lr__offline_source(const lr_offline *off,
                                    const lr__view *v) {
  return lr__model_data_source(&off->reg, v);
}

/* The most join keys a view's reads name. */
enum { MAX_KEYS = 16 };

/* Appends the SELECT list (keys, __ts, __created, features, each read and
 * renamed) that reads view v's rows from source s's columns, the rows
 * coming from `at`. */
static int select_list(lr_offline *off, const lr__view *v,
                       const lr__source *s, row_place at, lr__buf *sql) {
  const char *keys[MAX_KEYS];
  uint8_t key_types[MAX_KEYS];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, key_types, MAX_KEYS);
  lr__buf_puts(sql, "SELECT ");
  for (int k = 0; k < n_keys; k++) {
    cast_column(sql, lr__source_column(s, keys[k]), key_types[k], at.text,
                keys[k]);
    lr__buf_puts(sql, ", ");
  }
  int rc = s->timestamp_field
               ? time_column(off, s, at, s->timestamp_field, "__ts", sql)
               : snapshot_time(off, s, sql);
  lr__buf_puts(sql, ", ");
  if (rc == 0 && s->created_column)
    rc = time_column(off, s, at, s->created_column, "__created", sql);
  else
    lr__buf_puts(sql, "NULL::TIMESTAMPTZ AS \"__created\"");
  for (int f = 0; rc == 0 && f < v->n_features; f++) {
    const lr__field *field = &v->features[f];
    lr__buf_puts(sql, ", ");
    if (field->dtype == LR__DT_TIMESTAMP)
      rc = time_column(off, s, at, lr__source_column(s, field->name),
                       field->name, sql);
    else
      cast_column(sql, lr__source_column(s, field->name), field->dtype,
                  at.text, field->name);
  }
  return rc;
}

/* Appends `NULL::TYPE AS "column"` of a column view v reads. */
static void null_column(lr__buf *sql, const char *column, uint8_t dtype,
                        int first) {
  lr__buf_puts(sql, first ? "" : ", ");
  lr__buf_puts(sql, "NULL::");
  lr__sql_type(sql, dtype);
  lr__buf_puts(sql, " AS ");
  lr__sql_ident(sql, column);
}

/* The FROM of the files pushed to the offline store through push source
 * p (folder `dir`) for view v, whose batch source is s: the files read by
 * name, each row with its file and row, after an empty row set holding
 * every column v reads, so that a file pushed before a feature was added
 * reads it as null. */
static void pushed_from(lr_offline *off, const lr__view *v,
                        const lr__source *s, const char *dir, lr__buf *sql) {
  const char *keys[MAX_KEYS];
  uint8_t key_types[MAX_KEYS];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, key_types, MAX_KEYS);
  lr__buf_puts(sql, " FROM (SELECT * FROM (SELECT ");
  for (int k = 0; k < n_keys; k++)
    null_column(sql, lr__source_column(s, keys[k]), key_types[k], k == 0);
  null_column(sql, s->timestamp_field, LR__DT_TIMESTAMP, n_keys == 0);
  if (s->created_column)
    null_column(sql, s->created_column, LR__DT_TIMESTAMP, 0);
  for (int f = 0; f < v->n_features; f++)
    null_column(sql, lr__source_column(s, v->features[f].name),
                v->features[f].dtype, 0);
  lr__buf glob;
  lr__buf_init(&glob);
  lr__pushed_glob(dir, &glob);
  lr__buf_puts(sql, " LIMIT 0) UNION ALL BY NAME SELECT * FROM read_parquet(");
  lr__sql_literal(sql, lr__buf_str(&glob));
  lr__buf_puts(sql, ", union_by_name = true, filename = '" FILE_COLUMN
                    "', file_row_number = true)) AS __pushed");
  lr__buf_free(&glob);
}

/* Appends the rows pushed to the offline store through push source
 * `push` that view v reads with batch source s, if any file is there. */
static int pushed_select(lr_offline *off, const lr__view *v,
                         const lr__source *s, const lr__source *push,
                         lr__buf *sql) {
  lr__buf dir;
  lr__buf_init(&dir);
  lr__pushed_dir(off->repo, push, &dir);
  int rc = 0;
  if (!lr__pushed_any(lr__buf_str(&dir))) {
    /* nothing pushed offline */
  } else if (!s->timestamp_field) {
    rc = lr__errmsg_set(&off->errmsg, LR_EINVAL,
                        "feature view '%s' reads push source '%s', whose "
                        "offline folder %s holds pushed files, but its batch "
                        "source '%s' is a snapshot (no timestamp_field), "
                        "whose rows take their time from their file: give "
                        "'%s' a timestamp_field, or move the pushed files "
                        "out of %s", v->name, push->name, lr__buf_str(&dir),
                        s->name, s->name, lr__buf_str(&dir));
  } else {
    lr__buf_puts(sql, " UNION ALL ");
    rc = select_list(off, v, s,
                     (row_place){FILE_COLUMN, "file_row_number + 1", 0}, sql);
    pushed_from(off, v, s, lr__buf_str(&dir), sql);
  }
  lr__buf_free(&dir);
  return rc;
}

int lr__source_select(lr_offline *off, const lr__view *v, lr__buf *sql) {
  const lr__source *s = lr__offline_source(off, v);
  if (!s || (s->kind != LR__SOURCE_FILE && s->kind != LR__SOURCE_SQL)) {
    lr__buf_printf(&off->errmsg, "feature view '%s' has no file or sql "
                   "source to read", v->name);
    return LR_EINVAL;
  }
  int rc = select_list(off, v, s, source_place(s), sql);
  if (s->kind == LR__SOURCE_SQL)
    from_clause(off, s, 1, sql);
  else
    file_from(off, s, v, sql);
  const lr__source *push = v->source ? lr__model_source(&off->reg, v->source)
                                     : NULL;
  if (rc == 0 && push && push->kind == LR__SOURCE_PUSH)
    rc = pushed_select(off, v, s, push, sql);
  return rc;
}

/*
 * schema_check.c - lr_repo_check_sources: a repo's file and sql sources
 * checked against the definitions that read them, before they are
 * applied, so that a renamed feature or a mistyped timestamp_field is an
 * error at its `file:line:col` in Larder's words, not DuckDB's Binder
 * Error at the next materialization.
 *
 * DuckDB describes each source without reading its rows (DESCRIBE of the
 * very FROM clause materialization reads: a Parquet footer, a CSV sample,
 * a bound query). The columns it lists must then hold what the source's
 * timestamp_field and created_timestamp_column name, and the join keys and
 * features of every feature view that reads the source (directly or
 * through a push source), after field_mapping, in types that load as
 * their dtypes (coltypes.c). Every problem of every source is reported at
 * once, as validation does.
 */
#include <string.h>

#include "../registry/registry.h"
#include "../util/clocale.h"
#include "../util/names.h"
#include "offline.h"

/* How many of a source's columns a message lists. */
enum { COLUMNS_LISTED = 12 };

/* A source's columns, as DuckDB describes them (strings in the arena). */
typedef struct schema {
  const char **names;
  const char **types;
  int n;
  int text_file; /* a CSV source: VARCHAR columns are parsed at load */
} schema;

typedef struct checker {
  lr_offline *off; /* the DuckDB session and the repo folder */
  const lr__model *m;
  lr__diag *diag;
  lr__arena arena;
} checker;

static lr__loc at_or(lr__loc loc, lr__loc fallback) {
  return loc.line ? loc : fallback;
}

/* DuckDB's message up to the SQL it quotes (`LINE 1: ...` after a blank
 * line), on one line. */
static void put_duckdb_message(lr__buf *out, const char *why) {
  const char *end = strstr(why, "\n\n");
  for (const char *p = why; *p && p != end; p++)
    lr__buf_putc(out, *p == '\n' ? ' ' : *p);
}

/* 1 when file source `s` matches no file: neither its pattern nor, for a
 * folder (which DuckDB reads whole), anything below it. */
static int matches_no_file(checker *C, const lr__source *s) {
  lr__buf path, sql, rows, why;
  lr__buf_init(&path);
  lr__buf_init(&sql);
  lr__buf_init(&rows);
  lr__buf_init(&why);
  lr__source_path(C->off, s, &path);
  lr__buf_puts(&sql, "SELECT (SELECT count(*) FROM glob(");
  lr__sql_literal(&sql, lr__buf_str(&path));
  lr__buf_puts(&sql, ")) + (SELECT count(*) FROM glob(");
  lr__buf_puts(&path, "/**");
  lr__sql_literal(&sql, lr__buf_str(&path));
  lr__buf_puts(&sql, "))");
  int none = lr__duckdb_run(&C->off->db, lr__buf_str(&sql), 1, &rows,
                            &why) == 0 &&
             strcmp(lr__buf_str(&rows), "0\n") == 0;
  lr__buf_free(&path);
  lr__buf_free(&sql);
  lr__buf_free(&rows);
  lr__buf_free(&why);
  return none;
}

/* A source DuckDB cannot describe: a path that matches nothing, files it
 * cannot read, or a query that does not bind. */
static void report_unreadable(checker *C, const lr__source *s,
                              const char *why) {
  lr__buf text;
  lr__buf_init(&text);
  put_duckdb_message(&text, why);
  if (s->kind == LR__SOURCE_SQL)
    lr__diag_add(C->diag, at_or(s->query_loc, s->loc),
                 "the query runs in DuckDB as written (relative paths "
                 "resolve inside the repo folder): fix it so that it runs",
                 "the query of sql source '%s' fails: %s", s->name,
                 lr__buf_str(&text));
  else if (matches_no_file(C, s))
    lr__diag_add(C->diag, at_or(s->path_loc, s->loc),
                 "paths are relative to the repo folder; check the name, or "
                 "create the data first",
                 "the path '%s' of source '%s' matches no file", s->path,
                 s->name);
  else
    lr__diag_add(C->diag, at_or(s->path_loc, s->loc),
                 "a path ending in .csv or .csv.gz is read as CSV, any other "
                 "as Parquet; check that the files are whole",
                 "DuckDB cannot read the files of source '%s' (%s): %s",
                 s->name, s->path, lr__buf_str(&text));
  lr__buf_free(&text);
}

/* Copies the (name, type) rows of a DESCRIBE result into `sc`. */
static int read_described(checker *C, duckdb_result *res, schema *sc) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  idx_t n = api->row_count(res);
  sc->names = lr__arena_array(&C->arena, (size_t)n + 1, sizeof *sc->names);
  sc->types = lr__arena_array(&C->arena, (size_t)n + 1, sizeof *sc->types);
  if (!sc->names || !sc->types)
    return LR_ENOMEM;
  for (idx_t r = 0; r < n; r++) {
    char *name = api->value_varchar(res, 0, r);
    char *type = api->value_varchar(res, 1, r);
    sc->names[sc->n] = lr__arena_strdup(&C->arena, name ? name : "");
    sc->types[sc->n] = lr__arena_strdup(&C->arena, type ? type : "");
    api->free(name);
    api->free(type);
    if (!sc->names[sc->n] || !sc->types[sc->n])
      return LR_ENOMEM;
    sc->n++;
  }
  return 0;
}

/* Describes source `s` into `sc`: 0, 1 when it cannot be described (and
 * that was reported), or LR_ENOMEM. */
static int describe(checker *C, const lr__source *s, schema *sc) {
  lr__buf sql, why;
  lr__buf_init(&sql);
  lr__buf_init(&why);
  lr__buf_puts(&sql, "DESCRIBE SELECT *");
  lr__source_from(C->off, s, &sql);
  duckdb_result res;
  int rc = lr__buf_failed(&sql) ? LR_ENOMEM : 0;
  if (rc == 0 && lr__duckdb_query(&C->off->db, lr__buf_str(&sql), &res,
                                  &why) != 0) {
    report_unreadable(C, s, lr__buf_str(&why));
    rc = 1;
  } else if (rc == 0) {
    rc = read_described(C, &res, sc);
    lr__duckdb_fns()->destroy_result(&res);
  }
  lr__buf_free(&sql);
  lr__buf_free(&why);
  return rc;
}

/* The index of column `name` in `sc`, or -1. DuckDB binds names without
 * regard to case, and so does the check. */
static int find_column(const schema *sc, const char *name) {
  for (int i = 0; i < sc->n; i++)
    if (lr__ascii_casecmp(sc->names[i], name) == 0)
      return i;
  return -1;
}

/* Appends "its columns are a, b, c" for a message. */
static void put_columns(lr__buf *out, const schema *sc) {
  if (sc->n == 0) {
    lr__buf_puts(out, "it has no columns");
    return;
  }
  lr__buf_puts(out, "its columns are ");
  lr__list_names(out, sc->names, sc->n, COLUMNS_LISTED);
}

/* Column `column`, which `what` reads ("its timestamp_field", "feature
 * 'f' of feature view 'v'"), is not one of the source's. The hint names a
 * close column, and for a join key or feature (`mapped_as`, else NULL)
 * how field_mapping reads another column as it; else it says `fix`. */
static void report_missing(checker *C, lr__loc at, const lr__source *s,
                           const schema *sc, const char *what,
                           const char *column, const char *mapped_as,
                           const char *fix) {
  lr__buf columns, hint;
  lr__buf_init(&columns);
  lr__buf_init(&hint);
  put_columns(&columns, sc);
  const char *close = lr__closest(column, sc->names, sc->n);
  if (close)
    lr__buf_printf(&hint, "did you mean '%s'?%s", close, mapped_as ? " " : "");
  if (close && mapped_as)
    lr__buf_printf(&hint, "To read it as '%s', map it: `field_mapping: "
                   "{%s: %s}` in source '%s'", mapped_as, close, mapped_as,
                   s->name);
  else if (mapped_as)
    lr__buf_printf(&hint, "add the column to the source, or read one of its "
                   "columns as '%s': `field_mapping: {COLUMN: %s}` in source "
                   "'%s'", mapped_as, mapped_as, s->name);
  else if (!close)
    lr__buf_puts(&hint, fix);
  lr__diag_add(C->diag, at, lr__buf_str(&hint),
               "source '%s' has no column '%s' for %s; %s", s->name, column,
               what, lr__buf_str(&columns));
  lr__buf_free(&columns);
  lr__buf_free(&hint);
}

/* The hint for a column of a type `dtype` is not read from. */
static void put_types_hint(lr__buf *hint, uint8_t dtype, const char *fix) {
  char name[32];
  lr__buf_printf(hint, "%s is read from ", lr__dtype_name(dtype, name));
  lr__column_types_read(hint, dtype);
  lr__buf_printf(hint, "; %s", fix);
}

/* One of the source's own fields (timestamp_field or
 * created_timestamp_column) naming a column of times. */
static void check_time_column(checker *C, const lr__source *s,
                              const schema *sc, const char *key,
                              const char *column, lr__loc loc) {
  if (!column)
    return;
  lr__loc at = at_or(loc, s->loc);
  int i = find_column(sc, column);
  lr__buf text;
  lr__buf_init(&text);
  if (i < 0) {
    lr__buf_printf(&text, "its %s", key);
    report_missing(C, at, s, sc, lr__buf_str(&text), column, NULL,
                   "name the column that holds each row's time");
  } else if (!lr__column_type_fits(LR__DT_TIMESTAMP, sc->types[i],
                                   sc->text_file)) {
    put_types_hint(&text, LR__DT_TIMESTAMP, "name a column of times, ISO "
                   "8601 text or epoch numbers (in the source's "
                   "timestamp_unit), or convert this one in a sql source");
    lr__diag_add(C->diag, at, lr__buf_str(&text),
                 "%s '%s' of source '%s' is a %s column; it must hold times",
                 key, column, s->name, sc->types[i]);
  }
  lr__buf_free(&text);
}

/* The column field_mapping entry `kv` reads is not one of the source's
 * (reported at the entry, once for all the views it feeds). */
static void report_mapped_missing(checker *C, const lr__source *s,
                                  const schema *sc, const lr__kv *kv) {
  lr__buf what;
  lr__buf_init(&what);
  lr__buf_printf(&what, "its field_mapping to '%s'", kv->value);
  report_missing(C, at_or(kv->key_loc, s->loc), s, sc, lr__buf_str(&what),
                 kv->key, NULL, "map a column the source has");
  lr__buf_free(&what);
}

/* A view's join key or feature `name` of type `dtype`: the column that
 * feeds it (through field_mapping) must exist and be of a type that loads
 * as `dtype`. `what` names it ("feature 'f0' of feature view 'v'"),
 * `at`/`type_at` are where its name and its type were written. Entries
 * that feed no view are not read, so not checked. */
static void check_read_column(checker *C, const lr__source *s,
                              const schema *sc, const char *what,
                              const char *name, uint8_t dtype, lr__loc at,
                              lr__loc type_at) {
  const lr__kv *mapping = lr__source_mapping(s, name);
  const char *column = mapping ? mapping->key : name;
  int i = find_column(sc, column);
  if (i < 0 && mapping) {
    report_mapped_missing(C, s, sc, mapping);
  } else if (i < 0) {
    report_missing(C, at, s, sc, what, column, name, NULL);
  } else if (!lr__column_type_fits(dtype, sc->types[i], sc->text_file)) {
    char dtype_name[32];
    lr__buf hint;
    lr__buf_init(&hint);
    put_types_hint(&hint, dtype, "change the dtype, or convert the column in "
                   "a sql source (CAST(col AS ...))");
    lr__diag_add(C->diag, type_at, lr__buf_str(&hint),
                 "%s is %s, but column '%s' of source '%s' is %s", what,
                 lr__dtype_name(dtype, dtype_name), column, s->name,
                 sc->types[i]);
    lr__buf_free(&hint);
  }
}

/* The join keys and features of feature view `v`, read from `s`. */
static void check_view(checker *C, const lr__view *v, const lr__source *s,
                       const schema *sc) {
  lr__buf what;
  lr__buf_init(&what);
  for (int e = 0; e < v->n_entities; e++) {
    const lr__entity *ent = lr__model_entity(C->m, v->entities[e]);
    lr__loc at = v->entity_locs ? v->entity_locs[e] : v->loc;
    for (int k = 0; ent && k < ent->n_join_keys; k++) {
      lr__buf_reset(&what);
      lr__buf_printf(&what, "join key '%s' of entity '%s' (feature view "
                     "'%s')", ent->join_keys[k], ent->name, v->name);
      check_read_column(C, s, sc, lr__buf_str(&what), ent->join_keys[k],
                        ent->value_type, at, at);
    }
  }
  for (int f = 0; f < v->n_features; f++) {
    const lr__field *field = &v->features[f];
    lr__loc at = at_or(field->name_loc, field->loc);
    lr__buf_reset(&what);
    lr__buf_printf(&what, "feature '%s' of feature view '%s'", field->name,
                   v->name);
    check_read_column(C, s, sc, lr__buf_str(&what), field->name,
                      field->dtype, at, at_or(field->dtype_loc, at));
  }
  lr__buf_free(&what);
}

/* Describes file or sql source `s` and checks what reads it. */
static int check_source(checker *C, const lr__source *s) {
  schema sc = {0};
  sc.text_file = s->kind == LR__SOURCE_FILE && !lr__source_is_parquet(s);
  int rc = describe(C, s, &sc);
  if (rc)
    return rc == 1 ? 0 : rc;
  check_time_column(C, s, &sc, "timestamp_field", s->timestamp_field,
                    s->timestamp_field_loc);
  check_time_column(C, s, &sc, "created_timestamp_column", s->created_column,
                    s->created_column_loc);
  for (int i = 0; i < C->m->n_views; i++) {
    const lr__view *v = &C->m->views[i];
    if (v->kind == LR__VIEW_BATCH &&
        lr__model_data_source(C->m, v) == s)
      check_view(C, v, s, &sc);
  }
  return 0;
}

/* 1 when `s` is a source DuckDB describes (a file or sql source). */
static int is_read_by_duckdb(const lr__source *s) {
  return s->kind == LR__SOURCE_FILE || s->kind == LR__SOURCE_SQL;
}

/* Checks every file and sql source in the session of `off`; the problems
 * go to `err`. */
static int check_sources(lr_offline *off, const lr__model *m, lr__buf *err) {
  lr__diag diag;
  lr__diag_init(&diag);
  checker C = {off, m, &diag, {0}};
  lr__arena_init(&C.arena);
  int rc = 0;
  for (int i = 0; rc == 0 && i < m->n_sources; i++)
    if (is_read_by_duckdb(&m->sources[i]))
      rc = check_source(&C, &m->sources[i]);
  if (rc == 0 && diag.oom)
    rc = LR_ENOMEM;
  if (rc == 0 && diag.count) {
    lr__diag_format(&diag, err);
    rc = LR_EDEFINITION;
  }
  lr__diag_free(&diag);
  lr__arena_free(&C.arena);
  return rc;
}

int lr_repo_check_sources(lr_repo *repo) {
  if (!repo)
    return LR_EINVAL;
  int rc = lr__repo_loaded(repo);
  if (rc)
    return rc;
  const lr__model *m = lr__repo_model(repo);
  int n_read = 0; /* without such sources DuckDB need not be loaded */
  for (int i = 0; i < m->n_sources; i++)
    n_read += is_read_by_duckdb(&m->sources[i]);
  if (n_read == 0)
    return 0;
  lr_offline *off = NULL;
  rc = lr__offline_new(lr__repo_dir(repo), &off);
  if (rc == 0)
    rc = lr__offline_session(off);
  if (rc == 0)
    rc = check_sources(off, m, lr__repo_err(repo));
  else if (off)
    lr__buf_puts(lr__repo_err(repo), lr__buf_str(&off->errmsg));
  lr_offline_close(off);
  return rc;
}

/*
 * entities.c - the entity rows of a training set (step 1 of historical.c):
 * their columns, the timestamp column among them, and the temp table
 * __entities that the join reads, each row numbered in input order
 * (__larder_row) with its time read by Larder's time parser (__larder_ts,
 * timecol.c), so that `12/05/2026` is an error naming its row rather than
 * a date DuckDB's CSV sniffer picked.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/timefmt.h"
#include "offline.h"

/* The FROM text of the entity rows: a file (relative to the current
 * folder, as a user typed it) or a query. A CSV file's column `text_ts`
 * (when given) is read as text, for the time parser (timecol.c). */
static int entity_source(lr_offline *off, const lr_historical_spec *spec,
                         const char *text_ts, lr__buf *sql) {
  if ((spec->entities_file != NULL) == (spec->entities_sql != NULL))
    return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                          "give the entity rows as a file or as a "
                          "query (one of them)");
  if (spec->entities_sql) {
    lr__buf_printf(sql, "(%s)", spec->entities_sql);
    return 0;
  }
  char *path = realpath(spec->entities_file, NULL);
  if (!path)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND,
                          "cannot read the entity file %s",
                          spec->entities_file);
  int csv = lr__fs_has_suffix(path, ".csv");
  /* DuckDB would read a NUL byte as part of a value */
  int rc = csv ? lr__fs_check_text(spec->entities_file, &off->errmsg) : 0;
  if (rc) {
    free(path);
    return rc;
  }
  lr__buf_puts(sql, csv ? "read_csv(" : "read_parquet(");
  lr__sql_literal(sql, path);
  lr__buf_puts(sql, csv ? ", header = true" : "");
  if (csv && text_ts) {
    lr__buf_puts(sql, ", types = {");
    lr__sql_literal(sql, text_ts);
    lr__buf_puts(sql, ": 'VARCHAR'}");
  }
  lr__buf_puts(sql, ")");
  free(path);
  return 0;
}

/* Picks the entity timestamp column from DESCRIBE output (name TAB type
 * lines): `event_timestamp`, else the only TIMESTAMP-typed column. */
static int timestamp_column(lr_offline *off, const char *described,
                            lr__buf *name) {
  int n_ts = 0;
  lr__buf found;
  lr__buf_init(&found);
  for (const char *line = described; *line;) {
    size_t len = strcspn(line, "\n");
    const char *tab = memchr(line, '\t', len);
    if (tab) {
      size_t name_len = (size_t)(tab - line);
      if (name_len == 15 && !strncmp(line, "event_timestamp", 15)) {
        lr__buf_reset(name);
        lr__buf_puts(name, "event_timestamp");
        lr__buf_free(&found);
        return 0;
      }
      if (!strncmp(tab + 1, "TIMESTAMP", 9) || !strncmp(tab + 1, "DATE", 4)) {
        lr__buf_reset(name);
        lr__buf_append(name, line, name_len);
        n_ts++;
      }
      lr__buf_printf(&found, "%s%.*s (%.*s)", found.len ? ", " : "",
                     (int)name_len, line, (int)(len - name_len - 1), tab + 1);
    }
    line += len + (line[len] == '\n');
  }
  int rc = 0;
  if (n_ts != 1)
    rc = lr__errmsg_set(&off->errmsg, LR_EINVAL,
                        "the entity rows need an `event_timestamp` "
                        "column or exactly one timestamp column; found: %s",
                        found.len ? lr__buf_str(&found) : "no columns");
  lr__buf_free(&found);
  return rc;
}

/* The type DESCRIBE gave column `name` (up to the end of its line), or
 * NULL when `described` lists no such column. */
static const char *column_type(const char *described, const char *name) {
  size_t n = strlen(name);
  for (const char *line = described; *line;) {
    size_t len = strcspn(line, "\n");
    if (len > n && line[n] == '\t' && !strncmp(line, name, n))
      return line + n + 1;
    line += len + (line[len] == '\n');
  }
  return NULL;
}

int lr__described_has(const char *described, const char *name) {
  return column_type(described, name) != NULL;
}

/* The entity rows' unit of epoch numbers (spec->timestamp_unit). */
static int entity_time_unit(lr_offline *off, const lr_historical_spec *spec,
                            int *unit) {
  *unit = spec->timestamp_unit ? lr__time_unit_parse(spec->timestamp_unit)
                               : LR__TIME_S;
  if (*unit < 0)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                          "'%s' is not a timestamp unit: give s, ms, us or "
                          "ns (the unit of epoch numbers in the entity rows)",
                          spec->timestamp_unit);
  return 0;
}

/* Step 1: __entities, the rows numbered in input order (__larder_row)
 * with their time read by the time parser (__larder_ts). A time column
 * that was text or numbers is replaced by the time read, so the training
 * set holds times; a typed one stays as it was. */
static int number_entities(lr_offline *off, const lr_historical_spec *spec,
                           const char *ts, const char *type, int unit,
                           const char *doing) {
  lr__buf from, sql, value;
  lr__buf_init(&from);
  lr__buf_init(&sql);
  lr__buf_init(&value);
  int csv = spec->entities_file && lr__fs_has_suffix(spec->entities_file,
                                                     ".csv");
  int rc = entity_source(off, spec, ts, &from);
  int typed = !csv && (!strncmp(type, "TIMESTAMP", 9) ||
                       !strncmp(type, "DATE", 4));
  lr__buf_puts(&sql, "CREATE OR REPLACE TEMP TABLE __entities AS SELECT *");
  if (!typed) {
    lr__buf_puts(&sql, " REPLACE (__larder_ts AS ");
    lr__sql_ident(&sql, ts);
    lr__buf_puts(&sql, ")");
  }
  lr__buf_puts(&sql, " FROM (SELECT *, ");
  lr__time_column how = {ts, "",
                         spec->entities_file ? spec->entities_file
                                             : "the entity rows' query",
                         unit, "use --timestamp-unit ", ""};
  lr__sql_ident(&value, ts);
  if (rc == 0)
    rc = lr__time_column_call(off, &how, lr__buf_str(&value), NULL,
                              "__larder_row", &sql);
  lr__buf_printf(&sql, " AS __larder_ts FROM (SELECT *, row_number() OVER "
                 "() AS __larder_row FROM %s))", lr__buf_str(&from));
  if (rc == 0)
    rc = lr__offline_run(off, lr__buf_str(&sql), doing, 0, NULL);
  lr__buf_free(&from);
  lr__buf_free(&sql);
  lr__buf_free(&value);
  return rc;
}

int lr__entities_describe(lr_offline *off, const lr_historical_spec *spec,
                          const char *doing, lr__buf *described,
                          lr__buf *ts) {
  lr__buf from, sql;
  lr__buf_init(&from);
  lr__buf_init(&sql);
  int rc = entity_source(off, spec, NULL, &from);
  lr__buf_printf(&sql, "DESCRIBE SELECT * FROM %s", lr__buf_str(&from));
  if (rc == 0)
    rc = lr__offline_run(off, lr__buf_str(&sql), doing, 2, described);
  if (rc == 0)
    rc = timestamp_column(off, lr__buf_str(described), ts);
  lr__buf_free(&from);
  lr__buf_free(&sql);
  return rc;
}

int lr__entities_stage(lr_offline *off, const lr_historical_spec *spec,
                       const char *doing, const char *described,
                       const char *ts) {
  int unit;
  int rc = entity_time_unit(off, spec, &unit);
  return rc ? rc
            : number_entities(off, spec, ts, column_type(described, ts), unit,
                              doing);
}

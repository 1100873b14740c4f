/*
 * parquet.c - reading Parquet for `larder write`: DuckDB rewrites the file
 * as CSV in the forms the online ingest reads (bytes as base64, lists as
 * JSON arrays, timestamps as ISO 8601), which then goes the CSV way.
 */
#include "parquet.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duckdb.h"
#include "larder.h"

/* The select list for the columns listed in `described` (DESCRIBE output:
 * name TAB type per line), converting the types CSV cannot carry as is. */
static void select_list(lr__buf *sql, char *described) {
  int first = 1;
  char *rest = NULL;
  for (char *line = strtok_r(described, "\n", &rest); line;
       line = strtok_r(NULL, "\n", &rest)) {
    char *tab = strchr(line, '\t');
    if (!tab)
      continue;
    *tab = '\0';
    const char *name = line, *type = tab + 1;
    lr__buf_puts(sql, first ? "" : ", ");
    first = 0;
    const char *wrap = !strcmp(type, "BLOB") ? "to_base64"
                       : strchr(type, '[') ? "to_json" : NULL;
    if (wrap) {
      lr__buf_printf(sql, "%s(", wrap);
      lr__sql_ident(sql, name);
      lr__buf_puts(sql, ") AS ");
    }
    lr__sql_ident(sql, name);
  }
}

int lr__parquet_to_csv(const char *parquet, const char *csv, lr__buf *err) {
  lr__duckdb d;
  int rc = lr__duckdb_open(&d, err);
  if (rc)
    return rc;
  lr__buf sql, described, why;
  lr__buf_init(&sql);
  lr__buf_init(&described);
  lr__buf_init(&why);
  lr__buf_puts(&sql, "SET TimeZone = 'UTC'; DESCRIBE SELECT * FROM read_parquet(");
  lr__sql_literal(&sql, parquet);
  lr__buf_puts(&sql, ")");
  rc = lr__duckdb_run(&d, lr__buf_str(&sql), 2, &described, &why);
  if (rc == 0) {
    lr__buf_reset(&sql);
    lr__buf_puts(&sql, "COPY (SELECT ");
    select_list(&sql, described.data ? described.data : (char *)"");
    lr__buf_puts(&sql, " FROM read_parquet(");
    lr__sql_literal(&sql, parquet);
    lr__buf_puts(&sql, ")) TO ");
    lr__sql_literal(&sql, csv);
    lr__buf_puts(&sql, " (HEADER, DELIMITER ',', TIMESTAMPFORMAT "
                       "'%Y-%m-%dT%H:%M:%S.%fZ')");
    rc = lr__duckdb_run(&d, lr__buf_str(&sql), 0, NULL, &why);
  }
  if (rc)
    lr__buf_printf(err, "%s: cannot read it as Parquet: %s", parquet,
                   lr__buf_str(&why));
  lr__buf_free(&sql);
  lr__buf_free(&described);
  lr__buf_free(&why);
  lr__duckdb_close(&d);
  return rc;
}

/*
 * duckdb.c - loading DuckDB lazily and running SQL (see duckdb.h).
 */
#include "duckdb.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "larder.h"

#ifndef LR_DUCKDB_PATH
#define LR_DUCKDB_PATH "libduckdb.so"
#endif

/* The functions used, resolved once. */
static struct {
  void *lib;
  duckdb_state (*open)(const char *, duckdb_database *);
  void (*close)(duckdb_database *);
  duckdb_state (*connect)(duckdb_database, duckdb_connection *);
  void (*disconnect)(duckdb_connection *);
  duckdb_state (*query)(duckdb_connection, const char *, duckdb_result *);
  void (*destroy_result)(duckdb_result *);
  const char *(*result_error)(duckdb_result *);
  idx_t (*row_count)(duckdb_result *);
  char *(*value_varchar)(duckdb_result *, idx_t, idx_t);
  void (*free)(void *);
  char error[512];
} api;

static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void *resolve(const char *name) {
  void *fn = dlsym(api.lib, name);
  if (!fn && !api.error[0])
    snprintf(api.error, sizeof api.error, "libduckdb has no %s", name);
  return fn;
}

static void load_api(void) {
  const char *paths[] = {getenv("LARDER_DUCKDB"), LR_DUCKDB_PATH,
                         "libduckdb.so"};
  for (size_t i = 0; i < 3 && !api.lib; i++)
    if (paths[i] && *paths[i])
      api.lib = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
  if (!api.lib) {
    snprintf(api.error, sizeof api.error,
             "cannot load libduckdb (tried $LARDER_DUCKDB, %s, libduckdb.so): "
             "run scripts/deps.sh", LR_DUCKDB_PATH);
    return;
  }
  *(void **)&api.open = resolve("duckdb_open");
  *(void **)&api.close = resolve("duckdb_close");
  *(void **)&api.connect = resolve("duckdb_connect");
  *(void **)&api.disconnect = resolve("duckdb_disconnect");
  *(void **)&api.query = resolve("duckdb_query");
  *(void **)&api.destroy_result = resolve("duckdb_destroy_result");
  *(void **)&api.result_error = resolve("duckdb_result_error");
  *(void **)&api.row_count = resolve("duckdb_row_count");
  *(void **)&api.value_varchar = resolve("duckdb_value_varchar");
  *(void **)&api.free = resolve("duckdb_free");
}

int lr__duckdb_open(lr__duckdb *d, lr__buf *err) {
  pthread_once(&api_once, load_api);
  d->db = NULL;
  d->con = NULL;
  if (api.error[0]) {
    lr__buf_puts(err, api.error);
    return LR_EUNSUPPORTED;
  }
  if (api.open(NULL, &d->db) != DuckDBSuccess ||
      api.connect(d->db, &d->con) != DuckDBSuccess) {
    lr__buf_puts(err, "cannot open an in-memory DuckDB database");
    lr__duckdb_close(d);
    return LR_EIO;
  }
  return 0;
}

void lr__duckdb_close(lr__duckdb *d) {
  if (d->con)
    api.disconnect(&d->con);
  if (d->db)
    api.close(&d->db);
}

int lr__duckdb_run(lr__duckdb *d, const char *sql, int n_cols, lr__buf *rows,
                   lr__buf *err) {
  duckdb_result result;
  if (api.query(d->con, sql, &result) != DuckDBSuccess) {
    const char *why = api.result_error(&result);
    lr__buf_puts(err, why ? why : "the query failed");
    api.destroy_result(&result);
    return LR_EINVAL;
  }
  idx_t n = rows ? api.row_count(&result) : 0;
  for (idx_t r = 0; r < n; r++) {
    for (int c = 0; c < n_cols; c++) {
      char *text = api.value_varchar(&result, (idx_t)c, r);
      lr__buf_printf(rows, "%s%s", c ? "\t" : "", text ? text : "");
      api.free(text);
    }
    lr__buf_putc(rows, '\n');
  }
  api.destroy_result(&result);
  return 0;
}

static void quoted(lr__buf *out, const char *s, char quote) {
  lr__buf_putc(out, quote);
  for (; *s; s++) {
    if (*s == quote)
      lr__buf_putc(out, quote);
    lr__buf_putc(out, *s);
  }
  lr__buf_putc(out, quote);
}

void lr__sql_literal(lr__buf *out, const char *s) { quoted(out, s, '\''); }
void lr__sql_ident(lr__buf *out, const char *s) { quoted(out, s, '"'); }

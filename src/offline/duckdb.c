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
static lr__duckdb_api api;
static void *api_lib;
static char api_error[512];

static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void *resolve(const char *name) {
  void *fn = dlsym(api_lib, name);
  if (!fn && !api_error[0])
    snprintf(api_error, sizeof api_error, "libduckdb has no %s", name);
  return fn;
}

#define RESOLVE(field, name) *(void **)&api.field = resolve(name)

static void load_api(void) {
  const char *paths[] = {getenv("LARDER_DUCKDB"), LR_DUCKDB_PATH,
                         "libduckdb.so"};
  for (size_t i = 0; i < 3 && !api_lib; i++)
    if (paths[i] && *paths[i])
      api_lib = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
  if (!api_lib) {
    snprintf(api_error, sizeof api_error,
             "cannot load libduckdb (tried $LARDER_DUCKDB, %s, libduckdb.so): "
             "run scripts/deps.sh", LR_DUCKDB_PATH);
    return;
  }
  RESOLVE(open, "duckdb_open");
  RESOLVE(close, "duckdb_close");
  RESOLVE(connect, "duckdb_connect");
  RESOLVE(disconnect, "duckdb_disconnect");
  RESOLVE(query, "duckdb_query");
  RESOLVE(destroy_result, "duckdb_destroy_result");
  RESOLVE(result_error, "duckdb_result_error");
  RESOLVE(row_count, "duckdb_row_count");
  RESOLVE(value_varchar, "duckdb_value_varchar");
  RESOLVE(free, "duckdb_free");
  RESOLVE(prepare, "duckdb_prepare");
  RESOLVE(prepare_error, "duckdb_prepare_error");
  RESOLVE(destroy_prepare, "duckdb_destroy_prepare");
  RESOLVE(execute_prepared_streaming, "duckdb_execute_prepared_streaming");
  RESOLVE(fetch_chunk, "duckdb_fetch_chunk");
  RESOLVE(destroy_data_chunk, "duckdb_destroy_data_chunk");
  RESOLVE(data_chunk_get_size, "duckdb_data_chunk_get_size");
  RESOLVE(data_chunk_get_vector, "duckdb_data_chunk_get_vector");
  RESOLVE(vector_get_data, "duckdb_vector_get_data");
  RESOLVE(vector_get_validity, "duckdb_vector_get_validity");
  RESOLVE(list_vector_get_child, "duckdb_list_vector_get_child");
  RESOLVE(column_count, "duckdb_column_count");
  RESOLVE(column_name, "duckdb_column_name");
  RESOLVE(query_progress, "duckdb_query_progress");
  RESOLVE(create_scalar_function, "duckdb_create_scalar_function");
  RESOLVE(destroy_scalar_function, "duckdb_destroy_scalar_function");
  RESOLVE(scalar_function_set_name, "duckdb_scalar_function_set_name");
  RESOLVE(scalar_function_add_parameter,
          "duckdb_scalar_function_add_parameter");
  RESOLVE(scalar_function_set_return_type,
          "duckdb_scalar_function_set_return_type");
  RESOLVE(scalar_function_set_function, "duckdb_scalar_function_set_function");
  RESOLVE(scalar_function_set_extra_info,
          "duckdb_scalar_function_set_extra_info");
  RESOLVE(scalar_function_get_extra_info,
          "duckdb_scalar_function_get_extra_info");
  RESOLVE(scalar_function_set_error, "duckdb_scalar_function_set_error");
  RESOLVE(scalar_function_set_special_handling,
          "duckdb_scalar_function_set_special_handling");
  RESOLVE(register_scalar_function, "duckdb_register_scalar_function");
  RESOLVE(create_logical_type, "duckdb_create_logical_type");
  RESOLVE(create_list_type, "duckdb_create_list_type");
  RESOLVE(destroy_logical_type, "duckdb_destroy_logical_type");
  RESOLVE(vector_ensure_validity_writable,
          "duckdb_vector_ensure_validity_writable");
  RESOLVE(vector_assign_string_element_len,
          "duckdb_vector_assign_string_element_len");
  RESOLVE(list_vector_reserve, "duckdb_list_vector_reserve");
  RESOLVE(list_vector_set_size, "duckdb_list_vector_set_size");
}

const lr__duckdb_api *lr__duckdb_fns(void) { return &api; }

int lr__duckdb_open(lr__duckdb *d, lr__buf *err) {
  pthread_once(&api_once, load_api);
  d->db = NULL;
  d->con = NULL;
  if (api_error[0]) {
    lr__buf_puts(err, api_error);
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

int lr__duckdb_query(lr__duckdb *d, const char *sql, duckdb_result *result,
                     lr__buf *err) {
  if (api.query(d->con, sql, result) == DuckDBSuccess)
    return 0;
  const char *why = api.result_error(result);
  lr__buf_puts(err, why ? why : "the query failed");
  api.destroy_result(result);
  return LR_EINVAL;
}

int lr__duckdb_run(lr__duckdb *d, const char *sql, int n_cols, lr__buf *rows,
                   lr__buf *err) {
  duckdb_result result;
  int rc = lr__duckdb_query(d, sql, &result, err);
  if (rc)
    return rc;
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

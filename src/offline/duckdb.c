/*
 * duckdb.c - loading DuckDB lazily and running SQL (see duckdb.h).
 */
#include "duckdb.h"

#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "larder.h"

/* The build tree's DuckDB (third_party/duckdb/), or the system's name. */
#ifndef LR_DUCKDB_PATH
#define LR_DUCKDB_PATH "libduckdb.so"
#endif

/* The functions used, resolved once. */
static lr__duckdb_api api;
static void *api_lib;
static const char *api_path; /* the file api_lib was loaded from */
static char api_error[4096];

static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void *resolve(const char *name) {
  void *fn = dlsym(api_lib, name);
  if (!fn && !api_error[0])
    snprintf(api_error, sizeof api_error,
             "%s has no %s: it is not the DuckDB this Larder was built with; "
             "set LARDER_DUCKDB to the path of that one's libduckdb.so",
             api_path, name);
  return fn;
}

#define RESOLVE(field, name) *(void **)&api.field = resolve(name)

/* Where libduckdb is looked for, in order (docs/internals/offline.md). */
enum { MAX_PLACES = 4 };
typedef struct places {
  char path[MAX_PLACES][PATH_MAX];
  int n;
} places;

static void add_place(places *p, const char *dir, const char *path) {
  if (!path || !*path || p->n == MAX_PLACES)
    return;
  char *to = p->path[p->n];
  if (snprintf(to, PATH_MAX, "%s%s", dir, path) >= PATH_MAX)
    return;
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->path[i], to))
      return;
  p->n++;
}

/* The folder of the file that holds this code, with a trailing slash, and
 * where an installed DuckDB is from there: larder/ beside the shared
 * library in PREFIX/lib, ../lib/larder/ from a program in PREFIX/bin that
 * linked liblarder.a (the program's link map has no name, and dladdr would
 * give argv[0], which need not be a path). NULL when unknown. */
static const char *code_folder(char dir[PATH_MAX]) {
  Dl_info info;
  struct link_map *map = NULL;
  if (!dladdr1((void *)&lr__duckdb_open, &info, (void **)&map,
               RTLD_DL_LINKMAP) || !map)
    return NULL;
  int program = !map->l_name[0];
  if (program) {
    ssize_t n = readlink("/proc/self/exe", dir, PATH_MAX - 1);
    if (n <= 0)
      return NULL;
    dir[n] = '\0';
  } else if (!realpath(map->l_name, dir)) {
    return NULL;
  }
  char *slash = strrchr(dir, '/');
  if (!slash)
    return NULL;
  slash[1] = '\0';
  return program ? "../lib/larder/libduckdb.so" : "larder/libduckdb.so";
}

/* $LARDER_DUCKDB; beside this code, where `make install` puts it; the
 * system's, through the dynamic linker's search; the build tree's. */
static void find_places(places *p) {
  add_place(p, "", getenv("LARDER_DUCKDB"));
  char dir[PATH_MAX];
  const char *beside = code_folder(dir);
  if (beside)
    add_place(p, dir, beside);
  add_place(p, "", "libduckdb.so");
  add_place(p, "", LR_DUCKDB_PATH);
}

/* Loads the first of the places that loads; else says where it looked. */
static void open_library(void) {
  static places p;
  find_places(&p);
  for (int i = 0; i < p.n && !api_lib; i++) {
    api_lib = dlopen(p.path[i], RTLD_NOW | RTLD_LOCAL);
    api_path = p.path[i];
  }
  if (api_lib)
    return;
  size_t len = (size_t)snprintf(api_error, sizeof api_error,
                                "cannot load libduckdb; tried");
  for (int i = 0; i < p.n && len < sizeof api_error; i++)
    len += (size_t)snprintf(api_error + len, sizeof api_error - len,
                            "%s %s%s", i ? "," : "", p.path[i],
                            strchr(p.path[i], '/') ? "" : " (the system's)");
  if (len < sizeof api_error)
    snprintf(api_error + len, sizeof api_error - len,
             ": set LARDER_DUCKDB to the path of libduckdb.so, install "
             "DuckDB, or run scripts/deps.sh (and make install) in Larder's "
             "source tree");
}

static void load_api(void) {
  open_library();
  if (!api_lib)
    return;
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
  RESOLVE(vector_get_column_type, "duckdb_vector_get_column_type");
  RESOLVE(get_type_id, "duckdb_get_type_id");
  RESOLVE(create_data_chunk, "duckdb_create_data_chunk");
  RESOLVE(data_chunk_set_size, "duckdb_data_chunk_set_size");
  RESOLVE(data_chunk_reset, "duckdb_data_chunk_reset");
  RESOLVE(vector_size, "duckdb_vector_size");
  RESOLVE(appender_create, "duckdb_appender_create");
  RESOLVE(append_data_chunk, "duckdb_append_data_chunk");
  RESOLVE(appender_error, "duckdb_appender_error");
  RESOLVE(appender_close, "duckdb_appender_close");
  RESOLVE(appender_destroy, "duckdb_appender_destroy");
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

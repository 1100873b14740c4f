/*
 * duckdb.h - DuckDB, loaded on first use with dlopen(), so that a process
 * that only reads online features never maps libduckdb (loading it costs
 * ~20 ms). Only the offline layer uses this.
 *
 * The library is looked up in $LARDER_DUCKDB (a path), then beside the file
 * holding liblarder's code, where `make install` puts it (lib/larder/), then
 * as the system's libduckdb.so, then at the path the build found
 * (third_party/duckdb/lib/libduckdb.so); docs/internals/offline.md.
 */
#ifndef LR_OFFLINE_DUCKDB_H
#define LR_OFFLINE_DUCKDB_H

#include <duckdb.h>

#include "../util/buf.h"
#include "larder.h"

typedef struct lr__duckdb {
  duckdb_database db;
  duckdb_connection con;
} lr__duckdb;

/* The DuckDB functions the offline layer calls, resolved with dlsym. */
typedef struct lr__duckdb_api {
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
  duckdb_state (*prepare)(duckdb_connection, const char *,
                          duckdb_prepared_statement *);
  const char *(*prepare_error)(duckdb_prepared_statement);
  void (*destroy_prepare)(duckdb_prepared_statement *);
  duckdb_state (*execute_prepared_streaming)(duckdb_prepared_statement,
                                             duckdb_result *);
  duckdb_data_chunk (*fetch_chunk)(duckdb_result);
  void (*destroy_data_chunk)(duckdb_data_chunk *);
  idx_t (*data_chunk_get_size)(duckdb_data_chunk);
  duckdb_vector (*data_chunk_get_vector)(duckdb_data_chunk, idx_t);
  void *(*vector_get_data)(duckdb_vector);
  uint64_t *(*vector_get_validity)(duckdb_vector);
  duckdb_vector (*list_vector_get_child)(duckdb_vector);
  idx_t (*column_count)(duckdb_result *);
  const char *(*column_name)(duckdb_result *, idx_t);
  duckdb_query_progress_type (*query_progress)(duckdb_connection);
  /* scalar functions: on-demand views evaluated inside queries */
  duckdb_scalar_function (*create_scalar_function)(void);
  void (*destroy_scalar_function)(duckdb_scalar_function *);
  void (*scalar_function_set_name)(duckdb_scalar_function, const char *);
  void (*scalar_function_add_parameter)(duckdb_scalar_function,
                                        duckdb_logical_type);
  void (*scalar_function_set_return_type)(duckdb_scalar_function,
                                          duckdb_logical_type);
  void (*scalar_function_set_function)(duckdb_scalar_function,
                                       duckdb_scalar_function_t);
  void (*scalar_function_set_extra_info)(duckdb_scalar_function, void *,
                                         duckdb_delete_callback_t);
  void *(*scalar_function_get_extra_info)(duckdb_function_info);
  void (*scalar_function_set_error)(duckdb_function_info, const char *);
  void (*scalar_function_set_special_handling)(duckdb_scalar_function);
  duckdb_state (*register_scalar_function)(duckdb_connection,
                                           duckdb_scalar_function);
  duckdb_logical_type (*create_logical_type)(duckdb_type);
  duckdb_logical_type (*create_list_type)(duckdb_logical_type);
  void (*destroy_logical_type)(duckdb_logical_type *);
  void (*vector_ensure_validity_writable)(duckdb_vector);
  void (*vector_assign_string_element_len)(duckdb_vector, idx_t, const char *,
                                           idx_t);
  duckdb_state (*list_vector_reserve)(duckdb_vector, idx_t);
  duckdb_state (*list_vector_set_size)(duckdb_vector, idx_t);
  /* a time function's argument of any type (timecol.c) */
  duckdb_logical_type (*vector_get_column_type)(duckdb_vector);
  duckdb_type (*get_type_id)(duckdb_logical_type);
  /* data chunks and the appender: rows pushed to the offline store */
  duckdb_data_chunk (*create_data_chunk)(duckdb_logical_type *, idx_t);
  void (*data_chunk_set_size)(duckdb_data_chunk, idx_t);
  void (*data_chunk_reset)(duckdb_data_chunk);
  idx_t (*vector_size)(void);
  duckdb_state (*appender_create)(duckdb_connection, const char *,
                                  const char *, duckdb_appender *);
  duckdb_state (*append_data_chunk)(duckdb_appender, duckdb_data_chunk);
  const char *(*appender_error)(duckdb_appender);
  duckdb_state (*appender_close)(duckdb_appender);
  duckdb_state (*appender_destroy)(duckdb_appender *);
} lr__duckdb_api;

/* The function table (valid after a successful lr__duckdb_open). */
const lr__duckdb_api *lr__duckdb_fns(void);

/* Loads the library (once per process) and opens an in-memory database.
 * Returns 0, or LR_EUNSUPPORTED when libduckdb cannot be loaded (the
 * message says where it looked), or LR_EIO. */
int lr__duckdb_open(lr__duckdb *d, lr__buf *err);
void lr__duckdb_close(lr__duckdb *d);

/* Runs `sql` into `result`, which the caller reads and frees with the
 * API's destroy_result. On failure writes DuckDB's message to `err`,
 * leaves nothing to free and returns LR_EINVAL. */
int lr__duckdb_query(lr__duckdb *d, const char *sql, duckdb_result *result,
                     lr__buf *err);

/* Runs `sql`; on failure writes DuckDB's message to `err` and returns
 * LR_EINVAL. With `rows` (may be NULL), each row's first `n_cols` columns
 * are appended to it as text, tab-separated, one row per line. */
int lr__duckdb_run(lr__duckdb *d, const char *sql, int n_cols, lr__buf *rows,
                   lr__buf *err);

/* Reads rows [from, from + n) of a vector read as dtype `dt` into out[0..n)
 * (LR_TYPE_NULL for a null). Strings point into the vector; the items of
 * an array<string> are collected in `scratch` as an lr_str table whose
 * address is the table's offset + 1 (fix it up once the chunk is read: the
 * buffer may move). A list holding a null item, which arrays cannot hold,
 * is read as null; returns how many there were (0: every row as is). */
idx_t lr__duck_read_column(duckdb_vector vec, uint8_t dt, idx_t from,
                           idx_t n, lr__buf *scratch, lr_value *out);

/* Writes values[0..n) of dtype `dt` (each of that type, null, or for
 * int64 and float64 the narrower int32 and float32, which widen) into
 * rows [0, n) of a vector of DuckDB type lr__duck_logical_type(dt): the
 * inverse of lr__duck_read_column. Strings and bytes are copied. Returns 0,
 * or -1 when DuckDB cannot reserve a list's items. */
int lr__duck_write_column(duckdb_vector vec, uint8_t dt, const lr_value *values,
                          idx_t n);

/* The DuckDB logical type of a dtype (a list for an array); the caller
 * destroys it. */
duckdb_logical_type lr__duck_logical_type(uint8_t dt);

/* Appends `s` as a SQL string literal ('...', quotes doubled). */
void lr__sql_literal(lr__buf *out, const char *s);
/* Appends `s` as a quoted identifier ("...", quotes doubled). */
void lr__sql_ident(lr__buf *out, const char *s);

#endif

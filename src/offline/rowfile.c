/*
 * rowfile.c - rows written as a new Parquet file, whole or not at all
 * (rowfile.h).
 *
 * A file is never appended to or rewritten: one write is one file. Names
 * carry the time to the microsecond, the PID and a counter of the
 * process, so no two writes, in any processes, take one; a writer killed
 * before the rename leaves only its temporary file, which the next write
 * into the folder removes once that PID no longer runs.
 */
#include "rowfile.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../util/fs.h"
#include "offline.h"

/* The PID in a temporary file's name `.PREFIX-PID-N.tmp`, or 0. */
static pid_t temp_owner(const char *name, const char *prefix) {
  size_t plen = strlen(prefix);
  if (name[0] != '.' || strncmp(name + 1, prefix, plen) != 0)
    return 0;
  long pid = 0;
  int end = 0;
  if (sscanf(name + 1 + plen, "-%ld-%*u.tmp%n", &pid, &end) != 1 ||
      name[1 + plen + (size_t)end] != '\0' || pid <= 0)
    return 0;
  return (pid_t)pid;
}

int lr__rowfile_clean(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int removed = 0;
  struct dirent *e;
  lr__buf path;
  lr__buf_init(&path);
  while ((e = readdir(d))) {
    pid_t pid = temp_owner(e->d_name, prefix);
    if (!pid || kill(pid, 0) == 0 || errno != ESRCH)
      continue; /* not a temporary file, or its writer may still run */
    lr__buf_reset(&path);
    lr__buf_printf(&path, "%s/%s", dir, e->d_name);
    removed += unlink(lr__buf_str(&path)) == 0;
  }
  lr__buf_free(&path);
  closedir(d);
  return removed;
}

/* CREATE OR REPLACE TABLE of the file's columns. */
static void create_sql(const char *table, const lr__rowfile_col *cols,
                       int n_cols, lr__buf *sql) {
  lr__buf_printf(sql, "CREATE OR REPLACE TABLE %s (", table);
  for (int i = 0; i < n_cols; i++) {
    lr__buf_puts(sql, i ? ", " : "");
    lr__sql_ident(sql, cols[i].name);
    lr__buf_putc(sql, ' ');
    lr__sql_type(sql, cols[i].dtype);
  }
  lr__buf_puts(sql, ")");
}

/* Appends the rows to the table, a chunk of DuckDB's vector size at a
 * time. Returns 0, or LR_EINVAL with the appender's message. */
static int append_rows(lr__duckdb *db, const char *table,
                       const lr__rowfile_col *cols, int n_cols, size_t n_rows,
                       lr__buf *err) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_logical_type *types =
      calloc((size_t)n_cols + 1, sizeof(duckdb_logical_type));
  if (!types)
    return LR_ENOMEM;
  for (int i = 0; i < n_cols; i++)
    types[i] = lr__duck_logical_type(cols[i].dtype);
  duckdb_appender app = NULL;
  duckdb_data_chunk chunk = api->create_data_chunk(types, (idx_t)n_cols);
  int rc = api->appender_create(db->con, NULL, table, &app) ==
                   DuckDBSuccess && chunk ? 0 : LR_EINVAL;
  idx_t step = api->vector_size();
  for (size_t at = 0; rc == 0 && at < n_rows; at += step) {
    idx_t n = n_rows - at < step ? (idx_t)(n_rows - at) : step;
    api->data_chunk_reset(chunk);
    for (int i = 0; rc == 0 && i < n_cols; i++)
      rc = lr__duck_write_column(api->data_chunk_get_vector(chunk, (idx_t)i),
                                 cols[i].dtype, cols[i].values + at, n)
               ? LR_ENOMEM : 0;
    api->data_chunk_set_size(chunk, n);
    if (rc == 0 && api->append_data_chunk(app, chunk) != DuckDBSuccess)
      rc = LR_EINVAL;
  }
  if (rc == 0 && api->appender_close(app) != DuckDBSuccess)
    rc = LR_EINVAL;
  if (rc == LR_EINVAL) {
    const char *why = app ? api->appender_error(app) : NULL;
    lr__buf_puts(err, why ? why : "DuckDB's appender failed");
  }
  if (app)
    api->appender_destroy(&app);
  if (chunk)
    api->destroy_data_chunk(&chunk);
  for (int i = 0; i < n_cols; i++)
    api->destroy_logical_type(&types[i]);
  free(types);
  return rc;
}

int lr__rowfile_stage(lr__duckdb *db, const char *table,
                      const lr__rowfile_col *cols, int n_cols, size_t n_rows,
                      lr__buf *err) {
  lr__buf sql;
  lr__buf_init(&sql);
  create_sql(table, cols, n_cols, &sql);
  int rc = lr__duckdb_run(db, lr__buf_str(&sql), 0, NULL, err);
  if (rc == 0)
    rc = append_rows(db, table, cols, n_cols, n_rows, err);
  lr__buf_free(&sql);
  return rc;
}

/* The file's temporary and final names in `dir`. */
static void file_names(const char *dir, const char *prefix, lr__buf *tmp,
                       lr__buf *final) {
  static atomic_uint counter;
  unsigned n = atomic_fetch_add(&counter, 1) + 1;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  time_t secs = tv.tv_sec;
  gmtime_r(&secs, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y%m%dT%H%M%S", &tm);
  long pid = (long)getpid();
  lr__buf_printf(tmp, "%s/.%s-%ld-%u.tmp", dir, prefix, pid, n);
  lr__buf_printf(final, "%s/%s.%06ldZ-%ld-%u.parquet", dir, when,
                 (long)tv.tv_usec, pid, n);
}

/* Writes the table as Parquet to `tmp`, syncs it and renames it to
 * `final`, then syncs the folder; removes `tmp` on failure. */
static int write_file(lr__duckdb *db, const char *table, const char *tmp,
                      const char *final, lr__buf *err) {
  lr__buf sql, why;
  lr__buf_init(&sql);
  lr__buf_init(&why);
  lr__buf_printf(&sql, "COPY %s TO ", table);
  lr__sql_literal(&sql, tmp);
  lr__buf_puts(&sql, " (FORMAT PARQUET)");
  int rc = lr__duckdb_run(db, lr__buf_str(&sql), 0, NULL, &why);
  if (rc)
    lr__buf_printf(err, "DuckDB cannot write %s: %s", tmp, lr__buf_str(&why));
  const char *step = NULL;
  if (rc == 0 && lr__fs_sync_file(tmp) != 0)
    step = "fsync";
  else if (rc == 0 && lr__fs_rename(tmp, final) != 0)
    step = "rename";
  if (step) {
    lr__buf_printf(err, "cannot write %s (%s of %s failed: %s)", final, step,
                   tmp, strerror(errno));
    rc = LR_EIO;
  }
  if (rc)
    unlink(tmp);
  else
    lr__fs_sync_parent(final);
  lr__buf_free(&sql);
  lr__buf_free(&why);
  return rc;
}

int lr__rowfile_write(lr__duckdb *db, const char *dir, const char *prefix,
                      const char *what, const lr__rowfile_col *cols,
                      int n_cols, size_t n_rows, lr__buf *file, lr__buf *err) {
  lr__buf table, sql, why, tmp, final;
  lr__buf_init(&table);
  lr__buf_init(&sql);
  lr__buf_init(&why);
  lr__buf_init(&tmp);
  lr__buf_init(&final);
  lr__buf_printf(&table, "__larder_%s", prefix);
  lr__rowfile_clean(dir, prefix);
  int rc = lr__rowfile_stage(db, lr__buf_str(&table), cols, n_cols, n_rows,
                             &why);
  if (rc == LR_EINVAL)
    lr__buf_printf(err, "cannot stage %s %s: %s", what, dir,
                   lr__buf_str(&why));
  if (rc == 0) {
    file_names(dir, prefix, &tmp, &final);
    rc = write_file(db, lr__buf_str(&table), lr__buf_str(&tmp),
                    lr__buf_str(&final), err);
  }
  lr__buf_reset(&sql);
  lr__buf_printf(&sql, "DROP TABLE IF EXISTS %s", lr__buf_str(&table));
  lr__duckdb_run(db, lr__buf_str(&sql), 0, NULL, &why);
  if (rc == 0 && file)
    lr__buf_puts(file, lr__buf_str(&final));
  lr__buf_free(&table);
  lr__buf_free(&sql);
  lr__buf_free(&why);
  lr__buf_free(&tmp);
  lr__buf_free(&final);
  return rc == LR_ENOMEM ? lr__errmsg_set(err, rc, "out of memory") : rc;
}

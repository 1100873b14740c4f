/*
 * pushed.c - pushed rows appended to a push source's offline folder
 * (pushed.h).
 *
 * One push is one file, so a file is never appended to or rewritten: the
 * rows go into a table of this session through DuckDB's appender, COPY
 * writes the table as Parquet to `.push-PID-N.tmp` in the folder, and once
 * that file is synced it is renamed to `TIME-PID-N.parquet`, then the
 * folder is synced. Readers glob `*.parquet`, so they see a file only when
 * it is whole and named; a pusher killed before the rename leaves only its
 * temporary file, which the next push into the folder removes once that
 * PID no longer runs. Names carry the time to the microsecond, the PID and
 * a counter of the process, so no two pushes, in any processes, take one.
 */
#include "pushed.h"

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

/* The table a push's rows go through, in the session's own database. */
#define PUSH_TABLE "__larder_push"

void lr__pushed_dir(const char *repo, const lr__source *s, lr__buf *out) {
  lr__buf rel;
  lr__buf_init(&rel);
  lr__push_offline_path(s, &rel);
  lr__fs_join(out, repo, lr__buf_str(&rel));
  lr__buf_free(&rel);
}

void lr__pushed_glob(const char *dir, lr__buf *out) {
  lr__buf_printf(out, "%s/*.parquet", dir);
}

int lr__pushed_any(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  struct dirent *e;
  int any = 0;
  while (!any && (e = readdir(d)))
    any = e->d_name[0] != '.' && lr__fs_has_suffix(e->d_name, ".parquet");
  closedir(d);
  return any;
}

/* The PID in a temporary file's name `.push-PID-N.tmp`, or 0. */
static pid_t temp_owner(const char *name) {
  long pid = 0;
  int end = 0;
  if (sscanf(name, ".push-%ld-%*u.tmp%n", &pid, &end) != 1 ||
      name[end] != '\0' || pid <= 0)
    return 0;
  return (pid_t)pid;
}

int lr__pushed_clean(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int removed = 0;
  struct dirent *e;
  lr__buf path;
  lr__buf_init(&path);
  while ((e = readdir(d))) {
    pid_t pid = temp_owner(e->d_name);
    if (!pid || kill(pid, 0) == 0 || errno != ESRCH)
      continue; /* not a temporary file, or its pusher may still run */
    lr__buf_reset(&path);
    lr__buf_printf(&path, "%s/%s", dir, e->d_name);
    removed += unlink(lr__buf_str(&path)) == 0;
  }
  lr__buf_free(&path);
  closedir(d);
  return removed;
}

/* The plan columns the file holds: index into `cols` and into the plan's
 * colset, for each column given that the batch source keeps. */
typedef struct file_columns {
  int n;
  int *given; /* index in cols */
  int *plan;  /* index in p->cols */
} file_columns;

static int pick_columns(const lr__push_plan *p, const lr_column *cols,
                        int n_cols, file_columns *fc) {
  fc->n = 0;
  fc->given = calloc((size_t)n_cols + 1, sizeof *fc->given);
  fc->plan = calloc((size_t)n_cols + 1, sizeof *fc->plan);
  if (!fc->given || !fc->plan)
    return LR_ENOMEM;
  for (int k = 0; k < p->cols.n; k++) {
    if (!lr__push_offline_column(p, k))
      continue;
    for (int c = 0; c < n_cols; c++)
      if (cols[c].name && !strcmp(cols[c].name, p->cols.names[k])) {
        fc->given[fc->n] = c;
        fc->plan[fc->n++] = k;
        break;
      }
  }
  return 0;
}

/* CREATE OR REPLACE TABLE of the file's columns, batch source names. */
static void create_sql(const lr__push_plan *p, const file_columns *fc,
                       lr__buf *sql) {
  lr__buf_puts(sql, "CREATE OR REPLACE TABLE " PUSH_TABLE " (");
  for (int i = 0; i < fc->n; i++) {
    lr__buf_puts(sql, i ? ", " : "");
    lr__sql_ident(sql, lr__push_offline_column(p, fc->plan[i]));
    lr__buf_putc(sql, ' ');
    lr__sql_type(sql, p->cols.types[fc->plan[i]]);
  }
  lr__buf_puts(sql, ")");
}

/* Appends the rows to the table, a chunk of DuckDB's vector size at a
 * time. Returns 0, or LR_EINVAL with the appender's message. */
static int append_rows(lr__duckdb *db, const lr__push_plan *p,
                       const file_columns *fc, const lr_column *cols,
                       size_t n_rows, lr__buf *err) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_logical_type *types = calloc((size_t)fc->n + 1, sizeof *types);
  if (!types)
    return LR_ENOMEM;
  for (int i = 0; i < fc->n; i++)
    types[i] = lr__duck_logical_type(p->cols.types[fc->plan[i]]);
  duckdb_appender app = NULL;
  duckdb_data_chunk chunk = api->create_data_chunk(types, (idx_t)fc->n);
  int rc = api->appender_create(db->con, NULL, PUSH_TABLE, &app) ==
                   DuckDBSuccess && chunk ? 0 : LR_EINVAL;
  idx_t step = api->vector_size();
  for (size_t at = 0; rc == 0 && at < n_rows; at += step) {
    idx_t n = n_rows - at < step ? (idx_t)(n_rows - at) : step;
    api->data_chunk_reset(chunk);
    for (int i = 0; rc == 0 && i < fc->n; i++)
      rc = lr__duck_write_column(api->data_chunk_get_vector(chunk, (idx_t)i),
                                 p->cols.types[fc->plan[i]],
                                 cols[fc->given[i]].values + at, n)
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
  for (int i = 0; i < fc->n; i++)
    api->destroy_logical_type(&types[i]);
  free(types);
  return rc;
}

/* The file's temporary and final names in `dir`. */
static void file_names(const char *dir, lr__buf *tmp, lr__buf *final) {
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
  lr__buf_printf(tmp, "%s/.push-%ld-%u.tmp", dir, pid, n);
  lr__buf_printf(final, "%s/%s.%06ldZ-%ld-%u.parquet", dir, when,
                 (long)tv.tv_usec, pid, n);
}

/* Writes the table as Parquet to `tmp`, syncs it and renames it to
 * `final`, then syncs the folder; removes `tmp` on failure. */
static int write_file(lr__duckdb *db, const char *tmp, const char *final,
                      lr__buf *err) {
  lr__buf sql, why;
  lr__buf_init(&sql);
  lr__buf_init(&why);
  lr__buf_puts(&sql, "COPY " PUSH_TABLE " TO ");
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

int lr__pushed_append(lr__duckdb *db, const char *repo, const lr__push_plan *p,
                      const lr_column *cols, int n_cols, size_t n_rows,
                      lr__buf *file, lr__buf *err) {
  lr__buf dir, sql, why, tmp, final;
  lr__buf_init(&dir);
  lr__buf_init(&sql);
  lr__buf_init(&why);
  lr__buf_init(&tmp);
  lr__buf_init(&final);
  lr__pushed_dir(repo, p->source, &dir);
  file_columns fc = {0, NULL, NULL};
  int rc = lr__fs_mkdirs(lr__buf_str(&dir), &why);
  if (rc)
    lr__buf_printf(err, "the offline store of push source '%s' cannot be "
                   "written: %s (it is the folder offline_path names, by "
                   "default data/pushed/%s in the repo: make it a folder "
                   "this process can write, or set offline_path)",
                   p->source->name, lr__buf_str(&why), p->source->name);
  if (rc == 0) {
    lr__pushed_clean(lr__buf_str(&dir));
    rc = pick_columns(p, cols, n_cols, &fc);
  }
  if (rc == 0) {
    create_sql(p, &fc, &sql);
    rc = lr__duckdb_run(db, lr__buf_str(&sql), 0, NULL, &why);
  }
  if (rc == 0)
    rc = append_rows(db, p, &fc, cols, n_rows, &why);
  if (rc == LR_EINVAL)
    lr__buf_printf(err, "cannot stage the rows pushed to %s: %s",
                   lr__buf_str(&dir), lr__buf_str(&why));
  if (rc == 0) {
    file_names(lr__buf_str(&dir), &tmp, &final);
    rc = write_file(db, lr__buf_str(&tmp), lr__buf_str(&final), err);
  }
  lr__duckdb_run(db, "DROP TABLE IF EXISTS " PUSH_TABLE, 0, NULL, &why);
  if (rc == 0 && file)
    lr__buf_puts(file, lr__buf_str(&final));
  free(fc.given);
  free(fc.plan);
  lr__buf_free(&dir);
  lr__buf_free(&sql);
  lr__buf_free(&why);
  lr__buf_free(&tmp);
  lr__buf_free(&final);
  return rc == LR_ENOMEM ? lr__errmsg_set(err, rc, "out of memory") : rc;
}

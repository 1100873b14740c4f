/*
 * offline.c - the lr_offline handle: registry, repo folder and the DuckDB
 * session used by training sets and materialization.
 */
#include "offline.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/registry.h"
#include "../util/dtype.h"
#include "explain.h"

const char *lr_offline_errmsg(const lr_offline *off) {
  return off ? lr__buf_str(&off->errmsg) : "no offline handle";
}

int lr_offline_set_verbose(lr_offline *off, int on) {
  if (!off)
    return LR_EINVAL;
  off->verbose = on != 0;
  return 0;
}

void lr_offline_close(lr_offline *off) {
  if (!off)
    return;
  if (off->db_open)
    lr__duckdb_close(&off->db);
  lr__model_free(&off->reg);
  lr__buf_free(&off->errmsg);
  lr__buf_free(&off->time_failure.message);
  free(off->repo);
  free(off);
}

int lr__offline_new(const char *repo, lr_offline **out) {
  lr_offline *off = calloc(1, sizeof *off);
  *out = off;
  if (!off)
    return LR_ENOMEM;
  lr__model_init(&off->reg);
  lr__buf_init(&off->errmsg);
  lr__buf_init(&off->time_failure.message);
  if (!repo)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "no repo folder given");
  off->repo = realpath(repo, NULL);
  if (!off->repo)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "%s is not a folder",
                          repo);
  return 0;
}

int lr_offline_open(const char *repo, lr_offline **out) {
  if (!out)
    return LR_EINVAL;
  int rc = lr__offline_new(repo, out);
  return rc ? rc : lr__registry_load((*out)->repo, &(*out)->reg,
                                     &(*out)->errmsg);
}

int lr__offline_run(lr_offline *off, const char *sql, const char *doing,
                    int n_cols, lr__buf *rows) {
  lr__buf why;
  lr__buf_init(&why);
  lr__offline_time_reset(off);
  int rc = lr__duckdb_run(&off->db, sql, n_cols, rows, &why);
  if (rc && !lr__offline_time_failed(off)) /* a time names its place */
    lr__explain_query(off, doing, lr__buf_str(&why), sql);
  lr__buf_free(&why);
  return rc;
}

int lr__offline_query(lr_offline *off, const lr__view *v, const char *sql,
                      const char *doing, duckdb_result *result) {
  lr__buf why;
  lr__buf_init(&why);
  lr__offline_time_reset(off);
  int rc = lr__duckdb_query(&off->db, sql, result, &why);
  if (rc && !lr__offline_time_failed(off)) { /* a time names its place */
    if (v)
      lr__explain_source(off, v, lr__buf_str(&why), sql);
    else
      lr__explain_query(off, doing, lr__buf_str(&why), sql);
  }
  lr__buf_free(&why);
  return rc;
}

int lr__offline_session(lr_offline *off) {
  if (off->db_open)
    return 0;
  int rc = lr__duckdb_open(&off->db, &off->errmsg);
  if (rc)
    return rc;
  off->db_open = 1;
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_puts(&sql, "SET TimeZone = 'UTC'; SET file_search_path = ");
  lr__sql_literal(&sql, off->repo);
  rc = lr__offline_run(off, lr__buf_str(&sql), "setting up DuckDB", 0, NULL);
  lr__buf_free(&sql);
  return rc;
}

void lr__sql_type(lr__buf *out, uint8_t dtype) {
  static const char *names[] = {"?",       "BOOLEAN", "INTEGER",
                                "BIGINT",  "FLOAT",   "DOUBLE",
                                "VARCHAR", "BLOB",    "TIMESTAMPTZ"};
  unsigned base = LR__DT_BASE(dtype);
  lr__buf_puts(out, base < sizeof names / sizeof names[0] ? names[base] : "?");
  if (LR__DT_IS_ARRAY(dtype))
    lr__buf_puts(out, "[]");
}

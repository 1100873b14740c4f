/*
 * offline_fixture.h - the fixture the offline suites share: a scratch repo
 * (with data/) and work folder per test, the current folder set to the
 * work folder, an lr_offline handle closed at teardown (apply() opens it
 * on the definitions it applies, again at each apply), and a helper DuckDB
 * (UTC) for making and reading files.
 */
#ifndef LR_TESTS_OFFLINE_FIXTURE_H
#define LR_TESTS_OFFLINE_FIXTURE_H

#include <stdarg.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"

static char *g_root;
static char g_repo[1024], g_work[1024];
static lr__duckdb g_db;
static int g_db_open;
static lr_offline *g_off;

static void setup(void) {
  g_root = th_tempdir();
  snprintf(g_repo, sizeof g_repo, "%s/repo", g_root);
  snprintf(g_work, sizeof g_work, "%s/work", g_root);
  char data[1100];
  snprintf(data, sizeof data, "%s/data", g_repo);
  th_mkdirs(data);
  th_mkdirs(g_work);
  cr_assert_eq(chdir(g_work), 0);
}

static void teardown(void) {
  lr_offline_close(g_off);
  g_off = NULL;
  if (g_db_open)
    lr__duckdb_close(&g_db);
  g_db_open = 0;
  if (chdir("/") != 0)
    abort();
  th_rmrf(g_root);
}

/* The helper DuckDB (UTC), opened on first use. */
static lr__duckdb *db(void) {
  if (!g_db_open) {
    lr__buf err;
    lr__buf_init(&err);
    cr_assert_eq(lr__duckdb_open(&g_db, &err), 0, "%s", lr__buf_str(&err));
    g_db_open = 1;
    cr_assert_eq(lr__duckdb_run(&g_db, "SET TimeZone = 'UTC'", 0, NULL, &err),
                 0, "%s", lr__buf_str(&err));
    lr__buf_free(&err);
  }
  return &g_db;
}

/* Runs SQL (printf-style, its arguments in `ap`) on the helper DuckDB;
 * asserts it ran. */
static inline void fixture_vsql(const char *fmt, va_list ap) {
  lr__buf sql, err;
  lr__buf_init(&sql);
  lr__buf_init(&err);
  lr__buf_vprintf(&sql, fmt, ap);
  int rc = lr__duckdb_run(db(), lr__buf_str(&sql), 0, NULL, &err);
  cr_assert_eq(rc, 0, "%s\n-- %s", lr__buf_str(&err), lr__buf_str(&sql));
  lr__buf_free(&sql);
  lr__buf_free(&err);
}

/* fixture_vsql of the arguments. */
static inline __attribute__((format(printf, 1, 2))) void
fixture_sql(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fixture_vsql(fmt, ap);
  va_end(ap);
}

/* Writes the rows of `select` to repo/<rel> as Parquet (replacing it). */
static inline void fixture_parquet(const char *rel, const char *select) {
  fixture_sql("COPY (%s) TO '%s/%s' (FORMAT PARQUET)", select, g_repo, rel);
}

/* Writes feature_store.yaml and the definitions, applies them with
 * `flags` (LR_APPLY_FORCE or 0), and opens them for offline work (a handle
 * opened before, on older definitions, is closed). */
static void apply_with(const char *defs, unsigned flags) {
  lr_offline_close(g_off);
  g_off = NULL;
  th_write(g_repo, "feature_store.yaml", TH_CONFIG);
  th_write(g_repo, "f.yaml", defs);
  lr_repo *repo;
  int rc = lr_repo_open(g_repo, &repo);
  cr_assert_eq(rc, 0, "%s", lr_repo_errmsg(repo));
  rc = lr_repo_apply(repo, flags, NULL);
  cr_assert_eq(rc, 0, "%s", lr_repo_errmsg(repo));
  lr_repo_close(repo);
  rc = lr_offline_open(g_repo, &g_off);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
}

/* apply_with(defs, 0). */
static void apply(const char *defs) { apply_with(defs, 0); }

#endif

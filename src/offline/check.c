/*
 * check.c - a view's checks run over its source rows without writing
 * anything: `larder check` (lr_check_view) and the checks of a training
 * set (historical.c, lr__check_window).
 *
 * The rows stream from DuckDB as materialize reads them (chunkcols.h) and
 * go through the same check runner the writers use (quality/checkrun.h),
 * so a standalone run gives the verdicts a load of the same rows would.
 * It keeps no row: a drop rule's failures are counted, not copied. When
 * the view has a unique rule over its join keys the rows are read sorted
 * by key, so that rule holds one entity's rows at a time (and the report
 * counts the entities whose newest row fails); otherwise as stored.
 */
#include <stdlib.h>

#include "../codec/row.h"
#include "../quality/checkrun.h"
#include "../util/timefmt.h"
#include "check.h"
#include "chunkcols.h"
#include "explain.h"

/* Streams the rows of `sql` through runner cr. */
static int run_rows(lr_offline *off, const lr__view *v, const char *sql,
                    lr__checkrun *cr) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_result result;
  lr__chunk_columns cc;
  int rc = lr__chunk_columns_setup(&off->reg, v, &cc);
  lr__offline_time_reset(off);
  if (rc == 0 && api->query(off->db.con, sql, &result) != DuckDBSuccess) {
    const char *why = api->result_error(&result);
    rc = lr__offline_time_failed(off)
             ? LR_EINVAL
             : lr__explain_source(off, v, why ? why : "unknown error", sql);
    api->destroy_result(&result);
    lr__chunk_columns_free(&cc);
    return rc;
  }
  duckdb_data_chunk chunk;
  while (rc == 0 && (chunk = api->fetch_chunk(result))) {
    idx_t rows = api->data_chunk_get_size(chunk);
    for (idx_t from = 0; rc == 0 && from < rows; from += LR__CHUNK_BATCH) {
      idx_t n = rows - from < LR__CHUNK_BATCH ? rows - from : LR__CHUNK_BATCH;
      const lr_column *kept;
      size_t n_kept;
      rc = lr__chunk_columns_read(off, chunk, &cc, from, n);
      if (rc == 0)
        rc = lr__checkrun_rows(cr, cc.cols, cc.n_cols, n, &kept, &n_kept);
    }
    api->destroy_data_chunk(&chunk);
  }
  api->destroy_result(&result);
  lr__chunk_columns_free(&cc);
  return rc;
}

int lr__check_window(lr_offline *off, const lr__view *v, int64_t start,
                     int64_t end, unsigned flags, int samples, lr__buf *report,
                     int *failed) {
  *failed = 0;
  lr__checkrun *cr = NULL;
  int rc = lr__checkrun_open(&off->reg, v, &cr, &off->errmsg);
  if (rc || !cr)
    return rc;
  lr__checkrun_report_only(cr);
  int by_key = lr__checkrun_wants_grouped(cr);
  if (by_key)
    lr__checkrun_grouped(cr);
  lr__buf sql, count_sql, ignored;
  lr__buf_init(&sql);
  lr__buf_init(&count_sql);
  lr__buf_init(&ignored);
  rc = lr__view_rows_sql(off, v, start, end, by_key, &sql, &count_sql);
  if (rc == 0)
    rc = run_rows(off, v, lr__buf_str(&sql), cr);
  if (rc == 0) {
    lr__checkrun_finish(cr, lr__time_now_us(), &ignored);
    lr__checkrun_report(cr, flags, samples, report);
    for (int k = 0; k < lr__checkrun_rules(cr); k++) {
      const char *name;
      unsigned long long checked, n_failed;
      int passed;
      lr__checkrun_rule_counts(cr, k, &name, &checked, &n_failed, &passed);
      *failed += !passed;
    }
  }
  lr__buf_free(&sql);
  lr__buf_free(&count_sql);
  lr__buf_free(&ignored);
  lr__checkrun_free(cr);
  return rc;
}

int lr_check_view(lr_offline *off, const char *view, long long start_us,
                  long long end_us, unsigned flags, char **report,
                  int *rules_failed) {
  int failed_local;
  if (!rules_failed)
    rules_failed = &failed_local;
  *rules_failed = 0;
  if (report)
    *report = NULL;
  if (!off || !view || !report)
    return LR_EINVAL;
  lr__buf_reset(&off->errmsg);
  const lr__view *v = lr__model_view(&off->reg, view);
  if (!v)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "unknown feature view "
                          "'%s' (`larder ls feature-views` lists them)", view);
  if (v->kind != LR__VIEW_BATCH)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "'%s' is an on-demand "
                          "view: checks belong to the feature views it reads",
                          view);
  if (v->n_checks == 0)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "feature view '%s' has no "
                          "checks: add a `checks:` list to its definition "
                          "(docs/repo-format.md, \"checks\") and run `larder "
                          "apply`", view);
  if (start_us > end_us)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "the start of the interval "
                          "is after its end");
  int rc = lr__offline_session(off);
  lr__buf out;
  lr__buf_init(&out);
  if (rc == 0)
    rc = lr__check_window(off, v, start_us < LR__TIME_MIN_US ? LR__TIME_MIN_US
                                                             : start_us,
                          end_us > LR__TIME_MAX_US ? LR__TIME_MAX_US : end_us,
                          flags, LR_CHECK_SAMPLES, &out, rules_failed);
  if (rc == 0 && !(*report = lr__buf_steal(&out)))
    rc = lr__errmsg_set(&off->errmsg, LR_ENOMEM, "out of memory");
  lr__buf_free(&out);
  return rc;
}

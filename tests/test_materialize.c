/*
 * test_materialize.c - lr_materialize (full and incremental) and
 * lr_parse_time, checked through the online API: what a load wrote is read
 * back with lr_get_online_features.
 *
 * Each test builds a repo in a fresh temp folder (repo/ with data/ written
 * as Parquet by a helper DuckDB; work/ is the current folder, so source
 * paths must resolve inside the repo), applies its definitions and opens it
 * for offline work. The online store is opened only between loads (a load
 * opens it read-write itself).
 *
 * The rules (issue 4): for each online view, the source rows with
 * start <= event_ts <= end, latest per entity by (event_ts, created_ts),
 * written newer-wins; one transaction per view, recording the interval;
 * incremental runs start at the view's last end, first time end - ttl or
 * everything when ttl is 0.
 *
 * m044 loads the example repo of `larder init` (crash_reader.h) with the
 * CLI while a server, a reader child and a writer are attached to it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#include "crash_reader.h"
#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "online/store.h"
#include "util/timefmt.h"

/* ---- fixture ------------------------------------------------------------- */

#include "offline_fixture.h"
#include "materialize_fixture.h"

/* ---- windows ------------------------------------------------------------- */

Test(materialize, m001_window_loads_latest_row_per_entity, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 09:59:59', NULL, 1), "
               "(1, '2024-01-01 10:00:00', NULL, 2), "
               "(2, '2024-01-01 10:00:00', NULL, 20), "
               "(2, '2024-01-01 12:00:00', '2024-01-01 12:00:00', 21), "
               "(2, '2024-01-01 12:00:00', '2024-01-01 13:00:00', 22), "
               "(2, '2024-01-01 12:00:00', NULL, 23), "
               "(2, '2024-01-01 11:00:00', '2024-01-09 00:00:00', 24), "
               "(3, '2024-01-01 13:00:00', NULL, 30), "
               "(3, '2024-01-01 13:00:01', NULL, 31), "
               "(4, '2024-01-01 08:00:00', NULL, 40), "
               "(5, '2024-01-01 14:00:00', NULL, 50), "
               "(6, '2024-01-01 11:00:00', NULL, NULL)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01T10:00:00Z", "2024-01-01T13:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 4, 4, 0);
  ASSERT_VAL("mv:val", 1, 2, "2024-01-01T10:00:00Z");  /* start included */
  ASSERT_VAL("mv:val", 2, 22, "2024-01-01T12:00:00Z"); /* greatest created */
  ASSERT_VAL("mv:val", 3, 30, "2024-01-01T13:00:00Z"); /* end included */
  ASSERT_MISSING("mv:val", 4);                         /* before start */
  ASSERT_MISSING("mv:val", 5);                         /* after end */
  got g = get1("mv:val", 6);
  cr_assert_eq(g.status, LR_STATUS_NULL_VALUE, "%s", lr_status_name(g.status));
  cr_assert_eq(g.ev, T("2024-01-01T11:00:00Z"));
}

Test(materialize, m002_start_after_end_is_einval, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1), "
               "(2, '2024-01-01 10:00:01', NULL, 2)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  int rc = mat("2024-01-02", "2024-01-01", NULL, &st);
  cr_assert_eq(rc, LR_EINVAL);
  cr_assert_neq(lr_offline_errmsg(g_off)[0], '\0');
  ASSERT_MISSING("mv:val", 1);
  /* start == end: the rows at that instant */
  MAT_OK(mat("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_VAL("mv:val", 1, 1, "2024-01-01T10:00:00Z");
  ASSERT_MISSING("mv:val", 2);
  cr_assert_eq(lr_materialize(g_off, NULL, &st), LR_EINVAL);
  lr_materialize_spec spec = {0};
  cr_assert_eq(lr_materialize(NULL, &spec, &st), LR_EINVAL);
}

/* ---- interval bookkeeping ------------------------------------------------------ */

Test(materialize, m003_incremental_after_full_starts_at_previous_end,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 1), "
               "(2, '2024-01-03 10:00:00', NULL, 3), "
               "(3, '2024-01-05 10:00:00', NULL, 5)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "1d", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  /* rows added later inside the old window: a newer created time for user
   * 1 and a new user 7; incremental runs must not reload them */
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 1), "
               "(1, '2024-01-01 10:00:00', '2024-01-01 18:00:00', 11), "
               "(7, '2024-01-01 12:00:00', NULL, 70), "
               "(2, '2024-01-03 10:00:00', NULL, 3), "
               "(3, '2024-01-05 10:00:00', NULL, 5)");
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  lookup lk;
  lk_open(&lk, "mv:val", 4);
  lr_value keys[4] = {I64(1), I64(2), I64(3), I64(7)};
  lk_get(&lk, keys, 4);
  /* ttl 1d: rows are old, so statuses are OUTSIDE_MAX_AGE; event times
   * tell which row is stored */
  cr_assert_eq(lk_cell(&lk, 0, 0).event_ts, T("2024-01-01T10:00:00Z"));
  cr_assert_neq(lk_cell(&lk, 0, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(lk_cell(&lk, 1, 0).event_ts, T("2024-01-03T10:00:00Z"));
  cr_assert_neq(lk_cell(&lk, 1, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(lk_cell(&lk, 2, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(lk_cell(&lk, 3, 0).status, LR_STATUS_NOT_FOUND);
  lk_close(&lk);
  /* the next incremental run continues from 01-04 */
  MAT_OK(mat_inc("2024-01-06", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  lk_open(&lk, "mv:val", 4);
  lk_get(&lk, keys, 4);
  cr_assert_eq(lk_cell(&lk, 2, 0).event_ts, T("2024-01-05T10:00:00Z"));
  cr_assert_neq(lk_cell(&lk, 2, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(lk_cell(&lk, 3, 0).status, LR_STATUS_NOT_FOUND);
  lk_close(&lk);
}

Test(materialize, m004_incremental_values_are_not_reloaded, .init = setup,
     .fini = teardown) {
  /* the same as m003 with ttl 0, so that values can be read */
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 1), "
               "(2, '2024-01-03 10:00:00', NULL, 3)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, NULL));
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 1), "
               "(1, '2024-01-01 10:00:00', '2024-01-01 18:00:00', 11), "
               "(1, '2024-01-01 23:59:59', NULL, 12), "
               "(2, '2024-01-03 10:00:00', NULL, 3)");
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_VAL("mv:val", 1, 1, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 3, "2024-01-03T10:00:00Z");
}

Test(materialize, m005_first_incremental_with_ttl_zero_loads_everything,
     .init = setup, .fini = teardown) {
  /* a process in another zone: naive source times are still UTC, so the
   * exact end boundary below holds */
  setenv("TZ", "America/New_York", 1);
  tzset();
  rows_parquet("data/m.parquet",
               "(1, '1960-06-01 00:00:00', NULL, 1), "
               "(2, '1999-12-31 23:59:59', NULL, 2), "
               "(3, '2024-01-15 00:00:00', NULL, 3), "
               "(4, '2024-01-15 00:00:01', NULL, 4)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-15T00:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 3, 3, 0);
  ASSERT_VAL("mv:val", 1, 1, "1960-06-01T00:00:00Z");
  ASSERT_VAL("mv:val", 2, 2, "1999-12-31T23:59:59Z");
  ASSERT_VAL("mv:val", 3, 3, "2024-01-15T00:00:00Z");
  ASSERT_MISSING("mv:val", 4);
  MAT_OK(mat_inc("2024-02-01", NULL, &st));
  ASSERT_VAL("mv:val", 4, 4, "2024-01-15T00:00:01Z");
}

Test(materialize, m006_first_incremental_with_ttl_starts_at_end_minus_ttl,
     .init = setup, .fini = teardown) {
  long long now = (long long)time(NULL);
  long long end = now - 60; /* a whole second, before the lookups */
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SELECT u::BIGINT AS user_id, make_timestamp(s::BIGINT * 1000000) AS ts, "
           "NULL::TIMESTAMP AS created, v::BIGINT AS val FROM (VALUES "
           "(1, %lld, 1), (2, %lld, 2), (3, %lld, 3), (4, %lld, 4)) "
           "t(u, s, v)",
           end - 2 * 86400 - 1, end - 2 * 86400, end - 3600, end + 1);
  repo_parquet("data/m.parquet", sql);
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "2d", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_us(1, 0, end * 1000000, NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_MISSING("mv:val", 1); /* a second before end - ttl */
  got g = get1("mv:val", 2);   /* exactly end - ttl: loaded (now too old) */
  cr_assert_neq(g.status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(g.ev, (end - 2 * 86400) * 1000000);
  g = get1("mv:val", 3);
  cr_assert_eq(g.status, LR_STATUS_PRESENT);
  cr_assert_eq(g.v, 3);
  ASSERT_MISSING("mv:val", 4); /* after end */
}

Test(materialize, m007_incremental_is_per_view, .init = setup,
     .fini = teardown) {
  rows_parquet("data/a.parquet", "(1, '2024-01-01 10:00:00', NULL, 1), "
               "(2, '2024-01-03 10:00:00', NULL, 2)");
  rows_parquet("data/b.parquet", "(1, '2000-01-01 10:00:00', NULL, 10), "
               "(2, '2024-01-03 10:00:00', NULL, 20)");
  apply(TWO_VIEWS);
  MAT_OK(mat("2024-01-01", "2024-01-02", "va", NULL));
  /* va's old window gets a newer row for user 1: not reloaded */
  rows_parquet("data/a.parquet", "(1, '2024-01-01 10:00:00', NULL, 1), "
               "(1, '2024-01-01 11:00:00', NULL, 100), "
               "(2, '2024-01-03 10:00:00', NULL, 2)");
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-04", "va,vb", &st));
  ASSERT_STATS(st, 2, 3, 3, 0);
  ASSERT_VAL("va:val", 1, 1, "2024-01-01T10:00:00Z");
  ASSERT_VAL("va:val", 2, 2, "2024-01-03T10:00:00Z");
  ASSERT_VAL("vb:val", 1, 10, "2000-01-01T10:00:00Z"); /* first: everything */
  ASSERT_VAL("vb:val", 2, 20, "2024-01-03T10:00:00Z");
}

Test(materialize, m008_rerunning_an_interval_is_idempotent, .init = setup,
     .fini = teardown) {
  repo_parquet("data/m.parquet",
               "SELECT (i % 3000)::BIGINT AS user_id, TIMESTAMP "
               "'2024-01-01' + to_seconds(i) AS ts, NULL::TIMESTAMP AS "
               "created, (i * 7)::BIGINT AS val FROM range(6000) r(i)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, 3000, 3000, 0);
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  /* equal times are not older: rewritten with the same values */
  ASSERT_STATS(st, 1, 3000, 3000, 0);
  lookup lk;
  lk_open(&lk, "mv:val", 3000);
  lr_value keys[3000];
  for (int i = 0; i < 3000; i++)
    keys[i] = I64(i);
  lk_get(&lk, keys, 3000);
  for (int i = 0; i < 3000; i++) {
    lr_value c = lk_cell(&lk, i, 0);
    cr_assert_eq(c.status, LR_STATUS_PRESENT, "user %d", i);
    cr_assert_eq(c.v.i64, (i + 3000) * 7LL, "user %d", i);
    cr_assert_eq(c.event_ts, T("2024-01-01") + (i + 3000) * 1000000LL);
  }
  lk_close(&lk);
  /* the incremental run after it starts at its end: nothing new */
  MAT_OK(mat_inc("2024-01-03", NULL, &st));
  cr_assert_eq(st.rows_read, 0);
}

Test(materialize, m009_older_backfill_never_overwrites_newer_values,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet",
               "(1, '2024-01-01 00:00:00', NULL, 1), "
               "(1, '2024-01-10 00:00:00', NULL, 10), "
               "(2, '2024-01-02 00:00:00', NULL, 2), "
               "(3, '2024-01-11 00:00:00', NULL, 30), "
               "(3, '2024-01-03 00:00:00', NULL, 3)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-05", "2024-01-31", NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0);
  MAT_OK(mat("2024-01-01", "2024-01-04", NULL, &st));
  ASSERT_STATS(st, 1, 3, 1, 2);
  ASSERT_VAL("mv:val", 1, 10, "2024-01-10T00:00:00Z");
  ASSERT_VAL("mv:val", 2, 2, "2024-01-02T00:00:00Z");
  ASSERT_VAL("mv:val", 3, 30, "2024-01-11T00:00:00Z");
}

/* ---- failures ----------------------------------------------------------------- */

/* user i (0..n-1) at `day` with val i + add and arr [i]; `bad` (if >= 0)
 * is a last user whose list holds a null item. */
static void frag_parquet(const char *day, int n, int add, int bad) {
  char sql[2048];
  snprintf(sql, sizeof sql,
           "SELECT i::BIGINT AS user_id, TIMESTAMP '%s' AS ts, "
           "NULL::TIMESTAMP AS created, (i + %d)::BIGINT AS val, "
           "[i]::BIGINT[] AS arr FROM range(%d) r(i)%s",
           day, add, n,
           bad >= 0 ? " UNION ALL SELECT 100000, TIMESTAMP '2024-01-02', "
                      "NULL, 1, [1, NULL]::BIGINT[]" : "");
  repo_parquet("data/frag.parquet", sql);
}

static void assert_frag_rows(int n, int add, const char *ev) {
  lookup lk;
  lk_open(&lk, "frag:val,frag:arr", n + 1);
  lr_value *keys = calloc((size_t)n + 1, sizeof *keys);
  for (int i = 0; i < n; i++)
    keys[i] = I64(i);
  keys[n] = I64(100000);
  lk_get(&lk, keys, n + 1);
  for (int i = 0; i < n; i++) {
    lr_value c = lk_cell(&lk, i, 0);
    cr_assert_eq(c.status, LR_STATUS_PRESENT, "user %d", i);
    cr_assert_eq(c.v.i64, i + add, "user %d: %lld", i, c.v.i64);
    cr_assert_eq(c.event_ts, T(ev), "user %d", i);
  }
  cr_assert_eq(lk_cell(&lk, n, 0).status, LR_STATUS_NOT_FOUND);
  free(keys);
  lk_close(&lk);
}

Test(materialize, m010_failure_mid_load_leaves_online_rows_as_before,
     .init = setup, .fini = teardown) {
  frag_parquet("2024-01-01", 8000, 0, -1);
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "frag.parquet")
        "feature_views:\n" VIEW("frag", "s", "0s",
                                VAL "      - {name: arr, dtype: "
                                    "array<int64>}\n"));
  MAT_OK(mat("2023-12-01", "2024-01-01T12:00:00Z", NULL, NULL));
  assert_frag_rows(8000, 0, "2024-01-01T00:00:00Z");
  /* newer rows, in key order; the last key (after 3 full chunks) has a
   * list with a null item, which arrays cannot hold */
  frag_parquet("2024-01-02", 8000, 500000, 1);
  lr_materialize_stats st;
  int rc = mat("2023-12-01", "2024-01-03", NULL, &st);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("arr");
  assert_frag_rows(8000, 0, "2024-01-01T00:00:00Z");
  /* the failed load recorded no interval: an incremental run starts at the
   * last good end (01-01 12:00) and loads the 01-02 rows */
  frag_parquet("2024-01-02", 8000, 500000, -1);
  MAT_OK(mat_inc("2024-01-03", NULL, &st));
  ASSERT_STATS(st, 1, 8000, 8000, 0);
  assert_frag_rows(8000, 500000, "2024-01-02T00:00:00Z");
}

Test(materialize, m011_cast_failure_leaves_online_rows_as_before,
     .init = setup, .fini = teardown) {
  repo_parquet("data/c.parquet",
               "SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS ts, "
               "NULL::TIMESTAMP AS created, i::VARCHAR AS val "
               "FROM range(6000) r(i)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "c.parquet")
        "feature_views:\n" VIEW("castv", "s", "0s", VAL));
  MAT_OK(mat("2023-12-01", "2024-01-01T12:00:00Z", NULL, NULL));
  /* newer rows: the second half holds text in the int64 feature */
  repo_parquet("data/c.parquet",
               "SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-02' AS ts, "
               "NULL::TIMESTAMP AS created, CASE WHEN i < 3000 THEN "
               "(i + 1)::VARCHAR ELSE 'x' || i::VARCHAR END AS val "
               "FROM range(6000) r(i)");
  int rc = mat("2023-12-01", "2024-01-03", NULL, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("castv");
  ASSERT_MSG("'x"); /* DuckDB's conversion error quotes the value */
  lookup lk;
  lk_open(&lk, "castv:val", 6000);
  static lr_value keys[6000];
  for (int i = 0; i < 6000; i++)
    keys[i] = I64(i);
  lk_get(&lk, keys, 6000);
  for (int i = 0; i < 6000; i++) {
    lr_value c = lk_cell(&lk, i, 0);
    cr_assert_eq(c.v.i64, i, "user %d", i);
    cr_assert_eq(c.event_ts, T("2024-01-01"), "user %d", i);
  }
  lk_close(&lk);
}

Test(materialize, m012_a_broken_second_view_keeps_its_rows, .init = setup,
     .fini = teardown) {
  rows_parquet("data/a.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  rows_parquet("data/b.parquet", "(1, '2024-01-01 10:00:00', NULL, 10)");
  apply(TWO_VIEWS);
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, NULL));
  rows_parquet("data/a.parquet", "(1, '2024-01-02 10:00:00', NULL, 2)");
  th_write(g_repo, "data/b.parquet", "PAR1 garbage, not parquet PAR1");
  int rc = mat("2024-01-01", "2024-01-03", "va,vb", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("vb");
  ASSERT_MSG("b.parquet");
  ASSERT_VAL("va:val", 1, 2, "2024-01-02T10:00:00Z"); /* its own transaction */
  ASSERT_VAL("vb:val", 1, 10, "2024-01-01T10:00:00Z");
}

Test(materialize, m013_source_missing_a_feature_column, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s",
                                VAL "      - {name: missing_col, dtype: "
                                    "float64}\n"));
  int rc = mat("2024-01-01", "2024-01-02", NULL, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("mv");
  ASSERT_MSG("missing_col");
  ASSERT_MISSING("mv:val", 1);
}

/* ---- which views ------------------------------------------------------------- */

static const char three_views[] =
    "entities:\n" USER
    "sources:\n" FILE_SRC("s", "m.parquet")
    "request_sources:\n"
    "  - name: req\n    schema:\n      - {name: bonus, dtype: int64}\n"
    "feature_views:\n"
    VIEW("va", "s", "0s", VAL)
    VIEW("vb", "s", "0s", VAL)
    VIEW("vc", "s", "0s", VAL)
    "  - name: off\n    entities: [user]\n    source: s\n    online: false\n"
    "    schema:\n" VAL
    "on_demand_feature_views:\n"
    "  - name: odfv\n    sources: [va, req]\n    schema:\n"
    "      - {name: plus, dtype: int64, expr: \"val + bonus\"}\n";

Test(materialize, m014_views_subset, .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  apply(three_views);
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", "vc,va", &st));
  ASSERT_STATS(st, 2, 2, 2, 0);
  ASSERT_VAL("va:val", 1, 1, "2024-01-01T10:00:00Z");
  ASSERT_MISSING("vb:val", 1);
  ASSERT_VAL("vc:val", 1, 1, "2024-01-01T10:00:00Z");
  /* every online view by default: va, vb, vc (not off, not odfv) */
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 3, 3, 3, 0);
  ASSERT_VAL("vb:val", 1, 1, "2024-01-01T10:00:00Z");
}

Test(materialize, m015_offline_only_unknown_and_on_demand_views_rejected,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  apply(three_views);
  int rc = mat("2024-01-01", "2024-01-02", "va,off", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("off");
  rc = mat("2024-01-01", "2024-01-02", "odfv", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("odfv");
  /* nothing was loaded, not even the good view listed first */
  ASSERT_MISSING("va:val", 1);
}

Test(materialize, m016_unknown_view_is_enotfound, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  apply(three_views);
  /* larder.h: "LR_ENOTFOUND (an unknown view)" */
  int rc = mat_inc("2024-01-02", "va,nope", NULL);
  ASSERT_MSG("nope");
  ASSERT_MISSING("va:val", 1);
  cr_assert_eq(rc, LR_ENOTFOUND, "unknown view: %s", lr_err_name(rc));
}

/* ---- sources and keys --------------------------------------------------------- */

Test(materialize, m017_field_mapping_sql_and_push_sources, .init = setup,
     .fini = teardown) {
  repo_parquet("data/raw.parquet",
               "SELECT * FROM (VALUES (1::BIGINT, TIMESTAMP '2024-01-01 "
               "10:00:00', 5::BIGINT, 99::BIGINT), (1, TIMESTAMP "
               "'2024-01-01 11:00:00', 6, 99), (2, TIMESTAMP '2024-01-01 "
               "10:00:00', 7, 99)) t(uid, \"at\", raw, val)");
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1), "
               "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 2), "
               "(2, '2024-01-01 09:00:00', NULL, 3)");
  apply("entities:\n" USER
        "sources:\n" FILE_SRC("s", "m.parquet")
        "  - {name: mapped_src, kind: file, path: data/raw.parquet, "
        "timestamp_field: at, field_mapping: {uid: user_id, raw: val}}\n"
        "  - name: sql_src\n    kind: sql\n    query: SELECT user_id, ts, "
        "val * 100 AS hundred FROM read_parquet('data/m.parquet') WHERE "
        "created IS NULL\n    timestamp_field: ts\n"
        "  - {name: push_src, kind: push, batch_source: s}\n"
        "feature_views:\n"
        VIEW("mapped", "mapped_src", "0s", VAL)
        VIEW("sqlv", "sql_src", "0s",
             "      - {name: hundred, dtype: int64}\n")
        VIEW("pushv", "push_src", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 3, 6, 6, 0);
  ASSERT_VAL("mapped:val", 1, 6, "2024-01-01T11:00:00Z");
  ASSERT_VAL("mapped:val", 2, 7, "2024-01-01T10:00:00Z");
  ASSERT_VAL("sqlv:hundred", 1, 100, "2024-01-01T10:00:00Z");
  ASSERT_VAL("sqlv:hundred", 2, 300, "2024-01-01T09:00:00Z");
  ASSERT_VAL("pushv:val", 1, 2, "2024-01-01T10:00:00Z");
  ASSERT_VAL("pushv:val", 2, 3, "2024-01-01T09:00:00Z");
}

Test(materialize, m018_composite_string_int32_and_bytes_keys, .init = setup,
     .fini = teardown) {
  repo_parquet("data/p.parquet",
               "SELECT * FROM (VALUES ('s1', 7::INTEGER, '\\x01\\x00'::BLOB, "
               "TIMESTAMP '2024-01-01 10:00:00', 1::BIGINT), "
               "('s1', 7, '\\x01\\x00'::BLOB, TIMESTAMP '2024-01-01 11:00:00', "
               "2), ('s1', 8, '\\x02'::BLOB, TIMESTAMP '2024-01-01 "
               "10:00:00', 3), ('a much longer shop name', -5, "
               "'\\x00'::BLOB, TIMESTAMP '2024-01-01 10:00:00', 4)) "
               "t(shop_id, region_id, tag, ts, cnt)");
  apply("entities:\n"
        "  - {name: shop, join_keys: [shop_id], value_type: string}\n"
        "  - {name: region, join_keys: [region_id], value_type: int32}\n"
        "  - {name: tag, join_keys: [tag], value_type: bytes}\n"
        "sources:\n"
        "  - {name: p, kind: file, path: data/p.parquet, timestamp_field: "
        "ts}\n"
        "feature_views:\n"
        "  - name: sr\n    entities: [shop, region]\n    source: p\n"
        "    schema:\n      - {name: cnt, dtype: int64}\n"
        "  - name: tv\n    entities: [tag]\n    source: p\n"
        "    schema:\n      - {name: cnt, dtype: int64}\n");
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 2, 6, 6, 0);
  lookup lk;
  lk_open(&lk, "sr:cnt", 4);
  lr_value keys[8] = {0};
  const char *shops[] = {"s1", "s1", "a much longer shop name", "s2"};
  int regions[] = {7, 8, -5, 7};
  for (int i = 0; i < 4; i++) {
    keys[2 * i].type = LR_TYPE_STRING;
    keys[2 * i].v.str = (lr_str){shops[i], strlen(shops[i])};
    keys[2 * i + 1].type = LR_TYPE_INT32;
    keys[2 * i + 1].v.i32 = regions[i];
  }
  lk_get(&lk, keys, 4);
  cr_assert_eq(lk_cell(&lk, 0, 0).v.i64, 2);
  cr_assert_eq(lk_cell(&lk, 1, 0).v.i64, 3);
  cr_assert_eq(lk_cell(&lk, 2, 0).v.i64, 4);
  cr_assert_eq(lk_cell(&lk, 3, 0).status, LR_STATUS_NOT_FOUND);
  lk_close(&lk);
  lk_open(&lk, "tv:cnt", 3);
  lr_value tags[3] = {0};
  const char *tb[] = {"\x01\x00", "\x02", "\x00"};
  size_t tl[] = {2, 1, 1};
  for (int i = 0; i < 3; i++) {
    tags[i].type = LR_TYPE_BYTES;
    tags[i].v.str = (lr_str){tb[i], tl[i]};
  }
  lk_get(&lk, tags, 3);
  cr_assert_eq(lk_cell(&lk, 0, 0).v.i64, 2);
  cr_assert_eq(lk_cell(&lk, 1, 0).v.i64, 3);
  cr_assert_eq(lk_cell(&lk, 2, 0).v.i64, 4);
  lk_close(&lk);
}

/* ---- types ---------------------------------------------------------------------- */

static const char typed_defs[] =
    "entities:\n" USER
    "sources:\n"
    "  - {name: t, kind: file, path: data/t.parquet, timestamp_field: ts}\n"
    "feature_views:\n"
    "  - name: typed\n    entities: [user]\n    source: t\n    schema:\n"
    "      - {name: b, dtype: bool}\n"
    "      - {name: i32, dtype: int32}\n"
    "      - {name: i64, dtype: int64}\n"
    "      - {name: f32, dtype: float32}\n"
    "      - {name: f64, dtype: float64}\n"
    "      - {name: s, dtype: string}\n"
    "      - {name: by, dtype: bytes}\n"
    "      - {name: tm, dtype: timestamp}\n"
    "      - {name: ai32, dtype: array<int32>}\n"
    "      - {name: ai64, dtype: array<int64>}\n"
    "      - {name: af32, dtype: array<float32>}\n"
    "      - {name: af64, dtype: array<float64>}\n"
    "      - {name: astr, dtype: array<string>}\n";

static const char typed_refs[] =
    "typed:b,typed:i32,typed:i64,typed:f32,typed:f64,typed:s,typed:by,"
    "typed:tm,typed:ai32,typed:ai64,typed:af32,typed:af64,typed:astr";

Test(materialize, m019_every_dtype_materializes, .init = setup,
     .fini = teardown) {
  repo_parquet(
      "data/t.parquet",
      "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 10:00:00' AS ts, "
      "true AS b, (-2147483648)::INTEGER AS i32, 9007199254740993::BIGINT "
      "AS i64, 1.5::FLOAT AS f32, (-0.1)::DOUBLE AS f64, 'h\u00e9llo' AS s, "
      "'\\x00\\xFFab'::BLOB AS by, TIMESTAMPTZ '2023-05-06 "
      "07:08:09.123456+02' AS tm, [1, -2, 2147483647]::INTEGER[] AS ai32, "
      "[-9223372036854775808, 0]::BIGINT[] AS ai64, [0.25, -3.5]::FLOAT[] "
      "AS af32, [1e300, -1e-300]::DOUBLE[] AS af64, ['a', '', 'a string "
      "longer than twelve bytes']::VARCHAR[] AS astr "
      "UNION ALL SELECT 2, TIMESTAMP '2024-01-01 10:00:00', NULL, NULL, "
      "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
      "UNION ALL SELECT 3, TIMESTAMP '2024-01-01 10:00:00', false, 0, 0, "
      "0, 0, '', ''::BLOB, TIMESTAMP '1969-12-31 23:59:59', []::INTEGER[], "
      "[]::BIGINT[], []::FLOAT[], []::DOUBLE[], []::VARCHAR[]");
  apply(typed_defs);
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, 3, 3, 0);
  lookup lk;
  lk_open(&lk, typed_refs, 3);
  lr_value keys[3] = {I64(1), I64(2), I64(3)};
  lk_get(&lk, keys, 3);
  for (int f = 0; f < 13; f++) {
    cr_assert_eq(lk_cell(&lk, 0, f).status, LR_STATUS_PRESENT, "feature %d",
                 f);
    cr_assert_eq(lk_cell(&lk, 1, f).status, LR_STATUS_NULL_VALUE,
                 "feature %d", f);
    cr_assert_eq(lk_cell(&lk, 2, f).status, LR_STATUS_PRESENT, "feature %d",
                 f);
    cr_assert_eq(lk_cell(&lk, 0, f).event_ts, T("2024-01-01T10:00:00Z"));
  }
  lr_value v = lk_cell(&lk, 0, 0);
  cr_assert_eq(v.type, LR_TYPE_BOOL);
  cr_assert_eq(v.v.b, 1);
  cr_assert_eq(lk_cell(&lk, 2, 0).v.b, 0);
  v = lk_cell(&lk, 0, 1);
  cr_assert_eq(v.type, LR_TYPE_INT32);
  cr_assert_eq(v.v.i32, INT32_MIN);
  v = lk_cell(&lk, 0, 2);
  cr_assert_eq(v.type, LR_TYPE_INT64);
  cr_assert_eq(v.v.i64, 9007199254740993LL);
  v = lk_cell(&lk, 0, 3);
  cr_assert_eq(v.type, LR_TYPE_FLOAT32);
  cr_assert(v.v.f32 == 1.5f);
  v = lk_cell(&lk, 0, 4);
  cr_assert_eq(v.type, LR_TYPE_FLOAT64);
  cr_assert(v.v.f64 == -0.1);
  v = lk_cell(&lk, 0, 5);
  cr_assert_eq(v.type, LR_TYPE_STRING);
  cr_assert_eq(v.v.str.len, 6);
  cr_assert_arr_eq(v.v.str.ptr, "h\xc3\xa9llo", 6);
  v = lk_cell(&lk, 0, 6);
  cr_assert_eq(v.type, LR_TYPE_BYTES);
  cr_assert_eq(v.v.str.len, 4);
  cr_assert_arr_eq(v.v.str.ptr, "\x00\xff" "ab", 4);
  v = lk_cell(&lk, 0, 7);
  cr_assert_eq(v.type, LR_TYPE_TIMESTAMP);
  cr_assert_eq(v.v.ts, T("2023-05-06T05:08:09.123456Z"));
  v = lk_cell(&lk, 0, 8);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_INT32);
  cr_assert_eq(v.v.array.n, 3);
  const int32_t *a32 = v.v.array.data;
  cr_assert(a32[0] == 1 && a32[1] == -2 && a32[2] == INT32_MAX);
  v = lk_cell(&lk, 0, 9);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_INT64);
  cr_assert_eq(v.v.array.n, 2);
  const int64_t *a64 = v.v.array.data;
  cr_assert(a64[0] == INT64_MIN && a64[1] == 0);
  v = lk_cell(&lk, 0, 10);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_FLOAT32);
  cr_assert_eq(v.v.array.n, 2);
  const float *af = v.v.array.data;
  cr_assert(af[0] == 0.25f && af[1] == -3.5f);
  v = lk_cell(&lk, 0, 11);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_FLOAT64);
  cr_assert_eq(v.v.array.n, 2);
  const double *ad = v.v.array.data;
  cr_assert(ad[0] == 1e300 && ad[1] == -1e-300);
  v = lk_cell(&lk, 0, 12);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_STRING);
  cr_assert_eq(v.v.array.n, 3);
  const lr_str *as = v.v.array.data;
  cr_assert(as[0].len == 1 && as[0].ptr[0] == 'a');
  cr_assert_eq(as[1].len, 0);
  cr_assert_eq(as[2].len, 33);
  cr_assert_arr_eq(as[2].ptr, "a string longer than twelve bytes", 33);
  /* user 3: zeros, empty strings, empty arrays, a time before 1970 */
  cr_assert_eq(lk_cell(&lk, 2, 5).v.str.len, 0);
  cr_assert_eq(lk_cell(&lk, 2, 6).v.str.len, 0);
  cr_assert_eq(lk_cell(&lk, 2, 7).v.ts, -1000000LL);
  for (int f = 8; f < 13; f++)
    cr_assert_eq(lk_cell(&lk, 2, f).v.array.n, 0, "feature %d", f);
  lk_close(&lk);
}

Test(materialize, m020_strings_and_arrays_across_many_chunks, .init = setup,
     .fini = teardown) {
  enum { N = 7000 };
  repo_parquet(
      "data/t.parquet",
      "SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' AS ts, "
      "i % 2 = 0 AS b, i::INTEGER AS i32, (i * 1000003)::BIGINT AS i64, "
      "(i / 4)::FLOAT AS f32, (i / 8)::DOUBLE AS f64, "
      "repeat('s', i % 40) || i::VARCHAR AS s, "
      "encode(repeat('b', i % 20) || i::VARCHAR) AS by, "
      "TIMESTAMP '2020-01-01' + to_seconds(i) AS tm, "
      "[i, -i]::INTEGER[] AS ai32, range(i % 5)::BIGINT[] AS ai64, "
      "[i / 2]::FLOAT[] AS af32, [i / 16, i]::DOUBLE[] AS af64, "
      "['x' || i::VARCHAR, repeat('long element ', i % 3) || i::VARCHAR]"
      "::VARCHAR[] AS astr FROM range(7000) r(i)");
  apply(typed_defs);
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, N, N, 0);
  lookup lk;
  lk_open(&lk, typed_refs, N);
  static lr_value keys[N];
  for (int i = 0; i < N; i++)
    keys[i] = I64(i);
  lk_get(&lk, keys, N);
  char want[256];
  for (int i = 0; i < N; i++) {
    cr_assert_eq(lk_cell(&lk, i, 0).v.b, i % 2 == 0, "user %d", i);
    cr_assert_eq(lk_cell(&lk, i, 1).v.i32, i, "user %d", i);
    cr_assert_eq(lk_cell(&lk, i, 2).v.i64, i * 1000003LL, "user %d", i);
    cr_assert(lk_cell(&lk, i, 3).v.f32 == (float)(i / 4.0), "user %d", i);
    cr_assert(lk_cell(&lk, i, 4).v.f64 == i / 8.0, "user %d", i);
    lr_value v = lk_cell(&lk, i, 5);
    int n = 0;
    for (int k = 0; k < i % 40; k++)
      want[n++] = 's';
    n += sprintf(want + n, "%d", i);
    cr_assert(v.v.str.len == (size_t)n && !memcmp(v.v.str.ptr, want, n),
              "user %d: s '%.*s'", i, (int)v.v.str.len, v.v.str.ptr);
    v = lk_cell(&lk, i, 6);
    n = 0;
    for (int k = 0; k < i % 20; k++)
      want[n++] = 'b';
    n += sprintf(want + n, "%d", i);
    cr_assert(v.v.str.len == (size_t)n && !memcmp(v.v.str.ptr, want, n),
              "user %d: bytes", i);
    cr_assert_eq(lk_cell(&lk, i, 7).v.ts, T("2020-01-01") + i * 1000000LL);
    v = lk_cell(&lk, i, 8);
    cr_assert(v.v.array.n == 2 && ((const int32_t *)v.v.array.data)[0] == i &&
              ((const int32_t *)v.v.array.data)[1] == -i, "user %d", i);
    v = lk_cell(&lk, i, 9);
    cr_assert_eq(v.v.array.n, (size_t)(i % 5), "user %d", i);
    for (int k = 0; k < i % 5; k++)
      cr_assert_eq(((const int64_t *)v.v.array.data)[k], k);
    v = lk_cell(&lk, i, 10);
    cr_assert(v.v.array.n == 1 &&
              ((const float *)v.v.array.data)[0] == (float)(i / 2.0));
    v = lk_cell(&lk, i, 11);
    cr_assert(v.v.array.n == 2 &&
              ((const double *)v.v.array.data)[0] == i / 16.0 &&
              ((const double *)v.v.array.data)[1] == i);
    v = lk_cell(&lk, i, 12);
    cr_assert_eq(v.v.array.n, 2, "user %d", i);
    const lr_str *as = v.v.array.data;
    n = sprintf(want, "x%d", i);
    cr_assert(as[0].len == (size_t)n && !memcmp(as[0].ptr, want, n),
              "user %d: astr[0] '%.*s'", i, (int)as[0].len, as[0].ptr);
    n = 0;
    for (int k = 0; k < i % 3; k++)
      n += sprintf(want + n, "long element ");
    n += sprintf(want + n, "%d", i);
    cr_assert(as[1].len == (size_t)n && !memcmp(as[1].ptr, want, n),
              "user %d: astr[1] '%.*s'", i, (int)as[1].len, as[1].ptr);
  }
  lk_close(&lk);
}

/* ---- stats and progress ---------------------------------------------------------- */

typedef struct progress_log {
  int calls;
  char last_view[64];
  unsigned long long last_done, last_total;
  int views_done;
} progress_log;

/* Checks each call: the total is known (the source rows of the interval,
 * counted first) and the same for all of a view's calls, done never
 * beyond it. */
static void on_progress(void *ctx, const char *view, unsigned long long done,
                        unsigned long long total) {
  progress_log *log = ctx;
  log->calls++;
  cr_assert(total > 0 && done <= total, "done %llu, total %llu", done, total);
  if (strcmp(view, log->last_view))
    log->views_done++;
  else
    cr_assert_eq(total, log->last_total, "%s: the total changed", view);
  snprintf(log->last_view, sizeof log->last_view, "%s", view);
  log->last_done = done;
  log->last_total = total;
}

Test(materialize, m021_stats_and_progress, .init = setup, .fini = teardown) {
  repo_parquet("data/m.parquet",
               "SELECT (i % 2500)::BIGINT AS user_id, TIMESTAMP '2024-01-01' "
               "+ to_seconds(i) AS ts, NULL::TIMESTAMP AS created, "
               "i::BIGINT AS val FROM range(10000) r(i)");
  apply(three_views);
  progress_log log = {0};
  lr_materialize_spec spec = {0};
  spec.start_us = T("2024-01-01");
  spec.end_us = T("2024-01-01T01:00:00Z"); /* rows 0..3600 */
  const char *views[] = {"va", "vb"};
  spec.views = views;
  spec.n_views = 2;
  spec.progress = on_progress;
  spec.progress_ctx = &log;
  lr_materialize_stats st;
  MAT_OK(lr_materialize(g_off, &spec, &st));
  ASSERT_STATS(st, 2, 5000, 5000, 0);
  cr_assert(log.calls >= 2);
  cr_assert_eq(log.views_done, 2);
  cr_assert_str_eq(log.last_view, "vb");
  /* rows read of the interval's 3601, not the 2500 kept (one per user):
   * so an estimate of the time left from done/total holds */
  cr_assert_eq(log.last_done, 3601);
  cr_assert_eq(log.last_total, 3601);
  ASSERT_VAL("va:val", 0, 2500, "2024-01-01T00:41:40Z");
  ASSERT_VAL("vb:val", 1100, 3600, "2024-01-01T01:00:00Z");
  ASSERT_VAL("vb:val", 1101, 1101, "2024-01-01T00:18:21Z");
  /* a later, wider window: every user has newer rows */
  MAT_OK(mat("2024-01-01", "2024-01-02", "va", &st));
  ASSERT_STATS(st, 1, 2500, 2500, 0);
  ASSERT_VAL("va:val", 0, 7500, "2024-01-01T02:05:00Z");
  /* an older window afterwards: every row skipped */
  MAT_OK(mat("2024-01-01", "2024-01-01T00:30:00Z", "va", &st));
  ASSERT_STATS(st, 1, 1801, 0, 1801);
}

/* ---- lr_parse_time ------------------------------------------------------------ */

#define NOW 1717243200000000LL /* 2024-06-01T12:00:00Z */

static long long pt(const char *text) {
  long long us = 0;
  int rc = lr_parse_time(text, NOW, &us);
  cr_assert_eq(rc, 0, "'%s' should parse", text);
  return us;
}

Test(materialize, m022_parse_time_iso_forms) {
  cr_assert_eq(pt("2024-01-01"), 1704067200000000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00Z"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00z"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00"), 1704103200000000LL); /* naive */
  cr_assert_eq(pt("2024-01-01 10:00:00"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T10:00Z"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T12:00:00+02:00"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T12:00:00+0200"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T05:30:00-04:30"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00+00:00"), 1704103200000000LL);
  cr_assert_eq(pt("2024-01-01T00:30:00+01:00"), 1704065400000000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00.5Z"), 1704103200500000LL);
  cr_assert_eq(pt("2024-01-01T10:00:00.000001Z"), 1704103200000001LL);
  cr_assert_eq(pt("2024-02-29"), 1709164800000000LL);
  cr_assert_eq(pt("1969-12-31T23:59:59Z"), -1000000LL);
}

Test(materialize, m023_parse_time_now_and_relative) {
  cr_assert_eq(pt("now"), NOW);
  cr_assert_eq(pt("-7d"), NOW - 7 * 86400 * 1000000LL);
  cr_assert_eq(pt("+1h"), NOW + 3600 * 1000000LL);
  cr_assert_eq(pt("-90m"), NOW - 90 * 60 * 1000000LL);
  cr_assert_eq(pt("-30s"), NOW - 30 * 1000000LL);
  cr_assert_eq(pt("-2w"), NOW - 14 * 86400 * 1000000LL);
  cr_assert_eq(pt("+0d"), NOW);
  long long us = 0;
  cr_assert_eq(lr_parse_time(NULL, NOW, &us), LR_EINVAL);
  cr_assert_eq(lr_parse_time("now", NOW, NULL), LR_EINVAL);
}

Test(materialize, m024_parse_time_rejects_garbage) {
  static const char *bad[] = {
      "", "yesterday", "NOW", "now+1h", "7d", "-7", "-7x", "-d", "--7d",
      "-7d3", "-7dd", "2024-01", "2024-13-01", "2024-00-10",
      "2024-01-32", "2024-01-00", "2024-02-30", "2024-04-31",
      "2024-01-01T25:00:00Z", "2024-01-01T10:60:00Z", "2024-01-01T10",
      "2024-01-01T", "2024-01-01T10:00:00+25:00", "2024-01-01T10:00:00Zjunk",
      "2024-01-01 junk", "2024/01/01", "01-01-2024", "2024-01-01T10:00:00.Z",
      "2024-01-01T10:00:00+2"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long long us = 12345;
    cr_expect_eq(lr_parse_time(bad[i], NOW, &us), LR_EINVAL,
                 "'%s' was accepted as %lld", bad[i], us);
  }
}

Test(materialize, m025_parse_time_rejects_feb_29_of_common_years) {
  long long us = 0;
  cr_assert_eq(lr_parse_time("2023-02-29", NOW, &us), LR_EINVAL,
               "2023-02-29 was accepted as %lld (that is 2023-03-01)", us);
  cr_assert_eq(lr_parse_time("1900-02-29T00:00:00Z", NOW, &us), LR_EINVAL);
  cr_assert_eq(lr_parse_time("2000-02-29", NOW, &us), 0); /* leap year */
}

Test(materialize, m026_parse_time_rejects_malformed_relative_times) {
  /* strtoll-style leniency: a space or a second sign after the first */
  static const char *bad[] = {"- 7d", "-+7d", "+ 1h", "-\t7d"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long long us = 12345;
    cr_expect_eq(lr_parse_time(bad[i], NOW, &us), LR_EINVAL,
                 "'%s' was accepted as %lld", bad[i], us);
  }
}

Test(materialize, m027_parse_time_rejects_bare_numbers) {
  /* larder.h lists ISO 8601, now and relative times, "LR_EINVAL when the
   * text is none of these": "2024" is not the year 2024 nor 2024 seconds */
  static const char *bad[] = {"2024", "1700000000", "-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    long long us = 12345;
    cr_expect_eq(lr_parse_time(bad[i], NOW, &us), LR_EINVAL,
                 "'%s' was accepted as %lld", bad[i], us);
  }
}

/* ---- on-demand views: online and offline agree --------------------------- */

static uint64_t odfv_rng = 0x2545F4914F6CDD1Dull;
static uint64_t odfv_rnd(void) { return th_random(&odfv_rng); }
static int odfv_pick(int n) { return (int)(odfv_rnd() % (uint64_t)n); }

enum { ODFV_USERS = 300, ODFV_OUTPUTS = 11 };

static const char odfv_defs[] =
    "entities:\n" USER
    "sources:\n"
    "  - {name: src, kind: file, path: data/u.parquet, timestamp_field: ts}\n"
    "request_sources:\n"
    "  - name: req\n"
    "    schema:\n"
    "      - {name: r_i, dtype: int64}\n"
    "      - {name: r_f, dtype: float64}\n"
    "      - {name: r_s, dtype: string}\n"
    "feature_views:\n"
    "  - name: uv\n    entities: [user]\n    source: src\n    schema:\n"
    "      - {name: i, dtype: int64}\n"
    "      - {name: f, dtype: float32}\n"
    "      - {name: d, dtype: float64}\n"
    "      - {name: s, dtype: string}\n"
    "      - {name: b, dtype: bool}\n"
    "      - {name: e, dtype: array<float32>}\n"
    "on_demand_feature_views:\n"
    "  - name: od\n    sources: [uv, req]\n    schema:\n"
    "      - {name: o1, dtype: float64, expr: \"f * r_f + d / (i - r_i)\"}\n"
    "      - {name: o2, dtype: int64, expr: \"i * r_i // 3 + i % 7\"}\n"
    "      - {name: o3, dtype: string,\n"
    "         expr: \"concat(lower(s), cast(r_i, string), upper(r_s))\"}\n"
    "      - {name: o4, dtype: bool,\n"
    "         expr: \"(b or f > 0.5) and not is_null(s)\"}\n"
    "      - {name: o5, dtype: float64,\n"
    "         expr: \"if(b, sqrt(abs(d)), pow(f, 2)) + coalesce(log(d), -1)\"}\n"
    "      - {name: o6, dtype: float32,\n"
    "         expr: \"cosine(e, e) + norm(e) + dot(e, e)\"}\n"
    "      - {name: o7, dtype: float64, expr: \"clamp(round(d, 2), -100, 100)"
    " + min(f, d, r_f) - max(i, r_i)\"}\n"
    "      - {name: o8, dtype: int32, expr: \"cast(d * 1000, int32)\"}\n"
    "      - {name: o9, dtype: int64, expr: \"length(s) + i\"}\n"
    "      - {name: o10, dtype: string, expr: \"cast(d, string)\"}\n"
    "      - {name: o11, dtype: float64, expr: \"d % r_f + d // 3\"}\n";

/* The request values of each user, as the entity file and lookups get them
 * (has_* 0: null). */
typedef struct odfv_req {
  long long r_i;
  double r_f;
  char r_s[8];
  int has_i, has_f, has_s;
} odfv_req;

static void random_word(char *out, int max) {
  int n = odfv_pick(max);
  for (int k = 0; k < n; k++)
    out[k] = "aBcDeF"[odfv_pick(6)];
  out[n] = 0;
}

/* A VALUES row of user u's source row, with random nulls. */
static void odfv_source_row(lr__buf *sql, int u) {
  static const long long ints[] = {0, 1, -1, 3, -7, 42, 4000000000000000000LL};
  char word[8];
  random_word(word, 7);
  float e[3] = {(float)odfv_pick(5) - 2, (float)odfv_pick(9) / 4, 0.5f};
  lr__buf_printf(sql, "%s(%d, '2024-01-01 10:00:00', ", u ? ", " : "", u);
  if (odfv_pick(10)) lr__buf_printf(sql, "%lld, ", ints[odfv_pick(7)]);
  else lr__buf_puts(sql, "NULL, ");
  if (odfv_pick(10)) lr__buf_printf(sql, "%.9g, ", (double)((float)odfv_pick(4001) / 1000 - 2));
  else lr__buf_puts(sql, "NULL, ");
  if (odfv_pick(10)) lr__buf_printf(sql, "%.17g, ", odfv_pick(5) ? ((double)odfv_rnd() / 1e16 - 900) : 0.0);
  else lr__buf_puts(sql, "NULL, ");
  if (odfv_pick(10)) lr__buf_printf(sql, "'%s', ", word);
  else lr__buf_puts(sql, "NULL, ");
  lr__buf_printf(sql, odfv_pick(10) ? "%s, " : "NULL, ", odfv_pick(2) ? "true" : "false");
  if (odfv_pick(10)) lr__buf_printf(sql, "[%.9g, %.9g, %.9g])", e[0], e[1], e[2]);
  else lr__buf_puts(sql, "NULL)");
}

static void odfv_request(odfv_req *r, lr__buf *csv, int u) {
  r->has_i = odfv_pick(10) != 0;
  r->has_f = odfv_pick(10) != 0;
  r->has_s = odfv_pick(10) != 0;
  r->r_i = odfv_pick(9) - 4;
  r->r_f = (double)odfv_pick(2001) / 250 - 4 + 1e-9; /* never an integer */
  random_word(r->r_s, 7);
  if (!r->r_s[0])
    r->has_s = 0; /* an empty CSV cell is a null */
  lr__buf_printf(csv, "%d,2024-01-01 12:00:00,", u);
  if (r->has_i) lr__buf_printf(csv, "%lld", r->r_i);
  lr__buf_putc(csv, ',');
  if (r->has_f) lr__buf_printf(csv, "%.17g", r->r_f);
  lr__buf_putc(csv, ',');
  if (r->has_s) lr__buf_puts(csv, r->r_s);
  lr__buf_putc(csv, '\n');
}

/* The text DuckDB gives for an online cell, to compare with the offline
 * one: floats as the shortest text that reads back to the same bits. */
static void online_text(const lr_value *v, lr__buf *out) {
  if (v->status != LR_STATUS_PRESENT) {
    lr__buf_puts(out, "<null>");
    return;
  }
  switch (v->type) {
  case LR_TYPE_BOOL: lr__buf_puts(out, v->v.b ? "true" : "false"); break;
  case LR_TYPE_INT32: lr__buf_printf(out, "%d", v->v.i32); break;
  case LR_TYPE_INT64: lr__buf_printf(out, "%lld", v->v.i64); break;
  case LR_TYPE_STRING: lr__buf_append(out, v->v.str.ptr, v->v.str.len); break;
  default: break; /* floats: compared as bits below */
  }
}

/* Offline cell `text` and online cell `v` must be the same value. */
static void assert_same(const char *text, const lr_value *v, int u, int k) {
  if (v->status == LR_STATUS_PRESENT &&
      (v->type == LR_TYPE_FLOAT64 || v->type == LR_TYPE_FLOAT32)) {
    cr_assert_str_neq(text, "<null>", "user %d o%d: null offline only", u,
                      k + 1);
    if (v->type == LR_TYPE_FLOAT64) {
      double off = strtod(text, NULL);
      cr_assert(!memcmp(&off, &v->v.f64, sizeof off), "user %d o%d: "
                "offline %s, online %.17g", u, k + 1, text, v->v.f64);
    } else {
      float off = strtof(text, NULL);
      cr_assert(!memcmp(&off, &v->v.f32, sizeof off), "user %d o%d: "
                "offline %s, online %.9g", u, k + 1, text, v->v.f32);
    }
    return;
  }
  lr__buf want;
  lr__buf_init(&want);
  online_text(v, &want);
  cr_assert_str_eq(text, lr__buf_str(&want), "user %d o%d", u, k + 1);
  lr__buf_free(&want);
}

/* The same on-demand view over the same random rows and request values:
 * the training set (DuckDB calling the compiled program) and lookups (the
 * online store) give bit-identical values, nulls included. */
Test(materialize, m028_on_demand_online_and_offline_agree_bit_for_bit,
     .init = setup, .fini = teardown) {
  lr__buf sql, csv;
  lr__buf_init(&sql);
  lr__buf_init(&csv);
  lr__buf_puts(&sql, "SELECT u::BIGINT AS user_id, ts::TIMESTAMP AS ts, "
               "i::BIGINT AS i, f::FLOAT AS f, d::DOUBLE AS d, s::VARCHAR AS "
               "s, b::BOOLEAN AS b, e::FLOAT[] AS e FROM (VALUES ");
  for (int u = 0; u < ODFV_USERS; u++)
    odfv_source_row(&sql, u);
  lr__buf_puts(&sql, ") t(u, ts, i, f, d, s, b, e)");
  repo_parquet("data/u.parquet", lr__buf_str(&sql));
  apply(odfv_defs);
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, NULL));
  odfv_req req[ODFV_USERS];
  lr__buf_puts(&csv, "user_id,event_timestamp,r_i,r_f,r_s\n");
  for (int u = 0; u < ODFV_USERS; u++)
    odfv_request(&req[u], &csv, u);
  th_write(g_work, "e.csv", lr__buf_str(&csv));
  /* offline */
  const char *refs[ODFV_OUTPUTS];
  char names[ODFV_OUTPUTS][16];
  for (int k = 0; k < ODFV_OUTPUTS; k++) {
    snprintf(names[k], sizeof names[k], "od:o%d", k + 1);
    refs[k] = names[k];
  }
  lr_historical_spec spec = {0};
  spec.entities_file = "e.csv";
  spec.features = refs;
  spec.n_features = ODFV_OUTPUTS;
  spec.output = "out.parquet";
  int rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  lr__buf rows, err;
  lr__buf_init(&rows);
  lr__buf_init(&err);
  lr__buf_reset(&sql);
  lr__buf_puts(&sql, "SELECT ");
  for (int k = 0; k < ODFV_OUTPUTS; k++)
    lr__buf_printf(&sql, "%scoalesce(CAST(o%d AS VARCHAR), '<null>')",
                   k ? ", " : "", k + 1);
  lr__buf_puts(&sql, " FROM read_parquet('out.parquet') ORDER BY user_id");
  cr_assert_eq(lr__duckdb_run(db(), lr__buf_str(&sql), ODFV_OUTPUTS, &rows,
                              &err), 0, "%s", lr__buf_str(&err));
  /* online: every user, its request values as key columns */
  lookup lk;
  lr__buf_reset(&sql);
  for (int k = 0; k < ODFV_OUTPUTS; k++)
    lr__buf_printf(&sql, "%s%s", k ? "," : "", refs[k]);
  lk_open(&lk, lr__buf_str(&sql), ODFV_USERS);
  int n_keys = 0;
  lr_request_shape(lk.req, &n_keys, NULL);
  cr_assert_eq(n_keys, 4); /* user_id, r_i, r_f, r_s */
  lr_value keys[ODFV_USERS * 4];
  memset(keys, 0, sizeof keys);
  for (int u = 0; u < ODFV_USERS; u++) {
    lr_value *row = &keys[u * 4];
    row[0] = I64(u);
    for (int c = 1; c < 4; c++) {
      const char *name;
      int type;
      lr_request_key(lk.req, c, &name, &type);
      if (!strcmp(name, "r_i") && req[u].has_i)
        row[c] = I64(req[u].r_i);
      if (!strcmp(name, "r_f") && req[u].has_f)
        row[c] = (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = req[u].r_f};
      if (!strcmp(name, "r_s") && req[u].has_s)
        row[c] = (lr_value){.type = LR_TYPE_STRING,
                            .v.str = {req[u].r_s, strlen(req[u].r_s)}};
    }
  }
  lk_get(&lk, keys, ODFV_USERS);
  char *line = rows.data;
  int non_null = 0;
  for (int u = 0; u < ODFV_USERS; u++) {
    char *end = strchr(line, '\n');
    cr_assert_not_null(end, "offline row %d missing", u);
    *end = 0;
    char *cell = line;
    for (int k = 0; k < ODFV_OUTPUTS; k++) {
      char *tab = strchr(cell, '\t');
      if (tab)
        *tab = 0;
      lr_value v = lk_cell(&lk, u, k);
      non_null += v.status == LR_STATUS_PRESENT;
      assert_same(cell, &v, u, k);
      cell = tab ? tab + 1 : cell + strlen(cell);
    }
    line = end + 1;
  }
  /* the data reaches both nulls and values for most outputs */
  cr_assert_gt(non_null, ODFV_USERS * ODFV_OUTPUTS / 3);
  lk_close(&lk);
  lr__buf_free(&rows);
  lr__buf_free(&err);
  lr__buf_free(&sql);
  lr__buf_free(&csv);
}

/* An on-demand view stored on write fills when its source view loads, in
 * the same transaction, with the rows' times; newer still wins; naming it
 * in --views loads its source. */
Test(materialize, m029_stored_on_demand_view_fills_with_its_source,
     .init = setup, .fini = teardown) {
  rows_parquet("data/a.parquet",
               "(1, '2024-01-01 10:00:00', NULL, 5), "
               "(1, '2024-01-01 11:00:00', NULL, 6), "
               "(2, '2024-01-01 10:00:00', NULL, NULL)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("sa", "a.parquet")
        "feature_views:\n" VIEW("va", "sa", "0s", VAL)
        "on_demand_feature_views:\n"
        "  - name: doubled\n    sources: [va]\n"
        "    write_to_online_store: true\n    schema:\n"
        "      - {name: twice, dtype: int64, expr: \"val * 2\"}\n"
        "      - {name: label, dtype: string,\n"
        "         expr: \"concat('v', cast(val, string))\"}\n");
  ASSERT_MISSING("doubled:twice", 1);
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", "doubled", &st));
  cr_assert_eq(st.views, 1); /* the source view, va */
  ASSERT_VAL("doubled:twice", 1, 12, "2024-01-01T11:00:00Z");
  lookup lk;
  lk_open(&lk, "doubled:label,doubled:twice", 2);
  lr_value keys[] = {I64(1), I64(2)};
  lk_get(&lk, keys, 2);
  lr_value label = lk_cell(&lk, 0, 0);
  cr_assert_eq(label.status, LR_STATUS_PRESENT);
  cr_assert_eq(label.v.str.len, 2);
  cr_assert_eq(memcmp(label.v.str.ptr, "v6", 2), 0);
  cr_assert_eq(lk_cell(&lk, 1, 1).status, LR_STATUS_NULL_VALUE);
  lk_close(&lk);
  /* an older row written to the source is skipped in both views */
  lr_store *s;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  lr_value ev = {.type = LR_TYPE_TIMESTAMP, .v.ts = T("2024-01-01T10:30:00Z")};
  lr_value key = I64(1), val = I64(100);
  lr_column cols[] = {{"user_id", &key}, {"event_timestamp", &ev},
                      {"val", &val}};
  cr_assert_eq(lr_write_rows(s, "va", cols, 3, 1, NULL), 0,
               "%s", lr_store_errmsg(s));
  /* and the on-demand view itself takes no writes */
  cr_assert_eq(lr_write_rows(s, "doubled", cols, 3, 1, NULL), LR_EINVAL);
  cr_assert(strstr(lr_store_errmsg(s), "on-demand view"));
  lr_store_close(s);
  ASSERT_VAL("doubled:twice", 1, 12, "2024-01-01T11:00:00Z");
  ASSERT_VAL("va:val", 1, 6, "2024-01-01T11:00:00Z");
}

/* ---- reading as stored, or again by key ------------------------------------ */

/* 6000 users x 3 rows each, ordered by `order`: rows 0 and 1 at 00:00:10,
 * row 1 with a created time (so it beats row 0); row 2 at 00:00:20 for odd
 * users (it wins), 00:00:05 for even ones (it loses). val = user * 10 +
 * row. */
static void runs_parquet(const char *rel, const char *order) {
  char sql[1024];
  snprintf(sql, sizeof sql,
           "SELECT k::BIGINT AS user_id, TIMESTAMP '2024-01-01' + "
           "to_seconds(CASE WHEN j < 2 THEN 10 WHEN k %% 2 = 1 THEN 20 ELSE "
           "5 END) AS ts, CASE WHEN j = 1 THEN TIMESTAMP '2024-01-01' END AS "
           "created, (k * 10 + j)::BIGINT AS val FROM range(6000) a(k), "
           "range(3) b(j) ORDER BY %s", order);
  repo_parquet(rel, sql);
}

/* Every user of view `ref` (e.g. "va:val") holds runs_parquet's winner. */
static void assert_runs(const char *ref) {
  lookup lk;
  lk_open(&lk, ref, 6000);
  static lr_value keys[6000];
  for (int i = 0; i < 6000; i++)
    keys[i] = I64(i);
  lk_get(&lk, keys, 6000);
  for (int i = 0; i < 6000; i++) {
    lr_value c = lk_cell(&lk, i, 0);
    int odd = i % 2 == 1;
    cr_assert_eq(c.status, LR_STATUS_PRESENT, "%s user %d", ref, i);
    cr_assert_eq(c.v.i64, i * 10LL + (odd ? 2 : 1), "%s user %d: %lld", ref,
                 i, c.v.i64);
    cr_assert_eq(c.event_ts, T("2024-01-01") + (odd ? 20 : 10) * 1000000LL,
                 "%s user %d", ref, i);
  }
  lk_close(&lk);
}

/* A source in key order (each user's rows together, in varying order, runs
 * across chunk boundaries) is read once as stored; the same rows shuffled
 * are read again by key. Both give each user's newest row, counted once. */
Test(materialize, m030_key_ordered_and_shuffled_sources_agree, .init = setup,
     .fini = teardown) {
  runs_parquet("data/a.parquet", "k, (j + k) % 3");
  runs_parquet("data/b.parquet", "hash(k * 3 + j)");
  apply(TWO_VIEWS);
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", "va", &st));
  ASSERT_STATS(st, 1, 6000, 6000, 0);
  MAT_OK(mat("2024-01-01", "2024-01-02", "vb", &st));
  ASSERT_STATS(st, 1, 6000, 6000, 0);
  assert_runs("va:val");
  assert_runs("vb:val");
  /* again over the full store: equal times rewrite, older rows skip (up to
   * 00:00:10, row 1 is every user's newest: stored already for even users,
   * older than row 2 for odd ones) */
  MAT_OK(mat("2024-01-01", "2024-01-02", "va,vb", &st));
  ASSERT_STATS(st, 2, 12000, 12000, 0);
  MAT_OK(mat("2024-01-01", "2024-01-01T00:00:10Z", "va,vb", &st));
  ASSERT_STATS(st, 2, 12000, 6000, 6000);
  assert_runs("va:val");
  assert_runs("vb:val");
}

/* A key smaller than the one before, after many chunks were written as
 * stored: that pass is dropped whole and the source read again by key. */
Test(materialize, m031_late_decreasing_key_reads_again_by_key, .init = setup,
     .fini = teardown) {
  repo_parquet("data/m.parquet",
               "SELECT * FROM (SELECT i::BIGINT AS user_id, TIMESTAMP "
               "'2024-01-01' AS ts, NULL::TIMESTAMP AS created, i::BIGINT AS "
               "val FROM range(10000) r(i) ORDER BY i) UNION ALL SELECT 5, "
               "TIMESTAMP '2024-01-01 00:00:01', NULL, 999");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, 10000, 10000, 0);
  ASSERT_VAL("mv:val", 5, 999, "2024-01-01T00:00:01Z");
  ASSERT_VAL("mv:val", 4, 4, "2024-01-01T00:00:00Z");
  ASSERT_VAL("mv:val", 9999, 9999, "2024-01-01T00:00:00Z");
}

/* A cast that fails far into a source read as stored (after many chunks
 * were written) fails the load: DuckDB's error is checked after the last
 * chunk, and the rows stay as they were. */
Test(materialize, m032_query_failing_midway_leaves_rows_as_before,
     .init = setup, .fini = teardown) {
  const char *good = "SELECT i::BIGINT AS user_id, TIMESTAMP '%s' AS ts, "
                     "NULL::TIMESTAMP AS created, %s AS val FROM "
                     "range(100000) r(i) ORDER BY i";
  char sql[512];
  snprintf(sql, sizeof sql, good, "2024-01-01", "i::VARCHAR");
  repo_parquet("data/c.parquet", sql);
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "c.parquet")
        "feature_views:\n" VIEW("castv", "s", "0s", VAL));
  MAT_OK(mat("2023-12-01", "2024-01-01T12:00:00Z", NULL, NULL));
  snprintf(sql, sizeof sql, good, "2024-01-02",
           "CASE WHEN i = 90000 THEN 'x' ELSE (i + 1)::VARCHAR END");
  repo_parquet("data/c.parquet", sql);
  int rc = mat("2023-12-01", "2024-01-03", NULL, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("castv");
  ASSERT_MSG("'x");
  ASSERT_VAL("castv:val", 0, 0, "2024-01-01T00:00:00Z");
  ASSERT_VAL("castv:val", 50000, 50000, "2024-01-01T00:00:00Z");
  ASSERT_VAL("castv:val", 99999, 99999, "2024-01-01T00:00:00Z");
}

/* An on-demand view stored on write follows its source's latest-only rows
 * in both passes: computed from each user's newest row. */
Test(materialize, m033_stored_on_demand_view_from_runs_and_shuffled_rows,
     .init = setup, .fini = teardown) {
  runs_parquet("data/a.parquet", "k, (j + k) % 3");
  runs_parquet("data/b.parquet", "hash(k * 3 + j)");
  apply(TWO_VIEWS
        "on_demand_feature_views:\n"
        "  - name: da\n    sources: [va]\n    write_to_online_store: true\n"
        "    schema:\n      - {name: twice, dtype: int64, expr: \"val * 2\"}\n"
        "  - name: db\n    sources: [vb]\n    write_to_online_store: true\n"
        "    schema:\n      - {name: twice, dtype: int64, expr: \"val * 2\"}\n");
  MAT_OK(mat("2024-01-01", "2024-01-02", NULL, NULL));
  for (int i = 0; i < 6000; i += 997) {
    long long want = (i * 10LL + (i % 2 ? 2 : 1)) * 2;
    const char *ev = i % 2 ? "2024-01-01T00:00:20Z" : "2024-01-01T00:00:10Z";
    ASSERT_VAL("da:twice", i, want, ev);
    ASSERT_VAL("db:twice", i, want, ev);
  }
}

/* ---- definitions changed since the last load (issue 15) ------------------ */

#define ASSERT_NOTES(want)                                                   \
  cr_assert_str_eq(g_notes, want, "notes:\n%s", g_notes)

#define EXTRA "      - {name: extra, dtype: int64}\n"

/* One view `mv` over data/m.parquet with `schema`, ttl `ttl`. */
#define MV(ttl, schema)                                                      \
  "entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")                \
  "feature_views:\n" VIEW("mv", "s", ttl, schema)

/* user_id, ts, created (NULL), val and extra from VALUES rows (user, 'ts',
 * val, extra) */
static void extra_parquet(const char *rel, const char *values) {
  char sql[8192];
  snprintf(sql, sizeof sql,
           "SELECT u::BIGINT AS user_id, ts::TIMESTAMP AS ts, "
           "NULL::TIMESTAMP AS created, v::BIGINT AS val, e::BIGINT AS extra "
           "FROM (VALUES %s) t(u, ts, v, e)", values);
  repo_parquet(rel, sql);
}

/* Writes user `user`'s row (val) at `iso` into view `view`, as a push or
 * `larder write` does. */
static void write_val(const char *view, long long user, const char *iso,
                      long long val) {
  lr_store *s;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0, "%s",
               lr_store_errmsg(s));
  lr_value ev = {.type = LR_TYPE_TIMESTAMP, .v.ts = T(iso)};
  lr_value key = I64(user), v = I64(val);
  lr_column cols[] = {{"user_id", &key}, {"event_timestamp", &ev},
                      {"val", &v}};
  cr_assert_eq(lr_write_rows(s, view, cols, 3, 1, NULL), 0, "%s",
               lr_store_errmsg(s));
  lr_store_close(s);
}

/* Sets meta record `key` of the store to `len` bytes of `value`, or
 * deletes it (value NULL), behind the writers' back: a store written by
 * an earlier Larder, or a damaged record. */
static void meta_set(const char *key, const void *value, size_t len) {
  lr_store *s;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0, "%s",
               lr_store_errmsg(s));
  lr__env *env = lr__store_env(s);
  MDB_dbi meta;
  cr_assert(lr__env_dbi(env, LR__META_DB, 0, &meta));
  MDB_txn *txn;
  cr_assert_eq(lr__env_write_begin(env, &txn), 0);
  MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
  int rc = value ? mdb_put(txn, meta, &k, &v, 0) : mdb_del(txn, meta, &k, NULL);
  cr_assert_eq(rc, 0, "%s: %s", key, mdb_strerror(rc));
  cr_assert_eq(mdb_txn_commit(txn), 0);
  lr__env_release(env);
  lr_store_close(s);
}

/* A feature added after a load is filled for every key of the range
 * loaded so far (from the full load's start, not the last end): the rows
 * stored, of equal times, are replaced by the new definition's. */
Test(materialize, m034_added_feature_reloads_the_whole_loaded_range,
     .init = setup, .fini = teardown) {
  extra_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', 1, 10), "
                "(2, '2024-01-02 10:00:00', 2, 20), "
                "(3, '2024-01-05 10:00:00', 3, 30), "
                "(4, '2023-12-01 10:00:00', 4, 40)");
  apply(MV("0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01", "2024-01-03", NULL, &st));
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_STATS(st, 1, 0, 0, 0);
  apply(MV("0s", VAL EXTRA));
  MAT_OK(mat_inc("2024-01-06", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature extra "
               "added): reloading 2024-01-01T00:00:00Z..2024-01-06T00:00:00Z"
               "\n");
  ASSERT_STATS(st, 1, 3, 3, 0);
  for (long long u = 1; u <= 3; u++) {
    const char *ev = u == 1   ? "2024-01-01T10:00:00Z"
                     : u == 2 ? "2024-01-02T10:00:00Z"
                              : "2024-01-05T10:00:00Z";
    ASSERT_VAL("mv:val", u, u, ev);
    ASSERT_VAL("mv:extra", u, u * 10, ev);
  }
  ASSERT_MISSING("mv:extra", 4); /* before the range ever loaded */
  /* loaded: the next run goes on from its end */
  MAT_OK(mat_inc("2024-01-07", NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 0, 0, 0);
}

/* A reload replaces stored rows of equal times; a newer row written
 * meanwhile (a push, `larder write`) still wins over the source's. */
Test(materialize, m035_reload_keeps_newer_written_rows, .init = setup,
     .fini = teardown) {
  extra_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', 1, 10), "
                "(2, '2024-01-01 10:00:00', 2, 20)");
  apply(MV("0s", VAL));
  MAT_OK(mat_inc("2024-01-03", NULL, NULL));
  write_val("mv", 2, "2024-01-02T00:00:00Z", 99);
  apply(MV("0s", VAL EXTRA));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature extra "
               "added): reloading everything up to 2024-01-04T00:00:00Z\n");
  ASSERT_STATS(st, 1, 2, 1, 1);
  ASSERT_VAL("mv:extra", 1, 10, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 99, "2024-01-02T00:00:00Z");
  ASSERT_MISSING("mv:extra", 2);
}

/* field_mapping reading a feature from another column reloads it, and
 * the next lookup reads the new column's values. */
Test(materialize, m036_remapped_column_reloads, .init = setup,
     .fini = teardown) {
  extra_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', 1, 10), "
                "(2, '2024-01-02 10:00:00', 2, 20)");
  apply(MV("0s", VAL));
  MAT_OK(mat_inc("2024-01-03", NULL, NULL));
  apply("entities:\n" USER "sources:\n"
        "  - {name: s, kind: file, path: data/m.parquet, timestamp_field: "
        "ts, created_timestamp_column: created, field_mapping: {extra: "
        "val}}\n"
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-03", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature val "
               "read from column extra (was val)): reloading everything up "
               "to 2024-01-03T00:00:00Z\n");
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_VAL("mv:val", 1, 10, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 20, "2024-01-02T10:00:00Z");
}

/* A source given another path reloads from it; rows of equal times take
 * the new source's values. */
Test(materialize, m037_source_path_changed_reloads, .init = setup,
     .fini = teardown) {
  rows_parquet("data/a.parquet", "(1, '2024-01-01 10:00:00', NULL, 1), "
               "(2, '2024-01-02 10:00:00', NULL, 2)");
  rows_parquet("data/b.parquet", "(1, '2024-01-01 10:00:00', NULL, 100), "
               "(2, '2024-01-02 10:00:00', NULL, 200)");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "a.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  MAT_OK(mat_inc("2024-01-03", NULL, NULL));
  ASSERT_VAL("mv:val", 1, 1, "2024-01-01T10:00:00Z");
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "b.parquet")
        "feature_views:\n" VIEW("mv", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-03", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (source path "
               "data/a.parquet -> data/b.parquet): reloading everything up "
               "to 2024-01-03T00:00:00Z\n");
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_VAL("mv:val", 1, 100, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 200, "2024-01-02T10:00:00Z");
}

/* "2024-01-01T00:00:00Z" for `seconds` since the epoch. */
static const char *iso_of(long long seconds, char out[40]) {
  lr__time_format(seconds * 1000000, out);
  return out;
}

/* The first incremental load of a 1d view starts at end - 1d; a longer ttl
 * loads the older rows it now serves, a shorter one reloads nothing, and
 * no limit loads everything. */
Test(materialize, m038_longer_ttl_loads_the_rows_it_serves, .init = setup,
     .fini = teardown) {
  long long end = (long long)time(NULL) - 60;
  char sql[1024], a[40], b[40], want[512];
  snprintf(sql, sizeof sql,
           "SELECT u::BIGINT AS user_id, make_timestamp(s::BIGINT * "
           "1000000) AS ts, NULL::TIMESTAMP AS created, v::BIGINT AS val "
           "FROM (VALUES (1, %lld, 1), (2, %lld, 2), (3, %lld, 3)) t(u, s, v)",
           end - 3600, end - 3 * 86400, end - 10 * 86400);
  repo_parquet("data/m.parquet", sql);
  apply(MV("1d", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_us(1, 0, end * 1000000, NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_MISSING("mv:val", 2);
  apply(MV("5d", VAL));
  MAT_OK(mat_us(1, 0, end * 1000000, NULL, &st));
  snprintf(want, sizeof want, "mv: definition changed since its last load "
           "(ttl 1d -> 5d): reloading %s..%s\n", iso_of(end - 5 * 86400, a),
           iso_of(end, b));
  ASSERT_NOTES(want);
  ASSERT_STATS(st, 1, 2, 2, 0);
  got g = get1("mv:val", 2);
  cr_assert_eq(g.status, LR_STATUS_PRESENT, "%s", lr_status_name(g.status));
  cr_assert_eq(g.v, 2);
  ASSERT_MISSING("mv:val", 3);
  apply(MV("2d", VAL));
  MAT_OK(mat_us(1, 0, end * 1000000, NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 0, 0, 0);
  apply(MV("0s", VAL));
  MAT_OK(mat_us(1, 0, end * 1000000, NULL, &st));
  snprintf(want, sizeof want, "mv: definition changed since its last load "
           "(ttl 2d -> 0s (no limit)): reloading everything up to %s\n",
           iso_of(end, b));
  ASSERT_NOTES(want);
  ASSERT_VAL("mv:val", 3, 3, iso_of(end - 10 * 86400, a));
}

/* A forced retype drops the view's rows: the next run loads the range
 * loaded before (from the full load's start), in the new type. */
Test(materialize, m039_forced_retype_reloads_the_recorded_range,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2023-12-01 10:00:00', NULL, 1), "
               "(2, '2024-01-02 10:00:00', NULL, 2), "
               "(3, '2024-01-03 10:00:00', NULL, 3)");
  apply(MV("0s", "      - {name: val, dtype: int32}\n"));
  MAT_OK(mat("2024-01-01", "2024-01-04", NULL, NULL));
  apply_with(MV("0s", VAL), LR_APPLY_FORCE);
  ASSERT_MISSING("mv:val", 2);
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-05", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (its online rows "
               "were dropped by a forced apply or a new definition, feature "
               "val retyped int32 -> int64): reloading "
               "2024-01-01T00:00:00Z..2024-01-05T00:00:00Z\n");
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_MISSING("mv:val", 1);
  ASSERT_VAL("mv:val", 2, 2, "2024-01-02T10:00:00Z");
  ASSERT_VAL("mv:val", 3, 3, "2024-01-03T10:00:00Z");
}

/* Removing a feature changes no stored value: nothing is reloaded and
 * the features kept read as before. */
Test(materialize, m040_removed_feature_reloads_nothing, .init = setup,
     .fini = teardown) {
  extra_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', 1, 10), "
                "(2, '2024-01-02 10:00:00', 2, 20)");
  apply(MV("0s", VAL EXTRA));
  MAT_OK(mat_inc("2024-01-03", NULL, NULL));
  apply(MV("0s", EXTRA));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 0, 0, 0);
  ASSERT_VAL("mv:extra", 1, 10, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:extra", 2, 20, "2024-01-02T10:00:00Z");
}

/* A full load of part of the range after a change says what it left; the
 * next incremental run reloads the whole range. */
Test(materialize, m041_partial_full_load_leaves_the_reload_pending,
     .init = setup, .fini = teardown) {
  extra_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', 1, 10), "
                "(2, '2024-01-04 10:00:00', 2, 20)");
  apply(MV("0s", VAL));
  MAT_OK(mat("2024-01-01", "2024-01-05", NULL, NULL));
  apply(MV("0s", VAL EXTRA));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-03", "2024-01-05", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature extra "
               "added): this load replaces its rows of "
               "2024-01-03T00:00:00Z..2024-01-05T00:00:00Z only; "
               "`materialize-incremental` reloads the rest\n");
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_MISSING("mv:extra", 1);
  MAT_OK(mat_inc("2024-01-05", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature extra "
               "added): reloading 2024-01-01T00:00:00Z..2024-01-05T00:00:00Z"
               "\n");
  ASSERT_VAL("mv:extra", 1, 10, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:extra", 2, 20, "2024-01-04T10:00:00Z");
  /* a full load over the whole range after a change needs no note */
  apply(MV("0s", VAL));
  apply(MV("0s", VAL EXTRA));
  MAT_OK(mat("2024-01-01", "2024-01-06", NULL, &st));
  ASSERT_NOTES("");
  MAT_OK(mat_inc("2024-01-06", NULL, &st));
  ASSERT_NOTES("");
}

/* A store loaded by an earlier Larder (no loaded: record), or whose record
 * is damaged or of another format, is reloaded once. */
Test(materialize, m042_load_without_a_readable_record_reloads_once,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 1)");
  apply(MV("0s", VAL));
  MAT_OK(mat_inc("2024-01-02", NULL, NULL));
  meta_set("loaded:mv", NULL, 0);
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-03", NULL, &st));
  ASSERT_NOTES("mv: it was loaded by an earlier Larder, which kept no record "
               "of the definitions: reloading everything up to "
               "2024-01-03T00:00:00Z\n");
  ASSERT_STATS(st, 1, 1, 1, 0);
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_NOTES("");
  meta_set("loaded:mv", "junk", 4);
  MAT_OK(mat_inc("2024-01-05", NULL, &st));
  ASSERT_NOTES("mv: the record of its last load is damaged: reloading "
               "everything up to 2024-01-05T00:00:00Z\n");
  /* a header of format 1 over an image of registry format 99, whole (its
   * checksum is right), then over a damaged one */
  unsigned char rec[20 + 20] = {1, 0, 0, 0};
  long long start = T("2024-01-01"), end = T("2024-01-05");
  memcpy(rec + 4, &start, 8);
  memcpy(rec + 12, &end, 8);
  memcpy(rec + 20, "LARDERRG\x63\0\0\0", 12);
  uint64_t sum = 14695981039346656037ull; /* FNV-1a, as regfile.c */
  for (int i = 20; i < 32; i++)
    sum = (sum ^ rec[i]) * 1099511628211ull;
  memcpy(rec + 32, &sum, 8);
  meta_set("loaded:mv", rec, sizeof rec);
  MAT_OK(mat_inc("2024-01-06", NULL, &st));
  ASSERT_NOTES("mv: its last load was recorded by another version of "
               "Larder: reloading 2024-01-01T00:00:00Z..2024-01-06T00:00:00Z"
               "\n");
  rec[39] ^= 1;
  meta_set("loaded:mv", rec, sizeof rec);
  MAT_OK(mat_inc("2024-01-07", NULL, &st));
  ASSERT_NOTES("mv: the record of its last load is damaged: reloading "
               "2024-01-01T00:00:00Z..2024-01-07T00:00:00Z\n");
  ASSERT_VAL("mv:val", 1, 1, "2024-01-01T10:00:00Z");
}

/* An on-demand view stored on write computed otherwise reloads its source
 * view, and its stored values follow. */
Test(materialize, m043_stored_on_demand_expression_changed_reloads,
     .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5)");
#define STORED_ODFV(expr)                                                    \
  MV("0s", VAL)                                                              \
  "on_demand_feature_views:\n"                                               \
  "  - name: od\n    sources: [mv]\n    write_to_online_store: true\n"       \
  "    schema:\n      - {name: calc, dtype: int64, expr: \"" expr "\"}\n"
  apply(STORED_ODFV("val * 2"));
  MAT_OK(mat_inc("2024-01-02", NULL, NULL));
  ASSERT_VAL("od:calc", 1, 10, "2024-01-01T10:00:00Z");
  apply(STORED_ODFV("val * 3"));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-02", NULL, &st));
  ASSERT_NOTES("mv: definition changed since its last load (feature calc of "
               "on-demand view od computed as val * 3 (was val * 2)): "
               "reloading everything up to 2024-01-02T00:00:00Z\n");
  ASSERT_VAL("od:calc", 1, 15, "2024-01-01T10:00:00Z");
#undef STORED_ODFV
}

/* A view's checks and max_failed are not part of what a load records:
 * adding, changing or removing them reloads nothing (issue 16). */
Test(materialize, m053_changed_checks_reload_nothing, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5), "
               "(2, '2024-01-03 10:00:00', NULL, 7)");
#define CHECKED(rules) MV("0s", VAL) "    checks:\n" rules
  apply(MV("0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-02", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  apply(CHECKED("      - {feature: val, between: [0, 10]}\n"
                "      - {row_count: [0, 100], on_fail: reject}\n"
                "    max_failed: 0.5\n"));
  MAT_OK(mat_inc("2024-01-02", NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 0, 0, 0);
  apply(CHECKED("      - {feature: val, between: [0, 8], on_fail: drop}\n"));
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 1, 1, 0); /* user 2's row, newly in range */
  apply(MV("0s", VAL));
  MAT_OK(mat_inc("2024-01-04", NULL, &st));
  ASSERT_NOTES("");
  ASSERT_STATS(st, 1, 0, 0, 0);
  ASSERT_VAL("mv:val", 1, 5, "2024-01-01T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 7, "2024-01-03T10:00:00Z");
#undef CHECKED
}

/* ---- times: snapshot sources and epoch units --------------------------- */

/* Sets repo file `rel`'s modification time to ISO time `iso`. */
static void set_mtime(const char *rel, const char *iso) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", g_repo, rel);
  long long us = T(iso);
  struct timeval tv[2] = {{us / 1000000, us % 1000000},
                          {us / 1000000, us % 1000000}};
  cr_assert_eq(utimes(path, tv), 0, "utimes %s", path);
}

/* A snapshot source (no timestamp_field) over a folder: each file's rows
 * count from its own modification time, so an interval loads the files
 * written in it, and an incremental run the files rewritten since. */
Test(materialize, m050_snapshot_rows_count_from_their_files_mtime,
     .init = setup, .fini = teardown) {
  char dir[2048];
  snprintf(dir, sizeof dir, "%s/data/snap", g_repo);
  th_mkdirs(dir);
  repo_parquet("data/snap/a.parquet",
               "SELECT 1::BIGINT AS user_id, 10::BIGINT AS val");
  repo_parquet("data/snap/b.parquet",
               "SELECT 2::BIGINT AS user_id, 20::BIGINT AS val");
  set_mtime("data/snap/a.parquet", "2024-06-01T00:00:00Z");
  set_mtime("data/snap/b.parquet", "2024-06-03T00:00:00Z");
  apply("entities:\n" USER "sources:\n"
        "  - {name: snap, kind: file, path: 'data/snap/*.parquet'}\n"
        "feature_views:\n" VIEW("v", "snap", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-05-01", "2024-06-02", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_VAL("v:val", 1, 10, "2024-06-01T00:00:00Z");
  ASSERT_MISSING("v:val", 2);
  MAT_OK(mat_inc("2024-06-04", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_VAL("v:val", 2, 20, "2024-06-03T00:00:00Z");
  /* the batch job rewrites a.parquet: the next run loads the new value */
  repo_parquet("data/snap/a.parquet",
               "SELECT 1::BIGINT AS user_id, 11::BIGINT AS val");
  set_mtime("data/snap/a.parquet", "2024-06-05T00:00:00Z");
  MAT_OK(mat_inc("2024-06-06", NULL, &st));
  ASSERT_STATS(st, 1, 1, 1, 0);
  ASSERT_VAL("v:val", 1, 11, "2024-06-05T00:00:00Z");
}

/* as_of gives every row of a snapshot one event time, whatever the file's
 * modification time. */
Test(materialize, m051_snapshot_as_of, .init = setup, .fini = teardown) {
  th_write(g_repo, "data/snap.csv", "user_id,val\n1,10\n2,20\n");
  apply("entities:\n" USER "sources:\n"
        "  - {name: snap, kind: file, path: data/snap.csv, "
        "as_of: \"2024-06-01T10:00:00+02:00\"}\n"
        "feature_views:\n" VIEW("v", "snap", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-06-01T08:00:00Z", "2024-06-01T08:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_VAL("v:val", 1, 10, "2024-06-01T08:00:00Z");
  ASSERT_VAL("v:val", 2, 20, "2024-06-01T08:00:00Z");
}

/* Epoch numbers by the source's unit, in CSV text and Parquet integers;
 * milliseconds where seconds are declared fail the load whole, with the
 * unit to declare, and leave the online rows as they were. */
Test(materialize, m052_epoch_times_by_the_sources_unit, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/ms.csv", "user_id,ts,val\n1,1717243200000,10\n");
  repo_parquet("data/ns.parquet",
               "SELECT 2::BIGINT AS user_id, 1717243200000000123::BIGINT "
               "AS ts, 20::BIGINT AS val");
  repo_parquet("data/s.parquet",
               "SELECT 3::BIGINT AS user_id, 1717243200::BIGINT AS ts, "
               "30::BIGINT AS val UNION ALL SELECT 4, 1717243200000, 40");
  apply("entities:\n" USER "sources:\n"
        "  - {name: ms, kind: file, path: data/ms.csv, timestamp_field: ts, "
        "timestamp_unit: ms}\n"
        "  - {name: ns, kind: file, path: data/ns.parquet, timestamp_field: "
        "ts, timestamp_unit: ns}\n"
        "  - {name: s, kind: file, path: data/s.parquet, timestamp_field: "
        "ts}\n"
        "feature_views:\n" VIEW("vms", "ms", "0s", VAL)
        VIEW("vns", "ns", "0s", VAL) VIEW("vs", "s", "0s", VAL));
  lr_materialize_stats st;
  MAT_OK(mat("2024-06-01", "2024-06-02", "vms,vns", &st));
  ASSERT_VAL("vms:val", 1, 10, "2024-06-01T12:00:00Z");
  ASSERT_VAL("vns:val", 2, 20, "2024-06-01T12:00:00Z");
  cr_assert_eq(mat("2024-06-01", "2024-06-02", "vs", &st), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "data/s.parquet: row 2: column 'ts' of source 's': "
                   "1717243200000 as seconds is past the year 9999; if these "
                   "are milliseconds, declare timestamp_unit: ms on source "
                   "'s'");
  ASSERT_MISSING("vs:val", 3);
}

/* ---- beside a server, a reader and a writer (other processes) ------------- */

static char *g_side; /* m044's scratch folder: repo/, copy/, touch.csv */

static void side_teardown(void) {
  th_kill_children();
  th_free_kept();
  if (g_side)
    th_rmrf(g_side);
  g_side = NULL;
}

/* The server's answer for the sampled keys' driver_hourly_stats features
 * (heap, kept): its results, from "results" on (the metadata names the
 * version, which every commit moves). A status other than 200 fails. */
static char *served_state(int port) {
  lr__buf body;
  lr__buf_init(&body);
  lr__buf_puts(&body, "{\"features\": [");
  for (int f = 0; f < N_BASE_REFS; f++)
    lr__buf_printf(&body, "%s\"%s\"", f ? ", " : "", REFS[f]);
  lr__buf_puts(&body, "], \"entities\": {\"driver_id\": [");
  for (int i = 0; i < SAMPLE; i++)
    lr__buf_printf(&body, "%s%lld", i ? ", " : "", g_keys[i]);
  lr__buf_puts(&body, "]}}");
  char answer[65536];
  int status = th_http_post(port, "/get-online-features", lr__buf_str(&body),
                            answer, sizeof answer);
  lr__buf_free(&body);
  cr_assert_eq(status, 200, "the server answered %d: %s", status,
               status > 0 ? answer : "(nothing)");
  const char *results = strstr(answer, "\"results\"");
  cr_assert_not_null(results, "%s", answer);
  return th_keep(strdup(results));
}

/* `larder materialize` of the last hour of the example repo while a
 * server (`larder serve`) holds its store, a reader child reads it and
 * `larder write` writes another driver: the server answers 200 throughout,
 * with the old values or the new ones (one load is one transaction), and
 * the new ones as soon as the load returns; the reader sees old, then new,
 * never a mix nor an error; the write waits its turn and succeeds. */
Test(materialize, m044_materialize_beside_a_server_a_reader_and_a_writer,
     .fini = side_teardown, .timeout = 180) {
  signal(SIGPIPE, SIG_IGN);
  g_side = th_tempdir();
  char repo[512], copy[600], touch[600], cmd[1400];
  snprintf(repo, sizeof repo, "%s/repo", g_side);
  snprintf(copy, sizeof copy, "%s/copy", g_side);
  snprintf(touch, sizeof touch, "%s/touch.csv", g_side);
  write_touch_csv(touch);
  long long last = example_repo(repo, 34);
  char start[32], end[32];
  iso(last - 3600000000LL, start);
  iso(last, end);
  snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", repo, copy);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
  LARDER_OK(copy, "materialize", start, end); /* what the load leaves */
  lr__buf b;
  lr__buf_init(&b);
  cr_assert_eq(repo_state(repo, &b), 0, "%s", lr__buf_str(&b));
  char *old = th_keep(lr__buf_steal(&b));
  cr_assert_eq(repo_state(copy, &b), 0, "%s", lr__buf_str(&b));
  char *new_ = th_keep(lr__buf_steal(&b));
  cr_assert_str_neq(old, new_, "the load changes nothing");
  int out, port;
  static const char *const serve_args[] = {"--threads", "2", NULL};
  pid_t server = th_serve(repo, serve_args, &out, &port);
  th_track_child(server);
  reader_spec spec = {repo, 0, old, new_, crash_state};
  reader r = reader_start(&spec);
  char *before = served_state(port), *moved = NULL;
  const char *mat_args[] = {start, end, NULL};
  const char *write_args[] = {"driver_hourly_stats", touch, NULL};
  int mat_out, write_out;
  pid_t mat = th_spawn_larder(repo, "materialize", 1, &mat_out, mat_args);
  th_track_child(mat);
  pid_t writer = th_spawn_larder(repo, "write", 1, &write_out, write_args);
  th_track_child(writer);
  int answers = 0, st = 0;
  for (long long until = th_now_ms() + RUN_MS;
       waitpid(mat, &st, WNOHANG) == 0 && th_now_ms() < until; answers++) {
    char *now = served_state(port);
    if (strcmp(now, before) && !moved) {
      moved = now; /* the first new answer: every later one is the same */
      continue;
    }
    if (strcmp(now, before))
      cr_assert_str_eq(now, moved, "answer %d is neither old nor new",
                       answers);
    th_release(now); /* hundreds come: keep only the failing one */
  }
  th_untrack_child(mat);
  close(mat_out);
  cr_assert_eq(th_exit_code(st), 0, "larder materialize failed");
  char *after = served_state(port);
  cr_assert_str_neq(after, before, "the server did not see the load");
  if (moved)
    cr_assert_str_eq(moved, after, "the server's answers moved twice");
  reader_stop(&r, "m044");
  cr_assert_eq(th_child_status(writer, RUN_MS), 0, "larder write failed");
  close(write_out);
  kill(server, SIGTERM);
  cr_assert_eq(th_child_status(server, 10000), 0, "the server did not stop");
  close(out);
  cr_assert_gt(answers, 0, "no answer came while the load ran");
}

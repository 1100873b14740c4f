/*
 * test_quality.c - a view's checks enforced (src/quality/, issue 16): each
 * on_fail on materialize and on lr_write_rows, the entity whose newest row
 * fails, a refused load that leaves the store and the incremental
 * position as they were, max_failed, the quarantine file (and one that
 * cannot be written), NaN and ±Inf on both paths, unique at ten million
 * keys, freshness with times in the future.
 *
 * Rows come as Parquet from the helper DuckDB (materialize_fixture.h);
 * what a load stored is read back through lr_get_online_features.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "online/store.h"
#include "util/timefmt.h"

#include "offline_fixture.h"
#include "materialize_fixture.h"

/* View mv over data/m.parquet (user_id, ts, created, val) with `checks`. */
#define CHECKED_VIEW(checks)                                                 \
  "entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")                 \
  "feature_views:\n" VIEW("mv", "s", "0s", VAL) "    checks:\n" checks

/* The first `n_cols` columns of each row of `sql` (helper DuckDB), as
 * tab-separated lines. */
static char *rows_of(const char *sql, int n_cols) {
  lr__buf out, err;
  lr__buf_init(&out);
  lr__buf_init(&err);
  int rc = lr__duckdb_run(db(), sql, n_cols, &out, &err);
  cr_assert_eq(rc, 0, "%s\n-- %s", lr__buf_str(&err), sql);
  lr__buf_free(&err);
  return th_keep(lr__buf_steal(&out));
}

/* The rows of view mv's quarantine files: user_id, val, failed_checks. */
static char *quarantined(void) {
  char sql[2048];
  snprintf(sql, sizeof sql, "SELECT user_id, val, failed_checks FROM "
           "read_parquet('%s/data/quarantine/mv/*.parquet') ORDER BY "
           "user_id, event_timestamp", g_repo);
  return rows_of(sql, 3);
}

/* ---- materialize ------------------------------------------------------------ */

/* drop: an entity whose newest row fails keeps its newest passing row;
 * one whose only row fails gets none; the dropped rows are in the
 * quarantine file with the rule they failed, and the notes count them. */
Test(quality, q001_drop_keeps_the_newest_passing_row, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5), "
               "(1, '2024-01-01 11:00:00', NULL, 50), "
               "(2, '2024-01-01 10:00:00', NULL, 70), "
               "(3, '2024-01-01 10:00:00', NULL, 3)");
  apply(CHECKED_VIEW("      - {feature: val, between: [0, 10], on_fail: "
                     "drop}\n"));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0);
  ASSERT_VAL("mv:val", 1, 5, "2024-01-01T10:00:00Z");
  ASSERT_MISSING("mv:val", 2);
  ASSERT_VAL("mv:val", 3, 3, "2024-01-01T10:00:00Z");
  cr_assert_str_eq(quarantined(), "1\t50\tval_between\n2\t70\tval_between\n");
  cr_assert(strstr(g_notes, "mv: 4 rows checked, 2 failed a check, 2 "
                   "dropped, 0 with a value set null\n  entities whose "
                   "newest row was dropped: 1 kept an older passing row, 1 "
                   "had none\n"), "%s", g_notes);
  cr_assert(strstr(g_notes, "  FAIL val_between: 2 of 4 rows failed (50%), "
                   "on_fail: drop\n    user_id=1: val = 50\n    user_id=2: "
                   "val = 70\n"), "%s", g_notes);
}

/* null stores the failing feature null; warn stores it and counts it. */
Test(quality, q002_null_and_warn, .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 50), "
               "(2, '2024-01-01 10:00:00', NULL, 5)");
  apply(CHECKED_VIEW("      - {feature: val, between: [0, 10], on_fail: "
                     "\"null\"}\n"
                     "      - {name: small, feature: val, between: [0, 4]}\n"));
  lr_materialize_stats st;
  MAT_OK(mat("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0);
  got g = get1("mv:val", 1);
  cr_assert_eq(g.status, LR_STATUS_NULL_VALUE, "%s",
               lr_status_name(g.status));
  ASSERT_VAL("mv:val", 2, 5, "2024-01-01T10:00:00Z"); /* warned, stored */
  cr_assert(strstr(g_notes, "  FAIL small: 2 of 2 rows failed (100%), "
                   "on_fail: warn\n"), "%s", g_notes);
}

/* reject refuses the load: the store and the incremental position stay as
 * they were, and a re-run once the data is fixed loads from that
 * position. */
Test(quality, q003_reject_leaves_store_and_position, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5)");
  apply(CHECKED_VIEW("      - {feature: val, between: [0, 10], on_fail: "
                     "reject}\n"));
  MAT_OK(mat_inc("2024-01-02T00:00:00Z", NULL, NULL));
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5), "
               "(1, '2024-01-03 10:00:00', NULL, 6), "
               "(2, '2024-01-03 10:00:00', NULL, 99)");
  int rc = mat_inc("2024-01-04T00:00:00Z", NULL, NULL);
  cr_assert_eq(rc, LR_ECHECK, "%s", lr_err_name(rc));
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 'mv': the checks refused the batch, so "
                   "nothing was written: check 'val_between' (between on "
                   "val, on_fail: reject): 1 of 2 rows failed (50%); fix the "
                   "rows, or the checks in the view's definition (`larder "
                   "check mv` runs them over the source)");
  ASSERT_VAL("mv:val", 1, 5, "2024-01-01T10:00:00Z");
  ASSERT_MISSING("mv:val", 2);
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5), "
               "(1, '2024-01-03 10:00:00', NULL, 6), "
               "(2, '2024-01-03 10:00:00', NULL, 9)");
  lr_materialize_stats st;
  MAT_OK(mat_inc("2024-01-04T00:00:00Z", NULL, &st));
  ASSERT_STATS(st, 1, 2, 2, 0); /* (01-02, 01-04]: the refused interval */
  ASSERT_VAL("mv:val", 1, 6, "2024-01-03T10:00:00Z");
  ASSERT_VAL("mv:val", 2, 9, "2024-01-03T10:00:00Z");
}

/* max_failed refuses a load whose failing rows, of warn rules too, are
 * more than that share of all rows. */
Test(quality, q004_max_failed_refuses, .init = setup, .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 50), "
               "(2, '2024-01-01 10:00:00', NULL, 5), "
               "(3, '2024-01-01 10:00:00', NULL, 6)");
  apply(CHECKED_VIEW("      - {feature: val, between: [0, 10]}\n"
                     "    max_failed: 0.2\n"));
  int rc = mat("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", NULL, NULL);
  cr_assert_eq(rc, LR_ECHECK, "%s", lr_err_name(rc));
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 'mv': the checks refused the batch, so "
                   "nothing was written: 1 of 3 rows failed a check "
                   "(33.3%), more than max_failed 20%; fix the rows, or the "
                   "checks in the view's definition (`larder check mv` runs "
                   "them over the source)");
  ASSERT_MISSING("mv:val", 2);
}

/* A quarantine that cannot be written fails the load: nothing stored, no
 * row lost. */
Test(quality, q005_unwritable_quarantine_fails_the_load, .init = setup,
     .fini = teardown) {
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 50), "
               "(2, '2024-01-01 10:00:00', NULL, 5)");
  apply(CHECKED_VIEW("      - {feature: val, between: [0, 10], on_fail: "
                     "drop}\n"));
  th_write(g_repo, "data/quarantine", "a file where the folder goes\n");
  int rc = mat("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", NULL, NULL);
  cr_assert_eq(rc, LR_EIO, "%s: %s", lr_err_name(rc),
               lr_offline_errmsg(g_off));
  char want[2048];
  snprintf(want, sizeof want, "feature view 'mv': 1 row failed a drop "
           "check and must be copied to the quarantine before the others "
           "are written, but: the quarantine folder of view 'mv' cannot be "
           "written: cannot create folder %s/data/quarantine/mv: Not a "
           "directory "
           "(it is quarantine/mv beside the online store's folder: make it "
           "a folder this process can write); nothing was written", g_repo);
  cr_assert_str_eq(lr_offline_errmsg(g_off), want);
  ASSERT_MISSING("mv:val", 2);
}

/* ---- lr_write_rows ---------------------------------------------------------- */

/* A float64 feature f in views fm (fed from data/m.parquet) and fw
 * (written), with the same checks. */
#define FLOAT_VIEWS(checks)                                                  \
  "entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")                 \
  FILE_SRC("w", "w.parquet") "feature_views:\n"                              \
  VIEW("fm", "s", "0s", "      - {name: f, dtype: float64}\n")               \
  "    checks:\n" checks                                                     \
  VIEW("fw", "w", "0s", "      - {name: f, dtype: float64}\n")               \
  "    checks:\n" checks

static const double float_cases[] = {0.5, NAN, INFINITY, -INFINITY, 2.0};
enum { N_FLOATS = 5 };

/* Writes float_cases as users 1..5 into view `view` at 2024-01-01. */
static int write_floats(lr_store *s, const char *view) {
  lr_value uid[N_FLOATS], ev[N_FLOATS], f[N_FLOATS];
  for (int i = 0; i < N_FLOATS; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i + 1};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP,
                       .v.ts = T("2024-01-01T10:00:00Z")};
    f[i] = (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = float_cases[i]};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"f", f}};
  return lr_write_rows(s, view, cols, 3, N_FLOATS, NULL);
}

/* The status of user `user`'s f in view `view` (NULL_VALUE, PRESENT...). */
static int float_status(const char *view, long long user) {
  char ref[64];
  snprintf(ref, sizeof ref, "%s:f", view);
  return get1(ref, user).status;
}

/* NaN fails between even with one bound (a C comparison is false, and
 * DuckDB orders NaN above every number: the rule says which wins), ±Inf
 * are numbers: materialize and lr_write_rows give each the same
 * verdict. */
Test(quality, q006_nan_and_inf_same_verdict_on_both_paths, .init = setup,
     .fini = teardown) {
  repo_parquet("data/m.parquet",
               "SELECT u::BIGINT AS user_id, TIMESTAMP '2024-01-01 10:00:00' "
               "AS ts, NULL::TIMESTAMP AS created, f::DOUBLE AS f FROM "
               "(VALUES (1, '0.5'), (2, 'nan'), (3, 'inf'), (4, '-inf'), "
               "(5, '2.0')) t(u, f)");
  apply(FLOAT_VIEWS("      - {feature: f, between: [0, null], on_fail: "
                    "\"null\"}\n"));
  MAT_OK(mat("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "fm", NULL));
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  cr_assert_eq(write_floats(s, "fw"), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  static const int want[N_FLOATS] = {LR_STATUS_PRESENT, LR_STATUS_NULL_VALUE,
                                     LR_STATUS_PRESENT, LR_STATUS_NULL_VALUE,
                                     LR_STATUS_PRESENT};
  for (int i = 0; i < N_FLOATS; i++) {
    cr_assert_eq(float_status("fm", i + 1), want[i], "materialize, %g",
                 float_cases[i]);
    cr_assert_eq(float_status("fw", i + 1), want[i], "write, %g",
                 float_cases[i]);
  }
}

/* in: NaN equals nothing; the JSON report of a write names each rule's
 * counts and sample keys and values (NaN as JSON's "NaN"). */
Test(quality, q007_write_report_json, .init = setup, .fini = teardown) {
  apply(FLOAT_VIEWS("      - {feature: f, in: [0.5, 2], on_fail: drop}\n"));
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  cr_assert_eq(write_floats(s, "fw"), 0, "%s", lr_store_errmsg(s));
  char *report = NULL;
  cr_assert_eq(lr_store_check_report(s, LR_FORMAT_JSON, &report), 0);
  char *q = strstr(report, "\"quarantine\": \"");
  cr_assert(q, "%s", report);
  char *end = strchr(q + 15, '"');
  cr_assert(end);
  memmove(q + 15, end, strlen(end) + 1); /* the file's name varies */
  cr_assert_str_eq(report,
                   "{\"view\": \"fw\", \"rows\": 5, \"rows_failed\": 3, "
                   "\"rows_dropped\": 3, \"rows_nulled\": 0, \"rejected\": "
                   "false, \"quarantine\": \"\", \"checks\": [{\"name\": "
                   "\"f_in\", \"kind\": \"in\", \"feature\": \"f\", "
                   "\"on_fail\": \"drop\", \"rows_checked\": 5, "
                   "\"rows_failed\": 3, \"share_failed\": 0.6, \"passed\": "
                   "false, \"samples\": [{\"key\": {\"user_id\": 2}, "
                   "\"value\": \"NaN\"}, {\"key\": {\"user_id\": 3}, "
                   "\"value\": \"Infinity\"}, {\"key\": {\"user_id\": 4}, "
                   "\"value\": \"-Infinity\"}]}]}");
  free(report);
  lr_store_close(s);
  cr_assert_eq(float_status("fw", 1), LR_STATUS_PRESENT);
  cr_assert_eq(float_status("fw", 2), LR_STATUS_NOT_FOUND);
  cr_assert_eq(float_status("fw", 5), LR_STATUS_PRESENT);
}

/* reject on a write: LR_ECHECK, the whole message, nothing written; the
 * report says it was refused. An expression reads NaN and ±Inf as null
 * (the expression language's value model), which fails no rule: only
 * 2.0 of the five fails. */
Test(quality, q008_write_rejected, .init = setup, .fini = teardown) {
  apply(FLOAT_VIEWS("      - {name: small, expr: \"f < 1\", on_fail: "
                    "reject}\n"));
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  int rc = write_floats(s, "fw");
  cr_assert_eq(rc, LR_ECHECK, "%s", lr_err_name(rc));
  cr_assert_str_eq(lr_store_errmsg(s),
                   "feature view 'fw': the checks refused the batch, so "
                   "nothing was written: check 'small' (expr, on_fail: "
                   "reject): 1 of 2 rows failed (50%); fix the rows, or the "
                   "checks in the view's definition (`larder check fw` runs "
                   "them over the source)");
  char *report = NULL;
  cr_assert_eq(lr_store_check_report(s, 0, &report), 0);
  cr_assert(report && strstr(report, "fw: 5 rows checked, 1 failed a check, "
                             "0 dropped, 0 with a value set null; the batch "
                             "was refused\n"), "%s", report);
  free(report);
  lr_store_close(s);
  for (int i = 1; i <= N_FLOATS; i++)
    cr_assert_eq(float_status("fw", i), LR_STATUS_NOT_FOUND, "user %d", i);
}

/* ---- unique, freshness, matches -------------------------------------------- */

/* Ten million distinct (user_id, ts) (one million under ASan, which is
 * ten times slower): unique finds exactly none; the same rows with three
 * repeated at the end (out of key order: the load's second, sorted pass)
 * exactly three. */
#ifdef __SANITIZE_ADDRESS__
#define UNIQUE_ROWS "1000000"
#else
#define UNIQUE_ROWS "10000000"
#endif
Test(quality, q009_unique_at_ten_million_keys, .init = setup,
     .fini = teardown, .timeout = 600) {
#define DISTINCT_ROWS                                                        \
  "SELECT range AS user_id, TIMESTAMP '2024-01-01' + to_hours(range % 7) "   \
  "AS ts, NULL::TIMESTAMP AS created, range AS val FROM range(" UNIQUE_ROWS \
  ")"
  repo_parquet("data/m.parquet", DISTINCT_ROWS);
  apply(CHECKED_VIEW("      - {unique: [user_id, event_timestamp], on_fail: reject}\n"));
  lr_materialize_stats st;
  MAT_OK(mat("2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z", NULL, &st));
  cr_assert_eq(st.rows_written, strtoull(UNIQUE_ROWS, NULL, 10));
  cr_assert_str_eq(g_notes, "");
  repo_parquet("data/m.parquet",
               DISTINCT_ROWS " UNION ALL SELECT range * 1000, TIMESTAMP '2024-01-01' + "
               "to_hours((range * 1000) % 7), NULL, 0 FROM range(3)");
  int rc = mat("2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z", NULL, NULL);
  cr_assert_eq(rc, LR_ECHECK, "%s", lr_err_name(rc));
  cr_assert(strstr(lr_offline_errmsg(g_off), "check "
                   "'unique_user_id_event_timestamp' (unique, on_fail: reject): 3 rows repeat an earlier "
                   "row;"), "%s", lr_offline_errmsg(g_off));
}

/* Writes (user, val) pairs into mv at event time `at`. */
static int write_vals(lr_store *s, const long long *users,
                      const long long *vals, int n, long long at) {
  lr_value uid[16], ev[16], v[16];
  for (int i = 0; i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = users[i]};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    v[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = vals[i]};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"val", v}};
  return lr_write_rows(s, "mv", cols, 3, (size_t)n, NULL);
}

/* The text report of the store's last write (kept). */
static char *last_report(lr_store *s) {
  char *report = NULL;
  cr_assert_eq(lr_store_check_report(s, 0, &report), 0);
  cr_assert(report, "no report");
  return th_keep(report);
}

/* unique over a column that is not the key, and a second unique over
 * three columns, on a write (rows in any order: every row's hash is
 * kept); freshness passes a time in the future and says so, and fails a
 * stale batch. */
Test(quality, q010_unique_and_freshness_on_a_write, .init = setup,
     .fini = teardown) {
  apply(CHECKED_VIEW("      - {unique: [val]}\n"
                     "      - {unique: [user_id, val, event_timestamp]}\n"
                     "      - {freshness: 2h}\n"));
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  long long users[] = {1, 2, 3, 4}, vals[] = {7, 8, 7, 7};
  long long future = lr__time_now_us() + 3 * 3600 * 1000000LL;
  cr_assert_eq(write_vals(s, users, vals, 4, future), 0);
  char *r = last_report(s);
  cr_assert(strstr(r, "  FAIL unique_val: 2 rows repeat an earlier row, "
                   "on_fail: warn\n    user_id=3\n    user_id=4\n"), "%s", r);
  cr_assert(strstr(r, "  ok   freshness: newest event time "), "%s", r);
  cr_assert(strstr(r, ", in the future by 2h59m") ||
            strstr(r, ", in the future by 3h"), "%s", r);
  cr_assert(strstr(r, "  ok   unique_user_id_val_event_timestamp: 0 rows "
                   "repeat an earlier row, on_fail: warn\n"), "%s", r);
  /* the same row twice: both rules (three columns are hashed, one is
   * compared as it is) see the repeat */
  long long twice[] = {5, 5}, nines[] = {9, 9};
  cr_assert_eq(write_vals(s, twice, nines, 2, future), 0);
  r = last_report(s);
  cr_assert(strstr(r, "  FAIL unique_val: 1 row repeats an earlier row, "
                   "on_fail: warn\n    user_id=5\n"), "%s", r);
  cr_assert(strstr(r, "  FAIL unique_user_id_val_event_timestamp: 1 row "
                   "repeats an earlier row, on_fail: warn\n"), "%s", r);
  cr_assert_eq(write_vals(s, users, vals, 1, T("2024-01-01T00:00:00Z")), 0);
  r = last_report(s);
  cr_assert(strstr(r, "  FAIL freshness: newest event time "
                   "2024-01-01T00:00:00Z, "), "%s", r);
  lr_store_close(s);
}

/* matches on a write: \d, anchors and a multi-byte character, as DuckDB's
 * regexp_matches reads them (the regex suite checks the dialect against
 * DuckDB); nulls are not checked. */
Test(quality, q011_matches_on_a_write, .init = setup, .fini = teardown) {
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "feature_views:\n"
        VIEW("pv", "s", "0s", "      - {name: plate, dtype: string}\n")
        "    checks:\n"
        "      - {feature: plate, matches: '^\\d{2}-é$', on_fail: drop}\n");
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &s), 0);
  lr_value uid[4], ev[4], plate[4];
  const char *plates[] = {"12-é", "12-e", "1-é", NULL};
  for (int i = 0; i < 4; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i + 1};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP,
                       .v.ts = T("2024-01-01T00:00:00Z")};
    plate[i] = plates[i] ? (lr_value){.type = LR_TYPE_STRING,
                                      .v.str = {plates[i], strlen(plates[i])}}
                         : (lr_value){.type = LR_TYPE_NULL};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev},
                      {"plate", plate}};
  cr_assert_eq(lr_write_rows(s, "pv", cols, 3, 4, NULL), 0, "%s",
               lr_store_errmsg(s));
  char *r = last_report(s);
  cr_assert(strstr(r, "  FAIL plate_matches: 2 of 3 rows failed (66.7%), "
                   "on_fail: drop\n    user_id=2: plate = '12-e'\n    "
                   "user_id=3: plate = '1-é'\n"), "%s", r);
  lr_store_close(s);
}

/* ---- lr_check_view -------------------------------------------------------- */

/* Each refusal of lr_check_view, whole: an unknown view, an on-demand
 * view, a view without checks, a start after the end. */
Test(quality, q012_check_view_errors, .init = setup, .fini = teardown) {
  apply("entities:\n" USER "sources:\n" FILE_SRC("s", "m.parquet")
        "request_sources:\n  - name: req\n    schema:\n"
        "      - {name: k, dtype: int64}\n"
        "feature_views:\n" VIEW("mv", "s", "0s", VAL)
        "    checks:\n      - {feature: val, not_null: true}\n"
        VIEW("plain", "s", "0s", VAL)
        "on_demand_feature_views:\n  - name: od\n    sources: [mv, req]\n"
        "    schema:\n      - {name: x, dtype: int64, expr: \"val + k\"}\n");
  rows_parquet("data/m.parquet", "(1, '2024-01-01 10:00:00', NULL, 5)");
  static const struct {
    const char *view;
    long long start, end;
    int rc;
    const char *message;
  } cases[] = {
      {"nope", LLONG_MIN, LLONG_MAX, LR_ENOTFOUND,
       "unknown feature view 'nope' (`larder ls feature-views` lists them)"},
      {"od", LLONG_MIN, LLONG_MAX, LR_EINVAL,
       "'od' is an on-demand view: checks belong to the feature views it "
       "reads"},
      {"plain", LLONG_MIN, LLONG_MAX, LR_EINVAL,
       "feature view 'plain' has no checks: add a `checks:` list to its "
       "definition (docs/repo-format.md, \"checks\") and run `larder "
       "apply`"},
      {"mv", 2, 1, LR_EINVAL, "the start of the interval is after its end"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *report = NULL;
    int rc = lr_check_view(g_off, cases[i].view, cases[i].start,
                           cases[i].end, 0, &report, NULL);
    cr_assert_eq(rc, cases[i].rc, "%s: %s", cases[i].view, lr_err_name(rc));
    cr_assert_str_eq(lr_offline_errmsg(g_off), cases[i].message);
    cr_assert_null(report);
  }
  char *report = NULL;
  int failed = -1;
  cr_assert_eq(lr_check_view(g_off, "mv", LLONG_MIN, LLONG_MAX, 0, &report,
                             &failed), 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(failed, 0);
  cr_assert(strstr(report, "  ok   val_not_null: 0 of 1 rows failed (0%)"),
            "%s", report);
  lr_free(report);
}

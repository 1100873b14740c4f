/*
 * test_stats.c - lr_stats and lr_drift (issue 16): statistics of a view's
 * source rows against values computed by hand, a saved profile reused by
 * drift with its own bin edges, each drift method against hand
 * computation, the edge cases (a constant column, an empty reference,
 * unseen categories, too few rows), the errors (each whole message), and a
 * saved drift run on a real server's /metrics.
 *
 * Each test writes repo/data/s.parquet with the helper DuckDB (the rows of
 * view `v`: user_id, event time ts, and the features), applies the
 * definitions and calls the library on the offline handle.
 */
#include <math.h>

#include "helpers.h"
#include "larder.h"
#include "offline/drift_run.h"
#include "offline_fixture.h"
#include "process.h"
#include "util/arena.h"
#include "util/json.h"

static lr__arena g_arena; /* the reports parsed */

/* The fixture works in a folder of its own: the server test's binary is
 * named by its absolute path first. */
static void stats_setup(void) {
  char *bin = realpath(th_larder_bin(), NULL);
  if (bin)
    setenv("LARDER_BIN", bin, 1);
  free(bin);
  setup();
  lr__arena_init(&g_arena);
}

static void stats_teardown(void) {
  th_kill_children();
  lr__arena_free(&g_arena);
  th_free_kept();
  teardown();
}

TestSuite(stats, .init = stats_setup, .fini = stats_teardown,
          .timeout = 120);

#define DEFS                                                                   \
  "entities:\n"                                                                \
  "  - {name: user, join_keys: [user_id], value_type: int64}\n"               \
  "sources:\n"                                                                 \
  "  - {name: src, kind: file, path: data/s.parquet, timestamp_field: ts}\n"  \
  "feature_views:\n"                                                           \
  "  - name: v\n"                                                              \
  "    entities: [user]\n"                                                     \
  "    source: src\n"                                                          \
  "    schema:\n"                                                              \
  "      - {name: x, dtype: float64}\n"                                       \
  "      - {name: n, dtype: int64}\n"                                         \
  "      - {name: city, dtype: string}\n"                                     \
  "      - {name: ok, dtype: bool}\n"                                         \
  "      - {name: emb, dtype: array<float32>}\n"                              \
  "      - {name: seen, dtype: timestamp}\n"

/* The source's columns for `n` rows, from a SELECT giving i (0..n-1) and
 * the feature expressions over it; event time 2024-01-01 + i minutes. */
static void rows(int n, const char *x, const char *nn, const char *city) {
  char select[4096];
  snprintf(select, sizeof select,
           "SELECT i AS user_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' + "
           "to_minutes(i) AS ts, (%s)::DOUBLE AS x, (%s)::BIGINT AS n, (%s)"
           "::VARCHAR AS city, i %% 3 = 0 AS ok, NULL::FLOAT[] AS emb, "
           "NULL::TIMESTAMPTZ AS seen FROM range(%d) t(i)",
           x, nn, city, n);
  fixture_parquet("data/s.parquet", select);
}

/* Parses a report (kept for the test) as JSON. */
static const lr__jnode *parse(char *report) {
  th_keep(report);
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *root = lr__json_read(report, strlen(report), &g_arena,
                                        &err);
  cr_assert(root, "%s: %s", lr__buf_str(&err), report);
  lr__buf_free(&err);
  return root;
}

/* lr_stats of view v in `w` as JSON (flags added), saved as `save`. */
static const lr__jnode *stats_of(lr_window w, unsigned flags,
                                 const char *save) {
  lr_stats_spec spec = {"v", w, save};
  char *report = NULL;
  int rc = lr_stats(g_off, &spec, flags | LR_FORMAT_JSON, &report);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  return parse(report);
}

/* The object of `list` whose `key` is `name`. */
static const lr__jnode *named(const lr__jnode *root, const char *list,
                              const char *key, const char *name) {
  const lr__jnode *items = lr__json_get(root, list);
  cr_assert(items && items->kind == LR__J_ARRAY);
  for (int i = 0; i < items->n; i++) {
    const lr__jnode *k = lr__json_get(items->items[i], key);
    if (k && !strcmp(k->text, name))
      return items->items[i];
  }
  cr_assert_fail("no %s '%s'", key, name);
  return NULL;
}

static const lr__jnode *feature(const lr__jnode *root, const char *name) {
  return named(root, "features", "name", name);
}

/* A number member; "NaN" and "Infinity" read as such. */
static double num(const lr__jnode *obj, const char *key) {
  const lr__jnode *n = lr__json_get(obj, key);
  cr_assert(n, "no %s", key);
  if (n->kind == LR__J_STRING)
    return !strcmp(n->text, "Infinity") ? INFINITY : NAN;
  cr_assert_eq(n->kind, LR__J_NUMBER, "%s is not a number", key);
  return strtod(n->text, NULL);
}

static const char *text(const lr__jnode *obj, const char *key) {
  const lr__jnode *n = lr__json_get(obj, key);
  cr_assert(n && n->kind == LR__J_STRING, "no string %s", key);
  return n->text;
}

static const lr_window ALL = {0, 0, 0, 0};

static long long T(const char *iso) {
  long long us;
  cr_assert_eq(lr_parse_time(iso, 0, &us), 0, "bad time %s", iso);
  return us;
}

/* The window [start, end] (ISO times). */
static lr_window W(const char *start, const char *end) {
  return (lr_window){1, T(start), 1, T(end)};
}

/* ---- stats ----------------------------------------------------------- */

Test(stats, st001_numbers_with_nulls_nan_and_infinities) {
  apply(DEFS);
  /* x: 1, 2, NULL, NaN, +Inf, -Inf, 4; n: 10 .. 60 and a NULL */
  rows(7, "['1', '2', NULL, 'nan', 'inf', '-inf', '4'][i + 1]",
       "CASE WHEN i = 2 THEN NULL ELSE 10 * (i + 1) - CASE WHEN i > 2 THEN 10 "
       "ELSE 0 END END", "'a'");
  const lr__jnode *r = stats_of(ALL, 0, NULL);
  cr_assert_eq(num(r, "rows"), 7);
  const lr__jnode *et = lr__json_get(r, "event_time");
  cr_assert_str_eq(text(et, "min"), "2024-01-01 00:00:00+00");
  cr_assert_str_eq(text(et, "max"), "2024-01-01 00:06:00+00");
  const lr__jnode *x = feature(r, "x");
  cr_assert_eq(num(x, "count"), 6);
  cr_assert_eq(num(x, "nulls"), 1);
  cr_assert_eq(num(x, "nan"), 1);
  cr_assert_eq(num(x, "pos_inf"), 1);
  cr_assert_eq(num(x, "neg_inf"), 1);
  /* over the finite values 1, 2, 4 */
  cr_assert_eq(num(x, "min"), 1);
  cr_assert_eq(num(x, "max"), 4);
  cr_assert_float_eq(num(x, "mean"), 7.0 / 3, 1e-12);
  cr_assert_float_eq(num(x, "stddev"), sqrt(7.0 / 3), 1e-12);
  /* n: 10, 20, 30, 40, 50, 60 */
  const lr__jnode *n = feature(r, "n");
  cr_assert_eq(num(n, "count"), 6);
  cr_assert_eq(num(n, "nulls"), 1);
  cr_assert_null(lr__json_get(n, "nan"), "an integer has no NaN count");
  cr_assert_float_eq(num(n, "mean"), 35, 1e-12);
  cr_assert_float_eq(num(n, "stddev"), sqrt(350.0), 1e-9);
  cr_assert_eq(num(n, "min"), 10);
  cr_assert_eq(num(n, "max"), 60);
}

Test(stats, st002_strings_exact_distinct_and_top_10) {
  apply(DEFS);
  /* 100,000 distinct values (approx_count_distinct is ~16% off there),
   * then c00..c11 repeated 12, 11, ..., 1 times on top */
  rows(100078, "1", "1",
       "CASE WHEN i < 100000 THEN 'u' || i ELSE 'c' || lpad(CAST(11 - (SELECT "
       "count(*) FROM range(12) k(j) WHERE (j + 1) * (j + 2) / 2 <= i - "
       "100000) AS VARCHAR), 2, '0') END");
  const lr__jnode *c = feature(stats_of(ALL, 0, NULL), "city");
  cr_assert_eq(num(c, "count"), 100078);
  cr_assert_eq(num(c, "distinct"), 100012);
  const lr__jnode *top = lr__json_get(c, "top");
  cr_assert_eq(top->n, 10);
  for (int k = 0; k < 10; k++) { /* c00 12 times, c01 11, ... */
    char want[16];
    snprintf(want, sizeof want, "c%02d", k);
    cr_assert_str_eq(text(top->items[k], "value"), want);
    cr_assert_eq(num(top->items[k], "count"), 12 - k);
  }
  const lr__jnode *ok = feature(stats_of(ALL, 0, NULL), "ok");
  cr_assert_eq(num(ok, "distinct"), 2);
  const lr__jnode *ok_top = lr__json_get(ok, "top");
  cr_assert_str_eq(text(ok_top->items[0], "value"), "false");
  cr_assert_eq(num(ok_top->items[0], "count"), 100078 - 33360);
  cr_assert_str_eq(text(ok_top->items[1], "value"), "true");
}

Test(stats, st003_exact_and_sampled_quantiles) {
  apply(DEFS);
  rows(100, "i", "i", "'a'"); /* 0 .. 99 */
  const lr__jnode *x = feature(stats_of(ALL, LR_STATS_EXACT, NULL), "x");
  /* quantile_cont: (n - 1) q interpolated */
  cr_assert_float_eq(num(x, "p01"), 0.99, 1e-9);
  cr_assert_float_eq(num(x, "p05"), 4.95, 1e-9);
  cr_assert_float_eq(num(x, "p25"), 24.75, 1e-9);
  cr_assert_float_eq(num(x, "p50"), 49.5, 1e-9);
  cr_assert_float_eq(num(x, "p75"), 74.25, 1e-9);
  cr_assert_float_eq(num(x, "p99"), 98.01, 1e-9);
  /* the sample holds all 100 values: each percentile is one of them */
  const lr__jnode *s = feature(stats_of(ALL, 0, NULL), "x");
  static const char *const keys[] = {"p01", "p05", "p25", "p50", "p75",
                                     "p95", "p99"};
  static const double exact[] = {0.99, 4.95, 24.75, 49.5, 74.25, 94.05,
                                 98.01};
  for (int i = 0; i < 7; i++) {
    double p = num(s, keys[i]);
    cr_assert(p == floor(p) && fabs(p - exact[i]) <= 1, "%s %g", keys[i], p);
  }
}

Test(stats, st004_window_lengths_and_times) {
  apply(DEFS);
  fixture_parquet("data/s.parquet",
                  "SELECT i AS user_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' "
                  "+ to_minutes(i) AS ts, 1.0::DOUBLE AS x, 1::BIGINT AS n, "
                  "'a' AS city, true AS ok, CASE WHEN i = 0 THEN NULL ELSE "
                  "list_transform(range(i), j -> j::FLOAT) END AS emb, "
                  "TIMESTAMPTZ '2023-05-01 00:00:00+00' + to_days(i) AS seen "
                  "FROM range(10) t(i)");
  const lr__jnode *r = stats_of(W("2024-01-01T00:02:00Z",
                                  "2024-01-01T00:05:00Z"), 0, NULL);
  cr_assert_eq(num(r, "rows"), 4); /* minutes 2, 3, 4, 5 */
  const lr__jnode *emb = feature(r, "emb");
  cr_assert_str_eq(text(emb, "kind"), "length");
  cr_assert_eq(num(emb, "min"), 2);
  cr_assert_eq(num(emb, "max"), 5);
  cr_assert_float_eq(num(emb, "mean"), 3.5, 1e-12);
  const lr__jnode *seen = feature(r, "seen");
  cr_assert_str_eq(text(seen, "min"), "2023-05-03 00:00:00+00");
  cr_assert_str_eq(text(seen, "max"), "2023-05-06 00:00:00+00");
  lr_stats_spec spec = {"v", W("2024-02-01", "2024-01-01"), NULL};
  char *report = NULL;
  cr_assert_eq(lr_stats(g_off, &spec, 0, &report), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "the window 2024-02-01T00:00:00Z..2024-01-01T00:00:00Z "
                   "ends before it starts: give the earlier time first");
}

/* Read as stored, the stddev comes from the sum of squares; far from 0 or
 * constant, each such feature is read again with DuckDB's stddev_samp. */
Test(stats, st016_stddev_far_from_zero_and_of_constants) {
  apply(DEFS);
  fixture_parquet("data/s.parquet",
                  "SELECT i AS user_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' "
                  "+ to_minutes(i) AS ts, 1e9 + i AS x, 7::BIGINT AS n, 'a' "
                  "AS city, true AS ok, [1.0, 2.0]::FLOAT[] AS emb, "
                  "NULL::TIMESTAMPTZ AS seen FROM range(10) t(i)");
  const lr__jnode *r = stats_of(ALL, 0, NULL);
  const lr__jnode *x = feature(r, "x"); /* 1e9 + 0 .. 9 */
  cr_assert_float_eq(num(x, "mean"), 1e9 + 4.5, 1e-6);
  cr_assert_float_eq(num(x, "stddev"), sqrt(82.5 / 9), 1e-9);
  cr_assert_eq(num(feature(r, "n"), "stddev"), 0);
  cr_assert_eq(num(feature(r, "n"), "min"), 7);
  const lr__jnode *emb = feature(r, "emb");
  cr_assert_eq(num(emb, "stddev"), 0);
  cr_assert_eq(num(emb, "mean"), 2);
  cr_assert_eq(num(emb, "p50"), 2);
}

/* ---- drift ----------------------------------------------------------- */

/* lr_drift of view v as JSON. */
static const lr__jnode *drift_of(lr_drift_spec spec, unsigned flags) {
  spec.view = "v";
  char *report = NULL;
  int rc = lr_drift(g_off, &spec, flags | LR_FORMAT_JSON, &report);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  return parse(report);
}

static const lr__jnode *score(const lr__jnode *run, const char *name) {
  return named(run, "features", "feature", name);
}

/* The reference: rows 0..n-1 (minutes); current: rows from minute 10000. */
#define REF W("2024-01-01T00:00:00Z", "2024-01-06T00:00:00Z")
#define CUR W("2024-01-07T00:00:00Z", "2024-02-01T00:00:00Z")

/* Reference rows 0..999 (x = i) and current rows 10000..10999 with x =
 * `cur_x` of j = i - 10000; cities by `ref_city` and `cur_city`. */
static void two_samples(const char *ref_x, const char *cur_x,
                        const char *ref_city, const char *cur_city) {
  char x[1024], city[1024];
  snprintf(x, sizeof x, "CASE WHEN i < 1000 THEN (%s) ELSE (SELECT %s FROM "
           "(SELECT i - 10000 AS j)) END", ref_x, cur_x);
  snprintf(city, sizeof city, "CASE WHEN i < 1000 THEN (%s) ELSE (SELECT %s "
           "FROM (SELECT i - 10000 AS j)) END", ref_city, cur_city);
  char select[4096];
  snprintf(select, sizeof select,
           "SELECT i AS user_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' + "
           "to_minutes(i) AS ts, (%s)::DOUBLE AS x, 1::BIGINT AS n, (%s)"
           "::VARCHAR AS city, true AS ok, NULL::FLOAT[] AS emb, "
           "NULL::TIMESTAMPTZ AS seen FROM (SELECT * FROM range(1000) UNION "
           "ALL SELECT * FROM range(10000, 11000)) t(i)", x, city);
  fixture_parquet("data/s.parquet", select);
}

/* PSI of shares by the documented rule (epsilon 1e-4 for an empty bin). */
static double psi_by_hand(const double *p, const double *q, int n) {
  double psi = 0;
  for (int i = 0; i < n; i++) {
    double a = p[i] > 0 ? p[i] : 1e-4, b = q[i] > 0 ? q[i] : 1e-4;
    psi += (b - a) * log(b / a);
  }
  return psi;
}

Test(stats, st005_saved_profile_keeps_its_bin_edges) {
  apply(DEFS);
  rows(1000, "i", "1", "'a'"); /* x = 0 .. 999 */
  stats_of(ALL, LR_STATS_EXACT, "base");
  char *saved = th_keep(th_read(g_repo, "data/profiles/v/base.json"));
  const lr__jnode *bins = lr__json_get(feature(parse(strdup(saved)), "x"),
                                       "bins");
  const lr__jnode *edges = lr__json_get(bins, "edges");
  cr_assert_eq(edges->n, 9);
  for (int d = 0; d < 9; d++) /* deciles of 0..999: 99.9 (d + 1) */
    cr_assert_float_eq(strtod(edges->items[d]->text, NULL), 99.9 * (d + 1),
                       1e-9);
  /* the data moves by 500: the profile's bins, not the new deciles */
  rows(1000, "i + 500", "1", "'a'");
  const lr__jnode *run = drift_of((lr_drift_spec){.reference_profile = "base",
                                                  .current = ALL}, 0);
  const lr__jnode *x = score(run, "x");
  /* in 0..999's bins: 0 in the first five, 100 in the next four, 600 in
   * the last; the reference 100 in each */
  double p[11], q[11] = {0, 0, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.6, 0};
  for (int b = 0; b < 11; b++)
    p[b] = b < 10 ? 0.1 : 0;
  cr_assert_float_eq(num(x, "score"), psi_by_hand(p, q, 11), 1e-9);
  cr_assert_gt(num(x, "score"), 0.25);
  cr_assert_str_eq(text(x, "status"), "alert");
  cr_assert_eq(num(x, "bins"), 10);
  /* a constant n: one edge, two value bins and null; the same rows */
  const lr__jnode *n = score(run, "n");
  cr_assert_float_eq(num(n, "score"), 0, 1e-12);
  cr_assert_str_eq(text(n, "status"), "ok");
}

Test(stats, st006_identical_samples_score_zero) {
  apply(DEFS);
  two_samples("i % 97", "j % 97", "'c' || (i % 7)", "'c' || (j % 7)");
  static const char *const methods[] = {"psi", "js", "wasserstein", "ks"};
  for (int m = 0; m < 4; m++) {
    const lr__jnode *run = drift_of((lr_drift_spec){.reference = REF,
                                                    .current = CUR,
                                                    .method = methods[m]},
                                    LR_STATS_EXACT);
    cr_assert_float_eq(num(score(run, "x"), "score"), 0, 1e-12, "%s",
                       methods[m]);
    cr_assert_str_eq(text(score(run, "x"), "status"), "ok", "%s",
                     methods[m]);
    if (m < 2) /* categories: psi and js only */
      cr_assert_float_eq(num(score(run, "city"), "score"), 0, 1e-12);
    else
      cr_assert_str_eq(text(score(run, "city"), "status"), "skipped");
  }
}

Test(stats, st007_constant_column) {
  apply(DEFS);
  two_samples("5", "6", "'a'", "'a'");
  const lr__jnode *psi = drift_of((lr_drift_spec){.reference = REF,
                                                  .current = CUR}, 0);
  /* one edge (5): all of the reference in x <= 5, all current above */
  double p[3] = {1, 0, 0}, q[3] = {0, 1, 0};
  cr_assert_float_eq(num(score(psi, "x"), "score"), psi_by_hand(p, q, 3),
                     1e-9);
  cr_assert_eq(num(score(psi, "x"), "bins"), 2);
  cr_assert_str_eq(text(score(psi, "x"), "status"), "alert");
  /* wasserstein over a stddev of 0: infinitely far */
  const lr__jnode *w = drift_of((lr_drift_spec){.reference = REF,
                                                .current = CUR,
                                                .method = "wasserstein"}, 0);
  cr_assert(isinf(num(score(w, "x"), "score")));
  cr_assert_str_eq(text(score(w, "x"), "status"), "alert");
  two_samples("5", "5", "'a'", "'a'");
  w = drift_of((lr_drift_spec){.reference = REF, .current = CUR,
                               .method = "wasserstein"}, 0);
  cr_assert_eq(num(score(w, "x"), "score"), 0);
}

Test(stats, st008_empty_reference_is_insufficient) {
  apply(DEFS);
  two_samples("i", "j", "'a'", "'a'");
  static const char *const methods[] = {"psi", "js", "wasserstein"};
  for (int m = 0; m < 3; m++) {
    const lr__jnode *run = drift_of(
        (lr_drift_spec){.reference = W("2023-01-01", "2023-02-01"),
                        .current = CUR, .method = methods[m]}, 0);
    cr_assert_str_eq(text(score(run, "x"), "status"), "insufficient", "%s",
                     methods[m]);
    cr_assert_eq(lr__json_get(score(run, "x"), "score")->kind, LR__J_NULL);
    cr_assert_eq(num(score(run, "x"), "reference_values"), 0);
  }
}

Test(stats, st009_unseen_categories_go_to_other) {
  apply(DEFS);
  /* reference: sf and la, 500 each; current: sf 500, tokyo and osaka */
  two_samples("i", "j", "CASE WHEN i % 2 = 0 THEN 'sf' ELSE 'la' END",
              "CASE WHEN j % 2 = 0 THEN 'sf' WHEN j % 4 = 1 THEN 'tokyo' "
              "ELSE 'osaka' END");
  /* bins: sf, la, other, null */
  const lr__jnode *psi = drift_of((lr_drift_spec){.reference = REF,
                                                  .current = CUR}, 0);
  double p[4] = {0.5, 0.5, 0, 0}, q[4] = {0.5, 0, 0.5, 0};
  cr_assert_float_eq(num(score(psi, "city"), "score"), psi_by_hand(p, q, 4),
                     1e-9);
  cr_assert_eq(num(score(psi, "city"), "bins"), 3);
  /* js: m = (0.5, 0.25, 0.25); each side's KL to m is 0.5 bit */
  const lr__jnode *js = drift_of((lr_drift_spec){.reference = REF,
                                                 .current = CUR,
                                                 .method = "js"}, 0);
  cr_assert_float_eq(num(score(js, "city"), "score"), 0.5, 1e-12);
  cr_assert_str_eq(text(score(js, "city"), "status"), "alert");
}

Test(stats, st010_fewer_than_100_rows_are_insufficient) {
  apply(DEFS);
  two_samples("i", "j + 300", "'a'", "'b'");
  /* 50 rows a side: (bins - 1)(1/50 + 1/50) is far above 0.05 */
  const lr__jnode *run = drift_of(
      (lr_drift_spec){.reference = W("2024-01-01T00:00:00Z",
                                     "2024-01-01T00:49:00Z"),
                      .current = W("2024-01-07T22:40:00Z",
                                   "2024-01-07T23:29:00Z")}, 0);
  cr_assert_str_eq(text(score(run, "x"), "status"), "insufficient");
  cr_assert_eq(num(score(run, "x"), "reference_values"), 50);
  cr_assert_eq(num(score(run, "x"), "current_values"), 50);
  /* city: 2 bins used, (1)(0.04) <= 0.05: scored */
  cr_assert_str_eq(text(score(run, "city"), "status"), "alert");
}

Test(stats, st011_wasserstein_by_hand) {
  apply(DEFS);
  two_samples("i % 100", "2 * (j % 100)", "'a'", "'a'");
  const lr__jnode *run = drift_of((lr_drift_spec){.reference = REF,
                                                  .current = CUR,
                                                  .method = "wasserstein"},
                                  LR_STATS_EXACT);
  /* quantiles Q(u) = 99u against 198u: W = integral of 99u = 49.5; the
   * reference 0..99 ten times: stddev sqrt(sum (k - 49.5)^2 * 10 / 999) */
  double ss = 0;
  for (int k = 0; k < 100; k++)
    ss += (k - 49.5) * (k - 49.5) * 10;
  cr_assert_float_eq(num(score(run, "x"), "score"), 49.5 / sqrt(ss / 999),
                     1e-9);
}

Test(stats, st012_ks_small_samples) {
  apply(DEFS);
  two_samples("i % 100", "j % 100 + 50", "'a'", "'a'");
  lr_drift_spec spec = {.reference = REF, .current = CUR, .method = "ks"};
  const lr__jnode *x = score(drift_of(spec, 0), "x");
  cr_assert_float_eq(num(x, "score"), 0.5, 1e-12); /* half the mass moved */
  /* en = sqrt(1000 * 1000 / 2000); Q((en + 0.12 + 0.11 / en) 0.5) */
  double en = sqrt(500.0), lambda = (en + 0.12 + 0.11 / en) * 0.5, q = 0;
  for (int j = 1; j <= 100; j++)
    q += (j % 2 ? 2 : -2) * exp(-2.0 * j * j * lambda * lambda);
  cr_assert_float_eq(num(x, "p_value"), q, 1e-15);
  cr_assert_str_eq(text(x, "status"), "alert");
  /* more than 5000 values: refused */
  rows(6000, "i", "1", "'a'");
  char *report = NULL;
  spec = (lr_drift_spec){.view = "v", .reference = ALL, .current = ALL,
                         .method = "ks"};
  cr_assert_eq(lr_drift(g_off, &spec, 0, &report), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "ks compares every value, at most 5000 a side, and "
                   "feature 'x' has 6000 in the reference: use a shorter "
                   "range, or --method psi");
}

Test(stats, st013_training_file_reference) {
  apply(DEFS);
  two_samples("i % 10", "j % 10", "'a'", "'a'");
  /* a training set as `larder historical --full-feature-names` writes */
  fixture_sql("COPY (SELECT i AS user_id, (i %% 10)::DOUBLE AS v__x, "
              "1::BIGINT AS v__n, 'a' AS v__city, true AS v__ok, "
              "NULL::FLOAT[] AS v__emb, NULL::TIMESTAMPTZ AS v__seen, "
              "TIMESTAMPTZ '2024-01-01' AS event_timestamp FROM range(1000) "
              "t(i)) TO '%s/train.parquet' (FORMAT PARQUET)", g_work);
  const lr__jnode *run = drift_of((lr_drift_spec){
      .reference_file = "train.parquet", .current = CUR}, 0);
  cr_assert_float_eq(num(score(run, "x"), "score"), 0, 1e-12);
  cr_assert_str_eq(text(run, "reference"), "file train.parquet");
  fixture_sql("COPY (SELECT 1 AS v__x) TO '%s/bad.parquet' (FORMAT PARQUET)",
              g_work);
  lr_drift_spec spec = {.view = "v", .reference_file = "bad.parquet",
                        .current = CUR};
  char *report = NULL;
  cr_assert_eq(lr_drift(g_off, &spec, 0, &report), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "the training file bad.parquet has no column 'n' or "
                   "'v__n' for feature 'n' of view 'v': write it with "
                   "`larder historical` asking for v:n");
}

/* Asserts that lr_drift(spec) fails with `rc` and exactly `message`. */
static void drift_fails(lr_drift_spec spec, int rc, const char *message) {
  char *report = NULL;
  cr_assert_eq(lr_drift(g_off, &spec, 0, &report), rc, "%s",
               lr_offline_errmsg(g_off));
  cr_assert_null(report);
  cr_assert_str_eq(lr_offline_errmsg(g_off), message);
}

Test(stats, st014_errors_say_what_where_and_how_to_fix) {
  apply(DEFS);
  two_samples("i", "j", "'a'", "'a'");
  drift_fails((lr_drift_spec){.view = "w", .reference = REF, .current = CUR},
              LR_ENOTFOUND, "unknown feature view 'w': `larder ls "
              "feature-views` lists them");
  char missing[2048];
  snprintf(missing, sizeof missing, "feature view 'v' has no saved profile "
           "'base' (no %s/data/profiles/v/base.json): save one with `larder "
           "stats v --save base`", g_repo);
  drift_fails((lr_drift_spec){.view = "v", .reference_profile = "base",
                              .current = CUR}, LR_ENOTFOUND, missing);
  drift_fails((lr_drift_spec){.view = "v", .reference = REF,
                              .current = W("2025-01-01", "2025-02-01")},
              LR_EINVAL, "feature view 'v' has no rows with event times in "
              "--current 2025-01-01T00:00:00Z..2025-02-01T00:00:00Z: pick a "
              "range that holds rows (`larder stats v` shows its event-time "
              "range)");
  drift_fails((lr_drift_spec){.view = "v", .reference_file = "nope.parquet",
                              .current = CUR},
              LR_ENOTFOUND, "cannot read the training file nope.parquet "
              "(relative to the current folder): give a .parquet or .csv "
              "file that `larder historical` wrote");
  drift_fails((lr_drift_spec){.view = "v", .reference = REF, .current = CUR,
                              .method = "chi2"},
              LR_EINVAL, "unknown drift method 'chi2': use psi, js, "
              "wasserstein or ks");
  stats_of(ALL, 0, "base");
  drift_fails((lr_drift_spec){.view = "v", .reference_profile = "base",
                              .current = CUR, .method = "ks"},
              LR_EINVAL, "ks compares every value, and a saved profile keeps "
              "only bins: give the reference as START..END or a training "
              "file, or use --method psi");
  drift_fails((lr_drift_spec){.view = "v", .reference = REF, .current = CUR,
                              .save = "../x"},
              LR_EINVAL, "'../x' is not a drift run name: start with a "
              "letter or digit, then letters, digits, '_', '-' or '.'");
  apply("entities:\n"
        "  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n"
        "  - {name: src, kind: file, path: data/s.parquet, "
        "timestamp_field: ts}\n"
        "feature_views:\n"
        "  - name: v\n    entities: [user]\n    source: src\n"
        "    schema:\n      - {name: city, dtype: string}\n");
  drift_fails((lr_drift_spec){.view = "v", .reference = REF, .current = CUR,
                              .method = "wasserstein"},
              LR_EINVAL, "wasserstein compares numbers (int32, int64, "
              "float32, float64), and feature view 'v' has no such feature: "
              "use --method psi or js");
}

/* ---- /metrics ---------------------------------------------------------- */

/* /metrics of a server started on the repo. */
static char *scrape(void) {
  int out, port;
  pid_t pid = th_serve(g_repo, NULL, &out, &port);
  th_track_child(pid);
  static char body[1 << 16];
  cr_assert_eq(th_http_get(port, "/metrics", body, sizeof body), 200);
  kill(pid, SIGTERM);
  cr_assert_eq(th_child_status(pid, 15000), 0);
  th_untrack_child(pid);
  close(out);
  return body;
}

Test(stats, st015_saved_drift_runs_on_metrics) {
  apply(DEFS);
  two_samples("i % 97", "j % 89", "'a'", "'b'");
  char *m = scrape();
  cr_assert(strstr(m, "# TYPE larder_drift_score gauge\n"), "%s", m);
  cr_assert_null(strstr(m, "larder_drift_score{"), "no run saved:\n%s", m);
  const lr__jnode *old = drift_of((lr_drift_spec){.reference = REF,
                                                  .current = CUR,
                                                  .save = "a"}, 0);
  const lr__jnode *js = drift_of((lr_drift_spec){.reference = REF,
                                                 .current = CUR,
                                                 .method = "js",
                                                 .save = "b"}, 0);
  /* the latest psi run wins: a later one of another name */
  const lr__jnode *psi = drift_of((lr_drift_spec){
      .reference = W("2024-01-01T00:00:00Z", "2024-01-01T12:00:00Z"),
      .current = CUR, .save = "c"}, 0);
  cr_assert_neq(num(score(old, "x"), "score"), num(score(psi, "x"), "score"));
  m = scrape();
  char want[512];
  static const char *const features[] = {"x", "city"};
  for (int f = 0; f < 2; f++) {
    snprintf(want, sizeof want, "\nlarder_drift_score{view=\"v\",feature="
             "\"%s\",method=\"psi\"} %s\n", features[f],
             lr__json_get(score(psi, features[f]), "score")->text);
    cr_assert(strstr(m, want), "no %s in:\n%s", want + 1, m);
    snprintf(want, sizeof want, "\nlarder_drift_score{view=\"v\",feature="
             "\"%s\",method=\"js\"} %s\n", features[f],
             lr__json_get(score(js, features[f]), "score")->text);
    cr_assert(strstr(m, want), "no %s in:\n%s", want + 1, m);
  }
  /* skipped features have no line */
  cr_assert_null(strstr(m, "feature=\"emb\""), "%s", m);
}

/* Writes x = `x` at 2024-06-01 for users 0..n-1 of view v, online only
 * (the other features null). */
static void write_online_x(int n, double x) {
  lr_store *st = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &st), 0);
  lr_value *uid = th_keep(calloc((size_t)n, sizeof *uid));
  lr_value *ev = th_keep(calloc((size_t)n, sizeof *ev));
  lr_value *xs = th_keep(calloc((size_t)n, sizeof *xs));
  lr_value *none = th_keep(calloc((size_t)n, sizeof *none));
  for (int i = 0; i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP,
                       .v.ts = T("2024-06-01T00:00:00Z")};
    xs[i] = (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = x};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"x", xs},
                      {"n", none},      {"city", none},         {"ok", none},
                      {"emb", none},    {"seen", none}};
  cr_assert_eq(lr_write_rows(st, "v", cols, 8, (size_t)n, NULL), 0, "%s",
               lr_store_errmsg(st));
  lr_store_close(st);
}

/* --current online: a sample of what the online store holds, scored
 * against the source. Right after a materialization of one row per user
 * the two are the same rows (psi 0); after an online-only write that
 * moves x they drift (alert), and the run says it compared "online". */
Test(stats, st017_current_online) {
  apply(DEFS);
  rows(2000, "i % 100", "1", "'a'");
  lr_materialize_spec m = {.start_us = T("2023-01-01T00:00:00Z"),
                           .end_us = T("2025-01-01T00:00:00Z")};
  cr_assert_eq(lr_materialize(g_off, &m, NULL), 0, "%s",
               lr_offline_errmsg(g_off));
  lr_drift_spec spec = {.reference = ALL, .current_online = 1, .seed = 7};
  const lr__jnode *run = drift_of(spec, LR_STATS_EXACT);
  cr_assert_str_eq(text(run, "current"), "online");
  cr_assert_float_eq(num(score(run, "x"), "score"), 0, 1e-12);
  cr_assert_str_eq(text(score(run, "x"), "status"), "ok");
  write_online_x(2000, 1000.0);
  run = drift_of(spec, LR_STATS_EXACT);
  cr_assert_gt(num(score(run, "x"), "score"), 0.25);
  cr_assert_str_eq(text(score(run, "x"), "status"), "alert");
  /* a sample smaller than the view: still drawn, still scored */
  spec.online_sample = 500;
  run = drift_of(spec, 0);
  cr_assert_str_eq(text(score(run, "x"), "status"), "alert");
}

/*
 * test_skew.c - training/serving skew (lr_skew) and the online sampler it
 * stands on (online/sample.h): no skew after a materialization; a push
 * that reached only the online store (different values, a new key); an
 * entity only offline; floats, strings, arrays, nulls and the equality
 * rule; the ttl on both sides; reproducible sampling; the sampler alone;
 * the errors, whole; skew while a writer in another process writes; a
 * saved run (the JSON report, whatever the report's mode).
 *
 * Each test has a fresh repo (offline_fixture.h): a CSV batch source
 * `events` behind push source `events_push`, read by the online view
 * `stats` (one feature of each type) through the push source. Reports
 * are asserted as JSON fragments (the counts of a feature), or whole
 * with their "as of" time cut out.
 */
#include <math.h>
#include <poll.h>
#include <sys/wait.h>

#include "helpers.h"
#include "larder.h"
#include "offline/skew.h"
#include "offline_fixture.h"
#include "online/introspect.h"
#include "online/sample.h"
#include "process.h"
#include "util/timefmt.h"

static void fini(void) {
  th_kill_children();
  teardown();
}

TestSuite(skew, .init = setup, .fini = fini, .timeout = 120);

/* ---- the repo ------------------------------------------------------------ */

#define SOURCES                                                              \
  TH_EVENTS_SOURCE "  - {name: events_push, kind: push, batch_source: events}\n"

#define STATS_SCHEMA                                                         \
  "    schema:\n"                                                            \
  "      - {name: clicks, dtype: int64}\n"                                   \
  "      - {name: label, dtype: string}\n"                                   \
  "      - {name: rate, dtype: float32}\n"                                   \
  "      - {name: score, dtype: float64}\n"                                  \
  "      - {name: emb, dtype: array<float32>}\n"                             \
  "      - {name: tags, dtype: array<string>}\n"                             \
  "      - {name: flag, dtype: bool}\n"

/* The view `stats` with ttl `ttl`, an offline-only view and an on-demand
 * view reading stats. */
#define DEFS_TTL(ttl)                                                        \
  SOURCES                                                                    \
  "request_sources:\n"                                                       \
  "  - name: req\n    schema:\n      - {name: bonus, dtype: int64}\n"        \
  "feature_views:\n"                                                         \
  "  - name: stats\n"                                                        \
  "    entities: [user]\n"                                                   \
  "    source: events_push\n"                                                \
  "    online: true\n"                                                       \
  "    ttl: " ttl "\n" STATS_SCHEMA                                          \
  "  - name: archive\n"                                                      \
  "    entities: [user]\n"                                                   \
  "    source: events\n"                                                     \
  "    online: false\n"                                                      \
  "    schema:\n"                                                            \
  "      - {name: clicks, dtype: int64}\n"                                   \
  "on_demand_feature_views:\n"                                               \
  "  - name: boosted\n    sources: [stats, req]\n    schema:\n"              \
  "      - {name: more, dtype: int64, expr: \"clicks + bonus\"}\n"

static const char defs[] = DEFS_TTL("0s");

#define HEADER "user_id,ts,created,clicks,label,rate,score,emb,tags,flag\n"

/* Users 1..3 on 2024-01-01 and user 4 on 2024-01-03; user 1 also has an
 * older row. Arrays as DuckDB list text. */
static const char events[] =
    HEADER
    "1,2023-12-01T00:00:00Z,2023-12-01T00:00:00Z,1,old,0.5,0.5,,,false\n"
    "1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,10,one,0.1,0.1,"
    "\"[0.1, 0.2]\",\"[a, b]\",true\n"
    "2,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,20,,0.2,nan,,\"[]\",\n"
    "3,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,30,three,0.3,-0.0,"
    "\"[nan]\",,false\n"
    "4,2024-01-03T00:00:00Z,2024-01-03T00:00:00Z,40,four,0.4,0.4,,,true\n";

static void apply_events(const char *definitions, const char *rows) {
  th_write(g_repo, "data/events.csv", rows);
  apply(definitions);
}

static long long T(const char *iso) {
  long long us;
  cr_assert_eq(lr_parse_time(iso, 0, &us), 0, "bad time %s", iso);
  return us;
}

static void materialize(const char *start, const char *end) {
  lr_materialize_spec spec = {.start_us = T(start), .end_us = T(end)};
  int rc = lr_materialize(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s: %s", lr_err_name(rc), lr_offline_errmsg(g_off));
}

/* lr_skew of `view`; the report (kept until the test ends). */
static char *skew_of(const char *view, int sample, unsigned long long seed,
                     unsigned flags) {
  lr_skew_spec spec = {view, sample, seed, NULL};
  char *report = NULL;
  int rc = lr_skew(g_off, &spec, flags, &report);
  cr_assert_eq(rc, 0, "%s: %s", lr_err_name(rc), lr_offline_errmsg(g_off));
  return th_keep(report);
}

static char *skew_json(void) { return skew_of("stats", 0, 1, LR_FORMAT_JSON); }

/* The counts of feature `name` in a JSON report, as the report writes
 * them. */
static void assert_counts(const char *json, const char *name, int equal,
                          int different, int missing_online,
                          int missing_offline, int missing_both) {
  char want[512];
  snprintf(want, sizeof want, "{\"name\": \"%s\", ", name);
  const char *at = strstr(json, want);
  cr_assert(at, "no feature %s in %s", name, json);
  const char *counts = strstr(at, "\"equal\"");
  snprintf(want, sizeof want, "\"equal\": %d, \"different\": %d, "
           "\"missing_online\": %d, \"missing_offline\": %d, "
           "\"missing_both\": %d, ", equal, different, missing_online,
           missing_offline, missing_both);
  cr_assert(counts && !strncmp(counts, want, strlen(want)),
            "feature %s: want %s in %s", name, want, json);
}

static void assert_has(const char *text, const char *want) {
  cr_assert(strstr(text, want), "want %s in %s", want, text);
}

/* The report without its "as of TIME" (which changes each run). */
static char *without_time(const char *report) {
  char *copy = th_keep(strdup(report));
  char *at = strstr(copy, " as of ");
  char *end = at ? strstr(at, " (seed") : NULL;
  cr_assert(at && end, "no time in %s", report);
  memmove(at, end, strlen(end) + 1);
  return copy;
}

static const char *const all_features[] = {"clicks", "label", "rate", "score",
                                           "emb", "tags", "flag"};

/* ---- no skew ------------------------------------------------------------- */

Test(skew, sk001_no_skew_right_after_materialize) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  const char *json = skew_json();
  for (int f = 0; f < 7; f++)
    assert_counts(json, all_features[f], 4, 0, 0, 0, 0);
  assert_has(json, "\"seed\": 1, \"entities\": 4, \"sampled_online\": 4, "
                   "\"sampled_offline\": 4, \"online_version\": \"1.1\", "
                   "\"online_rows\": 4, \"offline_rows\": 4, ");
  assert_has(json, "\"shares\": {\"equal\": 1, \"different\": 0, "
                   "\"missing_online\": 0, \"missing_offline\": 0, "
                   "\"missing_both\": 0}, \"examples\": []}");
}

Test(skew, sk002_text_report_whole) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
  const char *text = without_time(skew_of("stats", 8, 7, 0));
  const char *counts = "equal 3 (75.0%), different 0 (0.0%), missing online "
                       "1 (25.0%), missing offline 0 (0.0%), missing both 0 "
                       "(0.0%)\n";
  const char *missing = "  missing online: user_id=4: online no row; "
                        "offline ";
  char want[4096];
  snprintf(want, sizeof want,
           "Skew of feature view 'stats' (seed 7): 4 entities, 3 sampled "
           "from the online store (version 1.1), 4 from the offline source; "
           "the online store serves 3 of them, the offline source 4.\n"
           "clicks (int64): %s%s40 at 2024-01-03T00:00:00Z\n"
           "label (string): %s%s\"four\" at 2024-01-03T00:00:00Z\n"
           "rate (float32): %s%s0.4 at 2024-01-03T00:00:00Z\n"
           "score (float64): %s%s0.4 at 2024-01-03T00:00:00Z\n"
           "emb (array<float32>): %s%snull at 2024-01-03T00:00:00Z\n"
           "tags (array<string>): %s%snull at 2024-01-03T00:00:00Z\n"
           "flag (bool): %s%strue at 2024-01-03T00:00:00Z\n",
           counts, missing, counts, missing, counts, missing, counts, missing,
           counts, missing, counts, missing, counts, missing);
  cr_assert_str_eq(text, want);
}

/* ---- a push that reached only the online store --------------------------- */

static lr_value I64(long long v) {
  return (lr_value){.type = LR_TYPE_INT64, .v.i64 = v};
}
static lr_value STR(const char *s) {
  return (lr_value){.type = LR_TYPE_STRING, .v.str = {s, strlen(s)}};
}
static lr_value F32(float v) {
  return (lr_value){.type = LR_TYPE_FLOAT32, .v.f32 = v};
}
static lr_value F64(double v) {
  return (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = v};
}
static lr_value TSV(const char *iso) {
  return (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = T(iso)};
}
static lr_value NUL(void) { return (lr_value){.type = LR_TYPE_NULL}; }

/* One row of stats for user `user` at `when` with the given clicks,
 * label, rate and score (emb, tags and flag null), through `push` (1:
 * push to online; 0: lr_write_rows). */
static void put_row(int push, long long user, const char *when,
                    lr_value clicks, lr_value label, lr_value rate,
                    lr_value score) {
  lr_value uid[] = {I64(user)}, ts[] = {TSV(when)};
  lr_value c[] = {clicks}, l[] = {label}, r[] = {rate}, s[] = {score};
  lr_value none[] = {NUL()};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", c},    {"label", l},
                      {"rate", r},      {"score", s},
                      {"emb", none},    {"tags", none},
                      {"flag", none}};
  int rc;
  if (push) {
    rc = lr_push(g_off, "events_push", LR_PUSH_ONLINE, cols, 9, 1, NULL);
    cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
    return;
  }
  lr_store *store;
  rc = lr_store_open(g_repo, LR_STORE_READWRITE, &store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  rc = lr_write_rows(store, "stats", cols, 9, 1, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  lr_store_close(store);
}

Test(skew, sk003_push_online_only_new_values_and_a_new_key) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  put_row(1, 1, "2024-01-05T00:00:00Z", I64(11), STR("one"), F32(0.1f),
          F64(0.1));
  put_row(1, 9, "2024-01-05T00:00:00Z", I64(90), STR("nine"), F32(0.9f),
          F64(0.9));
  const char *json = skew_json();
  assert_counts(json, "clicks", 3, 1, 0, 1, 0);
  assert_counts(json, "label", 4, 0, 0, 1, 0);  /* the same label pushed */
  assert_counts(json, "emb", 3, 1, 0, 1, 0);    /* pushed null, was a list */
  assert_has(json, "{\"kind\": \"different\", \"key\": {\"user_id\": 1}, "
                   "\"online\": {\"status\": \"PRESENT\", \"value\": 11, "
                   "\"event_timestamp\": \"2024-01-05T00:00:00Z\"}, "
                   "\"offline\": {\"status\": \"PRESENT\", \"value\": 10, "
                   "\"event_timestamp\": \"2024-01-01T00:00:00Z\"}}, "
                   "{\"kind\": \"missing_offline\", \"key\": {\"user_id\": "
                   "9}, \"online\": {\"status\": \"PRESENT\", \"value\": 90, "
                   "\"event_timestamp\": \"2024-01-05T00:00:00Z\"}, "
                   "\"offline\": {\"status\": \"NOT_FOUND\"}}]}");
  assert_has(json, "{\"kind\": \"different\", \"key\": {\"user_id\": 1}, "
                   "\"online\": {\"status\": \"NULL_VALUE\", "
                   "\"event_timestamp\": \"2024-01-05T00:00:00Z\"}, "
                   "\"offline\": {\"status\": \"PRESENT\", \"value\": [0.1, "
                   "0.2], \"event_timestamp\": \"2024-01-01T00:00:00Z\"}}");
  assert_has(json, "\"entities\": 5, \"sampled_online\": 5, "
                   "\"sampled_offline\": 4, \"online_version\": \"1.3\", "
                   "\"online_rows\": 5, \"offline_rows\": 4, ");
}

Test(skew, sk017_a_saved_run_is_the_json_report) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  put_row(1, 1, "2024-01-05T00:00:00Z", I64(11), STR("one"), F32(0.1f),
          F64(0.1));
  lr_skew_spec spec = {"stats", 0, 1, "run1"};
  char *text = NULL;
  int rc = lr_skew(g_off, &spec, 0, &text);
  cr_assert_eq(rc, 0, "%s: %s", lr_err_name(rc), lr_offline_errmsg(g_off));
  th_keep(text);
  assert_has(text, "clicks (int64): equal 3 (75.0%), different 1 (25.0%)");
  char *saved = th_keep(th_read(g_repo, "data/skew/stats/run1.json"));
  const char *json = skew_json(); /* the same seed: the same entities */
  char *a = strstr(saved, "\"as_of\""), *b = strstr(json, "\"as_of\"");
  cr_assert(a && b, "%s", saved);
  cr_assert_str_eq(strstr(a, ", \"seed\""), strstr(b, ", \"seed\""),
                   "the saved run of a text report is the JSON report, "
                   "examples included");
  assert_has(saved, "{\"kind\": \"different\", \"key\": {\"user_id\": "
                    "1}, ");
  spec.save = "../x";
  rc = lr_skew(g_off, &spec, 0, &text);
  cr_assert_eq(rc, LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "'../x' is not a skew run name: start with a letter or "
                   "digit, then letters, digits, '_', '-' or '.'");
}

Test(skew, sk004_the_same_push_offline_too_removes_the_skew) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  lr_value uid[] = {I64(9)}, ts[] = {TSV("2024-01-05T00:00:00Z")};
  lr_value c[] = {I64(90)}, none[] = {NUL()};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", c},    {"label", none},
                      {"rate", none},   {"score", none},
                      {"emb", none},    {"tags", none},
                      {"flag", none}};
  int rc = lr_push(g_off, "events_push", LR_PUSH_ONLINE_AND_OFFLINE, cols, 9,
                   1, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char sql[2048];
  lr__buf rows, err;
  lr__buf_init(&rows);
  lr__buf_init(&err);
  snprintf(sql, sizeof sql, "SELECT user_id, clicks FROM read_parquet('%s/"
           "data/pushed/events_push/*.parquet')", g_repo);
  cr_assert_eq(lr__duckdb_run(db(), sql, 2, &rows, &err), 0, "%s",
               lr__buf_str(&err));
  cr_assert_str_eq(lr__buf_str(&rows), "9\t90\n"); /* it reached offline */
  lr__buf_free(&rows);
  lr__buf_free(&err);
  const char *json = skew_json();
  for (int f = 0; f < 7; f++)
    assert_counts(json, all_features[f], 5, 0, 0, 0, 0);
}

/* ---- an entity only offline ---------------------------------------------- */

Test(skew, sk005_rows_after_the_materialized_end_are_missing_online) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
  const char *json = skew_json();
  assert_counts(json, "clicks", 3, 0, 1, 0, 0);
  assert_has(json, "{\"kind\": \"missing_online\", \"key\": {\"user_id\": "
                   "4}, \"online\": {\"status\": \"NOT_FOUND\"}, \"offline\": "
                   "{\"status\": \"PRESENT\", \"value\": 40, "
                   "\"event_timestamp\": \"2024-01-03T00:00:00Z\"}}");
}

Test(skew, sk006_a_newer_row_offline_is_different) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  th_write(g_repo, "data/events.csv",
           HEADER "1,2024-01-06T00:00:00Z,2024-01-06T00:00:00Z,12,one,0.1,"
                  "0.1,\"[0.1, 0.2]\",\"[a, b]\",true\n");
  const char *json = skew_json();
  /* user 1's new row differs in clicks only; the others left the source */
  assert_counts(json, "clicks", 0, 1, 0, 3, 0);
  assert_counts(json, "label", 1, 0, 0, 3, 0);
  assert_counts(json, "tags", 1, 0, 0, 3, 0);
}

/* ---- floats, strings, arrays, nulls -------------------------------------- */

Test(skew, sk007_equality_rule_of_floats_strings_and_arrays) {
  lr_value a = F32(NAN), b = F32(-NAN);
  cr_assert(lr__skew_values_equal(&a, &b), "NaN equals NaN");
  a = F64(0.0), b = F64(-0.0);
  cr_assert(!lr__skew_values_equal(&a, &b), "0 and -0 differ in their bits");
  a = F32(0.1f), b = F32(nextafterf(0.1f, 1));
  cr_assert(!lr__skew_values_equal(&a, &b), "one ulp apart");
  a = F64(0.1), b = F64(0.1);
  cr_assert(lr__skew_values_equal(&a, &b));
  char ab[] = "ab"; /* the same bytes elsewhere */
  a = STR("ab"), b = STR(ab);
  cr_assert(lr__skew_values_equal(&a, &b));
  b = STR("abc");
  cr_assert(!lr__skew_values_equal(&a, &b));
  float x[] = {1, NAN}, y[] = {1, NAN}, z[] = {1};
  lr_value ax = {.type = LR_TYPE_ARRAY | LR_TYPE_FLOAT32, .v.array = {x, 2}};
  lr_value ay = {.type = LR_TYPE_ARRAY | LR_TYPE_FLOAT32, .v.array = {y, 2}};
  lr_value az = {.type = LR_TYPE_ARRAY | LR_TYPE_FLOAT32, .v.array = {z, 1}};
  cr_assert(lr__skew_values_equal(&ax, &ay));
  cr_assert(!lr__skew_values_equal(&ax, &az));
  lr_str s1[] = {{"a", 1}, {"b", 1}}, s2[] = {{"a", 1}, {"c", 1}};
  lr_value as1 = {.type = LR_TYPE_ARRAY | LR_TYPE_STRING, .v.array = {s1, 2}};
  lr_value as2 = {.type = LR_TYPE_ARRAY | LR_TYPE_STRING, .v.array = {s2, 2}};
  cr_assert(lr__skew_values_equal(&as1, &as1));
  cr_assert(!lr__skew_values_equal(&as1, &as2));
}

Test(skew, sk008_written_floats_and_nulls_against_the_source) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  /* written a second later (emb, tags and flag null): user 1 a float32
   * one ulp off, the float64 as loaded; user 2 (score NaN offline) a NaN
   * of another sign and a label where offline has null; user 3 (score
   * -0.0) +0.0 and a null label */
  put_row(0, 1, "2024-01-01T00:00:01Z", I64(10), STR("one"),
          F32(nextafterf(0.1f, 1)), F64(0.1));
  put_row(0, 2, "2024-01-01T00:00:01Z", I64(20), STR("two"), F32(0.2f),
          F64(-NAN));
  put_row(0, 3, "2024-01-01T00:00:01Z", I64(30), NUL(), F32(0.3f), F64(0.0));
  const char *json = skew_json();
  assert_counts(json, "rate", 3, 1, 0, 0, 0);
  assert_counts(json, "score", 3, 1, 0, 0, 0); /* -0.0 against 0.0 */
  assert_counts(json, "label", 2, 2, 0, 0, 0); /* null against a value */
  assert_has(json, "{\"kind\": \"different\", \"key\": {\"user_id\": 2}, "
                   "\"online\": {\"status\": \"PRESENT\", \"value\": \"two\", "
                   "\"event_timestamp\": \"2024-01-01T00:00:01Z\"}, "
                   "\"offline\": {\"status\": \"NULL_VALUE\", "
                   "\"event_timestamp\": \"2024-01-01T00:00:00Z\"}}");
  assert_has(json, "\"online\": {\"status\": \"PRESENT\", \"value\": 0, "
                   "\"event_timestamp\": \"2024-01-01T00:00:01Z\"}, "
                   "\"offline\": {\"status\": \"PRESENT\", \"value\": -0, ");
  assert_counts(json, "emb", 2, 2, 0, 0, 0);  /* null against a list */
  assert_counts(json, "tags", 2, 2, 0, 0, 0); /* ... and an empty one */
  assert_counts(json, "flag", 2, 2, 0, 0, 0);
}

/* ---- the ttl ------------------------------------------------------------- */

Test(skew, sk009_rows_older_than_the_ttl_are_missing_on_both_sides) {
  char rows[1024], old[40], recent[40];
  long long now = lr__time_now_us();
  lr__time_format(now - 7200 * 1000000LL, old);   /* 2 h ago */
  lr__time_format(now - 600 * 1000000LL, recent); /* 10 min ago */
  snprintf(rows, sizeof rows,
           HEADER "1,%s,%s,10,a,0.1,0.1,,,true\n"
                  "2,%s,%s,20,b,0.2,0.2,,,true\n"
                  "3,%s,%s,30,c,0.3,0.3,,,true\n",
           old, old, recent, recent, old, old);
  apply_events(DEFS_TTL("1h"), rows);
  char end[40];
  lr__time_format(now - 3600 * 1000000LL, end);
  /* users 1 and 3 (2 h old) loaded; user 3 again, recently, online only */
  lr_materialize_spec spec = {.start_us = now - 86400 * 1000000LL,
                              .end_us = now - 3600 * 1000000LL};
  cr_assert_eq(lr_materialize(g_off, &spec, NULL), 0, "%s",
               lr_offline_errmsg(g_off));
  put_row(1, 3, recent, I64(31), STR("c"), F32(0.3f), F64(0.3));
  const char *json = skew_json();
  /* 1: withheld online, none offline within the ttl; 2: offline only;
   * 3: served online, none offline within the ttl */
  assert_counts(json, "clicks", 0, 0, 1, 1, 1);
  assert_has(json, "\"online_rows\": 1, \"offline_rows\": 1, ");
  assert_has(json, "{\"kind\": \"missing_online\", \"key\": {\"user_id\": "
                   "2}, \"online\": {\"status\": \"NOT_FOUND\"}, ");
}

/* ---- sampling ------------------------------------------------------------ */

/* n users 1..n on 2024-01-01, user u with clicks u. */
static void many_events(int n) {
  lr__buf rows;
  lr__buf_init(&rows);
  lr__buf_puts(&rows, HEADER);
  for (int u = 1; u <= n; u++)
    lr__buf_printf(&rows, "%d,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,%d,"
                   "x,0.5,0.5,,,true\n", u, u);
  th_write(g_repo, "data/events.csv", lr__buf_str(&rows));
  lr__buf_free(&rows);
}

Test(skew, sk010_the_same_seed_samples_the_same_entities) {
  many_events(300);
  apply(defs);
  /* users 1..300 offline and materialized; 1151..1300 online only */
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  for (int u = 151; u <= 300; u++)
    put_row(0, u + 1000, "2024-01-01T00:00:00Z", I64(u), STR("x"), F32(0.5f),
            F64(0.5));
  const char *a = without_time(skew_of("stats", 40, 5, 0));
  const char *b = without_time(skew_of("stats", 40, 5, 0));
  const char *c = without_time(skew_of("stats", 40, 6, 0));
  cr_assert_str_eq(a, b);
  cr_assert_str_neq(a, c);
  assert_has(a, " sampled from the online store (version 1.151), 20 from the "
                "offline source;");
  assert_has(a, "(seed 5): ");
  assert_has(a, " entities, 20 sampled from the online store");
}

/* Samples `max` rows of stats with `seed`; the sample (freed by the
 * caller with lr__sample_free). */
static lr__sample sample_of(lr_store *store, size_t max, uint64_t seed) {
  lr__sample s;
  int rc = lr__sample_view(store, "stats", max, seed, &s);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  return s;
}

static lr_store *open_store(void) {
  lr_store *store;
  int rc = lr_store_open(g_repo, LR_STORE_READONLY, &store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  return store;
}

Test(skew, sk011_sampler_returns_a_small_view_whole_in_key_order) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  lr_store *store = open_store();
  lr__sample s = sample_of(store, 100, 3);
  cr_assert_eq(s.n_rows, 4);
  cr_assert_eq(s.n_scanned, 4);
  cr_assert_eq(s.n_keys, 1);
  cr_assert_str_eq(s.key_names[0], "user_id");
  for (size_t r = 0; r < 4; r++) {
    cr_assert_eq(s.keys[r].v.i64, (long long)r + 1);
    cr_assert_eq(s.stored[r], 1);
    const lr_value *clicks = &s.values[r * 7];
    cr_assert_eq(clicks->status, LR_STATUS_PRESENT);
    cr_assert_eq(clicks->v.i64, 10 * ((long long)r + 1));
  }
  const lr_value *label2 = &s.values[1 * 7 + 1], *tags1 = &s.values[5];
  cr_assert_eq(label2->status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(tags1->v.array.n, 2);
  cr_assert_eq(((const lr_str *)tags1->v.array.data)[1].len, 1);
  cr_assert_eq(((const lr_str *)tags1->v.array.data)[1].ptr[0], 'b');
  const lr_value *emb1 = &s.values[4];
  cr_assert_eq(((const float *)emb1->v.array.data)[1], 0.2f);
  cr_assert_eq(s.event_us[3], T("2024-01-03T00:00:00Z"));
  cr_assert_eq(s.created_us[3], T("2024-01-03T00:00:00Z"));
  cr_assert_eq(s.version.seq, 1);
  lr__sample_free(&s);
  lr_store_close(store);
}

Test(skew, sk012_sampler_reaches_every_row_about_evenly) {
  many_events(5);
  apply(defs);
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  lr_store *store = open_store();
  int seen[6] = {0};
  for (uint64_t seed = 0; seed < 1000; seed++) {
    lr__sample s = sample_of(store, 1, seed);
    cr_assert_eq(s.n_rows, 1);
    seen[s.keys[0].v.i64]++;
    lr__sample_free(&s);
  }
  for (int u = 1; u <= 5; u++) /* 200 expected; 120..280 is > 6 sigma */
    cr_assert(seen[u] >= 120 && seen[u] <= 280, "user %d drawn %d times "
              "of 1000", u, seen[u]);
  lr__sample two = sample_of(store, 2, 42), again = sample_of(store, 2, 42);
  cr_assert_eq(two.n_rows, 2);
  cr_assert_lt(two.keys[0].v.i64, two.keys[1].v.i64);
  cr_assert_eq(two.keys[0].v.i64, again.keys[0].v.i64);
  cr_assert_eq(two.keys[1].v.i64, again.keys[1].v.i64);
  lr__sample_free(&two);
  lr__sample_free(&again);
  lr_store_close(store);
}

Test(skew, sk013_reading_given_keys_marks_the_absent_ones) {
  apply_events(defs, events);
  materialize("2023-01-01T00:00:00Z", "2024-01-02T00:00:00Z");
  lr_store *store = open_store();
  lr_value keys[] = {I64(4), I64(2)};
  lr__sample s;
  int rc = lr__sample_read_keys(store, "stats", keys, 2, &s);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  cr_assert_eq(s.n_rows, 2);
  cr_assert(!s.stored[0] && s.stored[1]);
  cr_assert_eq(s.keys[0].v.i64, 4);
  cr_assert_eq(s.values[0].status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(s.values[7].v.i64, 20);
  lr__sample_free(&s);
  lr_value bad[] = {STR("x")};
  rc = lr__sample_read_keys(store, "stats", bad, 1, &s);
  cr_assert_eq(rc, LR_ETYPE);
  lr__sample_free(&s);
  cr_assert_str_eq(lr_store_errmsg(store), "entity 1: key 'user_id' must "
                   "be int64, got string");
  lr__sample_free(&s);
  rc = lr__sample_view(store, "archive", 1, 0, &s);
  cr_assert_eq(rc, LR_EINVAL);
  char want[2048];
  snprintf(want, sizeof want, "cannot sample 'archive' from the online store "
           "at %s/data/online: it keeps no rows online (an "
           "offline-only or on-demand view)", g_repo);
  cr_assert_str_eq(lr_store_errmsg(store), want);
  lr__sample_free(&s);
  lr_store_close(store);
}

/* ---- keys of other types -------------------------------------------------- */

Test(skew, sk016_string_and_int32_keys_any_bytes) {
  th_write(g_repo, "data/events.csv",
           "city,hour,ts,n\n"
           "sf,1,2024-01-01T00:00:00Z,10\n"
           "\"l'a \"\"q\"\" é\",2,2024-01-01T00:00:00Z,20\n");
  apply("entities:\n"
        "  - {name: place, join_keys: [city], value_type: string}\n"
        "  - {name: slot, join_keys: [hour], value_type: int32}\n"
        "sources:\n"
        "  - {name: events, kind: file, path: data/events.csv, "
        "timestamp_field: ts}\n"
        "feature_views:\n"
        "  - name: busy\n    entities: [place, slot]\n    source: events\n"
        "    online: true\n    schema:\n      - {name: n, dtype: int64}\n");
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  lr_value city[] = {STR("new\001\n")}, hour[] = {{.type = LR_TYPE_INT32,
                                                 .v.i32 = -3}};
  lr_value ts[] = {TSV("2024-01-02T00:00:00Z")}, n[] = {I64(5)};
  lr_column cols[] = {{"city", city}, {"hour", hour},
                      {"event_timestamp", ts}, {"n", n}};
  lr_store *store;
  int rc = lr_store_open(g_repo, LR_STORE_READWRITE, &store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  rc = lr_write_rows(store, "busy", cols, 4, 1, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  lr_store_close(store);
  const char *text = without_time(skew_of("busy", 0, 2, 0));
  cr_assert_str_eq(text,
                   "Skew of feature view 'busy' (seed 2): 3 entities, 3 "
                   "sampled from the online store (version 1.2), 2 from the "
                   "offline source; the online store serves 3 of them, the "
                   "offline source 2.\n"
                   "n (int64): equal 2 (66.7%), different 0 (0.0%), missing "
                   "online 0 (0.0%), missing offline 1 (33.3%), missing both "
                   "0 (0.0%)\n"
                   "  missing offline: city=\"new\\u0001\\n\", hour=-3: "
                   "online 5 at 2024-01-02T00:00:00Z; offline no row\n");
}

/* ---- errors -------------------------------------------------------------- */

/* lr_skew of `view` fails with `want` and message `msg` (%s: the repo). */
static void assert_fails(const char *view, int sample, int want,
                         const char *msg) {
  lr_skew_spec spec = {view, sample, 0, NULL};
  char *report = (char *)"unset";
  int rc = lr_skew(g_off, &spec, 0, &report);
  cr_assert_eq(rc, want, "%s: %s", lr_err_name(rc), lr_offline_errmsg(g_off));
  cr_assert_null(report);
  char full[2048];
  snprintf(full, sizeof full, msg, g_repo);
  cr_assert_str_eq(lr_offline_errmsg(g_off), full);
}

Test(skew, sk014_errors_whole) {
  apply_events(defs, events);
  assert_fails("nope", 0, LR_ENOTFOUND,
               "no feature view 'nope' in the registry of %s: `larder ls "
               "feature-views` lists the views");
  assert_fails("boosted", 0, LR_EINVAL,
               "on-demand feature view 'boosted' (f.yaml:35:5): its features "
               "are computed from other views, with no source rows of their "
               "own to compare; run skew on the feature views it reads: "
               "stats");
  assert_fails("archive", 0, LR_EINVAL,
               "feature view 'archive' (f.yaml:28:5) is offline only "
               "(online: false): "
               "nothing is served to compare with its source; set `online: "
               "true`, apply and materialize it first");
  assert_fails("stats", 0, LR_ENOTFOUND,
               "feature view 'stats' has no rows in the online store at "
               "%s/data/online: nothing is served to compare with its "
               "source; load it with `larder materialize` (or write or push "
               "rows to it) first");
  assert_fails("stats", 100001, LR_EINVAL,
               "a skew sample of 100001 entities: give 1 to 100000 (0: the "
               "default, 1000)");
  assert_fails("stats", -1, LR_EINVAL,
               "a skew sample of -1 entities: give 1 to 100000 (0: the "
               "default, 1000)");
}

/* ---- another process writing --------------------------------------------- */

/* The child: writes stats rows for users 1..4 with clicks 1000 + round,
 * a newer event time each round, until `stop` has something to read;
 * exits with the rounds written (capped at 250) or 255 on a failure. */
static void writer_child(const char *repo, int stop) {
  lr_store *store;
  if (lr_store_open(repo, LR_STORE_READWRITE, &store))
    _exit(255);
  int rounds = 0;
  for (;; rounds++) {
    struct pollfd p = {stop, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 || rounds == 100000)
      break;
    lr_value uid[4], ts[4], clicks[4], none[4];
    for (int u = 0; u < 4; u++) {
      uid[u] = I64(u + 1);
      ts[u] = (lr_value){.type = LR_TYPE_TIMESTAMP,
                         .v.ts = T("2024-02-01T00:00:00Z") + rounds};
      clicks[u] = I64(1000 + rounds);
      none[u] = NUL();
    }
    lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                        {"clicks", clicks}, {"label", none},
                        {"rate", none},   {"score", none},
                        {"emb", none},    {"tags", none},
                        {"flag", none}};
    if (lr_write_rows(store, "stats", cols, 9, 4, NULL))
      _exit(255);
  }
  lr_store_close(store);
  _exit(rounds > 250 ? 250 : rounds);
}

Test(skew, sk015_skew_while_another_process_writes) {
  apply_events(defs, events);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  pid_t pid = th_fork_child(); /* before DuckDB starts its threads here */
  if (pid == 0) {
    close(stop[1]);
    writer_child(g_repo, stop[0]);
  }
  close(stop[0]);
  /* the writer's rows are newer: those of the load are kept or skipped */
  materialize("2023-01-01T00:00:00Z", "2024-02-01T00:00:00Z");
  for (int i = 0; i < 5; i++) { /* each run whole, whatever it caught */
    const char *json = skew_json();
    assert_has(json, "\"entities\": 4, ");
    for (int f = 0; f < 7; f++) {
      char want[128];
      snprintf(want, sizeof want, "{\"name\": \"%s\", ", all_features[f]);
      const char *at = strstr(json, want);
      unsigned eq, diff, mon, moff, mb;
      cr_assert(at && sscanf(strstr(at, "\"equal\""), "\"equal\": %u, "
                             "\"different\": %u, \"missing_online\": %u, "
                             "\"missing_offline\": %u, \"missing_both\": %u",
                             &eq, &diff, &mon, &moff, &mb) == 5, "%s", json);
      cr_assert_eq(eq + diff + mon + moff + mb, 4, "%s", json);
      cr_assert_eq(mon + moff + mb, 0, "%s", json);
    }
  }
  cr_assert_eq(write(stop[1], "x", 1), 1);
  close(stop[1]);
  int rounds = th_child_status(pid, 60000);
  cr_assert(rounds > 0 && rounds <= 250, "the writer exited with %d", rounds);
  /* the writer's last rows: every user's clicks differ from the source */
  assert_counts(skew_json(), "clicks", 0, 4, 0, 0, 0);
}

/*
 * test_push.c - pushes through a push source (lr_push, lr_push_file):
 * online, to the offline store, and to both; the offline files (one
 * Parquet file per push under the push source's folder, written to a
 * temporary name and renamed) and what training sets and materialization
 * read of them together with the batch source; the errors, whole.
 *
 * Each test has a fresh repo (offline_fixture.h): a CSV batch source
 * `events` behind push source `events_push`, read by the online view
 * `activity` through the push source. Training sets are written
 * as CSV and compared as text; online values are read back through a
 * lookup's text table.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "offline_fixture.h"

TestSuite(push, .init = setup, .fini = teardown, .timeout = 120);

/* ---- the repo ------------------------------------------------------------ */

#define DEFS_SOURCES                                                         \
  TH_EVENTS_SOURCE "    field_mapping: {n_clicks: clicks}\n"

#define DEFS_VIEW                                                            \
  "feature_views:\n"                                                         \
  "  - name: activity\n"                                                     \
  "    entities: [user]\n"                                                   \
  "    source: events_push\n"                                                \
  "    online: true\n"                                                       \
  "    schema:\n"                                                            \
  "      - {name: clicks, dtype: int64}\n"                                   \
  "      - {name: label, dtype: string}\n"                                   \
  "      - {name: emb, dtype: array<float32>}\n"

#define DEFS                                                                 \
  DEFS_SOURCES "  - {name: events_push, kind: push, batch_source: events}\n"  \
      DEFS_VIEW

static const char defs[] = DEFS;

/* The batch source: users 1 and 2 on 2024-01-01. */
static void write_events(void) {
  th_write(g_repo, "data/events.csv",
           "user_id,ts,created,n_clicks,label,emb\n"
           "1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,10,batch,\n"
           "2,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,20,batch,\n");
}

static void apply_events(const char *definitions) {
  write_events();
  apply(definitions);
}

/* ---- values -------------------------------------------------------------- */

static lr_value I64(long long v) {
  return (lr_value){.type = LR_TYPE_INT64, .v.i64 = v};
}
static lr_value TS(const char *iso) {
  long long us;
  cr_assert_eq(lr_parse_time(iso, 0, &us), 0, "bad time %s", iso);
  return (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = us};
}
static lr_value STR(const char *s) {
  return (lr_value){.type = LR_TYPE_STRING, .v.str = {s, strlen(s)}};
}
static lr_value NUL(void) { return (lr_value){.type = LR_TYPE_NULL}; }

static const float emb_1[] = {0.5f, 1.5f};

/* The two rows most tests push: user 1 a day after its batch row, and a
 * new user 3, at noon. */
static int push_two(unsigned to, lr_push_stats *st) {
  lr_value uid[] = {I64(1), I64(3)};
  lr_value ts[] = {TS("2024-01-02T00:00:00Z"), TS("2024-01-02T12:00:00Z")};
  lr_value clicks[] = {I64(11), I64(30)};
  lr_value label[] = {STR("pushed"), NUL()};
  lr_value emb[] = {{.type = LR_TYPE_ARRAY | LR_TYPE_FLOAT32,
                     .v.array = {emb_1, 2}},
                    NUL()};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", clicks}, {"label", label}, {"emb", emb}};
  return lr_push(g_off, "events_push", to, cols, 5, 2, st);
}

/* push_two, which must succeed with the counts `want`. */
static void push_two_counted(unsigned to, lr_push_stats want) {
  lr_push_stats st;
  int rc = push_two(to, &st);
  cr_assert_eq(rc, 0, "%s: %s", lr_err_name(rc), lr_offline_errmsg(g_off));
  cr_assert(st.views == want.views && st.rows_written == want.rows_written &&
                st.rows_skipped == want.rows_skipped &&
                st.offline_rows == want.offline_rows,
            "counts: %d views, %zu written, %zu skipped, %zu offline", st.views,
            st.rows_written, st.rows_skipped, st.offline_rows);
}

/* Pushes to the offline store one row for `user` on 2024-01-02 with
 * `clicks` (label and emb null) and float64 column `extra` = x. */
static int push_one(long long user, long long clicks, const char *extra,
                    double x) {
  lr_value uid[] = {I64(user)}, ts[] = {TS("2024-01-02T00:00:00Z")};
  lr_value n[] = {I64(clicks)}, label[] = {NUL()}, emb[] = {NUL()};
  lr_value more[] = {{.type = LR_TYPE_FLOAT64, .v.f64 = x}};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", n},    {"label", label},
                      {"emb", emb},     {extra, more}};
  return lr_push(g_off, "events_push", LR_PUSH_OFFLINE, cols, 6, 1, NULL);
}

/* Pushes one row through `source` going `to`: user 2, 21 clicks, on
 * 2024-01-02 (for views of one feature, clicks); lr_push's status. */
static int push_clicks_of_user_2(const char *source, unsigned to) {
  lr_value uid[] = {I64(2)}, ts[] = {TS("2024-01-02T00:00:00Z")};
  lr_value clicks[] = {I64(21)};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", clicks}};
  return lr_push(g_off, source, to, cols, 3, 1, NULL);
}

#define PUSH_OK(call)                                                        \
  do {                                                                       \
    int rc_ = (call);                                                        \
    cr_assert_eq(rc_, 0, "%s: %s", lr_err_name(rc_),                         \
                 lr_offline_errmsg(g_off));                                  \
  } while (0)

/* ---- reading back -------------------------------------------------------- */

/* Materializes every view over 2023-01-01..2024-01-03, which must
 * succeed; its counts. */
static lr_materialize_stats load_all(void) {
  lr_materialize_spec spec = {.start_us = TS("2023-01-01T00:00:00Z").v.ts,
                              .end_us = TS("2024-01-03T00:00:00Z").v.ts};
  lr_materialize_stats ms;
  cr_assert_eq(lr_materialize(g_off, &spec, &ms), 0, "%s",
               lr_offline_errmsg(g_off));
  return ms;
}

/* Splits "v:f,v:g" (copied into buf, 512 bytes) into refs (16 at most);
 * returns how many. */
static int split_refs(const char *text, char *buf, const char **refs) {
  int n = 0;
  snprintf(buf, 512, "%s", text);
  for (char *t = strtok(buf, ","); t && n < 16; t = strtok(NULL, ","))
    refs[n++] = t;
  return n;
}

/* The training set of the entity rows `entities` (CSV text) with
 * `features` ("v:f,..."), as CSV text (caller frees). */
static char *training(const char *entities, const char *features) {
  th_write(g_work, "entities.csv", entities);
  char buf[512];
  const char *refs[16];
  int n = split_refs(features, buf, refs);
  lr_historical_spec spec = {.entities_file = "entities.csv",
                             .features = refs, .n_features = n,
                             .output = "train.csv"};
  int rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  return th_read(g_work, "train.csv");
}

/* The online values of `refs` for users `ids` (n), as the text table of
 * lr_result_format (caller frees with lr_free). */
static char *online(const char *refs, const long long *ids, int n) {
  char buf[512];
  const char *r[16];
  int k = split_refs(refs, buf, r);
  lr_store *s = NULL;
  lr_request *req = NULL;
  lr_result *res = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(lr_request_prepare(s, r, k, &req), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(lr_result_create(req, n, &res), 0);
  lr_value keys[16];
  for (int i = 0; i < n; i++)
    keys[i] = I64(ids[i]);
  cr_assert_eq(lr_get_online_features(req, keys, n, res), 0, "%s",
               lr_result_errmsg(res));
  char *text = NULL;
  cr_assert_eq(lr_result_format(res, keys, 0, &text), 0);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  return text;
}

/* Fails unless the online values of `refs` for users `ids` (n) read as
 * the text table `want`. */
static void assert_online(const char *refs, const long long *ids, int n,
                          const char *want) {
  char *got = online(refs, ids, n);
  cr_assert_str_eq(got, want);
  lr_free(got);
}

/* Fails unless the training set of `entities` with `features` is the CSV
 * text `want`. */
static void assert_training(const char *entities, const char *features,
                            const char *want) {
  char *csv = training(entities, features);
  cr_assert_str_eq(csv, want);
  free(csv);
}

/* The names in folder repo/REL (none: ""), sorted, one a line (caller
 * frees). */
static char *listing(const char *rel) {
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/%s", g_repo, rel);
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  lr__buf out;
  lr__buf_init(&out);
  lr__buf_puts(&out, "");
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
      lr__buf_printf(&out, "%s\n", names[i]->d_name);
    free(names[i]);
  }
  free(names);
  return lr__buf_steal(&out);
}

/* How many lines of `text` end in `suffix` ("": how many lines). */
static int count_suffix(const char *text, const char *suffix) {
  int n = 0;
  size_t k = strlen(suffix);
  for (const char *line = text; *line;) {
    size_t len = strcspn(line, "\n");
    n += len >= k && !strncmp(line + len - k, suffix, k);
    line += len + (line[len] == '\n');
  }
  return n;
}

#define ASSERT_ERR(rc_want, call, message)                                   \
  do {                                                                       \
    int rc_ = (call);                                                        \
    cr_assert_eq(rc_, (rc_want), "%s: %s", lr_err_name(rc_),                 \
                 lr_offline_errmsg(g_off));                                  \
    cr_assert_str_eq(lr_offline_errmsg(g_off), (message));                   \
  } while (0)

/* ---- offline: training sets and materialization -------------------------- */

/* Rows pushed to the offline store are in a training set, point in time
 * correct: an entity row before the pushed event time gets the batch row
 * (or nothing), at or after it the pushed row. */
Test(push, ps001_pushed_offline_rows_are_in_a_training_set) {
  apply_events(defs);
  push_two_counted(LR_PUSH_OFFLINE, (lr_push_stats){0, 0, 0, 2});
  assert_training("user_id,event_timestamp\n"
                  "1,2024-01-01T12:00:00Z\n"
                  "1,2024-01-02T00:00:00Z\n"
                  "1,2024-01-05T00:00:00Z\n"
                  "3,2024-01-02T11:59:59Z\n"
                  "3,2024-01-03T00:00:00Z\n"
                  "2,2024-01-02T00:00:00Z\n",
                  "activity:clicks,activity:label,activity:emb",
                  "user_id,event_timestamp,clicks,label,emb\n"
                  "1,2024-01-01 12:00:00+00,10,batch,\n"
                  "1,2024-01-02 00:00:00+00,11,pushed,\"[0.5, 1.5]\"\n"
                  "1,2024-01-05 00:00:00+00,11,pushed,\"[0.5, 1.5]\"\n"
                  "3,2024-01-02 11:59:59+00,,,\n"
                  "3,2024-01-03 00:00:00+00,30,,\n"
                  "2,2024-01-02 00:00:00+00,20,batch,\n");
  /* nothing went online */
  assert_online("activity:clicks", (const long long[]){1, 3}, 2,
                "user_id  clicks\n"
                "1        <NOT_FOUND>\n"
                "3        <NOT_FOUND>\n");
}

/* materialize loads the pushed rows with the batch rows, newer winning. */
Test(push, ps002_materialize_loads_pushed_offline_rows) {
  apply_events(defs);
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  cr_assert_eq(load_all().rows_read, 3);
  assert_online("activity:clicks,activity:label,activity:emb",
                (const long long[]){1, 2, 3}, 3,
                "user_id  clicks  label         emb\n"
                "1        11      pushed        [0.5, 1.5]\n"
                "2        20      batch         <NULL_VALUE>\n"
                "3        30      <NULL_VALUE>  <NULL_VALUE>\n");
}

/* online_and_offline: served at once, and in the training data. */
Test(push, ps003_online_and_offline_is_in_both) {
  apply_events(defs);
  push_two_counted(LR_PUSH_ONLINE_AND_OFFLINE, (lr_push_stats){1, 2, 0, 2});
  assert_online("activity:clicks,activity:label",
                (const long long[]){1, 3}, 2,
                "user_id  clicks  label\n"
                "1        11      pushed\n"
                "3        30      <NULL_VALUE>\n");
  assert_training("user_id,event_timestamp\n"
                  "1,2024-01-02T01:00:00Z\n"
                  "3,2024-01-02T13:00:00Z\n",
                  "activity:clicks,activity:label",
                  "user_id,event_timestamp,clicks,label\n"
                  "1,2024-01-02 01:00:00+00,11,pushed\n"
                  "3,2024-01-02 13:00:00+00,30,\n");
}

/* Online only (the default of Feast): nothing offline, no folder. */
Test(push, ps004_online_push_writes_no_offline_file) {
  apply_events(defs);
  push_two_counted(LR_PUSH_ONLINE, (lr_push_stats){1, 2, 0, 0});
  char *names = listing("data");
  cr_assert_str_eq(names, "events.csv\nonline\nregistry.db\n");
  free(names);
  assert_online("activity:clicks", (const long long[]){3}, 1,
                "user_id  clicks\n3        30\n");
}

/* Each push is one new Parquet file in data/pushed/PUSH_SOURCE/, holding
 * the batch source's columns (field_mapping applied, created_timestamp
 * under created) in the types the view declares; nothing else is left. */
Test(push, ps005_each_push_is_one_parquet_file_of_the_batch_columns) {
  apply_events(defs);
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  lr_value uid[] = {I64(4)};
  lr_value ts[] = {TS("2024-01-02T00:00:00Z")};
  lr_value cr[] = {TS("2024-01-02T00:00:01Z")};
  lr_value clicks[] = {I64(40)}, label[] = {NUL()}, emb[] = {NUL()};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"created_timestamp", cr}, {"clicks", clicks},
                      {"label", label}, {"emb", emb}};
  PUSH_OK(lr_push(g_off, "events_push", LR_PUSH_OFFLINE, cols, 6, 1, NULL));
  char *names = listing("data/pushed/events_push");
  cr_assert_eq(count_suffix(names, "") - count_suffix(names, ".parquet"), 0,
               "only pushed files: %s", names);
  cr_assert_eq(count_suffix(names, ".parquet"), 2, "%s", names);
  cr_assert_neq(names[0], '.', "%s", names);
  char first[256] = "", second[256] = "";
  cr_assert_eq(sscanf(names, "%255s %255s", first, second), 2);
  free(names);
  lr__buf sql, rows, err;
  lr__buf_init(&sql);
  lr__buf_init(&rows);
  lr__buf_init(&err);
  for (int f = 0; f < 2; f++) {
    lr__buf_reset(&sql);
    lr__buf_printf(&sql, "SELECT string_agg(column_name || ' ' || "
                   "column_type, ', ') FROM (DESCRIBE SELECT * FROM "
                   "read_parquet('%s/data/pushed/events_push/%s'))", g_repo,
                   f ? second : first);
    cr_assert_eq(lr__duckdb_run(db(), lr__buf_str(&sql), 1, &rows, &err), 0,
                 "%s", lr__buf_str(&err));
  }
  cr_assert_str_eq(lr__buf_str(&rows),
                   "user_id BIGINT, ts TIMESTAMP WITH TIME ZONE, n_clicks "
                   "BIGINT, label VARCHAR, emb FLOAT[]\n"
                   "user_id BIGINT, ts TIMESTAMP WITH TIME ZONE, created "
                   "TIMESTAMP WITH TIME ZONE, n_clicks BIGINT, label VARCHAR, "
                   "emb FLOAT[]\n");
  lr__buf_free(&sql);
  lr__buf_free(&rows);
  lr__buf_free(&err);
}

/* offline_path puts the files elsewhere (relative to the repo); the
 * readers follow it. */
Test(push, ps006_offline_path_is_where_pushes_go) {
  apply_events(DEFS_SOURCES
               "  - {name: events_push, kind: push, batch_source: events,\n"
               "     offline_path: pushes/ev}\n" DEFS_VIEW);
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  char *names = listing("pushes/ev");
  cr_assert_eq(count_suffix(names, ".parquet"), 1, "%s", names);
  free(names);
  names = listing("data");
  cr_assert_str_eq(names, "events.csv\nregistry.db\n");
  free(names);
  assert_training("user_id,event_timestamp\n3,2024-01-03T00:00:00Z\n",
                  "activity:clicks",
                  "user_id,event_timestamp,clicks\n"
                  "3,2024-01-03 00:00:00+00,30\n");
}

/* A feature added after rows were pushed reads null in them (the batch
 * source has it), and a push after the change carries it. */
Test(push, ps007_files_pushed_before_a_feature_was_added_read_it_as_null) {
  apply_events(defs);
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  th_write(g_repo, "data/events.csv",
           "user_id,ts,created,n_clicks,label,emb,bonus\n"
           "1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,10,batch,,0.25\n");
  apply(DEFS_SOURCES
        "  - {name: events_push, kind: push, batch_source: events}\n" DEFS_VIEW
        "      - {name: bonus, dtype: float64}\n");
  PUSH_OK(push_one(5, 50, "bonus", 2.5));
  assert_training("user_id,event_timestamp\n"
                  "1,2024-01-01T01:00:00Z\n"
                  "1,2024-01-02T01:00:00Z\n"
                  "5,2024-01-02T01:00:00Z\n",
                  "activity:clicks,activity:bonus",
                  "user_id,event_timestamp,clicks,bonus\n"
                  "1,2024-01-01 01:00:00+00,10,0.25\n"
                  "1,2024-01-02 01:00:00+00,11,\n"
                  "5,2024-01-02 01:00:00+00,50,2.5\n");
}

/* Equal (key, event time) in the batch source and a push: the greater
 * created time wins, as between batch rows; in training sets and loads. */
Test(push, ps008_equal_times_are_broken_by_created_time_across_both) {
  apply_events(defs);
  lr_value uid[] = {I64(1), I64(2)};
  lr_value ts[] = {TS("2024-01-01T00:00:00Z"), TS("2024-01-01T00:00:00Z")};
  lr_value cr[] = {TS("2024-01-01T00:00:01Z"), TS("2023-12-31T00:00:00Z")};
  lr_value clicks[] = {I64(111), I64(222)}, label[] = {NUL(), NUL()};
  lr_value emb[] = {NUL(), NUL()};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"created_timestamp", cr}, {"clicks", clicks},
                      {"label", label}, {"emb", emb}};
  PUSH_OK(lr_push(g_off, "events_push", LR_PUSH_OFFLINE, cols, 6, 2, NULL));
  assert_training("user_id,event_timestamp\n"
                  "1,2024-01-01T01:00:00Z\n"
                  "2,2024-01-01T01:00:00Z\n",
                  "activity:clicks",
                  "user_id,event_timestamp,clicks\n"
                  "1,2024-01-01 01:00:00+00,111\n"
                  "2,2024-01-01 01:00:00+00,20\n");
  load_all();
  assert_online("activity:clicks", (const long long[]){1, 2}, 2,
                "user_id  clicks\n1        111\n2        20\n");
}

/* ---- errors -------------------------------------------------------------- */

/* No view reads the push source: the message says which views read what
 * and how to make one read it; nothing is written. */
Test(push, ps009_a_push_source_no_view_reads_says_which_views_read_what) {
  apply_events(DEFS_SOURCES
               "  - {name: events_push, kind: push, batch_source: events}\n"
               "  - {name: orphan_push, kind: push, batch_source: events}\n"
               "feature_views:\n"
               "  - name: activity\n"
               "    entities: [user]\n"
               "    source: events\n"
               "    schema: [{name: clicks, dtype: int64}]\n"
               "  - name: other\n"
               "    entities: [user]\n"
               "    source: events_push\n"
               "    online: false\n"
               "    schema: [{name: label, dtype: string}]\n");
  lr_value uid[] = {I64(1)};
  lr_column cols[] = {{"user_id", uid}};
  ASSERT_ERR(LR_EINVAL,
             lr_push(g_off, "orphan_push", LR_PUSH_OFFLINE, cols, 1, 1, NULL),
             "no feature view reads push source 'orphan_push', so its rows "
             "would reach no view (a push goes to the views whose `source` is "
             "the push source): activity reads its batch source 'events' "
             "directly; set `source: orphan_push` on activity (it then reads "
             "events offline as before, and the pushed rows with it) and run "
             "`larder apply`");
  ASSERT_ERR(LR_ENOTFOUND,
             lr_push(g_off, "orphan_psh", LR_PUSH_ONLINE, cols, 1, 1, NULL),
             "no push source is named 'orphan_psh': did you mean "
             "'orphan_push'?");
  ASSERT_ERR(LR_ENOTFOUND,
             lr_push(g_off, "events", LR_PUSH_ONLINE, cols, 1, 1, NULL),
             "no push source is named 'events': did you mean "
             "'events_push'?");
  ASSERT_ERR(LR_EINVAL,
             lr_push(g_off, "events_push", LR_PUSH_ONLINE, cols, 1, 1, NULL),
             "push source 'events_push' feeds no online feature view (other "
             "has online: false): push to the offline store (\"to\": "
             "\"offline\", --to offline), or set online: true");
  ASSERT_ERR(LR_EINVAL, lr_push(g_off, "events_push", 4, cols, 1, 1, NULL),
             "push 'to' is 4: give LR_PUSH_ONLINE, LR_PUSH_OFFLINE or "
             "LR_PUSH_ONLINE_AND_OFFLINE");
  char *names = listing("data");
  cr_assert_str_eq(names, "events.csv\nregistry.db\n");
  free(names);
}

/* A pushed column that is a feature of a view reading another source is
 * named with that view and its source; a missing column and a bad value
 * are the online write's errors. Nothing is written on either side. */
Test(push, ps010_bad_columns_and_values_write_nothing) {
  apply_events(DEFS
               "  - name: direct\n"
               "    entities: [user]\n"
               "    source: events\n"
               "    schema: [{name: score, dtype: float64}]\n");
  lr_value uid[] = {I64(1)}, ts[] = {TS("2024-01-02T00:00:00Z")};
  lr_value clicks[] = {I64(1)}, label[] = {NUL()}, emb[] = {NUL()};
  lr_value score[] = {{.type = LR_TYPE_FLOAT64, .v.f64 = 1}};
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ts},
                      {"clicks", clicks}, {"label", label}, {"emb", emb},
                      {"score", score}};
  ASSERT_ERR(LR_EINVAL,
             lr_push(g_off, "events_push", LR_PUSH_ONLINE_AND_OFFLINE, cols,
                     6, 1, NULL),
             "unknown column 'score' for push source 'events_push' (columns "
             "are the join keys, event_timestamp, created_timestamp and the "
             "features of the views it feeds: activity); 'score' is a "
             "feature of view 'direct', which reads source 'events', not "
             "push source 'events_push': set `source: events_push` on direct "
             "(it then reads events offline as before, and the pushed rows "
             "with it) and run `larder apply`");
  ASSERT_ERR(LR_EINVAL,
             lr_push(g_off, "events_push", LR_PUSH_OFFLINE, cols, 4, 1, NULL),
             "'emb': missing column for view 'activity' (every join key, "
             "event_timestamp and every feature are needed; nulls are allowed "
             "in features)");
  cols[2].values = label; /* clicks as a string */
  label[0] = STR("many");
  ASSERT_ERR(LR_ETYPE,
             lr_push(g_off, "events_push", LR_PUSH_ONLINE_AND_OFFLINE, cols,
                     5, 1, NULL),
             "row 1: column 'clicks' is string, but the feature is int64");
  char *names = listing("data");
  cr_assert_str_eq(names, "events.csv\nregistry.db\n");
  free(names);
}

/* A file pushed (CSV, JSON lines, Parquet) goes as lr_push's rows; its
 * errors name the file and the place. */
Test(push, ps011_files_are_pushed_as_write_reads_them) {
  apply_events(defs);
  th_write(g_work, "rows.csv",
           "user_id,event_timestamp,clicks,label,emb\n"
           "6,2024-01-02T00:00:00Z,60,csv,\"[1, 2]\"\n");
  th_write(g_work, "rows.jsonl",
           "{\"user_id\": 7, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
           "\"clicks\": 70, \"label\": \"jsonl\", \"emb\": null}\n");
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__duckdb_run(db(),
                              "COPY (SELECT 8::BIGINT AS user_id, "
                              "TIMESTAMPTZ '2024-01-02 00:00:00+00' AS "
                              "event_timestamp, 80::BIGINT AS clicks, "
                              "'parquet' AS label, [3.5]::FLOAT[] AS emb) TO "
                              "'rows.parquet' (FORMAT PARQUET)",
                              0, NULL, &err),
               0, "%s", lr__buf_str(&err));
  lr__buf_free(&err);
  lr_push_stats st;
  PUSH_OK(lr_push_file(g_off, "events_push", LR_PUSH_ONLINE_AND_OFFLINE,
                       "rows.csv", 0, &st));
  cr_assert_eq(st.offline_rows, 1);
  cr_assert_eq(st.rows_written, 1);
  PUSH_OK(lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "rows.jsonl", 0,
                       NULL));
  PUSH_OK(lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "rows.parquet",
                       0, NULL));
  assert_training("user_id,event_timestamp\n"
                  "6,2024-01-02T00:00:00Z\n"
                  "7,2024-01-02T00:00:00Z\n"
                  "8,2024-01-02T00:00:00Z\n",
                  "activity:clicks,activity:label,activity:emb",
                  "user_id,event_timestamp,clicks,label,emb\n"
                  "6,2024-01-02 00:00:00+00,60,csv,\"[1.0, 2.0]\"\n"
                  "7,2024-01-02 00:00:00+00,70,jsonl,\n"
                  "8,2024-01-02 00:00:00+00,80,parquet,[3.5]\n");
  th_write(g_work, "bad.csv",
           "user_id,event_timestamp,clicks,label,emb\n"
           "9,2024-01-02T00:00:00Z,9,a,\n"
           "9,2024-01-02T00:00:00Z,many,b,\n");
  ASSERT_ERR(LR_EINVAL,
             lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "bad.csv", 0,
                          NULL),
             "bad.csv: row 2: column 'clicks': 'many' is not a valid int64");
  th_write(g_work, "short.csv",
           "user_id,event_timestamp,clicks,label\n"
           "9,2024-01-02T00:00:00Z,9,a\n");
  ASSERT_ERR(LR_EINVAL,
             lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "short.csv",
                          0, NULL),
             "short.csv: 'emb': missing column for view 'activity' (every "
             "join key, event_timestamp and every feature are needed; nulls "
             "are allowed in features)");
  th_write(g_work, "wide.csv",
           "user_id,event_timestamp,clicks,label,emb,colour\n"
           "9,2024-01-02T00:00:00Z,9,a,,red\n");
  ASSERT_ERR(LR_EINVAL,
             lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "wide.csv",
                          0, NULL),
             "wide.csv: unknown column 'colour' for push source 'events_push' "
             "(columns are the join keys, event_timestamp, created_timestamp "
             "and the features of the views it feeds: activity): remove it "
             "from the file, or skip it with --ignore-extra-columns "
             "(LR_WRITE_IGNORE_EXTRA_COLUMNS)");
  PUSH_OK(lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "wide.csv",
                       LR_WRITE_IGNORE_EXTRA_COLUMNS, NULL));
  char *names = listing("data/pushed/events_push");
  cr_assert_eq(count_suffix(names, ".parquet"), 4, "%s", names);
  free(names);
}

/* An offline side that cannot be written leaves online untouched. */
Test(push, ps012_a_failed_offline_side_writes_nothing_online) {
  apply_events(defs);
  th_write(g_repo, "data/pushed", "a file where the folders go\n");
  char want[2048];
  snprintf(want, sizeof want, "the offline store of push source "
           "'events_push' cannot be written: cannot create folder "
           "%s/data/pushed/events_push: Not a directory (it is the folder "
           "offline_path names, by default data/pushed/events_push in the "
           "repo: make it a folder this process can write, or set "
           "offline_path)", g_repo);
  ASSERT_ERR(LR_EIO, push_two(LR_PUSH_ONLINE_AND_OFFLINE, NULL), want);
  assert_online("activity:clicks", (const long long[]){1, 3}, 2,
                "user_id  clicks\n"
                "1        <NOT_FOUND>\n"
                "3        <NOT_FOUND>\n");
}

/* An online side that fails after the file was written (here the view is
 * gone from the registry the store opens, applied after the handle was
 * opened) says that the rows are in the offline store, and where. */
Test(push, ps013_a_failed_online_side_says_the_rows_are_offline) {
  apply_events(defs);
  lr_offline *kept = g_off;
  g_off = NULL;
  apply(DEFS_SOURCES
        "  - {name: events_push, kind: push, batch_source: events}\n"
        "feature_views:\n"
        "  - name: renamed\n"
        "    entities: [user]\n"
        "    source: events_push\n"
        "    online: true\n"
        "    schema: [{name: clicks, dtype: int64}]\n");
  lr_offline_close(g_off);
  g_off = kept;
  int rc = push_two(LR_PUSH_ONLINE_AND_OFFLINE, NULL);
  cr_assert_eq(rc, LR_ENOTFOUND, "%s", lr_offline_errmsg(g_off));
  char *names = listing("data/pushed/events_push");
  char file[256] = "";
  cr_assert_eq(sscanf(names, "%255s", file), 1, "%s", names);
  cr_assert_eq(count_suffix(names, ".parquet"), 1, "%s", names);
  free(names);
  char want[2048];
  snprintf(want, sizeof want, "the rows were appended to the offline store "
           "(%s/data/pushed/events_push/%s) but not written online: unknown "
           "feature view 'activity'; pushing the same rows again is safe: the "
           "offline copies are identical rows, read as one", g_repo, file);
  cr_assert_str_eq(lr_offline_errmsg(g_off), want);
}

/* ---- temporary files ----------------------------------------------------- */

/* The PID of a process that has exited (and been reaped). */
static pid_t dead_pid(void) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0)
    _exit(0);
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  return pid;
}

/* What a pusher killed mid-write leaves, a temporary file (here with
 * bytes that are no Parquet at all), is not read; the next push removes
 * it once its PID no longer runs, and keeps one whose pusher still does. */
Test(push, ps014_temporary_files_are_ignored_and_then_removed) {
  apply_events(defs);
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  char dead[64], live[64];
  snprintf(dead, sizeof dead, "data/pushed/events_push/.push-%ld-1.tmp",
           (long)dead_pid());
  snprintf(live, sizeof live, "data/pushed/events_push/.push-%ld-999.tmp",
           (long)getpid());
  th_write(g_repo, dead, "PAR1 cut short");
  th_write(g_repo, live, "PAR1 being written");
  assert_training("user_id,event_timestamp\n3,2024-01-03T00:00:00Z\n",
                  "activity:clicks",
                  "user_id,event_timestamp,clicks\n"
                  "3,2024-01-03 00:00:00+00,30\n");
  load_all();
  PUSH_OK(push_two(LR_PUSH_OFFLINE, NULL));
  char *names = listing("data/pushed/events_push");
  cr_assert_eq(count_suffix(names, ".parquet"), 2, "%s", names);
  cr_assert_eq(count_suffix(names, ".tmp"), 1, "%s", names);
  cr_assert(strstr(names, strrchr(live, '/') + 1), "%s", names);
  free(names);
}

/* ---- other sources and views --------------------------------------------- */

/* A sql batch source and an offline-only view: pushes to the offline
 * store reach training sets through the query's columns. */
Test(push, ps015_sql_batch_source_and_offline_only_view) {
  write_events();
  apply("entities:\n"
        "  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n"
        "  - name: events_sql\n"
        "    kind: sql\n"
        "    query: SELECT user_id, ts AS at, n_clicks AS clicks FROM "
        "read_csv('data/events.csv')\n"
        "    timestamp_field: at\n"
        "  - {name: sql_push, kind: push, batch_source: events_sql}\n"
        "feature_views:\n"
        "  - name: offline_clicks\n"
        "    entities: [user]\n"
        "    source: sql_push\n"
        "    schema: [{name: clicks, dtype: int64}]\n");
  PUSH_OK(push_clicks_of_user_2("sql_push", LR_PUSH_OFFLINE));
  assert_training("user_id,event_timestamp\n"
                  "2,2024-01-01T12:00:00Z\n"
                  "2,2024-01-02T12:00:00Z\n",
                  "offline_clicks:clicks",
                  "user_id,event_timestamp,clicks\n"
                  "2,2024-01-01 12:00:00+00,20\n"
                  "2,2024-01-02 12:00:00+00,21\n");
}

/* Epoch numbers in a push are in the push source's timestamp_unit, on
 * both sides: the offline file holds the time they mean, which training
 * sets read through the batch source's own parser; a number that is no
 * time in that unit names the file, its row and the unit to declare. */
Test(push, ps016_epoch_numbers_in_the_push_sources_unit) {
  apply_events(DEFS_SOURCES "  - {name: events_push, kind: push, "
                            "batch_source: events, timestamp_unit: ms}\n"
                            DEFS_VIEW);
  th_write(g_work, "ms.csv",
           "user_id,event_timestamp,clicks,label,emb\n"
           "4,1704196800000,40,ms,\n");
  lr_push_stats st;
  PUSH_OK(lr_push_file(g_off, "events_push", LR_PUSH_ONLINE_AND_OFFLINE,
                       "ms.csv", 0, &st));
  cr_assert_eq(st.offline_rows, 1);
  assert_training("user_id,event_timestamp\n"
                  "4,2024-01-02T11:59:59Z\n"
                  "4,2024-01-02T12:00:00Z\n",
                  "activity:clicks",
                  "user_id,event_timestamp,clicks\n"
                  "4,2024-01-02 11:59:59+00,\n"
                  "4,2024-01-02 12:00:00+00,40\n");
  const long long ids[] = {4};
  assert_online("activity:clicks,activity:label", ids, 1,
                "user_id  clicks  label\n4        40      ms\n");
  th_write(g_work, "s.csv",
           "user_id,event_timestamp,clicks,label,emb\n"
           "5,1704196800000000,50,us,\n");
  ASSERT_ERR(LR_EINVAL,
             lr_push_file(g_off, "events_push", LR_PUSH_OFFLINE, "s.csv", 0,
                          NULL),
             "s.csv: row 1: column 'event_timestamp': 1704196800000000 as "
             "milliseconds is past the year 9999; if these are "
             "microseconds, declare timestamp_unit: us on source "
             "'events_push'");
}

/* A push source whose batch source is a snapshot (no timestamp_field)
 * takes online pushes, and refuses offline ones: a snapshot's rows take
 * their time from their file, and a pushed row's time would be lost. */
Test(push, ps017_snapshot_batch_source_takes_no_offline_push) {
  th_write(g_repo, "data/latest.csv", "user_id,n_clicks\n1,10\n");
  apply("entities:\n"
        "  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n"
        "  - {name: latest, kind: file, path: data/latest.csv, "
        "field_mapping: {n_clicks: clicks}}\n"
        "  - {name: latest_push, kind: push, batch_source: latest}\n"
        "feature_views:\n"
        "  - name: activity\n"
        "    entities: [user]\n"
        "    source: latest_push\n"
        "    online: true\n"
        "    schema: [{name: clicks, dtype: int64}]\n");
  ASSERT_ERR(LR_EINVAL,
             push_clicks_of_user_2("latest_push", LR_PUSH_ONLINE_AND_OFFLINE),
             "push source 'latest_push' cannot push to the offline store: "
             "its batch source 'latest' is a snapshot (no timestamp_field), "
             "whose rows take their time from their file; give 'latest' a "
             "timestamp_field, or push with to: online");
  char *names = listing("data/pushed/latest_push");
  cr_assert_eq(count_suffix(names, ".parquet"), 0, "%s", names);
  free(names);
  const long long ids[] = {2};
  assert_online("activity:clicks", ids, 1, "user_id  clicks\n2        <NOT_FOUND>\n");
  PUSH_OK(push_clicks_of_user_2("latest_push", LR_PUSH_ONLINE));
  assert_online("activity:clicks", ids, 1, "user_id  clicks\n2        21\n");
}

/* Checks on a pushed view (issue 16), the same two rows pushed under
 * each on_fail (equal times: each push replaces the rows it writes):
 * drop keeps the failing row out online, "null" stores its feature null,
 * warn stores and counts it; reject refuses the push whole, before the
 * offline file is written, so neither side gets the rows. */
Test(push, ps018_checks_on_a_push) {
#define CHECKED_ACTIVITY(on_fail)                                            \
  DEFS "    checks:\n      - {feature: clicks, between: [0, 20], on_fail: "  \
  on_fail "}\n"
  const long long ids[] = {1, 3};
  apply_events(CHECKED_ACTIVITY("drop"));
  push_two_counted(LR_PUSH_ONLINE, (lr_push_stats){1, 1, 0, 0});
  assert_online("activity:clicks", ids, 2,
                "user_id  clicks\n1        11\n3        <NOT_FOUND>\n");
  apply(CHECKED_ACTIVITY("\"null\""));
  push_two_counted(LR_PUSH_ONLINE, (lr_push_stats){1, 2, 0, 0});
  assert_online("activity:clicks", ids, 2,
                "user_id  clicks\n1        11\n3        <NULL_VALUE>\n");
  apply(CHECKED_ACTIVITY("warn"));
  push_two_counted(LR_PUSH_ONLINE, (lr_push_stats){1, 2, 0, 0});
  assert_online("activity:clicks", ids, 2,
                "user_id  clicks\n1        11\n3        30\n");
  apply(CHECKED_ACTIVITY("reject"));
  lr_push_stats st;
  int rc = push_two(LR_PUSH_ONLINE_AND_OFFLINE, &st);
  cr_assert_eq(rc, LR_ECHECK, "%s: %s", lr_err_name(rc),
               lr_offline_errmsg(g_off));
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 'activity': the checks refused the batch, "
                   "so nothing was written: check 'clicks_between' (between "
                   "on clicks, on_fail: reject): 1 of 2 rows failed (50%); "
                   "fix the rows, or the checks in the view's definition "
                   "(`larder check activity` runs them over the source)");
  char *names = listing("data/pushed/events_push");
  cr_assert_str_eq(names, "");
  free(names);
  assert_online("activity:clicks", ids, 2,
                "user_id  clicks\n1        11\n3        30\n");
#undef CHECKED_ACTIVITY
}

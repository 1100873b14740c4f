/*
 * test_explain.c - DuckDB's errors in Larder's words (offline/explain.c):
 * a source's file gone, a value that does not convert (the file, its
 * 1-based data row, the column, the type and the fix; in CSV and Parquet
 * sources, in a sql source, in a join key of the entity rows), a CSV row
 * DuckDB cannot parse, and verbose mode, which alone shows the query.
 * Each asserts the whole message.
 */
#include "offline_fixture.h"

#include <unistd.h>

/* One view of a CSV (or other) source at `path`, keyed by user. */
static void apply_view(const char *path) {
  char defs[1024];
  snprintf(defs, sizeof defs,
           "entities:\n  - {name: user, join_keys: [user_id], value_type: "
           "int64}\n"
           "sources:\n  - {name: stats, kind: file, path: %s, "
           "timestamp_field: ts}\n"
           "feature_views:\n  - name: s\n    entities: [user]\n"
           "    source: stats\n    online: true\n    schema:\n"
           "      - {name: score, dtype: float32}\n"
           "      - {name: n, dtype: int64}\n",
           path);
  apply(defs);
}

static const char *const good_csv = "user_id,ts,score,n\n"
                                    "1,2024-01-01T00:00:00Z,0.5,3\n"
                                    "2,2024-01-01T00:00:00Z,1.5,4\n";

/* materialize over 2024 of view s; returns its status. */
static int materialize_2024(void) {
  lr_materialize_spec spec = {0};
  cr_assert_eq(lr_parse_time("2023-01-01", 0, &spec.start_us), 0);
  cr_assert_eq(lr_parse_time("2025-01-01", 0, &spec.end_us), 0);
  return lr_materialize(g_off, &spec, NULL);
}

/* historical for the features of s, entity rows from `entities`
 * (written into the work folder as e.csv); returns its status. */
static int historical_of(const char *entities) {
  th_write(g_work, "e.csv", entities);
  const char *features[] = {"s:score", "s:n"};
  lr_historical_spec spec = {.entities_file = "e.csv",
                             .features = features,
                             .n_features = 2,
                             .output = "out.csv"};
  return lr_get_historical_features(g_off, &spec, NULL);
}

static const char *const one_entity =
    "user_id,event_timestamp\n1,2024-02-01T00:00:00Z\n";

/* Fails unless both materialize and a training set of view s refuse the
 * source with the whole message `want`. */
static void assert_loads_refuse(const char *want) {
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off), want);
  cr_assert_eq(historical_of(one_entity), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off), want);
}

Test(explain, ex001_a_value_that_does_not_convert_names_file_row_column,
     .init = setup, .fini = teardown) {
  th_write(g_repo, "data/stats.csv",
           "user_id,ts,score,n\n1,2024-01-01T00:00:00Z,0.5,3\n"
           "2,2024-01-01T00:00:00Z,n/a,4\n");
  apply_view("data/stats.csv");
  const char *want =
      "feature view 's': data/stats.csv: row 2: column "
      "'score': 'n/a' is not a valid float32 (the type of feature "
      "'score'): fix the value, or leave the cell empty for "
      "a null";
  assert_loads_refuse(want);
}

Test(explain, ex002_a_join_key_in_the_source_that_does_not_convert,
     .init = setup, .fini = teardown) {
  th_write(g_repo, "data/stats.csv",
           "user_id,ts,score,n\n1,2024-01-01T00:00:00Z,0.5,3\n"
           "2,2024-01-01T00:00:00Z,0.5,4\nu3,2024-01-01T00:00:00Z,1,5\n");
  apply_view("data/stats.csv");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 's': data/stats.csv: row 3: column "
                   "'user_id': 'u3' is not a valid int64 (the type of join key "
                   "'user_id'): fix the value");
}

/* Far past DuckDB's sample of the first rows, and past its first chunks,
 * so that the row number is the file's, not a guess's or a thread's. */
Test(explain, ex003_the_row_deep_in_a_large_csv_file, .init = setup,
     .fini = teardown) {
  lr__buf csv;
  lr__buf_init(&csv);
  lr__buf_puts(&csv, "user_id,ts,score,n\n");
  for (int i = 1; i <= 300000; i++)
    lr__buf_printf(&csv, "%d,2024-01-01T00:00:00Z,%s,3\n", i,
                   i == 287654 ? "fast" : "0.5");
  th_write(g_repo, "data/stats.csv", lr__buf_str(&csv));
  lr__buf_free(&csv);
  apply_view("data/stats.csv");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(
      lr_offline_errmsg(g_off),
      "feature view 's': data/stats.csv: row 287654: column "
      "'score': 'fast' is not a valid float32 (the type of feature "
      "'score'): fix the value, or leave the cell empty for a "
      "null");
}

Test(explain, ex004_parquet_files_of_a_glob_each_numbered_on_its_own,
     .init = setup, .fini = teardown) {
  lr__buf err;
  lr__buf_init(&err);
  char sql[4096];
  snprintf(sql, sizeof sql,
           "COPY (SELECT 1::BIGINT AS user_id, TIMESTAMPTZ "
           "'2024-01-01 00:00:00+00' AS ts, '0.5' AS score, 3::BIGINT AS n) "
           "TO '%s/data/parts/a.parquet' (FORMAT PARQUET); "
           "COPY (SELECT i::BIGINT AS user_id, TIMESTAMPTZ "
           "'2024-01-01 00:00:00+00' AS ts, CASE WHEN i = 4 THEN 'n/a' ELSE "
           "'1.5' END AS score, 3::BIGINT AS n FROM range(1, 7) t(i) "
           "ORDER BY i) TO '%s/data/parts/b.parquet' (FORMAT PARQUET)",
           g_repo, g_repo);
  char parts[1100];
  snprintf(parts, sizeof parts, "%s/data/parts", g_repo);
  th_mkdirs(parts);
  cr_assert_eq(lr__duckdb_run(db(), sql, 0, NULL, &err), 0, "%s",
               lr__buf_str(&err));
  lr__buf_free(&err);
  apply_view("data/parts/*.parquet");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 's': data/parts/b.parquet: row 4: column "
                   "'score': 'n/a' is not a valid float32 (the type of feature "
                   "'score'): fix the value, or leave the cell empty for a "
                   "null");
}

Test(explain, ex005_a_source_whose_file_is_gone, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/stats.csv", good_csv);
  apply_view("data/stats.csv");
  char path[1100];
  snprintf(path, sizeof path, "%s/data/stats.csv", g_repo);
  cr_assert_eq(unlink(path), 0);
  const char *want = "feature view 's': source 'stats' reads data/stats.csv, "
                     "and no file matches it: put the data back there, or "
                     "point the source's path at it and run `larder apply`";
  assert_loads_refuse(want);
}

/* Past DuckDB's sample of the first rows it reads the file as a table,
 * and the row is numbered; within it there is no table to number. */
Test(explain, ex006_a_csv_row_with_too_few_fields, .init = setup,
     .fini = teardown) {
  lr__buf csv;
  lr__buf_init(&csv);
  lr__buf_puts(&csv, "user_id,ts,score,n\n");
  for (int i = 1; i <= 30000; i++)
    lr__buf_printf(&csv, "%d,2024-01-01T00:00:00Z,0.5%s\n", i,
                   i == 25000 ? "" : ",3");
  th_write(g_repo, "data/stats.csv", lr__buf_str(&csv));
  lr__buf_free(&csv);
  apply_view("data/stats.csv");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 's': data/stats.csv: row 25000: 3 fields, "
                   "but the header has 4");
  th_write(g_repo, "data/stats.csv",
           "user_id,ts,score,n\n1,2024-01-01T00:00:00Z,0.5,3\n"
           "2,2024-01-01T00:00:00Z,0.5\n");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 's': data/stats.csv is not a CSV file "
                   "Larder can read: its first rows do not make a table (a "
                   "row with more or fewer fields than the header, or a "
                   "quote not closed); check them");
}

Test(explain, ex007_a_string_key_in_the_entity_rows, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/stats.csv", good_csv);
  apply_view("data/stats.csv");
  cr_assert_eq(historical_of("user_id,event_timestamp\n"
                             "1,2024-02-01T00:00:00Z\n"
                             "2,2024-02-01T00:00:00Z\n"
                             "abc,2024-02-01T00:00:00Z\n"),
               LR_EINVAL);
  cr_assert_str_eq(
      lr_offline_errmsg(g_off),
      "e.csv: row 3: column 'user_id': 'abc' is not a valid int64 (a "
      "join key of feature view 's'): fix the value");
}

Test(explain, ex008_a_sql_source_names_its_query, .init = setup,
     .fini = teardown) {
  apply("entities:\n  - {name: user, join_keys: [user_id], value_type: "
        "int64}\n"
        "sources:\n  - name: q\n    kind: sql\n"
        "    query: SELECT 1 AS user_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' "
        "AS ts, 'n/a' AS score, 3 AS n\n    timestamp_field: ts\n"
        "feature_views:\n  - name: s\n    entities: [user]\n"
        "    source: q\n    online: true\n    schema:\n"
        "      - {name: score, dtype: float32}\n"
        "      - {name: n, dtype: int64}\n");
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 's': the query of source 'q' gives 'n/a' in "
                   "column 'score', which is not a valid float32 (the type of "
                   "feature 'score'): convert or filter it in the query");
}

/* Only verbose mode shows DuckDB's words and the query; off again, the
 * message is Larder's alone. */
Test(explain, ex009_verbose_adds_duckdbs_message_and_the_query, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/stats.csv",
           "user_id,ts,score,n\n1,2024-01-01T00:00:00Z,n/a,3\n");
  apply_view("data/stats.csv");
  cr_assert_eq(lr_offline_set_verbose(NULL, 1), LR_EINVAL);
  cr_assert_eq(lr_offline_set_verbose(g_off, 1), 0);
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  const char *msg = lr_offline_errmsg(g_off);
  const char *said = strstr(msg, "\nDuckDB said: Conversion Error: Could not "
                                 "convert string 'n/a' to FLOAT");
  const char *query = strstr(msg, "\nThe query: SELECT * FROM (SELECT "
                                  "CASE WHEN regexp_full_match(\"user_id\", "
                                  "'\\s*[+-]?[0-9]+\\s*') THEN "
                                  "CAST(\"user_id\" AS BIGINT)");
  cr_assert(said && query && said < query, "%s", msg);
  cr_assert(!strncmp(msg,
                     "feature view 's': data/stats.csv: row 1: column "
                     "'score': 'n/a' is not a valid float32",
                     strlen("feature view 's': data/stats.csv: row 1: "
                            "column 'score': 'n/a' is not a valid float32")),
            "%s", msg);
  cr_assert_eq(lr_offline_set_verbose(g_off, 0), 0);
  cr_assert_eq(materialize_2024(), LR_EINVAL);
  cr_assert_str_eq(
      lr_offline_errmsg(g_off),
      "feature view 's': data/stats.csv: row 1: column 'score': "
      "'n/a' is not a valid float32 (the type of feature 'score'): "
      "fix the value, or leave the cell empty for a null");
}

/* An int64 read from CSV text is an integer or an error: DuckDB's own
 * cast would round '4.5' to 5 (the source check, which samples the file,
 * does not see a row this deep), where `write` refuses it. Signs and
 * spaces around the digits are allowed, as `write` allows them. */
Test(explain, ex010_a_decimal_in_an_integer_csv_column_is_no_integer,
     .init = setup, .fini = teardown) {
  static const char signed_rows[] = "user_id,ts,score,n\n"
                                    "1,2024-01-01T00:00:00Z,0.5,+7\n"
                                    "2,2024-01-01T00:00:00Z,0.5, -3 \n";
  lr__buf csv;
  lr__buf_init(&csv);
  lr__buf_puts(&csv, signed_rows);
  for (int i = 3; i <= 300000; i++)
    lr__buf_printf(&csv, "%d,2024-01-01T00:00:00Z,0.5,%s\n", i,
                   i == 287654 ? "4.5" : "3");
  th_write(g_repo, "data/stats.csv", lr__buf_str(&csv));
  apply_view("data/stats.csv");
  static const char want[] =
      "feature view 's': data/stats.csv: row 287654: column 'n': '4.5' is "
      "not a valid int64 (the type of feature 'n'): fix the value, or leave "
      "the cell empty for a null";
  assert_loads_refuse(want);
  lr__buf_reset(&csv);
  lr__buf_puts(&csv, signed_rows);
  th_write(g_repo, "data/stats.csv", lr__buf_str(&csv));
  lr__buf_free(&csv);
  cr_assert_eq(historical_of("user_id,event_timestamp\n"
                             "1,2024-02-01T00:00:00Z\n"
                             "2,2024-02-01T00:00:00Z\n"),
               0, "%s", lr_offline_errmsg(g_off));
  char *out = th_read(g_work, "out.csv");
  cr_assert_str_eq(out, "user_id,event_timestamp,score,n\n"
                        "1,2024-02-01 00:00:00+00,0.5,7\n"
                        "2,2024-02-01 00:00:00+00,0.5,-3\n");
  free(out);
}

/*
 * test_offline.c - the offline layer: DuckDB loaded on demand, Parquet
 * files written into the online store through it, and the source check
 * (lr_repo_check_sources) with its table of column types.
 */
#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "offline/offline.h"
#include "offline_fixture.h"

/* A repo with one view of several types, applied, and a Parquet file made
 * by DuckDB from `select`. Returns the repo folder. */
static char *repo_with_parquet(const char *select) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/x.csv", "");
  th_write(dir, "f.yaml",
           "entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\n"
           "sources:\n  - {name: s, kind: file, path: data/x.csv, timestamp_field: ts}\n"
           "feature_views:\n  - name: v\n    entities: [user]\n    source: s\n"
           "    schema:\n      - {name: score, dtype: float32}\n"
           "      - {name: label, dtype: string}\n"
           "      - {name: blob, dtype: bytes}\n"
           "      - {name: emb, dtype: array<float32>}\n"
           "      - {name: seen, dtype: timestamp}\n");
  lr_repo *repo;
  cr_assert_eq(lr_repo_open(dir, &repo), 0, "%s", lr_repo_errmsg(repo));
  cr_assert_eq(lr_repo_apply(repo, 0, NULL), 0, "%s", lr_repo_errmsg(repo));
  lr_repo_close(repo);
  lr__duckdb d;
  lr__buf err, sql;
  lr__buf_init(&err);
  lr__buf_init(&sql);
  cr_assert_eq(lr__duckdb_open(&d, &err), 0, "%s", lr__buf_str(&err));
  lr__buf_printf(&sql, "COPY (%s) TO '%s/data/rows.parquet' (FORMAT PARQUET)",
                 select, dir);
  cr_assert_eq(lr__duckdb_run(&d, lr__buf_str(&sql), 0, NULL, &err), 0, "%s",
               lr__buf_str(&err));
  lr__duckdb_close(&d);
  lr__buf_free(&err);
  lr__buf_free(&sql);
  return dir;
}

static const char *good_rows =
    "SELECT 7::BIGINT AS user_id, TIMESTAMPTZ '2030-01-02 03:04:05.25+00' "
    "AS event_timestamp, 1.5::FLOAT AS score, 'a, \"b\"' AS label, "
    "'\\x00\\xFF'::BLOB AS blob, [0.5, -2.0]::FLOAT[] AS emb, "
    "TIMESTAMP '2029-12-31 23:59:59' AS seen "
    "UNION ALL SELECT 8, TIMESTAMPTZ '2030-01-02 03:04:05+00', NULL, NULL, "
    "NULL, NULL, NULL";

Test(offline, x001_parquet_rows_reach_the_online_store) {
  char *dir = repo_with_parquet(good_rows);
  lr_store *store;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &store), 0);
  char path[4096];
  snprintf(path, sizeof path, "%s/data/rows.parquet", dir);
  lr_write_stats stats;
  int rc = lr_write_file(store, "v", path, &stats);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  cr_assert_eq(stats.rows_written, 2);
  const char *refs[] = {"v:score", "v:label", "v:blob", "v:emb", "v:seen"};
  lr_request *req;
  lr_result *res;
  cr_assert_eq(lr_request_prepare(store, refs, 5, &req), 0);
  cr_assert_eq(lr_result_create(req, 2, &res), 0);
  lr_value keys[2] = {{.type = LR_TYPE_INT64, .v.i64 = 7},
                      {.type = LR_TYPE_INT64, .v.i64 = 8}};
  cr_assert_eq(lr_get_online_features(req, keys, 2, res), 0);
  lr_value v;
  lr_result_cell(res, 0, 0, &v);
  cr_assert_eq(v.status, LR_STATUS_PRESENT);
  cr_assert_float_eq(v.v.f32, 1.5f, 0);
  cr_assert_eq(v.event_ts, 1893553445250000LL);
  lr_result_cell(res, 0, 1, &v);
  cr_assert_eq(v.v.str.len, 6);
  cr_assert_arr_eq(v.v.str.ptr, "a, \"b\"", 6);
  lr_result_cell(res, 0, 2, &v);
  cr_assert_eq(v.v.str.len, 2);
  cr_assert_eq((unsigned char)v.v.str.ptr[0], 0x00);
  cr_assert_eq((unsigned char)v.v.str.ptr[1], 0xFF);
  lr_result_cell(res, 0, 3, &v);
  cr_assert_eq(v.v.array.n, 2);
  cr_assert_float_eq(((const float *)v.v.array.data)[1], -2.0f, 0);
  lr_result_cell(res, 0, 4, &v);
  cr_assert_eq(v.v.ts, 1893455999000000LL);
  for (int f = 0; f < 5; f++) {
    lr_result_cell(res, 1, f, &v);
    cr_assert_eq(v.status, LR_STATUS_NULL_VALUE, "feature %d", f);
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(store);
  th_rmrf(dir);
}

Test(offline, x002_a_file_that_is_not_parquet_is_a_clear_error) {
  char *dir = repo_with_parquet(good_rows);
  th_write(dir, "data/bad.parquet", "this is not parquet");
  lr_store *store;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &store), 0);
  char path[4096];
  snprintf(path, sizeof path, "%s/data/bad.parquet", dir);
  int rc = lr_write_file(store, "v", path, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  cr_assert(strstr(lr_store_errmsg(store), "cannot read it as Parquet"),
            "%s", lr_store_errmsg(store));
  cr_assert(strstr(lr_store_errmsg(store), "bad.parquet"));
  lr_store_close(store);
  th_rmrf(dir);
}

Test(offline, x003_parquet_with_a_wrong_column_type_writes_nothing) {
  char *dir = repo_with_parquet(
      "SELECT 7::BIGINT AS user_id, TIMESTAMP '2030-01-01' AS "
      "event_timestamp, 'high' AS score, 'x' AS label, NULL::BLOB AS blob, "
      "NULL::FLOAT[] AS emb, NULL::TIMESTAMP AS seen");
  lr_store *store;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &store), 0);
  char path[4096];
  snprintf(path, sizeof path, "%s/data/rows.parquet", dir);
  lr_write_stats stats = {9, 9};
  cr_assert_eq(lr_write_file(store, "v", path, &stats), LR_EINVAL);
  cr_assert(strstr(lr_store_errmsg(store), "column 'score'"), "%s",
            lr_store_errmsg(store));
  cr_assert_eq(stats.rows_written, 0);
  lr_store_close(store);
  th_rmrf(dir);
}

Test(offline, x004_sql_quoting_doubles_quotes) {
  lr__buf b;
  lr__buf_init(&b);
  lr__sql_literal(&b, "it's");
  lr__buf_putc(&b, ' ');
  lr__sql_ident(&b, "a\"b");
  cr_assert_str_eq(lr__buf_str(&b), "'it''s' \"a\"\"b\"");
  lr__buf_free(&b);
}

/* ---- the source check ------------------------------------------------- */

/* Writes the definitions into the fixture's repo and checks its sources:
 * the status; the message is copied to *msg (caller frees) when given. */
static int check_defs(const char *defs, char **msg) {
  th_write(g_repo, "feature_store.yaml", TH_CONFIG);
  th_write(g_repo, "f.yaml", defs);
  lr_repo *repo = NULL;
  int rc = lr_repo_open(g_repo, &repo);
  cr_assert_eq(rc, 0, "%s", lr_repo_errmsg(repo));
  rc = lr_repo_check_sources(repo);
  if (msg)
    *msg = strdup(lr_repo_errmsg(repo));
  lr_repo_close(repo);
  return rc;
}

Test(offline, x005_the_type_table_accepts_what_loads_by_value) {
  static const struct {
    const char *dtype, *type;
    int text_file, fits;
  } cases[] = {
      {"bool", "BOOLEAN", 0, 1},           {"bool", "INTEGER", 0, 0},
      {"int32", "BIGINT", 0, 1},           {"int32", "UHUGEINT", 0, 1},
      {"int64", "DOUBLE", 0, 0},           {"int64", "DECIMAL(18,0)", 0, 0},
      {"int64", "VARCHAR", 0, 0},          {"int64", "VARCHAR", 1, 1},
      {"float32", "DOUBLE", 0, 1},         {"float32", "DECIMAL(18,3)", 0, 1},
      {"float64", "SMALLINT", 0, 1},       {"float64", "BOOLEAN", 0, 0},
      {"string", "VARCHAR", 0, 1},         {"string", "UUID", 0, 1},
      {"string", "ENUM('a', 'b')", 0, 1},  {"string", "BIGINT", 0, 1},
      {"string", "DOUBLE", 0, 0},          {"string", "VARCHAR[]", 0, 0},
      {"bytes", "BLOB", 0, 1},             {"bytes", "VARCHAR", 0, 0},
      {"timestamp", "TIMESTAMP", 0, 1},    {"timestamp", "TIMESTAMP_NS", 0, 1},
      {"timestamp", "TIMESTAMP WITH TIME ZONE", 0, 1},
      {"timestamp", "DATE", 0, 1},         {"timestamp", "BIGINT", 0, 1},
      {"timestamp", "UINTEGER", 0, 1},     {"timestamp", "VARCHAR", 0, 1},
      {"timestamp", "UUID", 0, 0},         {"timestamp", "DOUBLE", 0, 0},
      {"timestamp", "TIME", 0, 0},         {"timestamp", "VARCHAR", 1, 1},
      {"array<float32>", "FLOAT[]", 0, 1}, {"array<float32>", "FLOAT[3]", 0, 1},
      {"array<float32>", "DECIMAL(5,2)[]", 0, 1},
      {"array<float32>", "FLOAT", 0, 0},
      {"array<float32>", "FLOAT[][]", 0, 0},
      {"array<float32>", "VARCHAR", 1, 1}, {"array<float32>", "VARCHAR", 0, 0},
      {"array<string>", "BIGINT[]", 0, 1}, {"array<int64>", "DOUBLE[]", 0, 0},
      {"float64", "STRUCT(a DOUBLE)", 0, 0},
      {"string", "MAP(VARCHAR, INTEGER)", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t dt;
    cr_assert_eq(lr__dtype_parse(cases[i].dtype, &dt), 0);
    cr_expect_eq(lr__column_type_fits(dt, cases[i].type, cases[i].text_file),
                 cases[i].fits, "%s from %s (text file %d)", cases[i].dtype,
                 cases[i].type, cases[i].text_file);
  }
  static const struct {
    const char *dtype, *hint;
  } hints[] = {
      {"float32", "FLOAT, DOUBLE, DECIMAL or integer (TINYINT to UHUGEINT) "
                  "columns"},
      {"timestamp", "TIMESTAMP (any precision), TIMESTAMP WITH TIME ZONE, "
                    "DATE, integer (TINYINT to UHUGEINT) or VARCHAR (ISO 8601 "
                    "text) columns"},
      {"bool", "BOOLEAN columns"},
      {"array<string>", "lists of VARCHAR, UUID or integer (TINYINT to "
                        "UHUGEINT) items"},
  };
  for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
    uint8_t dt;
    cr_assert_eq(lr__dtype_parse(hints[i].dtype, &dt), 0);
    lr__buf b;
    lr__buf_init(&b);
    lr__column_types_read(&b, dt);
    cr_expect_str_eq(lr__buf_str(&b), hints[i].hint);
    lr__buf_free(&b);
  }
}

/* Each type the table accepts, as a column of a sql source: (dtype, the
 * expression making a column of that type). */
static const struct {
  const char *dtype, *expr;
} accepted[] = {
    {"bool", "true"},
    {"int32", "7::TINYINT"},
    {"int32", "7::UHUGEINT"},
    {"int64", "7::UINTEGER"},
    {"int64", "7::HUGEINT"},
    {"float32", "1.5::DOUBLE"},
    {"float32", "1.5::DECIMAL(10,2)"},
    {"float64", "7::BIGINT"},
    {"float64", "1.5::FLOAT"},
    {"string", "'x'"},
    {"string", "'a'::ENUM('a', 'b')"},
    {"string", "'{\"a\": 1}'::JSON"},
    {"string", "uuid()"},
    {"string", "7::BIGINT"},
    {"bytes", "'ab'::BLOB"},
    {"timestamp", "TIMESTAMP '2024-01-01 10:00:00'"},
    {"timestamp", "TIMESTAMP_S '2024-01-01 10:00:00'"},
    {"timestamp", "TIMESTAMP_NS '2024-01-01 10:00:00'"},
    {"timestamp", "TIMESTAMPTZ '2024-01-01 10:00:00+02'"},
    {"timestamp", "DATE '2024-01-01'"},
    {"array<int32>", "[1, 2]::BIGINT[]"},
    {"array<int64>", "[1]::UTINYINT[]"},
    {"array<float32>", "[1.5, 2, 3]::FLOAT[3]"},
    {"array<float32>", "[1.5]::DECIMAL(5,2)[]"},
    {"array<float64>", "[1]::INTEGER[]"},
    {"array<string>", "[1, 2]::BIGINT[]"},
};
enum { N_ACCEPTED = sizeof accepted / sizeof accepted[0] };

/* Definitions of view `typed` over a sql source with a column x<i> of
 * each accepted type, read as feature x<i> of its dtype. */
static void accepted_defs(lr__buf *defs) {
  lr__buf_puts(defs, "entities:\n"
                     "  - {name: user, join_keys: [user_id], value_type: "
                     "int64}\n"
                     "sources:\n"
                     "  - name: s\n    kind: sql\n    timestamp_field: ts\n"
                     "    query: >-\n      SELECT 1::BIGINT AS user_id, "
                     "TIMESTAMP '2024-01-01 10:00:00' AS ts");
  for (int i = 0; i < N_ACCEPTED; i++)
    lr__buf_printf(defs, ", %s AS x%d", accepted[i].expr, i);
  lr__buf_puts(defs, "\nfeature_views:\n  - name: typed\n    entities: "
                     "[user]\n    source: s\n    schema:\n");
  for (int i = 0; i < N_ACCEPTED; i++)
    lr__buf_printf(defs, "      - {name: x%d, dtype: %s}\n", i,
                   accepted[i].dtype);
}

Test(offline, x006_every_type_the_check_accepts_materializes, .init = setup,
     .fini = teardown) {
  lr__buf defs;
  lr__buf_init(&defs);
  accepted_defs(&defs);
  char *msg = NULL;
  cr_assert_eq(check_defs(lr__buf_str(&defs), &msg), 0, "%s", msg);
  free(msg);
  apply(lr__buf_str(&defs));
  lr__buf_free(&defs);
  lr_materialize_spec spec = {.start_us = 0, .end_us = 1800000000000000LL};
  lr_materialize_stats st;
  cr_assert_eq(lr_materialize(g_off, &spec, &st), 0, "%s",
               lr_offline_errmsg(g_off));
  cr_assert_eq(st.rows_written, 1);
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &store), 0);
  char refs_text[N_ACCEPTED][24];
  const char *refs[N_ACCEPTED];
  for (int i = 0; i < N_ACCEPTED; i++) {
    snprintf(refs_text[i], sizeof refs_text[i], "typed:x%d", i);
    refs[i] = refs_text[i];
  }
  lr_request *req;
  lr_result *res;
  cr_assert_eq(lr_request_prepare(store, refs, N_ACCEPTED, &req), 0);
  cr_assert_eq(lr_result_create(req, 1, &res), 0);
  lr_value key = {.type = LR_TYPE_INT64, .v.i64 = 1};
  cr_assert_eq(lr_get_online_features(req, &key, 1, res), 0);
  for (int i = 0; i < N_ACCEPTED; i++) {
    lr_value v;
    lr_result_cell(res, 0, i, &v);
    cr_expect_eq(v.status, LR_STATUS_PRESENT, "%s from %s", accepted[i].dtype,
                 accepted[i].expr);
  }
  lr_value v;
  lr_result_cell(res, 0, 7, &v); /* float64 from BIGINT 7 */
  cr_expect(v.v.f64 == 7.0);
  lr_result_cell(res, 0, 13, &v); /* string from BIGINT 7 */
  cr_expect(v.v.str.len == 1 && v.v.str.ptr[0] == '7');
  lr_result_cell(res, 0, 19, &v); /* timestamp from DATE: midnight UTC */
  cr_expect_eq(v.v.ts, 1704067200000000LL);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(store);
}

Test(offline, x007_a_type_that_does_not_load_names_both_types, .init = setup,
     .fini = teardown) {
  char *msg = NULL;
  int rc = check_defs(
      "entities:\n"
      "  - {name: user, join_keys: [user_id], value_type: int64}\n"
      "sources:\n"
      "  - name: s\n    kind: sql\n    timestamp_field: ts\n"
      "    query: SELECT 'u1' AS user_id, 1.5::DOUBLE AS ts, 1 AS b, 1.5 AS i,"
      " 'x' AS f, [1] AS s, 'x' AS by, TIME '01:00' AS t, 1.5::FLOAT AS a\n"
      "feature_views:\n  - name: v\n    entities: [user]\n    source: s\n"
      "    schema:\n"
      "      - {name: b, dtype: bool}\n"
      "      - {name: i, dtype: int64}\n"
      "      - {name: f, dtype: float32}\n"
      "      - {name: s, dtype: string}\n"
      "      - {name: by, dtype: bytes}\n"
      "      - {name: t, dtype: timestamp}\n"
      "      - {name: a, dtype: array<float32>}\n",
      &msg);
  cr_assert_eq(rc, LR_EDEFINITION, "%s", msg);
  cr_assert_str_eq(
      msg,
      "f.yaml:6:22: timestamp_field 'ts' of source 's' is a DOUBLE column; "
      "it must hold times\n"
      "  hint: timestamp is read from TIMESTAMP (any precision), TIMESTAMP "
      "WITH TIME ZONE, DATE, integer (TINYINT to UHUGEINT) or VARCHAR (ISO "
      "8601 text) columns; name a column of times, ISO 8601 text or epoch "
      "numbers (in the source's timestamp_unit), or convert this one in a sql "
      "source\n"
      "f.yaml:10:16: join key 'user_id' of entity 'user' (feature view 'v') "
      "is int64, but column 'user_id' of source 's' is VARCHAR\n"
      "  hint: int64 is read from integer (TINYINT to UHUGEINT) columns; "
      "change the dtype, or convert the column in a sql source (CAST(col AS "
      "...))\n"
      "f.yaml:13:26: feature 'b' of feature view 'v' is bool, but column 'b' "
      "of source 's' is INTEGER\n"
      "  hint: bool is read from BOOLEAN columns; change the dtype, or "
      "convert the column in a sql source (CAST(col AS ...))\n"
      "f.yaml:14:26: feature 'i' of feature view 'v' is int64, but column "
      "'i' of source 's' is DECIMAL(2,1)\n"
      "  hint: int64 is read from integer (TINYINT to UHUGEINT) columns; "
      "change the dtype, or convert the column in a sql source (CAST(col AS "
      "...))\n"
      "f.yaml:15:26: feature 'f' of feature view 'v' is float32, but column "
      "'f' of source 's' is VARCHAR\n"
      "  hint: float32 is read from FLOAT, DOUBLE, DECIMAL or integer "
      "(TINYINT to UHUGEINT) columns; change the dtype, or convert the "
      "column in a sql source (CAST(col AS ...))\n"
      "f.yaml:16:26: feature 's' of feature view 'v' is string, but column "
      "'s' of source 's' is INTEGER[]\n"
      "  hint: string is read from VARCHAR, UUID or integer (TINYINT to "
      "UHUGEINT) columns; change the dtype, or convert the column in a sql "
      "source (CAST(col AS ...))\n"
      "f.yaml:17:27: feature 'by' of feature view 'v' is bytes, but column "
      "'by' of source 's' is VARCHAR\n"
      "  hint: bytes is read from BLOB columns; change the dtype, or convert "
      "the column in a sql source (CAST(col AS ...))\n"
      "f.yaml:18:26: feature 't' of feature view 'v' is timestamp, but "
      "column 't' of source 's' is TIME\n"
      "  hint: timestamp is read from TIMESTAMP (any precision), TIMESTAMP "
      "WITH TIME ZONE, DATE, integer (TINYINT to UHUGEINT) or VARCHAR (ISO "
      "8601 text) columns; change the dtype, or convert the column in a sql "
      "source (CAST(col AS ...))\n"
      "f.yaml:19:26: feature 'a' of feature view 'v' is array<float32>, but "
      "column 'a' of source 's' is FLOAT\n"
      "  hint: array<float32> is read from lists of FLOAT, DOUBLE, DECIMAL "
      "or integer (TINYINT to UHUGEINT) items; change the dtype, or convert "
      "the column in a sql source (CAST(col AS ...))");
  free(msg);
}

Test(offline, x008_a_path_that_matches_no_file_is_an_error_at_it,
     .init = setup, .fini = teardown) {
  char *msg = NULL;
  int rc = check_defs(
      "sources:\n"
      "  - {name: src, kind: file, path: data/nope_*.parquet, "
      "timestamp_field: ts}\n",
      &msg);
  cr_assert_eq(rc, LR_EDEFINITION, "%s", msg);
  cr_assert_str_eq(msg, "f.yaml:2:35: the path 'data/nope_*.parquet' of "
                        "source 'src' matches no file\n"
                        "  hint: paths are relative to the repo folder; "
                        "check the name, or create the data first");
  free(msg);
}

/* A hive-partitioned folder: data/events/day=D/part.parquet files. */
static void write_hive_folder(void) {
  lr__buf sql, err;
  lr__buf_init(&sql);
  lr__buf_init(&err);
  lr__buf_printf(&sql, "COPY (SELECT i::BIGINT AS user_id, TIMESTAMP "
                 "'2024-01-01' + to_days(i::INTEGER) AS ts, i * 0.5 AS "
                 "score, i AS day FROM range(1, 4) t(i)) TO '%s/data/events' "
                 "(FORMAT PARQUET, PARTITION_BY (day))", g_repo);
  cr_assert_eq(lr__duckdb_run(db(), lr__buf_str(&sql), 0, NULL, &err), 0,
               "%s", lr__buf_str(&err));
  lr__buf_free(&sql);
  lr__buf_free(&err);
}

Test(offline, x009_a_hive_partitioned_folder_checks_and_loads, .init = setup,
     .fini = teardown) {
  write_hive_folder();
  static const char *const paths[] = {"data/events",
                                       "data/events/**/*.parquet"};
  for (int p = 0; p < 2; p++) {
    char defs[1024];
    snprintf(defs, sizeof defs,
             "entities:\n"
             "  - {name: user, join_keys: [user_id], value_type: int64}\n"
             "sources:\n"
             "  - {name: ev, kind: file, path: '%s', timestamp_field: ts}\n"
             "feature_views:\n  - name: v\n    entities: [user]\n"
             "    source: ev\n    schema:\n"
             "      - {name: score, dtype: float32}\n"
             "      - {name: day, dtype: int64}\n",
             paths[p]);
    char *msg = NULL;
    cr_assert_eq(check_defs(defs, &msg), 0, "%s: %s", paths[p], msg);
    free(msg);
    apply(defs);
    lr_materialize_spec spec = {.start_us = 0, .end_us = 1800000000000000LL};
    lr_materialize_stats st;
    cr_assert_eq(lr_materialize(g_off, &spec, &st), 0, "%s",
                 lr_offline_errmsg(g_off));
    cr_assert_eq(st.rows_read, 3, "%s", paths[p]);
    lr_offline_close(g_off);
    g_off = NULL;
  }
}

Test(offline, x010_a_missing_column_lists_the_columns_and_the_mapping,
     .init = setup, .fini = teardown) {
  th_write(g_repo, "data/s.csv", "user_id,event_timestamp,f0,f1\n"
                                 "1,2024-01-01 00:00:00,0.5,2\n");
  char *msg = NULL;
  int rc = check_defs(
      "entities:\n"
      "  - {name: user, join_keys: [user_id], value_type: int64}\n"
      "sources:\n"
      "  - {name: s, kind: file, path: data/s.csv, timestamp_field: "
      "event_timestamp, field_mapping: {f2: other}}\n"
      "feature_views:\n  - name: v\n    entities: [user]\n    source: s\n"
      "    schema:\n"
      "      - {name: f0_score, dtype: float32}\n"
      "      - {name: zzz, dtype: float32}\n"
      "      - {name: other, dtype: float32}\n",
      &msg);
  cr_assert_eq(rc, LR_EDEFINITION, "%s", msg);
  cr_assert_str_eq(
      msg,
      "f.yaml:4:95: source 's' has no column 'f2' for its field_mapping to "
      "'other'; its columns are user_id, event_timestamp, f0, f1\n"
      "  hint: did you mean 'f0'?\n"
      "f.yaml:10:16: source 's' has no column 'f0_score' for feature "
      "'f0_score' of feature view 'v'; its columns are user_id, "
      "event_timestamp, f0, f1\n"
      "  hint: did you mean 'f0'? To read it as 'f0_score', map it: "
      "`field_mapping: {f0: f0_score}` in source 's'\n"
      "f.yaml:11:16: source 's' has no column 'zzz' for feature 'zzz' of "
      "feature view 'v'; its columns are user_id, event_timestamp, f0, f1\n"
      "  hint: add the column to the source, or read one of its columns as "
      "'zzz': `field_mapping: {COLUMN: zzz}` in source 's'");
  free(msg);
}

Test(offline, x011_the_check_needs_a_repo_that_loaded) {
  cr_assert_eq(lr_repo_check_sources(NULL), LR_EINVAL);
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "f.yaml", "entities: [\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  cr_assert_eq(lr_repo_check_sources(repo), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo), "the repo did not load (the "
                   "feature definitions are not valid); fix that first");
  lr_repo_close(repo);
  th_rmrf(dir);
}

/*
 * test_offline.c - the offline layer: DuckDB loaded on demand, and Parquet
 * files written into the online store through it.
 */
#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"

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

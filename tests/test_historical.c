/*
 * test_historical.c - point-in-time-correct training sets
 * (lr_get_historical_features) through the public API.
 *
 * Each test builds a repo in a fresh temp folder (repo/ with its data/
 * written as Parquet by a helper DuckDB, work/ as the current folder where
 * entity files and outputs go, so that source paths must resolve inside the
 * repo and not against the current folder), applies it and opens it for
 * offline work. Outputs are read back through the helper DuckDB.
 *
 * The rule (issue 4, Feast's): for each entity row and each view, among the
 * source rows with equal join keys and event_ts <= entity_ts (and
 * >= entity_ts - ttl when ttl > 0, both inclusive) the greatest
 * (event_ts, created_ts) wins; none gives nulls. h033 checks it on random
 * data against a brute-force implementation written here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "process.h"

/* ---- fixture ------------------------------------------------------------- */

#include "offline_fixture.h"

/* Runs SQL on the helper DuckDB; with n_cols > 0 returns the rows as
 * tab-separated lines (caller frees), else NULL. */
static char *q(int n_cols, const char *fmt, ...) {
  lr__buf sql, rows, err;
  lr__buf_init(&sql);
  lr__buf_init(&rows);
  lr__buf_init(&err);
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(&sql, fmt, ap);
  va_end(ap);
  int rc = lr__duckdb_run(db(), lr__buf_str(&sql), n_cols,
                          n_cols ? &rows : NULL, &err);
  cr_assert_eq(rc, 0, "%s\n-- %s", lr__buf_str(&err), lr__buf_str(&sql));
  lr__buf_free(&sql);
  lr__buf_free(&err);
  if (!n_cols) {
    lr__buf_free(&rows);
    return NULL;
  }
  lr__buf_puts(&rows, "");
  return lr__buf_steal(&rows);
}

/* Writes the rows of `select` to repo/<rel> as Parquet. */
static void repo_parquet(const char *rel, const char *select) {
  q(0, "COPY (%s) TO '%s/%s' (FORMAT PARQUET)", select, g_repo, rel);
}

/* Splits "a,b,c" into refs (pointers into `buf`). */
static int split(char *buf, const char **refs, int max) {
  int n = 0;
  for (char *tok = strtok(buf, ","); tok && n < max; tok = strtok(NULL, ","))
    refs[n++] = tok;
  return n;
}

/* Runs a training set from entities file `entities` (in work/) with the
 * features "v:f,v:g" into `output` (in work/). */
static int hist(const char *entities, const char *features, int full,
                const char *output, unsigned long long *rows) {
  char buf[2048];
  snprintf(buf, sizeof buf, "%s", features);
  const char *refs[64];
  lr_historical_spec spec = {0};
  spec.entities_file = entities;
  spec.features = refs;
  spec.n_features = split(buf, refs, 64);
  spec.full_feature_names = full;
  spec.output = output;
  return lr_get_historical_features(g_off, &spec, rows);
}

/* The output file's rows as JSON objects, one a line (caller frees). */
static char *json_rows(const char *file) {
  int csv = strstr(file, ".csv") != NULL;
  return q(1, "SELECT to_json(t) FROM %s('%s') t",
           csv ? "read_csv" : "read_parquet", file);
}

/* The output file's column names, comma-separated (caller frees). */
static char *columns(const char *file) {
  return q(1, "SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * "
           "FROM read_parquet('%s'))", file);
}

#define ASSERT_MSG(needle)                                                   \
  cr_assert(strstr(lr_offline_errmsg(g_off), needle),                        \
            "message lacks '%s': %s", needle, lr_offline_errmsg(g_off))

/* ---- the standard repo ------------------------------------------------- */

static const char std_defs[] =
    "entities:\n"
    "  - {name: user, join_keys: [user_id], value_type: int64}\n"
    "  - {name: merchant, join_keys: [merchant_id], value_type: string}\n"
    "sources:\n"
    "  - {name: user_src, kind: file, path: data/user.parquet,\n"
    "     timestamp_field: ts, created_timestamp_column: created}\n"
    "  - {name: merchant_src, kind: file, path: data/merchant.parquet,\n"
    "     timestamp_field: event_timestamp}\n"
    "  - {name: pair_src, kind: file, path: data/pair.parquet,\n"
    "     timestamp_field: ts}\n"
    "  - {name: mapped_src, kind: file, path: data/mapped.parquet,\n"
    "     timestamp_field: at, field_mapping: {uid: user_id, raw: score2}}\n"
    "  - name: sql_src\n"
    "    kind: sql\n"
    "    query: SELECT user_id, ts, created, score * 10 AS score10 FROM "
    "read_parquet('data/user.parquet')\n"
    "    timestamp_field: ts\n"
    "    created_timestamp_column: created\n"
    "  - {name: push_src, kind: push, batch_source: user_src}\n"
    "  - {name: bad_type_src, kind: file, path: data/bad_type.parquet,\n"
    "     timestamp_field: ts}\n"
    "  - {name: corrupt_src, kind: file, path: data/corrupt.parquet,\n"
    "     timestamp_field: ts}\n"
    "  - {name: truncated_src, kind: file, path: data/truncated.parquet,\n"
    "     timestamp_field: ts}\n"
    "request_sources:\n"
    "  - name: req\n"
    "    schema:\n"
    "      - {name: bonus, dtype: int64}\n"
    "feature_views:\n"
    "  - name: uv\n"
    "    entities: [user]\n"
    "    source: user_src\n"
    "    ttl: 1h\n"
    "    schema:\n"
    "      - {name: score, dtype: int64}\n"
    "      - {name: name, dtype: string}\n"
    "  - name: uv0\n"
    "    entities: [user]\n"
    "    source: user_src\n"
    "    schema:\n"
    "      - {name: score, dtype: int64}\n"
    "      - {name: name, dtype: string}\n"
    "  - name: mv\n"
    "    entities: [merchant]\n"
    "    source: merchant_src\n"
    "    schema:\n"
    "      - {name: rating, dtype: int64}\n"
    "  - name: pv\n"
    "    entities: [user, merchant]\n"
    "    source: pair_src\n"
    "    ttl: 2h\n"
    "    schema:\n"
    "      - {name: cnt, dtype: int64}\n"
    "  - name: mapped\n"
    "    entities: [user]\n"
    "    source: mapped_src\n"
    "    schema:\n"
    "      - {name: score2, dtype: int64}\n"
    "  - name: sqlv\n"
    "    entities: [user]\n"
    "    source: sql_src\n"
    "    ttl: 1h\n"
    "    schema:\n"
    "      - {name: score10, dtype: int64}\n"
    "  - name: pushv\n"
    "    entities: [user]\n"
    "    source: push_src\n"
    "    ttl: 1h\n"
    "    schema:\n"
    "      - {name: score, dtype: int64}\n"
    "  - name: badv\n"
    "    entities: [user]\n"
    "    source: bad_type_src\n"
    "    schema:\n"
    "      - {name: f, dtype: float32}\n"
    "  - name: corruptv\n"
    "    entities: [user]\n"
    "    source: corrupt_src\n"
    "    schema:\n"
    "      - {name: c, dtype: int64}\n"
    "  - name: truncv\n"
    "    entities: [user]\n"
    "    source: truncated_src\n"
    "    schema:\n"
    "      - {name: t, dtype: int64}\n"
    "on_demand_feature_views:\n"
    "  - name: odfv\n"
    "    sources: [uv, req]\n"
    "    schema:\n"
    "      - {name: plus, dtype: int64, expr: \"score + bonus\"}\n"
    "      - {name: tag, dtype: string,\n"
    "         expr: \"concat(name, '/', cast(bonus, string))\"}\n"
    "      - {name: age, dtype: float64,\n"
    "         expr: \"age_seconds(cast('2024-01-01 10:00:00', timestamp))\"}\n"
    "feature_services:\n"
    "  - name: svc\n"
    "    features:\n"
    "      - mv\n"
    "      - uv: [name, score]\n";

/*
 * user.parquet (times on 2024-01-01 unless said):
 *   user 1: 10:00 c10:00 100 | 11:00 c11:00 110 | 11:00 c11:30 111 |
 *           11:00 c10:45 109 | 12:00 cNULL 120 | 12:00 c12:00 121 (name
 *           NULL) | 14:00 c14:00 140
 *   user 2: 09:00 c09:00 200
 *   user 4: 1999-12-31 23:59:59 cNULL 400
 */
static void std_repo(void) {
  repo_parquet(
      "data/user.parquet",
      "SELECT user_id::BIGINT AS user_id, ts::TIMESTAMP AS ts, "
      "created::TIMESTAMP AS created, score::BIGINT AS score, "
      "name::VARCHAR AS name FROM (VALUES "
      "(1, '2024-01-01 10:00:00', '2024-01-01 10:00:00', 100, 'a100'), "
      "(1, '2024-01-01 11:00:00', '2024-01-01 11:00:00', 110, 'a110'), "
      "(1, '2024-01-01 11:00:00', '2024-01-01 11:30:00', 111, 'a111'), "
      "(1, '2024-01-01 11:00:00', '2024-01-01 10:45:00', 109, 'a109'), "
      "(1, '2024-01-01 12:00:00', NULL, 120, 'a120'), "
      "(1, '2024-01-01 12:00:00', '2024-01-01 12:00:00', 121, NULL), "
      "(1, '2024-01-01 14:00:00', '2024-01-01 14:00:00', 140, 'a140'), "
      "(2, '2024-01-01 09:00:00', '2024-01-01 09:00:00', 200, 'b200'), "
      "(4, '1999-12-31 23:59:59', NULL, 400, 'old')) "
      "t(user_id, ts, created, score, name)");
  repo_parquet("data/merchant.parquet",
               "SELECT merchant_id::VARCHAR AS merchant_id, "
               "event_timestamp::TIMESTAMP AS event_timestamp, "
               "rating::BIGINT AS rating FROM (VALUES "
               "('m1', '2024-01-01 08:00:00', 5), "
               "('m1', '2024-01-01 12:00:00', 4), "
               "('m2', '2024-01-01 09:00:00', 3), "
               "('0042', '2024-01-01 09:00:00', 42)) "
               "t(merchant_id, event_timestamp, rating)");
  repo_parquet("data/pair.parquet",
               "SELECT user_id::BIGINT AS user_id, merchant_id::VARCHAR AS "
               "merchant_id, ts::TIMESTAMP AS ts, cnt::BIGINT AS cnt FROM "
               "(VALUES (1, 'm1', '2024-01-01 10:00:00', 11), "
               "(1, 'm2', '2024-01-01 10:00:00', 12), "
               "(2, 'm1', '2024-01-01 10:00:00', 21)) "
               "t(user_id, merchant_id, ts, cnt)");
  repo_parquet("data/mapped.parquet",
               "SELECT 1::BIGINT AS uid, TIMESTAMP '2024-01-01 10:00:00' AS "
               "at, 7::BIGINT AS raw, 99::BIGINT AS score2");
  /* placeholders (apply wants every file source's path to exist): the
   * tests of bad sources write them with make_bad_sources() */
  th_write(g_repo, "data/bad_type.parquet", "placeholder");
  th_write(g_repo, "data/truncated.parquet", "placeholder");
  th_write(g_repo, "data/corrupt.parquet", "PAR1 this is not parquet PAR1");
  apply(std_defs);
}

/* bad_type.parquet: text in the float feature f of view badv (a good
 * value first); truncated.parquet: the first half of a good file. */
static void make_bad_sources(void) {
  repo_parquet("data/bad_type.parquet",
               "SELECT 1::BIGINT AS user_id, TIMESTAMP '2024-01-01 10:00:00' "
               "AS ts, '1.5' AS f UNION ALL SELECT 1, TIMESTAMP "
               "'2024-01-01 11:00:00', 'high'");
  repo_parquet("data/whole.parquet",
               "SELECT i::BIGINT AS user_id, TIMESTAMP '2024-01-01' + "
               "to_seconds(i) AS ts, i::BIGINT AS t FROM range(5000) r(i)");
  char *whole = th_read(g_repo, "data/whole.parquet");
  char path[1200];
  snprintf(path, sizeof path, "%s/data/whole.parquet", g_repo);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  snprintf(path, sizeof path, "%s/data/truncated.parquet", g_repo);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  fwrite(whole, 1, (size_t)st.st_size / 2, f);
  fclose(f);
  free(whole);
}

/* ---- point-in-time rules ------------------------------------------------ */

Test(historical, h001_ttl_boundaries_are_inclusive, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "2,2024-01-01 09:00:00\n"   /* source row exactly at entity ts */
           "2,2024-01-01 10:00:00\n"   /* exactly ttl (1h) before */
           "2,2024-01-01 10:00:01\n"   /* one second more */
           "1,2024-01-01 13:00:00\n"); /* 12:00 row exactly 1h before */
  unsigned long long n = 0;
  int rc = hist("e.csv", "uv:score,uv:name", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 4);
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"user_id\":2,\"event_timestamp\":\"2024-01-01 09:00:00+00\",\"score\":200,\"name\":\"b200\"}\n"
      "{\"user_id\":2,\"event_timestamp\":\"2024-01-01 10:00:00+00\",\"score\":200,\"name\":\"b200\"}\n"
      "{\"user_id\":2,\"event_timestamp\":\"2024-01-01 10:00:01+00\",\"score\":null,\"name\":null}\n"
      "{\"user_id\":1,\"event_timestamp\":\"2024-01-01 13:00:00+00\",\"score\":121,\"name\":null}\n");
  free(rows);
}

Test(historical, h002_created_ts_breaks_ties, .init = setup, .fini = teardown) {
  std_repo();
  /* 11:00 has created 11:00, 11:30 and 10:45: 11:30 wins; 12:00 has created
   * NULL (120) and 12:00 (121): NULL loses. */
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 11:00:00\n"
           "1,2024-01-01 11:59:59\n"
           "1,2024-01-01 12:00:00\n"
           "1,2024-01-01 12:30:00\n");
  int rc = hist("e.csv", "uv0:score,uv0:name", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(2, "SELECT score, coalesce(name, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "111\ta111\n111\ta111\n121\tNULL\n121\tNULL\n");
  free(rows);
}

Test(historical, h003_future_rows_are_excluded, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 13:59:59\n" /* 14:00 is a second in the future */
           "1,2024-01-01 14:00:00\n"
           "2,2024-01-01 08:59:59\n" /* user 2's only row is later */
           "1,2024-01-01 09:59:59.999999\n");
  int rc = hist("e.csv", "uv0:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT coalesce(score::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "121\n140\nNULL\nNULL\n");
  free(rows);
}

Test(historical, h004_no_match_gives_nulls, .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "3,2024-01-01 12:00:00\n"  /* unknown key */
           "1,2023-01-01 12:00:00\n"  /* before every row of the key */
           "1,2024-01-01 10:00:00\n");
  unsigned long long n = 0;
  int rc = hist("e.csv", "uv:score,uv:name,mv:rating", 0, "out.parquet", &n);
  /* mv needs merchant_id: not in this file */
  cr_assert_eq(rc, LR_EINVAL);
  rc = hist("e.csv", "uv:score,uv:name", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 3);
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"user_id\":3,\"event_timestamp\":\"2024-01-01 12:00:00+00\",\"score\":null,\"name\":null}\n"
      "{\"user_id\":1,\"event_timestamp\":\"2023-01-01 12:00:00+00\",\"score\":null,\"name\":null}\n"
      "{\"user_id\":1,\"event_timestamp\":\"2024-01-01 10:00:00+00\",\"score\":100,\"name\":\"a100\"}\n");
  free(rows);
}

Test(historical, h005_ttl_zero_is_unbounded, .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "4,2024-06-01 00:00:00\n"  /* row from 1999 */
           "1,2030-01-01 00:00:00\n"
           "4,1999-12-31 23:59:58\n");
  int rc = hist("e.csv", "uv:score,uv0:score", 1, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(2, "SELECT coalesce(uv__score::VARCHAR, 'NULL'), "
                 "coalesce(uv0__score::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "NULL\t400\nNULL\t140\nNULL\tNULL\n");
  free(rows);
}

Test(historical, h006_composite_and_string_keys, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,merchant_id,event_timestamp\n"
           "1,m1,2024-01-01 11:00:00\n"
           "1,m2,2024-01-01 11:00:00\n"
           "2,m1,2024-01-01 11:00:00\n"
           "2,m2,2024-01-01 11:00:00\n"  /* no (2, m2) pair */
           "1,m1,2024-01-01 12:00:01\n"  /* pv ttl 2h: 10:00 is too old */
           "1,m1,2024-01-01 12:00:00\n"  /* exactly 2h: kept */
           "1,m3,2024-01-01 12:00:00\n");
  int rc = hist("e.csv", "pv:cnt,mv:rating", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(4, "SELECT user_id, merchant_id, coalesce(cnt::VARCHAR, "
                 "'NULL'), coalesce(rating::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows,
                   "1\tm1\t11\t5\n"
                   "1\tm2\t12\t3\n"
                   "2\tm1\t21\t5\n"
                   "2\tm2\tNULL\t3\n"
                   "1\tm1\tNULL\t4\n"
                   "1\tm1\t11\t4\n"
                   "1\tm3\tNULL\tNULL\n");
  free(rows);
}

Test(historical, h007_views_with_different_keys_in_one_request, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "merchant_id,event_timestamp,user_id,label\n"
           "m1,2024-01-01 12:00:00,1,x\n"
           "m2,2024-01-01 10:00:00,2,y\n");
  int rc = hist("e.csv", "mv:rating,uv:score,pv:cnt,uv:name", 0,
                "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *cols = columns("out.parquet");
  cr_assert_str_eq(cols, "merchant_id,event_timestamp,user_id,label,rating,"
                   "score,cnt,name\n");
  free(cols);
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"merchant_id\":\"m1\",\"event_timestamp\":\"2024-01-01 12:00:00+00\",\"user_id\":1,\"label\":\"x\",\"rating\":4,\"score\":121,\"cnt\":11,\"name\":null}\n"
      "{\"merchant_id\":\"m2\",\"event_timestamp\":\"2024-01-01 10:00:00+00\",\"user_id\":2,\"label\":\"y\",\"rating\":3,\"score\":200,\"cnt\":null,\"name\":\"b200\"}\n");
  free(rows);
}

Test(historical, h008_duplicate_entity_rows_kept_in_input_order,
     .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp,tag\n"
           "1,2024-01-01 11:00:00,1\n"
           "2,2024-01-01 09:30:00,2\n"
           "1,2024-01-01 11:00:00,1\n"
           "1,2024-01-01 10:30:00,3\n"
           "1,2024-01-01 11:00:00,1\n"
           "2,2024-01-01 09:30:00,2\n");
  unsigned long long n = 0;
  int rc = hist("e.csv", "uv:score", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 6);
  char *rows = q(3, "SELECT user_id, tag, score FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "1\t1\t111\n2\t2\t200\n1\t1\t111\n1\t3\t100\n"
                   "1\t1\t111\n2\t2\t200\n");
  free(rows);
}

Test(historical, h009_rows_with_null_timestamp_or_key_are_kept,
     .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp,tag\n"
           "1,2024-01-01 11:00:00,1\n"
           "1,,2\n"
           ",2024-01-01 11:00:00,3\n"
           "2,2024-01-01 09:00:00,4\n");
  unsigned long long n = 0;
  int rc = hist("e.csv", "uv:score", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 4);
  char *rows = q(2, "SELECT tag, coalesce(score::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "1\t111\n2\tNULL\n3\tNULL\n4\t200\n");
  free(rows);
}

Test(historical, h010_large_input_keeps_order_and_every_row, .init = setup,
     .fini = teardown) {
  std_repo();
  /* many row groups, so that DuckDB reads them in parallel */
  q(0, "COPY (SELECT (i %% 5)::BIGINT AS user_id, TIMESTAMP '2024-01-01 "
       "08:00:00' + to_seconds((i * 7919) %% 21600) AS event_timestamp, "
       "i::BIGINT AS tag FROM range(200000) r(i)) TO 'e.parquet' "
       "(FORMAT PARQUET, ROW_GROUP_SIZE 4096)");
  unsigned long long n = 0;
  int rc = hist("e.parquet", "uv0:score", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 200000);
  char *rows = q(1, "SELECT tag FROM read_parquet('out.parquet')");
  const char *p = rows;
  for (long i = 0; i < 200000; i++) {
    char *end;
    long v = strtol(p, &end, 10);
    cr_assert(end != p && *end == '\n', "row %ld is missing", i);
    cr_assert_eq(v, i, "row %ld holds the entity row %ld", i, v);
    p = end + 1;
  }
  cr_assert_eq(*p, '\0', "more output rows than input rows");
  free(rows);
  /* and the values are those of the rule: spot checks by SQL */
  char *bad = q(1, "SELECT count(*) FROM read_parquet('out.parquet') o "
                "WHERE coalesce(o.score, -1) <> CASE "
                "WHEN user_id = 1 AND event_timestamp >= TIMESTAMP "
                "'2024-01-01 14:00:00' THEN 140 "
                "WHEN user_id = 1 AND event_timestamp >= TIMESTAMP "
                "'2024-01-01 12:00:00' THEN 121 "
                "WHEN user_id = 1 AND event_timestamp >= TIMESTAMP "
                "'2024-01-01 11:00:00' THEN 111 "
                "WHEN user_id = 1 AND event_timestamp >= TIMESTAMP "
                "'2024-01-01 10:00:00' THEN 100 "
                "WHEN user_id = 2 AND event_timestamp >= TIMESTAMP "
                "'2024-01-01 09:00:00' THEN 200 "
                "WHEN user_id = 4 THEN 400 ELSE -1 END");
  cr_assert_str_eq(bad, "0\n");
  free(bad);
}

/* ---- sources ------------------------------------------------------------ */

Test(historical, h011_field_mapping_renames_source_columns, .init = setup,
     .fini = teardown) {
  std_repo();
  /* mapped.parquet has uid (-> user_id), at, raw (-> score2) and a column
   * really named score2 (99) that must not be read */
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 10:00:00\n"
           "1,2024-01-01 09:00:00\n");
  int rc = hist("e.csv", "mapped:score2", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT coalesce(score2::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "7\nNULL\n");
  free(rows);
}

Test(historical, h012_sql_source_reads_paths_inside_the_repo, .init = setup,
     .fini = teardown) {
  std_repo();
  /* the current folder is work/, not the repo: the query's relative path
   * must resolve inside the repo */
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 11:00:00\n"
           "1,2024-01-01 12:30:00\n"
           "2,2024-01-01 10:00:01\n");
  int rc = hist("e.csv", "sqlv:score10", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT coalesce(score10::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "1110\n1210\nNULL\n");
  free(rows);
}

Test(historical, h013_push_source_reads_its_batch_source, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 11:30:00\n"
           "2,2024-01-01 09:59:59\n");
  int rc = hist("e.csv", "pushv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT score FROM read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "111\n200\n");
  free(rows);
}

Test(historical, h014_csv_source_and_offsets_in_source_times, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/s.csv",
           "user_id,ts,v\n"
           "1,2024-01-01T12:00:00+02:00,10\n"  /* 10:00Z */
           "1,2024-01-01T11:30:00Z,11\n"
           "2,2024-01-01 09:00:00,20\n");     /* naive: UTC */
  apply("entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n  - {name: s, kind: file, path: data/s.csv, "
        "timestamp_field: ts}\n"
        "feature_views:\n  - name: cv\n    entities: [user]\n    source: s\n"
        "    schema:\n      - {name: v, dtype: int64}\n");
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 09:59:59\n"
           "1,2024-01-01 10:00:00\n"
           "1,2024-01-01 11:30:00\n"
           "2,2024-01-01 08:59:59\n"
           "2,2024-01-01 09:00:00\n");
  int rc = hist("e.csv", "cv:v", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT coalesce(v::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "NULL\n10\n11\nNULL\n20\n");
  free(rows);
}

/* ---- entity input ------------------------------------------------------- */

Test(historical, h015_timezone_offsets_in_entity_csv, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "2,2024-01-01T11:00:00+02:00\n"    /* 09:00Z: exact */
           "2,2024-01-01T12:00:00+02:00\n"    /* 10:00Z: exactly ttl */
           "2,2024-01-01T12:00:01+02:00\n"    /* 10:00:01Z: too old */
           "2,2024-01-01T03:59:59-05:00\n");  /* 08:59:59Z: before */
  int rc = hist("e.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(2, "SELECT strftime(event_timestamp AT TIME ZONE 'UTC', "
                 "'%%Y-%%m-%%d %%H:%%M:%%S'), coalesce(score::VARCHAR, "
                 "'NULL') FROM read_parquet('out.parquet')");
  cr_assert_str_eq(rows,
                   "2024-01-01 09:00:00\t200\n"
                   "2024-01-01 10:00:00\t200\n"
                   "2024-01-01 10:00:01\tNULL\n"
                   "2024-01-01 08:59:59\tNULL\n");
  free(rows);
}

Test(historical, h016_naive_times_are_utc_whatever_the_local_zone,
     .init = setup, .fini = teardown) {
  /* a process in another zone: naive entity and source times stay UTC */
  setenv("TZ", "Asia/Kolkata", 1);
  tzset();
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "2,2024-01-01 09:00:00\n"
           "2,2024-01-01 10:00:01\n"
           "2,2024-01-01T09:00:00Z\n");
  int rc = hist("e.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT coalesce(score::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "200\nNULL\n200\n");
  free(rows);
}

Test(historical, h017_parquet_entities_with_timestamptz, .init = setup,
     .fini = teardown) {
  std_repo();
  /* no event_timestamp column: the only timestamp column is used */
  q(0, "COPY (SELECT * FROM (VALUES "
       "(1::BIGINT, TIMESTAMPTZ '2024-01-01 13:00:00+02', 'a'), "
       "(1, TIMESTAMPTZ '2024-01-01 11:30:00+00', 'b'), "
       "(2, TIMESTAMPTZ '2024-01-01 09:00:00+00', 'c')) "
       "t(user_id, label_time, what)) TO 'e.parquet' (FORMAT PARQUET)");
  unsigned long long n = 0;
  int rc = hist("e.parquet", "uv:score,uv:name", 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 3);
  char *cols = columns("out.parquet");
  cr_assert_str_eq(cols, "user_id,label_time,what,score,name\n");
  free(cols);
  char *rows = q(2, "SELECT what, score FROM read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "a\t111\nb\t111\nc\t200\n");
  free(rows);
}

Test(historical, h018_entities_from_sql, .init = setup, .fini = teardown) {
  std_repo();
  const char *refs[] = {"uv:score"};
  lr_historical_spec spec = {0};
  spec.entities_sql =
      "SELECT * FROM (VALUES (2::BIGINT, TIMESTAMP '2024-01-01 09:30:00'), "
      "(1, TIMESTAMP '2024-01-01 12:00:00'), (3, TIMESTAMP '2024-01-01 "
      "12:00:00')) t(user_id, event_timestamp)";
  spec.features = refs;
  spec.n_features = 1;
  spec.output = "out.parquet";
  unsigned long long n = 0;
  int rc = lr_get_historical_features(g_off, &spec, &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 3);
  char *rows = q(2, "SELECT user_id, coalesce(score::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "2\t200\n1\t121\n3\tNULL\n");
  free(rows);
  /* entity SQL may read files of the repo by relative path too */
  spec.entities_sql = "SELECT user_id, ts AS event_timestamp FROM "
                      "read_parquet('data/user.parquet') WHERE user_id = 2";
  rc = lr_get_historical_features(g_off, &spec, &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, 1);
}

Test(historical, h019_csv_output, .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n"
           "1,2024-01-01 11:00:00\n"
           "3,2024-01-01 11:00:00\n");
  th_write(g_work, "out.csv", "old content that must be replaced\n");
  int rc = hist("e.csv", "uv:score,uv:name", 1, "out.csv", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *text = th_read(g_work, "out.csv");
  cr_assert_str_eq(text, "user_id,event_timestamp,uv__score,uv__name\n"
                   "1,2024-01-01 11:00:00+00,111,a111\n"
                   "3,2024-01-01 11:00:00+00,,\n");
  free(text);
}

Test(historical, h020_csv_entity_string_keys_keep_their_text, .init = setup,
     .fini = teardown) {
  std_repo();
  /* merchant_id is a string key: "0042" must not be read as the number 42 */
  th_write(g_work, "e.csv",
           "merchant_id,event_timestamp\n"
           "0042,2024-01-01 10:00:00\n"
           "0042,2024-01-01 08:00:00\n");
  int rc = hist("e.csv", "mv:rating", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(2, "SELECT merchant_id::VARCHAR, coalesce(rating::VARCHAR, "
                 "'NULL') FROM read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "0042\t42\n0042\tNULL\n");
  free(rows);
}

Test(historical, h021_csv_source_string_keys_keep_their_text, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/s.csv",
           "code,ts,v\n"
           "007,2024-01-01 10:00:00,1\n"
           "7,2024-01-01 10:00:00,2\n");
  apply("entities:\n  - {name: c, join_keys: [code], value_type: string}\n"
        "sources:\n  - {name: s, kind: file, path: data/s.csv, "
        "timestamp_field: ts}\n"
        "feature_views:\n  - name: cv\n    entities: [c]\n    source: s\n"
        "    schema:\n      - {name: v, dtype: int64}\n");
  const char *refs[] = {"cv:v"};
  lr_historical_spec spec = {0};
  spec.entities_sql = "SELECT * FROM (VALUES ('007', TIMESTAMP '2024-01-01 "
                      "11:00:00'), ('7', TIMESTAMP '2024-01-01 11:00:00')) "
                      "t(code, event_timestamp)";
  spec.features = refs;
  spec.n_features = 1;
  spec.output = "out.parquet";
  int rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(2, "SELECT code, coalesce(v::VARCHAR, 'NULL') FROM "
                 "read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "007\t1\n7\t2\n");
  free(rows);
}

/* ---- names and requests ------------------------------------------------- */

Test(historical, h022_full_feature_names_and_request_order, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,merchant_id,event_timestamp\n"
           "1,m1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "uv:name,mv:rating,uv0:score,uv:score", 1,
                "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *cols = columns("out.parquet");
  cr_assert_str_eq(cols, "user_id,merchant_id,event_timestamp,uv__name,"
                   "mv__rating,uv0__score,uv__score\n");
  free(cols);
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"user_id\":1,\"merchant_id\":\"m1\",\"event_timestamp\":\"2024-01-01 11:00:00+00\","
      "\"uv__name\":\"a111\",\"mv__rating\":5,\"uv0__score\":111,\"uv__score\":111}\n");
  free(rows);
}

Test(historical, h023_feature_name_collisions_are_errors, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "uv:score,uv0:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("score");
  cr_assert(access("out.parquet", F_OK) != 0, "no output on failure");
  /* a feature named like an entity column */
  th_write(g_work, "e2.csv",
           "user_id,event_timestamp,name\n1,2024-01-01 11:00:00,x\n");
  rc = hist("e2.csv", "uv:name", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("name");
  cr_assert(access("out.parquet", F_OK) != 0, "no output on failure");
  /* full names resolve both */
  rc = hist("e2.csv", "uv:score,uv0:score,uv:name", 1, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
}

Test(historical, h024_feature_service, .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "event_timestamp,merchant_id,user_id\n"
           "2024-01-01 12:00:00,m1,1\n"
           "2024-01-01 09:00:00,m2,2\n");
  lr_historical_spec spec = {0};
  spec.entities_file = "e.csv";
  spec.service = "svc";
  spec.output = "out.parquet";
  int rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"event_timestamp\":\"2024-01-01 12:00:00+00\",\"merchant_id\":\"m1\",\"user_id\":1,\"rating\":4,\"name\":null,\"score\":121}\n"
      "{\"event_timestamp\":\"2024-01-01 09:00:00+00\",\"merchant_id\":\"m2\",\"user_id\":2,\"rating\":3,\"name\":\"b200\",\"score\":200}\n");
  free(rows);
  spec.full_feature_names = 1;
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *cols = columns("out.parquet");
  cr_assert_str_eq(cols, "event_timestamp,merchant_id,user_id,mv__rating,"
                   "uv__name,uv__score\n");
  free(cols);
  spec.service = "nope";
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_ENOTFOUND);
  ASSERT_MSG("nope");
}

/* On-demand features: computed from the joined features (ttl applied) and
 * the entity columns, at the entity row's time, and output last. */
Test(historical, h025_on_demand_features, .init = setup, .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp,bonus\n"
           "1,2024-01-01 12:30:00,5\n"
           "2,2024-01-01 09:30:00,\n"   /* a null request value */
           "1,2024-01-01 16:00:00,1\n"  /* score outside uv's ttl */
           "2,2024-01-01 09:00:00,7\n");
  int rc = hist("e.csv", "odfv:plus,uv:score,odfv:tag,odfv:age", 0,
                "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = json_rows("out.parquet");
  cr_assert_str_eq(rows,
      "{\"user_id\":1,\"event_timestamp\":\"2024-01-01 12:30:00+00\",\"bonus\":5,\"score\":121,\"plus\":126,\"tag\":null,\"age\":9000.0}\n"
      "{\"user_id\":2,\"event_timestamp\":\"2024-01-01 09:30:00+00\",\"bonus\":null,\"score\":200,\"plus\":null,\"tag\":null,\"age\":-1800.0}\n"
      "{\"user_id\":1,\"event_timestamp\":\"2024-01-01 16:00:00+00\",\"bonus\":1,\"score\":null,\"plus\":null,\"tag\":null,\"age\":21600.0}\n"
      "{\"user_id\":2,\"event_timestamp\":\"2024-01-01 09:00:00+00\",\"bonus\":7,\"score\":200,\"plus\":207,\"tag\":\"b200/7\",\"age\":-3600.0}\n");
  free(rows);
  /* an on-demand feature alone still joins the view it reads */
  rc = hist("e.csv", "odfv:plus", 1, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *cols = columns("out.parquet");
  cr_assert_str_eq(cols, "user_id,event_timestamp,bonus,odfv__plus\n");
  free(cols);
  /* the request field must be a column of the entity rows */
  th_write(g_work, "e2.csv", "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  rc = hist("e2.csv", "uv:score,odfv:plus", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("no column 'bonus', a request field that on-demand feature "
             "view 'odfv' reads");
  /* age only reads no request field */
  rc = hist("e2.csv", "odfv:age", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
}

Test(historical, h026_unknown_views_and_features, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "nov:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_ENOTFOUND);
  ASSERT_MSG("nov");
  rc = hist("e.csv", "uv:nofeature", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_ENOTFOUND);
  ASSERT_MSG("nofeature");
  rc = hist("e.csv", "uvscore", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("uvscore");
}

/* ---- bad input ------------------------------------------------------------ */

Test(historical, h027_missing_entity_key_column, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "uv:score,pv:cnt", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("merchant_id");
  ASSERT_MSG("pv");
  th_write(g_work, "e2.csv",
           "uid,event_timestamp\n1,2024-01-01 11:00:00\n");
  rc = hist("e2.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("user_id");
  cr_assert(access("out.parquet", F_OK) != 0, "no output on failure");
}

Test(historical, h028_entity_timestamp_column_must_be_clear, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "none.csv", "user_id,label\n1,x\n");
  int rc = hist("none.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("event_timestamp");
  ASSERT_MSG("user_id");
  ASSERT_MSG("label");
  th_write(g_work, "two.csv",
           "user_id,t1,t2\n1,2024-01-01 11:00:00,2024-01-01 12:00:00\n");
  rc = hist("two.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("t1");
  ASSERT_MSG("t2");
}

Test(historical, h034_event_timestamp_wins_over_other_timestamp_columns,
     .init = setup, .fini = teardown) {
  std_repo();
  /* with event_timestamp among several timestamp columns, it is the one,
   * wherever it stands */
  th_write(g_work, "three.csv",
           "user_id,t1,event_timestamp\n"
           "2,2024-01-01 08:00:00,2024-01-01 09:00:00\n");
  int rc = hist("three.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  char *rows = q(1, "SELECT score FROM read_parquet('out.parquet')");
  cr_assert_str_eq(rows, "200\n");
  free(rows);
}

Test(historical, h029_wrong_column_type_in_a_source, .init = setup,
     .fini = teardown) {
  std_repo();
  make_bad_sources();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "uv:score,badv:f", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("badv");
  ASSERT_MSG("high"); /* DuckDB's conversion error quotes the value */
  cr_assert(access("out.parquet", F_OK) != 0, "no output on failure");
}

Test(historical, h030_corrupt_or_truncated_parquet_source, .init = setup,
     .fini = teardown) {
  std_repo();
  make_bad_sources();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "corruptv:c", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("corruptv");
  ASSERT_MSG("corrupt.parquet");
  rc = hist("e.csv", "truncv:t", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("truncv");
  ASSERT_MSG("truncated.parquet");
  /* the handle still works afterwards */
  rc = hist("e.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
}

Test(historical, h031_missing_or_corrupt_entity_file, .init = setup,
     .fini = teardown) {
  std_repo();
  int rc = hist("nothere.csv", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_ENOTFOUND);
  ASSERT_MSG("nothere.csv");
  th_write(g_work, "bad.parquet", "not parquet at all");
  rc = hist("bad.parquet", "uv:score", 0, "out.parquet", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("bad.parquet");
}

Test(historical, h032_bad_output_and_bad_specs, .init = setup,
     .fini = teardown) {
  std_repo();
  th_write(g_work, "e.csv",
           "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  int rc = hist("e.csv", "uv:score", 0, "out.json", NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("out.json");
  cr_assert(access("out.json", F_OK) != 0);
  rc = hist("e.csv", "uv:score", 0, NULL, NULL);
  cr_assert_eq(rc, LR_EINVAL);

  const char *refs[] = {"uv:score"};
  lr_historical_spec spec = {0};
  spec.entities_file = "e.csv";
  spec.output = "out.parquet";
  /* neither features nor service */
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("service");
  /* both */
  spec.features = refs;
  spec.n_features = 1;
  spec.service = "svc";
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("service");
  /* both and neither of entity file and SQL */
  spec.service = NULL;
  spec.entities_sql = "SELECT 1::BIGINT AS user_id, now() AS event_timestamp";
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  spec.entities_file = NULL;
  spec.entities_sql = NULL;
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  /* a query that does not run */
  spec.entities_sql = "SELEC nothing";
  rc = lr_get_historical_features(g_off, &spec, NULL);
  cr_assert_eq(rc, LR_EINVAL);
  ASSERT_MSG("entity");
  ASSERT_MSG("SELEC");
  spec.entities_sql = NULL;
  cr_assert_eq(lr_get_historical_features(g_off, NULL, NULL), LR_EINVAL);
  cr_assert_eq(lr_get_historical_features(NULL, &spec, NULL), LR_EINVAL);
  cr_assert(access("out.parquet", F_OK) != 0, "no output on failure");
}

/* ---- random data against a brute-force reference --------------------------- */

/* A deterministic PRNG (splitmix64). */
static uint64_t rng_state;
static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static long rnd_in(long n) { return (long)(rnd() % (uint64_t)n); }

enum { NV = 3, SRC_ROWS = 700, ENT_ROWS = 500, NULL_TIME = -1 };

/* One source row: keys, times (seconds from the base; created NULL_TIME
 * for null), an int feature and a string feature (has_* 0 for null). */
typedef struct srow {
  int user, merchant;
  long ts, created;
  long long iv;
  int has_iv;
  long sv;
  int has_sv;
} srow;

typedef struct erow {
  int user, merchant;
  long ts;
  int tag;
} erow;

static const long ttl_of[NV] = {0, 5 * 3600, 2 * 3600};
static srow src[NV][SRC_ROWS];
static erow ent[ENT_ROWS];

/* 2024-01-01 00:00:00 UTC plus seconds, as text. */
static void fmt_time(long secs, char *out, size_t cap) {
  long d = secs / 86400, s = secs % 86400;
  snprintf(out, cap, "2024-01-%02ld %02ld:%02ld:%02ld", 1 + d, s / 3600,
           s / 60 % 60, s % 60);
}

static int same_key(int v, const srow *a, int user, int merchant) {
  return a->user == user && (v != 2 || a->merchant == merchant);
}

/* The reference: the source row the rule picks, or NULL. */
static const srow *reference(int v, const erow *e) {
  const srow *best = NULL;
  for (int i = 0; i < SRC_ROWS; i++) {
    const srow *r = &src[v][i];
    if (!same_key(v, r, e->user, e->merchant) || r->ts > e->ts)
      continue;
    if (ttl_of[v] > 0 && r->ts < e->ts - ttl_of[v])
      continue;
    if (!best || r->ts > best->ts ||
        (r->ts == best->ts && r->created > best->created))
      best = r;
  }
  return best;
}

static void gen_data(void) {
  long span = 3 * 86400;
  for (int v = 0; v < NV; v++) {
    for (int i = 0; i < SRC_ROWS; i++) {
      srow *r = &src[v][i];
      if (i > 20 && rnd_in(100) < 15) {
        /* the same key and event time as an earlier row */
        *r = src[v][rnd_in(i)];
      } else {
        r->user = (int)rnd_in(v == 2 ? 10 : 50);
        r->merchant = (int)rnd_in(5);
        r->ts = rnd_in(span / 60) * 60 + (rnd_in(4) == 0 ? rnd_in(60) : 0);
      }
      r->has_iv = rnd_in(10) != 0;
      r->iv = (long long)(rnd() % 2000000000000ULL) - 1000000000000LL;
      r->has_sv = rnd_in(10) != 0;
      r->sv = (long)rnd_in(1000000);
      /* created: distinct within (key, ts), at most one null there */
      for (;;) {
        r->created = rnd_in(10) == 0 ? NULL_TIME : r->ts + rnd_in(100000);
        int clash = 0;
        for (int j = 0; j < i && !clash; j++)
          clash = same_key(v, &src[v][j], r->user, r->merchant) &&
                  src[v][j].ts == r->ts && src[v][j].created == r->created;
        if (!clash)
          break;
      }
    }
  }
  for (int i = 0; i < ENT_ROWS; i++) {
    erow *e = &ent[i];
    long kind = rnd_in(100);
    if (i > 10 && kind < 10) {
      *e = ent[rnd_in(i)]; /* a duplicate row, tag included */
      continue;
    }
    e->tag = i;
    e->user = (int)rnd_in(55); /* 50..54: keys no source has */
    e->merchant = (int)rnd_in(6);
    if (kind < 30) {
      e->ts = rnd_in(span + 7200) - 3600 + (rnd_in(2) ? 0 : rnd_in(60));
    } else {
      int v = (int)rnd_in(NV);
      const srow *r = &src[v][rnd_in(SRC_ROWS)];
      e->user = r->user;
      e->merchant = r->merchant;
      long off[] = {0, ttl_of[v], ttl_of[v] + 1, ttl_of[v] - 1, 1, -1};
      e->ts = r->ts + off[rnd_in(6)];
    }
  }
}

/* A time as a SQL literal, or NULL. */
static void sql_time(lr__buf *b, long secs) {
  char ts[64];
  if (secs < 0) {
    long s = 86400 + secs; /* the day before the base */
    snprintf(ts, sizeof ts, "2023-12-31 %02ld:%02ld:%02ld", s / 3600,
             s / 60 % 60, s % 60);
  } else {
    fmt_time(secs, ts, sizeof ts);
  }
  lr__buf_printf(b, "'%s'", ts);
}

/* The sources as Parquet, made from VALUES lists (a CSV detour is slow
 * under ASan: DuckDB's CSV reader allocates large buffers). Row groups are
 * small so that DuckDB reads them in parallel. */
static void write_sources(void) {
  static const char *feat[NV][2] = {
      {"a_i", "a_s"}, {"b_i", "b_s"}, {"c_i", "c_s"}};
  for (int v = 0; v < NV; v++) {
    lr__buf vals;
    lr__buf_init(&vals);
    for (int i = 0; i < SRC_ROWS; i++) {
      const srow *r = &src[v][i];
      lr__buf_printf(&vals, "%s(%d, 'm%d', ", i ? ", " : "", r->user,
                     r->merchant);
      sql_time(&vals, r->ts);
      lr__buf_puts(&vals, ", ");
      if (r->created != NULL_TIME)
        sql_time(&vals, r->created);
      else
        lr__buf_puts(&vals, "NULL");
      if (r->has_iv)
        lr__buf_printf(&vals, ", %lld", r->iv);
      else
        lr__buf_puts(&vals, ", NULL");
      if (r->has_sv)
        lr__buf_printf(&vals, ", 's%ld')", r->sv);
      else
        lr__buf_puts(&vals, ", NULL)");
    }
    q(0, "COPY (SELECT u::BIGINT AS user_id, m::VARCHAR AS merchant_id, "
         "t::TIMESTAMP AS ts, c::TIMESTAMP AS created, i::BIGINT AS %s, "
         "s::VARCHAR AS %s FROM (VALUES %s) v(u, m, t, c, i, s)) TO "
         "'%s/data/r%d.parquet' (FORMAT PARQUET, ROW_GROUP_SIZE 128)",
      feat[v][0], feat[v][1], lr__buf_str(&vals), g_repo, v);
    lr__buf_free(&vals);
  }
}

static const char random_defs[] =
    "entities:\n"
    "  - {name: user, join_keys: [user_id], value_type: int64}\n"
    "  - {name: merchant, join_keys: [merchant_id], value_type: string}\n"
    "sources:\n"
    "  - {name: s0, kind: file, path: data/r0.parquet, timestamp_field: ts,\n"
    "     created_timestamp_column: created}\n"
    "  - {name: s1, kind: file, path: data/r1.parquet, timestamp_field: ts,\n"
    "     created_timestamp_column: created}\n"
    "  - {name: s2, kind: file, path: data/r2.parquet, timestamp_field: ts,\n"
    "     created_timestamp_column: created}\n"
    "feature_views:\n"
    "  - name: ra\n"
    "    entities: [user]\n"
    "    source: s0\n"
    "    ttl: 0s\n"
    "    schema: [{name: a_i, dtype: int64}, {name: a_s, dtype: string}]\n"
    "  - name: rb\n"
    "    entities: [user]\n"
    "    source: s1\n"
    "    ttl: 5h\n"
    "    schema: [{name: b_i, dtype: int64}, {name: b_s, dtype: string}]\n"
    "  - name: rc\n"
    "    entities: [user, merchant]\n"
    "    source: s2\n"
    "    ttl: 2h\n"
    "    schema: [{name: c_i, dtype: int64}, {name: c_s, dtype: string}]\n";

/* The expected output text: tag, user, then each view's two features. */
static char *expected_text(void) {
  lr__buf out;
  lr__buf_init(&out);
  for (int i = 0; i < ENT_ROWS; i++) {
    const erow *e = &ent[i];
    lr__buf_printf(&out, "%d\t%d", e->tag, e->user);
    for (int v = 0; v < NV; v++) {
      const srow *r = reference(v, e);
      if (r && r->has_iv)
        lr__buf_printf(&out, "\t%lld", r->iv);
      else
        lr__buf_puts(&out, "\tNULL");
      if (r && r->has_sv)
        lr__buf_printf(&out, "\ts%ld", r->sv);
      else
        lr__buf_puts(&out, "\tNULL");
    }
    lr__buf_putc(&out, '\n');
  }
  return lr__buf_steal(&out);
}

static void compare_lines(const char *got, const char *want, const char *what) {
  int line = 0;
  while (*got || *want) {
    size_t a = strcspn(got, "\n"), b = strcspn(want, "\n");
    cr_assert(a == b && !strncmp(got, want, a),
              "%s: entity row %d: got '%.*s', want '%.*s' (tag user a_i a_s "
              "b_i b_s c_i c_s)", what, line, (int)a, got, (int)b, want);
    got += a + (got[a] == '\n');
    want += b + (want[b] == '\n');
    line++;
  }
  cr_assert_eq(line, ENT_ROWS, "%s: %d rows", what, line);
}

/* The CSV output's columns tag, user_id, a_i, a_s, b_i, b_s, c_i, c_s
 * (found by the header) as the text expected_text() writes. */
static char *csv_as_text(const char *csv) {
  static const char *want[] = {"tag", "user_id", "a_i", "a_s",
                               "b_i", "b_s",     "c_i", "c_s"};
  int pos[8];
  size_t hl = strcspn(csv, "\n");
  for (int w = 0; w < 8; w++) {
    pos[w] = -1;
    int col = 0;
    for (const char *c = csv; c < csv + hl; col++) {
      size_t n = strcspn(c, ",\n");
      if (n == strlen(want[w]) && !strncmp(c, want[w], n))
        pos[w] = col;
      c += n + (c[n] == ',');
    }
    cr_assert_geq(pos[w], 0, "the CSV output has no column %s", want[w]);
  }
  lr__buf out;
  lr__buf_init(&out);
  for (const char *line = csv + hl + 1; *line;) {
    size_t len = strcspn(line, "\n");
    const char *cells[32];
    size_t lens[32];
    int n = 0;
    for (const char *c = line; n < 32;) {
      size_t l = strcspn(c, ",\n");
      cells[n] = c;
      lens[n++] = l;
      if (c[l] != ',')
        break;
      c += l + 1;
    }
    for (int w = 0; w < 8; w++) {
      cr_assert_lt(pos[w], n);
      if (lens[pos[w]])
        lr__buf_printf(&out, "%s%.*s", w ? "\t" : "", (int)lens[pos[w]],
                       cells[pos[w]]);
      else
        lr__buf_printf(&out, "%sNULL", w ? "\t" : "");
    }
    lr__buf_putc(&out, '\n');
    line += len + (line[len] == '\n');
  }
  lr__buf_puts(&out, "");
  return lr__buf_steal(&out);
}

Test(historical, h033_random_data_matches_brute_force_reference,
     .init = setup, .fini = teardown) {
  rng_state = 20240101;
  gen_data();
  write_sources();
  apply(random_defs);
  /* the entity rows, as CSV and as Parquet */
  lr__buf csv, vals;
  lr__buf_init(&csv);
  lr__buf_init(&vals);
  lr__buf_puts(&csv, "tag,user_id,merchant_id,event_timestamp\n");
  for (int i = 0; i < ENT_ROWS; i++) {
    lr__buf t;
    lr__buf_init(&t);
    sql_time(&t, ent[i].ts);
    lr__buf_printf(&csv, "%d,%d,m%d,%.*s\n", ent[i].tag, ent[i].user,
                   ent[i].merchant, (int)t.len - 2, lr__buf_str(&t) + 1);
    lr__buf_printf(&vals, "%s(%d, %d, 'm%d', %s)", i ? ", " : "", ent[i].tag,
                   ent[i].user, ent[i].merchant, lr__buf_str(&t));
    lr__buf_free(&t);
  }
  th_write(g_work, "e.csv", lr__buf_str(&csv));
  q(0, "COPY (SELECT t::INTEGER AS tag, u::BIGINT AS user_id, m AS "
       "merchant_id, e::TIMESTAMP AS event_timestamp FROM (VALUES %s) "
       "v(t, u, m, e)) TO 'e.parquet' (FORMAT PARQUET, ROW_GROUP_SIZE 64)",
    lr__buf_str(&vals));
  lr__buf_free(&csv);
  lr__buf_free(&vals);
  char *want = expected_text();
  const char *features = "ra:a_i,ra:a_s,rb:b_i,rb:b_s,rc:c_i,rc:c_s";

  /* Parquet entities -> Parquet output */
  unsigned long long n = 0;
  int rc = hist("e.parquet", features, 0, "out.parquet", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, ENT_ROWS);
  char *got = q(8, "SELECT tag, user_id, coalesce(a_i::VARCHAR, 'NULL'), "
                   "coalesce(a_s, 'NULL'), coalesce(b_i::VARCHAR, 'NULL'), "
                   "coalesce(b_s, 'NULL'), coalesce(c_i::VARCHAR, 'NULL'), "
                   "coalesce(c_s, 'NULL') FROM read_parquet('out.parquet')");
  compare_lines(got, want, "parquet in, parquet out");
  free(got);

  /* CSV entities -> CSV output, parsed here */
  rc = hist("e.csv", features, 0, "out.csv", &n);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(n, ENT_ROWS);
  char *text = th_read(g_work, "out.csv");
  got = csv_as_text(text);
  compare_lines(got, want, "csv in, csv out");
  free(got);
  free(text);
  free(want);
}

/* DuckDB reads a NUL byte of an entity CSV as part of a value (a string
 * key with a NUL in it, or a confusing cast error): refused first, at its
 * place. Each failing call shows only its own message. */
Test(historical, h035_nul_byte_in_entity_csv_and_own_messages, .init = setup,
     .fini = teardown) {
  std_repo();
  char path[4096];
  snprintf(path, sizeof path, "%s/e.csv", g_work);
  static const char rows[] = "user_id,event_timestamp\n"
                             "1,2024-01-01 11:00:00\n"
                             "2\0,2024-01-01 11:00:00\n";
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  fwrite(rows, 1, sizeof rows - 1, f);
  fclose(f);
  cr_assert_eq(hist("e.csv", "uv:score", 0, "out.parquet", NULL), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "e.csv:3:2: a NUL byte: text input cannot contain one (is "
                   "this a binary or UTF-16 file?); remove it, or save the "
                   "file as UTF-8 text");
  th_write(g_work, "e.csv", "user_id,event_timestamp\n1,2024-01-01 11:00:00\n");
  cr_assert_eq(hist("e.csv", "uv:score", 0, "out.json", NULL), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off), "the output must be a .parquet "
                   "or .csv file, not 'out.json'");
  cr_assert_eq(hist("e.csv", "uv:nope", 0, "out.parquet", NULL),
               LR_ENOTFOUND);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "feature view 'uv' has no feature 'nope'");
}

/* ---- times: one parser for entity rows and sources --------------------- */

/* A training set of `features` with the entity rows' unit `unit`. */
static int hist_unit(const char *entities, const char *features,
                     const char *unit) {
  const char *refs[1] = {features};
  lr_historical_spec spec = {0};
  spec.entities_file = entities;
  spec.features = refs;
  spec.n_features = 1;
  spec.output = "out.csv";
  spec.timestamp_unit = unit;
  return lr_get_historical_features(g_off, &spec, NULL);
}

/* A source of one user's score at 2024-06-01T12:00:00Z, given as `ts`. */
static void time_repo(const char *source_yaml) {
  char defs[2048];
  snprintf(defs, sizeof defs,
           "entities:\n"
           "  - {name: user, join_keys: [user_id], value_type: int64}\n"
           "sources:\n"
           "%s"
           "feature_views:\n"
           "  - name: v\n"
           "    entities: [user]\n"
           "    source: src\n"
           "    schema:\n"
           "      - {name: score, dtype: float64}\n"
           "      - {name: seen, dtype: timestamp}\n",
           source_yaml);
  apply(defs);
}

/* Every entity time form gives the same instant: ISO 8601 with and
 * without zones, dates, and epoch numbers in the unit given (seconds by
 * default); the row at 12:00 is found from 12:00 on, not before. */
Test(historical, h040_entity_times_in_every_form, .init = setup,
     .fini = teardown) {
  th_write(g_repo, "data/s.csv", "user_id,ts,score,seen\n"
                                 "1,2024-06-01T12:00:00Z,0.5,\n");
  time_repo("  - {name: src, kind: file, path: data/s.csv, "
            "timestamp_field: ts}\n");
  static const struct {
    const char *text, *unit;
  } at_noon[] = {{"2024-06-01T12:00:00Z", NULL},
                 {"2024-06-01 12:00:00", NULL},
                 {"2024-06-01T14:00:00+02:00", NULL},
                 {"2024-06-01T06:30:00-0530", NULL},
                 {"2024-06-01T12:00:00.000001Z", NULL},
                 {"1717243200", NULL},
                 {"1717243200", "s"},
                 {"1717243200000", "ms"},
                 {"1717243200000000", "us"},
                 {"1717243200000000000", "ns"}};
  for (size_t i = 0; i < sizeof at_noon / sizeof at_noon[0]; i++) {
    char text[256];
    snprintf(text, sizeof text,
             "user_id,event_timestamp\n1,%s\n1,2024-06-01\n", at_noon[i].text);
    th_write(g_work, "e.csv", text);
    int rc = hist_unit("e.csv", "v:score", at_noon[i].unit);
    cr_assert_eq(rc, 0, "%s: %s", at_noon[i].text, lr_offline_errmsg(g_off));
    char *rows = json_rows("out.csv");
    cr_assert(!strncmp(rows, "{\"user_id\":1,\"event_timestamp\":\"2024-06-01 12:00:00",
                       51) && strstr(rows, "\"score\":0.5}\n{\"user_id\":1,"
                                         "\"event_timestamp\":\"2024-06-01 "
                                         "00:00:00+00\",\"score\":null}\n"),
              "%s: %s", at_noon[i].text, rows);
    free(rows);
  }
}

/* Entity rows in Parquet: integers by the unit, typed times as they are
 * (and kept typed), text as ISO 8601; what is no time names its row. */
Test(historical, h041_entity_parquet_times, .init = setup, .fini = teardown) {
  th_write(g_repo, "data/s.csv", "user_id,ts,score,seen\n"
                                 "1,2024-06-01T12:00:00Z,0.5,\n");
  time_repo("  - {name: src, kind: file, path: data/s.csv, "
            "timestamp_field: ts}\n");
  q(0, "COPY (SELECT 1::BIGINT AS user_id, 1717243200000::BIGINT AS "
       "event_timestamp UNION ALL SELECT 1, 1717200000000) TO '%s/ms.parquet'",
    g_work);
  cr_assert_eq(hist_unit("ms.parquet", "v:score", "ms"), 0, "%s",
               lr_offline_errmsg(g_off));
  char *rows = json_rows("out.csv");
  cr_assert_str_eq(rows,
      "{\"user_id\":1,\"event_timestamp\":\"2024-06-01 12:00:00+00\",\"score\":0.5}\n"
      "{\"user_id\":1,\"event_timestamp\":\"2024-06-01 00:00:00+00\",\"score\":null}\n");
  free(rows);
  q(0, "COPY (SELECT 1::BIGINT AS user_id, TIMESTAMP_NS '2024-06-01 "
       "12:00:00.5' AS event_timestamp) TO '%s/typed.parquet'", g_work);
  const char *refs[1] = {"v:score"};
  lr_historical_spec spec = {.entities_file = "typed.parquet",
                             .features = refs, .n_features = 1,
                             .output = "out.parquet"};
  cr_assert_eq(lr_get_historical_features(g_off, &spec, NULL), 0, "%s",
               lr_offline_errmsg(g_off));
  char *cols = q(1, "SELECT string_agg(column_type, ',') FROM (DESCRIBE "
                    "SELECT * FROM read_parquet('out.parquet'))");
  cr_assert_str_eq(cols, "BIGINT,TIMESTAMP_NS,DOUBLE\n");
  free(cols);
  q(0, "COPY (SELECT 1::BIGINT AS user_id, '2024-06-01T12:00:00Z' AS "
       "event_timestamp UNION ALL SELECT 1, '06/01/2024') TO "
       "'%s/text.parquet'", g_work);
  cr_assert_eq(hist_unit("text.parquet", "v:score", NULL), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "text.parquet: row 2: column 'event_timestamp': "
                   "'06/01/2024' is not a time: write ISO 8601 "
                   "(2026-12-05T08:39:54Z) or an epoch number with "
                   "timestamp_unit");
  q(0, "COPY (SELECT 1::BIGINT AS user_id, 1.5::DOUBLE AS event_timestamp) "
       "TO '%s/double.parquet'", g_work);
  cr_assert_eq(hist_unit("double.parquet", "v:score", NULL), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "double.parquet: row 1: column 'event_timestamp': the "
                   "column's type is DOUBLE, which holds no time: store ISO "
                   "8601 text, integer epoch numbers or a TIMESTAMP");
  cr_assert_eq(hist_unit("ms.parquet", "v:score", "sec"), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "'sec' is not a timestamp unit: give s, ms, us or ns (the "
                   "unit of epoch numbers in the entity rows)");
}

/* Sources' times through the same parser: Parquet integers by the
 * source's timestamp_unit (event and created times), a timestamp feature
 * from text; a CSV glob's errors name the file and its own row. */
Test(historical, h042_source_times_by_unit_and_place, .init = setup,
     .fini = teardown) {
  repo_parquet("data/s.parquet",
               "SELECT 1::BIGINT AS user_id, 1717243200000::BIGINT AS ts, "
               "1717243200000::BIGINT AS created, 0.5::DOUBLE AS score, "
               "'2024-05-01 08:00:00' AS seen UNION ALL SELECT 1, "
               "1717243200000, 1717243201000, 0.75, NULL");
  time_repo("  - {name: src, kind: file, path: data/s.parquet, "
            "timestamp_field: ts, created_timestamp_column: created, "
            "timestamp_unit: ms}\n");
  th_write(g_work, "e.csv", "user_id,event_timestamp\n"
                            "1,2024-06-01T12:00:00Z\n");
  cr_assert_eq(hist_unit("e.csv", "v:score", NULL), 0, "%s",
               lr_offline_errmsg(g_off));
  char *rows = json_rows("out.csv");
  cr_assert_str_eq(rows, "{\"user_id\":1,\"event_timestamp\":\"2024-06-01 "
                         "12:00:00+00\",\"score\":0.75}\n");
  free(rows);
  repo_parquet("data/s.parquet",
               "SELECT 1::BIGINT AS user_id, 1717243200000::BIGINT AS ts, "
               "1717243200000::BIGINT AS created, 0.5::DOUBLE AS score, "
               "'2024-05-01 08:00:00' AS seen");
  cr_assert_eq(hist_unit("e.csv", "v:seen", NULL), 0, "%s",
               lr_offline_errmsg(g_off));
  rows = json_rows("out.csv");
  cr_assert_str_eq(rows, "{\"user_id\":1,\"event_timestamp\":\"2024-06-01 "
                         "12:00:00+00\",\"seen\":\"2024-05-01 08:00:00+00\"}\n");
  free(rows);

  th_write(g_repo, "data/g/a.csv", "user_id,ts,score,seen\n"
                                   "1,2024-06-01,0.5,\n2,2024-06-01,0.5,\n");
  th_write(g_repo, "data/g/b.csv", "user_id,ts,score,seen\n"
                                   "3,2024-06-01,0.5,\n"
                                   "4,2024-06-01,0.5,5/1/2024\n");
  time_repo("  - {name: src, kind: file, path: 'data/g/*.csv', "
            "timestamp_field: ts}\n");
  cr_assert_eq(hist_unit("e.csv", "v:seen", NULL), LR_EINVAL);
  cr_assert_str_eq(lr_offline_errmsg(g_off),
                   "data/g/b.csv: row 2: column 'seen' of source 'src': "
                   "'5/1/2024' is not a time: write ISO 8601 "
                   "(2026-12-05T08:39:54Z) or an epoch number with "
                   "timestamp_unit");
}

/* ---- the output, read by another process meanwhile ------------------------ */

static void teardown_children(void) {
  th_kill_children();
  teardown();
}

/* The whole file at `path` (heap, NUL-terminated), or NULL; no assertion,
 * for the reader child. */
static char *slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return NULL;
  lr__buf b;
  lr__buf_init(&b);
  char chunk[65536];
  for (ssize_t n; (n = read(fd, chunk, sizeof chunk)) > 0;)
    lr__buf_append(&b, chunk, (size_t)n);
  close(fd);
  return lr__buf_steal(&b);
}

/* The reader child: reads `path` again and again until `stop` is readable;
 * each read must be `a` or `b` whole. Exit 0, 1 after another read, or 2
 * when it read nothing at all. */
static void output_reader_child(const char *path, const char *a,
                                const char *b, int stop) {
  struct pollfd p = {.fd = stop, .events = POLLIN};
  int reads = 0;
  while (poll(&p, 1, 0) == 0) {
    char *text = slurp(path);
    int ok = text && (!strcmp(text, a) || !strcmp(text, b));
    free(text);
    if (!ok)
      _exit(1);
    reads++;
  }
  _exit(reads ? 0 : 2);
}

/* The output is written beside its path and renamed over it: a process
 * reading it while training sets are written over it again and again sees
 * the old file or the whole new one, never a part, and no temporary file
 * is left. */
Test(historical, h036_other_processes_see_the_old_or_the_whole_new_output,
     .init = setup, .fini = teardown_children) {
  std_repo();
  lr__buf e;
  lr__buf_init(&e);
  lr__buf_puts(&e, "user_id,event_timestamp\n");
  for (int i = 0; i < 5000; i++)
    lr__buf_printf(&e, "%d,2024-01-01 1%d:00:00\n", 1 + i % 3, i % 6);
  th_write(g_work, "e.csv", lr__buf_str(&e));
  lr__buf_free(&e);
  static const char *const features[] = {"uv:score", "uv:score,uv:name"};
  char *text[2];
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(hist("e.csv", features[i], 0, "out.csv", NULL), 0, "%s",
                 lr_offline_errmsg(g_off));
    text[i] = th_keep(th_read(g_work, "out.csv"));
  }
  cr_assert_str_neq(text[0], text[1]);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  char path[1200];
  snprintf(path, sizeof path, "%s/out.csv", g_work);
  pid_t reader = th_fork_child();
  if (reader == 0)
    output_reader_child(path, text[0], text[1], stop[0]);
  for (int round = 0; round < 4; round++)
    cr_assert_eq(hist("e.csv", features[round % 2], 0, "out.csv", NULL), 0,
                 "%s", lr_offline_errmsg(g_off));
  cr_assert_eq(write(stop[1], "s", 1), 1);
  int code = th_child_status(reader, 10000);
  cr_assert_neq(code, 1, "the reader saw a part of an output");
  cr_assert_eq(code, 0, "the reader read nothing or failed (exit %d)", code);
  char *left = th_read(g_work, "out.csv");
  cr_assert_str_eq(left, text[1]);
  free(left);
  char *listing = NULL;
  DIR *d = opendir(g_work);
  for (struct dirent *de; d && (de = readdir(d));)
    if (strstr(de->d_name, ".tmp."))
      listing = de->d_name;
  cr_assert_null(listing, "a temporary file was left: %s", listing);
  closedir(d);
  th_release(text[0]);
  th_release(text[1]);
}

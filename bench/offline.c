/*
 * offline.c - materialization throughput, and point-in-time retrieval
 * against a hand-written DuckDB ASOF join on the same data.
 *
 *   offline DATA_DIR N_SOURCE_ROWS N_ENTITY_ROWS [materialize|stats|checks]
 *
 * Generates (once, seeded, with DuckDB) a repo with two Parquet sources of
 * N_SOURCE_ROWS rows and 20 float32 features: `latest`, one row for each
 * of N_SOURCE_ROWS users, read by view `stats` (online); and `source`,
 * N_SOURCE_ROWS/10 users x 10 event times, read by views `a`, `b`, `c`
 * (offline, one feature each, ttls 0 / 2d / 7d).
 *   - materialize: `stats` (N_SOURCE_ROWS entities, 20 features) into an
 *     empty online store (removed first), then again into the full store
 *     (every row compared with the stored one: newer wins);
 *   - stats: `lr_stats` of `stats` (N_SOURCE_ROWS rows, 20 float32
 *     features), quantiles from the default reservoir sample;
 *   - historical: N_ENTITY_ROWS entity rows x views a, b, c, against the
 *     same three ASOF joins written by hand in DuckDB (no dedup of equal
 *     event times, no ttl: the least work giving the same answer here).
 * The data is reused while DATA_DIR/generated names the same sizes and
 * this Larder opens its registry. Prints report rows (common.h):
 * `materialize` (larder, rows/s; params store=full for the second load),
 * `stats` (larder, source rows/s) and `historical` (larder and
 * duckdb_asof, entity rows/s), each with the run's seconds. With
 * `materialize`, only the two loads run; with `stats`, only the profile.
 * With `checks`, only the checks' costs (issue 16): `materialize_checks`,
 * view `checked` (the same 20 features with five checks) against `stats`,
 * each into an empty store, and `write_checks`, lr_write_rows of 100k rows
 * into each; the median of three alternated runs per side.
 */
#include "common.h"
#include "larder.h"
#include "offline/duckdb.h"

static double now_s(void) { return bench_now_ns() / 1e9; }

/* The five checks of view `checked` (the same features as `stats`), which
 * every generated row passes: what is measured is the checking. */
#define CHECKS_YAML                                                          \
  "      - {feature: f00, not_null: true, on_fail: drop}\n"                 \
  "      - {feature: f01, between: [0, 1], on_fail: reject}\n"              \
  "      - {feature: f02, between: [0, null], on_fail: \"null\"}\n"         \
  "      - {name: sum_small, expr: \"f03 + f04 <= 2\"}\n"                   \
  "      - {unique: [user_id, event_timestamp]}\n"

/* Runs of each side in the checks' comparisons, alternated. */
enum { CHECK_RUNS = 3 };

static void die(const char *what, const char *msg) {
  bench_die("offline", what, msg);
}

static void run_sql(lr__duckdb *d, const char *sql) {
  lr__buf err;
  lr__buf_init(&err);
  if (lr__duckdb_run(d, sql, 0, NULL, &err))
    die(sql, lr__buf_str(&err));
  lr__buf_free(&err);
}

static void make_repo(const char *dir, long long n_source,
                      long long n_entities) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/data'", dir, dir);
  if (system(cmd))
    die("cannot create", dir);
  snprintf(cmd, sizeof cmd, "%s/feature_store.yaml", dir);
  bench_write_text(cmd, "project: offline_bench\n");
  char defs[8192];
  int n = snprintf(
      defs, sizeof defs,
      "entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\n"
      "sources:\n  - {name: src, kind: file, path: data/source.parquet, "
      "timestamp_field: ts}\n  - {name: latest, kind: file, path: "
      "data/latest.parquet, timestamp_field: ts}\nfeature_views:\n"
      "  - name: stats\n    entities: [user]\n    source: latest\n"
      "    schema:\n");
  for (int f = 0; f < 20; f++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "      - {name: f%02d, dtype: float32}\n", f);
  n += snprintf(defs + n, sizeof defs - (size_t)n,
                "  - name: checked\n    entities: [user]\n    source: latest\n"
                "    schema:\n");
  for (int f = 0; f < 20; f++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "      - {name: f%02d, dtype: float32}\n", f);
  n += snprintf(defs + n, sizeof defs - (size_t)n, "    checks:\n%s",
                CHECKS_YAML);
  static const char *ttls[] = {"0s", "2d", "7d"};
  for (int v = 0; v < 3; v++)
    n += snprintf(defs + n, sizeof defs - (size_t)n,
                  "  - name: %c\n    entities: [user]\n    source: src\n"
                  "    online: false\n    ttl: %s\n    schema:\n"
                  "      - {name: f%02d, dtype: float32}\n",
                  'a' + v, ttls[v], v);
  snprintf(cmd, sizeof cmd, "%s/features.yaml", dir);
  bench_write_text(cmd, defs);
  lr__duckdb d;
  lr__buf err, sql;
  lr__buf_init(&err);
  lr__buf_init(&sql);
  if (lr__duckdb_open(&d, &err))
    die("duckdb", lr__buf_str(&err));
  long long users = n_source / 10;
  lr__buf_printf(
      &sql,
      "SELECT setseed(0.42); COPY (SELECT i %% %lld AS user_id, "
      "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((i // %lld) "
      "* 86400 + (hash(i) %% 3600)::BIGINT) AS ts",
      users, users);
  for (int f = 0; f < 20; f++)
    lr__buf_printf(&sql, ", random()::FLOAT AS f%02d", f);
  lr__buf_printf(&sql,
                 " FROM range(%lld) t(i)) TO '%s/data/source.parquet' "
                 "(FORMAT PARQUET)",
                 n_source, dir);
  run_sql(&d, lr__buf_str(&sql));
  lr__buf_reset(&sql);
  lr__buf_puts(&sql,
               "COPY (SELECT i AS user_id, TIMESTAMPTZ '2024-01-01 "
               "00:00:00+00' + to_seconds((hash(i) % 86400)::BIGINT) AS ts");
  for (int f = 0; f < 20; f++)
    lr__buf_printf(&sql, ", random()::FLOAT AS f%02d", f);
  lr__buf_printf(&sql,
                 " FROM range(%lld) t(i)) TO '%s/data/latest.parquet' "
                 "(FORMAT PARQUET)",
                 n_source, dir);
  run_sql(&d, lr__buf_str(&sql));
  lr__buf_reset(&sql);
  lr__buf_printf(
      &sql,
      "COPY (SELECT (hash(i) %% %lld)::BIGINT AS user_id, "
      "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds((hash(i * 7) "
      "%% (12 * 86400))::BIGINT) AS event_timestamp FROM range(%lld) "
      "t(i)) TO '%s/data/entities.parquet' (FORMAT PARQUET)",
      users, n_entities, dir);
  run_sql(&d, lr__buf_str(&sql));
  lr__duckdb_close(&d);
  lr__buf_free(&err);
  lr__buf_free(&sql);
  lr_repo *repo;
  if (lr_repo_open(dir, &repo) || lr_repo_apply(repo, 0, NULL))
    die("apply", lr_repo_errmsg(repo));
  lr_repo_close(repo);
}

/* Materializes `stats` over everything; `store` names the store's state
 * in the row ("": empty). */
static void materialize_once(const char *dir, const char *store) {
  lr_offline *off;
  if (lr_offline_open(dir, &off))
    die("open", lr_offline_errmsg(off));
  static const char *views[] = {"stats"};
  lr_materialize_spec spec = {.start_us = 0,
                              .end_us = 4102444800000000LL,
                              .views = views,
                              .n_views = 1};
  lr_materialize_stats st;
  double t0 = now_s();
  if (lr_materialize(off, &spec, &st))
    die("materialize", lr_offline_errmsg(off));
  double secs = now_s() - t0;
  char params[64];
  snprintf(params, sizeof params, "entities=%llu features=20%s",
           st.rows_read, store);
  bench_figure("materialize", "larder", params, (double)st.rows_read / secs,
               "rows/s", secs);
  lr_offline_close(off);
}

/* Materializes `stats` into an empty online store, then again into the
 * full one. */
static void bench_materialize(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/data/online'", dir);
  if (system(cmd) != 0)
    die("cannot empty", cmd);
  materialize_once(dir, "");
  materialize_once(dir, " store=full");
}

/* Removes the repo's online store (and quarantine): the next load or
 * write starts empty. */
static void empty_store(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s/data/online' '%s/data/quarantine'",
           dir, dir);
  if (system(cmd) != 0)
    die("cannot empty", cmd);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The seconds of materializing `view` over everything into an empty
 * store; *rows gets the rows read. */
static double materialize_view(const char *dir, const char *view,
                               unsigned long long *rows) {
  empty_store(dir);
  lr_offline *off;
  if (lr_offline_open(dir, &off))
    die("open", lr_offline_errmsg(off));
  const char *views[] = {view};
  lr_materialize_spec spec = {.start_us = 0, .end_us = 4102444800000000LL,
                              .views = views, .n_views = 1};
  lr_materialize_stats st;
  double t0 = now_s();
  if (lr_materialize(off, &spec, &st))
    die("materialize", lr_offline_errmsg(off));
  double secs = now_s() - t0;
  *rows = st.rows_read;
  lr_offline_close(off);
  return secs;
}

/* Reports the median of `runs` per side: `stats` (no checks) and
 * `checked` (five), as rows/s of `rows`. */
static void report_sides(const char *scenario, double runs[2][CHECK_RUNS],
                         unsigned long long rows) {
  static const char *sides[] = {"checks=0", "checks=5"};
  for (int c = 0; c < 2; c++) {
    qsort(runs[c], CHECK_RUNS, sizeof runs[c][0], cmp_double);
    double med = runs[c][CHECK_RUNS / 2];
    char params[64];
    snprintf(params, sizeof params, "rows=%llu %s", rows, sides[c]);
    bench_figure(scenario, "larder", params, (double)rows / med, "rows/s",
                 med);
  }
}

/* materialize with five checks against none, into an empty store,
 * alternated CHECK_RUNS times: the goal is <= 10% more time. */
static void bench_checks_materialize(const char *dir) {
  double runs[2][CHECK_RUNS];
  unsigned long long rows = 0;
  for (int r = 0; r < CHECK_RUNS; r++)
    for (int c = 0; c < 2; c++)
      runs[c][r] = materialize_view(dir, c ? "checked" : "stats", &rows);
  report_sides("materialize_checks", runs, rows);
}

enum { WRITE_ROWS = 100000 };

/* The seconds of one lr_write_rows of `cols` into `view` of an empty
 * store. */
static double write_view(const char *dir, const char *view,
                         const lr_column *cols, int n_cols) {
  empty_store(dir);
  lr_store *st;
  if (lr_store_open(dir, LR_STORE_READWRITE, &st))
    die("open store", lr_store_errmsg(st));
  double t0 = now_s();
  if (lr_write_rows(st, view, cols, n_cols, WRITE_ROWS, NULL))
    die("write", lr_store_errmsg(st));
  double secs = now_s() - t0;
  lr_store_close(st);
  return secs;
}

/* lr_write_rows of 100k rows of 20 float32 features with the five checks
 * against none, alternated (goal: <= 10% more time). */
static void bench_checks_write(const char *dir) {
  enum { N_COLS = 22 };
  lr_value *values = calloc((size_t)N_COLS * WRITE_ROWS, sizeof *values);
  lr_column cols[N_COLS];
  char names[20][8];
  if (!values)
    die("write", "out of memory");
  for (int c = 0; c < N_COLS; c++) {
    cols[c].values = values + (size_t)c * WRITE_ROWS;
    if (c >= 2) {
      snprintf(names[c - 2], sizeof names[c - 2], "f%02d", c - 2);
      cols[c].name = names[c - 2];
    }
  }
  cols[0].name = "user_id";
  cols[1].name = "event_timestamp";
  for (size_t r = 0; r < WRITE_ROWS; r++) {
    values[r] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = (long long)r};
    values[WRITE_ROWS + r] = (lr_value){.type = LR_TYPE_TIMESTAMP,
                                        .v.ts = 1704067200000000LL};
    for (int f = 0; f < 20; f++)
      values[(size_t)(2 + f) * WRITE_ROWS + r] = (lr_value){
          .type = LR_TYPE_FLOAT32,
          .v.f32 = (float)((r * 31 + (size_t)f * 7) % 1000) / 1000.0f};
  }
  double runs[2][CHECK_RUNS];
  for (int r = 0; r < CHECK_RUNS; r++)
    for (int c = 0; c < 2; c++)
      runs[c][r] = write_view(dir, c ? "checked" : "stats", cols, N_COLS);
  report_sides("write_checks", runs, WRITE_ROWS);
  free(values);
}

/* Profiles `stats`: every row, 20 float32 features (issue 16's goal: 10M
 * rows in 2 s). */
static void bench_stats(const char *dir) {
  lr_offline *off;
  if (lr_offline_open(dir, &off))
    die("open", lr_offline_errmsg(off));
  lr_stats_spec spec = {.view = "stats"};
  char *report = NULL;
  double t0 = now_s();
  if (lr_stats(off, &spec, 0, &report))
    die("stats", lr_offline_errmsg(off));
  double secs = now_s() - t0;
  unsigned long long rows = strtoull(strchr(report, ' ') + 1, NULL, 10);
  char params[64];
  snprintf(params, sizeof params, "rows=%llu features=20", rows);
  bench_figure("stats", "larder", params, (double)rows / secs, "rows/s",
               secs);
  lr_free(report);
  lr_offline_close(off);
}

/* The row of one training-set run. */
static void historical_row(const char *system, unsigned long long rows,
                           double secs) {
  char params[64];
  snprintf(params, sizeof params, "entity_rows=%llu views=3", rows);
  bench_figure("historical", system, params, (double)rows / secs, "rows/s",
               secs);
}

static void bench_historical(const char *dir) {
  lr_offline *off;
  if (lr_offline_open(dir, &off))
    die("open", lr_offline_errmsg(off));
  char entities[4096], out[4096];
  snprintf(entities, sizeof entities, "%s/data/entities.parquet", dir);
  snprintf(out, sizeof out, "%s/larder_training.parquet", dir);
  static const char *refs[] = {"a:f00", "b:f01", "c:f02"};
  lr_historical_spec spec = {.entities_file = entities,
                             .features = refs,
                             .n_features = 3,
                             .output = out};
  unsigned long long rows = 0;
  double t0 = now_s();
  if (lr_get_historical_features(off, &spec, &rows))
    die("historical", lr_offline_errmsg(off));
  historical_row("larder", rows, now_s() - t0);
  lr_offline_close(off);
}

static void bench_hand_written(const char *dir, unsigned long long rows) {
  lr__duckdb d;
  lr__buf err, sql;
  lr__buf_init(&err);
  lr__buf_init(&sql);
  double t0 = now_s();
  if (lr__duckdb_open(&d, &err))
    die("duckdb", lr__buf_str(&err));
  lr__buf_printf(
      &sql,
      "SET TimeZone = 'UTC'; COPY (SELECT e.user_id, e.event_timestamp, "
      "a.f00, b.f01, c.f02 FROM (SELECT *, row_number() OVER () AS r FROM "
      "read_parquet('%s/data/entities.parquet')) e "
      "ASOF LEFT JOIN read_parquet('%s/data/source.parquet') a ON "
      "e.user_id = a.user_id AND e.event_timestamp >= a.ts "
      "ASOF LEFT JOIN read_parquet('%s/data/source.parquet') b ON "
      "e.user_id = b.user_id AND e.event_timestamp >= b.ts "
      "ASOF LEFT JOIN read_parquet('%s/data/source.parquet') c ON "
      "e.user_id = c.user_id AND e.event_timestamp >= c.ts ORDER BY e.r) "
      "TO '%s/hand_training.parquet' (FORMAT PARQUET)",
      dir, dir, dir, dir, dir);
  run_sql(&d, lr__buf_str(&sql));
  lr__duckdb_close(&d);
  historical_row("duckdb_asof", rows, now_s() - t0);
  lr__buf_free(&err);
  lr__buf_free(&sql);
}

/* Whether DATA_DIR holds data of these sizes that this Larder reads. */
static int data_usable(const char *dir, const char *stamp, const char *want) {
  char have[64];
  bench_read_line(stamp, have, sizeof have);
  lr_offline *off = NULL;
  int usable = !strcmp(have, want) && lr_offline_open(dir, &off) == 0;
  lr_offline_close(off);
  return usable;
}

int main(int argc, char **argv) {
  if (argc < 4)
    die("usage", "offline DATA_DIR N_SOURCE_ROWS N_ENTITY_ROWS [materialize]");
  const char *dir = argv[1];
  long long n_source = atoll(argv[2]), n_entities = atoll(argv[3]);
  char stamp[4200], want[64];
  snprintf(stamp, sizeof stamp, "%s/generated", dir);
  snprintf(want, sizeof want, "%lld %lld checks", n_source, n_entities);
  if (!data_usable(dir, stamp, want)) {
    make_repo(dir, n_source, n_entities);
    char line[80];
    snprintf(line, sizeof line, "%s\n", want);
    bench_write_text(stamp, line);
  }
  const char *only = argc > 4 ? argv[4] : "";
  if (strcmp(only, "checks") == 0) {
    bench_checks_materialize(dir);
    bench_checks_write(dir);
    return 0;
  }
  if (strcmp(only, "stats") == 0) {
    bench_stats(dir);
    return 0;
  }
  bench_materialize(dir);
  if (strcmp(only, "materialize") == 0)
    return 0;
  bench_stats(dir);
  bench_historical(dir);
  bench_hand_written(dir, (unsigned long long)n_entities);
  return 0;
}

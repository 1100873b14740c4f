/*
 * init.c - `larder init DIR`: a working example repo in the shape of Feast's
 * quickstart (drivers, hourly stats, a request source, an on-demand view and
 * a feature service) with generated data, so that a new user can run every
 * command before writing a definition of their own. The data is written as
 * CSV and turned into Parquet by DuckDB, hence this file's place in the
 * offline layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/fs.h"
#include "../util/timefmt.h"
#include "duckdb.h"
#include "larder.h"

enum {
  EXAMPLE_DRIVERS = 300,
  EXAMPLE_FIRST_DRIVER = 1001,
  EXAMPLE_HOURS = 14 * 24
};

static const char example_config[] =
    "# Larder feature repo: settings. See docs/repo-format.md.\n"
    "project: driver_ranking\n"
    "registry: data/registry.db\n"
    "online_store: {type: lmdb, path: data/online}\n"
    "offline_store: {type: duckdb}\n";

static const char example_definitions[] =
    "# Definitions of the example repo: entities, sources, feature views,\n"
    "# on-demand feature views and feature services.\n"
    "entities:\n"
    "  - name: driver\n"
    "    join_keys: [driver_id]\n"
    "    value_type: int64\n"
    "    description: A driver of the ride-hailing fleet\n"
    "\n"
    "sources:\n"
    "  - name: driver_stats_source\n"
    "    kind: file\n"
    "    path: data/driver_stats.parquet\n"
    "    timestamp_field: event_timestamp\n"
    "    created_timestamp_column: created\n"
    "    field_mapping: {trips: avg_daily_trips}\n"
    "  - name: driver_stats_sql\n"
    "    kind: sql\n"
    "    query: SELECT driver_id, event_timestamp, conv_rate FROM "
    "read_parquet('data/driver_stats.parquet')\n"
    "    timestamp_field: event_timestamp\n"
    "  - name: driver_stats_push\n"
    "    kind: push\n"
    "    batch_source: driver_stats_source\n"
    "\n"
    "request_sources:\n"
    "  - name: vals_to_add\n"
    "    schema:\n"
    "      - {name: val_to_add, dtype: int64}\n"
    "      - {name: val_to_add_2, dtype: int64}\n"
    "\n"
    "feature_views:\n"
    "  - name: driver_hourly_stats\n"
    "    entities: [driver]\n"
    "    ttl: 1d\n"
    "    source: driver_stats_source\n"
    "    online: true\n"
    "    schema:\n"
    "      - {name: conv_rate, dtype: float32}\n"
    "      - {name: acc_rate, dtype: float32}\n"
    "      - {name: avg_daily_trips, dtype: int64, description: trips a day}\n"
    "    tags: {team: driver_performance}\n"
    "\n"
    "on_demand_feature_views:\n"
    "  - name: transformed_conv_rate\n"
    "    sources: [driver_hourly_stats, vals_to_add]\n"
    "    schema:\n"
    "      - {name: conv_rate_plus_val1, dtype: float64, expr: "
    "\"conv_rate + val_to_add\"}\n"
    "      - {name: conv_rate_plus_val2, dtype: float64, expr: "
    "\"conv_rate + val_to_add_2\"}\n"
    "\n"
    "feature_services:\n"
    "  - name: driver_activity_v1\n"
    "    features:\n"
    "      - driver_hourly_stats: [conv_rate, acc_rate]\n"
    "      - transformed_conv_rate\n"
    "  - name: driver_activity_v2\n"
    "    features:\n"
    "      - driver_hourly_stats\n";

/* xorshift64*: seeded, so the example data is the same on every machine
 * but for its timestamps. */
static uint64_t next_random(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ull;
}

static double uniform(uint64_t *state) {
  return (double)(next_random(state) >> 11) / 9007199254740992.0;
}

static void format_utc(char out[32], time_t t) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Hourly rows for every driver over two weeks ending at `end`, in the
 * source's column names (`csv`), and the last hour again in the feature
 * names that `larder write` takes (`latest`). A few values are left empty
 * (nulls), as real data has them. */
static void example_rows(lr__buf *csv, lr__buf *latest, time_t end) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  lr__buf_puts(csv, "driver_id,event_timestamp,created,conv_rate,acc_rate,"
                    "trips\n");
  lr__buf_puts(latest, "driver_id,event_timestamp,created_timestamp,"
                       "conv_rate,acc_rate,avg_daily_trips\n");
  time_t start = end - (time_t)(EXAMPLE_HOURS - 1) * 3600;
  for (int h = 0; h < EXAMPLE_HOURS; h++) {
    time_t t = start + (time_t)h * 3600;
    char ts[32], created[32];
    format_utc(ts, t);
    format_utc(created, t + 60);
    for (int d = 0; d < EXAMPLE_DRIVERS; d++) {
      double conv = uniform(&state), acc = uniform(&state);
      int trips = (int)(uniform(&state) * 1000);
      int has_conv = next_random(&state) % 97 != 0;
      lr__buf *outs[2] = {csv, h == EXAMPLE_HOURS - 1 ? latest : NULL};
      for (int o = 0; o < 2 && outs[o]; o++) {
        lr__buf_printf(outs[o], "%d,%s,%s,", EXAMPLE_FIRST_DRIVER + d, ts,
                       created);
        if (has_conv)
          lr__buf_printf(outs[o], "%.6f", conv);
        lr__buf_printf(outs[o], ",%.6f,%d\n", acc, trips);
      }
    }
  }
}

static int write_in(const char *dir, const char *rel, const char *data,
                    size_t len, lr__buf *err) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, dir, rel);
  int rc = lr__fs_write_file(lr__buf_str(&path), data, len, err);
  lr__buf_free(&path);
  return rc;
}

/* A few entity rows for `larder historical`: drivers at times spread over
 * the two weeks of data (one a day before them, which finds nothing), with
 * the request data of the on-demand view (as in Feast's example). */
static void example_entities(lr__buf *out, time_t end) {
  static const int hours_back[] = {1, 5, 26, 49, 100, 200, 333, 400};
  lr__buf_puts(out, "driver_id,event_timestamp,val_to_add,val_to_add_2\n");
  for (int i = 0; i < 8; i++) {
    char ts[32];
    format_utc(ts, end - (time_t)hours_back[i] * 3600 - 1800);
    lr__buf_printf(out, "%d,%s,%d,%d\n", EXAMPLE_FIRST_DRIVER + i * 37 % 300,
                   ts, i + 1, 10 * (i + 1));
  }
}

/* Rewrites data/driver_stats.csv of `dir` as data/driver_stats.parquet,
 * with the types the definitions declare, and removes the CSV. */
static int csv_to_parquet(const char *dir, lr__buf *err) {
  lr__duckdb d;
  int rc = lr__duckdb_open(&d, err);
  if (rc)
    return rc;
  lr__buf csv, parquet, sql;
  lr__buf_init(&csv);
  lr__buf_init(&parquet);
  lr__buf_init(&sql);
  lr__fs_join(&csv, dir, "data/driver_stats.csv");
  lr__fs_join(&parquet, dir, "data/driver_stats.parquet");
  lr__buf_puts(&sql, "SET TimeZone = 'UTC'; COPY (SELECT driver_id::BIGINT "
                     "AS driver_id, event_timestamp::TIMESTAMPTZ AS "
                     "event_timestamp, created::TIMESTAMPTZ AS created, "
                     "conv_rate::FLOAT AS conv_rate, acc_rate::FLOAT AS "
                     "acc_rate, trips::BIGINT AS trips FROM read_csv(");
  lr__sql_literal(&sql, lr__buf_str(&csv));
  lr__buf_puts(&sql, ", header = true)) TO ");
  lr__sql_literal(&sql, lr__buf_str(&parquet));
  lr__buf_puts(&sql, " (FORMAT PARQUET)");
  rc = lr__duckdb_run(&d, lr__buf_str(&sql), 0, NULL, err);
  if (rc == 0)
    unlink(lr__buf_str(&csv));
  lr__duckdb_close(&d);
  lr__buf_free(&csv);
  lr__buf_free(&parquet);
  lr__buf_free(&sql);
  return rc;
}

static int init_repo(const char *dir, lr__buf *err) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, dir, "feature_store.yaml");
  int exists = lr__fs_exists(lr__buf_str(&path));
  lr__buf_reset(&path);
  lr__fs_join(&path, dir, "data");
  int rc = exists ? LR_EEXISTS : lr__fs_mkdirs(lr__buf_str(&path), err);
  lr__buf_free(&path);
  if (exists) {
    lr__buf_printf(err, "%s already holds a feature repo (feature_store.yaml); "
                   "choose an empty folder", dir);
    return rc;
  }
  if (rc == 0)
    rc = write_in(dir, "feature_store.yaml", example_config,
                  sizeof example_config - 1, err);
  if (rc == 0)
    rc = write_in(dir, "features.yaml", example_definitions,
                  sizeof example_definitions - 1, err);
  if (rc != 0)
    return rc;
  lr__buf csv, latest, entities;
  lr__buf_init(&csv);
  lr__buf_init(&latest);
  lr__buf_init(&entities);
  time_t now = (time_t)(lr__time_now_us() / 1000000);
  example_rows(&csv, &latest, now - now % 3600);
  example_entities(&entities, now - now % 3600);
  rc = lr__buf_failed(&csv) || lr__buf_failed(&latest) ||
       lr__buf_failed(&entities) ? LR_ENOMEM : 0;
  if (rc == 0)
    rc = write_in(dir, "data/entity_rows.csv", entities.data, entities.len,
                  err);
  if (rc == 0)
    rc = write_in(dir, "data/driver_stats.csv", csv.data, csv.len, err);
  if (rc == 0)
    rc = write_in(dir, "data/driver_stats_latest.csv", latest.data,
                  latest.len, err);
  lr__buf_free(&csv);
  lr__buf_free(&latest);
  lr__buf_free(&entities);
  return rc ? rc : csv_to_parquet(dir, err);
}

int lr_repo_init(const char *dir, char **errmsg) {
  if (errmsg)
    *errmsg = NULL;
  if (!dir)
    return LR_EINVAL;
  lr__buf err;
  lr__buf_init(&err);
  int rc = init_repo(dir, &err);
  if (rc != 0 && errmsg)
    *errmsg = lr__buf_steal(&err);
  lr__buf_free(&err);
  return rc;
}

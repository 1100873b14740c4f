/*
 * crash_reader.h - how the crash suite (test_crash.c), and the suites that
 * change a store under other processes the same way (test_materialize.c),
 * see an online store: the example repo they start from, and the state of
 * its sampled keys as one text, read in one lookup, for the reader child
 * (reader_child.h) that stays attached to the store meanwhile and checks
 * that every read it makes is the old or the new state, never a mix and
 * never an error.
 */
#ifndef LR_TESTS_CRASH_READER_H
#define LR_TESTS_CRASH_READER_H

#include <time.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "reader_child.h"
#include "util/buf.h"

enum {
  SAMPLE = 48,   /* sampled keys, of the 300 drivers 1001..1300 */
  RUN_MS = 60000 /* the bound on any one command or reader answer */
};

static long long g_keys[SAMPLE]; /* the sampled driver ids */

/* ---- the example repo --------------------------------------------------- */

/* Runs `larder -c REPO ARGS...` (NULL-terminated) and fails unless it
 * succeeds. */
static void larder_ok(const char *repo, const char *const *argv) {
  char *out;
  int rc = th_run_larder(repo, argv[0], argv + 1, RUN_MS, &out);
  th_keep(out);
  cr_assert_eq(rc, 0, "larder %s on %s exited %d: %s", argv[0], repo, rc, out);
  th_release(out);
}
#define LARDER_OK(repo, ...)                                                   \
  larder_ok(repo, (const char *const[]){__VA_ARGS__, NULL})

/* An ISO 8601 UTC time from microseconds since the epoch. */
static char *iso(long long us, char *buf) {
  time_t s = (time_t)(us / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);
  strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/* The last hour of the example data in `repo`: the time of its first
 * latest row. */
static long long last_hour(const char *repo) {
  char *csv = th_read(repo, "data/driver_stats_latest.csv");
  cr_assert_not_null(csv);
  char text[32] = "";
  const char *row = strchr(csv, '\n');
  cr_assert(row && sscanf(row + 1, "%*[^,],%19[^,]", text) == 1, "%s", csv);
  text[10] = 'T';
  strcat(text, "Z");
  free(csv);
  long long us;
  cr_assert_eq(lr_parse_time(text, 0, &us), 0, "%s", text);
  return us;
}

/* `larder init` at `repo`, applied and loaded up to an hour before the end
 * of its data (materialize-incremental); SAMPLE of its 300 drivers drawn
 * into g_keys from `seed`. Returns the last hour of the data (µs). */
static long long example_repo(const char *repo, uint64_t seed) {
  LARDER_OK(".", "init", repo);
  LARDER_OK(repo, "apply");
  long long last = last_hour(repo);
  char t[32];
  LARDER_OK(repo, "materialize-incremental", iso(last - 3600000000LL, t));
  uint64_t rng = seed * 2 + 1;
  for (int i = 0; i < SAMPLE; i++) {
    int dup;
    do {
      g_keys[i] = 1001 + (long long)(th_random(&rng) % 300);
      dup = 0;
      for (int j = 0; j < i; j++)
        dup |= g_keys[j] == g_keys[i];
    } while (dup);
  }
  return last;
}

/* Writes `path`: one driver_hourly_stats row of a driver outside the
 * example's (999999), always the same: a write no sampled key sees. */
static void write_touch_csv(const char *path) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips\n"
        "999999,2024-01-01T00:00:00Z,0.5,0.5,5\n", f);
  fclose(f);
}

/* ---- its state ----------------------------------------------------------- */

/* The features read: the view's three, and what the changed definitions of
 * the apply case add (resolvable only once they are applied). */
static const char *const REFS[] = {
    "driver_hourly_stats:conv_rate", "driver_hourly_stats:acc_rate",
    "driver_hourly_stats:avg_daily_trips", "driver_hourly_stats:trips_rank",
    "driver_daily_stats:conv_rate"};
enum { N_BASE_REFS = 3, N_REFS = 5 };

/* One cell as text: status, event time, and the value when present. */
static void put_cell(lr__buf *b, const lr_value *v) {
  lr__buf_printf(b, " %s@%lld", lr_status_name(v->status), v->event_ts);
  if (v->status != LR_STATUS_PRESENT)
    return;
  switch (v->type) {
  case LR_TYPE_INT64:
    lr__buf_printf(b, "=%lld", v->v.i64);
    break;
  case LR_TYPE_FLOAT32:
    lr__buf_printf(b, "=%.9g", (double)v->v.f32);
    break;
  case LR_TYPE_FLOAT64:
    lr__buf_printf(b, "=%.17g", v->v.f64);
    break;
  default:
    lr__buf_printf(b, "=<type %d>", v->type);
  }
}

/* Looks the sampled keys up in one lookup (one read transaction) and
 * appends them to `b`, a line per key. Returns 0 or the lookup's code (its
 * message in `b`). */
static int put_lookup(lr__buf *b, lr_request *req, int n_feat) {
  lr_value keys[SAMPLE];
  for (int i = 0; i < SAMPLE; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = g_keys[i]};
  lr_result *res = NULL;
  int rc = lr_result_create(req, SAMPLE, &res);
  if (rc == 0)
    rc = lr_get_online_features(req, keys, SAMPLE, res);
  if (rc)
    lr__buf_printf(b, "lookup: %s", res ? lr_result_errmsg(res) : "");
  for (int i = 0; rc == 0 && i < SAMPLE; i++) {
    lr__buf_printf(b, "%lld:", g_keys[i]);
    for (int f = 0; f < n_feat; f++) {
      lr_value v;
      lr_result_cell(res, i, f, &v);
      put_cell(b, &v);
    }
    lr__buf_putc(b, '\n');
  }
  lr_result_free(res);
  return rc;
}

/* The state of an open store as text into `b` (reset first): the features
 * that resolve (all of REFS once the apply case's definitions are applied,
 * else the first three), then the sampled keys. Returns 0, or a code with
 * its message in `b`. */
static int crash_state(lr_store *store, lr__buf *b) {
  lr__buf_reset(b);
  int n = N_REFS;
  lr_request *req = NULL;
  int rc = lr_request_prepare(store, REFS, n, &req);
  if (rc == LR_ENOTFOUND) {
    n = N_BASE_REFS;
    rc = lr_request_prepare(store, REFS, n, &req);
  }
  if (rc) {
    lr__buf_printf(b, "prepare: %s", lr_store_errmsg(store));
    return rc;
  }
  lr__buf_printf(b, "features %d\n", n);
  rc = put_lookup(b, req, n);
  lr_request_free(req);
  return rc;
}

/* The state of the store of `repo` (opened and closed for it). */
static int repo_state(const char *repo, lr__buf *b) {
  return th_repo_state(repo, crash_state, b);
}

#endif

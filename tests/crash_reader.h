/*
 * crash_reader.h - how the crash suite (test_crash.c) sees an online store:
 * the state of the sampled keys as one text, read in one lookup, for the
 * reader child (reader_child.h) that stays attached to the store during a
 * trial and checks that every read it makes is the old or the new state,
 * never a mix and never an error.
 */
#ifndef LR_TESTS_CRASH_READER_H
#define LR_TESTS_CRASH_READER_H

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

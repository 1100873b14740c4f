/*
 * metrics.c - counters, latency histograms and store freshness in
 * Prometheus' text exposition format (see metrics.h).
 */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "../online/apply.h"
#include "../online/introspect.h"
#include "../util/arena.h"
#include "../util/json.h"
#include "../util/timefmt.h"

static const char *endpoint_paths[LR__EP_COUNT] = {
    "/get-online-features", "/write-to-online-store", "/push", "/health",
    "/metrics", "other"};

/* Upper bounds of the latency buckets, in microseconds. */
static const long long bucket_us[LR__LATENCY_BUCKETS] = {
    50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000};

static const int status_codes[LR__STATUS_KINDS] = {200, 400, 401, 404,
                                                   405, 413, 500, 503};

lr__endpoint lr__endpoint_of(const char *path) {
  for (int e = 0; e < LR__EP_OTHER; e++)
    if (!strcmp(path, endpoint_paths[e]))
      return (lr__endpoint)e;
  return LR__EP_OTHER;
}

static int status_kind(int status) {
  for (int k = 0; k < LR__STATUS_KINDS; k++)
    if (status_codes[k] == status)
      return k;
  return 6; /* anything else counts as 500 */
}

void lr__metrics_record(lr__metrics *m, lr__endpoint ep, int status,
                        long long micros) {
  atomic_fetch_add_explicit(&m->requests[ep][status_kind(status)], 1,
                            memory_order_relaxed);
  int b = 0;
  while (b < LR__LATENCY_BUCKETS && micros > bucket_us[b])
    b++;
  atomic_fetch_add_explicit(&m->latency[ep][b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->latency_sum_us[ep],
                            (unsigned long long)micros, memory_order_relaxed);
}

static void write_requests(lr__metrics *m, lr__buf *out) {
  lr__buf_puts(out, "# HELP larder_requests_total HTTP requests by endpoint "
                    "and status.\n# TYPE larder_requests_total counter\n");
  for (int e = 0; e < LR__EP_COUNT; e++)
    for (int k = 0; k < LR__STATUS_KINDS; k++) {
      unsigned long long n = atomic_load(&m->requests[e][k]);
      if (n)
        lr__buf_printf(out, "larder_requests_total{endpoint=\"%s\",status="
                       "\"%d\"} %llu\n", endpoint_paths[e], status_codes[k], n);
    }
  lr__buf_puts(out, "# HELP larder_errors_total Requests answered with an "
                    "error, by status.\n# TYPE larder_errors_total counter\n");
  for (int k = 1; k < LR__STATUS_KINDS; k++) {
    unsigned long long n = 0;
    for (int e = 0; e < LR__EP_COUNT; e++)
      n += atomic_load(&m->requests[e][k]);
    lr__buf_printf(out, "larder_errors_total{status=\"%d\"} %llu\n",
                   status_codes[k], n);
  }
}

static void write_latency(lr__metrics *m, lr__buf *out) {
  lr__buf_puts(out, "# HELP larder_request_seconds Request latency.\n"
                    "# TYPE larder_request_seconds histogram\n");
  for (int e = 0; e < LR__EP_COUNT; e++) {
    unsigned long long cumulative = 0;
    for (int b = 0; b <= LR__LATENCY_BUCKETS; b++) {
      cumulative += atomic_load(&m->latency[e][b]);
      if (b < LR__LATENCY_BUCKETS)
        lr__buf_printf(out, "larder_request_seconds_bucket{endpoint=\"%s\","
                       "le=\"%g\"} %llu\n", endpoint_paths[e],
                       (double)bucket_us[b] / 1e6, cumulative);
      else
        lr__buf_printf(out, "larder_request_seconds_bucket{endpoint=\"%s\","
                       "le=\"+Inf\"} %llu\n", endpoint_paths[e], cumulative);
    }
    lr__buf_printf(out, "larder_request_seconds_sum{endpoint=\"%s\"} %g\n"
                   "larder_request_seconds_count{endpoint=\"%s\"} %llu\n",
                   endpoint_paths[e],
                   (double)atomic_load(&m->latency_sum_us[e]) / 1e6,
                   endpoint_paths[e], cumulative);
  }
}

/* Registry version and age, and when each view was last materialized
 * (from the store's meta records). */
static void write_store(lr_store *store, lr__buf *out) {
  long long now = lr__time_now_us();
  const lr__model *reg = lr__store_model(store);
  lr__buf_printf(out, "# HELP larder_registry_version The applied registry "
                 "served.\n# TYPE larder_registry_version gauge\n"
                 "larder_registry_version %llu\n"
                 "# HELP larder_registry_age_seconds Time since that apply.\n"
                 "# TYPE larder_registry_age_seconds gauge\n"
                 "larder_registry_age_seconds %lld\n",
                 (unsigned long long)reg->version,
                 now / 1000000 - (long long)reg->applied_at);
  lr__buf_puts(out, "# HELP larder_view_materialized_timestamp_seconds End "
                    "of the last materialized interval, per view.\n"
                    "# TYPE larder_view_materialized_timestamp_seconds gauge\n");
  for (int i = 0; i < reg->n_views; i++) {
    const lr__view *v = &reg->views[i];
    long long end_us;
    if (v->kind == LR__VIEW_BATCH && v->online &&
        lr__store_materialized_end(store, v, &end_us) == 0)
      lr__buf_printf(out, "larder_view_materialized_timestamp_seconds{view="
                     "\"%s\"} %lld\n", v->name, end_us / 1000000);
  }
}

/* The store's version (G, S), and on a replica what its follower last
 * reported (online/apply.h): the log's head, the lag, bootstraps. */
static void write_replication(lr_store *store, lr__buf *out) {
  lr_data_version v;
  if (lr_store_version(store, &v) == 0)
    lr__buf_printf(out, "# HELP larder_store_generation The generation G "
                   "of the store's version.\n"
                   "# TYPE larder_store_generation gauge\n"
                   "larder_store_generation %llu\n"
                   "# HELP larder_store_sequence The sequence number S of "
                   "the last change held (applied, on a replica).\n"
                   "# TYPE larder_store_sequence gauge\n"
                   "larder_store_sequence %llu\n", v.generation, v.seq);
  lr__replica_status st;
  if (lr__store_replication(store)->role != LR__ROLE_REPLICA ||
      lr__store_replica_status(store, &st) != 0)
    return;
  lr__buf_printf(out, "# HELP larder_replica_log_head The log's last entry, "
                 "as the follower last saw it.\n"
                 "# TYPE larder_replica_log_head gauge\n"
                 "larder_replica_log_head %llu\n"
                 "# HELP larder_replica_lag_entries Entries not applied yet."
                 "\n# TYPE larder_replica_lag_entries gauge\n"
                 "larder_replica_lag_entries %llu\n"
                 "# HELP larder_replica_lag_seconds How long the replica has "
                 "been behind.\n# TYPE larder_replica_lag_seconds gauge\n"
                 "larder_replica_lag_seconds %.3f\n"
                 "# HELP larder_replica_bootstraps Snapshots the follower "
                 "installed since it started.\n"
                 "# TYPE larder_replica_bootstraps gauge\n"
                 "larder_replica_bootstraps %llu\n"
                 "# HELP larder_replica_applied_total Log entries the "
                 "follower applied since it started.\n"
                 "# TYPE larder_replica_applied_total counter\n"
                 "larder_replica_applied_total %llu\n"
                 "# HELP larder_replica_applied_rows_total Rows those entries "
                 "stored (its rate is the apply rate).\n"
                 "# TYPE larder_replica_applied_rows_total counter\n"
                 "larder_replica_applied_rows_total %llu\n"
                 "# HELP larder_replica_digest_mismatches_total Log entries "
                 "whose chain digest did not follow, and snapshots refused "
                 "for a checksum or digest, since the follower started.\n"
                 "# TYPE larder_replica_digest_mismatches_total counter\n"
                 "larder_replica_digest_mismatches_total %llu\n", st.head,
                 st.lag_entries, (double)st.lag_ms / 1000.0, st.bootstraps,
                 st.applied, st.applied_rows, st.mismatches);
}

/* Each view's row count and digest (lr_store_digests), the digest as an
 * info label: two stores at one version show the same lines. */
static void write_digests(lr_store *store, lr__buf *out) {
  char *json = NULL;
  lr__arena arena;
  lr__arena_init(&arena);
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *views =
      lr_store_digests(store, &json) == 0
          ? lr__json_read(json, strlen(json), &arena, &err)
          : NULL;
  if (views && views->kind == LR__J_OBJECT) {
    lr__buf_puts(out, "# HELP larder_view_rows Rows of each view's live "
                      "generation.\n# TYPE larder_view_rows gauge\n");
    for (int i = 0; i < views->n; i++) {
      const lr__jnode *rows = lr__json_get(views->items[i], "rows");
      lr__buf_printf(out, "larder_view_rows{view=\"%s\"} %s\n",
                     views->keys[i], rows ? rows->text : "0");
    }
    lr__buf_puts(out, "# HELP larder_view_digest_info Each view's content "
                      "digest (the label; equal on stores holding the same "
                      "rows).\n# TYPE larder_view_digest_info gauge\n");
    for (int i = 0; i < views->n; i++) {
      const lr__jnode *digest = lr__json_get(views->items[i], "digest");
      lr__buf_printf(out, "larder_view_digest_info{view=\"%s\",digest="
                     "\"%s\"} 1\n", views->keys[i],
                     digest ? digest->text : "");
    }
  }
  lr_free(json);
  lr__buf_free(&err);
  lr__arena_free(&arena);
}

/* What the server holds of the store: prepared requests, results (each a
 * reader slot), and the stale slots of dead processes it has cleared. */
static void write_holdings(lr__metrics *m, lr__buf *out) {
  lr__buf_printf(out, "# HELP larder_cached_requests Prepared requests kept."
                 "\n# TYPE larder_cached_requests gauge\n"
                 "larder_cached_requests %d\n"
                 "# HELP larder_results_live Lookup results in use or pooled "
                 "(each holds a reader slot).\n"
                 "# TYPE larder_results_live gauge\n"
                 "larder_results_live %d\n"
                 "# HELP larder_stale_readers_cleared_total Reader slots of "
                 "dead processes freed.\n"
                 "# TYPE larder_stale_readers_cleared_total counter\n"
                 "larder_stale_readers_cleared_total %llu\n",
                 atomic_load(&m->cached_requests),
                 atomic_load(&m->results_live),
                 atomic_load(&m->stale_readers_cleared));
}

void lr__metrics_write(lr__metrics *m, lr_store *store, lr__buf *out) {
  write_requests(m, out);
  write_latency(m, out);
  lr__buf_printf(out, "# HELP larder_entities_served_total Entities looked "
                 "up.\n# TYPE larder_entities_served_total counter\n"
                 "larder_entities_served_total %llu\n"
                 "# HELP larder_rows_written_total Rows written by write and "
                 "push.\n# TYPE larder_rows_written_total counter\n"
                 "larder_rows_written_total %llu\n"
                 "# HELP larder_uptime_seconds Time since the server started."
                 "\n# TYPE larder_uptime_seconds gauge\n"
                 "larder_uptime_seconds %lld\n",
                 atomic_load(&m->entities), atomic_load(&m->rows_written),
                 (lr__time_now_us() - m->started_us) / 1000000);
  write_holdings(m, out);
  lr__metrics_write_views(m, store, out);
  if (store) {
    write_store(store, out);
    write_replication(store, out);
    write_digests(store, out);
  }
}

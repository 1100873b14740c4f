/*
 * metrics.h - the server's counters and latency histograms, written in
 * Prometheus' text format on GET /metrics. Lock-free: atomic counters.
 */
#ifndef LR_SERVE_METRICS_H
#define LR_SERVE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "../util/buf.h"
#include "larder.h"

typedef enum {
  LR__EP_GET_ONLINE = 0,
  LR__EP_WRITE,
  LR__EP_PUSH,
  LR__EP_HEALTH,
  LR__EP_METRICS,
  LR__EP_OTHER,
  LR__EP_COUNT
} lr__endpoint;

enum { LR__LATENCY_BUCKETS = 12, LR__STATUS_KINDS = 8 };

/* The feature statuses a lookup answers (lr_feature_status, 1 to 4). */
enum { LR__SERVED_STATUSES = 4 };

/* Feature values served of one view, by status. */
typedef struct lr__served_view {
  char *name;
  atomic_ullong by_status[LR__SERVED_STATUSES];
} lr__served_view;

typedef struct lr__metrics {
  atomic_ullong requests[LR__EP_COUNT][LR__STATUS_KINDS];
  atomic_ullong latency[LR__EP_COUNT][LR__LATENCY_BUCKETS + 1]; /* + Inf */
  atomic_ullong latency_sum_us[LR__EP_COUNT];
  atomic_ullong entities;
  atomic_ullong rows_written;
  atomic_int cached_requests;         /* entries in the request cache */
  atomic_int results_live;            /* results in use or pooled */
  atomic_ullong stale_readers_cleared;
  long long started_us;
  /* One per view of every registry served since the start (a view that
   * went keeps its counts): grown only by lr__metrics_add_views, under
   * the server's lock held for writing, so requests (which hold it for
   * reading) count without a lock. */
  lr__served_view *served;
  int n_served;
} lr__metrics;

lr__endpoint lr__endpoint_of(const char *path);
void lr__metrics_record(lr__metrics *m, lr__endpoint ep, int status,
                        long long micros);
/* Adds a counter for each view of `store`'s registry that has none yet
 * (at the start and after a reload; the server's lock held for writing).
 * Returns 0 or LR_ENOMEM (the views not added are not counted). */
int lr__metrics_add_views(lr__metrics *m, lr_store *store);

/* The index of view `view`'s counters, or -1 (none: not counted). */
int lr__metrics_view_index(const lr__metrics *m, const char *view);

/* Counts the feature values of `res`'s last lookup: for requested feature
 * f (of n_features), under view index view_index[f] (-1: not counted), by
 * each entity's status. Lock-free; the server's lock held for reading. */
void lr__metrics_count_served(lr__metrics *m, const int *view_index,
                              int n_features, const lr_result *res);

/* Frees the view counters. */
void lr__metrics_free(lr__metrics *m);

/* Appends the per-view series (metrics_views.c): the served counts, and
 * with `store` each view's freshness and the freshness its checks
 * expect. */
void lr__metrics_write_views(lr__metrics *m, lr_store *store, lr__buf *out);

/* Appends what each view's checks did, as the store records it
 * (metrics_checks.c). */
void lr__metrics_write_checks(lr_store *store, lr__buf *out);

/* Appends larder_drift_score of the runs saved in repo `repo` for the
 * views of `store`'s registry (metrics_drift.c). */
void lr__metrics_write_drift(const char *repo, lr_store *store, lr__buf *out);

/* Appends the metrics text; `store` (may be NULL) adds the registry version,
 * its age and each view's last materialization. */
void lr__metrics_write(lr__metrics *m, lr_store *store, lr__buf *out);

#endif

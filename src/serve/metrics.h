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
} lr__metrics;

lr__endpoint lr__endpoint_of(const char *path);
void lr__metrics_record(lr__metrics *m, lr__endpoint ep, int status,
                        long long micros);
/* Appends the metrics text; `store` (may be NULL) adds the registry version,
 * its age and each view's last materialization. */
void lr__metrics_write(lr__metrics *m, lr_store *store, lr__buf *out);

#endif

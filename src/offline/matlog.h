/*
 * matlog.h - the history of a view's materializations, for the web UI's
 * view page: REPO/data/materializations/VIEW/history.json, one object,
 *
 *   {"format": 1, "view": "v", "loads": [{"start": "...", "end": "...",
 *    "ran_at": "...", "duration_ms": 12.5, "incremental": true,
 *    "rows_written": 300, "rows_skipped": 0, "rows_quarantined": 0,
 *    "batches_refused": 0}, ...]}
 *
 * the newest load last, at most LR__MATLOG_KEEP of them, replaced
 * atomically after each view's load has committed (a crash between the
 * two loses that entry, never a row). The store itself keeps the last
 * interval only (online/loads.h); this file is what the UI lists.
 */
#ifndef LR_OFFLINE_MATLOG_H
#define LR_OFFLINE_MATLOG_H

#include <stdint.h>

#include "offline.h"

enum { LR__MATLOG_KEEP = 100 };

/* One load of a view. */
typedef struct lr__matlog_entry {
  int64_t start_us, end_us, ran_at_us; /* start LR__TIME_MIN_US: all */
  int64_t duration_us;
  int incremental;
  unsigned long long rows_written, rows_skipped;
  unsigned long long rows_quarantined, batches_refused; /* by its checks */
} lr__matlog_entry;

/* Adds entry e to view `view`'s history (the oldest dropped past
 * LR__MATLOG_KEEP). Returns 0 or a status, errmsg saying why. */
int lr__matlog_append(lr_offline *off, const char *view,
                      const lr__matlog_entry *e);

#endif

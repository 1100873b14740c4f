/*
 * profile.h - what lr_stats and lr_drift share: the profile of a sample
 * of a view's rows (its statistics and its bins), computed by DuckDB
 * (profile_query.c), written and read as JSON (profile_json.c), and the
 * rows a sample is: the view's source rows in a window, or a training
 * file's columns (stats_sample.c).
 *
 * A sample's rows are a SQL relation with the columns "__ts" (TIMESTAMPTZ, NULL
 * when unknown) and "__r0" .. "__rN-1", feature k of the view as read.
 */
#ifndef LR_OFFLINE_PROFILE_H
#define LR_OFFLINE_PROFILE_H

#include <stdint.h>

#include "offline.h"
#include "profile_data.h"

/* A sample: its relation, and whether it reads the view's source (whose
 * failures are explained as such) or a training file. */
typedef struct lr__stats_sample {
  lr__buf rows;
  int of_view;
} lr__stats_sample;

/* Sets s to view v's source rows with event times in window `w`. Returns 0
 * or LR_EINVAL (errmsg says why). Free s->rows whatever it returns. */
int lr__stats_sample_window(lr_offline *off, const lr__view *v,
                            const lr_window *w, lr__stats_sample *s);

/* Sets s to a uniform sample of up to max_rows rows that view v holds in
 * the online store (stats_online.c), drawn by `seed`. Returns 0,
 * LR_ENOTFOUND, LR_EINVAL (no rows online) or another status, errmsg
 * saying why. */
int lr__stats_sample_online(lr_offline *off, const lr__view *v,
                            size_t max_rows, unsigned long long seed,
                            lr__stats_sample *s);

/* Sets s to the rows of training file `path` (relative to the current
 * folder) as a sample of view v: a feature's column is named as the
 * feature or VIEW__FEATURE, the timestamp `event_timestamp` when there.
 * Returns 0, LR_ENOTFOUND (no file) or LR_EINVAL (a column missing). */
int lr__stats_sample_file(lr_offline *off, const lr__view *v,
                          const char *path, lr__stats_sample *s);

/* Profiles sample `s` of view v into p (exact: exact quantiles).
 * With `bins_of` (a profile of the same view with bins) counts the
 * sample in its bins; with bins_of == NULL and `make_bins` makes the bins
 * of the sample itself (its deciles and categories) and counts it in them.
 * Returns 0 or the query's error (errmsg says why). */
int lr__profile_compute(lr_offline *off, const lr__view *v,
                        const lr__stats_sample *s, int exact, int make_bins,
                        const lr__profile *bins_of, lr__profile *p);

/* Writes `text` to `kind`'s file `name` of view `view`, atomically (the
 * folders made). Returns 0 or LR_EIO. */
int lr__quality_save(lr_offline *off, const char *kind, const char *view,
                     const char *name, const lr__buf *text);

/* The view `name` if it is a batch feature view, else errmsg says why:
 * LR_ENOTFOUND or LR_EINVAL (an on-demand view). */
int lr__quality_view(lr_offline *off, const char *name, const lr__view **v);

#endif

/*
 * drift_run.h - the scores of one lr_drift run, and how they are written:
 * a text table, or JSON (what --json prints and a saved run holds:
 * REPO/data/drift/VIEW/NAME.json, which the server's /metrics reads;
 * docs/repo-format.md).
 */
#ifndef LR_OFFLINE_DRIFT_RUN_H
#define LR_OFFLINE_DRIFT_RUN_H

#include <stdint.h>

#include "../util/buf.h"

/* One feature's result. */
typedef struct lr__drift_score {
  const char *feature;
  const char *status;  /* ok, warn, alert, insufficient, skipped */
  int has_score;
  double score;        /* may be +Inf (wasserstein, constant reference) */
  int has_p_value;     /* ks */
  double p_value;
  int bins;            /* psi, js: the bins either side has rows in */
  unsigned long long n, m; /* the reference's and the current values */
} lr__drift_score;

typedef struct lr__drift_run {
  const char *view, *method;
  const char *reference, *current; /* as the report names them */
  double warn, alert;               /* the thresholds of the scores... */
  int on_p_value;                  /* ... or (ks) of the p-values, below */
  const lr__drift_score *scores;
  int n_scores;
  int64_t saved_at_us;             /* 0: not saved */
} lr__drift_run;

/* Appends the run as JSON; `name` (may be NULL) is the saved run's. */
void lr__drift_run_json(const lr__drift_run *run, const char *name,
                        lr__buf *out);

/* Appends the run as a text table. */
void lr__drift_run_text(const lr__drift_run *run, lr__buf *out);

/* One feature's result in a saved run, as the file holds it. */
typedef struct lr__drift_saved {
  const char *name, *method, *feature, *status;
  long long saved_at_us;
  int has_score;
  double score;
} lr__drift_saved;

/* Called per feature of each saved run; a nonzero return stops the walk. */
typedef int (*lr__drift_saved_fn)(void *ctx, const lr__drift_saved *s);

/* Calls fn for every feature of every run saved in REPO/data/drift/VIEW/,
 * runs in no particular order; unreadable files and files that are not
 * runs are passed over. Reads only the files (no DuckDB). Returns 0, or
 * fn's nonzero return. */
int lr__drift_saved_each(const char *repo, const char *view,
                         lr__drift_saved_fn fn, void *ctx);

/* A feature's score in its latest saved run of a method. */
typedef void (*lr__drift_score_fn)(void *ctx, const char *feature,
                                   const char *method, double score);

/* Calls fn, in no particular order, once per feature and method of view
 * `view` that a run saved in REPO/data/drift/VIEW/ scored: with the score
 * of the run saved last (saved_at_us) among those naming that method. A
 * feature whose latest run has no score (insufficient, skipped) gets no
 * call; unreadable files are passed over. Reads only the files (no
 * DuckDB): the server calls it on each scrape. Returns 0 or LR_ENOMEM. */
int lr__drift_saved_scores(const char *repo, const char *view,
                           lr__drift_score_fn fn, void *ctx);

#endif

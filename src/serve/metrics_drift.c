/*
 * metrics_drift.c - larder_drift_score{view,feature,method} on /metrics:
 * per view of the registry, the latest score of each feature and method
 * that `larder drift --save` saved (offline/drift_run.h reads the files;
 * no DuckDB). A view, feature or method never saved has no line.
 */
#include <math.h>

#include "../offline/drift_run.h"
#include "../online/introspect.h"
#include "../util/textval.h"
#include "metrics.h"

typedef struct drift_lines {
  lr__buf *out;
  const char *view;
} drift_lines;

/* One sample line; +Inf as Prometheus writes it. */
static void put_score(void *ctx, const char *feature, const char *method,
                      double score) {
  drift_lines *d = ctx;
  lr__buf_printf(d->out, "larder_drift_score{view=\"%s\",feature=\"%s\","
                 "method=\"%s\"} ", d->view, feature, method);
  if (isinf(score))
    lr__buf_puts(d->out, score > 0 ? "+Inf" : "-Inf");
  else
    lr__put_float64(d->out, score, 0);
  lr__buf_putc(d->out, '\n');
}

void lr__metrics_write_drift(const char *repo, lr_store *store,
                             lr__buf *out) {
  lr__buf_puts(out, "# HELP larder_drift_score The latest saved drift score "
                    "of a feature, per method (larder drift --save).\n"
                    "# TYPE larder_drift_score gauge\n");
  const lr__model *reg = lr__store_model(store);
  for (int v = 0; v < reg->n_views; v++) {
    drift_lines d = {out, reg->views[v].name};
    if (reg->views[v].kind == LR__VIEW_BATCH)
      lr__drift_saved_scores(repo, reg->views[v].name, put_score, &d);
  }
}

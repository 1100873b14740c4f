/*
 * metrics_checks.c - /metrics lines of what each view's checks did, as
 * the store records it (online/checkstats.h), whichever process wrote:
 * rows that passed and failed each rule, batches refused, rows
 * quarantined. A view whose checks never ran has no line.
 */
#include <stdlib.h>

#include "../online/checkstats.h"
#include "metrics.h"

void lr__metrics_write_checks(lr_store *store, lr__buf *out) {
  const lr__model *reg = lr__store_model(store);
  lr__checkstats *cs = calloc((size_t)reg->n_views + 1, sizeof *cs);
  if (!cs)
    return;
  for (int i = 0; i < reg->n_views; i++)
    if (reg->views[i].n_checks == 0 ||
        lr__store_checkstats(store, reg->views[i].name, &cs[i]) != 0)
      cs[i].present = 0;
  lr__buf_puts(out, "# HELP larder_check_rows_total Rows a view's check "
                    "tested, by rule and outcome.\n"
                    "# TYPE larder_check_rows_total counter\n");
  for (int i = 0; i < reg->n_views; i++)
    for (int k = 0; cs[i].present && k < cs[i].n_rules; k++)
      lr__buf_printf(out, "larder_check_rows_total{view=\"%s\",rule=\"%s\","
                     "outcome=\"passed\"} %llu\n"
                     "larder_check_rows_total{view=\"%s\",rule=\"%s\","
                     "outcome=\"failed\"} %llu\n",
                     reg->views[i].name, cs[i].rules[k].name,
                     cs[i].rules[k].passed, reg->views[i].name,
                     cs[i].rules[k].name, cs[i].rules[k].failed);
  lr__buf_puts(out, "# HELP larder_batches_rejected_total Write "
                    "transactions a view's checks refused.\n"
                    "# TYPE larder_batches_rejected_total counter\n");
  for (int i = 0; i < reg->n_views; i++)
    if (cs[i].present)
      lr__buf_printf(out, "larder_batches_rejected_total{view=\"%s\"} %llu\n",
                     reg->views[i].name, cs[i].rejected);
  lr__buf_puts(out, "# HELP larder_rows_quarantined_total Rows a drop check "
                    "copied to the quarantine.\n"
                    "# TYPE larder_rows_quarantined_total counter\n");
  for (int i = 0; i < reg->n_views; i++)
    if (cs[i].present)
      lr__buf_printf(out, "larder_rows_quarantined_total{view=\"%s\"} %llu\n",
                     reg->views[i].name, cs[i].quarantined);
  free(cs);
}

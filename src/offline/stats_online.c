/*
 * stats_online.c - the rows the online store serves, as a sample lr_drift
 * profiles (profile.h): `larder drift VIEW --current online`.
 *
 * A uniform sample of the view's stored rows (online/sample.h: a reservoir
 * over one read snapshot) is staged as a table of the offline session,
 * `__larder_online_sample`, with the columns a window's sample has
 * (`__ts`, then `__rN` per feature), so drift bins and scores it as it
 * does source rows. A feature added after a row was written reads null.
 * Rows are taken as stored: the view's ttl is not applied (a row past it
 * is still in the store, though a lookup withholds it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../online/sample.h"
#include "../util/dtype.h"
#include "profile.h"
#include "rowfile.h"

#define ONLINE_TABLE "__larder_online_sample"

/* Stages sample `sm` of view v as ONLINE_TABLE. */
static int stage(lr_offline *off, const lr__view *v, const lr__sample *sm) {
  size_t n = sm->n_rows;
  int n_cols = 1 + v->n_features;
  lr_value *values = calloc((size_t)n_cols * n + 1, sizeof *values);
  lr__rowfile_col *cols = calloc((size_t)n_cols, sizeof *cols);
  char (*names)[16] = calloc((size_t)n_cols, sizeof *names);
  int rc = values && cols && names ? 0 : LR_ENOMEM;
  for (int c = 0; rc == 0 && c < n_cols; c++) {
    if (c)
      snprintf(names[c], sizeof names[c], "__r%d", c - 1);
    else
      snprintf(names[c], sizeof names[c], "__ts");
    cols[c] = (lr__rowfile_col){names[c],
                                c ? v->features[c - 1].dtype
                                  : LR__DT_TIMESTAMP,
                                values + (size_t)c * n};
  }
  for (size_t r = 0; rc == 0 && r < n; r++) {
    values[r] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = sm->event_us[r]};
    for (int f = 0; f < v->n_features; f++) {
      const lr_value *x = &sm->values[r * (size_t)sm->n_features + (size_t)f];
      values[(size_t)(1 + f) * n + r] =
          x->status == LR_STATUS_PRESENT ? *x
                                         : (lr_value){.type = LR_TYPE_NULL};
    }
  }
  if (rc == 0)
    rc = lr__rowfile_stage(&off->db, ONLINE_TABLE, cols, n_cols, n,
                           &off->errmsg);
  free(values);
  free(cols);
  free(names);
  return rc == LR_ENOMEM ? lr__errmsg_set(&off->errmsg, rc, "out of memory")
                         : rc;
}

int lr__stats_sample_online(lr_offline *off, const lr__view *v,
                            size_t max_rows, unsigned long long seed,
                            lr__stats_sample *s) {
  lr__buf_init(&s->rows);
  s->of_view = 0;
  lr_store *store = NULL;
  lr__sample sm = {0};
  int rc = lr__offline_session(off);
  if (rc == 0 && (rc = lr_store_open(off->repo, LR_STORE_READONLY, &store)))
    lr__errmsg_set(&off->errmsg, rc, "%s", lr_store_errmsg(store));
  if (rc == 0 && (rc = lr__sample_view(store, v->name, max_rows, seed, &sm)))
    lr__errmsg_set(&off->errmsg, rc, "%s", lr_store_errmsg(store));
  if (rc == 0)
    rc = stage(off, v, &sm);
  if (rc == 0)
    lr__buf_puts(&s->rows, "SELECT * FROM " ONLINE_TABLE);
  lr__sample_free(&sm);
  lr_store_close(store);
  return rc;
}

/*
 * sample.h - a uniform random sample of the rows one view holds in the
 * online store, decoded: each row's entity key values and feature values.
 * Made for the calls that compare what is served with something else
 * (`larder skew`, and drift against the online store), so it hands back
 * values, not only keys.
 *
 * The sample is a reservoir (Algorithm R) over one cursor pass of the
 * view's database in a read snapshot (scan.h): every stored row has the
 * same chance max_rows / rows of being kept, and a view of at most
 * max_rows rows is returned whole, each row once. The draws come from
 * `seed`: the same seed over the same stored rows gives the same sample.
 * The pass costs a read of every row of the view; writers in any process
 * are not held up meanwhile (docs/internals/skew.md).
 */
#ifndef LR_ONLINE_SAMPLE_H
#define LR_ONLINE_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "../registry/model.h"
#include "../util/arena.h"
#include "larder.h"

typedef struct lr__sample {
  const lr__view *view;  /* the sampled view, in the store's registry */
  int n_keys;            /* its join keys, in key order */
  const char **key_names;
  int n_features;        /* its features, in registry order */
  size_t n_rows;         /* rows in the sample, in key order */
  size_t n_scanned;      /* rows the view held in the snapshot */
  /* n_rows x n_keys: int32, int64, string or bytes values */
  lr_value *keys;
  /* n_rows x n_features: status LR_STATUS_PRESENT, LR_STATUS_NULL_VALUE,
   * or LR_STATUS_NOT_FOUND (a feature added after the row was written);
   * event_ts is the row's event time. No ttl is applied: a row older than
   * the view's ttl is in the sample as stored. */
  lr_value *values;
  long long *event_us;   /* per row: its event time (0: none stored) */
  long long *created_us; /* per row; LR__ROW_NO_CREATED when none */
  unsigned char *stored; /* per row: 1 when a row is stored (always, in
                            lr__sample_view's samples) */
  lr_data_version version; /* the snapshot read */
  lr__arena arena;       /* every array and value above lives here */
} lr__sample;

/* Samples up to `max_rows` (> 0) rows of stored view `view` of `store`
 * with the draws of `seed` (any value) into `out`, which the caller frees
 * with lr__sample_free whatever the status. Returns 0; LR_ENOTFOUND (no
 * such view), LR_EINVAL (a view with no rows online: offline-only or
 * on-demand and computed at lookup), LR_ECORRUPT (a stored row or key
 * that does not decode), LR_ENOMEM or LR_EIO, with the message on the
 * store (lr__store_err). Thread-safe as lr_store_verify() is. */
int lr__sample_view(lr_store *store, const char *view, size_t max_rows,
                    uint64_t seed, lr__sample *out);

/* Reads the stored rows of `n` entities of stored view `view` (keys: n x
 * n_keys values, each of its join key's type, in key order) in one read
 * snapshot into `out` (freed by the caller whatever the status): row i is
 * entity i, out->stored[i] 0 when it has no row (its values are then
 * NOT_FOUND, event_ts 0). n_scanned stays 0. Returns 0, the codes of
 * lr__sample_view, LR_ETYPE or LR_EINVAL (a key of the wrong type, null
 * or too long: the message names the entity, counted from 1). */
int lr__sample_read_keys(lr_store *store, const char *view,
                         const lr_value *keys, size_t n, lr__sample *out);

/* Frees a sample (a zeroed one too). */
void lr__sample_free(lr__sample *s);

#endif

/*
 * request.h - a prepared request: the features asked for, grouped by view,
 * and the key columns a lookup takes. Built once by lr_request_prepare*,
 * then read-only, so many threads can look up through it at once.
 */
#ifndef LR_ONLINE_REQUEST_H
#define LR_ONLINE_REQUEST_H

#include "../registry/odfv.h"
#include "store.h"

/* One feature a lookup produces: the requested ones in request order, then
 * the hidden inputs of on-demand views. Read from a stored row (group >= 0)
 * or computed by an on-demand view (odfv >= 0). */
typedef struct lr__req_feature {
  const char *view;
  const char *name;
  uint8_t dtype;
  uint16_t slot;
  int group;
  int odfv;
} lr__req_feature;

/* An on-demand view computed by a request: where each input of its program
 * comes from, and which request feature each output fills. */
typedef struct lr__req_odfv {
  lr__odfv *odfv;
  int *input_cell; /* per input: a feature index; or -1 - a key column (a
                      request field); or INT_MIN when the program does not
                      read it */
  int *output_feature; /* per output: the feature index, or -1 */
} lr__req_odfv;

/* The features read from one view: one LMDB lookup per entity. */
typedef struct lr__req_group {
  lr__online_view *ov;
  int *key_cols;   /* for each of the view's join keys, its request column */
  int n_features;
  int *features;   /* indexes into lr_request.features */
  int64_t ttl_us;  /* 0 = no limit */
} lr__req_group;

struct lr_request {
  lr_store *store;
  lr__arena arena;
  int n_keys;          /* join keys, then request fields */
  int n_join_keys;
  const char **key_names;
  uint8_t *key_types;
  int n_features;      /* the requested features */
  int n_cells;         /* the requested features plus hidden inputs: the
                          width of a result row */
  lr__req_feature *features;
  int n_odfvs;
  lr__req_odfv *odfvs;
  int n_groups;
  lr__req_group *groups;
  uint32_t max_slots; /* the largest row layout among the groups */
  /* The JSON answer's constant part, made once when the request is
   * prepared: what follows the version in the metadata (the column names,
   * then the start of the results), without and with
   * LR_FULL_FEATURE_NAMES (format.c). */
  const char *json_names[2];
  size_t json_names_len[2];
};

/* Makes req->json_names (format.c). Returns 0 or LR_ENOMEM. */
int lr__request_json_template(lr_request *req);

#endif

/*
 * request.h - a prepared request: the features asked for, grouped by view,
 * and the key columns a lookup takes. Built once by lr_request_prepare*,
 * then read-only, so many threads can look up through it at once.
 */
#ifndef LR_ONLINE_REQUEST_H
#define LR_ONLINE_REQUEST_H

#include "store.h"

/* One requested feature, in request order. */
typedef struct lr__req_feature {
  const char *view;
  const char *name;
  uint8_t dtype;
  uint16_t slot;
  int group;
} lr__req_feature;

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
  int n_keys;
  const char **key_names;
  uint8_t *key_types;
  int n_features;
  lr__req_feature *features;
  int n_groups;
  lr__req_group *groups;
  uint32_t max_slots; /* the largest row layout among the groups */
};

#endif

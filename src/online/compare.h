/*
 * compare.h - what lr_store_compare found, view by view, between two
 * stores (side 0: the store, side 1: the other), as compare.c finds it and
 * compare_report.c writes it (text or JSON).
 */
#ifndef LR_ONLINE_COMPARE_H
#define LR_ONLINE_COMPARE_H

#include <stdint.h>

#include "../codec/key.h"
#include "../util/buf.h"
#include "digest.h"
#include "store.h"

/* How many differing keys of a view the report names. */
#define LR__COMPARE_MAX_KEYS 10

/* How a key differs (the first two: the side that has it). */
enum { LR__ONLY_IN_STORE, LR__ONLY_IN_OTHER, LR__ROWS_DIFFER };

/* An event time that is not there (no row on that side, or it does not
 * decode). */
#define LR__NO_EVENT INT64_MIN

/* One key that differs. */
typedef struct lr__key_diff {
  uint8_t key[LR__KEY_MAX];
  size_t len;
  int bucket;
  int kind;            /* LR__ONLY_IN_STORE ... */
  int64_t event_us[2]; /* per side, or LR__NO_EVENT */
} lr__key_diff;

/* One view, by name, on both sides or one. */
typedef struct lr__view_cmp {
  const char *name;
  const lr__online_view *ov; /* for describing keys: the store's, else
                                the other's */
  int present[2];
  lr__digest recorded[2]; /* the digests the meta databases record */
  int counted;            /* both sides were walked: */
  lr__digest rows[2];     /* ... what their rows give */
  lr__digest (*buckets)[2]; /* ... split by bucket (LR__DIGEST_BUCKETS) */
  unsigned long long keys_differing;
  int n_keys;             /* the first of them, in key order */
  lr__key_diff keys[LR__COMPARE_MAX_KEYS];
} lr__view_cmp;

/* A side of the comparison: its online store folder and the version its
 * snapshot reads. */
typedef struct lr__cmp_side {
  const char *root;
  lr_data_version version;
} lr__cmp_side;

/* 1 when the view holds the same rows on both sides (and, when counted,
 * each side's record is what its rows give). */
int lr__view_cmp_identical(const lr__view_cmp *v);

/* Appends view `v` to the report's `body` (`first`: no view before it).
 * flags: LR_FORMAT_JSON, else text. */
void lr__compare_report_view(lr__buf *body, unsigned flags,
                             const lr__view_cmp *v, int first);

/* Writes the report into `out`: the sides, the views' `body`, and the
 * verdict over `n_views` views of which `n_differ` differ. */
void lr__compare_report(lr__buf *out, unsigned flags,
                        const lr__cmp_side sides[2], const lr__buf *body,
                        int n_views, int n_differ);

#endif

/*
 * skew.h - what the two halves of lr_skew share: skew.c samples the
 * entities, reads their online rows and their offline latest rows, and
 * hands each entity's pair to the tally; skew_report.c judges each feature
 * of the pair, keeps the counts and a few examples, and writes the report
 * (docs/internals/skew.md).
 */
#ifndef LR_OFFLINE_SKEW_H
#define LR_OFFLINE_SKEW_H

#include <stdint.h>

#include "../online/sample.h"
#include "../util/buf.h"

/* How one feature of one entity compares. */
enum {
  LR__SKEW_EQUAL,
  LR__SKEW_DIFFERENT,
  LR__SKEW_MISSING_ONLINE,  /* offline has a value (or null), online none */
  LR__SKEW_MISSING_OFFLINE, /* online serves one, offline has none */
  LR__SKEW_MISSING_BOTH,    /* neither side has the entity's row */
  LR__SKEW_KINDS
};

/* Examples kept per feature and kind (equal and missing-both have none). */
enum { LR__SKEW_EXAMPLES = 3 };

typedef struct lr__skew_feature {
  unsigned long long count[LR__SKEW_KINDS];
  int n_examples;
  lr__buf examples; /* formatted as the report's mode asks, in order */
  lr__buf examples_json; /* also as JSON, for a saved run of a text
                            report (keep_json) */
} lr__skew_feature;

typedef struct lr__skew_tally {
  int json;                 /* the report's mode: LR_FORMAT_JSON given */
  int keep_json;            /* the run is saved: keep JSON examples too */
  const lr__sample *online; /* the entities, with their online rows */
  int64_t now_us;           /* the time both sides are judged at */
  int64_t ttl_us;           /* the view's ttl; 0: none */
  unsigned long long seed;
  size_t sampled_online, sampled_offline; /* the halves, before the union */
  size_t online_rows, offline_rows;       /* entities each side serves */
  lr__skew_feature *features;             /* per feature of the view */
} lr__skew_tally;

/* Sets up the tally over the entities of `online` (one per row). Returns
 * 0 or LR_ENOMEM. */
int lr__skew_tally_init(lr__skew_tally *t, const lr__sample *online,
                        int json);
void lr__skew_tally_free(lr__skew_tally *t);

/* Judges every feature of entity `e` against its offline latest row:
 * `offline` holds one value per feature (LR_TYPE_NULL for a null), or is
 * NULL when offline has no row for it as of now. event_us: that row's
 * event time. */
void lr__skew_judge(lr__skew_tally *t, size_t e, const lr_value *offline,
                    int64_t event_us);

/* 1 when a and b (both present, of one dtype) are equal under skew's rule:
 * exact for everything but floats, which are equal when their bits are,
 * or when both are NaN; arrays item by item. */
int lr__skew_values_equal(const lr_value *a, const lr_value *b);

/* Appends the report (text, or JSON) to `out`. */
void lr__skew_report(const lr__skew_tally *t, lr__buf *out);

/* Appends the report as JSON whatever its mode (a saved run, which a text
 * report's tally keeps JSON examples for with keep_json). */
void lr__skew_report_json(const lr__skew_tally *t, lr__buf *out);

#endif

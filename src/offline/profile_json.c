/*
 * profile_json.c - a profile (profile.h) as JSON: what `larder stats
 * --json` prints and what a saved profile holds (docs/repo-format.md), and
 * reading a saved one back for lr_drift. Numbers are written shortest
 * round-trip, so a profile read back compares exactly as computed: its bin
 * edges are the ones it was saved with.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/json.h"
#include "../util/textval.h"
#include "profile.h"

static const char *const kind_names[] = {"", "number", "category", "length",
                                         "time"};

const int lr__pct_shown[LR__N_SHOWN] = {1, 5, 25, 50, 75, 95, 99};

void lr__profile_put_stat(lr__buf *out, double v, uint8_t dtype, int json) {
  if (isnan(v) && !json)
    lr__buf_putc(out, '-');
  else if (dtype == LR__DT_FLOAT32 && (double)(float)v == v)
    lr__put_float32(out, (float)v, json);
  else
    lr__put_float64(out, v, json);
}

/* Appends `, "key": value` for a statistic of f. */
static void put_num(lr__buf *out, const char *key, double v,
                    const lr__fprofile *f) {
  lr__buf_printf(out, ", \"%s\": ", key);
  lr__profile_put_stat(out, v, f->dtype, 1);
}

static void put_text(lr__buf *out, const char *key, const char *text) {
  lr__buf_printf(out, ", \"%s\": ", key);
  if (text)
    lr__buf_json_str(out, text);
  else
    lr__buf_puts(out, "null");
}

/* Appends a list of (value, count) as JSON objects. */
static void put_categories(lr__buf *out, const lr__category *c, int n) {
  lr__buf_putc(out, '[');
  for (int i = 0; i < n; i++) {
    lr__buf_puts(out, i ? ", {\"value\": " : "{\"value\": ");
    lr__buf_json_str(out, c[i].value);
    lr__buf_printf(out, ", \"count\": %llu}", c[i].count);
  }
  lr__buf_putc(out, ']');
}

/* The statistics of a number or length feature. */
static void put_moments(lr__buf *out, const lr__fprofile *f) {
  if (!f->has_moments) {
    lr__buf_puts(out, ", \"min\": null, \"max\": null, \"mean\": null, "
                      "\"stddev\": null");
    return;
  }
  put_num(out, "min", f->min, f);
  put_num(out, "max", f->max, f);
  put_num(out, "mean", f->mean, f);
  put_num(out, "stddev", f->stddev, f);
  for (int i = 0; i < LR__N_SHOWN; i++) {
    char key[8];
    snprintf(key, sizeof key, "p%02d", lr__pct_shown[i]);
    put_num(out, key, f->pct[lr__pct_shown[i]], f);
  }
}

/* The bins of f: edges (and the percentiles, for wasserstein) or the
 * categories, and the counts. */
static void put_bins(lr__buf *out, const lr__fprofile *f) {
  lr__buf_puts(out, ", \"bins\": {");
  if (f->kind == LR__PK_NUMBER) {
    lr__buf_puts(out, "\"edges\": [");
    for (int e = 0; e < f->n_edges; e++) {
      lr__buf_puts(out, e ? ", " : "");
      lr__put_float64(out, f->edges[e], 1);
    }
    lr__buf_puts(out, "], \"percentiles\": ");
    if (!f->has_moments)
      lr__buf_puts(out, "null");
    for (int i = 0; f->has_moments && i < LR__PCT; i++) {
      lr__buf_puts(out, i ? ", " : "[");
      lr__put_float64(out, f->pct[i], 1);
    }
    lr__buf_puts(out, f->has_moments ? "]" : "");
  } else {
    lr__buf_puts(out, "\"categories\": ");
    put_categories(out, f->categories, f->n_categories);
  }
  lr__buf_puts(out, ", \"counts\": [");
  for (int b = 0; b < f->n_bins; b++)
    lr__buf_printf(out, "%s%llu", b ? ", " : "", f->bin_counts[b]);
  lr__buf_puts(out, "]}");
}

static void put_feature(lr__buf *out, const lr__fprofile *f) {
  char scratch[32];
  lr__buf_puts(out, "{\"name\": ");
  lr__buf_json_str(out, f->name);
  lr__buf_printf(out, ", \"dtype\": \"%s\", \"kind\": \"%s\", \"count\": "
                 "%llu, \"nulls\": %llu", lr__dtype_name(f->dtype, scratch),
                 kind_names[f->kind], f->count, f->nulls);
  if (f->dtype == LR__DT_FLOAT32 || f->dtype == LR__DT_FLOAT64)
    lr__buf_printf(out, ", \"nan\": %llu, \"pos_inf\": %llu, \"neg_inf\": "
                   "%llu", f->nan, f->pos_inf, f->neg_inf);
  if (f->kind == LR__PK_NUMBER || f->kind == LR__PK_LENGTH)
    put_moments(out, f);
  if (f->kind == LR__PK_TIME) {
    put_text(out, "min", f->time_min);
    put_text(out, "max", f->time_max);
  }
  if (f->kind == LR__PK_CATEGORY) {
    lr__buf_printf(out, ", \"distinct\": %llu, \"top\": ", f->distinct);
    put_categories(out, f->categories,
                   f->n_categories < LR__TOP_SHOWN ? f->n_categories
                                                   : LR__TOP_SHOWN);
  }
  if (f->has_bins)
    put_bins(out, f);
  lr__buf_putc(out, '}');
}

void lr__profile_json(const lr__profile *p, lr__buf *out) {
  lr__buf_puts(out, "{\"format\": 1, \"view\": ");
  lr__buf_json_str(out, p->view);
  lr__buf_printf(out, ", \"rows\": %llu, \"exact\": %s, \"event_time\": {"
                 "\"min\": ", p->rows, p->exact ? "true" : "false");
  if (p->ts_min)
    lr__buf_json_str(out, p->ts_min);
  else
    lr__buf_puts(out, "null");
  put_text(out, "max", p->ts_max);
  lr__buf_puts(out, "}, \"features\": [");
  for (int k = 0; k < p->n_features; k++) {
    lr__buf_puts(out, k ? ",\n  " : "\n  ");
    put_feature(out, &p->features[k]);
  }
  lr__buf_puts(out, "]}\n");
}

/* ---- reading ------------------------------------------------------------ */

/* A number of JSON (or "NaN", "Infinity", "-Infinity"); NaN otherwise. */
static double num_of(const lr__jnode *n) {
  if (n && n->kind == LR__J_NUMBER)
    return strtod(n->text, NULL);
  if (n && n->kind == LR__J_STRING)
    return !strcmp(n->text, "Infinity") ? INFINITY
           : !strcmp(n->text, "-Infinity") ? -INFINITY : NAN;
  return NAN;
}

static unsigned long long count_of(const lr__jnode *n) {
  return n && n->kind == LR__J_NUMBER ? strtoull(n->text, NULL, 10) : 0;
}

static char *text_of(const lr__jnode *n) {
  return n && n->kind == LR__J_STRING ? strdup(n->text) : NULL;
}

/* Reads the bins of a feature; returns 0 or -1 (malformed). */
static int read_bins(const lr__jnode *bins, lr__fprofile *f) {
  const lr__jnode *counts = lr__json_get(bins, "counts");
  if (!counts || counts->kind != LR__J_ARRAY)
    return -1;
  if (f->kind == LR__PK_NUMBER) {
    const lr__jnode *edges = lr__json_get(bins, "edges");
    const lr__jnode *pct = lr__json_get(bins, "percentiles");
    if (!edges || edges->kind != LR__J_ARRAY || edges->n > LR__MAX_EDGES)
      return -1;
    for (f->n_edges = 0; f->n_edges < edges->n; f->n_edges++)
      f->edges[f->n_edges] = num_of(edges->items[f->n_edges]);
    f->has_moments = pct && pct->kind == LR__J_ARRAY && pct->n == LR__PCT;
    for (int i = 0; f->has_moments && i < LR__PCT; i++)
      f->pct[i] = num_of(pct->items[i]);
  } else {
    const lr__jnode *cats = lr__json_get(bins, "categories");
    if (!cats || cats->kind != LR__J_ARRAY || cats->n > LR__CATEGORIES)
      return -1;
    f->categories = calloc((size_t)cats->n + 1, sizeof *f->categories);
    for (int c = 0; f->categories && c < cats->n; c++, f->n_categories++) {
      f->categories[c].value = text_of(lr__json_get(cats->items[c], "value"));
      f->categories[c].count = count_of(lr__json_get(cats->items[c], "count"));
      if (!f->categories[c].value)
        return -1;
    }
  }
  f->n_bins = f->kind == LR__PK_NUMBER ? f->n_edges + 2 : f->n_categories + 2;
  if (counts->n != f->n_bins ||
      !(f->bin_counts = calloc((size_t)f->n_bins, sizeof *f->bin_counts)))
    return -1;
  for (int b = 0; b < f->n_bins; b++)
    f->bin_counts[b] = count_of(counts->items[b]);
  f->has_bins = 1;
  return 0;
}

/* Reads one feature; returns 0 or -1 (malformed). */
static int read_feature(const lr__jnode *n, lr__fprofile *f) {
  const char *kind = lr__json_get(n, "kind") ? lr__json_get(n, "kind")->text
                                             : "";
  const lr__jnode *dtype = lr__json_get(n, "dtype");
  f->name = text_of(lr__json_get(n, "name"));
  if (!f->name || !dtype || dtype->kind != LR__J_STRING ||
      lr__dtype_parse(dtype->text, &f->dtype) != 0)
    return -1;
  f->kind = lr__profile_kind_of(f->dtype);
  if (strcmp(kind, kind_names[f->kind]) != 0)
    return -1;
  f->count = count_of(lr__json_get(n, "count"));
  f->nulls = count_of(lr__json_get(n, "nulls"));
  f->nan = count_of(lr__json_get(n, "nan"));
  f->pos_inf = count_of(lr__json_get(n, "pos_inf"));
  f->neg_inf = count_of(lr__json_get(n, "neg_inf"));
  f->mean = num_of(lr__json_get(n, "mean"));
  f->stddev = num_of(lr__json_get(n, "stddev"));
  f->min = num_of(lr__json_get(n, "min"));
  f->max = num_of(lr__json_get(n, "max"));
  f->distinct = count_of(lr__json_get(n, "distinct"));
  const lr__jnode *bins = lr__json_get(n, "bins");
  return bins ? read_bins(bins, f) : 0;
}

int lr__profile_parse(const char *text, size_t len, const char *path,
                      lr__buf *errmsg, lr__profile *p) {
  memset(p, 0, sizeof *p);
  lr__json_doc doc;
  lr__json_doc_read(&doc, text, len);
  const lr__jnode *root = doc.root;
  const lr__jnode *features = lr__json_get(root, "features");
  int rc = features && features->kind == LR__J_ARRAY ? 0 : -1;
  if (rc == 0) {
    p->view = text_of(lr__json_get(root, "view"));
    p->rows = count_of(lr__json_get(root, "rows"));
    p->features = calloc((size_t)features->n + 1, sizeof *p->features);
    rc = p->view && p->features ? 0 : -1;
  }
  for (int k = 0; rc == 0 && k < features->n; k++, p->n_features++)
    rc = read_feature(features->items[k], &p->features[k]);
  if (rc)
    lr__errmsg_set(errmsg, LR_ECORRUPT, "%s is not a profile that `larder "
                   "stats --save` wrote%s%s: save the profile again",
                   path, doc.why.len ? ": " : "", lr__buf_str(&doc.why));
  lr__json_doc_free(&doc);
  return rc ? LR_ECORRUPT : 0;
}

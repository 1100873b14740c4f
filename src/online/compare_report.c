/*
 * compare_report.c - what lr_store_compare found, as text for people or
 * JSON for scripts (compare.h). Both say the same things: each side's
 * folder and version; per view whether it is identical, its rows and
 * digest on each side, and where it differs: the buckets whose digests
 * differ and the first keys that differ, named by their entity key values.
 */
#include <stdio.h>

#include "../util/timefmt.h"
#include "compare.h"
#include "larder.h"
#include "scan.h"

static const char *const side_names[2] = {"store", "other"};

/* What the report shows of side s: the rows counted, else the record. */
static const lr__digest *shown(const lr__view_cmp *v, int s) {
  return v->counted ? &v->rows[s] : &v->recorded[s];
}

/* 1 when side s was counted and its record is not what its rows give. */
static int record_wrong(const lr__view_cmp *v, int s) {
  return v->counted && !lr__digest_equal(&v->rows[s], &v->recorded[s]);
}

int lr__view_cmp_identical(const lr__view_cmp *v) {
  return v->present[0] && v->present[1] &&
         lr__digest_equal(shown(v, 0), shown(v, 1)) && !record_wrong(v, 0) &&
         !record_wrong(v, 1);
}

/* How many buckets differ. */
static int buckets_differing(const lr__view_cmp *v) {
  int n = 0;
  for (int b = 0; v->counted && b < LR__DIGEST_BUCKETS; b++)
    n += !lr__digest_equal(&v->buckets[b][0], &v->buckets[b][1]);
  return n;
}

static const char *const kind_json[] = {"only_in_store", "only_in_other",
                                        "rows_differ"};

/* ---- text ---------------------------------------------------------------- */

/* "3 rows, digest HEX" */
static void text_digest(lr__buf *out, const lr__digest *d) {
  char hex[33];
  lr__digest_hex(d, hex);
  lr__buf_printf(out, "%llu row%s, digest %s", (unsigned long long)d->rows,
                 d->rows == 1 ? "" : "s", hex);
}

/* The line of one listed key: how it differs, with the event times. */
static void text_key(lr__buf *out, const lr__view_cmp *v,
                     const lr__key_diff *d) {
  char t[2][40];
  for (int s = 0; s < 2; s++)
    if (d->event_us[s] != LR__NO_EVENT)
      lr__time_format(d->event_us[s], t[s]);
    else
      snprintf(t[s], sizeof t[s], "unreadable");
  lr__buf_puts(out, "    ");
  lr__scan_describe_key(out, v->ov, d->key, d->len);
  if (d->kind != LR__ROWS_DIFFER) /* LR__ONLY_IN_STORE is side 0 */
    lr__buf_printf(out, ": only in %s (event time %s)\n",
                   side_names[d->kind], t[d->kind]);
  else if (d->event_us[0] == d->event_us[1])
    lr__buf_printf(out, ": the rows differ at the same event time %s\n",
                   t[0]);
  else
    lr__buf_printf(out, ": the rows differ: event time %s in store, %s in "
                   "other\n", t[0], t[1]);
}

/* The differing buckets, each with the listed keys it holds. */
static void text_buckets(lr__buf *out, const lr__view_cmp *v) {
  lr__buf_printf(out, "  %llu key%s differ%s, in %d of %d buckets:\n",
                 v->keys_differing, v->keys_differing == 1 ? "" : "s",
                 v->keys_differing == 1 ? "s" : "", buckets_differing(v),
                 LR__DIGEST_BUCKETS);
  for (int b = 0; b < LR__DIGEST_BUCKETS; b++) {
    if (lr__digest_equal(&v->buckets[b][0], &v->buckets[b][1]))
      continue;
    lr__buf_printf(out, "  bucket %d: store ", b);
    text_digest(out, &v->buckets[b][0]);
    lr__buf_puts(out, "; other ");
    text_digest(out, &v->buckets[b][1]);
    lr__buf_putc(out, '\n');
    for (int k = 0; k < v->n_keys; k++)
      if (v->keys[k].bucket == b)
        text_key(out, v, &v->keys[k]);
  }
  if (v->keys_differing > (unsigned long long)v->n_keys)
    lr__buf_printf(out, "  (the first %d of the %llu keys that differ are "
                   "listed)\n", v->n_keys, v->keys_differing);
}

static void text_view(lr__buf *out, const lr__view_cmp *v) {
  lr__buf_printf(out, "%s: ", v->name);
  if (!v->present[0] || !v->present[1]) {
    int s = v->present[1];
    lr__buf_printf(out, "only in %s (", side_names[s]);
    text_digest(out, &v->recorded[s]);
    lr__buf_puts(out, ")\n");
    return;
  }
  int same = lr__digest_equal(shown(v, 0), shown(v, 1));
  if (same) {
    lr__buf_puts(out, lr__view_cmp_identical(v) ? "identical: "
                                                : "the same rows: ");
    text_digest(out, shown(v, 0));
    lr__buf_puts(out, v->counted ? " (counted from the rows)\n"
                                 : " (the recorded digests agree)\n");
  } else {
    lr__buf_puts(out, "different: store ");
    text_digest(out, shown(v, 0));
    lr__buf_puts(out, "; other ");
    text_digest(out, shown(v, 1));
    lr__buf_putc(out, '\n');
    text_buckets(out, v);
  }
  for (int s = 0; s < 2; s++)
    if (record_wrong(v, s)) {
      lr__buf_printf(out, "  the %s's recorded digest (", side_names[s]);
      text_digest(out, &v->recorded[s]);
      lr__buf_puts(out, ") is not what its rows give: run `larder verify` "
                   "on it\n");
    }
}

static void text_report(lr__buf *out, const lr__cmp_side sides[2],
                        const lr__buf *body, int n_views, int n_differ) {
  for (int s = 0; s < 2; s++)
    lr__buf_printf(out, "%s: %s, version %llu.%llu\n", side_names[s],
                   sides[s].root, sides[s].version.generation,
                   sides[s].version.seq);
  lr__buf_puts(out, lr__buf_str(body));
  if (!n_differ) {
    lr__buf_printf(out, "Identical: %d view%s.\n", n_views,
                   n_views == 1 ? "" : "s");
    return;
  }
  lr__buf_printf(out, "Different: %d of %d view%s.\n", n_differ, n_views,
                 n_views == 1 ? "" : "s");
  if (sides[0].version.generation == sides[1].version.generation &&
      sides[0].version.seq == sides[1].version.seq)
    lr__buf_printf(out, "Both are at version %llu.%llu: if they follow one "
                   "primary, one of them was changed outside the log or "
                   "is damaged.\n", sides[0].version.generation,
                   sides[0].version.seq);
}

/* ---- JSON ---------------------------------------------------------------- */

/* {"rows": N, "digest": "HEX" (the object left open) */
static void json_digest_open(lr__buf *out, const lr__digest *d) {
  char hex[33];
  lr__digest_hex(d, hex);
  lr__buf_printf(out, "{\"rows\": %llu, \"digest\": \"%s\"",
                 (unsigned long long)d->rows, hex);
}

/* "NAME": {"rows": N, "digest": "HEX"} */
static void json_digest(lr__buf *out, const char *name, const lr__digest *d) {
  lr__buf_printf(out, "\"%s\": ", name);
  json_digest_open(out, d);
  lr__buf_putc(out, '}');
}

/* Side s of a view: what is shown, with the record when it is wrong. */
static void json_side(lr__buf *out, const lr__view_cmp *v, int s) {
  lr__buf_printf(out, ", \"%s\": ", side_names[s]);
  json_digest_open(out, shown(v, s));
  if (record_wrong(v, s)) {
    lr__buf_puts(out, ", ");
    json_digest(out, "recorded", &v->recorded[s]);
  }
  lr__buf_putc(out, '}');
}

static void json_key(lr__buf *out, const lr__view_cmp *v,
                     const lr__key_diff *d) {
  lr__buf key;
  lr__buf_init(&key);
  lr__scan_describe_key(&key, v->ov, d->key, d->len);
  lr__buf_puts(out, "{\"key\": ");
  lr__buf_json_str(out, lr__buf_str(&key));
  lr__buf_free(&key);
  lr__buf_printf(out, ", \"bucket\": %d, \"difference\": \"%s\"", d->bucket,
                 kind_json[d->kind]);
  for (int s = 0; s < 2; s++) {
    char t[40];
    if (d->event_us[s] != LR__NO_EVENT)
      lr__time_format(d->event_us[s], t);
    lr__buf_printf(out, ", \"%s_event_timestamp\": ", side_names[s]);
    if (d->event_us[s] != LR__NO_EVENT)
      lr__buf_json_str(out, t);
    else
      lr__buf_puts(out, "null");
  }
  lr__buf_putc(out, '}');
}

/* "keys_differing", "buckets" (those that differ) and "keys". */
static void json_differences(lr__buf *out, const lr__view_cmp *v) {
  lr__buf_printf(out, ", \"keys_differing\": %llu, \"buckets\": [",
                 v->keys_differing);
  for (int b = 0, first = 1; b < LR__DIGEST_BUCKETS; b++) {
    if (lr__digest_equal(&v->buckets[b][0], &v->buckets[b][1]))
      continue;
    lr__buf_printf(out, "%s{\"bucket\": %d, ", first ? "" : ", ", b);
    json_digest(out, "store", &v->buckets[b][0]);
    lr__buf_puts(out, ", ");
    json_digest(out, "other", &v->buckets[b][1]);
    lr__buf_putc(out, '}');
    first = 0;
  }
  lr__buf_puts(out, "], \"keys\": [");
  for (int k = 0; k < v->n_keys; k++) {
    lr__buf_puts(out, k ? ", " : "");
    json_key(out, v, &v->keys[k]);
  }
  lr__buf_putc(out, ']');
}

static void json_view(lr__buf *out, const lr__view_cmp *v) {
  lr__buf_puts(out, "{\"view\": ");
  lr__buf_json_str(out, v->name);
  lr__buf_printf(out, ", \"identical\": %s",
                 lr__view_cmp_identical(v) ? "true" : "false");
  if (!v->present[0] || !v->present[1]) {
    int s = v->present[1];
    lr__buf_printf(out, ", \"only_in\": \"%s\", ", side_names[s]);
    json_digest(out, side_names[s], &v->recorded[s]);
  } else {
    lr__buf_printf(out, ", \"counted\": %s", v->counted ? "true" : "false");
    json_side(out, v, 0);
    json_side(out, v, 1);
    if (v->counted)
      json_differences(out, v);
  }
  lr__buf_putc(out, '}');
}

static void json_report(lr__buf *out, const lr__cmp_side sides[2],
                        const lr__buf *body, int n_differ) {
  const lr_data_version *a = &sides[0].version, *b = &sides[1].version;
  lr__buf_printf(out, "{\"identical\": %s, \"views_differing\": %d, "
                 "\"same_version\": %s", n_differ ? "false" : "true",
                 n_differ, a->generation == b->generation && a->seq == b->seq
                               ? "true" : "false");
  for (int s = 0; s < 2; s++) {
    lr__buf_printf(out, ", \"%s\": {\"path\": ", side_names[s]);
    lr__buf_json_str(out, sides[s].root);
    lr__buf_printf(out, ", \"version\": \"%llu.%llu\", \"generation\": %llu, "
                   "\"seq\": %llu}", sides[s].version.generation,
                   sides[s].version.seq, sides[s].version.generation,
                   sides[s].version.seq);
  }
  lr__buf_puts(out, ", \"views\": [");
  lr__buf_puts(out, lr__buf_str(body));
  lr__buf_puts(out, "]}\n");
}

/* ---- either -------------------------------------------------------------- */

void lr__compare_report_view(lr__buf *body, unsigned flags,
                             const lr__view_cmp *v, int first) {
  if (!(flags & LR_FORMAT_JSON))
    text_view(body, v);
  else {
    lr__buf_puts(body, first ? "" : ", ");
    json_view(body, v);
  }
}

void lr__compare_report(lr__buf *out, unsigned flags,
                        const lr__cmp_side sides[2], const lr__buf *body,
                        int n_views, int n_differ) {
  if (flags & LR_FORMAT_JSON)
    json_report(out, sides, body, n_differ);
  else
    text_report(out, sides, body, n_views, n_differ);
}

/*
 * skew_report.c - skew's judgement and report (skew.h): per feature, how
 * many sampled entities are served the same value online as the offline
 * latest row gives, a different one, or none on one side or both; a few
 * examples of each disagreement; the report as text or JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../online/result.h"
#include "../util/dtype.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "skew.h"

/* The names of the kinds, for the text report and as JSON keys. */
static const char *const kind_text[LR__SKEW_KINDS] = {
    "equal", "different", "missing online", "missing offline",
    "missing both"};
static const char *const kind_json[LR__SKEW_KINDS] = {
    "equal", "different", "missing_online", "missing_offline",
    "missing_both"};

int lr__skew_tally_init(lr__skew_tally *t, const lr__sample *online,
                        int json) {
  *t = (lr__skew_tally){.json = json, .online = online};
  t->features = calloc((size_t)online->n_features + 1, sizeof *t->features);
  if (!t->features)
    return LR_ENOMEM;
  for (int f = 0; f < online->n_features; f++) {
    lr__buf_init(&t->features[f].examples);
    lr__buf_init(&t->features[f].examples_json);
  }
  return 0;
}

void lr__skew_tally_free(lr__skew_tally *t) {
  for (int f = 0; t->features && f < t->online->n_features; f++) {
    lr__buf_free(&t->features[f].examples);
    lr__buf_free(&t->features[f].examples_json);
  }
  free(t->features);
  t->features = NULL;
}

/* Floats: equal when their bits are, or when both are NaN. */
static int f32_equal(float a, float b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}
static int f64_equal(double a, double b) {
  return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int str_equal(lr_str a, lr_str b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Item k of two arrays of base dtype `base`. */
static int item_equal(uint8_t base, const void *a, const void *b, size_t k) {
  float fa, fb;
  double da, db;
  switch (base) {
  case LR__DT_FLOAT32:
    memcpy(&fa, (const char *)a + 4 * k, 4);
    memcpy(&fb, (const char *)b + 4 * k, 4);
    return f32_equal(fa, fb);
  case LR__DT_FLOAT64:
    memcpy(&da, (const char *)a + 8 * k, 8);
    memcpy(&db, (const char *)b + 8 * k, 8);
    return f64_equal(da, db);
  case LR__DT_STRING:
    return str_equal(((const lr_str *)a)[k], ((const lr_str *)b)[k]);
  default: { /* int32, int64 */
    size_t w = (size_t)lr__dtype_width(base);
    return memcmp((const char *)a + w * k, (const char *)b + w * k, w) == 0;
  }
  }
}

int lr__skew_values_equal(const lr_value *a, const lr_value *b) {
  if (LR__DT_IS_ARRAY(a->type)) {
    if (a->v.array.n != b->v.array.n)
      return 0;
    for (size_t k = 0; k < a->v.array.n; k++)
      if (!item_equal(LR__DT_BASE(a->type), a->v.array.data, b->v.array.data,
                      k))
        return 0;
    return 1;
  }
  switch (a->type) {
  case LR__DT_BOOL: return (a->v.b != 0) == (b->v.b != 0);
  case LR__DT_INT32: return a->v.i32 == b->v.i32;
  case LR__DT_FLOAT32: return f32_equal(a->v.f32, b->v.f32);
  case LR__DT_FLOAT64: return f64_equal(a->v.f64, b->v.f64);
  case LR__DT_STRING:
  case LR__DT_BYTES: return str_equal(a->v.str, b->v.str);
  default: return a->v.i64 == b->v.i64; /* int64, timestamp */
  }
}

/* One side of a comparison: what it serves for the feature. */
typedef struct side {
  int status;       /* an lr_feature_status */
  const lr_value *value; /* when PRESENT */
  int64_t event_us; /* of the row, when it has one */
  int has_row;
} side;

/* What the online store serves entity e's feature f as of t->now_us: the
 * lookup's rule, a row older than the ttl withheld. */
static side online_side(const lr__skew_tally *t, size_t e, int f) {
  const lr__sample *s = t->online;
  const lr_value *v = &s->values[e * (size_t)s->n_features + (size_t)f];
  side out = {v->status, v, s->event_us[e], s->stored[e]};
  if (!s->stored[e])
    out.status = LR_STATUS_NOT_FOUND;
  else if (t->ttl_us > 0 && t->now_us - s->event_us[e] > t->ttl_us)
    out.status = LR_STATUS_OUTSIDE_MAX_AGE;
  return out;
}

static int online_row_served(const lr__skew_tally *t, size_t e) {
  const lr__sample *s = t->online;
  return s->stored[e] &&
         !(t->ttl_us > 0 && t->now_us - s->event_us[e] > t->ttl_us);
}

/* A value (or why there is none) and its row's time, for the text. */
static void put_side_text(lr__buf *out, const char *name, side s) {
  char ts[40];
  lr__buf_printf(out, "%s ", name);
  switch (s.status) {
  case LR_STATUS_PRESENT: lr__value_put(out, s.value, 1); break;
  case LR_STATUS_NULL_VALUE: lr__buf_puts(out, "null"); break;
  case LR_STATUS_OUTSIDE_MAX_AGE: lr__buf_puts(out, "withheld (older than "
                                               "the ttl)"); break;
  default:
    lr__buf_puts(out, s.has_row ? "none (the feature was added after its "
                                   "row was written)" : "no row");
    return;
  }
  lr__time_format(s.event_us, ts);
  lr__buf_printf(out, " at %s", ts);
}

static void put_side_json(lr__buf *out, const char *name, side s) {
  char ts[40];
  lr__buf_printf(out, "\"%s\": {\"status\": \"%s\"", name,
                 lr_status_name(s.status));
  if (s.status == LR_STATUS_PRESENT) {
    lr__buf_puts(out, ", \"value\": ");
    lr__value_put(out, s.value, 1);
  }
  if (s.has_row) {
    lr__time_format(s.event_us, ts);
    lr__buf_printf(out, ", \"event_timestamp\": \"%s\"", ts);
  }
  lr__buf_putc(out, '}');
}

/* Entity e's key: `user_id=5, city="x"`, or as a JSON object. */
static void put_key(lr__buf *out, const lr__sample *s, size_t e, int json) {
  lr__buf_puts(out, json ? "{" : "");
  for (int k = 0; k < s->n_keys; k++) {
    lr__buf_puts(out, k ? ", " : "");
    if (json) {
      lr__buf_json_str(out, s->key_names[k]);
      lr__buf_puts(out, ": ");
    } else {
      lr__buf_printf(out, "%s=", s->key_names[k]);
    }
    lr__value_put(out, &s->keys[e * (size_t)s->n_keys + (size_t)k], 1);
  }
  lr__buf_puts(out, json ? "}" : "");
}

/* Appends entity e as an example of `kind` to `out`: a line of text, or
 * a JSON object after a comma when it is not the first (`first`). */
static void put_example(lr__buf *out, int json, int first, int kind,
                        const lr__sample *s, size_t e, side on, side off) {
  lr__buf_puts(out, json && !first ? ", " : "");
  lr__buf_printf(out, json ? "{\"kind\": \"%s\", \"key\": " : "  %s: ",
                 (json ? kind_json : kind_text)[kind]);
  put_key(out, s, e, json);
  lr__buf_puts(out, json ? ", " : ": ");
  (json ? put_side_json : put_side_text)(out, "online", on);
  lr__buf_puts(out, json ? ", " : "; ");
  (json ? put_side_json : put_side_text)(out, "offline", off);
  lr__buf_puts(out, json ? "}" : "\n");
}

/* Keeps entity e as an example of `kind` for feature f, in the report's
 * mode (and as JSON too for a saved text report). */
static void add_example(lr__skew_tally *t, int f, int kind, size_t e,
                        side on, side off) {
  lr__skew_feature *sf = &t->features[f];
  int first = sf->n_examples == 0;
  put_example(&sf->examples, t->json, first, kind, t->online, e, on, off);
  if (t->keep_json && !t->json)
    put_example(&sf->examples_json, 1, first, kind, t->online, e, on, off);
  sf->n_examples++;
}

/* How one feature's two sides compare. */
static int judge(side on, side off) {
  int has_on = on.status == LR_STATUS_PRESENT ||
               on.status == LR_STATUS_NULL_VALUE;
  int has_off = off.status != LR_STATUS_NOT_FOUND;
  if (!has_on || !has_off)
    return has_on ? LR__SKEW_MISSING_OFFLINE
                  : has_off ? LR__SKEW_MISSING_ONLINE : LR__SKEW_MISSING_BOTH;
  if (on.status != off.status)
    return LR__SKEW_DIFFERENT; /* one null, the other not */
  return on.status == LR_STATUS_NULL_VALUE ||
                 lr__skew_values_equal(on.value, off.value)
             ? LR__SKEW_EQUAL
             : LR__SKEW_DIFFERENT;
}

void lr__skew_judge(lr__skew_tally *t, size_t e, const lr_value *offline,
                    int64_t event_us) {
  t->online_rows += (size_t)online_row_served(t, e);
  t->offline_rows += offline != NULL;
  for (int f = 0; f < t->online->n_features; f++) {
    side on = online_side(t, e, f);
    side off = {LR_STATUS_NOT_FOUND, NULL, 0, 0};
    if (offline)
      off = (side){offline[f].type == LR_TYPE_NULL ? LR_STATUS_NULL_VALUE
                                                   : LR_STATUS_PRESENT,
                   &offline[f], event_us, 1};
    int kind = judge(on, off);
    lr__skew_feature *sf = &t->features[f];
    if (kind != LR__SKEW_EQUAL && kind != LR__SKEW_MISSING_BOTH &&
        sf->count[kind] < LR__SKEW_EXAMPLES)
      add_example(t, f, kind, e, on, off);
    sf->count[kind]++;
  }
}

/* The share of `n` among the entities, as a fraction. */
static double share(const lr__skew_tally *t, unsigned long long n) {
  return t->online->n_rows ? (double)n / (double)t->online->n_rows : 0;
}

static void report_text(const lr__skew_tally *t, const char *as_of,
                        lr__buf *out) {
  const lr__sample *s = t->online;
  lr__buf_printf(out, "Skew of feature view '%s' as of %s (seed %llu): %zu "
                 "entities, %zu sampled from the online store (version "
                 "%llu.%llu), %zu from the offline source; the online store "
                 "serves %zu of them, the offline source %zu.\n",
                 s->view->name, as_of, t->seed, s->n_rows, t->sampled_online,
                 s->version.generation, s->version.seq, t->sampled_offline,
                 t->online_rows, t->offline_rows);
  for (int f = 0; f < s->n_features; f++) {
    const lr__skew_feature *sf = &t->features[f];
    char dt[32];
    lr__buf_printf(out, "%s (%s):", s->view->features[f].name,
                   lr__dtype_name(s->view->features[f].dtype, dt));
    for (int k = 0; k < LR__SKEW_KINDS; k++)
      lr__buf_printf(out, "%s %s %llu (%.1f%%)", k ? "," : "", kind_text[k],
                     sf->count[k], 100 * share(t, sf->count[k]));
    lr__buf_putc(out, '\n');
    lr__buf_append(out, sf->examples.data, sf->examples.len);
  }
}

static void report_json(const lr__skew_tally *t, const char *as_of,
                        lr__buf *out) {
  const lr__sample *s = t->online;
  lr__buf_puts(out, "{\"view\": ");
  lr__buf_json_str(out, s->view->name);
  lr__buf_printf(out, ", \"as_of\": \"%s\", \"seed\": %llu, \"entities\": "
                 "%zu, \"sampled_online\": %zu, \"sampled_offline\": %zu, "
                 "\"online_version\": \"%llu.%llu\", \"online_rows\": %zu, "
                 "\"offline_rows\": %zu, \"features\": [",
                 as_of, t->seed, s->n_rows, t->sampled_online,
                 t->sampled_offline, s->version.generation, s->version.seq,
                 t->online_rows, t->offline_rows);
  for (int f = 0; f < s->n_features; f++) {
    const lr__skew_feature *sf = &t->features[f];
    char dt[32];
    lr__buf_puts(out, f ? ", {\"name\": " : "{\"name\": ");
    lr__buf_json_str(out, s->view->features[f].name);
    lr__buf_printf(out, ", \"dtype\": \"%s\"",
                   lr__dtype_name(s->view->features[f].dtype, dt));
    for (int k = 0; k < LR__SKEW_KINDS; k++)
      lr__buf_printf(out, ", \"%s\": %llu", kind_json[k], sf->count[k]);
    lr__buf_puts(out, ", \"shares\": {");
    for (int k = 0; k < LR__SKEW_KINDS; k++) {
      lr__buf_printf(out, "%s\"%s\": ", k ? ", " : "", kind_json[k]);
      lr__put_float64(out, share(t, sf->count[k]), 1);
    }
    const lr__buf *ex = t->json ? &sf->examples : &sf->examples_json;
    lr__buf_puts(out, "}, \"examples\": [");
    lr__buf_append(out, ex->data, ex->len);
    lr__buf_puts(out, "]}");
  }
  lr__buf_puts(out, "]}\n");
}

void lr__skew_report_json(const lr__skew_tally *t, lr__buf *out) {
  char as_of[40];
  lr__time_format(t->now_us, as_of);
  report_json(t, as_of, out);
}

void lr__skew_report(const lr__skew_tally *t, lr__buf *out) {
  char as_of[40];
  lr__time_format(t->now_us, as_of);
  if (t->json)
    report_json(t, as_of, out);
  else
    report_text(t, as_of, out);
}

/*
 * checkreport.c - a check runner's verdict at the end of a transaction
 * and its report (checkrun.h): per rule what was checked, what failed,
 * with sample keys and values, and whether the batch may be stored.
 *
 * A rule passes when its failing rows are at most (1 - mostly) of the
 * rows it checked (mostly is 1 unless given, so any failure fails it).
 * The batch is refused when a `reject` rule does not pass, or when the
 * rows failing any row rule are more than max_failed of all rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/checks.h"
#include "../util/dtype.h"
#include "../util/valuetext.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "checkrun_state.h"

void lr__checkrun_sample(lr__checkrun *cr, rule_run *rr, const lr_column *cols,
                         size_t r) {
  if (rr->n_samples >= LR__CHECK_MAX_SAMPLES)
    return;
  rr->n_samples++;
  lr__buf *json = &rr->samples, *text = &rr->samples_text;
  lr__buf_puts(json, json->len ? ", {\"key\": {" : "{\"key\": {");
  lr__buf_puts(text, "    ");
  for (int k = 0; k < cr->n_keys; k++) {
    static const lr_value none = {LR_TYPE_NULL, 0, 0, {0}};
    const lr_value *kv = cr->key_col[k] >= 0 ? &cols[cr->key_col[k]].values[r]
                                             : &none;
    lr__buf_puts(json, k ? ", " : "");
    lr__buf_json_str(json, cr->key_names[k]);
    lr__buf_puts(json, ": ");
    lr__value_put(json, kv, 1);
    lr__buf_printf(text, "%s%s=", k ? " " : "", cr->key_names[k]);
    lr__value_put(text, kv, 0);
  }
  lr__buf_putc(json, '}');
  if (rr->col >= 0) {
    lr__buf_puts(json, ", \"value\": ");
    lr__value_put(json, &cols[rr->col].values[r], 1);
    const lr_value *tested = &cols[rr->col].values[r];
    int quoted = tested->type == LR_TYPE_STRING; /* '' shows an empty one */
    lr__buf_printf(text, ": %s = %s", rr->c->feature, quoted ? "'" : "");
    lr__value_put(text, tested, 0);
    lr__buf_puts(text, quoted ? "'" : "");
  }
  lr__buf_putc(json, '}');
  lr__buf_putc(text, '\n');
}

/* ---- the verdict ---------------------------------------------------------- */

/* A feature or expr rule passes when its failures are within mostly. */
static int row_rule_passes(const rule_run *rr) {
  double allowed = (1.0 - rr->c->mostly) * (double)rr->checked;
  return (double)rr->failed <= allowed + 1e-9;
}

/* row_count: the rows of the transaction within [low, high]. */
static int row_count_passes(lr__checkrun *cr, rule_run *rr) {
  const lr__check_value *lo = &rr->c->values[0], *hi = &rr->c->values[1];
  rr->checked = 1;
  lr__buf_printf(&rr->detail, "%llu rows", cr->rows);
  int ok = (!lo->text || (double)cr->rows >= strtod(lo->text, NULL)) &&
           (!hi->text || (double)cr->rows <= strtod(hi->text, NULL));
  rr->failed = !ok;
  return ok;
}

/* freshness: the newest event time at most the rule's age before now (a
 * time in the future passes: it is not stale). */
static int freshness_passes(lr__checkrun *cr, rule_run *rr, int64_t now_us) {
  rr->checked = 1;
  if (!cr->any_event) {
    lr__buf_puts(&rr->detail, "no rows, so no event time to be fresh");
    rr->failed = 1;
    return 0;
  }
  char ts[40];
  lr__time_format(cr->max_event, ts);
  int64_t age_s = (now_us - cr->max_event) / 1000000;
  lr__buf_printf(&rr->detail, "newest event time %s, ", ts);
  if (age_s < 0) {
    lr__buf_puts(&rr->detail, "in the future by ");
    lr__duration_format(&rr->detail, -age_s);
  } else {
    lr__duration_format(&rr->detail, age_s);
    lr__buf_puts(&rr->detail, " old");
  }
  rr->failed = age_s > rr->c->freshness_seconds;
  return !rr->failed;
}

/* Whether rule rr passes, measured over the whole transaction. */
static int rule_passes(lr__checkrun *cr, rule_run *rr, int64_t now_us) {
  switch (rr->c->kind) {
  case LR__CHECK_ROW_COUNT: return row_count_passes(cr, rr);
  case LR__CHECK_FRESHNESS: return freshness_passes(cr, rr, now_us);
  case LR__CHECK_UNIQUE:
    lr__buf_printf(&rr->detail, "%llu %s an earlier row", rr->failed,
                   rr->failed == 1 ? "row repeats" : "rows repeat");
    return rr->failed == 0;
  default: return row_rule_passes(rr);
  }
}

/* "check 'x' (between [0, 1] on conv_rate, on_fail: reject): 3 of 1000
 * rows failed (0.3%)" */
static void describe_failure(const rule_run *rr, lr__buf *out) {
  lr__buf_printf(out, "check '%s' (%s", rr->c->name,
                 lr__check_kind_name(rr->c->kind));
  if (rr->c->feature)
    lr__buf_printf(out, " on %s", rr->c->feature);
  lr__buf_printf(out, ", on_fail: %s)", lr__on_fail_name(rr->c->on_fail));
  if (rr->detail.len)
    lr__buf_printf(out, ": %s", lr__buf_str(&rr->detail));
  else
    lr__buf_printf(out, ": %llu of %llu rows failed (%.3g%%)", rr->failed,
                   rr->checked,
                   rr->checked ? 100.0 * (double)rr->failed /
                                     (double)rr->checked : 0.0);
}

int lr__checkrun_may_refuse(const lr__checkrun *cr) {
  int refuse = cr->v->has_max_failed;
  for (int k = 0; !refuse && k < cr->n_rules; k++)
    refuse = cr->rules[k].c->on_fail == LR__ON_FAIL_REJECT;
  return refuse;
}

int lr__checkrun_finish(lr__checkrun *cr, int64_t now_us, lr__buf *err) {
  if (cr->grouped)
    lr__checkrun_group_end(cr);
  lr__buf *why = &cr->verdict;
  lr__buf_reset(why);
  for (int k = 0; k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    lr__buf_reset(&rr->detail);
    rr->passed = rule_passes(cr, rr, now_us);
    if (rr->passed || rr->c->on_fail != LR__ON_FAIL_REJECT)
      continue;
    lr__buf_puts(why, why->len ? "; " : "");
    describe_failure(rr, why);
  }
  const lr__view *v = cr->v;
  if (v->has_max_failed && cr->rows &&
      (double)cr->failed_any > v->max_failed * (double)cr->rows + 1e-9)
    lr__buf_printf(why, "%s%llu of %llu rows failed a check (%.3g%%), more "
                   "than max_failed %.3g%%", why->len ? "; " : "",
                   cr->failed_any, cr->rows,
                   100.0 * (double)cr->failed_any / (double)cr->rows,
                   100.0 * v->max_failed);
  cr->finished = 1;
  cr->rejected = why->len > 0;
  if (!cr->rejected)
    return 0;
  return lr__errmsg_set(err, LR_ECHECK, "feature view '%s': the checks "
                        "refused the batch, so nothing was written: %s; fix "
                        "the rows, or the checks in the view's definition "
                        "(`larder check %s` runs them over the source)",
                        v->name, lr__buf_str(why), v->name);
}

/* ---- counts and the report ----------------------------------------------- */

int lr__checkrun_rules(const lr__checkrun *cr) {
  return cr->n_rules;
}

void lr__checkrun_rule_counts(const lr__checkrun *cr, int k, const char **name,
                              unsigned long long *checked,
                              unsigned long long *failed, int *passed) {
  const rule_run *rr = &cr->rules[k];
  *name = rr->c->name;
  *checked = rr->checked;
  *failed = rr->failed;
  *passed = rr->passed;
}

/* One rule as a JSON object. */
static void rule_json(const rule_run *rr, int samples, lr__buf *out) {
  lr__buf_puts(out, "{\"name\": ");
  lr__buf_json_str(out, rr->c->name);
  lr__buf_puts(out, ", \"kind\": ");
  lr__buf_json_str(out, lr__check_kind_name(rr->c->kind));
  if (rr->c->feature) {
    lr__buf_puts(out, ", \"feature\": ");
    lr__buf_json_str(out, rr->c->feature);
  }
  lr__buf_printf(out, ", \"on_fail\": \"%s\", \"rows_checked\": %llu, "
                 "\"rows_failed\": %llu, \"share_failed\": ",
                 lr__on_fail_name(rr->c->on_fail), rr->checked, rr->failed);
  lr__put_float64(out, rr->checked ? (double)rr->failed / (double)rr->checked
                                   : 0.0, 1);
  lr__buf_printf(out, ", \"passed\": %s", rr->passed ? "true" : "false");
  if (rr->detail.len) {
    lr__buf_puts(out, ", \"detail\": ");
    lr__buf_json_str(out, lr__buf_str(&rr->detail));
  }
  lr__buf_puts(out, ", \"samples\": [");
  /* the first `samples` of those kept */
  const char *s = lr__buf_str(&rr->samples);
  for (int i = 0; i < samples && *s; i++) {
    const char *end = strstr(s + 1, ", {\"key\"");
    size_t len = end ? (size_t)(end - s) : strlen(s);
    lr__buf_grow_append(out, s, len);
    s += len;
  }
  lr__buf_puts(out, "]}");
}

/* One rule as lines for people. */
static void rule_text(const rule_run *rr, int samples, lr__buf *out) {
  lr__buf_printf(out, "  %s %s: ", rr->passed ? "ok  " : "FAIL",
                 rr->c->name);
  if (rr->detail.len)
    lr__buf_puts(out, lr__buf_str(&rr->detail));
  else
    lr__buf_printf(out, "%llu of %llu rows failed (%.3g%%)", rr->failed,
                   rr->checked,
                   rr->checked ? 100.0 * (double)rr->failed /
                                     (double)rr->checked : 0.0);
  lr__buf_printf(out, ", on_fail: %s\n", lr__on_fail_name(rr->c->on_fail));
  const char *s = lr__buf_str(&rr->samples_text);
  for (int i = 0; i < samples && *s; i++) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
    lr__buf_grow_append(out, s, len);
    s += len;
  }
}

/* The totals line and what happened to the rows. */
static void totals_json(const lr__checkrun *cr, lr__buf *out) {
  lr__buf_printf(out, ", \"rows\": %llu, \"rows_failed\": %llu, "
                 "\"rows_dropped\": %llu, \"rows_nulled\": %llu, "
                 "\"rejected\": %s", cr->rows, cr->failed_any, cr->dropped,
                 cr->nulled, cr->rejected ? "true" : "false");
  if (cr->grouped)
    lr__buf_printf(out, ", \"entities_newest_row_dropped\": %llu, "
                   "\"entities_no_passing_row\": %llu",
                   cr->newest_failed_older_kept, cr->newest_failed_none_kept);
  lr__buf_puts(out, ", \"quarantine\": ");
  if (cr->quarantine)
    lr__buf_json_str(out, cr->quarantine);
  else
    lr__buf_puts(out, "null");
}

static void totals_text(const lr__checkrun *cr, lr__buf *out) {
  lr__buf_printf(out, "%s: %llu rows checked, %llu failed a check, %llu "
                 "dropped, %llu with a value set null%s\n", cr->v->name,
                 cr->rows, cr->failed_any, cr->dropped, cr->nulled,
                 cr->rejected ? "; the batch was refused" : "");
  if (cr->grouped && (cr->newest_failed_older_kept ||
                      cr->newest_failed_none_kept))
    lr__buf_printf(out, "  entities whose newest row was dropped: %llu kept "
                   "an older passing row, %llu had none\n",
                   cr->newest_failed_older_kept, cr->newest_failed_none_kept);
  if (cr->quarantine) { /* the folder: the file's name is in the JSON */
    const char *slash = strrchr(cr->quarantine, '/');
    int len = slash ? (int)(slash - cr->quarantine) : 0;
    lr__buf_printf(out, "  dropped rows copied to a new file in %.*s/\n", len,
                   cr->quarantine);
  }
}

void lr__checkrun_report(const lr__checkrun *cr, unsigned flags, int samples,
                         lr__buf *out) {
  int json = (flags & LR_FORMAT_JSON) != 0;
  if (json) {
    lr__buf_puts(out, "{\"view\": ");
    lr__buf_json_str(out, cr->v->name);
    totals_json(cr, out);
    lr__buf_puts(out, ", \"checks\": [");
  } else {
    totals_text(cr, out);
  }
  for (int k = 0; k < cr->n_rules; k++) {
    if (json) {
      lr__buf_puts(out, k ? ", " : "");
      rule_json(&cr->rules[k], samples, out);
    } else {
      rule_text(&cr->rules[k], samples, out);
    }
  }
  if (json)
    lr__buf_puts(out, "]}");
}

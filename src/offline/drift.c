/*
 * drift.c - lr_drift: the reference (a saved profile, a training file or
 * a window of the view's rows) and the current window profiled in the
 * reference's bins (profile_query.c), each feature scored (drift_math.c)
 * and given a status, reported, and saved for /metrics when asked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/timefmt.h"
#include "drift.h"
#include "drift_run.h"
#include "profile.h"

/* The methods, as spec->method names them. */
enum method { PSI, JS, WASSERSTEIN, KS, N_METHODS };
static const char *const method_names[] = {"psi", "js", "wasserstein", "ks"};

enum { KS_MAX = 5000 };
static const double WARN = 0.1, ALERT = 0.25;
static const double KS_WARN = 0.05, KS_ALERT = 0.01; /* p-values */

/* What lr_drift works on. */
typedef struct drift {
  lr_offline *off;
  const lr_drift_spec *spec;
  const lr__view *view;
  enum method method;
  int exact;
  lr__stats_sample ref_rows, cur_rows; /* ref_rows empty for a saved profile */
  lr__profile ref, cur;
  lr__drift_score *scores; /* one per feature of the view */
} drift;

static int read_method(drift *d) {
  const char *name = d->spec->method ? d->spec->method : "psi";
  for (int m = 0; m < N_METHODS; m++)
    if (!strcmp(name, method_names[m])) {
      d->method = (enum method)m;
      return 0;
    }
  return lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "unknown drift method "
                        "'%s': use psi, js, wasserstein or ks", name);
}

/* Reads the saved profile spec->reference_profile of the view. */
static int load_profile(drift *d) {
  lr_offline *off = d->off;
  const char *name = d->spec->reference_profile;
  int rc = lr__quality_name_check(&off->errmsg, "profile", name);
  if (rc)
    return rc;
  lr__buf path;
  lr__buf_init(&path);
  lr__quality_path(off->repo, "profiles", d->view->name, name, &path);
  char *text = NULL;
  size_t len = 0;
  lr__buf ignored;
  lr__buf_init(&ignored);
  if (lr__fs_read_file(lr__buf_str(&path), &text, &len, &ignored) != 0)
    rc = lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "feature view '%s' has "
                        "no saved profile '%s' (no %s): save one with "
                        "`larder stats %s --save %s`", d->view->name, name,
                        lr__buf_str(&path), d->view->name, name);
  else
    rc = lr__profile_parse(text, len, lr__buf_str(&path), &off->errmsg,
                           &d->ref);
  free(text);
  lr__buf_free(&ignored);
  lr__buf_free(&path);
  return rc;
}

/* The reference's profile, with bins for psi and js. */
static int reference(drift *d) {
  const lr_drift_spec *spec = d->spec;
  if (spec->reference_profile && spec->reference_file)
    return lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "give the reference "
                          "as a profile or a training file, not both");
  if (spec->reference_profile)
    return load_profile(d);
  int rc = spec->reference_file
               ? lr__stats_sample_file(d->off, d->view, spec->reference_file,
                                       &d->ref_rows)
               : lr__stats_sample_window(d->off, d->view, &spec->reference,
                                         &d->ref_rows);
  return rc ? rc : lr__profile_compute(d->off, d->view, &d->ref_rows,
                                       d->exact, 1, NULL, &d->ref);
}

/* Appends window w as START..END ("" for an open bound). */
static void put_window(lr__buf *out, const lr_window *w) {
  char t[40];
  if (w->has_start) {
    lr__time_format(w->start_us, t);
    lr__buf_puts(out, t);
  }
  lr__buf_puts(out, "..");
  if (w->has_end) {
    lr__time_format(w->end_us, t);
    lr__buf_puts(out, t);
  }
}

/* The current window's profile, in the reference's bins. */
static int current(drift *d) {
  const lr_drift_spec *spec = d->spec;
  int rc = spec->current_online
               ? lr__stats_sample_online(d->off, d->view,
                                         spec->online_sample
                                             ? spec->online_sample
                                             : 100000,
                                         spec->seed, &d->cur_rows)
               : lr__stats_sample_window(d->off, d->view, &spec->current,
                                         &d->cur_rows);
  if (rc == 0)
    rc = lr__profile_compute(d->off, d->view, &d->cur_rows, d->exact, 0,
                             &d->ref, &d->cur);
  if (rc == 0 && d->cur.rows == 0) {
    lr__buf range;
    lr__buf_init(&range);
    put_window(&range, &d->spec->current);
    rc = lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "feature view '%s' has "
                        "no rows with event times in --current %s: pick a "
                        "range that holds rows (`larder stats %s` shows its "
                        "event-time range)", d->view->name,
                        lr__buf_str(&range), d->view->name);
    lr__buf_free(&range);
  }
  return rc;
}

/* The reference's feature named `name`, or NULL. */
static const lr__fprofile *ref_feature(const drift *d, const char *name) {
  for (int i = 0; i < d->ref.n_features; i++)
    if (!strcmp(d->ref.features[i].name, name))
      return &d->ref.features[i];
  return NULL;
}

static unsigned long long total(const unsigned long long *c, int n) {
  unsigned long long t = 0;
  for (int i = 0; i < n; i++)
    t += c[i];
  return t;
}

/* The status of a score (higher: further). */
static const char *status_of(double score, double warn, double alert) {
  return score >= alert ? "alert" : score >= warn ? "warn" : "ok";
}

/* psi or js of feature `c` against `r`, both binned alike. */
static void score_binned(drift *d, const lr__fprofile *r,
                         const lr__fprofile *c, lr__drift_score *s) {
  s->n = total(r->bin_counts, r->n_bins);
  s->m = total(c->bin_counts, c->n_bins);
  for (int b = 0; b < r->n_bins; b++)
    s->bins += r->bin_counts[b] + c->bin_counts[b] > 0;
  if (s->n == 0 || s->m == 0 ||
      (s->bins - 1) * (1.0 / (double)s->n + 1.0 / (double)s->m) > WARN / 2) {
    s->status = "insufficient";
    return;
  }
  s->has_score = 1;
  s->score = d->method == PSI
                 ? lr__drift_psi(r->bin_counts, c->bin_counts, r->n_bins,
                                 s->n, s->m)
                 : lr__drift_js(r->bin_counts, c->bin_counts, r->n_bins,
                                s->n, s->m);
  s->status = status_of(s->score, WARN, ALERT);
}

/* Wasserstein / the reference's stddev (infinite for a constant
 * reference that moved). */
static void score_wasserstein(const lr__fprofile *r, const lr__fprofile *c,
                              lr__drift_score *s) {
  s->n = r->count - r->nan - r->pos_inf - r->neg_inf;
  s->m = c->count - c->nan - c->pos_inf - c->neg_inf;
  if (!r->has_moments || !c->has_moments) {
    s->status = "insufficient";
    return;
  }
  double w = lr__drift_wasserstein(r->pct, c->pct, LR__PCT);
  s->has_score = 1;
  s->score = w == 0 ? 0 : r->stddev > 0 ? w / r->stddev : INFINITY;
  s->status = status_of(s->score, WARN, ALERT);
}

/* Reads feature k of sample `s` (its finite and infinite values, sorted)
 * into *values. */
static int sorted_values(drift *d, const lr__stats_sample *s, int k,
                         double **values, size_t *n) {
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_printf(&sql, "WITH __rows AS (%s) SELECT x FROM (SELECT CAST("
                 "\"__r%d\" AS DOUBLE) AS x FROM __rows) WHERE x IS NOT NULL "
                 "AND NOT isnan(x) ORDER BY x", lr__buf_str(&s->rows), k);
  duckdb_result res;
  int rc = lr__offline_query(d->off, s->of_view ? d->view : NULL,
                             lr__buf_str(&sql), "reading the training file",
                             &res);
  lr__buf_free(&sql);
  if (rc)
    return rc;
  const lr__duckdb_api *api = lr__duckdb_fns();
  *n = api->row_count(&res);
  *values = calloc(*n + 1, sizeof **values);
  for (size_t i = 0; *values && i < *n; i++) {
    char *text = api->value_varchar(&res, 0, i);
    (*values)[i] = strtod(text ? text : "0", NULL);
    api->free(text);
  }
  api->destroy_result(&res);
  return *values ? 0 : LR_ENOMEM;
}

/* Refuses ks over a sample of more than KS_MAX values. */
static int ks_size(drift *d, const char *feature, const char *side,
                   unsigned long long n) {
  if (n <= KS_MAX)
    return 0;
  return lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "ks compares every "
                        "value, at most %d a side, and feature '%s' has %llu "
                        "in the %s: use a shorter range, or --method psi",
                        KS_MAX, feature, n, side);
}

/* The two-sample KS test of feature k. */
static int score_ks(drift *d, int k, const lr__fprofile *r,
                    const lr__fprofile *c, lr__drift_score *s) {
  s->n = r->count - r->nan;
  s->m = c->count - c->nan;
  int rc = ks_size(d, c->name, "reference", s->n);
  if (rc == 0)
    rc = ks_size(d, c->name, "current rows", s->m);
  if (rc || s->n == 0 || s->m == 0) {
    s->status = "insufficient";
    return rc;
  }
  double *a = NULL, *b = NULL;
  size_t n = 0, m = 0;
  rc = sorted_values(d, &d->ref_rows, k, &a, &n);
  if (rc == 0)
    rc = sorted_values(d, &d->cur_rows, k, &b, &m);
  if (rc == 0 && n && m) {
    s->has_score = s->has_p_value = 1;
    s->score = lr__drift_ks(a, n, b, m, &s->p_value);
    s->status = s->p_value < KS_ALERT  ? "alert"
                : s->p_value < KS_WARN ? "warn"
                                       : "ok";
  }
  free(a);
  free(b);
  return rc;
}

/* Scores feature k, or marks it skipped (a type the method does not
 * compare, or a feature the saved profile does not have). */
static int score_feature(drift *d, int k) {
  const lr__fprofile *c = &d->cur.features[k];
  const lr__fprofile *r = ref_feature(d, c->name);
  lr__drift_score *s = &d->scores[k];
  s->feature = c->name;
  s->status = "skipped";
  int numeric = c->kind == LR__PK_NUMBER;
  if (!r || r->kind != c->kind)
    return 0;
  if ((d->method == PSI || d->method == JS) && r->has_bins && c->has_bins)
    score_binned(d, r, c, s);
  else if (d->method == WASSERSTEIN && numeric)
    score_wasserstein(r, c, s);
  else if (d->method == KS && numeric)
    return score_ks(d, k, r, c, s);
  return 0;
}

/* Scores every feature; refuses a method that none can be scored by. */
static int score_all(drift *d) {
  d->scores = calloc((size_t)d->cur.n_features + 1, sizeof *d->scores);
  if (!d->scores)
    return LR_ENOMEM;
  if (d->method == KS && d->spec->reference_profile)
    return lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "ks compares every "
                          "value, and a saved profile keeps only bins: give "
                          "the reference as START..END or a training file, "
                          "or use --method psi");
  int scored = 0, rc = 0;
  for (int k = 0; rc == 0 && k < d->cur.n_features; k++) {
    rc = score_feature(d, k);
    scored += strcmp(d->scores[k].status, "skipped") != 0;
  }
  if (rc == 0 && !scored)
    rc = lr__errmsg_set(&d->off->errmsg, LR_EINVAL, "%s compares %s, and "
                        "feature view '%s' has no such feature%s: use "
                        "--method psi or js",
                        method_names[d->method],
                        d->method == PSI || d->method == JS
                            ? "numbers, strings and bools"
                            : "numbers (int32, int64, float32, float64)",
                        d->view->name,
                        d->spec->reference_profile ? " in its saved profile"
                                                   : "");
  return rc;
}

/* What the run compared, for its report. */
static void describe(const drift *d, lr__drift_run *run, lr__buf *ref,
                     lr__buf *cur) {
  if (d->spec->reference_profile)
    lr__buf_printf(ref, "profile %s", d->spec->reference_profile);
  else if (d->spec->reference_file)
    lr__buf_printf(ref, "file %s", d->spec->reference_file);
  else
    put_window(ref, &d->spec->reference);
  if (d->spec->current_online)
    lr__buf_puts(cur, "online");
  else
    put_window(cur, &d->spec->current);
  int ks = d->method == KS;
  *run = (lr__drift_run){d->view->name, method_names[d->method],
                         lr__buf_str(ref), lr__buf_str(cur),
                         ks ? KS_WARN : WARN, ks ? KS_ALERT : ALERT, ks,
                         d->scores, d->cur.n_features, 0};
}

/* Writes the report (and the saved run). */
static int report(drift *d, unsigned flags, char **out) {
  lr__buf ref, cur, text;
  lr__buf_init(&ref);
  lr__buf_init(&cur);
  lr__buf_init(&text);
  lr__drift_run run;
  describe(d, &run, &ref, &cur);
  int rc = 0;
  if (d->spec->save) {
    run.saved_at_us = lr__time_now_us();
    lr__drift_run_json(&run, d->spec->save, &text);
    rc = lr__quality_save(d->off, "drift", d->view->name, d->spec->save,
                          &text);
    lr__buf_reset(&text);
  }
  if (flags & LR_FORMAT_JSON)
    lr__drift_run_json(&run, d->spec->save, &text);
  else
    lr__drift_run_text(&run, &text);
  if (rc == 0 && !(*out = lr__buf_steal(&text)))
    rc = LR_ENOMEM;
  lr__buf_free(&ref);
  lr__buf_free(&cur);
  lr__buf_free(&text);
  return rc;
}

int lr_drift(lr_offline *off, const lr_drift_spec *spec, unsigned flags,
             char **out) {
  if (!off || !spec || !out)
    return LR_EINVAL;
  *out = NULL;
  lr__buf_reset(&off->errmsg);
  drift d = {.off = off, .spec = spec, .exact = (flags & LR_STATS_EXACT) != 0};
  lr__buf_init(&d.ref_rows.rows);
  lr__buf_init(&d.cur_rows.rows);
  int rc = lr__quality_view(off, spec->view, &d.view);
  if (rc == 0)
    rc = read_method(&d);
  if (rc == 0 && spec->save)
    rc = lr__quality_name_check(&off->errmsg, "drift run", spec->save);
  if (rc == 0)
    rc = reference(&d);
  if (rc == 0)
    rc = current(&d);
  if (rc == 0)
    rc = score_all(&d);
  if (rc == 0)
    rc = report(&d, flags, out);
  free(d.scores);
  lr__profile_free(&d.ref);
  lr__profile_free(&d.cur);
  lr__buf_free(&d.ref_rows.rows);
  lr__buf_free(&d.cur_rows.rows);
  return rc;
}

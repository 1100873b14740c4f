/*
 * drift_run.c - a drift run written as JSON or text, and the latest saved
 * score of each feature and method read back for /metrics (drift_run.h).
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/json.h"
#include "../util/textval.h"
#include "../util/timefmt.h"
#include "drift_run.h"
#include "profile.h"

/* Appends a score: in JSON shortest round-trip (+Inf as "Infinity"), in
 * text to 4 significant digits. */
static void put_score(lr__buf *out, int has, double v, int json) {
  if (!has)
    lr__buf_puts(out, json ? "null" : "-");
  else if (json)
    lr__put_float64(out, v, 1);
  else
    lr__buf_printf(out, "%.4g", v);
}

void lr__drift_run_json(const lr__drift_run *run, const char *name,
                        lr__buf *out) {
  lr__buf_puts(out, "{\"format\": 1, \"view\": ");
  lr__buf_json_str(out, run->view);
  lr__buf_printf(out, ", \"method\": \"%s\", \"reference\": ", run->method);
  lr__buf_json_str(out, run->reference);
  lr__buf_puts(out, ", \"current\": ");
  lr__buf_json_str(out, run->current);
  lr__buf_printf(out, ", \"%s\": %g, \"%s\": %g",
                 run->on_p_value ? "warn_p_below" : "warn", run->warn,
                 run->on_p_value ? "alert_p_below" : "alert", run->alert);
  if (run->saved_at_us) {
    char t[40];
    lr__time_format(run->saved_at_us, t);
    lr__buf_puts(out, ", \"name\": ");
    lr__buf_json_str(out, name);
    lr__buf_printf(out, ", \"saved_at\": \"%s\", \"saved_at_us\": %lld", t,
                   (long long)run->saved_at_us);
  }
  lr__buf_puts(out, ", \"features\": [");
  for (int i = 0; i < run->n_scores; i++) {
    const lr__drift_score *s = &run->scores[i];
    lr__buf_puts(out, i ? ",\n  {\"feature\": " : "\n  {\"feature\": ");
    lr__buf_json_str(out, s->feature);
    lr__buf_printf(out, ", \"status\": \"%s\", \"score\": ", s->status);
    put_score(out, s->has_score, s->score, 1);
    if (s->has_p_value) {
      lr__buf_puts(out, ", \"p_value\": ");
      lr__put_float64(out, s->p_value, 1);
    }
    if (s->bins)
      lr__buf_printf(out, ", \"bins\": %d", s->bins);
    if (strcmp(s->status, "skipped") != 0)
      lr__buf_printf(out, ", \"reference_values\": %llu, "
                     "\"current_values\": %llu", s->n, s->m);
    lr__buf_putc(out, '}');
  }
  lr__buf_puts(out, "]}\n");
}

void lr__drift_run_text(const lr__drift_run *run, lr__buf *out) {
  lr__buf_printf(out, "%s: %s of %s against %s (warn at %s%g, alert at "
                 "%s%g)\n", run->view, run->method, run->current,
                 run->reference, run->on_p_value ? "p < " : "", run->warn,
                 run->on_p_value ? "p < " : "", run->alert);
  for (int i = 0; i < run->n_scores; i++) {
    const lr__drift_score *s = &run->scores[i];
    lr__buf_printf(out, "  %s: %s", s->feature, s->status);
    if (s->has_score) {
      lr__buf_printf(out, ", %s ", run->method);
      put_score(out, 1, s->score, 0);
    }
    if (s->has_p_value) {
      lr__buf_puts(out, ", p ");
      put_score(out, 1, s->p_value, 0);
    }
    if (strcmp(s->status, "skipped") != 0)
      lr__buf_printf(out, " (%llu reference values, %llu current", s->n,
                     s->m);
    if (s->bins)
      lr__buf_printf(out, ", %d bins", s->bins);
    lr__buf_puts(out, strcmp(s->status, "skipped") ? ")\n" : "\n");
  }
}

/* ---- saved runs, for /metrics and the UI ---------------------------- */

/* The newest score seen of a feature and method. */
typedef struct latest {
  char *feature, *method;
  long long saved_at_us;
  int has_score;
  double score;
} latest;

/* The entries seen: an array of `latest` in a growing buffer. */
typedef struct latest_set {
  lr__buf entries;
} latest_set;

static latest *entries(const latest_set *set, int *n) {
  *n = (int)(set->entries.len / sizeof(latest));
  return (latest *)(void *)set->entries.data;
}

/* The entry of (feature, method) in `set`, added when missing. */
static latest *entry_of(latest_set *set, const char *feature,
                        const char *method) {
  int n;
  latest *all = entries(set, &n);
  for (int i = 0; i < n; i++)
    if (!strcmp(all[i].feature, feature) && !strcmp(all[i].method, method))
      return &all[i];
  latest e = {strdup(feature), strdup(method), -1, 0, 0};
  if (e.feature && e.method)
    lr__buf_append(&set->entries, &e, sizeof e);
  if (!e.feature || !e.method || lr__buf_failed(&set->entries)) {
    free(e.feature);
    free(e.method);
    return NULL;
  }
  return &entries(set, &n)[n - 1];
}

/* A score of a saved run: a number, "Infinity", or none (null). */
static int score_of(const lr__jnode *n, double *score) {
  if (n && n->kind == LR__J_NUMBER) {
    *score = strtod(n->text, NULL);
    return 1;
  }
  if (n && n->kind == LR__J_STRING && !strcmp(n->text, "Infinity")) {
    *score = INFINITY;
    return 1;
  }
  return 0;
}

/* Calls fn for each feature of one saved run (JSON `text`); a file that
 * is not a saved run is passed over. */
static int each_of_run(const char *text, size_t len, lr__drift_saved_fn fn,
                       void *ctx) {
  lr__json_doc doc;
  lr__json_doc_read(&doc, text, len);
  const lr__jnode *root = doc.root;
  const lr__jnode *method = lr__json_get(root, "method");
  const lr__jnode *at = lr__json_get(root, "saved_at_us");
  const lr__jnode *features = lr__json_get(root, "features");
  int rc = 0;
  if (method && method->kind == LR__J_STRING && at &&
      at->kind == LR__J_NUMBER && features && features->kind == LR__J_ARRAY) {
    lr__drift_saved s = {.method = method->text,
                         .saved_at_us = strtoll(at->text, NULL, 10)};
    const lr__jnode *name = lr__json_get(root, "name");
    s.name = name && name->kind == LR__J_STRING ? name->text : "";
    for (int i = 0; rc == 0 && i < features->n; i++) {
      const lr__jnode *f = lr__json_get(features->items[i], "feature");
      const lr__jnode *st = lr__json_get(features->items[i], "status");
      if (!f || f->kind != LR__J_STRING)
        continue;
      s.feature = f->text;
      s.status = st && st->kind == LR__J_STRING ? st->text : "";
      s.has_score = score_of(lr__json_get(features->items[i], "score"),
                             &s.score);
      rc = fn(ctx, &s);
    }
  }
  lr__json_doc_free(&doc);
  return rc;
}

int lr__drift_saved_each(const char *repo, const char *view,
                         lr__drift_saved_fn fn, void *ctx) {
  lr__buf dir;
  lr__buf_init(&dir);
  lr__quality_path(repo, "drift", view, NULL, &dir);
  DIR *d = opendir(lr__buf_str(&dir));
  int rc = 0;
  for (struct dirent *e; d && rc == 0 && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || !lr__fs_has_suffix(e->d_name, ".json"))
      continue;
    lr__buf path, err;
    lr__buf_init(&path);
    lr__buf_init(&err);
    lr__fs_join(&path, lr__buf_str(&dir), e->d_name);
    char *text = NULL;
    size_t len = 0;
    if (lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0)
      rc = each_of_run(text, len, fn, ctx);
    free(text);
    lr__buf_free(&path);
    lr__buf_free(&err);
  }
  if (d)
    closedir(d); /* none: no run saved */
  lr__buf_free(&dir);
  return rc;
}

/* Keeps, in the latest_set `ctx`, the newest score of each feature and
 * method. */
static int keep_latest(void *ctx, const lr__drift_saved *s) {
  latest *e = entry_of(ctx, s->feature, s->method);
  if (!e)
    return LR_ENOMEM;
  if (s->saved_at_us > e->saved_at_us) {
    e->saved_at_us = s->saved_at_us;
    e->has_score = s->has_score;
    e->score = s->score;
  }
  return 0;
}

int lr__drift_saved_scores(const char *repo, const char *view,
                           lr__drift_score_fn fn, void *ctx) {
  latest_set set;
  lr__buf_init(&set.entries);
  int rc = lr__drift_saved_each(repo, view, keep_latest, &set);
  int n;
  latest *all = entries(&set, &n);
  for (int i = 0; i < n; i++) {
    if (rc == 0 && all[i].has_score)
      fn(ctx, all[i].feature, all[i].method, all[i].score);
    free(all[i].feature);
    free(all[i].method);
  }
  lr__buf_free(&set.entries);
  return rc;
}

/*
 * view.c - /ui/view/NAME: a view's data. Its freshness and last writes by
 * path, its last materialization, rows and digest (the store's records),
 * what its checks did (per rule), the statistics of its newest saved
 * profile with a histogram per feature, and the drift scores of every
 * saved run over time, and the newest saved skew run. Profiles and runs
 * are the files `larder stats --save`, `larder drift --save` and `larder
 * skew --save` wrote: read here, never computed (the server never runs
 * DuckDB).
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../offline/drift_run.h"
#include "../offline/profile.h"
#include "../online/checkstats.h"
#include "../online/introspect.h"
#include "../registry/checks.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/timefmt.h"
#include "form.h"
#include "page.h"
#include "svg.h"

/* Bins of a number feature's histogram. */
enum { HIST_BINS = 24 };

/* Freshness, last writes by path, the last materialization. */
static void freshness(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  lr__freshness f;
  int has_f = lr__view_is_stored(v) &&
              lr__store_freshness(p->store, v->name, &f) == 0;
  lr__ui_fresh judged;
  lr__ui_judge_freshness(p->m, v, has_f ? &f : NULL, lr__time_now_us(),
                         &judged);
  lr__buf_puts(out, "<h2>Freshness</h2>\n<p class=\"freshness\">");
  lr__ui_put_freshness(out, &judged);
  lr__buf_puts(out, "</p>\n");
  if (!has_f)
    return;
  lr__buf_puts(out, "<dl class=\"facts\">\n<dt>Newest event</dt><dd>");
  lr__html_time(out, f.max_event_us);
  lr__buf_puts(out, "</dd>\n");
  for (int src = 0; src < LR__FRESH_SOURCES; src++) {
    lr__buf_printf(out, "<dt>Last %s</dt><dd>", lr__fresh_source_name(src));
    lr__html_time(out, f.last_write_us[src]);
    lr__buf_puts(out, "</dd>\n");
  }
  lr__buf_puts(out, "</dl>\n");
}

/* The last materialization (the store keeps the last interval only). */
static void materialization(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Materialization</h2>\n");
  long long end_us;
  if (lr__store_materialized_end(p->store, v, &end_us) != 0) {
    lr__buf_puts(out, "<p>Never materialized: run <code>larder "
                      "materialize-incremental now</code>.</p>\n");
    return;
  }
  lr__buf_puts(out, "<p>The last load's interval ended at ");
  lr__html_time(out, end_us);
  lr__buf_puts(out, "; the next incremental load starts there. The store "
                    "records the last interval only.</p>\n");
}

/* What the view's checks did: per rule the rows passed and failed, the
 * batches refused, the rows quarantined. */
static void checks(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Checks</h2>\n");
  if (!v->n_checks) {
    lr__buf_puts(out, "<p class=\"muted\">The view has no checks.</p>\n");
    return;
  }
  lr__checkstats cs;
  if (lr__store_checkstats(p->store, v->name, &cs) != 0)
    cs.present = 0;
  lr__buf_puts(out, "<table id=\"checks\"><thead><tr><th scope=\"col\">Rule"
                    "</th><th scope=\"col\">Definition</th><th scope=\"col\">"
                    "Rows passed</th><th scope=\"col\">Rows failed</th></tr>"
                    "</thead><tbody>\n");
  for (int c = 0; c < v->n_checks; c++) {
    lr__buf line;
    lr__buf_init(&line);
    lr__check_text(&v->checks[c], &line);
    lr__buf_puts(out, "<tr>");
    lr__html_elem(out, "td", v->checks[c].name);
    lr__buf_puts(out, "<td><code>");
    lr__html_text(out, lr__buf_str(&line));
    lr__buf_puts(out, "</code></td>");
    int k = 0;
    while (cs.present && k < cs.n_rules &&
           strcmp(cs.rules[k].name, v->checks[c].name))
      k++;
    if (cs.present && k < cs.n_rules)
      lr__buf_printf(out, "<td class=\"num\">%llu</td><td class=\"num\">"
                     "%llu</td></tr>\n", cs.rules[k].passed,
                     cs.rules[k].failed);
    else
      lr__buf_puts(out, "<td class=\"num\">-</td><td class=\"num\">-</td>"
                        "</tr>\n");
    lr__buf_free(&line);
  }
  lr__buf_puts(out, "</tbody></table>\n");
  if (cs.present)
    lr__buf_printf(out, "<p>Batches refused: %llu. Rows quarantined: %llu."
                   "</p>\n", cs.rejected, cs.quarantined);
  else
    lr__buf_puts(out, "<p class=\"muted\">The checks have not run on this "
                      "store yet.</p>\n");
}

/* The name of the newest file of `kind` ("profiles", "skew") saved for
 * `view` (by the files' modification times) into `name`; 0 when there is
 * none. */
static int newest_saved(const char *repo, const char *kind, const char *view,
                        lr__buf *name) {
  lr__buf dir;
  lr__buf_init(&dir);
  lr__quality_path(repo, kind, view, NULL, &dir);
  DIR *d = opendir(lr__buf_str(&dir));
  struct timespec best = {0, 0};
  int found = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    struct stat st;
    lr__buf path;
    lr__buf_init(&path);
    lr__fs_join(&path, lr__buf_str(&dir), e->d_name);
    if (e->d_name[0] != '.' && lr__fs_has_suffix(e->d_name, ".json") &&
        stat(lr__buf_str(&path), &st) == 0 &&
        (!found || st.st_mtim.tv_sec > best.tv_sec ||
         (st.st_mtim.tv_sec == best.tv_sec &&
          st.st_mtim.tv_nsec > best.tv_nsec))) {
      best = st.st_mtim;
      found = 1;
      lr__buf_reset(name);
      lr__buf_append(name, e->d_name, strlen(e->d_name) - 5);
    }
    lr__buf_free(&path);
  }
  if (d)
    closedir(d);
  lr__buf_free(&dir);
  return found;
}

/* A number feature's histogram, from its percentiles. */
static void number_histogram(lr__buf *out, const lr__fprofile *f) {
  double edges[HIST_BINS + 1], counts[HIST_BINS];
  double finite = (double)(f->count - f->nan - f->pos_inf - f->neg_inf);
  int n = lr__svg_histogram_from_pct(f->pct, finite, HIST_BINS, edges,
                                     counts);
  char *labels[HIST_BINS];
  for (int i = 0; i < n; i++) {
    lr__buf l;
    lr__buf_init(&l);
    lr__buf_printf(&l, "%.6g .. %.6g: about %.0f values", edges[i],
                   edges[i + 1], counts[i]);
    labels[i] = lr__buf_steal(&l);
  }
  char low[32], high[32];
  snprintf(low, sizeof low, "%.6g", edges[0]);
  snprintf(high, sizeof high, "%.6g", edges[n]);
  lr__buf title;
  lr__buf_init(&title);
  lr__buf_printf(&title, "Histogram of %s", f->name);
  lr__svg_bars(out, lr__buf_str(&title), (const char *const *)labels, counts,
               n, low, high);
  lr__buf_free(&title);
  for (int i = 0; i < n; i++)
    free(labels[i]);
}

/* A category feature's bars: its most frequent values. */
static void category_bars(lr__buf *out, const lr__fprofile *f) {
  int n = f->n_categories < LR__TOP_SHOWN ? f->n_categories : LR__TOP_SHOWN;
  double counts[LR__TOP_SHOWN];
  char *labels[LR__TOP_SHOWN];
  for (int i = 0; i < n; i++) {
    counts[i] = (double)f->categories[i].count;
    lr__buf l;
    lr__buf_init(&l);
    lr__buf_printf(&l, "%s: %llu", f->categories[i].value,
                   f->categories[i].count);
    labels[i] = lr__buf_steal(&l);
  }
  lr__buf title;
  lr__buf_init(&title);
  lr__buf_printf(&title, "Most frequent values of %s", f->name);
  lr__svg_bars(out, lr__buf_str(&title), (const char *const *)labels, counts,
               n, NULL, NULL);
  lr__buf_free(&title);
  for (int i = 0; i < n; i++)
    free(labels[i]);
}

/* One feature of the profile: its statistics and chart. */
static void feature_stats(lr__buf *out, const lr__fprofile *f) {
  char dtype[64];
  lr__buf_puts(out, "<section class=\"feature\"><h3>");
  lr__html_text(out, f->name);
  lr__buf_printf(out, " <span class=\"muted\">%s</span></h3>\n<p>%llu "
                 "values, %llu nulls", lr_type_name(f->dtype, dtype),
                 f->count, f->nulls);
  if (f->kind == LR__PK_CATEGORY)
    lr__buf_printf(out, ", %llu distinct", f->distinct);
  if (f->has_moments) {
    lr__buf_puts(out, "; min ");
    lr__profile_put_stat(out, f->min, f->dtype, 0);
    lr__buf_puts(out, ", max ");
    lr__profile_put_stat(out, f->max, f->dtype, 0);
    lr__buf_puts(out, ", mean ");
    lr__profile_put_stat(out, f->mean, LR_TYPE_FLOAT64, 0);
    lr__buf_puts(out, ", median ");
    lr__profile_put_stat(out, f->pct[50], f->dtype, 0);
  }
  lr__buf_puts(out, "</p>\n");
  if (f->has_moments && (f->kind == LR__PK_NUMBER ||
                         f->kind == LR__PK_LENGTH))
    number_histogram(out, f);
  else if (f->kind == LR__PK_CATEGORY && f->n_categories)
    category_bars(out, f);
  lr__buf_puts(out, "</section>\n");
}

/* The statistics of a saved profile: ?profile=NAME, else the newest. */
static void statistics(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Statistics</h2>\n");
  lr__buf name, err, path;
  lr__buf_init(&name);
  lr__buf_init(&err);
  lr__buf_init(&path);
  int given = lr__form_get(p->query, "profile", &name) &&
              lr__quality_name_check(&err, "profile", lr__buf_str(&name)) == 0;
  char *text = NULL;
  size_t len = 0;
  lr__profile prof;
  memset(&prof, 0, sizeof prof);
  int ok = given || newest_saved(p->s->opt.repo, "profiles", v->name, &name);
  if (ok) {
    lr__quality_path(p->s->opt.repo, "profiles", v->name, lr__buf_str(&name),
                     &path);
    ok = lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0 &&
         lr__profile_parse(text, len, lr__buf_str(&path), &err, &prof) == 0;
  }
  if (!ok) {
    lr__buf_puts(out, "<p>No saved profile: run <code>larder stats ");
    lr__html_text(out, v->name);
    lr__buf_puts(out, " --save NAME</code>.</p>\n");
  } else {
    lr__buf_puts(out, "<p>Profile <code>");
    lr__html_text(out, lr__buf_str(&name));
    lr__buf_printf(out, "</code>: %llu rows. The histograms spread each "
                   "percentile's share of the values evenly between its "
                   "neighbours.</p>\n", prof.rows);
    for (int k = 0; k < prof.n_features; k++)
      feature_stats(out, &prof.features[k]);
  }
  lr__profile_free(&prof);
  free(text);
  lr__buf_free(&name);
  lr__buf_free(&err);
  lr__buf_free(&path);
}

/* One feature's score in a saved run, copied. */
typedef struct score_point {
  char *method, *feature, *status, *run;
  long long at_us;
  int has_score;
  double score;
} score_point;

typedef struct score_list {
  score_point *items;
  int n, cap, failed;
} score_list;

static int take_score(void *ctx, const lr__drift_saved *s) {
  score_list *l = ctx;
  if (l->n == l->cap) {
    int cap = l->cap ? l->cap * 2 : 32;
    score_point *grown = realloc(l->items, (size_t)cap * sizeof *grown);
    if (!grown)
      return l->failed = LR_ENOMEM;
    l->items = grown;
    l->cap = cap;
  }
  score_point *pt = &l->items[l->n];
  *pt = (score_point){strdup(s->method), strdup(s->feature),
                      strdup(s->status), strdup(s->name), s->saved_at_us,
                      s->has_score, s->score};
  if (pt->method && pt->feature && pt->status && pt->run) {
    l->n++;
    return 0;
  }
  free(pt->method);
  free(pt->feature);
  free(pt->status);
  free(pt->run);
  return l->failed = LR_ENOMEM;
}

static int by_time(const void *a, const void *b) {
  const score_point *x = a, *y = b;
  return (x->at_us > y->at_us) - (x->at_us < y->at_us);
}

/* The chart of one method's scores: a line per feature. */
static void method_chart(lr__buf *out, const lr__view *v,
                         const score_list *l, const char *method) {
  lr__svg_series *series = calloc((size_t)v->n_features + 1, sizeof *series);
  double *xs = calloc((size_t)l->n + 1, sizeof *xs);
  double *ys = calloc((size_t)l->n + 1, sizeof *ys);
  int n_series = 0, used = 0;
  long long first = LLONG_MAX, last = LLONG_MIN;
  for (int f = 0; series && xs && ys && f < v->n_features; f++) {
    lr__svg_series *s = &series[n_series];
    s->name = v->features[f].name;
    s->x = xs + used;
    s->y = ys + used;
    for (int i = 0; i < l->n; i++) {
      const score_point *pt = &l->items[i];
      if (!pt->has_score || strcmp(pt->method, method) ||
          strcmp(pt->feature, s->name))
        continue;
      xs[used + s->n] = (double)pt->at_us;
      ys[used + s->n] = pt->score;
      s->n++;
      first = pt->at_us < first ? pt->at_us : first;
      last = pt->at_us > last ? pt->at_us : last;
    }
    used += s->n;
    n_series += s->n > 0;
  }
  char low[48] = "", high[48] = "";
  if (n_series) {
    lr__time_format(first, low);
    lr__time_format(last, high);
  }
  lr__buf title;
  lr__buf_init(&title);
  lr__buf_printf(&title, "Drift scores (%s) over time", method);
  lr__svg_lines(out, lr__buf_str(&title), series, n_series, low, high);
  lr__buf_free(&title);
  free(series);
  free(xs);
  free(ys);
}

/* The drift scores of every saved run: a chart per method, then the
 * runs' scores, newest first. */
static void drift(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Drift</h2>\n");
  score_list l = {0};
  lr__drift_saved_each(p->s->opt.repo, v->name, take_score, &l);
  if (!l.n) {
    lr__buf_puts(out, "<p>No saved drift run: run <code>larder drift ");
    lr__html_text(out, v->name);
    lr__buf_puts(out, " --reference ... --current ... --save NAME</code>."
                      "</p>\n");
  } else {
    qsort(l.items, (size_t)l.n, sizeof *l.items, by_time);
    for (int i = 0; i < l.n; i++) {
      int seen = 0;
      for (int j = 0; j < i; j++)
        seen |= !strcmp(l.items[j].method, l.items[i].method);
      if (!seen)
        method_chart(out, v, &l, l.items[i].method);
    }
    lr__buf_puts(out, "<table id=\"drift\"><thead><tr><th scope=\"col\">Saved"
                      "</th><th scope=\"col\">Run</th><th scope=\"col\">Method"
                      "</th><th scope=\"col\">Feature</th><th scope=\"col\">"
                      "Status</th><th scope=\"col\">Score</th></tr></thead>"
                      "<tbody>\n");
    for (int i = l.n - 1; i >= 0 && i >= l.n - 60; i--) {
      score_point *pt = &l.items[i];
      lr__buf_puts(out, "<tr><td>");
      lr__html_time(out, pt->at_us);
      lr__buf_puts(out, "</td>");
      lr__html_elem(out, "td", pt->run);
      lr__html_elem(out, "td", pt->method);
      lr__html_elem(out, "td", pt->feature);
      lr__html_elem(out, "td", pt->status);
      if (pt->has_score)
        lr__buf_printf(out, "<td class=\"num\">%.6g</td></tr>\n", pt->score);
      else
        lr__buf_puts(out, "<td class=\"num\">-</td></tr>\n");
    }
    lr__buf_puts(out, "</tbody></table>\n");
  }
  for (int i = 0; i < l.n; i++) {
    free(l.items[i].method);
    free(l.items[i].feature);
    free(l.items[i].status);
    free(l.items[i].run);
  }
  free(l.items);
}

/* One count of a feature in the skew report, with its share. */
static void skew_cell(lr__buf *out, const lr__jnode *f, const char *kind) {
  const lr__jnode *n = lr__json_get(f, kind);
  const lr__jnode *share = lr__json_get(lr__json_get(f, "shares"), kind);
  lr__buf_puts(out, "<td class=\"num\">");
  lr__html_text(out, n && n->kind == LR__J_NUMBER ? n->text : "-");
  if (share && share->kind == LR__J_NUMBER)
    lr__buf_printf(out, " (%.1f%%)", 100 * strtod(share->text, NULL));
  lr__buf_puts(out, "</td>");
}

/* The newest saved skew run (`larder skew VIEW --save NAME`). */
static void skew(lr__ui_page *p, const lr__view *v) {
  static const char *const kinds[] = {"equal", "different", "missing_online",
                                      "missing_offline", "missing_both"};
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Skew</h2>\n");
  lr__buf name, path, err;
  lr__buf_init(&name);
  lr__buf_init(&path);
  lr__buf_init(&err);
  char *text = NULL;
  size_t len = 0;
  lr__json_doc doc = {0};
  int ok = newest_saved(p->s->opt.repo, "skew", v->name, &name);
  if (ok) {
    lr__quality_path(p->s->opt.repo, "skew", v->name, lr__buf_str(&name),
                     &path);
    ok = lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0;
  }
  if (ok)
    lr__json_doc_read(&doc, text, len);
  const lr__jnode *features = lr__json_get(doc.root, "features");
  if (!ok || !features || features->kind != LR__J_ARRAY) {
    lr__buf_puts(out, "<p>No saved skew run: run <code>larder skew ");
    lr__html_text(out, v->name);
    lr__buf_puts(out, " --save NAME</code>.</p>\n");
  } else {
    const lr__jnode *as_of = lr__json_get(doc.root, "as_of");
    const lr__jnode *n = lr__json_get(doc.root, "entities");
    const lr__jnode *version = lr__json_get(doc.root, "online_version");
    lr__buf_puts(out, "<p>Run <code>");
    lr__html_text(out, lr__buf_str(&name));
    lr__buf_puts(out, "</code> as of ");
    lr__html_text(out, as_of ? as_of->text : "?");
    lr__buf_puts(out, ": ");
    lr__html_text(out, n ? n->text : "?");
    lr__buf_puts(out, " entities, the online store at version ");
    lr__html_text(out, version ? version->text : "?");
    lr__buf_puts(out, ".</p>\n<table id=\"skew\"><thead><tr><th scope=\"col\""
                      ">Feature</th><th scope=\"col\">Equal</th><th scope=\""
                      "col\">Different</th><th scope=\"col\">Missing online"
                      "</th><th scope=\"col\">Missing offline</th><th scope="
                      "\"col\">Missing both</th></tr></thead><tbody>\n");
    for (int f = 0; f < features->n; f++) {
      const lr__jnode *fname = lr__json_get(features->items[f], "name");
      lr__buf_puts(out, "<tr>");
      lr__html_elem(out, "td", fname ? fname->text : "?");
      for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        skew_cell(out, features->items[f], kinds[k]);
      lr__buf_puts(out, "</tr>\n");
    }
    lr__buf_puts(out, "</tbody></table>\n<details><summary>The report as "
                      "JSON (with its examples)</summary><pre>");
    lr__html_textn(out, text, len);
    lr__buf_puts(out, "</pre></details>\n");
  }
  if (text)
    lr__json_doc_free(&doc);
  free(text);
  lr__buf_free(&name);
  lr__buf_free(&path);
  lr__buf_free(&err);
}

void lr__ui_view(lr__ui_page *p) {
  const lr__view *v = lr__model_view(p->m, p->rest);
  if (!v) {
    lr__ui_message_page(p, 404, "Not found",
                        "No such feature view in the applied registry: see "
                        "the overview.");
    return;
  }
  lr__html_begin(p->out, v->name, LR__NAV_OVERVIEW);
  lr__buf_printf(p->out, "<p>%s - ", lr__ui_view_kind(v));
  lr__ui_object_link(p->out, "view", v->name);
  lr__buf_puts(p->out, " (its definition)</p>\n");
  freshness(p, v);
  materialization(p, v);
  checks(p, v);
  statistics(p, v);
  drift(p, v);
  skew(p, v);
  lr__html_end(p->out);
}

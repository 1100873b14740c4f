/*
 * view_stats.c - the parts of a view's page (view.c) that read the files
 * `larder stats --save` and `larder drift --save` wrote: the newest
 * profile's statistics with a histogram per feature, and the drift scores
 * of every saved run over time, a chart per method.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../offline/drift_run.h"
#include "../offline/profile.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "form.h"
#include "page.h"
#include "svg.h"

/* Bins of a number feature's histogram. */
enum { HIST_BINS = 24 };

/* The name of the newest file of `kind` saved for `view` (by the files'
 * modification times) into `name`; 0 when there is none. */
static int newest_saved(const char *repo, const char *kind,
                        const char *view, lr__buf *name) {
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

int lr__ui_read_saved(const char *repo, const char *kind, const char *view,
                      lr__buf *name, char **text, size_t *len) {
  *text = NULL;
  *len = 0;
  if (!name->len && !newest_saved(repo, kind, view, name))
    return 0;
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__quality_path(repo, kind, view, lr__buf_str(name), &path);
  int ok = lr__fs_exists(lr__buf_str(&path)) &&
           lr__fs_read_file(lr__buf_str(&path), text, len, &err) == 0;
  lr__buf_free(&path);
  lr__buf_free(&err);
  return ok;
}

/* Draws the bars of feature `feature` ("WHAT FEATURE" their title) and
 * frees their labels. */
static void draw_bars(lr__buf *out, const char *what, const char *feature,
                      char **labels, const double *counts, int n,
                      const char *low, const char *high) {
  lr__buf title;
  lr__buf_init(&title);
  lr__buf_printf(&title, "%s %s", what, feature);
  lr__svg_bars(out, lr__buf_str(&title), (const char *const *)labels, counts,
               n, low, high);
  lr__buf_free(&title);
  for (int i = 0; i < n; i++)
    free(labels[i]);
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
  draw_bars(out, "Histogram of", f->name, labels, counts, n, low, high);
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
  draw_bars(out, "Most frequent values of", f->name, labels, counts, n, NULL,
            NULL);
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
void lr__ui_view_statistics(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Statistics</h2>\n");
  lr__buf name, err;
  lr__buf_init(&name);
  lr__buf_init(&err);
  int given = lr__form_get(p->query, "profile", &name) &&
              lr__quality_name_check(&err, "profile", lr__buf_str(&name)) == 0;
  if (!given)
    lr__buf_reset(&name);
  char *text = NULL;
  size_t len = 0;
  lr__profile prof;
  memset(&prof, 0, sizeof prof);
  int ok = lr__ui_read_saved(p->s->opt.repo, "profiles", v->name, &name,
                             &text, &len) &&
           lr__profile_parse(text, len, lr__buf_str(&name), &err, &prof) == 0;
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
      if (!pt->has_score || strcmp(pt->method, method) != 0 ||
          strcmp(pt->feature, s->name) != 0)
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
void lr__ui_view_drift(lr__ui_page *p, const lr__view *v) {
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


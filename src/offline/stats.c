/*
 * stats.c - lr_stats: a view's source rows in a window profiled
 * (profile_query.c), reported as text or JSON, and saved with their bins
 * for lr_drift when asked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/textval.h"
#include "profile.h"

/* The text lines of number or length feature f's statistics. */
static void text_moments(lr__buf *out, const lr__fprofile *f) {
  if (!f->has_moments) {
    lr__buf_puts(out, "    no finite values\n");
    return;
  }
  static const char *const names[] = {"min", "max", "mean", "stddev"};
  const double values[] = {f->min, f->max, f->mean, f->stddev};
  lr__buf_puts(out, "   ");
  for (int i = 0; i < 4; i++) {
    lr__buf_printf(out, " %s ", names[i]);
    lr__profile_put_stat(out, values[i], f->dtype, 0);
  }
  lr__buf_puts(out, "\n   ");
  for (int i = 0; i < LR__N_SHOWN; i++) {
    lr__buf_printf(out, " p%02d ", lr__pct_shown[i]);
    lr__profile_put_stat(out, f->pct[lr__pct_shown[i]], f->dtype, 0);
  }
  lr__buf_putc(out, '\n');
}

/* The text lines of one feature. */
static void text_feature(lr__buf *out, const lr__fprofile *f) {
  char scratch[32];
  lr__buf_printf(out, "  %s (%s): %llu values, %llu nulls", f->name,
                 lr__dtype_name(f->dtype, scratch), f->count, f->nulls);
  if (f->dtype == LR__DT_FLOAT32 || f->dtype == LR__DT_FLOAT64)
    lr__buf_printf(out, ", %llu NaN, %llu +Inf, %llu -Inf", f->nan,
                   f->pos_inf, f->neg_inf);
  if (f->kind == LR__PK_CATEGORY)
    lr__buf_printf(out, ", %llu distinct", f->distinct);
  lr__buf_puts(out, f->kind == LR__PK_LENGTH ? "; lengths:\n" : "\n");
  if (f->kind == LR__PK_NUMBER || f->kind == LR__PK_LENGTH)
    text_moments(out, f);
  if (f->kind == LR__PK_TIME)
    lr__buf_printf(out, "    min %s  max %s\n",
                   f->time_min ? f->time_min : "-",
                   f->time_max ? f->time_max : "-");
  for (int c = 0; f->kind == LR__PK_CATEGORY && c < f->n_categories &&
                  c < LR__TOP_SHOWN; c++)
    lr__buf_printf(out, "%s%s %llu", c ? ", " : "    top: ",
                   f->categories[c].value, f->categories[c].count);
  if (f->kind == LR__PK_CATEGORY && f->n_categories)
    lr__buf_putc(out, '\n');
}

/* The text report of profile p. */
static void text_report(const lr__profile *p, lr__buf *out) {
  lr__buf_printf(out, "%s: %llu rows", p->view, p->rows);
  if (p->ts_min)
    lr__buf_printf(out, ", event times %s .. %s", p->ts_min, p->ts_max);
  lr__buf_printf(out, "; quantiles %s\n",
                 p->exact ? "exact" : "from a sample of 65536 values "
                                      "per feature");
  for (int k = 0; k < p->n_features; k++)
    text_feature(out, &p->features[k]);
}

int lr_stats(lr_offline *off, const lr_stats_spec *spec, unsigned flags,
             char **report) {
  if (!off || !spec || !report)
    return LR_EINVAL;
  *report = NULL;
  lr__buf_reset(&off->errmsg);
  const lr__view *v;
  int rc = lr__quality_view(off, spec->view, &v);
  if (rc == 0 && spec->save)
    rc = lr__quality_name_check(&off->errmsg, "profile", spec->save);
  lr__stats_sample s;
  lr__buf_init(&s.rows);
  if (rc == 0)
    rc = lr__stats_sample_window(off, v, &spec->window, &s);
  lr__profile p = {0};
  if (rc == 0)
    rc = lr__profile_compute(off, v, &s, (flags & LR_STATS_EXACT) != 0,
                             spec->save != NULL, NULL, &p);
  lr__buf out;
  lr__buf_init(&out);
  if (rc == 0 && spec->save) {
    lr__profile_json(&p, &out);
    rc = lr__quality_save(off, "profiles", v->name, spec->save, &out);
    lr__buf_reset(&out);
  }
  if (rc == 0 && (flags & LR_FORMAT_JSON))
    lr__profile_json(&p, &out);
  else if (rc == 0)
    text_report(&p, &out);
  if (rc == 0 && !(*report = lr__buf_steal(&out)))
    rc = LR_ENOMEM;
  lr__buf_free(&out);
  lr__buf_free(&s.rows);
  lr__profile_free(&p);
  return rc;
}

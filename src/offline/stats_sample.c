/*
 * stats_sample.c - the rows lr_stats and lr_drift profile (profile.h): a view's
 * source rows in a window of event times, or the columns of a training
 * file; and the files they save in the repo (data/profiles/, data/drift/).
 */
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/timefmt.h"
#include "profile.h"

int lr__quality_view(lr_offline *off, const char *name, const lr__view **v) {
  *v = name ? lr__model_view(&off->reg, name) : NULL;
  if (!*v)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "unknown feature view "
                          "'%s': `larder ls feature-views` lists them",
                          name ? name : "");
  if ((*v)->kind != LR__VIEW_BATCH)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "'%s' is an on-demand "
                          "feature view, computed at lookup from other views: "
                          "profile the feature views it reads", name);
  return 0;
}

/* Appends the condition of window w on "__ts" (TRUE when open). Returns
 * 0, or LR_EINVAL when its start is after its end. */
static int window_condition(lr_offline *off, const lr_window *w,
                            lr__buf *sql) {
  char start[40], end[40];
  if (w->has_start)
    lr__time_format(w->start_us, start);
  if (w->has_end)
    lr__time_format(w->end_us, end);
  if (w->has_start && w->has_end && w->start_us > w->end_us)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "the window %s..%s ends "
                          "before it starts: give the earlier time first",
                          start, end);
  lr__buf_puts(sql, " WHERE TRUE");
  if (w->has_start)
    lr__buf_printf(sql, " AND \"__ts\" >= '%s'::TIMESTAMPTZ", start);
  if (w->has_end)
    lr__buf_printf(sql, " AND \"__ts\" <= '%s'::TIMESTAMPTZ", end);
  return 0;
}

int lr__stats_sample_window(lr_offline *off, const lr__view *v,
                            const lr_window *w, lr__stats_sample *s) {
  lr__buf *sql = &s->rows;
  lr__buf_init(sql);
  s->of_view = 1;
  lr__buf source;
  lr__buf_init(&source);
  int rc = lr__offline_session(off); /* the source's time functions */
  if (rc == 0)
    rc = lr__source_select(off, v, &source);
  lr__buf_puts(sql, "SELECT \"__ts\"");
  for (int f = 0; f < v->n_features; f++) {
    lr__buf_puts(sql, ", ");
    lr__sql_ident(sql, v->features[f].name);
    lr__buf_printf(sql, " AS \"__r%d\"", f);
  }
  lr__buf_printf(sql, " FROM (%s)", lr__buf_str(&source));
  if (rc == 0)
    rc = window_condition(off, w, sql);
  lr__buf_free(&source);
  return rc;
}

/* Appends the table function reading training file `path` (absolute). */
static void file_read(const char *path, lr__buf *sql) {
  int csv = lr__fs_has_suffix(path, ".csv") || lr__fs_has_suffix(path,
                                                                ".csv.gz");
  lr__buf_puts(sql, csv ? "read_csv(" : "read_parquet(");
  lr__sql_literal(sql, path);
  lr__buf_puts(sql, csv ? ", header = true)" : ")");
}

/* Appends feature f of view v as the file's column holding it: the
 * feature's name or VIEW__FEATURE, whichever the file has. */
static int file_column(lr_offline *off, const lr__view *v, int f,
                       const char *described, const char *path,
                       lr__buf *sql) {
  const char *name = v->features[f].name;
  lr__buf full;
  lr__buf_init(&full);
  lr__buf_printf(&full, "%s__%s", v->name, name);
  int rc = 0;
  const char *column = lr__described_has(described, name) ? name
                       : lr__described_has(described, lr__buf_str(&full))
                           ? lr__buf_str(&full)
                           : NULL;
  if (!column) {
    rc = lr__errmsg_set(&off->errmsg, LR_EINVAL, "the training file %s has "
                        "no column '%s' or '%s' for feature '%s' of view "
                        "'%s': write it with `larder historical` asking for "
                        "%s:%s", path, name, lr__buf_str(&full), name,
                        v->name, v->name, name);
  } else {
    lr__buf_puts(sql, ", TRY_CAST(");
    lr__sql_ident(sql, column);
    lr__buf_puts(sql, " AS ");
    lr__sql_type(sql, v->features[f].dtype);
    lr__buf_printf(sql, ") AS \"__r%d\"", f);
  }
  lr__buf_free(&full);
  return rc;
}

int lr__stats_sample_file(lr_offline *off, const lr__view *v,
                          const char *path, lr__stats_sample *s) {
  lr__buf *sql = &s->rows;
  lr__buf_init(sql);
  s->of_view = 0;
  char *abs = realpath(path, NULL);
  if (!abs)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "cannot read the "
                          "training file %s (relative to the current "
                          "folder): give a .parquet or .csv file that "
                          "`larder historical` wrote", path);
  lr__buf describe, described;
  lr__buf_init(&describe);
  lr__buf_init(&described);
  lr__buf_puts(&describe, "DESCRIBE SELECT * FROM ");
  file_read(abs, &describe);
  int rc = lr__offline_session(off);
  if (rc == 0)
    rc = lr__offline_run(off, lr__buf_str(&describe),
                         "reading the training file", 2, &described);
  const char *d = lr__buf_str(&described);
  lr__buf_puts(sql, lr__described_has(d, "event_timestamp")
                        ? "SELECT TRY_CAST(\"event_timestamp\" AS "
                          "TIMESTAMPTZ) AS \"__ts\""
                        : "SELECT NULL::TIMESTAMPTZ AS \"__ts\"");
  for (int f = 0; rc == 0 && f < v->n_features; f++)
    rc = file_column(off, v, f, d, path, sql);
  lr__buf_puts(sql, " FROM ");
  file_read(abs, sql);
  lr__buf_free(&describe);
  lr__buf_free(&described);
  free(abs);
  return rc;
}

void lr__quality_path(const char *repo, const char *kind, const char *view,
                      const char *name, lr__buf *out) {
  lr__buf rel;
  lr__buf_init(&rel);
  lr__buf_printf(&rel, "data/%s/%s", kind, view);
  if (name)
    lr__buf_printf(&rel, "/%s.json", name);
  lr__fs_join(out, repo, lr__buf_str(&rel));
  lr__buf_free(&rel);
}

int lr__quality_name_check(lr__buf *errmsg, const char *what,
                           const char *name) {
  int ok = name && ((*name >= 'a' && *name <= 'z') ||
                    (*name >= 'A' && *name <= 'Z') ||
                    (*name >= '0' && *name <= '9'));
  for (const char *c = name; ok && *c; c++)
    ok = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "0123456789_-.", *c) != NULL;
  if (ok)
    return 0;
  return lr__errmsg_set(errmsg, LR_EINVAL, "'%s' is not a %s name: start "
                        "with a letter or digit, then letters, digits, '_', "
                        "'-' or '.'", name ? name : "", what);
}

int lr__quality_save(lr_offline *off, const char *kind, const char *view,
                     const char *name, const lr__buf *text) {
  lr__buf dir, path;
  lr__buf_init(&dir);
  lr__buf_init(&path);
  lr__quality_path(off->repo, kind, view, NULL, &dir);
  lr__quality_path(off->repo, kind, view, name, &path);
  lr__buf_reset(&off->errmsg);
  int rc = lr__fs_mkdirs(lr__buf_str(&dir), &off->errmsg);
  if (rc == 0)
    rc = lr__fs_write_atomic(lr__buf_str(&path), text->data, text->len,
                             &off->errmsg);
  lr__buf_free(&dir);
  lr__buf_free(&path);
  return rc;
}

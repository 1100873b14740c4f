/*
 * pushed.c - pushed rows appended to a push source's offline folder
 * (pushed.h).
 *
 * One push is one file (rowfile.h): written to `.push-PID-N.tmp` in the
 * folder, synced, renamed to `TIME-PID-N.parquet`. Readers glob
 * `*.parquet`, so they see a file only when it is whole and named; a
 * pusher killed before the rename leaves only its temporary file, which
 * the next push into the folder removes once that PID no longer runs.
 */
#include "pushed.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "offline.h"
#include "rowfile.h"

void lr__pushed_dir(const char *repo, const lr__source *s, lr__buf *out) {
  lr__buf rel;
  lr__buf_init(&rel);
  lr__push_offline_path(s, &rel);
  lr__fs_join(out, repo, lr__buf_str(&rel));
  lr__buf_free(&rel);
}

void lr__pushed_glob(const char *dir, lr__buf *out) {
  lr__buf_printf(out, "%s/*.parquet", dir);
}

int lr__pushed_any(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  struct dirent *e;
  int any = 0;
  while (!any && (e = readdir(d)))
    any = e->d_name[0] != '.' && lr__fs_has_suffix(e->d_name, ".parquet");
  closedir(d);
  return any;
}

int lr__pushed_clean(const char *dir) {
  return lr__rowfile_clean(dir, "push");
}

/* The plan columns the file holds: index into `cols` and into the plan's
 * colset, for each column given that the batch source keeps. */
typedef struct file_columns {
  int n;
  int *given; /* index in cols */
  int *plan;  /* index in p->cols */
} file_columns;

static int pick_columns(const lr__push_plan *p, const lr_column *cols,
                        int n_cols, file_columns *fc) {
  fc->n = 0;
  fc->given = calloc((size_t)n_cols + 1, sizeof *fc->given);
  fc->plan = calloc((size_t)n_cols + 1, sizeof *fc->plan);
  if (!fc->given || !fc->plan)
    return LR_ENOMEM;
  for (int k = 0; k < p->cols.n; k++) {
    if (!lr__push_offline_column(p, k))
      continue;
    for (int c = 0; c < n_cols; c++)
      if (cols[c].name && !strcmp(cols[c].name, p->cols.names[k])) {
        fc->given[fc->n] = c;
        fc->plan[fc->n++] = k;
        break;
      }
  }
  return 0;
}

/* The file's columns: each plan column given that the batch source keeps,
 * under its batch source name, in the type the views declare. */
static lr__rowfile_col *file_columns_of(const lr__push_plan *p,
                                        const file_columns *fc,
                                        const lr_column *cols) {
  lr__rowfile_col *out = calloc((size_t)fc->n + 1, sizeof *out);
  for (int i = 0; out && i < fc->n; i++)
    out[i] = (lr__rowfile_col){lr__push_offline_column(p, fc->plan[i]),
                               p->cols.types[fc->plan[i]],
                               cols[fc->given[i]].values};
  return out;
}

int lr__pushed_append(lr__duckdb *db, const char *repo, const lr__push_plan *p,
                      const lr_column *cols, int n_cols, size_t n_rows,
                      lr__buf *file, lr__buf *err) {
  lr__buf dir, why;
  lr__buf_init(&dir);
  lr__buf_init(&why);
  lr__pushed_dir(repo, p->source, &dir);
  file_columns fc = {0, NULL, NULL};
  lr__rowfile_col *fcols = NULL;
  int rc = lr__fs_mkdirs(lr__buf_str(&dir), &why);
  if (rc)
    lr__buf_printf(err, "the offline store of push source '%s' cannot be "
                   "written: %s (it is the folder offline_path names, by "
                   "default data/pushed/%s in the repo: make it a folder "
                   "this process can write, or set offline_path)",
                   p->source->name, lr__buf_str(&why), p->source->name);
  if (rc == 0)
    rc = pick_columns(p, cols, n_cols, &fc);
  if (rc == 0 && !(fcols = file_columns_of(p, &fc, cols)))
    rc = LR_ENOMEM;
  if (rc == 0)
    rc = lr__rowfile_write(db, lr__buf_str(&dir), "push", "the rows pushed to",
                           fcols, fc.n, n_rows, file, err);
  free(fcols);
  free(fc.given);
  free(fc.plan);
  lr__buf_free(&dir);
  lr__buf_free(&why);
  return rc == LR_ENOMEM && !err->len
             ? lr__errmsg_set(err, rc, "out of memory") : rc;
}

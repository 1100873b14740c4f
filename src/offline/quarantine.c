/*
 * quarantine.c - the rows a `drop` check kept out, written as Parquet
 * (quality/quarantine.h) through a DuckDB session of their own.
 */
#include "../quality/quarantine.h"

#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/fs.h"
#include "rowfile.h"

void lr__quarantine_dir(const char *online_root, const char *view,
                        lr__buf *out) {
  const char *slash = strrchr(online_root, '/');
  if (slash)
    lr__buf_printf(out, "%.*s/", (int)(slash - online_root), online_root);
  lr__buf_printf(out, "quarantine/%s", view);
}

/* The type of the column named `name` in view v's rows, or 0 (not one). */
static uint8_t column_dtype(const lr__model *m, const lr__view *v,
                            const char *name) {
  const char *keys[16];
  uint8_t types[16];
  int n_keys = lr__model_view_keys(m, v, keys, types, 16);
  for (int k = 0; k < n_keys; k++)
    if (strcmp(keys[k], name) == 0)
      return types[k];
  if (!strcmp(name, "event_timestamp") || !strcmp(name, "created_timestamp"))
    return LR__DT_TIMESTAMP;
  const lr__field *f = lr__view_feature(v, name);
  return f ? f->dtype : 0;
}

int lr__quarantine_save(const lr__model *m, const lr__view *v, const char *dir,
                        const lr_column *cols, int n_cols, size_t n,
                        const lr_value *rules, lr__buf *file, lr__buf *err) {
  lr__rowfile_col *fcols = calloc((size_t)n_cols + 2, sizeof *fcols);
  if (!fcols)
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory");
  int nf = 0;
  for (int c = 0; c < n_cols; c++) {
    uint8_t dt = cols[c].name ? column_dtype(m, v, cols[c].name) : 0;
    if (dt)
      fcols[nf++] = (lr__rowfile_col){cols[c].name, dt, cols[c].values};
  }
  fcols[nf++] = (lr__rowfile_col){"failed_checks", LR__DT_STRING, rules};
  lr__buf why;
  lr__buf_init(&why);
  lr__duckdb db;
  int rc = lr__fs_mkdirs(dir, &why);
  if (rc)
    lr__buf_printf(err, "the quarantine folder of view '%s' cannot be "
                   "written: %s (it is quarantine/%s beside the online "
                   "store's folder: make it a folder this process can "
                   "write)", v->name, lr__buf_str(&why), v->name);
  int opened = rc == 0 && (rc = lr__duckdb_open(&db, err)) == 0;
  if (opened)
    rc = lr__duckdb_run(&db, "SET TimeZone = 'UTC'", 0, NULL, err);
  if (rc == 0)
    rc = lr__rowfile_write(&db, dir, "quarantine", "the rows dropped into",
                           fcols, nf, n, file, err);
  if (opened)
    lr__duckdb_close(&db);
  lr__buf_free(&why);
  free(fcols);
  return rc;
}

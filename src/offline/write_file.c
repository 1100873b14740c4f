/*
 * write_file.c - lr_write_file and lr_write_file_flags, the public entry of
 * file writes, and the reading of a file's rows that they and pushes
 * share (lr__with_file_rows): CSV and JSON lines go straight to the online
 * ingest; Parquet is first rewritten as CSV by DuckDB, and the ingest's
 * messages then name the Parquet file and its rows (counted from 1 at the
 * first data row), never the temporary CSV. It lives in the offline layer
 * because it may load DuckDB; the online layer below it never does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../online/ingest.h"
#include "../online/introspect.h"
#include "../util/fs.h"
#include "parquet.h"

int lr__with_file_rows(const char *path, unsigned flags, lr__buf *err,
                       int (*use)(void *ctx, const char *readable,
                                  const lr__ingest_opts *opts),
                       void *ctx) {
  lr__ingest_opts opts = {path, flags};
  if (!lr__fs_has_suffix(path, ".parquet"))
    return use(ctx, path, &opts);
  if (access(path, R_OK) != 0) /* as the CSV path says it */
    return lr__errmsg_set(err, errno == ENOENT ? LR_ENOTFOUND : LR_EIO,
                          "cannot open %s: %s", path, strerror(errno));
  char csv[] = "/tmp/larder-parquet-XXXXXX.csv";
  int fd = mkstemps(csv, 4);
  if (fd < 0)
    return lr__errmsg_set(err, LR_EIO, "%s: cannot create a temporary file "
                          "in /tmp to read it through", path);
  close(fd);
  int rc = lr__parquet_to_csv(path, csv, err);
  if (rc == 0)
    rc = use(ctx, csv, &opts);
  unlink(csv);
  return rc;
}

/* A write into a view, for lr__with_file_rows. */
typedef struct view_write {
  lr_store *store;
  const char *view;
  lr_write_stats *stats;
} view_write;

static int write_readable(void *ctx, const char *readable,
                          const lr__ingest_opts *opts) {
  view_write *w = ctx;
  return lr__ingest_file(w->store, w->view, readable, opts, w->stats);
}

int lr_write_file_flags(lr_store *store, const char *view, const char *path,
                        unsigned flags, lr_write_stats *stats) {
  if (stats)
    *stats = (lr_write_stats){0, 0};
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(lr__store_err(store));
  if (!path)
    return lr__errmsg_set(lr__store_err(store), LR_EINVAL, "no file given");
  view_write w = {store, view, stats};
  return lr__with_file_rows(path, flags, lr__store_err(store), write_readable,
                            &w);
}

int lr_write_file(lr_store *store, const char *view, const char *path,
                  lr_write_stats *stats) {
  return lr_write_file_flags(store, view, path, 0, stats);
}

/*
 * write_file.c - lr_write_file and lr_write_file_flags, the public entry of
 * file writes: CSV and JSON lines go straight to the online ingest;
 * Parquet is first rewritten as CSV by DuckDB, and the ingest's messages
 * then name the Parquet file and its rows (counted from 1 at the first
 * data row), never the temporary CSV or its lines. It lives in the offline
 * layer because it may load DuckDB; the online layer below it never does.
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

int lr_write_file_flags(lr_store *store, const char *view, const char *path,
                        unsigned flags, lr_write_stats *stats) {
  if (stats)
    *stats = (lr_write_stats){0, 0};
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(lr__store_err(store));
  if (!path)
    return lr__errmsg_set(lr__store_err(store), LR_EINVAL, "no file given");
  lr__ingest_opts opts = {path, flags};
  if (!lr__fs_has_suffix(path, ".parquet"))
    return lr__ingest_file(store, view, path, &opts, stats);
  if (access(path, R_OK) != 0) /* as the CSV path says it */
    return lr__errmsg_set(lr__store_err(store),
                          errno == ENOENT ? LR_ENOTFOUND : LR_EIO,
                          "cannot open %s: %s", path, strerror(errno));
  char csv[] = "/tmp/larder-parquet-XXXXXX.csv";
  int fd = mkstemps(csv, 4);
  if (fd < 0)
    return lr__errmsg_set(lr__store_err(store), LR_EIO,
                          "%s: cannot create a temporary file in /tmp to "
                          "read it through", path);
  close(fd);
  int rc = lr__parquet_to_csv(path, csv, lr__store_err(store));
  if (rc == 0)
    rc = lr__ingest_file(store, view, csv, &opts, stats);
  unlink(csv);
  return rc;
}

int lr_write_file(lr_store *store, const char *view, const char *path,
                  lr_write_stats *stats) {
  return lr_write_file_flags(store, view, path, 0, stats);
}

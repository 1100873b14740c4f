/*
 * write_file.c - lr_write_file, the public entry of file writes: CSV and
 * JSON lines go straight to the online ingest; Parquet is first rewritten as
 * CSV by DuckDB. It lives in the offline layer because it may load DuckDB;
 * the online layer below it never does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../online/ingest.h"
#include "../online/introspect.h"
#include "../util/fs.h"
#include "parquet.h"

int lr_write_file(lr_store *store, const char *view, const char *path,
                  lr_write_stats *stats) {
  if (stats)
    *stats = (lr_write_stats){0, 0};
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(lr__store_err(store));
  if (!path)
    return lr__errmsg_set(lr__store_err(store), LR_EINVAL, "no file given");
  if (!lr__fs_has_suffix(path, ".parquet"))
    return lr__ingest_file(store, view, path, stats);
  char csv[] = "/tmp/larder-parquet-XXXXXX.csv";
  int fd = mkstemps(csv, 4);
  if (fd < 0)
    return lr__errmsg_set(lr__store_err(store), LR_EIO,
                          "cannot create a temporary file in /tmp");
  close(fd);
  int rc = lr__parquet_to_csv(path, csv, lr__store_err(store));
  if (rc == 0)
    rc = lr__ingest_file(store, view, csv, stats);
  unlink(csv);
  return rc;
}

/*
 * compact.c - lr_store_compact: a compacting copy of the LMDB environment
 * (mdb_env_copy2 with MDB_CP_COMPACT), renamed over the data file.
 *
 * LMDB never shrinks its file and pages freed by overwrites stay in it; a
 * compact copy writes every page full and in key order, which is how the
 * store reaches its size target. The copy is made beside the data file and
 * renamed over it, so a crash leaves either the old or the new file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fs.h"
#include "store.h"

static unsigned long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

int lr_store_compact(lr_store *store, unsigned long long *before,
                     unsigned long long *after) {
  if (!store)
    return LR_EINVAL;
  lr__buf_reset(&store->errmsg);
  if (!store->writable) {
    lr__buf_puts(&store->errmsg, "compact needs the store open read-write");
    return LR_EREADONLY;
  }
  const char *dir;
  mdb_env_get_path(store->env, &dir);
  lr__buf data, copy;
  lr__buf_init(&data);
  lr__buf_init(&copy);
  lr__buf_printf(&data, "%s/data.mdb", dir);
  lr__buf_printf(&copy, "%s/data.mdb.compact", dir);
  const char *copy_path = lr__buf_str(&copy);
  if (before)
    *before = file_size(lr__buf_str(&data));
  int rc = 0;
  int fd = open(copy_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int mrc = fd < 0 ? 0 : mdb_env_copyfd2(store->env, fd, MDB_CP_COMPACT);
  if (fd < 0 || mrc || fsync(fd) != 0) {
    rc = mrc ? lr__store_mdb_error(&store->errmsg, mrc, "cannot copy the store")
             : LR_EIO;
    if (!mrc)
      lr__buf_printf(&store->errmsg, "cannot write %s", copy_path);
  }
  if (fd >= 0)
    close(fd);
  if (rc == 0 && lr__fs_rename(copy_path, lr__buf_str(&data)) != 0) {
    lr__buf_printf(&store->errmsg, "cannot rename %s into place", copy_path);
    rc = LR_EIO;
  }
  if (rc)
    unlink(copy_path);
  else
    rc = lr__store_reopen(store); /* our map still shows the old file */
  if (after)
    *after = file_size(lr__buf_str(&data));
  lr__buf_free(&data);
  lr__buf_free(&copy);
  return rc;
}

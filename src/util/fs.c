/*
 * fs.c - file-system helpers (see fs.h).
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clocale.h"
#include "larder.h"

int (*lr__fs_rename)(const char *from, const char *to) = rename;

int lr__fs_read_file(const char *path, char **data, size_t *len, lr__buf *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    lr__buf_printf(err, "cannot open %s: %s", path, strerror(errno));
    return errno == ENOENT ? LR_ENOTFOUND : LR_EIO;
  }
  lr__buf content;
  lr__buf_init(&content);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    lr__buf_append(&content, chunk, n);
  int read_error = ferror(f);
  fclose(f);
  if (read_error || lr__buf_failed(&content)) {
    lr__buf_printf(err, "cannot read %s: %s", path,
                   read_error ? "read error" : "out of memory");
    lr__buf_free(&content);
    return read_error ? LR_EIO : LR_ENOMEM;
  }
  *len = content.len;
  *data = lr__buf_steal(&content);
  return *data ? 0 : LR_ENOMEM;
}

/* Finds the NUL with memchr and counts the lines before it the same way:
 * ingest checks files of many megabytes. */
int lr__text_scan_nul(lr__text_pos *at, const char *data, size_t n) {
  const char *nul = memchr(data, '\0', n);
  const char *end = nul ? nul : data + n;
  const char *p = data, *nl;
  while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
    at->line++;
    at->col = 1;
    p = nl + 1;
  }
  at->col += (size_t)(end - p);
  return nul != NULL;
}

/* The message of a NUL byte at `at` (the one wording for every text file). */
static int nul_error(const char *path, lr__text_pos at, lr__buf *err) {
  lr__buf_printf(err, "%s:%zu:%zu: %s; %s", path, at.line, at.col,
                 LR__NUL_WHAT, LR__NUL_HINT);
  return LR_EINVAL;
}

int lr__fs_read_text(const char *path, char **data, size_t *len,
                     lr__buf *err) {
  int rc = lr__fs_read_file(path, data, len, err);
  lr__text_pos at = {1, 1};
  if (rc == 0 && lr__text_scan_nul(&at, *data, *len)) {
    free(*data);
    *data = NULL;
    return nul_error(path, at, err);
  }
  return rc;
}

int lr__fs_check_text(const char *path, lr__buf *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    lr__buf_printf(err, "cannot open %s: %s", path, strerror(errno));
    return errno == ENOENT ? LR_ENOTFOUND : LR_EIO;
  }
  char chunk[65536];
  size_t n;
  lr__text_pos at = {1, 1};
  int found = 0;
  while (!found && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    found = lr__text_scan_nul(&at, chunk, n);
  int read_error = ferror(f);
  fclose(f);
  if (found)
    return nul_error(path, at, err);
  if (read_error)
    lr__buf_printf(err, "cannot read %s: read error", path);
  return read_error ? LR_EIO : 0;
}

long long lr__fault_enospc_after = -1;

/* How many of `len` bytes the fault hook lets a write have: all of them
 * when it is off, else what is left of its budget (errno ENOSPC for when
 * that is none). */
static size_t fault_allow(size_t len) {
  if (lr__fault_enospc_after < 0 ||
      (unsigned long long)lr__fault_enospc_after >= len)
    return len;
  errno = ENOSPC;
  return (size_t)lr__fault_enospc_after;
}

/* Writes all `len` bytes to `fd`: at offset `at` (pwrite), or at its
 * file offset when `at` is negative; retries short writes and EINTR, and
 * lets the fault hook count them. Returns 0, or -1 with errno set. */
static int write_fully(int fd, const char *data, size_t len, long long at) {
  while (len) {
    size_t allowed = fault_allow(len);
    if (!allowed)
      return -1;
    ssize_t n = at < 0 ? write(fd, data, allowed)
                       : pwrite(fd, data, allowed, (off_t)at);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (lr__fault_enospc_after >= 0)
      lr__fault_enospc_after -= n;
    data += n;
    len -= (size_t)n;
    if (at >= 0)
      at += n;
  }
  return 0;
}

int lr__fs_write_all(int fd, const void *buf, size_t len) {
  return write_fully(fd, buf, len, -1);
}

/* lr__fs_copy_range through a buffer, from offset `at` on: for file
 * systems without copy_file_range between the two files. */
static int copy_by_buffer(int in, int out, unsigned long long at,
                          unsigned long long len) {
  enum { CHUNK = 1 << 20 };
  char *chunk = malloc(CHUNK);
  if (!chunk) {
    errno = ENOMEM;
    return -1;
  }
  int rc = 0;
  while (rc == 0 && at < len) {
    size_t want = len - at < CHUNK ? (size_t)(len - at) : CHUNK;
    ssize_t n = pread(in, chunk, want, (off_t)at);
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0)
      errno = EIO; /* the file is shorter than it was said to be */
    if (n <= 0 || write_fully(out, chunk, (size_t)n, (long long)at) != 0)
      rc = -1;
    else
      at += (unsigned long long)n;
  }
  free(chunk);
  return rc;
}

int lr__fs_copy_range(int in, int out, unsigned long long len) {
  enum { STEP = 1 << 26 }; /* 64 MiB a call: the fault hook counts them */
  loff_t from = 0, to = 0;
  while ((unsigned long long)from < len) {
    size_t want = len - (unsigned long long)from < STEP
                      ? (size_t)(len - (unsigned long long)from)
                      : STEP;
    size_t allowed = fault_allow(want);
    if (!allowed)
      return -1;
    ssize_t n = copy_file_range(in, &from, out, &to, allowed, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                  errno == EOPNOTSUPP))
      return copy_by_buffer(in, out, (unsigned long long)from, len);
    if (n == 0)
      errno = EIO;
    if (n <= 0)
      return -1;
    if (lr__fault_enospc_after >= 0)
      lr__fault_enospc_after -= n;
  }
  return 0;
}

/* fsyncs the file or folder at `path`, opened with `flags`. */
static int sync_path(const char *path, int flags) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0)
    return -1;
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

int lr__fs_sync_parent(const char *path) {
  char *copy = strdup(path);
  if (!copy)
    return -1;
  int rc = sync_path(dirname(copy), O_DIRECTORY);
  free(copy);
  return rc;
}

int lr__fs_sync_file(const char *path) { return sync_path(path, 0); }

int lr__fs_write_atomic(const char *path, const void *data, size_t len,
                        lr__buf *err) {
  lr__buf tmp;
  lr__buf_init(&tmp);
  lr__buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
  const char *tmp_path = lr__buf_str(&tmp);
  const char *step = "create";
  int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    goto fail;
  step = "write";
  if (lr__fs_write_all(fd, data, len) != 0)
    goto fail_close;
  step = "fsync";
  if (fsync(fd) != 0)
    goto fail_close;
  step = "close";
  if (close(fd) != 0)
    goto fail;
  step = "rename";
  if (lr__fs_rename(tmp_path, path) != 0)
    goto fail;
  lr__fs_sync_parent(path);
  lr__buf_free(&tmp);
  return 0;

fail_close:
  close(fd);
fail:
  lr__buf_printf(err, "cannot write %s (%s of %s failed: %s); the previous "
                      "file is unchanged", path, step, tmp_path, strerror(errno));
  unlink(tmp_path);
  lr__buf_free(&tmp);
  return LR_EIO;
}

int lr__fs_write_file(const char *path, const void *data, size_t len,
                      lr__buf *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || lr__fs_write_all(fd, data, len) != 0) {
    lr__buf_printf(err, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return LR_EIO;
  }
  if (close(fd) != 0) {
    lr__buf_printf(err, "cannot write %s: %s", path, strerror(errno));
    return LR_EIO;
  }
  return 0;
}

int lr__fs_mkdirs(const char *path, lr__buf *err) {
  if (!*path) {
    lr__buf_puts(err, "cannot create a folder with an empty name");
    return LR_EIO;
  }
  char *copy = strdup(path);
  if (!copy)
    return LR_ENOMEM;
  for (char *p = copy + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    *p = '\0';
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
      lr__buf_printf(err, "cannot create folder %s: %s", copy, strerror(errno));
      free(copy);
      return LR_EIO;
    }
    *p = saved;
    if (saved == '\0')
      break;
  }
  free(copy);
  if (!lr__fs_is_dir(path)) { /* EEXIST, but not a folder */
    lr__buf_printf(err, "cannot create folder %s: a file has that name", path);
    return LR_EIO;
  }
  return 0;
}

int lr__fs_has_suffix(const char *path, const char *suffix) {
  size_t a = strlen(path), b = strlen(suffix);
  return a >= b && lr__ascii_casecmp(path + a - b, suffix) == 0;
}

int lr__fs_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int lr__fs_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

void lr__fs_join(lr__buf *out, const char *dir, const char *rel) {
  if (rel[0] == '/' || !dir || !dir[0]) {
    lr__buf_puts(out, rel);
    return;
  }
  lr__buf_puts(out, dir);
  if (dir[strlen(dir) - 1] != '/')
    lr__buf_putc(out, '/');
  lr__buf_puts(out, rel);
}

int lr__fs_remove_flat(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? 0 : -1;
  lr__buf path;
  lr__buf_init(&path);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    lr__buf_reset(&path);
    lr__fs_join(&path, dir, e->d_name);
    unlink(lr__buf_str(&path));
  }
  closedir(d);
  lr__buf_free(&path);
  return rmdir(dir);
}

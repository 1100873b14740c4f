/*
 * snapfile.c - a snapshot's data file hashed, or copied while hashed
 * (snapfile.h).
 *
 * A bootstrap used to read the file through a buffer, hash each chunk and
 * write it out: three passes over every byte on one core, for a file of a
 * gigabyte or more. Now the copy is one call into the kernel
 * (copy_file_range, page cache to page cache) and the hash reads the
 * source through a mapping on another thread, so the two overlap; the
 * hash comes from the bytes of the same open file the copy reads. The
 * copy is still checked before it is used: the caller compares size and
 * sha256 with the manifest before LMDB opens the copy, since a damaged
 * page could crash LMDB (issue 13).
 */
#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fs.h"
#include "../util/sha256.h"
#include "larder.h"

/* One hashing of an open file. */
typedef struct file_hash {
  int fd;
  unsigned long long size;
  char sha[65];
  int error; /* 0, or the errno of a mapping that failed */
} file_hash;

/* Hashes h->size bytes of h->fd through a read-only mapping. */
static void *hash_file(void *arg) {
  file_hash *h = arg;
  lr__sha256 s;
  lr__sha256_init(&s);
  if (h->size) {
    void *map = mmap(NULL, (size_t)h->size, PROT_READ, MAP_SHARED, h->fd, 0);
    if (map == MAP_FAILED) {
      h->error = errno;
    } else {
      madvise(map, (size_t)h->size, MADV_SEQUENTIAL);
      lr__sha256_update(&s, map, (size_t)h->size);
      munmap(map, (size_t)h->size);
    }
  }
  uint8_t d[32];
  lr__sha256_final(&s, d);
  lr__hex_encode(d, sizeof d, h->sha);
  return NULL;
}

/* Opens `path` and reads its size into h. Returns 0 or -1 (errno). */
static int open_source(const char *path, file_hash *h) {
  memset(h, 0, sizeof *h);
  h->fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (h->fd < 0 || fstat(h->fd, &st) != 0)
    return -1;
  h->size = (unsigned long long)st.st_size;
  return 0;
}

int lr__snapfile_hash(const char *path, char sha[65],
                      unsigned long long *size, lr__buf *why) {
  file_hash h;
  int rc = open_source(path, &h) == 0 ? 0 : LR_EIO;
  if (rc == 0)
    hash_file(&h);
  if (rc == 0 && h.error)
    errno = h.error;
  if (rc || h.error) {
    lr__buf_printf(why, "cannot read %s: %s", path, strerror(errno));
    rc = LR_EIO;
  }
  memcpy(sha, h.sha, sizeof h.sha);
  *size = h.size;
  if (h.fd >= 0)
    close(h.fd);
  return rc;
}

int lr__snapfile_copy(const char *from, const char *to, char sha[65],
                      unsigned long long *size, int *full, lr__buf *why) {
  file_hash h;
  *full = 0;
  if (open_source(from, &h) != 0) {
    lr__buf_printf(why, "cannot read %s: %s", from, strerror(errno));
    if (h.fd >= 0)
      close(h.fd);
    return LR_EIO;
  }
  pthread_t hasher;
  int threaded = pthread_create(&hasher, NULL, hash_file, &h) == 0;
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int wrote = out >= 0 && lr__fs_copy_range(h.fd, out, h.size) == 0 &&
              fsync(out) == 0;
  int write_errno = errno;
  if (threaded)
    pthread_join(hasher, NULL);
  else
    hash_file(&h);
  int rc = 0;
  if (!wrote) {
    *full = write_errno == ENOSPC;
    lr__buf_printf(why, "cannot write %s: %s", to, strerror(write_errno));
    rc = LR_EIO;
  } else if (h.error) {
    lr__buf_printf(why, "cannot read %s: %s", from, strerror(h.error));
    rc = LR_EIO;
  }
  memcpy(sha, h.sha, sizeof h.sha);
  *size = h.size;
  if (out >= 0)
    close(out);
  close(h.fd);
  return rc;
}

/*
 * generation.c - the online store folder's layout (see generation.h): the
 * CURRENT pointer, the generation folders, the layout lock and the in-use
 * locks, and the deletion of generations nobody reads any more.
 *
 * Every lock here is flock(2): released by the kernel when the process
 * dies, so a kill -9 never leaves a generation pinned or the layout locked.
 */
#include "generation.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/fs.h"
#include "larder.h"

void lr__gen_dir(lr__buf *out, const char *root, unsigned long long gen) {
  lr__buf_reset(out);
  if (gen == LR__GEN_LEGACY)
    lr__buf_puts(out, root);
  else
    lr__buf_printf(out, "%s/gen-%llu", root, gen);
}

/* ROOT/NAME into `out`. */
static void root_file(lr__buf *out, const char *root, const char *name) {
  lr__buf_reset(out);
  lr__buf_printf(out, "%s/%s", root, name);
}

/* The number of a folder named gen-N (digits only), or 0. */
static unsigned long long gen_number(const char *name) {
  if (strncmp(name, "gen-", 4) != 0 || !name[4])
    return 0;
  unsigned long long n = 0;
  for (const char *p = name + 4; *p; p++) {
    if (*p < '0' || *p > '9' || n > (~0ull - 9) / 10)
      return 0;
    n = n * 10 + (unsigned)(*p - '0');
  }
  return n;
}

int lr__gen_read_current(const char *root, unsigned long long *gen,
                         lr__gen_stamp *stamp) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "CURRENT");
  int fd = open(lr__buf_str(&path), O_RDONLY | O_CLOEXEC);
  lr__buf_free(&path);
  if (fd < 0)
    return errno == ENOENT ? LR_ENOTFOUND : LR_EIO;
  char text[32];
  struct stat st;
  ssize_t n = read(fd, text, sizeof text - 1);
  int ok = n > 1 && fstat(fd, &st) == 0 && text[n - 1] == '\n';
  close(fd);
  if (!ok)
    return n < 0 ? LR_EIO : LR_ECORRUPT;
  text[n - 1] = '\0';
  char name[40];
  snprintf(name, sizeof name, "gen-%s", text);
  *gen = gen_number(name);
  if (*gen == 0)
    return LR_ECORRUPT;
  if (stamp)
    *stamp = (lr__gen_stamp){st.st_dev, st.st_ino};
  return 0;
}

int lr__gen_moved(const char *root, const lr__gen_stamp *stamp) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "CURRENT");
  struct stat st;
  int found = stat(lr__buf_str(&path), &st) == 0;
  lr__buf_free(&path);
  if (!found)
    return stamp->ino != 0; /* gone (never, by design) or still legacy */
  return st.st_ino != stamp->ino || st.st_dev != stamp->dev;
}

int lr__gen_publish(const char *root, unsigned long long gen, lr__buf *err) {
  char text[32];
  int n = snprintf(text, sizeof text, "%llu\n", gen);
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "CURRENT");
  int rc = lr__fs_write_atomic(lr__buf_str(&path), text, (size_t)n, err);
  lr__buf_free(&path);
  return rc;
}

unsigned long long lr__gen_next(const char *root) {
  unsigned long long top = 0;
  DIR *d = opendir(root);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    unsigned long long n = gen_number(e->d_name);
    if (n > top)
      top = n;
  }
  if (d)
    closedir(d);
  return top + 1;
}

/* Opens ROOT/NAME (created if missing) and flocks it with `op`. */
static int lock_file(const char *path, int op, int *fd) {
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (*fd < 0)
    return errno == ENOENT ? LR_ENOTFOUND : LR_EIO;
  int r;
  while ((r = flock(*fd, op)) != 0 && errno == EINTR)
    ;
  if (r == 0)
    return 0;
  int busy = errno == EWOULDBLOCK;
  close(*fd);
  *fd = -1;
  return busy ? LR_EEXISTS : LR_EIO;
}

/* flock `op` on ROOT/layout.lock (created if missing), as lock_file. */
static int lock_layout(const char *root, int op, int *fd) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "layout.lock");
  int rc = lock_file(lr__buf_str(&path), op, fd);
  lr__buf_free(&path);
  return rc;
}

int lr__gen_lock(const char *root, int *fd, lr__buf *err) {
  int rc = lock_layout(root, LOCK_EX, fd);
  if (rc && err)
    lr__buf_printf(err, "cannot lock %s/layout.lock: %s", root,
                   strerror(errno));
  return rc;
}

void lr__gen_unlock(const char *root, int fd) {
  if (fd < 0)
    return;
  close(fd); /* releases the flock */
  lr__gen_sweep(root);
}

void lr__gen_sweep(const char *root) {
  int fd;
  if (lock_layout(root, LOCK_SH | LOCK_NB, &fd) == 0) {
    lr__gen_collect(root);
    close(fd);
  }
}

/* The in-use file of generation `gen`. */
static void in_use_path(lr__buf *out, const char *root,
                        unsigned long long gen) {
  lr__gen_dir(out, root, gen);
  lr__buf_puts(out, "/in-use");
}

/* Flocks the in-use file at `path` with `op`, then makes sure the file
 * locked is still the one there. A deleter renames a generation's folder
 * away (or, for generation 0, unlinks its in-use file) before it lets go
 * of its LOCK_EX, so a lock that had to wait for one is on a generation
 * deleted meanwhile: LR_ENOTFOUND then, as when the folder is gone. */
static int lock_in_use(const char *path, int op, int *fd) {
  int rc = lock_file(path, op, fd);
  if (rc)
    return rc;
  struct stat held, there;
  if (fstat(*fd, &held) == 0 && stat(path, &there) == 0 &&
      held.st_dev == there.st_dev && held.st_ino == there.st_ino)
    return 0;
  close(*fd);
  *fd = -1;
  return LR_ENOTFOUND;
}

int lr__gen_hold(const char *root, unsigned long long gen, int *fd) {
  lr__buf path;
  lr__buf_init(&path);
  lr__gen_dir(&path, root, gen);
  int rc = lr__fs_is_dir(lr__buf_str(&path)) ? 0 : LR_ENOTFOUND;
  in_use_path(&path, root, gen);
  if (rc == 0)
    rc = lock_in_use(lr__buf_str(&path), LOCK_SH, fd);
  lr__buf_free(&path);
  unsigned long long live;
  if (rc == 0 && gen == LR__GEN_LEGACY &&
      lr__gen_read_current(root, &live, NULL) != LR_ENOTFOUND) {
    close(*fd); /* upgraded meanwhile: its files may be going (their */
    *fd = -1;   /* in-use file made anew by the open) */
    rc = LR_ENOTFOUND;
  }
  return rc;
}

/* Removes the files a generation's folder `dir` may hold, and the folder
 * unless `keep_dir` (generation 0's folder is the store's). Missing files
 * are fine: another sweep may be removing the same ones. */
static void remove_files(const char *dir, int keep_dir) {
  static const char *const files[] = {"data.mdb", "lock.mdb",
                                      "data.mdb.build", "in-use"};
  lr__buf path;
  lr__buf_init(&path);
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    lr__buf_reset(&path);
    lr__buf_printf(&path, "%s/%s", dir, files[i]);
    unlink(lr__buf_str(&path));
  }
  if (!keep_dir)
    rmdir(dir);
  lr__buf_free(&path);
}

/* The folder a deletion renames gen-N to ("gen-N.gone": not a generation's
 * name, so nobody opens it again). */
static void gone_dir(lr__buf *out, const char *root, unsigned long long gen) {
  lr__gen_dir(out, root, gen);
  lr__buf_puts(out, ".gone");
}

/* Removes generation `gen`, whose in-use file the caller holds LOCK_EX on.
 * Its folder is first renamed away, in one step, so that an open which
 * read CURRENT before it moved finds the folder gone rather than half
 * empty; a leftover of a deletion that died midway is removed first.
 * Generation 0's files go in place (lr__gen_hold checks CURRENT for it). */
static void remove_generation(const char *root, unsigned long long gen) {
  lr__buf dir, gone;
  lr__buf_init(&dir);
  lr__buf_init(&gone);
  lr__gen_dir(&dir, root, gen);
  gone_dir(&gone, root, gen);
  if (gen == LR__GEN_LEGACY) {
    remove_files(lr__buf_str(&dir), 1);
  } else {
    int moved = rename(lr__buf_str(&dir), lr__buf_str(&gone)) == 0;
    if (!moved && (errno == EEXIST || errno == ENOTEMPTY)) {
      remove_files(lr__buf_str(&gone), 0);
      moved = rename(lr__buf_str(&dir), lr__buf_str(&gone)) == 0;
    }
    if (moved)
      remove_files(lr__buf_str(&gone), 0);
  }
  lr__buf_free(&dir);
  lr__buf_free(&gone);
}

/* Deletes generation `gen` when no process holds it; 1 when it did. */
static int collect_one(const char *root, unsigned long long gen) {
  lr__buf path;
  lr__buf_init(&path);
  in_use_path(&path, root, gen);
  int fd = -1; /* a folder with no in-use file (a build that died before
                  making one) gets one here */
  int rc = lock_in_use(lr__buf_str(&path), LOCK_EX | LOCK_NB, &fd);
  lr__buf_free(&path);
  if (rc)
    return 0; /* somebody reads it, or another sweep deleted it */
  remove_generation(root, gen);
  close(fd);
  return 1;
}

/* The number N of a folder named gen-N.gone (a deletion that died after
 * renaming it), or 0. */
static unsigned long long gone_number(const char *name) {
  size_t len = strlen(name);
  if (len <= 5 || strcmp(name + len - 5, ".gone") != 0 || len - 5 >= 32)
    return 0;
  char gen_name[32];
  memcpy(gen_name, name, len - 5);
  gen_name[len - 5] = '\0';
  return gen_number(gen_name);
}

/* Removes ROOT/NAME when it is a deletion's leftover (gen-N.gone): nobody
 * can hold one, since no open looks for it. Returns 1 when it was one. */
static int remove_if_gone(const char *root, const char *name) {
  unsigned long long n = gone_number(name);
  if (!n)
    return 0;
  lr__buf gone;
  lr__buf_init(&gone);
  gone_dir(&gone, root, n);
  remove_files(lr__buf_str(&gone), 0);
  lr__buf_free(&gone);
  return 1;
}

int lr__gen_collect(const char *root) {
  unsigned long long live;
  if (lr__gen_read_current(root, &live, NULL) != 0)
    return 0; /* nothing is known to be safe to delete */
  int deleted = 0;
  lr__buf legacy;
  lr__buf_init(&legacy);
  root_file(&legacy, root, "data.mdb");
  if (lr__fs_exists(lr__buf_str(&legacy)))
    deleted += collect_one(root, LR__GEN_LEGACY);
  lr__buf_free(&legacy);
  DIR *d = opendir(root);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    unsigned long long n = gen_number(e->d_name);
    if (n && n != live)
      deleted += collect_one(root, n);
    else if (!n)
      remove_if_gone(root, e->d_name);
  }
  if (d)
    closedir(d);
  return deleted;
}

/* No CURRENT yet: under the layout lock, a legacy store stays generation 0
 * (the caller upgrades it) and an empty folder gets gen-1. */
static int create_layout(const char *root, unsigned long long *gen,
                         lr__gen_stamp *stamp, lr__buf *err) {
  int lock;
  int rc = lr__gen_lock(root, &lock, err);
  if (rc)
    return rc;
  rc = lr__gen_read_current(root, gen, stamp); /* made meanwhile? */
  if (rc == LR_ENOTFOUND) {
    lr__buf path;
    lr__buf_init(&path);
    root_file(&path, root, "data.mdb");
    if (lr__fs_exists(lr__buf_str(&path))) {
      *gen = LR__GEN_LEGACY;
      if (stamp)
        *stamp = (lr__gen_stamp){0, 0};
      rc = 0;
    } else {
      lr__gen_dir(&path, root, 1);
      rc = lr__fs_mkdirs(lr__buf_str(&path), err);
      if (rc == 0)
        rc = lr__gen_publish(root, 1, err);
      if (rc == 0)
        rc = lr__gen_read_current(root, gen, stamp);
    }
    lr__buf_free(&path);
  }
  lr__gen_unlock(root, lock);
  return rc;
}

int lr__gen_open_layout(const char *root, unsigned long long *gen,
                        lr__gen_stamp *stamp, lr__buf *err) {
  int rc = lr__gen_read_current(root, gen, stamp);
  if (rc == LR_ENOTFOUND) {
    rc = lr__fs_is_dir(root) ? 0 : lr__fs_mkdirs(root, err);
    if (rc == 0)
      rc = create_layout(root, gen, stamp, err);
    return rc;
  }
  if (rc == LR_ECORRUPT)
    lr__buf_printf(err, "%s/CURRENT is damaged: it must hold the number of "
                   "the live generation (a folder gen-N beside it) and a "
                   "newline", root);
  else if (rc)
    lr__buf_printf(err, "cannot read %s/CURRENT: %s", root, strerror(errno));
  return rc;
}

/* ---- teardown ----------------------------------------------------------- */

/* Takes flock(LOCK_EX | LOCK_NB) on `path` if the file is there (it is
 * not created: a missing lock is held by nobody). Returns 0 with *fd (-1
 * for a missing file), LR_EEXISTS when another open file holds it, or
 * LR_EIO. */
static int try_exclusive(const char *path, int *fd) {
  *fd = open(path, O_RDWR | O_CLOEXEC);
  if (*fd < 0)
    return errno == ENOENT ? 0 : LR_EIO;
  int r;
  while ((r = flock(*fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
    ;
  if (r == 0)
    return 0;
  int busy = errno == EWOULDBLOCK;
  close(*fd);
  *fd = -1;
  return busy ? LR_EEXISTS : LR_EIO;
}

/* The generations of `root` into `gens` (unsigned long longs): the legacy
 * one when its data.mdb is there, and every gen-N folder. */
static void list_generations(const char *root, lr__buf *gens) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "data.mdb");
  unsigned long long gen = LR__GEN_LEGACY;
  if (lr__fs_exists(lr__buf_str(&path)))
    lr__buf_append(gens, &gen, sizeof gen);
  lr__buf_free(&path);
  DIR *d = opendir(root);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;)
    if ((gen = gen_number(e->d_name)) != 0)
      lr__buf_append(gens, &gen, sizeof gen);
  if (d)
    closedir(d);
}

/* try_exclusive on `path`, keeping the descriptor in `fds` (ints). */
static int hold_one(const char *path, lr__buf *fds) {
  int fd;
  int rc = try_exclusive(path, &fd);
  if (rc == 0 && fd >= 0) {
    lr__buf_append(fds, &fd, sizeof fd);
    if (lr__buf_failed(fds)) {
      close(fd);
      rc = LR_ENOMEM;
    }
  }
  return rc;
}

/* Takes the replicator lock and the in-use lock of every generation in
 * `gens`, keeping the descriptors in `fds`. */
static int hold_everything(const char *root, const lr__buf *gens,
                           lr__buf *fds, lr__buf *err) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "replicator.lock");
  int rc = hold_one(lr__buf_str(&path), fds);
  if (rc == LR_EEXISTS)
    lr__buf_printf(err, "`larder replicate` runs on this repo (it holds "
                   "%s): stop it first", lr__buf_str(&path));
  for (size_t i = 0; rc == 0 && i < gens->len / sizeof(unsigned long long);
       i++) {
    unsigned long long gen;
    memcpy(&gen, gens->data + i * sizeof gen, sizeof gen);
    in_use_path(&path, root, gen);
    rc = hold_one(lr__buf_str(&path), fds);
    if (rc == LR_EEXISTS)
      lr__buf_printf(err, "the online store at %s is open in another "
                     "process (a `larder serve`, a `larder replicate`, or a "
                     "command or program using it): stop it first, so that "
                     "none goes on reading removed files", root);
  }
  if (rc == LR_EIO)
    lr__buf_printf(err, "cannot lock %s: %s", lr__buf_str(&path),
                   strerror(errno));
  lr__buf_free(&path);
  return rc;
}

/* The files of the folder itself: the pointer, the locks, the replica's
 * status, and temporary copies of the replaced ones. */
static int is_root_file(const char *name) {
  static const char *const prefixes[] = {"CURRENT", "layout.lock",
                                         "replicator.lock", "replica.status"};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
      return 1;
  return 0;
}

/* Removes what lr__gen_teardown removes once everything is held: CURRENT
 * first (a store without it is a new, empty one), the generations (and
 * leftovers of deletions), the folder's files, the folder. Returns 1 when
 * the folder stays. */
static int remove_store(const char *root, const lr__buf *gens) {
  lr__buf path;
  lr__buf_init(&path);
  root_file(&path, root, "CURRENT");
  unlink(lr__buf_str(&path));
  for (size_t i = 0; i < gens->len / sizeof(unsigned long long); i++) {
    unsigned long long gen;
    memcpy(&gen, gens->data + i * sizeof gen, sizeof gen);
    remove_generation(root, gen);
  }
  DIR *d = opendir(root);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (remove_if_gone(root, e->d_name) || !is_root_file(e->d_name))
      continue;
    root_file(&path, root, e->d_name);
    unlink(lr__buf_str(&path));
  }
  if (d)
    closedir(d);
  lr__buf_free(&path);
  return rmdir(root) != 0;
}

int lr__gen_teardown(const char *root, int check_only, int *kept,
                     lr__buf *err) {
  *kept = 0;
  if (!lr__fs_is_dir(root))
    return LR_ENOTFOUND;
  int layout;
  int rc = lock_layout(root, LOCK_EX | LOCK_NB, &layout);
  if (rc == LR_EEXISTS)
    lr__buf_printf(err, "the online store at %s is being rebuilt by another "
                   "process (`larder compact`, an upgrade or a snapshot "
                   "install): try again once it is done", root);
  else if (rc)
    lr__buf_printf(err, "cannot lock %s/layout.lock: %s", root,
                   strerror(errno));
  if (rc)
    return rc;
  lr__buf gens, fds;
  lr__buf_init(&gens);
  lr__buf_init(&fds);
  list_generations(root, &gens);
  rc = hold_everything(root, &gens, &fds, err);
  if (rc == 0 && !check_only)
    *kept = remove_store(root, &gens);
  for (size_t i = 0; i < fds.len / sizeof(int); i++) {
    int fd;
    memcpy(&fd, fds.data + i * sizeof fd, sizeof fd);
    close(fd);
  }
  if (rc == 0 && !check_only)
    close(layout); /* nothing is left to sweep (a sweep would make
                      layout.lock again in a folder kept) */
  else
    lr__gen_unlock(root, layout);
  lr__buf_free(&gens);
  lr__buf_free(&fds);
  return rc;
}

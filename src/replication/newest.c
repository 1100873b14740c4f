/*
 * newest.c - the newest snapshot of a folder, for a caller that asks every
 * round (snapshot.h, lr__snapshot_newest): LATEST and the MANIFEST it
 * names are read and parsed again only when a stat of either shows
 * another file, so a shipper with nothing new to look at pays two stats a
 * round instead of two reads and a JSON parse.
 */
#include <string.h>

#include "../util/fs.h"
#include "snapshot.h"

/* stat of `dir`/`name`, or of `dir`/`sub`/`name` when `sub` is given. */
static int stat_in(const char *dir, const char *sub, const char *name,
                   struct stat *st) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, dir, sub ? sub : name);
  if (sub)
    lr__buf_printf(&path, "/%s", name);
  int rc = stat(lr__buf_str(&path), st);
  lr__buf_free(&path);
  return rc;
}

/* Whether two stats are of the same unchanged file. */
static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
         a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
         a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Whether LATEST and the MANIFEST `seen` names are still those files
 * (`now` gets LATEST's stat either way). */
static int unchanged(const char *dir, const lr__snapshot_seen *seen,
                     lr__snapshot_seen *now) {
  int latest = stat_in(dir, NULL, "LATEST", &now->latest) == 0;
  now->valid = latest;
  return latest && seen->valid && same_file(&now->latest, &seen->latest) &&
         stat_in(dir, seen->name, "MANIFEST", &now->manifest) == 0 &&
         same_file(&now->manifest, &seen->manifest);
}

int lr__snapshot_newest(const char *dir, lr__snapshot_seen *seen,
                        unsigned long long *seq, unsigned long long *epoch) {
  lr__snapshot_seen now = {0};
  if (unchanged(dir, seen, &now)) {
    *seq = seen->seq;
    if (epoch)
      *epoch = seen->epoch;
    return 1;
  }
  lr__manifest m = {0};
  lr__buf ignored;
  lr__buf_init(&ignored);
  int found = lr__snapshot_latest(dir, &m, &ignored) == 0;
  *seq = found ? m.seq : 0;
  if (epoch)
    *epoch = found ? m.epoch : 0;
  seen->valid = now.valid && found && strlen(m.name) < sizeof seen->name &&
                stat_in(dir, m.name, "MANIFEST", &now.manifest) == 0;
  if (seen->valid) {
    seen->latest = now.latest;
    seen->manifest = now.manifest;
    strcpy(seen->name, m.name);
    seen->seq = m.seq;
    seen->epoch = m.epoch;
  }
  lr__buf_free(&ignored);
  lr__manifest_free(&m);
  return found;
}

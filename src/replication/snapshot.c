/*
 * snapshot.c - a primary's live generation published to a snapshot folder,
 * and a snapshot installed into a replica (snapshot.h; the steps and what
 * each failure leaves are in docs/internals/replication.md, "Snapshots").
 *
 * The online layer does what needs a store's insides (online/copy.h: the
 * consistent copy, reading it, bringing it in as a generation); this file
 * does the files: the temporary folder, checksums, the manifest, the
 * rename into place, LATEST and pruning, and on the replica the checked
 * copy out of the snapshot. Publishers of one folder take turns on its
 * publish.lock, so a publisher can delete what one that died left.
 */
#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../online/copy.h"
#include "../registry/registry.h"
#include "../util/fs.h"
#include "../util/sha256.h"
#include "../util/timefmt.h"
#include "manifest.h"
#include "snapfile.h"

/* How every message about a snapshot a replica cannot use ends. */
#define KEEPS "the replica keeps serving what it had"
#define REPUBLISH "publish again on the primary (`larder publish`)"

/* The prefix of a publish's temporary folder. */
#define TMP_PREFIX ".tmp-"

/* ---- files -------------------------------------------------------------- */

static void sha_hex(const void *data, size_t len, char hex[65]) {
  lr__sha256 s;
  uint8_t d[32];
  lr__sha256_init(&s);
  lr__sha256_update(&s, data, len);
  lr__sha256_final(&s, d);
  lr__hex_encode(d, sizeof d, hex);
}

/* Checks a file's size and sha256 against its entry in the manifest of
 * snapshot `snap`. */
static int check_file(const char *snap, const lr__snapshot_file *f,
                      unsigned long long size, const char *sha,
                      lr__buf *err) {
  if (size != f->size)
    lr__buf_printf(err, "snapshot %s: %s has %llu bytes, its manifest says "
                   "%llu; " KEEPS "; " REPUBLISH, snap, f->name, size,
                   f->size);
  else if (strcmp(sha, f->sha256) != 0)
    lr__buf_printf(err, "snapshot %s: %s has sha256 %s, its manifest says "
                   "%s; " KEEPS "; " REPUBLISH, snap, f->name, sha,
                   f->sha256);
  else
    return 0;
  return LR_ECORRUPT;
}

/* ---- the snapshot folder ------------------------------------------------ */

/* The message of a snapshot folder that cannot be written, and its fix. */
static int not_writable(const char *dir, const char *why, lr__buf *err) {
  lr__buf_printf(err, "cannot publish a snapshot into %s (%s); make the "
                 "folder writable by the user running larder, or set "
                 "replication.snapshots to another folder", dir, why);
  return LR_EIO;
}

/* Creates `dir` if missing and takes its publish lock (*fd). */
static int open_dir(const char *dir, int *fd, lr__buf *err) {
  lr__buf why, path;
  lr__buf_init(&why);
  lr__buf_init(&path);
  int rc = lr__fs_mkdirs(dir, &why);
  lr__fs_join(&path, dir, "publish.lock");
  *fd = rc ? -1 : open(lr__buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (rc == 0 && *fd < 0)
    lr__buf_printf(&why, "cannot create %s: %s", lr__buf_str(&path),
                   strerror(errno));
  while (*fd >= 0 && flock(*fd, LOCK_EX) != 0 && errno == EINTR)
    ;
  if (rc || *fd < 0)
    rc = not_writable(dir, lr__buf_str(&why), err);
  lr__buf_free(&why);
  lr__buf_free(&path);
  return rc;
}

/* A snapshot folder's name and version. */
typedef struct snap_entry {
  char name[48];
  unsigned long long g, s;
} snap_entry;

/* Newest first: by generation, then sequence number. */
static int newer_first(const void *a, const void *b) {
  const snap_entry *x = a, *y = b;
  if (x->g != y->g)
    return x->g < y->g ? 1 : -1;
  return x->s < y->s ? 1 : x->s > y->s ? -1 : 0;
}

/* The snapshots in `dir`, newest first (a heap list; *n of them). Also
 * removes the temporary folders of publishers that died (the caller holds
 * the publish lock, so none is under way). */
static snap_entry *list_snapshots(const char *dir, int *n) {
  snap_entry *list = NULL;
  int cap = 0;
  *n = 0;
  DIR *d = opendir(dir);
  lr__buf path;
  lr__buf_init(&path);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    snap_entry it;
    size_t len = strlen(e->d_name);
    if (!strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX))) {
      lr__buf_reset(&path);
      lr__fs_join(&path, dir, e->d_name);
      lr__fs_remove_flat(lr__buf_str(&path));
    }
    if (len >= sizeof it.name ||
        !lr__snapshot_name_parse(e->d_name, len, &it.g, &it.s))
      continue;
    memcpy(it.name, e->d_name, len + 1);
    if (*n == cap) {
      snap_entry *grown = realloc(list, (size_t)(cap = cap ? cap * 2 : 8) *
                                            sizeof *grown);
      if (!grown)
        break;
      list = grown;
    }
    list[(*n)++] = it;
  }
  if (d)
    closedir(d);
  lr__buf_free(&path);
  if (*n)
    qsort(list, (size_t)*n, sizeof *list, newer_first);
  return list;
}

/* Points LATEST at the newest snapshot and deletes all but the newest
 * `keep`, in that order: LATEST never names a folder that is gone. */
static int point_latest(const char *dir, int keep, lr__buf *err) {
  int n;
  snap_entry *list = list_snapshots(dir, &n);
  lr__buf path, text;
  lr__buf_init(&path);
  lr__buf_init(&text);
  lr__fs_join(&path, dir, "LATEST");
  int rc = 0;
  if (n) {
    lr__buf_printf(&text, "%s\n", list[0].name);
    rc = lr__fs_write_atomic(lr__buf_str(&path), text.data, text.len, err);
  }
  for (int i = keep; rc == 0 && i < n; i++) {
    lr__buf_reset(&path);
    lr__fs_join(&path, dir, list[i].name);
    lr__fs_remove_flat(lr__buf_str(&path)); /* a failure only keeps it */
  }
  lr__buf_free(&path);
  lr__buf_free(&text);
  free(list);
  return rc;
}

/* ---- publishing --------------------------------------------------------- */

/* The copy of the live generation in `tmp` and what it holds: the
 * version, the views, and data.mdb's entry (the first of m's two). */
static int copy_data(lr_store *store, const char *tmp, lr__manifest *m,
                     lr__buf *err) {
  lr__buf path, name;
  lr__buf_init(&path);
  lr__buf_init(&name);
  lr__fs_join(&path, tmp, LR__SNAPSHOT_DATA);
  unsigned long long gen;
  lr__copy_info info = {{0}, NULL, 0};
  int rc = lr__copy_live(store, lr__buf_str(&path), &gen, err);
  if (rc == 0)
    rc = lr__copy_read(lr__buf_str(&path), gen, &info, NULL, err);
  m->generation = info.pos.generation;
  m->seq = info.pos.seq;
  m->epoch = info.pos.epoch;
  memcpy(m->chain, info.pos.chain, sizeof m->chain);
  m->views = info.views; /* the manifest owns them now */
  m->n_views = info.n_views;
  lr__buf_printf(&name, "snap-%llu-%llu", m->generation, m->seq);
  m->name = lr__buf_steal(&name);
  m->files = calloc(2, sizeof *m->files);
  m->n_files = m->files ? 2 : 0;
  if (rc == 0 && (!m->name || !m->files || !(m->files[0].name =
                                                 strdup(LR__SNAPSHOT_DATA))))
    rc = LR_ENOMEM;
  lr__buf why;
  lr__buf_init(&why);
  if (rc == 0 && lr__snapfile_hash(lr__buf_str(&path), m->files[0].sha256,
                                   &m->files[0].size, &why) != 0)
    rc = lr__errmsg_set(err, LR_EIO, "%s", lr__buf_str(&why));
  lr__buf_free(&why);
  lr__buf_free(&path);
  return rc;
}

/* The registry file into `tmp` and its entries in `m`. */
static int copy_registry(const char *registry_path, const char *tmp,
                         lr__manifest *m, lr__buf *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = lr__fs_read_file(registry_path, &data, &len, err);
  if (rc == 0)
    rc = lr__registry_image_version(data, len, &m->registry_version, err);
  lr__snapshot_file *f = &m->files[1];
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, tmp, LR__SNAPSHOT_REGISTRY);
  if (rc == 0)
    rc = lr__fs_write_atomic(lr__buf_str(&path), data, len, err);
  if (rc == 0 && !(f->name = strdup(LR__SNAPSHOT_REGISTRY)))
    rc = LR_ENOMEM;
  if (rc == 0) {
    f->size = len;
    sha_hex(data, len, f->sha256);
    memcpy(m->registry_sha256, f->sha256, sizeof f->sha256);
  }
  lr__buf_free(&path);
  free(data);
  return rc;
}

/* 1 when `a` and `b` describe the same contents. */
static int same_contents(const lr__manifest *a, const lr__manifest *b) {
  if (a->generation != b->generation || a->seq != b->seq ||
      a->epoch != b->epoch || memcmp(a->chain, b->chain, sizeof a->chain) ||
      a->n_views != b->n_views)
    return 0;
  for (int i = 0; i < a->n_views; i++)
    if (strcmp(a->views[i].name, b->views[i].name) ||
        !lr__digest_equal(&a->views[i].digest, &b->views[i].digest))
      return 0;
  return 1;
}

/* A snapshot named m->name is in `dir` already: it replaces *m when it
 * holds the same contents (a snapshot at that version was published);
 * otherwise the version did not move with the writes, and nothing is
 * published. */
static int take_existing(const char *dir, lr__manifest *m, lr__buf *err) {
  lr__manifest old;
  int rc = lr__manifest_read(dir, m->name, &old, err);
  if (rc == 0 && !same_contents(&old, m)) {
    lr__buf_printf(err, "%s/%s was published with other contents at the "
                   "same version %llu.%llu: the store's version did not move "
                   "with its writes (a writer that does not count them, or "
                   "version records set back); nothing was published", dir,
                   m->name, m->generation, m->seq);
    rc = LR_EEXISTS;
  }
  lr__manifest_free(rc ? &old : m);
  if (rc == 0)
    *m = old;
  return rc;
}

/* Writes the MANIFEST (last) and renames `tmp` to DIR/NAME. */
static int seal(const char *tmp, const char *dir, lr__manifest *m,
                lr__buf *err) {
  lr__buf text, path, final;
  lr__buf_init(&text);
  lr__buf_init(&path);
  lr__buf_init(&final);
  lr__manifest_format(m, &text);
  lr__fs_join(&path, tmp, "MANIFEST");
  lr__fs_join(&final, dir, m->name);
  int rc = lr__buf_failed(&text) ? LR_ENOMEM
           : lr__fs_write_atomic(lr__buf_str(&path), text.data, text.len, err);
  if (rc == 0 && rename(tmp, lr__buf_str(&final)) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) /* published meanwhile */
      rc = take_existing(dir, m, err);
    else
      rc = lr__errmsg_set(err, LR_EIO, "cannot rename %s to %s: %s", tmp,
                          lr__buf_str(&final), strerror(errno));
  }
  if (rc == 0 && lr__fs_sync_parent(lr__buf_str(&final)) != 0)
    rc = lr__errmsg_set(err, LR_EIO, "cannot sync %s: %s", dir,
                        strerror(errno));
  lr__buf_free(&text);
  lr__buf_free(&path);
  lr__buf_free(&final);
  return rc;
}

/* Builds the snapshot in a temporary folder of `dir` and renames it into
 * place, or takes the one at that version already there. */
static int build(lr_store *store, const char *registry_path, const char *dir,
                 lr__manifest *m, lr__buf *err) {
  lr__buf tmp;
  lr__buf_init(&tmp);
  lr__fs_join(&tmp, dir, TMP_PREFIX "XXXXXX");
  if (lr__buf_failed(&tmp) || !mkdtemp(tmp.data)) {
    lr__buf why;
    lr__buf_init(&why);
    lr__buf_printf(&why, "cannot create %s: %s", lr__buf_str(&tmp),
                   strerror(errno));
    int rc = not_writable(dir, lr__buf_str(&why), err);
    lr__buf_free(&why);
    lr__buf_free(&tmp);
    return rc;
  }
  m->created_us = lr__time_now_us();
  int rc = copy_data(store, lr__buf_str(&tmp), m, err);
  lr__buf final;
  lr__buf_init(&final);
  lr__fs_join(&final, dir, m->name ? m->name : "");
  if (rc == 0 && lr__fs_exists(lr__buf_str(&final)))
    rc = take_existing(dir, m, err);
  else if (rc == 0 && (rc = copy_registry(registry_path, lr__buf_str(&tmp), m,
                                          err)) == 0)
    rc = seal(lr__buf_str(&tmp), dir, m, err);
  lr__fs_remove_flat(lr__buf_str(&tmp)); /* gone when it was renamed */
  lr__buf_free(&final);
  lr__buf_free(&tmp);
  return rc;
}

int lr__snapshot_publish(lr_store *store, const char *registry_path,
                         const char *dir, int keep, lr__manifest *out,
                         lr__buf *err) {
  lr__buf_reset(err);
  if (out)
    memset(out, 0, sizeof *out);
  if (!store || !registry_path || !dir || keep < 1)
    return lr__errmsg_set(err, LR_EINVAL, "publishing a snapshot needs a "
                          "store, a registry file, a folder and keep >= 1");
  int lock;
  int rc = open_dir(dir, &lock, err);
  if (rc)
    return rc;
  lr__manifest m;
  memset(&m, 0, sizeof m);
  rc = build(store, registry_path, dir, &m, err);
  if (rc == 0)
    rc = point_latest(dir, keep, err);
  close(lock); /* releases the flock */
  if (rc == 0 && out)
    *out = m;
  else
    lr__manifest_free(&m);
  return rc;
}

int lr__snapshot_latest(const char *dir, lr__manifest *out, lr__buf *err) {
  lr__buf_reset(err);
  if (!dir || !out)
    return lr__errmsg_set(err, LR_EINVAL, "no snapshot folder given");
  memset(out, 0, sizeof *out);
  lr__buf path, why;
  lr__buf_init(&path);
  lr__buf_init(&why);
  lr__fs_join(&path, dir, "LATEST");
  char *text = NULL;
  size_t len = 0;
  unsigned long long g, s;
  int rc = lr__fs_read_file(lr__buf_str(&path), &text, &len, &why);
  if (rc == LR_ENOTFOUND && !lr__fs_is_dir(dir))
    lr__buf_printf(err, "no snapshot in %s: the folder does not exist; "
                   "publish one on the primary (`larder publish`), or set "
                   "replication.snapshots to the folder it publishes to",
                   dir);
  else if (rc == LR_ENOTFOUND)
    lr__buf_printf(err, "no snapshot in %s yet (it has no LATEST); publish "
                   "one on the primary (`larder publish`)", dir);
  else if (rc == LR_EIO)
    lr__buf_printf(err, "%s; make %s and its files readable by the user "
                   "running larder", lr__buf_str(&why), dir);
  else if (rc)
    lr__buf_puts(err, lr__buf_str(&why));
  else if (len < 2 || text[len - 1] != '\n' ||
           !lr__snapshot_name_parse(text, len - 1, &g, &s))
    rc = lr__errmsg_set(err, LR_ECORRUPT, "%s is damaged: it must hold a "
                        "snapshot's name (snap-GENERATION-SEQ) and a newline; "
                        REPUBLISH, lr__buf_str(&path));
  if (rc == 0) {
    text[len - 1] = '\0';
    rc = lr__manifest_read(dir, text, out, err);
  }
  free(text);
  lr__buf_free(&path);
  lr__buf_free(&why);
  return rc;
}

/* ---- installing --------------------------------------------------------- */

/* The registry file of a snapshot, read and checked, for put_registry. */
typedef struct registry_copy {
  const char *path; /* where it goes: the replica's registry file */
  char *data;
  size_t len;
} registry_copy;

/* Reads SNAP/registry.db and checks it against the manifest. */
static int read_registry(const char *snap, const lr__manifest *m,
                         registry_copy *reg, lr__buf *err) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, snap, LR__SNAPSHOT_REGISTRY);
  lr__buf why;
  lr__buf_init(&why);
  int rc = lr__fs_read_file(lr__buf_str(&path), &reg->data, &reg->len, &why);
  if (rc)
    rc = lr__errmsg_set(err, rc == LR_ENOMEM ? rc : LR_EIO, "snapshot %s: "
                        "%s; " KEEPS, snap, lr__buf_str(&why));
  char sha[65];
  if (rc == 0) {
    sha_hex(reg->data, reg->len, sha);
    rc = check_file(snap, lr__manifest_file(m, LR__SNAPSHOT_REGISTRY),
                    reg->len, sha, err);
  }
  unsigned long long version = 0;
  lr__buf_reset(&why);
  if (rc == 0 && (lr__registry_image_version(reg->data, reg->len, &version,
                                             &why) != 0 ||
                  version != m->registry_version)) {
    lr__buf_printf(err, "snapshot %s: registry.db is version %llu (%s), its "
                   "manifest says %llu; " KEEPS "; " REPUBLISH, snap, version,
                   why.len ? lr__buf_str(&why) : "readable",
                   m->registry_version);
    rc = LR_ECORRUPT;
  }
  lr__buf_free(&why);
  lr__buf_free(&path);
  return rc;
}

/* lr__incoming_install's last step before the data goes live: the
 * registry file replaced atomically (a failure leaves it and the data as
 * they were). */
static int put_registry(void *ctx, lr__buf *err) {
  registry_copy *reg = ctx;
  return lr__fs_write_atomic(reg->path, reg->data, reg->len, err);
}

/* Copies SNAP/data.mdb into the incoming generation, checking it. */
static int copy_in(const char *snap, const lr__manifest *m,
                   const lr__incoming *in, lr__buf *err) {
  lr__buf from, why;
  lr__buf_init(&from);
  lr__buf_init(&why);
  lr__fs_join(&from, snap, LR__SNAPSHOT_DATA);
  char sha[65];
  unsigned long long size;
  int full;
  int rc = lr__snapfile_copy(lr__buf_str(&from), in->path, sha, &size, &full,
                             &why);
  if (rc && full)
    lr__buf_printf(err, "snapshot %s: the disk is full (%s); free some space "
                   "on the replica and install again; " KEEPS, snap,
                   lr__buf_str(&why));
  else if (rc)
    lr__buf_printf(err, "snapshot %s: %s; " KEEPS, snap, lr__buf_str(&why));
  else
    rc = check_file(snap, lr__manifest_file(m, LR__SNAPSHOT_DATA), size, sha,
                    err);
  lr__buf_free(&from);
  lr__buf_free(&why);
  return rc;
}

/* The copied data file into the store: checked, then made live. */
static int install_data(lr_store *store, const char *snap,
                        const lr__manifest *m, registry_copy *reg,
                        lr__buf *err) {
  lr__incoming in;
  int rc = lr__incoming_begin(store, &in, err);
  if (rc == 0)
    rc = copy_in(snap, m, &in, err);
  lr__copy_info want = {{m->generation, m->seq, m->epoch, {0}}, m->views,
                        m->n_views};
  memcpy(want.pos.chain, m->chain, sizeof want.pos.chain);
  lr__buf what;
  lr__buf_init(&what);
  lr__buf_printf(&what, "snapshot %s: " LR__SNAPSHOT_DATA, snap);
  if (rc == 0) {
    rc = lr__incoming_install(store, &in, &want, lr__buf_str(&what),
                              put_registry, reg, err);
    if (rc == LR_ECORRUPT)
      lr__buf_puts(err, "; " KEEPS "; " REPUBLISH);
  }
  lr__incoming_end(store, &in);
  lr__buf_free(&what);
  return rc;
}

int lr__snapshot_install(lr_store *store, const char *registry_path,
                         const char *dir, const lr__manifest *m,
                         lr__buf *err) {
  lr__buf_reset(err);
  if (!store || !registry_path || !dir || !m || !m->name ||
      !lr__manifest_file(m, LR__SNAPSHOT_DATA) ||
      !lr__manifest_file(m, LR__SNAPSHOT_REGISTRY))
    return lr__errmsg_set(err, LR_EINVAL, "installing a snapshot needs a "
                          "store, a registry file, a folder and a manifest "
                          "that lists data.mdb and registry.db");
  lr__buf snap;
  lr__buf_init(&snap);
  lr__fs_join(&snap, dir, m->name);
  registry_copy reg = {registry_path, NULL, 0};
  int rc = 0;
  if (!lr__fs_is_dir(lr__buf_str(&snap)))
    rc = lr__errmsg_set(err, LR_ENOTFOUND, "snapshot %s is gone (a newer one "
                        "replaced it); read LATEST again and install that "
                        "one; " KEEPS, lr__buf_str(&snap));
  if (rc == 0)
    rc = read_registry(lr__buf_str(&snap), m, &reg, err);
  if (rc == 0)
    rc = install_data(store, lr__buf_str(&snap), m, &reg, err);
  free(reg.data);
  lr__buf_free(&snap);
  return rc;
}

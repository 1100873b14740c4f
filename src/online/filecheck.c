/*
 * filecheck.c - checking an LMDB data file with pread before LMDB maps it
 * (see filecheck.h). The structures below are LMDB 0.9's on-disk format
 * (mdb.c: MDB_page, MDB_meta, MDB_db, MDB_node) on a 64-bit host: the same
 * compiler lays them out the same way, which the static asserts pin down.
 */
#include "filecheck.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "larder.h"

#define MDB_MAGIC 0xBEEFC0DEu
#define MDB_DATA_VERSION 1u
#define MDB_P_INVALID UINT64_MAX

enum {
  P_BRANCH = 0x01,
  P_LEAF = 0x02,
  P_META = 0x08,
  F_SUBDATA = 0x02,  /* a node of the main database naming a database */
  NODE_HEADER = 8,   /* mn_lo, mn_hi, mn_flags, mn_ksize */
  MIN_PSIZE = 512,   /* LMDB uses the OS page size; these bound any */
  MAX_PSIZE = 65536, /* build of it */
};

/* MDB_page's header: the page's number, flags and free-space bounds. */
typedef struct {
  uint64_t pgno;
  uint16_t pad, flags, lower, upper;
} mdb_page_hdr;

/* MDB_db: one B-tree. */
typedef struct {
  uint32_t pad; /* in the free database's record: the page size */
  uint16_t flags, depth;
  uint64_t branch_pages, leaf_pages, overflow_pages, entries, root;
} mdb_db;

/* MDB_meta, after the page header of pages 0 and 1. */
typedef struct {
  uint32_t magic, version;
  uint64_t address, mapsize;
  mdb_db dbs[2]; /* the free database, the main database */
  uint64_t last_pg, txnid;
} mdb_meta;

_Static_assert(sizeof(mdb_page_hdr) == 16, "LMDB's PAGEHDRSZ");
_Static_assert(sizeof(mdb_db) == 48, "LMDB's MDB_db");
_Static_assert(sizeof(mdb_meta) == 136, "LMDB's MDB_meta");

/* The file being checked and what its meta says. */
typedef struct {
  int fd;
  const char *path;
  uint64_t size;
  mdb_meta meta;
  uint8_t *page; /* one page, for the main database's root */
  lr__buf *err;
} fcheck;

/* Writes "the data file ... is damaged: WHY; FIX" and returns ECORRUPT. */
__attribute__((format(printf, 2, 3))) static int
damaged(fcheck *fc, const char *why, ...) {
  lr__buf_printf(fc->err, "the online store's data file %s is damaged: ",
                 fc->path);
  va_list ap;
  va_start(ap, why);
  lr__buf_vprintf(fc->err, why, ap);
  va_end(ap);
  lr__buf_puts(fc->err, "; restore it from a copy, or delete the online "
                        "store folder and run `larder materialize` again");
  return LR_ECORRUPT;
}

/* Reads `n` bytes at `off`; 1 when all were read. */
static int read_at(fcheck *fc, uint64_t off, void *buf, size_t n) {
  if (off > fc->size || n > fc->size - off)
    return 0;
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fc->fd, (char *)buf + done, n - done,
                      (off_t)(off + done));
    if (r <= 0 && !(r < 0 && errno == EINTR))
      return 0;
    done += r > 0 ? (size_t)r : 0;
  }
  return 1;
}

/* Reads meta page `i` (at `off`) into `m`; returns 0 or ECORRUPT. */
static int read_meta(fcheck *fc, int i, uint64_t off, mdb_meta *m) {
  struct {
    mdb_page_hdr h;
    mdb_meta m;
  } page;
  if (!read_at(fc, off, &page, sizeof page))
    return damaged(fc, "it is %llu bytes, too short for meta page %d",
                   (unsigned long long)fc->size, i);
  if (!(page.h.flags & P_META) || page.m.magic != MDB_MAGIC)
    return damaged(fc, "meta page %d is not an LMDB meta page", i);
  if (page.m.version != MDB_DATA_VERSION)
    return damaged(fc, "meta page %d has format %u, not LMDB's %u", i,
                   page.m.version, MDB_DATA_VERSION);
  uint32_t psize = page.m.dbs[0].pad;
  if (psize < MIN_PSIZE || psize > MAX_PSIZE || (psize & (psize - 1)))
    return damaged(fc, "meta page %d gives a page size of %u", i, psize);
  *m = page.m;
  return 0;
}

/* Checks that `root` of database `what` is a tree page within the file
 * (no database: P_INVALID); `hdr` gets its header. */
static int check_root(fcheck *fc, const char *what, uint64_t root,
                      mdb_page_hdr *hdr) {
  uint64_t psize = fc->meta.dbs[0].pad;
  if (root == MDB_P_INVALID)
    return 0;
  if (root < 2 || root > fc->meta.last_pg)
    return damaged(fc, "the root page %llu of %s is outside pages 2..%llu",
                   (unsigned long long)root, what,
                   (unsigned long long)fc->meta.last_pg);
  if (!read_at(fc, root * psize, hdr, sizeof *hdr) || hdr->pgno != root ||
      !(hdr->flags & (P_BRANCH | P_LEAF)))
    return damaged(fc, "the root page %llu of %s is not a tree page",
                   (unsigned long long)root, what);
  return 0;
}

/* Checks the roots of the named databases recorded in the main database's
 * root page, when that page is a leaf (a handful of views: the usual
 * case; a deeper main tree is left to LMDB). */
static int check_named_roots(fcheck *fc, const mdb_page_hdr *main_hdr) {
  uint32_t psize = fc->meta.dbs[0].pad;
  uint64_t root = fc->meta.dbs[1].root;
  if (!(main_hdr->flags & P_LEAF) ||
      !read_at(fc, root * psize, fc->page, psize))
    return 0;
  if (main_hdr->lower < sizeof *main_hdr || main_hdr->lower > psize)
    return damaged(fc, "the main database's root page %llu is inconsistent",
                   (unsigned long long)root);
  int n = (main_hdr->lower - (int)sizeof *main_hdr) / 2;
  for (int i = 0; i < n; i++) {
    uint16_t at, flags, ksize;
    memcpy(&at, fc->page + sizeof *main_hdr + 2 * (size_t)i, 2);
    if ((size_t)at + NODE_HEADER > psize)
      return damaged(fc, "the main database's root page %llu is "
                         "inconsistent", (unsigned long long)root);
    memcpy(&flags, fc->page + at + 4, 2);
    memcpy(&ksize, fc->page + at + 6, 2);
    mdb_db db;
    if (!(flags & F_SUBDATA))
      continue;
    if ((size_t)at + NODE_HEADER + ksize + sizeof db > psize)
      return damaged(fc, "the main database's root page %llu is "
                         "inconsistent", (unsigned long long)root);
    memcpy(&db, fc->page + at + NODE_HEADER + ksize, sizeof db);
    mdb_page_hdr hdr;
    int rc = check_root(fc, "a named database", db.root, &hdr);
    if (rc)
      return rc;
  }
  return 0;
}

/* The checks once both meta pages were read and the latest chosen. */
static int check_meta(fcheck *fc) {
  const mdb_meta *m = &fc->meta;
  uint64_t psize = m->dbs[0].pad;
  if (m->last_pg < 1 || m->last_pg >= UINT64_MAX / psize)
    return damaged(fc, "its last page number %llu is impossible",
                   (unsigned long long)m->last_pg);
  uint64_t need = (m->last_pg + 1) * psize;
  if (fc->size < need)
    return damaged(fc, "it is %llu bytes but its last transaction needs "
                       "%llu", (unsigned long long)fc->size,
                   (unsigned long long)need);
  mdb_page_hdr free_hdr = {0}, main_hdr = {0};
  int rc = check_root(fc, "the free-page database", m->dbs[0].root,
                      &free_hdr);
  if (!rc)
    rc = check_root(fc, "the main database", m->dbs[1].root, &main_hdr);
  if (!rc && m->dbs[1].root != MDB_P_INVALID) {
    fc->page = malloc(psize);
    rc = fc->page ? check_named_roots(fc, &main_hdr) : LR_ENOMEM;
  }
  return rc;
}

int lr__mdb_file_check(const char *data_mdb_path, lr__buf *err) {
  fcheck fc = {.path = data_mdb_path, .err = err};
  fc.fd = open(data_mdb_path, O_RDONLY | O_CLOEXEC);
  if (fc.fd < 0 && errno == ENOENT)
    return 0; /* a store never written */
  struct stat st;
  if (fc.fd < 0 || fstat(fc.fd, &st) != 0) {
    lr__buf_printf(err, "cannot read the online store's data file %s: %s",
                   data_mdb_path, strerror(errno));
    if (fc.fd >= 0)
      close(fc.fd);
    return LR_EIO;
  }
  fc.size = (uint64_t)st.st_size;
  mdb_meta m0 = {0}, m1 = {0};
  int rc = 0;
  if (fc.size > 0) {
    rc = read_meta(&fc, 0, 0, &m0);
    if (!rc)
      rc = read_meta(&fc, 1, m0.dbs[0].pad, &m1);
    if (!rc) {
      fc.meta = m1.txnid > m0.txnid ? m1 : m0; /* as LMDB picks */
      rc = check_meta(&fc);
    }
  }
  free(fc.page);
  close(fc.fd);
  return rc;
}

int lr__mdb_file_pad(MDB_env *env) {
  MDB_txn *txn;
  int fd, rc = mdb_txn_begin(env, NULL, 0, &txn);
  if (rc)
    return rc;
  MDB_envinfo info;
  MDB_stat mst;
  struct stat st;
  if (mdb_env_get_fd(env, &fd) || mdb_env_info(env, &info) ||
      mdb_env_stat(env, &mst) || fstat(fd, &st))
    rc = EIO;
  off_t want = rc ? 0 : (off_t)(info.me_last_pgno + 1) * mst.ms_psize +
                            (off_t)LR__MDB_TAIL_MARGIN;
  if (!rc && st.st_size < want && ftruncate(fd, want) != 0)
    rc = errno;
  mdb_txn_abort(txn);
  return rc;
}

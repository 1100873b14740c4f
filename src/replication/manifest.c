/*
 * manifest.c - a snapshot's MANIFEST written and read back (manifest.h).
 * Reading is strict, member by member: a replica acts on what a manifest
 * says (which files to trust, which digests to expect), so anything that
 * is not exactly a manifest of this format is refused, and the message
 * names the file and the member.
 */
#include "manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/arena.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/sha256.h"

void lr__manifest_free(lr__manifest *m) {
  if (!m)
    return;
  free(m->name);
  for (int i = 0; i < m->n_views; i++)
    free(m->views[i].name);
  free(m->views);
  for (int i = 0; i < m->n_files; i++)
    free(m->files[i].name);
  free(m->files);
  memset(m, 0, sizeof *m);
}

const lr__snapshot_file *lr__manifest_file(const lr__manifest *m,
                                           const char *name) {
  for (int i = 0; i < m->n_files; i++)
    if (strcmp(m->files[i].name, name) == 0)
      return &m->files[i];
  return NULL;
}

/* Reads decimal digits (at least one, no overflow) from text[*at]. */
static int parse_u64(const char *text, size_t len, size_t *at,
                     unsigned long long *out) {
  size_t start = *at;
  unsigned long long v = 0;
  for (; *at < len && text[*at] >= '0' && text[*at] <= '9'; (*at)++) {
    unsigned d = (unsigned)(text[*at] - '0');
    if (v > (~0ull - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  *out = v;
  return *at > start;
}

int lr__snapshot_name_parse(const char *text, size_t len,
                            unsigned long long *g, unsigned long long *s) {
  size_t at = 5;
  return len > 5 && memcmp(text, "snap-", 5) == 0 &&
         parse_u64(text, len, &at, g) && at < len && text[at++] == '-' &&
         parse_u64(text, len, &at, s) && at == len;
}

/* ---- writing ------------------------------------------------------------ */

static void put_hex(lr__buf *out, const void *data, size_t n) {
  char hex[65];
  lr__hex_encode(data, n, hex);
  lr__buf_printf(out, "\"%s\"", hex);
}

void lr__manifest_format(const lr__manifest *m, lr__buf *out) {
  lr__buf_printf(out, "{\n  \"format\": %d,\n  \"name\": ",
                 LR__SNAPSHOT_FORMAT);
  lr__buf_json_str(out, m->name);
  lr__buf_printf(out, ",\n  \"generation\": %llu,\n  \"seq\": %llu,\n"
                 "  \"epoch\": %llu,\n  \"chain\": ", m->generation, m->seq,
                 m->epoch);
  put_hex(out, m->chain, sizeof m->chain);
  lr__buf_printf(out, ",\n  \"created_us\": %lld,\n  \"registry\": "
                 "{\"version\": %llu, \"sha256\": \"%s\"},\n  \"views\": [",
                 m->created_us, m->registry_version, m->registry_sha256);
  for (int i = 0; i < m->n_views; i++) {
    char hex[33];
    lr__digest_hex(&m->views[i].digest, hex);
    lr__buf_puts(out, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
    lr__buf_json_str(out, m->views[i].name);
    lr__buf_printf(out, ", \"rows\": %llu, \"digest\": \"%s\"}",
                   (unsigned long long)m->views[i].digest.rows, hex);
  }
  lr__buf_puts(out, m->n_views ? "\n  ],\n  \"files\": [" : "],\n  \"files\": [");
  for (int i = 0; i < m->n_files; i++) {
    lr__buf_puts(out, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
    lr__buf_json_str(out, m->files[i].name);
    lr__buf_printf(out, ", \"size\": %llu, \"sha256\": \"%s\"}",
                   m->files[i].size, m->files[i].sha256);
  }
  lr__buf_puts(out, "\n  ]\n}\n");
}

/* ---- reading ------------------------------------------------------------ */

/* Where a read is: the file, and the first thing found wrong. */
typedef struct mreader {
  const char *path;
  lr__buf *err;
  int rc;
} mreader;

/* Notes that `member` is not `what` (the first failure only). */
static void bad(mreader *R, const char *member, const char *what) {
  if (R->rc)
    return;
  lr__buf_printf(R->err, "%s is damaged: \"%s\" %s; publish a new snapshot on "
                 "the primary (`larder publish`)", R->path, member, what);
  R->rc = LR_ECORRUPT;
}

/* obj[member] when it is of `kind`; NULL (noted) otherwise. */
static const lr__jnode *member_of(mreader *R, const lr__jnode *obj,
                                  const char *member, lr__jkind kind,
                                  const char *what) {
  const lr__jnode *n = lr__json_get(obj, member);
  if (!n || n->kind != kind) {
    bad(R, member, n ? what : "is missing");
    return NULL;
  }
  return n;
}

static unsigned long long get_u64(mreader *R, const lr__jnode *obj,
                                  const char *member) {
  const char *what = "must be a whole number";
  const lr__jnode *n = member_of(R, obj, member, LR__J_NUMBER, what);
  unsigned long long v = 0;
  size_t at = 0;
  if (n && (!parse_u64(n->text, n->len, &at, &v) || at != n->len))
    bad(R, member, what);
  return v;
}

/* obj[member], a string, copied to the heap (NULL when noted). */
static char *get_str(mreader *R, const lr__jnode *obj, const char *member) {
  const lr__jnode *n = member_of(R, obj, member, LR__J_STRING,
                                 "must be a string");
  char *s = n && n->len ? strdup(n->text) : NULL;
  if (n && !n->len)
    bad(R, member, "is empty");
  else if (n && !s && !R->rc)
    R->rc = LR_ENOMEM;
  return s;
}

/* obj[member]: exactly 2n hex digits, into `out`. */
static void get_hex(mreader *R, const lr__jnode *obj, const char *member,
                    void *out, size_t n) {
  static const char *const what[] = {"must be 32 lowercase hex digits",
                                     "must be 64 lowercase hex digits"};
  const char *w = what[n == 32];
  const lr__jnode *node = member_of(R, obj, member, LR__J_STRING, w);
  if (node && lr__hex_decode(node->text, out, n) != 0)
    bad(R, member, w);
}

/* A digest's 32 hex digits, high half first (lr__digest_hex). */
static void get_digest(mreader *R, const lr__jnode *obj, lr__digest *d) {
  uint8_t b[16] = {0};
  get_hex(R, obj, "digest", b, sizeof b);
  d->sum[0] = d->sum[1] = 0;
  for (int i = 0; i < 8; i++) {
    d->sum[1] = d->sum[1] << 8 | b[i];
    d->sum[0] = d->sum[0] << 8 | b[8 + i];
  }
}

/* A SHA-256 member, kept as its (checked) hex text. */
static void get_sha(mreader *R, const lr__jnode *obj, char hex[65]) {
  uint8_t raw[32] = {0};
  get_hex(R, obj, "sha256", raw, sizeof raw);
  lr__hex_encode(raw, sizeof raw, hex);
}

/* The array obj[member] of objects, its length in *n (0 when noted). */
static const lr__jnode *get_list(mreader *R, const lr__jnode *obj,
                                 const char *member) {
  const lr__jnode *a = member_of(R, obj, member, LR__J_ARRAY,
                                 "must be a list");
  for (int i = 0; a && i < a->n; i++)
    if (a->items[i]->kind != LR__J_OBJECT) {
      bad(R, member, "must be a list of objects");
      return NULL;
    }
  return a;
}

static void read_views(mreader *R, const lr__jnode *root, lr__manifest *m) {
  const lr__jnode *a = get_list(R, root, "views");
  if (!a)
    return;
  m->views = calloc((size_t)a->n + 1, sizeof *m->views);
  if (!m->views && !R->rc)
    R->rc = LR_ENOMEM;
  for (int i = 0; !R->rc && i < a->n; i++, m->n_views++) {
    lr__snapshot_view *v = &m->views[i];
    v->name = get_str(R, a->items[i], "name");
    if (v->name && !strchr(v->name, '@'))
      bad(R, "name", "of a view must be VIEW@EPOCH");
    get_digest(R, a->items[i], &v->digest);
    v->digest.rows = get_u64(R, a->items[i], "rows");
  }
}

static void read_files(mreader *R, const lr__jnode *root, lr__manifest *m) {
  const lr__jnode *a = get_list(R, root, "files");
  if (!a)
    return;
  m->files = calloc((size_t)a->n + 1, sizeof *m->files);
  if (!m->files && !R->rc)
    R->rc = LR_ENOMEM;
  for (int i = 0; !R->rc && i < a->n; i++, m->n_files++) {
    lr__snapshot_file *f = &m->files[i];
    f->name = get_str(R, a->items[i], "name");
    f->size = get_u64(R, a->items[i], "size");
    get_sha(R, a->items[i], f->sha256);
    if (f->name && (strcmp(f->name, LR__SNAPSHOT_DATA) &&
                    strcmp(f->name, LR__SNAPSHOT_REGISTRY)))
      bad(R, "files", "names a file that is not data.mdb or registry.db");
    else if (f->name && lr__manifest_file(m, f->name)) /* an earlier one */
      bad(R, "files", "names a file twice");
  }
  if (!R->rc && (!lr__manifest_file(m, LR__SNAPSHOT_DATA) ||
                 !lr__manifest_file(m, LR__SNAPSHOT_REGISTRY)))
    bad(R, "files", "must list data.mdb and registry.db");
}

/* The members of the manifest's version and registry. */
static void read_version(mreader *R, const lr__jnode *root, lr__manifest *m,
                         const char *name) {
  m->name = get_str(R, root, "name");
  m->generation = get_u64(R, root, "generation");
  m->seq = get_u64(R, root, "seq");
  m->epoch = get_u64(R, root, "epoch");
  get_hex(R, root, "chain", m->chain, sizeof m->chain);
  m->created_us = (long long)get_u64(R, root, "created_us");
  unsigned long long g, s;
  if (m->name && (strcmp(m->name, name) ||
                  !lr__snapshot_name_parse(name, strlen(name), &g, &s) ||
                  g != m->generation || s != m->seq))
    bad(R, "name", "must be its folder's name, snap-GENERATION-SEQ");
  const lr__jnode *reg = member_of(R, root, "registry", LR__J_OBJECT,
                                   "must be an object");
  if (reg) {
    m->registry_version = get_u64(R, reg, "version");
    get_sha(R, reg, m->registry_sha256);
  }
}

/* Fills `m` from the manifest's tree. */
static void read_root(mreader *R, const lr__jnode *root, lr__manifest *m,
                      const char *name) {
  if (root->kind != LR__J_OBJECT) {
    lr__buf_printf(R->err, "%s is damaged: it is not a JSON object; publish "
                   "a new snapshot on the primary (`larder publish`)",
                   R->path);
    R->rc = LR_ECORRUPT;
    return;
  }
  unsigned long long format = get_u64(R, root, "format");
  if (!R->rc && format != LR__SNAPSHOT_FORMAT) {
    lr__buf_printf(R->err, "%s has format %llu; this Larder reads format "
                   "%d: upgrade Larder on this replica, or publish with "
                   "this version", R->path, format, LR__SNAPSHOT_FORMAT);
    R->rc = LR_EVERSION;
    return;
  }
  read_version(R, root, m, name);
  read_views(R, root, m);
  read_files(R, root, m);
  const lr__snapshot_file *reg = lr__manifest_file(m, LR__SNAPSHOT_REGISTRY);
  if (!R->rc && strcmp(reg->sha256, m->registry_sha256) != 0)
    bad(R, "registry", "has another sha256 than registry.db in \"files\"");
}

int lr__manifest_read(const char *dir, const char *name, lr__manifest *out,
                      lr__buf *err) {
  memset(out, 0, sizeof *out);
  lr__buf path;
  lr__buf_init(&path);
  lr__buf_printf(&path, "%s/%s/MANIFEST", dir, name);
  mreader R = {lr__buf_str(&path), err, 0};
  char *text = NULL;
  size_t len = 0;
  lr__buf why;
  lr__buf_init(&why);
  int rc = lr__fs_read_text(R.path, &text, &len, &why);
  if (rc == LR_EIO) /* there, but not for this user (or a read error) */
    lr__buf_printf(err, "%s; make %s/%s and its files readable by the user "
                   "running larder", lr__buf_str(&why), dir, name);
  else if (rc)
    lr__buf_printf(err, "%s; publish a new snapshot on the primary (`larder "
                   "publish`)", lr__buf_str(&why));
  if (rc && rc != LR_ENOMEM && rc != LR_EIO)
    rc = LR_ECORRUPT;
  lr__arena arena;
  lr__arena_init(&arena);
  lr__buf_reset(&why);
  const lr__jnode *root = rc ? NULL : lr__json_read(text, len, &arena, &why);
  if (!rc && !root) {
    lr__buf_printf(err, "%s is damaged: %s; publish a new snapshot on the "
                   "primary (`larder publish`)", R.path, lr__buf_str(&why));
    rc = LR_ECORRUPT;
  }
  if (root) {
    read_root(&R, root, out, name);
    rc = R.rc;
  }
  if (rc)
    lr__manifest_free(out);
  lr__arena_free(&arena);
  lr__buf_free(&why);
  free(text);
  lr__buf_free(&path);
  return rc;
}

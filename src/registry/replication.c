/*
 * replication.c - the `replication:` block of feature_store.yaml (see
 * replication.h).
 *
 * The rest of the file is lr__load_config's (load.c), which accepts the
 * block and leaves it alone: the config is loaded first, for its checks
 * and for the project a stream is named after; then the block is read
 * against its own table of field specs (fields.c), so that its unknown,
 * missing and malformed fields are reported at file:line:col in the words
 * every other setting uses. What is read lives in the loader's arena until
 * it is checked, then is copied into the caller's lr__replication.
 */
#include "replication.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/dtype.h"
#include "../util/fs.h"
#include "fields.h"
#include "larder.h"
#include "load.h"

/* The defaults and limits docs/repo-format.md states. */
enum { DEFAULT_KEEP_SNAPSHOTS = 3, DEFAULT_MAX_LAG_MS = 5000 };
#define DEFAULT_LOG_RETENTION 1000000LL
#define MIN_LOG_RETENTION 1000LL
#define LOG_SCHEME "redis://"

/* The block as read; strings in the loader's arena. */
typedef struct block {
  int present;
  lr__role role;
  const char *log, *stream, *snapshots;
  long long keep_snapshots, max_lag_ms, log_retention;
} block;

/* What one reading of feature_store.yaml fills. */
typedef struct reading {
  loader L;
  block b;
} reading;

static void read_role(loader *L, struct fy_node *value, void *obj,
                      const char *owner) {
  static const char *const roles[] = {"primary", "replica"};
  int i = lr__fields_choice(L, value, "role", owner, "role", "roles", roles,
                            2);
  if (i >= 0)
    ((block *)obj)->role = (lr__role)(LR__ROLE_PRIMARY + i);
}

/* 1 when `s` is a run of at least one digit up to `end`. */
static int digits(const char *s, const char *end) {
  if (s >= end)
    return 0;
  while (s < end && lr__is_digit((unsigned char)*s))
    s++;
  return s == end;
}

/* 1 when `url` has the form redis://HOST:PORT[/DB], loosely: a host (what
 * comes before the last colon, credentials included), a numeric port and
 * an optional numeric database. The log layer checks the rest. */
static int log_url_ok(const char *url) {
  if (strncmp(url, LOG_SCHEME, strlen(LOG_SCHEME)) != 0)
    return 0;
  const char *host = url + strlen(LOG_SCHEME);
  const char *slash = strchr(host, '/');
  const char *end = slash ? slash : host + strlen(host);
  const char *colon = memrchr(host, ':', (size_t)(end - host));
  return colon && colon > host && digits(colon + 1, end) &&
         (!slash || digits(slash + 1, slash + strlen(slash)));
}

static void read_log(loader *L, struct fy_node *value, void *obj,
                     const char *owner) {
  const char *s = lr__fields_scalar(L, value, "log", owner);
  if (s && log_url_ok(s))
    ((block *)obj)->log = lr__fields_str(L, s);
  else if (s)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write e.g. `log: " LOG_SCHEME "127.0.0.1:6379/0` (the /DB "
                 "part is optional)",
                 "'log' of %s must be a URL " LOG_SCHEME "HOST:PORT[/DB], "
                 "found '%s'", owner, s);
}

static void read_max_lag(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  lr__fields_duration(L, value, "max_lag", owner, "`500ms`, `5s` or `2m`",
                      &((block *)obj)->max_lag_ms);
}

static void read_keep_snapshots(loader *L, struct fy_node *value, void *obj,
                                const char *owner) {
  static const lr__count_rule rule = {"keep_snapshots", 1, INT_MAX,
                                      DEFAULT_KEEP_SNAPSHOTS};
  lr__fields_count(L, value, owner, &rule, &((block *)obj)->keep_snapshots);
}

static void read_log_retention(loader *L, struct fy_node *value, void *obj,
                               const char *owner) {
  static const lr__count_rule rule = {"log_retention", MIN_LOG_RETENTION,
                                      LLONG_MAX, DEFAULT_LOG_RETENTION};
  lr__fields_count(L, value, owner, &rule, &((block *)obj)->log_retention);
}

static const field_spec block_specs[] = {
    FIELD_FN("role", read_role, true),
    FIELD_FN("log", read_log, true),
    FIELD(block, "stream", FK_STRING, stream, false),
    FIELD(block, "snapshots", FK_STRING, snapshots, true),
    FIELD_FN("keep_snapshots", read_keep_snapshots, false),
    FIELD_FN("max_lag", read_max_lag, false),
    FIELD_FN("log_retention", read_log_retention, false),
};

/* Reads the block of one document of feature_store.yaml, if it has one (a
 * later document's fields override an earlier one's, as in load.c). */
static void each_document(struct fy_node *root, void *ctx) {
  reading *r = ctx;
  struct fy_node *node =
      root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "replication",
                                             sizeof "replication" - 1)
          : NULL;
  lr__loc loc;
  if (!node)
    return;
  r->b.present = 1;
  lr__fields_object(&r->L, node, "replication", NULL, block_specs,
                    N_SPECS(block_specs), &r->b, &loc);
}

/* `path` made absolute against the repo folder (an absolute one stays as
 * it is), in the heap; NULL when out of memory or the folder is gone. */
static char *absolute_path(const char *repo_dir, const char *path) {
  char *dir = realpath(repo_dir, NULL);
  if (!dir)
    return NULL;
  lr__buf out;
  lr__buf_init(&out);
  lr__fs_join(&out, dir, path);
  free(dir);
  return lr__buf_steal(&out);
}

/* The stream's key: the one given, or "larder:" PROJECT. */
static char *stream_key(const block *b, const char *project) {
  if (b->stream)
    return strdup(b->stream);
  lr__buf out;
  lr__buf_init(&out);
  lr__buf_printf(&out, "larder:%s", project);
  return lr__buf_steal(&out);
}

/* Copies the checked block `b` out of the arena into `out`. Returns 0,
 * LR_ENOTFOUND (the repo folder went away) or LR_ENOMEM. */
static int copy_out(const block *b, const char *project, const char *repo_dir,
                    lr__replication *out) {
  out->snapshots = absolute_path(repo_dir, b->snapshots);
  if (!out->snapshots)
    return errno == ENOMEM ? LR_ENOMEM : LR_ENOTFOUND;
  out->role = b->role;
  out->log = strdup(b->log);
  out->stream = stream_key(b, project);
  out->keep_snapshots = (int)b->keep_snapshots;
  out->max_lag_ms = b->max_lag_ms;
  out->log_retention = b->log_retention;
  if (out->log && out->stream)
    return 0;
  lr__replication_free(out);
  return LR_ENOMEM;
}

/* Reads the block of feature_store.yaml into `out`, `m` holding the config
 * lr__load_config read from it. */
static int read_block(lr__model *m, const char *repo_dir,
                      lr__replication *out, lr__diag *diag) {
  reading r = {.L = {.m = m, .diag = diag, .file = "feature_store.yaml"},
               .b = {.keep_snapshots = DEFAULT_KEEP_SNAPSHOTS,
                     .max_lag_ms = DEFAULT_MAX_LAG_MS,
                     .log_retention = DEFAULT_LOG_RETENTION}};
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, r.L.file);
  int before = diag->count;
  int rc = lr__yaml_read_file(lr__buf_str(&path), r.L.file, diag,
                              each_document, &r);
  lr__buf_free(&path);
  if (rc != 0 || diag->count > before)
    return LR_EDEFINITION;
  return r.b.present ? copy_out(&r.b, m->config.project, repo_dir, out) : 0;
}

/* No block: a store on its own, with every default in place. */
static void set_defaults(lr__replication *out) {
  memset(out, 0, sizeof *out);
  out->keep_snapshots = DEFAULT_KEEP_SNAPSHOTS;
  out->max_lag_ms = DEFAULT_MAX_LAG_MS;
  out->log_retention = DEFAULT_LOG_RETENTION;
}

int lr__replication_load(const char *repo_dir, lr__replication *out,
                         lr__diag *diag) {
  set_defaults(out);
  lr__model m;
  lr__model_init(&m);
  int rc = lr__load_config(&m, repo_dir, diag);
  if (rc == 0)
    rc = read_block(&m, repo_dir, out, diag);
  lr__model_free(&m);
  return rc;
}

void lr__replication_free(lr__replication *r) {
  if (!r)
    return;
  free(r->log);
  free(r->stream);
  free(r->snapshots);
  r->log = r->stream = r->snapshots = NULL;
}

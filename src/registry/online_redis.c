/*
 * online_redis.c - the redis `online_store:` block of feature_store.yaml
 * (see online_redis.h).
 *
 * load.c reads the block's type (which the registry keeps) and accepts
 * the fields below without looking at them; this file reads them against
 * its own table of field specs when a store opens, so that their
 * problems are reported at file:line:col in the words every other setting
 * uses. What is read lives in the loader's arena until it is checked, then
 * is copied into the caller's lr__online_redis.
 */
#include "online_redis.h"

#include <stdlib.h>
#include <string.h>

#include "../redis/address.h"
#include "../util/fs.h"
#include "fields.h"
#include "larder.h"
#include "load.h"

#define SCHEME "redis://"
#define DEFAULT_BUCKETS (1LL << 20)
#define MAX_BUCKETS (1LL << 30)
#define DEFAULT_MARGIN_MS (24LL * 3600 * 1000)

/* One server as read: "HOST:PORT" and its database. */
typedef struct server {
  char *hostport; /* arena */
  int db;
} server;

/* The block as read; strings in the loader's arena. */
typedef struct block {
  const char *type;
  server url;
  int has_url;
  server *cluster;
  int n_cluster;
  int has_cluster;
  const char *user, *password, *password_env;
  lr__loc password_env_loc, loc; /* the field's, the block's */
  long long connect_timeout_ms, timeout_ms, buckets, margin_ms;
  const char *key_prefix;
} block;

int lr__online_is_redis(const char *online_type) {
  return online_type && strcmp(online_type, "redis") == 0;
}

/* Reports each field of `block` that belongs to the other type of store:
 * a `url` under `type: lmdb` (or no type) would leave the store on this
 * host unnoticed, a `path` under `type: redis` would be ignored. Other
 * types are validate.c's to refuse. */
void lr__online_fields_check(loader *L, struct fy_node *block,
                             const char *type) {
  int lmdb = !type || strcmp(type, "lmdb") == 0;
  if (!lmdb && !lr__online_is_redis(type))
    return;
  void *it = NULL;
  struct fy_node_pair *pair;
  while (fy_node_is_mapping(block) &&
         (pair = fy_node_mapping_iterate(block, &it))) {
    struct fy_node *key_node = fy_node_pair_key(pair);
    const char *key = lr__yaml_scalar(key_node);
    if (!key || strcmp(key, "type") == 0)
      continue;
    int is_path = strcmp(key, "path") == 0;
    if (lmdb && !is_path) {
      lr__buf hint;
      lr__buf_init(&hint);
      lr__buf_printf(&hint, "set `type: redis` to keep the store on Redis, "
                     "or drop '%s'", key);
      lr__diag_add(L->diag, lr__fields_loc(L, key_node), lr__buf_str(&hint),
                   "online_store has '%s', a setting of a Redis store, but "
                   "its type is lmdb", key);
      lr__buf_free(&hint);
    } else if (!lmdb && is_path)
      lr__diag_add(L->diag, lr__fields_loc(L, key_node),
                   "drop 'path': a Redis store lives on its servers (`url` "
                   "or `cluster`)", "online_store has 'path', a setting of "
                   "an LMDB store, but its type is redis");
  }
}

/* Parses one redis://HOST[:PORT][/DB] at `value` into *out, or reports
 * why not; `key` names the field. Returns 0 or -1. */
static int read_server(loader *L, struct fy_node *value, const char *key,
                       server *out) {
  const char *s = lr__fields_scalar(L, value, key, "online_store");
  if (!s)
    return -1;
  const char *problem = "does not start with " SCHEME;
  if (strncmp(s, SCHEME, strlen(SCHEME)) == 0) {
    char *host;
    int port, db;
    lr__redis_address_error e =
        lr__redis_parse_server(s + strlen(SCHEME), &host, &port, &db);
    if (!e) {
      lr__buf hp;
      lr__buf_init(&hp);
      lr__buf_printf(&hp, "%s:%d", host, port);
      out->hostport = lr__fields_str(L, lr__buf_str(&hp));
      out->db = db;
      lr__buf_free(&hp);
      free(host);
      return 0;
    }
    problem = lr__redis_address_problem(e);
  }
  lr__diag_add(L->diag, lr__fields_loc(L, value),
               "write e.g. `" SCHEME "127.0.0.1:6379/0` (the port and /DB "
               "are optional)",
               "'%s' of online_store must be a URL " SCHEME
               "HOST[:PORT][/DB]: '%s' %s", key, s, problem);
  return -1;
}

/* `path` is the LMDB store's: a redis store has no folder. */
static void read_lmdb_path(loader *L, struct fy_node *value, void *obj,
                           const char *owner) {
  (void)L, (void)value, (void)obj, (void)owner;
}

static void read_url(loader *L, struct fy_node *value, void *obj,
                     const char *owner) {
  (void)owner;
  block *b = obj;
  b->has_url = 1;
  read_server(L, value, "url", &b->url);
}

static void read_cluster(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  (void)owner;
  block *b = obj;
  b->has_cluster = 1;
  int n = fy_node_is_sequence(value) ? fy_node_sequence_item_count(value) : 0;
  if (n == 0) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "list the cluster's nodes (any of them: the others are "
                 "found), e.g. `cluster: [" SCHEME "10.0.0.1:7000]`",
                 "'cluster' of online_store must be a list of at least one "
                 "URL");
    return;
  }
  b->cluster = lr__arena_array(&L->m->arena, (size_t)n, sizeof *b->cluster);
  void *it = NULL;
  struct fy_node *item;
  while (b->cluster && (item = fy_node_sequence_iterate(value, &it))) {
    server *s = &b->cluster[b->n_cluster];
    if (read_server(L, item, "cluster", s) != 0)
      continue;
    if (s->db != 0)
      lr__diag_add(L->diag, lr__fields_loc(L, item),
                   "drop the /DB part: a Redis Cluster has database 0 only",
                   "a cluster node's URL names database %d", s->db);
    b->n_cluster++;
  }
}

static void read_password_env(loader *L, struct fy_node *value, void *obj,
                              const char *owner) {
  block *b = obj;
  const char *name = lr__fields_scalar(L, value, "password_env", owner);
  b->password_env = name ? lr__fields_str(L, name) : NULL;
  b->password_env_loc = lr__fields_loc(L, value);
}

static void read_tls(loader *L, struct fy_node *value, void *obj,
                     const char *owner) {
  (void)obj, (void)owner;
  lr__diag_add(L->diag, lr__fields_loc(L, value),
               "reach Redis over a private network, or through a TLS tunnel "
               "on this host (stunnel, spiped) and give its local address",
               "TLS to Redis is not available: the hiredis this build uses "
               "(Debian's 0.14) has no TLS");
}

static void read_connect_timeout(loader *L, struct fy_node *value, void *obj,
                                 const char *owner) {
  lr__fields_duration(L, value, "connect_timeout", owner, "`1s` (the "
                      "default)", &((block *)obj)->connect_timeout_ms);
}

static void read_timeout(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  lr__fields_duration(L, value, "timeout", owner, "`500ms` (the default)",
                      &((block *)obj)->timeout_ms);
}

static void read_margin(loader *L, struct fy_node *value, void *obj,
                        const char *owner) {
  lr__fields_duration(L, value, "expire_margin", owner, "`1d` (the "
                      "default)", &((block *)obj)->margin_ms);
}

static void read_buckets(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  static const lr__count_rule rule = {"buckets", 1, MAX_BUCKETS,
                                      DEFAULT_BUCKETS};
  lr__fields_count(L, value, owner, &rule, &((block *)obj)->buckets);
}

static const field_spec block_specs[] = {
    FIELD(block, "type", FK_STRING, type, false),
    FIELD_FN("path", read_lmdb_path, false),
    FIELD_FN("url", read_url, false),
    FIELD_FN("cluster", read_cluster, false),
    FIELD(block, "user", FK_STRING, user, false),
    FIELD(block, "password", FK_STRING, password, false),
    FIELD_FN("password_env", read_password_env, false),
    FIELD_FN("tls", read_tls, false),
    FIELD_FN("connect_timeout", read_connect_timeout, false),
    FIELD_FN("timeout", read_timeout, false),
    FIELD(block, "key_prefix", FK_STRING, key_prefix, false),
    FIELD_FN("buckets", read_buckets, false),
    FIELD_FN("expire_margin", read_margin, false),
};

/* Reads the block of one document (a later document's fields override an
 * earlier one's, as in load.c). */
static void each_document(struct fy_node *root, void *ctx) {
  loader *L = ((void **)ctx)[0];
  block *b = ((void **)ctx)[1];
  struct fy_node *node =
      root && fy_node_is_mapping(root)
          ? fy_node_mapping_lookup_by_string(root, "online_store",
                                             sizeof "online_store" - 1)
          : NULL;
  if (node && fy_node_is_mapping(node))
    lr__fields_object(L, node, "online_store", NULL, block_specs,
                      N_SPECS(block_specs), b, &b->loc);
}

/* The cross-field rules: one of url and cluster, one way to give the
 * password, and that way's variable set. */
static void check_block(loader *L, block *b) {
  lr__loc top = b->loc;
  if (b->has_url == b->has_cluster)
    lr__diag_add(L->diag, top,
                 "give `url: " SCHEME "HOST:PORT/DB` for one server, or "
                 "`cluster: [" SCHEME "HOST:PORT, ...]` for a Redis Cluster",
                 b->has_url ? "online_store has both 'url' and 'cluster'"
                            : "online_store of type redis needs 'url' or "
                              "'cluster'");
  if (b->password && b->password_env)
    lr__diag_add(L->diag, top, "keep one: password_env keeps the secret out "
                 "of the file", "online_store has both 'password' and "
                 "'password_env'");
  if (b->password_env && !getenv(b->password_env))
    lr__diag_add(L->diag, b->password_env_loc,
                 "set it in the environment of every process that opens the "
                 "store, or give `password:`",
                 "online_store.password_env names %s, which is not set",
                 b->password_env);
}

/* Copies the checked block out of the arena into `out`. */
static int copy_out(const block *b, const char *project,
                    lr__online_redis *out) {
  const server *list = b->has_cluster ? b->cluster : &b->url;
  int n = b->has_cluster ? b->n_cluster : 1;
  out->seeds = calloc((size_t)n, sizeof *out->seeds);
  for (int i = 0; out->seeds && i < n; i++)
    if ((out->seeds[i] = strdup(list[i].hostport)))
      out->n_seeds++;
  out->cluster = b->has_cluster;
  out->db = b->has_cluster ? 0 : b->url.db;
  out->user = b->user ? strdup(b->user) : NULL;
  const char *pw = b->password_env ? getenv(b->password_env) : b->password;
  out->password = pw ? strdup(pw) : NULL;
  out->password_env = b->password_env ? strdup(b->password_env) : NULL;
  out->connect_timeout_ms = (int)b->connect_timeout_ms;
  out->timeout_ms = (int)b->timeout_ms;
  lr__buf prefix;
  lr__buf_init(&prefix);
  if (b->key_prefix)
    lr__buf_puts(&prefix, b->key_prefix);
  else
    lr__buf_printf(&prefix, "larder:%s:", project);
  out->key_prefix = lr__buf_steal(&prefix);
  out->buckets = b->buckets;
  out->expire_margin_ms = b->margin_ms;
  if (out->n_seeds == n && (!b->user || out->user) && (!pw || out->password) &&
      (!b->password_env || out->password_env) && out->key_prefix)
    return 0;
  lr__online_redis_free(out);
  return LR_ENOMEM;
}

int lr__online_redis_load(const char *repo_dir, lr__online_redis *out,
                          lr__diag *diag) {
  memset(out, 0, sizeof *out);
  lr__model m;
  lr__model_init(&m);
  int rc = lr__load_config(&m, repo_dir, diag);
  loader L = {.m = &m, .diag = diag, .file = "feature_store.yaml"};
  block b = {.loc = {"feature_store.yaml", 1, 1},
             .connect_timeout_ms = 1000, .timeout_ms = 500,
             .buckets = DEFAULT_BUCKETS, .margin_ms = DEFAULT_MARGIN_MS};
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, L.file);
  int before = diag->count;
  void *ctx[2] = {&L, &b};
  if (rc == 0 && lr__yaml_read_file(lr__buf_str(&path), L.file, diag,
                                    each_document, ctx) != 0)
    rc = LR_EDEFINITION;
  lr__buf_free(&path);
  if (rc == 0)
    check_block(&L, &b);
  if (rc == 0 && diag->count > before)
    rc = LR_EDEFINITION;
  if (rc == 0)
    rc = copy_out(&b, m.config.project, out);
  lr__model_free(&m);
  return rc;
}

void lr__online_redis_free(lr__online_redis *r) {
  if (!r)
    return;
  for (int i = 0; r->seeds && i < r->n_seeds; i++)
    free(r->seeds[i]);
  free(r->seeds);
  free(r->user);
  free(r->password);
  free(r->password_env);
  free(r->key_prefix);
  memset(r, 0, sizeof *r);
}

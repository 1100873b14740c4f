/*
 * rstore.c - the online store on Redis (see rstore.h): its settings, the
 * pool of clients, the keys, and the meta records' reads. Writing rows is
 * rstore_write.c's; the write script's text is rstore_script.c's.
 */
#include "rstore.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"

/* Clients kept for reuse: more than a server has threads is waste. */
#define POOL_MAX 64

struct lr__rstore {
  lr__online_redis cfg;
  lr__redis_options opt;
  char *meta_key;
  char *where;
  char sha[48];
  pthread_mutex_t lock;
  lr__redis_cluster *pool[POOL_MAX];
  int n_pool;
};

/* "redis://HOST:PORT/DB", or the cluster's seeds, for messages. */
static char *describe(const lr__online_redis *cfg) {
  lr__buf out;
  lr__buf_init(&out);
  if (!cfg->cluster) {
    lr__buf_printf(&out, "redis://%s/%d", cfg->seeds[0], cfg->db);
    return lr__buf_steal(&out);
  }
  lr__buf_puts(&out, "the Redis Cluster at ");
  for (int i = 0; i < cfg->n_seeds; i++)
    lr__buf_printf(&out, "%s%s", i ? ", " : "", cfg->seeds[i]);
  return lr__buf_steal(&out);
}

/* Copies the settings (the strings too) and derives the client options. */
static int copy_settings(lr__rstore *rs, const lr__online_redis *cfg) {
  lr__online_redis *c = &rs->cfg;
  *c = *cfg;
  c->seeds = calloc((size_t)cfg->n_seeds, sizeof *c->seeds);
  c->n_seeds = 0;
  for (int i = 0; c->seeds && i < cfg->n_seeds; i++)
    if ((c->seeds[i] = strdup(cfg->seeds[i])))
      c->n_seeds++;
  c->user = cfg->user ? strdup(cfg->user) : NULL;
  c->password = cfg->password ? strdup(cfg->password) : NULL;
  c->password_env = cfg->password_env ? strdup(cfg->password_env) : NULL;
  c->key_prefix = strdup(cfg->key_prefix);
  lr__buf key;
  lr__buf_init(&key);
  lr__buf_printf(&key, "%smeta", cfg->key_prefix);
  rs->meta_key = lr__buf_steal(&key);
  rs->where = describe(cfg);
  rs->opt = (lr__redis_options){
      .seeds = (const char *const *)c->seeds,
      .n_seeds = (size_t)c->n_seeds,
      .cluster = c->cluster,
      .conn = {.connect_timeout_ms = c->connect_timeout_ms,
               .command_timeout_ms = c->timeout_ms,
               .user = c->user,
               .password = c->password,
               .db = c->db}};
  int ok = c->n_seeds == cfg->n_seeds && (!cfg->user || c->user) &&
           (!cfg->password || c->password) &&
           (!cfg->password_env || c->password_env) && c->key_prefix &&
           rs->meta_key && rs->where;
  return ok ? 0 : LR_ENOMEM;
}

/* Loads the write script on the node of the meta key and keeps its SHA1
 * (a cluster's other nodes get it from their first call refused NOSCRIPT,
 * which is sent again as EVAL: rstore_write.c). */
static int load_script(lr__rstore *rs, lr__redis_cluster *c, lr__buf *err) {
  const char *argv[3] = {"SCRIPT", "LOAD", lr__rstore_script_text()};
  lr__redis_command cmd = {3, argv, NULL, rs->meta_key, strlen(rs->meta_key)};
  lr__redis_answer a = {0};
  int rc = lr__redis_cluster_batch(c, &cmd, 1, &a, err);
  if (rc == 0 && a.reply->type == REDIS_REPLY_STRING &&
      a.reply->len < sizeof rs->sha)
    memcpy(rs->sha, a.reply->str, a.reply->len + 1);
  else if (rc == 0)
    rc = lr__errmsg_set(err, LR_EIO, "%s gave no SHA1 for the write script",
                        rs->where);
  lr__redis_answers_clear(&a, 1);
  return rc;
}

int lr__rstore_open(const lr__online_redis *cfg, lr__rstore **out,
                    lr__buf *err) {
  *out = NULL;
  lr__rstore *rs = calloc(1, sizeof *rs);
  if (!rs)
    return LR_ENOMEM;
  pthread_mutex_init(&rs->lock, NULL);
  int rc = copy_settings(rs, cfg);
  lr__redis_cluster *c = rc ? NULL : lr__rstore_take(rs, err);
  if (c) {
    rc = load_script(rs, c, err);
    if (rc == LR_EIO)
      lr__rstore_explain(rs, 0, err);
    lr__rstore_give(rs, c);
  } else if (rc == 0) {
    rc = LR_EIO; /* the take said why */
  }
  if (rc) {
    lr__rstore_close(rs);
    return rc;
  }
  *out = rs;
  return 0;
}

int lr__rstore_open_repo(const char *repo, lr__rstore **out, lr__buf *err) {
  *out = NULL;
  lr__online_redis cfg;
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__online_redis_load(repo, &cfg, &diag);
  if (rc == LR_EDEFINITION)
    lr__diag_format(&diag, err);
  lr__diag_free(&diag);
  if (rc == 0)
    rc = lr__rstore_open(&cfg, out, err);
  lr__online_redis_free(&cfg);
  return rc;
}

void lr__rstore_close(lr__rstore *rs) {
  if (!rs)
    return;
  for (int i = 0; i < rs->n_pool; i++)
    lr__redis_cluster_close(rs->pool[i]);
  pthread_mutex_destroy(&rs->lock);
  lr__online_redis_free(&rs->cfg);
  free(rs->meta_key);
  free(rs->where);
  free(rs);
}

lr__redis_cluster *lr__rstore_take(lr__rstore *rs, lr__buf *err) {
  lr__redis_cluster *c = NULL;
  pthread_mutex_lock(&rs->lock);
  if (rs->n_pool)
    c = rs->pool[--rs->n_pool];
  pthread_mutex_unlock(&rs->lock);
  if (!c && lr__redis_cluster_open(&rs->opt, &c, err) != 0) {
    lr__rstore_explain(rs, 0, err);
    c = NULL;
  }
  return c;
}

void lr__rstore_give(lr__rstore *rs, lr__redis_cluster *c) {
  if (!c)
    return;
  pthread_mutex_lock(&rs->lock);
  if (rs->n_pool < POOL_MAX) {
    rs->pool[rs->n_pool++] = c;
    c = NULL;
  }
  pthread_mutex_unlock(&rs->lock);
  lr__redis_cluster_close(c);
}

/* FNV-1a, 64 bits: which bucket a key falls in. Part of the layout:
 * changing it would lose every stored row. */
static uint64_t key_hash(const uint8_t *key, size_t len) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ key[i]) * 0x100000001b3ull;
  return h;
}

void lr__rstore_bucket_key(const lr__rstore *rs, const char *db_name,
                           const uint8_t *key, size_t len, lr__buf *out) {
  unsigned long long bucket =
      key_hash(key, len) % (unsigned long long)rs->cfg.buckets;
  lr__buf_printf(out, "%s%s:%llu", rs->cfg.key_prefix, db_name, bucket);
}

const char *lr__rstore_meta_key(const lr__rstore *rs) { return rs->meta_key; }

const char *lr__rstore_prefix(const lr__rstore *rs) {
  return rs->cfg.key_prefix;
}

int lr__rstore_is_cluster(const lr__rstore *rs) { return rs->cfg.cluster; }

long long lr__rstore_margin_ms(const lr__rstore *rs) {
  return rs->cfg.expire_margin_ms;
}

const char *lr__rstore_script_sha(const lr__rstore *rs) { return rs->sha; }

const char *lr__rstore_where(const lr__rstore *rs) { return rs->where; }

const lr__online_redis *lr__rstore_settings(const lr__rstore *rs) {
  return &rs->cfg;
}

int lr__rstore_meta_command(lr__rstore *rs, lr__redis_cluster *c, int argc,
                            const char **argv, lr__redis_answer *a,
                            lr__buf *err) {
  lr__redis_command cmd = {argc, argv, NULL, rs->meta_key,
                           strlen(rs->meta_key)};
  return lr__redis_cluster_batch(c, &cmd, 1, a, err);
}

/* Runs one command on the meta key's node with a pooled client; the
 * answer is the caller's to clear. */
static int meta_call(lr__rstore *rs, int argc, const char **argv,
                     lr__redis_answer *a, lr__buf *err) {
  lr__redis_cluster *c = lr__rstore_take(rs, err);
  if (!c)
    return LR_EIO;
  int rc = lr__rstore_meta_command(rs, c, argc, argv, a, err);
  lr__rstore_give(rs, c);
  if (rc == LR_EIO)
    lr__rstore_explain(rs, 0, err);
  return rc;
}

int lr__rstore_meta_read(lr__rstore *rs, const char *field, lr__buf *value,
                         lr__buf *err) {
  const char *argv[3] = {"HGET", rs->meta_key, field};
  lr__redis_answer a = {0};
  int rc = meta_call(rs, 3, argv, &a, err);
  if (rc == 0 && a.reply->type != REDIS_REPLY_STRING)
    rc = LR_ENOTFOUND;
  if (rc == 0) {
    lr__buf_reset(value);
    lr__buf_append(value, a.reply->str, a.reply->len);
    rc = lr__buf_failed(value) ? LR_ENOMEM : 0;
  }
  lr__redis_answers_clear(&a, 1);
  return rc;
}

int lr__rstore_seq(lr__rstore *rs, unsigned long long *seq, lr__buf *err) {
  lr__buf text;
  lr__buf_init(&text);
  *seq = 0;
  int rc = lr__rstore_meta_read(rs, LR__RSTORE_SEQ, &text, err);
  if (rc == 0)
    *seq = strtoull(lr__buf_str(&text), NULL, 10);
  lr__buf_free(&text);
  return rc == LR_ENOTFOUND ? 0 : rc;
}

int lr__rstore_ping(lr__rstore *rs, lr__buf *err) {
  const char *argv[1] = {"PING"};
  lr__redis_answer a = {0};
  int rc = meta_call(rs, 1, argv, &a, err);
  lr__redis_answers_clear(&a, 1);
  return rc;
}

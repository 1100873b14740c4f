/*
 * online_redis.h - the settings of an online store on Redis: the
 * `online_store:` block of feature_store.yaml when its type is redis.
 *
 *   online_store:
 *     type: redis
 *     url: redis://127.0.0.1:6379/0         # a standalone server (/DB optional)
 *     # or: cluster: [redis://10.0.0.1:7000, redis://10.0.0.2:7000]
 *     user: larder                          # optional (Redis 6 ACL user)
 *     password_env: LARDER_REDIS_PASSWORD   # or password: TEXT
 *     connect_timeout: 1s
 *     timeout: 500ms                        # per reply
 *     key_prefix: "larder:PROJECT:"         # the default
 *     buckets: 1048576                      # hashes per view
 *     expire_margin: 1d                     # keys live ttl + this
 *
 * Like the replication block it is read from feature_store.yaml each time
 * a store is opened, not kept in the registry (the password is no part of
 * the definitions, and each host may reach Redis by another address).
 * Exactly one of url and cluster; at most one of password and
 * password_env (the variable must be set when the store opens). `path` is
 * the LMDB store's and is ignored here. docs/repo-format.md describes the
 * block for users, docs/internals/redis.md the layout the fields shape.
 */
#ifndef LR_REGISTRY_ONLINE_REDIS_H
#define LR_REGISTRY_ONLINE_REDIS_H

#include "../util/diag.h"

typedef struct lr__online_redis {
  char **seeds;       /* "HOST:PORT" each: the url's one, or the cluster's */
  int n_seeds;
  int cluster;        /* 1: Redis Cluster (the `cluster` list) */
  int db;             /* the url's /DB (standalone only), default 0 */
  char *user;         /* NULL: the default user */
  char *password;     /* NULL: no AUTH */
  char *password_env; /* the variable it came from; NULL: `password` */
  int connect_timeout_ms; /* default 1000 */
  int timeout_ms;         /* default 500 */
  char *key_prefix;       /* default "larder:" PROJECT ":" */
  long long buckets;      /* default 1048576, 1 to 2^30 */
  long long expire_margin_ms; /* default one day */
} lr__online_redis;

/* 1 when REPO_DIR/feature_store.yaml's online store is of type redis (the
 * config as lr__load_config read it). */
int lr__online_is_redis(const char *online_type);

/* Reports (into L's diagnostics) each field of the online_store mapping
 * `block` that belongs to the other type of store than `type` (NULL:
 * lmdb, the default): a redis field under lmdb, `path` under redis. */
struct loader;
struct fy_node;
void lr__online_fields_check(struct loader *L, struct fy_node *block,
                             const char *type);

/* Reads the redis online_store block of REPO_DIR/feature_store.yaml into
 * `out` (zeroed, then defaults). Problems add file:line:col diagnostics to
 * `diag` and return LR_EDEFINITION (a password_env whose variable is not
 * set is one, at the field); LR_ENOTFOUND when there is no
 * feature_store.yaml; LR_ENOMEM. The strings of `out` are the caller's:
 * free them with lr__online_redis_free (also after a failure). */
int lr__online_redis_load(const char *repo_dir, lr__online_redis *out,
                          lr__diag *diag);

/* Frees the strings of `r` and zeroes it; NULL is allowed. */
void lr__online_redis_free(lr__online_redis *r);

#endif

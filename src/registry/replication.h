/*
 * replication.h - the `replication:` block of feature_store.yaml: whether
 * this repo is a primary (where changes are made and logged) or a replica
 * (which follows one), where the write log and the snapshots live, and how
 * far behind a replica may fall. It is read from feature_store.yaml each
 * time a store is opened, and is not part of the registry: a primary and
 * its replicas share their definitions but not this block.
 *
 *   replication:
 *     role: primary            # or replica; no block: a store on its own
 *     log: redis://127.0.0.1:6379/0
 *     stream: larder:PROJECT   # the Redis Stream's key
 *     snapshots: /mnt/larder/snapshots   # relative to the repo, or absolute
 *     keep_snapshots: 3
 *     max_lag: 5s              # a replica's /health is 503 beyond it
 *     log_retention: 1000000   # entries the stream keeps (approximately)
 *
 * role, log and snapshots are required once the block is there; the other
 * fields have the defaults shown. Limits: keep_snapshots at least 1 (and at
 * most INT_MAX), max_lag a duration above 0 (units ms s m h d w),
 * log_retention at least 1000. `log` is checked loosely here (the scheme,
 * a host, a numeric port and database): the log layer checks the rest.
 * docs/repo-format.md describes the block for users.
 */
#ifndef LR_REGISTRY_REPLICATION_H
#define LR_REGISTRY_REPLICATION_H

#include "../util/diag.h"

typedef enum lr__role {
  LR__ROLE_NONE = 0, /* no replication block */
  LR__ROLE_PRIMARY,
  LR__ROLE_REPLICA
} lr__role;

typedef struct lr__replication {
  lr__role role;
  char *log;            /* "redis://HOST:PORT/DB" (DB optional) */
  char *stream;         /* default "larder:" PROJECT */
  char *snapshots;      /* absolute: resolved against the repo folder */
  int keep_snapshots;   /* default 3, at least 1 */
  long long max_lag_ms; /* default 5000 */
  long long log_retention; /* default 1000000, at least 1000 */
} lr__replication;

/* Reads the replication block of REPO_DIR/feature_store.yaml into `out`
 * (zeroed, then defaults; role LR__ROLE_NONE when there is no block). The
 * rest of the file is read by lr__load_config first: any error in it, as
 * in the block, adds file:line:col diagnostics to `diag` and returns
 * LR_EDEFINITION. LR_ENOTFOUND when there is no feature_store.yaml;
 * LR_ENOMEM. The strings of `out` are the caller's: free them with
 * lr__replication_free (also after a failure, which leaves them NULL). */
int lr__replication_load(const char *repo_dir, lr__replication *out,
                         lr__diag *diag);
/* Frees the strings of `r` and sets them to NULL; NULL is allowed. */
void lr__replication_free(lr__replication *r);

#endif

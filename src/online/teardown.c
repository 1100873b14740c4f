/*
 * teardown.c - lr_repo_teardown: removes what apply and the writes made of
 * a repo, its online store and its registry file, and nothing the user
 * wrote (definitions, feature_store.yaml, offline data).
 *
 * The store goes first and whole (generation.c: only when no process has
 * it open), the registry last: a teardown cut short leaves a registry with
 * an empty store, never stored rows without the registry that says how
 * they are laid out (a new registry numbers its views' layouts afresh, and
 * would read old rows under the wrong one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../registry/registry.h"
#include "../registry/replication.h"
#include "../util/fs.h"
#include "generation.h"
#include "larder.h"
#include "rstore.h"

/* The repo's two paths, as written in feature_store.yaml and resolved. */
typedef struct repo_paths {
  lr__model config;
  lr__buf registry, online;
} repo_paths;

static int read_paths(const char *dir, repo_paths *p, lr__buf *err) {
  lr__model_init(&p->config);
  lr__buf_init(&p->registry);
  lr__buf_init(&p->online);
  int rc = lr__registry_config(dir, &p->config, err);
  if (rc == 0) {
    lr__fs_join(&p->registry, dir, p->config.config.registry_path);
    lr__fs_join(&p->online, dir, p->config.config.online_path);
  }
  return rc;
}

static void free_paths(repo_paths *p) {
  lr__model_free(&p->config);
  lr__buf_free(&p->registry);
  lr__buf_free(&p->online);
}

/* What a teardown means for a replicated repo, as a note for `report`. */
static void replication_note(const char *dir, lr__buf *report) {
  lr__replication repl = {0};
  lr__diag diag;
  lr__diag_init(&diag);
  if (lr__replication_load(dir, &repl, &diag) == 0) {
    if (repl.role == LR__ROLE_REPLICA)
      lr__buf_puts(report, "This repo is a replica: `larder apply`, then "
                           "`larder replicate`, set it up again from its "
                           "primary.\n");
    else if (repl.role == LR__ROLE_PRIMARY)
      lr__buf_printf(report, "This repo is a replication primary: the write "
                     "log (%s, stream %s) and the snapshots (%s) are not "
                     "touched, and its replicas keep what they hold. Set up "
                     "again, it starts a new history: give it a new "
                     "replication.stream.\n", repl.log, repl.stream,
                     repl.snapshots);
  }
  lr__replication_free(&repl);
  lr__diag_free(&diag);
}

/* Removes a Redis store's keys (or, checking, counts them), and lists
 * them in `report`. Redis down, or a wrong password, fails the teardown
 * before the registry goes. */
static int teardown_redis(const char *dir, int check, lr__buf *report,
                          lr__buf *err) {
  lr__rstore *rs;
  int rc = lr__rstore_open_repo(dir, &rs, err);
  unsigned long long n_keys = 0;
  if (rc == 0)
    rc = lr__rstore_teardown(rs, check, &n_keys, err);
  if (rc == 0 && n_keys)
    lr__buf_printf(report, "%s the online store on %s: %llu keys under "
                   "'%s'.\n", check ? "Would remove" : "Removed",
                   lr__rstore_where(rs), n_keys, lr__rstore_prefix(rs));
  if (rc == 0 && n_keys && check)
    lr__buf_puts(report, "Stop every writer of the store first: keys "
                         "written during the teardown may stay.\n");
  lr__rstore_close(rs);
  return rc;
}

/* Removes the online store (or, checking, makes sure it could), and lists
 * it in `report`. */
static int teardown_store(const repo_paths *p, const char *dir, int check,
                          lr__buf *report, lr__buf *err) {
  if (lr__online_is_redis(p->config.config.online_type))
    return teardown_redis(dir, check, report, err);
  int kept;
  int rc = lr__gen_teardown(lr__buf_str(&p->online), check, &kept, err);
  if (rc == LR_ENOTFOUND)
    return 0;
  if (rc)
    return rc;
  lr__buf_printf(report, "%s the online store %s", check ? "Would remove"
                                                        : "Removed",
                 p->config.config.online_path);
  if (kept)
    lr__buf_puts(report, " (the folder stays: it holds files Larder did not "
                         "write)");
  lr__buf_puts(report, ".\n");
  return 0;
}

static int teardown_registry(const repo_paths *p, int check, lr__buf *report,
                             lr__buf *err) {
  const char *path = lr__buf_str(&p->registry);
  if (!lr__fs_exists(path))
    return 0;
  if (!check && unlink(path) != 0)
    return lr__errmsg_set(err, LR_EIO, "cannot remove the registry %s: %s",
                          path, strerror(errno));
  lr__buf_printf(report, "%s the registry %s.\n",
                 check ? "Would remove" : "Removed",
                 p->config.config.registry_path);
  return 0;
}

/* The report's lines and the error, without the caller's strings. */
static int teardown(const char *dir, int check, lr__buf *report,
                    lr__buf *err) {
  repo_paths p;
  int rc = read_paths(dir, &p, err);
  if (rc == 0)
    rc = teardown_store(&p, dir, check, report, err);
  if (rc == 0)
    rc = teardown_registry(&p, check, report, err);
  if (rc && rc != LR_ENOTFOUND && rc != LR_EDEFINITION)
    lr__buf_puts(err, report->len ? "; the online store was removed: run "
                                    "the teardown again for the rest"
                                  : "; nothing was removed");
  if (rc == 0 && report->len)
    replication_note(dir, report);
  free_paths(&p);
  return rc;
}

int lr_repo_teardown(const char *dir, unsigned flags, char **report,
                     char **errmsg) {
  if (report)
    *report = NULL;
  if (errmsg)
    *errmsg = NULL;
  if (!dir)
    return LR_EINVAL;
  lr__buf text, err;
  lr__buf_init(&text);
  lr__buf_init(&err);
  int rc = teardown(dir, (flags & LR_TEARDOWN_CHECK) != 0, &text, &err);
  if (rc == 0 && report && !(*report = lr__buf_steal(&text)))
    rc = LR_ENOMEM;
  if (rc && errmsg)
    *errmsg = lr__buf_steal(&err);
  lr__buf_free(&text);
  lr__buf_free(&err);
  return rc;
}

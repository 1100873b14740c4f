/*
 * repo.c - the lr_repo_* functions of the public API: a repo's definitions
 * loaded from YAML, planned against the applied registry and applied.
 * lr_repo_plan and lr_repo_apply themselves are in online/reloads.c: after
 * the plan made here they list what the online store's records of past
 * loads make the next materialization reload, which this layer cannot
 * read.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/timefmt.h"
#include "larder.h"
#include "load.h"
#include "plan.h"
#include "regfile.h"
#include "registry.h"
#include "online_redis.h"
#include "replication.h"

struct lr_repo {
  char *dir;
  lr__model model;
  int status;    /* how loading went: 0 or the error it returned */
  lr__buf errmsg;
};

const char *lr_repo_errmsg(const lr_repo *repo) {
  return repo ? lr__buf_str(&repo->errmsg) : "no repo handle";
}

void lr_repo_close(lr_repo *repo) {
  if (!repo)
    return;
  lr__model_free(&repo->model);
  lr__buf_free(&repo->errmsg);
  free(repo->dir);
  free(repo);
}

/* Reads a redis online_store block for its problems alone (the store
 * reads it again when it opens). */
static void check_online_redis(const lr_repo *repo, lr__diag *diag) {
  lr__online_redis settings;
  lr__online_redis_load(repo->dir, &settings, diag);
  lr__online_redis_free(&settings);
}

/* Loads config and definitions, then validates; fills `diag`. */
static int repo_load(lr_repo *repo, lr__diag *diag) {
  if (!lr__fs_is_dir(repo->dir))
    return lr__errmsg_set(&repo->errmsg, LR_ENOTFOUND, "%s is not a folder: "
                          "give the path of a feature repo (`larder init "
                          "DIR` creates one)", repo->dir);
  int rc = lr__load_config(&repo->model, repo->dir, diag);
  if (rc == LR_ENOTFOUND)
    return lr__errmsg_set(&repo->errmsg, rc, "%s has no feature_store.yaml: "
                          "give the path of a feature repo (`larder init "
                          "DIR` creates one)", repo->dir);
  /* Go on past errors so that one run reports all of them. */
  lr__load_definitions(&repo->model, repo->dir, diag);
  rc = lr__model_sort(&repo->model);
  if (rc == 0)
    lr__validate(&repo->model, diag);
  if (rc == 0 && lr__online_is_redis(repo->model.config.online_type))
    check_online_redis(repo, diag);
  if (diag->count) {
    lr__diag_format(diag, &repo->errmsg);
    rc = LR_EDEFINITION;
  }
  return rc;
}

int lr_repo_open(const char *dir, lr_repo **out) {
  if (!out)
    return LR_EINVAL;
  lr_repo *repo = calloc(1, sizeof *repo);
  *out = repo;
  if (!repo)
    return LR_ENOMEM;
  lr__model_init(&repo->model);
  lr__buf_init(&repo->errmsg);
  if (!dir)
    return repo->status = lr__errmsg_set(&repo->errmsg, LR_EINVAL,
                                         "no repo folder given");
  repo->dir = strdup(dir);
  if (!repo->dir)
    return repo->status = LR_ENOMEM;
  lr__diag diag;
  lr__diag_init(&diag);
  repo->status = repo_load(repo, &diag);
  lr__diag_free(&diag);
  return repo->status;
}

/* The absolute or repo-relative path of the registry file, in `path`. */
static void registry_path(const lr_repo *repo, lr__buf *path) {
  lr__fs_join(path, repo->dir, repo->model.config.registry_path);
}

/* After an unreadable registry, the epochs used before are unknown: new
 * ones counted from the clock (unlike any used before) put every view in a
 * new online database, so no row is read with the wrong layout. */
static void start_new_layouts(lr__model *m) {
  m->next_epoch = (uint32_t)(lr__time_now_us() / 1000000);
  for (int i = 0; i < m->n_views; i++)
    m->views[i].layout_epoch = m->next_epoch++;
}

int lr__repo_loaded(lr_repo *repo) {
  lr__buf_reset(&repo->errmsg);
  if (repo->status != 0)
    return lr__errmsg_set(&repo->errmsg, repo->status, "the repo did not load "
                          "(%s); fix that first", lr_strerror(repo->status));
  return 0;
}

lr__buf *lr__repo_err(lr_repo *repo) { return &repo->errmsg; }

/* Plans against the applied registry, which is loaded into `old`. */
static int repo_plan(lr_repo *repo, unsigned flags, lr__model *old,
                     lr__buf *text, lr__plan_summary *sum) {
  int rc = lr__repo_loaded(repo);
  if (rc)
    return rc;
  lr__buf path;
  lr__buf_init(&path);
  registry_path(repo, &path);
  rc = lr__regfile_read(lr__buf_str(&path), old, &repo->errmsg);
  lr__buf_free(&path);
  int unreadable = rc == LR_EVERSION || rc == LR_ECORRUPT;
  if (unreadable && !(flags & LR_APPLY_FORCE))
    lr__buf_puts(&repo->errmsg, "; a forced apply (LR_APPLY_FORCE) replaces "
                                "it and drops the online rows (materialize "
                                "again then)");
  if (rc == LR_ENOREGISTRY || (unreadable && (flags & LR_APPLY_FORCE))) {
    if (unreadable)
      lr__buf_printf(text, "! the existing registry cannot be read (%s): it "
                     "is replaced, and every view's online rows are "
                     "dropped\n", lr__buf_str(&repo->errmsg));
    lr__buf_reset(&repo->errmsg);
    lr__model_free(old); /* plan against nothing, as a first apply does */
    lr__model_init(old);
    rc = 0;
  }
  if (rc == 0)
    rc = lr__plan(old, &repo->model, flags, text, sum);
  if (rc == 0 && unreadable)
    start_new_layouts(&repo->model);
  if (rc == LR_ENEEDFORCE)
    lr__errmsg_set(&repo->errmsg, rc, "the plan drops stored online rows; a "
                   "forced apply (LR_APPLY_FORCE) accepts that");
  return rc;
}

/* Writes the planned registry (the next version) atomically. */
static int write_registry(lr_repo *repo, const lr__model *old, lr__buf *text) {
  repo->model.version = old->version + 1;
  repo->model.applied_at = lr__time_now_us() / 1000000;
  lr__buf path;
  lr__buf_init(&path);
  registry_path(repo, &path);
  int rc = lr__regfile_write(lr__buf_str(&path), &repo->model, &repo->errmsg);
  if (rc == 0)
    lr__buf_printf(text, "Applied: registry version %llu written to %s.\n",
                   (unsigned long long)repo->model.version,
                   repo->model.config.registry_path);
  lr__buf_free(&path);
  return rc;
}

/* A replica serves the primary's definitions (each snapshot brings its
 * registry file): it applies only to set itself up, before it has a
 * registry. LR_EREADONLY with the reason when it has one. */
static int refuse_replica_apply(lr_repo *repo, const lr__model *old) {
  lr__replication repl = {0};
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = old->version > 0 &&
                   lr__replication_load(repo->dir, &repl, &diag) == 0 &&
                   repl.role == LR__ROLE_REPLICA
               ? LR_EREADONLY
               : 0;
  if (rc)
    lr__errmsg_set(&repo->errmsg, rc, "this repo is a replica (replication: "
                   "role: replica in feature_store.yaml): it serves the "
                   "primary's definitions, which each snapshot brings; "
                   "apply on the primary (the one that logs to %s, stream "
                   "%s)", repl.log, repl.stream);
  lr__replication_free(&repl);
  lr__diag_free(&diag);
  return rc;
}

const lr__model *lr__repo_model(const lr_repo *repo) { return &repo->model; }

const char *lr__repo_dir(const lr_repo *repo) { return repo->dir; }

int lr__repo_plan_or_apply(lr_repo *repo, unsigned flags, int apply,
                           lr__buf *text) {
  lr__buf_reset(&repo->errmsg);
  lr__model old;
  lr__model_init(&old);
  lr__plan_summary sum = {0}; /* read below even when planning failed */
  int rc = repo_plan(repo, flags, &old, text, &sum);
  int unchanged = !sum.created && !sum.changed && !sum.removed;
  if (rc == 0 && apply && !(unchanged && old.version > 0))
    rc = refuse_replica_apply(repo, &old);
  if (rc == 0 && apply && !(unchanged && old.version > 0))
    rc = write_registry(repo, &old, text);
  lr__model_free(&old);
  return rc == 0 && lr__buf_failed(text) ? LR_ENOMEM : rc;
}

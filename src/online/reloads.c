/*
 * reloads.c - lr_repo_plan and lr_repo_apply: the registry layer's plan
 * (registry/repo.c), then, from the online store's records of past loads
 * (loads.h), the views the next incremental materialization reloads
 * because their definitions changed since they were loaded, and why.
 *
 * The records are read against the planned definitions, so the list is
 * what a run makes once this plan is applied (after an apply, what it
 * makes now). A store that does not exist yet has none, and is not
 * created: plan writes nothing.
 */
#include <stdlib.h>

#include "../codec/row.h"
#include "../registry/online_redis.h"
#include "../registry/registry.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "larder.h"
#include "loads.h"

/* One line: "  VIEW from START (why)". */
static void put_reload(lr__buf *text, const lr__view *v,
                       const lr__reload *r) {
  lr__buf_printf(text, "  %s from ", v->name);
  if (r->from_ttl) {
    lr__buf_puts(text, "END - ");
    lr__duration_format(text, v->ttl_seconds);
  } else if (r->start_us <= LR__TIME_MIN_US) {
    lr__buf_puts(text, "the beginning");
  } else {
    char ts[40];
    lr__time_format(r->start_us, ts);
    lr__buf_puts(text, ts);
  }
  lr__buf_printf(text, " (%s)\n", lr__buf_str(&r->why));
}

/* Appends, under a heading, a line per stored feature view of m whose
 * records in `store` make the next incremental run reload it. */
static void list_reloads(lr_store *store, const lr__model *m, lr__buf *text) {
  int listed = 0;
  int64_t now = lr__time_now_us();
  for (int i = 0; i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    if (v->kind != LR__VIEW_BATCH || !v->online)
      continue;
    lr__loads past;
    lr__reload r = {0};
    lr__buf_init(&r.why);
    if (lr__loads_read(store, v, &past) == 0 &&
        lr__loads_decide(&past, m, v, now, &r) == 0 && r.needed) {
      if (!listed++)
        lr__buf_puts(text, "Next materialize-incremental reloads:\n");
      put_reload(text, v, &r);
    }
    lr__loads_free(&past);
    lr__reload_free(&r);
  }
}

/* Appends the reloads the repo's planned definitions make, when its
 * online store exists. */
static void append_reloads(lr_repo *repo, lr__buf *text) {
  const lr__model *m = lr__repo_model(repo);
  lr__buf root;
  lr__buf_init(&root);
  lr__fs_join(&root, lr__repo_dir(repo), m->config.online_path);
  int exists = lr__fs_is_dir(lr__buf_str(&root)) ||
               lr__online_is_redis(m->config.online_type);
  lr__buf_free(&root);
  if (!exists)
    return;
  lr_store *store = NULL;
  int rc = lr_store_open(lr__repo_dir(repo), LR_STORE_READONLY, &store);
  if (rc == 0)
    list_reloads(store, m, text);
  else if (rc != LR_ENOREGISTRY)
    lr__buf_printf(text, "The online store's records of past loads cannot "
                   "be read (%s): materialize-incremental decides what to "
                   "reload when it runs.\n", lr_store_errmsg(store));
  lr_store_close(store);
}

/* Plan (and apply), then the reloads; the text goes to *out. */
static int plan_then_reloads(lr_repo *repo, unsigned flags, char **out,
                             int apply) {
  if (!repo)
    return LR_EINVAL;
  lr__buf text;
  lr__buf_init(&text);
  int rc = lr__repo_plan_or_apply(repo, flags, apply, &text);
  if (rc == 0)
    append_reloads(repo, &text);
  if (out) {
    *out = lr__buf_steal(&text);
    if (!*out)
      rc = LR_ENOMEM;
  }
  lr__buf_free(&text);
  return rc;
}

int lr_repo_plan(lr_repo *repo, unsigned flags, char **plan) {
  return plan_then_reloads(repo, flags, plan, 0);
}

int lr_repo_apply(lr_repo *repo, unsigned flags, char **plan) {
  return plan_then_reloads(repo, flags, plan, 1);
}

/*
 * request.c - resolving feature references and services into a prepared
 * request (see request.h).
 */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/names.h"

/* A reference split at its colon, with the view and feature it names. */
typedef struct resolved {
  lr__online_view *ov;
  const lr__field *field;
} resolved;

static int fail(lr_store *store, int rc, const char *fmt, const char *a,
                const char *b) {
  lr__buf_printf(&store->errmsg, fmt, a, b);
  return rc;
}

/* Suggests a view name among the online batch views. */
static void suggest_view(lr_store *store, const char *name) {
  const char **names = calloc((size_t)store->n_views + 1, sizeof *names);
  int n = 0;
  for (int i = 0; names && i < store->n_views; i++)
    names[n++] = store->views[i].view->name;
  lr__buf_puts(&store->errmsg, "; ");
  lr__suggest(&store->errmsg, "feature views", name, names, n);
  free(names);
}

static void suggest_feature(lr_store *store, const lr__view *v,
                            const char *name) {
  const char **names = calloc((size_t)v->n_features + 1, sizeof *names);
  for (int i = 0; names && i < v->n_features; i++)
    names[i] = v->features[i].name;
  lr__buf_puts(&store->errmsg, "; ");
  lr__suggest(&store->errmsg, "features", name, names,
              names ? v->n_features : 0);
  free(names);
}

static int resolve(lr_store *store, const char *view, const char *feature,
                   resolved *out) {
  lr__online_view *ov = lr__store_view(store, view);
  if (!ov) {
    fail(store, 0, "unknown feature view '%s'%s", view, "");
    suggest_view(store, view);
    return LR_ENOTFOUND;
  }
  const lr__view *v = ov->view;
  if (v->kind == LR__VIEW_ON_DEMAND)
    return fail(store, LR_EUNSUPPORTED,
                "'%s' is an on-demand feature view: computing on-demand "
                "features online comes with the expression language%s",
                view, "");
  if (!v->online)
    return fail(store, LR_EINVAL,
                "feature view '%s' is not online (online: false)%s", view, "");
  const lr__field *f = lr__view_feature(v, feature);
  if (!f) {
    lr__buf_printf(&store->errmsg, "feature view '%s' has no feature '%s'",
                   view, feature);
    suggest_feature(store, v, feature);
    return LR_ENOTFOUND;
  }
  out->ov = ov;
  out->field = f;
  return 0;
}

/* The request column of join key `name`, added when new. */
static int key_column(lr_request *req, const char *name, uint8_t type) {
  for (int i = 0; i < req->n_keys; i++)
    if (strcmp(req->key_names[i], name) == 0)
      return i;
  req->key_names[req->n_keys] = name;
  req->key_types[req->n_keys] = type;
  return req->n_keys++;
}

/* The group reading view `ov`, added (with its key columns) when new. */
static int group_of(lr_request *req, lr__online_view *ov, int max_groups) {
  for (int g = 0; g < req->n_groups; g++)
    if (req->groups[g].ov == ov)
      return g;
  lr__req_group *grp = &req->groups[req->n_groups];
  grp->ov = ov;
  grp->ttl_us = ov->view->ttl_seconds * 1000000;
  grp->key_cols = lr__arena_array(&req->arena, (size_t)ov->n_keys + 1,
                                  sizeof(int));
  grp->features = lr__arena_array(&req->arena, (size_t)max_groups + 1,
                                  sizeof(int));
  if (!grp->key_cols || !grp->features)
    return -1;
  for (int k = 0; k < ov->n_keys; k++)
    grp->key_cols[k] = key_column(req, ov->key_names[k], ov->key_types[k]);
  if (ov->view->next_slot > req->max_slots)
    req->max_slots = ov->view->next_slot;
  return req->n_groups++;
}

/* Builds the request from resolved features (n of them). */
static int build(lr_store *store, const resolved *feats, int n,
                 lr_request **out) {
  lr_request *req = calloc(1, sizeof *req);
  if (!req)
    return LR_ENOMEM;
  lr__arena_init(&req->arena);
  req->store = store;
  int max_keys = 0;
  for (int i = 0; i < n; i++)
    max_keys += feats[i].ov->n_keys;
  req->key_names = lr__arena_array(&req->arena, (size_t)max_keys + 1,
                                   sizeof(char *));
  req->key_types = lr__arena_array(&req->arena, (size_t)max_keys + 1, 1);
  req->features = lr__arena_array(&req->arena, (size_t)n + 1,
                                  sizeof *req->features);
  req->groups = lr__arena_array(&req->arena, (size_t)n + 1,
                                sizeof *req->groups);
  int ok = req->key_names && req->key_types && req->features && req->groups;
  for (int i = 0; ok && i < n; i++) {
    int g = group_of(req, feats[i].ov, n);
    ok = g >= 0;
    if (!ok)
      break;
    lr__req_feature *f = &req->features[req->n_features];
    f->view = feats[i].ov->view->name;
    f->name = feats[i].field->name;
    f->dtype = feats[i].field->dtype;
    f->slot = feats[i].field->slot;
    f->group = g;
    req->groups[g].features[req->groups[g].n_features++] = req->n_features++;
  }
  if (!ok) {
    lr_request_free(req);
    return LR_ENOMEM;
  }
  *out = req;
  return 0;
}

int lr_request_prepare(lr_store *store, const char *const *refs, int n,
                       lr_request **out) {
  if (!out)
    return LR_EINVAL;
  *out = NULL;
  if (!store || !refs || n < 1)
    return LR_EINVAL;
  lr__buf_reset(&store->errmsg);
  resolved *feats = calloc((size_t)n, sizeof *feats);
  if (!feats)
    return LR_ENOMEM;
  int rc = 0;
  for (int i = 0; rc == 0 && i < n; i++) {
    const char *colon = refs[i] ? strchr(refs[i], ':') : NULL;
    if (!colon || colon == refs[i] || !colon[1]) {
      rc = fail(store, LR_EINVAL, "bad feature reference '%s': write "
                "view:feature%s", refs[i] ? refs[i] : "(null)", "");
      break;
    }
    char view[256];
    snprintf(view, sizeof view, "%.*s", (int)(colon - refs[i]), refs[i]);
    rc = resolve(store, view, colon + 1, &feats[i]);
  }
  if (rc == 0)
    rc = build(store, feats, n, out);
  free(feats);
  return rc;
}

int lr_request_prepare_service(lr_store *store, const char *service,
                               lr_request **out) {
  if (!out)
    return LR_EINVAL;
  *out = NULL;
  if (!store || !service)
    return LR_EINVAL;
  lr__buf_reset(&store->errmsg);
  const lr__service *svc = lr__model_service(&store->reg, service);
  if (!svc) {
    const char **names = calloc((size_t)store->reg.n_services + 1,
                                sizeof *names);
    for (int i = 0; names && i < store->reg.n_services; i++)
      names[i] = store->reg.services[i].name;
    lr__buf_printf(&store->errmsg, "unknown feature service '%s'; ", service);
    lr__suggest(&store->errmsg, "feature services", service, names,
                names ? store->reg.n_services : 0);
    free(names);
    return LR_ENOTFOUND;
  }
  int n = 0;
  for (int i = 0; i < svc->n_items; i++) {
    const lr__view *v = lr__model_view(&store->reg, svc->items[i].view);
    n += svc->items[i].n_features ? svc->items[i].n_features
                                  : (v ? v->n_features : 0);
  }
  resolved *feats = calloc((size_t)n + 1, sizeof *feats);
  if (!feats)
    return LR_ENOMEM;
  int rc = 0, k = 0;
  for (int i = 0; rc == 0 && i < svc->n_items; i++) {
    const lr__service_item *it = &svc->items[i];
    const lr__view *v = lr__model_view(&store->reg, it->view);
    int count = it->n_features ? it->n_features : (v ? v->n_features : 0);
    for (int j = 0; rc == 0 && j < count; j++)
      rc = resolve(store, it->view,
                   it->n_features ? it->features[j] : v->features[j].name,
                   &feats[k++]);
  }
  if (rc == 0)
    rc = k ? build(store, feats, k, out) : LR_EINVAL;
  free(feats);
  return rc;
}

void lr_request_free(lr_request *req) {
  if (!req)
    return;
  lr__arena_free(&req->arena);
  free(req);
}

int lr_request_shape(const lr_request *req, int *n_keys, int *n_features) {
  if (!req)
    return LR_EINVAL;
  if (n_keys)
    *n_keys = req->n_keys;
  if (n_features)
    *n_features = req->n_features;
  return 0;
}

int lr_request_key(const lr_request *req, int i, const char **name,
                   int *type) {
  if (!req || i < 0 || i >= req->n_keys)
    return LR_EINVAL;
  if (name)
    *name = req->key_names[i];
  if (type)
    *type = req->key_types[i];
  return 0;
}

int lr_request_feature(const lr_request *req, int i, const char **view,
                       const char **name, int *type) {
  if (!req || i < 0 || i >= req->n_features)
    return LR_EINVAL;
  if (view)
    *view = req->features[i].view;
  if (name)
    *name = req->features[i].name;
  if (type)
    *type = req->features[i].dtype;
  return 0;
}

/*
 * request.c - resolving feature references and services into a prepared
 * request (see request.h).
 */
#include "request.h"

#include <limits.h>
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
  lr__buf_printf(lr__store_err(store), fmt, a, b);
  return rc;
}

/* Suggests a view name among the online batch views. */
static void suggest_view(lr_store *store, const char *name) {
  const char **names = calloc((size_t)store->n_views + 1, sizeof *names);
  int n = 0;
  for (int i = 0; names && i < store->n_views; i++)
    names[n++] = store->views[i].view->name;
  lr__buf_puts(lr__store_err(store), "; ");
  lr__suggest(lr__store_err(store), "feature views", name, names, n);
  free(names);
}

static void suggest_feature(lr_store *store, const lr__view *v,
                            const char *name) {
  const char **names = calloc((size_t)v->n_features + 1, sizeof *names);
  for (int i = 0; names && i < v->n_features; i++)
    names[i] = v->features[i].name;
  lr__buf_puts(lr__store_err(store), "; ");
  lr__suggest(lr__store_err(store), "features", name, names,
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
  if (v->kind == LR__VIEW_BATCH && !v->online)
    return fail(store, LR_EINVAL,
                "feature view '%s' is not online (online: false)%s", view, "");
  const lr__field *f = lr__view_feature(v, feature);
  if (!f) {
    lr__buf_printf(lr__store_err(store), "feature view '%s' has no feature '%s'",
                   view, feature);
    suggest_feature(store, v, feature);
    return LR_ENOTFOUND;
  }
  out->ov = ov;
  out->field = f;
  return 0;
}

/* 1 when the view's features are computed at lookup rather than read. */
static int computed(const lr__view *v) {
  return v->kind == LR__VIEW_ON_DEMAND && !v->write_to_online_store;
}

/* The key column `name`, added when new. */
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
  grp->ttl_us = lr__model_view_ttl(&req->store->reg, ov->view) * 1000000;
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

/* The on-demand view computing `ov`, compiled when new, into *index.
 * Returns 0, LR_EINVAL (it does not compile: the reason is on the store)
 * or LR_ENOMEM. */
static int odfv_of(lr_request *req, lr__online_view *ov, int *index) {
  for (int o = 0; o < req->n_odfvs; o++)
    if (req->odfvs[o].odfv->view == ov->view)
      return *index = o, 0;
  lr__req_odfv *ro = &req->odfvs[req->n_odfvs];
  int rc = lr__odfv_compile(&req->store->reg, ov->view, NULL,
                            lr__store_err(req->store), &ro->odfv);
  if (rc)
    return rc;
  int n_out = ov->view->n_features;
  ro->output_feature = lr__arena_array(&req->arena, (size_t)n_out + 1,
                                       sizeof(int));
  ro->input_cell = lr__arena_array(&req->arena,
                                   (size_t)ro->odfv->n_inputs + 1, sizeof(int));
  if (!ro->output_feature || !ro->input_cell) {
    lr__odfv_free(ro->odfv);
    return LR_ENOMEM;
  }
  for (int k = 0; k < n_out; k++)
    ro->output_feature[k] = -1;
  *index = req->n_odfvs++;
  return 0;
}

/* Appends a feature read from a stored row or computed; its index goes to
 * *index. Returns 0 or a status. */
static int add_feature(lr_request *req, const resolved *r, int max,
                       int *index) {
  lr__req_feature *f = &req->features[req->n_cells];
  f->view = r->ov->view->name;
  f->name = r->field->name;
  f->dtype = r->field->dtype;
  f->slot = r->field->slot;
  f->group = f->odfv = -1;
  if (computed(r->ov->view)) {
    int rc = odfv_of(req, r->ov, &f->odfv);
    if (rc)
      return rc;
    req->odfvs[f->odfv].output_feature[r->field - r->ov->view->features] =
        req->n_cells;
  } else {
    f->group = group_of(req, r->ov, max);
    if (f->group < 0)
      return LR_ENOMEM;
    lr__req_group *g = &req->groups[f->group];
    g->features[g->n_features++] = req->n_cells;
  }
  *index = req->n_cells++;
  return 0;
}

/* The cell an on-demand view's input reads, into *cell: a requested
 * feature of the same view, or a hidden one added after the requested
 * ones. Returns 0 or a status. */
static int input_feature(lr_request *req, const lr__view *view,
                         const lr__field *field, int max, int *cell) {
  for (int f = 0; f < req->n_cells; f++)
    if (req->features[f].group >= 0 &&
        strcmp(req->features[f].view, view->name) == 0 &&
        strcmp(req->features[f].name, field->name) == 0)
      return *cell = f, 0;
  resolved r = {lr__store_view(req->store, view->name), field};
  return r.ov ? add_feature(req, &r, max, cell) : LR_ENOTFOUND;
}

/* 1 when a requested output of on-demand view `ro` reads input i. */
static int input_needed(const lr__req_odfv *ro, int i) {
  for (int k = 0; k < ro->odfv->view->n_features; k++)
    if (ro->output_feature[k] >= 0 &&
        lr__prog_output_uses_input(ro->odfv->prog, k, i))
      return 1;
  return 0;
}

/* Wires the inputs of every on-demand view that its requested outputs
 * read: features become cells (hidden when not requested), request fields
 * become key columns after the join keys. */
static int wire_inputs(lr_request *req, int max) {
  for (int o = 0; o < req->n_odfvs; o++) {
    const lr__odfv *odfv = req->odfvs[o].odfv;
    for (int i = 0; i < odfv->n_inputs; i++) {
      int *cell = &req->odfvs[o].input_cell[i];
      *cell = INT_MIN;
      int rc = input_needed(&req->odfvs[o], i) && odfv->input_views[i]
                   ? input_feature(req, odfv->input_views[i],
                                   odfv->input_fields[i], max, cell)
                   : 0;
      if (rc)
        return rc;
    }
  }
  req->n_join_keys = req->n_keys;
  for (int o = 0; o < req->n_odfvs; o++) {
    const lr__odfv *odfv = req->odfvs[o].odfv;
    for (int i = 0; i < odfv->n_inputs; i++)
      if (input_needed(&req->odfvs[o], i) && !odfv->input_views[i])
        req->odfvs[o].input_cell[i] =
            -1 - key_column(req, odfv->inputs[i].name, odfv->inputs[i].dtype);
  }
  return 0;
}

/* How many cells and key columns a request of these features may need at
 * most: each computed view may add all its inputs. */
static int capacity(lr_store *store, const resolved *feats, int n) {
  int max = n;
  for (int i = 0; i < n; i++)
    if (computed(feats[i].ov->view))
      for (int s = 0; s < feats[i].ov->view->n_sources; s++) {
        const lr__view *in = lr__model_view(&store->reg,
                                            feats[i].ov->view->sources[s]);
        const lr__source *rs = lr__model_source(&store->reg,
                                                feats[i].ov->view->sources[s]);
        max += in ? in->n_features : rs ? rs->n_fields : 0;
      }
  return max;
}

/* Builds the request from resolved features (n of them). */
static int build(lr_store *store, const resolved *feats, int n,
                 lr_request **out) {
  lr_request *req = calloc(1, sizeof *req);
  if (!req)
    return LR_ENOMEM;
  lr__arena_init(&req->arena);
  req->store = store;
  int max = capacity(store, feats, n);
  size_t max_keys = (size_t)max * 17 + 1; /* a view keys on at most 16 */
  req->key_names = lr__arena_array(&req->arena, max_keys, sizeof(char *));
  req->key_types = lr__arena_array(&req->arena, max_keys, 1);
  req->features = lr__arena_array(&req->arena, (size_t)max + 1,
                                  sizeof *req->features);
  req->groups = lr__arena_array(&req->arena, (size_t)max + 1,
                                sizeof *req->groups);
  req->odfvs = lr__arena_array(&req->arena, (size_t)n + 1, sizeof *req->odfvs);
  int rc = req->key_names && req->key_types && req->features && req->groups &&
                   req->odfvs ? 0 : LR_ENOMEM;
  int index;
  for (int i = 0; rc == 0 && i < n; i++)
    rc = add_feature(req, &feats[i], max, &index);
  req->n_features = req->n_cells;
  if (rc == 0)
    rc = wire_inputs(req, max);
  if (rc == 0)
    rc = lr__request_json_template(req);
  if (rc) {
    lr_request_free(req);
    return rc;
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
  lr__buf_reset(lr__store_err(store));
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
  lr__buf_reset(lr__store_err(store));
  const lr__service *svc = lr__model_service(&store->reg, service);
  if (!svc) {
    const char **names = calloc((size_t)store->reg.n_services + 1,
                                sizeof *names);
    for (int i = 0; names && i < store->reg.n_services; i++)
      names[i] = store->reg.services[i].name;
    lr__buf_printf(lr__store_err(store), "unknown feature service '%s'; ", service);
    lr__suggest(lr__store_err(store), "feature services", service, names,
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
  for (int o = 0; o < req->n_odfvs; o++)
    lr__odfv_free(req->odfvs[o].odfv);
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

int lr_request_join_keys(const lr_request *req, int *n_join_keys) {
  if (!req || !n_join_keys)
    return LR_EINVAL;
  *n_join_keys = req->n_join_keys;
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

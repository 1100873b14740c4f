/*
 * plan.c - what `larder apply` would change: the difference between the
 * registry last applied and the definitions on disk, written for humans,
 * and the registry state carried over into the new registry.
 *
 * The state that outlives definitions is the online row layout of each view:
 * every feature owns a slot in the packed row. A feature keeps its slot
 * across applies; a new feature takes the next unused slot (so rows written
 * before read it as missing); a removed feature's slot is never reused (its
 * old bytes are ignored). A retyped feature or a changed entity key makes the
 * stored rows unreadable: that needs LR_APPLY_FORCE, which bumps the view's layout
 * epoch (its online rows are dropped) and numbers the slots afresh.
 */
#include "plan.h"

#include <stddef.h>
#include <string.h>

#include "../util/names.h"
#include "attrs.h"
#include "checks.h"
#include "larder.h"
#include "loaddef.h"

typedef struct planner {
  const lr__model *old;
  lr__model *next;
  unsigned flags;
  lr__buf *out;
  lr__plan_summary *sum;
  lr__buf rematerialize; /* names of views that need a (re)load */
} planner;

/* What to materialize to fill view v's online rows: v itself, or the
 * feature view an on-demand view stored on write is computed from. */
static const char *load_target(const planner *P, const lr__view *v) {
  const lr__view *source = v->kind == LR__VIEW_BATCH
                               ? v : lr__model_odfv_source(P->next, v);
  return source ? source->name : v->name;
}

/* Writes one "key: old -> new" line of the plan (lr__attr_diff_fn). */
static void print_attr_change(void *ctx, const char *key, const lr__attr *a,
                              const lr__attr *b) {
  planner *P = ctx;
  lr__buf_printf(P->out, "      %s: %s -> %s\n", key,
                 a ? a->text : "(unset)", b ? b->text : "(unset)");
}

/* Writes "key: old -> new" lines for attributes whose JSON differs; keys in
 * `skip` (NULL-terminated) are left out. Returns how many differ. */
static int diff_attrs(planner *P, const lr__attrs *was, const lr__attrs *now,
                      const char *const *skip) {
  return lr__attrs_diff(was, now, skip, print_attr_change, P);
}

/* Adds `view` to the list of views to (re)load, once. */
static void note_rematerialize(planner *P, const char *view) {
  const char *list = lr__buf_str(&P->rematerialize);
  size_t len = strlen(view);
  for (const char *at = list; (at = strstr(at, view)); at += len)
    if ((at == list || at[-1] == ' ') && (at[len] == ',' || !at[len]))
      return;
  lr__buf_printf(&P->rematerialize, "%s%s", P->rematerialize.len ? ", " : "",
                 view);
}

/* 1 when the key columns of `view` differ between the old and new model. */
static int key_changed(planner *P, const lr__view *was, const lr__view *now) {
  if (was->n_entities != now->n_entities)
    return 1;
  for (int i = 0; i < now->n_entities; i++) {
    if (strcmp(was->entities[i], now->entities[i]) != 0)
      return 1;
    const lr__entity *a = lr__model_entity(P->old, was->entities[i]);
    const lr__entity *b = lr__model_entity(P->next, now->entities[i]);
    if (!a || !b || a->value_type != b->value_type ||
        a->n_join_keys != b->n_join_keys)
      return 1;
    for (int k = 0; k < a->n_join_keys; k++)
      if (strcmp(a->join_keys[k], b->join_keys[k]) != 0)
        return 1;
  }
  return 0;
}

/* Gives the features slots 0..n-1: a new view, or a forced relayout. */
static void number_slots_afresh(planner *P, lr__view *v) {
  v->slot_types = lr__arena_array(&P->next->arena, (size_t)v->n_features + 1,
                                  1);
  for (int i = 0; i < v->n_features; i++) {
    v->features[i].slot = (uint16_t)i;
    if (v->slot_types)
      v->slot_types[i] = v->features[i].dtype;
  }
  v->next_slot = (uint16_t)v->n_features;
}

/* The slot types of `was`, then those of features added to `now` (whose
 * slots were numbered from was->next_slot). */
static void extend_slot_types(planner *P, const lr__view *was, lr__view *now) {
  now->slot_types = lr__arena_array(&P->next->arena, (size_t)now->next_slot + 1,
                                    1);
  if (!now->slot_types)
    return;
  if (was->next_slot && was->slot_types)
    memcpy(now->slot_types, was->slot_types, was->next_slot);
  for (int i = 0; i < now->n_features; i++)
    if (now->features[i].slot >= was->next_slot)
      now->slot_types[now->features[i].slot] = now->features[i].dtype;
}

/* What plan_features found: features to fill, rows dropped (forced), a
 * change that needs force and did not get it (the apply is refused). */
enum { FEATURES_ADDED = 1, ROWS_DROPPED = 2, REFUSED = 4 };

/* Lists feature changes of a view and carries its slots over. Returns
 * FEATURES_ADDED, ROWS_DROPPED and REFUSED bits. */
static int plan_features(planner *P, const lr__view *was, lr__view *now) {
  int result = 0, retyped = 0, layout_full = 0;
  now->next_slot = was->next_slot;
  now->layout_epoch = was->layout_epoch;
  for (int i = 0; i < now->n_features; i++) {
    lr__field *f = &now->features[i];
    const lr__field *old = lr__view_feature(was, f->name);
    char s1[32], s2[32];
    if (!old && now->next_slot == UINT16_MAX) {
      layout_full = 1;
      continue;
    }
    if (!old) {
      f->slot = now->next_slot++;
      lr__buf_printf(P->out, "      + feature %s (%s)%s\n", f->name,
                     lr__dtype_name(f->dtype, s1),
                     now->online ? "  materialize to fill it; rows written "
                                   "before read it as NOT_FOUND" : "");
      result |= FEATURES_ADDED;
      continue;
    }
    f->slot = old->slot;
    if (old->dtype != f->dtype) {
      lr__buf_printf(P->out, "      ~ feature %s: %s -> %s  needs force: "
                     "drops the view's online rows\n", f->name,
                     lr__dtype_name(old->dtype, s1),
                     lr__dtype_name(f->dtype, s2));
      retyped++;
    } else if (!lr__text_same(old->expr, f->expr)) {
      lr__buf_printf(P->out, "      ~ feature %s: expr %s -> %s%s\n", f->name,
                     old->expr ? old->expr : "(none)",
                     f->expr ? f->expr : "(none)",
                     now->write_to_online_store
                         ? "  stored values are recomputed when the source "
                           "view is materialized again" : "");
      result |= now->write_to_online_store ? FEATURES_ADDED : 0;
    } else if (!lr__text_same(old->description, f->description)) {
      lr__buf_printf(P->out, "      ~ feature %s: description %s -> %s\n",
                     f->name, old->description ? old->description : "(none)",
                     f->description ? f->description : "(none)");
    }
  }
  for (int i = 0; i < was->n_features; i++)
    if (!lr__view_feature(now, was->features[i].name))
      lr__buf_printf(P->out, "      - feature %s  its stored bytes are "
                     "ignored\n", was->features[i].name);
  if (key_changed(P, was, now)) {
    lr__buf_puts(P->out, "      ~ entity key changed  needs force: drops "
                         "the view's online rows\n");
    retyped++;
  }
  if (retyped || layout_full) {
    P->sum->needs_force = 1;
    if (P->flags & LR_APPLY_FORCE) {
      now->layout_epoch = P->next->next_epoch++;
      number_slots_afresh(P, now);
      lr__buf_printf(P->out, "      ! forced: the online rows of %s will be "
                     "dropped\n", now->name);
      result |= ROWS_DROPPED;
    } else {
      result |= REFUSED;
    }
  }
  if (layout_full && !(result & ROWS_DROPPED)) {
    P->sum->needs_force = 1;
    lr__buf_printf(P->out, "      ! the row layout of %s is full (%d slots): "
                   "a forced apply renumbers it\n", now->name,
                   UINT16_MAX);
  } else if (!(result & ROWS_DROPPED)) {
    extend_slot_types(P, was, now);
  }
  return result;
}

/* 1 when attribute `key` differs between two attribute lists. */
static int attr_differs(const lr__attrs *a, const lr__attrs *b,
                        const char *key) {
  const lr__attr *x = lr__attrs_get(a, key), *y = lr__attrs_get(b, key);
  return (x == NULL) != (y == NULL) || (x && strcmp(x->json, y->json) != 0);
}

/* 1 when a load of view `now` writes other rows than one of `was` did
 * (loaddef.h): a changed field_mapping or source path counts, though the
 * view's own attributes are the same. */
static int loads_differ(const planner *P, const lr__view *was,
                        const lr__view *now) {
  return now->kind == LR__VIEW_BATCH &&
         lr__loaddef_diff(P->old, was, P->next, now, NULL) > 0;
}

/* The rule named `name` of view v, or NULL. */
static const lr__check *view_check(const lr__view *v, const char *name) {
  for (int i = 0; i < v->n_checks; i++)
    if (v->checks[i].name && strcmp(v->checks[i].name, name) == 0)
      return &v->checks[i];
  return NULL;
}

/* Lists the rules added, changed (by name) and removed. A rule judges
 * rows as they are loaded: changing one asks for no reload. */
static void plan_checks(planner *P, const lr__view *was, const lr__view *now) {
  for (int i = 0; i < now->n_checks; i++) {
    const lr__check *c = &now->checks[i];
    const lr__check *old = view_check(was, c->name);
    lr__buf j1, j2;
    lr__buf_init(&j1);
    lr__buf_init(&j2);
    lr__check_json(c, &j2);
    if (old)
      lr__check_json(old, &j1);
    if (!old) {
      lr__buf_puts(P->out, "      + check ");
      lr__check_text(c, P->out);
      lr__buf_puts(P->out, "\n");
    } else if (strcmp(lr__buf_str(&j1), lr__buf_str(&j2)) != 0) {
      lr__buf_puts(P->out, "      ~ check ");
      lr__check_text(old, P->out);
      lr__buf_puts(P->out, "\n          -> ");
      lr__check_text(c, P->out);
      lr__buf_puts(P->out, "\n");
    }
    lr__buf_free(&j1);
    lr__buf_free(&j2);
  }
  for (int i = 0; i < was->n_checks; i++)
    if (!view_check(now, was->checks[i].name))
      lr__buf_printf(P->out, "      - check %s\n", was->checks[i].name);
}

static void plan_view(planner *P, const lr__view *was, lr__view *now) {
  size_t mark = P->out->len;
  lr__buf_printf(P->out, "  ~ %s %s\n", lr__view_kind_name(now->kind),
                 now->name);
  size_t body = P->out->len;
  lr__attrs a, b;
  lr__attrs_view(&a, was);
  lr__attrs_view(&b, now);
  static const char *const skip[] = {"features", "checks", NULL};
  diff_attrs(P, &a, &b, skip);
  plan_checks(P, was, now);
  int source_changed = attr_differs(&a, &b, "source");
  lr__attrs_free(&a);
  lr__attrs_free(&b);
  int features = plan_features(P, was, now);
  int reload = lr__view_is_stored(now) &&
               ((features & (FEATURES_ADDED | ROWS_DROPPED)) ||
                source_changed || !lr__view_is_stored(was) ||
                (!(features & REFUSED) && loads_differ(P, was, now)));
  if (P->out->len == body) { /* nothing changed: take the heading back */
    P->out->len = mark;
    P->out->data[mark] = '\0';
  } else {
    P->sum->changed++;
  }
  if (reload)
    note_rematerialize(P, load_target(P, now));
}

/* The four object lists are compared the same way: walk both sorted lists
 * together; a name only in the new list is created, only in the old one
 * removed, in both possibly changed. */
typedef struct kind_ops {
  const char *what;
  int (*count)(const lr__model *);
  const char *(*name)(const lr__model *, int);
  void (*attrs)(const lr__model *, int, lr__attrs *);
} kind_ops;

static int n_entities(const lr__model *m) { return m->n_entities; }
static int n_sources(const lr__model *m) { return m->n_sources; }
static int n_services(const lr__model *m) { return m->n_services; }
static int n_views(const lr__model *m) { return m->n_views; }
static const char *entity_name(const lr__model *m, int i) { return m->entities[i].name; }
static const char *source_name(const lr__model *m, int i) { return m->sources[i].name; }
static const char *service_name(const lr__model *m, int i) { return m->services[i].name; }
static const char *view_name(const lr__model *m, int i) { return m->views[i].name; }
static void entity_attrs(const lr__model *m, int i, lr__attrs *a) { lr__attrs_entity(a, &m->entities[i]); }
static void source_attrs(const lr__model *m, int i, lr__attrs *a) { lr__attrs_source(a, &m->sources[i]); }
static void service_attrs(const lr__model *m, int i, lr__attrs *a) { lr__attrs_service(a, &m->services[i]); }
static void view_attrs(const lr__model *m, int i, lr__attrs *a) { lr__attrs_view(a, &m->views[i]); }

static const kind_ops entity_ops = {"entity", n_entities, entity_name, entity_attrs};
static const kind_ops source_ops = {"source", n_sources, source_name, source_attrs};
static const kind_ops view_ops = {"view", n_views, view_name, view_attrs};
static const kind_ops service_ops = {"feature service", n_services, service_name, service_attrs};

static void plan_created(planner *P, const kind_ops *ops, int i) {
  lr__attrs a;
  ops->attrs(P->next, i, &a);
  lr__buf_printf(P->out, "  + %s %s\n", a.kind, a.name);
  lr__attrs_free(&a);
  P->sum->created++;
  if (ops == &view_ops) {
    lr__view *v = &P->next->views[i];
    v->layout_epoch = P->next->next_epoch++;
    number_slots_afresh(P, v);
    if (lr__view_is_stored(v))
      note_rematerialize(P, load_target(P, v));
  }
}

static void plan_removed(planner *P, const kind_ops *ops, int i) {
  lr__attrs a;
  ops->attrs(P->old, i, &a);
  lr__buf_printf(P->out, "  - %s %s\n", a.kind, a.name);
  lr__attrs_free(&a);
  P->sum->removed++;
}

static void plan_both(planner *P, const kind_ops *ops, int i_old, int i_new) {
  if (ops == &view_ops) {
    const lr__view *was = &P->old->views[i_old];
    lr__view *now = &P->next->views[i_new];
    if (was->kind == now->kind) {
      plan_view(P, was, now);
    } else { /* a batch view became on-demand, or back: a new object */
      plan_removed(P, ops, i_old);
      plan_created(P, ops, i_new);
    }
    return;
  }
  lr__attrs a, b;
  ops->attrs(P->old, i_old, &a);
  ops->attrs(P->next, i_new, &b);
  size_t mark = P->out->len;
  lr__buf_printf(P->out, "  ~ %s %s\n", b.kind, b.name);
  if (diff_attrs(P, &a, &b, NULL) == 0) {
    P->out->len = mark;
    P->out->data[mark] = '\0';
  } else {
    P->sum->changed++;
  }
  lr__attrs_free(&a);
  lr__attrs_free(&b);
}

static void plan_kind(planner *P, const kind_ops *ops) {
  int n_old = ops->count(P->old), n_new = ops->count(P->next);
  int i = 0, j = 0;
  while (i < n_old || j < n_new) {
    int c = i == n_old   ? 1
            : j == n_new ? -1
                         : strcmp(ops->name(P->old, i), ops->name(P->next, j));
    if (c < 0)
      plan_removed(P, ops, i++);
    else if (c > 0)
      plan_created(P, ops, j++);
    else
      plan_both(P, ops, i++, j++);
  }
}

/* The settings of feature_store.yaml that the registry keeps. */
static void plan_config(planner *P) {
  static const struct {
    const char *name;
    size_t offset;
  } settings[] = {
      {"project", offsetof(lr__config, project)},
      {"registry", offsetof(lr__config, registry_path)},
      {"online_store.type", offsetof(lr__config, online_type)},
      {"online_store.path", offsetof(lr__config, online_path)},
      {"offline_store.type", offsetof(lr__config, offline_type)},
  };
  if (!P->old->version)
    return;
  size_t mark = P->out->len;
  lr__buf_puts(P->out, "  ~ settings (feature_store.yaml)\n");
  size_t body = P->out->len;
  for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
    const char *was = *(const char *const *)((const char *)&P->old->config +
                                             settings[i].offset);
    const char *now = *(const char *const *)((const char *)&P->next->config +
                                             settings[i].offset);
    if (!lr__text_same(was, now))
      lr__buf_printf(P->out, "      %s: %s -> %s\n", settings[i].name,
                     was ? was : "(unset)", now ? now : "(unset)");
  }
  if (P->out->len == body) {
    P->out->len = mark;
    P->out->data[mark] = '\0';
  } else {
    P->sum->changed++;
  }
}

int lr__plan(const lr__model *old, lr__model *next, unsigned flags,
             lr__buf *out, lr__plan_summary *sum) {
  memset(sum, 0, sizeof *sum);
  next->next_epoch = old->next_epoch;
  planner P = {old, next, flags, out, sum, {0}};
  lr__buf_init(&P.rematerialize);
  if (old->version)
    lr__buf_printf(out, "Plan for project '%s' (registry version %llu):\n",
                   next->config.project, (unsigned long long)old->version);
  else
    lr__buf_printf(out, "Plan for project '%s' (no registry yet):\n",
                   next->config.project);
  size_t body = out->len;
  plan_config(&P);
  plan_kind(&P, &entity_ops);
  plan_kind(&P, &source_ops);
  plan_kind(&P, &view_ops);
  plan_kind(&P, &service_ops);
  if (out->len == body) {
    lr__buf_puts(out, "  no changes: the registry matches the definitions\n");
  } else {
    lr__buf_printf(out, "%d to create, %d to change, %d to remove.\n",
                   sum->created, sum->changed, sum->removed);
  }
  if (P.rematerialize.len)
    lr__buf_printf(out, "Needs materialization: %s\n",
                   lr__buf_str(&P.rematerialize));
  if (sum->needs_force && !(flags & LR_APPLY_FORCE))
    lr__buf_puts(out, "Some changes drop stored online rows: they need a "
                      "forced apply.\n");
  lr__buf_free(&P.rematerialize);
  if (lr__buf_failed(out))
    return LR_ENOMEM;
  return sum->needs_force && !(flags & LR_APPLY_FORCE) ? LR_ENEEDFORCE : 0;
}

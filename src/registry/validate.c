/*
 * validate.c - the checks that need every definition at once: names,
 * duplicates, references between objects and types that must agree. What
 * needs the data (do a source's files and columns match the definitions?)
 * is the offline layer's source check (src/offline/schema_check.c), which
 * `apply` runs unless told the sources cannot be reached.
 *
 * It expects a model sorted by name (lr__model_sort), so that duplicates are
 * neighbours and references resolve by bisection. Every problem found is
 * added to the diagnostics; nothing stops at the first.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/names.h"
#include "larder.h"
#include "checks.h"
#include "load.h"
#include "odfv.h"
#include "validate.h"


/* Where a value was written when the YAML loader kept it, else `fallback`
 * (its object's position; a model read from the registry has no others). */
lr__loc lr__at_or(lr__loc loc, lr__loc fallback) {
  return loc.line ? loc : fallback;
}

static void add_hint_note(lr__buf *hint, const lr__loc *first) {
  lr__buf_printf(hint, "the first is at %s:%d:%d; rename or remove one",
                 first->file ? first->file : "?", first->line, first->col);
}

#define LR__TEXT(x) #x
#define LR__TEXT_OF(x) LR__TEXT(x)
#define LR__NAME_MAX_TEXT LR__TEXT_OF(LR__NAME_MAX)

/* Names are identifiers of at most LR__NAME_MAX bytes; a longer one is
 * shown by its start (the whole would bury the message). */
void lr__validate_identifier(lr__diag *diag, const char *name, lr__loc loc,
                             const char *what) {
  if (name && !lr__is_identifier(name))
    lr__diag_add(diag, loc,
                 "use letters, digits and underscores, starting with a letter "
                 "or underscore",
                 "%s name '%s' is not a valid identifier", what, name);
  else if (name && strlen(name) > LR__NAME_MAX)
    lr__diag_add(diag, loc,
                 "shorten it to at most " LR__NAME_MAX_TEXT " characters",
                 "%s name '%.40s...' is %zu characters long; names are at "
                 "most %d", what, name, strlen(name), LR__NAME_MAX);
}

static void check_identifier(lr__checker *C, const char *name, lr__loc loc,
                             const char *what) {
  lr__validate_identifier(C->diag, name, loc, what);
}

/* Reports neighbours with equal names in a sorted list. Objects start with
 * their name; `loc_offset` finds their location. */
static void check_duplicates(lr__checker *C, const void *items, int n, size_t size,
                             size_t loc_offset, const char *what) {
  for (int i = 1; i < n; i++) {
    const char *prev = (const char *)items + (size_t)(i - 1) * size;
    const char *cur = (const char *)items + (size_t)i * size;
    const char *a = *(const char *const *)prev, *b = *(const char *const *)cur;
    if (!a || !b || strcmp(a, b) != 0)
      continue;
    /* Of a run of equal names, point at the first one defined. */
    int first = i - 1;
    const char *before;
    while (first > 0 &&
           (before = *(const char *const *)((const char *)items +
                                            (size_t)(first - 1) * size)) &&
           strcmp(before, b) == 0)
      first--; /* unnamed objects (sorted first) end the run */
    const lr__loc *first_loc = (const lr__loc *)((const char *)items +
                                                 (size_t)first * size + loc_offset);
    lr__buf hint;
    lr__buf_init(&hint);
    add_hint_note(&hint, first_loc);
    lr__diag_add(C->diag, *(const lr__loc *)(cur + loc_offset),
                 lr__buf_str(&hint), "%s '%s' is defined twice", what, b);
    lr__buf_free(&hint);
  }
}

/* Names of the objects of one list, for suggestions (caller frees); sets
 * *count to how many have a name. */
static const char **names_of(const void *items, int n, size_t size,
                             int *count) {
  const char **names = calloc((size_t)n + 1, sizeof *names);
  *count = 0;
  for (int i = 0; names && i < n; i++) {
    const char *name =
        *(const char *const *)((const char *)items + (size_t)i * size);
    if (name)
      names[(*count)++] = name;
  }
  return names;
}

/* The plural of `what` for hints: "entities", "sources", "feature views". */
static void put_plural(lr__buf *out, const char *what) {
  size_t n = strlen(what);
  if (n && what[n - 1] == 'y')
    lr__buf_printf(out, "%.*sies", (int)(n - 1), what);
  else
    lr__buf_printf(out, "%ss", what);
}

/* A reference to a `what` named `name` that none of `items` has. */
void lr__report_unknown(lr__checker *C, lr__loc loc, const char *what,
                           const char *name, const void *items, int n,
                           size_t size, const char *owner) {
  int n_names;
  const char **names = names_of(items, n, size, &n_names);
  lr__buf hint;
  lr__buf_init(&hint);
  lr__buf what_plural;
  lr__buf_init(&what_plural);
  put_plural(&what_plural, what);
  lr__suggest(&hint, lr__buf_str(&what_plural), name, names,
              names ? n_names : 0);
  lr__diag_add(C->diag, loc, lr__buf_str(&hint), "unknown %s '%s' in %s", what,
               name, owner);
  lr__buf_free(&hint);
  lr__buf_free(&what_plural);
  free(names);
}

/* ---- feature_store.yaml ------------------------------------------------ */

/* The settings Larder can honour: a valid project name, LMDB or Redis
 * online and DuckDB offline. Each error points at the value (1:1 when unknown). */
static void check_config(lr__checker *C) {
  const lr__config *c = &C->m->config;
  lr__loc start = {"feature_store.yaml", 1, 1};
  check_identifier(C, c->project, lr__at_or(c->project_loc, start), "project");
  if (c->online_type && strcmp(c->online_type, "lmdb") != 0 &&
      strcmp(c->online_type, "redis") != 0)
    lr__diag_add(C->diag, lr__at_or(c->online_type_loc, start),
                 "Larder's online store is `type: lmdb` (a folder on this "
                 "host) or `type: redis` (a shared Redis or Redis Cluster)",
                 "unsupported online_store type '%s'", c->online_type);
  if (c->offline_type && strcmp(c->offline_type, "duckdb") != 0)
    lr__diag_add(C->diag, lr__at_or(c->offline_type_loc, start),
                 "Larder's offline store is `type: duckdb`",
                 "unsupported offline_store type '%s'", c->offline_type);
}

/* ---- entities ---------------------------------------------------------- */

static void check_entity(lr__checker *C, const lr__entity *e) {
  check_identifier(C, e->name, lr__at_or(e->name_loc, e->loc), "entity");
  if (e->join_keys && e->n_join_keys == 0)
    lr__diag_add(C->diag, e->loc, "list at least one column, e.g. "
                 "`join_keys: [driver_id]`",
                 "entity '%s' has no join keys", e->name ? e->name : "?");
  for (int k = 0; k < e->n_join_keys; k++) {
    check_identifier(C, e->join_keys[k], e->loc, "join key");
    for (int j = 0; j < k; j++)
      if (strcmp(e->join_keys[j], e->join_keys[k]) == 0)
        lr__diag_add(C->diag, e->loc, "list each join key once",
                     "entity '%s' lists join key '%s' twice", e->name,
                     e->join_keys[k]);
  }
}

/* Two entities may share a join key column only if they agree on its type. */
static void check_join_key_types(lr__checker *C) {
  const lr__model *m = C->m;
  for (int a = 0; a < m->n_entities; a++) {
    for (int b = a + 1; b < m->n_entities; b++) {
      const lr__entity *ea = &m->entities[a], *eb = &m->entities[b];
      if (lr__loc_compare(&ea->loc, &eb->loc) > 0) { /* report the later */
        const lr__entity *t = ea;
        ea = eb;
        eb = t;
      }
      if (!ea->name || !eb->name || !ea->value_type || !eb->value_type || ea->value_type == eb->value_type)
        continue;
      for (int i = 0; i < ea->n_join_keys; i++) {
        for (int j = 0; j < eb->n_join_keys; j++) {
          if (strcmp(ea->join_keys[i], eb->join_keys[j]) != 0)
            continue;
          char sa[32], sb[32];
          lr__buf hint;
          lr__buf_init(&hint);
          lr__buf_printf(&hint, "entity '%s' (%s:%d) declares it %s; give both "
                         "the same value_type", ea->name, ea->loc.file,
                         ea->loc.line, lr__dtype_name(ea->value_type, sa));
          lr__diag_add(C->diag, lr__at_or(eb->value_type_loc, eb->loc),
                       lr__buf_str(&hint),
                       "join key '%s' of entity '%s' is %s, but another entity "
                       "uses it with another type", eb->join_keys[j], eb->name,
                       lr__dtype_name(eb->value_type, sb));
          lr__buf_free(&hint);
        }
      }
    }
  }
}

/* ---- views ------------------------------------------------------------- */

/* Checks names, duplicates and `expr`: expr_wanted 1 = required (on-demand
 * views), 0 = not allowed (batch views), -1 = not allowed (request fields).
 * `schema_loc` is where the list of fields was written. */
void lr__validate_fields(lr__checker *C, const lr__field *fields, int n,
                         const char *owner, lr__loc schema_loc,
                         int expr_wanted) {
  if (n == 0 && fields)
    lr__diag_add(C->diag, schema_loc,
                 "list at least one `{name: ..., dtype: ...}`",
                 "%s has an empty schema", owner);
  for (int i = 0; i < n; i++) {
    const lr__field *f = &fields[i];
    if (!f->name)
      continue;
    check_identifier(C, f->name, lr__at_or(f->name_loc, f->loc), "feature");
    for (int j = 0; j < i; j++) {
      if (fields[j].name && strcmp(fields[j].name, f->name) == 0) {
        lr__buf hint;
        lr__buf_init(&hint);
        add_hint_note(&hint, &fields[j].loc);
        lr__diag_add(C->diag, f->loc, lr__buf_str(&hint),
                     "feature '%s' is listed twice in %s", f->name, owner);
        lr__buf_free(&hint);
      }
    }
    /* An `expr` given but empty was reported by the loader. */
    if (expr_wanted == 1 && (!f->expr || !*f->expr) && !f->expr_loc.line)
      lr__diag_add(C->diag, f->loc,
                   "give it an expression, e.g. `expr: \"conv_rate + val\"`",
                   "feature '%s' of %s has no 'expr'", f->name, owner);
    if (expr_wanted != 1 && f->expr)
      lr__diag_add(C->diag, lr__at_or(f->expr_loc, f->loc),
                   "only on_demand_feature_views compute features with expr",
                   "feature '%s' of %s has an 'expr'", f->name, owner);
  }
}

static void check_batch_view(lr__checker *C, const lr__view *v, const char *owner) {
  const lr__model *m = C->m;
  if (v->entities && v->n_entities == 0)
    lr__diag_add(C->diag, v->loc, "e.g. `entities: [driver]`",
                 "%s has no entities", owner);
  for (int i = 0; i < v->n_entities; i++) {
    const lr__entity *e = lr__model_entity(m, v->entities[i]);
    lr__loc at = v->entity_locs ? v->entity_locs[i] : v->loc;
    if (!e) {
      lr__report_unknown(C, at, "entity", v->entities[i], m->entities,
                     m->n_entities, sizeof *m->entities, owner);
      continue;
    }
    for (int j = 0; j < i; j++)
      if (strcmp(v->entities[j], v->entities[i]) == 0)
        lr__diag_add(C->diag, at, "list each entity once",
                     "%s lists entity '%s' twice", owner, v->entities[i]);
    for (int k = 0; k < e->n_join_keys; k++) {
      const lr__field *clash = lr__view_feature(v, e->join_keys[k]);
      if (clash)
        lr__diag_add(C->diag, lr__at_or(clash->name_loc, clash->loc),
                     "rename the feature: join keys come from the entity",
                     "feature '%s' of %s has the name of a join key of "
                     "entity '%s'", clash->name, owner, e->name);
    }
  }
  if (v->source) {
    const lr__source *s = lr__model_source(m, v->source);
    if (!s)
      lr__report_unknown(C, v->source_loc, "source", v->source, m->sources,
                     m->n_sources, sizeof *m->sources, owner);
    else if (s->kind == LR__SOURCE_REQUEST)
      lr__diag_add(C->diag, v->source_loc,
                   "request sources feed on-demand feature views; give a "
                   "file, sql or push source",
                   "%s reads request source '%s'", owner, s->name);
  }
  lr__validate_fields(C, v->features, v->n_features, owner,
               lr__at_or(v->schema_loc, v->loc), 0);
  lr__checks_validate(m, v, owner, C->diag);
}

/* An on-demand view's input that is neither a feature view nor a request
 * source; the hint lists both kinds. */
static void report_unknown_input(lr__checker *C, lr__loc at, const char *name,
                                 const char *owner) {
  const lr__model *m = C->m;
  const char **names = calloc((size_t)(m->n_views + m->n_sources) + 1,
                              sizeof *names);
  int n = 0;
  for (int i = 0; names && i < m->n_views; i++)
    if (m->views[i].name && m->views[i].kind == LR__VIEW_BATCH)
      names[n++] = m->views[i].name;
  for (int i = 0; names && i < m->n_sources; i++)
    if (m->sources[i].name && m->sources[i].kind == LR__SOURCE_REQUEST)
      names[n++] = m->sources[i].name;
  lr__buf hint;
  lr__buf_init(&hint);
  lr__suggest(&hint, "feature views and request sources", name, names, n);
  lr__diag_add(C->diag, at, lr__buf_str(&hint),
               "unknown feature view or request source '%s' in %s", name,
               owner);
  lr__buf_free(&hint);
  free(names);
}

/* A view stored on write is computed when rows of its source view are
 * written, so it reads one feature view and no request data. */
static void check_stored_odfv(lr__checker *C, const lr__view *v,
                              const char *owner) {
  int views = 0;
  for (int i = 0; i < v->n_sources; i++) {
    const lr__source *req = lr__model_source(C->m, v->sources[i]);
    lr__loc at = v->source_locs ? v->source_locs[i] : v->loc;
    views += lr__model_view(C->m, v->sources[i]) != NULL;
    if (req && req->kind == LR__SOURCE_REQUEST)
      lr__diag_add(C->diag, at, "request data is not known when rows are "
                   "written: drop write_to_online_store, or the request "
                   "source", "%s is stored on write but reads request source "
                   "'%s'", owner, req->name);
  }
  if (views != 1)
    lr__diag_add(C->diag, v->loc, "it is computed from the rows written to "
                 "its one source view; drop write_to_online_store to combine "
                 "views", "%s is stored on write, so it must read exactly one "
                 "feature view (it reads %d)", owner, views);
}

/* Compiles the expressions: names, types and syntax, with positions. */
static void compile_odfv(lr__checker *C, const lr__view *v) {
  lr__odfv *compiled = NULL;
  if (lr__odfv_compile(C->m, v, C->diag, NULL, &compiled) == LR_ENOMEM)
    C->diag->oom = 1;
  lr__odfv_free(compiled);
}

static void check_odfv(lr__checker *C, const lr__view *v, const char *owner) {
  const lr__model *m = C->m;
  int errors_before = C->diag->count;
  if (v->sources && v->n_sources == 0)
    lr__diag_add(C->diag, v->loc, "name feature views or request sources",
                 "%s has no sources", owner);
  for (int i = 0; i < v->n_sources; i++) {
    const char *name = v->sources[i];
    lr__loc at = v->source_locs ? v->source_locs[i] : v->loc;
    const lr__view *input = lr__model_view(m, name);
    const lr__source *req = lr__model_source(m, name);
    if (input && input->kind == LR__VIEW_ON_DEMAND)
      lr__diag_add(C->diag, at,
                   "an on-demand view reads feature views and request sources",
                   "%s reads on-demand view '%s'", owner, name);
    else if (!input && !(req && req->kind == LR__SOURCE_REQUEST))
      report_unknown_input(C, at, name, owner);
  }
  lr__validate_fields(C, v->features, v->n_features, owner,
               lr__at_or(v->schema_loc, v->loc), 1);
  if (v->write_to_online_store)
    check_stored_odfv(C, v, owner);
  int all_exprs = 1; /* a missing or empty one was reported already */
  for (int i = 0; i < v->n_features; i++)
    all_exprs &= v->features[i].expr && *v->features[i].expr;
  if (C->diag->count == errors_before && all_exprs)
    compile_odfv(C, v);
}

static void check_view(lr__checker *C, const lr__view *v) {
  lr__buf owner;
  lr__buf_init(&owner);
  lr__buf_printf(&owner, "%s '%s'", lr__view_kind_name(v->kind),
                 v->name ? v->name : "?");
  check_identifier(C, v->name, lr__at_or(v->name_loc, v->loc),
                   lr__view_kind_name(v->kind));
  if (v->kind == LR__VIEW_BATCH)
    check_batch_view(C, v, lr__buf_str(&owner));
  else
    check_odfv(C, v, lr__buf_str(&owner));
  lr__buf_free(&owner);
}

/* ---- services ---------------------------------------------------------- */

/* The feature an item of a service contributes at index i. */
typedef struct served {
  const char *feature;
  const char *view;
  lr__loc loc;
} served;

static void check_collision(lr__checker *C, served *seen, int *n_seen,
                            const served *cur, const char *service) {
  for (int i = 0; i < *n_seen; i++) {
    if (strcmp(seen[i].feature, cur->feature) != 0)
      continue;
    lr__buf hint;
    lr__buf_init(&hint);
    lr__buf_printf(&hint, "'%s' also comes from view '%s' (%s:%d); leave one "
                   "out or rename it", cur->feature, seen[i].view,
                   seen[i].loc.file ? seen[i].loc.file : "?", seen[i].loc.line);
    lr__diag_add(C->diag, cur->loc, lr__buf_str(&hint),
                 "feature name '%s' collides in feature service '%s'",
                 cur->feature, service);
    lr__buf_free(&hint);
    return;
  }
  seen[(*n_seen)++] = *cur;
}

/* A feature that view v does not have (a service's, a check's). */
void lr__validate_unknown_feature(lr__diag *diag, lr__loc at,
                                  const lr__view *v, const char *fname,
                                  const char *owner) {
  const char **names = calloc((size_t)v->n_features + 1, sizeof *names);
  for (int j = 0; names && j < v->n_features; j++)
    names[j] = v->features[j].name;
  lr__buf hint;
  lr__buf_init(&hint);
  lr__suggest(&hint, "features", fname, names, names ? v->n_features : 0);
  lr__diag_add(diag, at, lr__buf_str(&hint),
               "view '%s' has no feature '%s' (in %s)", v->name, fname, owner);
  lr__buf_free(&hint);
  free(names);
}

/* Where the k-th feature of a service item was written: the feature's own
 * name when the item lists some and the loader kept it, else the item. */
static lr__loc item_feature_loc(const lr__service_item *item, int k) {
  return item->n_features && item->feature_locs ? item->feature_locs[k]
                                                : item->loc;
}

static void check_service(lr__checker *C, const lr__service *s) {
  const lr__model *m = C->m;
  check_identifier(C, s->name, lr__at_or(s->name_loc, s->loc), "feature service");
  lr__buf owner;
  lr__buf_init(&owner);
  lr__buf_printf(&owner, "feature service '%s'", s->name ? s->name : "?");
  if (s->items && s->n_items == 0)
    lr__diag_add(C->diag, s->loc, "list views or `view: [features]`",
                 "%s serves no features", lr__buf_str(&owner));
  int capacity = 0;
  for (int i = 0; i < s->n_items; i++) {
    const lr__view *v = s->items[i].view ? lr__model_view(m, s->items[i].view) : NULL;
    capacity += s->items[i].n_features ? s->items[i].n_features
                                       : (v ? v->n_features : 0);
  }
  served *seen = calloc((size_t)capacity + 1, sizeof *seen);
  int n_seen = 0;
  for (int i = 0; seen && i < s->n_items; i++) {
    const lr__service_item *item = &s->items[i];
    if (!item->view)
      continue;
    const lr__view *v = lr__model_view(m, item->view);
    if (!v) {
      lr__report_unknown(C, item->loc, "feature view", item->view, m->views,
                     m->n_views, sizeof *m->views, lr__buf_str(&owner));
      continue;
    }
    int n = item->n_features ? item->n_features : v->n_features;
    for (int k = 0; k < n; k++) {
      const char *fname = item->n_features ? item->features[k] : v->features[k].name;
      if (!fname)
        continue;
      lr__loc at = item_feature_loc(item, k);
      if (item->n_features && !lr__view_feature(v, fname)) {
        lr__validate_unknown_feature(C->diag, at, v, fname,
                                     lr__buf_str(&owner));
        continue;
      }
      served cur = {fname, v->name, at};
      check_collision(C, seen, &n_seen, &cur, s->name);
    }
  }
  free(seen);
  lr__buf_free(&owner);
}

int lr__validate(const lr__model *m, lr__diag *diag) {
  lr__checker C = {m, diag};
  int before = diag->count;
  check_config(&C);
  check_duplicates(&C, m->entities, m->n_entities, sizeof *m->entities,
                   offsetof(lr__entity, loc), "entity");
  check_duplicates(&C, m->sources, m->n_sources, sizeof *m->sources,
                   offsetof(lr__source, loc), "source");
  check_duplicates(&C, m->views, m->n_views, sizeof *m->views,
                   offsetof(lr__view, loc), "feature view");
  check_duplicates(&C, m->services, m->n_services, sizeof *m->services,
                   offsetof(lr__service, loc), "feature service");
  /* An object without a name was reported by the loader; its other checks
   * would only repeat that. */
  for (int i = 0; i < m->n_entities; i++)
    if (m->entities[i].name)
      check_entity(&C, &m->entities[i]);
  check_join_key_types(&C);
  for (int i = 0; i < m->n_sources; i++)
    if (m->sources[i].name)
      lr__validate_source(&C, &m->sources[i]);
  for (int i = 0; i < m->n_views; i++)
    if (m->views[i].name)
      check_view(&C, &m->views[i]);
  for (int i = 0; i < m->n_services; i++)
    if (m->services[i].name)
      check_service(&C, &m->services[i]);
  return diag->count > before ? LR_EDEFINITION : 0;
}

/*
 * model.c - lifetime, lookups and ordering of the definitions model.
 */
#include "model.h"

#include "larder.h"
#include "../util/sort.h"

#include <stdlib.h>
#include <string.h>

void lr__model_init(lr__model *m) {
  memset(m, 0, sizeof *m);
  lr__arena_init(&m->arena);
}

void lr__model_free(lr__model *m) { lr__arena_free(&m->arena); }

/* Object lists are sorted by name (lr__model_sort), so lookups bisect.
 * Every object struct starts with its name. */
static const void *find_by_name(const void *items, int n, size_t size,
                                const char *name) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    const void *item = (const char *)items + (size_t)mid * size;
    const char *item_name = *(const char *const *)item;
    int c = strcmp(item_name ? item_name : "", name);
    if (c == 0)
      return item;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return NULL;
}

const lr__entity *lr__model_entity(const lr__model *m, const char *name) {
  return find_by_name(m->entities, m->n_entities, sizeof *m->entities, name);
}

const lr__source *lr__model_source(const lr__model *m, const char *name) {
  return find_by_name(m->sources, m->n_sources, sizeof *m->sources, name);
}

const lr__view *lr__model_view(const lr__model *m, const char *name) {
  return find_by_name(m->views, m->n_views, sizeof *m->views, name);
}

const lr__service *lr__model_service(const lr__model *m, const char *name) {
  return find_by_name(m->services, m->n_services, sizeof *m->services, name);
}

const lr__field *lr__view_feature(const lr__view *v, const char *name) {
  for (int i = 0; i < v->n_features; i++)
    if (v->features[i].name && strcmp(v->features[i].name, name) == 0)
      return &v->features[i];
  return NULL;
}

const lr__view *lr__model_odfv_source(const lr__model *m,
                                      const lr__view *v) {
  for (int i = 0; i < v->n_sources; i++) {
    const lr__view *in = lr__model_view(m, v->sources[i]);
    if (in && in->kind == LR__VIEW_BATCH)
      return in;
  }
  return NULL;
}

int lr__view_derives_from(const lr__view *v, const lr__view *source) {
  if (v->kind != LR__VIEW_ON_DEMAND || !v->write_to_online_store)
    return 0;
  for (int i = 0; i < v->n_sources; i++)
    if (strcmp(v->sources[i], source->name) == 0)
      return 1;
  return 0;
}

const lr__source *lr__model_data_source(const lr__model *m,
                                        const lr__view *v) {
  const lr__source *s = v->source ? lr__model_source(m, v->source) : NULL;
  if (s && s->kind == LR__SOURCE_PUSH)
    s = s->batch_source ? lr__model_source(m, s->batch_source) : NULL;
  return s;
}

int lr__source_time_unit(const lr__source *s) {
  return s && s->time_unit ? s->time_unit - 1 : 0; /* 0: LR__TIME_S */
}

void lr__push_offline_path(const lr__source *s, lr__buf *out) {
  if (s->offline_path)
    lr__buf_puts(out, s->offline_path);
  else
    lr__buf_printf(out, "data/pushed/%s", s->name);
}

const lr__kv *lr__source_mapping(const lr__source *s, const char *name) {
  for (int i = 0; i < s->n_field_mapping; i++)
    if (strcmp(s->field_mapping[i].value, name) == 0)
      return &s->field_mapping[i];
  return NULL;
}

const char *lr__source_column(const lr__source *s, const char *name) {
  const lr__kv *mapping = lr__source_mapping(s, name);
  return mapping ? mapping->key : name;
}

int lr__view_is_stored(const lr__view *v) {
  return v->kind == LR__VIEW_BATCH ? v->online : v->write_to_online_store;
}

int64_t lr__view_expected_freshness(const lr__view *v) {
  int64_t expected = -1;
  for (int c = 0; c < v->n_checks; c++)
    if (v->checks[c].kind == LR__CHECK_FRESHNESS &&
        (expected < 0 || v->checks[c].freshness_seconds < expected))
      expected = v->checks[c].freshness_seconds;
  return expected;
}

int64_t lr__model_view_ttl(const lr__model *m, const lr__view *v) {
  if (v->kind == LR__VIEW_ON_DEMAND)
    v = lr__model_odfv_source(m, v);
  return v ? v->ttl_seconds : 0;
}

int lr__model_view_keys(const lr__model *m, const lr__view *v,
                        const char **names, uint8_t *types, int max) {
  int n = 0;
  if (v->kind == LR__VIEW_ON_DEMAND)
    v = lr__model_odfv_source(m, v);
  if (!v)
    return 0;
  for (int i = 0; i < v->n_entities; i++) {
    const lr__entity *e = lr__model_entity(m, v->entities[i]);
    for (int k = 0; e && k < e->n_join_keys; k++, n++) {
      if (max && n == max)
        return n;
      if (max) {
        names[n] = e->join_keys[k];
        types[n] = e->value_type;
      }
    }
  }
  return n;
}

static int compare_names(const void *a, const void *b) {
  const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
  return strcmp(na ? na : "", nb ? nb : "");
}

int lr__model_sort(lr__model *m) {
  /* Stable, so that of two objects with one name the one read first stays
   * first and validation reports the second as the duplicate. */
  int rc = lr__stable_sort(m->entities, (size_t)m->n_entities,
                           sizeof *m->entities, compare_names);
  rc |= lr__stable_sort(m->sources, (size_t)m->n_sources, sizeof *m->sources,
                        compare_names);
  rc |= lr__stable_sort(m->views, (size_t)m->n_views, sizeof *m->views,
                        compare_names);
  rc |= lr__stable_sort(m->services, (size_t)m->n_services,
                        sizeof *m->services, compare_names);
  return rc ? LR_ENOMEM : 0;
}

const char *lr__source_kind_name(lr__source_kind kind) {
  switch (kind) {
  case LR__SOURCE_FILE: return "file";
  case LR__SOURCE_SQL: return "sql";
  case LR__SOURCE_PUSH: return "push";
  case LR__SOURCE_REQUEST: return "request";
  }
  return "?";
}

const char *lr__view_kind_name(lr__view_kind kind) {
  return kind == LR__VIEW_ON_DEMAND ? "on-demand feature view" : "feature view";
}

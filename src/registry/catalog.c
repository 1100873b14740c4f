/*
 * catalog.c - `larder ls` and `larder describe`: listing the objects of one
 * kind as a table or JSON, and describing objects by name.
 */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>

#include "../util/names.h"
#include "attrs.h"
#include "larder.h"

/* The attributes of the i-th object of `kind` in `m`; returns 0 when `i` is
 * past the end, or 1 after filling `a` (which may be skipped: *skip is set
 * for objects of the list that do not belong to the kind). */
static int object_attrs(const lr__model *m, lr_kind kind, int i,
                        lr__attrs *a, int *skip) {
  *skip = 0;
  switch (kind) {
  case LR_KIND_ENTITY:
    if (i >= m->n_entities)
      return 0;
    lr__attrs_entity(a, &m->entities[i]);
    return 1;
  case LR_KIND_SOURCE:
    if (i >= m->n_sources)
      return 0;
    lr__attrs_source(a, &m->sources[i]);
    return 1;
  case LR_KIND_FEATURE_VIEW:
  case LR_KIND_ON_DEMAND_VIEW:
    if (i >= m->n_views)
      return 0;
    *skip = (m->views[i].kind == LR__VIEW_ON_DEMAND) !=
            (kind == LR_KIND_ON_DEMAND_VIEW);
    if (!*skip)
      lr__attrs_view(a, &m->views[i]);
    return 1;
  case LR_KIND_FEATURE_SERVICE:
    if (i >= m->n_services)
      return 0;
    lr__attrs_service(a, &m->services[i]);
    return 1;
  }
  return 0;
}

/* The columns of `larder ls` per kind: attribute keys after the name. */
static const char *const *table_columns(lr_kind kind) {
  static const char *const entity[] = {"join_keys", "value_type",
                                       "description", NULL};
  static const char *const source[] = {"source_kind", "path", "query",
                                       "batch_source", NULL};
  static const char *const view[] = {"entities", "source", "ttl", "online",
                                     NULL};
  static const char *const odfv[] = {"sources", "write_to_online_store", NULL};
  static const char *const service[] = {"features", NULL};
  switch (kind) {
  case LR_KIND_ENTITY: return entity;
  case LR_KIND_SOURCE: return source;
  case LR_KIND_FEATURE_VIEW: return view;
  case LR_KIND_ON_DEMAND_VIEW: return odfv;
  case LR_KIND_FEATURE_SERVICE: return service;
  }
  return NULL;
}

enum { TABLE_MAX_COLUMNS = 8, CELL_MAX = 60 };

/* Cell text: one line, cut to CELL_MAX characters unless it is the last
 * cell of its row (cutting keeps the next columns in view; the last one has
 * none after it, and a list such as a service's features is read whole). */
static void cell_text(const lr__attrs *a, const char *key, int last,
                      lr__buf *out) {
  const lr__attr *at = key ? lr__attrs_get(a, key) : NULL;
  const char *s = key ? (at && at->text ? at->text : "-") : a->name;
  size_t n = strcspn(s, "\n");
  if (n > CELL_MAX && !last) {
    lr__buf_append(out, s, CELL_MAX - 3);
    lr__buf_puts(out, "...");
  } else {
    lr__buf_append(out, s, n);
  }
}

static int is_feature_kind(lr_kind kind) {
  return kind == LR_KIND_FEATURE_VIEW || kind == LR_KIND_ON_DEMAND_VIEW;
}

/* Prints rows as an aligned table: the first pass measures, the second
 * writes. */
static void list_table(const lr__model *m, lr_kind kind, lr__buf *out) {
  const char *const *cols = table_columns(kind);
  int n_cols = 1;
  while (cols[n_cols - 1])
    n_cols++;
  n_cols += is_feature_kind(kind);
  size_t width[TABLE_MAX_COLUMNS] = {0};
  for (int pass = 0; pass < 2; pass++) {
    for (int c = 0; c < n_cols; c++) {
      const char *head = c == 0 ? "NAME"
                         : cols[c - 1] ? lr__attr_label(cols[c - 1])
                                       : "features";
      char upper[64];
      size_t len = strlen(head);
      if (len >= sizeof upper)
        len = sizeof upper - 1;
      for (size_t k = 0; k < len; k++)
        upper[k] = (char)(head[k] >= 'a' && head[k] <= 'z' ? head[k] - 32 : head[k]);
      upper[len] = '\0';
      if (pass == 0 && len > width[c])
        width[c] = len;
      if (pass == 1) {
        lr__buf_puts(out, upper);
        lr__buf_pad(out, c + 1 < n_cols ? width[c] - len + 2 : 0);
      }
    }
    if (pass == 1)
      lr__buf_putc(out, '\n');
    lr__attrs a;
    int skip;
    for (int i = 0; object_attrs(m, kind, i, &a, &skip); i++) {
      if (skip)
        continue;
      for (int c = 0; c < n_cols; c++) {
        lr__buf cell;
        lr__buf_init(&cell);
        const char *key = c == 0 ? NULL : cols[c - 1];
        if (c > 0 && !key) /* the feature count column of views */
          lr__buf_printf(&cell, "%d", m->views[i].n_features);
        else
          cell_text(&a, key, c + 1 == n_cols, &cell);
        if (pass == 0 && cell.len > width[c])
          width[c] = cell.len;
        if (pass == 1) {
          lr__buf_puts(out, lr__buf_str(&cell));
          lr__buf_pad(out, c + 1 < n_cols ? width[c] - cell.len + 2 : 0);
        }
        lr__buf_free(&cell);
      }
      if (pass == 1)
        lr__buf_putc(out, '\n');
      lr__attrs_free(&a);
    }
  }
}

int lr__catalog_list(const lr__model *m, lr_kind kind, unsigned flags,
                     lr__buf *out) {
  if (!table_columns(kind))
    return LR_EINVAL;
  if (!(flags & LR_FORMAT_JSON)) {
    list_table(m, kind, out);
    return 0;
  }
  lr__buf_putc(out, '[');
  lr__attrs a;
  int skip, first = 1;
  for (int i = 0; object_attrs(m, kind, i, &a, &skip); i++) {
    if (skip)
      continue;
    lr__buf_puts(out, first ? "\n  " : ",\n  ");
    lr__attrs_json(&a, out);
    lr__attrs_free(&a);
    first = 0;
  }
  lr__buf_puts(out, first ? "]\n" : "\n]\n");
  return 0;
}

static const lr_kind all_kinds[] = {LR_KIND_ENTITY, LR_KIND_SOURCE,
                                    LR_KIND_FEATURE_VIEW,
                                    LR_KIND_ON_DEMAND_VIEW,
                                    LR_KIND_FEATURE_SERVICE};

/* Every name in the registry, for "did you mean" (caller frees). */
static const char **all_names(const lr__model *m, int *n) {
  int total = m->n_entities + m->n_sources + m->n_views + m->n_services;
  const char **names = calloc((size_t)total + 1, sizeof *names);
  *n = 0;
  for (int i = 0; names && i < m->n_entities; i++)
    names[(*n)++] = m->entities[i].name;
  for (int i = 0; names && i < m->n_sources; i++)
    names[(*n)++] = m->sources[i].name;
  for (int i = 0; names && i < m->n_views; i++)
    names[(*n)++] = m->views[i].name;
  for (int i = 0; names && i < m->n_services; i++)
    names[(*n)++] = m->services[i].name;
  return names;
}

int lr__catalog_describe(const lr__model *m, const char *name, unsigned flags,
                         lr__buf *out, lr__buf *err) {
  return lr__catalog_describe_kind(m, 0, name, flags, out, err);
}

int lr__catalog_describe_kind(const lr__model *m, lr_kind only,
                              const char *name, unsigned flags, lr__buf *out,
                              lr__buf *err) {
  int found = 0;
  int json = (flags & LR_FORMAT_JSON) != 0;
  if (json)
    lr__buf_putc(out, '[');
  for (size_t k = 0; k < sizeof all_kinds / sizeof all_kinds[0]; k++) {
    if (only && all_kinds[k] != only)
      continue;
    lr__attrs a;
    int skip;
    for (int i = 0; object_attrs(m, all_kinds[k], i, &a, &skip); i++) {
      if (skip)
        continue;
      if (a.name && strcmp(a.name, name) == 0) {
        if (json)
          lr__buf_puts(out, found ? ",\n  " : "\n  ");
        else if (found)
          lr__buf_putc(out, '\n');
        if (json)
          lr__attrs_json(&a, out);
        else
          lr__attrs_text(&a, out);
        found++;
      }
      lr__attrs_free(&a);
    }
  }
  if (json)
    lr__buf_puts(out, found ? "\n]\n" : "]\n");
  if (found)
    return 0;
  int n;
  const char **names = all_names(m, &n);
  lr__buf_printf(err, "no object named '%s' in the registry; ", name);
  lr__suggest(err, "objects", name, names, names ? n : 0);
  free(names);
  return LR_ENOTFOUND;
}

/*
 * attrs.h - an object's attributes as ordered (key, JSON, short text)
 * triples. One description of each object kind serves `larder describe`
 * (text and JSON), `larder ls` (table cells) and `larder plan` (which
 * attributes changed), so the three always agree.
 */
#ifndef LR_REGISTRY_ATTRS_H
#define LR_REGISTRY_ATTRS_H

#include "model.h"

enum { LR__ATTRS_MAX = 24 };

typedef struct lr__attr {
  const char *key; /* static */
  char *json;      /* the value as JSON */
  char *text;      /* the value for humans: "a, b", "3 features" */
} lr__attr;

typedef struct lr__attrs {
  const char *kind; /* "entity", "feature view", ... */
  const char *name;
  lr__loc loc;
  lr__attr items[LR__ATTRS_MAX];
  int n;
} lr__attrs;

void lr__attrs_entity(lr__attrs *a, const lr__entity *e);
void lr__attrs_source(lr__attrs *a, const lr__source *s);
void lr__attrs_view(lr__attrs *a, const lr__view *v);
void lr__attrs_service(lr__attrs *a, const lr__service *s);
void lr__attrs_free(lr__attrs *a);

/* How the attribute `key` is shown to people (describe's text, ls's column
 * headers): the key itself, except a source's "source_kind", which is
 * "kind" there. In JSON "kind" is the object's kind ("source"). */
const char *lr__attr_label(const char *key);

/* The attribute `key`, or NULL. */
const lr__attr *lr__attrs_get(const lr__attrs *a, const char *key);

/* What lr__attrs_diff calls for an attribute that differs; `was` or `now`
 * is NULL when the attribute is set on one side only. */
typedef void (*lr__attr_diff_fn)(void *ctx, const char *key,
                                 const lr__attr *was, const lr__attr *now);

/* Calls `each` for every attribute whose JSON differs between `was` and
 * `now`: the keys of `now` in order, then those only `was` has. Keys in
 * `skip` (NULL-terminated, or NULL) are left out. Returns how many differ. */
int lr__attrs_diff(const lr__attrs *was, const lr__attrs *now,
                   const char *const *skip, lr__attr_diff_fn each, void *ctx);

/* Writes the attributes as one JSON object (with "kind", "name" and
 * "defined_at"). */
void lr__attrs_json(const lr__attrs *a, lr__buf *out);
/* Writes them as indented "key: text" lines under a heading line. */
void lr__attrs_text(const lr__attrs *a, lr__buf *out);

#endif

/*
 * attrs.c - rendering registry objects as attribute lists (see attrs.h).
 */
#include "attrs.h"

#include <stdlib.h>
#include <string.h>

#include "../util/textval.h"
#include "../util/timefmt.h"
#include "checks.h"

/* Adds an attribute from two finished buffers (taking their content). */
static void add(lr__attrs *a, const char *key, lr__buf *json, lr__buf *text) {
  if (a->n == LR__ATTRS_MAX) {
    lr__buf_free(json);
    lr__buf_free(text);
    return;
  }
  lr__attr *at = &a->items[a->n++];
  at->key = key;
  at->json = lr__buf_steal(json);
  at->text = lr__buf_steal(text);
}

static void add_str(lr__attrs *a, const char *key, const char *value) {
  if (!value)
    return;
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_json_str(&json, value);
  lr__buf_puts(&text, value);
  add(a, key, &json, &text);
}

static void add_bool(lr__attrs *a, const char *key, bool value) {
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_puts(&json, value ? "true" : "false");
  lr__buf_puts(&text, value ? "true" : "false");
  add(a, key, &json, &text);
}

static void add_strs(lr__attrs *a, const char *key, const char *const *items,
                     int n) {
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_putc(&json, '[');
  for (int i = 0; i < n; i++) {
    lr__buf_puts(&json, i ? ", " : "");
    lr__buf_json_str(&json, items[i]);
    lr__buf_printf(&text, "%s%s", i ? ", " : "", items[i]);
  }
  lr__buf_putc(&json, ']');
  add(a, key, &json, &text);
}

static void add_kvs(lr__attrs *a, const char *key, const lr__kv *kvs, int n) {
  if (n == 0)
    return;
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_putc(&json, '{');
  for (int i = 0; i < n; i++) {
    lr__buf_puts(&json, i ? ", " : "");
    lr__buf_json_str(&json, kvs[i].key);
    lr__buf_puts(&json, ": ");
    lr__buf_json_str(&json, kvs[i].value);
    lr__buf_printf(&text, "%s%s=%s", i ? ", " : "", kvs[i].key, kvs[i].value);
  }
  lr__buf_putc(&json, '}');
  add(a, key, &json, &text);
}

static void add_dtype(lr__attrs *a, const char *key, uint8_t dt) {
  char scratch[32];
  add_str(a, key, lr__dtype_name(dt, scratch));
}

/* A schema: JSON objects per field; the text is one line per field. */
static void add_fields(lr__attrs *a, const char *key, const lr__field *fields,
                       int n) {
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_putc(&json, '[');
  for (int i = 0; i < n; i++) {
    char scratch[32];
    const lr__field *f = &fields[i];
    const char *dt = lr__dtype_name(f->dtype, scratch);
    lr__buf_puts(&json, i ? ", " : "");
    lr__buf_puts(&json, "{\"name\": ");
    lr__buf_json_str(&json, f->name);
    lr__buf_puts(&json, ", \"dtype\": ");
    lr__buf_json_str(&json, dt);
    lr__buf_printf(&text, "\n    %-24s %-16s", f->name, dt);
    if (f->expr) {
      lr__buf_puts(&json, ", \"expr\": ");
      lr__buf_json_str(&json, f->expr);
      lr__buf_printf(&text, " = %s", f->expr);
    }
    if (f->description) {
      lr__buf_puts(&json, ", \"description\": ");
      lr__buf_json_str(&json, f->description);
      lr__buf_printf(&text, " # %s", f->description);
    }
    lr__buf_putc(&json, '}');
  }
  lr__buf_putc(&json, ']');
  add(a, key, &json, &text);
}

static void start(lr__attrs *a, const char *kind, const char *name,
                  lr__loc loc) {
  memset(a, 0, sizeof *a);
  a->kind = kind;
  a->name = name;
  a->loc = loc;
}

void lr__attrs_entity(lr__attrs *a, const lr__entity *e) {
  start(a, "entity", e->name, e->loc);
  add_strs(a, "join_keys", e->join_keys, e->n_join_keys);
  add_dtype(a, "value_type", e->value_type);
  add_str(a, "description", e->description);
  add_kvs(a, "tags", e->tags, e->n_tags);
}

void lr__attrs_source(lr__attrs *a, const lr__source *s) {
  start(a, s->kind == LR__SOURCE_REQUEST ? "request source" : "source",
        s->name, s->loc);
  add_str(a, "source_kind", lr__source_kind_name(s->kind));
  add_str(a, "path", s->path);
  add_str(a, "query", s->query);
  add_str(a, "timestamp_field", s->timestamp_field);
  add_str(a, "created_timestamp_column", s->created_column);
  if (s->time_unit)
    add_str(a, "timestamp_unit", lr__time_unit_name(s->time_unit - 1));
  if (s->has_as_of) {
    char as_of[40];
    lr__time_format(s->as_of_us, as_of);
    add_str(a, "as_of", as_of);
  }
  add_kvs(a, "field_mapping", s->field_mapping, s->n_field_mapping);
  add_str(a, "batch_source", s->batch_source);
  if (s->kind == LR__SOURCE_PUSH) { /* the folder pushes go to, default too */
    lr__buf path;
    lr__buf_init(&path);
    lr__push_offline_path(s, &path);
    add_str(a, "offline_path", lr__buf_str(&path));
    lr__buf_free(&path);
  }
  if (s->kind == LR__SOURCE_REQUEST)
    add_fields(a, "schema", s->fields, s->n_fields);
  add_str(a, "description", s->description);
  add_kvs(a, "tags", s->tags, s->n_tags);
}

/* A view's rules: JSON objects per rule; the text is one line per rule. */
static void add_checks(lr__attrs *a, const lr__view *v) {
  if (v->n_checks == 0)
    return;
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_putc(&json, '[');
  for (int i = 0; i < v->n_checks; i++) {
    lr__buf_puts(&json, i ? ", " : "");
    lr__check_json(&v->checks[i], &json);
    lr__buf_puts(&text, "\n    ");
    lr__check_text(&v->checks[i], &text);
  }
  lr__buf_putc(&json, ']');
  add(a, "checks", &json, &text);
}

static void add_share(lr__attrs *a, const char *key, double share) {
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__put_float64(&json, share, 1);
  lr__put_float64(&text, share, 0);
  add(a, key, &json, &text);
}

void lr__attrs_view(lr__attrs *a, const lr__view *v) {
  start(a, lr__view_kind_name(v->kind), v->name, v->loc);
  if (v->kind == LR__VIEW_BATCH) {
    add_strs(a, "entities", v->entities, v->n_entities);
    add_str(a, "source", v->source);
    lr__buf ttl;
    lr__buf_init(&ttl);
    lr__duration_format(&ttl, v->ttl_seconds);
    add_str(a, "ttl", lr__buf_str(&ttl));
    lr__buf_free(&ttl);
    add_bool(a, "online", v->online);
  } else {
    add_strs(a, "sources", v->sources, v->n_sources);
    add_bool(a, "write_to_online_store", v->write_to_online_store);
  }
  add_fields(a, "features", v->features, v->n_features);
  add_checks(a, v);
  if (v->has_max_failed)
    add_share(a, "max_failed", v->max_failed);
  add_str(a, "description", v->description);
  add_kvs(a, "tags", v->tags, v->n_tags);
}

/* A service's features as references: `view:feature` for a subset, the
 * view's name alone for a whole view. */
void lr__attrs_service(lr__attrs *a, const lr__service *s) {
  start(a, "feature service", s->name, s->loc);
  lr__buf json, text;
  lr__buf_init(&json);
  lr__buf_init(&text);
  lr__buf_putc(&json, '[');
  int n = 0;
  for (int i = 0; i < s->n_items; i++) {
    const lr__service_item *it = &s->items[i];
    for (int k = 0; k < (it->n_features ? it->n_features : 1); k++, n++) {
      lr__buf ref;
      lr__buf_init(&ref);
      lr__buf_puts(&ref, it->view);
      if (it->n_features)
        lr__buf_printf(&ref, ":%s", it->features[k]);
      lr__buf_puts(&json, n ? ", " : "");
      lr__buf_json_str(&json, lr__buf_str(&ref));
      lr__buf_printf(&text, "%s%s", n ? ", " : "", lr__buf_str(&ref));
      lr__buf_free(&ref);
    }
  }
  lr__buf_putc(&json, ']');
  add(a, "features", &json, &text);
  add_str(a, "description", s->description);
  add_kvs(a, "tags", s->tags, s->n_tags);
}

void lr__attrs_free(lr__attrs *a) {
  for (int i = 0; i < a->n; i++) {
    free(a->items[i].json);
    free(a->items[i].text);
  }
  a->n = 0;
}

const char *lr__attr_label(const char *key) {
  return strcmp(key, "source_kind") == 0 ? "kind" : key;
}

const lr__attr *lr__attrs_get(const lr__attrs *a, const char *key) {
  for (int i = 0; i < a->n; i++)
    if (strcmp(a->items[i].key, key) == 0)
      return &a->items[i];
  return NULL;
}

/* 1 when `key` is one of the NULL-terminated list `keys` (may be NULL). */
static int listed(const char *const *keys, const char *key) {
  for (const char *const *k = keys; k && *k; k++)
    if (strcmp(*k, key) == 0)
      return 1;
  return 0;
}

int lr__attrs_diff(const lr__attrs *was, const lr__attrs *now,
                   const char *const *skip, lr__attr_diff_fn each, void *ctx) {
  const char *keys[2 * LR__ATTRS_MAX];
  int n_keys = 0, changed = 0;
  for (int i = 0; i < now->n; i++)
    keys[n_keys++] = now->items[i].key;
  for (int i = 0; i < was->n; i++)
    if (!lr__attrs_get(now, was->items[i].key))
      keys[n_keys++] = was->items[i].key;
  for (int k = 0; k < n_keys; k++) {
    const lr__attr *a = lr__attrs_get(was, keys[k]);
    const lr__attr *b = lr__attrs_get(now, keys[k]);
    if (listed(skip, keys[k]) || (a && b && strcmp(a->json, b->json) == 0))
      continue;
    each(ctx, keys[k], a, b);
    changed++;
  }
  return changed;
}

void lr__attrs_json(const lr__attrs *a, lr__buf *out) {
  lr__buf_puts(out, "{\"kind\": ");
  lr__buf_json_str(out, a->kind);
  lr__buf_puts(out, ", \"name\": ");
  lr__buf_json_str(out, a->name ? a->name : "");
  for (int i = 0; i < a->n; i++) {
    lr__buf_puts(out, ", ");
    lr__buf_json_str(out, a->items[i].key);
    lr__buf_printf(out, ": %s", a->items[i].json ? a->items[i].json : "null");
  }
  lr__buf defined_at;
  lr__buf_init(&defined_at);
  lr__buf_printf(&defined_at, "%s:%d:%d", a->loc.file ? a->loc.file : "",
                 a->loc.line, a->loc.col);
  lr__buf_puts(out, ", \"defined_at\": ");
  lr__buf_json_str(out, lr__buf_str(&defined_at));
  lr__buf_putc(out, '}');
  lr__buf_free(&defined_at);
}

void lr__attrs_text(const lr__attrs *a, lr__buf *out) {
  lr__buf_printf(out, "%s %s  (defined at %s:%d:%d)\n", a->kind,
                 a->name ? a->name : "?", a->loc.file ? a->loc.file : "?",
                 a->loc.line, a->loc.col);
  for (int i = 0; i < a->n; i++)
    lr__buf_printf(out, "  %s: %s\n", lr__attr_label(a->items[i].key),
                   a->items[i].text ? a->items[i].text : "");
}

/*
 * load.c - reading a feature repo's YAML into the model.
 *
 * Each kind of object is described by a table of field specs (key, kind,
 * where the value goes), and one reader walks any mapping against its table.
 * That one reader is where unknown keys, missing required keys and values of
 * the wrong shape are reported, with the position of the offending node, so
 * every object kind gets the same checks and the same messages.
 *
 * This file checks the shape of each object; cross-references (does that
 * entity exist?) are validate.c's job, once every file is read.
 */
#include "load.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/fs.h"
#include "../util/names.h"
#include "larder.h"
#include "yaml.h"

typedef struct loader {
  lr__model *m;
  lr__diag *diag;
  const char *file; /* the display path of the file being read (arena) */
  int cap_entities, cap_sources, cap_views, cap_services;
} loader;

typedef enum {
  FK_STRING,    /* const char * */
  FK_STRINGS,   /* const char ** + int count; a lone scalar is a list of one */
  FK_BOOL,      /* bool */
  FK_DTYPE,     /* uint8_t: any value type */
  FK_KEY_DTYPE, /* uint8_t: a type an entity key can have */
  FK_TTL,       /* int64_t seconds */
  FK_KV,        /* lr__kv * + int count: a mapping of strings */
  FK_FIELDS,    /* lr__field * + int count: a schema list */
  FK_FN         /* a custom reader */
} field_kind;

struct field_spec;
typedef void (*field_fn)(loader *L, struct fy_node *value, void *obj,
                         const char *owner);

typedef struct field_spec {
  const char *key;
  field_kind kind;
  size_t offset;       /* the value's place in the object */
  size_t count_offset; /* FK_STRINGS, FK_KV, FK_FIELDS: the count's place */
  field_fn fn;         /* FK_FN */
  bool required;
  /* FK_STRINGS: where to keep an lr__loc array, one per item; other kinds:
   * where to keep the lr__loc of the value (of the key with `at_key`).
   * NO_LOC when not kept. */
  size_t loc_offset;
  bool at_key;
} field_spec;

#define NO_LOC ((size_t)-1)
#define SPEC(key, kind, off, count, fn, req, loc, at_key)                      \
  {key, kind, off, count, fn, req, loc, at_key}
#define FIELD(T, key, kind, member, req)                                       \
  SPEC(key, kind, offsetof(T, member), 0, NULL, req, NO_LOC, false)
#define FIELD_N(T, key, kind, member, count, req)                              \
  SPEC(key, kind, offsetof(T, member), offsetof(T, count), NULL, req, NO_LOC, \
       false)
#define FIELD_AT(T, key, kind, member, loc, req)                               \
  SPEC(key, kind, offsetof(T, member), 0, NULL, req, offsetof(T, loc), false)
#define FIELD_KEY_AT(T, key, kind, member, loc, req)                           \
  SPEC(key, kind, offsetof(T, member), 0, NULL, req, offsetof(T, loc), true)
#define FIELD_N_AT(T, key, kind, member, count, locs, req)                     \
  SPEC(key, kind, offsetof(T, member), offsetof(T, count), NULL, req,         \
       offsetof(T, locs), false)
#define FIELD_FN(key, fn, req) SPEC(key, FK_FN, 0, 0, fn, req, NO_LOC, false)
#define N_SPECS(specs) ((int)(sizeof(specs) / sizeof((specs)[0])))

static void read_object(loader *L, struct fy_node *node, const char *what,
                        const char *parent, const field_spec *specs,
                        int n_specs, void *obj, lr__loc *loc);

static lr__loc loc_of(loader *L, struct fy_node *node) {
  return lr__yaml_loc(node, L->file);
}

static char *copy_str(loader *L, const char *s) {
  return lr__arena_strdup(&L->m->arena, s);
}

/* Grows an arena array by one element and returns the new (zeroed) slot. */
static void *push(loader *L, void **items, int *n, int *cap, size_t size) {
  if (*n == *cap) {
    int new_cap = *cap ? *cap * 2 : 8;
    void *grown = lr__arena_array(&L->m->arena, (size_t)new_cap, size);
    if (!grown)
      return NULL;
    if (*n)
      memcpy(grown, *items, (size_t)*n * size);
    *items = grown;
    *cap = new_cap;
  }
  void *slot = (char *)*items + (size_t)(*n)++ * size;
  memset(slot, 0, size);
  return slot;
}

/* The scalar of `value`, or NULL after reporting what was found instead. */
static const char *expect_scalar(loader *L, struct fy_node *value,
                                 const char *key, const char *owner) {
  const char *s = lr__yaml_scalar(value);
  if (s && !fy_node_is_null(value) && *s)
    return s;
  lr__diag_add(L->diag, loc_of(L, value), "give it a value, e.g. `key: text`",
               "'%s' of %s must be a non-empty value, found %s", key, owner,
               s ? "an empty value" : lr__yaml_kind(value));
  return NULL;
}

static void read_strings(loader *L, struct fy_node *value, const field_spec *f,
                         void *obj, const char *owner) {
  const char ***out = (const char ***)((char *)obj + f->offset);
  int *count = (int *)((char *)obj + f->count_offset);
  lr__loc *locs = NULL;
  int n = fy_node_is_sequence(value) ? fy_node_sequence_item_count(value) : 1;
  if (f->loc_offset != NO_LOC) {
    locs = lr__arena_array(&L->m->arena, (size_t)n, sizeof *locs);
    *(lr__loc **)((char *)obj + f->loc_offset) = locs;
  }
  if (fy_node_is_scalar(value) && !fy_node_is_null(value)) {
    *out = lr__arena_array(&L->m->arena, 1, sizeof **out);
    if (*out) {
      (*out)[0] = copy_str(L, lr__yaml_scalar(value));
      *count = 1;
      if (locs)
        locs[0] = loc_of(L, value);
    }
    return;
  }
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, loc_of(L, value), "write it as a list: `[a, b]`",
                 "'%s' of %s must be a list of names, found %s", f->key, owner,
                 lr__yaml_kind(value));
    return;
  }
  *out = lr__arena_array(&L->m->arena, (size_t)n, sizeof **out);
  if (!*out)
    return;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it))) {
    const char *s = expect_scalar(L, item, f->key, owner);
    if (!s)
      continue;
    if (locs)
      locs[*count] = loc_of(L, item);
    (*out)[(*count)++] = copy_str(L, s);
  }
}

static void read_bool(loader *L, struct fy_node *value, const field_spec *f,
                      void *obj, const char *owner) {
  const char *s = expect_scalar(L, value, f->key, owner);
  if (!s)
    return;
  bool *out = (bool *)((char *)obj + f->offset);
  if (!lr__ascii_casecmp(s, "true") || !lr__ascii_casecmp(s, "yes") || !lr__ascii_casecmp(s, "on"))
    *out = true;
  else if (!lr__ascii_casecmp(s, "false") || !lr__ascii_casecmp(s, "no") ||
           !lr__ascii_casecmp(s, "off"))
    *out = false;
  else
    lr__diag_add(L->diag, loc_of(L, value), "write true or false",
                 "'%s' of %s must be true or false, found '%s'", f->key, owner,
                 s);
}

static void read_dtype(loader *L, struct fy_node *value, const field_spec *f,
                       void *obj, const char *owner) {
  const char *s = expect_scalar(L, value, f->key, owner);
  if (!s)
    return;
  uint8_t dt;
  int rc = lr__dtype_parse(s, &dt);
  if (rc == -2) {
    lr__diag_add(L->diag, loc_of(L, value), lr__dtype_hint(),
                 "unsupported array type '%s' in %s", s, owner);
  } else if (rc != 0) {
    lr__diag_add(L->diag, loc_of(L, value), lr__dtype_hint(),
                 "unknown dtype '%s' in %s", s, owner);
  } else if (f->kind == FK_KEY_DTYPE && !lr__dtype_is_key(dt)) {
    lr__diag_add(L->diag, loc_of(L, value),
                 "entity keys are int32, int64, string or bytes",
                 "'%s' cannot be the value_type of %s", s, owner);
  } else {
    *((uint8_t *)obj + f->offset) = dt;
  }
}

static void read_ttl(loader *L, struct fy_node *value, const field_spec *f,
                     void *obj, const char *owner) {
  const char *s = expect_scalar(L, value, f->key, owner);
  int64_t seconds;
  if (!s)
    return;
  if (lr__duration_parse(s, &seconds) != 0)
    lr__diag_add(L->diag, loc_of(L, value),
                 "write a number and a unit (s, m, h, d, w), e.g. `1d` or "
                 "`90m`; `0s` means no limit",
                 "bad ttl '%s' in %s", s, owner);
  else
    *(int64_t *)((char *)obj + f->offset) = seconds;
}

static void read_kv(loader *L, struct fy_node *value, const field_spec *f,
                    void *obj, const char *owner) {
  if (!fy_node_is_mapping(value)) {
    lr__diag_add(L->diag, loc_of(L, value), "write it as `{key: value}`",
                 "'%s' of %s must be a mapping, found %s", f->key, owner,
                 lr__yaml_kind(value));
    return;
  }
  lr__kv **out = (lr__kv **)((char *)obj + f->offset);
  int *count = (int *)((char *)obj + f->count_offset);
  int n = fy_node_mapping_item_count(value);
  *out = lr__arena_array(&L->m->arena, (size_t)n, sizeof **out);
  if (!*out)
    return;
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(value, &it))) {
    const char *k = expect_scalar(L, fy_node_pair_key(pair), f->key, owner);
    const char *v = expect_scalar(L, fy_node_pair_value(pair), f->key, owner);
    if (k && v) {
      (*out)[*count].key = copy_str(L, k);
      (*out)[(*count)++].value = copy_str(L, v);
    }
  }
}

static const field_spec field_specs[] = {
    FIELD_AT(lr__field, "name", FK_STRING, name, name_loc, true),
    FIELD(lr__field, "dtype", FK_DTYPE, dtype, true),
    FIELD(lr__field, "description", FK_STRING, description, false),
    FIELD_KEY_AT(lr__field, "expr", FK_STRING, expr, expr_loc, false),
};

/* Where the first character of a field's `expr` text is, so errors inside
 * an expression point at their line and column: libfyaml marks a plain or
 * quoted scalar at its first character (inside the quotes). A block
 * (`|`, `>`) is marked at the start of its first content line, before the
 * indentation its text no longer holds: column 0, only lines are known. */
static lr__loc expr_text_loc(loader *L, struct fy_node *item) {
  struct fy_node *value = fy_node_mapping_lookup_by_string(item, "expr", 4);
  lr__loc loc = loc_of(L, value);
  enum fy_node_style style = fy_node_get_style(value);
  if (style == FYNS_LITERAL || style == FYNS_FOLDED)
    loc.col = 0;
  return loc;
}

static void read_fields(loader *L, struct fy_node *value, const field_spec *f,
                        void *obj, const char *owner) {
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, loc_of(L, value),
                 "write it as a list: `- {name: x, dtype: float32}`",
                 "'%s' of %s must be a list of fields, found %s", f->key, owner,
                 lr__yaml_kind(value));
    return;
  }
  lr__field **out = (lr__field **)((char *)obj + f->offset);
  int *count = (int *)((char *)obj + f->count_offset);
  int n = fy_node_sequence_item_count(value);
  *out = lr__arena_array(&L->m->arena, (size_t)n, sizeof **out);
  if (!*out)
    return;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it))) {
    lr__field *field = &(*out)[(*count)++];
    read_object(L, item, "field", owner, field_specs, N_SPECS(field_specs),
                field, &field->loc);
    if (field->expr)
      field->expr_text_loc = expr_text_loc(L, item);
  }
}

/* Reads the value of the pair (key, value) into `obj` as `f` says, keeping
 * its position (or its key's) when `f` asks for it. */
static void read_value(loader *L, struct fy_node *key, struct fy_node *value,
                       const field_spec *f, void *obj, const char *owner) {
  if (f->loc_offset != NO_LOC && f->kind != FK_STRINGS)
    *(lr__loc *)((char *)obj + f->loc_offset) =
        loc_of(L, f->at_key ? key : value);
  switch (f->kind) {
  case FK_STRING: {
    const char *s = expect_scalar(L, value, f->key, owner);
    if (s)
      *(const char **)((char *)obj + f->offset) = copy_str(L, s);
    break;
  }
  case FK_STRINGS: read_strings(L, value, f, obj, owner); break;
  case FK_BOOL: read_bool(L, value, f, obj, owner); break;
  case FK_DTYPE:
  case FK_KEY_DTYPE: read_dtype(L, value, f, obj, owner); break;
  case FK_TTL: read_ttl(L, value, f, obj, owner); break;
  case FK_KV: read_kv(L, value, f, obj, owner); break;
  case FK_FIELDS: read_fields(L, value, f, obj, owner); break;
  case FK_FN: f->fn(L, value, obj, owner); break;
  }
}

static const field_spec *find_spec(const field_spec *specs, int n,
                                   const char *key) {
  for (int i = 0; i < n; i++)
    if (strcmp(specs[i].key, key) == 0)
      return &specs[i];
  return NULL;
}

static void report_unknown_key(loader *L, struct fy_node *key_node,
                               const char *key, const field_spec *specs,
                               int n_specs, const char *owner) {
  const char *known[32];
  int n = 0;
  for (int i = 0; i < n_specs && n < 32; i++)
    known[n++] = specs[i].key;
  lr__buf hint;
  lr__buf_init(&hint);
  lr__suggest(&hint, "fields", key, known, n);
  lr__diag_add(L->diag, loc_of(L, key_node), lr__buf_str(&hint),
               "unknown field '%s' in %s", key, owner);
  lr__buf_free(&hint);
}

/* "feature view 'x'", "field 'a' of feature view 'x'", or just the kind when
 * the object has no name. */
static void describe_owner(lr__buf *owner, const char *what,
                           const char *parent, struct fy_node *node) {
  struct fy_node *name = fy_node_is_mapping(node)
      ? fy_node_mapping_lookup_by_string(node, "name", 4) : NULL;
  const char *s = lr__yaml_scalar(name);
  if (s && *s)
    lr__buf_printf(owner, "%s '%s'", what, s);
  else
    lr__buf_puts(owner, what);
  if (parent)
    lr__buf_printf(owner, " of %s", parent);
}

/* Reads the mapping `node` into `obj` following `specs`, reporting unknown,
 * missing and malformed fields. `what` names the object kind in messages,
 * `parent` (or NULL) the object it belongs to. */
static void read_object(loader *L, struct fy_node *node, const char *what,
                        const char *parent, const field_spec *specs,
                        int n_specs, void *obj, lr__loc *loc) {
  *loc = loc_of(L, node);
  lr__buf owner;
  lr__buf_init(&owner);
  describe_owner(&owner, what, parent, node);
  if (!fy_node_is_mapping(node)) {
    lr__diag_add(L->diag, *loc, "write it as `{name: ..., ...}`",
                 "%s must be a mapping, found %s", lr__buf_str(&owner),
                 lr__yaml_kind(node));
    lr__buf_free(&owner);
    return;
  }
  unsigned seen = 0; /* bit i: specs[i] was given */
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(node, &it))) {
    struct fy_node *key_node = fy_node_pair_key(pair);
    const char *key = lr__yaml_scalar(key_node);
    const field_spec *f = key ? find_spec(specs, n_specs, key) : NULL;
    if (!f) {
      report_unknown_key(L, key_node, key ? key : "?", specs, n_specs,
                         lr__buf_str(&owner));
      continue;
    }
    seen |= 1u << (f - specs);
    read_value(L, key_node, fy_node_pair_value(pair), f, obj,
               lr__buf_str(&owner));
  }
  for (int i = 0; i < n_specs; i++) {
    if (specs[i].required && !(seen & (1u << i)))
      lr__diag_add(L->diag, *loc, "add the missing field",
                   "%s has no '%s'", lr__buf_str(&owner), specs[i].key);
  }
  lr__buf_free(&owner);
}

/* ---- object kinds ------------------------------------------------------ */

static const field_spec entity_specs[] = {
    FIELD_AT(lr__entity, "name", FK_STRING, name, name_loc, true),
    FIELD_N(lr__entity, "join_keys", FK_STRINGS, join_keys, n_join_keys, true),
    FIELD_AT(lr__entity, "value_type", FK_KEY_DTYPE, value_type,
             value_type_loc, true),
    FIELD(lr__entity, "description", FK_STRING, description, false),
    FIELD_N(lr__entity, "tags", FK_KV, tags, n_tags, false),
};

static void read_source_kind(loader *L, struct fy_node *value, void *obj,
                             const char *owner) {
  static const char *kinds[] = {"file", "sql", "push"};
  const char *s = expect_scalar(L, value, "kind", owner);
  if (!s)
    return;
  for (int i = 0; i < 3; i++) {
    if (strcmp(s, kinds[i]) == 0) {
      ((lr__source *)obj)->kind = (lr__source_kind)(LR__SOURCE_FILE + i);
      return;
    }
  }
  lr__buf hint;
  lr__buf_init(&hint);
  lr__suggest(&hint, "kinds", s, kinds, 3);
  lr__diag_add(L->diag, loc_of(L, value), lr__buf_str(&hint),
               "unknown source kind '%s' in %s", s, owner);
  lr__buf_free(&hint);
}

static const field_spec source_specs[] = {
    FIELD_AT(lr__source, "name", FK_STRING, name, name_loc, true),
    FIELD_FN("kind", read_source_kind, true),
    FIELD_AT(lr__source, "path", FK_STRING, path, path_loc, false),
    FIELD(lr__source, "query", FK_STRING, query, false),
    FIELD(lr__source, "timestamp_field", FK_STRING, timestamp_field, false),
    FIELD(lr__source, "created_timestamp_column", FK_STRING, created_column,
          false),
    FIELD_N(lr__source, "field_mapping", FK_KV, field_mapping, n_field_mapping,
            false),
    FIELD_AT(lr__source, "batch_source", FK_STRING, batch_source,
             batch_source_loc, false),
    FIELD(lr__source, "description", FK_STRING, description, false),
    FIELD_N(lr__source, "tags", FK_KV, tags, n_tags, false),
};

static const field_spec request_source_specs[] = {
    FIELD_AT(lr__source, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__source, "schema", FK_FIELDS, fields, n_fields, schema_loc,
               true),
    FIELD(lr__source, "description", FK_STRING, description, false),
    FIELD_N(lr__source, "tags", FK_KV, tags, n_tags, false),
};

static const field_spec view_specs[] = {
    FIELD_AT(lr__view, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__view, "entities", FK_STRINGS, entities, n_entities,
               entity_locs, true),
    FIELD(lr__view, "ttl", FK_TTL, ttl_seconds, false),
    FIELD_AT(lr__view, "source", FK_STRING, source, source_loc, true),
    FIELD(lr__view, "online", FK_BOOL, online, false),
    FIELD_N_AT(lr__view, "schema", FK_FIELDS, features, n_features,
               schema_loc, true),
    FIELD(lr__view, "description", FK_STRING, description, false),
    FIELD_N(lr__view, "tags", FK_KV, tags, n_tags, false),
};

static const field_spec odfv_specs[] = {
    FIELD_AT(lr__view, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__view, "sources", FK_STRINGS, sources, n_sources,
               source_locs, true),
    FIELD_N_AT(lr__view, "schema", FK_FIELDS, features, n_features,
               schema_loc, true),
    FIELD(lr__view, "write_to_online_store", FK_BOOL, write_to_online_store,
          false),
    FIELD(lr__view, "description", FK_STRING, description, false),
    FIELD_N(lr__view, "tags", FK_KV, tags, n_tags, false),
};

/* One entry of a service's `features`: `view`, `view:feature` or
 * `{view: [feature, ...]}`. */
static void read_service_item(loader *L, struct fy_node *node,
                              lr__service_item *item, const char *owner) {
  item->loc = loc_of(L, node);
  const char *s = lr__yaml_scalar(node);
  if (s && *s) {
    const char *colon = strchr(s, ':');
    if (!colon) {
      item->view = copy_str(L, s);
      return;
    }
    item->view = lr__arena_strndup(&L->m->arena, s, (size_t)(colon - s));
    item->features = lr__arena_array(&L->m->arena, 1, sizeof(char *));
    if (item->features) {
      item->features[0] = copy_str(L, colon + 1);
      item->n_features = 1;
    }
    return;
  }
  if (!fy_node_is_mapping(node) || fy_node_mapping_item_count(node) != 1) {
    lr__diag_add(L->diag, item->loc,
                 "write `- view_name`, `- view:feature` or "
                 "`- view_name: [feature, ...]`",
                 "an entry of 'features' of %s must name one view, found %s",
                 owner, lr__yaml_kind(node));
    return;
  }
  void *it = NULL;
  struct fy_node_pair *pair = fy_node_mapping_iterate(node, &it);
  const char *view = expect_scalar(L, fy_node_pair_key(pair), "features", owner);
  if (!view)
    return;
  item->view = copy_str(L, view);
  field_spec spec = FIELD_N_AT(lr__service_item, view, FK_STRINGS, features,
                               n_features, feature_locs, false);
  read_strings(L, fy_node_pair_value(pair), &spec, item, owner);
}

static void read_service_features(loader *L, struct fy_node *value, void *obj,
                                  const char *owner) {
  lr__service *svc = obj;
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, loc_of(L, value),
                 "write it as a list of views or `view: [features]` entries",
                 "'features' of %s must be a list, found %s", owner,
                 lr__yaml_kind(value));
    return;
  }
  int n = fy_node_sequence_item_count(value);
  svc->items = lr__arena_array(&L->m->arena, (size_t)n, sizeof *svc->items);
  if (!svc->items)
    return;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it)))
    read_service_item(L, item, &svc->items[svc->n_items++], owner);
}

static const field_spec service_specs[] = {
    FIELD_AT(lr__service, "name", FK_STRING, name, name_loc, true),
    FIELD_FN("features", read_service_features, true),
    FIELD(lr__service, "description", FK_STRING, description, false),
    FIELD_N(lr__service, "tags", FK_KV, tags, n_tags, false),
};

/* ---- definition files -------------------------------------------------- */

/* Reads the list under one top-level key: `each` is called per item. */
static void read_list(loader *L, struct fy_node *list, const char *key,
                      void (*each)(loader *, struct fy_node *)) {
  if (fy_node_is_null(list))
    return;
  if (!fy_node_is_sequence(list)) {
    lr__diag_add(L->diag, loc_of(L, list), "write it as a list: `- name: ...`",
                 "'%s' must be a list, found %s", key, lr__yaml_kind(list));
    return;
  }
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(list, &it)))
    each(L, item);
}

static void each_entity(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__entity *e = push(L, (void **)&m->entities, &m->n_entities,
                       &L->cap_entities, sizeof *e);
  if (e)
    read_object(L, node, "entity", NULL,
 entity_specs, N_SPECS(entity_specs), e,
                &e->loc);
}

static void each_source(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__source *s = push(L, (void **)&m->sources, &m->n_sources,
                       &L->cap_sources, sizeof *s);
  if (s)
    read_object(L, node, "source", NULL,
 source_specs, N_SPECS(source_specs), s,
                &s->loc);
}

static void each_request_source(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__source *s = push(L, (void **)&m->sources, &m->n_sources,
                       &L->cap_sources, sizeof *s);
  if (!s)
    return;
  s->kind = LR__SOURCE_REQUEST;
  read_object(L, node, "request source", NULL,
 request_source_specs,
              N_SPECS(request_source_specs), s, &s->loc);
}

static void each_view(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__view *v = push(L, (void **)&m->views, &m->n_views, &L->cap_views,
                     sizeof *v);
  if (!v)
    return;
  v->kind = LR__VIEW_BATCH;
  v->online = true;
  read_object(L, node, "feature view", NULL,
 view_specs, N_SPECS(view_specs), v,
              &v->loc);
}

static void each_odfv(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__view *v = push(L, (void **)&m->views, &m->n_views, &L->cap_views,
                     sizeof *v);
  if (!v)
    return;
  v->kind = LR__VIEW_ON_DEMAND;
  read_object(L, node, "on-demand feature view", NULL,
 odfv_specs,
              N_SPECS(odfv_specs), v, &v->loc);
}

static void each_service(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__service *s = push(L, (void **)&m->services, &m->n_services,
                        &L->cap_services, sizeof *s);
  if (s)
    read_object(L, node, "feature service", NULL,
 service_specs,
                N_SPECS(service_specs), s, &s->loc);
}

static const struct {
  const char *key;
  void (*each)(loader *, struct fy_node *);
} sections[] = {
    {"entities", each_entity},
    {"sources", each_source},
    {"request_sources", each_request_source},
    {"feature_views", each_view},
    {"on_demand_feature_views", each_odfv},
    {"feature_services", each_service},
};

/* Reads the sections (`entities:`, ...) of one document of a definition
 * file; an empty document defines nothing. */
static void read_definitions(loader *L, struct fy_node *root) {
  if (!root || fy_node_is_null(root))
    return;
  if (!fy_node_is_mapping(root)) {
    lr__diag_add(L->diag, loc_of(L, root),
                 "a definition file is a mapping with keys such as "
                 "`entities:` and `feature_views:`",
                 "a definition file must be a mapping, found %s",
                 lr__yaml_kind(root));
    return;
  }
  const char *known[sizeof sections / sizeof sections[0]];
  int n_known = 0;
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
    known[n_known++] = sections[i].key;
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(root, &it))) {
    struct fy_node *key_node = fy_node_pair_key(pair);
    const char *key = lr__yaml_scalar(key_node);
    size_t i = 0;
    while (i < (size_t)n_known && (!key || strcmp(key, known[i]) != 0))
      i++;
    if (i < (size_t)n_known) {
      read_list(L, fy_node_pair_value(pair), key, sections[i].each);
      continue;
    }
    lr__buf hint;
    lr__buf_init(&hint);
    lr__suggest(&hint, "sections", key ? key : "?", known, n_known);
    lr__buf_puts(&hint, " (a YAML file that is not a definition file can be "
                        "listed in .larderignore)");
    lr__diag_add(L->diag, loc_of(L, key_node), lr__buf_str(&hint),
                 "unknown top-level key '%s'", key ? key : "?");
    lr__buf_free(&hint);
  }
}

/* ---- feature_store.yaml ------------------------------------------------ */

static void read_online_store(loader *L, struct fy_node *value, void *obj,
                              const char *owner) {
  (void)owner;
  static const field_spec specs[] = {
      FIELD_AT(lr__config, "type", FK_STRING, online_type, online_type_loc,
               false),
      FIELD(lr__config, "path", FK_STRING, online_path, false),
  };
  lr__loc loc;
  read_object(L, value, "online_store", NULL,
 specs, N_SPECS(specs), obj, &loc);
}

static void read_offline_store(loader *L, struct fy_node *value, void *obj,
                               const char *owner) {
  (void)owner;
  static const field_spec specs[] = {
      FIELD_AT(lr__config, "type", FK_STRING, offline_type, offline_type_loc,
               false),
  };
  lr__loc loc;
  read_object(L, value, "offline_store", NULL,
 specs, N_SPECS(specs), obj, &loc);
}

/* Feast's keys that mean nothing here but are accepted so that a Feast
 * feature_store.yaml loads: `provider: local` and the key serialization. */
static void read_ignored(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  (void)L, (void)value, (void)obj, (void)owner;
}

static const field_spec config_specs[] = {
    FIELD_AT(lr__config, "project", FK_STRING, project, project_loc, true),
    FIELD(lr__config, "registry", FK_STRING, registry_path, false),
    FIELD_FN("online_store", read_online_store, false),
    FIELD_FN("offline_store", read_offline_store, false),
    FIELD_FN("provider", read_ignored, false),
    FIELD_FN("entity_key_serialization_version", read_ignored, false),
};

static void config_defaults(loader *L) {
  lr__config *c = &L->m->config;
  if (!c->registry_path)
    c->registry_path = copy_str(L, "data/registry.db");
  if (!c->online_type)
    c->online_type = copy_str(L, "lmdb");
  if (!c->online_path)
    c->online_path = copy_str(L, "data/online");
  if (!c->offline_type)
    c->offline_type = copy_str(L, "duckdb");
}

/* Reads one document of feature_store.yaml into the config (an empty
 * document holds no settings). */
static void each_config_document(struct fy_node *root, void *ctx) {
  loader *L = ctx;
  lr__loc loc;
  if (root && !fy_node_is_null(root))
    read_object(L, root, "feature_store.yaml", NULL, config_specs,
                N_SPECS(config_specs), &L->m->config, &loc);
}

int lr__load_config(lr__model *m, const char *repo_dir, lr__diag *diag) {
  loader L = {.m = m, .diag = diag, .file = "feature_store.yaml"};
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, "feature_store.yaml");
  if (!lr__fs_exists(lr__buf_str(&path))) {
    lr__buf_free(&path);
    return LR_ENOTFOUND;
  }
  int before = diag->count;
  int rc = lr__yaml_read_file(lr__buf_str(&path), L.file, diag,
                              each_config_document, &L);
  lr__buf_free(&path);
  if (rc != 0)
    return LR_EDEFINITION;
  if (!m->config.project && diag->count == before) {
    lr__loc start = {L.file, 1, 1};
    lr__diag_add(diag, start, "write at least `project: my_project`",
                 "feature_store.yaml is empty");
  }
  config_defaults(&L);
  return diag->count ? LR_EDEFINITION : 0;
}

/* ---- walking the repo -------------------------------------------------- */

typedef struct ignore_list {
  char **patterns;
  int count;
} ignore_list;

static void ignore_free(ignore_list *ig) {
  for (int i = 0; i < ig->count; i++)
    free(ig->patterns[i]);
  free(ig->patterns);
}

/* Adds the patterns of .larderignore's `text` (modified in place). */
static void ignore_parse(ignore_list *ig, char *text) {
  char *rest = NULL;
  for (char *line = strtok_r(text, "\n", &rest); line;
       line = strtok_r(NULL, "\n", &rest)) {
    size_t n = strcspn(line, "#\r");
    while (n && (line[n - 1] == ' ' || line[n - 1] == '/'))
      n--;
    while (n && *line == ' ')
      line++, n--;
    if (!n)
      continue;
    char **grown = realloc(ig->patterns, (size_t)(ig->count + 1) * sizeof *grown);
    if (!grown)
      return;
    ig->patterns = grown;
    ig->patterns[ig->count++] = strndup(line, n);
  }
}

/* Reads .larderignore: one path or glob a line, relative to the repo;
 * `#` starts a comment; a trailing `/` is dropped. A missing file ignores
 * nothing; one with a NUL byte is an error in `diag`. */
static void ignore_load(ignore_list *ig, const char *repo_dir, lr__diag *diag) {
  memset(ig, 0, sizeof *ig);
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__fs_join(&path, repo_dir, ".larderignore");
  char *text;
  size_t len;
  if (lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0) {
    lr__text_pos at = {1, 1};
    if (lr__text_scan_nul(&at, text, len)) {
      lr__loc loc = {".larderignore", (int)at.line, (int)at.col};
      lr__diag_add(diag, loc, LR__NUL_HINT, "%s", LR__NUL_WHAT);
    } else {
      ignore_parse(ig, text);
    }
    free(text);
  }
  lr__buf_free(&path);
  lr__buf_free(&err);
}

static int ignored(const ignore_list *ig, const char *rel) {
  for (int i = 0; i < ig->count; i++)
    if (ig->patterns[i] && fnmatch(ig->patterns[i], rel, 0) == 0)
      return 1;
  return 0;
}

static int has_yaml_extension(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

typedef struct file_list {
  char **paths; /* relative to the repo */
  int count;
} file_list;

static int compare_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the definition files below `rel` (relative to repo_dir). */
static void walk(const char *repo_dir, const char *rel, const ignore_list *ig,
                 file_list *out) {
  lr__buf dir_path;
  lr__buf_init(&dir_path);
  lr__fs_join(&dir_path, repo_dir, rel);
  DIR *dir = opendir(lr__buf_str(&dir_path));
  lr__buf_free(&dir_path);
  if (!dir)
    return;
  struct dirent *ent;
  while ((ent = readdir(dir))) {
    if (ent->d_name[0] == '.')
      continue;
    lr__buf child;
    lr__buf_init(&child);
    if (*rel)
      lr__buf_printf(&child, "%s/", rel);
    lr__buf_puts(&child, ent->d_name);
    const char *child_rel = lr__buf_str(&child);
    lr__buf full;
    lr__buf_init(&full);
    lr__fs_join(&full, repo_dir, child_rel);
    int is_dir = lr__fs_is_dir(lr__buf_str(&full));
    lr__buf_free(&full);
    int skip = ignored(ig, child_rel) ||
               (!*rel && (strcmp(ent->d_name, "data") == 0 ||
                          strcmp(ent->d_name, "feature_store.yaml") == 0));
    if (!skip && is_dir) {
      walk(repo_dir, child_rel, ig, out);
    } else if (!skip && has_yaml_extension(ent->d_name)) {
      char **grown = realloc(out->paths, (size_t)(out->count + 1) * sizeof *grown);
      if (grown) {
        out->paths = grown;
        out->paths[out->count++] = lr__buf_steal(&child);
      }
    }
    lr__buf_free(&child);
  }
  closedir(dir);
}

/* Reads one document of a definition file. */
static void each_definition_document(struct fy_node *root, void *ctx) {
  read_definitions(ctx, root);
}

/* Reads every document of the definition file `rel`; a file holding none
 * (empty, or only comments) defines nothing. */
static void read_definition_file(loader *L, const char *repo_dir,
                                 const char *rel) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, rel);
  L->file = copy_str(L, rel);
  lr__yaml_read_file(lr__buf_str(&path), L->file, L->diag,
                     each_definition_document, L);
  lr__buf_free(&path);
}

int lr__load_definitions(lr__model *m, const char *repo_dir, lr__diag *diag) {
  loader L = {.m = m, .diag = diag};
  ignore_list ig;
  ignore_load(&ig, repo_dir, diag);
  file_list files = {0};
  walk(repo_dir, "", &ig, &files);
  ignore_free(&ig);
  if (files.count) /* files.paths is NULL when there are none */
    qsort(files.paths, (size_t)files.count, sizeof *files.paths,
          compare_paths);
  for (int i = 0; i < files.count; i++) {
    read_definition_file(&L, repo_dir, files.paths[i]);
    free(files.paths[i]);
  }
  free(files.paths);
  return diag->count ? LR_EDEFINITION : 0;
}

/*
 * fields.c - the table-driven reader of YAML objects (see fields.h).
 *
 * One reader walks any mapping against its table of field specs. It is
 * where unknown keys, missing required keys and values of the wrong shape
 * are reported, with the position of the offending node, so every object
 * kind of a repo gets the same checks and the same messages. The object
 * kinds themselves, and the files they are read from, are load.c's.
 */
#include "fields.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/names.h"
#include "larder.h"

lr__loc lr__fields_loc(loader *L, struct fy_node *node) {
  return lr__yaml_loc(node, L->file);
}

char *lr__fields_str(loader *L, const char *s) {
  return lr__arena_strdup(&L->m->arena, s);
}

/* Grows an arena array by one element and returns the new (zeroed) slot. */
void *lr__fields_push(loader *L, void **items, int *n, int *cap, size_t size) {
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
const char *lr__fields_scalar(loader *L, struct fy_node *value, const char *key,
                              const char *owner) {
  const char *s = lr__yaml_scalar(value);
  if (s && !fy_node_is_null(value) && *s)
    return s;
  lr__diag_add(L->diag, lr__fields_loc(L, value),
               "give it a value, e.g. `key: text`",
               "'%s' of %s must be a non-empty value, found %s", key, owner,
               s ? "an empty value" : lr__yaml_kind(value));
  return NULL;
}

int lr__fields_choice(loader *L, struct fy_node *value, const char *key,
                      const char *owner, const char *what, const char *plural,
                      const char *const *choices, int n) {
  const char *s = lr__fields_scalar(L, value, key, owner);
  if (!s)
    return -1;
  for (int i = 0; i < n; i++)
    if (strcmp(s, choices[i]) == 0)
      return i;
  lr__buf hint;
  lr__buf_init(&hint);
  lr__suggest(&hint, plural, s, choices, n);
  lr__diag_add(L->diag, lr__fields_loc(L, value), lr__buf_str(&hint),
               "unknown %s '%s' in %s", what, s, owner);
  lr__buf_free(&hint);
  return -1;
}

void lr__fields_strings(loader *L, struct fy_node *value, const field_spec *f,
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
      (*out)[0] = lr__fields_str(L, lr__yaml_scalar(value));
      *count = 1;
      if (locs)
        locs[0] = lr__fields_loc(L, value);
    }
    return;
  }
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write it as a list: `[a, b]`",
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
    const char *s = lr__fields_scalar(L, item, f->key, owner);
    if (!s)
      continue;
    if (locs)
      locs[*count] = lr__fields_loc(L, item);
    (*out)[(*count)++] = lr__fields_str(L, s);
  }
}

static void read_bool(loader *L, struct fy_node *value, const field_spec *f,
                      void *obj, const char *owner) {
  const char *s = lr__fields_scalar(L, value, f->key, owner);
  if (!s)
    return;
  bool *out = (bool *)((char *)obj + f->offset);
  if (!lr__ascii_casecmp(s, "true") || !lr__ascii_casecmp(s, "yes") ||
      !lr__ascii_casecmp(s, "on"))
    *out = true;
  else if (!lr__ascii_casecmp(s, "false") || !lr__ascii_casecmp(s, "no") ||
           !lr__ascii_casecmp(s, "off"))
    *out = false;
  else
    lr__diag_add(L->diag, lr__fields_loc(L, value), "write true or false",
                 "'%s' of %s must be true or false, found '%s'", f->key, owner,
                 s);
}

static void read_dtype(loader *L, struct fy_node *value, const field_spec *f,
                       void *obj, const char *owner) {
  const char *s = lr__fields_scalar(L, value, f->key, owner);
  if (!s)
    return;
  uint8_t dt;
  int rc = lr__dtype_parse(s, &dt);
  if (rc == -2) {
    lr__diag_add(L->diag, lr__fields_loc(L, value), lr__dtype_hint(),
                 "unsupported array type '%s' in %s", s, owner);
  } else if (rc != 0) {
    lr__diag_add(L->diag, lr__fields_loc(L, value), lr__dtype_hint(),
                 "unknown dtype '%s' in %s", s, owner);
  } else if (f->kind == FK_KEY_DTYPE && !lr__dtype_is_key(dt)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "entity keys are int32, int64, string or bytes",
                 "'%s' cannot be the value_type of %s", s, owner);
  } else {
    *((uint8_t *)obj + f->offset) = dt;
  }
}

static void read_ttl(loader *L, struct fy_node *value, const field_spec *f,
                     void *obj, const char *owner) {
  const char *s = lr__fields_scalar(L, value, f->key, owner);
  int64_t seconds;
  if (!s)
    return;
  if (lr__duration_parse(s, &seconds) != 0)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write a number and a unit (s, m, h, d, w), e.g. `1d` or "
                 "`90m`; `0s` means no limit",
                 "bad ttl '%s' in %s", s, owner);
  else
    *(int64_t *)((char *)obj + f->offset) = seconds;
}

static void read_kv(loader *L, struct fy_node *value, const field_spec *f,
                    void *obj, const char *owner) {
  if (!fy_node_is_mapping(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write it as `{key: value}`",
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
    struct fy_node *key = fy_node_pair_key(pair);
    struct fy_node *val = fy_node_pair_value(pair);
    const char *k = lr__fields_scalar(L, key, f->key, owner);
    const char *v = lr__fields_scalar(L, val, f->key, owner);
    if (k && v) {
      lr__kv *kv = &(*out)[(*count)++];
      kv->key = lr__fields_str(L, k);
      kv->value = lr__fields_str(L, v);
      kv->key_loc = lr__fields_loc(L, key);
      kv->value_loc = lr__fields_loc(L, val);
    }
  }
}

static const field_spec field_specs[] = {
    FIELD_AT(lr__field, "name", FK_STRING, name, name_loc, true),
    FIELD_AT(lr__field, "dtype", FK_DTYPE, dtype, dtype_loc, true),
    FIELD(lr__field, "description", FK_STRING, description, false),
    FIELD_KEY_AT(lr__field, "expr", FK_STRING, expr, expr_loc, false),
};

/* Where the first character of a scalar's text is, so errors inside an
 * expression point at their line and column: libfyaml marks a plain or
 * quoted scalar at its first character (inside the quotes). A block
 * (`|`, `>`) is marked at the start of its first content line, before the
 * indentation its text no longer holds: column 0, only lines are known. */
lr__loc lr__fields_text_loc(loader *L, struct fy_node *value) {
  lr__loc loc = lr__fields_loc(L, value);
  enum fy_node_style style = fy_node_get_style(value);
  if (style == FYNS_LITERAL || style == FYNS_FOLDED)
    loc.col = 0;
  return loc;
}

static void read_fields(loader *L, struct fy_node *value, const field_spec *f,
                        void *obj, const char *owner) {
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
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
    lr__fields_object(L, item, "field", owner, field_specs,
                      N_SPECS(field_specs), field, &field->loc);
    if (field->expr)
      field->expr_text_loc = lr__fields_text_loc(
          L, fy_node_mapping_lookup_by_string(item, "expr", 4));
  }
}

/* Reads the value of the pair (key, value) into `obj` as `f` says, keeping
 * its position (or its key's) when `f` asks for it. */
static void read_value(loader *L, struct fy_node *key, struct fy_node *value,
                       const field_spec *f, void *obj, const char *owner) {
  if (f->loc_offset != NO_LOC && f->kind != FK_STRINGS)
    *(lr__loc *)((char *)obj + f->loc_offset) =
        lr__fields_loc(L, f->at_key ? key : value);
  switch (f->kind) {
  case FK_STRING: {
    const char *s = lr__fields_scalar(L, value, f->key, owner);
    if (s)
      *(const char **)((char *)obj + f->offset) = lr__fields_str(L, s);
    break;
  }
  case FK_STRINGS:
    lr__fields_strings(L, value, f, obj, owner);
    break;
  case FK_BOOL:
    read_bool(L, value, f, obj, owner);
    break;
  case FK_DTYPE:
  case FK_KEY_DTYPE:
    read_dtype(L, value, f, obj, owner);
    break;
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
  lr__diag_add(L->diag, lr__fields_loc(L, key_node), lr__buf_str(&hint),
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
void lr__fields_object(loader *L, struct fy_node *node, const char *what,
                       const char *parent, const field_spec *specs, int n_specs,
                       void *obj, lr__loc *loc) {
  *loc = lr__fields_loc(L, node);
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

void lr__fields_count(loader *L, struct fy_node *value, const char *owner,
                      const lr__count_rule *rule, long long *out) {
  const char *s = lr__fields_scalar(L, value, rule->key, owner);
  if (!s)
    return;
  char *end = (char *)s;
  errno = 0;
  long long n = lr__is_digit((unsigned char)*s) ? strtoll(s, &end, 10) : 0;
  int whole = end != s && !*end;
  if (whole && errno != ERANGE && n >= rule->min && n <= rule->max) {
    *out = n;
    return;
  }
  lr__buf range, hint;
  lr__buf_init(&range);
  lr__buf_init(&hint);
  if (rule->max == LLONG_MAX)
    lr__buf_printf(&range, "of at least %lld", rule->min);
  else
    lr__buf_printf(&range, "from %lld to %lld", rule->min, rule->max);
  lr__buf_printf(&hint, "write e.g. `%s: %lld` (the default)", rule->key,
                 rule->example);
  lr__diag_add(L->diag, lr__fields_loc(L, value), lr__buf_str(&hint),
               "'%s' of %s must be a whole number %s, found '%s'", rule->key,
               owner, lr__buf_str(&range), s);
  lr__buf_free(&range);
  lr__buf_free(&hint);
}

void lr__fields_duration(loader *L, struct fy_node *value, const char *key,
                         const char *owner, const char *example,
                         long long *ms) {
  const char *s = lr__fields_scalar(L, value, key, owner);
  int64_t parsed;
  if (s && lr__duration_parse_ms(s, &parsed) == 0 && parsed > 0) {
    *ms = parsed;
    return;
  }
  if (!s)
    return;
  lr__buf hint;
  lr__buf_init(&hint);
  lr__buf_printf(&hint, "write a duration above 0: a number and a unit (ms, "
                 "s, m, h), e.g. %s", example);
  lr__diag_add(L->diag, lr__fields_loc(L, value), lr__buf_str(&hint),
               "bad %s '%s' in %s", key, s, owner);
  lr__buf_free(&hint);
}

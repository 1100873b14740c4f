/*
 * fields.h - the table-driven reader of YAML objects that load.c builds
 * the model with (see fields.c).
 *
 * Each kind of object is described by a table of field specs (key, kind,
 * where the value goes in the object); lr__fields_object() walks a mapping
 * against its table.
 */
#ifndef LR_REGISTRY_FIELDS_H
#define LR_REGISTRY_FIELDS_H

#include <stddef.h>

#include "model.h"
#include "yaml.h"

/* The state of reading one repo: the model filled, the problems found and
 * the file being read. */
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

/* Reads the mapping `node` into `obj` as `specs` say, reporting unknown,
 * missing and malformed fields. `what` names the object kind in messages,
 * `parent` (or NULL) the object it belongs to; *loc gets the node's place. */
void lr__fields_object(loader *L, struct fy_node *node, const char *what,
                       const char *parent, const field_spec *specs,
                       int n_specs, void *obj, lr__loc *loc);

/* The place of `node` in the file being read. */
lr__loc lr__fields_loc(loader *L, struct fy_node *node);

/* Where the first character of the scalar `value`'s text is: its own
 * position for a plain or quoted scalar, column 0 (only the line is known)
 * for a block (`|`, `>`). */
lr__loc lr__fields_text_loc(loader *L, struct fy_node *value);

/* A copy of `s` in the model's arena. */
char *lr__fields_str(loader *L, const char *s);

/* Grows an arena array by one element and returns the new (zeroed) slot. */
void *lr__fields_push(loader *L, void **items, int *n, int *cap, size_t size);

/* The scalar of `value`, or NULL after reporting what was found instead. */
const char *lr__fields_scalar(loader *L, struct fy_node *value,
                              const char *key, const char *owner);

/* The index of the scalar `value` among the n `choices`, or -1 after
 * reporting a value that is none of them ("unknown WHAT 'x' in OWNER", the
 * hint naming the known PLURAL: "kinds") or no scalar at all (as `key`). */
int lr__fields_choice(loader *L, struct fy_node *value, const char *key,
                      const char *owner, const char *what, const char *plural,
                      const char *const *choices, int n);

/* A whole-number setting: its key, bounds, and the example its hint
 * gives (the default). */
typedef struct lr__count_rule {
  const char *key;
  long long min, max, example;
} lr__count_rule;

/* Reads a whole number within rule's bounds into *out, or reports why not
 * ("'KEY' of OWNER must be a whole number from MIN to MAX, found 'x'"). */
void lr__fields_count(loader *L, struct fy_node *value, const char *owner,
                      const lr__count_rule *rule, long long *out);

/* Reads a duration above 0 (a number and a unit: ms, s, m, h, d, w) into
 * *ms, or reports why not ("bad KEY 'x' in OWNER"; the hint ends with
 * `example`, e.g. "`500ms` or `5s`"). */
void lr__fields_duration(loader *L, struct fy_node *value, const char *key,
                         const char *owner, const char *example,
                         long long *ms);

/* Reads an FK_STRINGS value (a list, or a lone scalar as a list of one). */
void lr__fields_strings(loader *L, struct fy_node *value, const field_spec *f,
                        void *obj, const char *owner);

#endif

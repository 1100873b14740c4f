/*
 * validate.h - what validate.c and validate_sources.c share: the state of
 * one validation (the model and where problems go) and the reports both
 * make. Internal to the registry layer; lr__validate (load.h) is the entry.
 */
#ifndef LR_REGISTRY_VALIDATE_H
#define LR_REGISTRY_VALIDATE_H

#include <stddef.h>

#include "../util/diag.h"
#include "load.h"
#include "model.h"

/* One validation: the model (sorted by name) and its diagnostics. */
typedef struct lr__checker {
  const lr__model *m;
  lr__diag *diag;
} lr__checker;

/* Where a value was written when the YAML loader kept it, else `fallback`
 * (its object's position; a model read from the registry has no others). */
lr__loc lr__at_or(lr__loc loc, lr__loc fallback);

/* A reference to a `what` named `name` that none of `items` (n objects of
 * `size` bytes, each starting with its name) has, with a did-you-mean. */
void lr__report_unknown(lr__checker *C, lr__loc loc, const char *what,
                        const char *name, const void *items, int n,
                        size_t size, const char *owner);

/* Checks a schema's names, duplicates and `expr`: expr_wanted 1 =
 * required (on-demand views), 0 = not allowed (batch views), -1 = not
 * allowed (request fields). `schema_loc` is where the list was written. */
void lr__validate_fields(lr__checker *C, const lr__field *fields, int n,
                         const char *owner, lr__loc schema_loc,
                         int expr_wanted);

/* Checks source `s`: its name, the fields its kind needs and does not
 * use, a push source's batch source and offline folder, a request
 * source's schema, field_mapping's targets (validate_sources.c). */
void lr__validate_source(lr__checker *C, const lr__source *s);

#endif

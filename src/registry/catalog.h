/*
 * catalog.h - listing and describing registry objects (`larder ls`,
 * `larder describe`).
 */
#ifndef LR_REGISTRY_CATALOG_H
#define LR_REGISTRY_CATALOG_H

#include "larder.h"
#include "model.h"

/* Writes the objects of `kind` as a table, or a JSON array with
 * LR_FORMAT_JSON. Returns 0 or LR_EINVAL for an unknown kind. */
int lr__catalog_list(const lr__model *m, lr_kind kind, unsigned flags,
                     lr__buf *out);

/* Describes every object named `name`. Returns 0, or LR_ENOTFOUND with a
 * suggestion in `err`. */
int lr__catalog_describe(const lr__model *m, const char *name, unsigned flags,
                         lr__buf *out, lr__buf *err);

/* The same for the objects of one kind only (`only`; 0: every kind). */
int lr__catalog_describe_kind(const lr__model *m, lr_kind only,
                              const char *name, unsigned flags, lr__buf *out,
                              lr__buf *err);

#endif

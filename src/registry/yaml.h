/*
 * yaml.h - the thin layer over libfyaml that the definition loader uses:
 * parse a file with syntax errors turned into diagnostics, and give any
 * node a 1-based file:line:col.
 */
#ifndef LR_REGISTRY_YAML_H
#define LR_REGISTRY_YAML_H

#include <libfyaml.h>

#include "../util/diag.h"

/* Called with the root of each document of a file (a null node for an
 * empty document); the document is destroyed when it returns. */
typedef void (*lr__yaml_each_fn)(struct fy_node *root, void *ctx);

/* Parses every document of `path` (`---` separates them; a file of only
 * comments holds none), calling `each` on each one in order. Syntax errors
 * go to `diag` at `display` (the path shown to users). Returns 0, or -1 when
 * the file could not be read or parsed to its end. */
int lr__yaml_read_file(const char *path, const char *display, lr__diag *diag,
                       lr__yaml_each_fn each, void *ctx);

/* Where `node` starts in `file`. Collections report their first child's
 * position, an empty one its opening bracket; an empty value (`key:` and
 * nothing) reports its key's position. */
lr__loc lr__yaml_loc(struct fy_node *node, const char *file);

/* The scalar text of `node`, NUL-terminated, or NULL when it is not a
 * scalar. Owned by the document. */
const char *lr__yaml_scalar(struct fy_node *node);

/* What the node is, for messages: "a mapping", "a list", "a string". */
const char *lr__yaml_kind(struct fy_node *node);

#endif

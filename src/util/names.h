/*
 * names.h - checks and suggestions for the names users write: identifiers,
 * and "did you mean" hints for names that do not resolve.
 */
#ifndef LR_UTIL_NAMES_H
#define LR_UTIL_NAMES_H

#include "buf.h"

/* 1 when `s` is [A-Za-z_][A-Za-z0-9_]*: safe as a column name, in an
 * expression and in `view__feature`. */
int lr__is_identifier(const char *s);

/* 1 when two optional texts are equal; NULL (absent) equals only NULL. */
int lr__text_same(const char *a, const char *b);

/* Edit distance between two strings (for suggestions). */
int lr__edit_distance(const char *a, const char *b);

/* The name among `known` (n of them; NULL entries are left out) close
 * enough to `name` to suggest: the nearest within a few edits (fewer than
 * `name` has characters), else one that is `name` with a `_word` added or
 * removed. NULL when none is. */
const char *lr__closest(const char *name, const char *const *known, int n);

/* Appends the names of `known` (NULL entries left out), comma-separated:
 * the first `max`, then " (and N more)". */
void lr__list_names(lr__buf *out, const char *const *known, int n, int max);

/* Writes a hint for an unresolved `name` among `known` (n of them; NULL
 * entries, objects without a name, are left out): "did you mean 'x'?" when
 * one is close, else "known WHAT: a, b, c" (the first few), else "no WHAT
 * are defined". WHAT is plural: "feature views". */
void lr__suggest(lr__buf *hint, const char *what, const char *name,
                 const char *const *known, int n);

#endif

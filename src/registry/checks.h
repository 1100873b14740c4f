/*
 * checks.h - a feature view's data quality rules (`checks:` and
 * `max_failed:`, docs/repo-format.md): read from YAML (checks.c), checked
 * against the view at apply and shown by describe and plan (checkrules.c).
 *
 * Running them over the rows of a write is quality/checkrun.h's.
 */
#ifndef LR_REGISTRY_CHECKS_H
#define LR_REGISTRY_CHECKS_H

#include "fields.h"

/* The view's `checks:` list (a field_fn of the feature view's specs):
 * each rule's shape, values and on_fail, a name derived for each rule
 * without one, and names unique in the view. */
void lr__checks_read(loader *L, struct fy_node *value, void *obj,
                     const char *owner);

/* The view's `max_failed:` (a field_fn): a share from 0 to 1. */
void lr__checks_read_max_failed(loader *L, struct fy_node *value, void *obj,
                                const char *owner);

/* Checks the rules of batch view v (of model m) against its features and
 * keys: features that exist, of a type the rule can test, values of that
 * type, expressions that compile to bool, unique's columns. `owner` names
 * the view in messages ("feature view 'x'"). */
void lr__checks_validate(const lr__model *m, const lr__view *v,
                         const char *owner, lr__diag *diag);

/* The YAML key of a rule kind ("not_null", "row_count"); NULL if none. */
const char *lr__check_kind_name(int kind);

/* The spelling of an on_fail ("warn", "null"); NULL if none. */
const char *lr__on_fail_name(int on_fail);

/* Writes rule c as a JSON object with every field (its name, kind,
 * on_fail and what the kind holds). */
void lr__check_json(const lr__check *c, lr__buf *out);

/* Writes rule c as one line for people, in YAML's terms:
 * "conv_rate_between  between [0, 1] on conv_rate  on_fail: null". */
void lr__check_text(const lr__check *c, lr__buf *out);

#endif

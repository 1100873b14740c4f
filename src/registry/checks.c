/*
 * checks.c - reading a feature view's `checks:` and `max_failed:` from
 * YAML (see checks.h).
 *
 * A rule is a mapping read against one table of field specs (fields.c),
 * so unknown keys get the same message and suggestion as everywhere else;
 * each kind's key sets the rule's kind, and a second one is an error. What
 * needs the view's features (does the feature exist, is a bound of its
 * type?) is checkrules.c's, at validation.
 */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "../util/names.h"
#include "larder.h"

/* ---- values ------------------------------------------------------------- */

/* 1 when `s` is a decimal integer: optional sign, digits. */
static int is_int_text(const char *s) {
  s += *s == '-' || *s == '+';
  return *s && strspn(s, "0123456789") == strlen(s);
}

/* 1 when `s` is a decimal number with a fraction or an exponent (YAML's
 * float, without .inf and .nan: a rule's bound is a finite number). */
static int is_float_text(const char *s) {
  s += *s == '-' || *s == '+';
  size_t digits = strspn(s, "0123456789");
  s += digits;
  if (*s == '.') {
    size_t frac = strspn(s + 1, "0123456789");
    digits += frac;
    s += 1 + frac;
  }
  if (!digits)
    return 0;
  if (*s == 'e' || *s == 'E') {
    s++;
    s += *s == '-' || *s == '+';
    size_t exp = strspn(s, "0123456789");
    if (!exp)
      return 0;
    s += exp;
  }
  return *s == '\0';
}

/* The type of a scalar as YAML's core schema reads it: quoted text is a
 * string; plain text is null, a bool, an int, a float or else a string. */
static uint8_t value_type(struct fy_node *node) {
  const char *s = lr__yaml_scalar(node);
  enum fy_node_style style = fy_node_get_style(node);
  if (style != FYNS_PLAIN && style != FYNS_ANY)
    return LR__VALUE_STRING;
  if (!s || !*s || strcmp(s, "~") == 0 || !lr__ascii_casecmp(s, "null"))
    return LR__VALUE_NULL;
  if (!lr__ascii_casecmp(s, "true") || !lr__ascii_casecmp(s, "false"))
    return LR__VALUE_BOOL;
  if (is_int_text(s))
    return LR__VALUE_INT;
  return is_float_text(s) ? LR__VALUE_FLOAT : LR__VALUE_STRING;
}

/* Reads the list `value` of scalars into c->values; reports anything else
 * (as the `key` of `owner`). Returns the number read, or -1. */
static int read_values(loader *L, struct fy_node *value, lr__check *c,
                       const char *key, const char *owner) {
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write it as a list: `[a, b]`",
                 "'%s' of %s must be a list, found %s", key, owner,
                 lr__yaml_kind(value));
    return -1;
  }
  int n = fy_node_sequence_item_count(value);
  c->values = lr__arena_array(&L->m->arena, (size_t)n + 1, sizeof *c->values);
  if (!c->values)
    return -1;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it))) {
    if (!fy_node_is_scalar(item)) {
      lr__diag_add(L->diag, lr__fields_loc(L, item),
                   "write plain values, e.g. `[0, 1]` or `[sf, la]`",
                   "'%s' of %s must list values, found %s", key, owner,
                   lr__yaml_kind(item));
      return -1;
    }
    lr__check_value *cv = &c->values[c->n_values++];
    cv->type = value_type(item);
    cv->text = cv->type == LR__VALUE_NULL
                   ? NULL : lr__fields_str(L, lr__yaml_scalar(item));
    cv->loc = lr__fields_loc(L, item);
  }
  return c->n_values;
}

/* ---- the kinds ---------------------------------------------------------- */

static const char *const kind_names[] = {
    "not_null", "between", "in", "matches", "expr",
    "row_count", "unique", "freshness"};
enum { N_KINDS = sizeof kind_names / sizeof kind_names[0] };

static const char *const on_fail_names[] = {"warn", "drop", "null", "reject"};

/* (checks.h) */
const char *lr__check_kind_name(int kind) {
  return kind >= 1 && kind <= N_KINDS ? kind_names[kind - 1] : NULL;
}

/* (checks.h) */
const char *lr__on_fail_name(int on_fail) {
  return on_fail >= 1 && on_fail <= 4 ? on_fail_names[on_fail - 1] : NULL;
}

/* Sets the rule's kind, refusing a second one: one rule, one test. */
static int set_kind(loader *L, struct fy_node *value, lr__check *c, int kind,
                    const char *owner) {
  lr__loc at = lr__fields_loc(L, value);
  if (c->kind) {
    lr__diag_add(L->diag, at, "write one rule per entry of 'checks'",
                 "%s has two kinds, '%s' and '%s'", owner,
                 lr__check_kind_name(c->kind), lr__check_kind_name(kind));
    return -1;
  }
  c->kind = (uint8_t)kind;
  c->kind_loc = at;
  return 0;
}

/* not_null: true (false would test nothing). */
static void read_not_null(loader *L, struct fy_node *value, void *obj,
                          const char *owner) {
  const char *s = lr__fields_scalar(L, value, "not_null", owner);
  if (!s || set_kind(L, value, obj, LR__CHECK_NOT_NULL, owner) != 0)
    return;
  if (lr__ascii_casecmp(s, "true") != 0)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write `not_null: true`, or remove the rule",
                 "'not_null' of %s must be true, found '%s'", owner, s);
}

/* between: [low, high], null for an open side; the types are checked
 * against the feature at validation. */
static void read_between(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  lr__check *c = obj;
  if (set_kind(L, value, c, LR__CHECK_BETWEEN, owner) != 0 ||
      read_values(L, value, c, "between", owner) < 0)
    return;
  if (c->n_values != 2)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write `between: [low, high]`; null leaves a side open",
                 "'between' of %s must be [low, high], found %d values",
                 owner, c->n_values);
  else if (c->values[0].type == LR__VALUE_NULL &&
           c->values[1].type == LR__VALUE_NULL)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "give at least one bound, or remove the rule",
                 "'between' of %s has no bound", owner);
}

/* in: the values allowed, at least one, no null. */
static void read_in(loader *L, struct fy_node *value, void *obj,
                    const char *owner) {
  lr__check *c = obj;
  if (set_kind(L, value, c, LR__CHECK_IN, owner) != 0 ||
      read_values(L, value, c, "in", owner) < 0)
    return;
  if (c->n_values == 0)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "list the values allowed, e.g. `in: [sf, la]`",
                 "'in' of %s lists no values", owner);
  for (int i = 0; i < c->n_values; i++)
    if (c->values[i].type == LR__VALUE_NULL)
      lr__diag_add(L->diag, c->values[i].loc,
                   "remove it: rules pass nulls; add a not_null rule to "
                   "refuse them",
                   "'in' of %s lists null", owner);
}

/* matches: a non-empty pattern (compiled at validation, checkrules.c). */
static void read_matches(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  lr__check *c = obj;
  const char *s = lr__fields_scalar(L, value, "matches", owner);
  if (!s || set_kind(L, value, c, LR__CHECK_MATCHES, owner) != 0)
    return;
  c->text = lr__fields_str(L, s);
  c->text_loc = lr__fields_text_loc(L, value);
}

/* expr: an expression, compiled at validation (checkrules.c). */
static void read_expr(loader *L, struct fy_node *value, void *obj,
                      const char *owner) {
  lr__check *c = obj;
  const char *s = lr__fields_scalar(L, value, "expr", owner);
  if (!s || set_kind(L, value, c, LR__CHECK_EXPR, owner) != 0)
    return;
  c->text = lr__fields_str(L, s);
  c->text_loc = lr__fields_text_loc(L, value);
}

/* row_count: [min, max] rows of a batch, whole numbers or null. */
static void read_row_count(loader *L, struct fy_node *value, void *obj,
                           const char *owner) {
  lr__check *c = obj;
  if (set_kind(L, value, c, LR__CHECK_ROW_COUNT, owner) != 0 ||
      read_values(L, value, c, "row_count", owner) < 0)
    return;
  if (c->n_values != 2) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write `row_count: [min, max]`; null leaves a side open",
                 "'row_count' of %s must be [min, max], found %d values",
                 owner, c->n_values);
    return;
  }
  for (int i = 0; i < 2; i++) {
    const lr__check_value *b = &c->values[i];
    if (b->type != LR__VALUE_NULL &&
        (b->type != LR__VALUE_INT || b->text[0] == '-')) {
      lr__diag_add(L->diag, b->loc, "write a number of rows, e.g. "
                   "`row_count: [1000, null]`",
                   "'row_count' of %s must be whole numbers of rows or null, "
                   "found '%s'", owner, b->text);
      return;
    }
  }
  const lr__check_value *lo = &c->values[0], *hi = &c->values[1];
  if (!lo->text && !hi->text)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "give at least one bound, or remove the rule",
                 "'row_count' of %s has no bound", owner);
  else if (lo->text && hi->text &&
           strtoull(lo->text, NULL, 10) > strtoull(hi->text, NULL, 10))
    lr__diag_add(L->diag, lo->loc, "swap them",
                 "'row_count' of %s has its minimum %s above its maximum %s",
                 owner, lo->text, hi->text);
}

/* unique: the columns that identify a row, at least one. */
static void read_unique(loader *L, struct fy_node *value, void *obj,
                        const char *owner) {
  static const field_spec spec = FIELD_N_AT(lr__check, "unique", FK_STRINGS,
                                            columns, n_columns, column_locs,
                                            false);
  lr__check *c = obj;
  if (set_kind(L, value, c, LR__CHECK_UNIQUE, owner) != 0)
    return;
  lr__fields_strings(L, value, &spec, c, owner);
  if (c->columns && c->n_columns == 0)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "list the columns that identify a row, e.g. "
                 "`unique: [driver_id, event_timestamp]`",
                 "'unique' of %s lists no columns", owner);
}

/* freshness: the age the newest row may reach, a duration above 0. */
static void read_freshness(loader *L, struct fy_node *value, void *obj,
                           const char *owner) {
  lr__check *c = obj;
  const char *s = lr__fields_scalar(L, value, "freshness", owner);
  if (!s || set_kind(L, value, c, LR__CHECK_FRESHNESS, owner) != 0)
    return;
  if (lr__duration_parse(s, &c->freshness_seconds) != 0 ||
      c->freshness_seconds <= 0)
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write the age the newest row may reach: a number and a "
                 "unit (s, m, h, d, w), e.g. `2h` or `1d`",
                 "bad freshness '%s' in %s", s, owner);
}

/* A share from 0 to 1 (mostly, max_failed), or -1 after reporting. */
static double read_share(loader *L, struct fy_node *value, const char *key,
                         const char *owner, const char *hint) {
  const char *s = lr__fields_scalar(L, value, key, owner);
  if (!s)
    return -1;
  uint8_t type = value_type(value);
  double share = type == LR__VALUE_INT || type == LR__VALUE_FLOAT
                     ? lr__strtod(s, NULL) : -1;
  if (share < 0 || share > 1) {
    lr__diag_add(L->diag, lr__fields_loc(L, value), hint,
                 "'%s' of %s must be a number from 0 to 1, found '%s'", key,
                 owner, s);
    return -1;
  }
  return share;
}

/* mostly: the share of non-null rows that must pass. */
static void read_mostly(loader *L, struct fy_node *value, void *obj,
                        const char *owner) {
  lr__check *c = obj;
  c->mostly_loc = lr__fields_loc(L, value);
  double share = read_share(L, value, "mostly", owner,
                            "e.g. `mostly: 0.99`: the rule passes when 99% "
                            "of the non-null rows do");
  if (share >= 0)
    c->mostly = share;
}

/* on_fail: warn, drop, null or reject (per kind: finish_check). */
static void read_on_fail(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  lr__check *c = obj;
  c->on_fail_loc = lr__fields_loc(L, value);
  int i = lr__fields_choice(L, value, "on_fail", owner, "on_fail",
                            "on_fail values", on_fail_names, 4);
  if (i >= 0)
    c->on_fail = (uint8_t)(LR__ON_FAIL_WARN + i);
}

static const field_spec check_specs[] = {
    FIELD_AT(lr__check, "name", FK_STRING, name, name_loc, false),
    FIELD_AT(lr__check, "feature", FK_STRING, feature, feature_loc, false),
    FIELD_FN("not_null", read_not_null, false),
    FIELD_FN("between", read_between, false),
    FIELD_FN("in", read_in, false),
    FIELD_FN("matches", read_matches, false),
    FIELD_FN("expr", read_expr, false),
    FIELD_FN("row_count", read_row_count, false),
    FIELD_FN("unique", read_unique, false),
    FIELD_FN("freshness", read_freshness, false),
    FIELD_FN("mostly", read_mostly, false),
    FIELD_FN("on_fail", read_on_fail, false),
};

/* ---- a rule as a whole -------------------------------------------------- */

/* 1 for the kinds that test one feature of each row. */
static int is_feature_rule(int kind) {
  return kind >= LR__CHECK_NOT_NULL && kind <= LR__CHECK_MATCHES;
}

/* The name of a rule without one: FEATURE_KIND for a feature rule,
 * unique_COLUMNS, row_count, freshness, and expr_N for the N-th rule (an
 * expression names no one thing; give it a name). */
static const char *default_name(loader *L, const lr__check *c, int index) {
  lr__buf name;
  lr__buf_init(&name);
  if (is_feature_rule(c->kind))
    lr__buf_printf(&name, "%s_%s", c->feature, lr__check_kind_name(c->kind));
  else if (c->kind == LR__CHECK_EXPR)
    lr__buf_printf(&name, "expr_%d", index + 1);
  else
    lr__buf_puts(&name, lr__check_kind_name(c->kind));
  for (int i = 0; c->kind == LR__CHECK_UNIQUE && i < c->n_columns; i++)
    lr__buf_printf(&name, "_%s", c->columns[i]);
  const char *kept = lr__fields_str(L, lr__buf_str(&name));
  lr__buf_free(&name);
  return kept;
}

/* The on_fail values a kind allows: a batch rule fails a batch, not rows
 * (warn or reject); not_null and expr have no value to set to null. */
static int on_fail_allowed(int kind, int on_fail, const char **hint) {
  if (kind >= LR__CHECK_ROW_COUNT) {
    *hint = "it tests the whole batch, not rows: use warn or reject";
    return on_fail == LR__ON_FAIL_WARN || on_fail == LR__ON_FAIL_REJECT;
  }
  *hint = kind == LR__CHECK_NOT_NULL
              ? "the value is null already: use warn, drop or reject"
              : "it tests no one feature to set to null: use warn, drop or "
                "reject";
  return on_fail != LR__ON_FAIL_NULL ||
         (kind != LR__CHECK_NOT_NULL && kind != LR__CHECK_EXPR);
}

/* What a rule needs once all its keys are read: a kind, a feature for a
 * feature rule (and none for another), mostly on feature rules only, an
 * on_fail its kind allows, and a name. */
static void finish_check(loader *L, lr__check *c, int index,
                         const char *view_owner) {
  if (!c->kind) {
    lr__buf hint;
    lr__buf_init(&hint);
    lr__buf_puts(&hint, "give it one of ");
    lr__list_names(&hint, kind_names, N_KINDS, N_KINDS);
    lr__diag_add(L->diag, c->loc, lr__buf_str(&hint),
                 "check %d of %s has no rule", index + 1, view_owner);
    lr__buf_free(&hint);
    return;
  }
  const char *kind = lr__check_kind_name(c->kind);
  if (is_feature_rule(c->kind) && !c->feature) {
    lr__diag_add(L->diag, c->loc,
                 "name the feature it tests, e.g. `feature: conv_rate`",
                 "the %s check %d of %s has no 'feature'", kind, index + 1,
                 view_owner);
    return;
  }
  if (!c->name)
    c->name = default_name(L, c, index);
  lr__buf owner;
  lr__buf_init(&owner);
  lr__buf_printf(&owner, "check '%s' of %s", c->name, view_owner);
  const char *hint;
  if (!is_feature_rule(c->kind) && c->feature)
    lr__diag_add(L->diag, c->feature_loc, "remove it",
                 "'feature' is not used by the %s %s", kind,
                 lr__buf_str(&owner));
  if (!is_feature_rule(c->kind) && c->mostly_loc.line)
    lr__diag_add(L->diag, c->mostly_loc,
                 "mostly is for not_null, between, in and matches; remove it",
                 "'mostly' is not used by the %s %s", kind,
                 lr__buf_str(&owner));
  if (!on_fail_allowed(c->kind, c->on_fail, &hint))
    lr__diag_add(L->diag, c->on_fail_loc, hint,
                 "on_fail '%s' does not apply to the %s %s",
                 lr__on_fail_name(c->on_fail), kind, lr__buf_str(&owner));
  lr__buf_free(&owner);
}

/* Two rules of a view with one name (given, or derived alike). */
static void check_names_unique(loader *L, const lr__view *v,
                               const char *owner) {
  for (int i = 0; i < v->n_checks; i++)
    for (int j = 0; j < i; j++) {
      const lr__check *a = &v->checks[j], *b = &v->checks[i];
      if (!a->name || !b->name || strcmp(a->name, b->name) != 0)
        continue;
      lr__buf hint;
      lr__buf_init(&hint);
      lr__buf_printf(&hint, "the first is at %s:%d:%d; give one a `name:`",
                     a->loc.file ? a->loc.file : "?", a->loc.line, a->loc.col);
      lr__diag_add(L->diag, b->name_loc.line ? b->name_loc : b->loc,
                   lr__buf_str(&hint), "two checks of %s are named '%s'",
                   owner, b->name);
      lr__buf_free(&hint);
      break;
    }
}

/* (checks.h) Each entry is read on its own; names are compared once all
 * are read. */
void lr__checks_read(loader *L, struct fy_node *value, void *obj,
                     const char *owner) {
  lr__view *v = obj;
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write it as a list: `- {feature: conv_rate, not_null: true}`",
                 "'checks' of %s must be a list of rules, found %s", owner,
                 lr__yaml_kind(value));
    return;
  }
  int n = fy_node_sequence_item_count(value);
  v->checks = lr__arena_array(&L->m->arena, (size_t)n + 1, sizeof *v->checks);
  if (!v->checks)
    return;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it))) {
    int errors = L->diag->count;
    lr__check *c = &v->checks[v->n_checks];
    c->on_fail = LR__ON_FAIL_WARN;
    c->mostly = 1;
    /* an unnamed rule is told by its place: "check 3 of feature view" */
    lr__buf what;
    lr__buf_init(&what);
    lr__buf_puts(&what, "check");
    if (!fy_node_is_mapping(item) ||
        !fy_node_mapping_lookup_by_string(item, "name", 4))
      lr__buf_printf(&what, " %d", v->n_checks + 1);
    lr__fields_object(L, item, lr__buf_str(&what), owner, check_specs,
                      N_SPECS(check_specs), c, &c->loc);
    lr__buf_free(&what);
    if (L->diag->count == errors)
      finish_check(L, c, v->n_checks, owner);
    v->n_checks++;
  }
  check_names_unique(L, v, owner);
}

/* (checks.h) */
void lr__checks_read_max_failed(loader *L, struct fy_node *value, void *obj,
                                const char *owner) {
  lr__view *v = obj;
  v->max_failed_loc = lr__fields_loc(L, value);
  double share = read_share(L, value, "max_failed", owner,
                            "e.g. `max_failed: 0.05`: a batch with more than "
                            "5% failing rows is refused");
  if (share >= 0) {
    v->max_failed = share;
    v->has_max_failed = true;
  }
}

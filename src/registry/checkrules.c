/*
 * checkrules.c - a feature view's rules checked against the view at apply,
 * and written for describe, ls --json and plan (see checks.h).
 *
 * The loader (checks.c) saw each rule alone; here each is set against the
 * view's features and keys: a bound must be of its feature's type, an
 * expression must compile to bool over the view's features (the same
 * compiler as on-demand views, so the same names and types).
 */
#include "checks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../transform/expr.h"
#include "../util/clocale.h"
#include "../util/names.h"
#include "../util/regex.h"
#include "../util/textval.h"
#include "larder.h"
#include "load.h"
#include "odfv.h"

typedef struct rule_ctx {
  const lr__model *m;
  const lr__view *v;
  const lr__check *c;
  lr__diag *diag;
  const char *owner; /* "check 'x' of feature view 'v'" */
} rule_ctx;

/* ---- values against a feature's type ------------------------------------ */

/* 1 for the dtypes `between` tests. */
static int is_number_dtype(uint8_t dt) {
  return dt == LR__DT_INT32 || dt == LR__DT_INT64 || dt == LR__DT_FLOAT32 ||
         dt == LR__DT_FLOAT64;
}

/* 1 for a value written as a number. */
static int is_number_value(uint8_t type) {
  return type == LR__VALUE_INT || type == LR__VALUE_FLOAT;
}

/* What a value is, for messages. */
static const char *value_type_name(uint8_t type) {
  switch (type) {
  case LR__VALUE_BOOL: return "a bool";
  case LR__VALUE_INT: return "a whole number";
  case LR__VALUE_FLOAT: return "a number";
  case LR__VALUE_STRING: return "a string";
  }
  return "null";
}

/* 1 when value cv can be a value of dtype dt: a whole number in its range
 * for int32 and int64, any number for floats, a string for a string, a
 * bool for a bool. */
static int value_fits(const lr__check_value *cv, uint8_t dt) {
  switch (dt) {
  case LR__DT_INT32:
  case LR__DT_INT64: {
    if (cv->type != LR__VALUE_INT)
      return 0;
    errno = 0;
    long long x = strtoll(cv->text, NULL, 10);
    if (errno == ERANGE)
      return 0; /* out of int64's range */
    return dt == LR__DT_INT64 || (x >= INT32_MIN && x <= INT32_MAX);
  }
  case LR__DT_FLOAT32:
  case LR__DT_FLOAT64: return is_number_value(cv->type);
  case LR__DT_STRING: return cv->type == LR__VALUE_STRING;
  case LR__DT_BOOL: return cv->type == LR__VALUE_BOOL;
  }
  return 0;
}

/* Reports value cv (of 'between' or 'in') that is not of feature f's type. */
static void report_value_type(rule_ctx *R, const lr__check_value *cv,
                              const lr__field *f, const char *key) {
  char scratch[32];
  const char *dt = lr__dtype_name(f->dtype, scratch);
  lr__buf hint;
  lr__buf_init(&hint);
  if (f->dtype == LR__DT_STRING)
    lr__buf_printf(&hint, "quote it to make it a string: '%s'", cv->text);
  else if (cv->type == LR__VALUE_INT && is_number_dtype(f->dtype))
    lr__buf_printf(&hint, "feature '%s' is %s: give a value in its range",
                   f->name, dt);
  else
    lr__buf_printf(&hint, "feature '%s' is %s: give a value of that type",
                   f->name, dt);
  lr__diag_add(R->diag, cv->loc, lr__buf_str(&hint),
               "value '%s' in '%s' of %s is %s, not a value of feature "
               "'%s' (%s)", cv->text, key, R->owner,
               value_type_name(cv->type), f->name, dt);
  lr__buf_free(&hint);
}

/* A rule that cannot test a feature of this type. */
static void report_feature_type(rule_ctx *R, const lr__field *f,
                                const char *what, const char *hint) {
  char scratch[32];
  lr__diag_add(R->diag, R->c->kind_loc.line ? R->c->kind_loc : R->c->loc,
               hint, "'%s' of %s needs %s feature; '%s' is %s",
               lr__check_kind_name(R->c->kind), R->owner, what, f->name,
               lr__dtype_name(f->dtype, scratch));
}

/* between: a number feature, bounds of its type, low <= high. */
static void check_between(rule_ctx *R, const lr__field *f) {
  const lr__check *c = R->c;
  if (!is_number_dtype(f->dtype)) {
    report_feature_type(R, f, "a number",
                        "between tests int32, int64, float32 and float64 "
                        "features; test others with in or matches");
    return;
  }
  int fit = 1;
  for (int i = 0; i < c->n_values; i++)
    if (c->values[i].type != LR__VALUE_NULL &&
        !value_fits(&c->values[i], f->dtype)) {
      report_value_type(R, &c->values[i], f, "between");
      fit = 0;
    }
  const lr__check_value *lo = &c->values[0], *hi = &c->values[1];
  if (fit && c->n_values == 2 && lo->text && hi->text &&
      lr__strtod(lo->text, NULL) > lr__strtod(hi->text, NULL))
    lr__diag_add(R->diag, lo->loc, "swap them",
                 "'between' of %s has its low bound %s above its high bound "
                 "%s", R->owner, lo->text, hi->text);
}

/* The class a value of `in` belongs to: numbers together (an int is a
 * float feature's value too), bools, strings. */
static int value_class(uint8_t type) {
  return is_number_value(type) ? LR__VALUE_FLOAT : type;
}

/* in: a bool, number or string feature, values of one type, its own. */
static void check_in(rule_ctx *R, const lr__field *f) {
  const lr__check *c = R->c;
  uint8_t dt = f->dtype;
  if (!is_number_dtype(dt) && dt != LR__DT_STRING && dt != LR__DT_BOOL) {
    report_feature_type(R, f, "a bool, number or string",
                        "in tests bool, int32, int64, float32, float64 and "
                        "string features");
    return;
  }
  for (int i = 1; i < c->n_values; i++) {
    const lr__check_value *first = &c->values[0], *cv = &c->values[i];
    if (value_class(cv->type) == value_class(first->type))
      continue;
    char scratch[32];
    lr__buf hint;
    lr__buf_init(&hint);
    lr__buf_printf(&hint, "list values of one type: feature '%s' is %s",
                   f->name, lr__dtype_name(dt, scratch));
    lr__diag_add(R->diag, cv->loc, lr__buf_str(&hint),
                 "'in' of %s mixes types: '%s' is %s, '%s' %s", R->owner,
                 first->text, value_type_name(first->type), cv->text,
                 value_type_name(cv->type));
    lr__buf_free(&hint);
    return;
  }
  for (int i = 0; i < c->n_values; i++)
    if (!value_fits(&c->values[i], dt)) {
      report_value_type(R, &c->values[i], f, "in");
      return; /* one type for all: the others are the same */
    }
}

/* matches: a string feature. */
static void check_matches(rule_ctx *R, const lr__field *f) {
  if (f->dtype != LR__DT_STRING) {
    report_feature_type(R, f, "a string",
                        "matches tests string features; test numbers with "
                        "between");
    return;
  }
  /* compiled here so that a pattern the C paths cannot run, or DuckDB
   * would read otherwise, is refused before anything is written */
  lr__regex *re = NULL;
  lr__buf why;
  lr__buf_init(&why);
  int rc = lr__regex_compile(R->c->text, &re, &why);
  if (rc == LR_EINVAL)
    lr__diag_add(R->diag, R->c->text_loc.line ? R->c->text_loc : R->c->loc,
                 "the syntax matches accepts is in docs/repo-format.md, "
                 "\"Regular expressions\"",
                 "'matches' of %s: %s", R->owner, lr__buf_str(&why));
  else if (rc)
    lr__diag_add(R->diag, R->c->loc, NULL,
                 "'matches' of %s: out of memory", R->owner);
  lr__regex_free(re);
  lr__buf_free(&why);
}

/* ---- expressions -------------------------------------------------------- */

/* A compile error of a rule's expression, at its line and column. The
 * compiler types the output as a feature's; a rule's is always bool, so
 * its "the feature is declared bool" is said in a rule's words. */
static void report_expr(void *arg, int output, int pos, const char *message,
                        const char *hint) {
  (void)output;
  rule_ctx *R = arg;
  lr__loc at = lr__expr_loc(R->c->text, R->c->text_loc, R->c->loc, pos);
  static const char typed[] = "the expression is ";
  const char *declared = strstr(message, " but the feature is declared");
  if (strncmp(message, typed, sizeof typed - 1) == 0 && declared) {
    const char *type = message + sizeof typed - 1;
    lr__diag_add(R->diag, at, "compare it, e.g. `acc_rate <= 1`",
                 "the expression of %s is %.*s; a check's expression must be "
                 "bool", R->owner, (int)(declared - type), type);
    return;
  }
  lr__diag_add(R->diag, at, *hint ? hint : NULL,
               "in the expression of %s: %s", R->owner, message);
}

/* Compiles an expr rule to bool over the view's features. */
static void check_expr(rule_ctx *R) {
  const lr__view *v = R->v;
  lr__expr_input *inputs = calloc((size_t)v->n_features + 1, sizeof *inputs);
  if (!inputs) {
    R->diag->oom = 1;
    return;
  }
  int n = 0;
  for (int i = 0; i < v->n_features; i++)
    if (v->features[i].name) {
      inputs[n].name = v->features[i].name;
      inputs[n++].dtype = v->features[i].dtype;
    }
  const char *exprs[1] = {R->c->text};
  const uint8_t out_dtype[1] = {LR__DT_BOOL};
  lr__prog *prog = NULL;
  if (lr__prog_compile(inputs, n, exprs, out_dtype, 1, report_expr, R,
                       &prog) == LR_ENOMEM)
    R->diag->oom = 1;
  lr__prog_free(prog);
  free(inputs);
}

/* ---- unique ------------------------------------------------------------- */

/* The columns a view's row has: its join keys, event_timestamp and its
 * features (caller frees; *n gets the count). */
static const char **row_columns(const lr__model *m, const lr__view *v,
                                int *n) {
  int n_keys = lr__model_view_keys(m, v, NULL, NULL, 0);
  const char **names = calloc((size_t)(n_keys + 1 + v->n_features) + 1,
                              sizeof *names);
  uint8_t *types = calloc((size_t)n_keys + 1, 1);
  *n = 0;
  if (names && types) {
    *n = lr__model_view_keys(m, v, names, types, n_keys);
    names[(*n)++] = "event_timestamp";
    for (int i = 0; i < v->n_features; i++)
      names[(*n)++] = v->features[i].name;
  }
  free(types);
  return names;
}

/* unique: columns the view's rows have, each once. */
static void check_unique(rule_ctx *R) {
  const lr__check *c = R->c;
  int n;
  const char **known = row_columns(R->m, R->v, &n);
  if (!known) {
    R->diag->oom = 1;
    return;
  }
  for (int i = 0; i < c->n_columns; i++) {
    lr__loc at = c->column_locs ? c->column_locs[i] : c->loc;
    int found = 0;
    for (int k = 0; k < n && !found; k++)
      found = known[k] && strcmp(known[k], c->columns[i]) == 0;
    for (int j = 0; found && j < i; j++)
      if (strcmp(c->columns[j], c->columns[i]) == 0) {
        lr__diag_add(R->diag, at, "list each column once",
                     "'unique' of %s lists column '%s' twice", R->owner,
                     c->columns[i]);
        break;
      }
    if (found)
      continue;
    lr__buf hint;
    lr__buf_init(&hint);
    lr__suggest(&hint, "columns (join keys, event_timestamp, features)",
                c->columns[i], known, n);
    lr__diag_add(R->diag, at, lr__buf_str(&hint),
                 "unknown column '%s' in 'unique' of %s", c->columns[i],
                 R->owner);
    lr__buf_free(&hint);
  }
  free(known);
}

/* ---- a rule and a view -------------------------------------------------- */

/* One rule against its view: its name, then what its kind needs. */
static void check_rule(rule_ctx *R) {
  const lr__check *c = R->c;
  lr__validate_identifier(R->diag, c->name,
                          c->name_loc.line ? c->name_loc : c->loc, "check");
  if (c->kind == LR__CHECK_EXPR) {
    check_expr(R);
    return;
  }
  if (c->kind == LR__CHECK_UNIQUE) {
    check_unique(R);
    return;
  }
  if (!c->feature)
    return; /* row_count and freshness: the loader checked them whole */
  const lr__field *f = lr__view_feature(R->v, c->feature);
  if (!f) {
    lr__validate_unknown_feature(R->diag, c->feature_loc.line ? c->feature_loc
                                                              : c->loc,
                                 R->v, c->feature, R->owner);
    return;
  }
  if (c->kind != LR__CHECK_NOT_NULL && LR__DT_IS_ARRAY(f->dtype)) {
    report_feature_type(R, f, "a single-valued",
                        "only not_null tests array features");
    return;
  }
  if (c->kind == LR__CHECK_BETWEEN)
    check_between(R, f);
  else if (c->kind == LR__CHECK_IN)
    check_in(R, f);
  else if (c->kind == LR__CHECK_MATCHES)
    check_matches(R, f);
}

/* (checks.h) */
void lr__checks_validate(const lr__model *m, const lr__view *v,
                         const char *owner, lr__diag *diag) {
  for (int i = 0; i < v->n_checks; i++) {
    const lr__check *c = &v->checks[i];
    if (!c->kind || !c->name)
      continue; /* the loader reported what it lacks */
    lr__buf rule_owner;
    lr__buf_init(&rule_owner);
    lr__buf_printf(&rule_owner, "check '%s' of %s", c->name, owner);
    rule_ctx R = {m, v, c, diag, lr__buf_str(&rule_owner)};
    check_rule(&R);
    lr__buf_free(&rule_owner);
  }
}

/* ---- rendering ---------------------------------------------------------- */

/* A value as JSON: numbers and bools as written, strings quoted. */
static void put_value_json(lr__buf *out, const lr__check_value *cv) {
  if (cv->type == LR__VALUE_NULL)
    lr__buf_puts(out, "null");
  else if (cv->type == LR__VALUE_STRING)
    lr__buf_json_str(out, cv->text);
  else
    lr__buf_puts(out, cv->text);
}

/* The values of a rule as a JSON list; a string is quoted in the text
 * (`[sf, la]` is `['sf', 'la']`) so that '1' and 1 read apart. */
static void put_values(lr__buf *json, lr__buf *text, const lr__check *c) {
  lr__buf_putc(json, '[');
  lr__buf_putc(text, '[');
  for (int i = 0; i < c->n_values; i++) {
    const lr__check_value *cv = &c->values[i];
    lr__buf_puts(json, i ? ", " : "");
    lr__buf_puts(text, i ? ", " : "");
    put_value_json(json, cv);
    if (cv->type == LR__VALUE_STRING)
      lr__buf_printf(text, "'%s'", cv->text);
    else
      lr__buf_puts(text, cv->text ? cv->text : "null");
  }
  lr__buf_putc(json, ']');
  lr__buf_putc(text, ']');
}

/* The test of rule c, as JSON (`"between": [0, 1]`) and as text
 * (`between [0, 1]`). */
static void put_test(lr__buf *json, lr__buf *text, const lr__check *c) {
  const char *kind = lr__check_kind_name(c->kind);
  lr__buf_json_str(json, kind ? kind : "?");
  lr__buf_puts(json, ": ");
  lr__buf_puts(text, kind ? kind : "?");
  switch (c->kind) {
  case LR__CHECK_NOT_NULL:
    lr__buf_puts(json, "true");
    break;
  case LR__CHECK_BETWEEN:
  case LR__CHECK_IN:
  case LR__CHECK_ROW_COUNT:
    lr__buf_putc(text, ' ');
    put_values(json, text, c);
    break;
  case LR__CHECK_MATCHES:
  case LR__CHECK_EXPR:
    lr__buf_json_str(json, c->text);
    lr__buf_printf(text, " %s", c->text);
    break;
  case LR__CHECK_UNIQUE:
    lr__buf_putc(json, '[');
    for (int i = 0; i < c->n_columns; i++) {
      lr__buf_puts(json, i ? ", " : "");
      lr__buf_json_str(json, c->columns[i]);
      lr__buf_printf(text, "%s%s", i ? ", " : " ", c->columns[i]);
    }
    lr__buf_putc(json, ']');
    break;
  case LR__CHECK_FRESHNESS: {
    lr__buf age;
    lr__buf_init(&age);
    lr__duration_format(&age, c->freshness_seconds);
    lr__buf_json_str(json, lr__buf_str(&age));
    lr__buf_printf(text, " %s", lr__buf_str(&age));
    lr__buf_free(&age);
    break;
  }
  }
}

/* Both renderings at once, so that they cannot disagree. */
static void render(const lr__check *c, lr__buf *json, lr__buf *text) {
  const char *on_fail = lr__on_fail_name(c->on_fail);
  lr__buf_puts(json, "{\"name\": ");
  lr__buf_json_str(json, c->name ? c->name : "");
  lr__buf_printf(text, "%-24s ", c->name ? c->name : "?");
  if (c->feature) {
    lr__buf_puts(json, ", \"feature\": ");
    lr__buf_json_str(json, c->feature);
  }
  lr__buf_puts(json, ", ");
  put_test(json, text, c);
  if (c->feature)
    lr__buf_printf(text, " on %s", c->feature);
  if (c->feature) { /* feature rules: mostly is theirs */
    lr__buf_puts(json, ", \"mostly\": ");
    lr__put_float64(json, c->mostly, 1);
    if (c->mostly < 1) {
      lr__buf_puts(text, "  mostly: ");
      lr__put_float64(text, c->mostly, 0);
    }
  }
  lr__buf_puts(json, ", \"on_fail\": ");
  lr__buf_json_str(json, on_fail ? on_fail : "?");
  lr__buf_printf(text, "  on_fail: %s", on_fail ? on_fail : "?");
  lr__buf_putc(json, '}');
}

/* (checks.h) */
void lr__check_json(const lr__check *c, lr__buf *out) {
  lr__buf text;
  lr__buf_init(&text);
  render(c, out, &text);
  lr__buf_free(&text);
}

/* (checks.h) */
void lr__check_text(const lr__check *c, lr__buf *out) {
  lr__buf json;
  lr__buf_init(&json);
  render(c, &json, out);
  lr__buf_free(&json);
}

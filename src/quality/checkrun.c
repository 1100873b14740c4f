/*
 * checkrun.c - a view's checks compiled once per transaction, and each
 * batch's rows tested against the row rules (checkrun.h).
 *
 * The verdicts, the same on every path because this is the only code that
 * gives them:
 * - not_null fails a null; NaN is a value, not a null.
 * - between, in and matches skip nulls (they are not counted as checked,
 *   so `mostly` is a share of the non-null rows).
 * - between compares as a C comparison does: NaN fails any bounds, even
 *   one-sided ones; ±Inf are numbers beyond every finite bound.
 * - in: NaN equals nothing, so it fails.
 * - expr fails a row when its value is false; a null value (a null input,
 *   a division by zero) is not a failure, as with the other rules.
 * A row failed by a `drop` rule is not stored; a `null` rule stores its
 * feature null; `warn` and `reject` only count (reject refuses the batch
 * at finish, checkbatch.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../util/timefmt.h"
#include "../util/dtype.h"
#include "checkrun_state.h"

/* A bound or list value of rule text `cv` read as numbers, bool or text. */
static void read_value(const lr__check_value *cv, rule_value *out) {
  out->is_null = cv->type == LR__VALUE_NULL || !cv->text;
  if (out->is_null)
    return;
  out->str = cv->text;
  out->len = strlen(cv->text);
  out->b = strcmp(cv->text, "true") == 0;
  out->num = strtold(cv->text, NULL);
}

/* The expression of an expr rule, over the view's features, to bool. */
static int compile_expr(const lr__view *v, rule_run *rr, lr__buf *err) {
  lr__expr_input *inputs = calloc((size_t)v->n_features + 1, sizeof *inputs);
  rr->input_feature = calloc((size_t)v->n_features + 1, sizeof(int));
  rr->input_col = calloc((size_t)v->n_features + 1, sizeof(int));
  if (!inputs || !rr->input_feature || !rr->input_col) {
    free(inputs);
    return LR_ENOMEM;
  }
  int n = 0;
  for (int f = 0; f < v->n_features; f++)
    if (v->features[f].name) {
      inputs[n].name = v->features[f].name;
      inputs[n].dtype = v->features[f].dtype;
      rr->input_feature[n++] = f;
    }
  rr->n_inputs = n;
  const char *exprs[1] = {rr->c->text};
  const uint8_t out_dtype[1] = {LR__DT_BOOL};
  int rc = lr__prog_compile(inputs, n, exprs, out_dtype, 1, NULL, NULL,
                            &rr->prog);
  free(inputs);
  if (rc == LR_EINVAL)
    lr__buf_printf(err, "check '%s': its expression does not compile",
                   rr->c->name);
  return rc;
}

/* Compiles rule c into rr. */
static int compile_rule(const lr__view *v, const lr__check *c, rule_run *rr,
                        lr__buf *err) {
  rr->c = c;
  rr->feature = -1;
  rr->col = -1;
  lr__buf_init(&rr->detail);
  lr__buf_init(&rr->samples);
  lr__buf_init(&rr->samples_text);
  if (c->feature) {
    const lr__field *f = lr__view_feature(v, c->feature);
    if (!f)
      return lr__errmsg_set(err, LR_EINVAL, "check '%s': feature '%s' is "
                            "not in view '%s'", c->name, c->feature, v->name);
    rr->feature = (int)(f - v->features);
    rr->dtype = f->dtype;
  }
  if (c->kind == LR__CHECK_BETWEEN || c->kind == LR__CHECK_IN) {
    rr->values = calloc((size_t)c->n_values + 1, sizeof *rr->values);
    if (!rr->values)
      return LR_ENOMEM;
    rr->n_values = c->n_values;
    for (int i = 0; i < c->n_values; i++)
      read_value(&c->values[i], &rr->values[i]);
  }
  if (c->kind == LR__CHECK_MATCHES) {
    lr__buf why;
    lr__buf_init(&why);
    int rc = lr__regex_compile(c->text, &rr->re, &why);
    if (rc == LR_EINVAL)
      lr__buf_printf(err, "check '%s': %s", c->name, lr__buf_str(&why));
    lr__buf_free(&why);
    return rc;
  }
  return c->kind == LR__CHECK_EXPR ? compile_expr(v, rr, err) : 0;
}

int lr__checkrun_open(const lr__model *m, const lr__view *v,
                      lr__checkrun **out, lr__buf *err) {
  *out = NULL;
  if (!v || v->kind != LR__VIEW_BATCH || v->n_checks == 0)
    return 0;
  lr__checkrun *cr = calloc(1, sizeof *cr);
  if (!cr)
    return LR_ENOMEM;
  cr->m = m;
  cr->v = v;
  cr->max_event = INT64_MIN;
  lr__buf_init(&cr->drop_bytes);
  lr__buf_init(&cr->verdict);
  lr__buf_init(&cr->row_key);
  lr__buf_init(&cr->group_key);
  lr__buf_init(&cr->scratch);
  uint8_t key_types[LR__CHECK_MAX_KEYS];
  cr->n_keys = lr__model_view_keys(m, v, cr->key_names, key_types,
                                   LR__CHECK_MAX_KEYS);
  cr->rules = calloc((size_t)v->n_checks, sizeof *cr->rules);
  int rc = cr->rules ? 0 : LR_ENOMEM;
  for (int k = 0; rc == 0 && k < v->n_checks; k++) {
    rc = compile_rule(v, &v->checks[k], &cr->rules[k], err);
    cr->n_rules = k + 1;
    if (rc == 0 && v->checks[k].kind == LR__CHECK_UNIQUE)
      rc = lr__unique_open(cr, &cr->rules[k]);
  }
  if (rc) {
    lr__checkrun_free(cr);
    return rc;
  }
  *out = cr;
  return 0;
}

void lr__checkrun_free(lr__checkrun *cr) {
  if (!cr)
    return;
  for (int k = 0; cr->rules && k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    free(rr->values);
    lr__regex_free(rr->re);
    lr__eval_free(rr->eval);
    lr__prog_free(rr->prog);
    free(rr->input_col);
    free(rr->input_feature);
    lr__buf_free(&rr->detail);
    lr__buf_free(&rr->samples);
    lr__buf_free(&rr->samples_text);
    lr__unique_free(rr);
  }
  free(cr->rules);
  free(cr->fail);
  free(cr->fate);
  free(cr->kept_cols);
  free(cr->kept_values);
  lr__checkrun_batch_free(cr);
  lr__buf_free(&cr->verdict);
  free(cr);
}

void lr__checkrun_grouped(lr__checkrun *cr) {
  cr->grouped = 1;
}

void lr__checkrun_report_only(lr__checkrun *cr) {
  cr->report_only = 1;
}

/* The index of column `name` among cols, or -1. */
static int find_col(const lr_column *cols, int n_cols, const char *name) {
  for (int c = 0; name && c < n_cols; c++)
    if (cols[c].name && strcmp(cols[c].name, name) == 0)
      return c;
  return -1;
}

/* Finds the batch's columns of every rule, key and time. */
static void map_columns(lr__checkrun *cr, const lr_column *cols, int n_cols) {
  for (int k = 0; k < cr->n_keys; k++)
    cr->key_col[k] = find_col(cols, n_cols, cr->key_names[k]);
  cr->event_col = find_col(cols, n_cols, "event_timestamp");
  cr->created_col = find_col(cols, n_cols, "created_timestamp");
  for (int k = 0; k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    if (rr->feature >= 0)
      rr->col = find_col(cols, n_cols, cr->v->features[rr->feature].name);
    for (int i = 0; i < rr->n_inputs; i++)
      rr->input_col[i] = find_col(cols, n_cols,
                                  cr->v->features[rr->input_feature[i]].name);
  }
  for (int k = 0; k < cr->n_rules; k++)
    for (int i = 0; cr->rules[k].u && i < cr->rules[k].c->n_columns; i++)
      cr->rules[k].u->col[i] = find_col(cols, n_cols,
                                        cr->rules[k].c->columns[i]);
}

/* A number value as a long double (exact for int64 and double); 0 when
 * the value is not a number. */
static int as_number(const lr_value *x, long double *out) {
  switch (x->type) {
  case LR_TYPE_INT32: *out = x->v.i32; return 1;
  case LR_TYPE_INT64: *out = x->v.i64; return 1;
  case LR_TYPE_FLOAT32: *out = x->v.f32; return 1;
  case LR_TYPE_FLOAT64: *out = x->v.f64; return 1;
  default: return 0;
  }
}

/* between: 1 when x fails. NaN fails every bound (each comparison is
 * false); a null bound is no bound. */
static int fails_between(const rule_run *rr, const lr_value *x) {
  long double d;
  if (!as_number(x, &d))
    return 1;
  const rule_value *lo = &rr->values[0], *hi = &rr->values[1];
  if (d != d)
    return 1;
  return (!lo->is_null && !(d >= lo->num)) || (!hi->is_null && !(d <= hi->num));
}

/* in: 1 when x is none of the listed values. */
static int fails_in(const rule_run *rr, const lr_value *x) {
  long double d;
  int is_num = as_number(x, &d);
  for (int i = 0; i < rr->n_values; i++) {
    const rule_value *want = &rr->values[i];
    if (want->is_null)
      continue;
    if (is_num && d == want->num)
      return 0;
    if (x->type == LR_TYPE_BOOL && (x->v.b != 0) == want->b)
      return 0;
    if (x->type == LR_TYPE_STRING && x->v.str.len == want->len &&
        memcmp(x->v.str.ptr, want->str, want->len) == 0)
      return 0;
  }
  return 1;
}

/* Tests one feature rule over the batch: fail[r] for each row. */
static void test_feature(rule_run *rr, const lr_column *cols, size_t n,
                         uint8_t *fail) {
  if (rr->col < 0)
    return; /* not written: columns_check refuses such a batch first */
  const lr_value *vals = cols[rr->col].values;
  for (size_t r = 0; r < n; r++) {
    const lr_value *x = &vals[r];
    int is_null = x->type == LR_TYPE_NULL;
    if (rr->c->kind != LR__CHECK_NOT_NULL && is_null)
      continue;
    rr->checked++;
    switch (rr->c->kind) {
    case LR__CHECK_NOT_NULL: fail[r] = (uint8_t)is_null; break;
    case LR__CHECK_BETWEEN: fail[r] = (uint8_t)fails_between(rr, x); break;
    case LR__CHECK_IN: fail[r] = (uint8_t)fails_in(rr, x); break;
    case LR__CHECK_MATCHES:
      fail[r] = x->type != LR_TYPE_STRING ||
                !lr__regex_search(rr->re, x->v.str.ptr, x->v.str.len);
      break;
    default: break;
    }
  }
}

/* The rows an expression runs over at once: its scratch columns (one per
 * input the program has, the view's every feature) stay small and in
 * the cache, whatever the size of the write. */
enum { EXPR_ROWS = 1024 };

/* Runs an expr rule's program over rows [from, from + n) of the batch
 * (n <= EXPR_ROWS): fail[r] when false. */
static void test_expr_rows(rule_run *rr, const lr_column *cols, size_t from,
                           size_t n, const int64_t *now, uint8_t *fail) {
  static const lr_value null_value = {LR_TYPE_NULL, 0, 0, {0}};
  for (int i = 0; i < rr->n_inputs; i++)
    if (lr__prog_uses_input(rr->prog, i))
      for (size_t r = 0; r < n; r++)
        lr__eval_set(rr->eval, i, (int)r,
                     rr->input_col[i] >= 0
                         ? &cols[rr->input_col[i]].values[from + r]
                         : &null_value);
  lr__eval_run(rr->eval, (int)n, now);
  for (size_t r = 0; r < n; r++) {
    lr_value out;
    lr__eval_get(rr->eval, 0, (int)r, &out);
    if (out.type == LR_TYPE_NULL)
      continue;
    rr->checked++;
    fail[from + r] = out.v.b == 0;
  }
}

/* Runs an expr rule's program over the batch, EXPR_ROWS at a time. */
static int test_expr(rule_run *rr, const lr_column *cols, size_t n,
                     uint8_t *fail) {
  if (!rr->eval && lr__eval_create(rr->prog, EXPR_ROWS, &rr->eval))
    return LR_ENOMEM;
  int64_t now[EXPR_ROWS];
  int64_t at = lr__time_now_us();
  int uses_now = lr__prog_uses_now(rr->prog);
  for (size_t r = 0; uses_now && r < EXPR_ROWS; r++)
    now[r] = at;
  for (size_t from = 0; from < n; from += EXPR_ROWS)
    test_expr_rows(rr, cols, from, n - from < EXPR_ROWS ? n - from : EXPR_ROWS,
                   uses_now ? now : NULL, fail);
  return 0;
}

/* The rules' verdicts on every row of the batch, into cr->fail. */
static int test_rows(lr__checkrun *cr, const lr_column *cols, size_t n) {
  size_t need = (size_t)cr->n_rules * n;
  if (need > cr->fail_cap) {
    free(cr->fail);
    cr->fail = malloc(need + 1);
    cr->fail_cap = cr->fail ? need : 0;
    if (!cr->fail)
      return LR_ENOMEM;
  }
  memset(cr->fail, 0, need);
  for (int k = 0; k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    uint8_t *fail = cr->fail + (size_t)k * n;
    if (rr->c->kind == LR__CHECK_EXPR) {
      int rc = test_expr(rr, cols, n, fail);
      if (rc)
        return rc;
    } else if (rr->c->kind <= LR__CHECK_MATCHES) {
      test_feature(rr, cols, n, fail);
    }
  }
  return 0;
}

/* Room for the kept copy of a batch of n rows of n_cols columns. */
static int reserve_kept(lr__checkrun *cr, const lr_column *cols, int n_cols,
                        size_t n) {
  size_t need = (size_t)n_cols * n;
  if (need > cr->kept_cap || n_cols > cr->kept_ncols) {
    free(cr->kept_values);
    free(cr->kept_cols);
    cr->kept_values = malloc((need + 1) * sizeof *cr->kept_values);
    cr->kept_cols = malloc(((size_t)n_cols + 1) * sizeof *cr->kept_cols);
    cr->kept_cap = cr->kept_values ? need : 0;
    cr->kept_ncols = cr->kept_cols ? n_cols : 0;
    if (!cr->kept_values || !cr->kept_cols)
      return LR_ENOMEM;
  }
  for (int c = 0; c < n_cols; c++) {
    cr->kept_cols[c].name = cols[c].name;
    cr->kept_cols[c].values = cr->kept_values + (size_t)c * n;
  }
  return 0;
}

/* What the rules do to a row. */
enum { ROW_STORED = 0, ROW_NULLED = 1, ROW_DROPPED = 2 };

/* Row r's fate under the rules that failed it (ROW_*), counted and
 * sampled. */
static uint8_t row_fate(lr__checkrun *cr, const lr_column *cols, size_t r,
                        size_t n) {
  uint8_t fate = ROW_STORED;
  int any = 0;
  for (int k = 0; k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    if (!cr->fail[(size_t)k * n + r])
      continue;
    any = 1;
    rr->failed++;
    lr__checkrun_sample(cr, rr, cols, r);
    if (rr->c->on_fail == LR__ON_FAIL_DROP)
      fate = ROW_DROPPED;
    else if (rr->c->on_fail == LR__ON_FAIL_NULL && fate == ROW_STORED)
      fate = ROW_NULLED;
  }
  cr->failed_any += (unsigned long long)any;
  return fate;
}

/* Copies row r into the kept columns at row `at`, with the features of
 * failing null rules set null. */
static void keep_row(lr__checkrun *cr, const lr_column *cols, int n_cols,
                     size_t r, size_t n, size_t at) {
  for (int c = 0; c < n_cols; c++)
    cr->kept_values[(size_t)c * n + at] = cols[c].values[r];
  if (cr->fate[r] != ROW_NULLED)
    return;
  cr->nulled++;
  for (int k = 0; k < cr->n_rules; k++) {
    rule_run *rr = &cr->rules[k];
    if (rr->c->on_fail == LR__ON_FAIL_NULL && rr->col >= 0 &&
        cr->fail[(size_t)k * n + r])
      cr->kept_values[(size_t)rr->col * n + at] =
          (lr_value){LR_TYPE_NULL, 0, 0, {0}};
  }
}

/* Each row's fate into cr->fate, and what spans batches (the newest
 * event time, unique, the dropped rows, the entity groups). Returns 0 or
 * LR_ENOMEM; *changed is 1 when a row is dropped or nulled. */
static int decide_rows(lr__checkrun *cr, const lr_column *cols, int n_cols,
                       size_t n, int *changed) {
  *changed = 0;
  for (size_t r = 0; r < n; r++) {
    if (cr->event_col >= 0) {
      int64_t ev = cols[cr->event_col].values[r].v.ts;
      cr->max_event = ev > cr->max_event ? ev : cr->max_event;
      cr->any_event = 1;
    }
    if (cr->grouped)
      lr__checkrun_key_bytes(cr, cols, r);
    uint8_t fate = row_fate(cr, cols, r, n);
    cr->fate[r] = fate;
    *changed |= fate != ROW_STORED;
    int rc = lr__checkrun_unique_row(cr, cols, r);
    if (rc == 0 && fate == ROW_DROPPED && !cr->report_only)
      rc = lr__checkrun_keep_dropped(cr, cols, n_cols, r);
    if (cr->report_only) { /* what a load would do */
      cr->dropped += fate == ROW_DROPPED;
      cr->nulled += fate == ROW_NULLED;
    }
    if (rc)
      return rc;
    if (cr->grouped)
      lr__checkrun_group_row(cr, cols, r, fate == ROW_DROPPED);
  }
  cr->rows += n;
  return 0;
}

int lr__checkrun_rows(lr__checkrun *cr, const lr_column *cols, int n_cols,
                      size_t n, const lr_column **kept, size_t *n_kept) {
  *kept = cols;
  *n_kept = n;
  if (n > cr->fate_cap) {
    free(cr->fate);
    cr->fate = malloc(n);
    cr->fate_cap = cr->fate ? n : 0;
    if (!cr->fate)
      return LR_ENOMEM;
  }
  map_columns(cr, cols, n_cols);
  cr->batch_n = n;
  int changed;
  int rc = test_rows(cr, cols, n);
  if (rc == 0)
    rc = decide_rows(cr, cols, n_cols, n, &changed);
  if (rc || !changed || cr->report_only)
    return rc;
  rc = reserve_kept(cr, cols, n_cols, n);
  size_t at = 0;
  for (size_t r = 0; rc == 0 && r < n; r++)
    if (cr->fate[r] != ROW_DROPPED)
      keep_row(cr, cols, n_cols, r, n, at++);
  *kept = cr->kept_cols;
  *n_kept = at;
  return rc;
}

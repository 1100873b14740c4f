/*
 * odfv.c - compiling an on-demand view (see odfv.h).
 */
#include "odfv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct report_ctx {
  const lr__view *v;
  lr__diag *diag;
  lr__buf *errmsg;
  int reported;
} report_ctx;

lr__loc lr__expr_loc(const char *expr, lr__loc text_loc, lr__loc fallback,
                     int pos) {
  lr__loc at = text_loc.line ? text_loc : fallback;
  int line_start = 0;
  while (pos > 0 && (expr[pos - 1] == '\n' || expr[pos - 1] == ' '))
    pos--; /* an error at the end: on the last line, not after it */
  for (int i = 0; i < pos && expr[i]; i++)
    if (expr[i] == '\n') {
      at.line++;
      line_start = i + 1;
    }
  if (at.col)
    at.col += pos - line_start;
  return at;
}

/* Places an error at its line and column inside the expression. */
static void report(void *arg, int output, int pos, const char *message,
                   const char *hint) {
  report_ctx *rc = arg;
  const lr__field *f = &rc->v->features[output];
  if (rc->diag) {
    lr__loc at = lr__expr_loc(f->expr, f->expr_text_loc, f->loc, pos);
    lr__diag_add(rc->diag, at, *hint ? hint : NULL,
                 "in the expression of feature '%s' of on-demand feature "
                 "view '%s': %s", f->name, rc->v->name, message);
  } else if (rc->errmsg && !rc->reported++) {
    lr__buf_printf(rc->errmsg, "on-demand feature view '%s', feature '%s', "
                   "at character %d of its expression: %s", rc->v->name,
                   f->name, pos + 1, message);
  }
}

/* Counts the inputs of v's sources. */
static int count_inputs(const lr__model *m, const lr__view *v) {
  int n = 0;
  for (int i = 0; i < v->n_sources; i++) {
    const lr__view *in = lr__model_view(m, v->sources[i]);
    const lr__source *req = lr__model_source(m, v->sources[i]);
    n += in && in->kind == LR__VIEW_BATCH ? in->n_features
       : req && req->kind == LR__SOURCE_REQUEST ? req->n_fields : 0;
  }
  return n;
}

/* Adds field `f` of `view` (or of request source `src`) as an input. A
 * field without a name is skipped: the checks already report it, and an
 * expression cannot name it. */
static void add_input(lr__odfv *o, const lr__view *view,
                      const lr__source *src, const lr__field *f) {
  if (!f->name)
    return;
  int k = o->n_inputs++;
  o->inputs[k].name = f->name;
  o->inputs[k].dtype = f->dtype;
  o->input_views[k] = view;
  o->input_sources[k] = src;
  o->input_fields[k] = f;
  if (view) {
    size_t len = strlen(view->name) + 2 + strlen(f->name) + 1;
    char *alias = lr__arena_alloc(&o->arena, len);
    if (alias)
      snprintf(alias, len, "%s__%s", view->name, f->name);
    o->inputs[k].alias = alias;
  }
}

/* Lists the inputs; returns 0 or LR_ENOMEM. */
static int list_inputs(const lr__model *m, lr__odfv *o) {
  const lr__view *v = o->view;
  int n = count_inputs(m, v);
  o->inputs = lr__arena_array(&o->arena, (size_t)n + 1, sizeof *o->inputs);
  o->input_views = lr__arena_array(&o->arena, (size_t)n + 1, sizeof(void *));
  o->input_fields = lr__arena_array(&o->arena, (size_t)n + 1, sizeof(void *));
  o->input_sources = lr__arena_array(&o->arena, (size_t)n + 1,
                                     sizeof(void *));
  if (!o->inputs || !o->input_views || !o->input_fields || !o->input_sources)
    return LR_ENOMEM;
  for (int i = 0; i < v->n_sources; i++) {
    const lr__view *in = lr__model_view(m, v->sources[i]);
    const lr__source *req = lr__model_source(m, v->sources[i]);
    if (in && in->kind == LR__VIEW_BATCH)
      for (int f = 0; f < in->n_features; f++)
        add_input(o, in, NULL, &in->features[f]);
    else if (req && req->kind == LR__SOURCE_REQUEST)
      for (int f = 0; f < req->n_fields; f++)
        add_input(o, NULL, req, &req->fields[f]);
  }
  for (int k = 0; k < o->n_inputs; k++)
    if (o->input_views[k] && !o->inputs[k].alias)
      return LR_ENOMEM;
  return 0;
}

int lr__odfv_compile(const lr__model *m, const lr__view *v, lr__diag *diag,
                     lr__buf *errmsg, lr__odfv **out) {
  *out = NULL;
  lr__odfv *o = calloc(1, sizeof *o);
  if (!o)
    return LR_ENOMEM;
  lr__arena_init(&o->arena);
  o->view = v;
  int rc = list_inputs(m, o);
  const char **exprs = lr__arena_array(&o->arena, (size_t)v->n_features + 1,
                                       sizeof *exprs);
  uint8_t *dtypes = lr__arena_array(&o->arena, (size_t)v->n_features + 1, 1);
  if (rc == 0 && (!exprs || !dtypes))
    rc = LR_ENOMEM;
  for (int k = 0; rc == 0 && k < v->n_features; k++) {
    exprs[k] = v->features[k].expr ? v->features[k].expr : "";
    dtypes[k] = v->features[k].dtype;
  }
  report_ctx ctx = {v, diag, errmsg, 0};
  if (rc == 0)
    rc = lr__prog_compile(o->inputs, o->n_inputs, exprs, dtypes,
                          v->n_features, report, &ctx, &o->prog);
  if (rc) {
    lr__odfv_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

void lr__odfv_free(lr__odfv *o) {
  if (!o)
    return;
  lr__prog_free(o->prog);
  lr__arena_free(&o->arena);
  free(o);
}

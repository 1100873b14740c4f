/*
 * odfv.h - an on-demand view's expressions compiled against its inputs:
 * the bridge between the registry's model and the transform layer, shared
 * by validation (apply), the online store and the offline store so that
 * all three see the same inputs in the same order.
 */
#ifndef LR_REGISTRY_ODFV_H
#define LR_REGISTRY_ODFV_H

#include "../transform/expr.h"
#include "model.h"

typedef struct lr__odfv {
  const lr__view *view;
  lr__prog *prog;          /* output k computes view->features[k] */
  lr__expr_input *inputs;  /* n_inputs, in the program's order */
  const lr__view **input_views;   /* the feature's view, or NULL for a
                                     request field */
  const lr__field **input_fields; /* the feature or request field */
  const lr__source **input_sources; /* the request source, or NULL */
  int n_inputs;
  lr__arena arena;
} lr__odfv;

/*
 * lr__odfv_compile - compiles the expressions of on-demand view `v`. The
 * inputs are the features of its source feature views (each reachable as
 * `feature` and `view__feature`) then the fields of its request sources.
 * Errors go to `diag` at the expression's file:line:col when given, else
 * the first one to `errmsg`. Returns 0 (*out to free with lr__odfv_free),
 * LR_EINVAL, or LR_ENOMEM.
 */
int lr__odfv_compile(const lr__model *m, const lr__view *v, lr__diag *diag,
                     lr__buf *errmsg, lr__odfv **out);
void lr__odfv_free(lr__odfv *o);

/* Where byte `pos` of expression `expr` is in its file, its first
 * character being at `text_loc` (or, when that is unknown, at `fallback`):
 * its line, and its column when the first column is known (col 0: a block
 * scalar, whose indentation is not in its text). A folded block (`>`)
 * joins lines, so its later lines are approximate. */
lr__loc lr__expr_loc(const char *expr, lr__loc text_loc, lr__loc fallback,
                     int pos);

#endif

/*
 * plan.h - comparing the applied registry with the definitions on disk.
 */
#ifndef LR_REGISTRY_PLAN_H
#define LR_REGISTRY_PLAN_H

#include "model.h"

typedef struct lr__plan_summary {
  int created, changed, removed;
  int needs_force; /* a change drops stored online rows */
} lr__plan_summary;

/* Writes the plan from `old` (an empty model when nothing was applied) to
 * `next` into `out`, and carries the registry state (row layouts) over into
 * `next`. `flags` may hold LR_APPLY_FORCE. Both models must be sorted.
 * Returns 0, LR_ENEEDFORCE (a change needs LR_APPLY_FORCE; the plan is
 * still written) or LR_ENOMEM. */
int lr__plan(const lr__model *old, lr__model *next, unsigned flags,
             lr__buf *out, lr__plan_summary *sum);

#endif

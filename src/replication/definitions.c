/*
 * definitions.c - a replica's definitions against the primary's
 * (definitions.h), compared with the registry's own planner so that "the
 * same" means what it means to `larder plan`.
 */
#include <string.h>

#include "../registry/plan.h"
#include "../registry/regfile.h"
#include "definitions.h"
#include "larder.h"

/* The plan's lines that name a difference (the indented ones, not its
 * title and totals), under the message. */
static void quote_plan(const lr__buf *plan, lr__buf *err) {
  const char *p = lr__buf_str(plan);
  while (*p) {
    size_t len = strcspn(p, "\n");
    if (len && *p == ' ')
      lr__buf_printf(err, "\n%.*s", (int)len, p);
    p += len + (p[len] == '\n');
  }
}

int lr__definitions_match(const char *replica, const char *replica_registry,
                          const char *primary_registry, lr__buf *err) {
  lr__model mine, theirs;
  lr__model_init(&mine);
  lr__model_init(&theirs);
  lr__buf plan;
  lr__buf_init(&plan);
  lr__buf_reset(err);
  int rc = lr__regfile_read(replica_registry, &mine, err);
  if (rc == 0)
    rc = lr__regfile_read(primary_registry, &theirs, err);
  lr__plan_summary sum = {0};
  if (rc == 0) {
    rc = lr__plan(&mine, &theirs, 0, &plan, &sum);
    rc = rc == LR_ENEEDFORCE ? 0 : rc; /* a difference like any other */
  }
  if (rc == 0 && (sum.created || sum.changed || sum.removed)) {
    rc = LR_EDEFINITION;
    lr__buf_printf(err, "the definitions applied in %s (registry version "
                   "%llu) are not the primary's (version %llu, in %s); a "
                   "replica serves the primary's definitions: apply these "
                   "changes on the primary, or put the primary's definition "
                   "files here, remove %s and run `larder apply` again (a "
                   "replica applies only before it first follows). From "
                   "this replica's to the primary's:", replica,
                   (unsigned long long)mine.version,
                   (unsigned long long)theirs.version, primary_registry,
                   replica_registry);
    quote_plan(&plan, err);
  }
  lr__model_free(&mine);
  lr__model_free(&theirs);
  lr__buf_free(&plan);
  return rc;
}

/*
 * checkrun.h - running a feature view's checks (registry/checks.h) over
 * the rows a write transaction puts.
 *
 * Every path that stores rows — materialize, `larder write`, push, the
 * HTTP write — puts them through an online writer (online/writer.h), and
 * the writer puts each batch through one of these runners before its
 * newer-wins choice. So every path runs the same C code on the same
 * values and no two can give a row different verdicts (NaN and ±Inf
 * included); a materialization drops a failing row before the latest row
 * per key is chosen, so an entity whose newest row fails keeps its newest
 * passing one. `larder check` and `larder historical` stream the source
 * rows through a runner too (offline/check.c). docs/internals/quality.md
 * has the design, docs/repo-format.md ("checks") what each rule means.
 *
 * Threads: a runner belongs to one transaction, so to one thread.
 */
#ifndef LR_QUALITY_CHECKRUN_H
#define LR_QUALITY_CHECKRUN_H

#include "../../include/larder.h"
#include "../registry/model.h"
#include "../util/buf.h"

typedef struct lr__checkrun lr__checkrun;

/* Compiles the checks of batch view `v` (of model `m`, which must outlive
 * the runner). Returns 0 with *out the runner (free it with
 * lr__checkrun_free), or 0 with *out NULL when the view has no checks;
 * LR_ENOMEM; LR_EINVAL when a rule does not compile (apply refuses such
 * rules, so only a damaged registry), the reason in `err`. */
int lr__checkrun_open(const lr__model *m, const lr__view *v,
                      lr__checkrun **out, lr__buf *err);
void lr__checkrun_free(lr__checkrun *cr);

/* Grouped mode: the rows come grouped by entity key, as a materialization
 * puts them. `unique` over columns that include every join key then keeps
 * one entity's rows at a time, and the report counts the entities whose
 * newest row failed (an older passing one stored, or none). */
void lr__checkrun_grouped(lr__checkrun *cr);

/* 1 when a unique rule's columns hold every join key: rows read grouped
 * by entity (lr__checkrun_grouped) then let it keep one entity's rows at
 * a time, whatever the number of rows. */
int lr__checkrun_wants_grouped(const lr__checkrun *cr);

/* Report-only mode, for a run that writes nothing (`larder check`): no
 * row is copied, for the quarantine or for the rows to store (*kept is
 * always the input). */
void lr__checkrun_report_only(lr__checkrun *cr);

/* Runs the rules over rows [0, n) of `cols` (named as a write's columns:
 * the join keys, event_timestamp, created_timestamp, features). *kept and
 * *n_kept get the rows to store: `cols` itself when no rule dropped a row
 * or set a value null, else the runner's copy (valid until the next
 * call). The dropped rows are copied for the quarantine. Returns 0 or
 * LR_ENOMEM. */
int lr__checkrun_rows(lr__checkrun *cr, const lr_column *cols, int n_cols,
                      size_t n, const lr_column **kept, size_t *n_kept);

/* After the last batch: the batch rules (row_count, unique, freshness
 * against `now_us`), each rule's `mostly` and the view's `max_failed`.
 * Returns 0 when the batch may be stored (warnings are in the report), or
 * LR_ECHECK with "what failed, by how much, how to see it" in `err`. */
int lr__checkrun_finish(lr__checkrun *cr, int64_t now_us, lr__buf *err);

/* Rows the rules dropped: their columns (*cols, *n_cols, as the batches
 * were named) and, per row, the names of the rules it failed, comma
 * separated. Returns their count; valid until the runner is freed. */
size_t lr__checkrun_dropped(const lr__checkrun *cr, const lr_column **cols,
                            int *n_cols, const lr_value **rules);

/* Notes where the dropped rows were copied, for the report. */
void lr__checkrun_quarantined(lr__checkrun *cr, const char *file);

/* The report after lr__checkrun_finish: per rule the rows checked, the
 * failing count and share, whether it passed, up to `samples` sample keys
 * and values; the rows dropped and set null, the quarantine file. JSON
 * (an object) with LR_FORMAT_JSON, else lines for people. */
void lr__checkrun_report(const lr__checkrun *cr, unsigned flags, int samples,
                         lr__buf *out);

/* Rule k's name and its counts, for metrics (k < lr__checkrun_rules). */
int lr__checkrun_rules(const lr__checkrun *cr);

/* 1 when the finish may refuse the batch: a rule with on_fail: reject, or
 * the view's max_failed. A store that cannot take rows back (Redis) then
 * holds them until the verdict. */
int lr__checkrun_may_refuse(const lr__checkrun *cr);
void lr__checkrun_rule_counts(const lr__checkrun *cr, int k, const char **name,
                              unsigned long long *checked,
                              unsigned long long *failed, int *passed);

#endif

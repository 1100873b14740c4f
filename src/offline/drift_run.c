/*
 * drift_run.c - a drift run written as JSON or text (drift_run.h).
 */
#include <math.h>
#include <string.h>

#include "../util/textval.h"
#include "../util/timefmt.h"
#include "drift_run.h"

/* Appends a score: shortest round-trip; JSON writes +Inf as "Infinity". */
static void put_score(lr__buf *out, int has, double v, int json) {
  if (!has)
    lr__buf_puts(out, json ? "null" : "-");
  else
    lr__put_float64(out, v, json);
}

void lr__drift_run_json(const lr__drift_run *run, const char *name,
                        lr__buf *out) {
  lr__buf_puts(out, "{\"format\": 1, \"view\": ");
  lr__buf_json_str(out, run->view);
  lr__buf_printf(out, ", \"method\": \"%s\", \"reference\": ", run->method);
  lr__buf_json_str(out, run->reference);
  lr__buf_puts(out, ", \"current\": ");
  lr__buf_json_str(out, run->current);
  lr__buf_printf(out, ", \"%s\": %g, \"%s\": %g",
                 run->on_p_value ? "warn_p_below" : "warn", run->warn,
                 run->on_p_value ? "alert_p_below" : "alert", run->alert);
  if (run->saved_at_us) {
    char t[40];
    lr__time_format(run->saved_at_us, t);
    lr__buf_puts(out, ", \"name\": ");
    lr__buf_json_str(out, name);
    lr__buf_printf(out, ", \"saved_at\": \"%s\", \"saved_at_us\": %lld", t,
                   (long long)run->saved_at_us);
  }
  lr__buf_puts(out, ", \"features\": [");
  for (int i = 0; i < run->n_scores; i++) {
    const lr__drift_score *s = &run->scores[i];
    lr__buf_puts(out, i ? ",\n  {\"feature\": " : "\n  {\"feature\": ");
    lr__buf_json_str(out, s->feature);
    lr__buf_printf(out, ", \"status\": \"%s\", \"score\": ", s->status);
    put_score(out, s->has_score, s->score, 1);
    if (s->has_p_value) {
      lr__buf_puts(out, ", \"p_value\": ");
      lr__put_float64(out, s->p_value, 1);
    }
    if (s->bins)
      lr__buf_printf(out, ", \"bins\": %d", s->bins);
    if (strcmp(s->status, "skipped") != 0)
      lr__buf_printf(out, ", \"reference_values\": %llu, "
                     "\"current_values\": %llu", s->n, s->m);
    lr__buf_putc(out, '}');
  }
  lr__buf_puts(out, "]}\n");
}

void lr__drift_run_text(const lr__drift_run *run, lr__buf *out) {
  lr__buf_printf(out, "%s: %s of %s against %s (warn at %s%g, alert at "
                 "%s%g)\n", run->view, run->method, run->current,
                 run->reference, run->on_p_value ? "p < " : "", run->warn,
                 run->on_p_value ? "p < " : "", run->alert);
  for (int i = 0; i < run->n_scores; i++) {
    const lr__drift_score *s = &run->scores[i];
    lr__buf_printf(out, "  %s: %s", s->feature, s->status);
    if (s->has_score) {
      lr__buf_printf(out, ", %s ", run->method);
      put_score(out, 1, s->score, 0);
    }
    if (s->has_p_value) {
      lr__buf_puts(out, ", p ");
      lr__put_float64(out, s->p_value, 0);
    }
    if (strcmp(s->status, "skipped") != 0)
      lr__buf_printf(out, " (%llu reference values, %llu current", s->n,
                     s->m);
    if (s->bins)
      lr__buf_printf(out, ", %d bins", s->bins);
    lr__buf_puts(out, strcmp(s->status, "skipped") ? ")\n" : "\n");
  }
}

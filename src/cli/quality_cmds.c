/*
 * quality_cmds.c - `larder stats` and `larder drift`: a view's offline
 * rows profiled, and two samples of them (or of a training file, or a
 * saved profile) compared, through lr_stats and lr_drift.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "larder.h"

static const char time_hint[] = "write ISO 8601 (2024-01-01T10:00:00Z), "
                                "now, or -7d / -3h";

/* Reads a time option's text, when given, into one bound of a window. */
static int read_bound(const char *text, const char *what, int *has,
                      long long *us) {
  long long now = (long long)time(NULL) * 1000000;
  if (!text)
    return CLI_OK;
  *has = 1;
  if (lr_parse_time(text, now, us) != 0)
    return cli_usage_error("%s '%s' is not a time: %s", what, text,
                           time_hint);
  return CLI_OK;
}

/* Reads START..END (both required) into `w`. */
static int read_range(const char *text, const char *what, lr_window *w) {
  const char *dots = strstr(text, "..");
  if (!dots || dots == text || !dots[2])
    return cli_usage_error("%s '%s' is not a range: write START..END, e.g. "
                           "2024-01-01..2024-02-01", what, text);
  char start[128];
  snprintf(start, sizeof start, "%.*s", (int)(dots - text), text);
  int status = read_bound(start, what, &w->has_start, &w->start_us);
  return status == CLI_OK ? read_bound(dots + 2, what, &w->has_end,
                                       &w->end_us)
                          : status;
}

/* Runs lr_stats(stats) or lr_drift(drift) on the repo, with --exact and
 * --json (options `exact` and `json` of c's command) as flags, and prints
 * the report or the failure. */
static int run_report(cli *c, int exact, int json, const lr_stats_spec *stats,
                      const lr_drift_spec *drift) {
  unsigned flags = (c->given[exact] ? LR_STATS_EXACT : 0) |
                   (c->given[json] ? LR_FORMAT_JSON : 0);
  lr_offline *off = NULL;
  char *report = NULL;
  int rc = lr_offline_open(c->repo, &off);
  if (rc == 0)
    rc = lr_offline_set_verbose(off, c->verbose);
  if (rc == 0)
    rc = stats ? lr_stats(off, stats, flags, &report)
               : lr_drift(off, drift, flags, &report);
  int status = cli_print_report(c->command->name, rc, lr_offline_errmsg(off),
                                report);
  lr_offline_close(off);
  return status;
}

enum { STATS_START, STATS_END, STATS_SAVE, STATS_EXACT, STATS_JSON };

static int cmd_stats(cli *c) {
  lr_stats_spec spec = {.view = c->operand[0],
                        .save = cli_value(c, STATS_SAVE)};
  int status = read_bound(cli_value(c, STATS_START), "--start",
                          &spec.window.has_start, &spec.window.start_us);
  if (status == CLI_OK)
    status = read_bound(cli_value(c, STATS_END), "--end",
                        &spec.window.has_end, &spec.window.end_us);
  return status != CLI_OK ? status
                          : run_report(c, STATS_EXACT, STATS_JSON, &spec,
                                       NULL);
}

static const cli_operand view_operand[] = {
    {"VIEW", "the feature view (with a file or sql source)"}};

static const cli_option stats_options[] = {
    [STATS_START] = {"--start", "TIME",
                     "only rows with event times from TIME (inclusive)", 0, 0},
    [STATS_END] = {"--end", "TIME",
                   "only rows with event times up to TIME (inclusive)", 0, 0},
    [STATS_SAVE] = {"--save", "NAME",
                    "save the profile, with its bins, as "
                    "data/profiles/VIEW/NAME.json (replaced), for `larder "
                    "drift --reference NAME`",
                    0, 0},
    [STATS_EXACT] = {"--exact", NULL,
                     "exact quantiles (a sort per feature) instead of those "
                     "of a 65536-value sample",
                     0, 0},
    [STATS_JSON] = {"--json", NULL, "print one JSON object", 0, 0}};

const cli_command cli_stats_command = {
    "stats", "profile a feature view's offline rows",
    "Profile a feature view's source rows (as materialize reads them): the "
    "row count and event-time range; per feature the count and nulls, NaN "
    "and infinities, min, max, mean, stddev and percentiles p01 to p99 of "
    "numbers; the exact distinct count and the 10 most frequent values of "
    "strings and bools; the same numbers over the lengths of arrays and "
    "bytes.",
    view_operand, 1, stats_options, CLI_COUNT(stats_options), cmd_stats};

enum { DRIFT_REFERENCE, DRIFT_CURRENT, DRIFT_METHOD, DRIFT_SAVE, DRIFT_EXACT,
       DRIFT_JSON };

/* 1 when `text` names a training file rather than a profile or range. */
static int is_file(const char *text) {
  static const char *const suffixes[] = {".parquet", ".csv", ".csv.gz"};
  size_t len = strlen(text);
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(suffixes[i]);
    if (len > n && !strcmp(text + len - n, suffixes[i]))
      return 1;
  }
  return 0;
}

/* Reads --reference: a training file, a range, or a profile's name. */
static int read_reference(const char *text, lr_drift_spec *spec) {
  if (is_file(text))
    spec->reference_file = text;
  else if (strstr(text, ".."))
    return read_range(text, "--reference", &spec->reference);
  else
    spec->reference_profile = text;
  return CLI_OK;
}

static int cmd_drift(cli *c) {
  lr_drift_spec spec = {.view = c->operand[0],
                        .method = cli_value(c, DRIFT_METHOD),
                        .save = cli_value(c, DRIFT_SAVE)};
  int status = read_reference(cli_value(c, DRIFT_REFERENCE), &spec);
  const char *current = cli_value(c, DRIFT_CURRENT);
  spec.current_online = current && strcmp(current, "online") == 0;
  if (status == CLI_OK && !spec.current_online)
    status = read_range(current, "--current", &spec.current);
  return status != CLI_OK ? status
                          : run_report(c, DRIFT_EXACT, DRIFT_JSON, NULL,
                                       &spec);
}

static const cli_option drift_options[] = {
    [DRIFT_REFERENCE] = {"--reference", "PROFILE|START..END|FILE",
                         "what the current rows are compared with: a profile "
                         "saved by `larder stats --save`, the view's rows in "
                         "a range, or a training set (.parquet or .csv) as "
                         "`larder historical` writes it",
                         CLI_REQUIRED, 0},
    [DRIFT_CURRENT] = {"--current", "START..END|online",
                       "the view's rows compared (event times, inclusive), "
                       "or `online`: a uniform sample of 100,000 of the rows "
                       "the online store holds (as stored: the ttl is not "
                       "applied)",
                       CLI_REQUIRED, 0},
    [DRIFT_METHOD] = {"--method", "psi|js|wasserstein|ks",
                      "the score: population stability index (default), "
                      "Jensen-Shannon divergence, Wasserstein distance / "
                      "reference stddev, or Kolmogorov-Smirnov (at most 5000 "
                      "values a side)",
                      0, 0},
    [DRIFT_SAVE] = {"--save", "NAME",
                    "save the scores as data/drift/VIEW/NAME.json, which "
                    "`larder serve` exports as larder_drift_score",
                    0, 0},
    [DRIFT_EXACT] = {"--exact", NULL,
                     "exact quantiles of the ranges read (wasserstein, and "
                     "the deciles of a reference range)",
                     0, 0},
    [DRIFT_JSON] = {"--json", NULL, "print one JSON object", 0, 0}};

const cli_command cli_drift_command = {
    "drift", "score how far a view's rows drifted from a reference",
    "Compare, per feature, the distribution of a feature view's rows in the "
    "--current range with a reference, and give each a score and a status: "
    "ok, warn (score >= 0.1), alert (>= 0.25), insufficient (too few rows "
    "for the bins) or skipped (a type the method does not compare).",
    view_operand, 1, drift_options, CLI_COUNT(drift_options), cmd_drift};

/*
 * check_cmd.c - `larder check VIEW [--start T] [--end T] [--json]`: a
 * view's checks over its source rows, writing nothing (lr_check_view).
 * The report goes to stdout; the exit status says whether every rule
 * passed (0) or not (1), so a script or CI job can gate on it.
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "larder.h"

enum { CHECK_START, CHECK_END, CHECK_JSON };

/* Reads option `opt`'s time into *us when given. */
static int read_time(const cli *c, int opt, long long now, long long *us) {
  const char *text = cli_value(c, opt);
  if (text && lr_parse_time(text, now, us) != 0)
    return cli_usage_error("'%s' is not a time: write ISO 8601 "
                           "(2024-01-01T10:00:00Z), now, or -7d / -3h", text);
  return 0;
}

static int cmd_check(cli *c) {
  long long now = (long long)time(NULL) * 1000000;
  long long start = LLONG_MIN, end = LLONG_MAX;
  int status = read_time(c, CHECK_START, now, &start);
  if (status == 0)
    status = read_time(c, CHECK_END, now, &end);
  if (status)
    return status;
  lr_offline *off = NULL;
  char *report = NULL;
  int failed = 0;
  int rc = lr_offline_open(c->repo, &off);
  if (rc == 0)
    rc = lr_offline_set_verbose(off, c->verbose);
  if (rc == 0)
    rc = lr_check_view(off, c->operand[0], start, end,
                       c->given[CHECK_JSON] ? LR_FORMAT_JSON : 0, &report,
                       &failed);
  if (rc)
    status = cli_fail("check", rc, lr_offline_errmsg(off));
  else
    printf("%s%s", report, c->given[CHECK_JSON] ? "\n" : "");
  lr_free(report);
  lr_offline_close(off);
  return status ? status : failed ? CLI_FAILED : CLI_OK;
}

static const cli_operand check_operands[] = {
    {"VIEW", "the feature view whose checks to run"}};

static const cli_option check_options[] = {
    [CHECK_START] = {"--start", "TIME",
                     "only source rows with an event time at or after TIME "
                     "(ISO 8601, now, -7d)",
                     0, 0},
    [CHECK_END] = {"--end", "TIME",
                   "only source rows with an event time at or before TIME", 0,
                   0},
    [CHECK_JSON] = {"--json", NULL, "the report as one JSON object", 0, 0}};

const cli_command cli_check_command = {
    "check", "run a view's checks over its source rows",
    "Run the checks of a feature view over its source rows (all of them, or "
    "those in [--start, --end]) and report, per rule, the rows checked, "
    "failing, their share, whether it passed and up to 20 sample keys and "
    "values, with the rows a load would drop or set null. Nothing is "
    "written. Exits 0 when every rule passed, 1 when one did not.",
    check_operands, 1, check_options, CLI_COUNT(check_options), cmd_check};

/*
 * skew_cmd.c - `larder skew VIEW [--sample N] [--seed S] [--json]
 * [--save NAME]`:
 * training/serving skew of a feature view (lr_skew), printed as text or
 * JSON. Without --seed a seed is drawn from the clock; the report names
 * it, so that a run can be repeated with `--seed`. --save NAME also
 * writes the JSON report to data/skew/VIEW/NAME.json, for the web UI.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "larder.h"

enum { SKEW_SAMPLE, SKEW_SEED, SKEW_JSON, SKEW_SAVE };

/* A seed for a run not given one: the clock's nanoseconds and the pid. */
static unsigned long long drawn_seed(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned long long s = (unsigned long long)ts.tv_sec * 1000000007ull ^
                         (unsigned long long)ts.tv_nsec ^
                         (unsigned long long)getpid() << 32;
  return s & 0x7fffffffffffffffull; /* so that --seed can give it again */
}

/* Reads --sample and --seed into `spec`. */
static int read_skew_args(const cli *c, lr_skew_spec *spec) {
  long long v = 0;
  const char *sample = cli_value(c, SKEW_SAMPLE), *seed = cli_value(c, SKEW_SEED);
  if (sample && cli_parse_count("--sample", sample, 1, 100000, &v))
    return CLI_USAGE;
  spec->sample = (int)v;
  spec->seed = drawn_seed();
  if (seed && cli_parse_count("--seed", seed, 0, 0x7fffffffffffffffll, &v))
    return CLI_USAGE;
  if (seed)
    spec->seed = (unsigned long long)v;
  return CLI_OK;
}

static int cmd_skew(cli *c) {
  lr_skew_spec spec = {.view = c->operand[0],
                       .save = cli_value(c, SKEW_SAVE)};
  int status = read_skew_args(c, &spec);
  if (status != CLI_OK)
    return status;
  lr_offline *off = NULL;
  char *report = NULL;
  int rc = lr_offline_open(c->repo, &off);
  if (rc == 0)
    rc = lr_offline_set_verbose(off, c->verbose);
  if (rc == 0)
    rc = lr_skew(off, &spec, c->given[SKEW_JSON] ? LR_FORMAT_JSON : 0,
                 &report);
  status = cli_print_report("skew", rc, lr_offline_errmsg(off), report);
  lr_offline_close(off);
  return status;
}

static const cli_operand skew_operands[] = {
    {"VIEW", "a batch feature view kept online"}};

static const cli_option skew_options[] = {
    [SKEW_SAMPLE] = {"--sample", "N",
                     "entities to compare, 1 to 100000 (default 1000): half "
                     "drawn from the online store, half from the source's "
                     "keys", 0, 0},
    [SKEW_SEED] = {"--seed", "S",
                   "the draws (default: from the clock; the report names the "
                   "seed used): the same seed over the same rows compares the "
                   "same entities", 0, 0},
    [SKEW_JSON] = {"--json", NULL, "print one JSON object", 0, 0},
    [SKEW_SAVE] = {"--save", "NAME",
                   "also write the report as JSON to data/skew/VIEW/NAME.json "
                   "(the web UI shows the newest)", 0, 0}};

const cli_command cli_skew_command = {
    "skew", "compare served features with the offline latest rows",
    "Training/serving skew: for a sample of the view's entities, compare the "
    "row the online store serves with the latest row the offline source "
    "gives as of now (the row a training set joins and a materialization "
    "loads), feature by feature: the share of entities equal, different, "
    "missing online, missing offline and missing on both sides, with up to "
    "3 examples of each disagreement. Floats are equal when their bits are "
    "(or both are NaN), in the view's type. Exit status: 0 when the report "
    "was printed, whatever it found; 1 when it could not be made (an "
    "unknown, on-demand or offline-only view, a view with no online rows, "
    "an unreadable source); 2 for a bad command line.",
    skew_operands, CLI_COUNT(skew_operands), skew_options,
    CLI_COUNT(skew_options), cmd_skew};

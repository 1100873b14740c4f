/*
 * registry_cmds.c - the commands about definitions and the registry:
 * init, plan, apply, ls, describe.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "larder.h"

static int cmd_init(cli *c) {
  char *err = NULL;
  int rc = lr_repo_init(c->operand[0], &err);
  if (rc != 0) {
    cli_fail("init", rc, err);
    lr_free(err);
    return CLI_FAILED;
  }
  printf("Created an example feature repo in %s.\n"
         "Next: larder -c %s apply\n", c->operand[0], c->operand[0]);
  return CLI_OK;
}

static const cli_operand init_operands[] = {
    {"DIR", "the folder to create the repo in (created if missing; it must "
            "not hold a feature_store.yaml yet)"}};

const cli_command cli_init_command = {
    "init", "create an example repo in a folder",
    "Create a working example repo in DIR: the definitions of Feast's "
    "quickstart (a driver entity, a view over a Parquet file, a SQL and a "
    "push source, a request source, an on-demand view, two feature "
    "services) and two weeks of hourly data for 300 drivers, ending at the "
    "current hour: data/driver_stats.parquet (the source), "
    "data/driver_stats_latest.csv (its last hour, in the columns `larder "
    "write` takes) and data/entity_rows.csv (entity rows for `larder "
    "historical`).",
    init_operands, CLI_COUNT(init_operands), NULL, 0, cmd_init};

enum { PLAN_FORCE, PLAN_SKIP_SOURCE_CHECK };

/* Prints the problems `message` lists (definitions that do not load, or
 * sources that do not match them) and what became of command `name`: an
 * apply (`apply` 1) wrote nothing; `then` adds how to go on. Returns
 * CLI_FAILED. */
static int report_problems(const char *name, int apply, const char *message,
                           const char *what, const char *then) {
  fflush(stdout);
  fprintf(stderr, "%s\nlarder: %s: %s%s%s\n", message, name, what,
          apply ? "; nothing was written" : "", then);
  return CLI_FAILED;
}

/* Checks the sources against the definitions, unless `skip` (then says
 * so). Returns 0, or CLI_FAILED after printing why. */
static int check_sources(lr_repo *repo, const char *name, int apply,
                         int skip) {
  if (skip) {
    printf("Sources not checked (--skip-source-check).\n");
    return 0;
  }
  static const char then[] = " (`--skip-source-check` skips reading them, "
                             "on a host that cannot reach them)";
  int rc = lr_repo_check_sources(repo);
  if (rc == LR_EDEFINITION)
    return report_problems(name, apply, lr_repo_errmsg(repo),
                           "the sources do not match the definitions", then);
  if (rc == 0)
    return 0;
  fflush(stdout);
  fprintf(stderr, "larder: %s: checking the sources: %s%s\n", name,
          lr_repo_errmsg(repo), then);
  return CLI_FAILED;
}

/* plan and apply: load, check the sources, then call `step` (lr_repo_plan
 * or lr_repo_apply). Only apply writes, so only its failures say that
 * nothing was. */
static int plan_or_apply(cli *c, int (*step)(lr_repo *, unsigned, char **)) {
  const char *name = c->command->name;
  int apply = step == lr_repo_apply;
  lr_repo *repo = NULL;
  int rc = lr_repo_open(c->repo, &repo);
  if (rc == LR_EDEFINITION) {
    report_problems(name, apply, lr_repo_errmsg(repo),
                    "the definitions have errors", "");
    lr_repo_close(repo);
    return CLI_FAILED;
  }
  if (rc == 0 &&
      check_sources(repo, name, apply, c->given[PLAN_SKIP_SOURCE_CHECK])) {
    lr_repo_close(repo);
    return CLI_FAILED;
  }
  char *plan = NULL;
  if (rc == 0)
    rc = step(repo, c->given[PLAN_FORCE] ? LR_APPLY_FORCE : 0, &plan);
  if (plan)
    fputs(plan, stdout);
  lr_free(plan);
  /* The library names its flag (LR_APPLY_FORCE); the user needs ours. */
  int status = rc == 0 ? CLI_OK
               : rc == LR_ENEEDFORCE
                   ? cli_fail(name, rc, "the plan drops stored online rows; "
                              "`larder apply --force` accepts that")
                   : cli_fail(name, rc, lr_repo_errmsg(repo));
  if (rc == LR_ECORRUPT || rc == LR_EVERSION)
    fputs("larder: `larder apply --force` replaces the registry\n", stderr);
  lr_repo_close(repo);
  return status;
}

static int cmd_plan(cli *c) { return plan_or_apply(c, lr_repo_plan); }
static int cmd_apply(cli *c) { return plan_or_apply(c, lr_repo_apply); }

static const cli_option plan_options[] = {
    [PLAN_FORCE] = {"--force", NULL,
                    "plan as `apply --force` would: say which stored online "
                    "rows the changes drop, rather than exit 1",
                    0, 0},
    [PLAN_SKIP_SOURCE_CHECK] = {"--skip-source-check", NULL,
                                "plan without reading the sources, on a host "
                                "that cannot reach them",
                                0, 0}};

const cli_command cli_plan_command = {
    "plan", "show what apply would change; writes nothing",
    "Load and validate the definitions, check the sources against them as "
    "`apply` does, and print what `apply` would change, writing nothing: "
    "objects created (+), changed (~) and removed (-), features added, "
    "removed and retyped, and the views that need materialization. Exits 1 "
    "on definition errors, on sources that do not match them, and when a "
    "change needs --force.",
    NULL, 0, plan_options, CLI_COUNT(plan_options), cmd_plan};

static const cli_option apply_options[] = {
    [PLAN_FORCE] = {"--force", NULL,
                    "accept changes that drop stored online rows (a retyped "
                    "feature, a changed entity key): materialize those views "
                    "again afterwards",
                    0, 0},
    [PLAN_SKIP_SOURCE_CHECK] = {"--skip-source-check", NULL,
                                "write the registry without checking that the "
                                "sources have the columns the definitions "
                                "read, on a host that cannot reach them",
                                0, 0}};

const cli_command cli_apply_command = {
    "apply", "check definitions and sources, write the registry",
    "Validate the definitions, check that each file and sql source has the "
    "columns the definitions read from it, in types that load as their "
    "dtypes (DuckDB describes the source without reading its rows, "
    "--skip-source-check skips that), print the plan and write the "
    "registry atomically. Nothing is written when a definition has an "
    "error, when a source does not match the definitions, or when a change "
    "drops stored online rows and --force is not given.",
    NULL, 0, apply_options, CLI_COUNT(apply_options), cmd_apply};

static const struct {
  const char *name;
  lr_kind kind;
} kind_names[] = {
    {"entities", LR_KIND_ENTITY},
    {"sources", LR_KIND_SOURCE},
    {"feature-views", LR_KIND_FEATURE_VIEW},
    {"on-demand-feature-views", LR_KIND_ON_DEMAND_VIEW},
    {"feature-services", LR_KIND_FEATURE_SERVICE},
};

#define KIND_LIST                                                              \
  "entities, sources, feature-views, on-demand-feature-views or "              \
  "feature-services"

enum { SHOW_JSON };

/* ls and describe: open the registry, then call `run` with the operand. */
static int show(cli *c, int (*run)(lr_registry *, const char *, unsigned,
                                   char **)) {
  lr_registry *reg = NULL;
  int rc = lr_registry_open(c->repo, &reg);
  char *out = NULL;
  if (rc == 0)
    rc = run(reg, c->operand[0], c->given[SHOW_JSON] ? LR_FORMAT_JSON : 0,
             &out);
  if (out)
    fputs(out, stdout);
  lr_free(out);
  int status = rc == 0 ? CLI_OK
                       : cli_fail(c->command->name, rc,
                                  lr_registry_errmsg(reg));
  lr_registry_close(reg);
  return status;
}

/* The index in kind_names of the kind named `name`, or -1. */
static int find_kind(const char *name) {
  for (int i = 0; i < CLI_COUNT(kind_names); i++)
    if (!strcmp(name, kind_names[i].name))
      return i;
  return -1;
}

/* Lists the objects of `kind` (checked by cmd_ls). */
static int list_kind(lr_registry *reg, const char *kind, unsigned flags,
                     char **out) {
  return lr_registry_list(reg, kind_names[find_kind(kind)].kind, flags, out);
}

static int cmd_ls(cli *c) {
  if (find_kind(c->operand[0]) < 0) /* whatever the registry's state */
    return cli_usage_error("unknown kind '%s': " KIND_LIST, c->operand[0]);
  return show(c, list_kind);
}

static int cmd_describe(cli *c) { return show(c, lr_registry_describe); }

static const cli_option show_options[] = {
    [SHOW_JSON] = {"--json", NULL, "print JSON instead of a table", 0, 0}};

static const cli_operand ls_operands[] = {
    {"KIND", "the kind of objects to list: " KIND_LIST}};

const cli_command cli_ls_command = {
    "ls", "list the applied objects of one kind",
    "List the applied objects of one kind, sorted by name, as an aligned "
    "table, or with --json as a JSON array (each object as `describe "
    "--json` prints it). `sources` includes request sources.",
    ls_operands, CLI_COUNT(ls_operands), show_options,
    CLI_COUNT(show_options), cmd_ls};

static const cli_operand describe_operands[] = {
    {"NAME", "the name of the objects to describe"}};

const cli_command cli_describe_command = {
    "describe", "describe the applied objects named NAME",
    "Describe every applied object named NAME (names are unique within a "
    "kind, not across kinds), with the file and position it was defined at.",
    describe_operands, CLI_COUNT(describe_operands), show_options,
    CLI_COUNT(show_options), cmd_describe};

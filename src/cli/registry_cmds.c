/*
 * registry_cmds.c - the commands about definitions and the registry:
 * init, plan, apply, ls, describe.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "larder.h"

/* Parses the command's flags: each name in `names` sets the matching int.
 * Returns 0 and leaves positional arguments in `positional` (at most
 * `max_positional`), or CLI_USAGE. */
static int parse_flags(cli *c, const char *const *names, int *values,
                       int n_names, const char **positional,
                       int max_positional, int *n_positional) {
  *n_positional = 0;
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    int matched = 0;
    for (int k = 0; k < n_names; k++) {
      if (!strcmp(arg, names[k])) {
        values[k] = 1;
        matched = 1;
      }
    }
    if (matched)
      continue;
    if (arg[0] == '-' && arg[1])
      return cli_usage_error("unknown flag '%s'", arg);
    if (*n_positional == max_positional)
      return cli_usage_error("unexpected argument '%s'", arg);
    positional[(*n_positional)++] = arg;
  }
  return 0;
}

int cli_init(cli *c) {
  const char *dir[1];
  int n;
  if (parse_flags(c, NULL, NULL, 0, dir, 1, &n))
    return CLI_USAGE;
  if (n != 1)
    return cli_usage_error("init needs a folder: larder init DIR");
  char *err = NULL;
  int rc = lr_repo_init(dir[0], &err);
  if (rc != 0) {
    cli_fail("init", rc, err);
    lr_free(err);
    return CLI_FAILED;
  }
  printf("Created an example feature repo in %s.\n"
         "Next: larder -c %s apply\n", dir[0], dir[0]);
  return CLI_OK;
}

/* Prints the problems `message` lists (definitions that do not load, or
 * sources that do not match them) and what became of the command: an
 * apply wrote nothing; `then` adds how to go on. Returns CLI_FAILED. */
static int report_problems(const char *name, const char *message,
                           const char *what, const char *then) {
  fflush(stdout);
  fprintf(stderr, "%s\nlarder: %s: %s%s%s\n", message, name, what,
          strcmp(name, "apply") ? "" : "; nothing was written", then);
  return CLI_FAILED;
}

/* Checks the sources against the definitions, unless `skip` (then says
 * so). Returns 0, or CLI_FAILED after printing why. */
static int check_sources(lr_repo *repo, const char *name, int skip) {
  if (skip) {
    printf("Sources not checked (--skip-source-check).\n");
    return 0;
  }
  static const char then[] = " (`--skip-source-check` skips reading them, "
                             "on a host that cannot reach them)";
  int rc = lr_repo_check_sources(repo);
  if (rc == LR_EDEFINITION)
    return report_problems(name, lr_repo_errmsg(repo),
                           "the sources do not match the definitions", then);
  if (rc == 0)
    return 0;
  fflush(stdout);
  fprintf(stderr, "larder: %s: checking the sources: %s%s\n", name,
          lr_repo_errmsg(repo), then);
  return CLI_FAILED;
}

/* plan and apply: load, check the sources, then call `step` (lr_repo_plan
 * or lr_repo_apply). */
static int plan_or_apply(cli *c, const char *name,
                         int (*step)(lr_repo *, unsigned, char **)) {
  static const char *const flag_names[] = {"--force", "--skip-source-check"};
  int flags[2] = {0, 0}, n;
  if (parse_flags(c, flag_names, flags, 2, NULL, 0, &n))
    return CLI_USAGE;
  lr_repo *repo = NULL;
  int rc = lr_repo_open(c->repo, &repo);
  if (rc == LR_EDEFINITION) {
    report_problems(name, lr_repo_errmsg(repo), "the definitions have errors",
                    "");
    lr_repo_close(repo);
    return CLI_FAILED;
  }
  if (rc == 0 && check_sources(repo, name, flags[1])) {
    lr_repo_close(repo);
    return CLI_FAILED;
  }
  char *plan = NULL;
  if (rc == 0)
    rc = step(repo, flags[0] ? LR_APPLY_FORCE : 0, &plan);
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

int cli_plan(cli *c) { return plan_or_apply(c, "plan", lr_repo_plan); }
int cli_apply(cli *c) { return plan_or_apply(c, "apply", lr_repo_apply); }

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

/* ls and describe: check the argument with `check` (may be NULL; returns 0
 * or CLI_USAGE after printing why), open the registry, then call `run` with
 * the argument. */
static int show(cli *c, const char *name, const char *what_needed,
                int (*check)(const char *),
                int (*run)(lr_registry *, const char *, unsigned, char **)) {
  static const char *const flag_names[] = {"--json"};
  int json = 0, n;
  const char *arg[1];
  if (parse_flags(c, flag_names, &json, 1, arg, 1, &n))
    return CLI_USAGE;
  if (n != 1)
    return cli_usage_error("%s needs %s", name, what_needed);
  if (check && check(arg[0]))
    return CLI_USAGE;
  lr_registry *reg = NULL;
  int rc = lr_registry_open(c->repo, &reg);
  char *out = NULL;
  if (rc == 0)
    rc = run(reg, arg[0], json ? LR_FORMAT_JSON : 0, &out);
  if (out)
    fputs(out, stdout);
  lr_free(out);
  int status = rc == 0 ? CLI_OK
               : rc == LR_EINVAL ? CLI_USAGE
                                 : cli_fail(name, rc, lr_registry_errmsg(reg));
  lr_registry_close(reg);
  return status;
}

/* The index in kind_names of the kind named `name`, or -1. */
static int find_kind(const char *name) {
  for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (!strcmp(name, kind_names[i].name))
      return (int)i;
  return -1;
}

/* ls's argument must name a kind, whatever the registry's state: 0 or
 * CLI_USAGE. */
static int check_kind(const char *kind) {
  if (find_kind(kind) >= 0)
    return 0;
  return cli_usage_error("unknown kind '%s': entities, sources, "
                         "feature-views, on-demand-feature-views or "
                         "feature-services", kind);
}

/* Lists the objects of `kind` (checked by check_kind). */
static int run_ls(lr_registry *reg, const char *kind, unsigned flags,
                  char **out) {
  int i = find_kind(kind);
  return i < 0 ? LR_EINVAL
               : lr_registry_list(reg, kind_names[i].kind, flags, out);
}

int cli_ls(cli *c) {
  return show(c, "ls", "a kind: entities, sources, feature-views, "
                       "on-demand-feature-views or feature-services",
              check_kind, run_ls);
}

int cli_describe(cli *c) {
  return show(c, "describe", "a name", NULL, lr_registry_describe);
}

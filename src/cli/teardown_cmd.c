/*
 * teardown_cmd.c - `larder teardown [--yes]`: removes the repo's online
 * store and registry (lr_repo_teardown) after saying what goes and asking
 * on the terminal. Without a terminal to ask on (a script, a pipe) it
 * refuses unless --yes says so: a removal nobody confirmed never happens.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "larder.h"

enum { TEARDOWN_YES };

/* Asks on the terminal; 1 when the answer is y or yes. */
static int confirmed(void) {
  printf("Remove them? Type y to confirm: ");
  fflush(stdout);
  char answer[64];
  if (!fgets(answer, sizeof answer, stdin))
    return 0;
  answer[strcspn(answer, "\r\n")] = '\0';
  return !strcmp(answer, "y") || !strcmp(answer, "Y") ||
         !strcmp(answer, "yes");
}

/* lr_repo_teardown with `flags`; prints its report. Returns 0, or
 * CLI_FAILED after printing why. *nothing is set when there was nothing
 * to remove. */
static int teardown(const cli *c, unsigned flags, int *nothing) {
  char *report = NULL, *err = NULL;
  int rc = lr_repo_teardown(c->repo, flags, &report, &err);
  if (rc == 0 && !*report)
    printf("Nothing to remove: %s has no registry and no online store.\n",
           c->repo);
  else if (rc == 0)
    fputs(report, stdout);
  *nothing = rc == 0 && !*report;
  lr_free(report);
  if (rc)
    cli_fail("teardown", rc, err);
  lr_free(err);
  return rc ? CLI_FAILED : CLI_OK;
}

static int cmd_teardown(cli *c) {
  int nothing;
  int yes = c->given[TEARDOWN_YES];
  int status = teardown(c, yes ? 0 : LR_TEARDOWN_CHECK, &nothing);
  if (yes || status || nothing)
    return status;
  if (!isatty(0))
    return cli_usage_error("stdin is not a terminal, so nobody can confirm: "
                           "run `larder teardown --yes` to remove them "
                           "without asking");
  if (!confirmed())
    return cli_fail("teardown", 0, "not confirmed (the answer was not y); "
                    "nothing was removed");
  return teardown(c, 0, &nothing);
}

static const cli_option teardown_options[] = {
    [TEARDOWN_YES] = {"--yes", NULL,
                      "remove without asking (needed when stdin is not a "
                      "terminal)",
                      0, 0}};

const cli_command cli_teardown_command = {
    "teardown", "remove the online store and the registry",
    "Remove what apply, writes and materializations made in the repo: the "
    "online store (online_store.path) and the registry file. Definitions, "
    "feature_store.yaml and offline data stay. Says what it removes and asks "
    "first (a y answer) unless --yes is given. Refused while any process "
    "has the online store open (a server, a replicator, a command under "
    "way): stop it first.",
    NULL, 0, teardown_options, CLI_COUNT(teardown_options), cmd_teardown};

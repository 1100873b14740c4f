/*
 * cli.h - the `larder` command line: shared state of one invocation and the
 * commands. The CLI uses only the public API (larder.h), as any other
 * program linking liblarder would.
 */
#ifndef LR_CLI_CLI_H
#define LR_CLI_CLI_H

#include "larder.h"

/* Exit codes: 0 success, 1 the command failed, 2 the command line is
 * wrong; 3 for a command whose 1 is an answer (`verify --against`: the
 * stores differ) when it could not answer. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_TROUBLE = 3 };

typedef struct cli {
  const char *repo; /* -c REPO; "." by default */
  int argc;         /* the command's own arguments, after its name */
  char **argv;
} cli;

int cli_init(cli *c);
int cli_plan(cli *c);
int cli_apply(cli *c);
int cli_ls(cli *c);
int cli_describe(cli *c);
int cli_get(cli *c);
int cli_write(cli *c);
int cli_compact(cli *c);
int cli_version(cli *c);
int cli_verify(cli *c);
int cli_replicate(cli *c);
int cli_publish(cli *c);
int cli_historical(cli *c);
int cli_materialize(cli *c);
int cli_materialize_incremental(cli *c);
int cli_serve(cli *c);
int cli_bench(cli *c);

/* Splits a comma-separated list in place into `items` (at most `max`);
 * returns how many. */
int cli_split_list(char *text, const char **items, int max);

/* Parses `text` as a value of lr_type `type` (a scalar) into `out`: an
 * integer, a number, true/false, a time as lr_parse_time() reads it, or
 * (strings, bytes) the text itself, pointed to. Returns 0, or -1 when the
 * text is not such a value or the type is an array. */
int cli_parse_value(const char *text, int type, lr_value *out);

/* Prints "larder: MESSAGE" to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "larder: WHAT: MESSAGE" for a failed call to stderr; returns
 * CLI_FAILED. */
int cli_fail(const char *what, int status, const char *message);

#endif

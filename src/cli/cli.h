/*
 * cli.h - the `larder` command line: the commands, each described by one
 * table (its operands and options) that both parses its arguments and
 * prints its --help, and the state of one invocation. The CLI uses only the
 * public API (larder.h), as any other program linking liblarder would.
 */
#ifndef LR_CLI_CLI_H
#define LR_CLI_CLI_H

#include "larder.h"

/* Exit codes: 0 success, 1 the command failed, 2 the command line is
 * wrong; 3 for a command whose 1 is an answer (`verify --against`: the
 * stores differ) when it could not answer. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_TROUBLE = 3 };

/* cli_option flags. */
enum {
  CLI_REPEAT = 1u << 0,  /* may be given more than once (else: twice is an
                            error) */
  CLI_REQUIRED = 1u << 1 /* must be given */
};

/* One option of a command, as the parser reads it and --help shows it. */
typedef struct cli_option {
  const char *name;  /* "--views" */
  const char *value; /* what follows it ("A,B"); NULL for a flag */
  const char *help;  /* what it does, one sentence (wrapped on output) */
  unsigned flags;    /* CLI_REPEAT, CLI_REQUIRED */
  int one_of;        /* options of a command sharing a number > 0 are
                        alternatives: exactly one of them must be given */
} cli_option;

/* A positional argument; every one is required. */
typedef struct cli_operand {
  const char *name; /* "DIR" */
  const char *help;
} cli_operand;

enum { CLI_MAX_OPERANDS = 2, CLI_MAX_OPTIONS = 16 };

typedef struct cli cli;

/* A command: what `larder --help` lists and `larder NAME --help` prints,
 * and what the parser reads. */
typedef struct cli_command {
  const char *name;
  const char *summary;     /* one line for `larder --help` */
  const char *description; /* a paragraph for `larder NAME --help` */
  const cli_operand *operands;
  int n_operands;
  const cli_option *options;
  int n_options;
  int (*run)(cli *c);
} cli_command;

#define CLI_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* One invocation: the global options, and the command's arguments as the
 * parser read them from its table. */
struct cli {
  const char *repo; /* -c REPO; "." by default */
  int verbose;      /* -v, --verbose: DuckDB's words and the query after an
                       offline error */
  const cli_command *command;
  const char *operand[CLI_MAX_OPERANDS];
  int given[CLI_MAX_OPTIONS];           /* times each option was given */
  const char **values[CLI_MAX_OPTIONS]; /* their values, in order */
  const char **storage;                 /* what values[] point into */
};

/* The commands, in the order `larder --help` lists them. */
extern const cli_command cli_init_command, cli_plan_command,
    cli_apply_command, cli_ls_command, cli_describe_command,
    cli_get_command, cli_write_command, cli_push_command, cli_compact_command,
    cli_version_command, cli_verify_command, cli_replicate_command,
    cli_publish_command, cli_historical_command, cli_materialize_command,
    cli_check_command,
    cli_materialize_incremental_command, cli_stats_command,
    cli_drift_command, cli_serve_command, cli_ui_command,
    cli_bench_command, cli_teardown_command, cli_skew_command;

/* Reads `argv` (argc words after the command's name) by c->command's
 * table into c. Returns 0; CLI_USAGE after printing what is wrong; or -1
 * after printing the command's help (asked for with -h or --help). Free
 * with cli_args_free, whatever it returned. */
int cli_parse(cli *c, int argc, char **argv);
void cli_args_free(cli *c);

/* The value of option `i` of c's command (the last one given), or NULL
 * when it was not given. */
const char *cli_value(const cli *c, int i);

/* Prints `larder NAME --help` of `cmd` to stdout. */
void cli_print_help(const cli_command *cmd);

/* Prints "  LEFT" and `help` beside it, aligned with the other entries of
 * a list and wrapped, to stdout. */
void cli_print_entry(const char *left, const char *help);

/* Splits a comma-separated list in place into `items` (at most `max`);
 * returns how many. */
int cli_split_list(char *text, const char **items, int max);

/* Parses `text` as a value of lr_type `type` (a scalar) into `out`: an
 * integer, a number, true/false, a time as lr_parse_time() reads it, or
 * (strings, bytes) the text itself, pointed to. Returns 0, or -1 when the
 * text is not such a value or the type is an array. */
int cli_parse_value(const char *text, int type, lr_value *out);

/* Reads the value `text` of option `flag` as a whole number in [min,
 * max] into *out. Returns 0, or CLI_USAGE after printing what is wrong. */
int cli_parse_count(const char *flag, const char *text, long long min,
                    long long max, long long *out);

/* The command usage errors are about (NULL: the command line as a whole),
 * for their prefix and their pointer to the command's --help. */
void cli_set_topic(const char *command);

/* Prints "larder: COMMAND: MESSAGE" and the --help to see to stderr;
 * returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "larder: WHAT: MESSAGE" for a failed call to stderr; returns
 * CLI_FAILED. */
int cli_fail(const char *what, int status, const char *message);
/* Ends a command whose call handed back a report: prints it to stdout
 * when `status` is 0, else the failure (cli_fail); frees the report
 * either way. Returns CLI_OK or CLI_FAILED. */
int cli_print_report(const char *what, int status, const char *message,
                     char *report);

#endif

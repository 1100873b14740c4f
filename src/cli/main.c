/*
 * main.c - `larder`: parses the global options, finds the command, has its
 * table read the command's arguments (options.c), runs it, and prints the
 * top-level help, which lists every command's summary from the same
 * tables.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "larder.h"

static const cli_command *const commands[] = {
    &cli_init_command,        &cli_plan_command,
    &cli_apply_command,       &cli_ls_command,
    &cli_describe_command,    &cli_get_command,
    &cli_write_command,       &cli_push_command,
    &cli_compact_command,
    &cli_version_command,     &cli_verify_command,
    &cli_replicate_command,   &cli_publish_command,
    &cli_historical_command,  &cli_materialize_command,
    &cli_materialize_incremental_command,
    &cli_check_command,
    &cli_skew_command,
    &cli_stats_command,       &cli_drift_command,
    &cli_serve_command,       &cli_ui_command,
    &cli_bench_command,
    &cli_teardown_command,
};

/* The options before the command. */
enum { GLOBAL_REPO, GLOBAL_VERBOSE, GLOBAL_HELP, GLOBAL_VERSION };
static const struct {
  const char *name, *also, *shown, *help;
} global_options[] = {
    [GLOBAL_REPO] = {"-c", NULL, "-c REPO",
                     "the feature repo folder (default: .)"},
    [GLOBAL_VERBOSE] = {"-v", "--verbose", "-v, --verbose",
                        "after an error of the offline store, DuckDB's own "
                        "message and the query Larder ran"},
    [GLOBAL_HELP] = {"-h", "--help", "-h, --help", "this text"},
    [GLOBAL_VERSION] = {"--version", NULL, "--version", "the version"},
};

/* 1 when `arg` is global option `k`. */
static int is_global(const char *arg, int k) {
  return !strcmp(arg, global_options[k].name) ||
         (global_options[k].also && !strcmp(arg, global_options[k].also));
}

/* `larder --help`: the global options and every command's summary. */
static void print_usage(void) {
  printf("usage: larder [-c REPO] [-v] COMMAND [ARGS]\n"
         "\n"
         "Larder, a feature store: definitions in YAML, an offline store on\n"
         "DuckDB, an online store embedded on LMDB or shared on Redis.\n"
         "\n"
         "Options:\n");
  for (int k = 0; k < CLI_COUNT(global_options); k++)
    cli_print_entry(global_options[k].shown, global_options[k].help);
  printf("\nCommands:\n");
  for (int k = 0; k < CLI_COUNT(commands); k++)
    cli_print_entry(commands[k]->name, commands[k]->summary);
  printf("\n`larder COMMAND --help` describes a command's arguments and "
         "options.\n"
         "Exit status: 0 success, 1 failure, 2 bad command line.\n");
}

/* The usage errors' command, for their prefix and hint. */
static const char *topic;

void cli_set_topic(const char *command) { topic = command; }

/* Both report to stderr; stdout is flushed first so that what a command
 * printed before the error comes before it, also when both go to one pipe. */
int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  va_start(ap, fmt);
  fprintf(stderr, "larder: %s%s", topic ? topic : "", topic ? ": " : "");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see `larder %s%s--help`)\n", topic ? topic : "",
          topic ? " " : "");
  va_end(ap);
  return CLI_USAGE;
}

int cli_fail(const char *what, int status, const char *message) {
  fflush(stdout);
  fprintf(stderr, "larder: %s: %s\n", what,
          message && *message ? message : lr_strerror(status));
  return CLI_FAILED;
}

int cli_print_report(const char *what, int status, const char *message,
                     char *report) {
  if (status)
    cli_fail(what, status, message);
  else
    fputs(report, stdout);
  lr_free(report);
  return status ? CLI_FAILED : CLI_OK;
}

static const cli_command *find_command(const char *name) {
  for (int k = 0; k < CLI_COUNT(commands); k++)
    if (!strcmp(name, commands[k]->name))
      return commands[k];
  return NULL;
}

/* `larder help [COMMAND]`. */
static int help(int argc, char **argv) {
  const cli_command *cmd = argc == 1 ? find_command(argv[0]) : NULL;
  if (argc > 1)
    return cli_usage_error("help takes one command name at most: larder "
                           "help COMMAND");
  if (argc == 1 && !cmd)
    return cli_usage_error("unknown command '%s'", argv[0]);
  if (cmd)
    cli_print_help(cmd);
  else
    print_usage();
  return CLI_OK;
}

/* Parses the command's arguments by its table, then runs it. */
static int run(cli *c, int argc, char **argv) {
  cli_set_topic(c->command->name);
  int rc = cli_parse(c, argc, argv);
  if (rc == 0)
    rc = c->command->run(c);
  cli_args_free(c);
  return rc < 0 ? CLI_OK : rc; /* -1: the help was asked for */
}

int main(int argc, char **argv) {
  cli c = {.repo = "."};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *arg = argv[i];
    if (is_global(arg, GLOBAL_HELP)) {
      print_usage();
      return CLI_OK;
    }
    if (is_global(arg, GLOBAL_VERSION)) {
      printf("larder %s\n", lr_version());
      return CLI_OK;
    }
    if (is_global(arg, GLOBAL_VERBOSE)) {
      c.verbose = 1;
      continue;
    }
    if (is_global(arg, GLOBAL_REPO) && i + 1 < argc) {
      c.repo = argv[++i];
      continue;
    }
    return cli_usage_error("unknown option '%s'", arg);
  }
  if (i == argc)
    return cli_usage_error("no command given: larder [-c REPO] COMMAND "
                           "[ARGS]");
  if (!strcmp(argv[i], "help"))
    return help(argc - i - 1, argv + i + 1);
  c.command = find_command(argv[i]);
  if (!c.command)
    return cli_usage_error("unknown command '%s'", argv[i]);
  return run(&c, argc - i - 1, argv + i + 1);
}

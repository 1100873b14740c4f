/*
 * main.c - `larder`: parses the global options, dispatches to a command and
 * prints usage.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "larder.h"

static const char usage[] =
    "usage: larder [-c REPO] COMMAND [ARGS]\n"
    "\n"
    "Larder, a feature store: definitions in YAML, an offline store on\n"
    "DuckDB, an embedded online store on LMDB.\n"
    "\n"
    "Options:\n"
    "  -c REPO        the feature repo folder (default: .)\n"
    "  -h, --help     this text\n"
    "  --version      the version\n"
    "\n"
    "Commands:\n"
    "  init DIR               create an example repo in DIR\n"
    "  plan [--force] [--skip-source-check]\n"
    "                         show what apply would change; writes nothing\n"
    "  apply [--force] [--skip-source-check]\n"
    "                         check the definitions and the sources' columns,\n"
    "                         and write the registry (--force accepts changes\n"
    "                         that drop online rows; --skip-source-check does\n"
    "                         not read the sources)\n"
    "  ls KIND [--json]       list entities, sources, feature-views,\n"
    "                         on-demand-feature-views or feature-services\n"
    "  describe NAME [--json] describe the objects named NAME\n"
    "  get (--features V:F,... | --service NAME) --entity K=V[,K2=V2]...\n"
    "      [--json] [--full-feature-names]\n"
    "                         read online features of entities\n"
    "  write VIEW FILE        write rows from FILE (.csv, .jsonl, .json) into\n"
    "                         the online store; newer rows win\n"
    "  compact                rewrite the online store compactly into a new\n"
    "                         generation (other processes keep working)\n"
    "  version [--json]       the library's, registry's and store's versions\n"
    "                         (--json: and each view's digest)\n"
    "  verify                 decode every stored row and check the digests\n"
    "  replicate [--once]     primary: ship its changes to the write log;\n"
    "                         replica: bootstrap from a snapshot, then\n"
    "                         follow the log (until SIGTERM)\n"
    "  publish                primary: publish a snapshot now\n"
    "  historical (--entities FILE | --entities-sql QUERY)\n"
    "      (--features V:F,... | --service NAME) [--full-feature-names]\n"
    "      --output FILE      write a point-in-time-correct training set\n"
    "  materialize START END [--views A,B]\n"
    "                         load the latest rows in [START, END] online\n"
    "  materialize-incremental END [--views A,B]\n"
    "                         load from where the last load ended\n"
    "      (times: ISO 8601, now, or relative such as -7d)\n"
    "  serve [--host 127.0.0.1] [--port 6566] [--threads N] [--token-file F]\n"
    "      [--max-body-bytes N] [--max-entities N] [--timeout SECONDS]\n"
    "                         serve Feast's HTTP JSON API\n"
    "  bench (--features V:F,... | --service NAME) (--random N | --entities F)\n"
    "      [--batch 1] [--duration 10s] [--warmup 1s] [--threads 1]\n"
    "      [--request FIELD=VALUE]... [--http URL [--token-file F]]\n"
    "      [--csv FILE] [--seed 1]\n"
    "                         measure online lookups: throughput, latency\n"
    "                         percentiles, open time, store size\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 bad command line.\n";

static const struct {
  const char *name;
  int (*run)(cli *);
} commands[] = {
    {"init", cli_init},   {"plan", cli_plan},
    {"apply", cli_apply}, {"ls", cli_ls},
    {"describe", cli_describe}, {"get", cli_get},
    {"write", cli_write}, {"compact", cli_compact},
    {"version", cli_version}, {"verify", cli_verify},
    {"replicate", cli_replicate}, {"publish", cli_publish},
    {"historical", cli_historical}, {"materialize", cli_materialize},
    {"materialize-incremental", cli_materialize_incremental},
    {"serve", cli_serve}, {"bench", cli_bench},
};

/* Both report to stderr; stdout is flushed first so that what a command
 * printed before the error comes before it, also when both go to one pipe. */
int cli_usage_error(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  va_start(ap, fmt);
  fputs("larder: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputs("\n(see `larder --help`)\n", stderr);
  va_end(ap);
  return CLI_USAGE;
}

int cli_fail(const char *what, int status, const char *message) {
  fflush(stdout);
  fprintf(stderr, "larder: %s: %s\n", what,
          message && *message ? message : lr_strerror(status));
  return CLI_FAILED;
}

int main(int argc, char **argv) {
  cli c = {.repo = "."};
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      fputs(usage, stdout);
      return CLI_OK;
    }
    if (!strcmp(argv[i], "--version")) {
      printf("larder %s\n", lr_version());
      return CLI_OK;
    }
    if (!strcmp(argv[i], "-c") && i + 1 < argc) {
      c.repo = argv[++i];
      continue;
    }
    return cli_usage_error("unknown option '%s'", argv[i]);
  }
  if (i == argc) {
    fputs(usage, stderr);
    return CLI_USAGE;
  }
  c.argc = argc - i - 1;
  c.argv = argv + i + 1;
  for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
    if (!strcmp(argv[i], commands[k].name))
      return commands[k].run(&c);
  if (!strcmp(argv[i], "help")) {
    fputs(usage, stdout);
    return CLI_OK;
  }
  return cli_usage_error("unknown command '%s'", argv[i]);
}

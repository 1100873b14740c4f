/*
 * push_cmd.c - `larder push PUSH_SOURCE FILE [--to ...]`: the rows of a
 * file pushed through a push source, as the server's /push pushes a df:
 * into every online view the push source feeds, appended to its offline
 * store (one Parquet file in its folder), or both, offline first.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { PUSH_TO, PUSH_IGNORE_EXTRA };

/* The --to value as LR_PUSH_* flags, or 0 when it is none of them. */
static unsigned push_mode(const char *text) {
  if (!text || !strcmp(text, "online"))
    return LR_PUSH_ONLINE;
  if (!strcmp(text, "offline"))
    return LR_PUSH_OFFLINE;
  if (!strcmp(text, "online_and_offline"))
    return LR_PUSH_ONLINE_AND_OFFLINE;
  return 0;
}

/* What the push wrote, a line per side. */
static void print_pushed(const char *source, unsigned to,
                         const lr_push_stats *st) {
  if (to & LR_PUSH_OFFLINE)
    printf("Appended %zu row%s to the offline store of %s.\n",
           st->offline_rows, st->offline_rows == 1 ? "" : "s", source);
  if (to & LR_PUSH_ONLINE)
    printf("Wrote %zu row%s to %d online view%s (%zu older than the stored "
           "rows were skipped).\n", st->rows_written,
           st->rows_written == 1 ? "" : "s", st->views,
           st->views == 1 ? "" : "s", st->rows_skipped);
}

static int cmd_push(cli *c) {
  const char *source = c->operand[0], *file = c->operand[1];
  unsigned to = push_mode(cli_value(c, PUSH_TO));
  if (!to)
    return cli_usage_error("--to is '%s': give online, offline or "
                           "online_and_offline", cli_value(c, PUSH_TO));
  unsigned flags = c->given[PUSH_IGNORE_EXTRA]
                       ? LR_WRITE_IGNORE_EXTRA_COLUMNS : 0;
  lr_offline *off = NULL;
  lr_push_stats st;
  int rc = lr_offline_open(c->repo, &off);
  if (rc == 0)
    rc = lr_push_file(off, source, to, file, flags, &st);
  int status = rc ? cli_fail("push", rc, lr_offline_errmsg(off)) : CLI_OK;
  if (rc == 0)
    print_pushed(source, to, &st);
  lr_offline_close(off);
  return status;
}

static const cli_operand push_operands[] = {
    {"PUSH_SOURCE", "the push source to push through"},
    {"FILE", "a .csv, .jsonl, .json or .parquet file of rows: every join key, "
             "event_timestamp, optionally created_timestamp, and the features "
             "of the views the push source feeds"},
};

static const cli_option push_options[] = {
    [PUSH_TO] = {"--to", "WHERE",
                 "online (the default): into every online view the push "
                 "source feeds; offline: appended to its offline store, "
                 "which historical and materialize read with the batch "
                 "source; online_and_offline: both, offline first",
                 0, 0},
    [PUSH_IGNORE_EXTRA] = {"--ignore-extra-columns", NULL,
                           "skip the file's columns that no view the push "
                           "source feeds has (without it, they are refused)",
                           0, 0}};

const cli_command cli_push_command = {
    "push", "push rows through a push source, online or offline",
    "Push the rows of FILE through PUSH_SOURCE, as the server's /push does: "
    "into every online feature view whose source is the push source (newer "
    "rows win), appended to the push source's offline store as one Parquet "
    "file (read by historical and materialize together with its batch "
    "source), or both. Every row is checked for every view first: a bad "
    "cell writes nothing.",
    push_operands, CLI_COUNT(push_operands), push_options,
    CLI_COUNT(push_options), cmd_push};

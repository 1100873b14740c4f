/*
 * offline_cmds.c - the commands on the offline store: historical,
 * materialize and materialize-incremental, with their progress line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "larder.h"

enum { MAX_ITEMS = 4096 };

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Progress on a terminal: what is done, its rate and, only when the
 * library knows the total, how much there is and the time left. Each
 * `what` (a view) gets its own line, redrawn in place. The time left
 * divides by the recent rate (smoothed over the draws), not the average
 * since the start: a sort or a pass read again before the rows flow would
 * otherwise make it several times too long. */
typedef struct progress {
  double started;               /* when the current line's work began */
  double last;                  /* when the line was last drawn */
  unsigned long long last_done; /* its rows then */
  double recent;                /* rows/s lately; 0 before a second draw */
  const char *rows;             /* what the rows counted are */
  char what[128];               /* the line being drawn, "" when none */
} progress;

/* Takes the draw of `done` rows at `now` into p's rates. */
static void update_rates(progress *p, int same, unsigned long long done,
                         double now) {
  if (!same || done < p->last_done) /* a new view, or a pass begun again */
    p->recent = 0;
  else if (now > p->last) {
    double lately = (double)(done - p->last_done) / (now - p->last);
    p->recent = p->recent > 0 ? (p->recent + lately) / 2 : lately;
  }
  p->last = now;
  p->last_done = done;
}

static void show_progress(void *ctx, const char *what, unsigned long long done,
                          unsigned long long total) {
  progress *p = ctx;
  double now = now_seconds();
  int same = !strcmp(p->what, what);
  int finished = total && done >= total; /* always drawn */
  if (same && !finished && now - p->last < 0.2)
    return;
  if (!same && p->what[0]) { /* the next view began as the last ended */
    fputc('\n', stderr);
    p->started = p->last;
  }
  snprintf(p->what, sizeof p->what, "%s", what);
  update_rates(p, same, done, now);
  double average = done / (now - p->started + 1e-9);
  fprintf(stderr, "\r  %s: %llu", what, done);
  if (total)
    fprintf(stderr, " of %llu", total);
  fprintf(stderr, " %s, %.0f rows/s", p->rows,
          finished || !p->recent ? average : p->recent);
  if (total > done && p->recent > 0)
    fprintf(stderr, ", ETA %.0fs", (double)(total - done) / p->recent);
  fputs("   ", stderr);
}

/* Ends the line being drawn, if any, before what comes next. */
static void progress_end(progress *p) {
  if (p->what[0])
    fputc('\n', stderr);
  p->what[0] = '\0';
}

/* The progress callback when stderr is a terminal (setting *ctx to p),
 * else NULL: logs and pipes get only the summary line. `rows` says what
 * is counted ("source rows"). */
static lr_progress_fn progress_on_terminal(progress *p, void **ctx,
                                           const char *rows) {
  *p = (progress){.started = now_seconds(), .rows = rows};
  if (!isatty(2))
    return NULL;
  *ctx = p;
  return show_progress;
}

enum {
  HIST_ENTITIES,
  HIST_ENTITIES_SQL,
  HIST_FEATURES,
  HIST_SERVICE,
  HIST_FULL_NAMES,
  HIST_OUTPUT,
  HIST_TIMESTAMP_UNIT,
  HIST_CHECKS
};

typedef struct historical_args {
  lr_historical_spec spec;
  char *features;
  const char *refs[MAX_ITEMS];
} historical_args;

/* --checks fail|warn|off into spec->checks; CLI_USAGE for another. */
static int historical_checks(const cli *c, lr_historical_spec *spec) {
  static const char *const modes[] = {"fail", "warn", "off"};
  const char *mode = cli_value(c, HIST_CHECKS);
  for (int i = 0; mode && i < 3; i++)
    if (!strcmp(mode, modes[i])) {
      spec->checks = i; /* LR_CHECKS_FAIL, _WARN, _OFF */
      return 0;
    }
  return mode ? cli_usage_error("--checks is fail, warn or off, not '%s'",
                                mode)
              : 0;
}

static void historical_spec(const cli *c, historical_args *a) {
  a->spec.entities_file = cli_value(c, HIST_ENTITIES);
  a->spec.entities_sql = cli_value(c, HIST_ENTITIES_SQL);
  a->spec.service = cli_value(c, HIST_SERVICE);
  a->spec.output = cli_value(c, HIST_OUTPUT);
  a->spec.full_feature_names = c->given[HIST_FULL_NAMES];
  a->spec.timestamp_unit = cli_value(c, HIST_TIMESTAMP_UNIT);
  const char *features = cli_value(c, HIST_FEATURES);
  if (features && (a->features = strdup(features)) != NULL) {
    a->spec.n_features = cli_split_list(a->features, a->refs, MAX_ITEMS);
    a->spec.features = a->refs;
  }
}

/* A note of a materialization (a view reloaded, and why; what its checks
 * found) or of a training set's checks, on stdout before the summary
 * line. */
static void print_note(void *ctx, const char *text) {
  (void)ctx;
  printf("%s\n", text);
  fflush(stdout);
}

static int cmd_historical(cli *c) {
  historical_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  historical_spec(c, a);
  int usage = historical_checks(c, &a->spec);
  if (usage) {
    free(a->features);
    free(a);
    return usage;
  }
  a->spec.note = print_note;
  progress p;
  a->spec.progress = progress_on_terminal(&p, &a->spec.progress_ctx,
                                         "rows processed");
  lr_offline *off = NULL;
  unsigned long long rows = 0;
  int rc = lr_offline_open(c->repo, &off);
  if (rc == 0)
    rc = lr_offline_set_verbose(off, c->verbose);
  if (rc == 0)
    rc = lr_get_historical_features(off, &a->spec, &rows);
  progress_end(&p);
  int status = rc ? cli_fail("historical", rc, lr_offline_errmsg(off))
                  : CLI_OK;
  if (rc == 0)
    printf("Wrote %llu rows to %s.\n", rows, a->spec.output);
  lr_offline_close(off);
  free(a->features);
  free(a);
  return status;
}

static const cli_option historical_options[] = {
    [HIST_ENTITIES] = {"--entities", "FILE",
                       "the entity rows: a .parquet or .csv file (relative to "
                       "the current folder) with the join keys and a "
                       "timestamp column",
                       0, 1},
    [HIST_ENTITIES_SQL] = {"--entities-sql", "QUERY",
                           "the entity rows as a DuckDB query (paths in it "
                           "relative to the repo)",
                           0, 1},
    [HIST_FEATURES] = {"--features", "VIEW:FEATURE,...",
                       "the features to join, in the order they come out", 0,
                       2},
    [HIST_SERVICE] = {"--service", "NAME", "the features of a feature service",
                      0, 2},
    [HIST_FULL_NAMES] = {"--full-feature-names", NULL,
                         "name feature columns view__feature", 0, 0},
    [HIST_OUTPUT] = {"--output", "FILE",
                     "the training set to write: .parquet or .csv (replaced "
                     "if present)",
                     CLI_REQUIRED, 0},
    [HIST_TIMESTAMP_UNIT] = {"--timestamp-unit", "UNIT",
                             "the unit of epoch numbers in the entity rows' "
                             "timestamp column: s (the default), ms, us or "
                             "ns",
                             0, 0},
    [HIST_CHECKS] = {"--checks", "MODE",
                     "the joined views' checks over the rows the set reads: "
                     "fail (the default: a rule that does not pass stops "
                     "it), warn (report and write) or off; rows are never "
                     "filtered",
                     0, 0},
};

const cli_command cli_historical_command = {
    "historical", "write a point-in-time-correct training set",
    "Write a point-in-time-correct training set: for each entity row and "
    "each feature view, the source row with equal join keys and the greatest "
    "event time not after the entity row's (and within the view's ttl). "
    "Exactly one output row per entity row, in input order. On a terminal, "
    "progress goes to stderr.",
    NULL, 0, historical_options, CLI_COUNT(historical_options),
    cmd_historical};

enum { MAT_VIEWS };

typedef struct materialize_args {
  lr_materialize_spec spec;
  char *views;
  const char *names[MAX_ITEMS];
} materialize_args;

/* The times (START END, or END) and --views into `a`. */
static int materialize_spec(const cli *c, materialize_args *a) {
  int n_times = c->command->n_operands;
  long long now = (long long)time(NULL) * 1000000;
  long long *dest[2] = {n_times == 2 ? &a->spec.start_us : &a->spec.end_us,
                        &a->spec.end_us};
  for (int t = 0; t < n_times; t++)
    if (lr_parse_time(c->operand[t], now, dest[t]) != 0)
      return cli_usage_error("'%s' is not a time: write ISO 8601 "
                             "(2024-01-01T10:00:00Z), now, or -7d / -3h",
                             c->operand[t]);
  const char *views = cli_value(c, MAT_VIEWS);
  if (views && (a->views = strdup(views)) != NULL) {
    a->spec.n_views = cli_split_list(a->views, a->names, MAX_ITEMS);
    a->spec.views = a->names;
  }
  return 0;
}

static int cmd_materialize(cli *c) {
  materialize_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  a->spec.incremental = c->command->n_operands == 1;
  int status = materialize_spec(c, a);
  progress p; /* the rows of the interval, before the latest per key */
  a->spec.progress = progress_on_terminal(&p, &a->spec.progress_ctx,
                                         "source rows");
  a->spec.note = print_note;
  if (status == CLI_OK) {
    lr_offline *off = NULL;
    lr_materialize_stats st;
    int rc = lr_offline_open(c->repo, &off);
    if (rc == 0)
      rc = lr_offline_set_verbose(off, c->verbose);
    if (rc == 0)
      rc = lr_materialize(off, &a->spec, &st);
    progress_end(&p);
    if (rc)
      status = cli_fail(c->command->name, rc, lr_offline_errmsg(off));
    else
      printf("Materialized %d view%s: %llu rows read, %llu written, %llu "
             "older than the stored rows skipped.\n", st.views,
             st.views == 1 ? "" : "s", st.rows_read, st.rows_written,
             st.rows_skipped);
    lr_offline_close(off);
  }
  free(a->views);
  free(a);
  return status;
}

static const cli_option materialize_options[] = {
    [MAT_VIEWS] = {"--views", "A,B",
                   "only these views (default: every online feature view; an "
                   "on-demand view stored on write loads its source view)",
                   0, 0}};

static const cli_operand interval_operands[] = {
    {"START", "the start of the interval (inclusive)"},
    {"END", "the end of the interval (inclusive); times are ISO 8601 "
            "(2024-01-01T10:00:00Z, naive = UTC), now, or relative to now "
            "(-7d, -3h, +1h)"},
};

const cli_command cli_materialize_command = {
    "materialize", "load the latest rows in [START, END] online",
    "Load, for each online feature view, the latest source row per entity "
    "with START <= event time <= END into the online store, newer wins. "
    "Each view's load is one transaction that also records the interval "
    "loaded. On a terminal, progress goes to stderr.",
    interval_operands, 2, materialize_options,
    CLI_COUNT(materialize_options), cmd_materialize};

const cli_command cli_materialize_incremental_command = {
    "materialize-incremental", "load from where the last load ended",
    "Load each online feature view from where its last load ended (the "
    "first time from END - ttl, or from the beginning when the ttl is 0) to "
    "END, as `materialize` does.",
    interval_operands + 1, 1, materialize_options,
    CLI_COUNT(materialize_options), cmd_materialize};

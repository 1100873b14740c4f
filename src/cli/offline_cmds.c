/*
 * offline_cmds.c - the commands on the offline store: historical,
 * materialize and materialize-incremental.
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

/* Progress on a terminal: rows, rate and an estimate of the time left
 * (the total is an upper bound: rows in the window before keeping the
 * latest per entity). */
typedef struct progress {
  double started, last;
} progress;

static void show_progress(void *ctx, const char *view, unsigned long long done,
                          unsigned long long total) {
  progress *p = ctx;
  double now = now_seconds();
  if (done < total && now - p->last < 0.2)
    return;
  p->last = now;
  double rate = done / (now - p->started + 1e-9);
  double eta = total > done && rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\r  %s: %llu rows, %.0f rows/s, ETA %.0fs   ", view, done,
          rate, eta);
  if (done >= total)
    fputc('\n', stderr);
}

/* The progress callback when stderr is a terminal (setting *ctx to p),
 * else NULL: logs and pipes get only the summary line. */
static lr_progress_fn progress_on_terminal(progress *p, void **ctx) {
  if (!isatty(2))
    return NULL;
  *ctx = p;
  return show_progress;
}

typedef struct historical_args {
  lr_historical_spec spec;
  char *features;
  const char *refs[MAX_ITEMS];
} historical_args;

static int parse_historical(cli *c, historical_args *a) {
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    int more = i + 1 < c->argc;
    if (!strcmp(arg, "--full-feature-names"))
      a->spec.full_feature_names = 1;
    else if (!strcmp(arg, "--entities") && more)
      a->spec.entities_file = c->argv[++i];
    else if (!strcmp(arg, "--entities-sql") && more)
      a->spec.entities_sql = c->argv[++i];
    else if (!strcmp(arg, "--service") && more)
      a->spec.service = c->argv[++i];
    else if (!strcmp(arg, "--output") && more)
      a->spec.output = c->argv[++i];
    else if (!strcmp(arg, "--features") && more && !a->features)
      a->features = strdup(c->argv[++i]);
    else
      return cli_usage_error("historical: unexpected argument '%s'", arg);
  }
  if (!a->spec.entities_file == !a->spec.entities_sql)
    return cli_usage_error("historical needs --entities FILE or "
                           "--entities-sql QUERY (one of them)");
  if (!a->features == !a->spec.service)
    return cli_usage_error("historical needs --features V:F,... or --service "
                           "NAME (one of them)");
  if (!a->spec.output)
    return cli_usage_error("historical needs --output FILE(.parquet|.csv)");
  if (a->features) {
    a->spec.n_features = cli_split_list(a->features, a->refs, MAX_ITEMS);
    a->spec.features = a->refs;
  }
  return 0;
}

int cli_historical(cli *c) {
  historical_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  int status = parse_historical(c, a);
  progress p = {now_seconds(), 0};
  a->spec.progress = progress_on_terminal(&p, &a->spec.progress_ctx);
  if (status == CLI_OK) {
    lr_offline *off = NULL;
    unsigned long long rows = 0;
    int rc = lr_offline_open(c->repo, &off);
    if (rc == 0)
      rc = lr_get_historical_features(off, &a->spec, &rows);
    if (rc)
      status = cli_fail("historical", rc, lr_offline_errmsg(off));
    else
      printf("Wrote %llu rows to %s.\n", rows, a->spec.output);
    lr_offline_close(off);
  }
  free(a->features);
  free(a);
  return status;
}

typedef struct materialize_args {
  lr_materialize_spec spec;
  char *views;
  const char *names[MAX_ITEMS];
  const char *times[2];
  int n_times;
} materialize_args;

static int parse_materialize(cli *c, materialize_args *a, int want_times) {
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    if (!strcmp(arg, "--views") && i + 1 < c->argc && !a->views)
      a->views = strdup(c->argv[++i]);
    else if (arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9'))
      return cli_usage_error("materialize: unknown flag '%s'", arg);
    else if (a->n_times < want_times)
      a->times[a->n_times++] = arg;
    else
      return cli_usage_error("materialize: unexpected argument '%s'", arg);
  }
  if (a->n_times != want_times)
    return cli_usage_error(want_times == 2
                               ? "materialize needs START and END"
                               : "materialize-incremental needs END");
  long long now = (long long)time(NULL) * 1000000;
  long long *dest[2] = {want_times == 2 ? &a->spec.start_us : &a->spec.end_us,
                        &a->spec.end_us};
  for (int t = 0; t < want_times; t++)
    if (lr_parse_time(a->times[t], now, dest[t]) != 0)
      return cli_usage_error("'%s' is not a time: write ISO 8601 "
                             "(2024-01-01T10:00:00Z), now, or -7d / -3h",
                             a->times[t]);
  if (a->views) {
    a->spec.n_views = cli_split_list(a->views, a->names, MAX_ITEMS);
    a->spec.views = a->names;
  }
  return 0;
}

/* A note of the materialization (a view reloaded, and why), on stdout
 * before the summary line. */
static void print_note(void *ctx, const char *text) {
  (void)ctx;
  printf("%s\n", text);
  fflush(stdout);
}

static int run_materialize(cli *c, int incremental) {
  materialize_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  a->spec.incremental = incremental;
  int status = parse_materialize(c, a, incremental ? 1 : 2);
  progress p = {now_seconds(), 0};
  a->spec.progress = progress_on_terminal(&p, &a->spec.progress_ctx);
  a->spec.note = print_note;
  if (status == CLI_OK) {
    lr_offline *off = NULL;
    lr_materialize_stats st;
    int rc = lr_offline_open(c->repo, &off);
    if (rc == 0)
      rc = lr_materialize(off, &a->spec, &st);
    if (rc)
      status = cli_fail(incremental ? "materialize-incremental" : "materialize",
                        rc, lr_offline_errmsg(off));
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

int cli_materialize(cli *c) { return run_materialize(c, 0); }
int cli_materialize_incremental(cli *c) { return run_materialize(c, 1); }

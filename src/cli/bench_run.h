/*
 * bench_run.h - a `larder bench` run, shared by the files that make one:
 * bench_cmd.c reads the command line and runs the threads, bench_report.c
 * prints the report and appends the --csv row.
 */
#ifndef LR_CLI_BENCH_RUN_H
#define LR_CLI_BENCH_RUN_H

#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"
#include "http_client.h"
#include "latency.h"

/* Limits of the command line; every CHECK_EVERY-th lookup's values are
 * checked for their status (the report's "present"). */
enum {
  MAX_REFS = 4096,
  MAX_REQUEST = 64,
  MAX_BATCH = 10000,
  MAX_THREADS = 256,
  CHECK_EVERY = 8
};

/* The command line. */
typedef struct bench_args {
  char *features; /* --features, a copy split in place */
  const char *refs[MAX_REFS];
  int n_refs;
  const char *service; /* --service */
  keys_spec keys;      /* --entities, --random, --request */
  char *request[MAX_REQUEST];
  int batch, threads;
  double duration_s, warmup_s;
  const char *url;        /* --http */
  const char *token_file; /* --token-file, with --http */
  const char *csv;        /* --csv */
  unsigned long long seed;
} bench_args;

typedef struct bench bench;

/* One thread's state. */
typedef struct worker {
  bench *b;
  uint64_t rng;
  lr_value *keys; /* batch x n_keys */
  const char **texts;
  lr_result *res;   /* in process */
  http_client http; /* --http */
  text body;
  const char *answer; /* --http: the last answer's body */
  size_t answer_len;
  latency *hist;
  _Atomic unsigned long long measured;
  unsigned long long warm, checked, present;
  int ready; /* set up: cleanup() is due */
  char error[1024];
  pthread_t thread;
} worker;

/* How a lookup is made: in process or over HTTP. */
typedef struct mode {
  int (*setup)(worker *w);   /* the thread's own resources */
  int (*build)(worker *w);   /* draws keys, before the clock starts */
  int (*execute)(worker *w); /* timed */
  void (*count)(worker *w);  /* adds to checked and present */
  void (*cleanup)(worker *w);
} mode;

struct bench {
  const bench_args *a;
  const mode *m;
  lr_store *store;
  lr_request *req;
  int n_features;
  bench_keys keys;
  text prefix;         /* --http: the body's features member */
  char *authorization; /* --http with --token-file */
  unsigned long long open_ns, first_ns;
  long long store_bytes;
  unsigned long long started, warm_until, stop_at;
  atomic_int failed;
  worker *workers;
  latency total;
};

/* Prints the report of a finished run of `repo` on stdout. */
void bench_print_report(const bench *b, const char *repo);

/* Whether --csv file `path` is missing or empty (*needs_header) or starts
 * with this version's header; CLI_FAILED after saying why otherwise. */
int bench_check_csv(const char *path, int *needs_header);

/* Appends the run to --csv, after the header when the file is new;
 * CLI_FAILED after saying why when it cannot. */
int bench_append_csv(const bench *b, const char *repo);

#endif

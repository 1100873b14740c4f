/*
 * common.h - what the benchmark programs in bench/ share: a monotonic
 * clock, seeded random numbers and the latency histogram (the ones
 * `larder bench` uses, src/cli/), failing loudly, small files, and the
 * rows of the report.
 *
 * A row is one line on stdout: `csv:` and then the columns of
 * bench/results/latest.csv,
 *   scenario,system,params,throughput,p50,p90,p99,p999,max,units
 * where `units` says the unit of the throughput and of the latency
 * columns ("lookups/s; us"); a figure that does not apply is empty.
 * Every other line a program prints is a note for the log.
 */
#ifndef LR_BENCH_COMMON_H
#define LR_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/latency.h"
#include "cli/xorshift.h"

/* Nanoseconds on the monotonic clock. */
static inline double bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Reports a failure of program `who` and exits 1. */
static inline void bench_die(const char *who, const char *what,
                             const char *msg) {
  fprintf(stderr, "%s: %s: %s\n", who, what, msg ? msg : "");
  exit(1);
}

/* Writes `text` to `path` (replacing it), or dies. */
static inline void bench_write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0)
    bench_die("bench", "cannot write", path);
}

/* The first line of `path` (without its newline) into `out`; "" when the
 * file is missing. */
static inline void bench_read_line(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  out[0] = '\0';
  if (f && !fgets(out, (int)cap, f))
    out[0] = '\0';
  if (f)
    fclose(f);
  out[strcspn(out, "\n")] = '\0';
}

/* A row with latency percentiles (from `h`, in microseconds) and a
 * throughput in `unit` per second. */
static inline void bench_row(const char *scenario, const char *system,
                             const char *params, double throughput,
                             const char *unit, const latency *h) {
  printf("csv:%s,%s,%s,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%s; us\n", scenario,
         system, params, throughput, latency_quantile(h, 0.5) / 1e3,
         latency_quantile(h, 0.9) / 1e3, latency_quantile(h, 0.99) / 1e3,
         latency_quantile(h, 0.999) / 1e3, h->max_ns / 1e3, unit);
  fflush(stdout);
}

/* A row of one figure in the throughput column (`unit`), and optionally
 * the duration of a single run in seconds in the max column (< 0: none). */
static inline void bench_figure(const char *scenario, const char *system,
                                const char *params, double value,
                                const char *unit, double seconds) {
  if (seconds >= 0)
    printf("csv:%s,%s,%s,%.1f,,,,,%.3f,%s; s\n", scenario, system, params,
           value, seconds, unit);
  else
    printf("csv:%s,%s,%s,%.1f,,,,,,%s; -\n", scenario, system, params, value,
           unit);
  fflush(stdout);
}

#endif

/*
 * latency.h - a latency histogram for benchmarks: log-linear buckets over
 * nanoseconds, exact below 128 ns and within 1/64 (1.6%) above, up to any
 * 64-bit value. Recording is a few instructions and allocation-free; each
 * thread records into its own histogram and the histograms are merged at
 * the end. Percentiles are read back as the middle of their bucket,
 * clamped to the exact smallest and largest values seen.
 */
#ifndef LR_CLI_LATENCY_H
#define LR_CLI_LATENCY_H

/* 128 exact buckets, then 64 buckets per power of two up to 2^64. */
enum { LATENCY_SUB_BUCKETS = 64, LATENCY_BUCKETS = 64 * 59 };

typedef struct latency {
  unsigned long long count;
  unsigned long long min_ns, max_ns;
  double sum_ns;
  unsigned long long buckets[LATENCY_BUCKETS];
} latency;

/* Empties `h`. */
void latency_reset(latency *h);

/* Counts one measurement of `ns` nanoseconds. */
void latency_record(latency *h, unsigned long long ns);

/* Adds every measurement of `from` to `into`. */
void latency_merge(latency *into, const latency *from);

/* The value at quantile `q` (0..1, e.g. 0.999) in nanoseconds: the middle
 * of the smallest bucket holding at least q of the measurements (the exact
 * smallest and largest values at either end). 0 when empty. */
unsigned long long latency_quantile(const latency *h, double q);

/* The mean in nanoseconds; 0 when empty. */
double latency_mean(const latency *h);

#endif

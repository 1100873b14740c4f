/*
 * latency.c - the benchmark latency histogram (see latency.h).
 *
 * Bucket layout: values 0..127 have a bucket each. A larger value with its
 * highest set bit at position m keeps its top 7 bits: mantissa = v >> s
 * (64..127) with s = m - 6, and lands in bucket 64 * s + mantissa, which
 * continues the exact range without a gap (128 -> bucket 128).
 */
#include "latency.h"

#include <math.h>
#include <string.h>

void latency_reset(latency *h) { memset(h, 0, sizeof *h); }

/* The bucket of value `v` (see the layout above). */
static int bucket_of(unsigned long long v) {
  if (v < 2ull * LATENCY_SUB_BUCKETS)
    return (int)v;
  int shift = 63 - __builtin_clzll(v) - 6;
  return LATENCY_SUB_BUCKETS * shift + (int)(v >> shift);
}

/* The smallest value of bucket `b` and the bucket's width. */
static void bucket_range(int b, unsigned long long *low,
                         unsigned long long *width) {
  if (b < 2 * LATENCY_SUB_BUCKETS) {
    *low = (unsigned long long)b;
    *width = 1;
    return;
  }
  int shift = b / LATENCY_SUB_BUCKETS - 1;
  unsigned long long mantissa =
      (unsigned long long)(b % LATENCY_SUB_BUCKETS) + LATENCY_SUB_BUCKETS;
  *low = mantissa << shift;
  *width = 1ull << shift;
}

void latency_record(latency *h, unsigned long long ns) {
  if (h->count == 0 || ns < h->min_ns)
    h->min_ns = ns;
  if (ns > h->max_ns)
    h->max_ns = ns;
  h->count++;
  h->sum_ns += (double)ns;
  h->buckets[bucket_of(ns)]++;
}

void latency_merge(latency *into, const latency *from) {
  if (from->count == 0)
    return;
  if (into->count == 0 || from->min_ns < into->min_ns)
    into->min_ns = from->min_ns;
  if (from->max_ns > into->max_ns)
    into->max_ns = from->max_ns;
  into->count += from->count;
  into->sum_ns += from->sum_ns;
  for (int b = 0; b < LATENCY_BUCKETS; b++)
    into->buckets[b] += from->buckets[b];
}

unsigned long long latency_quantile(const latency *h, double q) {
  if (h->count == 0)
    return 0;
  double wanted = ceil(q * (double)h->count);
  unsigned long long rank = wanted < 1 ? 1 : (unsigned long long)wanted;
  if (rank >= h->count)
    return h->max_ns; /* the largest value is known exactly */
  if (rank == 1)
    return h->min_ns;
  unsigned long long seen = 0;
  int b = 0;
  for (; b < LATENCY_BUCKETS - 1; b++) {
    seen += h->buckets[b];
    if (seen >= rank)
      break;
  }
  unsigned long long low, width;
  bucket_range(b, &low, &width);
  unsigned long long mid = low + width / 2;
  if (mid < h->min_ns)
    return h->min_ns;
  return mid > h->max_ns ? h->max_ns : mid;
}

double latency_mean(const latency *h) {
  return h->count ? h->sum_ns / (double)h->count : 0;
}

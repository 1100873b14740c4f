/*
 * drift_math.c - the scores of lr_drift (drift.h), from counts in the
 * same bins, percentile curves, or sorted samples. The rules and their
 * reasons are in docs/internals/stats.md.
 */
#include <math.h>

#include "drift.h"

/* A bin's share, an empty bin's taken as LR__PSI_EPSILON (so that the
 * logarithm is finite: the share is not renormalized). */
static double smoothed(unsigned long long count, unsigned long long total) {
  double share = (double)count / (double)total;
  return share > 0 ? share : LR__PSI_EPSILON;
}

double lr__drift_psi(const unsigned long long *ref,
                     const unsigned long long *cur, int n_bins,
                     unsigned long long n, unsigned long long m) {
  double psi = 0;
  for (int b = 0; b < n_bins; b++) {
    double p = smoothed(ref[b], n), q = smoothed(cur[b], m);
    psi += (q - p) * log(q / p);
  }
  return psi;
}

/* x log2(x / y), 0 when x is 0 (its limit). */
static double kl_term(double x, double y) {
  return x > 0 ? x * log2(x / y) : 0;
}

double lr__drift_js(const unsigned long long *ref,
                    const unsigned long long *cur, int n_bins,
                    unsigned long long n, unsigned long long m) {
  double js = 0;
  for (int b = 0; b < n_bins; b++) {
    double p = (double)ref[b] / (double)n, q = (double)cur[b] / (double)m;
    double mid = (p + q) / 2;
    js += kl_term(p, mid) / 2 + kl_term(q, mid) / 2;
  }
  return js < 0 ? 0 : js; /* rounding of identical shares */
}

double lr__drift_wasserstein(const double *ref_pct, const double *cur_pct,
                             int n_pct) {
  double w = 0;
  for (int i = 0; i + 1 < n_pct; i++)
    w += (fabs(ref_pct[i] - cur_pct[i]) + fabs(ref_pct[i + 1] -
                                               cur_pct[i + 1])) / 2;
  return w / (n_pct - 1);
}

/* The Kolmogorov distribution's tail Q(lambda) = 2 sum (-1)^(j-1)
 * exp(-2 j^2 lambda^2), summed until its terms vanish. */
static double kolmogorov_tail(double lambda) {
  if (lambda < 1e-3)
    return 1;
  double sum = 0, sign = 1;
  for (int j = 1; j <= 100; j++) {
    double term = sign * exp(-2.0 * j * j * lambda * lambda);
    sum += term;
    if (fabs(term) < 1e-12 * fabs(sum))
      break;
    sign = -sign;
  }
  double p = 2 * sum;
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

double lr__drift_ks(const double *a, size_t n, const double *b, size_t m,
                    double *p_value) {
  size_t i = 0, j = 0;
  double d = 0;
  while (i < n && j < m) {
    double x = a[i] <= b[j] ? a[i] : b[j];
    while (i < n && a[i] <= x)
      i++;
    while (j < m && b[j] <= x)
      j++;
    double gap = fabs((double)i / (double)n - (double)j / (double)m);
    if (gap > d)
      d = gap;
  }
  double en = sqrt((double)n * (double)m / (double)(n + m));
  *p_value = kolmogorov_tail((en + 0.12 + 0.11 / en) * d);
  return d;
}

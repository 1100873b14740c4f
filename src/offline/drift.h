/*
 * drift.h - the scores lr_drift gives (drift_math.c), over two samples'
 * counts in the same bins, their percentile curves, or their values.
 */
#ifndef LR_OFFLINE_DRIFT_H
#define LR_OFFLINE_DRIFT_H

#include <stddef.h>

/* The share an empty bin counts as in the PSI. */
#define LR__PSI_EPSILON 1e-4

/* The population stability index of counts cur (m in all) against ref (n
 * in all, both > 0) in the same n_bins bins: sum (q - p) ln(q / p) over
 * the shares, an empty bin's share taken as LR__PSI_EPSILON. */
double lr__drift_psi(const unsigned long long *ref,
                     const unsigned long long *cur, int n_bins,
                     unsigned long long n, unsigned long long m);

/* The Jensen-Shannon divergence (base 2: 0 to 1) of the same shares,
 * unsmoothed. */
double lr__drift_js(const unsigned long long *ref,
                    const unsigned long long *cur, int n_bins,
                    unsigned long long n, unsigned long long m);

/* The 1-Wasserstein distance between two quantile curves given at n_pct
 * evenly spaced levels 0..1: the trapezoid rule over |Q_ref - Q_cur|. */
double lr__drift_wasserstein(const double *ref_pct, const double *cur_pct,
                             int n_pct);

/* The two-sample Kolmogorov-Smirnov statistic of sorted samples a (n) and
 * b (m), both non-empty, and its asymptotic p-value (Kolmogorov's
 * distribution at (sqrt(nm/(n+m)) + 0.12 + 0.11/sqrt(nm/(n+m))) D). */
double lr__drift_ks(const double *a, size_t n, const double *b, size_t m,
                    double *p_value);

#endif

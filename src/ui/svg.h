/*
 * svg.h - the UI's charts, drawn by the server as inline SVG (no script,
 * no style sheet of their own): bars (a histogram, the counts of
 * categories) and lines (a score over time). Each chart is an image with
 * an accessible name, each bar and point a <title> with its exact value,
 * and every text escaped.
 */
#ifndef LR_UI_SVG_H
#define LR_UI_SVG_H

#include "../util/buf.h"

/* The bar chart's size, in CSS pixels. */
enum { LR__SVG_WIDTH = 520, LR__SVG_HEIGHT = 180 };

/* Appends a bar chart named `title`: bar i of height values[i] (>= 0;
 * the tallest fills the plot) and hover text labels[i] ("0.1 .. 0.2:
 * 4032"). axis_low and axis_high (may be NULL) are written under the
 * first and the last bar. n 0 draws an empty frame saying "no data". */
void lr__svg_bars(lr__buf *out, const char *title, const char *const *labels,
                  const double *values, int n, const char *axis_low,
                  const char *axis_high);

/* A line of a line chart: n points (x[i], y[i]), x ascending. */
typedef struct lr__svg_series {
  const char *name;
  const double *x, *y;
  int n;
} lr__svg_series;

/* Appends a line chart named `title` of the series (a legend names
 * them): x from the smallest to the largest x of all, y from 0 (or the
 * smallest y, when below 0) to the largest; x_low and x_high label the x
 * axis' ends. Points that are not finite are left out. */
void lr__svg_lines(lr__buf *out, const char *title, const lr__svg_series *s,
                   int n_series, const char *x_low, const char *x_high);

/* An equal-width histogram of a number feature from its 101 percentiles
 * (pct[0] the minimum, pct[100] the maximum) and its count of finite
 * values: the 1% of values between two neighbouring percentiles is spread
 * evenly between them. Writes n_bins + 1 edges and n_bins counts; when
 * every percentile is one value, a single bin holds them all (returns 1).
 * Returns the number of bins written. */
int lr__svg_histogram_from_pct(const double *pct, double count, int n_bins,
                               double *edges, double *counts);

#endif

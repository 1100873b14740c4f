/*
 * svg.c - the charts of svg.h. Coordinates are written with one decimal;
 * colours are ones that keep a contrast of at least 3:1 against the white
 * plot (WCAG's for graphics).
 */
#include "svg.h"

#include <math.h>
#include <stdio.h>

#include "html.h"

/* The plot's margins inside the image. */
enum { PAD_LEFT = 64, PAD_RIGHT = 12, PAD_TOP = 12, PAD_BOTTOM = 28 };

/* The series' colours, in order (then again). */
static const char *const palette[] = {"#0b5cad", "#b35900", "#1a7f37",
                                      "#8250df", "#cf222e", "#4d5660"};

/* Opens the image of `height`: its accessible name and the frame of the
 * plot, which ends PAD_BOTTOM above `plot_bottom`. */
static void open_chart(lr__buf *out, const char *title, int height,
                       int plot_bottom) {
  lr__buf_printf(out, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/"
                 "svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                 "role=\"img\" aria-label=\"", LR__SVG_WIDTH, height,
                 LR__SVG_WIDTH, height);
  lr__html_text(out, title);
  lr__buf_puts(out, "\"><title>");
  lr__html_text(out, title);
  lr__buf_printf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
                 "height=\"%d\" fill=\"#ffffff\" stroke=\"#6e7781\"/>",
                 PAD_LEFT, PAD_TOP, LR__SVG_WIDTH - PAD_LEFT - PAD_RIGHT,
                 plot_bottom - PAD_TOP - PAD_BOTTOM);
}

/* A text at (x, y), escaped; anchor "start", "middle" or "end". */
static void text_at(lr__buf *out, double x, double y, const char *anchor,
                    const char *text) {
  lr__buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
                 "font-size=\"11\" fill=\"#24292f\">", x, y, anchor);
  lr__html_text(out, text);
  lr__buf_puts(out, "</text>");
}

/* The y axis' top and bottom values, written left of the plot. */
static void y_label(lr__buf *out, double top, double bottom) {
  char text[32];
  snprintf(text, sizeof text, "%.4g", top);
  text_at(out, PAD_LEFT - 4, PAD_TOP + 10, "end", text);
  snprintf(text, sizeof text, "%.4g", bottom);
  text_at(out, PAD_LEFT - 4, LR__SVG_HEIGHT - PAD_BOTTOM, "end", text);
}

void lr__svg_bars(lr__buf *out, const char *title, const char *const *labels,
                  const double *values, int n, const char *axis_low,
                  const char *axis_high) {
  open_chart(out, title, LR__SVG_HEIGHT, LR__SVG_HEIGHT);
  double top = 0;
  for (int i = 0; i < n; i++)
    if (values[i] > top)
      top = values[i];
  double plot_w = LR__SVG_WIDTH - PAD_LEFT - PAD_RIGHT;
  double plot_h = LR__SVG_HEIGHT - PAD_TOP - PAD_BOTTOM;
  if (n == 0 || top <= 0) {
    text_at(out, PAD_LEFT + plot_w / 2, PAD_TOP + plot_h / 2, "middle",
            "no data");
    lr__buf_puts(out, "</svg>");
    return;
  }
  y_label(out, top, 0);
  double bw = plot_w / n;
  for (int i = 0; i < n; i++) {
    double h = values[i] > 0 ? values[i] / top * plot_h : 0;
    lr__buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" "
                   "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                   PAD_LEFT + i * bw + (bw > 3 ? 0.5 : 0),
                   PAD_TOP + plot_h - h, bw > 3 ? bw - 1 : bw, h,
                   palette[0]);
    lr__html_text(out, labels[i]);
    lr__buf_puts(out, "</title></rect>");
  }
  if (axis_low)
    text_at(out, PAD_LEFT, LR__SVG_HEIGHT - PAD_BOTTOM + 14, "start",
            axis_low);
  if (axis_high)
    text_at(out, LR__SVG_WIDTH - PAD_RIGHT, LR__SVG_HEIGHT - PAD_BOTTOM + 14,
            "end", axis_high);
  lr__buf_puts(out, "</svg>");
}

/* The range of every finite point's x and y: 0 when there is none. */
static int ranges(const lr__svg_series *s, int n_series, double *x0,
                  double *x1, double *y0, double *y1) {
  int any = 0;
  *y0 = 0;
  *y1 = 0;
  for (int k = 0; k < n_series; k++)
    for (int i = 0; i < s[k].n; i++) {
      if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
        continue;
      if (!any || s[k].x[i] < *x0)
        *x0 = s[k].x[i];
      if (!any || s[k].x[i] > *x1)
        *x1 = s[k].x[i];
      *y0 = s[k].y[i] < *y0 ? s[k].y[i] : *y0;
      *y1 = s[k].y[i] > *y1 ? s[k].y[i] : *y1;
      any = 1;
    }
  return any;
}

void lr__svg_lines(lr__buf *out, const char *title, const lr__svg_series *s,
                   int n_series, const char *x_low, const char *x_high) {
  int legend = 16 * n_series;
  int height = LR__SVG_HEIGHT + legend;
  open_chart(out, title, height, height - legend);
  double plot_w = LR__SVG_WIDTH - PAD_LEFT - PAD_RIGHT;
  double plot_h = height - legend - PAD_TOP - PAD_BOTTOM;
  double x0 = 0, x1 = 0, y0, y1;
  if (!ranges(s, n_series, &x0, &x1, &y0, &y1) || y1 <= y0) {
    text_at(out, PAD_LEFT + plot_w / 2, PAD_TOP + plot_h / 2, "middle",
            "no data");
    lr__buf_puts(out, "</svg>");
    return;
  }
  y_label(out, y1, y0);
  double xs = x1 > x0 ? plot_w / (x1 - x0) : 0;
  for (int k = 0; k < n_series; k++) {
    const char *colour = palette[k % (sizeof palette / sizeof *palette)];
    lr__buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"2\" points=\"", colour);
    for (int i = 0; i < s[k].n; i++)
      if (isfinite(s[k].x[i]) && isfinite(s[k].y[i]))
        lr__buf_printf(out, "%.1f,%.1f ",
                       PAD_LEFT + (xs ? (s[k].x[i] - x0) * xs : plot_w / 2),
                       PAD_TOP + plot_h - (s[k].y[i] - y0) / (y1 - y0) *
                                              plot_h);
    lr__buf_puts(out, "\"/>");
    for (int i = 0; i < s[k].n; i++) {
      if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
        continue;
      lr__buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                     "fill=\"%s\"><title>",
                     PAD_LEFT + (xs ? (s[k].x[i] - x0) * xs : plot_w / 2),
                     PAD_TOP + plot_h - (s[k].y[i] - y0) / (y1 - y0) *
                                            plot_h, colour);
      lr__html_text(out, s[k].name);
      lr__buf_printf(out, ": %.6g</title></circle>", s[k].y[i]);
    }
    double ly = height - legend + 16.0 * k + 4;
    lr__buf_printf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"12\" "
                   "height=\"4\" fill=\"%s\"/>", PAD_LEFT, ly - 4, colour);
    text_at(out, PAD_LEFT + 18, ly, "start", s[k].name);
  }
  double axis_y = height - legend - PAD_BOTTOM + 14;
  if (x_low)
    text_at(out, PAD_LEFT, axis_y, "start", x_low);
  if (x_high)
    text_at(out, LR__SVG_WIDTH - PAD_RIGHT, axis_y, "end", x_high);
  lr__buf_puts(out, "</svg>");
}

int lr__svg_histogram_from_pct(const double *pct, double count, int n_bins,
                               double *edges, double *counts) {
  double lo = pct[0], hi = pct[100];
  if (!(hi > lo) || n_bins < 1) {
    edges[0] = lo;
    edges[1] = hi;
    counts[0] = count;
    return 1;
  }
  double width = (hi - lo) / n_bins;
  for (int j = 0; j <= n_bins; j++)
    edges[j] = j == n_bins ? hi : lo + width * j;
  for (int j = 0; j < n_bins; j++)
    counts[j] = 0;
  double mass = count / 100;
  for (int k = 0; k < 100; k++) {
    double a = pct[k], b = pct[k + 1];
    int ja = (int)((a - lo) / width), jb = (int)((b - lo) / width);
    ja = ja < 0 ? 0 : ja >= n_bins ? n_bins - 1 : ja;
    jb = jb < 0 ? 0 : jb >= n_bins ? n_bins - 1 : jb;
    if (!(b > a)) {
      counts[ja] += mass;
      continue;
    }
    for (int j = ja; j <= jb; j++) {
      double from = a > edges[j] ? a : edges[j];
      double to = b < edges[j + 1] ? b : edges[j + 1];
      if (to > from)
        counts[j] += mass * (to - from) / (b - a);
    }
  }
  return n_bins;
}

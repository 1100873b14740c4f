/*
 * metrics_views.c - the per-view series of /metrics (metrics.h): feature
 * values served by view and status, counted lock-free by the lookups, and
 * each view's freshness as its store records it (online/freshness.h)
 * and as its freshness check expects it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../online/freshness.h"
#include "../online/introspect.h"
#include "metrics.h"

int lr__metrics_view_index(const lr__metrics *m, const char *view) {
  for (int i = 0; i < m->n_served; i++)
    if (strcmp(m->served[i].name, view) == 0)
      return i;
  return -1;
}

int lr__metrics_add_views(lr__metrics *m, lr_store *store) {
  const lr__model *reg = lr__store_model(store);
  for (int v = 0; v < reg->n_views; v++) {
    if (lr__metrics_view_index(m, reg->views[v].name) >= 0)
      continue;
    lr__served_view *grown =
        realloc(m->served, (size_t)(m->n_served + 1) * sizeof *grown);
    if (!grown)
      return LR_ENOMEM;
    m->served = grown;
    lr__served_view *sv = &m->served[m->n_served];
    memset(sv, 0, sizeof *sv);
    if (!(sv->name = strdup(reg->views[v].name)))
      return LR_ENOMEM;
    for (int k = 0; k < LR__SERVED_STATUSES; k++)
      atomic_init(&sv->by_status[k], 0);
    m->n_served++;
  }
  return 0;
}

void lr__metrics_count_served(lr__metrics *m, const int *view_index,
                              int n_features, const lr_result *res) {
  int n_entities = 0;
  if (lr_result_count(res, &n_entities) != 0)
    return;
  for (int f = 0; f < n_features; f++) {
    if (view_index[f] < 0)
      continue;
    unsigned long long counts[LR__SERVED_STATUSES + 1] = {0};
    for (int e = 0; e < n_entities; e++) {
      lr_value v;
      if (lr_result_cell(res, e, f, &v) == 0 && v.status >= 1 &&
          v.status <= LR__SERVED_STATUSES)
        counts[v.status]++;
    }
    lr__served_view *sv = &m->served[view_index[f]];
    for (int k = 0; k < LR__SERVED_STATUSES; k++)
      if (counts[k + 1])
        atomic_fetch_add_explicit(&sv->by_status[k], counts[k + 1],
                                  memory_order_relaxed);
  }
}

void lr__metrics_free(lr__metrics *m) {
  for (int i = 0; i < m->n_served; i++)
    free(m->served[i].name);
  free(m->served);
  m->served = NULL;
  m->n_served = 0;
}

/* Appends `us` microseconds as seconds, exactly (no trailing zeros). */
static void put_seconds(lr__buf *out, int64_t us) {
  unsigned long long mag = us < 0 ? 0ULL - (unsigned long long)us
                                  : (unsigned long long)us;
  unsigned long long frac = mag % 1000000;
  lr__buf_printf(out, "%s%llu", us < 0 ? "-" : "", mag / 1000000);
  if (!frac)
    return;
  char digits[8];
  snprintf(digits, sizeof digits, "%06llu", frac);
  for (int i = 5; digits[i] == '0'; i--)
    digits[i] = '\0';
  lr__buf_printf(out, ".%s", digits);
}

/* Each view's counts by status, every status (0 too, so that a rate
 * starts from the first request). */
static void write_served(lr__metrics *m, lr__buf *out) {
  lr__buf_puts(out, "# HELP larder_features_served_total Feature values "
                    "served by lookups, per view and status.\n"
                    "# TYPE larder_features_served_total counter\n");
  for (int i = 0; i < m->n_served; i++)
    for (int k = 0; k < LR__SERVED_STATUSES; k++)
      lr__buf_printf(out, "larder_features_served_total{view=\"%s\",status="
                     "\"%s\"} %llu\n", m->served[i].name,
                     lr_status_name(k + 1),
                     atomic_load(&m->served[i].by_status[k]));
}

/* The freshness records of the stored views: a view never written, or
 * never by a path, has no line for it. */
static void write_freshness(lr_store *store, lr__buf *out) {
  const lr__model *reg = lr__store_model(store);
  lr__freshness *f = calloc((size_t)reg->n_views + 1, sizeof *f);
  if (!f)
    return;
  for (int i = 0; i < reg->n_views; i++)
    if (lr__store_freshness(store, reg->views[i].name, &f[i]) != 0)
      f[i].max_event_us = LR__FRESH_NONE; /* unreadable: left out */
  lr__buf_puts(out, "# HELP larder_view_max_event_timestamp_seconds The "
                    "newest event time a view stores.\n"
                    "# TYPE larder_view_max_event_timestamp_seconds gauge\n");
  for (int i = 0; i < reg->n_views; i++)
    if (f[i].max_event_us != LR__FRESH_NONE) {
      lr__buf_printf(out, "larder_view_max_event_timestamp_seconds{view="
                     "\"%s\"} ", reg->views[i].name);
      put_seconds(out, f[i].max_event_us);
      lr__buf_putc(out, '\n');
    }
  lr__buf_puts(out, "# HELP larder_view_last_write_timestamp_seconds When "
                    "a view was last written, per write path.\n"
                    "# TYPE larder_view_last_write_timestamp_seconds gauge\n");
  for (int i = 0; i < reg->n_views; i++)
    for (int src = 0; f[i].max_event_us != LR__FRESH_NONE &&
                      src < LR__FRESH_SOURCES; src++)
      if (f[i].last_write_us[src] != LR__FRESH_NONE) {
        lr__buf_printf(out, "larder_view_last_write_timestamp_seconds{view="
                       "\"%s\",source=\"%s\"} ", reg->views[i].name,
                       lr__fresh_source_name(src));
        put_seconds(out, f[i].last_write_us[src]);
        lr__buf_putc(out, '\n');
      }
  free(f);
}

/* The freshness a view's `freshness` checks expect, the strictest when
 * it has several: the alert rules compare the newest event time with it.
 * A view without one has no line. */
static void write_expected(lr_store *store, lr__buf *out) {
  const lr__model *reg = lr__store_model(store);
  lr__buf_puts(out, "# HELP larder_view_expected_freshness_seconds How old "
                    "a view's newest event may be, from its freshness "
                    "check.\n"
                    "# TYPE larder_view_expected_freshness_seconds gauge\n");
  for (int i = 0; i < reg->n_views; i++) {
    const lr__view *v = &reg->views[i];
    int64_t expected = lr__view_expected_freshness(v);
    if (expected >= 0)
      lr__buf_printf(out, "larder_view_expected_freshness_seconds{view="
                     "\"%s\"} %lld\n", v->name, (long long)expected);
  }
}

void lr__metrics_write_views(lr__metrics *m, lr_store *store, lr__buf *out) {
  write_served(m, out);
  if (store) {
    write_freshness(store, out);
    write_expected(store, out);
    lr__metrics_write_checks(store, out);
  }
}

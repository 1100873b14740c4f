/*
 * historical.c - point-in-time-correct training sets
 * (lr_get_historical_features), as one DuckDB statement per step:
 *
 *  1. the entity rows, numbered in input order;
 *  2. per feature view, its source rows with one row per (keys, event
 *     time): the greatest created time wins ties, so that an ASOF join,
 *     which picks the greatest event time <= the entity's, picks the row
 *     with the greatest (event_ts, created_ts);
 *  3. the entity rows ASOF LEFT JOINed with each view on its own join keys,
 *     features nulled when older than the view's ttl, ordered as the input,
 *     and written with COPY.
 *
 * An ASOF LEFT JOIN keeps every left row exactly once, so the output has
 * one row per entity row, duplicates included.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../codec/row.h"
#include "../util/fs.h"
#include "../registry/odfv.h"
#include "../util/names.h"
#include "explain.h"
#include "check.h"
#include "offline.h"

enum { MAX_KEYS = 16 };

/* One requested feature: of a feature view (joined), or of an on-demand
 * view (computed from joined features and entity columns). */
typedef struct wanted {
  const lr__view *view;
  const lr__field *field;
  int group; /* index of its view among the joined views; -1 on-demand */
} wanted;

/* The request resolved: features in order, the views to join once each
 * (those requested and those on-demand views read), and the request
 * fields on-demand views read from the entity rows. */
typedef struct plan {
  wanted *features;
  int n_features;
  const lr__view **views;
  int n_views;
  const char **fields;        /* request fields, each once */
  const lr__view **field_of;  /* the on-demand view reading each */
  int n_fields, cap_fields;
} plan;

/* The index of view v among the joined views, added when new. */
static int group_of(plan *p, const lr__view *v) {
  int g = 0;
  while (g < p->n_views && p->views[g] != v)
    g++;
  if (g == p->n_views)
    p->views[p->n_views++] = v;
  return g;
}

static int add_field(plan *p, const char *name, const lr__view *odfv) {
  for (int i = 0; i < p->n_fields; i++)
    if (!strcmp(p->fields[i], name))
      return 0;
  if (p->n_fields == p->cap_fields) {
    int cap = p->cap_fields ? p->cap_fields * 2 : 8;
    const char **f = realloc(p->fields, (size_t)cap * sizeof(const char *));
    if (f)
      p->fields = f;
    const lr__view **o = realloc(p->field_of,
                                   (size_t)cap * sizeof(const lr__view *));
    if (o)
      p->field_of = o;
    if (!f || !o)
      return LR_ENOMEM;
    p->cap_fields = cap;
  }
  p->fields[p->n_fields] = name;
  p->field_of[p->n_fields++] = odfv;
  return 0;
}

/* What on-demand feature k of v reads: its views join, its request fields
 * must be entity columns. */
static int add_inputs(lr_offline *off, plan *p, const lr__view *v, int k) {
  lr__odfv *o = NULL;
  int rc = lr__odfv_compile(&off->reg, v, NULL, &off->errmsg, &o);
  for (int i = 0; rc == 0 && i < o->n_inputs; i++) {
    if (!lr__prog_output_uses_input(o->prog, k, i))
      continue;
    if (o->input_views[i])
      group_of(p, o->input_views[i]);
    else
      rc = add_field(p, o->input_fields[i]->name, v);
  }
  lr__odfv_free(o);
  return rc;
}

static int add_feature(lr_offline *off, plan *p, const char *view,
                       const char *feature) {
  const lr__view *v = lr__model_view(&off->reg, view);
  if (!v)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND,
                          "unknown feature view '%s'", view);
  const lr__field *f = lr__view_feature(v, feature);
  if (!f)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND,
                          "feature view '%s' has no feature '%s'", view,
                          feature);
  if (v->kind == LR__VIEW_ON_DEMAND) {
    p->features[p->n_features++] = (wanted){v, f, -1};
    return add_inputs(off, p, v, (int)(f - v->features));
  }
  p->features[p->n_features++] = (wanted){v, f, group_of(p, v)};
  return 0;
}

/* Resolves references or a service into `p` (arrays sized by count). */
static int resolve(lr_offline *off, const lr_historical_spec *spec, plan *p) {
  int n = spec->n_features;
  const lr__service *svc = NULL;
  if (spec->service) {
    svc = lr__model_service(&off->reg, spec->service);
    if (!svc)
      return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND,
                            "unknown feature service '%s'", spec->service);
    n = 0;
    for (int i = 0; i < svc->n_items; i++) {
      const lr__view *v = lr__model_view(&off->reg, svc->items[i].view);
      n += svc->items[i].n_features ? svc->items[i].n_features
                                    : (v ? v->n_features : 0);
    }
  }
  p->features = calloc((size_t)n + 1, sizeof *p->features);
  p->views = calloc((size_t)(n + off->reg.n_views) + 1,
                    sizeof(const lr__view *));
  if (!p->features || !p->views)
    return LR_ENOMEM;
  int rc = 0;
  for (int i = 0; rc == 0 && !svc && i < spec->n_features; i++) {
    const char *ref = spec->features[i];
    const char *colon = ref ? strchr(ref, ':') : NULL;
    if (!colon)
      return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                            "bad feature reference '%s': write "
                            "view:feature",
                            ref ? ref : "(null)");
    char *view = strndup(ref, (size_t)(colon - ref));
    rc = view ? add_feature(off, p, view, colon + 1) : LR_ENOMEM;
    free(view);
  }
  for (int i = 0; rc == 0 && svc && i < svc->n_items; i++) {
    const lr__service_item *it = &svc->items[i];
    const lr__view *v = lr__model_view(&off->reg, it->view);
    int count = it->n_features ? it->n_features : (v ? v->n_features : 0);
    for (int j = 0; rc == 0 && j < count; j++)
      rc = add_feature(off, p, it->view,
                       it->n_features ? it->features[j] : v->features[j].name);
  }
  return rc;
}

/* The output name of feature i. */
static void output_name(lr__buf *out, const wanted *w, int full) {
  if (full)
    lr__buf_printf(out, "%s__%s", w->view->name, w->field->name);
  else
    lr__buf_puts(out, w->field->name);
}

/* Every output name must be unique, entity columns included. `columns`
 * holds the entity file's column names, one per line. */
static int check_names(lr_offline *off, const plan *p, int full,
                       const char *columns) {
  for (int i = 0; i < p->n_features; i++) {
    lr__buf a;
    lr__buf_init(&a);
    output_name(&a, &p->features[i], full);
    int rc = 0;
    for (int j = 0; rc == 0 && j < i; j++) {
      lr__buf b;
      lr__buf_init(&b);
      output_name(&b, &p->features[j], full);
      if (!strcmp(lr__buf_str(&a), lr__buf_str(&b)))
        rc = lr__errmsg_set(&off->errmsg, LR_EINVAL,
                            "two requested features are named '%s'; "
                            "use full feature names (view__feature)",
                            lr__buf_str(&a));
      lr__buf_free(&b);
    }
    for (const char *c = columns; rc == 0 && *c;) {
      size_t len = strcspn(c, "\t\n");
      if (len == a.len && !strncmp(c, lr__buf_str(&a), len))
        rc = lr__errmsg_set(
            &off->errmsg, LR_EINVAL,
            "feature '%s' has the name of a column of "
            "the entity rows; rename the column or use full feature "
            "names",
            lr__buf_str(&a));
      c += len;
      c += strcspn(c, "\n");
      c += *c == '\n';
    }
    lr__buf_free(&a);
    if (rc)
      return rc;
  }
  return 0;
}

/* 1 when the view's source has a created-timestamp column. */
static int source_has_created(lr_offline *off, const lr__view *v) {
  const lr__source *s = lr__offline_source(off, v);
  return s && s->created_column;
}

/* Step 2 for view g: __v<g>, one row per (keys, event time). */
static int stage_view(lr_offline *off, const lr__view *v, int g,
                      const char *described) {
  const char *keys[MAX_KEYS];
  uint8_t types[MAX_KEYS];
  int n_keys = lr__model_view_keys(&off->reg, v, keys, types, MAX_KEYS);
  for (int k = 0; k < n_keys; k++)
    if (!lr__described_has(described, keys[k]))
      return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                            "the entity rows have no column '%s', the "
                            "join key of feature view '%s'",
                            keys[k], v->name);
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_printf(&sql, "CREATE OR REPLACE TEMP VIEW __v%d AS SELECT * FROM (",
                 g);
  int rc = lr__source_select(off, v, &sql);
  lr__buf_puts(&sql, ")");
  if (source_has_created(off, v)) {
    /* equal event times: the greatest created time wins (without a created
     * column there is nothing to break the tie with, as in Feast) */
    lr__buf_puts(&sql, " QUALIFY row_number() OVER (PARTITION BY ");
    for (int k = 0; k < n_keys; k++) {
      lr__sql_ident(&sql, keys[k]);
      lr__buf_puts(&sql, ", ");
    }
    lr__buf_puts(&sql, "__ts ORDER BY __created DESC NULLS LAST) = 1");
  }
  lr__buf why;
  lr__buf_init(&why);
  if (rc == 0 && lr__duckdb_run(&off->db, lr__buf_str(&sql), 0, NULL, &why))
    rc = lr__explain_source(off, v, lr__buf_str(&why), lr__buf_str(&sql));
  lr__buf_free(&why);
  lr__buf_free(&sql);
  return rc;
}

/* A joined feature's column: null when the row is older than the view's
 * ttl (lr__ondemand_sql.feature; ctx: the plan). */
static void feature_sql(void *ctx, lr__buf *sql, const lr__view *view,
                        const lr__field *field) {
  plan *p = ctx;
  int g = group_of(p, view);
  if (view->ttl_seconds > 0)
    lr__buf_printf(sql, "CASE WHEN v%d.__ts >= e.__larder_ts - "
                   "to_seconds(%lld) THEN v%d.", g,
                   (long long)view->ttl_seconds, g);
  else
    lr__buf_printf(sql, "v%d.", g);
  lr__sql_ident(sql, field->name);
  if (view->ttl_seconds > 0)
    lr__buf_puts(sql, " END");
}

/* The output column of feature i: joined, or computed (on-demand). */
static int feature_column(lr_offline *off, plan *p, int i, int full,
                          lr__buf *sql) {
  const wanted *w = &p->features[i];
  lr__ondemand_sql how = {feature_sql, p, "e", "e.__larder_ts"};
  int rc = 0;
  lr__buf_puts(sql, ", ");
  if (w->group >= 0)
    feature_sql(p, sql, w->view, w->field);
  else
    rc = lr__ondemand_call(off, w->view, (int)(w->field - w->view->features),
                           &how, sql);
  lr__buf_puts(sql, " AS ");
  lr__buf name;
  lr__buf_init(&name);
  output_name(&name, w, full);
  lr__sql_ident(sql, lr__buf_str(&name));
  lr__buf_free(&name);
  return rc;
}

/* Step 3: the join, written to the output file. Features in request
 * order, on-demand ones last. */
static int final_select(lr_offline *off, plan *p, int full, lr__buf *sql) {
  lr__buf_puts(sql, "SELECT e.* EXCLUDE (__larder_row, __larder_ts)");
  int rc = 0;
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; rc == 0 && i < p->n_features; i++)
      if ((p->features[i].group < 0) == pass)
        rc = feature_column(off, p, i, full, sql);
  lr__buf_puts(sql, " FROM __entities e");
  for (int g = 0; g < p->n_views; g++) {
    const char *keys[MAX_KEYS];
    uint8_t types[MAX_KEYS];
    int n_keys =
        lr__model_view_keys(&off->reg, p->views[g], keys, types, MAX_KEYS);
    lr__buf_printf(sql, " ASOF LEFT JOIN __v%d v%d ON ", g, g);
    for (int k = 0; k < n_keys; k++) {
      lr__buf_puts(sql, "CAST(e.");
      lr__sql_ident(sql, keys[k]);
      lr__buf_puts(sql, " AS ");
      lr__sql_type(sql, types[k]);
      lr__buf_printf(sql, ") = v%d.", g);
      lr__sql_ident(sql, keys[k]);
      lr__buf_puts(sql, " AND ");
    }
    lr__buf_printf(sql, "e.__larder_ts >= v%d.__ts", g);
  }
  lr__buf_puts(sql, " ORDER BY e.__larder_row");
  return rc;
}

/* Reports the join's progress from a second thread while it runs (DuckDB
 * answers duckdb_query_progress for a query under way). */
typedef struct progress_watch {
  lr_offline *off;
  const lr_historical_spec *spec;
  atomic_int done;
  pthread_t thread;
} progress_watch;

static void *watch_progress(void *arg) {
  progress_watch *w = arg;
  const lr__duckdb_api *api = lr__duckdb_fns();
  while (!atomic_load(&w->done)) {
    struct timespec pause = {0, 200L * 1000 * 1000};
    nanosleep(&pause, NULL);
    duckdb_query_progress_type p = api->query_progress(w->off->db.con);
    if (!atomic_load(&w->done) && p.percentage >= 0)
      w->spec->progress(w->spec->progress_ctx, "training set",
                        p.rows_processed, 0); /* DuckDB's total is a guess */
  }
  return NULL;
}

static int start_watch(progress_watch *w) {
  if (!w->spec->progress)
    return 0;
  atomic_store(&w->done, 0);
  lr__offline_run(w->off, "SET enable_progress_bar = true; "
                          "SET enable_progress_bar_print = false",
                  "setting up progress", 0, NULL);
  return pthread_create(&w->thread, NULL, watch_progress, w) == 0;
}

static void stop_watch(progress_watch *w, int started) {
  atomic_store(&w->done, 1);
  if (started)
    pthread_join(w->thread, NULL);
}

/* The views are read lazily, inside the join: when it fails, each view is
 * read on its own to find (and name) the one whose source is at fault;
 * when none is, a join key of the entity rows may hold a value of another
 * type than its entity's. */
static void blame_view(lr_offline *off, const lr_historical_spec *spec,
                       const plan *p) {
  for (int g = 0; g < p->n_views; g++) {
    char sql[80];
    /* hash(): every value of every column is computed, casts included */
    snprintf(sql, sizeof sql, "SELECT max(hash(COLUMNS(*))) FROM __v%d", g);
    lr__buf why, rows;
    lr__buf_init(&why);
    lr__buf_init(&rows);
    lr__offline_time_reset(off);
    int failed = lr__duckdb_run(&off->db, sql, 1, &rows, &why) != 0;
    if (failed && !lr__offline_time_failed(off))
      lr__explain_source(off, p->views[g], lr__buf_str(&why), sql);
    lr__buf_free(&why);
    lr__buf_free(&rows);
    if (failed)
      return;
  }
  lr__explain_entity_keys(off, p->views, p->n_views,
                          spec->entities_file ? spec->entities_file
                                              : "the entity rows' query");
}

static int write_output(lr_offline *off, const lr_historical_spec *spec,
                        plan *p) {
  if (!spec->output || (!lr__fs_has_suffix(spec->output, ".parquet") &&
                        !lr__fs_has_suffix(spec->output, ".csv")))
    return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                          "the output must be a .parquet or .csv file, "
                          "not '%s'",
                          spec->output ? spec->output : "(none)");
  /* written beside the output, renamed over it when complete: a failure
   * leaves no partial file (and an older output as it was) */
  lr__buf sql, tmp;
  lr__buf_init(&sql);
  lr__buf_init(&tmp);
  lr__buf_printf(&tmp, "%s.tmp.%ld", spec->output, (long)getpid());
  lr__buf_puts(&sql, "COPY (");
  int rc = final_select(off, p, spec->full_feature_names, &sql);
  lr__buf_puts(&sql, ") TO ");
  lr__sql_literal(&sql, lr__buf_str(&tmp));
  lr__buf_puts(&sql, lr__fs_has_suffix(spec->output, ".csv")
                         ? " (FORMAT CSV, HEADER, DELIMITER ',')"
                         : " (FORMAT PARQUET)");
  progress_watch watch = {.off = off, .spec = spec};
  int watching = rc == 0 && start_watch(&watch);
  if (rc == 0)
    rc = lr__offline_run(off, lr__buf_str(&sql), "joining the features", 0,
                         NULL);
  stop_watch(&watch, watching);
  if (rc && !lr__offline_time_failed(off)) /* a time names its place */
    blame_view(off, spec, p);
  if (rc == 0 && rename(lr__buf_str(&tmp), spec->output) != 0) {
    lr__buf_printf(&off->errmsg, "cannot write %s: %s", spec->output,
                   strerror(errno));
    rc = LR_EIO;
  }
  if (rc)
    unlink(lr__buf_str(&tmp));
  lr__buf_free(&sql);
  lr__buf_free(&tmp);
  return rc;
}

/* Step 1 and the checks that need the entity columns (entities.c). */
static int stage_entities(lr_offline *off, const lr_historical_spec *spec,
                          const plan *p, lr__buf *described) {
  lr__buf ts, doing; /* a query of the user's is named: DuckDB's words are
                        about it, and verbose mode alone shows Larder's own */
  lr__buf_init(&ts);
  lr__buf_init(&doing);
  if (spec->entities_sql)
    lr__buf_printf(&doing, "running the entity rows' query `%s`",
                   spec->entities_sql);
  else
    lr__buf_puts(&doing, "reading the entity rows");
  int rc = lr__entities_describe(off, spec, lr__buf_str(&doing), described,
                                 &ts);
  if (rc == 0)
    rc = check_names(off, p, spec->full_feature_names, lr__buf_str(described));
  for (int i = 0; rc == 0 && i < p->n_fields; i++)
    if (!lr__described_has(lr__buf_str(described), p->fields[i]))
      rc =
          lr__errmsg_set(&off->errmsg, LR_EINVAL,
                         "the entity rows have no column '%s', a "
                         "request field that on-demand feature view '%s' reads",
                         p->fields[i], p->field_of[i]->name);
  if (rc == 0)
    rc = lr__entities_stage(off, spec, lr__buf_str(&doing),
                            lr__buf_str(described), lr__buf_str(&ts));
  lr__buf_free(&doing);
  lr__buf_free(&ts);
  return rc;
}

static int count_rows(lr_offline *off, unsigned long long *rows) {
  lr__buf out;
  lr__buf_init(&out);
  int rc = lr__offline_run(off, "SELECT count(*) FROM __entities",
                           "counting the entity rows", 1, &out);
  if (rc == 0 && rows)
    *rows = strtoull(lr__buf_str(&out), NULL, 10);
  lr__buf_free(&out);
  return rc;
}

/* The earliest and latest entity times, in microseconds. */
static int entity_times(lr_offline *off, int64_t *first, int64_t *last) {
  lr__buf row;
  lr__buf_init(&row);
  int rc = lr__offline_run(off, "SELECT coalesce(epoch_us(min(__larder_ts)), "
                           "0), coalesce(epoch_us(max(__larder_ts)), 0) FROM "
                           "__entities", "reading the entity times", 2, &row);
  long long a = 0, b = 0;
  if (rc == 0 && sscanf(lr__buf_str(&row), "%lld\t%lld", &a, &b) != 2)
    rc = lr__errmsg_set(&off->errmsg, LR_EINVAL, "cannot read the entity "
                        "times");
  *first = a;
  *last = b;
  lr__buf_free(&row);
  return rc;
}

/* Runs the checks of each joined view over the rows the training set
 * reads from (larder.h, LR_CHECKS_*): a failing rule fails the call or,
 * with LR_CHECKS_WARN, is reported through spec->note. */
static int run_checks(lr_offline *off, const lr_historical_spec *spec,
                      const plan *p) {
  if (spec->checks == LR_CHECKS_OFF)
    return 0;
  int64_t first, last;
  int rc = entity_times(off, &first, &last);
  for (int g = 0; rc == 0 && g < p->n_views; g++) {
    const lr__view *v = p->views[g];
    int64_t start = v->ttl_seconds > 0 ? first - v->ttl_seconds * 1000000
                                       : LR__TIME_MIN_US;
    lr__buf report;
    lr__buf_init(&report);
    int failed = 0;
    rc = lr__check_window(off, v, start, last, 0, 5, &report, &failed);
    if (report.len && report.data[report.len - 1] == '\n')
      report.data[--report.len] = '\0';
    if (rc == 0 && failed && spec->checks == LR_CHECKS_FAIL)
      rc = lr__errmsg_set(&off->errmsg, LR_ECHECK, "feature view '%s': %d "
                          "check%s did not pass over the rows this training "
                          "set reads (see below); fix the data, or run with "
                          "--checks warn to write the set anyway (its rows "
                          "are never filtered by checks)\n%s", v->name,
                          failed, failed == 1 ? "" : "s",
                          lr__buf_str(&report));
    else if (rc == 0 && failed && spec->note)
      spec->note(spec->note_ctx, lr__buf_str(&report));
    lr__buf_free(&report);
  }
  return rc;
}

int lr_get_historical_features(lr_offline *off, const lr_historical_spec *spec,
                               unsigned long long *rows) {
  if (!off || !spec)
    return LR_EINVAL;
  lr__buf_reset(&off->errmsg);
  if ((spec->service != NULL) == (spec->n_features > 0))
    return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                          "give feature references or a feature "
                          "service (one of them)");
  plan p = {0};
  lr__buf described;
  lr__buf_init(&described);
  int rc = resolve(off, spec, &p);
  if (rc == 0)
    rc = lr__offline_session(off);
  if (rc == 0)
    rc = stage_entities(off, spec, &p, &described);
  if (rc == 0)
    rc = run_checks(off, spec, &p);
  for (int g = 0; rc == 0 && g < p.n_views; g++)
    rc = stage_view(off, p.views[g], g, lr__buf_str(&described));
  if (rc == 0)
    rc = write_output(off, spec, &p);
  if (rc == 0)
    rc = count_rows(off, rows);
  free(p.features);
  free(p.views);
  free(p.fields);
  free(p.field_of);
  lr__buf_free(&described);
  return rc;
}

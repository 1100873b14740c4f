/*
 * push.c - the online side of a push (push.h): the views a push source
 * feeds (those whose `source` names it, as Feast routes pushes), the union
 * of their columns, the checks that come before any write, and the write
 * into each online view.
 *
 * Every row is checked against every view the push feeds before either
 * side is written, whichever side it goes to: a push that one view would
 * refuse online is refused whole, so the offline files never hold rows
 * that serving refused.
 */
#include "push.h"

#include "../quality/checkrun.h"
#include "../util/timefmt.h"

#include <stdlib.h>
#include <string.h>

#include "../util/names.h"
#include "checkstats.h"
#include "columns.h"
#include "freshness.h"
#include "writer.h"

/* The views named in a message, at most. */
enum { LISTED_VIEWS = 8 };

/* Adds column `name` (type `dtype`) to the plan's colset unless a view
 * before had it (a name two views share is one column, typed as the
 * first declares it). */
static void add_column(lr__push_plan *p, const char *name, uint8_t dtype,
                       int required) {
  lr__colset *cs = &p->cols;
  for (int c = 0; c < cs->n; c++)
    if (!strcmp(cs->names[c], name)) {
      cs->required[c] |= (uint8_t)required;
      return;
    }
  cs->names[cs->n] = name;
  cs->types[cs->n] = dtype;
  cs->required[cs->n++] = (uint8_t)required;
}

/* Fills the plan's view i with view v and its keys. */
static int add_view(lr__push_plan *p, const lr__view *v) {
  lr__online_view *ov = &p->views[p->n_views];
  int n_keys = lr__model_view_keys(p->m, v, NULL, NULL, 0);
  ov->view = v;
  ov->db_name = NULL;
  ov->key_names = lr__arena_array(&p->arena, (size_t)n_keys + 1,
                                  sizeof *ov->key_names);
  ov->key_types = lr__arena_array(&p->arena, (size_t)n_keys + 1, 1);
  if (!ov->key_names || !ov->key_types)
    return LR_ENOMEM;
  ov->n_keys = lr__model_view_keys(p->m, v, ov->key_names, ov->key_types,
                                   n_keys);
  p->n_views++;
  return 0;
}

/* The union of the plan's views' columns: keys, the two times, features. */
static int collect_columns(lr__push_plan *p) {
  int n = 2;
  for (int i = 0; i < p->n_views; i++)
    n += p->views[i].n_keys + p->views[i].view->n_features;
  lr__colset *cs = &p->cols;
  cs->names = lr__arena_array(&p->arena, (size_t)n, sizeof *cs->names);
  cs->types = lr__arena_array(&p->arena, (size_t)n, 1);
  cs->required = lr__arena_array(&p->arena, (size_t)n, 1);
  if (!cs->names || !cs->types || !cs->required)
    return LR_ENOMEM;
  for (int i = 0; i < p->n_views; i++)
    for (int k = 0; k < p->views[i].n_keys; k++)
      add_column(p, p->views[i].key_names[k], p->views[i].key_types[k], 1);
  add_column(p, "event_timestamp", LR__DT_TIMESTAMP, 1);
  add_column(p, "created_timestamp", LR__DT_TIMESTAMP, 0);
  for (int i = 0; i < p->n_views; i++)
    for (int f = 0; f < p->views[i].view->n_features; f++)
      add_column(p, p->views[i].view->features[f].name,
                 p->views[i].view->features[f].dtype, 0);
  return 0;
}

/* The fix for view v, which reads source s and not push source p: read
 * it instead, or push through the push source it reads. */
static void put_fix(lr__buf *out, const lr__push_plan *p, const lr__view *v,
                    const lr__source *s) {
  const char *batch = p->source->batch_source;
  if (s && s->kind == LR__SOURCE_PUSH)
    lr__buf_printf(out, "push its rows through '%s' instead, or set "
                   "`source: %s` on %s", s->name, p->source->name, v->name);
  else if (s && !strcmp(s->name, batch))
    lr__buf_printf(out, "set `source: %s` on %s (it then reads %s offline "
                   "as before, and the pushed rows with it) and run `larder "
                   "apply`", p->source->name, v->name, batch);
  else
    lr__buf_printf(out, "set `source: %s` on %s to take pushed rows (it "
                   "then reads '%s', the push source's batch source, offline "
                   "instead of '%s') and run `larder apply`, or leave the "
                   "column out of the push", p->source->name, v->name, batch,
                   s ? s->name : "?");
}

/* explain_unknown of the plan's colset: a column that is a feature of a
 * view the push source does not feed says which view, and why. */
static int explain_unknown(const void *ctx, const char *column,
                           lr__buf *err) {
  const lr__push_plan *p = ctx;
  for (int i = 0; i < p->m->n_views; i++) {
    const lr__view *v = &p->m->views[i];
    if (v->kind != LR__VIEW_BATCH || !lr__view_feature(v, column))
      continue;
    const lr__source *s = v->source ? lr__model_source(p->m, v->source)
                                    : NULL;
    lr__buf_printf(err, "; '%s' is a feature of view '%s', which reads "
                   "source '%s', not push source '%s': ", column, v->name,
                   v->source ? v->source : "?", p->source->name);
    put_fix(err, p, v, s);
    return 1;
  }
  return 0;
}

/* The message for a push source no feature view reads: which views read
 * its batch source directly (the usual slip), or which read what. */
static int no_view_reads(const lr__push_plan *p, lr__buf *err) {
  const lr__model *m = p->m;
  const char *name = p->source->name;
  lr__buf_printf(err, "no feature view reads push source '%s', so its rows "
                 "would reach no view (a push goes to the views whose "
                 "`source` is the push source): ", name);
  const lr__view *direct = NULL;
  int listed = 0;
  for (int i = 0; i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    if (v->kind != LR__VIEW_BATCH || !v->source ||
        !p->source->batch_source || strcmp(v->source, p->source->batch_source))
      continue;
    lr__buf_printf(err, "%s%s", listed++ ? ", " : "", v->name);
    direct = direct ? direct : v;
  }
  if (direct)
    lr__buf_printf(err, " read%s its batch source '%s' directly; ",
                   listed > 1 ? "" : "s", p->source->batch_source);
  for (int i = 0; !direct && i < m->n_views && listed < LISTED_VIEWS; i++) {
    const lr__view *v = &m->views[i];
    if (v->kind == LR__VIEW_BATCH)
      lr__buf_printf(err, "%s%s reads '%s'", listed++ ? ", " : "", v->name,
                     v->source ? v->source : "?");
  }
  if (!direct)
    lr__buf_puts(err, listed ? "; " : "no feature view is defined; ");
  if (direct && listed == 1)
    put_fix(err, p, direct, lr__model_source(m, direct->source));
  else if (direct)
    lr__buf_printf(err, "set `source: %s` on those that should take its "
                   "rows (they then read %s offline as before, and the "
                   "pushed rows with it) and run `larder apply`", name,
                   p->source->batch_source);
  else
    lr__buf_printf(err, "set `source: %s` on the views that should take "
                   "its rows, then run `larder apply`", name);
  return LR_EINVAL;
}

/* The message for an online push whose views are all offline-only. */
static int no_online_view(const lr__push_plan *p, lr__buf *err) {
  lr__buf_printf(err, "push source '%s' feeds no online feature view (",
                 p->source->name);
  for (int i = 0; i < p->n_views && i < LISTED_VIEWS; i++)
    lr__buf_printf(err, "%s%s", i ? ", " : "", p->views[i].view->name);
  lr__buf_printf(err, " %s online: false): push to the offline store "
                 "(\"to\": \"offline\", --to offline), or set online: true",
                 p->n_views > 1 ? "have" : "has");
  return LR_EINVAL;
}

/* No push source named `name`: the message, with the ones there are. */
static int no_push_source(const lr__model *m, const char *name,
                          lr__buf *err) {
  const char **names = calloc((size_t)m->n_sources + 1, sizeof *names);
  int n = 0;
  for (int i = 0; names && i < m->n_sources; i++)
    if (m->sources[i].kind == LR__SOURCE_PUSH)
      names[n++] = m->sources[i].name;
  lr__buf_printf(err, "no push source is named '%s': ", name);
  lr__suggest(err, "push sources", name, names, n);
  free(names);
  return LR_ENOTFOUND;
}

int lr__push_plan_init(lr__push_plan *p, const lr__model *m, const char *name,
                       unsigned to, lr__buf *err) {
  memset(p, 0, sizeof *p);
  lr__arena_init(&p->arena);
  p->m = m;
  p->source = name ? lr__model_source(m, name) : NULL;
  if (!p->source || p->source->kind != LR__SOURCE_PUSH)
    return no_push_source(m, name ? name : "", err);
  p->batch = p->source->batch_source
                 ? lr__model_source(m, p->source->batch_source) : NULL;
  int rc = 0, online = 0;
  for (int i = 0; rc == 0 && i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    if (v->kind != LR__VIEW_BATCH || !v->source || strcmp(v->source, name))
      continue;
    if (p->n_views == LR__PUSH_MAX_VIEWS)
      return lr__errmsg_set(err, LR_EINVAL, "push source '%s' feeds more "
                            "than %d views: split it", name,
                            LR__PUSH_MAX_VIEWS);
    rc = add_view(p, v);
    online += v->online;
  }
  if (rc == 0 && p->n_views == 0)
    return no_view_reads(p, err);
  if (rc == 0 && (to & LR_PUSH_ONLINE) && !online)
    return no_online_view(p, err);
  if (rc == 0 && (to & LR_PUSH_OFFLINE) && p->batch &&
      !p->batch->timestamp_field)
    return lr__errmsg_set(err, LR_EINVAL, "push source '%s' cannot push to "
                          "the offline store: its batch source '%s' is a "
                          "snapshot (no timestamp_field), whose rows take "
                          "their time from their file; give '%s' a "
                          "timestamp_field, or push with to: online",
                          name, p->batch->name, p->batch->name);
  if (rc == 0)
    rc = collect_columns(p);
  lr__buf owner;
  lr__buf_init(&owner);
  lr__buf_printf(&owner, "push source '%s'", name);
  p->cols.owner = lr__arena_strdup(&p->arena, lr__buf_str(&owner));
  lr__buf_reset(&owner);
  lr__buf_puts(&owner, "the join keys, event_timestamp, created_timestamp "
                       "and the features of the views it feeds: ");
  for (int i = 0; i < p->n_views; i++)
    lr__buf_printf(&owner, "%s%s", i ? ", " : "", p->views[i].view->name);
  p->cols.columns_are = lr__arena_strdup(&p->arena, lr__buf_str(&owner));
  lr__buf_free(&owner);
  p->cols.explain_unknown = explain_unknown;
  p->cols.explain_ctx = p;
  p->cols.time_unit = lr__source_time_unit(p->source);
  p->cols.unit_source = p->source->name;
  if (rc == 0 && (!p->cols.owner || !p->cols.columns_are))
    rc = LR_ENOMEM;
  return rc == LR_ENOMEM ? lr__errmsg_set(err, rc, "out of memory") : rc;
}

void lr__push_plan_free(lr__push_plan *p) { lr__arena_free(&p->arena); }

int lr__push_view_online(const lr__push_plan *p, int i) {
  return p->views[i].view->online;
}

const char *lr__push_offline_column(const lr__push_plan *p, int c) {
  const char *name = p->cols.names[c];
  if (!strcmp(name, "event_timestamp"))
    return p->batch->timestamp_field;
  if (!strcmp(name, "created_timestamp"))
    return p->batch->created_column;
  return lr__source_column(p->batch, name);
}

/* 1 when `name` is a column of view ov: a key, a time, a feature. */
static int view_has(const lr__online_view *ov, const char *name) {
  if (!strcmp(name, "event_timestamp") || !strcmp(name, "created_timestamp") ||
      lr__view_feature(ov->view, name))
    return 1;
  for (int k = 0; k < ov->n_keys; k++)
    if (!strcmp(ov->key_names[k], name))
      return 1;
  return 0;
}

/* The columns of `cols` that view ov has, into `out` (n_cols at most);
 * returns how many. */
static int view_columns(const lr__online_view *ov, const lr_column *cols,
                        int n_cols, lr_column *out) {
  int n = 0;
  for (int c = 0; c < n_cols; c++)
    if (cols[c].name && view_has(ov, cols[c].name))
      out[n++] = cols[c];
  return n;
}

/* Checks every row's key of view ov as the writer encodes it. */
static int check_keys(const lr__online_view *ov, const lr_column *cols,
                      const column_map *map, size_t n_rows, lr__buf *err) {
  lr_value key[16];
  uint8_t bytes[LR__KEY_MAX];
  size_t len;
  if (ov->n_keys > 16)
    return lr__errmsg_set(err, LR_EINVAL, "view '%s' has more than 16 join "
                          "keys", ov->view->name);
  for (size_t r = 0; r < n_rows; r++) {
    for (int k = 0; k < ov->n_keys; k++)
      key[k] = cols[map->key[k]].values[r];
    int rc = lr__store_encode_key(ov, key, bytes, &len, err, "row", r);
    if (rc)
      return rc;
  }
  return 0;
}

/* Checks the rows against view ov: its columns, their values, its keys. */
static int check_view(const lr__online_view *ov, const lr_column *cols,
                      int n_cols, size_t n_rows, lr_column *mine,
                      lr__buf *err) {
  int n = view_columns(ov, cols, n_cols, mine);
  column_map map;
  map.key = calloc((size_t)ov->n_keys + 1, sizeof *map.key);
  map.feature = calloc((size_t)ov->view->n_features + 1, sizeof *map.feature);
  int rc = map.key && map.feature ? 0 : LR_ENOMEM;
  if (rc == 0)
    rc = lr__columns_map(err, ov, mine, n, &map);
  if (rc == 0)
    rc = lr__columns_check(err, ov, mine, &map, n_rows);
  if (rc == 0)
    rc = check_keys(ov, mine, &map, n_rows, err);
  free(map.key);
  free(map.feature);
  return rc;
}

int lr__push_check(const lr__push_plan *p, const lr_column *cols, int n_cols,
                   size_t n_rows, lr__buf *err) {
  if (n_cols < 0 || (!cols && n_cols))
    return lr__errmsg_set(err, LR_EINVAL, "no columns given (%d)", n_cols);
  for (int c = 0; c < n_cols; c++) {
    const char *name = cols[c].name ? cols[c].name : "";
    int known = 0;
    for (int k = 0; k < p->cols.n && !known; k++)
      known = !strcmp(p->cols.names[k], name);
    if (!known) {
      lr__buf_printf(err, "unknown column '%s' for %s (columns are %s)", name,
                     p->cols.owner, p->cols.columns_are);
      explain_unknown(p, name, err);
      return LR_EINVAL;
    }
  }
  lr_column *mine = calloc((size_t)n_cols + 1, sizeof *mine);
  int rc = mine ? 0 : LR_ENOMEM;
  for (int i = 0; rc == 0 && i < p->n_views; i++)
    rc = check_view(&p->views[i], cols, n_cols, n_rows, mine, err);
  free(mine);
  return rc;
}

/* Runs view i's checks over the push's rows, writing nothing: LR_ECHECK
 * with the reason on the store when they would refuse it. */
static int precheck_view(lr_store *store, const lr__push_plan *p, int i,
                         const lr_column *cols, int n, size_t n_rows) {
  lr__checkrun *cr = NULL;
  lr__buf *err = lr__store_err(store);
  int rc = lr__checkrun_open(&store->reg, p->views[i].view, &cr, err);
  if (rc || !cr)
    return rc;
  lr__checkrun_report_only(cr);
  const lr_column *kept;
  size_t n_kept;
  rc = lr__checkrun_rows(cr, cols, n, n_rows, &kept, &n_kept);
  if (rc == 0)
    rc = lr__checkrun_finish(cr, lr__time_now_us(), err);
  if (rc == LR_ECHECK) /* counted as a refused batch of the view */
    lr__checkstats_note_refused(store, p->views[i].view->name, cr);
  lr__checkrun_free(cr);
  return rc;
}

int lr__push_precheck(lr_store *store, const lr__push_plan *p,
                      const lr_column *cols, int n_cols, size_t n_rows) {
  lr_column *mine = calloc((size_t)n_cols + 1, sizeof *mine);
  int rc = mine ? 0 : LR_ENOMEM;
  for (int i = 0; rc == 0 && i < p->n_views; i++)
    if (lr__push_view_online(p, i))
      rc = precheck_view(store, p, i, mine,
                         view_columns(&p->views[i], cols, n_cols, mine),
                         n_rows);
  free(mine);
  return rc == LR_ENOMEM ? lr__errmsg_set(lr__store_err(store), rc,
                                          "out of memory") : rc;
}

int lr__push_online(lr_store *store, const lr__push_plan *p,
                    const lr_column *cols, int n_cols, size_t n_rows,
                    lr_write_stats *per_view, int *written, lr__buf *checks) {
  lr_column *mine = calloc((size_t)n_cols + 1, sizeof *mine);
  int rc = mine ? 0 : LR_ENOMEM;
  *written = 0;
  for (int i = 0; i < p->n_views; i++)
    per_view[i] = (lr_write_stats){0, 0};
  for (int i = 0; rc == 0 && i < p->n_views; i++) {
    if (!lr__push_view_online(p, i))
      continue;
    int n = view_columns(&p->views[i], cols, n_cols, mine);
    rc = lr__write_rows_by(store, p->views[i].view->name, LR__FRESH_PUSH,
                           mine, n, n_rows, &per_view[i]);
    *written += rc == 0;
    const lr__buf *report = lr__store_report(store, 1);
    if (rc == 0 && checks && report->len) {
      lr__buf_puts(checks, checks->len ? ", " : "");
      lr__buf_json_str(checks, p->views[i].view->name);
      lr__buf_puts(checks, ": ");
      lr__buf_grow_append(checks, report->data, report->len);
    }
  }
  free(mine);
  return rc == LR_ENOMEM && !mine
             ? lr__errmsg_set(lr__store_err(store), rc, "out of memory")
             : rc;
}

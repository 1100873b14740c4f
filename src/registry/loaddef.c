/*
 * loaddef.c - a view's load definition as a slice of the model, kept as a
 * registry image, and the differences between two of them (loaddef.h).
 *
 * The slice holds shallow copies of the model's structs (their strings and
 * arrays stay the model's): it lives only as long as it takes to encode.
 * The differences are those of the rows a load writes, phrased for the
 * user, since `plan` and `materialize-incremental` print them as the
 * reason for a reload.
 */
#include "loaddef.h"

#include <stdarg.h>
#include <string.h>

#include "../util/names.h"
#include "attrs.h"
#include "larder.h"
#include "regfile.h"

/* Fills the empty model `s` with the objects a load of view v (of model
 * m) reads or writes: its entities, its source (and a push source's batch
 * source), v and the on-demand views stored from its rows; sorted. */
static int build_slice(const lr__model *m, const lr__view *v, lr__model *s) {
  s->entities = lr__arena_array(&s->arena, (size_t)v->n_entities + 1,
                                sizeof *s->entities);
  s->sources = lr__arena_array(&s->arena, 2, sizeof *s->sources);
  s->views = lr__arena_array(&s->arena, (size_t)m->n_views + 1,
                             sizeof *s->views);
  if (!s->entities || !s->sources || !s->views)
    return LR_ENOMEM;
  for (int i = 0; i < v->n_entities; i++) {
    const lr__entity *e = lr__model_entity(m, v->entities[i]);
    if (e)
      s->entities[s->n_entities++] = *e;
  }
  const lr__source *own = v->source ? lr__model_source(m, v->source) : NULL;
  const lr__source *data = lr__model_data_source(m, v);
  if (own)
    s->sources[s->n_sources++] = *own;
  if (data && data != own)
    s->sources[s->n_sources++] = *data;
  /* Checks judge rows as a load reads them: a changed rule applies from
   * the next load on and does not redo the loads made before, so a load
   * does not record the rules (nor max_failed). */
  lr__view *own_view = &s->views[s->n_views++];
  *own_view = *v;
  own_view->checks = NULL;
  own_view->n_checks = 0;
  own_view->has_max_failed = false;
  own_view->max_failed = 0;
  for (int i = 0; i < m->n_views; i++)
    if (lr__view_derives_from(&m->views[i], v))
      s->views[s->n_views++] = m->views[i];
  return lr__model_sort(s);
}

int lr__loaddef_encode(const lr__model *m, const lr__view *v, lr__buf *out) {
  lr__model slice;
  lr__model_init(&slice);
  lr__buf image; /* on its own: the image's checksum covers all its bytes */
  lr__buf_init(&image);
  int rc = build_slice(m, v, &slice);
  if (rc == 0)
    rc = lr__regfile_encode(&slice, &image);
  if (rc == 0)
    lr__buf_append(out, image.data, image.len);
  lr__buf_free(&image);
  lr__model_free(&slice);
  return rc == 0 && lr__buf_failed(out) ? LR_ENOMEM : rc;
}

int lr__loaddef_decode(const void *data, size_t len, lr__model *slice,
                       lr__buf *err) {
  return lr__regfile_decode(data, len, slice, err);
}

/* The differences found so far, and where their phrases go. */
typedef struct differ {
  lr__buf *why; /* may be NULL */
  int n;
} differ;

__attribute__((format(printf, 2, 3)))
static void note(differ *d, const char *fmt, ...) {
  if (d->why) {
    if (d->n)
      lr__buf_puts(d->why, ", ");
    va_list ap;
    va_start(ap, fmt);
    lr__buf_vprintf(d->why, fmt, ap);
    va_end(ap);
  }
  d->n++;
}

/* A name (join key or feature) read from another source column. */
static void diff_column(differ *d, const char *what, const char *name,
                        const lr__source *sw, const lr__source *sn) {
  const char *cw = lr__source_column(sw, name);
  const char *cn = lr__source_column(sn, name);
  if (strcmp(cw, cn) != 0)
    note(d, "%s %s read from column %s (was %s)", what, name, cn, cw);
}

/* The features of `now` whose stored values a load of `was` did not
 * write: added (or, in the same layout, given another slot: removed and
 * defined again), retyped, computed by another expression, or (with the
 * sources sw and sn the views read, NULL for an on-demand view) read from
 * another column. `of` is "" or " of on-demand view NAME". */
static void diff_features(differ *d, const lr__view *was, const lr__view *now,
                          int same_layout, const char *of,
                          const lr__source *sw, const lr__source *sn) {
  for (int i = 0; i < now->n_features; i++) {
    const lr__field *f = &now->features[i];
    const lr__field *old = lr__view_feature(was, f->name);
    char t1[32], t2[32];
    if (!old || (same_layout && old->slot != f->slot))
      note(d, "feature %s%s added", f->name, of);
    else if (old->dtype != f->dtype)
      note(d, "feature %s%s retyped %s -> %s", f->name, of,
           lr__dtype_name(old->dtype, t1), lr__dtype_name(f->dtype, t2));
    else if (!lr__text_same(old->expr, f->expr))
      note(d, "feature %s%s computed as %s (was %s)", f->name, of,
           f->expr ? f->expr : "(none)", old->expr ? old->expr : "(none)");
    else if (sw && sn)
      diff_column(d, "feature", f->name, sw, sn);
  }
}

/* The join keys that field_mapping now reads from other columns. */
static void diff_key_columns(differ *d, const lr__model *mn,
                             const lr__view *now, const lr__source *sw,
                             const lr__source *sn) {
  for (int i = 0; i < now->n_entities; i++) {
    const lr__entity *e = lr__model_entity(mn, now->entities[i]);
    for (int k = 0; e && k < e->n_join_keys; k++)
      diff_column(d, "key", e->join_keys[k], sw, sn);
  }
}

/* Writes one changed attribute of a source (lr__attr_diff_fn). */
static void note_source_attr(void *ctx, const char *key, const lr__attr *a,
                             const lr__attr *b) {
  note(ctx, "source %s %s -> %s", lr__attr_label(key),
       a ? a->text : "(unset)", b ? b->text : "(unset)");
}

/* A source's attributes that change what is read. Its name does not (a
 * source renamed reads the same rows), nor its description and tags;
 * field_mapping counts per column read (diff_columns) and a push source's
 * batch_source through the batch source compared. */
static void diff_source(differ *d, const lr__source *sw,
                        const lr__source *sn) {
  static const char *const skip[] = {"description", "tags", "field_mapping",
                                     "batch_source", NULL};
  lr__attrs a, b;
  lr__attrs_source(&a, sw);
  lr__attrs_source(&b, sn);
  lr__attrs_diff(&a, &b, skip, note_source_attr, d);
  lr__attrs_free(&a);
  lr__attrs_free(&b);
}

/* The on-demand views stored from the rows of `now`: added, their rows
 * dropped, or their features changed since `was`. */
static void diff_derived(differ *d, const lr__model *mw, const lr__view *was,
                         const lr__model *mn, const lr__view *now) {
  for (int i = 0; i < mn->n_views; i++) {
    const lr__view *o = &mn->views[i];
    if (!lr__view_derives_from(o, now))
      continue;
    const lr__view *old = lr__model_view(mw, o->name);
    if (!old || !lr__view_derives_from(old, was)) {
      note(d, "on-demand view %s added", o->name);
      continue;
    }
    int same_layout = old->layout_epoch == o->layout_epoch;
    if (!same_layout)
      note(d, "the online rows of on-demand view %s were dropped by a "
           "forced apply or a new definition", o->name);
    lr__buf of;
    lr__buf_init(&of);
    lr__buf_printf(&of, " of on-demand view %s", o->name);
    diff_features(d, old, o, same_layout, lr__buf_str(&of), NULL, NULL);
    lr__buf_free(&of);
  }
}

int lr__loaddef_diff(const lr__model *mw, const lr__view *was,
                     const lr__model *mn, const lr__view *now, lr__buf *why) {
  differ d = {why, 0};
  int same_layout = was->layout_epoch == now->layout_epoch;
  if (!same_layout)
    note(&d, "its online rows were dropped by a forced apply or a new "
             "definition");
  const lr__source *sw = lr__model_data_source(mw, was);
  const lr__source *sn = lr__model_data_source(mn, now);
  diff_features(&d, was, now, same_layout, "", sw, sn);
  if (sw && sn) {
    diff_key_columns(&d, mn, now, sw, sn);
    diff_source(&d, sw, sn);
  } else if (sw != sn) {
    note(&d, "source %s -> %s", sw ? sw->name : "(none)",
         sn ? sn->name : "(none)");
  }
  const lr__source *pw = was->source ? lr__model_source(mw, was->source) : NULL;
  const lr__source *pn = now->source ? lr__model_source(mn, now->source) : NULL;
  if (pw && pn && pw->kind == LR__SOURCE_PUSH && pn->kind == LR__SOURCE_PUSH)
    diff_source(&d, pw, pn);
  diff_derived(&d, mw, was, mn, now);
  return d.n;
}

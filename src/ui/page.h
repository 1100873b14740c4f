/*
 * page.h - what the UI's pages share (inside src/ui/): the request a page
 * answers, the pages themselves, and the helpers more than one uses.
 * A page runs with the server's lock held for reading and its write lock
 * held (the store's message buffer is shared), and writes its HTML into
 * r->body and its status into r->status.
 */
#ifndef LR_UI_PAGE_H
#define LR_UI_PAGE_H

#include <stdint.h>

#include "../online/freshness.h"
#include "../registry/model.h"
#include "html.h"
#include "ui.h"

typedef struct lr__ui_page {
  lr__server *s;
  lr_store *store;
  const lr__model *m;
  const char *query; /* the query string, "" when none */
  const char *rest;  /* the path after the page's prefix, decoded */
  lr__reply *r;
  lr__buf *out;
} lr__ui_page;

/* The pages: / (overview.c), /objects and /object/KIND/NAME
 * (objects.c, object.c), /view/NAME (view.c), /lookup (lookup.c). */
void lr__ui_overview(lr__ui_page *p);
void lr__ui_objects(lr__ui_page *p);
void lr__ui_object(lr__ui_page *p);
void lr__ui_view(lr__ui_page *p);
void lr__ui_lookup(lr__ui_page *p);

/* The parts of a view's page that read saved files (view_stats.c): the
 * newest profile's statistics and histograms (?profile=NAME picks
 * another), and the drift scores of every saved run. */
void lr__ui_view_statistics(lr__ui_page *p, const lr__view *v);
void lr__ui_view_drift(lr__ui_page *p, const lr__view *v);

/* Reads REPO/data/KIND/VIEW/NAME.json (kind "profiles", "skew",
 * "materializations"): NAME `name` when it is set, else the newest file
 * there (by modification time), its name put into `name`. *text gets the
 * file (free it), *len its length. Returns 1 when read, else 0. */
int lr__ui_read_saved(const char *repo, const char *kind, const char *view,
                      lr__buf *name, char **text, size_t *len);

/* A whole page of one message (escaped) with `status`. */
void lr__ui_message_page(lr__ui_page *p, int status, const char *title,
                         const char *message);

/* A view's freshness against what is expected of it. */
typedef struct lr__ui_fresh {
  const char *colour;   /* green, amber, red, grey */
  const char *label;    /* fresh, stale, too old, no rows, ... */
  int64_t age_s;        /* of the newest event; -1: none */
  int64_t expected_s;   /* -1: nothing expected */
  const char *expected_from; /* "freshness check", "ttl" or NULL */
} lr__ui_fresh;

/* Judges view v's freshness record f (NULL: none read) at now_us: green
 * when its newest event is at most as old as expected (its freshness
 * check's, else its ttl), amber up to twice that, red beyond or with no
 * rows; grey when nothing is expected or it is not stored. */
void lr__ui_judge_freshness(const lr__model *m, const lr__view *v,
                            const lr__freshness *f, int64_t now_us,
                            lr__ui_fresh *out);

/* Appends the judgement as a status badge and the ages as text. */
void lr__ui_put_freshness(lr__buf *out, const lr__ui_fresh *f);

/* Appends "KIND NAME" of a view's kind: "feature view" / "on-demand
 * feature view". */
const char *lr__ui_view_kind(const lr__view *v);

/* The link of an object's page: /ui/object/KIND/NAME, text its name. */
void lr__ui_object_link(lr__buf *out, const char *kind, const char *name);

/* The tags as "key=value" list items, escaped (nothing when none). */
void lr__ui_put_tags(lr__buf *out, const lr__kv *tags, int n);

#endif

/*
 * objects.c - /ui/objects: every entity, source, view, feature and
 * service with its description and tags, and the search over them
 * (?q=TEXT, any case, in names, descriptions and tags). The search runs
 * on the server, so the page works without script; ui.js also filters
 * the lists as one types.
 */
#include <ctype.h>
#include <string.h>

#include "form.h"
#include "page.h"

/* What one list item shows and is searched by. */
typedef struct item {
  const char *kind;   /* the object page's KIND */
  const char *name;   /* the object's name (the link's target) */
  const char *label;  /* shown instead of the name, or NULL */
  const char *detail; /* a dtype, a source kind, or NULL */
  const char *description;
  const lr__kv *tags;
  int n_tags;
} item;

/* Appends `s` lower-cased (ASCII) to out. */
static void put_lower(lr__buf *out, const char *s) {
  for (; s && *s; s++)
    lr__buf_putc(out, (char)tolower((unsigned char)*s));
}

/* Writes the item when the search `q` (lower-cased; "" for all) is in
 * its text; returns 1 when written. */
static int put_item(lr__buf *out, const char *q, const item *it) {
  lr__buf text;
  lr__buf_init(&text);
  put_lower(&text, it->label ? it->label : it->name);
  lr__buf_putc(&text, ' ');
  put_lower(&text, it->description);
  for (int t = 0; t < it->n_tags; t++) {
    lr__buf_putc(&text, ' ');
    put_lower(&text, it->tags[t].key);
    lr__buf_putc(&text, '=');
    put_lower(&text, it->tags[t].value);
  }
  int shown = !*q || strstr(lr__buf_str(&text), q) != NULL;
  if (shown) {
    lr__buf_puts(out, "<li data-search=\"");
    lr__html_text(out, lr__buf_str(&text));
    lr__buf_printf(out, "\"><a href=\"/ui/object/%s/", it->kind);
    lr__ui_url_encode(out, it->name);
    lr__buf_puts(out, "\">");
    lr__html_text(out, it->label ? it->label : it->name);
    lr__buf_puts(out, "</a>");
    if (it->detail) {
      lr__buf_puts(out, " <span class=\"muted\">");
      lr__html_text(out, it->detail);
      lr__buf_puts(out, "</span>");
    }
    if (it->description) {
      lr__buf_puts(out, " - ");
      lr__html_text(out, it->description);
    }
    if (it->n_tags) {
      lr__buf_puts(out, "<ul class=\"tags\">");
      lr__ui_put_tags(out, it->tags, it->n_tags);
      lr__buf_puts(out, "</ul>");
    }
    lr__buf_puts(out, "</li>\n");
  }
  lr__buf_free(&text);
  return shown;
}

static const char *source_kind(const lr__source *s) {
  switch (s->kind) {
  case LR__SOURCE_FILE: return "file source";
  case LR__SOURCE_SQL: return "sql source";
  case LR__SOURCE_PUSH: return "push source";
  default: return "request source";
  }
}

/* The sections, each an id and a heading; returns the items shown. */
static int sections(lr__buf *out, const lr__model *m, const char *q) {
  int shown = 0;
  lr__buf_puts(out, "<h2 id=\"entities\">Entities</h2>\n<ul class=\"objects"
                    "\">\n");
  for (int i = 0; i < m->n_entities; i++) {
    const lr__entity *e = &m->entities[i];
    shown += put_item(out, q, &(item){"entity", e->name, NULL, NULL,
                                      e->description, e->tags, e->n_tags});
  }
  lr__buf_puts(out, "</ul>\n<h2 id=\"sources\">Sources</h2>\n"
                    "<ul class=\"objects\">\n");
  for (int i = 0; i < m->n_sources; i++) {
    const lr__source *s = &m->sources[i];
    shown += put_item(out, q, &(item){"source", s->name, NULL, source_kind(s),
                                      s->description, s->tags, s->n_tags});
  }
  lr__buf_puts(out, "</ul>\n<h2 id=\"views\">Feature views and on-demand "
                    "feature views</h2>\n<ul class=\"objects\">\n");
  for (int i = 0; i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    shown += put_item(out, q, &(item){"view", v->name, NULL,
                                      lr__ui_view_kind(v), v->description,
                                      v->tags, v->n_tags});
  }
  lr__buf_puts(out, "</ul>\n<h2 id=\"features\">Features</h2>\n"
                    "<ul class=\"objects\">\n");
  for (int i = 0; i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    for (int f = 0; f < v->n_features; f++) {
      lr__buf label;
      lr__buf_init(&label);
      lr__buf_printf(&label, "%s:%s", v->name, v->features[f].name);
      char dtype[64];
      shown += put_item(out, q, &(item){"view", v->name, lr__buf_str(&label),
                                        lr_type_name(v->features[f].dtype,
                                                     dtype),
                                        v->features[f].description, NULL, 0});
      lr__buf_free(&label);
    }
  }
  lr__buf_puts(out, "</ul>\n<h2 id=\"services\">Feature services</h2>\n"
                    "<ul class=\"objects\">\n");
  for (int i = 0; i < m->n_services; i++) {
    const lr__service *s = &m->services[i];
    shown += put_item(out, q, &(item){"service", s->name, NULL, NULL,
                                      s->description, s->tags, s->n_tags});
  }
  lr__buf_puts(out, "</ul>\n");
  return shown;
}

void lr__ui_objects(lr__ui_page *p) {
  lr__buf q, lower;
  lr__buf_init(&q);
  lr__buf_init(&lower);
  lr__form_get(p->query, "q", &q);
  put_lower(&lower, lr__buf_str(&q));
  lr__html_begin(p->out, "Objects", LR__NAV_OBJECTS);
  lr__buf_puts(p->out, "<form method=\"get\" action=\"/ui/objects\" "
                       "class=\"inline\" role=\"search\">\n<div "
                       "class=\"field\"><label for=\"q\">Search names, "
                       "descriptions and tags</label><input type=\"search\" "
                       "id=\"q\" name=\"q\" value=\"");
  lr__html_text(p->out, lr__buf_str(&q));
  lr__buf_puts(p->out, "\"></div>\n<button type=\"submit\">Search</button>"
                       "\n</form>\n");
  lr__buf body;
  lr__buf_init(&body);
  int shown = sections(&body, p->m, lr__buf_str(&lower));
  if (q.len) {
    lr__buf_printf(p->out, "<p id=\"matches\" role=\"status\">%d match%s "
                   "for <q>", shown, shown == 1 ? "" : "es");
    lr__html_text(p->out, lr__buf_str(&q));
    lr__buf_puts(p->out, "</q>.</p>\n");
  }
  lr__buf_append(p->out, body.data ? body.data : "", body.len);
  lr__html_end(p->out);
  lr__buf_free(&body);
  lr__buf_free(&q);
  lr__buf_free(&lower);
}

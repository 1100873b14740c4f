/*
 * object.c - /ui/object/KIND/NAME (KIND: entity, source, view, service):
 * one object's definition as `larder describe` writes it, its features or
 * expressions, the YAML it was written in (file and line, read from the
 * repo's file as it is now), its description and tags, and what uses it.
 */
#include <stdlib.h>
#include <string.h>

#include "../registry/catalog.h"
#include "../registry/checks.h"
#include "../util/fs.h"
#include "page.h"

/* The object page's parts shared by every kind. */
typedef struct object {
  const char *kind, *name, *description;
  const lr__kv *tags;
  int n_tags;
  lr__loc loc;
} object;

/* The leading spaces of the line at `s`. */
static int indent_of(const char *s, const char *end) {
  int n = 0;
  while (s + n < end && s[n] == ' ')
    n++;
  return n;
}

/* Appends the YAML of the object defined at `loc`: its first line, then
 * the lines indented at least as far as its first key (blank lines within
 * it kept), at most 200. 0, or -1 when the file cannot be read. */
static int yaml_excerpt(const char *repo, const lr__loc *loc, lr__buf *out) {
  if (!loc->file || loc->line < 1 || strstr(loc->file, ".."))
    return -1;
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__fs_join(&path, repo, loc->file);
  char *text = NULL;
  size_t len = 0;
  int rc = lr__fs_read_file(lr__buf_str(&path), &text, &len, &err);
  lr__buf_free(&path);
  lr__buf_free(&err);
  if (rc)
    return -1;
  const char *p = text, *end = text + len;
  for (int line = 1; line < loc->line && p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  int want = loc->col > 1 ? loc->col - 1 : 0, shown = 0;
  size_t kept = 0; /* the excerpt's length up to its last non-blank line */
  lr__buf lines;
  lr__buf_init(&lines);
  for (; p < end && shown < 200; shown++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *eol = nl ? nl : end;
    int blank = indent_of(p, eol) == eol - p;
    if (shown && !blank && indent_of(p, eol) < want)
      break;
    lr__buf_append(&lines, p, (size_t)(eol - p));
    lr__buf_putc(&lines, '\n');
    if (!blank)
      kept = lines.len;
    p = nl ? nl + 1 : end;
  }
  lr__html_textn(out, lines.data ? lines.data : "", kept);
  lr__buf_free(&lines);
  free(text);
  return 0;
}

/* The description, tags, definition and YAML of any object. */
static void common(lr__ui_page *p, const object *o) {
  lr__buf *out = p->out;
  if (o->description) {
    lr__buf_puts(out, "<p class=\"description\">");
    lr__html_text(out, o->description);
    lr__buf_puts(out, "</p>\n");
  }
  if (o->n_tags) {
    lr__buf_puts(out, "<h2>Tags</h2>\n<ul>");
    lr__ui_put_tags(out, o->tags, o->n_tags);
    lr__buf_puts(out, "</ul>\n");
  }
  lr__buf text, err;
  lr__buf_init(&text);
  lr__buf_init(&err);
  if (lr__catalog_describe(p->m, o->name, 0, &text, &err) == 0) {
    lr__buf_puts(out, "<h2>Definition</h2>\n<pre class=\"definition\">");
    lr__html_text(out, lr__buf_str(&text));
    lr__buf_puts(out, "</pre>\n");
  }
  lr__buf_free(&text);
  lr__buf_free(&err);
  lr__buf_puts(out, "<h2>YAML</h2>\n");
  if (o->loc.file) {
    lr__buf_puts(out, "<p>Defined at <code>");
    lr__html_text(out, o->loc.file);
    lr__buf_printf(out, ":%d</code> (the file as it is now)</p>\n<pre "
                   "class=\"yaml\">", o->loc.line);
    if (yaml_excerpt(p->s->opt.repo, &o->loc, out) != 0)
      lr__buf_puts(out, "(the file cannot be read)");
    lr__buf_puts(out, "</pre>\n");
  } else {
    lr__buf_puts(out, "<p class=\"muted\">Where it was defined is not "
                      "recorded.</p>\n");
  }
}

/* The services that list view `view`. */
static void services_using(lr__ui_page *p, const char *view) {
  lr__buf *out = p->out;
  int n = 0;
  lr__buf_puts(out, "<h2>Feature services using it</h2>\n<ul>");
  for (int i = 0; i < p->m->n_services; i++) {
    const lr__service *s = &p->m->services[i];
    for (int k = 0; k < s->n_items; k++)
      if (!strcmp(s->items[k].view, view)) {
        lr__buf_puts(out, "<li>");
        lr__ui_object_link(out, "service", s->name);
        lr__buf_puts(out, "</li>");
        n++;
        break;
      }
  }
  lr__buf_puts(out, n ? "</ul>\n" : "<li class=\"muted\">none</li></ul>\n");
}

/* 1 when view v uses entity or source `name` (by_entity: as an entity;
 * else as its source, or an on-demand view's). */
static int view_uses(const lr__view *v, const char *name, int by_entity) {
  int uses = !by_entity && v->source && !strcmp(v->source, name);
  for (int k = 0; by_entity && k < v->n_entities; k++)
    uses |= !strcmp(v->entities[k], name);
  for (int k = 0; !by_entity && k < v->n_sources; k++)
    uses |= !strcmp(v->sources[k], name);
  return uses;
}

/* The views that use entity or source (or, for an on-demand view, view)
 * `name`. */
static void views_using(lr__ui_page *p, const char *name, int by_entity) {
  lr__buf *out = p->out;
  int n = 0;
  lr__buf_puts(out, "<h2>Feature views using it</h2>\n<ul>");
  for (int i = 0; i < p->m->n_views; i++)
    if (view_uses(&p->m->views[i], name, by_entity)) {
      lr__buf_puts(out, "<li>");
      lr__ui_object_link(out, "view", p->m->views[i].name);
      lr__buf_puts(out, "</li>");
      n++;
    }
  lr__buf_puts(out, n ? "</ul>\n" : "<li class=\"muted\">none</li></ul>\n");
}

/* The services that list a view using entity or source `name`. */
static void services_via_views(lr__ui_page *p, const char *name,
                               int by_entity) {
  lr__buf *out = p->out;
  int n = 0;
  lr__buf_puts(out, "<h2>Feature services using it</h2>\n<ul>");
  for (int i = 0; i < p->m->n_services; i++) {
    const lr__service *s = &p->m->services[i];
    int uses = 0;
    for (int k = 0; !uses && k < s->n_items; k++) {
      const lr__view *v = lr__model_view(p->m, s->items[k].view);
      uses = v && view_uses(v, name, by_entity);
    }
    if (uses) {
      lr__buf_puts(out, "<li>");
      lr__ui_object_link(out, "service", s->name);
      lr__buf_puts(out, "</li>");
      n++;
    }
  }
  lr__buf_puts(out, n ? "</ul>\n" : "<li class=\"muted\">none</li></ul>\n");
}

/* A view's features (with their expressions for an on-demand view) and
 * checks. */
static void view_parts(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  int odfv = v->kind == LR__VIEW_ON_DEMAND;
  lr__buf_puts(out, "<p>");
  lr__html_link(out, "/ui/view/", v->name, "Its data: freshness, checks, "
                "statistics, drift");
  lr__buf_printf(out, "</p>\n<h2>Features</h2>\n<table><thead><tr><th "
                 "scope=\"col\">Feature</th><th scope=\"col\">Type</th><th "
                 "scope=\"col\">%s</th></tr></thead><tbody>\n",
                 odfv ? "Expression" : "Description");
  for (int f = 0; f < v->n_features; f++) {
    char dtype[64];
    lr__buf_puts(out, "<tr>");
    lr__html_elem(out, "td", v->features[f].name);
    lr__html_elem(out, "td", lr_type_name(v->features[f].dtype, dtype));
    lr__buf_puts(out, "<td>");
    if (odfv) {
      lr__html_elem(out, "code", v->features[f].expr);
      lr__buf_puts(out, " ");
    }
    lr__html_text(out, v->features[f].description);
    lr__buf_puts(out, "</td></tr>\n");
  }
  lr__buf_puts(out, "</tbody></table>\n");
  if (v->n_checks) {
    lr__buf_puts(out, "<h2>Checks</h2>\n<ul>");
    for (int c = 0; c < v->n_checks; c++) {
      lr__buf line;
      lr__buf_init(&line);
      lr__check_text(&v->checks[c], &line);
      lr__buf_puts(out, "<li><code>");
      lr__html_text(out, lr__buf_str(&line));
      lr__buf_puts(out, "</code></li>");
      lr__buf_free(&line);
    }
    lr__buf_puts(out, "</ul>\n");
  }
  views_using(p, v->name, 0); /* the on-demand views reading it */
  services_using(p, v->name);
}

void lr__ui_object(lr__ui_page *p) {
  const char *slash = strchr(p->rest, '/');
  size_t kind_len = slash ? (size_t)(slash - p->rest) : 0;
  const char *name = slash ? slash + 1 : "";
  const lr__entity *e = NULL;
  const lr__source *src = NULL;
  const lr__view *v = NULL;
  const lr__service *svc = NULL;
  object o = {0};
  if (kind_len == 6 && !strncmp(p->rest, "entity", 6) &&
      (e = lr__model_entity(p->m, name)))
    o = (object){"entity", e->name, e->description, e->tags, e->n_tags,
                 e->loc};
  else if (kind_len == 6 && !strncmp(p->rest, "source", 6) &&
           (src = lr__model_source(p->m, name)))
    o = (object){"source", src->name, src->description, src->tags,
                 src->n_tags, src->loc};
  else if (kind_len == 4 && !strncmp(p->rest, "view", 4) &&
           (v = lr__model_view(p->m, name)))
    o = (object){v->kind == LR__VIEW_BATCH ? "feature view"
                                           : "on-demand feature view",
                 v->name, v->description, v->tags, v->n_tags, v->loc};
  else if (kind_len == 7 && !strncmp(p->rest, "service", 7) &&
           (svc = lr__model_service(p->m, name)))
    o = (object){"feature service", svc->name, svc->description, svc->tags,
                 svc->n_tags, svc->loc};
  if (!o.name) {
    lr__ui_message_page(p, 404, "Not found",
                        "No such object in the applied registry: see the "
                        "objects page.");
    return;
  }
  lr__buf title;
  lr__buf_init(&title);
  lr__buf_printf(&title, "%s %s", o.kind, o.name);
  lr__html_begin(p->out, lr__buf_str(&title), LR__NAV_OBJECTS);
  lr__buf_free(&title);
  common(p, &o);
  if (e || src) {
    views_using(p, o.name, e != NULL);
    services_via_views(p, o.name, e != NULL);
  } else if (v) {
    view_parts(p, v);
  }
  lr__html_end(p->out);
}

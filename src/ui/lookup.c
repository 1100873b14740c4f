/*
 * lookup.c - /ui/lookup: a form to look features up, and its answer. One
 * picks a service or features, fills in entity keys and request fields
 * (several entities: values separated by commas; a single value stands
 * for every entity), and the page shows the
 * values, statuses and event times as /get-online-features returns them,
 * with the JSON request and a curl line for it. The form is a GET: the
 * server builds the request and answers it through the API's own handler
 * (lr__get_online_features), so the page needs no script, and a lookup
 * reads only.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/json.h"
#include "form.h"
#include "page.h"

/* The most features a lookup lists and entities it takes from the form. */
enum { MAX_FEATURES = 256, MAX_ENTITIES = 100 };

/* Appends one value typed into the form as JSON of `dtype`: numbers and
 * bools as they are when they read as one (else as a string, which the
 * API refuses with its own message), everything else as a string. */
static void put_value(lr__buf *out, const char *text, size_t len,
                      uint8_t dtype) {
  lr__buf v;
  lr__buf_init(&v);
  lr__buf_append(&v, text, len);
  const char *s = lr__buf_str(&v);
  char *end = NULL;
  int number = (dtype == LR_TYPE_INT32 || dtype == LR_TYPE_INT64 ||
                dtype == LR_TYPE_FLOAT32 || dtype == LR_TYPE_FLOAT64) &&
               *s && (strtod(s, &end), end && !*end) && !strpbrk(s, " \t");
  int boolean = dtype == LR_TYPE_BOOL && (!strcmp(s, "true") ||
                                          !strcmp(s, "false"));
  if (number || boolean)
    lr__buf_puts(out, s);
  else
    lr__buf_json_str(out, s);
  lr__buf_free(&v);
}

/* The number of comma-separated values in `text` (0 when empty), at
 * most MAX_ENTITIES. */
static int values_in(const char *text) {
  int n = *text ? 1 : 0;
  for (const char *p = text; *p && n < MAX_ENTITIES; p++)
    n += *p == ',';
  return n;
}

/* Appends "NAME": [values] for the comma-separated `text`; a single value
 * is repeated for each of `n_entities`. Returns the number of values (0:
 * nothing appended). */
static int put_column(lr__buf *out, const char *name, const char *text,
                      uint8_t dtype, int first, int n_entities) {
  int n = values_in(text), repeat = n == 1 && n_entities > 1;
  if (!n)
    return 0;
  lr__buf_puts(out, first ? "" : ", ");
  lr__buf_json_str(out, name);
  lr__buf_puts(out, ": [");
  const char *p = text;
  for (int i = 0; i < (repeat ? n_entities : n); i++) {
    if (repeat)
      p = text;
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    const char *v = p;
    while (len && (*v == ' ' || *v == '\t'))
      v++, len--;
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
      len--;
    lr__buf_puts(out, i ? ", " : "");
    put_value(out, v, len, dtype);
    p = comma ? comma + 1 : p + strlen(p);
  }
  lr__buf_puts(out, "]");
  return n;
}

/* The key columns the form offers: every join key of every entity, and
 * every field of every request source. Calls fn for each. */
typedef void (*column_fn)(void *ctx, const char *name, uint8_t dtype,
                          const char *owner, int is_key);

static void each_column(const lr__model *m, column_fn fn, void *ctx) {
  for (int i = 0; i < m->n_entities; i++)
    for (int k = 0; k < m->entities[i].n_join_keys; k++) {
      int seen = 0;
      for (int j = 0; j < i; j++)
        for (int l = 0; l < m->entities[j].n_join_keys; l++)
          seen |= !strcmp(m->entities[j].join_keys[l],
                          m->entities[i].join_keys[k]);
      if (!seen)
        fn(ctx, m->entities[i].join_keys[k], m->entities[i].value_type,
           m->entities[i].name, 1);
    }
  for (int i = 0; i < m->n_sources; i++)
    for (int f = 0; m->sources[i].kind == LR__SOURCE_REQUEST &&
                    f < m->sources[i].n_fields; f++)
      fn(ctx, m->sources[i].fields[f].name, m->sources[i].fields[f].dtype,
         m->sources[i].name, 0);
}

/* Building the request body from the form: each filled box's column
 * (a first pass counts the entities: the most values a box holds). */
typedef struct body_ctx {
  const char *query;
  lr__buf *out; /* NULL: counting */
  int n, n_entities;
} body_ctx;

static void body_column(void *ctx, const char *name, uint8_t dtype,
                        const char *owner, int is_key) {
  (void)owner;
  body_ctx *b = ctx;
  lr__buf arg, value;
  lr__buf_init(&arg);
  lr__buf_init(&value);
  lr__buf_printf(&arg, "%s%s", is_key ? "key." : "field.", name);
  if (lr__form_get(b->query, lr__buf_str(&arg), &value) && value.len) {
    int n = values_in(lr__buf_str(&value));
    if (!b->out)
      b->n_entities = n > b->n_entities ? n : b->n_entities;
    else
      b->n += put_column(b->out, name, lr__buf_str(&value), dtype, !b->n,
                         b->n_entities) > 0;
  }
  lr__buf_free(&arg);
  lr__buf_free(&value);
}

/* The request body of the form's query; 0 when it asks for nothing. */
static int request_body(const lr__ui_page *p, lr__buf *body) {
  lr__buf service, feature;
  lr__buf_init(&service);
  lr__buf_init(&feature);
  int n_features = 0;
  if (lr__form_get(p->query, "service", &service) && service.len) {
    lr__buf_puts(body, "{\"feature_service\": ");
    lr__buf_json_str(body, lr__buf_str(&service));
  } else {
    lr__buf_puts(body, "{\"features\": [");
    for (int k = 0; k < MAX_FEATURES &&
                    lr__form_get_nth(p->query, "features", k, &feature);
         k++) {
      lr__buf_puts(body, n_features++ ? ", " : "");
      lr__buf_json_str(body, lr__buf_str(&feature));
    }
    lr__buf_puts(body, "]");
  }
  lr__buf_puts(body, ", \"entities\": {");
  body_ctx b = {p->query, NULL, 0, 0};
  each_column(p->m, body_column, &b);
  b.out = body;
  each_column(p->m, body_column, &b);
  lr__buf_puts(body, "}}");
  int asked = service.len || n_features;
  lr__buf_free(&service);
  lr__buf_free(&feature);
  return asked;
}

/* The form's inputs of each key column, filled with the query's values. */
typedef struct form_ctx {
  const char *query;
  lr__buf *out;
  int keys; /* writing the keys (1) or the request fields (0) */
} form_ctx;

static void form_column(void *ctx, const char *name, uint8_t dtype,
                        const char *owner, int is_key) {
  form_ctx *f = ctx;
  if (is_key != f->keys)
    return;
  lr__buf arg, value;
  lr__buf_init(&arg);
  lr__buf_init(&value);
  lr__buf_printf(&arg, "%s%s", is_key ? "key." : "field.", name);
  lr__form_get(f->query, lr__buf_str(&arg), &value);
  char tn[64];
  lr__buf_puts(f->out, "<div class=\"field\"><label for=\"");
  lr__html_text(f->out, lr__buf_str(&arg));
  lr__buf_puts(f->out, "\">");
  lr__html_text(f->out, name);
  lr__buf_printf(f->out, " <span class=\"muted\">(%s, %s ",
                 lr_type_name(dtype, tn), is_key ? "entity" : "request "
                 "source");
  lr__html_text(f->out, owner);
  lr__buf_puts(f->out, ")</span></label><input type=\"text\" id=\"");
  lr__html_text(f->out, lr__buf_str(&arg));
  lr__buf_puts(f->out, "\" name=\"");
  lr__html_text(f->out, lr__buf_str(&arg));
  lr__buf_puts(f->out, "\" value=\"");
  lr__html_text(f->out, lr__buf_str(&value));
  lr__buf_puts(f->out, "\"></div>\n");
  lr__buf_free(&arg);
  lr__buf_free(&value);
}

/* 1 when the query checks feature `ref` (view:feature). */
static int checked(const char *query, const char *ref) {
  lr__buf v;
  lr__buf_init(&v);
  int found = 0;
  for (int k = 0; !found && lr__form_get_nth(query, "features", k, &v); k++)
    found = !strcmp(lr__buf_str(&v), ref);
  lr__buf_free(&v);
  return found;
}

static void lookup_form(lr__ui_page *p) {
  lr__buf *out = p->out;
  lr__buf service;
  lr__buf_init(&service);
  lr__form_get(p->query, "service", &service);
  lr__buf_puts(out, "<form method=\"get\" action=\"/ui/lookup\" id=\"lookup\">"
                    "\n<fieldset><legend>Features</legend>\n<div class=\""
                    "field\"><label for=\"service\">Feature service</label>"
                    "<select id=\"service\" name=\"service\"><option value=\""
                    "\">(the features checked below)</option>");
  for (int i = 0; i < p->m->n_services; i++) {
    const char *name = p->m->services[i].name;
    lr__buf_puts(out, "<option value=\"");
    lr__html_text(out, name);
    lr__buf_printf(out, "\"%s>", strcmp(lr__buf_str(&service), name)
                                     ? "" : " selected");
    lr__html_text(out, name);
    lr__buf_puts(out, "</option>");
  }
  lr__buf_puts(out, "</select></div>\n<p class=\"muted\">or features:</p>\n");
  for (int i = 0; i < p->m->n_views; i++)
    for (int f = 0; f < p->m->views[i].n_features; f++) {
      lr__buf ref;
      lr__buf_init(&ref);
      lr__buf_printf(&ref, "%s:%s", p->m->views[i].name,
                     p->m->views[i].features[f].name);
      lr__buf_puts(out, "<label class=\"check\"><input type=\"checkbox\" "
                        "name=\"features\" value=\"");
      lr__html_text(out, lr__buf_str(&ref));
      lr__buf_printf(out, "\"%s> ", checked(p->query, lr__buf_str(&ref))
                                        ? " checked" : "");
      lr__html_text(out, lr__buf_str(&ref));
      lr__buf_puts(out, "</label><br>\n");
      lr__buf_free(&ref);
    }
  lr__buf_puts(out, "</fieldset>\n<fieldset><legend>Entity keys (several "
                    "entities: values separated by commas; one value "
                    "stands for all)</legend>\n");
  form_ctx fc = {p->query, out, 1};
  each_column(p->m, form_column, &fc);
  lr__buf_puts(out, "</fieldset>\n<fieldset><legend>Request fields (for "
                    "on-demand views)</legend>\n");
  fc.keys = 0;
  each_column(p->m, form_column, &fc);
  lr__buf_puts(out, "</fieldset>\n<button type=\"submit\">Look up</button>"
                    "\n</form>\n");
  lr__buf_free(&service);
}

/* Appends `s` single-quoted for a POSIX shell. */
static void shell_quote(lr__buf *out, const char *s) {
  lr__buf_putc(out, '\'');
  for (; *s; s++)
    lr__buf_puts(out, *s == '\'' ? "'\\''" : (char[]){*s, 0});
  lr__buf_putc(out, '\'');
}

/* The request as JSON and as a curl line. */
static void request_shown(lr__ui_page *p, const lr__buf *body) {
  lr__buf *out = p->out;
  lr__buf curl;
  lr__buf_init(&curl);
  lr__buf_printf(&curl, "curl -s -X POST http://%s:%d/get-online-features "
                 "-H 'Content-Type: application/json'", p->s->opt.host,
                 p->s->port ? p->s->port : p->s->opt.port);
  if (p->s->token) {
    lr__buf_puts(&curl, " -H \"Authorization: Bearer $(cat ");
    shell_quote(&curl, p->s->opt.token_file);
    lr__buf_puts(&curl, ")\"");
  }
  lr__buf_puts(&curl, " -d ");
  shell_quote(&curl, lr__buf_str(body));
  lr__buf_puts(out, "<h2>Request</h2>\n<pre id=\"request\">");
  lr__html_text(out, lr__buf_str(body));
  lr__buf_puts(out, "</pre>\n<pre id=\"curl\">");
  lr__html_text(out, lr__buf_str(&curl));
  lr__buf_puts(out, "</pre>\n");
  lr__buf_free(&curl);
}

/* The text of one value of the answer: a string's, a number's, else the
 * JSON as written. */
static void put_json_value(lr__buf *out, const lr__jnode *v) {
  if (!v)
    lr__buf_puts(out, "-");
  else if (v->kind == LR__J_ARRAY || v->kind == LR__J_OBJECT)
    lr__html_textn(out, v->raw, v->raw_len);
  else
    lr__html_text(out, v->text);
}

/* The answer: a table of the features (rows) by entity (value, status,
 * event time), or the error. */
static void answer_shown(lr__ui_page *p, int status, const lr__buf *json) {
  lr__buf *out = p->out;
  lr__json_doc doc;
  lr__json_doc_read(&doc, lr__buf_str(json), json->len);
  const lr__jnode *names = lr__json_get(lr__json_get(doc.root, "metadata"),
                                        "feature_names");
  const lr__jnode *results = lr__json_get(doc.root, "results");
  lr__buf_printf(out, "<h2>Answer <span class=\"status %s\">HTTP %d</span>"
                 "</h2>\n", status == 200 ? "green" : "red", status);
  if (status == 200 && names && results && names->kind == LR__J_ARRAY &&
      results->kind == LR__J_ARRAY && names->n == results->n) {
    int n_entities = results->n ? lr__json_get(results->items[0], "values")
                                      ? lr__json_get(results->items[0],
                                                     "values")->n : 0
                                : 0;
    lr__buf_puts(out, "<table id=\"answer\"><thead><tr><th scope=\"col\">"
                      "Feature</th>");
    for (int e = 0; e < n_entities; e++)
      lr__buf_printf(out, "<th scope=\"col\">Entity %d: value</th><th "
                     "scope=\"col\">status</th><th scope=\"col\">event time"
                     "</th>", e + 1);
    lr__buf_puts(out, "</tr></thead><tbody>\n");
    for (int f = 0; f < names->n; f++) {
      const lr__jnode *r = results->items[f];
      const lr__jnode *vals = lr__json_get(r, "values");
      const lr__jnode *sts = lr__json_get(r, "statuses");
      const lr__jnode *ts = lr__json_get(r, "event_timestamps");
      lr__buf_puts(out, "<tr><th scope=\"row\">");
      put_json_value(out, names->items[f]);
      lr__buf_puts(out, "</th>");
      for (int e = 0; e < n_entities; e++) {
        lr__buf_puts(out, "<td class=\"value\">");
        put_json_value(out, vals && e < vals->n ? vals->items[e] : NULL);
        lr__buf_puts(out, "</td><td>");
        put_json_value(out, sts && e < sts->n ? sts->items[e] : NULL);
        lr__buf_puts(out, "</td><td>");
        put_json_value(out, ts && e < ts->n ? ts->items[e] : NULL);
        lr__buf_puts(out, "</td>");
      }
      lr__buf_puts(out, "</tr>\n");
    }
    lr__buf_puts(out, "</tbody></table>\n");
  } else {
    const lr__jnode *detail = lr__json_get(doc.root, "detail");
    lr__buf_puts(out, "<p class=\"error\" role=\"alert\">");
    lr__html_text(out, detail && detail->kind == LR__J_STRING
                           ? detail->text : "the answer is not JSON");
    lr__buf_puts(out, "</p>\n");
  }
  lr__buf_puts(out, "<details><summary>The answer as JSON</summary><pre "
                    "id=\"response\">");
  lr__html_text(out, lr__buf_str(json));
  lr__buf_puts(out, "</pre></details>\n");
  lr__json_doc_free(&doc);
}

void lr__ui_lookup(lr__ui_page *p) {
  lr__html_begin(p->out, "Lookup", LR__NAV_LOOKUP);
  lookup_form(p);
  lr__buf body;
  lr__buf_init(&body);
  if (request_body(p, &body)) {
    request_shown(p, &body);
    lr__reply api = {.status = 500, .content_type = "application/json"};
    lr__buf_init(&api.body);
    lr__get_online_features(p->s, lr__buf_str(&body), body.len, &api);
    answer_shown(p, api.status, &api.body);
    lr__buf_free(&api.body);
  }
  lr__buf_free(&body);
  lr__html_end(p->out);
}

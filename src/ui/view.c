/*
 * view.c - /ui/view/NAME: a view's data. Its freshness and last writes by
 * path, its last materialization (the store's record) and the history of
 * its loads (data/materializations/), what its checks did per rule (the
 * store's counts), then the saved statistics and drift runs
 * (view_stats.c) and the newest saved skew run. Every file is one another
 * command wrote (`materialize`, `stats --save`, `drift --save`, `skew
 * --save`): read here, never computed (the server never runs DuckDB).
 */
#include <stdlib.h>
#include <string.h>

#include "../online/checkstats.h"
#include "../online/introspect.h"
#include "../registry/checks.h"
#include "../util/json.h"
#include "../util/timefmt.h"
#include "page.h"

/* Freshness, last writes by path, the last materialization. */
static void freshness(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  lr__freshness f;
  int has_f = lr__view_is_stored(v) &&
              lr__store_freshness(p->store, v->name, &f) == 0;
  lr__ui_fresh judged;
  lr__ui_judge_freshness(p->m, v, has_f ? &f : NULL, lr__time_now_us(),
                         &judged);
  lr__buf_puts(out, "<h2>Freshness</h2>\n<p class=\"freshness\">");
  lr__ui_put_freshness(out, &judged);
  lr__buf_puts(out, "</p>\n");
  if (!has_f)
    return;
  lr__buf_puts(out, "<dl class=\"facts\">\n<dt>Newest event</dt><dd>");
  lr__html_time(out, f.max_event_us);
  lr__buf_puts(out, "</dd>\n");
  for (int src = 0; src < LR__FRESH_SOURCES; src++) {
    lr__buf_printf(out, "<dt>Last %s</dt><dd>", lr__fresh_source_name(src));
    lr__html_time(out, f.last_write_us[src]);
    lr__buf_puts(out, "</dd>\n");
  }
  lr__buf_puts(out, "</dl>\n");
}

/* One field of a history entry, as text (a number's, a string's). */
static void entry_cell(lr__buf *out, const lr__jnode *e, const char *key,
                       int num) {
  const lr__jnode *v = lr__json_get(e, key);
  lr__buf_puts(out, num ? "<td class=\"num\">" : "<td>");
  lr__html_text(out, !v ? "-" : v->kind == LR__J_NULL ? "the beginning"
                                                       : v->text);
  lr__buf_puts(out, "</td>");
}

/* The view's loads as `materialize` recorded them
 * (data/materializations/VIEW/history.json), newest first. */
static void history(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  lr__buf name;
  lr__buf_init(&name);
  lr__buf_puts(&name, "history");
  char *text;
  size_t len;
  lr__json_doc doc = {0};
  int ok = lr__ui_read_saved(p->s->opt.repo, "materializations", v->name,
                             &name, &text, &len);
  if (ok)
    lr__json_doc_read(&doc, text, len);
  const lr__jnode *loads = lr__json_get(doc.root, "loads");
  if (!loads || loads->kind != LR__J_ARRAY || !loads->n) {
    lr__buf_puts(out, "<p class=\"muted\">No load is recorded in "
                      "data/materializations/.</p>\n");
  } else {
    static const struct {
      const char *key, *label;
      int num;
    } cols[] = {{"ran_at", "Ran at", 0}, {"start", "From", 0},
                {"end", "To", 0}, {"incremental", "Incremental", 0},
                {"rows_written", "Rows written", 1},
                {"rows_skipped", "Rows skipped (older)", 1},
                {"rows_quarantined", "Rows dropped to quarantine", 1},
                {"batches_refused", "Batches refused", 1},
                {"duration_ms", "Duration (ms)", 1}};
    lr__buf_puts(out, "<table id=\"history\"><caption class=\"muted\">The "
                      "last loads, newest first.</caption><thead><tr>");
    for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
      lr__buf_printf(out, "<th scope=\"col\">%s</th>", cols[c].label);
    lr__buf_puts(out, "</tr></thead><tbody>\n");
    for (int i = loads->n - 1; i >= 0 && i >= loads->n - 20; i--) {
      lr__buf_puts(out, "<tr>");
      for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
        entry_cell(out, loads->items[i], cols[c].key, cols[c].num);
      lr__buf_puts(out, "</tr>\n");
    }
    lr__buf_puts(out, "</tbody></table>\n");
  }
  if (ok)
    lr__json_doc_free(&doc);
  free(text);
  lr__buf_free(&name);
}

/* The last materialization as the store records it, and the history. */
static void materialization(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Materialization</h2>\n");
  long long end_us;
  if (lr__store_materialized_end(p->store, v, &end_us) != 0) {
    lr__buf_puts(out, "<p>Never materialized into this store: run <code>"
                      "larder materialize-incremental now</code>.</p>\n");
  } else {
    lr__buf_puts(out, "<p>The store's last load ended at ");
    lr__html_time(out, end_us);
    lr__buf_puts(out, "; the next incremental load starts there.</p>\n");
  }
  history(p, v);
}

/* What the view's checks did: per rule the rows passed and failed, the
 * batches refused, the rows quarantined. */
static void checks(lr__ui_page *p, const lr__view *v) {
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Checks</h2>\n");
  if (!v->n_checks) {
    lr__buf_puts(out, "<p class=\"muted\">The view has no checks.</p>\n");
    return;
  }
  lr__checkstats cs;
  if (lr__store_checkstats(p->store, v->name, &cs) != 0)
    cs.present = 0;
  lr__buf_puts(out, "<table id=\"checks\"><thead><tr><th scope=\"col\">Rule"
                    "</th><th scope=\"col\">Definition</th><th scope=\"col\">"
                    "Rows passed</th><th scope=\"col\">Rows failed</th></tr>"
                    "</thead><tbody>\n");
  for (int c = 0; c < v->n_checks; c++) {
    lr__buf line;
    lr__buf_init(&line);
    lr__check_text(&v->checks[c], &line);
    lr__buf_puts(out, "<tr>");
    lr__html_elem(out, "td", v->checks[c].name);
    lr__buf_puts(out, "<td><code>");
    lr__html_text(out, lr__buf_str(&line));
    lr__buf_puts(out, "</code></td>");
    int k = 0;
    while (cs.present && k < cs.n_rules &&
           strcmp(cs.rules[k].name, v->checks[c].name) != 0)
      k++;
    if (cs.present && k < cs.n_rules)
      lr__buf_printf(out, "<td class=\"num\">%llu</td><td class=\"num\">"
                     "%llu</td></tr>\n", cs.rules[k].passed,
                     cs.rules[k].failed);
    else
      lr__buf_puts(out, "<td class=\"num\">-</td><td class=\"num\">-</td>"
                        "</tr>\n");
    lr__buf_free(&line);
  }
  lr__buf_puts(out, "</tbody></table>\n");
  if (cs.present)
    lr__buf_printf(out, "<p>Batches refused: %llu. Rows quarantined: %llu."
                   "</p>\n", cs.rejected, cs.quarantined);
  else
    lr__buf_puts(out, "<p class=\"muted\">The checks have not run on this "
                      "store yet.</p>\n");
}

/* One count of a feature in the skew report, with its share. */
static void skew_cell(lr__buf *out, const lr__jnode *f, const char *kind) {
  const lr__jnode *n = lr__json_get(f, kind);
  const lr__jnode *share = lr__json_get(lr__json_get(f, "shares"), kind);
  lr__buf_puts(out, "<td class=\"num\">");
  lr__html_text(out, n && n->kind == LR__J_NUMBER ? n->text : "-");
  if (share && share->kind == LR__J_NUMBER)
    lr__buf_printf(out, " (%.1f%%)", 100 * strtod(share->text, NULL));
  lr__buf_puts(out, "</td>");
}

/* The newest saved skew run (`larder skew VIEW --save NAME`). */
static void skew(lr__ui_page *p, const lr__view *v) {
  static const char *const kinds[] = {"equal", "different", "missing_online",
                                      "missing_offline", "missing_both"};
  lr__buf *out = p->out;
  if (v->kind != LR__VIEW_BATCH)
    return;
  lr__buf_puts(out, "<h2>Skew</h2>\n");
  lr__buf name;
  lr__buf_init(&name);
  char *text;
  size_t len;
  lr__json_doc doc = {0};
  int ok = lr__ui_read_saved(p->s->opt.repo, "skew", v->name, &name, &text,
                             &len);
  if (ok)
    lr__json_doc_read(&doc, text, len);
  const lr__jnode *features = lr__json_get(doc.root, "features");
  if (!ok || !features || features->kind != LR__J_ARRAY) {
    lr__buf_puts(out, "<p>No saved skew run: run <code>larder skew ");
    lr__html_text(out, v->name);
    lr__buf_puts(out, " --save NAME</code>.</p>\n");
  } else {
    const lr__jnode *as_of = lr__json_get(doc.root, "as_of");
    const lr__jnode *n = lr__json_get(doc.root, "entities");
    const lr__jnode *version = lr__json_get(doc.root, "online_version");
    lr__buf_puts(out, "<p>Run <code>");
    lr__html_text(out, lr__buf_str(&name));
    lr__buf_puts(out, "</code> as of ");
    lr__html_text(out, as_of ? as_of->text : "?");
    lr__buf_puts(out, ": ");
    lr__html_text(out, n ? n->text : "?");
    lr__buf_puts(out, " entities, the online store at version ");
    lr__html_text(out, version ? version->text : "?");
    lr__buf_puts(out, ".</p>\n<table id=\"skew\"><thead><tr><th scope=\"col\""
                      ">Feature</th><th scope=\"col\">Equal</th><th scope=\""
                      "col\">Different</th><th scope=\"col\">Missing online"
                      "</th><th scope=\"col\">Missing offline</th><th scope="
                      "\"col\">Missing both</th></tr></thead><tbody>\n");
    for (int f = 0; f < features->n; f++) {
      const lr__jnode *fname = lr__json_get(features->items[f], "name");
      lr__buf_puts(out, "<tr>");
      lr__html_elem(out, "td", fname ? fname->text : "?");
      for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        skew_cell(out, features->items[f], kinds[k]);
      lr__buf_puts(out, "</tr>\n");
    }
    lr__buf_puts(out, "</tbody></table>\n<details><summary>The report as "
                      "JSON (with its examples)</summary><pre>");
    lr__html_textn(out, text, len);
    lr__buf_puts(out, "</pre></details>\n");
  }
  if (ok)
    lr__json_doc_free(&doc);
  free(text);
  lr__buf_free(&name);
}

void lr__ui_view(lr__ui_page *p) {
  const lr__view *v = lr__model_view(p->m, p->rest);
  if (!v) {
    lr__ui_message_page(p, 404, "Not found",
                        "No such feature view in the applied registry: see "
                        "the overview.");
    return;
  }
  lr__html_begin(p->out, v->name, LR__NAV_OVERVIEW);
  lr__buf_printf(p->out, "<p>%s - ", lr__ui_view_kind(v));
  lr__ui_object_link(p->out, "view", v->name);
  lr__buf_puts(p->out, " (its definition)</p>\n");
  freshness(p, v);
  materialization(p, v);
  checks(p, v);
  lr__ui_view_statistics(p, v);
  lr__ui_view_drift(p, v);
  skew(p, v);
  lr__html_end(p->out);
}

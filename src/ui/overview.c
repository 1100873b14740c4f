/*
 * overview.c - the UI's first page (/ui/): the project, the registry's
 * and the store's versions, each view with its freshness against what is
 * expected of it, its last materialization, its rows and digest; on a
 * replica its lag behind the primary; and links to every object.
 */
#include <stdlib.h>

#include "../online/apply.h"
#include "../online/introspect.h"
#include "../util/json.h"
#include "../util/timefmt.h"
#include "page.h"

/* The facts of the project, the registry and the store. */
static void versions(lr__ui_page *p) {
  lr__buf *out = p->out;
  lr_data_version v = {0, 0};
  int has_version = lr_store_version(p->store, &v) == 0;
  lr__buf_puts(out, "<dl class=\"facts\">\n<dt>Project</dt><dd>");
  lr__html_text(out, p->m->config.project);
  lr__buf_printf(out, "</dd>\n<dt>Registry version</dt><dd>%llu, applied ",
                 (unsigned long long)p->m->version);
  lr__html_time(out, p->m->applied_at * 1000000);
  lr__buf_puts(out, "</dd>\n<dt>Store version</dt><dd>");
  if (has_version)
    lr__buf_printf(out, "<code>%llu.%llu</code> (generation.change)",
                   v.generation, v.seq);
  else
    lr__buf_puts(out, "unreadable");
  lr__buf_puts(out, "</dd>\n<dt>Online store</dt><dd>");
  lr__html_text(out, p->m->config.online_type);
  lr__buf_puts(out, "</dd>\n</dl>\n");
}

/* On a replica: what its follower last reported (lag, the primary's
 * position); on a primary, that it is one. */
static void replication(lr__ui_page *p) {
  const lr__replication *repl = lr__store_replication(p->store);
  lr__buf *out = p->out;
  if (repl->role == LR__ROLE_NONE)
    return;
  lr__buf_puts(out, "<h2>Replication</h2>\n");
  if (repl->role == LR__ROLE_PRIMARY) {
    lr__buf_puts(out, "<p>This store is a <strong>primary</strong>: it logs "
                      "every change for its replicas.</p>\n");
    return;
  }
  lr__replica_status st;
  if (lr__store_replica_status(p->store, &st) != 0) {
    lr__buf_puts(out, "<p><span class=\"status red\">no report</span> This "
                      "store is a replica, and no follower has reported: "
                      "run <code>larder replicate</code> here.</p>\n");
    return;
  }
  long long age_ms = lr__time_now_us() / 1000 - st.updated_ms;
  int behind = st.lag_ms > repl->max_lag_ms || age_ms > repl->max_lag_ms;
  lr__buf_printf(out, "<p>This store is a <strong>replica</strong>: "
                 "<span class=\"status %s\">%s</span></p>\n"
                 "<dl class=\"facts\">\n<dt>Primary's version</dt><dd>change "
                 "%llu (the log's last entry)</dd>\n<dt>Lag</dt><dd>%llu "
                 "entries, %lld ms (max_lag %lld ms)</dd>\n<dt>Last report"
                 "</dt><dd>%lld ms ago</dd>\n<dt>Applied</dt><dd>%llu "
                 "entries, %llu rows; %llu bootstraps</dd>\n",
                 behind ? "red" : "green", behind ? "lagging" : "in step",
                 st.head, st.lag_entries, st.lag_ms, repl->max_lag_ms, age_ms,
                 st.applied, st.applied_rows, st.bootstraps);
  if (st.error[0]) {
    lr__buf_puts(out, "<dt>Last error</dt><dd>");
    lr__html_text(out, st.error);
    lr__buf_puts(out, "</dd>\n");
  }
  lr__buf_puts(out, "</dl>\n");
}

/* One row of the views' table; `digests` is lr_store_digests' object. */
static void view_row(lr__ui_page *p, const lr__view *v,
                     const lr__jnode *digests, int64_t now_us) {
  lr__buf *out = p->out;
  lr__freshness f;
  int has_f = lr__view_is_stored(v) &&
              lr__store_freshness(p->store, v->name, &f) == 0;
  lr__ui_fresh judged;
  lr__ui_judge_freshness(p->m, v, has_f ? &f : NULL, now_us, &judged);
  lr__buf_puts(out, "<tr><td>");
  lr__html_link(out, "/ui/view/", v->name, NULL);
  lr__buf_printf(out, "</td><td>%s</td><td class=\"freshness\">",
                 lr__ui_view_kind(v));
  lr__ui_put_freshness(out, &judged);
  lr__buf_puts(out, "</td><td>");
  long long end_us;
  if (v->kind == LR__VIEW_BATCH &&
      lr__store_materialized_end(p->store, v, &end_us) == 0) {
    lr__buf_puts(out, "up to ");
    lr__html_time(out, end_us);
    if (has_f && f.last_write_us[LR__FRESH_MATERIALIZE] != LR__FRESH_NONE) {
      lr__buf_puts(out, ", ran ");
      lr__html_time(out, f.last_write_us[LR__FRESH_MATERIALIZE]);
    }
  } else {
    lr__buf_puts(out, v->kind == LR__VIEW_BATCH ? "never" : "-");
  }
  const lr__jnode *d = lr__json_get(digests, v->name);
  const lr__jnode *rows = lr__json_get(d, "rows");
  const lr__jnode *hex = lr__json_get(d, "digest");
  lr__buf_puts(out, "</td><td class=\"num\">");
  lr__html_text(out, rows ? rows->text : "-");
  lr__buf_puts(out, "</td><td><code>");
  lr__html_text(out, hex ? hex->text : "-");
  lr__buf_puts(out, "</code></td></tr>\n");
}

/* Every view, with its freshness, last materialization, rows, digest. */
static void views(lr__ui_page *p) {
  lr__buf *out = p->out;
  char *json = NULL;
  lr__json_doc doc = {0};
  if (lr_store_digests(p->store, &json) == 0 && json)
    lr__json_doc_read(&doc, json, strlen(json));
  int64_t now_us = lr__time_now_us();
  lr__buf_puts(out, "<h2>Feature views</h2>\n<table id=\"views\">\n"
                    "<caption class=\"muted\">Freshness: green within what "
                    "is expected, amber up to twice that, red beyond or "
                    "without rows.</caption>\n"
                    "<thead><tr><th scope=\"col\">View</th><th scope=\"col\">"
                    "Kind</th><th scope=\"col\">Freshness</th><th "
                    "scope=\"col\">Last materialization</th><th scope=\"col\""
                    ">Rows</th><th scope=\"col\">Digest</th></tr></thead>\n"
                    "<tbody>\n");
  for (int i = 0; i < p->m->n_views; i++)
    view_row(p, &p->m->views[i], doc.root, now_us);
  lr__buf_puts(out, "</tbody></table>\n");
  if (json)
    lr__json_doc_free(&doc);
  lr_free(json);
}

/* Links to the entities, sources and services (the views are above). */
static void objects(lr__ui_page *p) {
  lr__buf *out = p->out;
  lr__buf_puts(out, "<h2>Objects</h2>\n<p>Entities: ");
  for (int i = 0; i < p->m->n_entities; i++) {
    lr__buf_puts(out, i ? ", " : "");
    lr__ui_object_link(out, "entity", p->m->entities[i].name);
  }
  lr__buf_puts(out, "</p>\n<p>Sources: ");
  for (int i = 0; i < p->m->n_sources; i++) {
    lr__buf_puts(out, i ? ", " : "");
    lr__ui_object_link(out, "source", p->m->sources[i].name);
  }
  lr__buf_puts(out, "</p>\n<p>Feature views: ");
  for (int i = 0; i < p->m->n_views; i++) {
    lr__buf_puts(out, i ? ", " : "");
    lr__ui_object_link(out, "view", p->m->views[i].name);
  }
  lr__buf_puts(out, "</p>\n<p>Feature services: ");
  for (int i = 0; i < p->m->n_services; i++) {
    lr__buf_puts(out, i ? ", " : "");
    lr__ui_object_link(out, "service", p->m->services[i].name);
  }
  lr__buf_puts(out, "</p>\n<p><a href=\"/ui/objects\">Search every object"
                    "</a> - <a href=\"/ui/lookup\">Look features up</a></p>"
                    "\n");
}

void lr__ui_overview(lr__ui_page *p) {
  lr__html_begin(p->out, "Overview", LR__NAV_OVERVIEW);
  versions(p);
  replication(p);
  views(p);
  objects(p);
  lr__html_end(p->out);
}

/*
 * common.c - the helpers of page.h that more than one page uses: a view's
 * freshness judged and shown, links to objects, tags.
 */
#include "../util/dtype.h"
#include "page.h"

void lr__ui_judge_freshness(const lr__model *m, const lr__view *v,
                            const lr__freshness *f, int64_t now_us,
                            lr__ui_fresh *out) {
  *out = (lr__ui_fresh){"grey", "not stored", -1, -1, NULL};
  if (!lr__view_is_stored(v)) {
    out->label = "computed at lookup";
    return;
  }
  out->expected_s = lr__view_expected_freshness(v);
  out->expected_from = out->expected_s >= 0 ? "freshness check" : NULL;
  if (out->expected_s < 0 && lr__model_view_ttl(m, v) > 0) {
    out->expected_s = lr__model_view_ttl(m, v);
    out->expected_from = "ttl";
  }
  if (!f || f->max_event_us == LR__FRESH_NONE) {
    *out = (lr__ui_fresh){"red", "no rows", -1, out->expected_s,
                          out->expected_from};
    return;
  }
  int64_t age_us = now_us - f->max_event_us;
  out->age_s = age_us > 0 ? age_us / 1000000 : 0;
  if (out->expected_s < 0)
    out->label = "no expectation";
  else if (out->age_s <= out->expected_s)
    *out = (lr__ui_fresh){"green", "fresh", out->age_s, out->expected_s,
                          out->expected_from};
  else if (out->age_s <= 2 * out->expected_s)
    *out = (lr__ui_fresh){"amber", "stale", out->age_s, out->expected_s,
                          out->expected_from};
  else
    *out = (lr__ui_fresh){"red", "too old", out->age_s, out->expected_s,
                          out->expected_from};
}

void lr__ui_put_freshness(lr__buf *out, const lr__ui_fresh *f) {
  lr__buf_printf(out, "<span class=\"status %s\">%s</span>", f->colour,
                 f->label);
  if (f->age_s >= 0) {
    lr__buf_puts(out, " newest event ");
    lr__duration_format(out, f->age_s);
    lr__buf_puts(out, " old");
  }
  if (f->expected_s >= 0) {
    lr__buf_puts(out, "; expected within ");
    lr__duration_format(out, f->expected_s);
    lr__buf_printf(out, " (%s)", f->expected_from);
  }
}

const char *lr__ui_view_kind(const lr__view *v) {
  return v->kind == LR__VIEW_BATCH ? "feature view"
                                   : "on-demand feature view";
}

void lr__ui_object_link(lr__buf *out, const char *kind, const char *name) {
  lr__buf prefix;
  lr__buf_init(&prefix);
  lr__buf_printf(&prefix, "/ui/object/%s/", kind);
  lr__html_link(out, lr__buf_str(&prefix), name, NULL);
  lr__buf_free(&prefix);
}

void lr__ui_put_tags(lr__buf *out, const lr__kv *tags, int n) {
  for (int i = 0; i < n; i++) {
    lr__buf_puts(out, "<li><code>");
    lr__html_text(out, tags[i].key);
    lr__buf_putc(out, '=');
    lr__html_text(out, tags[i].value);
    lr__buf_puts(out, "</code></li>");
  }
}

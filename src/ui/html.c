/*
 * html.c - the HTML writer of html.h: escaping, links, times and the
 * page frame.
 */
#include "html.h"

#include "../util/timefmt.h"
#include "ui.h"

void lr__html_textn(lr__buf *out, const char *s, size_t n) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *ref = NULL;
    switch (c) {
    case '&': ref = "&amp;"; break;
    case '<': ref = "&lt;"; break;
    case '>': ref = "&gt;"; break;
    case '"': ref = "&quot;"; break;
    case '\'': ref = "&#39;"; break;
    default:
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
        ref = "&#xFFFD;";
    }
    if (!ref)
      continue;
    lr__buf_append(out, s + start, i - start);
    lr__buf_puts(out, ref);
    start = i + 1;
  }
  lr__buf_append(out, s + start, n - start);
}

void lr__html_text(lr__buf *out, const char *s) {
  if (s)
    lr__html_textn(out, s, strlen(s));
}

void lr__html_link(lr__buf *out, const char *prefix, const char *name,
                   const char *text) {
  lr__buf_puts(out, "<a href=\"");
  lr__html_text(out, prefix);
  lr__ui_url_encode(out, name);
  lr__buf_puts(out, "\">");
  lr__html_text(out, text ? text : name);
  lr__buf_puts(out, "</a>");
}

void lr__html_elem(lr__buf *out, const char *tag, const char *text) {
  lr__buf_printf(out, "<%s>", tag);
  lr__html_text(out, text);
  lr__buf_printf(out, "</%s>", tag);
}

void lr__html_time(lr__buf *out, int64_t us) {
  if (us == INT64_MIN) {
    lr__buf_puts(out, "never");
    return;
  }
  char text[48];
  lr__time_format(us, text);
  lr__buf_printf(out, "<time datetime=\"%s\">%s</time>", text, text);
}

void lr__html_begin(lr__buf *out, const char *title, lr__nav current) {
  static const struct {
    lr__nav nav;
    const char *href, *label;
  } entries[] = {{LR__NAV_OVERVIEW, "/ui/", "Overview"},
                 {LR__NAV_OBJECTS, "/ui/objects", "Objects"},
                 {LR__NAV_LOOKUP, "/ui/lookup", "Lookup"}};
  lr__buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                    "<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, "
                    "initial-scale=1\">\n<title>");
  lr__html_text(out, title);
  lr__buf_puts(out, " - Larder</title>\n"
                    "<link rel=\"icon\" href=\"/ui/static/icon.svg\" "
                    "type=\"image/svg+xml\">\n"
                    "<link rel=\"stylesheet\" href=\"/ui/static/ui.css\">\n"
                    "<script src=\"/ui/static/ui.js\" defer></script>\n"
                    "</head>\n<body>\n"
                    "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
                    "<header><span class=\"brand\">Larder</span>\n"
                    "<nav aria-label=\"Main\">");
  for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
    lr__buf_printf(out, "<a href=\"%s\"%s>%s</a>", entries[i].href,
                   entries[i].nav == current ? " aria-current=\"page\"" : "",
                   entries[i].label);
  lr__buf_puts(out, "</nav></header>\n<main id=\"main\">\n<h1>");
  lr__html_text(out, title);
  lr__buf_puts(out, "</h1>\n");
}

void lr__html_end(lr__buf *out) {
  lr__buf_puts(out, "</main>\n<footer>Larder feature server - read-only "
                    "view</footer>\n</body>\n</html>\n");
}

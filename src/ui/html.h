/*
 * html.h - writing the UI's HTML: text and attribute values escaped
 * (everything a page shows from the registry, the store or a request goes
 * through lr__html_text: names and descriptions come from YAML), links
 * with percent-encoded parts, and the frame every page shares.
 */
#ifndef LR_UI_HTML_H
#define LR_UI_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

/* Appends `s` (NULL: nothing) escaped for HTML text and for a quoted
 * attribute value: & < > " ' as character references, control characters
 * but tab, newline and return as U+FFFD. */
void lr__html_text(lr__buf *out, const char *s);
void lr__html_textn(lr__buf *out, const char *s, size_t n);

/* Appends <a href="PREFIX + name, percent-encoded">text, escaped</a>;
 * `text` NULL shows the name. */
void lr__html_link(lr__buf *out, const char *prefix, const char *name,
                   const char *text);

/* Appends <tag>text, escaped</tag> (e.g. "td", "code"). */
void lr__html_elem(lr__buf *out, const char *tag, const char *text);

/* Appends a time, µs since the epoch, as RFC 3339 in a <time> element;
 * INT64_MIN (never) as "never". */
void lr__html_time(lr__buf *out, int64_t us);

/* The navigation entries, for lr__html_begin's `current`. */
typedef enum {
  LR__NAV_NONE = 0,
  LR__NAV_OVERVIEW,
  LR__NAV_OBJECTS,
  LR__NAV_LOOKUP
} lr__nav;

/* Starts a page: the document head (the stylesheet and script of
 * /ui/static/), a skip link, the navigation with `current` marked, and
 * <main> with the heading `title` (escaped). */
void lr__html_begin(lr__buf *out, const char *title, lr__nav current);

/* Ends it: </main>, the footer, </html>. */
void lr__html_end(lr__buf *out);

#endif

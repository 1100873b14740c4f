/*
 * ui.h - the web UI of `larder serve --ui` and `larder ui`, as the server
 * (src/serve/) sees it: which paths are the UI's, the handler of one UI
 * request, and the headers its pages go out with (docs/internals/ui.md).
 * Pages are HTML written in C, charts SVG drawn by the server; the UI only
 * reads: the store, the registry and the files other commands saved.
 */
#ifndef LR_UI_UI_H
#define LR_UI_UI_H

#include "../serve/server.h"

/* The Content-Security-Policy of every UI answer: resources from the
 * server only (its stylesheet and script), no inline script or style, no
 * framing, forms posting back to it. */
#define LR__UI_CSP                                                          \
  "default-src 'none'; style-src 'self'; script-src 'self'; "              \
  "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "           \
  "base-uri 'none'"

/* 1 when `path` is the UI's: /ui or a path under /ui/. */
int lr__ui_path(const char *path);

/* Answers one UI request (r->cookie and r->query set by the front end):
 * a page, its resources, or the login; 401 with the login page without
 * the token (the Authorization header, or the cookie the login set). */
void lr__ui_handle(lr__server *s, const char *method, const char *path,
                   const char *auth, const char *body, size_t len,
                   lr__reply *r);

/* Appends `s` percent-encoded for a URL's path segment or query value
 * (everything but ALPHA DIGIT - . _ ~ encoded). */
void lr__ui_url_encode(lr__buf *out, const char *s);

#endif

/*
 * ui.c - one request of the web UI (ui.h): its resources, the login that
 * sets the token's cookie, the token check of every page, and the page
 * the path names, under the server's locks.
 */
#include <stdlib.h>
#include <string.h>

#include "../online/introspect.h"
#include "../util/dtype.h"
#include "form.h"
#include "page.h"
#include "static.h"

/* The cookie that carries the token, once the login page took it. */
#define TOKEN_COOKIE "larder_token"

int lr__ui_path(const char *path) {
  return path && (!strcmp(path, "/ui") || !strncmp(path, "/ui/", 4));
}

/* 1 when the request carries the token: the Authorization header (as
 * the API takes it) or the cookie. */
static int has_token(const lr__server *s, const char *auth,
                     const char *cookie) {
  if (lr__server_authorized(s, auth))
    return 1;
  lr__buf given;
  lr__buf_init(&given);
  int ok = lr__cookie_get(cookie, TOKEN_COOKIE, &given) &&
           lr__server_token_ok(s, lr__buf_str(&given), given.len);
  lr__buf_free(&given);
  return ok;
}

/* Where a login goes back to: `next` when it is a page of the UI (a
 * path under /ui, never another site), else the overview. */
static const char *safe_next(const char *next) {
  return lr__ui_path(next) && !strpbrk(next, "\\\r\n") ? next : "/ui/";
}

/* The login page, answering 401: a form that posts the token. */
static void login_page(lr__reply *r, const char *next, int wrong) {
  lr__buf *out = &r->body;
  lr__buf_reset(out);
  r->status = 401;
  lr__html_begin(out, "Sign in", LR__NAV_NONE);
  lr__buf_puts(out, "<p>This server asks for its token (the file given to "
                    "<code>--token-file</code>). It is kept in a cookie for "
                    "this site only.</p>\n");
  if (wrong)
    lr__buf_puts(out, "<p class=\"error\" role=\"alert\">That is not this "
                      "server's token.</p>\n");
  lr__buf_puts(out, "<form method=\"post\" action=\"/ui/login\" "
                    "class=\"inline\">\n<div class=\"field\"><label "
                    "for=\"token\">Token</label><input type=\"password\" "
                    "id=\"token\" name=\"token\" required "
                    "autocomplete=\"current-password\"></div>\n"
                    "<input type=\"hidden\" name=\"next\" value=\"");
  lr__html_text(out, safe_next(next));
  lr__buf_puts(out, "\">\n<button type=\"submit\">Sign in</button>\n"
                    "</form>\n");
  lr__html_end(out);
}

/* POST /ui/login: the right token sets the cookie and goes on to `next`
 * (303); a wrong one shows the login again. */
static void login(lr__server *s, const char *body, size_t len,
                  lr__reply *r) {
  lr__buf form, token, next;
  lr__buf_init(&form);
  lr__buf_init(&token);
  lr__buf_init(&next);
  lr__buf_append(&form, body ? body : "", body ? len : 0);
  lr__form_get(lr__buf_str(&form), "token", &token);
  lr__form_get(lr__buf_str(&form), "next", &next);
  if (!s->token || (token.len && lr__server_token_ok(s, lr__buf_str(&token),
                                                     token.len))) {
    lr__buf cookie;
    lr__buf_init(&cookie);
    lr__buf_puts(&cookie, TOKEN_COOKIE "=");
    lr__ui_url_encode(&cookie, lr__buf_str(&token));
    lr__buf_puts(&cookie, "; Path=/ui; HttpOnly; SameSite=Strict");
    r->set_cookie = s->token ? lr__buf_steal(&cookie) : NULL;
    lr__buf_free(&cookie);
    r->location = strdup(safe_next(lr__buf_str(&next)));
    r->status = 303;
    lr__buf_reset(&r->body);
    lr__buf_puts(&r->body, "signed in\n");
    r->content_type = "text/plain; charset=utf-8";
  } else {
    login_page(r, lr__buf_str(&next), 1);
  }
  lr__buf_free(&form);
  lr__buf_free(&token);
  lr__buf_free(&next);
}

void lr__ui_message_page(lr__ui_page *p, int status, const char *title,
                         const char *message) {
  lr__buf_reset(p->out);
  p->r->status = status;
  lr__html_begin(p->out, title, LR__NAV_NONE);
  lr__buf_puts(p->out, "<p class=\"error\">");
  lr__html_text(p->out, message);
  lr__buf_puts(p->out, "</p>\n");
  lr__html_end(p->out);
}

/* The page of `path` (the store open, both locks held). */
static void page(lr__ui_page *p, const char *path) {
  static const struct {
    const char *prefix;
    int exact;
    void (*fn)(lr__ui_page *);
  } pages[] = {{"/ui", 1, lr__ui_overview},
               {"/ui/", 1, lr__ui_overview},
               {"/ui/objects", 1, lr__ui_objects},
               {"/ui/object/", 0, lr__ui_object},
               {"/ui/view/", 0, lr__ui_view},
               {"/ui/lookup", 1, lr__ui_lookup}};
  for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
    size_t n = strlen(pages[i].prefix);
    if (pages[i].exact ? !strcmp(path, pages[i].prefix)
                       : !strncmp(path, pages[i].prefix, n) && path[n]) {
      p->rest = path + n;
      p->r->status = 200;
      pages[i].fn(p);
      return;
    }
  }
  lr__ui_message_page(p, 404, "Not found",
                      "There is no such page: see the overview.");
}

/* A resource of /ui/static/ (no token needed: nothing in them is the
 * store's). */
static void resource(const char *name, lr__reply *r) {
  const char *type;
  const char *text = lr__ui_static(name, &type);
  lr__buf_reset(&r->body);
  if (!text) {
    r->status = 404;
    r->content_type = "text/plain; charset=utf-8";
    lr__buf_puts(&r->body, "not found\n");
    return;
  }
  r->status = 200;
  r->content_type = type;
  lr__buf_puts(&r->body, text);
}

void lr__ui_handle(lr__server *s, const char *method, const char *path,
                   const char *auth, const char *body, size_t len,
                   lr__reply *r) {
  r->page = 1;
  r->content_type = "text/html; charset=utf-8";
  int is_login = !strcmp(path, "/ui/login");
  if (strcmp(method, "GET") != 0 && !(is_login && !strcmp(method, "POST"))) {
    r->status = 405;
    r->allow = is_login ? "GET, POST" : "GET";
    r->content_type = "text/plain; charset=utf-8";
    lr__buf_puts(&r->body, "method not allowed: the UI only reads\n");
    return;
  }
  if (!strncmp(path, "/ui/static/", 11)) {
    resource(path + 11, r);
    return;
  }
  if (is_login && !strcmp(method, "POST")) {
    login(s, body, len, r);
    return;
  }
  if (!has_token(s, auth, r->cookie) || is_login) {
    lr__buf next;
    lr__buf_init(&next);
    lr__buf_puts(&next, is_login ? "/ui/" : path);
    if (!is_login && r->query && *r->query)
      lr__buf_printf(&next, "?%s", r->query);
    login_page(r, lr__buf_str(&next), 0);
    if (is_login) /* the sign-in form itself, not a page of data */
      r->status = 200;
    lr__buf_free(&next);
    return;
  }
  lr__ui_page p = {.s = s, .query = r->query ? r->query : "", .r = r,
                   .out = &r->body};
  pthread_rwlock_rdlock(&s->lock);
  pthread_mutex_lock(&s->write_lock);
  p.store = s->store;
  if (!p.store) {
    lr__ui_message_page(&p, 503, "Unavailable",
                        "The registry could not be opened; see `larder "
                        "apply`.");
  } else {
    p.m = lr__store_model(p.store);
    page(&p, path);
  }
  pthread_mutex_unlock(&s->write_lock);
  pthread_rwlock_unlock(&s->lock);
}

/*
 * ui.c - fuzzes the web UI's request handling (src/ui/ behind
 * lr__server_handle, opt.ui) against the fixture store, built once in
 * LLVMFuzzerInitialize, with a token. Byte 0 picks the request: the low 3
 * bits the page (the lookup or objects page with the rest as its query,
 * an object or view page with the rest as its path, the login with the
 * rest as its form body, a page with the rest as its Cookie header), bit
 * 3 whether the bearer token is sent. Every answer must be a status the
 * UI documents with a body, and an HTML answer must hold exactly one
 * <script element (the UI's own ui.js): anything of the input it shows
 * is escaped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "serve/server.h"

static lr__server *fz_server;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  const char *repo = fz_fixture_repo();
  fz_write("token", "fuzz-token\n", 11);
  char token[4096];
  snprintf(token, sizeof token, "%s/token", repo);
  lr_server_options opt = {.repo = repo, .max_entities = 100, .ui = 1,
                           .token_file = token};
  lr__buf err;
  lr__buf_init(&err);
  if (lr__server_create(&opt, &fz_server, &err))
    fz_die(lr__buf_str(&err));
  lr__buf_free(&err);
  return 0;
}

/* The number of times `needle` is in the first n bytes of `hay`. */
static int count_of(const char *hay, size_t n, const char *needle) {
  int count = 0;
  size_t len = strlen(needle);
  for (size_t i = 0; i + len <= n; i++)
    count += memcmp(hay + i, needle, len) == 0;
  return count;
}

static void check_reply(const lr__reply *r) {
  if (r->status != 200 && r->status != 303 && r->status != 401 &&
      r->status != 404 && r->status != 405)
    __builtin_trap();
  if (!r->body.len)
    __builtin_trap();
  if (!strncmp(r->content_type, "text/html", 9) &&
      count_of(r->body.data, r->body.len, "<script") != 1)
    __builtin_trap();
  if (r->location && !(r->location[0] == '/' && r->location[1] == 'u'))
    __builtin_trap(); /* a login only goes back to a page of the UI */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *rest = malloc(size);
  if (!rest)
    return 0;
  memcpy(rest, data + 1, size - 1);
  rest[size - 1] = '\0'; /* the front end's strings end at a NUL */
  int page = data[0] & 7;
  const char *auth = data[0] & 8 ? "Bearer fuzz-token" : NULL;
  char path[8192];
  const char *method = page == 4 ? "POST" : "GET";
  snprintf(path, sizeof path, "%s%s",
           page == 2 ? "/ui/object/" : page == 3 ? "/ui/view/" : "/ui/",
           page == 2 || page == 3 ? rest : page == 0 ? "lookup"
           : page == 1 ? "objects" : page == 4 ? "login" : "");
  lr__reply r = {.status = 500,
                 .query = page <= 1 ? rest : "",
                 .cookie = page >= 5 ? rest : NULL};
  lr__buf_init(&r.body);
  lr__server_handle(fz_server, method, path, auth, page == 4 ? rest : NULL,
                    page == 4 ? strlen(rest) : 0, &r);
  check_reply(&r);
  lr__reply_release(&r);
  free(rest);
  return 0;
}

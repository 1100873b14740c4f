/*
 * server.c - fuzzes the feature server's request handling
 * (src/serve/handlers.c behind lr__server_handle) against the fixture
 * store, built and opened once in LLVMFuzzerInitialize. The first byte
 * picks the endpoint (get-online-features, push, write-to-online-store),
 * the rest is the body. Every answer must be a status the server documents
 * with a body, and a 4xx/5xx body must be an {"error": ...} object.
 */
#include <stdint.h>

#include "fuzz.h"
#include "serve/server.h"
#include "util/json.h"

static lr__server *fz_server;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  lr_server_options opt = {.repo = fz_fixture_repo(), .max_entities = 100};
  lr__buf err;
  lr__buf_init(&err);
  if (lr__server_create(&opt, &fz_server, &err))
    fz_die(lr__buf_str(&err));
  lr__buf_free(&err);
  return 0;
}

/* Checks the answer's shape: an error body is a JSON object with "error". */
static void check_reply(const lr__reply *r) {
  if (r->status != 200 && r->status != 400 && r->status != 404 &&
      r->status != 413 && r->status != 500)
    __builtin_trap();
  if (r->status == 200)
    return;
  lr__arena arena;
  lr__arena_init(&arena);
  lr__buf why;
  lr__buf_init(&why);
  const lr__jnode *root = lr__json_read(r->body.data, r->body.len, &arena, &why);
  if (!root || !lr__json_get(root, "error"))
    __builtin_trap();
  lr__buf_free(&why);
  lr__arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  static const char *const paths[] = {
      "/get-online-features", "/get-online-features", "/push",
      "/write-to-online-store"};
  lr__reply r = {.status = 500};
  lr__buf_init(&r.body);
  lr__server_handle(fz_server, "POST", paths[data[0] & 3], NULL,
                    (const char *)data + 1, size - 1, &r);
  check_reply(&r);
  lr__buf_free(&r.body);
  return 0;
}

/*
 * json.c - fuzzes the strict JSON reader (src/util/json.c): any bytes are
 * read; a tree that comes back is walked whole, every string, number and
 * raw span touched, so a node pointing outside the arena or the input
 * shows up under ASan; lookups by key are tried on each object.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/json.h"

/* Sums bytes so the reads cannot be optimized away. */
static unsigned touch(const char *p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (unsigned char)p[i];
  return sum;
}

static unsigned walk(const lr__jnode *node) {
  unsigned sum = node->kind;
  if (node->text)
    sum += touch(node->text, node->len + 1); /* NUL-terminated */
  if (node->raw)
    sum += touch(node->raw, node->raw_len);
  for (int i = 0; i < node->n; i++) {
    if (node->kind == LR__J_OBJECT) {
      sum += touch(node->keys[i], strlen(node->keys[i]));
      if (!lr__json_get(node, node->keys[i]))
        __builtin_trap(); /* a key that is there must be found */
    }
    sum += walk(node->items[i]);
  }
  return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lr__arena arena;
  lr__arena_init(&arena);
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *root = lr__json_read((const char *)data, size, &arena, &err);
  volatile unsigned sum = root ? walk(root) : touch(lr__buf_str(&err), err.len);
  (void)sum;
  if (!root && err.len == 0)
    __builtin_trap(); /* a refusal always says why */
  lr__buf_free(&err);
  lr__arena_free(&arena);
  return 0;
}

/*
 * arena.c - the bump allocator (see arena.h). Chunks grow to fit the largest
 * request, so a huge array is one chunk of its own.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lr__arena_chunk {
  lr__arena_chunk *next;
  size_t used;
  size_t cap;
  max_align_t data[];
};

enum { ARENA_CHUNK_SIZE = 16 * 1024 };

void lr__arena_init(lr__arena *a) { a->head = NULL; }

void lr__arena_free(lr__arena *a) {
  lr__arena_chunk *c = a->head;
  while (c) {
    lr__arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  a->head = NULL;
}

void *lr__arena_alloc(lr__arena *a, size_t size) {
  const size_t align = sizeof(max_align_t);
  if (size > SIZE_MAX / 2) /* no such allocation can succeed; avoid wraps */
    return NULL;
  size = (size + align - 1) / align * align;
  lr__arena_chunk *c = a->head;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > ARENA_CHUNK_SIZE ? size : ARENA_CHUNK_SIZE;
    c = malloc(sizeof *c + cap);
    if (!c)
      return NULL;
    c->used = 0;
    c->cap = cap;
    c->next = a->head;
    a->head = c;
  }
  void *p = (char *)c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

void *lr__arena_array(lr__arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size)
    return NULL;
  size_t bytes = n * size;
  return lr__arena_alloc(a, bytes ? bytes : 1);
}

char *lr__arena_strndup(lr__arena *a, const char *s, size_t len) {
  char *p = lr__arena_alloc(a, len + 1);
  if (p) {
    memcpy(p, s, len);
    p[len] = '\0';
  }
  return p;
}

char *lr__arena_strdup(lr__arena *a, const char *s) {
  return s ? lr__arena_strndup(a, s, strlen(s)) : NULL;
}

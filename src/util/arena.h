/*
 * arena.h - a bump allocator that frees everything at once.
 *
 * A registry is read once and then only read from: every string and array it
 * holds lives in one arena, so loading is a few large allocations and closing
 * is one loop, with no per-object ownership to track.
 */
#ifndef LR_UTIL_ARENA_H
#define LR_UTIL_ARENA_H

#include <stddef.h>

typedef struct lr__arena_chunk lr__arena_chunk;

typedef struct lr__arena {
  lr__arena_chunk *head;
} lr__arena;

void lr__arena_init(lr__arena *a);
void lr__arena_free(lr__arena *a);
/* Zeroed memory aligned for any type; NULL when out of memory. */
void *lr__arena_alloc(lr__arena *a, size_t size);
/* Zeroed room for `n` elements of `size` bytes; NULL when out of memory
 * or when n * size overflows. */
void *lr__arena_array(lr__arena *a, size_t n, size_t size);
char *lr__arena_strdup(lr__arena *a, const char *s);
char *lr__arena_strndup(lr__arena *a, const char *s, size_t len);

#endif

/*
 * sort.h - a stable sort. Definitions are sorted by name after loading, and
 * among duplicates the one defined first must stay first so that "defined
 * twice" errors point at the second definition.
 */
#ifndef LR_UTIL_SORT_H
#define LR_UTIL_SORT_H

#include <stddef.h>

/* Sorts like qsort(), but keeps equal elements in their order. Returns 0, or
 * -1 when out of memory (the array is then unchanged). */
int lr__stable_sort(void *base, size_t n, size_t size,
                    int (*compare)(const void *, const void *));

#endif

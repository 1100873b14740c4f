/*
 * sort.c - a stable merge sort with one scratch buffer (see sort.h).
 */
#include "sort.h"

#include <stdlib.h>
#include <string.h>

static void merge_sort(char *a, char *tmp, size_t n, size_t size,
                       int (*compare)(const void *, const void *)) {
  if (n < 2)
    return;
  size_t half = n / 2;
  merge_sort(a, tmp, half, size, compare);
  merge_sort(a + half * size, tmp, n - half, size, compare);
  size_t i = 0, j = half, k = 0;
  while (i < half && j < n) {
    /* `<= 0` takes from the left run on ties: that is what keeps it stable */
    if (compare(a + i * size, a + j * size) <= 0)
      memcpy(tmp + k++ * size, a + i++ * size, size);
    else
      memcpy(tmp + k++ * size, a + j++ * size, size);
  }
  memcpy(tmp + k * size, a + i * size, (half - i) * size);
  k += half - i;
  memcpy(tmp + k * size, a + j * size, (n - j) * size);
  memcpy(a, tmp, n * size);
}

int lr__stable_sort(void *base, size_t n, size_t size,
                    int (*compare)(const void *, const void *)) {
  if (n < 2)
    return 0;
  char *tmp = malloc(n * size);
  if (!tmp)
    return -1;
  merge_sort(base, tmp, n, size, compare);
  free(tmp);
  return 0;
}

/*
 * regfile.c - fuzzes the registry-file reader (src/registry/regfile.c).
 * The input is the body of an image: the harness puts the magic and the
 * format version before it and the checksum after it, so mutations reach
 * the model's decoder instead of stopping at the checksum (which a
 * damaged file meets first; the unit suite covers that). A body that
 * decodes must encode back to the same bytes: the format has one spelling
 * of each model.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/regfile.h"

static uint64_t fnv1a(const uint8_t *p, size_t len) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t len = 12 + size + 8;
  uint8_t *image = malloc(len);
  uint32_t format = LR__REGFILE_FORMAT;
  memcpy(image, "LARDERRG", 8);
  memcpy(image + 8, &format, 4);
  memcpy(image + 12, data, size);
  uint64_t sum = fnv1a(image, len - 8);
  memcpy(image + len - 8, &sum, 8);
  lr__model m;
  lr__model_init(&m);
  lr__buf err;
  lr__buf_init(&err);
  if (lr__regfile_decode(image, len, &m, &err) == 0) {
    lr__buf again;
    lr__buf_init(&again);
    if (lr__regfile_encode(&m, &again) != 0 || again.len != len ||
        memcmp(again.data, image, len) != 0)
      __builtin_trap(); /* decode then encode gives the image back */
    lr__buf_free(&again);
  } else if (err.len == 0) {
    __builtin_trap(); /* a refusal always says why */
  }
  lr__buf_free(&err);
  lr__model_free(&m);
  free(image);
  return 0;
}

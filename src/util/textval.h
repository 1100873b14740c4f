/*
 * textval.h - numbers and bytes as text: shortest round-trip floats, and
 * base64 (how Feast's JSON API carries bytes).
 */
#ifndef LR_UTIL_TEXTVAL_H
#define LR_UTIL_TEXTVAL_H

#include <stddef.h>

#include "buf.h"

/* Appends the shortest decimal that reads back as the same float32 (or
 * double). NaN and infinities are written as the JSON strings "NaN",
 * "Infinity", "-Infinity" when `json` is set, bare otherwise. */
void lr__put_float32(lr__buf *out, float v, int json);
void lr__put_float64(lr__buf *out, double v, int json);

/* Appends `len` bytes as standard base64 with padding. */
void lr__base64_encode(lr__buf *out, const void *data, size_t len);

/* Decodes base64 text (padding optional) into `out`. Returns 0 or -1. */
int lr__base64_decode(lr__buf *out, const char *text, size_t len);

#endif

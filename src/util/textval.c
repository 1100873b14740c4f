/*
 * textval.c - float and base64 text (see textval.h).
 */
#include "textval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_special(lr__buf *out, double v, int json) {
  const char *s = isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  if (!isnan(v) && !isinf(v))
    return 0;
  lr__buf_printf(out, json ? "\"%s\"" : "%s", s);
  return 1;
}

void lr__put_float32(lr__buf *out, float v, int json) {
  if (put_special(out, v, json))
    return;
  char text[32];
  for (int precision = 6; precision <= 9; precision++) {
    snprintf(text, sizeof text, "%.*g", precision, (double)v);
    if (strtof(text, NULL) == v)
      break;
  }
  lr__buf_puts(out, text);
}

void lr__put_float64(lr__buf *out, double v, int json) {
  if (put_special(out, v, json))
    return;
  char text[40];
  for (int precision = 15; precision <= 17; precision++) {
    snprintf(text, sizeof text, "%.*g", precision, v);
    if (strtod(text, NULL) == v)
      break;
  }
  lr__buf_puts(out, text);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void lr__base64_encode(lr__buf *out, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < len)
      v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < len)
      v |= p[i + 2];
    char quad[4] = {b64_alphabet[v >> 18 & 63], b64_alphabet[v >> 12 & 63],
                    i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=',
                    i + 2 < len ? b64_alphabet[v & 63] : '='};
    lr__buf_append(out, quad, 4);
  }
}

static int b64_value(char c) {
  const char *at = c ? strchr(b64_alphabet, c) : NULL;
  return at ? (int)(at - b64_alphabet) : -1;
}

int lr__base64_decode(lr__buf *out, const char *text, size_t len) {
  while (len && text[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return -1;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value(text[i]);
    if (v < 0)
      return -1;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      lr__buf_putc(out, (char)(acc >> bits & 0xff));
    }
  }
  return 0;
}

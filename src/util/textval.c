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

/* Whether `precision` significant digits read back as the same value
 * (float32 when `single`); the text is left in `text`. */
static int round_trips(char *text, size_t cap, double v, int precision,
                       int single) {
  snprintf(text, cap, "%.*g", precision, v);
  return single ? strtof(text, NULL) == (float)v : strtod(text, NULL) == v;
}

/* The shortest of lo..lo+3 digits that round-trips (lo+3 always does).
 * More digits never read back worse, so it is a search over a monotone
 * test: two tries instead of up to four. */
static void put_shortest(lr__buf *out, double v, int lo, int single) {
  char text[40];
  int p;
  if (round_trips(text, sizeof text, v, lo + 1, single))
    p = round_trips(text, sizeof text, v, lo, single) ? lo : lo + 1;
  else
    p = round_trips(text, sizeof text, v, lo + 2, single) ? lo + 2 : lo + 3;
  round_trips(text, sizeof text, v, p, single);
  lr__buf_puts(out, text);
}

void lr__put_float32(lr__buf *out, float v, int json) {
  if (!put_special(out, v, json))
    put_shortest(out, v, 6, 1);
}

void lr__put_float64(lr__buf *out, double v, int json) {
  if (!put_special(out, v, json))
    put_shortest(out, v, 14, 0);
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

/*
 * buf.c - the growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocale.h"

void lr__buf_init(lr__buf *b) { memset(b, 0, sizeof *b); }

void lr__buf_free(lr__buf *b) {
  free(b->data);
  lr__buf_init(b);
}

void lr__buf_reset(lr__buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

int lr__buf_reserve(lr__buf *b, size_t extra) {
  if (b->failed)
    return 0;
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *data = realloc(b->data, cap);
  if (!data) {
    b->failed = 1;
    return 0;
  }
  b->data = data;
  b->cap = cap;
  return 1;
}

void lr__buf_grow_append(lr__buf *b, const void *data, size_t len) {
  if (!lr__buf_reserve(b, len))
    return;
  if (len)
    memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

/* Formats in the "C" locale: every message, plan and figure the library
 * writes uses a decimal point, whatever locale the host program set. */
void lr__buf_vprintf(lr__buf *b, const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  locale_t previous = lr__locale_push();
  int n = vsnprintf(NULL, 0, fmt, ap);
  if (n > 0 && lr__buf_reserve(b, (size_t)n)) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    b->len += (size_t)n;
  }
  lr__locale_pop(previous);
  va_end(again);
}

void lr__buf_printf(lr__buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(b, fmt, ap);
  va_end(ap);
}

int lr__errmsg_set(lr__buf *msg, int rc, const char *fmt, ...) {
  lr__buf_reset(msg);
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(msg, fmt, ap);
  va_end(ap);
  return rc;
}

void lr__buf_put_int(lr__buf *b, long long v) {
  char text[24];
  char *at = text + sizeof text;
  /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
  unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
  do {
    *--at = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  if (v < 0)
    *--at = '-';
  lr__buf_append(b, at, (size_t)(text + sizeof text - at));
}

void lr__buf_pad(lr__buf *b, size_t n) {
  if (!lr__buf_reserve(b, n))
    return;
  memset(b->data + b->len, ' ', n);
  b->len += n;
  b->data[b->len] = '\0';
}

void lr__buf_json_str(lr__buf *b, const char *s) {
  lr__buf_json_strn(b, s, strlen(s));
}

/* The length of the well-formed UTF-8 sequence at p (RFC 3629, table 3-7
 * of Unicode: no overlong forms, no surrogates, nothing past U+10FFFF),
 * or 0 when the byte at p does not start one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
  unsigned char c = *p;
  size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
  unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
  if (c < 0xc2 || c > 0xf4)
    return 0;
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* JSON text is UTF-8 (RFC 8259): a byte that does not start a well-formed
 * sequence (a client's bytes echoed in an error, say) is written as
 * U+FFFD, so every answer stays valid JSON. */
void lr__buf_json_strn(lr__buf *b, const char *s, size_t len) {
  lr__buf_putc(b, '"');
  const unsigned char *end = (const unsigned char *)s + len;
  for (const unsigned char *p = (const unsigned char *)s; p < end; p++) {
    if (*p >= 0x80) {
      size_t n = utf8_len(p, end);
      if (n)
        lr__buf_append(b, p, n);
      else
        lr__buf_puts(b, "\\ufffd");
      p += n ? n - 1 : 0;
      continue;
    }
    switch (*p) {
    case '"':  lr__buf_puts(b, "\\\""); break;
    case '\\': lr__buf_puts(b, "\\\\"); break;
    case '\n': lr__buf_puts(b, "\\n"); break;
    case '\r': lr__buf_puts(b, "\\r"); break;
    case '\t': lr__buf_puts(b, "\\t"); break;
    default:
      if (*p < 0x20)
        lr__buf_printf(b, "\\u%04x", *p);
      else
        lr__buf_putc(b, (char)*p);
    }
  }
  lr__buf_putc(b, '"');
}

int lr__buf_failed(const lr__buf *b) { return b->failed; }

char *lr__buf_steal(lr__buf *b) {
  if (b->failed) {
    lr__buf_free(b);
    return NULL;
  }
  char *s = b->data ? b->data : strdup("");
  lr__buf_init(b);
  return s;
}

const char *lr__buf_str(const lr__buf *b) { return b->data ? b->data : ""; }

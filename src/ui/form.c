/*
 * form.c - query strings, form bodies and cookies (form.h), and the
 * percent-encoding of ui.h.
 */
#include "form.h"

#include <string.h>

#include "ui.h"

void lr__ui_url_encode(lr__buf *out, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
                *p == '_' || *p == '~';
    if (plain) {
      lr__buf_putc(out, (char)*p);
    } else {
      lr__buf_putc(out, '%');
      lr__buf_putc(out, hex[*p >> 4]);
      lr__buf_putc(out, hex[*p & 15]);
    }
  }
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void lr__form_decode(lr__buf *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int hi = -1, lo = -1;
    if (s[i] == '%' && i + 2 < n) {
      hi = hex_digit(s[i + 1]);
      lo = hex_digit(s[i + 2]);
    }
    if (hi >= 0 && lo >= 0) {
      lr__buf_putc(out, (char)(hi * 16 + lo));
      i += 2;
    } else {
      lr__buf_putc(out, s[i] == '+' ? ' ' : s[i]);
    }
  }
}

int lr__form_get_nth(const char *form, const char *name, int k,
                     lr__buf *out) {
  lr__buf_reset(out);
  size_t name_len = strlen(name);
  for (const char *p = form; p && *p;) {
    const char *end = strchr(p, '&');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t key_len = eq ? (size_t)(eq - p) : len;
    lr__buf key;
    lr__buf_init(&key);
    lr__form_decode(&key, p, key_len);
    int match = key.len == name_len && !memcmp(lr__buf_str(&key), name,
                                               name_len);
    lr__buf_free(&key);
    if (match && k-- == 0) {
      if (eq)
        lr__form_decode(out, eq + 1, len - key_len - 1);
      lr__buf_str(out); /* NUL-terminated even when empty */
      return 1;
    }
    p = end ? end + 1 : p + len;
  }
  return 0;
}

int lr__form_get(const char *form, const char *name, lr__buf *out) {
  return lr__form_get_nth(form, name, 0, out);
}

int lr__cookie_get(const char *header, const char *name, lr__buf *out) {
  lr__buf_reset(out);
  size_t name_len = strlen(name);
  for (const char *p = header; p && *p;) {
    while (*p == ' ' || *p == ';')
      p++;
    const char *end = strchr(p, ';');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len > name_len && !memcmp(p, name, name_len) && p[name_len] == '=') {
      lr__form_decode(out, p + name_len + 1, len - name_len - 1);
      lr__buf_str(out);
      return 1;
    }
    p += len;
  }
  return 0;
}

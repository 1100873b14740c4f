/*
 * utf8.c - the UTF-8 check and decoder (see utf8.h), after RFC 3629's
 * table of well-formed byte sequences.
 */
#include "utf8.h"

/* The length of the well-formed sequence at p (n bytes left), 0 if none. */
static size_t sequence_len(const unsigned char *p, size_t n) {
  unsigned char b = p[0];
  if (b < 0x80)
    return 1;
  size_t want = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3
              : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
  if (!want || n < want)
    return 0;
  /* the second byte's range is narrower after E0, ED, F0 and F4: no
   * overlong forms, no surrogates, nothing past U+10FFFF */
  unsigned char lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
  unsigned char hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t k = 2; k < want; k++)
    if ((p[k] & 0xC0) != 0x80)
      return 0;
  return want;
}

size_t lr__utf8_valid_len(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t at = 0;
  while (at < len) {
    size_t n = sequence_len(p + at, len - at);
    if (!n)
      break;
    at += n;
  }
  return at;
}

uint32_t lr__utf8_decode(const char *s, size_t len, size_t *width) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = sequence_len(p, len);
  *width = n ? n : 1;
  if (!n)
    return LR__UTF8_BAD;
  if (n == 1)
    return p[0];
  /* the lead byte keeps 7 - n bits, each continuation byte 6 */
  uint32_t cp = p[0] & (0x7Fu >> n);
  for (size_t k = 1; k < n; k++)
    cp = cp << 6 | (p[k] & 0x3Fu);
  return cp;
}

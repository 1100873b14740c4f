/*
 * utf8.h - checking that text is UTF-8, for inputs whose format requires
 * it (YAML definition files), so a stray byte gets a message with its
 * position instead of reaching a parser that mishandles it; and reading
 * it one code point at a time (the regular expressions, regex.h).
 */
#ifndef LR_UTIL_UTF8_H
#define LR_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the longest prefix of `s` (`len` bytes) that is valid
 * UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF): `len`
 * when all of it is. */
size_t lr__utf8_valid_len(const char *s, size_t len);

/* What lr__utf8_decode returns for a byte that does not begin a
 * well-formed sequence: a value past Unicode, so no code point equals it. */
#define LR__UTF8_BAD 0x110000u

/* The code point at the start of `s` (`len` > 0 bytes), its length in
 * bytes in *width; LR__UTF8_BAD with *width 1 when the bytes there are not
 * a well-formed sequence (by the rules of lr__utf8_valid_len). */
uint32_t lr__utf8_decode(const char *s, size_t len, size_t *width);

#endif

/*
 * utf8.h - checking that text is UTF-8, for inputs whose format requires
 * it (YAML definition files), so a stray byte gets a message with its
 * position instead of reaching a parser that mishandles it.
 */
#ifndef LR_UTIL_UTF8_H
#define LR_UTIL_UTF8_H

#include <stddef.h>

/* The length of the longest prefix of `s` (`len` bytes) that is valid
 * UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF): `len`
 * when all of it is. */
size_t lr__utf8_valid_len(const char *s, size_t len);

#endif

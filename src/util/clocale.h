/*
 * clocale.h - parsing and formatting that ignore the process locale.
 *
 * A program linking the library may call setlocale(): with LC_NUMERIC set to
 * a locale that writes a decimal comma, strtod() stops at "0.5"'s point and
 * printf("%g") writes "0,5"; under LC_CTYPE of a single-byte locale,
 * isalpha() accepts bytes above 0x7F. Definitions, files and answers are
 * ASCII text with a decimal point whatever the host, so the library reads
 * and writes numbers through a "C" locale_t made once, and classifies
 * characters with the ASCII tests below.
 */
#ifndef LR_UTIL_CLOCALE_H
#define LR_UTIL_CLOCALE_H

#include <locale.h>
#include <stddef.h>

/* The "C" locale, created on first use (thread-safe); (locale_t)0 only when
 * newlocale() failed, which the callers below then treat as "use the global
 * locale". */
locale_t lr__c_locale(void);

/* strtod and strtof in the "C" locale. */
double lr__strtod(const char *s, char **end);
float lr__strtof(const char *s, char **end);

/* Makes the calling thread use the "C" locale until lr__locale_pop(); for
 * code that formats through the C library (vsnprintf). */
locale_t lr__locale_push(void);
void lr__locale_pop(locale_t previous);

static inline int lr__is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int lr__is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int lr__is_alnum(int c) {
  return lr__is_alpha(c) || lr__is_digit(c);
}
static inline int lr__is_space(int c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
static inline int lr__to_lower(int c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* strcasecmp and strncasecmp folding ASCII letters only. */
int lr__ascii_casecmp(const char *a, const char *b);
int lr__ascii_ncasecmp(const char *a, const char *b, size_t n);

#endif

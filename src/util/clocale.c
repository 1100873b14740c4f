/*
 * clocale.c - the "C" locale object and the ASCII comparisons (see
 * clocale.h).
 */
#include "clocale.h"

#include <pthread.h>
#include <stdlib.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

/* Made once and never freed: it lives as long as the process, like the
 * global locale it stands in for. */
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", 0); }

locale_t lr__c_locale(void) {
  pthread_once(&c_locale_once, make_c_locale);
  return c_locale;
}

double lr__strtod(const char *s, char **end) {
  locale_t c = lr__c_locale();
  return c ? strtod_l(s, end, c) : strtod(s, end);
}

float lr__strtof(const char *s, char **end) {
  locale_t c = lr__c_locale();
  return c ? strtof_l(s, end, c) : strtof(s, end);
}

locale_t lr__locale_push(void) {
  locale_t c = lr__c_locale();
  return c ? uselocale(c) : (locale_t)0;
}

void lr__locale_pop(locale_t previous) {
  if (previous)
    uselocale(previous);
}

int lr__ascii_casecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int d = lr__to_lower((unsigned char)*a) - lr__to_lower((unsigned char)*b);
    if (d || !*a)
      return d;
  }
}

int lr__ascii_ncasecmp(const char *a, const char *b, size_t n) {
  for (; n; n--, a++, b++) {
    int d = lr__to_lower((unsigned char)*a) - lr__to_lower((unsigned char)*b);
    if (d || !*a)
      return d;
  }
  return 0;
}

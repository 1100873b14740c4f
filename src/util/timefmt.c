/*
 * timefmt.c - parsing and printing timestamps (see timefmt.h).
 */
#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clocale.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* Reads exactly `n` digits at *p. */
static int digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!lr__is_digit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* Seconds from the epoch to 1900-01-01 and to the last second of 9999:
 * the range an epoch number must land in, in its unit, to be taken. */
#define FIRST_SECOND (-2208988800LL)
#define LAST_SECOND 253402300799LL

static const struct {
  const char *name, *word;
  int64_t per_second; /* units in a second */
} units[] = {{"s", "seconds", 1},
             {"ms", "milliseconds", 1000},
             {"us", "microseconds", 1000000},
             {"ns", "nanoseconds", 1000000000}};

int lr__time_unit_parse(const char *name) {
  for (int u = 0; name && u < LR__N_TIME_UNITS; u++)
    if (!strcmp(name, units[u].name))
      return u;
  return -1;
}

const char *lr__time_unit_name(int unit) { return units[unit].name; }

/* Floor division: whole seconds of n units, rounded down. */
static int64_t floor_div(int64_t n, int64_t d) {
  return n / d - (n % d != 0 && (n < 0) != (d < 0));
}

int lr__time_from_epoch(int64_t n, int unit, int64_t *us) {
  int64_t per = units[unit].per_second;
  int64_t secs = floor_div(n, per);
  if (secs < FIRST_SECOND || secs > LAST_SECOND)
    return LR__TIME_OUT_OF_RANGE;
  *us = per <= 1000000 ? n * (1000000 / per) : floor_div(n, per / 1000000);
  return 0;
}

/* An integer, sign and digits only, into *n; -1 when `text` is not one or
 * does not fit 64 bits. */
static int parse_integer(const char *text, int64_t *n) {
  const char *digits = text + (*text == '-');
  if (!*digits || strspn(digits, "0123456789") != strlen(digits))
    return -1;
  errno = 0;
  long long v = strtoll(text, NULL, 10);
  if (errno)
    return -1;
  *n = v;
  return 0;
}

/* The offset part: Z, +hh:mm, +hhmm, +hh (or none). Seconds east of UTC. */
static int parse_offset(const char *p, int64_t *seconds) {
  *seconds = 0;
  if (!*p || ((*p == 'Z' || *p == 'z') && !p[1]))
    return 0;
  if (*p != '+' && *p != '-')
    return -1;
  int sign = *p++ == '-' ? -1 : 1, hh, mm = 0;
  if (digits(&p, 2, &hh))
    return -1;
  if (*p == ':')
    p++;
  if (*p && digits(&p, 2, &mm))
    return -1;
  if (*p || hh > 23 || mm > 59)
    return -1;
  *seconds = (int64_t)sign * (hh * 3600 + mm * 60);
  return 0;
}

/* ISO 8601 text: a date, maybe a time (T or a space), maybe an offset. */
static int parse_iso(const char *text, int64_t *us) {
  const char *p = text;
  if (strlen(p) < 10 || p[4] != '-')
    return -1;
  int y, mo, d, h = 0, mi = 0, s = 0;
  long frac_us = 0;
  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
      digits(&p, 2, &d))
    return -1;
  if (*p == 'T' || *p == 't' || *p == ' ') {
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
      return -1;
    if (*p == ':' && (p++, digits(&p, 2, &s)))
      return -1;
    if (*p == '.') {
      p++;
      int n = 0;
      while (lr__is_digit((unsigned char)*p)) {
        if (n < 6)
          frac_us = frac_us * 10 + (*p - '0');
        n++, p++;
      }
      if (n == 0)
        return -1;
      for (; n < 6; n++)
        frac_us *= 10;
    }
  }
  static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int days = mo >= 1 && mo <= 12 ? month_days[mo - 1] + (mo == 2 && leap) : 0;
  if (d < 1 || d > days || h > 23 || mi > 59 || s > 60)
    return -1;
  int64_t offset;
  if (parse_offset(p, &offset))
    return -1;
  int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                 (int64_t)h * 3600 + (int64_t)mi * 60 + s - offset;
  *us = secs * 1000000 + frac_us;
  return 0;
}

int lr__time_read(const char *text, int unit, int64_t *us) {
  int64_t n;
  if (parse_integer(text, &n) == 0)
    return lr__time_from_epoch(n, unit, us);
  return parse_iso(text, us) == 0 ? 0 : LR__TIME_NOT_A_TIME;
}

int lr__time_parse(const char *text, int64_t *us) {
  return lr__time_read(text, LR__TIME_S, us) == 0 ? 0 : -1;
}

/* The unit finer than `unit` that puts n between 1900 and 9999, or -1. */
static int unit_that_fits(int64_t n, int unit) {
  int64_t us;
  for (int u = unit + 1; u < LR__N_TIME_UNITS; u++)
    if (lr__time_from_epoch(n, u, &us) == 0)
      return u;
  return -1;
}

void lr__time_why(lr__buf *out, const char *text, int unit,
                  const char *declare, const char *declared_where) {
  int64_t n, us;
  if (parse_integer(text, &n) != 0) {
    lr__buf_printf(out, "'%.60s' is not a time: write ISO 8601 "
                   "(2026-12-05T08:39:54Z) or an epoch number with "
                   "timestamp_unit", text);
    return;
  }
  int before = lr__time_from_epoch(n, unit, &us) == LR__TIME_OUT_OF_RANGE &&
               floor_div(n, units[unit].per_second) < FIRST_SECOND;
  lr__buf_printf(out, "%s as %s is %s", text, units[unit].word,
                 before ? "before the year 1900" : "past the year 9999");
  int fits = unit_that_fits(n, unit);
  if (fits < 0)
    lr__buf_puts(out, ", and in no finer unit (ms, us, ns) is it between "
                      "1900 and 9999: write ISO 8601 or an epoch time");
  else
    lr__buf_printf(out, "; if these are %s, %s%s%s", units[fits].word,
                   declare, units[fits].name, declared_where);
}

/* y-m-d of the day `days` after 1970-01-01 (Hinnant's civil_from_days):
 * arithmetic only, so no time-zone lock is taken, unlike gmtime_r. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  unsigned doe = (unsigned)(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly `width` digits (v fits them). */
static char *put_digits(char *at, unsigned v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    at[i] = (char)('0' + v % 10);
  return at + width;
}

/* The text without snprintf: an answer of the feature server formats one
 * time per entity and view, and printf's cost showed up in its profile.
 * Years outside 0..9999 (which RFC 3339 cannot write in four digits) keep
 * printf's widening of %04lld. */
void lr__time_format(int64_t us, char *out) {
  int64_t secs = us / 1000000, frac = us % 1000000;
  if (frac < 0) {
    secs -= 1;
    frac += 1000000;
  }
  int64_t days = secs / 86400, rem = secs % 86400;
  if (rem < 0) {
    days -= 1;
    rem += 86400;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  char *at = out;
  if (y >= 0 && y <= 9999)
    at = put_digits(at, (unsigned)y, 4);
  else
    at += snprintf(out, 40, "%04lld", (long long)y);
  unsigned parts[5] = {(unsigned)m, (unsigned)d, (unsigned)(rem / 3600),
                       (unsigned)(rem / 60 % 60), (unsigned)(rem % 60)};
  static const char before[5] = {'-', '-', 'T', ':', ':'};
  for (int i = 0; i < 5; i++) {
    *at++ = before[i];
    at = put_digits(at, parts[i], 2);
  }
  if (frac) {
    *at++ = '.';
    at = put_digits(at, (unsigned)frac, 6);
  }
  memcpy(at, "Z", 2);
}

int lr__time_parse_spec(const char *text, int64_t now_us, int64_t *us) {
  if (!strcmp(text, "now")) {
    *us = now_us;
    return 0;
  }
  if (text[0] != '+' && text[0] != '-') {
    if (strspn(text, "0123456789") == strlen(text))
      return -1; /* a bare number: seconds? a year? say which */
    return lr__time_parse(text, us);
  }
  if (!lr__is_digit((unsigned char)text[1]))
    return -1;
  static const struct {
    char unit;
    int64_t seconds;
  } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
  char *end;
  long long n = strtoll(text + 1, &end, 10);
  if (end == text + 1 || n < 0 || n > 100000000LL || !*end || end[1])
    return -1;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (*end == units[i].unit) {
      int64_t delta = (int64_t)n * units[i].seconds * 1000000;
      *us = text[0] == '-' ? now_us - delta : now_us + delta;
      return 0;
    }
  }
  return -1;
}

long long lr__fault_clock_offset_us = 0;

int64_t lr__time_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 +
         lr__fault_clock_offset_us;
}

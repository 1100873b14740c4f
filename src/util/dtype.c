/*
 * dtype.c - parsing and naming value types and durations (see dtype.h).
 */
#include "dtype.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocale.h"

static const struct {
  const char *name;
  uint8_t dtype;
} dtype_names[] = {
    {"bool", LR__DT_BOOL},       {"int32", LR__DT_INT32},
    {"int64", LR__DT_INT64},     {"float32", LR__DT_FLOAT32},
    {"float64", LR__DT_FLOAT64}, {"string", LR__DT_STRING},
    {"bytes", LR__DT_BYTES},     {"timestamp", LR__DT_TIMESTAMP},
    /* Feast's spellings */
    {"float", LR__DT_FLOAT32},   {"double", LR__DT_FLOAT64},
    {"unixtimestamp", LR__DT_TIMESTAMP}, {"unix_timestamp", LR__DT_TIMESTAMP},
};

static int base_parse(const char *text, size_t len, uint8_t *dt) {
  for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++) {
    if (strlen(dtype_names[i].name) == len &&
        lr__ascii_ncasecmp(dtype_names[i].name, text, len) == 0) {
      *dt = dtype_names[i].dtype;
      return 0;
    }
  }
  return -1;
}

/* Arrays hold numbers and strings (embeddings are array<float32>). */
static int array_element_ok(uint8_t base) {
  return base == LR__DT_INT32 || base == LR__DT_INT64 ||
         base == LR__DT_FLOAT32 || base == LR__DT_FLOAT64 ||
         base == LR__DT_STRING;
}

int lr__dtype_parse(const char *text, uint8_t *dt) {
  size_t len = strlen(text);
  /* array<T> | Array(T) | list<T> | List(T) */
  const char *open = strpbrk(text, "<(");
  if (open) {
    size_t head = (size_t)(open - text);
    char close = *open == '<' ? '>' : ')';
    int is_array = (head == 5 && lr__ascii_ncasecmp(text, "array", 5) == 0) ||
                   (head == 4 && lr__ascii_ncasecmp(text, "list", 4) == 0);
    if (!is_array || len < head + 3 || text[len - 1] != close)
      return -1;
    uint8_t base;
    if (base_parse(open + 1, len - head - 2, &base) != 0)
      return -1;
    if (!array_element_ok(base))
      return -2;
    *dt = (uint8_t)(base | LR__DT_ARRAY);
    return 0;
  }
  return base_parse(text, len, dt);
}

const char *lr__dtype_name(uint8_t dt, char scratch[32]) {
  static const char *base_names[] = {"?",      "bool",    "int32",
                                     "int64",  "float32", "float64",
                                     "string", "bytes",   "timestamp"};
  unsigned base = LR__DT_BASE(dt);
  const char *name = base < sizeof base_names / sizeof base_names[0]
                         ? base_names[base] : "?";
  if (!LR__DT_IS_ARRAY(dt))
    return name;
  snprintf(scratch, 32, "array<%s>", name);
  return scratch;
}

int lr__dtype_is_key(uint8_t dt) {
  return dt == LR__DT_INT32 || dt == LR__DT_INT64 || dt == LR__DT_STRING ||
         dt == LR__DT_BYTES;
}

const char *lr__dtype_hint(void) {
  return "types are bool, int32, int64, float32, float64, string, bytes, "
         "timestamp and array<T> of int32, int64, float32, float64 or string "
         "(Feast's Float32, Array(Float32)... are accepted too)";
}

/* Duration units in milliseconds, largest first (the order
 * lr__duration_format writes them in, from days). A unit is read as the longest
 * spelling that fits, so `ms` is never taken for `m`. */
static const struct {
  const char *unit;
  int64_t ms;
} duration_units[] = {{"w", 604800000}, {"d", 86400000}, {"h", 3600000},
                      {"m", 60000},     {"s", 1000},     {"ms", 1}};

/* The unit at *p (the longest that matches), as a whole number of `base`
 * milliseconds, moving *p past it; 0 when there is none, or when it is
 * shorter than `base` (ms in a duration of seconds). */
static int64_t take_unit(const char **p, int64_t base) {
  size_t best = 0;
  int64_t value = 0;
  for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0];
       i++) {
    size_t len = strlen(duration_units[i].unit);
    if (len > best && strncmp(*p, duration_units[i].unit, len) == 0) {
      best = len;
      value = duration_units[i].ms / base;
    }
  }
  *p += value ? best : 0;
  return value;
}

/* Parses `<number><unit>` groups (or a bare "0") into *out, counted in
 * units of `base` milliseconds; -1 on anything else or on overflow. */
static int parse_duration(const char *text, int64_t base, int64_t *out) {
  if (strcmp(text, "0") == 0) {
    *out = 0;
    return 0;
  }
  int64_t total = 0;
  const char *p = text;
  if (!*p)
    return -1;
  while (*p) {
    if (!lr__is_digit((unsigned char)*p))
      return -1;
    char *end;
    errno = 0;
    long long n = strtoll(p, &end, 10);
    int range = errno == ERANGE;
    p = end;
    int64_t unit = take_unit(&p, base);
    if (range || !unit || n > INT64_MAX / unit ||
        total > INT64_MAX - n * unit)
      return -1;
    total += n * unit;
  }
  *out = total;
  return 0;
}

int lr__duration_parse(const char *text, int64_t *seconds) {
  return parse_duration(text, 1000, seconds);
}

int lr__duration_parse_ms(const char *text, int64_t *ms) {
  return parse_duration(text, 1, ms);
}

void lr__duration_format(lr__buf *out, int64_t seconds) {
  if (seconds == 0) {
    lr__buf_puts(out, "0s");
    return;
  }
  /* Days are the largest unit written: `7d` stays 7d (a ttl of weeks is
   * rare, and `1w` for what was written `7d` reads as another value). */
  for (size_t i = 1; i < sizeof duration_units / sizeof duration_units[0]; i++) {
    int64_t unit = duration_units[i].ms / 1000;
    if (unit && seconds >= unit) {
      lr__buf_printf(out, "%lld%s", (long long)(seconds / unit),
                     duration_units[i].unit);
      seconds %= unit;
    }
  }
}

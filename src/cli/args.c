/*
 * args.c - helpers the commands share to read their arguments: lists and
 * typed values.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cli_split_list(char *text, const char **items, int max) {
  int n = 0;
  for (char *t = strtok(text, ","); t && n < max; t = strtok(NULL, ","))
    items[n++] = t;
  return n;
}

/* An integer in [min, max], the whole text. */
static int parse_integer(const char *text, long long min, long long max,
                         long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

int cli_parse_count(const char *flag, const char *text, long long min,
                    long long max, long long *out) {
  if (parse_integer(text, min, max, out))
    return cli_usage_error("%s: '%s' is not a whole number from %lld to %lld",
                           flag, text, min, max);
  return 0;
}

/* A number, the whole text. */
static int parse_number(const char *text, double *out) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end || (errno && isinf(v)))
    return -1;
  *out = v;
  return 0;
}

/* true/false or 1/0. */
static int parse_bool(const char *text, int *out) {
  if (!strcmp(text, "true") || !strcmp(text, "1"))
    *out = 1;
  else if (!strcmp(text, "false") || !strcmp(text, "0"))
    *out = 0;
  else
    return -1;
  return 0;
}

int cli_parse_value(const char *text, int type, lr_value *out) {
  long long i;
  double d;
  *out = (lr_value){.type = type};
  switch (type) {
  case LR_TYPE_INT32:
    if (parse_integer(text, -2147483647LL - 1, 2147483647LL, &i))
      return -1;
    out->v.i32 = (int)i;
    return 0;
  case LR_TYPE_INT64:
    return parse_integer(text, -9223372036854775807LL - 1,
                         9223372036854775807LL, &out->v.i64);
  case LR_TYPE_FLOAT32:
    if (parse_number(text, &d))
      return -1;
    out->v.f32 = (float)d;
    return 0;
  case LR_TYPE_FLOAT64:
    return parse_number(text, &out->v.f64);
  case LR_TYPE_BOOL:
    return parse_bool(text, &out->v.b);
  case LR_TYPE_TIMESTAMP:
    return lr_parse_time(text, (long long)time(NULL) * 1000000, &out->v.ts);
  case LR_TYPE_STRING:
  case LR_TYPE_BYTES:
    out->v.str = (lr_str){text, strlen(text)};
    return 0;
  default:
    return -1;
  }
}

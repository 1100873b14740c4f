/*
 * values.c - names of value types and feature statuses, and times as the
 * command line writes them (public API).
 * lr_type numbers are the registry's dtype numbers, so names come from one
 * table (registry/dtype.c).
 */
#include "../util/dtype.h"
#include "../util/timefmt.h"
#include "larder.h"

const char *lr_status_name(int feature_status) {
  switch (feature_status) {
  case LR_STATUS_PRESENT: return "PRESENT";
  case LR_STATUS_NULL_VALUE: return "NULL_VALUE";
  case LR_STATUS_NOT_FOUND: return "NOT_FOUND";
  case LR_STATUS_OUTSIDE_MAX_AGE: return "OUTSIDE_MAX_AGE";
  default: return "INVALID";
  }
}

const char *lr_type_name(int type, char *buf) {
  if (type == LR_TYPE_NULL)
    return "null";
  return lr__dtype_name((uint8_t)type, buf);
}

int lr_parse_time(const char *text, long long now_us, long long *us) {
  int64_t t;
  if (!text || !us || lr__time_parse_spec(text, now_us, &t) != 0)
    return LR_EINVAL;
  *us = t;
  return 0;
}

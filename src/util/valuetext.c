/*
 * valuetext.c - one lr_value as text or JSON (valuetext.h): what a lookup's
 * table and JSON answer print, and the sample values of a check's report.
 */
#include "valuetext.h"

#include <string.h>

#include "dtype.h"
#include "textval.h"
#include "timefmt.h"

void lr__value_put(lr__buf *out, const lr_value *v, int json) {
  char ts[40];
  if (v->type & LR__DT_ARRAY) {
    lr__buf_putc(out, '[');
    for (size_t k = 0; k < v->v.array.n; k++) {
      lr__buf_puts(out, k ? ", " : "");
      lr_value elem = {.type = LR__DT_BASE(v->type)};
      const char *base = v->v.array.data;
      switch (elem.type) {
      case LR__DT_INT32: memcpy(&elem.v.i32, base + 4 * k, 4); break;
      case LR__DT_FLOAT32: memcpy(&elem.v.f32, base + 4 * k, 4); break;
      case LR__DT_STRING: elem.v.str = ((const lr_str *)base)[k]; break;
      default: memcpy(&elem.v.i64, base + 8 * k, 8); break; /* int64, f64 */
      }
      lr__value_put(out, &elem, 1);
    }
    lr__buf_putc(out, ']');
    return;
  }
  switch (v->type) {
  case LR__DT_BOOL: lr__buf_puts(out, v->v.b ? "true" : "false"); break;
  case LR__DT_INT32: lr__buf_put_int(out, v->v.i32); break;
  case LR__DT_INT64: lr__buf_put_int(out, v->v.i64); break;
  case LR__DT_FLOAT32: lr__put_float32(out, v->v.f32, json); break;
  case LR__DT_FLOAT64: lr__put_float64(out, v->v.f64, json); break;
  case LR__DT_TIMESTAMP:
    lr__time_format(v->v.ts, ts);
    lr__buf_printf(out, json ? "\"%s\"" : "%s", ts);
    break;
  case LR__DT_STRING:
    if (json)
      lr__buf_json_strn(out, v->v.str.ptr, v->v.str.len);
    else
      lr__buf_append(out, v->v.str.ptr, v->v.str.len);
    break;
  case LR__DT_BYTES:
    if (json)
      lr__buf_putc(out, '"');
    lr__base64_encode(out, v->v.str.ptr, v->v.str.len);
    if (json)
      lr__buf_putc(out, '"');
    break;
  default: lr__buf_puts(out, "null");
  }
}


/*
 * dtype.h - value types of features and entity keys, and durations (ttl).
 *
 * A dtype is one byte: the base type in the low bits, LR__DT_ARRAY set for
 * arrays. The spellings accepted are ours (`float32`, `array<float32>`) and
 * Feast's (`Float32`, `Array(Float32)`, `INT64`), case-insensitively.
 *
 * In util, below the registry, the transform and the codec: every layer
 * that holds typed values uses them.
 */
#ifndef LR_UTIL_DTYPE_H
#define LR_UTIL_DTYPE_H

#include <stdint.h>

#include "buf.h"

typedef enum {
  LR__DT_BOOL = 1,
  LR__DT_INT32,
  LR__DT_INT64,
  LR__DT_FLOAT32,
  LR__DT_FLOAT64,
  LR__DT_STRING,
  LR__DT_BYTES,
  LR__DT_TIMESTAMP,
  LR__DT_ARRAY = 0x80
} lr__dtype;

#define LR__DT_BASE(dt) ((dt) & 0x7f)
#define LR__DT_IS_ARRAY(dt) (((dt) & LR__DT_ARRAY) != 0)

/* Parses a dtype spelling; returns 0 and sets *dt, or -1 when it is not a
 * type, or -2 when it is an array of a type arrays cannot hold. */
int lr__dtype_parse(const char *text, uint8_t *dt);
/* The canonical spelling: "float32", "array<string>". Static or `scratch`. */
const char *lr__dtype_name(uint8_t dt, char scratch[32]);
/* 1 when `dt` may be an entity key type (int32, int64, string, bytes). */
int lr__dtype_is_key(uint8_t dt);
/* The list of valid spellings, for hints. */
const char *lr__dtype_hint(void);

/* Parses a ttl such as `1d`, `90m`, `1h30m`, `0s` (no limit) or `0`; returns
 * 0 and sets *seconds, or -1. */
int lr__duration_parse(const char *text, int64_t *seconds);
/* The same in milliseconds, with the unit `ms` too: `500ms`, `5s`, `2m`,
 * `1m30s`; returns 0 and sets *ms, or -1. */
int lr__duration_parse_ms(const char *text, int64_t *ms);
/* Writes the shortest spelling of a duration: 86400 -> "1d", 0 -> "0s". */
void lr__duration_format(lr__buf *out, int64_t seconds);

#endif

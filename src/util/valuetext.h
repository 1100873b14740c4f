/*
 * valuetext.h - one lr_value as text or JSON: a lookup's answer (online/
 * format.c) and the samples of a check's report (quality/checkreport.c)
 * print values the same way.
 */
#ifndef LR_UTIL_VALUETEXT_H
#define LR_UTIL_VALUETEXT_H

#include "../../include/larder.h"
#include "buf.h"

/* Appends value `v` (of v->type; LR_TYPE_NULL as null) as JSON (json = 1:
 * strings quoted, bytes base64, NaN as "NaN") or as the text table writes
 * it (strings bare). */
void lr__value_put(lr__buf *out, const lr_value *v, int json);

#endif

/*
 * floattext.h - what the two halves of float text share (util only): the
 * exact search for the shortest round-trip text (floatsearch.c), which the
 * fast paths of textval.c fall back on, and the power tables both use.
 */
#ifndef LR_UTIL_FLOATTEXT_H
#define LR_UTIL_FLOATTEXT_H

#include <stdint.h>

#include "buf.h"

typedef unsigned __int128 u128;

/* 5^n for n <= 27 and 10^n for n <= 19: the largest that fit 64 bits. */
extern const uint64_t lr__pow5_u64[28];
extern const uint64_t lr__pow10_u64[20];

/* NaN and the infinities as text ("NaN", "Infinity", "-Infinity"; quoted
 * when `json`); returns 0 and writes nothing for any other value. */
int lr__float_special(lr__buf *out, double v, int json);

/* Appends printf's %.{p}g of v for the smallest p in lo..lo+3 that reads
 * back as v (as a float32 when `single`): the slow path, for any finite v. */
void lr__float_search(lr__buf *out, double v, int lo, int single);

#endif

/*
 * timefmt.h - timestamps as text: ISO 8601 in, RFC 3339 out. Times are
 * microseconds since 1970-01-01T00:00:00Z; text without an offset is UTC.
 */
#ifndef LR_UTIL_TIMEFMT_H
#define LR_UTIL_TIMEFMT_H

#include <stdint.h>

/* Parses `2024-01-01`, `2024-01-01T10:00:00`, `2024-01-01 10:00:00.123456`,
 * with `Z` or `+02:00`/`-0530` offsets, or an integer (seconds since the
 * epoch). Returns 0 and sets *us, or -1. */
int lr__time_parse(const char *text, int64_t *us);

/* Writes RFC 3339 UTC with `Z` into `out` (at least 40 bytes):
 * `2024-01-02T10:00:00Z`, with `.ffffff` only when there are microseconds. */
void lr__time_format(int64_t us, char *out);

/* Parses `now`, `+N<unit>` / `-N<unit>` relative to `now_us` (units s m h
 * d w), or an ISO 8601 time as lr__time_parse takes it; a bare number is
 * refused (ambiguous on a command line). Returns 0 or -1. */
int lr__time_parse_spec(const char *text, int64_t now_us, int64_t *us);

/* The current time in microseconds since the epoch: the library's one
 * reading of the wall clock (a row's "now", a snapshot's created_us, a
 * replica's report and its age, a new layout epoch), so that a test can
 * move every one of them at once (lr__fault_clock_offset_us). Intervals
 * are measured on CLOCK_MONOTONIC instead, which no clock change moves. */
int64_t lr__time_now_us(void);

/* Fault injection, for tests only (docs/internals/testing.md): added to
 * every lr__time_now_us(), so a test process can run as on a machine
 * whose clock is that far off (a replica 5 minutes ahead: +300000000). 0,
 * the default, is off. A plain global: set it before any thread starts. */
extern long long lr__fault_clock_offset_us;

#endif

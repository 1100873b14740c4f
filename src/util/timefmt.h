/*
 * timefmt.h - timestamps as text: ISO 8601 in, RFC 3339 out. Times are
 * microseconds since 1970-01-01T00:00:00Z; text without an offset is UTC.
 */
#ifndef LR_UTIL_TIMEFMT_H
#define LR_UTIL_TIMEFMT_H

#include <stdint.h>

#include "buf.h"

/* The units an epoch number may be in (`timestamp_unit`), coarsest first. */
enum { LR__TIME_S, LR__TIME_MS, LR__TIME_US, LR__TIME_NS, LR__N_TIME_UNITS };

/* The unit named `name` ("s", "ms", "us", "ns"), or -1 (NULL too). */
int lr__time_unit_parse(const char *name);
/* The name of `unit`: "s", "ms", "us" or "ns". */
const char *lr__time_unit_name(int unit);

/* What lr__time_read and lr__time_from_epoch answer besides 0. */
enum { LR__TIME_NOT_A_TIME = -1, LR__TIME_OUT_OF_RANGE = -2 };

/* The one parser of times that every path uses (the write path, the
 * server, and DuckDB's queries through offline/timecol.c): ISO 8601
 * `2024-01-01`, `2024-01-01T10:00:00`, `2024-01-01 10:00:00.123456`, with
 * `Z` or `+02:00`/`-0530` offsets (none: UTC), or an integer, an epoch
 * time in `unit`. Nothing else is read (`12/05/2026`, `2026-13-01`,
 * `yesterday` are refused, not guessed at). Returns 0 and sets *us (in
 * microseconds), LR__TIME_NOT_A_TIME, or LR__TIME_OUT_OF_RANGE for an
 * integer that lands before 1900 or past 9999 in its unit. */
int lr__time_read(const char *text, int unit, int64_t *us);

/* lr__time_read with integers in seconds; 0 or -1. */
int lr__time_parse(const char *text, int64_t *us);

/* Epoch time n in `unit` as microseconds; 0, or LR__TIME_OUT_OF_RANGE
 * (before 1900 or past 9999). */
int lr__time_from_epoch(int64_t n, int unit, int64_t *us);

/* Says why lr__time_read refused `text` (in `unit`), for a message that
 * has named the place and column: "'TEXT' is not a time: write ISO 8601
 * (...) or an epoch number with timestamp_unit", or for an integer out of
 * range "N as seconds is past the year 9999; if these are milliseconds,
 * <declare>ms<declared_where>" (declare: "declare timestamp_unit: ",
 * declared_where: " on source 'x'", or "" ), the unit named being the
 * first finer one that puts N between 1900 and 9999. */
void lr__time_why(lr__buf *out, const char *text, int unit,
                  const char *declare, const char *declared_where);

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

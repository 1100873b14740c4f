/*
 * row.h - the packed online row: one per (view, entity).
 *
 *   byte 0     format (high nibble, 1) | HAS_NULLS (bit 0) | HAS_CREATED (bit 1)
 *              | HAS_CHECKSUM (bit 2)
 *   varint     zigzag event time, whole seconds since the epoch
 *   varint     event time's microseconds within the second (0..999999)
 *   varint     zigzag (created - event) in microseconds, if HAS_CREATED
 *   varint     n_slots: how many slots the writer's layout had
 *   bitmap     ceil(n_slots / 8) bytes, bit i set = slot i is null; only if
 *              HAS_NULLS (rows without nulls, the common case, skip it)
 *   values     each non-null slot in order: bool 1 byte; int32, float32 4;
 *              int64, float64, timestamp (µs) 8, little-endian; string and
 *              bytes: varint length + bytes; arrays: varint count + elements
 *              (array<string>: each a varint length + bytes)
 *   checksum   if HAS_CHECKSUM (every row written since it exists): the
 *              CRC-32C of all the bytes before it, 4 bytes little-endian
 *
 * No names, tags or types are stored: the registry keeps each view's slot
 * types (every slot ever used), which is what walking a row needs. Slots at
 * or past n_slots were added after the row was written: they are missing.
 */
#ifndef LR_CODEC_ROW_H
#define LR_CODEC_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "../util/buf.h"

#define LR__ROW_FORMAT 1
#define LR__ROW_NO_CREATED INT64_MIN
/* Event and created times a row can hold, in microseconds: up to
 * 9999-12-31T23:59:59.999999Z on either side of 1970, so that no sum or
 * difference of two of them overflows. */
#define LR__TIME_MAX_US (253402300799LL * 1000000 + 999999)
#define LR__TIME_MIN_US (-LR__TIME_MAX_US)

/* One slot's value. Fixed-width types use the union; variable-width types
 * point at their encoded bytes (after the length/count prefix) with `len`
 * bytes and, for arrays, `count` elements. */
typedef struct lr__cell {
  uint8_t is_null;
  union {
    uint8_t b;
    int32_t i32;
    int64_t i64; /* int64 and timestamp (µs) */
    float f32;
    double f64;
  } v;
  const uint8_t *ptr;
  size_t len;
  uint32_t count;
} lr__cell;

typedef struct lr__row_header {
  int64_t event_us;
  int64_t created_us; /* LR__ROW_NO_CREATED when absent */
  uint32_t n_slots;
} lr__row_header;

/* Appends the row for `cells` (n_slots of them, typed by slot_types) to
 * `out`. For variable-width cells, `ptr`/`len`/`count` describe the payload
 * in its encoded form (see lr__row_put_array_*). */
void lr__row_encode(const uint8_t *slot_types, uint32_t n_slots,
                    const lr__cell *cells, int64_t event_us,
                    int64_t created_us, lr__buf *out);

/* Reads only the header (for newer-wins checks). It does not verify the
 * checksum, which would need the row's slot types to read no further than
 * its fields. Returns 0 or -1 (damaged). */
int lr__row_header_read(const uint8_t *row, size_t len, lr__row_header *h);

/* Decodes the slots the reader's layout knows (the first max_slots; a row
 * written under a newer layout has more, which are skipped) into `cells`.
 * h->n_slots is the row's own count. Returns 0, or -1 when damaged: it
 * fails its checksum, or a length or count disagrees with its size. */
int lr__row_decode(const uint8_t *row, size_t len, const uint8_t *slot_types,
                   uint32_t max_slots, lr__row_header *h, lr__cell *cells);

/* (event, created) ordering for newer-wins: <0, 0, >0. A missing created
 * time is older than any present one. */
int lr__row_compare_times(int64_t event_a, int64_t created_a, int64_t event_b,
                          int64_t created_b);

/* Newer-wins as a total order of two encoded rows a and b: by (event,
 * created) time, then, for equal times, by their bytes (the longer, then
 * the greater under memcmp, wins). Stores that see the same rows in any
 * order, or twice, keep the same one: replicas converge. <0, 0 (the very
 * same row), >0. */
int lr__row_newer_wins(int64_t event_a, int64_t created_a, const void *row_a,
                       size_t len_a, int64_t event_b, int64_t created_b,
                       const void *row_b, size_t len_b);

/* 1 when `us` is an event or created time a row can hold. */
int lr__time_in_range(int64_t us);

/* The byte width of a fixed-width dtype's element, 0 for variable width
 * (inline: the row codec asks for every cell). */
static inline int lr__dtype_width(uint8_t base_dtype) {
  /* by base dtype: ?, bool, int32, int64, float32, float64, string, bytes,
   * timestamp */
  static const uint8_t widths[16] = {0, 1, 4, 8, 4, 8, 0, 0, 8};
  return base_dtype < 16 ? widths[base_dtype] : 0;
}

#endif

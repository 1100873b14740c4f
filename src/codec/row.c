/*
 * row.c - encoding and decoding packed online rows (see row.h).
 */
#include "row.h"

#include <string.h>

#include "../util/dtype.h"
#include "crc32c.h"
#include "varint.h"

enum { ROW_HAS_NULLS = 1, ROW_HAS_CREATED = 2, ROW_HAS_CHECKSUM = 4 };
enum { CHECKSUM_BYTES = 4 };

/* Seconds and microseconds with a floor division, so times before 1970
 * still have a remainder in 0..999999. */
static void split_us(int64_t us, int64_t *sec, uint64_t *frac) {
  int64_t s = us / 1000000, r = us % 1000000;
  if (r < 0) {
    s -= 1;
    r += 1000000;
  }
  *sec = s;
  *frac = (uint64_t)r;
}

/* Writes `v` as a varint at `p`; returns the byte after it. */
static uint8_t *put_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* The most bytes the row of `cells` can take: the header with the longest
 * varints, the null bitmap, each value with a longest length prefix. */
static size_t row_bound(const uint8_t *slot_types, uint32_t n_slots,
                        const lr__cell *cells) {
  size_t n = 1 + 4 * 10 + (n_slots + 7) / 8 + CHECKSUM_BYTES;
  for (uint32_t i = 0; i < n_slots; i++) {
    uint8_t dt = slot_types[i];
    int width = LR__DT_IS_ARRAY(dt) ? 0 : lr__dtype_width(LR__DT_BASE(dt));
    n += cells[i].is_null ? 0 : width ? (size_t)width : 10 + cells[i].len;
  }
  return n;
}

/* Writes the null bitmap: bit i set = slot i is null. */
static uint8_t *put_nulls(uint8_t *p, uint32_t n_slots, const lr__cell *cells) {
  memset(p, 0, (n_slots + 7) / 8);
  for (uint32_t i = 0; i < n_slots; i++)
    p[i / 8] |= (uint8_t)((cells[i].is_null != 0) << (i % 8));
  return p + (n_slots + 7) / 8;
}

/* Writes each non-null value: fixed widths as they are (the union's first
 * bytes, little-endian), the others with their length or count. */
static uint8_t *put_values(uint8_t *p, const uint8_t *slot_types,
                           uint32_t n_slots, const lr__cell *cells) {
  for (uint32_t i = 0; i < n_slots; i++) {
    const lr__cell *c = &cells[i];
    if (c->is_null)
      continue;
    uint8_t dt = slot_types[i];
    int width = LR__DT_IS_ARRAY(dt) ? 0 : lr__dtype_width(LR__DT_BASE(dt));
    if (width) {
      memcpy(p, &c->v, (size_t)width);
      p += width;
      continue;
    }
    p = put_varint(p, LR__DT_IS_ARRAY(dt) ? c->count : c->len);
    if (c->len)
      memcpy(p, c->ptr, c->len);
    p += c->len;
  }
  return p;
}

void lr__row_encode(const uint8_t *slot_types, uint32_t n_slots,
                    const lr__cell *cells, int64_t event_us,
                    int64_t created_us, lr__buf *out) {
  if (!lr__buf_reserve(out, row_bound(slot_types, n_slots, cells)))
    return;
  int has_nulls = 0;
  for (uint32_t i = 0; i < n_slots; i++)
    has_nulls |= cells[i].is_null;
  int has_created = created_us != LR__ROW_NO_CREATED;
  uint8_t *start = (uint8_t *)out->data + out->len, *p = start;
  *p++ = (uint8_t)(LR__ROW_FORMAT << 4 | ROW_HAS_CHECKSUM |
                   (has_nulls ? ROW_HAS_NULLS : 0) |
                   (has_created ? ROW_HAS_CREATED : 0));
  int64_t sec;
  uint64_t frac;
  split_us(event_us, &sec, &frac);
  p = put_varint(p, lr__zigzag(sec));
  p = put_varint(p, frac);
  if (has_created)
    p = put_varint(p, lr__zigzag(created_us - event_us));
  p = put_varint(p, n_slots);
  if (has_nulls)
    p = put_nulls(p, n_slots, cells);
  p = put_values(p, slot_types, n_slots, cells);
  uint32_t sum = lr__crc32c(start, (size_t)(p - start));
  for (int i = 0; i < CHECKSUM_BYTES; i++)
    *p++ = (uint8_t)(sum >> (8 * i)); /* little-endian */
  out->len += (size_t)(p - start);
  out->data[out->len] = '\0';
}

int lr__time_in_range(int64_t us) {
  return us >= LR__TIME_MIN_US && us <= LR__TIME_MAX_US;
}

/* Where a row's fields end: before its checksum when it has one (rows
 * written before checksums have none); NULL when too short for it. */
static const uint8_t *fields_end(const uint8_t *row, size_t len) {
  if (len == 0 || !(row[0] & ROW_HAS_CHECKSUM))
    return row + len;
  return len > CHECKSUM_BYTES ? row + len - CHECKSUM_BYTES : NULL;
}

/* 1 when the fields from `row` to `end` match the checksum at `end` (or
 * the row has none). */
static int checksum_ok(const uint8_t *row, const uint8_t *end) {
  if (!(row[0] & ROW_HAS_CHECKSUM))
    return 1;
  uint32_t stored = (uint32_t)end[0] | (uint32_t)end[1] << 8 |
                    (uint32_t)end[2] << 16 | (uint32_t)end[3] << 24;
  return lr__crc32c(row, (size_t)(end - row)) == stored;
}

static int read_header(const uint8_t **p, const uint8_t *end,
                       lr__row_header *h, uint8_t *flags) {
  if (*p >= end || (**p >> 4) != LR__ROW_FORMAT)
    return -1;
  *flags = *(*p)++;
  uint64_t sec, frac, n;
  if (lr__varint_get(p, end, &sec) || lr__varint_get(p, end, &frac) ||
      frac >= 1000000)
    return -1;
  int64_t seconds = lr__unzigzag(sec);
  if (seconds < LR__TIME_MIN_US / 1000000 - 1 ||
      seconds > LR__TIME_MAX_US / 1000000)
    return -1; /* damage: no writer stores such a time */
  h->event_us = seconds * 1000000 + (int64_t)frac;
  h->created_us = LR__ROW_NO_CREATED;
  if (*flags & ROW_HAS_CREATED) {
    uint64_t delta;
    if (lr__varint_get(p, end, &delta))
      return -1;
    int64_t d = lr__unzigzag(delta);
    if (d < LR__TIME_MIN_US - LR__TIME_MAX_US ||
        d > LR__TIME_MAX_US - LR__TIME_MIN_US)
      return -1;
    h->created_us = h->event_us + d;
    if (!lr__time_in_range(h->created_us))
      return -1;
  }
  if (lr__varint_get(p, end, &n) || n > UINT16_MAX + 1ull)
    return -1;
  h->n_slots = (uint32_t)n;
  return 0;
}

int lr__row_header_read(const uint8_t *row, size_t len, lr__row_header *h) {
  uint8_t flags;
  const uint8_t *end = fields_end(row, len);
  return end ? read_header(&row, end, h, &flags) : -1;
}

/* Reads one variable-width value: its length or count, then its bytes. */
static int read_var(const uint8_t **p, const uint8_t *end, uint8_t dt,
                    lr__cell *c) {
  uint64_t n;
  if (lr__varint_get(p, end, &n))
    return -1;
  const uint8_t *start = *p;
  if (!LR__DT_IS_ARRAY(dt)) {
    if (n > (uint64_t)(end - *p))
      return -1;
    *p += n;
  } else if (LR__DT_BASE(dt) == LR__DT_STRING) {
    for (uint64_t k = 0; k < n; k++) {
      uint64_t slen;
      if (lr__varint_get(p, end, &slen) || slen > (uint64_t)(end - *p))
        return -1;
      *p += slen;
    }
  } else {
    uint64_t bytes = n * (uint64_t)lr__dtype_width(LR__DT_BASE(dt));
    if (n > UINT32_MAX || bytes > (uint64_t)(end - *p))
      return -1;
    *p += bytes;
  }
  c->ptr = start;
  c->len = (size_t)(*p - start);
  c->count = (uint32_t)(LR__DT_IS_ARRAY(dt) ? n : 0);
  return 0;
}

int lr__row_decode(const uint8_t *row, size_t len, const uint8_t *slot_types,
                   uint32_t max_slots, lr__row_header *h, lr__cell *cells) {
  const uint8_t *p = row, *end = row ? fields_end(row, len) : NULL;
  uint8_t flags;
  if (!end || read_header(&p, end, h, &flags))
    return -1;
  const uint8_t *bitmap = NULL;
  if (flags & ROW_HAS_NULLS) {
    size_t bytes = (h->n_slots + 7) / 8;
    if (bytes > (size_t)(end - p))
      return -1;
    bitmap = p;
    p += bytes;
  }
  /* Slots are in order, so a reader whose layout is older than the
   * writer's reads the slots it knows and stops: the rest are features it
   * was never told about. */
  uint32_t known = h->n_slots < max_slots ? h->n_slots : max_slots;
  for (uint32_t i = 0; i < known; i++) {
    lr__cell *c = &cells[i];
    c->is_null = bitmap ? (bitmap[i / 8] >> (i % 8)) & 1 : 0;
    if (c->is_null)
      continue;
    uint8_t dt = slot_types[i];
    int width = LR__DT_IS_ARRAY(dt) ? 0 : lr__dtype_width(LR__DT_BASE(dt));
    if (!width) {
      if (read_var(&p, end, dt, c))
        return -1;
      continue;
    }
    if ((size_t)(end - p) < (size_t)width)
      return -1;
    c->v.i64 = 0;
    memcpy(&c->v, p, (size_t)width);
    p += width;
  }
  /* The checksum is read only where the fields say the row ends, once
   * that agrees with its size: a damaged size (in LMDB's node) then sends
   * no read past the real row. A reader with an older layout cannot walk
   * the slots it does not know, so it trusts the size. */
  if (known < h->n_slots)
    return checksum_ok(row, end) ? 0 : -1;
  return p == end && checksum_ok(row, end) ? 0 : -1;
}

int lr__row_compare_times(int64_t event_a, int64_t created_a, int64_t event_b,
                          int64_t created_b) {
  if (event_a != event_b)
    return event_a < event_b ? -1 : 1;
  if (created_a != created_b)
    return created_a < created_b ? -1 : 1;
  return 0;
}

int lr__row_newer_wins(int64_t event_a, int64_t created_a, const void *row_a,
                       size_t len_a, int64_t event_b, int64_t created_b,
                       const void *row_b, size_t len_b) {
  int c = lr__row_compare_times(event_a, created_a, event_b, created_b);
  if (c || len_a != len_b)
    return c ? c : (len_a < len_b ? -1 : 1);
  c = memcmp(row_a, row_b, len_a);
  return c < 0 ? -1 : c > 0;
}

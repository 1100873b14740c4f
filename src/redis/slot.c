/*
 * slot.c - the Redis Cluster key slot (slot.h). The CRC16 is table-driven,
 * one lookup per byte; the table is built from the polynomial once per
 * process (pthread_once), the first time a slot is asked for.
 */
#include "slot.h"

#include <pthread.h>
#include <string.h>

/* One step of CRC16-XMODEM for each possible top byte: the remainder of
 * byte << 8 by polynomial 0x1021. */
static uint16_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

/* Fills `table` (through pthread_once). */
static void fill_table(void) {
  for (unsigned b = 0; b < 256; b++) {
    uint16_t crc = (uint16_t)(b << 8);
    for (int bit = 0; bit < 8; bit++)
      crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    table[b] = crc;
  }
}

static const uint16_t *crc16_table(void) {
  pthread_once(&table_once, fill_table);
  return table;
}

uint16_t lr__redis_crc16(const void *data, size_t len) {
  const uint16_t *t = crc16_table();
  const unsigned char *p = data;
  uint16_t crc = 0;
  for (size_t i = 0; i < len; i++)
    crc = (uint16_t)((crc << 8) ^ t[((crc >> 8) ^ p[i]) & 0xff]);
  return crc;
}

/* The hash tag rule: the bytes after the first '{' up to the first '}'
 * after it, when there are some; the whole key otherwise. */
unsigned lr__redis_key_slot(const void *key, size_t len) {
  const char *k = key;
  const char *open = memchr(k, '{', len);
  if (open) {
    size_t from = (size_t)(open - k) + 1;
    const char *close = memchr(k + from, '}', len - from);
    if (close && close > k + from)
      return lr__redis_crc16(k + from, (size_t)(close - (k + from))) &
             (LR__REDIS_SLOTS - 1);
  }
  return lr__redis_crc16(k, len) & (LR__REDIS_SLOTS - 1);
}

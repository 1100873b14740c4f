/*
 * crc32c.c - CRC-32C with the SSE4.2 instruction when the CPU has it, else
 * a byte-at-a-time table (see crc32c.h).
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82F63B78u /* reflected Castagnoli polynomial */

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
    table[i] = c;
  }
}

uint32_t lr__crc32c_table(const void *data, size_t len) {
  pthread_once(&table_once, make_table);
  const uint8_t *p = data;
  uint32_t c = ~0u;
  while (len--)
    c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/* Eight bytes per instruction, then the tail byte by byte. */
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(const uint8_t *p, size_t len) {
  uint64_t c = ~0u;
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  uint32_t c32 = (uint32_t)c;
  while (len--)
    c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}
#endif

uint32_t lr__crc32c(const void *data, size_t len) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2"))
    return crc_sse42(data, len);
#endif
  return lr__crc32c_table(data, len);
}

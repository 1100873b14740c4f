/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of packed online rows.
 * Chosen because x86-64 (SSE4.2) computes it in hardware: the read path
 * verifies one per row looked up. Other hosts use a table; both give the
 * standard values (crc32c("123456789") = 0xE3069283).
 */
#ifndef LR_CODEC_CRC32C_H
#define LR_CODEC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of `len` bytes at `data`. */
uint32_t lr__crc32c(const void *data, size_t len);

/* The same by the table, which hosts without the instruction use (tests
 * compare the two). */
uint32_t lr__crc32c_table(const void *data, size_t len);

#endif

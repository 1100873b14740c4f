/*
 * slot.h - the Redis Cluster key slot (the cluster specification's
 * HASH_SLOT): CRC16 of the key, or of its hash tag, modulo 16384. A hash
 * tag is what lies between the key's first '{' and the first '}' after
 * it, when that is not empty; keys with the same tag share a slot, so a
 * layout can keep related keys on one node.
 */
#ifndef LR_REDIS_SLOT_H
#define LR_REDIS_SLOT_H

#include <stddef.h>
#include <stdint.h>

enum { LR__REDIS_SLOTS = 16384 };

/* CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0, no
 * reflection) of `len` bytes, as the cluster specification defines it. */
uint16_t lr__redis_crc16(const void *data, size_t len);

/* The slot (0 to 16383) of key `key` of `len` bytes, any bytes. */
unsigned lr__redis_key_slot(const void *key, size_t len);

#endif

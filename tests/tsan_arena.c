/*
 * tsan_arena.c - linked into the ThreadSanitizer test binaries only, so
 * that Criterion can start under TSan.
 *
 * Criterion (through BoxFort) maps its inheritable arena at a random
 * address between 0x200000000000 and 0x600000000000, drawn with rand_r,
 * and gives up after 10 tries when each lands on mapped memory. Under TSan
 * nearly all of that range is TSan's own (shadow, metadata, protected
 * gaps); only the application window 0x550000000000-0x568000000000 is
 * free, so Criterion aborts with "Could not initialize inheritable arena"
 * (Snaipe/Criterion#274). This rand_r, which the executable's definition
 * gives to libcriterion in place of libc's, draws inside that window
 * instead. Nothing else in the process calls rand_r.
 */
#include <stdint.h>

/* BoxFort's base address is 0x200000000000 + r * 16 MiB (r masked with
 * 0x3fffff): r from 0x360000 puts it at 0x560000000000, and the next
 * 0x8000 values stay below 0x568000000000. */
enum { WINDOW_FIRST = 0x360000, WINDOW_SLOTS = 0x8000 };

int rand_r(unsigned int *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return WINDOW_FIRST + (int)((*seed >> 8) % WINDOW_SLOTS);
}

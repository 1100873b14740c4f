/*
 * sha256.c - SHA-256 as FIPS 180-4 section 6.2 specifies it: the message
 * is padded to a multiple of 512 bits (a 1 bit, zeros, the 64-bit length)
 * and each block is compressed into the eight-word state by 64 rounds.
 *
 * On x86-64 CPUs with the SHA extensions (SHA-NI: Intel since Goldmont and
 * Ice Lake, AMD since Zen) the rounds run on those instructions instead,
 * about ten times as fast: a replica hashes every byte of a snapshot it
 * installs, and a primary every byte it publishes. Both ways give the same
 * digest; the tests check each against NIST's vectors.
 */
#include "sha256.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* Section 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static inline uint32_t rotr(uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

/* Section 4.1.2's functions. */
static inline uint32_t ch(uint32_t x, uint32_t y, uint32_t z) {
  return (x & y) ^ (~x & z);
}
static inline uint32_t maj(uint32_t x, uint32_t y, uint32_t z) {
  return (x & y) ^ (x & z) ^ (y & z);
}
static inline uint32_t big_sigma0(uint32_t x) {
  return rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
}
static inline uint32_t big_sigma1(uint32_t x) {
  return rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
}
static inline uint32_t small_sigma0(uint32_t x) {
  return rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3);
}
static inline uint32_t small_sigma1(uint32_t x) {
  return rotr(x, 17) ^ rotr(x, 19) ^ (x >> 10);
}

void lr__sha256_init(lr__sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                 0xa54ff53a, 0x510e527f, 0x9b05688c,
                                 0x1f83d9ab, 0x5be0cd19}; /* section 5.3.3 */
  memcpy(s->h, h0, sizeof h0);
  s->bytes = 0;
  s->fill = 0;
}

/* Section 6.2.2: one 512-bit block into the state. */
static void compress_portable(lr__sha256 *s, const uint8_t block[64]) {
  uint32_t w[64];
  for (int t = 0; t < 16; t++)
    w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
           (uint32_t)block[4 * t + 2] << 8 | block[4 * t + 3];
  for (int t = 16; t < 64; t++)
    w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) +
           w[t - 16];
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4],
           f = s->h[5], g = s->h[6], h = s->h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + K[t] + w[t];
    uint32_t t2 = big_sigma0(a) + maj(a, b, c);
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s->h[0] += a;
  s->h[1] += b;
  s->h[2] += c;
  s->h[3] += d;
  s->h[4] += e;
  s->h[5] += f;
  s->h[6] += g;
  s->h[7] += h;
}

#ifdef HAVE_SHA_NI
/* The same, `n` blocks at a time, on the SHA extensions. The state is
 * kept as the instructions take it: ABEF and CDGH. Each group of four
 * rounds adds four words of the schedule to four constants; the schedule
 * past the block's own 16 words is sha256msg1 (W[t-16] + s0(W[t-15])),
 * plus W[t-7], then sha256msg2 (+ s1(W[t-2])). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_sha_ni(lr__sha256 *s, const uint8_t *blocks, size_t n) {
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll,
                                       0x0405060700010203ll);
  __m128i dcba = _mm_loadu_si128((const __m128i *)&s->h[0]);
  __m128i hgfe = _mm_loadu_si128((const __m128i *)&s->h[4]);
  __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (; n > 0; n--, blocks += 64) {
    __m128i abef_in = abef, cdgh_in = cdgh, w[4];
#pragma GCC unroll 16 /* the schedule's words stay in registers */
    for (int i = 0; i < 16; i++) {
      __m128i *now = &w[i % 4];
      if (i < 4)
        *now = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(blocks + 16 * i)), bswap);
      else
        *now = _mm_sha256msg2_epu32(
            _mm_add_epi32(_mm_sha256msg1_epu32(*now, w[(i + 1) % 4]),
                          _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4)),
            w[(i + 3) % 4]);
      __m128i wk = _mm_add_epi32(*now,
                                 _mm_loadu_si128((const __m128i *)&K[4 * i]));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }
  __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)&s->h[0], _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)&s->h[4], _mm_alignr_epi8(dchg, feba, 8));
}

/* Whether this CPU has the SHA extensions and the SSSE3 and SSE4.1 the
 * code above also uses (CPUID leaves 1 and 7). */
static int cpu_has_sha_ni(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) ||
      !(c & bit_SSE4_1))
    return 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

/* -1: not looked at yet; 0: the portable rounds; 1: the SHA extensions. */
static atomic_int use_sha_ni = -1;

int lr__sha256_use_hardware(int on) {
#ifdef HAVE_SHA_NI
  atomic_store_explicit(&use_sha_ni, on && cpu_has_sha_ni(),
                        memory_order_relaxed);
#else
  (void)on;
  atomic_store_explicit(&use_sha_ni, 0, memory_order_relaxed);
#endif
  return atomic_load_explicit(&use_sha_ni, memory_order_relaxed);
}

/* `n` blocks into the state, whichever way this CPU does it best. */
static void compress(lr__sha256 *s, const uint8_t *blocks, size_t n) {
  if (n == 0)
    return;
  int hw = atomic_load_explicit(&use_sha_ni, memory_order_relaxed);
  if (hw < 0)
    hw = lr__sha256_use_hardware(1);
#ifdef HAVE_SHA_NI
  if (hw) {
    compress_sha_ni(s, blocks, n);
    return;
  }
#endif
  for (; n > 0; n--, blocks += 64)
    compress_portable(s, blocks);
}

void lr__sha256_update(lr__sha256 *s, const void *data, size_t len) {
  const uint8_t *p = data;
  s->bytes += len;
  if (s->fill) { /* complete the block begun by an earlier call */
    size_t take = 64 - s->fill < len ? 64 - s->fill : len;
    memcpy(s->block + s->fill, p, take);
    s->fill += take;
    p += take;
    len -= take;
    if (s->fill < 64)
      return;
    compress(s, s->block, 1);
    s->fill = 0;
  }
  compress(s, p, len / 64); /* whole blocks straight from data */
  p += len / 64 * 64;
  len %= 64;
  memcpy(s->block, p, len);
  s->fill = len;
}

void lr__sha256_final(lr__sha256 *s, uint8_t out[32]) {
  uint64_t bits = s->bytes * 8; /* section 5.1.1: the padding */
  s->block[s->fill++] = 0x80;
  if (s->fill > 56) {
    memset(s->block + s->fill, 0, 64 - s->fill);
    compress(s, s->block, 1);
    s->fill = 0;
  }
  memset(s->block + s->fill, 0, 56 - s->fill);
  for (int i = 0; i < 8; i++)
    s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  compress(s, s->block, 1);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++)
      out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

void lr__hex_encode(const void *data, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  const uint8_t *p = data;
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = '\0';
}

/* The value of lowercase hex digit `c`, or -1. */
static int hex_value(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                               : -1;
}

int lr__hex_decode(const char *hex, void *out, size_t n) {
  uint8_t *p = out;
  for (size_t i = 0; i < n; i++) {
    int hi = hex_value(hex[2 * i]), lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);
    if (lo < 0)
      return -1;
    p[i] = (uint8_t)(hi << 4 | lo);
  }
  return hex[2 * n] == '\0' ? 0 : -1;
}

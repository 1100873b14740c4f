/*
 * test_util.c - unit tests of the util layer: the growable buffer, the arena,
 * names and suggestions, the stable sort, diagnostics, file-system helpers,
 * SHA-256 and the status-code tables of the public API.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "helpers.h"
#include "larder.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/fs.h"
#include "util/names.h"
#include "util/sha256.h"
#include "util/sort.h"
#include "util/json.h"
#include "util/textval.h"
#include "util/timefmt.h"
#include "util/utf8.h"

/* ---- helpers ------------------------------------------------------------ */

/* Number of entries of `dir` (without . and ..); *tmp_seen is set when a
 * name contains ".tmp." (a leftover of lr__fs_write_atomic). */
static int count_entries(const char *dir, int *tmp_seen) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  int n = 0;
  if (tmp_seen)
    *tmp_seen = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    n++;
    if (tmp_seen && strstr(e->d_name, ".tmp."))
      *tmp_seen = 1;
  }
  closedir(d);
  return n;
}

static int failing_rename(const char *from, const char *to) {
  (void)from;
  (void)to;
  errno = EACCES;
  return -1;
}

/* A deterministic pseudo-random sequence (no dependency on rand()). */
static uint32_t lcg_next(uint64_t *state) {
  *state = *state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*state >> 33);
}

/* ---- lr__buf ------------------------------------------------------------ */

Test(util, u001_buf_printf_grows) {
  lr__buf b;
  lr__buf_init(&b);
  char expected[512] = "";
  /* 10 rounds of 23 characters: crosses the first 64-byte capacity several
   * times. */
  for (int i = 0; i < 10; i++) {
    lr__buf_printf(&b, "item-%02d:%s;", i, "abcdefghijklmn");
    char piece[64];
    snprintf(piece, sizeof piece, "item-%02d:%s;", i, "abcdefghijklmn");
    strcat(expected, piece);
  }
  cr_assert_eq(b.len, strlen(expected));
  cr_assert_eq(b.len, 230u);
  cr_assert_str_eq(lr__buf_str(&b), expected);
  cr_assert_geq(b.cap, b.len + 1);
  cr_assert_eq(b.data[b.len], '\0');
  cr_assert_not(lr__buf_failed(&b));

  /* one single printf far larger than the current capacity */
  lr__buf_reset(&b);
  char big[1000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  lr__buf_printf(&b, "<%s|%d>", big, 12345);
  cr_assert_eq(b.len, 999u + 8u);
  cr_assert_eq(b.data[0], '<');
  cr_assert_str_eq(b.data + 1000, "|12345>");
  cr_assert_eq(b.data[b.len], '\0');
  lr__buf_free(&b);
}

Test(util, u002_buf_append_binary_and_empty) {
  lr__buf b;
  lr__buf_init(&b);
  cr_assert_str_eq(lr__buf_str(&b), "", "a fresh buffer reads as \"\"");
  cr_assert_eq(b.len, 0u);

  lr__buf_append(&b, "", 0);
  cr_assert_not_null(b.data, "an append, even of 0 bytes, allocates");
  cr_assert_str_eq(b.data, "");

  const char bin[] = {'a', '\0', 'b', '\0', 'c'};
  lr__buf_append(&b, bin, sizeof bin);
  cr_assert_eq(b.len, 5u);
  cr_assert_eq(memcmp(b.data, bin, 5), 0);
  cr_assert_eq(b.data[5], '\0');

  lr__buf_puts(&b, "de");
  lr__buf_putc(&b, 'f');
  cr_assert_eq(b.len, 8u);
  cr_assert_eq(memcmp(b.data + 5, "def", 4), 0);

  /* 200 appends of one byte */
  lr__buf_reset(&b);
  for (int i = 0; i < 200; i++)
    lr__buf_putc(&b, (char)('a' + i % 26));
  cr_assert_eq(b.len, 200u);
  for (int i = 0; i < 200; i++)
    cr_assert_eq(b.data[i], (char)('a' + i % 26));
  cr_assert_eq(b.data[200], '\0');
  lr__buf_free(&b);
  cr_assert_null(b.data);
  cr_assert_eq(b.len, 0u);
  cr_assert_eq(b.cap, 0u);
}

Test(util, u003_buf_pad) {
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_puts(&b, "ab");
  lr__buf_pad(&b, 3);
  lr__buf_puts(&b, "c");
  lr__buf_pad(&b, 0);
  cr_assert_str_eq(lr__buf_str(&b), "ab   c");
  lr__buf_pad(&b, 100);
  cr_assert_eq(b.len, 106u);
  for (size_t i = 6; i < 106; i++)
    cr_assert_eq(b.data[i], ' ');
  cr_assert_eq(b.data[106], '\0');
  lr__buf_free(&b);
}

Test(util, u004_buf_json_str_escapes) {
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_json_str(&b, "plain");
  cr_assert_str_eq(lr__buf_str(&b), "\"plain\"");

  lr__buf_reset(&b);
  lr__buf_json_str(&b, "say \"hi\"");
  cr_assert_str_eq(lr__buf_str(&b), "\"say \\\"hi\\\"\"");

  lr__buf_reset(&b);
  lr__buf_json_str(&b, "C:\\dir\\file");
  cr_assert_str_eq(lr__buf_str(&b), "\"C:\\\\dir\\\\file\"");

  lr__buf_reset(&b);
  lr__buf_json_str(&b, "line1\nline2\r\tend");
  cr_assert_str_eq(lr__buf_str(&b), "\"line1\\nline2\\r\\tend\"");

  lr__buf_reset(&b);
  lr__buf_json_str(&b, "\x01\x08\x0c\x1f x");
  cr_assert_str_eq(lr__buf_str(&b), "\"\\u0001\\u0008\\u000c\\u001f x\"");

  /* DEL and UTF-8 bytes are valid inside a JSON string as they are */
  lr__buf_reset(&b);
  lr__buf_json_str(&b, "\x7f caf\xc3\xa9");
  cr_assert_str_eq(lr__buf_str(&b), "\"\x7f caf\xc3\xa9\"");

  lr__buf_reset(&b);
  lr__buf_json_str(&b, "");
  cr_assert_str_eq(lr__buf_str(&b), "\"\"");

  /* appends to what is there */
  lr__buf_reset(&b);
  lr__buf_puts(&b, "{\"k\": ");
  lr__buf_json_str(&b, "a\"\\\n");
  lr__buf_putc(&b, '}');
  cr_assert_str_eq(lr__buf_str(&b), "{\"k\": \"a\\\"\\\\\\n\"}");
  lr__buf_free(&b);
}

Test(util, u005_buf_steal_and_reset) {
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_printf(&b, "%s-%d", "content", 7);
  char *s = lr__buf_steal(&b);
  cr_assert_str_eq(s, "content-7");
  cr_assert_null(b.data, "steal empties the buffer");
  cr_assert_eq(b.len, 0u);
  cr_assert_eq(b.cap, 0u);
  cr_assert_str_eq(lr__buf_str(&b), "");
  /* the buffer is usable again and independent of the stolen string */
  lr__buf_puts(&b, "again");
  cr_assert_str_eq(lr__buf_str(&b), "again");
  cr_assert_str_eq(s, "content-7");
  free(s);

  /* stealing an empty buffer gives an empty heap string */
  lr__buf e;
  lr__buf_init(&e);
  char *empty = lr__buf_steal(&e);
  cr_assert_not_null(empty);
  cr_assert_str_eq(empty, "");
  free(empty);

  /* reset keeps the storage, empties the text */
  size_t cap = b.cap;
  char *data = b.data;
  lr__buf_reset(&b);
  cr_assert_eq(b.len, 0u);
  cr_assert_str_eq(lr__buf_str(&b), "");
  cr_assert_eq(b.cap, cap);
  cr_assert_eq(b.data, data);
  lr__buf_puts(&b, "xy");
  cr_assert_str_eq(lr__buf_str(&b), "xy");

  /* reset of a never-used buffer is harmless */
  lr__buf f;
  lr__buf_init(&f);
  lr__buf_reset(&f);
  cr_assert_str_eq(lr__buf_str(&f), "");
  lr__buf_free(&f);
  lr__buf_free(&b);
}

/* ---- lr__arena ---------------------------------------------------------- */

Test(util, u006_arena_alignment_and_zeroing) {
  lr__arena a;
  lr__arena_init(&a);
  const size_t align = alignof(max_align_t);
  unsigned char *prev[200];
  size_t sizes[200];
  for (int i = 0; i < 200; i++) {
    sizes[i] = (size_t)(i * 7 % 61) + 1; /* odd sizes 1..61 */
    prev[i] = lr__arena_alloc(&a, sizes[i]);
    cr_assert_not_null(prev[i]);
    cr_assert_eq((uintptr_t)prev[i] % align, 0u,
                 "allocation %d (%zu bytes) is not aligned to %zu", i,
                 sizes[i], align);
    for (size_t k = 0; k < sizes[i]; k++)
      cr_assert_eq(prev[i][k], 0, "allocation %d is not zeroed", i);
    memset(prev[i], 0xA0 + i % 16, sizes[i]); /* dirty it */
  }
  /* no allocation overlapped another: each still holds its own pattern */
  for (int i = 0; i < 200; i++)
    for (size_t k = 0; k < sizes[i]; k++)
      cr_assert_eq(prev[i][k], 0xA0 + i % 16, "allocation %d was overwritten",
                   i);

  /* arrays are zeroed too, and aligned */
  double *d = lr__arena_array(&a, 33, sizeof *d);
  cr_assert_not_null(d);
  cr_assert_eq((uintptr_t)d % align, 0u);
  for (int i = 0; i < 33; i++)
    cr_assert_eq(d[i], 0.0);
  lr__arena_free(&a);
  cr_assert_null(a.head);
}

Test(util, u007_arena_big_allocations) {
  lr__arena a;
  lr__arena_init(&a);
  char *small = lr__arena_alloc(&a, 16);
  cr_assert_not_null(small);
  memset(small, 's', 16);
  /* far larger than a chunk: gets a chunk of its own, fully usable */
  size_t big_size = 3u * 1024 * 1024 + 5;
  unsigned char *big = lr__arena_alloc(&a, big_size);
  cr_assert_not_null(big);
  cr_assert_eq((uintptr_t)big % alignof(max_align_t), 0u);
  for (size_t i = 0; i < big_size; i += 4093)
    cr_assert_eq(big[i], 0);
  cr_assert_eq(big[big_size - 1], 0);
  memset(big, 0x5A, big_size);
  /* later small allocations still work and do not land inside `big` */
  for (int i = 0; i < 100; i++) {
    unsigned char *p = lr__arena_alloc(&a, 100);
    cr_assert_not_null(p);
    cr_assert(p + 100 <= big || p >= big + big_size);
    cr_assert_eq(p[0], 0);
    cr_assert_eq(p[99], 0);
    memset(p, 1, 100);
  }
  cr_assert_eq(big[0], 0x5A);
  cr_assert_eq(big[big_size - 1], 0x5A);
  for (int i = 0; i < 16; i++)
    cr_assert_eq(small[i], 's');
  /* a second big allocation */
  unsigned char *big2 = lr__arena_alloc(&a, 64 * 1024);
  cr_assert_not_null(big2);
  cr_assert_eq(big2[64 * 1024 - 1], 0);
  lr__arena_free(&a);
}

Test(util, u008_arena_strdup_strndup) {
  lr__arena a;
  lr__arena_init(&a);
  char *s = lr__arena_strndup(&a, "driver_id,more", 9);
  cr_assert_str_eq(s, "driver_id");
  char *t = lr__arena_strdup(&a, "hello world");
  cr_assert_str_eq(t, "hello world");
  char *e = lr__arena_strndup(&a, "abc", 0);
  cr_assert_not_null(e);
  cr_assert_str_eq(e, "");
  cr_assert_null(lr__arena_strdup(&a, NULL));
  /* the copy is a copy */
  char src[] = "mutable";
  char *c = lr__arena_strdup(&a, src);
  src[0] = 'M';
  cr_assert_str_eq(c, "mutable");
  cr_assert_neq(c, src);
  /* strndup of bytes that are not NUL-terminated in the source */
  const char raw[4] = {'w', 'x', 'y', 'z'};
  char *r = lr__arena_strndup(&a, raw, 4);
  cr_assert_str_eq(r, "wxyz");
  lr__arena_free(&a);
}

Test(util, u009_arena_array_overflow_and_empty) {
  lr__arena a;
  lr__arena_init(&a);
  cr_assert_null(lr__arena_array(&a, SIZE_MAX / 2 + 1, 2),
                 "n * size overflows: NULL");
  cr_assert_null(lr__arena_array(&a, SIZE_MAX / 8, 16));
  void *z = lr__arena_array(&a, 0, 8);
  cr_assert_not_null(z, "an empty array is still a valid pointer");
  int *one = lr__arena_array(&a, 1, sizeof(int));
  cr_assert_not_null(one);
  cr_assert_eq(*one, 0);
  lr__arena_free(&a);
}

Test(util, u010_arena_alloc_unsatisfiable_size_is_null) {
  /* arena.h: "NULL when out of memory". A request for (nearly) SIZE_MAX
   * bytes can never be satisfied; rounding it up to the alignment must not
   * wrap around into a tiny allocation. */
  lr__arena a;
  lr__arena_init(&a);
  void *p = lr__arena_alloc(&a, SIZE_MAX);
  void *q = lr__arena_array(&a, 1, SIZE_MAX);
  lr__arena_free(&a);
  cr_expect_null(p, "lr__arena_alloc(SIZE_MAX) returned a pointer");
  cr_expect_null(q, "lr__arena_array(1, SIZE_MAX) returned a pointer");
  if (p || q)
    return; /* the next call would write far past a tiny chunk */
  lr__arena_init(&a);
  p = lr__arena_alloc(&a, SIZE_MAX - 16);
  lr__arena_free(&a);
  cr_expect_null(p, "lr__arena_alloc(SIZE_MAX - 16) returned a pointer");
}

/* ---- names -------------------------------------------------------------- */

Test(util, u011_is_identifier) {
  const char *good[] = {"a", "_", "_x1", "driver_id", "A9", "Z_z_9", "__init"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    cr_assert(lr__is_identifier(good[i]), "'%s' should be an identifier",
              good[i]);
  const char *bad[] = {"", "1a", "9", "a-b", "a b", "a.b", "caf\xc3\xa9",
                       " a", "a ", "a:b", "$x", "a\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_not(lr__is_identifier(bad[i]), "'%s' is not an identifier",
                  bad[i]);
  cr_assert_not(lr__is_identifier(NULL));
}

Test(util, u012_edit_distance) {
  cr_assert_eq(lr__edit_distance("kitten", "sitting"), 3);
  cr_assert_eq(lr__edit_distance("sitting", "kitten"), 3);
  cr_assert_eq(lr__edit_distance("", "abc"), 3);
  cr_assert_eq(lr__edit_distance("abc", ""), 3);
  cr_assert_eq(lr__edit_distance("", ""), 0);
  cr_assert_eq(lr__edit_distance("driver", "driver"), 0);
  cr_assert_eq(lr__edit_distance("flaw", "lawn"), 2);
  cr_assert_eq(lr__edit_distance("drivr", "driver"), 1);
  cr_assert_eq(lr__edit_distance("join_key", "join_keys"), 1);
  cr_assert_eq(lr__edit_distance("abcd", "abdc"), 2, "a swap is two edits");
  cr_assert_eq(lr__edit_distance("Driver", "dRIVER"), 0,
               "suggestions ignore case");
}

Test(util, u013_suggest_close_match) {
  const char *known[] = {"customer", "driver", "vehicle"};
  lr__buf h;
  lr__buf_init(&h);
  lr__suggest(&h, "entities", "drivr", known, 3);
  cr_assert_str_eq(lr__buf_str(&h), "did you mean 'driver'?");

  /* the closest wins */
  const char *known2[] = {"drive", "driver", "drivers_x"};
  lr__buf_reset(&h);
  lr__suggest(&h, "views", "driver_", known2, 3);
  cr_assert_str_eq(lr__buf_str(&h), "did you mean 'driver'?");

  /* short names (< 6): up to 2 edits; longer: up to 3 */
  const char *k_short[] = {"abxy"};
  lr__buf_reset(&h);
  lr__suggest(&h, "things", "abcd", k_short, 1);
  cr_assert_str_eq(lr__buf_str(&h), "did you mean 'abxy'?");
  const char *k_short3[] = {"axyz"};
  lr__buf_reset(&h);
  lr__suggest(&h, "things", "abcd", k_short3, 1);
  cr_assert_str_eq(lr__buf_str(&h), "known things: axyz");
  const char *k_long[] = {"abcdexyz"};
  lr__buf_reset(&h);
  lr__suggest(&h, "things", "abcdefgh", k_long, 1);
  cr_assert_str_eq(lr__buf_str(&h), "did you mean 'abcdexyz'?");
  const char *k_long4[] = {"abcdwxyz"};
  lr__buf_reset(&h);
  lr__suggest(&h, "things", "abcdefgh", k_long4, 1);
  cr_assert_str_eq(lr__buf_str(&h), "known things: abcdwxyz");
  lr__buf_free(&h);
}

Test(util, u014_suggest_far_and_none) {
  const char *known[] = {"alpha_view", "beta_view", "gamma_view"};
  lr__buf h;
  lr__buf_init(&h);
  lr__suggest(&h, "feature views", "completely_other", known, 3);
  cr_assert_str_eq(lr__buf_str(&h),
                   "known feature views: alpha_view, beta_view, gamma_view");

  lr__buf_reset(&h);
  lr__suggest(&h, "entities", "driver", NULL, 0);
  cr_assert_str_eq(lr__buf_str(&h), "no entities are defined");

  /* appends to what the buffer holds */
  lr__buf_reset(&h);
  lr__buf_puts(&h, "hint: ");
  lr__suggest(&h, "kinds", "fil", (const char *const[]){"file", "sql"}, 2);
  cr_assert_str_eq(lr__buf_str(&h), "hint: did you mean 'file'?");
  lr__buf_free(&h);
}

Test(util, u015_suggest_list_truncation) {
  char names[12][32];
  const char *known[12];
  for (int i = 0; i < 12; i++) {
    snprintf(names[i], sizeof names[i], "name_%02d_xx", i);
    known[i] = names[i];
  }
  lr__buf h;
  lr__buf_init(&h);
  lr__suggest(&h, "fields", "q", known, 12);
  cr_assert_str_eq(lr__buf_str(&h),
                   "known fields: name_00_xx, name_01_xx, name_02_xx, "
                   "name_03_xx, name_04_xx, name_05_xx, name_06_xx, "
                   "name_07_xx (and 4 more)");
  /* exactly eight: no "(and N more)" */
  lr__buf_reset(&h);
  lr__suggest(&h, "fields", "q", known, 8);
  cr_assert_str_eq(lr__buf_str(&h),
                   "known fields: name_00_xx, name_01_xx, name_02_xx, "
                   "name_03_xx, name_04_xx, name_05_xx, name_06_xx, "
                   "name_07_xx");
  /* nine: one more */
  lr__buf_reset(&h);
  lr__suggest(&h, "fields", "q", known, 9);
  cr_assert(strstr(lr__buf_str(&h), "name_07_xx (and 1 more)"), "%s",
            lr__buf_str(&h));
  cr_assert_null(strstr(lr__buf_str(&h), "name_08_xx"));
  lr__buf_free(&h);
}

/* ---- lr__stable_sort ---------------------------------------------------- */

typedef struct rec {
  int key;
  int seq;
} rec;

static int cmp_rec_key(const void *a, const void *b) {
  const rec *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

Test(util, u016_stable_sort_keeps_equal_keys_in_order) {
  enum { N = 1000 };
  rec *r = malloc(N * sizeof *r);
  uint64_t st = 42;
  int count[10] = {0};
  for (int i = 0; i < N; i++) {
    r[i].key = (int)(lcg_next(&st) % 10);
    r[i].seq = i;
    count[r[i].key]++;
  }
  cr_assert_eq(lr__stable_sort(r, N, sizeof *r, cmp_rec_key), 0);
  int seen[10] = {0};
  for (int i = 0; i < N; i++) {
    seen[r[i].key]++;
    if (i == 0)
      continue;
    cr_assert_leq(r[i - 1].key, r[i].key, "not sorted at %d", i);
    if (r[i - 1].key == r[i].key)
      cr_assert_lt(r[i - 1].seq, r[i].seq,
                   "equal keys changed order at %d (key %d)", i, r[i].key);
  }
  for (int k = 0; k < 10; k++)
    cr_assert_eq(seen[k], count[k], "elements were lost or duplicated");
  free(r);

  /* every key equal: the order is the input order */
  rec same[50];
  for (int i = 0; i < 50; i++)
    same[i] = (rec){7, i};
  cr_assert_eq(lr__stable_sort(same, 50, sizeof *same, cmp_rec_key), 0);
  for (int i = 0; i < 50; i++)
    cr_assert_eq(same[i].seq, i);
}

Test(util, u017_stable_sort_zero_and_one_element) {
  cr_assert_eq(lr__stable_sort(NULL, 0, sizeof(int), cmp_int), 0);
  int one = 99;
  cr_assert_eq(lr__stable_sort(&one, 1, sizeof one, cmp_int), 0);
  cr_assert_eq(one, 99);
  int two[2] = {5, 3};
  cr_assert_eq(lr__stable_sort(two, 2, sizeof *two, cmp_int), 0);
  cr_assert_eq(two[0], 3);
  cr_assert_eq(two[1], 5);
  /* n = 0 leaves the array alone */
  int untouched[2] = {5, 3};
  cr_assert_eq(lr__stable_sort(untouched, 0, sizeof *untouched, cmp_int), 0);
  cr_assert_eq(untouched[0], 5);
}

static int cmp_tri(const void *a, const void *b) { return memcmp(a, b, 3); }

Test(util, u018_stable_sort_matches_qsort_on_large_input) {
  enum { N = 100003 };
  int *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
  uint64_t st = 7;
  for (int i = 0; i < N; i++)
    a[i] = b[i] = (int)(lcg_next(&st) % 50000) - 25000;
  qsort(a, N, sizeof *a, cmp_int);
  cr_assert_eq(lr__stable_sort(b, N, sizeof *b, cmp_int), 0);
  cr_assert_eq(memcmp(a, b, N * sizeof *a), 0);
  /* sorted and reversed inputs, and an odd element size */
  for (int i = 0; i < N; i++)
    b[i] = N - i;
  cr_assert_eq(lr__stable_sort(b, N, sizeof *b, cmp_int), 0);
  for (int i = 0; i < N; i++)
    cr_assert_eq(b[i], i + 1);
  cr_assert_eq(lr__stable_sort(b, N, sizeof *b, cmp_int), 0);
  for (int i = 0; i < N; i++)
    cr_assert_eq(b[i], i + 1);
  free(a);
  free(b);

  enum { M = 777 };
  unsigned char tri[M][3], ref[M][3];
  for (int i = 0; i < M; i++) {
    uint32_t v = lcg_next(&st);
    tri[i][0] = ref[i][0] = (unsigned char)(v % 13);
    tri[i][1] = ref[i][1] = (unsigned char)(v >> 8);
    tri[i][2] = ref[i][2] = (unsigned char)(v >> 16);
  }
  cr_assert_eq(lr__stable_sort(tri, M, 3, cmp_tri), 0);
  qsort(ref, M, 3, cmp_tri);
  cr_assert_eq(memcmp(tri, ref, sizeof tri), 0);
}

/* ---- lr__diag ----------------------------------------------------------- */

Test(util, u019_diag_sorts_by_file_line_col) {
  lr__diag d;
  lr__diag_init(&d);
  lr__diag_add(&d, (lr__loc){"b.yaml", 3, 1}, NULL, "third file b");
  lr__diag_add(&d, (lr__loc){"a.yaml", 10, 2}, "hint ten", "a line %d", 10);
  lr__diag_add(&d, (lr__loc){"a.yaml", 2, 5}, NULL, "a 2:5");
  lr__diag_add(&d, (lr__loc){"a.yaml", 2, 3}, "fix it", "a 2:3");
  lr__diag_add(&d, (lr__loc){"a.yaml", 2, 3}, NULL, "a 2:3 again");
  lr__diag_add(&d, (lr__loc){"b.yaml", 1, 9}, NULL, "b first");
  lr__diag_add(&d, (lr__loc){"a.yaml", 9, 40}, NULL, "a line 9");
  cr_assert_eq(d.count, 7);
  lr__buf out;
  lr__buf_init(&out);
  lr__diag_format(&d, &out);
  cr_assert_str_eq(lr__buf_str(&out),
                   "a.yaml:2:3: a 2:3\n"
                   "  hint: fix it\n"
                   "a.yaml:2:3: a 2:3 again\n"
                   "a.yaml:2:5: a 2:5\n"
                   "a.yaml:9:40: a line 9\n"
                   "a.yaml:10:2: a line 10\n"
                   "  hint: hint ten\n"
                   "b.yaml:1:9: b first\n"
                   "b.yaml:3:1: third file b");
  lr__buf_free(&out);
  lr__diag_free(&d);
  cr_assert_eq(d.count, 0);
}

Test(util, u020_diag_equal_positions_keep_insertion_order) {
  lr__diag d;
  lr__diag_init(&d);
  /* more items than the first capacity (16), all at one position */
  for (int i = 0; i < 40; i++)
    lr__diag_add(&d, (lr__loc){"x.yaml", 1, 1}, NULL, "m%02d", i);
  lr__buf out;
  lr__buf_init(&out);
  lr__diag_format(&d, &out);
  const char *p = lr__buf_str(&out);
  for (int i = 0; i < 40; i++) {
    char want[32];
    snprintf(want, sizeof want, "x.yaml:1:1: m%02d", i);
    cr_assert_eq(strncmp(p, want, strlen(want)), 0, "item %d out of order", i);
    p = strchr(p, '\n');
    if (i < 39) {
      cr_assert_not_null(p);
      p++;
    }
  }
  cr_assert_null(p, "no trailing newline after the last item");
  lr__buf_free(&out);
  lr__diag_free(&d);
}

Test(util, u021_diag_format_copies_and_unknown_file) {
  lr__diag d;
  lr__diag_init(&d);
  char hint[32] = "original hint";
  char file[32] = "f.yaml";
  lr__diag_add(&d, (lr__loc){file, 4, 2}, hint, "value %s is %d", "x", 5);
  strcpy(hint, "changed");
  /* no file: printed without a position, and sorted first */
  lr__diag_add(&d, (lr__loc){NULL, 0, 0}, NULL, "general problem");
  lr__buf out;
  lr__buf_init(&out);
  lr__diag_format(&d, &out);
  cr_assert_str_eq(lr__buf_str(&out), "general problem\n"
                                      "f.yaml:4:2: value x is 5\n"
                                      "  hint: original hint");
  lr__buf_free(&out);
  lr__diag_free(&d);
}

Test(util, u036_diag_same_problem_twice_is_written_once) {
  lr__diag d;
  lr__diag_init(&d);
  lr__diag_add(&d, (lr__loc){"a.yaml", 3, 4}, "h1", "unknown entity 'x'");
  lr__diag_add(&d, (lr__loc){"a.yaml", 1, 1}, NULL, "first");
  lr__diag_add(&d, (lr__loc){"a.yaml", 3, 4}, "h1", "unknown entity 'x'");
  lr__diag_add(&d, (lr__loc){"a.yaml", 3, 4}, "h2", "another problem");
  lr__diag_add(&d, (lr__loc){"a.yaml", 3, 5}, "h1", "unknown entity 'x'");
  lr__buf out;
  lr__buf_init(&out);
  lr__diag_format(&d, &out);
  cr_assert_str_eq(lr__buf_str(&out), "a.yaml:1:1: first\n"
                                      "a.yaml:3:4: unknown entity 'x'\n"
                                      "  hint: h1\n"
                                      "a.yaml:3:4: another problem\n"
                                      "  hint: h2\n"
                                      "a.yaml:3:5: unknown entity 'x'\n"
                                      "  hint: h1");
  lr__buf_free(&out);
  lr__diag_free(&d);
}

Test(util, u035_diag_format_empty_list) {
  /* No items: no text, and no undefined behaviour on the way (qsort's
   * base may not be NULL, even for 0 elements). Run under UBSan. */
  lr__diag d;
  lr__diag_init(&d);
  lr__buf out;
  lr__buf_init(&out);
  lr__buf_puts(&out, "before");
  lr__diag_format(&d, &out);
  cr_assert_str_eq(lr__buf_str(&out), "before");
  lr__buf_free(&out);
  lr__diag_free(&d);
}

/* ---- file system -------------------------------------------------------- */

Test(util, u022_fs_write_atomic_writes_and_replaces) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/reg.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  const char first[] = "first content, longer than the second";
  cr_assert_eq(lr__fs_write_atomic(path, first, sizeof first - 1, &err), 0,
               "%s", lr__buf_str(&err));
  char *got = th_read(dir, "reg.db");
  cr_assert_str_eq(got, first);
  free(got);

  const char second[] = "second";
  cr_assert_eq(lr__fs_write_atomic(path, second, sizeof second - 1, &err), 0,
               "%s", lr__buf_str(&err));
  got = th_read(dir, "reg.db");
  cr_assert_str_eq(got, "second", "the file is replaced, not overwritten "
                                  "in place");
  free(got);

  /* binary content with NUL bytes */
  const unsigned char bin[] = {0, 1, 2, 0, 255, 0};
  cr_assert_eq(lr__fs_write_atomic(path, bin, sizeof bin, &err), 0);
  char *data;
  size_t len;
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), 0);
  cr_assert_eq(len, sizeof bin);
  cr_assert_eq(memcmp(data, bin, sizeof bin), 0);
  free(data);

  int tmp_seen;
  cr_assert_eq(count_entries(dir, &tmp_seen), 1);
  cr_assert_not(tmp_seen, "a temporary file was left behind");
  cr_assert_str_eq(lr__buf_str(&err), "", "no error text on success");
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u023_fs_write_atomic_failing_rename_keeps_old_file) {
  char *dir = th_tempdir();
  th_write(dir, "reg.db", "old content");
  char path[4096];
  snprintf(path, sizeof path, "%s/reg.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  int (*saved)(const char *, const char *) = lr__fs_rename;
  lr__fs_rename = failing_rename;
  int rc = lr__fs_write_atomic(path, "new content", 11, &err);
  lr__fs_rename = saved;
  cr_assert_eq(rc, LR_EIO, "got %d (%s)", rc, lr_err_name(rc));
  cr_assert(strstr(lr__buf_str(&err), path), "the message names the file: %s",
            lr__buf_str(&err));
  cr_assert(strstr(lr__buf_str(&err), "rename"),
            "the message names the failed step: %s", lr__buf_str(&err));
  char *got = th_read(dir, "reg.db");
  cr_assert_str_eq(got, "old content");
  free(got);
  int tmp_seen;
  cr_assert_eq(count_entries(dir, &tmp_seen), 1,
               "only the original file is in the folder");
  cr_assert_not(tmp_seen, "the temporary file was left behind");
  lr__buf_free(&err);

  /* with the real rename back, it works */
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_write_atomic(path, "new content", 11, &err), 0);
  got = th_read(dir, "reg.db");
  cr_assert_str_eq(got, "new content");
  free(got);
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u024_fs_write_atomic_missing_folder) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/no/such/folder/reg.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_write_atomic(path, "x", 1, &err), LR_EIO);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  cr_assert_eq(count_entries(dir, NULL), 0);
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u025_fs_mkdirs_creates_nested_folders) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/a/b/c/d", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_mkdirs(path, &err), 0, "%s", lr__buf_str(&err));
  cr_assert(lr__fs_is_dir(path));
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert(S_ISDIR(st.st_mode));
  /* again: already there is fine */
  cr_assert_eq(lr__fs_mkdirs(path, &err), 0, "%s", lr__buf_str(&err));
  /* a trailing slash */
  snprintf(path, sizeof path, "%s/x/y/", dir);
  cr_assert_eq(lr__fs_mkdirs(path, &err), 0, "%s", lr__buf_str(&err));
  snprintf(path, sizeof path, "%s/x/y", dir);
  cr_assert(lr__fs_is_dir(path));
  cr_assert_str_eq(lr__buf_str(&err), "");
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u026_fs_mkdirs_below_a_file_fails) {
  char *dir = th_tempdir();
  th_write(dir, "plain", "I am a file");
  char path[4096];
  snprintf(path, sizeof path, "%s/plain/sub", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_mkdirs(path, &err), LR_EIO);
  cr_assert(strstr(lr__buf_str(&err), "plain"), "%s", lr__buf_str(&err));
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u027_fs_mkdirs_on_existing_file_fails) {
  /* fs.h: "Creates `path` and its missing parents ... Returns 0 or
   * LR_EIO." When `path` is a regular file no folder exists afterwards,
   * so success would be a lie. */
  char *dir = th_tempdir();
  th_write(dir, "plain", "I am a file");
  char path[4096];
  snprintf(path, sizeof path, "%s/plain", dir);
  lr__buf err;
  lr__buf_init(&err);
  int rc = lr__fs_mkdirs(path, &err);
  cr_expect_eq(rc, LR_EIO, "lr__fs_mkdirs on a regular file returned %s",
               lr_err_name(rc));
  cr_expect(strstr(lr__buf_str(&err), path), "the message names the path: "
            "'%s'", lr__buf_str(&err));
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u028_fs_read_file_missing_names_path) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/missing.yaml", dir);
  lr__buf err;
  lr__buf_init(&err);
  char *data = NULL;
  size_t len = 0;
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), LR_ENOTFOUND);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  /* a folder that is missing too: still "not found" */
  lr__buf_reset(&err);
  snprintf(path, sizeof path, "%s/no/such/dir/f.yaml", dir);
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), LR_ENOTFOUND);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u029_fs_read_file_reads_everything) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/big.txt", dir);
  /* larger than the 64 KiB read chunk */
  size_t n = 200000;
  char *content = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    content[i] = (char)('a' + i % 23);
  content[n] = '\0';
  th_write(dir, "big.txt", content);
  lr__buf err;
  lr__buf_init(&err);
  char *data;
  size_t len;
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), 0);
  cr_assert_eq(len, n);
  cr_assert_eq(memcmp(data, content, n), 0);
  cr_assert_eq(data[n], '\0');
  free(data);
  /* an empty file */
  th_write(dir, "empty", "");
  snprintf(path, sizeof path, "%s/empty", dir);
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), 0);
  cr_assert_eq(len, 0u);
  cr_assert_str_eq(data, "");
  free(data);
  free(content);
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u030_fs_join_exists_is_dir_write_file) {
  lr__buf b;
  lr__buf_init(&b);
  lr__fs_join(&b, "repo", "data/x.db");
  cr_assert_str_eq(lr__buf_str(&b), "repo/data/x.db");
  lr__buf_reset(&b);
  lr__fs_join(&b, "repo/", "x");
  cr_assert_str_eq(lr__buf_str(&b), "repo/x");
  lr__buf_reset(&b);
  lr__fs_join(&b, "repo", "/abs/path");
  cr_assert_str_eq(lr__buf_str(&b), "/abs/path");
  lr__buf_reset(&b);
  lr__fs_join(&b, "", "rel");
  cr_assert_str_eq(lr__buf_str(&b), "rel");
  lr__buf_reset(&b);
  lr__fs_join(&b, NULL, "rel");
  cr_assert_str_eq(lr__buf_str(&b), "rel");
  lr__buf_free(&b);

  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/f.txt", dir);
  cr_assert_not(lr__fs_exists(path));
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_write_file(path, "abc", 3, &err), 0);
  cr_assert(lr__fs_exists(path));
  cr_assert_not(lr__fs_is_dir(path));
  cr_assert(lr__fs_is_dir(dir));
  char *got = th_read(dir, "f.txt");
  cr_assert_str_eq(got, "abc");
  free(got);
  cr_assert_eq(lr__fs_write_file(path, "z", 1, &err), 0);
  got = th_read(dir, "f.txt");
  cr_assert_str_eq(got, "z");
  free(got);
  snprintf(path, sizeof path, "%s/nope/f.txt", dir);
  cr_assert_eq(lr__fs_write_file(path, "abc", 3, &err), LR_EIO);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(util, u031_fs_mkdirs_empty_path_fails_cleanly) {
  /* "" names no folder: an error, and no read past the string. */
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_mkdirs("", &err), LR_EIO);
  lr__buf_free(&err);
}

/* ---- status codes ------------------------------------------------------- */

/* The codes of LR_ERRNO_MAP, as a table (it grows as issues land). */
static const struct {
  int value;
  const char *name;
  const char *msg;
} error_codes[] = {
#define CODE_ROW(name, value, msg) {value, "LR_E" #name, msg},
    LR_ERRNO_MAP(CODE_ROW)
#undef CODE_ROW
};
enum { N_ERROR_CODES = sizeof error_codes / sizeof error_codes[0] };

Test(util, u032_strerror_and_err_name_for_every_code) {
#define CHECK_CODE(name, value, msg)                                           \
  cr_assert_eq(LR_E##name, value);                                             \
  cr_assert_str_eq(lr_strerror(value), msg, "lr_strerror(%d)", value);         \
  cr_assert_str_eq(lr_err_name(value), "LR_E" #name, "lr_err_name(%d)", value);
  LR_ERRNO_MAP(CHECK_CODE)
#undef CHECK_CODE
  cr_assert_geq(N_ERROR_CODES, 10);
  for (int i = 0; i < N_ERROR_CODES; i++) {
    cr_assert_lt(error_codes[i].value, 0, "%s is not negative",
                 error_codes[i].name);
    cr_assert_neq(strcmp(lr_strerror(error_codes[i].value), "unknown error"),
                  0);
    for (int j = 0; j < i; j++)
      cr_assert_neq(error_codes[i].value, error_codes[j].value,
                    "%s and %s share a value", error_codes[i].name,
                    error_codes[j].name);
  }
  cr_assert_str_eq(lr_strerror(LR_OK), "success");
  cr_assert_str_eq(lr_err_name(LR_OK), "LR_OK");
  /* spot checks of the literal text */
  cr_assert_str_eq(lr_err_name(-4), "LR_ENOTFOUND");
  cr_assert_str_eq(lr_strerror(-10), "no registry: run `larder apply` first");
}

Test(util, u033_strerror_unknown_code) {
  int lowest = 0;
  for (int i = 0; i < N_ERROR_CODES; i++)
    if (error_codes[i].value < lowest)
      lowest = error_codes[i].value;
  const int unknown[] = {lowest - 1, lowest - 100, 1, 42, INT_MIN, INT_MAX};
  for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
    cr_assert_str_eq(lr_strerror(unknown[i]), "unknown error", "code %d",
                     unknown[i]);
    cr_assert_str_eq(lr_err_name(unknown[i]), "LR_EUNKNOWN", "code %d",
                     unknown[i]);
  }
}

Test(util, u034_version_and_free) {
  cr_assert_str_eq(lr_version(), LR_VERSION_STRING);
  cr_assert_str_eq(lr_version(), "0.1.0");
  lr_free(NULL);
  lr_free(strdup("owned by the caller"));
}

/* ---- float text ---------------------------------------------------------- */

/* The definition the fast path must match byte for byte: printf's %.{p}g
 * for the smallest p in lo..lo+3 that reads back as the same value. */
static void reference_float(char *out, double v, int lo, int single) {
  for (int p = lo; p <= lo + 3; p++) {
    snprintf(out, 40, "%.*g", p, v);
    if (single ? strtof(out, NULL) == (float)v : strtod(out, NULL) == v)
      return;
  }
}

static void assert_float_text(double v, int single) {
  char want[40];
  reference_float(want, v, single ? 6 : 14, single);
  lr__buf got;
  lr__buf_init(&got);
  if (single)
    lr__put_float32(&got, (float)v, 0);
  else
    lr__put_float64(&got, v, 0);
  cr_assert_str_eq(lr__buf_str(&got), want, "%s %.17g: got %s, want %s",
                   single ? "float32" : "float64", v, lr__buf_str(&got), want);
  lr__buf_free(&got);
}

/* Random bit patterns (every exponent), decimal-looking values (what
 * features hold), integers, powers of ten and the edges of the fast path. */
Test(util, u056_float_text_is_printf_shortest_round_trip) {
  uint64_t state = 0x853c49e6748fea9bull;
  for (int i = 0; i < 300000; i++) {
    uint32_t bits = (uint32_t)th_random(&state);
    float f;
    memcpy(&f, &bits, 4);
    if (isfinite(f))
      assert_float_text(f, 1);
    uint64_t dbits = th_random(&state);
    double d;
    memcpy(&d, &dbits, 8);
    if (isfinite(d))
      assert_float_text(d, 0);
    long k = (long)(th_random(&state) % 2000001) - 1000000;
    assert_float_text((float)k / 1000.0f, 1);
    assert_float_text((double)k / 100.0, 0);
    assert_float_text((double)k * 1e-7, 0);
    assert_float_text((float)k, 1);
  }
  static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1e-5, 1e-4,
                                 9.9999e-5, 123456.5, 1234565.0, 1e6, 1e7,
                                 16777216.0, 16777217.0, 1e15, 1e16, 1e17,
                                 9007199254740993.0, 1e20, 1e21, 1e22, 1e-20,
                                 1e30, 1e38, 3.4028234663852886e38, 1e-38,
                                 1.401298464324817e-45, 5e-324, 1.7976931348623157e308,
                                 2.2250738585072014e-308, 0.3, 2.5, 1.5, 0.125};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    assert_float_text(edges[i], 0);
    assert_float_text(-edges[i], 0);
    if (fabs(edges[i]) < 3.5e38)
      assert_float_text((float)edges[i], 1);
  }
  for (int x = -45; x <= 38; x++)
    assert_float_text((float)pow(10, x), 1);
  for (int x = -320; x <= 308; x++)
    assert_float_text(pow(10, x), 0);
}

/* A float32 by its bits against the reference (NaN and the infinities
 * against their JSON spellings). */
static void assert_float32_bits(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  if (isfinite(f)) {
    assert_float_text(f, 1);
    return;
  }
  lr__buf got;
  lr__buf_init(&got);
  lr__put_float32(&got, f, 1);
  cr_assert_str_eq(lr__buf_str(&got), isnan(f)     ? "\"NaN\""
                                      : bits >> 31 ? "\"-Infinity\""
                                                   : "\"Infinity\"");
  lr__buf_free(&got);
}

/* Every float32 with |bits| in [from, to), both signs (clamped to the
 * magnitudes up to infinity). */
static void assert_float32_run(int64_t from, int64_t to) {
  for (int64_t b = from < 0 ? 0 : from; b < to && b <= 0x7F800000; b++) {
    assert_float32_bits((uint32_t)b);
    assert_float32_bits((uint32_t)b | 0x80000000u);
  }
}

/* What the float32 fast paths must get right, densely: bit patterns a
 * prime stride apart across the whole range (every exponent and mantissa
 * shape, both signs); every power of two (its lower neighbour is half as
 * close, so the shortest-precision search cannot take its usual shortcut)
 * and the floats next to it; the floats around 10^x and around the points
 * where rounding to 6..9 digits carries into the next decade (where %g
 * switches to and from the scientific form: x < -4 or x >= p); the edges
 * of the 64- and 128-bit paths (binades 2^-20, 2^30, 2^-69, 2^64); and
 * subnormals, zero, the largest float, NaN and the infinities. */
Test(util, u040_float32_text_dense_sweeps) {
  for (uint64_t b = 0; b < 0x100000000ull; b += 2999)
    assert_float32_bits((uint32_t)b);
  for (int64_t be = 0; be <= 255; be++)
    assert_float32_run((be << 23) - 3, (be << 23) + 4);
  for (int x = -46; x <= 39; x++) {
    for (int p = 6; p <= 10; p++) {
      /* 10^x, and 10^x less half a unit of its p-th digit */
      float f = (float)(pow(10, x) * (1 - (p < 10 ? 0.5 * pow(10, -p) : 0)));
      uint32_t bits;
      memcpy(&bits, &f, sizeof bits);
      assert_float32_run((int64_t)bits - 100, (int64_t)bits + 100);
    }
  }
  static const int binades[] = {-20, 30, -69, 64};
  for (size_t i = 0; i < sizeof binades / sizeof *binades; i++)
    assert_float32_run(((int64_t)(binades[i] + 127) << 23) - 5000,
                       ((int64_t)(binades[i] + 127) << 23) + 5000);
  assert_float32_run(0, 5000); /* zero, the smallest subnormals */
  for (uint32_t b = 0; b < 0x800000; b += 1009)
    assert_float32_bits(b);
  assert_float32_run(0x800000 - 5000, 0x800000 + 5000); /* to normal */
  assert_float32_run(0x7F7FFFFF - 5000, 0x7F800001); /* to infinity */
  assert_float32_bits(0x7FC00000);                   /* NaN */
}

/* ---- JSON ---------------------------------------------------------------- */

/* Reads `text`; on failure the message is left in json_err. */
static char json_err[256];
static const lr__jnode *json(lr__arena *a, const char *text) {
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *n = lr__json_read(text, strlen(text), a, &err);
  snprintf(json_err, sizeof json_err, "%s", lr__buf_str(&err));
  lr__buf_free(&err);
  return n;
}

Test(util, u057_json_reads_every_kind) {
  lr__arena a;
  lr__arena_init(&a);
  const lr__jnode *n = json(&a, " {\"a\": [1, -2.5e3, 0, true, false, null],"
                                "\n \"b\": {\"c\": \"x\"}, \"a\": 7, \"\": []} ");
  cr_assert_not_null(n, "%s", json_err);
  cr_assert_eq(n->kind, LR__J_OBJECT);
  cr_assert_eq(n->n, 4);
  const lr__jnode *arr = lr__json_get(n, "a"); /* the first of two */
  cr_assert_eq(arr->kind, LR__J_ARRAY);
  cr_assert_eq(arr->n, 6);
  cr_assert_str_eq(arr->items[0]->text, "1");
  cr_assert_eq(arr->items[1]->kind, LR__J_NUMBER);
  cr_assert_str_eq(arr->items[1]->text, "-2.5e3");
  cr_assert_str_eq(arr->items[3]->text, "true");
  cr_assert_eq(arr->items[3]->kind, LR__J_BOOL);
  cr_assert_eq(arr->items[5]->kind, LR__J_NULL);
  cr_assert_str_eq(lr__json_get(lr__json_get(n, "b"), "c")->text, "x");
  cr_assert_eq(lr__json_get(n, "")->n, 0);
  cr_assert_null(lr__json_get(n, "missing"));
  cr_assert_null(lr__json_get(arr, "a")); /* not an object */
  lr__arena_free(&a);
}

Test(util, u037_json_strings_unescape) {
  lr__arena a;
  lr__arena_init(&a);
  const lr__jnode *n =
      json(&a, "[\"q\\\"b\\\\s\\/n\\nt\\t\", \"\\u00e9\\u20ac\", "
               "\"\\ud83d\\ude00\", \"\\u0000x\", \"caf\xc3\xa9\"]");
  cr_assert_not_null(n, "%s", json_err);
  cr_assert_str_eq(n->items[0]->text, "q\"b\\s/n\nt\t");
  cr_assert_str_eq(n->items[1]->text, "\xc3\xa9\xe2\x82\xac");
  cr_assert_str_eq(n->items[2]->text, "\xf0\x9f\x98\x80");
  cr_assert_eq(n->items[3]->len, 2); /* a NUL inside: its length says so */
  cr_assert_eq(n->items[3]->text[1], 'x');
  cr_assert_str_eq(n->items[4]->text, "caf\xc3\xa9");
  lr__arena_free(&a);
}

/* Every malformed body is refused with its line and column. */
Test(util, u038_json_errors_have_positions) {
  static const struct { const char *text, *want; } bad[] = {
      {"", "1:1: the text ends where a value should be"},
      {"{\"a\": [1, 2}", "1:12: expected ',' or ']' in a list"},
      {"{\"features\": [\"x\"\n", "2:1: expected ',' or ']' in a list"},
      {"{a: 1}", "1:2: expected a member name in double quotes"},
      {"{\"a\" 1}", "1:6: expected ':' after a member name"},
      {"[1,]", "1:4: expected a value"},
      {"[01]", "1:3: expected ',' or ']' in a list"},
      {"[1.]", "1:4: a number needs digits after its point"},
      {"[1e]", "1:4: a number needs digits in its exponent"},
      {"[-]", "1:3: a number needs digits"},
      {"[+1]", "1:2: expected a value"},
      {"['a']", "1:2: expected a value"},
      {"[\"a]", "1:5: a string without its closing quote"},
      {"[\"\\x\"]", "an unknown escape"},
      {"[\"\\u12\"]", "\\u needs four hex digits"},
      {"[\"\\ud800\"]", "a high surrogate must be followed by a low one"},
      {"[\"\\udc00\"]", "a low surrogate without a high one"},
      {"[\"a\tb\"]", "a control character inside a string"},
      {"{} {}", "1:4: trailing data after the JSON value"},
      {"[tru]", "1:2: expected a value"},
      {"nul", "1:1: expected a value"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lr__arena a;
    lr__arena_init(&a);
    cr_assert_null(json(&a, bad[i].text), "'%s' was read", bad[i].text);
    cr_assert(strstr(json_err, bad[i].want), "'%s': '%s' lacks '%s'",
              bad[i].text, json_err, bad[i].want);
    lr__arena_free(&a);
  }
}

Test(util, u039_json_depth_is_limited) {
  char deep[300];
  memset(deep, '[', 200);
  deep[200] = '\0';
  lr__arena a;
  lr__arena_init(&a);
  cr_assert_null(json(&a, deep));
  cr_assert(strstr(json_err, "nested too deeply"), "%s", json_err);
  char ok[200];
  memset(ok, '[', 60);
  memset(ok + 60, ']', 60);
  ok[120] = '\0';
  cr_assert_not_null(json(&a, ok), "%s", json_err);
  lr__arena_free(&a);
}

/* ---- fast text writers ---------------------------------------------------- */

Test(util, u041_buf_put_int_matches_printf) {
  const long long edges[] = {0, 1, -1, 9, 10, -10, 99, 100, 123456789,
                             -987654321, INT_MAX, INT_MIN, LLONG_MAX,
                             LLONG_MIN, LLONG_MIN + 1};
  lr__buf got;
  lr__buf_init(&got);
  char want[32];
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    lr__buf_reset(&got);
    lr__buf_put_int(&got, edges[i]);
    snprintf(want, sizeof want, "%lld", edges[i]);
    cr_assert_str_eq(lr__buf_str(&got), want);
  }
  uint64_t state = 0x2545f4914f6cdd1dull;
  for (int i = 0; i < 100000; i++) {
    long long v = (long long)th_random(&state) >> (th_random(&state) % 64);
    lr__buf_reset(&got);
    lr__buf_puts(&got, "x");
    lr__buf_put_int(&got, v);
    snprintf(want, sizeof want, "x%lld", v);
    cr_assert_str_eq(lr__buf_str(&got), want);
  }
  lr__buf_free(&got);
}

/* The reference: gmtime_r and printf, as the text was made before it was
 * written digit by digit. */
static void time_text_reference(int64_t us, char *out) {
  int64_t secs = us / 1000000, frac = us % 1000000;
  if (frac < 0) {
    secs -= 1;
    frac += 1000000;
  }
  time_t t = (time_t)secs;
  struct tm tm;
  gmtime_r(&t, &tm);
  int n = snprintf(out, 40, "%04lld-%02d-%02dT%02d:%02d:%02d",
                   (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (frac)
    snprintf(out + n, 40 - (size_t)n, ".%06lldZ", (long long)frac);
  else
    snprintf(out + n, 40 - (size_t)n, "Z");
}

Test(util, u042_time_format_matches_gmtime_and_printf) {
  const int64_t edges[] = {0, 1, -1, 999999, 1000000, -1000000,
                           951782400000000ll,   /* 2000-02-29 */
                           253402300799999999ll, /* 9999-12-31T23:59:59.999999 */
                           253402300800000000ll, /* 10000-01-01: wider */
                           -62167219200000000ll, /* 0000-01-01 */
                           -62167219200000001ll, /* year -1 */
                           1795000000123000ll};
  char got[40], want[40];
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    lr__time_format(edges[i], got);
    time_text_reference(edges[i], want);
    cr_assert_str_eq(got, want, "at %lld us", (long long)edges[i]);
  }
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++) {
    /* uniform over years 1..9999 and sometimes whole seconds */
    int64_t us = (int64_t)(th_random(&state) % 315537897600000000ull) -
                 62135596800000000ll;
    if (i % 2)
      us -= us % 1000000;
    lr__time_format(us, got);
    time_text_reference(us, want);
    cr_assert_str_eq(got, want, "at %lld us", (long long)us);
  }
}

Test(util, u043_json_containers_keep_their_text) {
  lr__arena a;
  lr__arena_init(&a);
  const char *text = " {\"features\": [ \"v:a\" ,\"v:b\"], \"n\": {}} ";
  const lr__jnode *root = json(&a, text);
  cr_assert_not_null(root, "%s", json_err);
  const lr__jnode *list = lr__json_get(root, "features");
  cr_assert_eq(list->raw_len, strlen("[ \"v:a\" ,\"v:b\"]"));
  cr_assert(!memcmp(list->raw, "[ \"v:a\" ,\"v:b\"]", list->raw_len));
  const lr__jnode *empty = lr__json_get(root, "n");
  cr_assert_eq(empty->raw_len, 2);
  cr_assert(!memcmp(empty->raw, "{}", 2));
  cr_assert_eq(root->raw, text + 1, "the object starts at its brace");
  cr_assert_eq(root->raw_len, strlen(text) - 2);
  lr__arena_free(&a);
}

/* JSON must be UTF-8: a byte that does not start a well-formed sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF)
 * is written as one \ufffd; well-formed sequences pass unchanged. */
Test(util, u044_json_str_replaces_invalid_utf8) {
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"a\xff" "b", "\"a\\ufffdb\""},
      {"\xc3", "\"\\ufffd\""},                       /* lead byte, then end */
      {"\xc3" "x", "\"\\ufffdx\""},                  /* lead byte, then ASCII */
      {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
      {"\xc0\xaf", "\"\\ufffd\\ufffd\""},            /* overlong '/' */
      {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""}, /* overlong, 3 bytes */
      {"\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
      {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a surrogate */
      {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* > U+10FFFF */
      {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},  /* U+10FFFF itself */
      {"\xe2\x82", "\"\\ufffd\\ufffd\""},            /* cut short */
      {"\x80", "\"\\ufffd\""},                       /* a lone continuation */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lr__buf b;
    lr__buf_init(&b);
    lr__buf_json_str(&b, cases[i].in);
    cr_expect_str_eq(lr__buf_str(&b), cases[i].out, "case %zu", i);
    lr__buf_free(&b);
  }
}

/* The server's bodies reach the JSON reader with their length: a NUL byte
 * ends nothing early, it is an error where it stands (issue 13). */
Test(util, u045_json_reader_refuses_nul_bytes_where_they_stand) {
  static const char after[] = "{\"a\": 1}\0{\"b\": 2}";
  static const char inside[] = "{\"a\": \"x\0y\"}";
  const char *texts[] = {after, inside};
  size_t lens[] = {sizeof after - 1, sizeof inside - 1};
  const char *want[] = {"1:9: trailing data after the JSON value",
                        "1:9: a control character inside a string"};
  for (int i = 0; i < 2; i++) {
    lr__arena arena;
    lr__arena_init(&arena);
    lr__buf err;
    lr__buf_init(&err);
    cr_assert_null(lr__json_read(texts[i], lens[i], &arena, &err));
    cr_assert_str_eq(lr__buf_str(&err), want[i]);
    lr__buf_free(&err);
    lr__arena_free(&arena);
  }
}

/* Found by the YAML fuzzer: a view with an unnamed feature (already an
 * error) made the suggestion for a service's unknown feature call strlen
 * on NULL. Unnamed entries are left out of suggestions and lists. */
Test(util, u046_suggest_skips_unnamed_entries) {
  lr__buf h;
  lr__buf_init(&h);
  lr__suggest(&h, "features", "f_i75", (const char *const[]){NULL, "f_str"},
              2);
  cr_assert_str_eq(lr__buf_str(&h), "known features: f_str");
  lr__buf_reset(&h);
  lr__suggest(&h, "features", "f_st", (const char *const[]){"f_str", NULL},
              2);
  cr_assert_str_eq(lr__buf_str(&h), "did you mean 'f_str'?");
  lr__buf_reset(&h);
  lr__suggest(&h, "features", "x", (const char *const[]){NULL, NULL}, 2);
  cr_assert_str_eq(lr__buf_str(&h), "no features are defined");
  lr__buf_free(&h);
}

/* The UTF-8 check the YAML loader runs first (r050): RFC 3629's
 * well-formed sequences only. */
Test(util, u047_utf8_valid_len_follows_rfc_3629) {
  static const struct { const char *s; size_t len, valid; } cases[] = {
      {"", 0, 0},
      {"plain ascii", 11, 11},
      {"\xc3\xa9t\xc3\xa9", 6, 6},              /* é t é */
      {"\xe2\x82\xac \xf0\x9f\x98\x80", 8, 8},  /* € and an emoji */
      {"\xf4\x8f\xbf\xbf", 4, 4},               /* U+10FFFF, the last */
      {"a\x83", 2, 1},                          /* a lone continuation */
      {"a\xff", 2, 1},
      {"\xc0\x80", 2, 0},                       /* overlong NUL */
      {"\xc1\xbf", 2, 0},                       /* overlong */
      {"\xe0\x80\x80", 3, 0},                   /* overlong */
      {"\xed\xa0\x80", 3, 0},                   /* a surrogate */
      {"\xf0\x80\x80\x80", 4, 0},               /* overlong */
      {"\xf4\x90\x80\x80", 4, 0},               /* past U+10FFFF */
      {"ok\xe2\x82", 4, 2},                     /* cut short */
      {"ok\xe2\x28\xa1", 5, 2},                 /* a bad second byte */
      {"a\0b", 3, 3},                           /* NUL is a character */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    cr_assert_eq(lr__utf8_valid_len(cases[i].s, cases[i].len), cases[i].valid,
                 "case %zu", i);
}

/* ---- sha256 (FIPS 180-4; vectors from NIST's examples) ------------------ */

/* The hex SHA-256 of `len` bytes of `msg`, fed in pieces of `piece` bytes
 * (0: at once), into `hex`. */
static void sha256_of(const char *msg, size_t len, size_t piece,
                      char hex[65]) {
  lr__sha256 s;
  uint8_t d[32];
  lr__sha256_init(&s);
  for (size_t at = 0; at < len;) {
    size_t n = piece && len - at > piece ? piece : len - at;
    lr__sha256_update(&s, msg + at, n);
    at += n;
  }
  lr__sha256_final(&s, d);
  lr__hex_encode(d, sizeof d, hex);
}

/* Checks `msg` against `want`, at once and in pieces of every size from 1
 * to 130 bytes (block boundaries fall everywhere), with the portable
 * rounds and with the CPU's SHA instructions where it has them. */
static void check_sha256(const char *msg, const char *want) {
  char hex[65];
  for (int hw = 0; hw < 2; hw++) {
    lr__sha256_use_hardware(hw);
    sha256_of(msg, strlen(msg), 0, hex);
    cr_assert_str_eq(hex, want, "\"%s\" (hardware %d)", msg, hw);
    for (size_t piece = 1; piece <= 130; piece++) {
      sha256_of(msg, strlen(msg), piece, hex);
      cr_assert_str_eq(hex, want, "\"%s\" in pieces of %zu (hardware %d)",
                       msg, piece, hw);
    }
  }
}

Test(util, u048_sha256_empty_message) {
  check_sha256("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
                   "7852b855");
}

Test(util, u049_sha256_abc) {
  check_sha256("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff"
                      "61f20015ad");
}

/* 448 bits: the padding's length no longer fits the block. */
Test(util, u050_sha256_448_bit_message) {
  check_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db"
               "06c1");
}

Test(util, u051_sha256_896_bit_message) {
  check_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
               "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
               "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afe"
               "e9d1");
}

/* One million 'a': many blocks, fed in uneven pieces. */
Test(util, u052_sha256_one_million_a) {
  char *msg = th_keep(malloc(1000000 + 1));
  memset(msg, 'a', 1000000);
  msg[1000000] = '\0';
  static const char want[] =
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  char hex[65];
  static const size_t pieces[] = {0, 1, 63, 64, 65, 4096, 99991};
  for (int hw = 0; hw < 2; hw++) {
    lr__sha256_use_hardware(hw);
    for (size_t i = 0; i < sizeof pieces / sizeof *pieces; i++) {
      sha256_of(msg, 1000000, pieces[i], hex);
      cr_assert_str_eq(hex, want, "in pieces of %zu (hardware %d)",
                       pieces[i], hw);
    }
  }
  th_release(msg);
}

/* The CPU's SHA instructions (where it has them: on this machine, see
 * lr__sha256_use_hardware) and the portable rounds agree on every length
 * from 0 to 600 bytes of varied bytes, at once and in pieces of 7. */
Test(util, u054_sha256_hardware_and_portable_agree) {
  char msg[600], portable[65], hardware[65];
  for (size_t i = 0; i < sizeof msg; i++)
    msg[i] = (char)(i * 167 + (i >> 3));
  for (size_t len = 0; len <= sizeof msg; len++)
    for (size_t piece = 0; piece <= 7; piece += 7) {
      lr__sha256_use_hardware(0);
      sha256_of(msg, len, piece, portable);
      lr__sha256_use_hardware(1);
      sha256_of(msg, len, piece, hardware);
      cr_assert_str_eq(hardware, portable, "%zu bytes in pieces of %zu", len,
                       piece);
    }
}

/* The hex helper digests are written and read with: lowercase, exactly 2n
 * digits, nothing after. */
Test(util, u053_hex_encode_and_strict_decode) {
  static const uint8_t bytes[4] = {0x00, 0x9f, 0xa0, 0xff};
  char hex[9];
  lr__hex_encode(bytes, 4, hex);
  cr_assert_str_eq(hex, "009fa0ff");
  uint8_t back[4];
  cr_assert_eq(lr__hex_decode(hex, back, 4), 0);
  cr_assert_eq(memcmp(back, bytes, 4), 0);
  static const char *const bad[] = {"009fa0f", "009fa0ff0", "009FA0FF",
                                    "009fa0fg", "", "009f a0f"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_eq(lr__hex_decode(bad[i], back, 4), -1, "\"%s\"", bad[i]);
}

/* A rename that adds or drops a word (`f0` -> `f0_score`) is suggested
 * like a typo; a short name inside a longer word is not. Lists show the
 * first few names, then how many more. */
Test(util, u055_closest_knows_added_words) {
  const char *cols[] = {"user_id", "f0", "f1", "event_timestamp"};
  cr_assert_str_eq(lr__closest("f0_score", cols, 4), "f0");
  cr_assert_str_eq(lr__closest("id", cols, 4), "user_id");
  cr_assert_str_eq(lr__closest("f2", cols, 4), "f0"); /* one edit */
  cr_assert_null(lr__closest("score", cols, 4));
  cr_assert_null(lr__closest("f0score", (const char *const[]){"f9"}, 1));
  lr__buf b;
  lr__buf_init(&b);
  lr__list_names(&b, cols, 4, 2);
  cr_assert_str_eq(lr__buf_str(&b), "user_id, f0 (and 2 more)");
  lr__buf_free(&b);
}

/* The one time parser (lr__time_read) takes ISO 8601 with or without a
 * zone (naive = UTC; `T` or a space; fractions; Z, +hh:mm, -hhmm, +hh) and
 * dates; each is the instant it names. */
Test(util, u060_time_read_accepts_iso_8601) {
  static const struct {
    const char *text;
    int64_t us;
  } ok[] = {
      {"2024-01-01", 1704067200000000ll},
      {"2024-01-01T10:00:00", 1704103200000000ll},
      {"2024-01-01 10:00:00", 1704103200000000ll},
      {"2024-01-01t10:00", 1704103200000000ll},
      {"2024-01-01T10:00:00Z", 1704103200000000ll},
      {"2024-01-01T10:00:00z", 1704103200000000ll},
      {"2024-01-01T12:00:00+02:00", 1704103200000000ll},
      {"2024-01-01T04:30:00-0530", 1704103200000000ll},
      {"2024-01-01T12:00:00+02", 1704103200000000ll},
      {"2024-01-01 10:00:00.5", 1704103200500000ll},
      {"2024-01-01T10:00:00.123456Z", 1704103200123456ll},
      {"2024-01-01T10:00:00.1234569Z", 1704103200123456ll}, /* to the us */
      {"2024-02-29", 1709164800000000ll},
      {"1969-12-31T23:59:59Z", -1000000ll},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t us = 0;
    cr_assert_eq(lr__time_read(ok[i].text, LR__TIME_MS, &us), 0, "%s",
                 ok[i].text);
    cr_assert_eq(us, ok[i].us, "%s: %lld", ok[i].text, (long long)us);
  }
}

/* Anything else is refused, never guessed at: other date orders, days and
 * months that do not exist, words, stray text, fractions of epochs. */
Test(util, u061_time_read_refuses_what_it_cannot_read_for_sure) {
  static const char *const bad[] = {
      "12/05/2026 08:39:54", "12/05/2026", "05.12.2026", "2026-13-01",
      "2026-00-10", "2026-02-29", "2026-04-31", "2024-01-01T24:00:00",
      "2024-01-01T10:60", "2024-01-01T10", "2024-01-01T10:00:00+25:00",
      "2024-01-01T10:00:00 UTC", "2024-01-01T10:00:00.", "yesterday", "now",
      "", " 1704067200", "1704067200 ", "1.7e9", "1704067200.5", "+1704067200",
      "-", "20240101", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t us = 42;
    int rc = lr__time_read(bad[i], LR__TIME_S, &us);
    if (!strcmp(bad[i], "20240101")) /* an epoch number: 1970-08-23 */
      cr_assert_eq(rc, 0);
    else
      cr_assert_eq(rc, LR__TIME_NOT_A_TIME, "'%s': %d", bad[i], rc);
  }
}

/* Integers are epoch times in the unit given: the same instant in each,
 * rounded down to the microsecond; before 1900 or past 9999 in its unit
 * an integer is out of range. */
Test(util, u062_time_read_epoch_numbers_in_each_unit) {
  static const struct {
    const char *text;
    int unit;
    int rc;
    int64_t us;
  } cases[] = {
      {"1704067200", LR__TIME_S, 0, 1704067200000000ll},
      {"1704067200123", LR__TIME_MS, 0, 1704067200123000ll},
      {"1704067200123456", LR__TIME_US, 0, 1704067200123456ll},
      {"1704067200123456789", LR__TIME_NS, 0, 1704067200123456ll},
      {"-1", LR__TIME_NS, 0, -1},       /* rounded down, not to zero */
      {"-1500", LR__TIME_MS, 0, -1500000},
      {"0", LR__TIME_S, 0, 0},
      {"-2208988800", LR__TIME_S, 0, -2208988800000000ll}, /* 1900-01-01 */
      {"-2208988801", LR__TIME_S, LR__TIME_OUT_OF_RANGE, 0},
      {"253402300799", LR__TIME_S, 0, 253402300799000000ll}, /* 9999 */
      {"253402300800", LR__TIME_S, LR__TIME_OUT_OF_RANGE, 0},
      {"1733561994000", LR__TIME_S, LR__TIME_OUT_OF_RANGE, 0},
      {"1733561994000", LR__TIME_MS, 0, 1733561994000000ll},
      {"9223372036854775807", LR__TIME_MS, LR__TIME_OUT_OF_RANGE, 0},
      {"-9223372036854775808", LR__TIME_NS, LR__TIME_OUT_OF_RANGE, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int64_t us = 0;
    int rc = lr__time_read(cases[i].text, cases[i].unit, &us);
    cr_assert_eq(rc, cases[i].rc, "%s in %s: %d", cases[i].text,
                 lr__time_unit_name(cases[i].unit), rc);
    if (rc == 0)
      cr_assert_eq(us, cases[i].us, "%s: %lld", cases[i].text, (long long)us);
  }
  cr_assert_eq(lr__time_unit_parse("s"), LR__TIME_S);
  cr_assert_eq(lr__time_unit_parse("ms"), LR__TIME_MS);
  cr_assert_eq(lr__time_unit_parse("us"), LR__TIME_US);
  cr_assert_eq(lr__time_unit_parse("ns"), LR__TIME_NS);
  cr_assert_eq(lr__time_unit_parse("sec"), -1);
  cr_assert_eq(lr__time_unit_parse(NULL), -1);
  int64_t us;
  cr_assert_eq(lr__time_parse("1704067200", &us), 0); /* seconds */
  cr_assert_eq(us, 1704067200000000ll);
  cr_assert_eq(lr__time_parse("1704067200000", &us), -1);
}

/* Why a value is refused, in the words every path prints: the fix for
 * text, and for an integer out of range the unit that fits it. */
Test(util, u063_time_why_names_the_fix_and_the_unit) {
  static const struct {
    const char *text;
    int unit;
    const char *why;
  } cases[] = {
      {"12/05/2026 08:39:54", LR__TIME_S,
       "'12/05/2026 08:39:54' is not a time: write ISO 8601 "
       "(2026-12-05T08:39:54Z) or an epoch number with timestamp_unit"},
      {"1733561994000", LR__TIME_S,
       "1733561994000 as seconds is past the year 9999; if these are "
       "milliseconds, declare timestamp_unit: ms on source 'x'"},
      {"1733561994000000", LR__TIME_S,
       "1733561994000000 as seconds is past the year 9999; if these are "
       "microseconds, declare timestamp_unit: us on source 'x'"},
      {"1733561994000000000", LR__TIME_MS,
       "1733561994000000000 as milliseconds is past the year 9999; if these "
       "are nanoseconds, declare timestamp_unit: ns on source 'x'"},
      {"-1733561994000", LR__TIME_S,
       "-1733561994000 as seconds is before the year 1900; if these are "
       "milliseconds, declare timestamp_unit: ms on source 'x'"},
      {"-9223372036854775808", LR__TIME_MS,
       "-9223372036854775808 as milliseconds is before the year 1900, and in "
       "no finer unit (ms, us, ns) is it between 1900 and 9999: write ISO "
       "8601 or an epoch time"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lr__buf why;
    lr__buf_init(&why);
    lr__time_why(&why, cases[i].text, cases[i].unit,
                 "declare timestamp_unit: ", " on source 'x'");
    cr_assert_str_eq(lr__buf_str(&why), cases[i].why);
    lr__buf_free(&why);
  }
}

/* Copies `len` pseudo-random bytes from a file in `from_dir` to one in
 * `to_dir` with lr__fs_copy_range, the fault hook set to `budget` for the
 * copy alone; returns its status (errno kept), and checks the copy's bytes
 * when it succeeded. */
static int copy_between(const char *from_dir, const char *to_dir, size_t len,
                        long long budget) {
  char from[256], to[256];
  snprintf(from, sizeof from, "%s/larder-u058-from.%d", from_dir, getpid());
  snprintf(to, sizeof to, "%s/larder-u058-to.%d", to_dir, getpid());
  unsigned char *data = malloc(len + 1);
  cr_assert_not_null(data);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    data[i] = (unsigned char)x;
  }
  int in = open(from, O_RDWR | O_CREAT | O_TRUNC, 0600);
  int out = open(to, O_RDWR | O_CREAT | O_TRUNC, 0600);
  cr_assert(in >= 0 && out >= 0);
  cr_assert_eq(lr__fs_write_all(in, data, len), 0);
  lr__fault_enospc_after = budget;
  int rc = lr__fs_copy_range(in, out, len);
  int e = errno;
  lr__fault_enospc_after = -1;
  if (rc == 0) {
    unsigned char *back = malloc(len + 1);
    cr_assert_eq(pread(out, back, len, 0), (ssize_t)len);
    cr_assert_eq(memcmp(back, data, len), 0, "the copy differs");
    cr_assert_eq(lseek(in, 0, SEEK_CUR), (off_t)len, "in's offset moved");
    cr_assert_eq(lseek(out, 0, SEEK_CUR), 0, "out's offset moved");
    free(back);
  }
  close(in);
  close(out);
  unlink(from);
  unlink(to);
  free(data);
  errno = e;
  return rc;
}

/* Within one file system (copy_file_range) and from tmpfs to another
 * (where the kernel may refuse that: the buffered way), the bytes arrive
 * whole, past one call's 64 MiB; the fault hook fills the disk as
 * lr__fs_write_all's writes do. */
Test(util, u058_copy_range_copies_and_fails_like_a_full_disk) {
  size_t big = (64u << 20) + 12345;
  cr_assert_eq(copy_between("/tmp", "/tmp", big, -1), 0, "%s",
               strerror(errno));
  if (access("/dev/shm", W_OK) == 0)
    cr_assert_eq(copy_between("/dev/shm", "/tmp", 3u << 20, -1), 0, "%s",
                 strerror(errno));
  cr_assert_eq(copy_between("/tmp", "/tmp", 0, -1), 0);
  int rc = copy_between("/tmp", "/tmp", 1u << 20, 5000);
  int e = errno;
  cr_assert_eq(rc, -1);
  cr_assert_eq(e, ENOSPC, "%s", strerror(e));
}

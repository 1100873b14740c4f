/*
 * bench.h - what the files of `larder bench` share: a growing text buffer
 * and the key columns of the lookups, with how each batch of keys is drawn
 * (random integers, rows of an --entities file, --request values).
 */
#ifndef LR_CLI_BENCH_H
#define LR_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "larder.h"

/* ---- text ------------------------------------------------------------- */

/* A NUL-terminated string that grows; a zeroed one is empty. */
typedef struct text {
  char *p;
  size_t len, cap;
} text;

/* Appends formatted text; returns 0 or -1 (out of memory). */
int text_printf(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal, quoted and escaped. */
int text_json_string(text *t, const char *s, size_t len);
/* Appends `s` as one CSV field, quoted when it holds , " or a newline. */
int text_csv_field(text *t, const char *s);
void text_clear(text *t);
void text_free(text *t);

/* ---- keys ------------------------------------------------------------- */

enum { BENCH_MAX_KEYS = 64 };

/* Where the values of one key column come from. */
typedef enum { FROM_RANDOM, FROM_FILE, FROM_FIXED } key_origin;

typedef struct bench_keys {
  int n_keys; /* columns, as lr_request_key() lists them */
  int n_join; /* the first n_join are join keys, the rest request fields */
  const char *names[BENCH_MAX_KEYS];
  int types[BENCH_MAX_KEYS];
  key_origin origin[BENCH_MAX_KEYS];
  long long random_n;             /* FROM_RANDOM: uniform in 1..random_n */
  lr_value fixed[BENCH_MAX_KEYS]; /* FROM_FIXED: --request value */
  const char *fixed_text[BENCH_MAX_KEYS];
  int file_column[BENCH_MAX_KEYS]; /* FROM_FILE: its index in a row */
  const char *file;                /* --entities FILE */
  char *file_bytes;                /* the file, split in place into cells */
  lr_value *rows;                  /* n_rows x n_keys (FROM_FILE columns set) */
  const char **row_text;           /* the same cells as written in the file */
  size_t n_rows;
} bench_keys;

/* What the command line says about keys. */
typedef struct keys_spec {
  const char *entities_file; /* --entities FILE, or NULL */
  long long random_n;        /* --random N, or 0 */
  char *const *request;      /* --request FIELD=VALUE texts (split in
                                place) */
  int n_request;
} keys_spec;

/*
 * bench_keys_setup - learns the key columns of `req` (n_join of them join
 * keys) and where each one's values come from. Prints what is wrong and
 * returns CLI_USAGE (the command line does not fit the request) or
 * CLI_FAILED (the file cannot be read or holds a bad value); 0 otherwise.
 */
int bench_keys_setup(bench_keys *k, const lr_request *req, int n_join,
                     const keys_spec *spec);

/* Draws a batch: `batch` rows of n_keys values (and their text, NULL for
 * random integers), from the random state `*rng`. */
void bench_keys_draw(const bench_keys *k, uint64_t *rng, int batch,
                     lr_value *values, const char **texts);

/* Appends the batch as the JSON `"entities": {...}` member of a
 * get-online-features body. */
int bench_keys_json(const bench_keys *k, int batch, const lr_value *values,
                    const char **texts, text *out);

/* Describes where the keys come from, e.g. "random:1000000". */
int bench_keys_describe(const bench_keys *k, text *out);

void bench_keys_free(bench_keys *k);

#endif

/*
 * diag.h - diagnostics: the list of problems found in a repo's definitions.
 *
 * Validation does not stop at the first problem: a user fixing a repo wants
 * every error at once, each as `file:line:col: message` with a hint line, in
 * file order. Positions are 1-based.
 */
#ifndef LR_UTIL_DIAG_H
#define LR_UTIL_DIAG_H

#include "buf.h"

typedef struct lr__loc {
  const char *file; /* relative to the repo; NULL when unknown */
  int line;         /* 1-based; 0 when unknown */
  int col;          /* 1-based; 0 when unknown */
} lr__loc;

typedef struct lr__diag_item {
  lr__loc loc;
  char *message;
  char *hint; /* NULL when there is none */
  int order;  /* insertion order, keeps sorting stable */
} lr__diag_item;

typedef struct lr__diag {
  lr__diag_item *items;
  int count;
  int cap;
  int oom;
} lr__diag;

/* Orders locations by file, line, then column. */
int lr__loc_compare(const lr__loc *a, const lr__loc *b);

void lr__diag_init(lr__diag *d);
void lr__diag_free(lr__diag *d);
/* Records one problem; `hint` may be NULL. The strings are copied. */
void lr__diag_add(lr__diag *d, lr__loc loc, const char *hint,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Writes all items sorted by file, line and column, one
 * `file:line:col: message` line each, plus `  hint: ...` lines. A problem
 * found twice at the same place (through two paths) is written once. */
void lr__diag_format(lr__diag *d, lr__buf *out);

#endif

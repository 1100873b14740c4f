/*
 * diag.c - collecting and printing definition errors (see diag.h).
 */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void lr__diag_init(lr__diag *d) { memset(d, 0, sizeof *d); }

void lr__diag_free(lr__diag *d) {
  for (int i = 0; i < d->count; i++) {
    free(d->items[i].message);
    free(d->items[i].hint);
  }
  free(d->items);
  lr__diag_init(d);
}

void lr__diag_add(lr__diag *d, lr__loc loc, const char *hint,
                  const char *fmt, ...) {
  if (d->count == d->cap) {
    int cap = d->cap ? d->cap * 2 : 16;
    lr__diag_item *items = realloc(d->items, (size_t)cap * sizeof *items);
    if (!items) {
      d->oom = 1;
      return;
    }
    d->items = items;
    d->cap = cap;
  }
  lr__buf msg;
  lr__buf_init(&msg);
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(&msg, fmt, ap);
  va_end(ap);
  lr__diag_item *it = &d->items[d->count];
  it->loc = loc;
  it->message = lr__buf_steal(&msg);
  it->hint = hint ? strdup(hint) : NULL;
  it->order = d->count;
  if (!it->message || (hint && !it->hint)) {
    free(it->message);
    free(it->hint);
    d->oom = 1;
    return;
  }
  d->count++;
}

int lr__loc_compare(const lr__loc *a, const lr__loc *b) {
  int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
  if (c)
    return c;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  if (a->col != b->col)
    return a->col < b->col ? -1 : 1;
  return 0;
}

static int diag_compare(const void *pa, const void *pb) {
  const lr__diag_item *a = pa, *b = pb;
  int c = lr__loc_compare(&a->loc, &b->loc);
  if (c)
    return c;
  return a->order < b->order ? -1 : a->order > b->order;
}

static int same_problem(const lr__diag_item *a, const lr__diag_item *b) {
  return lr__loc_compare(&a->loc, &b->loc) == 0 &&
         strcmp(a->message, b->message) == 0;
}

void lr__diag_format(lr__diag *d, lr__buf *out) {
  if (d->count > 1)
    qsort(d->items, (size_t)d->count, sizeof *d->items, diag_compare);
  for (int i = 0; i < d->count; i++) {
    const lr__diag_item *it = &d->items[i];
    if (i && same_problem(it, &d->items[i - 1]))
      continue;
    if (i)
      lr__buf_putc(out, '\n');
    if (it->loc.file && it->loc.col) /* col 0: only the line is known */
      lr__buf_printf(out, "%s:%d:%d: ", it->loc.file, it->loc.line,
                     it->loc.col);
    else if (it->loc.file)
      lr__buf_printf(out, "%s:%d: ", it->loc.file, it->loc.line);
    lr__buf_puts(out, it->message);
    if (it->hint)
      lr__buf_printf(out, "\n  hint: %s", it->hint);
  }
  if (d->oom)
    lr__buf_puts(out, "\n(out of memory: some errors were not recorded)");
}

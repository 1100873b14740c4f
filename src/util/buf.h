/*
 * buf.h - a growable byte buffer, used to build text (messages, plans, JSON)
 * and binary images (the registry file).
 *
 * Allocation failures are sticky: once one happens the buffer stops growing
 * and lr__buf_failed() reports it, so builders can append freely and check
 * once at the end instead of after every call.
 */
#ifndef LR_UTIL_BUF_H
#define LR_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct lr__buf {
  char *data;  /* always NUL-terminated when len > 0 or after any append */
  size_t len;
  size_t cap;
  int failed;  /* an allocation failed; the content is truncated */
} lr__buf;

void lr__buf_init(lr__buf *b);
void lr__buf_free(lr__buf *b);
void lr__buf_reset(lr__buf *b);
/* Makes room for `extra` more bytes (and the terminating NUL) past len, for
 * a writer that fills data + len itself; returns 0 when that failed. */
int lr__buf_reserve(lr__buf *b, size_t extra);
/* The slow half of lr__buf_append: grows the buffer, then appends. */
void lr__buf_grow_append(lr__buf *b, const void *data, size_t len);

/* Appending is inline: the feature server's JSON answer is a few thousand
 * small appends, and a call plus a capacity check out of line for each
 * cost more than the copies. */
static inline void lr__buf_append(lr__buf *b, const void *data, size_t len) {
  if (b->len + len < b->cap) {
    if (len)
      memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
  } else {
    lr__buf_grow_append(b, data, len);
  }
}

/* strlen of a literal folds to a constant once this is inlined. */
static inline void lr__buf_puts(lr__buf *b, const char *s) {
  lr__buf_append(b, s, strlen(s));
}

static inline void lr__buf_putc(lr__buf *b, char c) {
  lr__buf_append(b, &c, 1);
}
void lr__buf_printf(lr__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lr__buf_vprintf(lr__buf *b, const char *fmt, va_list ap);
/* Appends v in decimal, as printf's %lld does (without printf's cost). */
void lr__buf_put_int(lr__buf *b, long long v);
/* Appends `n` spaces (for indentation and table padding). */
void lr__buf_pad(lr__buf *b, size_t n);
/* Appends `s` as a JSON string literal, quotes included. */
void lr__buf_json_str(lr__buf *b, const char *s);
/* The same for `len` bytes that may hold NULs (written as \u0000). */
void lr__buf_json_strn(lr__buf *b, const char *s, size_t len);
/* Sets a handle's message: empties `msg`, then formats into it, so a
 * message never carries a previous call's text. Returns `rc`, for
 * `return lr__errmsg_set(&h->errmsg, LR_EINVAL, "...", ...)`. Every public
 * entry point empties its handle's message first and sets it through this
 * (lower layers append to the emptied message). */
int lr__errmsg_set(lr__buf *msg, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int lr__buf_failed(const lr__buf *b);
/* Hands the content to the caller (free() it) and empties the buffer;
 * returns NULL if an allocation failed. */
char *lr__buf_steal(lr__buf *b);
/* Returns the content, "" when empty; owned by the buffer. */
const char *lr__buf_str(const lr__buf *b);

#endif

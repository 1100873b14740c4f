/*
 * form.h - what the UI reads from a request: the arguments of a query
 * string or of a form body (application/x-www-form-urlencoded, the
 * login's), and a cookie of the Cookie header.
 */
#ifndef LR_UI_FORM_H
#define LR_UI_FORM_H

#include <stddef.h>

#include "../util/buf.h"

/* The k-th (from 0) value of argument `name` in `form` (k=v&k=v...,
 * percent-encoded, '+' for a space; NULL reads as empty), decoded into
 * `out` (reset first). Returns 1 when there is one, else 0. */
int lr__form_get_nth(const char *form, const char *name, int k,
                     lr__buf *out);

/* The first value of `name`: lr__form_get_nth with k 0. */
int lr__form_get(const char *form, const char *name, lr__buf *out);

/* Appends the percent-decoding of s[0..n) ('+' as a space); a '%' not
 * followed by two hex digits is kept as is. */
void lr__form_decode(lr__buf *out, const char *s, size_t n);

/* The value of cookie `name` in a Cookie header (NULL: none) into `out`
 * (reset first), percent-decoded. Returns 1 when there is one, else 0. */
int lr__cookie_get(const char *header, const char *name, lr__buf *out);

#endif

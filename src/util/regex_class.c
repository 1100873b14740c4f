/*
 * regex_class.c - the escapes and classes of a pattern, for the parser
 * (regex_parse.c): \d \w \s and their negations as ASCII sets, and
 * classes as sorted, merged code-point ranges, complemented up to
 * LR__UTF8_BAD so a negated class also takes bytes that are not UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "regex_ast.h"
#include "utf8.h"

/* ASCII punctuation: an escape makes it literal, as in RE2. */
static int is_punct(long c) {
  return c > 0x20 && c < 0x7F && !(c >= '0' && c <= '9') &&
         !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Refuses the escape \c at code point `at`, saying what to write. */
static int escape_error(lr__rx_parser *p, int at, long c) {
  if (c >= '1' && c <= '9')
    return lr__rx_fail(p, at,
                       "backreferences are not supported (RE2 refuses them "
                       "too)");
  switch (c) {
  case 'b':
  case 'B':
    return lr__rx_fail(
        p, at,
        "word boundaries (\\b, \\B) are not supported; match "
        "the characters around the word, e.g. (^|\\W)word($|\\W)");
  case 'A':
  case 'z':
    return lr__rx_fail(p, at,
                       "\\%c is not supported; write %c (it anchors at the "
                       "%s of the whole text)",
                       (char)c, c == 'A' ? '^' : '$',
                       c == 'A' ? "start" : "end");
  case 'p':
  case 'P':
    return lr__rx_fail(p, at,
                       "Unicode classes (\\p, \\P) are not supported; write "
                       "the characters as a class, e.g. [a-zA-Z]");
  case 'Q':
  case 'E':
    return lr__rx_fail(p, at,
                       "quoting (\\Q...\\E) is not supported; escape each "
                       "special character with \\");
  }
  if (c < 0x80)
    return lr__rx_fail(
        p, at,
        "\\%c is not supported; write the character itself, "
        "or escape only punctuation (\\., \\\\, \\*, ...), \\t, \\n, "
        "\\r, \\d, \\w, \\s, \\D, \\W or \\S",
        (char)c);
  return lr__rx_fail(p, at,
                     "a \\ before a non-ASCII character is not supported; "
                     "write the character itself");
}

/* An escape at p->at (the \): a literal in *cp with *perl 0, or the
 * letter of \d \w \s \D \W \S in *perl. */
static int parse_escape(lr__rx_parser *p, uint32_t *cp, uint32_t *perl) {
  int at = p->at++;
  long c = lr__rx_peek(p, 0);
  if (c < 0)
    return lr__rx_fail(p, at,
                       "a trailing \\ escapes nothing; write \\\\ for a "
                       "literal \\");
  p->at++;
  *perl = 0;
  *cp = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : (uint32_t)c;
  if (c == 'd' || c == 'w' || c == 's' || c == 'D' || c == 'W' || c == 'S')
    *perl = (uint32_t)c;
  else if (!is_punct(c) && c != 't' && c != 'n' && c != 'r')
    return escape_error(p, at, c);
  return 0;
}

/* Appends the range lo..hi to the tree's pool. */
static int add_range(lr__rx_tree *t, uint32_t lo, uint32_t hi) {
  if (t->n_ranges + 2 > t->cap_ranges) {
    size_t cap = t->cap_ranges ? t->cap_ranges * 2 : 32;
    uint32_t *grown = realloc(t->ranges, cap * sizeof *grown);
    if (!grown)
      return LR_ENOMEM;
    t->ranges = grown;
    t->cap_ranges = cap;
  }
  t->ranges[t->n_ranges++] = lo;
  t->ranges[t->n_ranges++] = hi;
  return 0;
}

/* Appends what the sorted, disjoint ranges pairs[0 .. 2n) leave out of
 * 0 .. LR__UTF8_BAD: a negated class also takes the bytes that are not
 * UTF-8. */
static int add_complement(lr__rx_tree *t, const uint32_t *pairs, size_t n) {
  uint32_t next = 0;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    if (pairs[2 * i] > next)
      rc = add_range(t, next, pairs[2 * i] - 1);
    next = pairs[2 * i + 1] + 1;
  }
  return rc || next > LR__UTF8_BAD ? rc : add_range(t, next, LR__UTF8_BAD);
}

/* Appends \d, \w or \s (the ASCII sets of RE2), or, for the capital
 * letter, their complement. */
static int add_perl(lr__rx_tree *t, uint32_t letter) {
  static const uint32_t digit[] = {'0', '9'};
  static const uint32_t word[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
  static const uint32_t space[] = {'\t', '\n', '\f', '\r', ' ', ' '};
  uint32_t lower = letter | 0x20;
  const uint32_t *pairs = lower == 'd' ? digit : lower == 'w' ? word : space;
  size_t n = lower == 'd' ? 1 : lower == 'w' ? 4 : 3;
  if (letter == lower) {
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
      rc = add_range(t, pairs[2 * i], pairs[2 * i + 1]);
    return rc;
  }
  return add_complement(t, pairs, n);
}

static int compare_ranges(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Turns the ranges from `first` on into a class: sorted, merged, and
 * complemented when `negate`; *cls is its index. */
static int finish_class(lr__rx_tree *t, size_t first, int negate, int *cls) {
  uint32_t *r = t->ranges + first;
  size_t n = (t->n_ranges - first) / 2, kept = 0;
  qsort(r, n, 2 * sizeof *r, compare_ranges);
  for (size_t i = 0; i < n; i++) {
    if (kept && r[2 * i] <= r[2 * kept - 1] + 1) {
      if (r[2 * i + 1] > r[2 * kept - 1])
        r[2 * kept - 1] = r[2 * i + 1];
    } else {
      r[2 * kept] = r[2 * i];
      r[2 * kept + 1] = r[2 * i + 1];
      kept++;
    }
  }
  t->n_ranges = first + 2 * kept;
  if (negate) {
    uint32_t *copy = malloc(2 * kept * sizeof *copy);
    if (!copy)
      return LR_ENOMEM;
    memcpy(copy, t->ranges + first, 2 * kept * sizeof *copy);
    t->n_ranges = first;
    int rc = add_complement(t, copy, kept);
    free(copy);
    if (rc)
      return rc;
  }
  if (t->n_classes == t->cap_classes) {
    int cap = t->cap_classes ? t->cap_classes * 2 : 8;
    lr__rx_class *grown = realloc(t->classes, (size_t)cap * sizeof *grown);
    if (!grown)
      return LR_ENOMEM;
    t->classes = grown;
    t->cap_classes = cap;
  }
  t->classes[t->n_classes] = (lr__rx_class){first, (t->n_ranges - first) / 2};
  *cls = t->n_classes++;
  return 0;
}

/* One character of a class at p->at: a literal or an escape. A [ or a -
 * that could be misread is refused. */
static int class_char(lr__rx_parser *p, int first, uint32_t *cp,
                      uint32_t *perl) {
  long c = lr__rx_peek(p, 0), after = lr__rx_peek(p, 1);
  if (c == '\\')
    return parse_escape(p, cp, perl);
  if (c == '[' && after == ':')
    return lr__rx_fail(p, p->at,
                       "named classes such as [:alpha:] are not "
                       "supported; write the ranges, e.g. [a-zA-Z]");
  if (c == '[')
    return lr__rx_fail(p, p->at, "write \\[ for a literal [ inside a class");
  if (c == '-' && !first && after >= 0 && after != ']')
    return lr__rx_fail(p, p->at,
                       "a - inside a class makes a range; write \\- for "
                       "a literal - (or put it first or last)");
  p->at++;
  *cp = (uint32_t)c;
  *perl = 0;
  return 0;
}

/* One item of a class: a character, a range lo-hi, or \d and the like. */
static int parse_class_item(lr__rx_parser *p, int first) {
  int at = p->at, rc;
  uint32_t lo, hi, perl;
  if ((rc = class_char(p, first, &lo, &perl)))
    return rc;
  if (perl)
    return add_perl(p->t, perl);
  if (lr__rx_peek(p, 0) != '-' || lr__rx_peek(p, 1) < 0 ||
      lr__rx_peek(p, 1) == ']')
    return add_range(p->t, lo, lo);
  int end = ++p->at;
  if ((rc = class_char(p, 0, &hi, &perl)))
    return rc;
  if (perl)
    return lr__rx_fail(p, end,
                       "a range cannot end at \\%c; write \\- for a "
                       "literal -",
                       (char)perl);
  if (hi < lo)
    return lr__rx_fail(p, at,
                       "this range runs backwards; write its lower end "
                       "first");
  return add_range(p->t, lo, hi);
}

/* A class, [...] or [^...], at p->at. */
int lr__rx_parse_class(lr__rx_parser *p, int *out) {
  int open = p->at++, rc, cls;
  int negate = lr__rx_peek(p, 0) == '^';
  p->at += negate;
  size_t first = p->t->n_ranges;
  for (int items = 0;; items++) {
    long c = lr__rx_peek(p, 0);
    if (c < 0)
      return lr__rx_fail(p, open,
                         "this [ is never closed; add a ], or write \\[ "
                         "for a literal [");
    if (c == ']' && items == 0)
      return lr__rx_fail(p, p->at,
                         "a class needs a character; write \\] for a "
                         "literal ] inside a class");
    if (c == ']')
      break;
    if ((rc = parse_class_item(p, items == 0)))
      return rc;
  }
  p->at++;
  if ((rc = finish_class(p->t, first, negate, &cls)))
    return rc;
  *out = lr__rx_new_node(p, LR__RX_CLASS, (uint32_t)cls);
  return *out < 0 ? LR_ENOMEM : 0;
}

/* An escape outside a class: a literal, or \d \w \s and their negations
 * as a class node. */
int lr__rx_parse_escape_atom(lr__rx_parser *p, int *out) {
  uint32_t cp, perl;
  int cls = -1;
  size_t first = p->t->n_ranges;
  int rc = parse_escape(p, &cp, &perl);
  if (!rc && perl && !(rc = add_perl(p->t, perl)))
    rc = finish_class(p->t, first, 0, &cls);
  if (rc)
    return rc;
  *out = perl ? lr__rx_new_node(p, LR__RX_CLASS, (uint32_t)cls)
              : lr__rx_new_node(p, LR__RX_CHAR, cp);
  return *out < 0 ? LR_ENOMEM : 0;
}

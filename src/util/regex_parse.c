/*
 * regex_parse.c - reads a pattern into a tree (regex_ast.h), refusing
 * what lies outside the subset (docs/internals/regex.md) with the
 * character where it is and what to write instead. The parser works on
 * the pattern's code points, so positions count characters, not bytes.
 *
 * While it builds the tree it sums what each node compiles to and the
 * product of nested {m,n} counts, so a pattern too large to match fast is
 * refused at the repetition or the character that makes it so.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "regex.h"
#include "regex_ast.h"
#include "utf8.h"

typedef struct parser {
  const char *pattern; /* as given, for messages */
  uint32_t *cps;       /* its code points */
  int n, at;           /* how many; the index of the next one */
  int depth;           /* groups open */
  lr__rx_tree *t;
  lr__buf *err;
} parser;

/* Appends the pattern to a message, control characters and bytes that
 * are not UTF-8 as \xNN, so the message stays one readable line. */
static void put_pattern(lr__buf *b, const char *pattern) {
  size_t len = strlen(pattern);
  for (size_t at = 0; at < len;) {
    size_t width;
    uint32_t cp = lr__utf8_decode(pattern + at, len - at, &width);
    if (cp == LR__UTF8_BAD || cp < 0x20 || cp == 0x7F)
      lr__buf_printf(b, "\\x%02X", (unsigned char)pattern[at]);
    else
      lr__buf_append(b, pattern + at, width);
    at += width;
  }
}

/* Refuses the pattern at code point `index` (0-based): "pattern 'P':
 * character N: " and the formatted reason. Returns LR_EINVAL. */
static int fail(parser *p, int index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *p, int index, const char *fmt, ...) {
  lr__buf_puts(p->err, "pattern '");
  put_pattern(p->err, p->pattern);
  lr__buf_printf(p->err, "': character %d: ", index + 1);
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(p->err, fmt, ap);
  va_end(ap);
  return LR_EINVAL;
}

/* Reads the pattern into p->cps; a byte that is not UTF-8 is refused. */
static int decode_pattern(parser *p) {
  size_t len = strlen(p->pattern);
  p->cps = malloc((len + 1) * sizeof *p->cps);
  if (!p->cps)
    return LR_ENOMEM;
  for (size_t at = 0; at < len; p->n++) {
    size_t width;
    p->cps[p->n] = lr__utf8_decode(p->pattern + at, len - at, &width);
    if (p->cps[p->n] == LR__UTF8_BAD)
      return fail(p, p->n, "byte 0x%02X is not UTF-8; write the pattern "
                  "as UTF-8 text", (unsigned char)p->pattern[at]);
    at += width;
  }
  return 0;
}

/* The code point `ahead` places past the next one, -1 past the end. */
static long peek(const parser *p, int ahead) {
  return p->at + ahead < p->n ? (long)p->cps[p->at + ahead] : -1;
}

/* A new node of `kind` with no children; -1 when out of memory. */
static int new_node(parser *p, uint8_t kind, uint32_t cp) {
  lr__rx_tree *t = p->t;
  if (t->n_nodes == t->cap_nodes) {
    int cap = t->cap_nodes ? t->cap_nodes * 2 : 16;
    lr__rx_node *grown = realloc(t->nodes, (size_t)cap * sizeof *grown);
    if (!grown)
      return -1;
    t->nodes = grown;
    t->cap_nodes = cap;
  }
  lr__rx_node *node = &t->nodes[t->n_nodes];
  *node = (lr__rx_node){.kind = kind, .cp = cp, .child = -1, .next = -1,
                        .size = kind != LR__RX_EMPTY, .reps = 1,
                        .bol_at = -1, .eol_at = -1};
  return t->n_nodes++;
}

/* Instruction counts saturate just past the cap. */
static size_t clamp(size_t size) {
  return size > LR__REGEX_MAX_PROGRAM ? LR__REGEX_MAX_PROGRAM + 1 : size;
}

/* Refuses a node that compiles past the cap (one instruction is left for
 * the final match), at code point `index`. */
static int check_size(parser *p, int node, int index) {
  if (p->t->nodes[node].size < LR__REGEX_MAX_PROGRAM)
    return 0;
  return fail(p, index, "the pattern compiles to more than %d instructions "
              "(the limit that keeps matching fast); use smaller "
              "repetition counts or a shorter pattern", LR__REGEX_MAX_PROGRAM);
}

/* Appends `child` to `parent`'s children (tail is the last one, -1). */
static void adopt(lr__rx_tree *t, int parent, int *tail, int child) {
  if (*tail < 0)
    t->nodes[parent].child = child;
  else
    t->nodes[*tail].next = child;
  *tail = child;
  if (t->nodes[child].reps > t->nodes[parent].reps)
    t->nodes[parent].reps = t->nodes[child].reps;
}

/* ASCII punctuation: an escape makes it literal, as in RE2. */
static int is_punct(long c) {
  return c > 0x20 && c < 0x7F && !(c >= '0' && c <= '9') &&
         !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Refuses the escape \c at code point `at`, saying what to write. */
static int escape_error(parser *p, int at, long c) {
  if (c >= '1' && c <= '9')
    return fail(p, at, "backreferences are not supported (RE2 refuses them "
                "too)");
  switch (c) {
  case 'b': case 'B':
    return fail(p, at, "word boundaries (\\b, \\B) are not supported; match "
                "the characters around the word, e.g. (^|\\W)word($|\\W)");
  case 'A': case 'z':
    return fail(p, at, "\\%c is not supported; write %c (it anchors at the "
                "%s of the whole text)", (char)c, c == 'A' ? '^' : '$',
                c == 'A' ? "start" : "end");
  case 'p': case 'P':
    return fail(p, at, "Unicode classes (\\p, \\P) are not supported; write "
                "the characters as a class, e.g. [a-zA-Z]");
  case 'Q': case 'E':
    return fail(p, at, "quoting (\\Q...\\E) is not supported; escape each "
                "special character with \\");
  }
  if (c < 0x80)
    return fail(p, at, "\\%c is not supported; write the character itself, "
                "or escape only punctuation (\\., \\\\, \\*, ...), \\t, \\n, "
                "\\r, \\d, \\w, \\s, \\D, \\W or \\S", (char)c);
  return fail(p, at, "a \\ before a non-ASCII character is not supported; "
              "write the character itself");
}

/* An escape at p->at (the \): a literal in *cp with *perl 0, or the
 * letter of \d \w \s \D \W \S in *perl. */
static int parse_escape(parser *p, uint32_t *cp, uint32_t *perl) {
  int at = p->at++;
  long c = peek(p, 0);
  if (c < 0)
    return fail(p, at, "a trailing \\ escapes nothing; write \\\\ for a "
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
static int class_char(parser *p, int first, uint32_t *cp, uint32_t *perl) {
  long c = peek(p, 0), after = peek(p, 1);
  if (c == '\\')
    return parse_escape(p, cp, perl);
  if (c == '[' && after == ':')
    return fail(p, p->at, "named classes such as [:alpha:] are not "
                "supported; write the ranges, e.g. [a-zA-Z]");
  if (c == '[')
    return fail(p, p->at, "write \\[ for a literal [ inside a class");
  if (c == '-' && !first && after >= 0 && after != ']')
    return fail(p, p->at, "a - inside a class makes a range; write \\- for "
                "a literal - (or put it first or last)");
  p->at++;
  *cp = (uint32_t)c;
  *perl = 0;
  return 0;
}

/* One item of a class: a character, a range lo-hi, or \d and the like. */
static int parse_class_item(parser *p, int first) {
  int at = p->at, rc;
  uint32_t lo, hi, perl;
  if ((rc = class_char(p, first, &lo, &perl)))
    return rc;
  if (perl)
    return add_perl(p->t, perl);
  if (peek(p, 0) != '-' || peek(p, 1) < 0 || peek(p, 1) == ']')
    return add_range(p->t, lo, lo);
  int end = ++p->at;
  if ((rc = class_char(p, 0, &hi, &perl)))
    return rc;
  if (perl)
    return fail(p, end, "a range cannot end at \\%c; write \\- for a "
                "literal -", (char)perl);
  if (hi < lo)
    return fail(p, at, "this range runs backwards; write its lower end "
                "first");
  return add_range(p->t, lo, hi);
}

/* A class, [...] or [^...], at p->at. */
static int parse_class(parser *p, int *out) {
  int open = p->at++, rc, cls;
  int negate = peek(p, 0) == '^';
  p->at += negate;
  size_t first = p->t->n_ranges;
  for (int items = 0;; items++) {
    long c = peek(p, 0);
    if (c < 0)
      return fail(p, open, "this [ is never closed; add a ], or write \\[ "
                  "for a literal [");
    if (c == ']' && items == 0)
      return fail(p, p->at, "a class needs a character; write \\] for a "
                  "literal ] inside a class");
    if (c == ']')
      break;
    if ((rc = parse_class_item(p, items == 0)))
      return rc;
  }
  p->at++;
  if ((rc = finish_class(p->t, first, negate, &cls)))
    return rc;
  *out = new_node(p, LR__RX_CLASS, (uint32_t)cls);
  return *out < 0 ? LR_ENOMEM : 0;
}

static int parse_alt(parser *p, int *out);

/* An escape outside a class: a literal, or \d \w \s and their negations
 * as a class node. */
static int parse_escape_atom(parser *p, int *out) {
  uint32_t cp, perl;
  int cls = -1;
  size_t first = p->t->n_ranges;
  int rc = parse_escape(p, &cp, &perl);
  if (!rc && perl && !(rc = add_perl(p->t, perl)))
    rc = finish_class(p->t, first, 0, &cls);
  if (rc)
    return rc;
  *out = perl ? new_node(p, LR__RX_CLASS, (uint32_t)cls)
              : new_node(p, LR__RX_CHAR, cp);
  return *out < 0 ? LR_ENOMEM : 0;
}

/* A group, ( ) or (?: ), at p->at. */
static int parse_group(parser *p, int *out) {
  int open = p->at++;
  if (peek(p, 0) == '?') {
    long c = peek(p, 1), c2 = peek(p, 2);
    if (c == ':')
      p->at += 2;
    else if (c == '=' || c == '!' || (c == '<' && (c2 == '=' || c2 == '!')))
      return fail(p, open, "lookaround ((?=, (?!, (?<=, (?<!) is not "
                  "supported (RE2 refuses it too)");
    else if (c == 'P' || c == '<')
      return fail(p, open, "named groups are not supported; write ( ) or "
                  "(?: )");
    else
      return fail(p, open, "flags such as (?i) are not supported; write "
                  "each case out, e.g. [Aa] for a or A");
  }
  if (++p->depth > LR__REGEX_MAX_DEPTH)
    return fail(p, open, "groups nest deeper than %d; flatten the pattern",
                LR__REGEX_MAX_DEPTH);
  int rc = parse_alt(p, out);
  if (rc)
    return rc;
  if (peek(p, 0) != ')')
    return fail(p, open, "this ( is never closed; add a ), or write \\( "
                "for a literal (");
  p->at++;
  p->depth--;
  return 0;
}

/* One atom: a group, a class, `.`, an anchor, an escape or a literal. */
static int parse_atom(parser *p, int *out) {
  uint32_t c = p->cps[p->at];
  uint8_t simple = c == '.' ? LR__RX_ANY : c == '^' ? LR__RX_BOL
                 : c == '$' ? LR__RX_EOL : LR__RX_CHAR;
  switch (c) {
  case '(':
    return parse_group(p, out);
  case '[':
    return parse_class(p, out);
  case '\\':
    return parse_escape_atom(p, out);
  case '*': case '+': case '?': case '{':
    return fail(p, p->at, "%c has nothing before it to repeat; write \\%c "
                "for a literal %c", (char)c, (char)c, (char)c);
  }
  int at = p->at++;
  if ((*out = new_node(p, simple, c)) < 0)
    return LR_ENOMEM;
  p->t->nodes[*out].bol_at = simple == LR__RX_BOL ? at : -1;
  p->t->nodes[*out].eol_at = simple == LR__RX_EOL ? at : -1;
  return 0;
}

/* A count of a repetition at p->at: its digits, saturated past the
 * limit; -1 when there are none. */
static int parse_count(parser *p) {
  int count = -1;
  for (long c; (c = peek(p, 0)) >= '0' && c <= '9'; p->at++)
    count = count < 0 ? (int)(c - '0')
          : count > LR__REGEX_MAX_REPEAT ? count : count * 10 + (int)(c - '0');
  return count;
}

/* {m}, {m,} or {m,n} at p->at (the {): its bounds; LR_EINVAL when the
 * brace does not begin one. */
static int parse_braces(parser *p, int *min, int *max) {
  int open = p->at++;
  *min = parse_count(p);
  *max = *min;
  if (*min >= 0 && peek(p, 0) == ',') {
    p->at++;
    *max = parse_count(p);
  }
  if (*min < 0 || peek(p, 0) != '}')
    return fail(p, open, "{ does not begin a repetition {m}, {m,} or "
                "{m,n}; write \\{ for a literal {");
  p->at++;
  if (*min > LR__REGEX_MAX_REPEAT || *max > LR__REGEX_MAX_REPEAT)
    return fail(p, open, "a repetition count may be at most %d (RE2's "
                "limit)", LR__REGEX_MAX_REPEAT);
  if (*max >= 0 && *max < *min)
    return fail(p, open, "repetition {%d,%d} has its minimum above its "
                "maximum; write {%d,%d}", *min, *max, *max, *min);
  return 0;
}

/* What a repetition of a child of `size` instructions compiles to (see
 * emit_repeat in regex.c). */
static size_t repeat_size(size_t size, int min, int max) {
  if (max < 0)
    return clamp(min == 0 ? size + 2 : (size_t)min * size + 1);
  return clamp((size_t)min * size + (size_t)(max - min) * (size + 1));
}

/* Wraps `*atom` in a repetition when a quantifier follows it. */
static int parse_quantifier(parser *p, int *atom) {
  long c = peek(p, 0);
  int at = p->at, min, max, rc;
  if (c == '*' || c == '+' || c == '?') {
    min = c == '+';
    max = c == '?' ? 1 : -1;
    p->at++;
  } else if (c == '{') {
    if ((rc = parse_braces(p, &min, &max)))
      return rc;
  } else {
    return 0;
  }
  const lr__rx_node *child = &p->t->nodes[*atom];
  if (child->kind == LR__RX_BOL || child->kind == LR__RX_EOL)
    return fail(p, at, "%c has nothing before it to repeat (^ and $ match "
                "no character); write \\%c for a literal %c", (char)c,
                (char)c, (char)c);
  if (child->bol_at >= 0 || child->eol_at >= 0)
    return fail(p, child->bol_at >= 0 ? child->bol_at : child->eol_at,
                "an anchor inside a repeated group; write ^ and $ outside "
                "the repetition, at the start or end of the pattern or of an "
                "alternative");
  if (peek(p, 0) == '?')
    p->at++; /* lazy: the same verdict as greedy */
  c = peek(p, 0);
  if (c == '*' || c == '+' || c == '?' || c == '{')
    return fail(p, p->at, "a quantifier cannot follow another; put the "
                "repeated part in (?: ) first, e.g. (?:a+)*");
  int rep = new_node(p, LR__RX_REPEAT, 0);
  if (rep < 0)
    return LR_ENOMEM;
  lr__rx_node *node = &p->t->nodes[rep];
  child = &p->t->nodes[*atom];
  node->min = min;
  node->max = max;
  node->child = *atom;
  node->size = repeat_size(child->size, min, max);
  /* RE2 counts only {m,n} forms: an unbounded one by its minimum */
  int count = p->cps[at] == '{' ? (max < 0 ? min : max) : 0;
  node->reps = child->reps * (count > 0 ? count : 1);
  if (node->reps > LR__REGEX_MAX_REPEAT)
    return fail(p, at, "repetitions nested in each other repeat more than "
                "%d times in all (RE2 refuses this too); lower the counts",
                LR__REGEX_MAX_REPEAT);
  *atom = rep;
  return check_size(p, rep, at);
}

/* Refuses an anchor that is not at the edge of its branch: DuckDB reads
 * a constant pattern such as a$b or a^ as if the anchor were not there
 * (RE2 itself finds no match), so the subset keeps ^ first and $ last.
 * `prev` is the atom before `atom` in the branch, -1 when it is first. */
static int check_anchors(parser *p, int prev, int atom) {
  if (prev < 0)
    return 0;
  if (p->t->nodes[atom].bol_at >= 0)
    return fail(p, p->t->nodes[atom].bol_at, "^ may stand only at the "
                "start of the pattern or of an alternative (DuckDB misreads "
                "it elsewhere); move it there, or write \\^ for a literal ^");
  if (p->t->nodes[prev].eol_at >= 0)
    return fail(p, p->t->nodes[prev].eol_at, "$ may stand only at the end "
                "of the pattern or of an alternative (DuckDB misreads it "
                "elsewhere); move it there, or write \\$ for a literal $");
  return 0;
}

/* A sequence of quantified atoms, up to | or ) or the end. */
static int parse_cat(parser *p, int *out) {
  int cat = new_node(p, LR__RX_CAT, 0), tail = -1, count = 0;
  if (cat < 0)
    return LR_ENOMEM;
  p->t->nodes[cat].size = 0;
  for (long c; (c = peek(p, 0)) >= 0 && c != '|' && c != ')'; count++) {
    int at = p->at, atom, rc;
    if ((rc = parse_atom(p, &atom)) || (rc = parse_quantifier(p, &atom)))
      return rc;
    if ((rc = check_anchors(p, count ? tail : -1, atom)))
      return rc;
    adopt(p->t, cat, &tail, atom);
    lr__rx_node *node = &p->t->nodes[cat];
    node->bol_at = count ? node->bol_at : p->t->nodes[atom].bol_at;
    node->eol_at = p->t->nodes[atom].eol_at;
    node->size = clamp(node->size + p->t->nodes[atom].size);
    if ((rc = check_size(p, cat, at)))
      return rc;
  }
  if (count == 0)
    p->t->nodes[cat].kind = LR__RX_EMPTY;
  *out = count == 1 ? p->t->nodes[cat].child : cat;
  return 0;
}

/* Branches separated by |. */
static int parse_alt(parser *p, int *out) {
  int first, rc;
  if ((rc = parse_cat(p, &first)))
    return rc;
  if (peek(p, 0) != '|') {
    *out = first;
    return 0;
  }
  int alt = new_node(p, LR__RX_ALT, 0), tail = -1;
  if (alt < 0)
    return LR_ENOMEM;
  adopt(p->t, alt, &tail, first);
  p->t->nodes[alt].size = p->t->nodes[first].size;
  p->t->nodes[alt].bol_at = p->t->nodes[first].bol_at;
  p->t->nodes[alt].eol_at = p->t->nodes[first].eol_at;
  while (peek(p, 0) == '|') {
    int bar = p->at++, branch;
    if ((rc = parse_cat(p, &branch)))
      return rc;
    adopt(p->t, alt, &tail, branch);
    lr__rx_node *node = &p->t->nodes[alt];
    if (node->bol_at < 0)
      node->bol_at = p->t->nodes[branch].bol_at;
    if (node->eol_at < 0)
      node->eol_at = p->t->nodes[branch].eol_at;
    node->size = clamp(node->size + p->t->nodes[branch].size + 2);
    if ((rc = check_size(p, alt, bar)))
      return rc;
  }
  *out = alt;
  return 0;
}

int lr__rx_parse(const char *pattern, lr__rx_tree *tree, lr__buf *err) {
  parser p = {.pattern = pattern, .t = tree, .err = err};
  int rc = decode_pattern(&p);
  if (!rc)
    rc = parse_alt(&p, &tree->root);
  if (!rc && p.at < p.n)
    rc = fail(&p, p.at, ") closes no group; write \\) for a literal )");
  free(p.cps);
  return rc;
}

void lr__rx_tree_free(lr__rx_tree *tree) {
  free(tree->nodes);
  free(tree->classes);
  free(tree->ranges);
  memset(tree, 0, sizeof *tree);
}

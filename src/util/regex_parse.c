/*
 * regex_parse.c - reads a pattern into a tree (regex_ast.h), refusing
 * what lies outside the subset (docs/internals/regex.md) with the
 * character where it is and what to write instead. The parser works on
 * the pattern's code points, so positions count characters, not bytes.
 * Escapes and classes are read by regex_class.c.
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
int lr__rx_fail(lr__rx_parser *p, int index, const char *fmt, ...) {
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
static int decode_pattern(lr__rx_parser *p) {
  size_t len = strlen(p->pattern);
  p->cps = malloc((len + 1) * sizeof *p->cps);
  if (!p->cps)
    return LR_ENOMEM;
  for (size_t at = 0; at < len; p->n++) {
    size_t width;
    p->cps[p->n] = lr__utf8_decode(p->pattern + at, len - at, &width);
    if (p->cps[p->n] == LR__UTF8_BAD)
      return lr__rx_fail(p, p->n,
                         "byte 0x%02X is not UTF-8; write the pattern "
                         "as UTF-8 text",
                         (unsigned char)p->pattern[at]);
    at += width;
  }
  return 0;
}

/* The code point `ahead` places past the next one, -1 past the end. */
long lr__rx_peek(const lr__rx_parser *p, int ahead) {
  return p->at + ahead < p->n ? (long)p->cps[p->at + ahead] : -1;
}

/* A new node of `kind` with no children; -1 when out of memory. */
int lr__rx_new_node(lr__rx_parser *p, uint8_t kind, uint32_t cp) {
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
  *node = (lr__rx_node){.kind = kind,
                        .cp = cp,
                        .child = -1,
                        .next = -1,
                        .size = kind != LR__RX_EMPTY,
                        .reps = 1,
                        .bol_at = -1,
                        .eol_at = -1};
  return t->n_nodes++;
}

/* Instruction counts saturate just past the cap. */
static size_t clamp(size_t size) {
  return size > LR__REGEX_MAX_PROGRAM ? LR__REGEX_MAX_PROGRAM + 1 : size;
}

/* Refuses a node that compiles past the cap (one instruction is left for
 * the final match), at code point `index`. */
static int check_size(lr__rx_parser *p, int node, int index) {
  if (p->t->nodes[node].size < LR__REGEX_MAX_PROGRAM)
    return 0;
  return lr__rx_fail(p, index,
                     "the pattern compiles to more than %d instructions "
                     "(the limit that keeps matching fast); use smaller "
                     "repetition counts or a shorter pattern",
                     LR__REGEX_MAX_PROGRAM);
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

static int parse_alt(lr__rx_parser *p, int *out);

/* A group, ( ) or (?: ), at p->at. */
static int parse_group(lr__rx_parser *p, int *out) {
  int open = p->at++;
  if (lr__rx_peek(p, 0) == '?') {
    long c = lr__rx_peek(p, 1), c2 = lr__rx_peek(p, 2);
    if (c == ':')
      p->at += 2;
    else if (c == '=' || c == '!' || (c == '<' && (c2 == '=' || c2 == '!')))
      return lr__rx_fail(p, open,
                         "lookaround ((?=, (?!, (?<=, (?<!) is not "
                         "supported (RE2 refuses it too)");
    else if (c == 'P' || c == '<')
      return lr__rx_fail(p, open,
                         "named groups are not supported; write ( ) or "
                         "(?: )");
    else
      return lr__rx_fail(p, open,
                         "flags such as (?i) are not supported; write "
                         "each case out, e.g. [Aa] for a or A");
  }
  if (++p->depth > LR__REGEX_MAX_DEPTH)
    return lr__rx_fail(p, open,
                       "groups nest deeper than %d; flatten the pattern",
                       LR__REGEX_MAX_DEPTH);
  int rc = parse_alt(p, out);
  if (rc)
    return rc;
  if (lr__rx_peek(p, 0) != ')')
    return lr__rx_fail(p, open,
                       "this ( is never closed; add a ), or write \\( "
                       "for a literal (");
  p->at++;
  p->depth--;
  return 0;
}

/* One atom: a group, a class, `.`, an anchor, an escape or a literal. */
static int parse_atom(lr__rx_parser *p, int *out) {
  uint32_t c = p->cps[p->at];
  uint8_t simple = c == '.'   ? LR__RX_ANY
                   : c == '^' ? LR__RX_BOL
                   : c == '$' ? LR__RX_EOL
                              : LR__RX_CHAR;
  switch (c) {
  case '(':
    return parse_group(p, out);
  case '[':
    return lr__rx_parse_class(p, out);
  case '\\':
    return lr__rx_parse_escape_atom(p, out);
  case '*':
  case '+':
  case '?':
  case '{':
    return lr__rx_fail(p, p->at,
                       "%c has nothing before it to repeat; write \\%c "
                       "for a literal %c",
                       (char)c, (char)c, (char)c);
  }
  int at = p->at++;
  if ((*out = lr__rx_new_node(p, simple, c)) < 0)
    return LR_ENOMEM;
  p->t->nodes[*out].bol_at = simple == LR__RX_BOL ? at : -1;
  p->t->nodes[*out].eol_at = simple == LR__RX_EOL ? at : -1;
  return 0;
}

/* A count of a repetition at p->at: its digits, saturated past the
 * limit; -1 when there are none. */
static int parse_count(lr__rx_parser *p) {
  int count = -1;
  for (long c; (c = lr__rx_peek(p, 0)) >= '0' && c <= '9'; p->at++)
    count = count < 0                      ? (int)(c - '0')
            : count > LR__REGEX_MAX_REPEAT ? count
                                           : count * 10 + (int)(c - '0');
  return count;
}

/* {m}, {m,} or {m,n} at p->at (the {): its bounds; LR_EINVAL when the
 * brace does not begin one. */
static int parse_braces(lr__rx_parser *p, int *min, int *max) {
  int open = p->at++;
  *min = parse_count(p);
  *max = *min;
  if (*min >= 0 && lr__rx_peek(p, 0) == ',') {
    p->at++;
    *max = parse_count(p);
  }
  if (*min < 0 || lr__rx_peek(p, 0) != '}')
    return lr__rx_fail(p, open,
                       "{ does not begin a repetition {m}, {m,} or "
                       "{m,n}; write \\{ for a literal {");
  p->at++;
  if (*min > LR__REGEX_MAX_REPEAT || *max > LR__REGEX_MAX_REPEAT)
    return lr__rx_fail(p, open,
                       "a repetition count may be at most %d (RE2's "
                       "limit)",
                       LR__REGEX_MAX_REPEAT);
  if (*max >= 0 && *max < *min)
    return lr__rx_fail(p, open,
                       "repetition {%d,%d} has its minimum above its "
                       "maximum; write {%d,%d}",
                       *min, *max, *max, *min);
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
static int parse_quantifier(lr__rx_parser *p, int *atom) {
  long c = lr__rx_peek(p, 0);
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
    return lr__rx_fail(p, at,
                       "%c has nothing before it to repeat (^ and $ match "
                       "no character); write \\%c for a literal %c",
                       (char)c, (char)c, (char)c);
  if (child->bol_at >= 0 || child->eol_at >= 0)
    return lr__rx_fail(
        p, child->bol_at >= 0 ? child->bol_at : child->eol_at,
        "an anchor inside a repeated group; write ^ and $ outside "
        "the repetition, at the start or end of the pattern or of an "
        "alternative");
  if (lr__rx_peek(p, 0) == '?')
    p->at++; /* lazy: the same verdict as greedy */
  c = lr__rx_peek(p, 0);
  if (c == '*' || c == '+' || c == '?' || c == '{')
    return lr__rx_fail(p, p->at,
                       "a quantifier cannot follow another; put the "
                       "repeated part in (?: ) first, e.g. (?:a+)*");
  int rep = lr__rx_new_node(p, LR__RX_REPEAT, 0);
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
    return lr__rx_fail(
        p, at,
        "repetitions nested in each other repeat more than "
        "%d times in all (RE2 refuses this too); lower the counts",
        LR__REGEX_MAX_REPEAT);
  *atom = rep;
  return check_size(p, rep, at);
}

/* Refuses an anchor that is not at the edge of its branch: DuckDB reads
 * a constant pattern such as a$b or a^ as if the anchor were not there
 * (RE2 itself finds no match), so the subset keeps ^ first and $ last.
 * `prev` is the atom before `atom` in the branch, -1 when it is first. */
static int check_anchors(lr__rx_parser *p, int prev, int atom) {
  if (prev < 0)
    return 0;
  if (p->t->nodes[atom].bol_at >= 0)
    return lr__rx_fail(
        p, p->t->nodes[atom].bol_at,
        "^ may stand only at the "
        "start of the pattern or of an alternative (DuckDB misreads "
        "it elsewhere); move it there, or write \\^ for a literal ^");
  if (p->t->nodes[prev].eol_at >= 0)
    return lr__rx_fail(
        p, p->t->nodes[prev].eol_at,
        "$ may stand only at the end "
        "of the pattern or of an alternative (DuckDB misreads it "
        "elsewhere); move it there, or write \\$ for a literal $");
  return 0;
}

/* A sequence of quantified atoms, up to | or ) or the end. */
static int parse_cat(lr__rx_parser *p, int *out) {
  int cat = lr__rx_new_node(p, LR__RX_CAT, 0), tail = -1, count = 0;
  if (cat < 0)
    return LR_ENOMEM;
  p->t->nodes[cat].size = 0;
  for (long c; (c = lr__rx_peek(p, 0)) >= 0 && c != '|' && c != ')'; count++) {
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
static int parse_alt(lr__rx_parser *p, int *out) {
  int first, rc;
  if ((rc = parse_cat(p, &first)))
    return rc;
  if (lr__rx_peek(p, 0) != '|') {
    *out = first;
    return 0;
  }
  int alt = lr__rx_new_node(p, LR__RX_ALT, 0), tail = -1;
  if (alt < 0)
    return LR_ENOMEM;
  adopt(p->t, alt, &tail, first);
  p->t->nodes[alt].size = p->t->nodes[first].size;
  p->t->nodes[alt].bol_at = p->t->nodes[first].bol_at;
  p->t->nodes[alt].eol_at = p->t->nodes[first].eol_at;
  while (lr__rx_peek(p, 0) == '|') {
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
  lr__rx_parser p = {.pattern = pattern, .t = tree, .err = err};
  int rc = decode_pattern(&p);
  if (!rc)
    rc = parse_alt(&p, &tree->root);
  if (!rc && p.at < p.n)
    rc = lr__rx_fail(&p, p.at, ") closes no group; write \\) for a literal )");
  free(p.cps);
  return rc;
}

void lr__rx_tree_free(lr__rx_tree *tree) {
  free(tree->nodes);
  free(tree->classes);
  free(tree->ranges);
  memset(tree, 0, sizeof *tree);
}

/*
 * json.c - a strict JSON reader (see json.h): recursive descent over the
 * text, one pass, nodes and unescaped strings in an arena.
 */
#include "json.h"

#include <stdint.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

typedef struct reader {
  const char *text;
  size_t len, at;
  lr__arena *arena;
  lr__buf *err;
  int failed;
} reader;

/* Reports what is wrong at the current position, as `line:col: ...`. */
static void fail(reader *R, const char *what) {
  if (R->failed)
    return;
  R->failed = 1;
  int line = 1, col = 1;
  for (size_t i = 0; i < R->at && i < R->len; i++) {
    if (R->text[i] == '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  lr__buf_printf(R->err, "%d:%d: %s", line, col, what);
}

static void skip_space(reader *R) {
  while (R->at < R->len && (R->text[R->at] == ' ' || R->text[R->at] == '\t' ||
                            R->text[R->at] == '\n' || R->text[R->at] == '\r'))
    R->at++;
}

static int peek(const reader *R) {
  return R->at < R->len ? (unsigned char)R->text[R->at] : -1;
}

static lr__jnode *new_node(reader *R, lr__jkind kind) {
  lr__jnode *n = lr__arena_alloc(R->arena, sizeof *n);
  if (!n)
    fail(R, "out of memory");
  else
    n->kind = kind;
  return n;
}

static lr__jnode *read_value(reader *R, int depth);

/* ---- strings ----------------------------------------------------------- */

static int hex4(reader *R, size_t at, unsigned *out) {
  *out = 0;
  for (int i = 0; i < 4; i++) {
    char c = at + (size_t)i < R->len ? R->text[at + (size_t)i] : 0;
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0)
      return -1;
    *out = *out * 16 + (unsigned)v;
  }
  return 0;
}

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *out, unsigned cp) {
  if (cp < 0x80)
    return out[0] = (char)cp, 1;
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* A \u escape at R->at (after the backslash and u): one code point, or a
 * surrogate pair. */
static int read_unicode(reader *R, char *out, size_t *len) {
  unsigned cp, low;
  if (hex4(R, R->at, &cp))
    return fail(R, "\\u needs four hex digits"), -1;
  R->at += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (R->at + 6 > R->len || R->text[R->at] != '\\' ||
        R->text[R->at + 1] != 'u' || hex4(R, R->at + 2, &low) ||
        low < 0xDC00 || low > 0xDFFF)
      return fail(R, "a high surrogate must be followed by a low one"), -1;
    R->at += 6;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return fail(R, "a low surrogate without a high one"), -1;
  }
  *len += put_utf8(out + *len, cp);
  return 0;
}

/* A string's content from R->at (after the quote) to the closing quote;
 * the unescaped text (never longer than the escaped one) in the arena. */
static const char *read_string(reader *R, size_t *out_len) {
  size_t start = R->at, end = start;
  int plain = 1; /* no escape, no control character: copied whole */
  while (end < R->len && R->text[end] != '"') {
    unsigned char c = (unsigned char)R->text[end];
    plain &= c >= 0x20 && c != '\\';
    end += c == '\\' ? 2 : 1;
  }
  if (end >= R->len) {
    R->at = R->len;
    return fail(R, "a string without its closing quote"), NULL;
  }
  char *out = lr__arena_alloc(R->arena, end - start + 1);
  if (!out)
    return fail(R, "out of memory"), NULL;
  size_t len = 0;
  if (plain) {
    len = end - start;
    memcpy(out, R->text + start, len);
    R->at = end;
  }
  while (R->at < end) {
    unsigned char c = (unsigned char)R->text[R->at];
    if (c < 0x20)
      return fail(R, "a control character inside a string"), NULL;
    if (c != '\\') {
      out[len++] = (char)c;
      R->at++;
      continue;
    }
    char e = R->text[R->at + 1];
    R->at += 2;
    const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, e) : NULL;
    if (hit)
      out[len++] = to[hit - from];
    else if (e != 'u' || read_unicode(R, out, &len))
      return fail(R, "an unknown escape in a string"), NULL;
  }
  R->at = end + 1;
  out[len] = '\0';
  *out_len = len;
  return out;
}

/* ---- numbers and words ------------------------------------------------- */

static int is_digit(int c) { return c >= '0' && c <= '9'; }

/* A number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static lr__jnode *read_number(reader *R) {
  size_t start = R->at;
  if (peek(R) == '-')
    R->at++;
  if (peek(R) == '0') {
    R->at++;
  } else if (is_digit(peek(R))) {
    while (is_digit(peek(R)))
      R->at++;
  } else {
    return fail(R, "a number needs digits"), NULL;
  }
  if (peek(R) == '.') {
    R->at++;
    if (!is_digit(peek(R)))
      return fail(R, "a number needs digits after its point"), NULL;
    while (is_digit(peek(R)))
      R->at++;
  }
  if (peek(R) == 'e' || peek(R) == 'E') {
    R->at++;
    if (peek(R) == '+' || peek(R) == '-')
      R->at++;
    if (!is_digit(peek(R)))
      return fail(R, "a number needs digits in its exponent"), NULL;
    while (is_digit(peek(R)))
      R->at++;
  }
  lr__jnode *n = new_node(R, LR__J_NUMBER);
  if (n) {
    n->text = lr__arena_strndup(R->arena, R->text + start, R->at - start);
    n->len = R->at - start;
  }
  return n && n->text ? n : NULL;
}

static lr__jnode *read_word(reader *R) {
  static const struct { const char *word; lr__jkind kind; } words[] = {
      {"true", LR__J_BOOL}, {"false", LR__J_BOOL}, {"null", LR__J_NULL}};
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(words[i].word);
    if (R->len - R->at >= n && !memcmp(R->text + R->at, words[i].word, n)) {
      R->at += n;
      lr__jnode *node = new_node(R, words[i].kind);
      if (node) {
        node->text = words[i].word;
        node->len = n;
      }
      return node;
    }
  }
  fail(R, "expected a value (an object, list, string, number, true, false "
          "or null)");
  return NULL;
}

/* ---- arrays and objects ------------------------------------------------ */

/* Adds an item (and for objects its key) to a growing node. */
static int push_item(reader *R, lr__jnode *n, int *cap, lr__jnode *item,
                     const char *key) {
  if (n->n == *cap) {
    int grown = *cap ? *cap * 2 : 4;
    lr__jnode **items = lr__arena_array(R->arena, (size_t)grown,
                                        sizeof(lr__jnode *));
    const char **keys = n->kind == LR__J_OBJECT
                            ? lr__arena_array(R->arena, (size_t)grown,
                                              sizeof *keys)
                            : NULL;
    if (!items || (n->kind == LR__J_OBJECT && !keys))
      return fail(R, "out of memory"), -1;
    if (n->n)
      memcpy(items, n->items, (size_t)n->n * sizeof(lr__jnode *));
    if (keys && n->n)
      memcpy(keys, n->keys, (size_t)n->n * sizeof *keys);
    n->items = items;
    n->keys = keys;
    *cap = grown;
  }
  if (key)
    n->keys[n->n] = key;
  n->items[n->n++] = item;
  return 0;
}

/* The members of an array or object after its opening bracket. */
static lr__jnode *read_container(reader *R, lr__jkind kind, int depth) {
  char close = kind == LR__J_ARRAY ? ']' : '}';
  lr__jnode *n = new_node(R, kind);
  int cap = 0;
  skip_space(R);
  if (peek(R) == close) {
    R->at++;
    return n;
  }
  while (n && !R->failed) {
    const char *key = NULL;
    size_t key_len;
    skip_space(R);
    if (kind == LR__J_OBJECT) {
      if (peek(R) != '"')
        return fail(R, "expected a member name in double quotes"), NULL;
      R->at++;
      key = read_string(R, &key_len);
      skip_space(R);
      if (!key || peek(R) != ':')
        return fail(R, "expected ':' after a member name"), NULL;
      R->at++;
    }
    lr__jnode *item = read_value(R, depth + 1);
    if (!item || push_item(R, n, &cap, item, key))
      return NULL;
    skip_space(R);
    int c = peek(R);
    R->at += c == ',' || c == close;
    if (c == close)
      return n;
    if (c != ',')
      return fail(R, kind == LR__J_ARRAY ? "expected ',' or ']' in a list"
                                         : "expected ',' or '}' in an object"),
             NULL;
  }
  return NULL;
}

static lr__jnode *read_value(reader *R, int depth) {
  if (depth > MAX_DEPTH)
    return fail(R, "nested too deeply"), NULL;
  skip_space(R);
  int c = peek(R);
  if (c == '{' || c == '[') {
    size_t start = R->at++;
    lr__jnode *n =
        read_container(R, c == '{' ? LR__J_OBJECT : LR__J_ARRAY, depth);
    if (n) {
      n->raw = R->text + start;
      n->raw_len = R->at - start;
    }
    return n;
  }
  if (c == '"') {
    R->at++;
    lr__jnode *n = new_node(R, LR__J_STRING);
    if (n)
      n->text = read_string(R, &n->len);
    return n && n->text ? n : NULL;
  }
  if (c == '-' || is_digit(c))
    return read_number(R);
  if (c < 0)
    return fail(R, "the text ends where a value should be"), NULL;
  return read_word(R);
}

lr__jnode *lr__json_read(const char *text, size_t len, lr__arena *arena,
                         lr__buf *err) {
  reader R = {text, len, 0, arena, err, 0};
  lr__jnode *root = read_value(&R, 0);
  skip_space(&R);
  if (root && R.at < R.len)
    fail(&R, "trailing data after the JSON value");
  return R.failed ? NULL : root;
}

const lr__jnode *lr__json_get(const lr__jnode *obj, const char *key) {
  if (!obj || obj->kind != LR__J_OBJECT)
    return NULL;
  for (int i = 0; i < obj->n; i++)
    if (!strcmp(obj->keys[i], key))
      return obj->items[i];
  return NULL;
}

void lr__json_doc_read(lr__json_doc *doc, const char *text, size_t len) {
  lr__arena_init(&doc->arena);
  lr__buf_init(&doc->why);
  doc->root = lr__json_read(text, len, &doc->arena, &doc->why);
}

void lr__json_doc_free(lr__json_doc *doc) {
  lr__arena_free(&doc->arena);
  lr__buf_free(&doc->why);
}

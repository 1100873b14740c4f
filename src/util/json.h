/*
 * json.h - a strict JSON reader (RFC 8259) into a small tree in an arena,
 * for the feature server's hot request: parsing a lookup body with a
 * general YAML library cost more than the lookup and its answer together.
 *
 * Strings are unescaped (UTF-8, \u escapes and surrogate pairs included)
 * and NUL-terminated; numbers keep their text, checked against JSON's
 * grammar; objects keep their members in order (a repeated key: the first
 * wins on lookup). Depth is limited, so a hostile body cannot exhaust the
 * stack.
 */
#ifndef LR_UTIL_JSON_H
#define LR_UTIL_JSON_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"

typedef enum {
  LR__J_NULL = 1,
  LR__J_BOOL,
  LR__J_NUMBER,
  LR__J_STRING,
  LR__J_ARRAY,
  LR__J_OBJECT
} lr__jkind;

typedef struct lr__jnode {
  lr__jkind kind;
  const char *text; /* STRING: the value; NUMBER: its text; BOOL: "true" or
                       "false"; NULL: "null" */
  size_t len;       /* of text */
  const char *raw;  /* ARRAY, OBJECT: their text as read, brackets
                       included (not NUL-terminated) */
  size_t raw_len;
  struct lr__jnode **items; /* ARRAY items, OBJECT values */
  const char **keys;        /* OBJECT keys */
  int n;
} lr__jnode;

/* Reads the JSON value that is all of `text` (whitespace around it
 * allowed). Nodes and strings live in `arena`. Returns the root, or NULL
 * after writing `line:col: what is wrong` to `err`. */
lr__jnode *lr__json_read(const char *text, size_t len, lr__arena *arena,
                         lr__buf *err);

/* The value of `key` in an object, or NULL (also when obj is not one). */
const lr__jnode *lr__json_get(const lr__jnode *obj, const char *key);

/* A JSON text read whole with its own arena: `root` (NULL when it is not
 * JSON, `why` then saying where), for readers of a file. */
typedef struct lr__json_doc {
  lr__arena arena;
  lr__buf why;
  const lr__jnode *root;
} lr__json_doc;

void lr__json_doc_read(lr__json_doc *doc, const char *text, size_t len);
void lr__json_doc_free(lr__json_doc *doc);

#endif

/*
 * regex_ast.h - what the pattern parser (regex_parse.c) hands the
 * compiler (regex.c): the pattern as a tree of nodes, and the character
 * classes it names as sorted lists of code-point ranges. Internal to the
 * three files (regex_class.c reads escapes and classes).
 */
#ifndef LR_UTIL_REGEX_AST_H
#define LR_UTIL_REGEX_AST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
  LR__RX_EMPTY,  /* matches the empty text: () or an empty branch */
  LR__RX_CHAR,   /* one code point, `cp` */
  LR__RX_ANY,    /* `.`: any character but \n */
  LR__RX_CLASS,  /* a class, classes[cp] */
  LR__RX_BOL,    /* ^: the start of the text */
  LR__RX_EOL,    /* $: the end of the text */
  LR__RX_CAT,    /* the children one after the other */
  LR__RX_ALT,    /* one of the children */
  LR__RX_REPEAT, /* the child `min` to `max` times (max -1: no limit) */
};

/* A node; children are a list through `child` and `next` (-1 ends it). */
typedef struct lr__rx_node {
  uint8_t kind;
  int min, max;
  uint32_t cp;
  int child, next;
  size_t size; /* instructions it compiles to (at most the cap + 1) */
  int reps;    /* the product of the {m,n} counts nested in it, >= 1 */
  /* the code point index of a ^ (a $) that must stay at the node's start
   * (end) for the node to keep its meaning, -1 when none */
  int bol_at, eol_at;
} lr__rx_node;

/* A class: n ranges from ranges[first] on (the pool of the tree), each a
 * pair lo, hi (inclusive), sorted and disjoint. */
typedef struct lr__rx_class {
  size_t first, n;
} lr__rx_class;

typedef struct lr__rx_tree {
  lr__rx_node *nodes;
  int n_nodes, cap_nodes, root;
  lr__rx_class *classes;
  int n_classes, cap_classes;
  uint32_t *ranges; /* lo, hi pairs */
  size_t n_ranges, cap_ranges;
} lr__rx_tree;

/* The parser's state (regex_parse.c; regex_class.c reads escapes and
 * classes with it). */
typedef struct lr__rx_parser {
  const char *pattern; /* as given, for messages */
  uint32_t *cps;       /* its code points */
  int n, at;           /* how many; the index of the next one */
  int depth;           /* groups open */
  lr__rx_tree *t;
  lr__buf *err;
} lr__rx_parser;

/* Refuses the pattern at code point `index` (0-based): "pattern 'P':
 * character N: " and the formatted reason. Returns LR_EINVAL. */
int lr__rx_fail(lr__rx_parser *p, int index, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The code point `ahead` places past the next one, -1 past the end. */
long lr__rx_peek(const lr__rx_parser *p, int ahead);
/* A new node of `kind` with no children; -1 when out of memory. */
int lr__rx_new_node(lr__rx_parser *p, uint8_t kind, uint32_t cp);
/* A class, [...] or [^...], at p->at (regex_class.c). */
int lr__rx_parse_class(lr__rx_parser *p, int *out);
/* An escape outside a class at p->at: a literal, or \d \w \s and their
 * negations as a class node (regex_class.c). */
int lr__rx_parse_escape_atom(lr__rx_parser *p, int *out);

/* Parses `pattern` into `tree` (zeroed by the caller). Returns 0, or
 * LR_EINVAL with the message in `err`, or LR_ENOMEM; either way the
 * caller frees the tree with lr__rx_tree_free. */
int lr__rx_parse(const char *pattern, lr__rx_tree *tree, lr__buf *err);
void lr__rx_tree_free(lr__rx_tree *tree);

#endif

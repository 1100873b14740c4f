/*
 * regex.c - compiles a pattern's tree (regex_parse.c) into a program for
 * a Thompson automaton and searches text with it (see regex.h and
 * docs/internals/regex.md).
 *
 * A search runs every thread of the automaton in step over the text, one
 * code point at a time, keeping each instruction at most once per step:
 * no backtracking, so the time is at most the text's length times the
 * program's size, whatever the pattern. It answers only whether there is
 * a match, so it keeps no captures, and lazy and greedy quantifiers are
 * the same.
 */
#include "regex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "regex_ast.h"
#include "utf8.h"

enum {
  OP_CHAR,  /* the code point `arg` */
  OP_ANY,   /* any character but \n */
  OP_CLASS, /* a character in classes[arg] */
  OP_BOL,   /* only at the start of the text */
  OP_EOL,   /* only at the end of the text */
  OP_SPLIT, /* go on at both x and y */
  OP_JMP,   /* go on at x */
  OP_MATCH,
};

typedef struct inst {
  uint8_t op;
  uint16_t x, y;
  uint32_t arg;
} inst;

struct lr__regex {
  inst *prog;
  int n;
  int anchored; /* every match starts at the start of the text */
  lr__rx_class *classes;
  uint32_t *ranges;
};

/* The program being written. */
typedef struct emitter {
  const lr__rx_tree *t;
  inst *prog;
  int n;
} emitter;

static int put(emitter *e, uint8_t op, uint32_t arg) {
  e->prog[e->n] = (inst){.op = op, .arg = arg};
  return e->n++;
}

static void emit(emitter *e, int node);

/* Alternatives: a split before each but the last, which tries it or the
 * rest; each but the last jumps to the end. The jumps are chained through
 * their x until the end is known. */
static void emit_alt(emitter *e, int child) {
  int chain = -1;
  for (; e->t->nodes[child].next >= 0; child = e->t->nodes[child].next) {
    int split = put(e, OP_SPLIT, 0);
    e->prog[split].x = (uint16_t)e->n;
    emit(e, child);
    int jmp = put(e, OP_JMP, 0);
    e->prog[jmp].x = (uint16_t)chain;
    chain = jmp;
    e->prog[split].y = (uint16_t)e->n;
  }
  emit(e, child);
  while (chain >= 0) {
    int prev = (int16_t)e->prog[chain].x;
    e->prog[chain].x = (uint16_t)e->n;
    chain = prev;
  }
}

/* child{min,max}: min copies, then either a loop (no maximum: x* or,
 * after min - 1 copies, x+) or max - min optional copies. Sizes as
 * repeat_size in regex_parse.c. */
static void emit_repeat(emitter *e, const lr__rx_node *node) {
  int loop = node->max < 0 && node->min > 0;
  for (int i = 0; i < node->min - loop; i++)
    emit(e, node->child);
  if (loop) {
    int start = e->n;
    emit(e, node->child);
    int split = put(e, OP_SPLIT, 0);
    e->prog[split].x = (uint16_t)start;
    e->prog[split].y = (uint16_t)e->n;
  } else if (node->max < 0) {
    int split = put(e, OP_SPLIT, 0);
    e->prog[split].x = (uint16_t)e->n;
    emit(e, node->child);
    int jmp = put(e, OP_JMP, 0);
    e->prog[jmp].x = (uint16_t)split;
    e->prog[split].y = (uint16_t)e->n;
  }
  for (int i = node->min; i < node->max; i++) {
    int split = put(e, OP_SPLIT, 0);
    e->prog[split].x = (uint16_t)e->n;
    emit(e, node->child);
    e->prog[split].y = (uint16_t)e->n;
  }
}

/* Writes the instructions of `node` (recursion as deep as the groups). */
static void emit(emitter *e, int index) {
  const lr__rx_node *node = &e->t->nodes[index];
  static const uint8_t ops[] = {
      [LR__RX_CHAR] = OP_CHAR, [LR__RX_ANY] = OP_ANY,
      [LR__RX_CLASS] = OP_CLASS, [LR__RX_BOL] = OP_BOL,
      [LR__RX_EOL] = OP_EOL};
  switch (node->kind) {
  case LR__RX_EMPTY:
    return;
  case LR__RX_CAT:
    for (int child = node->child; child >= 0; child = e->t->nodes[child].next)
      emit(e, child);
    return;
  case LR__RX_ALT:
    emit_alt(e, node->child);
    return;
  case LR__RX_REPEAT:
    emit_repeat(e, node);
    return;
  default:
    put(e, ops[node->kind], node->cp);
  }
}

/* Whether every match must start at the text's start (a leading ^), so
 * a search need not start threads further on. */
static int starts_anchored(const lr__rx_tree *t) {
  const lr__rx_node *root = &t->nodes[t->root];
  if (root->kind == LR__RX_CAT)
    root = &t->nodes[root->child];
  return root->kind == LR__RX_BOL;
}

int lr__regex_compile(const char *pattern, lr__regex **out, lr__buf *err) {
  *out = NULL;
  lr__rx_tree tree = {0};
  int rc = lr__rx_parse(pattern, &tree, err);
  lr__regex *re = NULL;
  inst *prog = NULL;
  size_t size = rc ? 0 : tree.nodes[tree.root].size + 1; /* + the match */
  if (!rc && (!(re = calloc(1, sizeof *re)) ||
              !(prog = malloc(size * sizeof *prog))))
    rc = LR_ENOMEM;
  if (rc == LR_ENOMEM)
    lr__buf_puts(err, "out of memory compiling a regular expression");
  if (rc) {
    free(re);
    lr__rx_tree_free(&tree);
    return rc;
  }
  emitter e = {.t = &tree, .prog = prog};
  emit(&e, tree.root);
  put(&e, OP_MATCH, 0);
  *re = (lr__regex){.prog = prog, .n = e.n, .anchored = starts_anchored(&tree),
                    .classes = tree.classes, .ranges = tree.ranges};
  tree.classes = NULL;
  tree.ranges = NULL;
  lr__rx_tree_free(&tree);
  *out = re;
  return 0;
}

void lr__regex_free(lr__regex *re) {
  if (!re)
    return;
  free(re->prog);
  free(re->classes);
  free(re->ranges);
  free(re);
}

/* Whether code point `cp` is in a class (binary search of its ranges). */
static int in_class(const lr__regex *re, uint32_t cls, uint32_t cp) {
  const uint32_t *r = re->ranges + re->classes[cls].first;
  size_t lo = 0, hi = re->classes[cls].n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < r[2 * mid])
      hi = mid;
    else if (cp > r[2 * mid + 1])
      lo = mid + 1;
    else
      return 1;
  }
  return 0;
}

/* Whether the character-consuming instruction `in` takes `cp`. */
static int takes(const lr__regex *re, const inst *in, uint32_t cp) {
  switch (in->op) {
  case OP_CHAR:
    return cp == in->arg;
  case OP_ANY:
    return cp != '\n';
  case OP_CLASS:
    return in_class(re, in->arg, cp);
  }
  return 0;
}

/* A search's state: the threads at this step and the next (instruction
 * indices), and the step at which each instruction was last added. */
typedef struct search {
  const lr__regex *re;
  uint16_t *now, *next, *stack;
  int n_now, n_next;
  uint32_t *mark;
  uint32_t step;
} search;

/* Adds the thread at `pc` to the next step's list, following jumps,
 * splits and the anchors that hold at this position; each instruction at
 * most once a step. */
static void add_thread(search *s, uint16_t pc, int at_start, int at_end) {
  int sp = 0;
  if (s->mark[pc] == s->step)
    return;
  s->mark[pc] = s->step;
  s->stack[sp++] = pc;
#define PUSH(to)                                                               \
  do {                                                                         \
    uint16_t to_ = (to);                                                       \
    if (s->mark[to_] != s->step) {                                             \
      s->mark[to_] = s->step;                                                  \
      s->stack[sp++] = to_;                                                    \
    }                                                                          \
  } while (0)
  while (sp > 0) {
    uint16_t at = s->stack[--sp];
    const inst *in = &s->re->prog[at];
    if (in->op == OP_JMP || in->op == OP_SPLIT)
      PUSH(in->x);
    if (in->op == OP_SPLIT)
      PUSH(in->y);
    else if ((in->op == OP_BOL && at_start) || (in->op == OP_EOL && at_end))
      PUSH((uint16_t)(at + 1));
    else if (in->op != OP_JMP && in->op != OP_BOL && in->op != OP_EOL)
      s->next[s->n_next++] = at;
  }
#undef PUSH
}

/* Moves to the next step: the next list becomes this one. */
static void advance(search *s) {
  uint16_t *swap = s->now;
  s->now = s->next;
  s->next = swap;
  s->n_now = s->n_next;
  s->n_next = 0;
  if (++s->step == 0) { /* after 4 billion steps: start the marks over */
    memset(s->mark, 0, (size_t)s->re->n * sizeof *s->mark);
    s->step = 1;
  }
}

int lr__regex_search(const lr__regex *re, const char *text, size_t len) {
  uint16_t lists[2][LR__REGEX_MAX_PROGRAM], stack[LR__REGEX_MAX_PROGRAM];
  uint32_t mark[LR__REGEX_MAX_PROGRAM];
  memset(mark, 0, (size_t)re->n * sizeof *mark);
  search s = {.re = re, .now = lists[0], .next = lists[1], .stack = stack,
              .mark = mark, .step = 1};
  for (size_t pos = 0;; ) {
    /* a new thread starts here, unless the pattern starts with ^ */
    if (pos == 0 || !re->anchored)
      add_thread(&s, 0, pos == 0, pos == len);
    advance(&s);
    if (s.n_now == 0 && re->anchored)
      return 0;
    size_t width = 0;
    uint32_t cp = pos < len ? lr__utf8_decode(text + pos, len - pos, &width)
                            : 0;
    for (int i = 0; i < s.n_now; i++) {
      const inst *in = &re->prog[s.now[i]];
      if (in->op == OP_MATCH)
        return 1;
      if (pos < len && takes(re, in, cp))
        add_thread(&s, (uint16_t)(s.now[i] + 1), 0, pos + width == len);
    }
    if (pos == len)
      return 0;
    pos += width;
  }
}

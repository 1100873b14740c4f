/*
 * parse.c - the expression grammar: a lexer and a precedence-climbing
 * parser that build the syntax tree of prog.h.
 *
 * Lowest to highest precedence: `or`; `and`; `not`; comparisons (`=` or
 * `==`, `!=` or `<>`, `< <= > >=`, not chained); `+ -`; `* / // %`; unary
 * minus; then literals (numbers, 'strings' or "strings" with the quote
 * doubled inside, true, false, null), names and calls `f(a, b)`.
 * Keywords are case-insensitive, as in SQL. The parser stops at the first
 * error: later errors in the same expression would mostly be echoes of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/clocale.h"
#include "prog.h"

typedef enum {
  T_END = 0, T_INT, T_FLOAT, T_STRING, T_NAME, T_OP, T_LPAREN, T_RPAREN,
  T_COMMA, T_BAD
} tok_kind;

typedef struct token {
  tok_kind kind;
  int op;    /* T_OP: an LR__OP_*; T_NAME keywords: and/or/not as ops */
  int pos;
  int len;
} token;

typedef struct parser {
  const char *src;
  int at;       /* the lexer's position */
  token tok;    /* the current token */
  lr__arena *arena;
  int output;
  lr__expr_error_fn on_error;
  void *ctx;
  int failed;
} parser;

static void error_at(parser *P, int pos, const char *hint, const char *fmt,
                     const char *arg) {
  if (P->failed)
    return;
  P->failed = 1;
  char msg[256];
  snprintf(msg, sizeof msg, fmt, arg);
  P->on_error(P->ctx, P->output, pos, msg, hint);
}

static int is_word(const parser *P, const token *t, const char *word) {
  return t->kind == T_NAME && (size_t)t->len == strlen(word) &&
         lr__ascii_ncasecmp(P->src + t->pos, word, (size_t)t->len) == 0;
}

/* The operator at `s`, or 0; sets its length. */
static int scan_op(const char *s, int *len) {
  static const struct { const char *text; int op; } ops[] = {
      {"//", LR__OP_IDIV}, {"==", LR__OP_EQ}, {"!=", LR__OP_NE},
      {"<>", LR__OP_NE},   {"<=", LR__OP_LE}, {">=", LR__OP_GE},
      {"+", LR__OP_ADD},   {"-", LR__OP_SUB}, {"*", LR__OP_MUL},
      {"/", LR__OP_DIV},   {"%", LR__OP_MOD}, {"=", LR__OP_EQ},
      {"<", LR__OP_LT},    {">", LR__OP_GT},
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    size_t n = strlen(ops[i].text);
    if (strncmp(s, ops[i].text, n) == 0) {
      *len = (int)n;
      return ops[i].op;
    }
  }
  return 0;
}

/* Length of the number at `s`; sets *is_float for a fraction or exponent. */
static int scan_number(const char *s, int *is_float) {
  int n = 0;
  *is_float = 0;
  while (lr__is_digit((unsigned char)s[n]))
    n++;
  if (s[n] == '.' && lr__is_digit((unsigned char)s[n + 1])) {
    *is_float = 1;
    for (n++; lr__is_digit((unsigned char)s[n]); n++) {}
  }
  if ((s[n] == 'e' || s[n] == 'E') &&
      (lr__is_digit((unsigned char)s[n + 1]) ||
       ((s[n + 1] == '+' || s[n + 1] == '-') &&
        lr__is_digit((unsigned char)s[n + 2])))) {
    *is_float = 1;
    for (n += 2; lr__is_digit((unsigned char)s[n]); n++) {}
  }
  return n;
}

/* Length of the quoted string at `s` (quotes included), or -1 unclosed. */
static int scan_string(const char *s) {
  char q = s[0];
  for (int n = 1; s[n]; n++) {
    if (s[n] == q) {
      if (s[n + 1] != q)
        return n + 1;
      n++;
    }
  }
  return -1;
}

static void next(parser *P) {
  const char *s = P->src;
  while (lr__is_space((unsigned char)s[P->at]))
    P->at++;
  token t = {T_END, 0, P->at, 0};
  const char *c = s + P->at;
  int is_float = 0;
  if (!*c) {
    t.kind = T_END;
  } else if (lr__is_digit((unsigned char)*c) ||
             (*c == '.' && lr__is_digit((unsigned char)c[1]))) {
    t.len = scan_number(c, &is_float);
    if (*c == '.')
      t.len = 1 + scan_number(c + 1, &is_float), is_float = 1;
    t.kind = is_float ? T_FLOAT : T_INT;
  } else if (lr__is_alpha((unsigned char)*c) || *c == '_') {
    while (lr__is_alnum((unsigned char)c[t.len]) || c[t.len] == '_')
      t.len++;
    t.kind = T_NAME;
  } else if (*c == '\'' || *c == '"') {
    t.len = scan_string(c);
    t.kind = t.len < 0 ? T_BAD : T_STRING;
    if (t.len < 0)
      error_at(P, t.pos, "close it with the same quote", "unclosed string%s",
               "");
  } else if (*c == '(' || *c == ')' || *c == ',') {
    t.len = 1;
    t.kind = *c == '(' ? T_LPAREN : *c == ')' ? T_RPAREN : T_COMMA;
  } else if ((t.op = scan_op(c, &t.len))) {
    t.kind = T_OP;
  } else {
    char what[2] = {*c, 0};
    t.kind = T_BAD;
    error_at(P, t.pos, "operators: + - * / // % = != < <= > >= and or not",
             "unexpected character '%s'", what);
  }
  if (t.len > 0)
    P->at += t.len;
  P->tok = t;
}

static lr__node *new_node(parser *P, lr__node_kind kind, int pos, int n_args) {
  lr__node *n = lr__arena_alloc(P->arena, sizeof *n);
  if (n && n_args)
    n->args = lr__arena_array(P->arena, (size_t)n_args, sizeof(lr__node *));
  if (!n || (n_args && !n->args)) {
    error_at(P, pos, "", "out of memory%s", "");
    return NULL;
  }
  n->kind = (uint8_t)kind;
  n->pos = pos;
  n->n_args = n_args;
  return n;
}

/* A short description of the current token, for messages. */
static const char *tok_text(parser *P, char buf[40]) {
  if (P->tok.kind == T_END)
    return "the end of the expression";
  snprintf(buf, 40, "'%.*s'", P->tok.len > 30 ? 30 : P->tok.len,
           P->src + P->tok.pos);
  return buf;
}

static lr__node *parse_expr(parser *P, int min_prec);

/* A literal's node from the current token. */
static lr__node *literal(parser *P) {
  token t = P->tok;
  const char *s = P->src + t.pos;
  lr__node *n = NULL;
  if (t.kind == T_INT || t.kind == T_FLOAT) {
    char *end;
    errno = 0;
    long long iv = t.kind == T_INT ? strtoll(s, &end, 10) : 0;
    int as_float = t.kind == T_FLOAT || errno == ERANGE;
    n = new_node(P, as_float ? LR__N_FLOAT : LR__N_INT, t.pos, 0);
    if (n && as_float)
      n->fval = lr__strtod(s, &end);
    else if (n)
      n->ival = iv;
  } else { /* a string: drop the quotes, undouble inner quotes */
    n = new_node(P, LR__N_STRING, t.pos, 0);
    char *text = n ? lr__arena_alloc(P->arena, (size_t)t.len) : NULL;
    if (!text)
      return NULL;
    size_t k = 0;
    for (int i = 1; i < t.len - 1; i++) {
      text[k++] = s[i];
      if (s[i] == s[0])
        i++;
    }
    n->text = text;
    n->len = k;
  }
  next(P);
  return n;
}

/* `name` or `name(args)`, or a keyword literal. */
static lr__node *name_or_call(parser *P) {
  token t = P->tok;
  if (is_word(P, &t, "true") || is_word(P, &t, "false") ||
      is_word(P, &t, "null")) {
    lr__node *n = new_node(P, is_word(P, &t, "null") ? LR__N_NULL : LR__N_BOOL,
                           t.pos, 0);
    if (n)
      n->ival = is_word(P, &t, "true");
    next(P);
    return n;
  }
  next(P);
  int is_call = P->tok.kind == T_LPAREN;
  lr__node *args[16];
  int n_args = 0;
  if (is_call) {
    next(P);
    while (!P->failed && P->tok.kind != T_RPAREN) {
      if (n_args == 16) {
        error_at(P, P->tok.pos, "", "more than 16 arguments%s", "");
        return NULL;
      }
      args[n_args++] = parse_expr(P, 0);
      if (P->tok.kind == T_COMMA)
        next(P);
      else if (P->tok.kind != T_RPAREN) {
        char buf[40];
        error_at(P, P->tok.pos, "separate arguments with commas",
                 "expected ',' or ')' but found %s", tok_text(P, buf));
      }
    }
    next(P);
  }
  lr__node *n = new_node(P, is_call ? LR__N_CALL : LR__N_NAME, t.pos, n_args);
  if (!n || P->failed)
    return NULL;
  n->text = lr__arena_strndup(P->arena, P->src + t.pos, (size_t)t.len);
  n->len = (size_t)t.len;
  if (n_args)
    memcpy(n->args, args, (size_t)n_args * sizeof(lr__node *));
  return n;
}

static lr__node *primary(parser *P) {
  token t = P->tok;
  char buf[40];
  switch (t.kind) {
  case T_INT:
  case T_FLOAT:
  case T_STRING:
    return literal(P);
  case T_NAME:
    return name_or_call(P);
  case T_LPAREN: {
    next(P);
    lr__node *inner = parse_expr(P, 0);
    if (P->tok.kind != T_RPAREN)
      error_at(P, P->tok.pos, "close the parenthesis opened before",
               "expected ')' but found %s", tok_text(P, buf));
    next(P);
    return inner;
  }
  default:
    error_at(P, t.pos, "write a number, a name, a call or '(' here",
             "expected a value but found %s", tok_text(P, buf));
    return NULL;
  }
}

/* The binary operator at the current token and its precedence, or 0. */
static int binary_op(parser *P, int *prec) {
  const token *t = &P->tok;
  if (is_word(P, t, "or"))
    return *prec = 1, LR__OP_OR;
  if (is_word(P, t, "and"))
    return *prec = 2, LR__OP_AND;
  if (t->kind != T_OP)
    return 0;
  switch (t->op) {
  case LR__OP_ADD:
  case LR__OP_SUB: *prec = 5; break;
  case LR__OP_MUL:
  case LR__OP_DIV:
  case LR__OP_IDIV:
  case LR__OP_MOD: *prec = 6; break;
  default: *prec = 4; break; /* comparisons */
  }
  return t->op;
}

/* Prefix operators: `not` (binds looser than comparisons) and `-`. */
static lr__node *unary(parser *P, int min_prec) {
  token t = P->tok;
  int is_not = is_word(P, &t, "not");
  if (!is_not && !(t.kind == T_OP && t.op == LR__OP_SUB))
    return primary(P);
  next(P);
  lr__node *arg = is_not ? parse_expr(P, min_prec > 3 ? min_prec : 3)
                         : parse_expr(P, 7);
  lr__node *n = new_node(P, LR__N_UNARY, t.pos, 1);
  if (!n || !arg)
    return NULL;
  n->op = is_not ? LR__OP_NOT : LR__OP_SUB;
  n->args[0] = arg;
  return n;
}

static lr__node *parse_expr(parser *P, int min_prec) {
  lr__node *left = unary(P, min_prec);
  int prec, op;
  while (!P->failed && (op = binary_op(P, &prec)) && prec > min_prec) {
    int pos = P->tok.pos;
    next(P);
    lr__node *right = parse_expr(P, prec);
    int ignored;
    if (prec == 4 && binary_op(P, &ignored) && ignored == 4) {
      error_at(P, P->tok.pos, "combine comparisons with `and`",
               "comparisons cannot be chained%s", "");
      return NULL;
    }
    lr__node *n = new_node(P, LR__N_BINARY, pos, 2);
    if (!n || !left || !right)
      return NULL;
    n->op = op;
    n->args[0] = left;
    n->args[1] = right;
    left = n;
  }
  return P->failed ? NULL : left;
}

lr__node *lr__expr_parse(const char *src, lr__arena *arena, int output,
                         lr__expr_error_fn on_error, void *ctx) {
  parser P = {.src = src, .arena = arena, .output = output,
              .on_error = on_error, .ctx = ctx};
  next(&P);
  if (P.tok.kind == T_END) {
    error_at(&P, 0, "e.g. `conv_rate * 2`", "the expression is empty%s", "");
    return NULL;
  }
  lr__node *root = parse_expr(&P, 0);
  if (!P.failed && P.tok.kind != T_END) {
    char buf[40];
    error_at(&P, P.tok.pos, "a complete expression ends here; is an "
             "operator missing?", "unexpected %s", tok_text(&P, buf));
  }
  return P.failed ? NULL : root;
}

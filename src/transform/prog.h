/*
 * prog.h - inside the transform layer: the syntax tree the parser builds,
 * the instructions the compiler emits from it, and the program the
 * evaluator runs. Not for other layers (they use expr.h).
 *
 * A program is straight-line code over registers. Each register is a
 * column of the batch; inputs and constants occupy the first registers and
 * every instruction writes a new one, so an instruction never reads what a
 * later one writes and a run is one pass per instruction over the batch.
 */
#ifndef LR_TRANSFORM_PROG_H
#define LR_TRANSFORM_PROG_H

#include "../util/arena.h"
#include "expr.h"

/* ---- syntax ------------------------------------------------------------ */

typedef enum {
  LR__N_INT = 1, /* literals */
  LR__N_FLOAT,
  LR__N_STRING,
  LR__N_BOOL,
  LR__N_NULL,
  LR__N_NAME,    /* an input */
  LR__N_UNARY,   /* op: '-' or 'n' (not) */
  LR__N_BINARY,  /* op: a token kind below */
  LR__N_CALL     /* text: the function's name */
} lr__node_kind;

/* Binary and unary operators, as the lexer names them. */
enum {
  LR__OP_ADD = '+',
  LR__OP_SUB = '-',
  LR__OP_MUL = '*',
  LR__OP_DIV = '/',
  LR__OP_MOD = '%',
  LR__OP_IDIV = 'D', /* // */
  LR__OP_EQ = '=',
  LR__OP_NE = '!',
  LR__OP_LT = '<',
  LR__OP_LE = 'l',
  LR__OP_GT = '>',
  LR__OP_GE = 'g',
  LR__OP_AND = '&',
  LR__OP_OR = '|',
  LR__OP_NOT = 'n'
};

typedef struct lr__node {
  uint8_t kind; /* an lr__node_kind */
  int op;
  int pos;      /* byte offset of the node's first character */
  int64_t ival; /* INT, BOOL */
  double fval;  /* FLOAT */
  const char *text; /* STRING (unescaped), NAME, CALL: arena copies */
  size_t len;
  struct lr__node **args; /* UNARY: 1, BINARY: 2, CALL: n_args */
  int n_args;
} lr__node;

/* Parses `src`: returns the tree, or NULL after reporting the first syntax
 * error through on_error (output index `output`). Nodes live in `arena`. */
lr__node *lr__expr_parse(const char *src, lr__arena *arena, int output,
                         lr__expr_error_fn on_error, void *ctx);

/* ---- instructions ------------------------------------------------------ */

typedef enum {
  LR__I_NOW = 1, LR__I_TOFLOAT,
  LR__I_ADD_I, LR__I_SUB_I, LR__I_MUL_I, LR__I_IDIV_I, LR__I_MOD_I,
  LR__I_NEG_I, LR__I_ABS_I, LR__I_MIN_I, LR__I_MAX_I,
  LR__I_ADD_F, LR__I_SUB_F, LR__I_MUL_F, LR__I_DIV_F, LR__I_IDIV_F,
  LR__I_MOD_F, LR__I_NEG_F, LR__I_ABS_F, LR__I_MIN_F, LR__I_MAX_F,
  LR__I_SQRT, LR__I_LOG, LR__I_EXP, LR__I_POW,
  LR__I_FLOOR, LR__I_CEIL, LR__I_ROUND, LR__I_ROUND_N,
  LR__I_CMP_I, LR__I_CMP_F, LR__I_CMP_S, LR__I_CMP_B, /* aux: the op */
  LR__I_AND, LR__I_OR, LR__I_NOT,
  LR__I_IF, LR__I_COALESCE, LR__I_IS_NULL,
  LR__I_LOWER, LR__I_UPPER, LR__I_LENGTH, LR__I_CONCAT,
  LR__I_AGE, LR__I_HOUR, LR__I_DOW,
  LR__I_DOT, LR__I_COSINE, LR__I_NORM,
  /* casts: to int, float, bool, string, time from the type in aux */
  LR__I_F2I, LR__I_S2I, LR__I_T2I, LR__I_B2I,
  LR__I_S2F, LR__I_F2F32,
  LR__I_S2B, LR__I_I2B,
  LR__I_I2S, LR__I_F2S, LR__I_B2S, LR__I_T2S,
  LR__I_I2T, LR__I_S2T
} lr__iop;

typedef struct lr__instr {
  uint8_t op;   /* an lr__iop */
  uint8_t aux;  /* CMP: the operator */
  uint16_t dst;
  uint16_t a, b, c;
} lr__instr;

/* A constant register's value. `type` LR__ET_NULL makes the register an
 * all-null column (of the register's own type, which `null` took from the
 * values around it). */
typedef struct lr__const {
  uint16_t reg;
  uint8_t type;
  int64_t i;
  double f;
  const char *s;
  size_t len;
} lr__const;

struct lr__prog {
  lr__arena arena;
  int n_inputs;           /* registers 0..n_inputs-1 */
  uint8_t *input_types;   /* lr__etype of each input */
  uint8_t *input_used;
  uint8_t *output_inputs; /* n_out x n_inputs: 1 when output k reads input
                             i */
  int n_regs;
  uint8_t *reg_types;     /* lr__etype of each register */
  lr__const *consts;
  int n_consts;
  lr__instr *code;
  int n_code;
  int n_out;
  uint16_t *out_regs;     /* the register holding output k */
  uint8_t *out_dtypes;    /* its declared lr__dtype */
  int uses_now;
};

#endif

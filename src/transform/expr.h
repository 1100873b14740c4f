/*
 * expr.h - the expression language of on-demand feature views: a compiler
 * from expression text to a compact program, and a vectorized evaluator
 * that runs a program over a batch of rows.
 *
 * The same program runs online (a lookup's rows) and offline (the chunks of
 * a training-set join), so training and serving cannot compute differently.
 * This layer knows nothing of views or stores: it compiles expressions over
 * a list of named, typed inputs and evaluates over caller-filled columns.
 * The registry builds the input list of a view (registry/odfv.c); the online
 * and offline layers fill the columns.
 *
 * Value model: every column holds one of six value types (lr__etype).
 * Feature dtypes map onto them: int32/int64 -> int (int64), float32/float64
 * -> float (double), bool, string, timestamp (microseconds), and
 * array<float32> -> vector. Nulls propagate; a division by zero, an integer
 * overflow or a float result that is not finite gives null, never an error.
 */
#ifndef LR_TRANSFORM_EXPR_H
#define LR_TRANSFORM_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "../../include/larder.h"
#include "../util/buf.h"

typedef enum {
  LR__ET_NULL = 0, /* the type of the literal `null` only */
  LR__ET_BOOL,
  LR__ET_INT,
  LR__ET_FLOAT,
  LR__ET_STRING,
  LR__ET_TIME,
  LR__ET_VEC
} lr__etype;

/* A string value: not NUL-terminated. */
typedef struct lr__estr {
  const char *ptr;
  size_t len;
} lr__estr;

/* An array<float32> value. */
typedef struct lr__evec {
  const float *ptr;
  size_t n;
} lr__evec;

/* A column of a batch: `null[i]` is 1 for a null row; the values array
 * matching `type` holds the others. */
typedef struct lr__ecol {
  uint8_t type; /* an lr__etype */
  uint8_t *null;
  union {
    uint8_t *b;
    int64_t *i; /* ints and times */
    double *f;
    lr__estr *s;
    lr__evec *v;
  } u;
} lr__ecol;

/* An input an expression may name: `name`, or `alias` when not NULL (a
 * view's feature is reachable as `feature` and as `view__feature`). */
typedef struct lr__expr_input {
  const char *name;
  const char *alias;
  uint8_t dtype; /* an lr__dtype */
} lr__expr_input;

/* A compile error: the output's index, the byte offset in its expression,
 * the message and a hint (may be empty). */
typedef void (*lr__expr_error_fn)(void *ctx, int output, int pos,
                                  const char *message, const char *hint);

typedef struct lr__prog lr__prog;

/*
 * lr__prog_compile - compiles `n_out` expressions over `inputs` into one
 * program. Output k is `exprs[k]`, typed against `out_dtypes[k]`. Every
 * error found is reported through `on_error`. Returns 0 (and *out, to free
 * with lr__prog_free), LR_EINVAL after reporting errors, or LR_ENOMEM.
 */
int lr__prog_compile(const lr__expr_input *inputs, int n_inputs,
                     const char *const *exprs, const uint8_t *out_dtypes,
                     int n_out, lr__expr_error_fn on_error, void *ctx,
                     lr__prog **out);
void lr__prog_free(lr__prog *p);

/* 1 when the program reads input i (the others need not be filled). */
int lr__prog_uses_input(const lr__prog *p, int i);
/* 1 when output k reads input i: a caller computing only some outputs
 * needs only their inputs (the others' outputs are then meaningless). */
int lr__prog_output_uses_input(const lr__prog *p, int k, int i);
/* 1 when the program calls now() or age_seconds(). */
int lr__prog_uses_now(const lr__prog *p);
/* The value type input i is read as. */
lr__etype lr__etype_of_dtype(uint8_t dtype);

/* Scratch space to run a program over up to `capacity` rows: the program
 * may be shared by threads, an lr__eval may not. */
typedef struct lr__eval lr__eval;

int lr__eval_create(const lr__prog *p, int capacity, lr__eval **out);
void lr__eval_free(lr__eval *e);

/* Input i's column, to fill for the rows of the next run (values as
 * lr__etype_of_dtype of the input's dtype). Strings and vectors point at
 * the caller's memory, which must stay valid during the run. */
lr__ecol *lr__eval_input(lr__eval *e, int i);

/* Sets row `row` of input i from a value (LR_TYPE_NULL, or any dtype that
 * reads as the input's value type: int32 and int64 as int, float32 and
 * float64 as float; an int given for a float input is converted). Returns
 * 0, or LR_ETYPE when the value cannot be read as that type. */
int lr__eval_set(lr__eval *e, int i, int row, const lr_value *v);

/*
 * lr__eval_run - runs the program over rows 0..n-1 (n <= capacity). `now`
 * gives each row's current time in microseconds: the time of a lookup
 * online, each entity row's timestamp offline (point-in-time correct). It
 * may be NULL when the program does not use now(). Returns 0.
 */
int lr__eval_run(lr__eval *e, int n, const int64_t *now);

/* Output k of the last run, at row `row`, as a value of the output's
 * declared dtype (LR_TYPE_NULL when null, or out of the dtype's range).
 * Strings point into the eval: valid until its next run. */
void lr__eval_get(const lr__eval *e, int k, int row, lr_value *out);

#endif

/*
 * expr.c - fuzzes the expression language (src/transform/parse.c,
 * compile.c, and eval.c behind them). The first byte picks the output's
 * dtype, the rest is the expression text over inputs of every dtype. An
 * expression that compiles is run over rows of edge values (nulls, zero,
 * the int64 extremes, NaN, empty and long strings, empty and short
 * vectors) and every output read back; a refusal must have reported an
 * error.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "util/dtype.h"
#include "transform/expr.h"

static const lr__expr_input inputs[] = {
    {"b", NULL, LR__DT_BOOL},        {"i", "v__i", LR__DT_INT32},
    {"j", NULL, LR__DT_INT64},       {"f", NULL, LR__DT_FLOAT32},
    {"d", NULL, LR__DT_FLOAT64},     {"s", "v__s", LR__DT_STRING},
    {"t", NULL, LR__DT_TIMESTAMP},
    {"vec", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
    {"w", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
};
enum { N_INPUTS = sizeof inputs / sizeof inputs[0], ROWS = 4 };

static const uint8_t out_types[] = {
    LR__DT_BOOL,    LR__DT_INT32,  LR__DT_INT64,    LR__DT_FLOAT32,
    LR__DT_FLOAT64, LR__DT_STRING, LR__DT_TIMESTAMP,
    LR__DT_ARRAY | LR__DT_FLOAT32};

static const float vec3[] = {1.0f, -2.5f, 0.0f};
static const char long_text[] =
    "ÀÉÎõü, a long string with UTF-8 and spaces      and digits 0123456789";

static void on_error(void *ctx, int output, int pos, const char *message,
                     const char *hint) {
  (void)output, (void)pos, (void)hint;
  if (!message || !*message)
    __builtin_trap();
  ++*(int *)ctx;
}

/* Row r's value of input i: row 0 all null, the others edge values. */
static lr_value value_of(int i, int r) {
  lr_value v = {.type = LR_TYPE_NULL};
  if (r == 0)
    return v;
  v.type = inputs[i].dtype;
  switch (inputs[i].dtype) {
  case LR__DT_BOOL: v.v.b = r & 1; break;
  case LR__DT_INT32: v.v.i32 = r == 1 ? 0 : r == 2 ? INT32_MIN : INT32_MAX; break;
  case LR__DT_INT64: v.v.i64 = r == 1 ? -1 : r == 2 ? INT64_MIN : INT64_MAX; break;
  case LR__DT_FLOAT32: v.v.f32 = r == 1 ? -0.0f : r == 2 ? FLT_MAX : NAN; break;
  case LR__DT_FLOAT64: v.v.f64 = r == 1 ? 1e-310 : r == 2 ? -DBL_MAX : INFINITY; break;
  case LR__DT_STRING:
    v.v.str.ptr = r == 1 ? "" : r == 2 ? " 12 " : long_text;
    v.v.str.len = strlen(v.v.str.ptr);
    break;
  case LR__DT_TIMESTAMP:
    v.v.ts = r == 1 ? 0 : r == 2 ? -253402300799000000LL : 253402300799999999LL;
    break;
  default: /* array<float32> */
    v.v.array.data = vec3;
    v.v.array.n = r == 1 ? 0 : r == 2 ? 1 : 3;
  }
  return v;
}

static void run(const lr__prog *prog) {
  lr__eval *e = NULL;
  if (lr__eval_create(prog, ROWS, &e))
    return;
  for (int i = 0; i < (int)N_INPUTS; i++)
    for (int r = 0; r < ROWS; r++) {
      lr_value v = value_of(i, r);
      if (lr__eval_set(e, i, r, &v))
        __builtin_trap(); /* every value here has its input's type */
    }
  int64_t now[ROWS] = {0, 1704103200000000LL, INT64_MIN / 2, 253402300799999999LL};
  lr__eval_run(e, ROWS, now);
  volatile size_t sum = 0;
  for (int r = 0; r < ROWS; r++) {
    lr_value out;
    lr__eval_get(e, 0, r, &out);
    if (out.type == LR_TYPE_STRING)
      for (size_t k = 0; k < out.v.str.len; k++)
        sum += (unsigned char)out.v.str.ptr[k];
  }
  (void)sum;
  lr__eval_free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t out_type = out_types[data[0] % sizeof out_types];
  char *text = malloc(size);
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';
  const char *exprs[] = {text};
  lr__prog *prog = NULL;
  int errors = 0;
  int rc = lr__prog_compile(inputs, N_INPUTS, exprs, &out_type, 1, on_error,
                            &errors, &prog);
  if (rc == LR_EINVAL && errors == 0)
    __builtin_trap(); /* a refusal always says why */
  if (rc == 0)
    run(prog);
  lr__prog_free(prog);
  free(text);
  return 0;
}

/*
 * test_transform.c - the expression language of on-demand views
 * (transform/expr.h): every operator and function, with nulls and type
 * edges; division by zero and overflow; parse, name and type errors with
 * their positions; and batches, which must give row for row what single
 * rows give.
 *
 * Every expression is evaluated over one fixed set of inputs (see INPUTS),
 * at a fixed `now`.
 */
#include <math.h>
#include <stdint.h>

#include "helpers.h"
#include "util/dtype.h"
#include "transform/expr.h"

/* ---- fixture ------------------------------------------------------------- */

enum { I, J, F, G, S, U, NS, B, T, V, W, Z, O, N, BY, AMB1, AMB2, N_INPUTS };

static const lr__expr_input INPUTS[N_INPUTS] = {
    [I] = {"i", "src__i", LR__DT_INT64},
    [J] = {"j", NULL, LR__DT_INT32},
    [F] = {"f", NULL, LR__DT_FLOAT64},
    [G] = {"g", NULL, LR__DT_FLOAT32},
    [S] = {"s", NULL, LR__DT_STRING},
    [U] = {"u", NULL, LR__DT_STRING},
    [NS] = {"ns", NULL, LR__DT_STRING},
    [B] = {"b", NULL, LR__DT_BOOL},
    [T] = {"t", NULL, LR__DT_TIMESTAMP},
    [V] = {"v", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
    [W] = {"w", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
    [Z] = {"z", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
    [O] = {"o", NULL, LR__DT_ARRAY | LR__DT_FLOAT32},
    [N] = {"n", NULL, LR__DT_INT64},
    [BY] = {"raw", NULL, LR__DT_BYTES},
    [AMB1] = {"rate", "a__rate", LR__DT_FLOAT64},
    [AMB2] = {"rate", "b__rate", LR__DT_FLOAT64},
};

static const float VEC_V[] = {1, 2, 2}, VEC_W[] = {2, 0, 0}, VEC_Z[] = {1, 1},
                   VEC_O[] = {0, 0, 0};
#define T_US 1704191400000000LL   /* 2024-01-02T10:30:00Z, a Tuesday */
#define NOW_US 1704193200000000LL /* 2024-01-02T11:00:00Z */

/* The value of input k in the fixture row. */
static lr_value input_value(int k) {
  lr_value v = {.type = INPUTS[k].dtype};
  switch (k) {
  case I: v.v.i64 = 7; break;
  case J: v.v.i32 = -2; break;
  case F: v.v.f64 = 2.5; break;
  case G: v.v.f32 = 0.1f; break;
  case S: v.v.str = (lr_str){"Hello", 5}; break;
  case U: v.v.str = (lr_str){"w\xc3\xb6rld", 6}; break;
  case B: v.v.b = 1; break;
  case T: v.v.ts = T_US; break;
  case V: v.v.array.data = VEC_V, v.v.array.n = 3; break;
  case W: v.v.array.data = VEC_W, v.v.array.n = 3; break;
  case Z: v.v.array.data = VEC_Z, v.v.array.n = 2; break;
  case O: v.v.array.data = VEC_O, v.v.array.n = 3; break;
  case AMB1:
  case AMB2: v.v.f64 = 1; break;
  default: v.type = LR_TYPE_NULL; break; /* n, ns, raw */
  }
  return v;
}

/* The first compile error of the last compile. */
static struct {
  int count, pos;
  char message[320], hint[320];
} err;

static void on_error(void *ctx, int output, int pos, const char *message,
                     const char *hint) {
  (void)ctx;
  (void)output;
  if (err.count++ == 0) {
    err.pos = pos;
    snprintf(err.message, sizeof err.message, "%s", message);
    snprintf(err.hint, sizeof err.hint, "%s", hint);
  }
}

static lr__prog *compile(const char *expr, uint8_t dtype) {
  memset(&err, 0, sizeof err);
  lr__prog *p = NULL;
  lr__prog_compile(INPUTS, N_INPUTS, &expr, &dtype, 1, on_error, NULL, &p);
  return p;
}

/* Fills `rows` rows of every input with the fixture row. */
static void fill_inputs(lr__eval *e, int rows) {
  for (int k = 0; k < N_INPUTS; k++) {
    lr_value v = input_value(k);
    for (int r = 0; r < rows; r++)
      cr_assert_eq(lr__eval_set(e, k, r, &v), 0);
  }
}

/* Evaluates `expr` declared `dtype` over the fixture row. */
static lr_value eval1(const char *expr, uint8_t dtype) {
  lr__prog *p = compile(expr, dtype);
  cr_assert_not_null(p, "'%s' did not compile: %s", expr, err.message);
  lr__eval *e;
  cr_assert_eq(lr__eval_create(p, 1, &e), 0);
  fill_inputs(e, 1);
  int64_t now = NOW_US;
  cr_assert_eq(lr__eval_run(e, 1, &now), 0);
  lr_value out;
  lr__eval_get(e, 0, 0, &out);
  /* strings point into the eval: keep a copy for the assertion */
  static char text[256];
  if (out.type == LR_TYPE_STRING) {
    cr_assert_lt(out.v.str.len, sizeof text);
    memcpy(text, out.v.str.ptr, out.v.str.len);
    out.v.str.ptr = text;
  }
  lr__eval_free(e);
  lr__prog_free(p);
  return out;
}

static void expect_int(const char *expr, long long want) {
  lr_value v = eval1(expr, LR__DT_INT64);
  cr_assert_eq(v.type, LR_TYPE_INT64, "'%s' is null", expr);
  cr_assert_eq(v.v.i64, want, "'%s' = %lld, want %lld", expr, v.v.i64, want);
}

static void expect_float(const char *expr, double want) {
  lr_value v = eval1(expr, LR__DT_FLOAT64);
  cr_assert_eq(v.type, LR_TYPE_FLOAT64, "'%s' is null", expr);
  cr_assert(fabs(v.v.f64 - want) <= 1e-12 * fmax(1, fabs(want)),
            "'%s' = %.17g, want %.17g", expr, v.v.f64, want);
}

static void expect_bool(const char *expr, int want) {
  lr_value v = eval1(expr, LR__DT_BOOL);
  cr_assert_eq(v.type, LR_TYPE_BOOL, "'%s' is null", expr);
  cr_assert_eq(v.v.b, want, "'%s' = %d, want %d", expr, v.v.b, want);
}

static void expect_str(const char *expr, const char *want) {
  lr_value v = eval1(expr, LR__DT_STRING);
  cr_assert_eq(v.type, LR_TYPE_STRING, "'%s' is null", expr);
  cr_assert_eq(v.v.str.len, strlen(want), "'%s' = '%.*s', want '%s'", expr,
               (int)v.v.str.len, v.v.str.ptr, want);
  cr_assert_eq(memcmp(v.v.str.ptr, want, v.v.str.len), 0);
}

static void expect_null(const char *expr, uint8_t dtype) {
  lr_value v = eval1(expr, dtype);
  cr_assert_eq(v.type, LR_TYPE_NULL, "'%s' is not null", expr);
}

/* `expr` must fail to compile at byte `pos` with `text` in the message. */
static void expect_error(const char *expr, uint8_t dtype, int pos,
                         const char *text) {
  lr__prog *p = compile(expr, dtype);
  cr_assert_null(p, "'%s' compiled", expr);
  cr_assert_eq(err.count, 1, "'%s': %d errors", expr, err.count);
  cr_assert_eq(err.pos, pos, "'%s': error at %d, want %d (%s)", expr, err.pos,
               pos, err.message);
  cr_assert(strstr(err.message, text), "'%s': message '%s' lacks '%s'", expr,
            err.message, text);
}

/* ---- operators ----------------------------------------------------------- */

Test(transform, x001_arithmetic_and_precedence) {
  expect_int("1 + 2 * 3", 7);
  expect_int("(1 + 2) * 3", 9);
  expect_int("i - j", 9);
  expect_int("-i + 1", -6);
  expect_int("- -i", 7);
  expect_float("7 / 2", 3.5);
  expect_float("i / 2", 3.5);
  expect_int("7 // 2", 3);
  expect_int("-7 // 2", -4);
  expect_int("-7 % 3", 2);
  expect_int("7 % -3", -2);
  expect_float("7.5 // 2", 3.0);
  expect_float("-7.5 % 2", 0.5);
  expect_float("f * 2", 5.0);
  expect_float("i + f", 9.5);
  expect_float("1e3 + .5", 1000.5);
  expect_float("g", (double)0.1f);
}

Test(transform, x002_division_by_zero_is_null) {
  expect_null("i / 0", LR__DT_FLOAT64);
  expect_null("i // 0", LR__DT_INT64);
  expect_null("i % 0", LR__DT_INT64);
  expect_null("f / 0.0", LR__DT_FLOAT64);
  expect_null("f % 0", LR__DT_FLOAT64);
  expect_null("f // 0", LR__DT_FLOAT64);
  expect_int("i % -1", 0);
}

Test(transform, x003_overflow_is_null) {
  expect_null("9223372036854775807 + 1", LR__DT_INT64);
  expect_null("-9223372036854775807 - 2", LR__DT_INT64);
  expect_null("i * 4611686018427387904", LR__DT_INT64);
  expect_null("-(-9223372036854775807 - 1)", LR__DT_INT64);
  expect_null("abs(-9223372036854775807 - 1)", LR__DT_INT64);
  expect_null("(-9223372036854775807 - 1) // -1", LR__DT_INT64);
  expect_null("exp(1000)", LR__DT_FLOAT64);
  expect_null("pow(10, 400)", LR__DT_FLOAT64);
  expect_null("cast(3000000000, int32)", LR__DT_INT64);
  expect_null("3000000000", LR__DT_INT32);        /* out of the feature's range */
  expect_null("1e300 * 1e300", LR__DT_FLOAT64);
  expect_null("1e300", LR__DT_FLOAT32);            /* beyond float32 */
  expect_null("cast(1e300, int64)", LR__DT_INT64);
  expect_int("cast(-2147483648.0, int32)", -2147483648LL);
  expect_null("cast(2147483648.0, int32)", LR__DT_INT64);
}

Test(transform, x004_null_propagates) {
  expect_null("n + 1", LR__DT_INT64);
  expect_null("n * 0", LR__DT_INT64);
  expect_null("n = n", LR__DT_BOOL);
  expect_null("null + 1", LR__DT_INT64);
  expect_null("null", LR__DT_FLOAT64);
  expect_null("sqrt(n)", LR__DT_FLOAT64);
  expect_null("min(n, 1)", LR__DT_INT64);
  expect_null("concat(s, ns)", LR__DT_STRING);
  expect_null("lower(ns)", LR__DT_STRING);
  expect_null("length(ns)", LR__DT_INT64);
  expect_bool("is_null(n)", 1);
  expect_bool("is_null(i)", 0);
  expect_bool("is_null(null)", 1);
  expect_int("coalesce(n, 5)", 5);
  expect_int("coalesce(n, n, i)", 7);
  expect_int("coalesce(n, null, 3)", 3);
  expect_float("coalesce(n, f)", 2.5);
}

Test(transform, x005_three_valued_logic_and_if) {
  expect_bool("n > 0 and false", 0);
  expect_null("n > 0 and true", LR__DT_BOOL);
  expect_bool("n > 0 or true", 1);
  expect_null("n > 0 or false", LR__DT_BOOL);
  expect_null("not (n > 0)", LR__DT_BOOL);
  expect_bool("not b", 0);
  expect_bool("not i > 100", 1);
  expect_bool("b and i > 1 or false", 1);
  expect_bool("false and true or true", 1); /* and binds tighter */
  expect_int("if(n > 0, 1, 2)", 2);        /* a null condition: else */
  expect_str("if(b, 'yes', 'no')", "yes");
  expect_float("if(b, 1, 2.5)", 1.0);
  expect_null("if(b, null, 2)", LR__DT_INT64);
}

Test(transform, x006_comparisons) {
  expect_bool("i > j", 1);
  expect_bool("f >= 2.5", 1);
  expect_bool("i = 7.0", 1);
  expect_bool("i == 7", 1);
  expect_bool("i != 7", 0);
  expect_bool("1 <> 2", 1);
  expect_bool("s = 'Hello'", 1);
  expect_bool("s < u", 1);
  expect_bool("s != 'hello'", 1);
  expect_bool("'' < 'a'", 1);
  expect_bool("t < now()", 1);
  expect_bool("b = true", 1);
  expect_bool("9223372036854775807 > 9223372036854775806", 1);
}

/* ---- functions ----------------------------------------------------------- */

Test(transform, x007_math_functions) {
  expect_float("sqrt(16)", 4);
  expect_null("sqrt(-1)", LR__DT_FLOAT64);
  expect_null("log(0)", LR__DT_FLOAT64);
  expect_float("log(exp(1))", 1);
  expect_float("pow(2, 10)", 1024);
  expect_float("floor(-2.5)", -3);
  expect_float("ceil(2.1)", 3);
  expect_float("round(2.5)", 3);
  expect_float("round(-2.5)", -3);
  expect_float("round(1234.5678, 2)", 1234.57);
  expect_float("round(1234.5678, -2)", 1200);
  expect_float("round(f, 400)", 2.5);
  expect_int("floor(i)", 7);
  expect_int("abs(-3)", 3);
  expect_float("abs(-2.5)", 2.5);
  expect_int("min(3, 1, 2)", 1);
  expect_float("max(1, 2.5)", 2.5);
  expect_int("clamp(15, 0, 10)", 10);
  expect_int("clamp(-5, 0, 10)", 0);
  expect_float("clamp(f, 0, 1)", 1.0);
}

Test(transform, x008_string_functions) {
  expect_str("lower(s)", "hello");
  expect_str("upper(s)", "HELLO");
  expect_str("upper(u)", "W\xc3\xb6RLD"); /* ASCII letters only */
  expect_int("length(u)", 5);            /* code points, not bytes */
  expect_int("length('')", 0);
  expect_str("concat(s, ' ', u)", "Hello w\xc3\xb6rld");
  expect_str("concat('it''s')", "it's");
  expect_str("concat(\"a\", 'b')", "ab");
}

Test(transform, x009_casts) {
  expect_int("cast(f, int64)", 2);
  expect_int("cast(-2.7, int64)", -2);
  expect_str("cast(i, string)", "7");
  expect_str("cast(f, string)", "2.5");
  expect_str("cast(b, string)", "true");
  expect_str("cast(t, string)", "2024-01-02T10:30:00Z");
  expect_int("cast('42', int64)", 42);
  expect_int("cast(' -42 ', int32)", -42);
  expect_null("cast('x', int64)", LR__DT_INT64);
  expect_null("cast('99999999999999999999', int64)", LR__DT_INT64);
  expect_float("cast(' 3.5 ', float64)", 3.5);
  expect_bool("cast('TRUE', bool)", 1);
  expect_null("cast('maybe', bool)", LR__DT_BOOL);
  expect_int("cast(b, int64)", 1);
  expect_bool("cast(i, bool)", 1);
  expect_bool("cast('2024-01-02T10:30:00Z', timestamp) = t", 1);
  expect_int("cast(t, int64)", 1704191400);
  expect_bool("cast(1704191400, timestamp) = t", 1);
  expect_float("cast(0.1, float32)", (double)0.1f);
  expect_float("cast(i, float64) / 2", 3.5);
  expect_null("cast(null, int64)", LR__DT_INT64);
}

Test(transform, x010_timestamps) {
  lr_value v = eval1("now()", LR__DT_TIMESTAMP);
  cr_assert_eq(v.type, LR_TYPE_TIMESTAMP);
  cr_assert_eq(v.v.ts, NOW_US);
  expect_float("age_seconds(t)", 1800.0);
  expect_int("hour(t)", 10);
  expect_int("day_of_week(t)", 1); /* Monday is 0 */
  expect_int("hour(cast('1969-12-31T23:00:00Z', timestamp))", 23);
  expect_int("day_of_week(cast('1969-12-31T23:00:00Z', timestamp))", 2);
  expect_int("day_of_week(cast('2024-01-07', timestamp))", 6);
}

Test(transform, x011_vectors) {
  expect_float("dot(v, w)", 2);
  expect_float("norm(v)", 3);
  expect_float("cosine(v, w)", 1.0 / 3.0);
  expect_null("cosine(v, o)", LR__DT_FLOAT64);   /* a zero vector */
  expect_null("cosine(v, if(false, w, null))", LR__DT_FLOAT64);
  expect_null("dot(v, z)", LR__DT_FLOAT64); /* lengths differ */
  lr_value v = eval1("coalesce(v, w)", LR__DT_ARRAY | LR__DT_FLOAT32);
  cr_assert_eq(v.type, LR_TYPE_ARRAY | LR_TYPE_FLOAT32);
  cr_assert_eq(v.v.array.n, 3);
  cr_assert_eq(((const float *)v.v.array.data)[1], 2.0f);
}

/* ---- errors -------------------------------------------------------------- */

Test(transform, x012_output_type_checked) {
  expect_error("f * 2", LR__DT_INT64, 2, "the expression is float but the "
               "feature is declared int64");
  cr_assert(strstr(err.hint, "cast(..., int64)"));
  expect_error("s", LR__DT_FLOAT64, 0, "is string");
  expect_error("i > 1", LR__DT_INT64, 2, "is bool");
  expect_error("v", LR__DT_FLOAT32, 0, "array<float32>");
  expect_int("i", 7);
  expect_float("i", 7); /* ints widen to floats */
  lr_value v = eval1("i + 0.5", LR__DT_FLOAT32);
  cr_assert_eq(v.type, LR_TYPE_FLOAT32);
  cr_assert_eq(v.v.f32, 7.5f);
}

Test(transform, x013_parse_errors_have_positions) {
  expect_error("1 +", LR__DT_INT64, 3, "expected a value but found the end");
  expect_error("i +* 2", LR__DT_INT64, 3, "expected a value but found '*'");
  expect_error("'abc", LR__DT_STRING, 0, "unclosed string");
  expect_error("i < j < 3", LR__DT_BOOL, 6, "cannot be chained");
  expect_error("1 2", LR__DT_INT64, 2, "unexpected '2'");
  expect_error("i # 2", LR__DT_INT64, 2, "unexpected character '#'");
  expect_error("  ", LR__DT_INT64, 0, "empty");
  expect_error("(i + 1", LR__DT_INT64, 6, "expected ')'");
  expect_error("max(i j)", LR__DT_INT64, 6, "expected ',' or ')'");
}

Test(transform, x014_names_resolve_or_fail_with_hints) {
  expect_int("src__i + 1", 8);
  expect_float("a__rate + b__rate", 2);
  expect_error("ii + 1", LR__DT_INT64, 0, "unknown name 'ii'");
  cr_assert(strstr(err.hint, "'i'"), "hint: %s", err.hint);
  expect_error("1 + rate", LR__DT_FLOAT64, 4, "'rate' is ambiguous");
  cr_assert(strstr(err.hint, "view__feature"));
  expect_error("raw", LR__DT_STRING, 0, "input 'raw' is bytes");
}

Test(transform, x015_function_errors) {
  expect_error("sqr(4)", LR__DT_FLOAT64, 0, "unknown function 'sqr'");
  cr_assert(strstr(err.hint, "sqrt"), "hint: %s", err.hint);
  expect_error("1 + pow(1)", LR__DT_FLOAT64, 4, "pow() takes 2 arguments");
  expect_error("sqrt('a')", LR__DT_FLOAT64, 5, "argument 1 of sqrt() must be "
               "float, not string");
  expect_error("s + 1", LR__DT_STRING, 2, "cannot apply '+' to string");
  cr_assert(strstr(err.hint, "concat"));
  expect_error("cast(i, bytes)", LR__DT_INT64, 8, "must name a scalar type");
  expect_error("cast(f, bool)", LR__DT_BOOL, 0, "cannot cast float to bool");
  expect_error("if(i, 1, 2)", LR__DT_INT64, 3, "must be bool, not int");
  expect_error("if(b, 1, 's')", LR__DT_INT64, 0, "branches of if() are int "
               "and string");
  expect_error("i and b", LR__DT_BOOL, 0, "must be bool, not int");
  expect_error("s < 1", LR__DT_BOOL, 2, "cannot compare string with int");
  expect_error("dot(v, f)", LR__DT_FLOAT64, 7, "must be array<float32>");
  expect_error("coalesce(i, s)", LR__DT_INT64, 12, "mixes int and string");
  expect_error("min(s, 1)", LR__DT_INT64, 7, "take numbers, not string");
  expect_error("-s", LR__DT_STRING, 0, "cannot negate string");
  expect_error("now(1)", LR__DT_TIMESTAMP, 0, "takes 0 arguments");
}

Test(transform, x016_all_outputs_report_their_errors) {
  const char *exprs[] = {"i + ", "f", "nope"};
  uint8_t dts[] = {LR__DT_INT64, LR__DT_FLOAT64, LR__DT_INT64};
  memset(&err, 0, sizeof err);
  lr__prog *p = NULL;
  cr_assert_eq(lr__prog_compile(INPUTS, N_INPUTS, exprs, dts, 3, on_error,
                                NULL, &p), LR_EINVAL);
  cr_assert_null(p);
  cr_assert_eq(err.count, 2);
}

/* ---- batches ------------------------------------------------------------- */

/* A batch with a null every third row gives each row what one row gives. */
Test(transform, x017_batches_match_single_rows) {
  const char *exprs[] = {"i * 2 + f", "concat(s, cast(i, string))",
                         "if(i % 2 = 0, upper(s), lower(s))",
                         "age_seconds(t) // 60"};
  uint8_t dts[] = {LR__DT_FLOAT64, LR__DT_STRING, LR__DT_STRING,
                   LR__DT_FLOAT64};
  lr__prog *p = NULL;
  cr_assert_eq(lr__prog_compile(INPUTS, N_INPUTS, exprs, dts, 4, on_error,
                                NULL, &p), 0);
  enum { ROWS = 500 };
  lr__eval *e;
  cr_assert_eq(lr__eval_create(p, ROWS, &e), 0);
  fill_inputs(e, ROWS);
  int64_t now[ROWS];
  for (int r = 0; r < ROWS; r++) {
    lr_value iv = {.type = LR_TYPE_INT64, .v.i64 = r};
    lr_value null = {.type = LR_TYPE_NULL};
    cr_assert_eq(lr__eval_set(e, I, r, r % 3 == 2 ? &null : &iv), 0);
    now[r] = T_US + (int64_t)r * 60000000;
  }
  cr_assert_eq(lr__eval_run(e, ROWS, now), 0);
  for (int r = 0; r < ROWS; r++) {
    lr_value a, b, c, d;
    lr__eval_get(e, 0, r, &a);
    lr__eval_get(e, 1, r, &b);
    lr__eval_get(e, 2, r, &c);
    lr__eval_get(e, 3, r, &d);
    cr_assert_eq(d.type, LR_TYPE_FLOAT64);
    cr_assert_eq(d.v.f64, (double)r);
    if (r % 3 == 2) {
      cr_assert_eq(a.type, LR_TYPE_NULL);
      cr_assert_eq(b.type, LR_TYPE_NULL);
      cr_assert_eq(c.type, LR_TYPE_STRING); /* null condition: else */
      continue;
    }
    cr_assert_eq(a.v.f64, r * 2 + 2.5);
    char want[32];
    snprintf(want, sizeof want, "Hello%d", r);
    cr_assert_eq(b.v.str.len, strlen(want));
    cr_assert_eq(memcmp(b.v.str.ptr, want, b.v.str.len), 0);
    cr_assert_eq(memcmp(c.v.str.ptr, r % 2 ? "hello" : "HELLO", 5), 0);
  }
  lr__eval_free(e);
  lr__prog_free(p);
}

Test(transform, x018_inputs_refuse_other_types) {
  lr__prog *p = compile("i + f + length(s)", LR__DT_FLOAT64);
  cr_assert_not_null(p);
  cr_assert(lr__prog_uses_input(p, I) && lr__prog_uses_input(p, F));
  cr_assert(!lr__prog_uses_input(p, J) && !lr__prog_uses_now(p));
  lr__eval *e;
  cr_assert_eq(lr__eval_create(p, 2, &e), 0);
  lr_value str = {.type = LR_TYPE_STRING, .v.str = {"x", 1}};
  lr_value i32 = {.type = LR_TYPE_INT32, .v.i32 = 4};
  lr_value nan = {.type = LR_TYPE_FLOAT64, .v.f64 = NAN};
  cr_assert_eq(lr__eval_set(e, I, 0, &str), LR_ETYPE);
  cr_assert_eq(lr__eval_set(e, F, 0, &i32), 0); /* an int for a float */
  cr_assert_eq(lr__eval_input(e, F)->u.f[0], 4.0);
  cr_assert_eq(lr__eval_set(e, F, 1, &nan), 0); /* NaN reads as null */
  cr_assert_eq(lr__eval_input(e, F)->null[1], 1);
  lr__eval_free(e);
  lr__prog_free(p);
}

/* Every operator and function given a null operand: null out, except those
 * that exist to handle nulls. */
Test(transform, x019_every_operator_and_function_propagates_null) {
  static const struct { const char *expr; uint8_t dt; } cases[] = {
      {"n + 1", LR__DT_INT64},         {"1 - n", LR__DT_INT64},
      {"n * 2", LR__DT_INT64},         {"n / 2", LR__DT_FLOAT64},
      {"n // 2", LR__DT_INT64},        {"n % 2", LR__DT_INT64},
      {"-n", LR__DT_INT64},            {"n = 1", LR__DT_BOOL},
      {"n != 1", LR__DT_BOOL},         {"n < 1", LR__DT_BOOL},
      {"n <= 1", LR__DT_BOOL},         {"n > 1", LR__DT_BOOL},
      {"n >= 1", LR__DT_BOOL},         {"not (n > 1)", LR__DT_BOOL},
      {"abs(n)", LR__DT_INT64},        {"sqrt(n)", LR__DT_FLOAT64},
      {"log(n)", LR__DT_FLOAT64},      {"exp(n)", LR__DT_FLOAT64},
      {"pow(n, 2)", LR__DT_FLOAT64},   {"pow(2, n)", LR__DT_FLOAT64},
      {"floor(n + 0.5)", LR__DT_FLOAT64}, {"ceil(n + 0.5)", LR__DT_FLOAT64},
      {"round(n + 0.5)", LR__DT_FLOAT64}, {"round(f, n)", LR__DT_FLOAT64},
      {"min(n, 1)", LR__DT_INT64},     {"max(1, n)", LR__DT_INT64},
      {"clamp(n, 0, 1)", LR__DT_INT64}, {"clamp(1, n, 2)", LR__DT_INT64},
      {"lower(ns)", LR__DT_STRING},    {"upper(ns)", LR__DT_STRING},
      {"length(ns)", LR__DT_INT64},    {"concat(ns, 'a')", LR__DT_STRING},
      {"cast(n, string)", LR__DT_STRING}, {"cast(ns, int64)", LR__DT_INT64},
      {"cast(n, float64)", LR__DT_FLOAT64}, {"cast(n, bool)", LR__DT_BOOL},
      {"cast(n, timestamp)", LR__DT_TIMESTAMP},
      {"age_seconds(cast(n, timestamp))", LR__DT_FLOAT64},
      {"hour(cast(n, timestamp))", LR__DT_INT64},
      {"day_of_week(cast(n, timestamp))", LR__DT_INT64},
      {"dot(v, if(is_null(n), null, w))", LR__DT_FLOAT64},
      {"norm(if(is_null(n), null, v))", LR__DT_FLOAT64},
      {"cosine(if(is_null(n), null, v), w)", LR__DT_FLOAT64},
      {"if(b, n, 1)", LR__DT_INT64},   {"coalesce(n, null)", LR__DT_INT64},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_null(cases[i].expr, cases[i].dt);
  /* the ones that handle nulls */
  expect_bool("is_null(n)", 1);
  expect_int("coalesce(n, 3)", 3);
  expect_int("if(n > 0, 1, 2)", 2);
  expect_bool("n > 0 or true", 1);
  expect_bool("n > 0 and false", 0);
}

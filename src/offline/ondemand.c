/*
 * ondemand.c - on-demand features in training sets: each requested output
 * of an on-demand view becomes a DuckDB scalar function that runs the
 * view's compiled program over the query's chunks.
 *
 * This is the same program and the same evaluator the online store runs,
 * fed the same way (values read as lr_values), so a training set holds the
 * values serving would have computed. now() is each entity row's
 * timestamp: the point in time the row stands for.
 *
 * DuckDB may call a function from several threads at once: the program is
 * read-only and every call makes its own evaluation scratch. Each function
 * owns its compiled view (freed when DuckDB drops the function), so nothing
 * it points to can go away while the database lives.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/odfv.h"
#include "../util/dtype.h"
#include "offline.h"

/* What one scalar function computes: output `output` of `odfv`, from the
 * inputs listed in `args` (the query passes them in this order, then the
 * entity row's time). */
typedef struct udf {
  lr__odfv *odfv;
  int output;
  int n_args;
  int *args; /* program input of each argument */
} udf;

static void free_udf(void *p) {
  udf *u = p;
  if (!u)
    return;
  lr__odfv_free(u->odfv);
  free(u->args);
  free(u);
}

/* ---- the function, as DuckDB calls it ---------------------------------- */

/* Feeds the arguments and the row times of one chunk into `e`; `vals`
 * holds n values. */
static void feed_chunk(const udf *u, lr__eval *e, duckdb_data_chunk input,
                       idx_t n, lr_value *vals, int64_t *now) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  lr__buf scratch; /* unused: expressions read no array<string> */
  lr__buf_init(&scratch);
  for (int i = 0; i < u->odfv->n_inputs; i++)
    memset(lr__eval_input(e, i)->null, 1, (size_t)n);
  for (int a = 0; a < u->n_args; a++) {
    int in = u->args[a];
    duckdb_vector vec = api->data_chunk_get_vector(input, (idx_t)a);
    /* a list with a null item reads as null */
    lr__duck_read_column(vec, u->odfv->inputs[in].dtype, 0, n, &scratch,
                         vals);
    for (idx_t r = 0; r < n; r++)
      lr__eval_set(e, in, (int)r, &vals[r]);
  }
  duckdb_vector times = api->data_chunk_get_vector(input, (idx_t)u->n_args);
  lr__duck_read_column(times, LR__DT_TIMESTAMP, 0, n, &scratch, vals);
  for (idx_t r = 0; r < n; r++)
    now[r] = vals[r].type == LR_TYPE_NULL ? 0 : vals[r].v.ts;
  lr__buf_free(&scratch);
}

/* Writes output k of the run into DuckDB's result vector (`vals` holds
 * n values). */
static int put_output(const lr__eval *e, int k, uint8_t dt, idx_t n,
                      lr_value *vals, duckdb_vector out) {
  for (idx_t r = 0; r < n; r++)
    lr__eval_get(e, k, (int)r, &vals[r]);
  return lr__duck_write_column(out, dt, vals, n);
}

static void call_udf(duckdb_function_info info, duckdb_data_chunk input,
                     duckdb_vector output) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  const udf *u = api->scalar_function_get_extra_info(info);
  idx_t n = api->data_chunk_get_size(input);
  lr__eval *e = NULL;
  int64_t *now = malloc((n ? n : 1) * sizeof *now);
  lr_value *vals = malloc((n ? n : 1) * sizeof *vals);
  int rc = now && vals ? lr__eval_create(u->odfv->prog, n ? (int)n : 1, &e)
                       : LR_ENOMEM;
  if (rc == 0) {
    feed_chunk(u, e, input, n, vals, now);
    rc = lr__eval_run(e, (int)n, now);
  }
  if (rc == 0)
    rc = put_output(e, u->output, u->odfv->view->features[u->output].dtype,
                    n, vals, output) ? LR_ENOMEM : 0;
  if (rc)
    api->scalar_function_set_error(info, "on-demand feature: out of memory");
  lr__eval_free(e);
  free(now);
  free(vals);
}

/* ---- registration ------------------------------------------------------ */

/* Lists the inputs output k reads into u->args. */
static int list_args(udf *u) {
  u->args = calloc((size_t)u->odfv->n_inputs + 1, sizeof *u->args);
  if (!u->args)
    return LR_ENOMEM;
  for (int i = 0; i < u->odfv->n_inputs; i++)
    if (lr__prog_output_uses_input(u->odfv->prog, u->output, i))
      u->args[u->n_args++] = i;
  return 0;
}

/* Registers `u` as function `name`; DuckDB owns `u` afterwards. */
static int register_udf(lr_offline *off, udf *u, const char *name) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_scalar_function fn = api->create_scalar_function();
  api->scalar_function_set_name(fn, name);
  for (int a = 0; a <= u->n_args; a++) {
    duckdb_logical_type t = lr__duck_logical_type(
        a < u->n_args ? u->odfv->inputs[u->args[a]].dtype : LR__DT_TIMESTAMP);
    api->scalar_function_add_parameter(fn, t);
    api->destroy_logical_type(&t);
  }
  duckdb_logical_type ret =
      lr__duck_logical_type(u->odfv->view->features[u->output].dtype);
  api->scalar_function_set_return_type(fn, ret);
  api->destroy_logical_type(&ret);
  api->scalar_function_set_special_handling(fn); /* nulls reach us */
  api->scalar_function_set_function(fn, call_udf);
  api->scalar_function_set_extra_info(fn, u, free_udf);
  int ok = api->register_scalar_function(off->db.con, fn) == DuckDBSuccess;
  api->destroy_scalar_function(&fn);
  if (!ok)
    lr__buf_printf(&off->errmsg, "cannot register the on-demand function "
                   "%s", name);
  return ok ? 0 : LR_EIO;
}

/* The call of `u` named `name`: its arguments, as `how` writes them. */
static void call_sql(const udf *u, const char *name,
                     const lr__ondemand_sql *how, lr__buf *sql) {
  const lr__odfv *o = u->odfv;
  lr__buf_printf(sql, "%s(", name);
  for (int a = 0; a < u->n_args; a++) {
    int in = u->args[a];
    if (o->input_views[in]) {
      how->feature(how->ctx, sql, o->input_views[in], o->input_fields[in]);
    } else {
      lr__buf_printf(sql, "CAST(%s.", how->entity_alias);
      lr__sql_ident(sql, o->inputs[in].name);
      lr__buf_puts(sql, " AS ");
      lr__sql_type(sql, o->inputs[in].dtype);
      lr__buf_puts(sql, ")");
    }
    lr__buf_puts(sql, ", ");
  }
  lr__buf_printf(sql, "%s)", how->now_column);
}

int lr__ondemand_call(lr_offline *off, const lr__view *v, int k,
                      const lr__ondemand_sql *how, lr__buf *sql) {
  static atomic_uint next_id;
  udf *u = calloc(1, sizeof *u);
  if (!u)
    return LR_ENOMEM;
  u->output = k;
  int rc = lr__odfv_compile(&off->reg, v, NULL, &off->errmsg, &u->odfv);
  if (rc == 0)
    rc = list_args(u);
  char name[64];
  snprintf(name, sizeof name, "__larder_odfv_%u",
           atomic_fetch_add(&next_id, 1));
  if (rc) {
    free_udf(u);
    return rc;
  }
  /* written before registering: from then on DuckDB owns (and may free) u */
  size_t mark = sql->len;
  call_sql(u, name, how, sql);
  rc = register_udf(off, u, name);
  if (rc) {
    sql->len = mark;
    sql->data[mark] = '\0';
  }
  return rc;
}

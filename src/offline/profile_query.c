/*
 * profile_query.c - a sample's profile (profile.h) in as few DuckDB
 * queries as the view needs (docs/internals/stats.md):
 *   1. one aggregate row: the row count, the event-time range, and nine
 *      columns per feature (count, NaN, +Inf, -Inf, min, max, mean,
 *      stddev, percentiles 0..100 as a list) over the columns as stored;
 *      then, only for float features that hold NaN or an infinity (their
 *      mean says so), the same again over a projection of their finite
 *      values, which also counts the NaN and infinities;
 *   2. only when the view has strings or bools: per such feature its
 *      values grouped, the 100 most frequent, and the number of groups
 *      (the exact distinct count) - one UNION ALL;
 *   3. only for bins: the count in each bin of every binned feature.
 * Each reads the sample again: a scan is cheaper than keeping its rows.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/dtype.h"
#include "../util/textval.h"
#include "profile.h"

enum { COLS_PER_FEATURE = 9, RESERVOIR = 65536 };

lr__profile_kind lr__profile_kind_of(uint8_t dtype) {
  if (LR__DT_IS_ARRAY(dtype) || dtype == LR__DT_BYTES)
    return LR__PK_LENGTH;
  switch (dtype) {
  case LR__DT_STRING:
  case LR__DT_BOOL: return LR__PK_CATEGORY;
  case LR__DT_TIMESTAMP: return LR__PK_TIME;
  default: return LR__PK_NUMBER;
  }
}

static int is_float(uint8_t dtype) {
  return dtype == LR__DT_FLOAT32 || dtype == LR__DT_FLOAT64;
}

/* How query 1 reads a number feature: as stored (the first pass: no
 * projection, no filter), or its finite values only (the pass again over
 * the features the first found NaN or an infinity in). */
enum pass { AS_STORED, FINITE };

/* Appends the expression the statistics of feature k are over: the
 * column, its length (arrays, bytes), or in the FINITE pass "__vK", the
 * projection of its finite values. */
static void value_of(lr__buf *sql, int k, uint8_t dtype, enum pass pass) {
  if (lr__profile_kind_of(dtype) == LR__PK_LENGTH)
    lr__buf_printf(sql, "CAST(%s(\"__r%d\") AS DOUBLE)",
                   dtype == LR__DT_BYTES ? "octet_length" : "len", k);
  else
    lr__buf_printf(sql, pass == FINITE ? "\"__v%d\"" : "\"__r%d\"", k);
}

/* Appends the percentiles 0, 0.01, ..., 1 as a DuckDB list. */
static void percentile_list(lr__buf *sql) {
  lr__buf_putc(sql, '[');
  for (int i = 0; i < LR__PCT; i++)
    lr__buf_printf(sql, "%s%d.%02d", i ? ", " : "", i / 100, i % 100);
  lr__buf_putc(sql, ']');
}

/* Appends feature k's nine columns of query 1: count, NaN, +Inf, -Inf
 * (the FINITE pass only), min, max, mean, stddev (as stored: the sum of
 * squares it is computed from), percentiles. */
static void feature_aggregates(lr__buf *sql, int k, uint8_t dtype, int exact,
                               enum pass pass) {
  lr__profile_kind kind = lr__profile_kind_of(dtype);
  lr__buf_printf(sql, ", count(\"__r%d\")", k);
  if (pass == FINITE && is_float(dtype))
    lr__buf_printf(sql, ", count_if(isnan(\"__r%d\")), count_if(isinf("
                   "\"__r%d\") AND \"__r%d\" > 0), count_if(isinf(\"__r%d\") "
                   "AND \"__r%d\" < 0)", k, k, k, k, k);
  else
    lr__buf_puts(sql, ", NULL, NULL, NULL");
  if (kind == LR__PK_TIME) {
    lr__buf_printf(sql, ", min(\"__r%d\")::VARCHAR, max(\"__r%d\")::VARCHAR"
                   ", NULL, NULL, NULL", k, k);
    return;
  }
  if (kind == LR__PK_CATEGORY) {
    lr__buf_puts(sql, ", NULL, NULL, NULL, NULL, NULL");
    return;
  }
  static const char *const fns[] = {"min", "max", "avg"};
  for (int i = 0; i < 3; i++) {
    lr__buf_printf(sql, ", %s(", fns[i]);
    value_of(sql, k, dtype, pass);
    lr__buf_putc(sql, ')');
  }
  if (pass == FINITE) {
    lr__buf_puts(sql, ", stddev_samp(");
    value_of(sql, k, dtype, pass);
    lr__buf_putc(sql, ')');
  } else { /* the sum of squares: stddev_samp fails on an infinity */
    lr__buf_puts(sql, ", sum(CAST(");
    value_of(sql, k, dtype, pass);
    lr__buf_puts(sql, " AS DOUBLE) * CAST(");
    value_of(sql, k, dtype, pass);
    lr__buf_puts(sql, " AS DOUBLE))");
  }
  lr__buf_puts(sql, exact ? ", quantile_cont(" : ", reservoir_quantile(");
  value_of(sql, k, dtype, pass);
  lr__buf_puts(sql, ", ");
  percentile_list(sql);
  if (!exact)
    lr__buf_printf(sql, ", %d", RESERVOIR);
  lr__buf_puts(sql, ")::VARCHAR");
}

/* Query 1 over sample `rows`: every feature as stored, or (FINITE) those
 * with again[k] set, over their finite values. */
static void aggregate_sql(const lr__view *v, const char *rows, int exact,
                          enum pass pass, const char *again, lr__buf *sql) {
  lr__buf_printf(sql, "WITH __rows AS (%s) SELECT count(*), "
                 "min(\"__ts\")::VARCHAR, max(\"__ts\")::VARCHAR", rows);
  for (int k = 0; k < v->n_features; k++)
    if (pass == AS_STORED || again[k])
      feature_aggregates(sql, k, v->features[k].dtype, exact, pass);
  if (pass == AS_STORED) {
    lr__buf_puts(sql, " FROM __rows");
    return;
  }
  lr__buf_puts(sql, " FROM (SELECT \"__ts\"");
  for (int k = 0; k < v->n_features; k++) {
    if (again[k])
      lr__buf_printf(sql, ", \"__r%d\"", k);
    if (again[k] && lr__profile_kind_of(v->features[k].dtype) == LR__PK_NUMBER)
      lr__buf_printf(sql, ", CASE WHEN isfinite(CAST(\"__r%d\" AS DOUBLE)) "
                     "THEN CAST(\"__r%d\" AS DOUBLE) END AS \"__v%d\"", k, k,
                     k);
  }
  lr__buf_puts(sql, " FROM __rows)");
}

/* Cell (col, row) of `res` as text (free() it), or NULL for a null. */
static char *cell(duckdb_result *res, idx_t col, idx_t row) {
  char *duck = lr__duckdb_fns()->value_varchar(res, col, row);
  char *text = duck ? strdup(duck) : NULL;
  lr__duckdb_fns()->free(duck);
  return text;
}

static unsigned long long cell_count(duckdb_result *res, idx_t col,
                                     idx_t row) {
  char *text = cell(res, col, row);
  unsigned long long n = text ? strtoull(text, NULL, 10) : 0;
  free(text);
  return n;
}

/* A number as DuckDB writes it; a FLOAT (`single`), written as its
 * shortest float text, is read back as that float, exactly. */
static double read_number(const char *text, char **end, int single) {
  return single ? (double)strtof(text, end) : strtod(text, end);
}

static double cell_double(duckdb_result *res, idx_t col, int single) {
  char *text = cell(res, col, 0);
  double d = text ? read_number(text, NULL, single) : NAN;
  free(text);
  return d;
}

/* Reads "[a, b, ...]" into pct; returns 1 when it held LR__PCT numbers. */
static int read_percentiles(const char *text, double *pct, int single) {
  const char *at = text ? strchr(text, '[') : NULL;
  int n = 0;
  while (at && n < LR__PCT) {
    char *end;
    pct[n] = read_number(at + 1, &end, single);
    if (end == at + 1)
      break;
    n++;
    at = strchr(end, ',');
  }
  return n == LR__PCT;
}

/* Feature k's statistics from columns `col`.. of query 1's row, read in
 * `pass`. */
static void read_feature(duckdb_result *res, idx_t col, unsigned long long rows,
                         enum pass pass, lr__fprofile *f) {
  int single = f->dtype == LR__DT_FLOAT32 && pass == AS_STORED;
  f->count = cell_count(res, col, 0);
  f->nulls = rows - f->count;
  f->nan = cell_count(res, col + 1, 0);
  f->pos_inf = cell_count(res, col + 2, 0);
  f->neg_inf = cell_count(res, col + 3, 0);
  if (f->kind == LR__PK_TIME) {
    f->time_min = cell(res, col + 4, 0);
    f->time_max = cell(res, col + 5, 0);
    return;
  }
  if (f->kind == LR__PK_CATEGORY)
    return;
  char *pct = cell(res, col + 8, 0);
  f->has_moments = read_percentiles(pct, f->pct, single);
  free(pct);
  f->min = cell_double(res, col + 4, single);
  f->max = cell_double(res, col + 5, single);
  f->mean = cell_double(res, col + 6, 0);
  f->stddev = cell_double(res, col + 7, 0);
  if (pass == AS_STORED) { /* from the sum of squares */
    double n = (double)f->count, squares = f->stddev;
    double var = (squares - n * f->mean * f->mean) / (n - 1);
    f->stddev = n < 2 ? NAN : var > 0 ? sqrt(var) : 0;
  }
}

/* 1 when feature f's statistics as stored are not to be kept: a NaN or an
 * infinity among its values (its mean is then not finite), or a variance
 * the sum of squares cannot give precisely (the mean more than 100 stddevs
 * from 0, or a constant: the difference of two near sums). */
static int read_again(const lr__fprofile *f) {
  if (f->kind != LR__PK_NUMBER && f->kind != LR__PK_LENGTH)
    return 0;
  if (f->count == 0)
    return 0;
  if (!isfinite(f->mean) || !isfinite(f->min) || !isfinite(f->max))
    return 1;
  return f->count >= 2 &&
         !(f->stddev * f->stddev > 1e-4 * f->mean * f->mean);
}

/* Runs query `sql` (freed) over sample s of view v into `res`. */
static int query_sample(lr_offline *off, const lr__view *v,
                        const lr__stats_sample *s, lr__buf *sql,
                        duckdb_result *res) {
  int rc = lr__offline_query(off, s->of_view ? v : NULL, lr__buf_str(sql),
                             "profiling the training file", res);
  lr__buf_free(sql);
  return rc;
}

/* Runs query 1 in `pass` (FINITE: over the features again[k] names) and
 * reads their statistics into p. */
static int run_pass(lr_offline *off, const lr__view *v,
                    const lr__stats_sample *s, int exact, enum pass pass,
                    const char *again, lr__profile *p) {
  lr__buf sql;
  lr__buf_init(&sql);
  aggregate_sql(v, lr__buf_str(&s->rows), exact, pass, again, &sql);
  duckdb_result res;
  int rc = query_sample(off, v, s, &sql, &res);
  if (rc)
    return rc;
  if (pass == AS_STORED) {
    p->rows = cell_count(&res, 0, 0);
    p->ts_min = cell(&res, 1, 0);
    p->ts_max = cell(&res, 2, 0);
  }
  idx_t col = 3;
  for (int k = 0; k < v->n_features; k++)
    if (pass == AS_STORED || again[k]) {
      read_feature(&res, col, p->rows, pass, &p->features[k]);
      col += COLS_PER_FEATURE;
    }
  lr__duckdb_fns()->destroy_result(&res);
  return 0;
}

/* Query 1: every feature as stored, then again over their finite values
 * those read_again() names: most columns hold no NaN nor infinity and
 * vary, and reading them as stored costs no projection, no filter and no
 * Welford update per value (measured: lr_stats of 10M rows x 20 float32
 * features took 4.5 s of CPU, against 7.8 s over a finite projection). */
static int run_aggregates(lr_offline *off, const lr__view *v,
                          const lr__stats_sample *s, int exact,
                          lr__profile *p) {
  int rc = run_pass(off, v, s, exact, AS_STORED, NULL, p);
  char *again = calloc((size_t)v->n_features + 1, 1);
  int any = 0;
  for (int k = 0; rc == 0 && again && k < v->n_features; k++) {
    again[k] = (char)read_again(&p->features[k]);
    any |= again[k];
  }
  if (rc == 0 && !again)
    rc = LR_ENOMEM;
  if (rc == 0 && any)
    rc = run_pass(off, v, s, exact, FINITE, again, p);
  free(again);
  return rc;
}

/* Query 2: the most frequent values of each category feature. Returns 0
 * with nothing appended when there is none. */
static int category_sql(const lr__view *v, const char *rows, lr__buf *sql) {
  int any = 0;
  for (int k = 0; k < v->n_features; k++) {
    if (lr__profile_kind_of(v->features[k].dtype) != LR__PK_CATEGORY)
      continue;
    lr__buf_puts(sql, any ? " UNION ALL " : "");
    if (!any)
      lr__buf_printf(sql, "WITH __rows AS (%s) ", rows);
    lr__buf_printf(sql, "SELECT * FROM (SELECT %d AS k, CAST(\"__r%d\" AS "
                   "VARCHAR) AS v, count(*) AS n, count(*) OVER () AS d FROM "
                   "__rows WHERE \"__r%d\" IS NOT NULL GROUP BY 2 ORDER BY n "
                   "DESC, v LIMIT %d)", k, k, k, LR__CATEGORIES);
    any = 1;
  }
  if (any)
    lr__buf_puts(sql, " ORDER BY k, n DESC, v");
  return any;
}

static int run_categories(lr_offline *off, const lr__view *v,
                          const lr__stats_sample *s, lr__profile *p) {
  lr__buf sql;
  lr__buf_init(&sql);
  if (!category_sql(v, lr__buf_str(&s->rows), &sql)) {
    lr__buf_free(&sql);
    return 0;
  }
  duckdb_result res;
  int rc = query_sample(off, v, s, &sql, &res);
  if (rc)
    return rc;
  idx_t n = lr__duckdb_fns()->row_count(&res);
  for (idx_t r = 0; r < n; r++) {
    lr__fprofile *f = &p->features[cell_count(&res, 0, r)];
    if (!f->categories &&
        !(f->categories = calloc(LR__CATEGORIES, sizeof *f->categories)))
      break;
    if (f->n_categories == LR__CATEGORIES)
      continue;
    f->distinct = cell_count(&res, 3, r);
    f->categories[f->n_categories].value = cell(&res, 1, r);
    f->categories[f->n_categories++].count = cell_count(&res, 2, r);
  }
  lr__duckdb_fns()->destroy_result(&res);
  return 0;
}

/* Makes f's own bins: its distinct deciles, or (categories) its values. */
static void own_bins(lr__fprofile *f) {
  f->n_edges = 0;
  for (int d = 1; f->kind == LR__PK_NUMBER && f->has_moments && d <= 9; d++)
    if (f->n_edges == 0 || f->pct[d * 10] > f->edges[f->n_edges - 1])
      f->edges[f->n_edges++] = f->pct[d * 10];
  f->n_bins = f->kind == LR__PK_NUMBER ? f->n_edges + 2 : f->n_categories + 2;
  f->has_bins = f->kind == LR__PK_NUMBER || f->kind == LR__PK_CATEGORY;
}

/* The feature of `bins_of` named `name` with bins of kind `kind`, or NULL. */
static const lr__fprofile *binned(const lr__profile *bins_of, const char *name,
                                  lr__profile_kind kind) {
  for (int i = 0; i < bins_of->n_features; i++)
    if (!strcmp(bins_of->features[i].name, name) &&
        bins_of->features[i].kind == kind && bins_of->features[i].has_bins)
      return &bins_of->features[i];
  return NULL;
}

/* Appends a double as a DuckDB literal that reads back as it. */
static void double_literal(lr__buf *sql, double d) {
  lr__buf_putc(sql, '\'');
  lr__put_float64(sql, d, 0);
  lr__buf_puts(sql, "'::DOUBLE");
}

/* Appends the counts of number feature k in the bins of `ref`. */
static void number_bins_sql(lr__buf *sql, int k, const lr__fprofile *ref) {
  const char *x = "CAST(\"__r%d\" AS DOUBLE)";
  for (int e = 0; e <= ref->n_edges; e++) {
    lr__buf_puts(sql, ", count_if(");
    if (e > 0) {
      lr__buf_printf(sql, x, k);
      lr__buf_puts(sql, " > ");
      double_literal(sql, ref->edges[e - 1]);
      lr__buf_puts(sql, " AND ");
    }
    lr__buf_printf(sql, x, k);
    if (e < ref->n_edges) {
      lr__buf_puts(sql, " <= ");
      double_literal(sql, ref->edges[e]);
    } else {
      lr__buf_puts(sql, " IS NOT NULL AND NOT isnan("); /* NaN sorts last */
      lr__buf_printf(sql, x, k);
      lr__buf_puts(sql, ")");
    }
    lr__buf_puts(sql, ")");
  }
  lr__buf_printf(sql, ", count_if(\"__r%d\" IS NULL OR isnan(", k);
  lr__buf_printf(sql, x, k);
  lr__buf_puts(sql, "))");
}

/* Appends the counts of category feature k in the bins of `ref`. */
static void category_bins_sql(lr__buf *sql, int k, const lr__fprofile *ref) {
  lr__buf in;
  lr__buf_init(&in);
  for (int c = 0; c < ref->n_categories; c++) {
    lr__buf_printf(sql, ", count_if(CAST(\"__r%d\" AS VARCHAR) = ", k);
    lr__sql_literal(sql, ref->categories[c].value);
    lr__buf_puts(sql, ")");
    lr__buf_puts(&in, c ? ", " : "");
    lr__sql_literal(&in, ref->categories[c].value);
  }
  lr__buf_printf(sql, ", count_if(\"__r%d\" IS NOT NULL", k);
  if (ref->n_categories)
    lr__buf_printf(sql, " AND CAST(\"__r%d\" AS VARCHAR) NOT IN (%s)", k,
                   lr__buf_str(&in));
  lr__buf_printf(sql, "), count_if(\"__r%d\" IS NULL)", k);
  lr__buf_free(&in);
}

/* Query 3: p's features counted in the bins of `bins_of`; a feature it
 * has no bins for gets none. */
static int run_bins(lr_offline *off, const lr__view *v,
                    const lr__stats_sample *s, const lr__profile *bins_of,
                    lr__profile *p) {
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_printf(&sql, "WITH __rows AS (%s) SELECT count(*)",
                 lr__buf_str(&s->rows));
  for (int k = 0; k < v->n_features; k++) {
    lr__fprofile *f = &p->features[k];
    const lr__fprofile *ref = binned(bins_of, f->name, f->kind);
    f->has_bins = ref != NULL;
    if (!ref)
      continue;
    if (ref != f) {
      f->n_bins = ref->n_bins;
      f->n_edges = ref->n_edges;
      memcpy(f->edges, ref->edges, sizeof f->edges);
    }
    if (f->kind == LR__PK_NUMBER)
      number_bins_sql(&sql, k, ref);
    else
      category_bins_sql(&sql, k, ref);
  }
  lr__buf_puts(&sql, " FROM __rows");
  duckdb_result res;
  int rc = query_sample(off, v, s, &sql, &res);
  if (rc)
    return rc;
  idx_t col = 1;
  for (int k = 0; rc == 0 && k < v->n_features; k++) {
    lr__fprofile *f = &p->features[k];
    if (!f->has_bins)
      continue;
    if (!(f->bin_counts = calloc((size_t)f->n_bins, sizeof *f->bin_counts)))
      rc = LR_ENOMEM;
    for (int b = 0; rc == 0 && b < f->n_bins; b++)
      f->bin_counts[b] = cell_count(&res, col++, 0);
  }
  lr__duckdb_fns()->destroy_result(&res);
  return rc;
}

int lr__profile_compute(lr_offline *off, const lr__view *v,
                        const lr__stats_sample *s, int exact, int make_bins,
                        const lr__profile *bins_of, lr__profile *p) {
  memset(p, 0, sizeof *p);
  p->exact = exact;
  p->view = strdup(v->name);
  p->features = calloc((size_t)v->n_features + 1, sizeof *p->features);
  if (!p->view || !p->features)
    return LR_ENOMEM;
  p->n_features = v->n_features;
  for (int k = 0; k < v->n_features; k++) {
    p->features[k].dtype = v->features[k].dtype;
    p->features[k].kind = lr__profile_kind_of(v->features[k].dtype);
    if (!(p->features[k].name = strdup(v->features[k].name)))
      return LR_ENOMEM;
  }
  int rc = run_aggregates(off, v, s, exact, p);
  if (rc == 0)
    rc = run_categories(off, v, s, p);
  if (rc == 0 && !bins_of && make_bins) {
    for (int k = 0; k < p->n_features; k++)
      own_bins(&p->features[k]);
    bins_of = p;
  }
  if (rc == 0 && bins_of)
    rc = run_bins(off, v, s, bins_of, p);
  return rc;
}

void lr__profile_free(lr__profile *p) {
  for (int k = 0; k < p->n_features; k++) {
    lr__fprofile *f = &p->features[k];
    free(f->name);
    free(f->time_min);
    free(f->time_max);
    for (int c = 0; c < f->n_categories; c++)
      free(f->categories[c].value);
    free(f->categories);
    free(f->bin_counts);
  }
  free(p->features);
  free(p->view);
  free(p->ts_min);
  free(p->ts_max);
  memset(p, 0, sizeof *p);
}

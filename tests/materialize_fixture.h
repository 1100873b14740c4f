/*
 * materialize_fixture.h - what the suites that materialize and read back
 * share (test_materialize.c, test_quality.c): SQL on the helper DuckDB,
 * Parquet rows of a one-int64 view, materializations that collect their
 * notes, and lookups of one value. Include after offline_fixture.h.
 */
#ifndef LR_TESTS_MATERIALIZE_FIXTURE_H
#define LR_TESTS_MATERIALIZE_FIXTURE_H

/* Runs SQL on the helper DuckDB (offline_fixture.h). */
static void q(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fixture_vsql(fmt, ap);
  va_end(ap);
}

/* Writes the rows of `select` to repo/<rel> as Parquet (replacing it). */
static void repo_parquet(const char *rel, const char *select) {
  q("COPY (%s) TO '%s/%s' (FORMAT PARQUET)", select, g_repo, rel);
}

/* An ISO time in microseconds. */
static long long T(const char *iso) {
  long long us;
  cr_assert_eq(lr_parse_time(iso, 0, &us), 0, "bad time %s", iso);
  return us;
}

static int split(char *buf, const char **out, int max) {
  int n = 0;
  for (char *tok = strtok(buf, ","); tok && n < max; tok = strtok(NULL, ","))
    out[n++] = tok;
  return n;
}

/* The notes of the last materialization (lr_materialize_spec.note), one
 * a line. */
static char g_notes[4096];

static void collect_note(void *ctx, const char *text) {
  (void)ctx;
  size_t len = strlen(g_notes);
  snprintf(g_notes + len, sizeof g_notes - len, "%s\n", text);
}

/* Materializes [start, end] (times in us) of the views "a,b" (NULL: all). */
static int mat_us(int incremental, long long start, long long end,
                  const char *views, lr_materialize_stats *stats) {
  char buf[512];
  const char *names[16];
  lr_materialize_spec spec = {0};
  spec.start_us = start;
  spec.end_us = end;
  spec.incremental = incremental;
  spec.note = collect_note;
  g_notes[0] = '\0';
  if (views) {
    snprintf(buf, sizeof buf, "%s", views);
    spec.views = names;
    spec.n_views = split(buf, names, 16);
  }
  return lr_materialize(g_off, &spec, stats);
}

static int mat(const char *start, const char *end, const char *views,
               lr_materialize_stats *stats) {
  return mat_us(0, T(start), T(end), views, stats);
}

static int mat_inc(const char *end, const char *views,
                   lr_materialize_stats *stats) {
  return mat_us(1, 0, T(end), views, stats);
}

#define MAT_OK(call)                                                         \
  do {                                                                       \
    int rc_ = (call);                                                        \
    cr_assert_eq(rc_, 0, "%s: %s", lr_err_name(rc_),                         \
                 lr_offline_errmsg(g_off));                                  \
  } while (0)

#define ASSERT_MSG(needle)                                                   \
  cr_assert(strstr(lr_offline_errmsg(g_off), needle),                        \
            "message lacks '%s': %s", needle, lr_offline_errmsg(g_off))

#define ASSERT_STATS(st, v, rd, wr, sk)                                       \
  do {                                                                       \
    cr_assert_eq((st).views, (v), "views %d", (st).views);                   \
    cr_assert_eq((st).rows_read, (rd), "rows_read %llu", (st).rows_read);    \
    cr_assert_eq((st).rows_written, (wr), "rows_written %llu",               \
                 (st).rows_written);                                         \
    cr_assert_eq((st).rows_skipped, (sk), "rows_skipped %llu",               \
                 (st).rows_skipped);                                         \
  } while (0)

/* ---- online reads --------------------------------------------------------- */

/* An open lookup: store, request for refs "v:f,..." and a result. */
typedef struct lookup {
  lr_store *store;
  lr_request *req;
  lr_result *res;
} lookup;

static void lk_open(lookup *lk, const char *refs, int max) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", refs);
  const char *r[32];
  int n = split(buf, r, 32);
  int rc = lr_store_open(g_repo, LR_STORE_READONLY, &lk->store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(lk->store));
  rc = lr_request_prepare(lk->store, r, n, &lk->req);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(lk->store));
  cr_assert_eq(lr_result_create(lk->req, max, &lk->res), 0);
}

static void lk_get(lookup *lk, const lr_value *keys, int n) {
  int rc = lr_get_online_features(lk->req, keys, n, lk->res);
  cr_assert_eq(rc, 0, "%s", lr_result_errmsg(lk->res));
}

static lr_value lk_cell(lookup *lk, int e, int f) {
  lr_value v;
  cr_assert_eq(lr_result_cell(lk->res, e, f, &v), 0);
  return v;
}

static void lk_close(lookup *lk) {
  lr_result_free(lk->res);
  lr_request_free(lk->req);
  lr_store_close(lk->store);
}

static lr_value I64(long long v) {
  lr_value k = {0};
  k.type = LR_TYPE_INT64;
  k.v.i64 = v;
  return k;
}

/* The int64 feature `ref` of user `key`: its status, value and event time. */
typedef struct got {
  int status;
  long long v, ev;
} got;

static got get1(const char *ref, long long key) {
  lookup lk;
  lk_open(&lk, ref, 1);
  lr_value k = I64(key);
  lk_get(&lk, &k, 1);
  lr_value c = lk_cell(&lk, 0, 0);
  got g = {c.status, c.status == LR_STATUS_PRESENT ? c.v.i64 : 0, c.event_ts};
  lk_close(&lk);
  return g;
}

#define ASSERT_VAL(ref, key, val, ev_iso)                                    \
  do {                                                                       \
    got g_ = get1(ref, key);                                                 \
    cr_assert_eq(g_.status, LR_STATUS_PRESENT, "%s key %d: status %s", ref,  \
                 (int)(key), lr_status_name(g_.status));                     \
    cr_assert_eq(g_.v, (val), "%s key %d: %lld, want %lld", ref, (int)(key), \
                 g_.v, (long long)(val));                                    \
    cr_assert_eq(g_.ev, T(ev_iso), "%s key %d: event time", ref, (int)(key)); \
  } while (0)

#define ASSERT_MISSING(ref, key)                                             \
  do {                                                                       \
    got g_ = get1(ref, key);                                                 \
    cr_assert_eq(g_.status, LR_STATUS_NOT_FOUND, "%s key %d: status %s",     \
                 ref, (int)(key), lr_status_name(g_.status));                \
  } while (0)

/* ---- definitions ------------------------------------------------------------ */

#define USER "  - {name: user, join_keys: [user_id], value_type: int64}\n"

/* view `name` over data/<file>.parquet keyed by user, ttl, with created */
#define VIEW(name, src, ttl, schema)                                         \
  "  - name: " name "\n    entities: [user]\n    source: " src               \
  "\n    ttl: " ttl "\n    schema:\n" schema

#define FILE_SRC(name, file)                                                 \
  "  - {name: " name ", kind: file, path: data/" file ", timestamp_field: "  \
  "ts, created_timestamp_column: created}\n"

#define VAL "      - {name: val, dtype: int64}\n"
/* Views va and vb (one int64 `val` each) over a.parquet and b.parquet. */
#define TWO_VIEWS                                                              \
  "entities:\n" USER "sources:\n" FILE_SRC("sa", "a.parquet")                  \
  FILE_SRC("sb", "b.parquet") "feature_views:\n"                               \
  VIEW("va", "sa", "0s", VAL) VIEW("vb", "sb", "0s", VAL)

/* user_id, ts, created, val from VALUES rows (user, 'ts', 'created'|NULL,
 * val|NULL) */
static void rows_parquet(const char *rel, const char *values) {
  char sql[8192];
  snprintf(sql, sizeof sql,
           "SELECT u::BIGINT AS user_id, ts::TIMESTAMP AS ts, "
           "c::TIMESTAMP AS created, v::BIGINT AS val FROM (VALUES %s) "
           "t(u, ts, c, v)", values);
  repo_parquet(rel, sql);
}

#endif

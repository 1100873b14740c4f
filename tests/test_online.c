/*
 * test_online.c - the online store through the public API: lr_store_open,
 * prepared requests, lr_get_online_features, lr_write_rows, lr_write_file,
 * lr_result_format and lr_store_compact.
 *
 * Suites: `online` (writes and reads of every dtype, statuses, feature
 * order, composite keys, newer-wins, ttl, schema evolution, concurrency
 * across threads and processes, bad input, JSON output, compaction) and
 * `ingest` (CSV and JSON-lines files).
 *
 * Each test builds a repo in a fresh temp folder (feature_store.yaml, the
 * definitions below, data/x.csv for the file source), applies it and opens
 * the store read-write.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>

#include <libfyaml.h>

#include "helpers.h"
#include "larder.h"
#include "meta_txn.h"
#include "online/env.h"
#include "online/freshness.h"
#include "online/store.h"
#include "online/writer.h"
#include "process.h"
#include "util/timefmt.h"

/* ---- the fixture repo --------------------------------------------------- */

static const char defs_main[] =
    "entities:\n"
    "  - name: user\n"
    "    join_keys: [user_id]\n"
    "    value_type: int64\n"
    "  - name: item\n"
    "    join_keys: [item_id]\n"
    "    value_type: string\n"
    "  - name: shop\n"
    "    join_keys: [shop_id]\n"
    "    value_type: int32\n"
    "sources:\n"
    "  - name: src\n"
    "    kind: file\n"
    "    path: data/x.csv\n"
    "    timestamp_field: event_timestamp\n"
    "request_sources:\n"
    "  - name: req\n"
    "    schema:\n"
    "      - {name: val, dtype: int64}\n"
    "feature_views:\n"
    "  - name: all_types\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: f_bool, dtype: bool}\n"
    "      - {name: f_i32, dtype: int32}\n"
    "      - {name: f_i64, dtype: int64}\n"
    "      - {name: f_f32, dtype: float32}\n"
    "      - {name: f_f64, dtype: float64}\n"
    "      - {name: f_str, dtype: string}\n"
    "      - {name: f_bytes, dtype: bytes}\n"
    "      - {name: f_ts, dtype: timestamp}\n"
    "      - {name: f_af32, dtype: array<float32>}\n"
    "      - {name: f_ai64, dtype: array<int64>}\n"
    "      - {name: f_astr, dtype: array<string>}\n"
    "  - name: user_stats\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: a, dtype: int64}\n"
    "      - {name: b, dtype: float64}\n"
    "      - {name: c, dtype: string}\n"
    "  - name: user_more\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: x, dtype: int32}\n"
    "      - {name: y, dtype: string}\n"
    "  - name: item_stats\n"
    "    entities: [item]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: price, dtype: float64}\n"
    "      - {name: title, dtype: string}\n"
    "  - name: shop_stats\n"
    "    entities: [shop]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: visits, dtype: int64}\n"
    "  - name: user_item\n"
    "    entities: [user, item]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: score, dtype: float32}\n"
    "      - {name: clicks, dtype: int64}\n"
    "  - name: item_user\n"
    "    entities: [item, user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: rank, dtype: int32}\n"
    "  - name: fresh\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    ttl: 1h\n"
    "    schema:\n"
    "      - {name: v, dtype: int64}\n"
    "      - {name: s, dtype: string}\n"
    "  - name: offline_only\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    online: false\n"
    "    schema:\n"
    "      - {name: z, dtype: int64}\n"
    "on_demand_feature_views:\n"
    "  - name: odfv\n"
    "    sources: [user_stats, req]\n"
    "    schema:\n"
    "      - {name: a_plus, dtype: int64, expr: \"a + val\"}\n"
    "feature_services:\n"
    "  - name: svc\n"
    "    features:\n"
    "      - user_stats: [b, a]\n"
    "      - user_more\n";

/* 2024-01-01T10:00:00Z */
#define T0 1704103200000000LL
#define SEC 1000000LL
#define NO_CREATED LLONG_MIN

static void apply_repo(const char *dir, unsigned flags, int want) {
  lr_repo *repo = NULL;
  int rc = lr_repo_open(dir, &repo);
  cr_assert_eq(rc, 0, "lr_repo_open: %s", lr_repo_errmsg(repo));
  char *plan = NULL;
  rc = lr_repo_apply(repo, flags, &plan);
  cr_assert_eq(rc, want, "lr_repo_apply gave %s: %s", lr_err_name(rc),
               lr_repo_errmsg(repo));
  lr_free(plan);
  lr_repo_close(repo);
}

/* The repo of the running test, removed by the suites' fini when an
 * assertion ends the test early. */
static char *current_dir;

static void repo_done(char *dir) {
  if (dir == current_dir)
    current_dir = NULL;
  th_rmrf(dir);
}

/* Also kills the child processes a failed assertion left running. */
static void remove_leftover(void) {
  th_kill_children();
  if (current_dir)
    repo_done(current_dir);
}

TestSuite(online, .fini = remove_leftover);
TestSuite(ingest, .fini = remove_leftover);

/* A repo holding `defs`, applied. */
static char *make_repo(const char *defs) {
  char *dir = th_tempdir();
  current_dir = dir;
  th_write(dir, "feature_store.yaml", "project: t\n");
  th_write(dir, "data/x.csv", "");
  th_write(dir, "defs.yaml", defs);
  apply_repo(dir, 0, 0);
  return dir;
}

static lr_store *open_store(const char *dir, unsigned flags) {
  lr_store *s = NULL;
  int rc = lr_store_open(dir, flags, &s);
  cr_assert_eq(rc, 0, "lr_store_open: %s", lr_store_errmsg(s));
  return s;
}

/* ---- values -------------------------------------------------------------- */

static lr_value V(int type) {
  lr_value v;
  memset(&v, 0, sizeof v);
  v.type = type;
  return v;
}
static lr_value vnull(void) { return V(LR_TYPE_NULL); }
static lr_value vbool(int b) {
  lr_value v = V(LR_TYPE_BOOL);
  v.v.b = b;
  return v;
}
static lr_value vi32(int x) {
  lr_value v = V(LR_TYPE_INT32);
  v.v.i32 = x;
  return v;
}
static lr_value vi64(long long x) {
  lr_value v = V(LR_TYPE_INT64);
  v.v.i64 = x;
  return v;
}
static lr_value vf32(float x) {
  lr_value v = V(LR_TYPE_FLOAT32);
  v.v.f32 = x;
  return v;
}
static lr_value vf64(double x) {
  lr_value v = V(LR_TYPE_FLOAT64);
  v.v.f64 = x;
  return v;
}
static lr_value vstrn(const char *s, size_t n) {
  lr_value v = V(LR_TYPE_STRING);
  v.v.str.ptr = s;
  v.v.str.len = n;
  return v;
}
static lr_value vstr(const char *s) { return vstrn(s, strlen(s)); }
static lr_value vbytes(const char *s, size_t n) {
  lr_value v = V(LR_TYPE_BYTES);
  v.v.str.ptr = s;
  v.v.str.len = n;
  return v;
}
static lr_value vts(long long us) {
  lr_value v = V(LR_TYPE_TIMESTAMP);
  v.v.ts = us;
  return v;
}
static lr_value varr(int elem, const void *data, size_t n) {
  lr_value v = V(LR_TYPE_ARRAY | elem);
  v.v.array.data = data;
  v.v.array.n = n;
  return v;
}

/* One row as (column, value) pairs. */
typedef struct kv {
  const char *name;
  lr_value v;
} kv;

static int put_row(lr_store *s, const char *view, const kv *cells, int n,
                   lr_write_stats *stats) {
  lr_column cols[32];
  cr_assert_leq(n, 32);
  for (int i = 0; i < n; i++) {
    cols[i].name = cells[i].name;
    cols[i].values = &cells[i].v;
  }
  return lr_write_rows(s, view, cols, n, 1, stats);
}

/* One row of user_stats; created NO_CREATED leaves the column out. */
static int put_stats(lr_store *s, long long key, long long event,
                     long long created, long long a, double b, const char *c,
                     lr_write_stats *stats) {
  kv row[] = {{"user_id", vi64(key)}, {"event_timestamp", vts(event)},
              {"a", vi64(a)},         {"b", vf64(b)},
              {"c", c ? vstr(c) : vnull()},
              {"created_timestamp", vts(created)}};
  return put_row(s, "user_stats", row, created == NO_CREATED ? 5 : 6, stats);
}

static void must_put_stats(lr_store *s, long long key, long long event,
                           long long a) {
  int rc = put_stats(s, key, event, NO_CREATED, a, (double)a / 2, "v", NULL);
  cr_assert_eq(rc, 0, "write: %s", lr_store_errmsg(s));
}

/* ---- lookups ------------------------------------------------------------- */

typedef struct look {
  lr_request *req;
  lr_result *res;
} look;

static void look_refs(look *l, lr_store *s, const char *const *refs, int n,
                      int max) {
  int rc = lr_request_prepare(s, refs, n, &l->req);
  cr_assert_eq(rc, 0, "prepare: %s", lr_store_errmsg(s));
  cr_assert_eq(lr_result_create(l->req, max, &l->res), 0);
}

static void look_get(look *l, const lr_value *keys, int n) {
  int rc = lr_get_online_features(l->req, keys, n, l->res);
  cr_assert_eq(rc, 0, "lookup gave %s: %s", lr_err_name(rc),
               lr_result_errmsg(l->res));
  int count = -1;
  cr_assert_eq(lr_result_count(l->res, &count), 0);
  cr_assert_eq(count, n);
}

static lr_value look_cell(const look *l, int e, int f) {
  lr_value v;
  cr_assert_eq(lr_result_cell(l->res, e, f, &v), 0, "cell %d,%d", e, f);
  return v;
}

static void look_free(look *l) {
  lr_result_free(l->res);
  lr_request_free(l->req);
  l->res = NULL;
  l->req = NULL;
}

/* user_stats:a of one user. */
static lr_value stats_a(lr_store *s, long long key) {
  static const char *const refs[] = {"user_stats:a"};
  look l;
  look_refs(&l, s, refs, 1, 1);
  lr_value k = vi64(key);
  look_get(&l, &k, 1);
  lr_value v = look_cell(&l, 0, 0);
  look_free(&l);
  return v;
}

static void assert_a(lr_store *s, long long key, long long want) {
  lr_value v = stats_a(s, key);
  cr_assert_eq(v.status, LR_STATUS_PRESENT, "user %lld: %s", key,
               lr_status_name(v.status));
  cr_assert_eq(v.v.i64, want, "user %lld: a = %lld, want %lld", key, v.v.i64,
               want);
}

static void assert_str(lr_value v, const char *s, size_t n) {
  cr_assert_eq(v.status, LR_STATUS_PRESENT, "status %s",
               lr_status_name(v.status));
  cr_assert_eq(v.v.str.len, n, "length %zu, want %zu", v.v.str.len, n);
  if (n)
    cr_assert_eq(memcmp(v.v.str.ptr, s, n), 0, "content differs");
}

static int contains(const char *hay, const char *needle) {
  return hay && strstr(hay, needle) != NULL;
}

#define assert_msg(msg, needle)                                                \
  cr_assert(contains((msg), (needle)), "message \"%s\" lacks \"%s\"", (msg),  \
            (needle))

/* ---- every dtype ----------------------------------------------------------- */

static const char *const all_refs[] = {
    "all_types:f_bool", "all_types:f_i32",  "all_types:f_i64",
    "all_types:f_f32",  "all_types:f_f64",  "all_types:f_str",
    "all_types:f_bytes", "all_types:f_ts",  "all_types:f_af32",
    "all_types:f_ai64", "all_types:f_astr"};
enum { N_ALL = 11 };
static const int all_types_of[N_ALL] = {
    LR_TYPE_BOOL,    LR_TYPE_INT32,  LR_TYPE_INT64,  LR_TYPE_FLOAT32,
    LR_TYPE_FLOAT64, LR_TYPE_STRING, LR_TYPE_BYTES,  LR_TYPE_TIMESTAMP,
    LR_TYPE_ARRAY | LR_TYPE_FLOAT32, LR_TYPE_ARRAY | LR_TYPE_INT64,
    LR_TYPE_ARRAY | LR_TYPE_STRING};

static const float r1_af32[] = {0.1f, -2.5f, 1e30f};
static const long long r1_ai64[] = {LLONG_MIN, 0, LLONG_MAX};
static const lr_str r1_astr[] = {{"alpha", 5}, {"", 0}, {"n\0l", 3}};

/* Row 1: ordinary values. */
static void all_row1(kv *row, long long key, long long event) {
  kv r[] = {{"user_id", vi64(key)},
            {"event_timestamp", vts(event)},
            {"f_bool", vbool(1)},
            {"f_i32", vi32(-123456)},
            {"f_i64", vi64(1234567890123LL)},
            {"f_f32", vf32(0.1f)},
            {"f_f64", vf64(-2.5e-300)},
            {"f_str", vstr("caf\xc3\xa9 au lait")},
            {"f_bytes", vbytes("\0\x01\xfe\xff", 4)},
            {"f_ts", vts(-1500000)},
            {"f_af32", varr(LR_TYPE_FLOAT32, r1_af32, 3)},
            {"f_ai64", varr(LR_TYPE_INT64, r1_ai64, 3)},
            {"f_astr", varr(LR_TYPE_STRING, r1_astr, 3)}};
  memcpy(row, r, sizeof r);
}

static void assert_row1(const look *l, int e, long long event) {
  for (int f = 0; f < N_ALL; f++) {
    lr_value v = look_cell(l, e, f);
    cr_assert_eq(v.status, LR_STATUS_PRESENT, "%s: %s", all_refs[f],
                 lr_status_name(v.status));
    cr_assert_eq(v.type, all_types_of[f], "%s: type %d", all_refs[f], v.type);
    cr_assert_eq(v.event_ts, event, "%s: event_ts", all_refs[f]);
  }
  cr_assert_eq(look_cell(l, e, 0).v.b, 1);
  cr_assert_eq(look_cell(l, e, 1).v.i32, -123456);
  cr_assert_eq(look_cell(l, e, 2).v.i64, 1234567890123LL);
  cr_assert_eq(look_cell(l, e, 3).v.f32, 0.1f);
  cr_assert_eq(look_cell(l, e, 4).v.f64, -2.5e-300);
  assert_str(look_cell(l, e, 5), "caf\xc3\xa9 au lait", 13);
  assert_str(look_cell(l, e, 6), "\0\x01\xfe\xff", 4);
  cr_assert_eq(look_cell(l, e, 7).v.ts, -1500000);
  lr_value a = look_cell(l, e, 8);
  cr_assert_eq(a.v.array.n, 3);
  cr_assert_eq(memcmp(a.v.array.data, r1_af32, sizeof r1_af32), 0);
  a = look_cell(l, e, 9);
  cr_assert_eq(a.v.array.n, 3);
  cr_assert_eq(memcmp(a.v.array.data, r1_ai64, sizeof r1_ai64), 0);
  a = look_cell(l, e, 10);
  cr_assert_eq(a.v.array.n, 3);
  const lr_str *items = a.v.array.data;
  for (int k = 0; k < 3; k++) {
    cr_assert_eq(items[k].len, r1_astr[k].len, "item %d", k);
    if (items[k].len)
      cr_assert_eq(memcmp(items[k].ptr, r1_astr[k].ptr, items[k].len), 0,
                   "item %d", k);
  }
}

Test(online, o001_every_dtype_round_trips) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv row[13];
  all_row1(row, 7, T0 + 123456);
  lr_write_stats st;
  int rc = put_row(s, "all_types", row, 13, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 1);
  cr_assert_eq(st.rows_skipped, 0);

  look l;
  look_refs(&l, s, all_refs, N_ALL, 4);
  int n_keys = 0, n_features = 0;
  cr_assert_eq(lr_request_shape(l.req, &n_keys, &n_features), 0);
  cr_assert_eq(n_keys, 1);
  cr_assert_eq(n_features, N_ALL);
  const char *kname;
  int ktype;
  cr_assert_eq(lr_request_key(l.req, 0, &kname, &ktype), 0);
  cr_assert_str_eq(kname, "user_id");
  cr_assert_eq(ktype, LR_TYPE_INT64);
  for (int f = 0; f < N_ALL; f++) {
    const char *view, *name;
    int type;
    cr_assert_eq(lr_request_feature(l.req, f, &view, &name, &type), 0);
    cr_assert_str_eq(view, "all_types");
    cr_assert_str_eq(name, all_refs[f] + strlen("all_types:"));
    cr_assert_eq(type, all_types_of[f]);
  }
  lr_value k = vi64(7);
  look_get(&l, &k, 1);
  assert_row1(&l, 0, T0 + 123456);
  /* a second lookup through the same result gives the same */
  look_get(&l, &k, 1);
  assert_row1(&l, 0, T0 + 123456);
  look_free(&l);
  lr_store_close(s);

  /* and after reopening, read-only */
  s = open_store(dir, LR_STORE_READONLY);
  look_refs(&l, s, all_refs, N_ALL, 1);
  look_get(&l, &k, 1);
  assert_row1(&l, 0, T0 + 123456);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o002_special_values_round_trip) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  static const float af32[] = {NAN, INFINITY, -INFINITY, -0.0f};
  kv row[] = {{"user_id", vi64(-1)},
              {"event_timestamp", vts(-86400LL * 365 * 30 * SEC - 654321)},
              {"f_bool", vbool(0)},
              {"f_i32", vi32(INT_MIN)},
              {"f_i64", vi64(LLONG_MAX)},
              {"f_f32", vf32(-INFINITY)},
              {"f_f64", vf64(NAN)},
              {"f_str", vstr("")},
              {"f_bytes", vbytes("", 0)},
              {"f_ts", vts(LLONG_MIN)},
              {"f_af32", varr(LR_TYPE_FLOAT32, af32, 4)},
              {"f_ai64", varr(LR_TYPE_INT64, NULL, 0)},
              {"f_astr", varr(LR_TYPE_STRING, NULL, 0)}};
  int rc = put_row(s, "all_types", row, 13, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  row[0].v = vi64(LLONG_MIN);
  row[4].v = vi64(LLONG_MIN);
  row[5].v = vf32(INFINITY);
  row[6].v = vf64(-INFINITY);
  row[3].v = vi32(INT_MAX);
  row[9].v = vts(LLONG_MAX);
  rc = put_row(s, "all_types", row, 13, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));

  look l;
  look_refs(&l, s, all_refs, N_ALL, 2);
  lr_value keys[2] = {vi64(-1), vi64(LLONG_MIN)};
  look_get(&l, keys, 2);
  for (int e = 0; e < 2; e++)
    for (int f = 0; f < N_ALL; f++) {
      lr_value v = look_cell(&l, e, f);
      cr_assert_eq(v.status, LR_STATUS_PRESENT, "entity %d %s: %s", e,
                   all_refs[f], lr_status_name(v.status));
      cr_assert_eq(v.event_ts, -86400LL * 365 * 30 * SEC - 654321,
                   "a time before 1970 with microseconds");
    }
  cr_assert_eq(look_cell(&l, 0, 0).v.b, 0);
  cr_assert_eq(look_cell(&l, 0, 1).v.i32, INT_MIN);
  cr_assert_eq(look_cell(&l, 1, 1).v.i32, INT_MAX);
  cr_assert_eq(look_cell(&l, 0, 2).v.i64, LLONG_MAX);
  cr_assert_eq(look_cell(&l, 1, 2).v.i64, LLONG_MIN);
  cr_assert(isinf(look_cell(&l, 0, 3).v.f32) && look_cell(&l, 0, 3).v.f32 < 0);
  cr_assert(isinf(look_cell(&l, 1, 3).v.f32) && look_cell(&l, 1, 3).v.f32 > 0);
  cr_assert(isnan(look_cell(&l, 0, 4).v.f64));
  cr_assert(isinf(look_cell(&l, 1, 4).v.f64) && look_cell(&l, 1, 4).v.f64 < 0);
  for (int e = 0; e < 2; e++) {
    cr_assert_eq(look_cell(&l, e, 5).v.str.len, 0, "empty string");
    cr_assert_eq(look_cell(&l, e, 6).v.str.len, 0, "empty bytes");
    cr_assert_eq(look_cell(&l, e, 9).v.array.n, 0, "empty array<int64>");
    cr_assert_eq(look_cell(&l, e, 10).v.array.n, 0, "empty array<string>");
    lr_value a = look_cell(&l, e, 8);
    cr_assert_eq(a.v.array.n, 4);
    const float *fs = a.v.array.data;
    cr_assert(isnan(fs[0]));
    cr_assert(isinf(fs[1]) && fs[1] > 0);
    cr_assert(isinf(fs[2]) && fs[2] < 0);
    cr_assert(fs[3] == 0 && signbit(fs[3]));
  }
  cr_assert_eq(look_cell(&l, 0, 7).v.ts, LLONG_MIN);
  cr_assert_eq(look_cell(&l, 1, 7).v.ts, LLONG_MAX);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o003_null_values_read_as_null_value) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv row[13];
  all_row1(row, 3, T0);
  for (int i = 2; i < 13; i++)
    row[i].v = vnull();
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), 0, "%s",
               lr_store_errmsg(s));
  /* one null among values */
  all_row1(row, 4, T0 + 5);
  row[7].v = vnull(); /* f_str */
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), 0, "%s",
               lr_store_errmsg(s));
  look l;
  look_refs(&l, s, all_refs, N_ALL, 2);
  lr_value keys[2] = {vi64(3), vi64(4)};
  look_get(&l, keys, 2);
  for (int f = 0; f < N_ALL; f++) {
    lr_value v = look_cell(&l, 0, f);
    cr_assert_eq(v.status, LR_STATUS_NULL_VALUE, "%s: %s", all_refs[f],
                 lr_status_name(v.status));
    cr_assert_eq(v.event_ts, T0, "a stored null has its row's event time");
    v = look_cell(&l, 1, f);
    cr_assert_eq(v.status, f == 5 ? LR_STATUS_NULL_VALUE : LR_STATUS_PRESENT,
                 "%s: %s", all_refs[f], lr_status_name(v.status));
  }
  cr_assert_eq(look_cell(&l, 1, 2).v.i64, 1234567890123LL);
  assert_str(look_cell(&l, 1, 6), "\0\x01\xfe\xff", 4);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o004_unknown_entity_not_found) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  static const char *const refs[] = {"user_stats:a", "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 2, 3);
  /* nothing written to the view yet */
  lr_value keys[3] = {vi64(1), vi64(2), vi64(3)};
  look_get(&l, keys, 3);
  for (int e = 0; e < 3; e++)
    for (int f = 0; f < 2; f++)
      cr_assert_eq(look_cell(&l, e, f).status, LR_STATUS_NOT_FOUND);
  must_put_stats(s, 2, T0, 20);
  look_get(&l, keys, 3);
  cr_assert_eq(look_cell(&l, 0, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_PRESENT);
  cr_assert_eq(look_cell(&l, 1, 0).v.i64, 20);
  assert_str(look_cell(&l, 1, 1), "v", 1);
  cr_assert_eq(look_cell(&l, 2, 1).status, LR_STATUS_NOT_FOUND);
  /* an empty batch is fine */
  look_get(&l, keys, 0);
  lr_value out;
  cr_assert_eq(lr_result_cell(l.res, 0, 0, &out), LR_EINVAL,
               "no entity 0 after an empty lookup");
  look_get(&l, keys, 3);
  cr_assert_eq(lr_result_cell(l.res, 3, 0, &out), LR_EINVAL);
  cr_assert_eq(lr_result_cell(l.res, 0, 2, &out), LR_EINVAL);
  cr_assert_eq(lr_result_cell(l.res, -1, 0, &out), LR_EINVAL);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- order, duplicates, keys --------------------------------------------- */

Test(online, o005_feature_order_is_request_order) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  cr_assert_eq(put_stats(s, 1, T0, NO_CREATED, 11, 1.5, "c1", NULL), 0);
  kv more[] = {{"user_id", vi64(1)},
               {"event_timestamp", vts(T0 + SEC)},
               {"x", vi32(-3)},
               {"y", vstr("why")}};
  cr_assert_eq(put_row(s, "user_more", more, 4, NULL), 0, "%s",
               lr_store_errmsg(s));
  /* v1:a, v2:x, v1:b, v2:y, v1:c - interleaved views */
  static const char *const refs[] = {"user_stats:a", "user_more:x",
                                     "user_stats:b", "user_more:y",
                                     "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 5, 1);
  int nk, nf;
  lr_request_shape(l.req, &nk, &nf);
  cr_assert_eq(nk, 1, "both views share the user_id key column");
  cr_assert_eq(nf, 5);
  for (int f = 0; f < 5; f++) {
    const char *view, *name;
    cr_assert_eq(lr_request_feature(l.req, f, &view, &name, NULL), 0);
    char ref[64];
    snprintf(ref, sizeof ref, "%s:%s", view, name);
    cr_assert_str_eq(ref, refs[f]);
  }
  lr_value k = vi64(1);
  look_get(&l, &k, 1);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 11);
  cr_assert_eq(look_cell(&l, 0, 0).event_ts, T0);
  cr_assert_eq(look_cell(&l, 0, 1).v.i32, -3);
  cr_assert_eq(look_cell(&l, 0, 1).event_ts, T0 + SEC);
  cr_assert_eq(look_cell(&l, 0, 2).v.f64, 1.5);
  assert_str(look_cell(&l, 0, 3), "why", 3);
  assert_str(look_cell(&l, 0, 4), "c1", 2);
  look_free(&l);

  /* the reverse order, and a feature asked for twice */
  static const char *const rev[] = {"user_stats:c", "user_more:y",
                                    "user_stats:b", "user_more:x",
                                    "user_stats:a", "user_stats:a"};
  look_refs(&l, s, rev, 6, 1);
  look_get(&l, &k, 1);
  assert_str(look_cell(&l, 0, 0), "c1", 2);
  assert_str(look_cell(&l, 0, 1), "why", 3);
  cr_assert_eq(look_cell(&l, 0, 2).v.f64, 1.5);
  cr_assert_eq(look_cell(&l, 0, 3).v.i32, -3);
  cr_assert_eq(look_cell(&l, 0, 4).v.i64, 11);
  cr_assert_eq(look_cell(&l, 0, 5).v.i64, 11);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o006_feature_service_in_service_order) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  cr_assert_eq(put_stats(s, 5, T0, NO_CREATED, 50, 2.5, "c", NULL), 0);
  kv more[] = {{"user_id", vi64(5)},
               {"event_timestamp", vts(T0)},
               {"x", vi32(9)},
               {"y", vstr("yy")}};
  cr_assert_eq(put_row(s, "user_more", more, 4, NULL), 0);
  lr_request *req = NULL;
  int rc = lr_request_prepare_service(s, "svc", &req);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  int nk, nf;
  lr_request_shape(req, &nk, &nf);
  cr_assert_eq(nf, 4);
  const char *want[] = {"b", "a", "x", "y"};
  for (int f = 0; f < 4; f++) {
    const char *name;
    lr_request_feature(req, f, NULL, &name, NULL);
    cr_assert_str_eq(name, want[f]);
  }
  lr_result *res = NULL;
  cr_assert_eq(lr_result_create(req, 1, &res), 0);
  lr_value k = vi64(5);
  cr_assert_eq(lr_get_online_features(req, &k, 1, res), 0);
  lr_value v;
  lr_result_cell(res, 0, 0, &v);
  cr_assert_eq(v.v.f64, 2.5);
  lr_result_cell(res, 0, 1, &v);
  cr_assert_eq(v.v.i64, 50);
  lr_result_cell(res, 0, 2, &v);
  cr_assert_eq(v.v.i32, 9);
  lr_result_cell(res, 0, 3, &v);
  assert_str(v, "yy", 2);
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o007_duplicate_entities_identical) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv row[13];
  all_row1(row, 7, T0);
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), 0);
  all_row1(row, 8, T0 + 1);
  row[7].v = vstr("eight");
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), 0);
  look l;
  look_refs(&l, s, all_refs, N_ALL, 8);
  lr_value keys[8] = {vi64(7), vi64(8), vi64(7), vi64(7),
                      vi64(8), vi64(99), vi64(99), vi64(7)};
  look_get(&l, keys, 8);
  const int first[8] = {0, 1, 0, 0, 1, 5, 5, 0};
  for (int e = 0; e < 8; e++) {
    if (keys[e].v.i64 == 7)
      assert_row1(&l, e, T0);
    for (int f = 0; f < N_ALL; f++) {
      lr_value a = look_cell(&l, e, f), b = look_cell(&l, first[e], f);
      cr_assert_eq(a.status, b.status, "entity %d %s", e, all_refs[f]);
      cr_assert_eq(a.event_ts, b.event_ts);
      if (a.status != LR_STATUS_PRESENT)
        continue;
      if (f == 5 || f == 6) {
        cr_assert_eq(a.v.str.len, b.v.str.len);
        cr_assert_eq(memcmp(a.v.str.ptr, b.v.str.ptr, a.v.str.len), 0);
      }
    }
  }
  assert_str(look_cell(&l, 4, 5), "eight", 5);
  cr_assert_eq(look_cell(&l, 6, 0).status, LR_STATUS_NOT_FOUND);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o008_composite_keys) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  struct {
    long long user;
    const char *item;
    size_t item_len;
    float score;
  } rows[] = {{1, "a", 1, 1.0f},   {1, "b", 1, 2.0f},   {2, "a", 1, 3.0f},
              {1, "a\0", 2, 4.0f}, {1, "ab", 2, 5.0f},  {-1, "", 0, 6.0f}};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    kv r[] = {{"user_id", vi64(rows[i].user)},
              {"item_id", vstrn(rows[i].item, rows[i].item_len)},
              {"event_timestamp", vts(T0)},
              {"score", vf32(rows[i].score)},
              {"clicks", vi64((long long)i)}};
    cr_assert_eq(put_row(s, "user_item", r, 5, NULL), 0, "row %zu: %s", i,
                 lr_store_errmsg(s));
    /* the same pairs in the view keyed (item, user) */
    kv r2[] = {{"item_id", vstrn(rows[i].item, rows[i].item_len)},
               {"user_id", vi64(rows[i].user)},
               {"event_timestamp", vts(T0)},
               {"rank", vi32((int)i * 10)}};
    cr_assert_eq(put_row(s, "item_user", r2, 4, NULL), 0, "row %zu: %s", i,
                 lr_store_errmsg(s));
  }
  static const char *const refs[] = {"user_item:score", "item_user:rank",
                                     "user_item:clicks"};
  look l;
  look_refs(&l, s, refs, 3, 8);
  int nk;
  lr_request_shape(l.req, &nk, NULL);
  cr_assert_eq(nk, 2);
  const char *name;
  int type;
  lr_request_key(l.req, 0, &name, &type);
  cr_assert_str_eq(name, "user_id");
  cr_assert_eq(type, LR_TYPE_INT64);
  lr_request_key(l.req, 1, &name, &type);
  cr_assert_str_eq(name, "item_id");
  cr_assert_eq(type, LR_TYPE_STRING);
  size_t n = sizeof rows / sizeof rows[0];
  lr_value keys[16];
  for (size_t i = 0; i < n; i++) {
    keys[2 * i] = vi64(rows[i].user);
    keys[2 * i + 1] = vstrn(rows[i].item, rows[i].item_len);
  }
  keys[2 * n] = vi64(2); /* (2, "b") was never written */
  keys[2 * n + 1] = vstr("b");
  look_get(&l, keys, (int)n + 1);
  for (size_t i = 0; i < n; i++) {
    lr_value v = look_cell(&l, (int)i, 0);
    cr_assert_eq(v.status, LR_STATUS_PRESENT, "pair %zu", i);
    cr_assert_eq(v.v.f32, rows[i].score, "pair %zu: score %g", i, v.v.f32);
    cr_assert_eq(look_cell(&l, (int)i, 1).v.i32, (int)i * 10);
    cr_assert_eq(look_cell(&l, (int)i, 2).v.i64, (long long)i);
  }
  for (int f = 0; f < 3; f++)
    cr_assert_eq(look_cell(&l, (int)n, f).status, LR_STATUS_NOT_FOUND);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o009_int32_and_string_keys) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  const int shops[] = {INT_MIN, -1, 0, 1, INT_MAX};
  for (int i = 0; i < 5; i++) {
    kv r[] = {{"shop_id", vi32(shops[i])},
              {"event_timestamp", vts(T0)},
              {"visits", vi64(100 + i)}};
    cr_assert_eq(put_row(s, "shop_stats", r, 3, NULL), 0, "%s",
                 lr_store_errmsg(s));
  }
  static const char *const srefs[] = {"shop_stats:visits"};
  look l;
  look_refs(&l, s, srefs, 1, 6);
  lr_value keys[6];
  for (int i = 0; i < 5; i++)
    keys[i] = vi32(shops[i]);
  keys[5] = vi32(2);
  look_get(&l, keys, 6);
  for (int i = 0; i < 5; i++)
    cr_assert_eq(look_cell(&l, i, 0).v.i64, 100 + i, "shop %d", shops[i]);
  cr_assert_eq(look_cell(&l, 5, 0).status, LR_STATUS_NOT_FOUND);
  look_free(&l);

  /* string keys: prefixes and NUL bytes name different entities */
  const char *items[] = {"a", "a\0", "ab", "\xff", "long key with spaces"};
  const size_t lens[] = {1, 2, 2, 1, 20};
  for (int i = 0; i < 5; i++) {
    kv r[] = {{"item_id", vstrn(items[i], lens[i])},
              {"event_timestamp", vts(T0)},
              {"price", vf64(i + 0.5)},
              {"title", vstrn(items[i], lens[i])}};
    cr_assert_eq(put_row(s, "item_stats", r, 4, NULL), 0, "%s",
                 lr_store_errmsg(s));
  }
  static const char *const irefs[] = {"item_stats:title", "item_stats:price"};
  look_refs(&l, s, irefs, 2, 6);
  for (int i = 0; i < 5; i++)
    keys[i] = vstrn(items[i], lens[i]);
  keys[5] = vstrn("a\0\0", 3);
  look_get(&l, keys, 6);
  for (int i = 0; i < 5; i++) {
    assert_str(look_cell(&l, i, 0), items[i], lens[i]);
    cr_assert_eq(look_cell(&l, i, 1).v.f64, i + 0.5);
  }
  cr_assert_eq(look_cell(&l, 5, 0).status, LR_STATUS_NOT_FOUND);
  look_free(&l);

  /* an int32 value is accepted for an int64 key (widening) */
  must_put_stats(s, 12, T0, 120);
  static const char *const urefs[] = {"user_stats:a"};
  look_refs(&l, s, urefs, 1, 1);
  lr_value k = vi32(12);
  look_get(&l, &k, 1);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 120);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- newer wins ----------------------------------------------------------- */

Test(online, o010_newer_wins_out_of_order) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  lr_write_stats st;
  cr_assert_eq(put_stats(s, 1, T0 + 2 * SEC, NO_CREATED, 2, 0, "t2", &st), 0);
  cr_assert_eq(st.rows_written, 1);
  cr_assert_eq(put_stats(s, 1, T0 + SEC, NO_CREATED, 1, 0, "t1", &st), 0);
  cr_assert_eq(st.rows_written, 0);
  cr_assert_eq(st.rows_skipped, 1, "the older row is counted as skipped");
  assert_a(s, 1, 2);
  cr_assert_eq(stats_a(s, 1).event_ts, T0 + 2 * SEC);
  /* even a late row with a created time, which the stored one lacks */
  cr_assert_eq(put_stats(s, 1, T0 + SEC, T0 + 100 * SEC, 3, 0, "late", &st), 0);
  cr_assert_eq(st.rows_skipped, 1);
  assert_a(s, 1, 2);
  /* one microsecond newer replaces */
  cr_assert_eq(put_stats(s, 1, T0 + 2 * SEC + 1, NO_CREATED, 4, 0, "t3", &st),
               0);
  cr_assert_eq(st.rows_written, 1);
  cr_assert_eq(st.rows_skipped, 0);
  assert_a(s, 1, 4);
  /* survives a reopen */
  lr_store_close(s);
  s = open_store(dir, LR_STORE_READWRITE);
  cr_assert_eq(put_stats(s, 1, T0, NO_CREATED, 5, 0, "old", &st), 0);
  cr_assert_eq(st.rows_skipped, 1);
  assert_a(s, 1, 4);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o011_equal_event_larger_created_wins) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  lr_write_stats st;
  cr_assert_eq(put_stats(s, 1, T0, T0 + 10, 1, 0, NULL, &st), 0);
  cr_assert_eq(put_stats(s, 1, T0, T0 + 20, 2, 0, NULL, &st), 0);
  cr_assert_eq(st.rows_written, 1, "a larger created time wins");
  assert_a(s, 1, 2);
  cr_assert_eq(put_stats(s, 1, T0, T0 + 15, 3, 0, NULL, &st), 0);
  cr_assert_eq(st.rows_skipped, 1, "a smaller created time loses");
  assert_a(s, 1, 2);
  /* no created time is older than any: both as a missing column and as a
   * null value */
  cr_assert_eq(put_stats(s, 1, T0, NO_CREATED, 4, 0, NULL, &st), 0);
  cr_assert_eq(st.rows_skipped, 1);
  kv nullc[] = {{"user_id", vi64(1)}, {"event_timestamp", vts(T0)},
                {"a", vi64(5)},       {"b", vnull()},
                {"c", vnull()},       {"created_timestamp", vnull()}};
  cr_assert_eq(put_row(s, "user_stats", nullc, 6, &st), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(st.rows_skipped, 1);
  assert_a(s, 1, 2);
  /* the other way: no created first, then a created one at the same event */
  cr_assert_eq(put_stats(s, 2, T0, NO_CREATED, 6, 0, NULL, &st), 0);
  cr_assert_eq(put_stats(s, 2, T0, T0 - 1000 * SEC, 7, 0, NULL, &st), 0);
  cr_assert_eq(st.rows_written, 1, "any created time beats none");
  assert_a(s, 2, 7);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o012_equal_times_replace) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  lr_write_stats st;
  cr_assert_eq(put_stats(s, 1, T0, T0 + 5, 1, 0, "one", &st), 0);
  cr_assert_eq(put_stats(s, 1, T0, T0 + 5, 2, 0, "two", &st), 0);
  cr_assert_eq(st.rows_written, 1, "equal (event, created) replaces");
  cr_assert_eq(st.rows_skipped, 0);
  assert_a(s, 1, 2);
  cr_assert_eq(put_stats(s, 1, T0 + SEC, NO_CREATED, 3, 0, "x", &st), 0);
  cr_assert_eq(put_stats(s, 1, T0 + SEC, NO_CREATED, 4, 0, "y", &st), 0);
  cr_assert_eq(st.rows_written, 1, "equal event times, both without created");
  assert_a(s, 1, 4);
  lr_store_close(s);
  repo_done(dir);
}

/* Rows of one batch for the same key, out of order: the newest stays. */
Test(online, o013_newer_wins_within_one_batch) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  enum { N = 5 };
  lr_value uid[N], ev[N], a[N], b[N], c[N];
  const long long events[N] = {T0 + 3, T0 + 1, T0 + 5, T0 + 2, T0 + 5};
  for (int i = 0; i < N; i++) {
    uid[i] = vi64(1);
    ev[i] = vts(events[i]);
    a[i] = vi64(i);
    b[i] = vnull();
    c[i] = vnull();
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", c}};
  lr_write_stats st;
  int rc = lr_write_rows(s, "user_stats", cols, 5, N, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  /* row 0 written, 1 skipped, 2 written, 3 skipped, 4 equal: written */
  cr_assert_eq(st.rows_written, 3);
  cr_assert_eq(st.rows_skipped, 2);
  assert_a(s, 1, 4);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- ttl ------------------------------------------------------------------ */

/* `fresh` has ttl 1h. Rows are written relative to the real clock: with t0
 * read before the write and t1 after the lookup, the lookup's "now" lies in
 * [t0, t1]. A row with event t0 - ttl + margin is within the ttl as long as
 * t1 - t0 <= margin (checked; the round is retried otherwise). A row with
 * event t0 - ttl - 1s is outside it whatever the delay. */
Test(online, o014_ttl_boundary) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  const long long ttl = 3600 * SEC, margin = 5 * SEC;
  static const char *const refs[] = {"fresh:v", "fresh:s"};
  look l;
  look_refs(&l, s, refs, 2, 5);
  int checked = 0;
  for (int round = 0; round < 5 && !checked; round++) {
    long long t0 = lr__time_now_us();
    const long long events[5] = {
        t0 - ttl + margin,   /* just inside */
        t0 - ttl - SEC,      /* one second outside */
        t0,                  /* now */
        t0 + 3600 * SEC,     /* in the future */
        t0 - ttl - 1         /* one microsecond outside */
    };
    for (int i = 0; i < 5; i++) {
      kv r[] = {{"user_id", vi64(i)},
                {"event_timestamp", vts(events[i])},
                {"v", vi64(1000 + i + round * 10)},
                {"s", vstr("secret")}};
      cr_assert_eq(put_row(s, "fresh", r, 4, NULL), 0, "%s",
                   lr_store_errmsg(s));
    }
    lr_value keys[5] = {vi64(0), vi64(1), vi64(2), vi64(3), vi64(4)};
    look_get(&l, keys, 5);
    long long t1 = lr__time_now_us();
    /* outside: always, whatever the delay */
    for (int e = 1; e == 1 || e == 4; e += 3)
      for (int f = 0; f < 2; f++) {
        lr_value v = look_cell(&l, e, f);
        cr_assert_eq(v.status, LR_STATUS_OUTSIDE_MAX_AGE, "entity %d: %s", e,
                     lr_status_name(v.status));
        if (f == 0)
          cr_assert_eq(v.v.i64, 0, "the value is withheld");
        else
          cr_assert(v.v.str.ptr == NULL && v.v.str.len == 0,
                    "the string is withheld");
      }
    if (t1 - t0 > margin)
      continue; /* too slow for the inside row to mean anything: retry */
    checked = 1;
    for (int e = 0; e < 4; e += (e == 0 ? 2 : 1)) {
      lr_value v = look_cell(&l, e, 0);
      cr_assert_eq(v.status, LR_STATUS_PRESENT, "entity %d: %s", e,
                   lr_status_name(v.status));
      cr_assert_eq(v.v.i64, 1000 + e + round * 10);
      cr_assert_eq(v.event_ts, events[e]);
      assert_str(look_cell(&l, e, 1), "secret", 6);
    }
  }
  cr_assert(checked, "five rounds each took longer than %lld us", margin);
  look_free(&l);
  /* a view without ttl keeps rows of any age */
  must_put_stats(s, 1, -100000 * SEC, 9);
  assert_a(s, 1, 9);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- schema evolution ----------------------------------------------------- */

/* The evolution repo's second view (after ev, whose schema the test
 * gives). */
#define EVO_OTHER                                                              \
  "  - name: other\n"                                                          \
  "    entities: [user]\n"                                                     \
  "    source: src\n"                                                          \
  "    schema:\n"                                                              \
  "      - {name: o, dtype: int64}\n"

/* The evolution repo's definitions: TH_USER_SOURCE, view ev with
 * `schema`, EVO_OTHER (heap). */
static char *evo_defs(const char *schema) {
  static const char head[] = TH_USER_SOURCE "  - name: ev\n"
                                            "    entities: [user]\n"
                                            "    source: src\n"
                                            "    schema:\n";
  static const char tail[] = EVO_OTHER;
  size_t n = strlen(head) + strlen(schema) + strlen(tail) + 1;
  char *text = malloc(n);
  snprintf(text, n, "%s%s%s", head, schema, tail);
  return text;
}

static void write_evo(const char *dir, const char *schema) {
  char *text = evo_defs(schema);
  th_write(dir, "defs.yaml", text);
  free(text);
}

static char *make_evo_repo(const char *schema) {
  char *text = evo_defs(schema);
  char *dir = make_repo(text);
  free(text);
  return dir;
}

/* Defines only `other` of the evolution repo (ev removed). */
static void write_only_other(const char *dir) {
  th_write(dir, "defs.yaml", TH_USER_SOURCE EVO_OTHER);
}

#define EVO_AB                                                                 \
  "      - {name: a, dtype: int64}\n"                                          \
  "      - {name: b, dtype: string}\n"
#define EVO_ABC EVO_AB "      - {name: c, dtype: float64}\n"

Test(online, o015_schema_add_feature) {
  char *dir = make_evo_repo(EVO_AB);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv r1[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(10)},
             {"b", vstr("bee")}};
  cr_assert_eq(put_row(s, "ev", r1, 4, NULL), 0, "%s", lr_store_errmsg(s));
  kv o1[] = {{"user_id", vi64(1)}, {"event_timestamp", vts(T0)}, {"o", vi64(5)}};
  cr_assert_eq(put_row(s, "other", o1, 3, NULL), 0);
  lr_store_close(s);

  write_evo(dir, EVO_ABC);
  apply_repo(dir, 0, 0); /* adding a feature needs no force */
  s = open_store(dir, LR_STORE_READWRITE);
  static const char *const refs[] = {"ev:c", "ev:a", "ev:b", "other:o"};
  look l;
  look_refs(&l, s, refs, 4, 2);
  lr_value keys[2] = {vi64(1), vi64(2)};
  look_get(&l, keys, 2);
  lr_value c = look_cell(&l, 0, 0);
  cr_assert_eq(c.status, LR_STATUS_NOT_FOUND,
               "a feature added after the row was written: %s",
               lr_status_name(c.status));
  cr_assert_eq(look_cell(&l, 0, 1).status, LR_STATUS_PRESENT);
  cr_assert_eq(look_cell(&l, 0, 1).v.i64, 10);
  assert_str(look_cell(&l, 0, 2), "bee", 3);
  cr_assert_eq(look_cell(&l, 0, 3).v.i64, 5, "other views are untouched");
  /* a new row has the new feature */
  kv r2[] = {{"user_id", vi64(2)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(20)},
             {"b", vstr("b2")},
             {"c", vf64(0.25)}};
  cr_assert_eq(put_row(s, "ev", r2, 5, NULL), 0, "%s", lr_store_errmsg(s));
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_PRESENT);
  cr_assert_eq(look_cell(&l, 1, 0).v.f64, 0.25);
  cr_assert_eq(look_cell(&l, 1, 1).v.i64, 20);
  cr_assert_eq(look_cell(&l, 0, 0).status, LR_STATUS_NOT_FOUND);
  /* a write that leaves the new feature out is refused (every feature is a
   * column) */
  cr_assert_eq(put_row(s, "ev", r1, 4, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'c'");
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o016_schema_remove_feature) {
  char *dir = make_evo_repo(EVO_ABC);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv r1[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(10)},
             {"b", vstr("bee")},
             {"c", vf64(1.5)}};
  cr_assert_eq(put_row(s, "ev", r1, 5, NULL), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  /* remove b (the middle slot) */
  write_evo(dir, "      - {name: a, dtype: int64}\n"
                 "      - {name: c, dtype: float64}\n");
  apply_repo(dir, 0, 0);
  s = open_store(dir, LR_STORE_READWRITE);
  static const char *const refs[] = {"ev:c", "ev:a"};
  look l;
  look_refs(&l, s, refs, 2, 2);
  lr_value keys[2] = {vi64(1), vi64(2)};
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 0, 0).status, LR_STATUS_PRESENT);
  cr_assert_eq(look_cell(&l, 0, 0).v.f64, 1.5);
  cr_assert_eq(look_cell(&l, 0, 1).v.i64, 10);
  /* the removed feature is gone from requests and writes */
  static const char *const gone[] = {"ev:b"};
  lr_request *req = NULL;
  cr_assert_eq(lr_request_prepare(s, gone, 1, &req), LR_ENOTFOUND);
  cr_assert_null(req);
  cr_assert_eq(put_row(s, "ev", r1, 5, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'b'");
  /* new rows without it */
  kv r2[] = {{"user_id", vi64(2)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(20)},
             {"c", vf64(2.5)}};
  cr_assert_eq(put_row(s, "ev", r2, 4, NULL), 0, "%s", lr_store_errmsg(s));
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 1, 0).v.f64, 2.5);
  cr_assert_eq(look_cell(&l, 1, 1).v.i64, 20);
  cr_assert_eq(look_cell(&l, 0, 1).v.i64, 10);
  look_free(&l);
  lr_store_close(s);
  /* adding b back (as a new feature) reads as missing for old rows */
  write_evo(dir, EVO_ABC);
  apply_repo(dir, 0, 0);
  s = open_store(dir, LR_STORE_READONLY);
  static const char *const back[] = {"ev:b", "ev:a"};
  look_refs(&l, s, back, 2, 2);
  look_get(&l, keys, 2);
  for (int e = 0; e < 2; e++) {
    lr_value b = look_cell(&l, e, 0);
    cr_assert(b.status == LR_STATUS_NOT_FOUND || b.status == LR_STATUS_NULL_VALUE,
              "entity %d: a re-added feature must not show old bytes (%s)", e,
              lr_status_name(b.status));
    cr_assert_eq(look_cell(&l, e, 1).status, LR_STATUS_PRESENT);
  }
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o017_schema_retype_needs_force_and_drops_rows) {
  char *dir = make_evo_repo(EVO_AB);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv r1[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(10)},
             {"b", vstr("bee")}};
  cr_assert_eq(put_row(s, "ev", r1, 4, NULL), 0);
  kv o1[] = {{"user_id", vi64(1)}, {"event_timestamp", vts(T0)}, {"o", vi64(5)}};
  cr_assert_eq(put_row(s, "other", o1, 3, NULL), 0);
  lr_store_close(s);
  /* a: int64 -> string */
  write_evo(dir, "      - {name: a, dtype: string}\n"
                 "      - {name: b, dtype: string}\n");
  apply_repo(dir, 0, LR_ENEEDFORCE);
  /* refused: the old registry still serves the old rows */
  s = open_store(dir, LR_STORE_READONLY);
  static const char *const refs[] = {"ev:a", "ev:b", "other:o"};
  look l;
  look_refs(&l, s, refs, 3, 1);
  lr_value k = vi64(1);
  look_get(&l, &k, 1);
  cr_assert_eq(look_cell(&l, 0, 0).type, LR_TYPE_INT64);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 10);
  look_free(&l);
  lr_store_close(s);

  apply_repo(dir, LR_APPLY_FORCE, 0);
  s = open_store(dir, LR_STORE_READWRITE);
  look_refs(&l, s, refs, 3, 1);
  look_get(&l, &k, 1);
  for (int f = 0; f < 2; f++)
    cr_assert_eq(look_cell(&l, 0, f).status, LR_STATUS_NOT_FOUND,
                 "feature %d: the view's rows are dropped: %s", f,
                 lr_status_name(look_cell(&l, 0, f).status));
  cr_assert_eq(look_cell(&l, 0, 0).type, LR_TYPE_STRING);
  cr_assert_eq(look_cell(&l, 0, 2).v.i64, 5, "other views keep their rows");
  kv r2[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0 - SEC)},
             {"a", vstr("ten")},
             {"b", vstr("b")}};
  lr_write_stats st;
  cr_assert_eq(put_row(s, "ev", r2, 4, &st), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 1, "no old row competes any more");
  look_get(&l, &k, 1);
  assert_str(look_cell(&l, 0, 0), "ten", 3);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* A view removed by one apply and defined again (same name, other types)
 * by a later one is a new view: it must not read the rows stored under the
 * old definition. */
Test(online, o044_view_removed_then_redefined_starts_empty) {
  char *dir = make_evo_repo(EVO_AB);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv r1[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(10)},
             {"b", vstr("bee")}};
  cr_assert_eq(put_row(s, "ev", r1, 4, NULL), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  write_only_other(dir); /* remove ev */
  apply_repo(dir, 0, 0);
  /* define ev again with the types swapped */
  write_evo(dir, "      - {name: a, dtype: string}\n"
                 "      - {name: b, dtype: int64}\n");
  apply_repo(dir, 0, 0);
  s = open_store(dir, LR_STORE_READWRITE);
  static const char *const refs[] = {"ev:a", "ev:b"};
  look l;
  look_refs(&l, s, refs, 2, 1);
  lr_value k = vi64(1);
  int rc = lr_get_online_features(l.req, &k, 1, l.res);
  cr_assert_eq(rc, 0, "lookup gave %s: %s", lr_err_name(rc),
               lr_result_errmsg(l.res));
  for (int f = 0; f < 2; f++)
    cr_assert_eq(look_cell(&l, 0, f).status, LR_STATUS_NOT_FOUND,
                 "feature %d of the new view reads an old row: %s", f,
                 lr_status_name(look_cell(&l, 0, f).status));
  /* and a new row is written, whatever its time */
  kv r2[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0 - SEC)},
             {"a", vstr("ten")},
             {"b", vi64(11)}};
  lr_write_stats st;
  cr_assert_eq(put_row(s, "ev", r2, 4, &st), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 1);
  look_get(&l, &k, 1);
  assert_str(look_cell(&l, 0, 0), "ten", 3);
  cr_assert_eq(look_cell(&l, 0, 1).v.i64, 11);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* A long-running reader keeps the registry it opened with. When another
 * process applies an added feature and writes rows in the new layout, the
 * reader must still serve the features it knows from those rows (adding a
 * feature is an apply "and nothing else": no restart of the readers). */
Test(online, o046_open_reader_survives_an_added_feature) {
  char *dir = make_evo_repo(EVO_AB);
  lr_store *w = open_store(dir, LR_STORE_READWRITE);
  kv r1[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a", vi64(10)},
             {"b", vstr("bee")}};
  cr_assert_eq(put_row(w, "ev", r1, 4, NULL), 0, "%s", lr_store_errmsg(w));
  lr_store_close(w);
  lr_store *r = open_store(dir, LR_STORE_READONLY);
  static const char *const refs[] = {"ev:a", "ev:b"};
  look l;
  look_refs(&l, r, refs, 2, 2);
  lr_value keys[2] = {vi64(1), vi64(2)};
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 10);

  write_evo(dir, EVO_ABC);
  apply_repo(dir, 0, 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) { /* the writer, under the new registry */
    lr_store *cw = NULL;
    int rc = lr_store_open(dir, LR_STORE_READWRITE, &cw);
    for (long long k = 1; rc == 0 && k <= 2; k++) {
      kv row[] = {{"user_id", vi64(k)},
                  {"event_timestamp", vts(T0 + SEC)},
                  {"a", vi64(20 * k)},
                  {"b", vstr("b2")},
                  {"c", vf64(0.5)}};
      rc = put_row(cw, "ev", row, 5, NULL);
    }
    lr_store_close(cw);
    _exit(rc == 0 ? 0 : 1);
  }
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the writer process failed (status %d)", status);
  int rc = lr_get_online_features(l.req, keys, 2, l.res);
  cr_assert_eq(rc, 0, "the open reader fails on new rows: %s: %s",
               lr_err_name(rc), lr_result_errmsg(l.res));
  for (int e = 0; e < 2; e++) {
    cr_assert_eq(look_cell(&l, e, 0).status, LR_STATUS_PRESENT);
    cr_assert_eq(look_cell(&l, e, 0).v.i64, 20 * (e + 1));
    assert_str(look_cell(&l, e, 1), "b2", 2);
  }
  look_free(&l);
  lr_store_close(r);
  repo_done(dir);
}

/* ---- concurrency ---------------------------------------------------------- */

enum { BIG_N = 20000, BATCH = 100 };

typedef struct big_ctx {
  lr_store *store;
  lr_request *req;
  atomic_int writer_done;
  atomic_int reader_started;
  int write_rc;
  int reads, mixed, bad_version, lookup_errors, saw_v1, saw_v2, final_v2;
  char first_problem[200];
} big_ctx;

static void *big_reader(void *arg) {
  big_ctx *c = arg;
  lr_result *res = NULL;
  if (lr_result_create(c->req, BATCH, &res)) {
    c->lookup_errors++;
    atomic_store(&c->reader_started, 1);
    return NULL;
  }
  lr_value keys[BATCH];
  for (int i = 0; i < BATCH; i++)
    keys[i] = vi64((long long)i * (BIG_N / BATCH) + (i % 7)); /* spread out */
  for (int done = 0;;) {
    int was_done = atomic_load(&c->writer_done);
    if (lr_get_online_features(c->req, keys, BATCH, res)) {
      c->lookup_errors++;
      snprintf(c->first_problem, sizeof c->first_problem, "%s",
               lr_result_errmsg(res));
      break;
    }
    c->reads++;
    atomic_store(&c->reader_started, 1);
    lr_value first;
    lr_result_cell(res, 0, 0, &first);
    long long version = first.v.i64;
    if (version != 1 && version != 2)
      c->bad_version++;
    c->saw_v1 |= version == 1;
    c->saw_v2 |= version == 2;
    for (int i = 0; i < BATCH; i++) {
      lr_value a, s;
      lr_result_cell(res, i, 0, &a);
      lr_result_cell(res, i, 1, &s);
      int same = a.status == LR_STATUS_PRESENT && a.v.i64 == version &&
                 s.status == LR_STATUS_PRESENT && s.v.str.len == 2 &&
                 s.v.str.ptr[1] == (char)('0' + version);
      if (!same) {
        if (!c->mixed)
          snprintf(c->first_problem, sizeof c->first_problem,
                   "read %d: entity %d has a=%lld, entity 0 has %lld", c->reads,
                   i, a.v.i64, version);
        c->mixed++;
        break;
      }
    }
    if (done) {
      c->final_v2 = version == 2;
      break;
    }
    done = was_done;
  }
  lr_result_free(res);
  return NULL;
}

static void *big_writer(void *arg) {
  big_ctx *c = arg;
  lr_value *uid = calloc(BIG_N, sizeof *uid), *ev = calloc(BIG_N, sizeof *ev),
           *a = calloc(BIG_N, sizeof *a), *b = calloc(BIG_N, sizeof *b),
           *s = calloc(BIG_N, sizeof *s);
  for (int i = 0; i < BIG_N; i++) {
    uid[i] = vi64(i);
    ev[i] = vts(T0 + 2 * SEC);
    a[i] = vi64(2);
    b[i] = vf64(2.0);
    s[i] = vstr("v2");
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", s}};
  c->write_rc = lr_write_rows(c->store, "user_stats", cols, 5, BIG_N, NULL);
  atomic_store(&c->writer_done, 1);
  free(uid);
  free(ev);
  free(a);
  free(b);
  free(s);
  return NULL;
}

Test(online, o018_concurrent_reader_sees_whole_writes) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  /* version 1 everywhere, in one batch */
  lr_value *uid = calloc(BIG_N, sizeof *uid), *ev = calloc(BIG_N, sizeof *ev),
           *a = calloc(BIG_N, sizeof *a), *b = calloc(BIG_N, sizeof *b),
           *str = calloc(BIG_N, sizeof *str);
  for (int i = 0; i < BIG_N; i++) {
    uid[i] = vi64(i);
    ev[i] = vts(T0);
    a[i] = vi64(1);
    b[i] = vf64(1.0);
    str[i] = vstr("v1");
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", str}};
  lr_write_stats st;
  cr_assert_eq(lr_write_rows(s, "user_stats", cols, 5, BIG_N, &st), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, BIG_N);
  free(uid);
  free(ev);
  free(a);
  free(b);
  free(str);

  static const char *const refs[] = {"user_stats:a", "user_stats:c"};
  big_ctx c;
  memset(&c, 0, sizeof c);
  c.store = s;
  cr_assert_eq(lr_request_prepare(s, refs, 2, &c.req), 0);
  pthread_t rt, wt;
  cr_assert_eq(pthread_create(&rt, NULL, big_reader, &c), 0);
  while (!atomic_load(&c.reader_started))
    sched_yield();
  cr_assert_eq(pthread_create(&wt, NULL, big_writer, &c), 0);
  pthread_join(wt, NULL);
  pthread_join(rt, NULL);
  cr_assert_eq(c.write_rc, 0, "the big write failed: %s", lr_store_errmsg(s));
  cr_assert_eq(c.lookup_errors, 0, "lookup failed: %s", c.first_problem);
  cr_assert_eq(c.bad_version, 0);
  cr_assert_eq(c.mixed, 0, "%d of %d reads saw a mix: %s", c.mixed, c.reads,
               c.first_problem);
  cr_assert(c.saw_v1, "the reader read before the write");
  cr_assert(c.final_v2, "after the write the reader sees version 2");
  lr_request_free(c.req);
  /* spot checks through a fresh request */
  assert_a(s, 0, 2);
  assert_a(s, BIG_N - 1, 2);
  cr_assert_eq(stats_a(s, BIG_N).status, LR_STATUS_NOT_FOUND);
  lr_store_close(s);
  repo_done(dir);
}

/* The child's side of the process tests: exit codes name what went wrong. */
enum {
  CHILD_OK = 0,
  CHILD_OPEN = 10,
  CHILD_PREPARE,
  CHILD_LOOKUP1,
  CHILD_VALUE1,
  CHILD_PIPE,
  CHILD_LOOKUP2,
  CHILD_VALUE2,
  CHILD_VALUE1_AGAIN,
  CHILD_READONLY
};

static long long int_of(const lr_value *v) {
  return v->type == LR_TYPE_INT32 ? v->v.i32 : v->v.i64;
}

/* Opens the store read-only, reads user 1 (`first_a`: its a, or -1 for no
 * row) and user 2's `second_ref` (no row yet), signals, waits for the
 * parent's write of user 2 (200), and reads again through the same handle,
 * request and result. */
static int child_reader(const char *dir, int ready_fd, int go_fd,
                        const char *second_ref, long long first_a) {
  lr_store *s = NULL;
  if (lr_store_open(dir, LR_STORE_READONLY, &s)) {
    lr_store_close(s);
    return CHILD_OPEN;
  }
  const char *refs[] = {"user_stats:a", second_ref};
  lr_request *req = NULL;
  lr_result *res = NULL;
  int rc = CHILD_OK;
  if (lr_request_prepare(s, refs, 2, &req) || lr_result_create(req, 2, &res))
    rc = CHILD_PREPARE;
  lr_value keys[2] = {vi64(1), vi64(2)};
  lr_value v;
  if (!rc && lr_get_online_features(req, keys, 2, res))
    rc = CHILD_LOOKUP1;
  if (!rc) {
    lr_result_cell(res, 0, 0, &v);
    if (first_a < 0 ? v.status != LR_STATUS_NOT_FOUND
                    : v.status != LR_STATUS_PRESENT || v.v.i64 != first_a)
      rc = CHILD_VALUE1;
    lr_result_cell(res, 1, 1, &v);
    if (v.status != LR_STATUS_NOT_FOUND)
      rc = CHILD_VALUE1;
  }
  /* a read-only store refuses writes */
  if (!rc && put_stats(s, 3, T0, NO_CREATED, 1, 1, "x", NULL) != LR_EREADONLY)
    rc = CHILD_READONLY;
  char byte = rc ? 'x' : 'r';
  if (write(ready_fd, &byte, 1) != 1)
    rc = rc ? rc : CHILD_PIPE;
  if (!rc && (read(go_fd, &byte, 1) != 1 || byte != 'g'))
    rc = CHILD_PIPE;
  if (!rc && lr_get_online_features(req, keys, 2, res))
    rc = CHILD_LOOKUP2;
  if (!rc) {
    lr_result_cell(res, 1, 1, &v);
    if (v.status != LR_STATUS_PRESENT || int_of(&v) != 200)
      rc = CHILD_VALUE2;
    lr_result_cell(res, 0, 0, &v);
    if (first_a < 0 ? v.status != LR_STATUS_NOT_FOUND
                    : v.status != LR_STATUS_PRESENT || v.v.i64 != first_a)
      rc = CHILD_VALUE1_AGAIN;
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  return rc;
}

/* Forks a reader of user 1 and of user 2's `second_ref` (in `view`).
 * writer_first: the parent opens the store and writes user 1 (a = 100)
 * before the fork, and keeps it open; otherwise the reader is the first to
 * open the store, and the parent opens it only after the reader's first
 * lookup. Either way the parent then writes user 2 and the reader must see
 * it on its next lookup, without reopening. */
static void run_process_reader(const char *view, const char *second_ref,
                               int writer_first) {
  char *dir = make_repo(defs_main);
  lr_store *s = NULL;
  if (writer_first) {
    s = open_store(dir, LR_STORE_READWRITE);
    must_put_stats(s, 1, T0, 100);
  }
  int ready[2], go[2];
  cr_assert_eq(pipe(ready), 0);
  cr_assert_eq(pipe(go), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_neq(pid, -1);
  if (pid == 0) {
    close(ready[0]);
    close(go[1]);
    _exit(child_reader(dir, ready[1], go[0], second_ref,
                       writer_first ? 100 : -1));
  }
  close(ready[1]);
  close(go[0]);
  char byte = 0;
  ssize_t got = read(ready[0], &byte, 1);
  int wrote = 0;
  char why[300] = "the reader did not signal";
  if (got == 1 && byte == 'r') {
    if (!s)
      s = open_store(dir, LR_STORE_READWRITE);
    int rc;
    if (strcmp(view, "user_stats") == 0) {
      rc = put_stats(s, 2, T0, NO_CREATED, 200, 2, "two", NULL);
    } else {
      kv r[] = {{"user_id", vi64(2)},
                {"event_timestamp", vts(T0)},
                {"x", vi32(200)},
                {"y", vstr("two")}};
      rc = put_row(s, view, r, 4, NULL);
    }
    wrote = rc == 0;
    snprintf(why, sizeof why, "%s", lr_store_errmsg(s));
    byte = 'g';
    if (write(go[1], &byte, 1) != 1)
      wrote = 0;
  }
  close(ready[0]);
  close(go[1]);
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "the reader process died (status %d)", status);
  cr_assert_eq(WEXITSTATUS(status), 0, "the reader process failed with %d",
               WEXITSTATUS(status));
  cr_assert(wrote, "the parent's write failed: %s", why);
  lr_store_close(s);
  repo_done(dir);
}

/* The writer has the store open and has written before the reader starts. */
Test(online, o019_reader_in_another_process) {
  run_process_reader("user_stats", "user_stats:a", 1);
}

/* The reader opens the store before any writer did (no data file, no view
 * databases yet); the writer then creates them. */
Test(online, o020_reader_process_opened_before_any_writer) {
  run_process_reader("user_more", "user_more:x", 0);
}

enum { MT_THREADS = 4, MT_LOOKUPS = 2000, MT_KEYS = 1000, MT_BATCH = 8 };

typedef struct mt_ctx {
  const lr_request *req;
  int id;
  int wrong;
  int errors;
  int done;
  char problem[160];
} mt_ctx;

static void *mt_reader(void *arg) {
  mt_ctx *c = arg;
  lr_result *res = NULL;
  if (lr_result_create(c->req, MT_BATCH, &res)) {
    c->errors++;
    return NULL;
  }
  uint64_t state = 0x1234567ull * (uint64_t)(c->id + 1);
  for (int t = 0; t < MT_LOOKUPS; t++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    int n = 1 + (int)((state >> 33) % MT_BATCH);
    lr_value keys[MT_BATCH];
    long long ids[MT_BATCH];
    for (int i = 0; i < n; i++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      ids[i] = (long long)((state >> 33) % (MT_KEYS + 50)); /* some missing */
      keys[i] = vi64(ids[i]);
    }
    if (lr_get_online_features(c->req, keys, n, res)) {
      c->errors++;
      snprintf(c->problem, sizeof c->problem, "%s", lr_result_errmsg(res));
      break;
    }
    for (int i = 0; i < n; i++) {
      lr_value a, s;
      lr_result_cell(res, i, 0, &a);
      lr_result_cell(res, i, 1, &s);
      char want[32];
      int wl = snprintf(want, sizeof want, "s%lld", ids[i]);
      int ok;
      if (ids[i] >= MT_KEYS)
        ok = a.status == LR_STATUS_NOT_FOUND && s.status == LR_STATUS_NOT_FOUND;
      else
        ok = a.status == LR_STATUS_PRESENT && a.v.i64 == ids[i] * 3 &&
             s.status == LR_STATUS_PRESENT && s.v.str.len == (size_t)wl &&
             memcmp(s.v.str.ptr, want, (size_t)wl) == 0;
      if (!ok && !c->wrong++)
        snprintf(c->problem, sizeof c->problem, "key %lld: a=%lld status %d",
                 ids[i], a.v.i64, a.status);
    }
    c->done++;
  }
  lr_result_free(res);
  return NULL;
}

Test(online, o021_multithreaded_reads) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  lr_value uid[MT_KEYS], ev[MT_KEYS], a[MT_KEYS], b[MT_KEYS], str[MT_KEYS];
  static char names[MT_KEYS][16];
  for (int i = 0; i < MT_KEYS; i++) {
    uid[i] = vi64(i);
    ev[i] = vts(T0);
    a[i] = vi64(i * 3);
    b[i] = vnull();
    snprintf(names[i], sizeof names[i], "s%d", i);
    str[i] = vstr(names[i]);
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", str}};
  cr_assert_eq(lr_write_rows(s, "user_stats", cols, 5, MT_KEYS, NULL), 0);
  lr_store_close(s);
  /* readers over a read-only store */
  s = open_store(dir, LR_STORE_READONLY);
  static const char *const refs[] = {"user_stats:a", "user_stats:c"};
  lr_request *req = NULL;
  cr_assert_eq(lr_request_prepare(s, refs, 2, &req), 0);
  mt_ctx ctx[MT_THREADS];
  pthread_t th[MT_THREADS];
  for (int i = 0; i < MT_THREADS; i++) {
    memset(&ctx[i], 0, sizeof ctx[i]);
    ctx[i].req = req;
    ctx[i].id = i;
    cr_assert_eq(pthread_create(&th[i], NULL, mt_reader, &ctx[i]), 0);
  }
  for (int i = 0; i < MT_THREADS; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < MT_THREADS; i++) {
    cr_assert_eq(ctx[i].errors, 0, "thread %d: %s", i, ctx[i].problem);
    cr_assert_eq(ctx[i].wrong, 0, "thread %d: %d wrong: %s", i, ctx[i].wrong,
                 ctx[i].problem);
    cr_assert_eq(ctx[i].done, MT_LOOKUPS);
  }
  lr_request_free(req);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- bad input: requests -------------------------------------------------- */

static int prepare_one(lr_store *s, const char *ref) {
  const char *refs[] = {ref};
  lr_request *req = (lr_request *)1;
  int rc = lr_request_prepare(s, refs, 1, &req);
  if (rc)
    cr_assert_null(req, "a failed prepare hands back no request");
  lr_request_free(req);
  return rc;
}

Test(online, o022_unknown_view) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  cr_assert_eq(prepare_one(s, "nope:a"), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "unknown feature view 'nope'");
  cr_assert_eq(prepare_one(s, "user_stat:a"), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "'user_stat'");
  assert_msg(lr_store_errmsg(s), "did you mean 'user_stats'");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o023_unknown_feature_did_you_mean) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  cr_assert_eq(prepare_one(s, "all_types:f_bol"), LR_ENOTFOUND);
  const char *msg = lr_store_errmsg(s);
  assert_msg(msg, "'all_types'");
  assert_msg(msg, "'f_bol'");
  assert_msg(msg, "did you mean 'f_bool'");
  /* far from every name: the known ones are listed */
  cr_assert_eq(prepare_one(s, "user_stats:zzzzzzzz"), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "'zzzzzzzz'");
  assert_msg(lr_store_errmsg(s), "a, b, c");
  /* one bad ref among good ones fails the whole request */
  const char *refs[] = {"user_stats:a", "user_stats:nope", "user_stats:b"};
  lr_request *req = NULL;
  cr_assert_eq(lr_request_prepare(s, refs, 3, &req), LR_ENOTFOUND);
  cr_assert_null(req);
  assert_msg(lr_store_errmsg(s), "'nope'");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o024_malformed_refs) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  cr_assert_eq(prepare_one(s, "nocolon"), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'nocolon'");
  assert_msg(lr_store_errmsg(s), "view:feature");
  cr_assert_eq(prepare_one(s, ":a"), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "':a'");
  cr_assert_eq(prepare_one(s, "user_stats:"), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'user_stats:'");
  cr_assert_eq(prepare_one(s, ""), LR_EINVAL);
  /* no refs at all */
  lr_request *req = NULL;
  const char *none[] = {NULL};
  cr_assert_eq(lr_request_prepare(s, none, 0, &req), LR_EINVAL);
  cr_assert_null(req);
  lr_store_close(s);
  repo_done(dir);
}

/* An on-demand feature computed at lookup: its inputs are read (hidden when
 * not requested), its request field is a key column after the join keys. */
Test(online, o025_on_demand_view_computed) {
  char *dir = make_repo(defs_main);
  lr_store *w = open_store(dir, LR_STORE_READWRITE);
  long long now = (long long)time(NULL) * SEC;
  must_put_stats(w, 1, now - 10 * SEC, 5);
  lr_store_close(w);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  static const char *const refs[] = {"odfv:a_plus", "user_stats:b"};
  look l;
  look_refs(&l, s, refs, 2, 4);
  int n_keys = 0, n_features = 0, n_join = 0, type = 0;
  const char *name = NULL;
  cr_assert_eq(lr_request_shape(l.req, &n_keys, &n_features), 0);
  cr_assert_eq(lr_request_join_keys(l.req, &n_join), 0);
  cr_assert_eq(n_keys, 2);
  cr_assert_eq(n_join, 1);
  cr_assert_eq(n_features, 2); /* user_stats:a is read, but hidden */
  cr_assert_eq(lr_request_key(l.req, 1, &name, &type), 0);
  cr_assert_str_eq(name, "val");
  cr_assert_eq(type, LR_TYPE_INT64);
  lr_value keys[] = {vi64(1), vi64(3),  vi64(2), vi64(3),
                     vi64(1), vnull(), vi64(1), vi32(-7)};
  look_get(&l, keys, 4);
  lr_value v = look_cell(&l, 0, 0);
  cr_assert_eq(v.status, LR_STATUS_PRESENT);
  cr_assert_eq(v.type, LR_TYPE_INT64);
  cr_assert_eq(v.v.i64, 8);
  cr_assert_eq(v.event_ts, now - 10 * SEC); /* the newest input row's */
  cr_assert_eq(look_cell(&l, 0, 1).v.f64, 2.5);
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_NULL_VALUE); /* no row */
  cr_assert_eq(look_cell(&l, 2, 0).status, LR_STATUS_NULL_VALUE); /* null val */
  cr_assert_eq(look_cell(&l, 3, 0).v.i64, -2);       /* int32 widens */
  /* a request value of the wrong type is refused, naming the field */
  lr_value bad[] = {vi64(1), vstr("3")};
  cr_assert_eq(lr_get_online_features(l.req, bad, 1, l.res), LR_ETYPE);
  assert_msg(lr_result_errmsg(l.res), "request field 'val'");
  /* the JSON answer does not echo request data */
  look_get(&l, keys, 1);
  char *json = NULL;
  cr_assert_eq(lr_result_format(l.res, keys, LR_FORMAT_JSON, &json), 0);
  cr_assert(contains(json, "\"feature_names\": [\"user_id\", \"a_plus\", "
                           "\"b\"]"), "%s", json);
  cr_assert(contains(json, "{\"values\": [8]"), "%s", json);
  lr_free(json);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o026_offline_only_view_refused) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  cr_assert_eq(prepare_one(s, "offline_only:z"), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'offline_only'");
  assert_msg(lr_store_errmsg(s), "online: false");
  /* and it cannot be written */
  kv r[] = {{"user_id", vi64(1)}, {"event_timestamp", vts(T0)}, {"z", vi64(1)}};
  cr_assert_eq(put_row(s, "offline_only", r, 3, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'offline_only'");
  assert_msg(lr_store_errmsg(s), "online: false");
  /* nor an on-demand view, nor an unknown one */
  kv r2[] = {{"user_id", vi64(1)},
             {"event_timestamp", vts(T0)},
             {"a_plus", vi64(1)}};
  cr_assert_eq(put_row(s, "odfv", r2, 3, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'odfv'");
  cr_assert_eq(put_row(s, "nope", r2, 3, NULL), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "unknown feature view 'nope'");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o027_unknown_service) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  lr_request *req = (lr_request *)1;
  cr_assert_eq(lr_request_prepare_service(s, "nope", &req), LR_ENOTFOUND);
  cr_assert_null(req);
  assert_msg(lr_store_errmsg(s), "unknown feature service 'nope'");
  cr_assert_eq(lr_request_prepare_service(s, "svcc", &req), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "did you mean 'svc'");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o028_wrong_key_type_on_lookup) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  must_put_stats(s, 1, T0, 10);
  static const char *const refs[] = {"user_stats:a"};
  look l;
  look_refs(&l, s, refs, 1, 3);
  lr_value keys[3] = {vi64(1), vstr("1"), vi64(1)};
  int rc = lr_get_online_features(l.req, keys, 3, l.res);
  cr_assert_eq(rc, LR_ETYPE);
  const char *msg = lr_result_errmsg(l.res);
  assert_msg(msg, "'user_id'");
  assert_msg(msg, "entity 2");
  assert_msg(msg, "string");
  int count = -1;
  lr_result_count(l.res, &count);
  cr_assert_eq(count, 0, "a failed lookup returns no entities");
  /* a float for an int key, a null key */
  keys[1] = vf64(1.0);
  cr_assert_eq(lr_get_online_features(l.req, keys, 3, l.res), LR_ETYPE);
  assert_msg(lr_result_errmsg(l.res), "'user_id'");
  keys[1] = vnull();
  cr_assert_neq(lr_get_online_features(l.req, keys, 3, l.res), 0);
  assert_msg(lr_result_errmsg(l.res), "'user_id'");
  /* the result still works afterwards */
  keys[1] = vi64(2);
  look_get(&l, keys, 3);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 10);
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_NOT_FOUND);
  cr_assert_str_eq(lr_result_errmsg(l.res), "", "a good lookup clears it");
  look_free(&l);
  /* an int64 for an int32 key */
  static const char *const srefs[] = {"shop_stats:visits"};
  look_refs(&l, s, srefs, 1, 1);
  lr_value k = vi64(1);
  cr_assert_eq(lr_get_online_features(l.req, &k, 1, l.res), LR_ETYPE);
  assert_msg(lr_result_errmsg(l.res), "'shop_id'");
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o029_too_many_entities) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  static const char *const refs[] = {"user_stats:a"};
  look l;
  look_refs(&l, s, refs, 1, 2);
  lr_value keys[3] = {vi64(1), vi64(2), vi64(3)};
  for (int i = 0; i < 2; i++) { /* a second failure does not append */
    cr_assert_eq(lr_get_online_features(l.req, keys, 3, l.res), LR_EINVAL);
    cr_assert_str_eq(lr_result_errmsg(l.res),
                     "bad arguments: 3 entities for a result of at most 2");
  }
  cr_assert_eq(lr_get_online_features(l.req, keys, -1, l.res), LR_EINVAL);
  cr_assert_eq(lr_get_online_features(l.req, NULL, 1, l.res), LR_EINVAL);
  look_get(&l, keys, 2);
  /* a result is tied to its request */
  static const char *const other[] = {"user_stats:b"};
  lr_request *req2 = NULL;
  cr_assert_eq(lr_request_prepare(s, other, 1, &req2), 0);
  cr_assert_eq(lr_get_online_features(req2, keys, 1, l.res), LR_EINVAL);
  lr_request_free(req2);
  lr_result *res = (lr_result *)1;
  cr_assert_eq(lr_result_create(l.req, 0, &res), LR_EINVAL);
  cr_assert_null(res);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- bad input: writes ---------------------------------------------------- */

/* A store with user 1's a = 10, and a helper to check it stayed so. */
static lr_store *store_with_one(char **dir) {
  *dir = make_repo(defs_main);
  lr_store *s = open_store(*dir, LR_STORE_READWRITE);
  must_put_stats(s, 1, T0, 10);
  return s;
}

/* Two rows: row 0 would change user 1 (a = 99, newer), row 1 is `bad`. */
typedef struct two_rows {
  lr_value uid[2], ev[2], a[2], b[2], c[2];
  lr_column cols[6];
} two_rows;

static void two_rows_init(two_rows *t) {
  for (int i = 0; i < 2; i++) {
    t->uid[i] = vi64(1 + i);
    t->ev[i] = vts(T0 + SEC);
    t->a[i] = vi64(99);
    t->b[i] = vf64(9.5);
    t->c[i] = vstr("new");
  }
  lr_column cols[] = {{"user_id", t->uid}, {"event_timestamp", t->ev},
                      {"a", t->a},         {"b", t->b},
                      {"c", t->c}};
  memcpy(t->cols, cols, sizeof cols);
}

static void assert_unchanged(lr_store *s) {
  assert_a(s, 1, 10);
  cr_assert_eq(stats_a(s, 2).status, LR_STATUS_NOT_FOUND,
               "nothing of a failed batch is written");
}

Test(online, o030_write_missing_column) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  lr_write_stats st = {7, 7};
  /* without b */
  lr_column cols[] = {t.cols[0], t.cols[1], t.cols[2], t.cols[4]};
  cr_assert_eq(lr_write_rows(s, "user_stats", cols, 4, 2, &st), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'b'");
  assert_msg(lr_store_errmsg(s), "missing column");
  cr_assert_eq(st.rows_written, 0);
  assert_unchanged(s);
  /* without the key */
  lr_column nokey[] = {t.cols[1], t.cols[2], t.cols[3], t.cols[4]};
  cr_assert_eq(lr_write_rows(s, "user_stats", nokey, 4, 2, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'user_id'");
  assert_unchanged(s);
  /* without event_timestamp */
  lr_column noev[] = {t.cols[0], t.cols[2], t.cols[3], t.cols[4]};
  cr_assert_eq(lr_write_rows(s, "user_stats", noev, 4, 2, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'event_timestamp'");
  assert_unchanged(s);
  /* the composite view without its second key */
  kv r[] = {{"user_id", vi64(1)},
            {"event_timestamp", vts(T0)},
            {"score", vf32(1)},
            {"clicks", vi64(1)}};
  cr_assert_eq(put_row(s, "user_item", r, 4, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'item_id'");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o031_write_unknown_column) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  lr_column cols[6];
  memcpy(cols, t.cols, 5 * sizeof *cols);
  cols[5].name = "zzz";
  cols[5].values = t.a;
  cr_assert_eq(lr_write_rows(s, "user_stats", cols, 6, 2, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "unknown column 'zzz'");
  assert_unchanged(s);
  /* a feature of another view is unknown here too */
  cols[5].name = "x";
  cr_assert_eq(lr_write_rows(s, "user_stats", cols, 6, 2, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'x'");
  assert_unchanged(s);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o032_write_wrong_value_type) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  t.a[1] = vstr("12"); /* a is int64 */
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), LR_ETYPE);
  const char *msg = lr_store_errmsg(s);
  assert_msg(msg, "'a'");
  assert_msg(msg, "row 2");
  assert_msg(msg, "string");
  assert_msg(msg, "int64");
  assert_unchanged(s);
  /* other mismatches: an int64 for a string feature, an int64 for an int32
   * one (no narrowing), an array of the wrong element type, an int64 for a
   * timestamp */
  two_rows_init(&t);
  t.c[1] = vi64(5);
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'c'");
  assert_unchanged(s);
  kv more[] = {{"user_id", vi64(1)},
               {"event_timestamp", vts(T0)},
               {"x", vi64(1)},
               {"y", vstr("y")}};
  cr_assert_eq(put_row(s, "user_more", more, 4, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'x'");
  kv row[13];
  all_row1(row, 1, T0);
  static const double d[] = {1.0};
  row[10].v = varr(LR_TYPE_FLOAT64, d, 1); /* f_af32 is array<float32> */
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'f_af32'");
  all_row1(row, 1, T0);
  row[9].v = vi64(5); /* f_ts is a timestamp */
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'f_ts'");
  /* an event_timestamp that is not a timestamp */
  two_rows_init(&t);
  t.ev[1] = vi64(T0);
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'event_timestamp'");
  assert_unchanged(s);
  /* the widenings are accepted: int32 -> int64, float32 -> float64 */
  two_rows_init(&t);
  t.a[0] = vi32(-5);
  t.b[0] = vf32(0.5f);
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), 0, "%s",
               lr_store_errmsg(s));
  assert_a(s, 1, -5);
  static const char *const refs[] = {"user_stats:b"};
  look l;
  look_refs(&l, s, refs, 1, 1);
  lr_value k = vi64(1);
  look_get(&l, &k, 1);
  cr_assert_eq(look_cell(&l, 0, 0).v.f64, 0.5);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o033_write_null_event_timestamp) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  t.ev[1] = vnull();
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), LR_EINVAL);
  assert_msg(lr_store_errmsg(s), "'event_timestamp'");
  assert_msg(lr_store_errmsg(s), "row 2");
  assert_unchanged(s);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o034_write_null_key) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  t.uid[1] = vnull();
  int rc = lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL);
  assert_msg(lr_store_errmsg(s), "'user_id'");
  assert_msg(lr_store_errmsg(s), "row 2");
  assert_unchanged(s);
  cr_assert_eq(rc, LR_EINVAL, "a null key is LR_EINVAL (larder.h), got %s",
               lr_err_name(rc));
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o035_write_wrong_key_type) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  two_rows t;
  two_rows_init(&t);
  t.uid[1] = vstr("2");
  cr_assert_eq(lr_write_rows(s, "user_stats", t.cols, 5, 2, NULL), LR_ETYPE);
  assert_msg(lr_store_errmsg(s), "'user_id'");
  assert_msg(lr_store_errmsg(s), "row 2");
  assert_unchanged(s);
  /* an empty string key on its own cannot be stored */
  kv r[] = {{"item_id", vstr("")},
            {"event_timestamp", vts(T0)},
            {"price", vf64(1)},
            {"title", vstr("t")}};
  cr_assert_neq(put_row(s, "item_stats", r, 4, NULL), 0);
  assert_msg(lr_store_errmsg(s), "empty");
  /* nor one over 511 bytes */
  static char big[600];
  memset(big, 'k', sizeof big);
  r[0].v = vstrn(big, sizeof big);
  cr_assert_neq(put_row(s, "item_stats", r, 4, NULL), 0);
  assert_msg(lr_store_errmsg(s), "511");
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o036_write_to_read_only_store) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  lr_store_close(s);
  s = open_store(dir, LR_STORE_READONLY);
  lr_write_stats st = {3, 3};
  cr_assert_eq(put_stats(s, 1, T0 + SEC, NO_CREATED, 99, 0, NULL, &st),
               LR_EREADONLY);
  assert_msg(lr_store_errmsg(s), "read-only");
  cr_assert_eq(st.rows_written, 0);
  assert_a(s, 1, 10);
  th_write(dir, "rows.csv",
           "user_id,event_timestamp,a,b,c\n1,2025-01-01T00:00:00Z,99,,\n");
  char path[4096];
  snprintf(path, sizeof path, "%s/rows.csv", dir);
  cr_assert_eq(lr_write_file(s, "user_stats", path, NULL), LR_EREADONLY);
  assert_msg(lr_store_errmsg(s), "read-only");
  unsigned long long before = 0, after = 0;
  cr_assert_eq(lr_store_compact(s, &before, &after), LR_EREADONLY);
  assert_msg(lr_store_errmsg(s), "read-write");
  assert_a(s, 1, 10);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o037_store_open_errors) {
  /* a repo never applied */
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", "project: t\n");
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READONLY, &s), LR_ENOREGISTRY);
  cr_assert_not_null(s, "the handle comes back on failure");
  cr_assert_neq(strlen(lr_store_errmsg(s)), 0);
  lr_store_close(s);
  repo_done(dir);
  /* not a repo */
  dir = th_tempdir();
  s = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &s), LR_ENOTFOUND);
  lr_store_close(s);
  repo_done(dir);
  cr_assert_eq(lr_store_open(NULL, 0, &s), LR_EINVAL);
  lr_store_close(s);
  cr_assert_eq(lr_store_open("/tmp", 0, NULL), LR_EINVAL);
}

/* A store opened read-only before anything was written reads NOT_FOUND
 * (no data file yet), and still sees later writes by a writer handle. */
Test(online, o038_read_only_before_any_write) {
  char *dir = make_repo(defs_main);
  lr_store *ro = open_store(dir, LR_STORE_READONLY);
  cr_assert_eq(stats_a(ro, 1).status, LR_STATUS_NOT_FOUND);
  lr_store_close(ro);
  lr_store *rw = open_store(dir, LR_STORE_READWRITE);
  must_put_stats(rw, 1, T0, 10);
  lr_store_close(rw);
  ro = open_store(dir, LR_STORE_READONLY);
  assert_a(ro, 1, 10);
  lr_store_close(ro);
  repo_done(dir);
}

/* ---- output --------------------------------------------------------------- */

/* libfyaml parses JSON; the helpers read one scalar by path. */
static struct fy_document *parse_json(const char *text) {
  struct fy_document *doc = fy_document_build_from_string(NULL, text, FY_NT);
  cr_assert_not_null(doc, "not JSON: %s", text);
  return doc;
}

static const char *jpath(struct fy_document *doc, const char *path) {
  struct fy_node *n =
      fy_node_by_path(fy_document_root(doc), path, FY_NT, FYNWF_DONT_FOLLOW);
  cr_assert_not_null(n, "no %s", path);
  const char *s = fy_node_get_scalar0(n);
  cr_assert_not_null(s, "%s is not a scalar", path);
  return s;
}

static int jcount(struct fy_document *doc, const char *path) {
  struct fy_node *n =
      fy_node_by_path(fy_document_root(doc), path, FY_NT, FYNWF_DONT_FOLLOW);
  cr_assert_not_null(n, "no %s", path);
  cr_assert(fy_node_is_sequence(n), "%s is not a list", path);
  return fy_node_sequence_item_count(n);
}

/* 1 when the scalar at `path` was written in quotes (a JSON string). */
static int jquoted(struct fy_document *doc, const char *path) {
  struct fy_node *n =
      fy_node_by_path(fy_document_root(doc), path, FY_NT, FYNWF_DONT_FOLLOW);
  cr_assert_not_null(n, "no %s", path);
  return fy_node_get_style(n) == FYNS_DOUBLE_QUOTED;
}

Test(online, o039_result_format_json_feast_shape) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv row[13];
  all_row1(row, 7, T0);
  cr_assert_eq(put_row(s, "all_types", row, 13, NULL), 0);
  cr_assert_eq(put_stats(s, 7, T0 + 1500000, NO_CREATED, 42, 0.5,
                         "say \"hi\"\n", NULL),
               0);
  static const char *const refs[] = {"user_stats:a", "all_types:f_f32",
                                     "all_types:f_bytes", "user_stats:c",
                                     "all_types:f_af32", "all_types:f_astr",
                                     "all_types:f_ts"};
  look l;
  look_refs(&l, s, refs, 7, 2);
  lr_value keys[2] = {vi64(7), vi64(99)};
  look_get(&l, keys, 2);
  char *out = NULL;
  cr_assert_eq(lr_result_format(l.res, keys, LR_FORMAT_JSON, &out), 0);
  struct fy_document *doc = parse_json(out);
  /* metadata: keys first, then features by short name */
  cr_assert_eq(jcount(doc, "/metadata/feature_names"), 8);
  const char *names[] = {"user_id", "a",     "f_f32",  "f_bytes",
                         "c",       "f_af32", "f_astr", "f_ts"};
  for (int i = 0; i < 8; i++) {
    char p[64];
    snprintf(p, sizeof p, "/metadata/feature_names/%d", i);
    cr_assert_str_eq(jpath(doc, p), names[i]);
  }
  /* one result per column */
  cr_assert_eq(jcount(doc, "/results"), 8);
  /* the key column: its values, PRESENT, the epoch */
  cr_assert_str_eq(jpath(doc, "/results/0/values/0"), "7");
  cr_assert(!jquoted(doc, "/results/0/values/0"), "an int64 key is a number");
  cr_assert_str_eq(jpath(doc, "/results/0/values/1"), "99");
  for (int e = 0; e < 2; e++) {
    char p[64];
    snprintf(p, sizeof p, "/results/0/statuses/%d", e);
    cr_assert_str_eq(jpath(doc, p), "PRESENT");
    snprintf(p, sizeof p, "/results/0/event_timestamps/%d", e);
    cr_assert_str_eq(jpath(doc, p), "1970-01-01T00:00:00Z");
  }
  /* a */
  cr_assert_str_eq(jpath(doc, "/results/1/values/0"), "42");
  cr_assert_str_eq(jpath(doc, "/results/1/statuses/0"), "PRESENT");
  cr_assert_str_eq(jpath(doc, "/results/1/event_timestamps/0"),
                   "2024-01-01T10:00:01.500000Z");
  cr_assert_str_eq(jpath(doc, "/results/1/values/1"), "null");
  cr_assert(!jquoted(doc, "/results/1/values/1"), "a missing value is null");
  cr_assert_str_eq(jpath(doc, "/results/1/statuses/1"), "NOT_FOUND");
  /* float32 0.1 prints as 0.1 */
  cr_assert_str_eq(jpath(doc, "/results/2/values/0"), "0.1");
  cr_assert_str_eq(jpath(doc, "/results/2/event_timestamps/0"),
                   "2024-01-01T10:00:00Z");
  /* bytes as base64 */
  cr_assert_str_eq(jpath(doc, "/results/3/values/0"), "AAH+/w==");
  cr_assert(jquoted(doc, "/results/3/values/0"));
  /* a string with quotes and a newline, escaped */
  cr_assert_str_eq(jpath(doc, "/results/4/values/0"), "say \"hi\"\n");
  cr_assert(contains(out, "say \\\"hi\\\"\\n"), "escaped in the text: %s", out);
  /* arrays */
  cr_assert_eq(jcount(doc, "/results/5/values/0"), 3);
  cr_assert_str_eq(jpath(doc, "/results/5/values/0/0"), "0.1");
  cr_assert_str_eq(jpath(doc, "/results/5/values/0/1"), "-2.5");
  cr_assert_eq(strtof(jpath(doc, "/results/5/values/0/2"), NULL), 1e30f);
  cr_assert_eq(jcount(doc, "/results/6/values/0"), 3);
  cr_assert_str_eq(jpath(doc, "/results/6/values/0/0"), "alpha");
  cr_assert_str_eq(jpath(doc, "/results/6/values/0/1"), "");
  cr_assert(jquoted(doc, "/results/6/values/0/1"));
  /* a timestamp value before 1970 */
  cr_assert_str_eq(jpath(doc, "/results/7/values/0"),
                   "1969-12-31T23:59:58.500000Z");
  fy_document_destroy(doc);
  lr_free(out);

  /* full feature names */
  cr_assert_eq(lr_result_format(l.res, keys,
                                LR_FORMAT_JSON | LR_FULL_FEATURE_NAMES, &out),
               0);
  doc = parse_json(out);
  cr_assert_str_eq(jpath(doc, "/metadata/feature_names/0"), "user_id");
  cr_assert_str_eq(jpath(doc, "/metadata/feature_names/1"), "user_stats__a");
  cr_assert_str_eq(jpath(doc, "/metadata/feature_names/2"), "all_types__f_f32");
  fy_document_destroy(doc);
  lr_free(out);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o040_result_format_float_round_trip_and_specials) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  const float fs[] = {0.1f, 1.0f / 3.0f, 16777217.0f, 3.4028235e38f,
                      1.17549435e-38f, -0.0f, 123456.789f};
  const double ds[] = {0.1, 1.0 / 3.0, 1e300, 5e-324};
  static const char *const refs[] = {"user_item:score", "user_stats:b"};
  look l;
  look_refs(&l, s, refs, 2, 1);
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
    kv r[] = {{"user_id", vi64(1)},
              {"item_id", vstr("i")},
              {"event_timestamp", vts(T0 + (long long)i)},
              {"score", vf32(fs[i])},
              {"clicks", vnull()}};
    cr_assert_eq(put_row(s, "user_item", r, 5, NULL), 0, "%s",
                 lr_store_errmsg(s));
    cr_assert_eq(put_stats(s, 1, T0 + (long long)i, NO_CREATED, 0,
                           ds[i % 4], NULL, NULL),
                 0);
    lr_value keys[2] = {vi64(1), vstr("i")};
    look_get(&l, keys, 1);
    char *out = NULL;
    cr_assert_eq(lr_result_format(l.res, keys, LR_FORMAT_JSON, &out), 0);
    struct fy_document *doc = parse_json(out);
    const char *f = jpath(doc, "/results/2/values/0");
    float back = strtof(f, NULL);
    cr_assert(memcmp(&back, &fs[i], sizeof back) == 0,
              "float32 %.9g printed as %s", (double)fs[i], f);
    const char *d = jpath(doc, "/results/3/values/0");
    cr_assert_eq(strtod(d, NULL), ds[i % 4], "float64 %.17g printed as %s",
                 ds[i % 4], d);
    if (i == 0) {
      cr_assert_str_eq(f, "0.1");
      cr_assert_str_eq(d, "0.1");
    }
    fy_document_destroy(doc);
    lr_free(out);
  }
  /* NaN and infinities are not JSON numbers: whatever the spelling, the
   * output must stay valid JSON */
  const float specials[] = {NAN, INFINITY, -INFINITY};
  for (int i = 0; i < 3; i++) {
    kv r[] = {{"user_id", vi64(1)},
              {"item_id", vstr("i")},
              {"event_timestamp", vts(T0 + 100 + i)},
              {"score", vf32(specials[i])},
              {"clicks", vnull()}};
    cr_assert_eq(put_row(s, "user_item", r, 5, NULL), 0);
    lr_value keys[2] = {vi64(1), vstr("i")};
    look_get(&l, keys, 1);
    char *out = NULL;
    cr_assert_eq(lr_result_format(l.res, keys, LR_FORMAT_JSON, &out), 0);
    struct fy_document *doc = parse_json(out);
    cr_assert(jquoted(doc, "/results/2/values/0") ||
                  strcmp(jpath(doc, "/results/2/values/0"), "null") == 0,
              "NaN/Infinity must be a JSON string or null: %s", out);
    fy_document_destroy(doc);
    lr_free(out);
  }
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(online, o041_result_format_table) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  cr_assert_eq(put_stats(s, 7, T0, NO_CREATED, 42, 0.1, "hello", NULL), 0);
  kv nul[] = {{"user_id", vi64(8)}, {"event_timestamp", vts(T0)},
              {"a", vnull()},       {"b", vnull()},
              {"c", vnull()}};
  cr_assert_eq(put_row(s, "user_stats", nul, 5, NULL), 0);
  static const char *const refs[] = {"user_stats:a", "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 2, 3);
  lr_value keys[3] = {vi64(7), vi64(8), vi64(9)};
  look_get(&l, keys, 3);
  char *out = NULL;
  cr_assert_eq(lr_result_format(l.res, keys, 0, &out), 0);
  /* header then one line per entity */
  int lines = 0;
  for (const char *p = out; *p; p++)
    lines += *p == '\n';
  cr_assert_eq(lines, 4, "%s", out);
  cr_assert(strncmp(out, "user_id", 7) == 0, "keys first: %s", out);
  assert_msg(out, "hello");
  assert_msg(out, "42");
  assert_msg(out, "<NULL_VALUE>");
  assert_msg(out, "<NOT_FOUND>");
  lr_free(out);
  cr_assert_eq(lr_result_format(l.res, keys, LR_FULL_FEATURE_NAMES, &out), 0);
  assert_msg(out, "user_stats__a");
  lr_free(out);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* Strings may hold NUL bytes; JSON writes them as \\u0000 rather than
 * cutting the string short. */
Test(online, o045_result_format_json_string_with_nul) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv r[] = {{"user_id", vi64(1)},
            {"event_timestamp", vts(T0)},
            {"a", vi64(1)},
            {"b", vnull()},
            {"c", vstrn("a\0b", 3)}};
  cr_assert_eq(put_row(s, "user_stats", r, 5, NULL), 0);
  static const char *const refs[] = {"user_stats:c"};
  look l;
  look_refs(&l, s, refs, 1, 1);
  lr_value k = vi64(1);
  look_get(&l, &k, 1);
  assert_str(look_cell(&l, 0, 0), "a\0b", 3);
  char *out = NULL;
  cr_assert_eq(lr_result_format(l.res, &k, LR_FORMAT_JSON, &out), 0);
  cr_assert(contains(out, "\"a\\u0000b\""), "NUL lost: %s", out);
  lr_free(out);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- compact -------------------------------------------------------------- */

/* The live generation's data file (CURRENT names it). */
static unsigned long long data_size(const char *dir) {
  char *current = th_read(dir, "data/online/CURRENT");
  char path[4096];
  snprintf(path, sizeof path, "%s/data/online/gen-%llu/data.mdb", dir,
           strtoull(current, NULL, 10));
  free(current);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0, "no %s", path);
  return (unsigned long long)st.st_size;
}

/* Writes keys 0..n-1 of user_stats with a = base + key and a long c. */
static void write_many(lr_store *s, int n, long long event, long long base) {
  lr_value *uid = calloc((size_t)n, sizeof *uid),
           *ev = calloc((size_t)n, sizeof *ev),
           *a = calloc((size_t)n, sizeof *a), *b = calloc((size_t)n, sizeof *b),
           *c = calloc((size_t)n, sizeof *c);
  static char pad[200];
  memset(pad, 'p', sizeof pad);
  for (int i = 0; i < n; i++) {
    uid[i] = vi64(i);
    ev[i] = vts(event);
    a[i] = vi64(base + i);
    b[i] = vf64(i);
    c[i] = vstrn(pad, (size_t)(i % 200));
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", c}};
  int rc = lr_write_rows(s, "user_stats", cols, 5, (size_t)n, NULL);
  free(uid);
  free(ev);
  free(a);
  free(b);
  free(c);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
}

Test(online, o042_compact_keeps_data_and_handle) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  write_many(s, 5000, T0, 0);
  write_many(s, 5000, T0 + SEC, 100000);
  write_many(s, 5000, T0 + 2 * SEC, 200000);
  unsigned long long before = 0, after = 0;
  unsigned long long on_disk = data_size(dir);
  int rc = lr_store_compact(s, &before, &after);
  cr_assert_eq(rc, 0, "compact: %s", lr_store_errmsg(s));
  /* `before` and `after` are the bytes the data holds: whole pages, within
   * the files (which keep a sparse margin of zeros after them) */
  cr_assert(before > 0 && before % 4096 == 0 && before <= on_disk,
            "before %llu, file %llu", before, on_disk);
  cr_assert_gt(after, 0);
  cr_assert_lt(after, before, "compact did not shrink the data: %llu -> %llu",
               before, after);
  cr_assert(after % 4096 == 0 && after <= data_size(dir), "after %llu, file "
            "%llu", after, data_size(dir));
  /* the old generation is gone: nobody reads it */
  char path[4096];
  snprintf(path, sizeof path, "%s/data/online/gen-1", dir);
  cr_assert_neq(access(path, F_OK), 0, "the old generation is deleted");
  /* the handle reads (new request) and writes after compact */
  assert_a(s, 0, 200000);
  assert_a(s, 4999, 204999);
  cr_assert_eq(stats_a(s, 5000).status, LR_STATUS_NOT_FOUND);
  must_put_stats(s, 5000, T0, 7);
  must_put_stats(s, 0, T0 + 3 * SEC, 8);
  assert_a(s, 5000, 7);
  assert_a(s, 0, 8);
  /* a second compact right away does not grow it either */
  unsigned long long b2 = 0, a2 = 0;
  cr_assert_eq(lr_store_compact(s, &b2, &a2), 0, "%s", lr_store_errmsg(s));
  cr_assert_leq(a2, b2);
  assert_a(s, 0, 8);
  lr_store_close(s);
  /* and after reopening */
  s = open_store(dir, LR_STORE_READONLY);
  assert_a(s, 1, 200001);
  assert_a(s, 5000, 7);
  lr_store_close(s);
  repo_done(dir);
}

/* A request and result made before compact keep working after it: the
 * handle reopens the new file, and a server's prepared lookups live on. */
Test(online, o043_compact_keeps_prepared_lookups) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  write_many(s, 2000, T0, 0);
  write_many(s, 2000, T0 + SEC, 1000);
  static const char *const refs[] = {"user_stats:a", "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 1, 2);
  lr_value keys[2] = {vi64(5), vi64(1999)};
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 1005);
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s", lr_store_errmsg(s));
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 1005);
  cr_assert_eq(look_cell(&l, 1, 0).v.i64, 2999);
  must_put_stats(s, 5, T0 + 2 * SEC, 77);
  look_get(&l, keys, 2);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 77);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- bulk stores and latest-only writes (materialization) ------------------- */

/* A bulk store (LR__STORE_BULK, as materialization opens it) maps the data
 * file writable: LMDB sizes the file to the whole map while one is open;
 * the last close in a process cuts it back to its last page, and a bulk
 * store still open in another process grows it again before it writes
 * past that page. */
Test(online, o047_bulk_store_file_spans_the_map_only_while_open) {
  char *dir = make_repo(defs_main);
  lr_store *b = open_store(dir, LR_STORE_READWRITE | LR__STORE_BULK);
  cr_assert(lr__env_is_bulk(b->env));
  fflush(NULL);
  pid_t child = fork();
  if (child == 0) { /* another process: load, check, close (trim) */
    lr_store *a = NULL;
    int ok = lr_store_open(dir, LR_STORE_READWRITE | LR__STORE_BULK, &a) == 0
             && lr__env_is_bulk(a->env);
    write_many(a, 5000, T0, 0);
    ok = ok && data_size(dir) > (1ull << 30); /* the map's size (sparse) */
    lr_store_close(a);
    ok = ok && data_size(dir) < (16ull << 20); /* trimmed to its last page */
    _exit(ok ? 0 : 1);
  }
  int status;
  cr_assert_eq(waitpid(child, &status, 0), child);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the loading child failed (status %d)", status);
  write_many(b, 20000, T0 + SEC, 100000); /* past the trimmed end */
  assert_a(b, 19999, 119999);
  lr_store_close(b);
  cr_assert_lt(data_size(dir), 64ull << 20);
  lr_store *r = open_store(dir, LR_STORE_READONLY);
  assert_a(r, 0, 100000);
  assert_a(r, 19999, 119999);
  lr_store_close(r);
  repo_done(dir);
}

/* Puts (key, event, created or NO_CREATED, a) rows of user_stats (b and c
 * null) through writer `w`; returns what lr__writer_put returned. */
static int put_latest(lr__writer *w, const long long (*rows)[4], int n,
                      lr_write_stats *ws) {
  lr_value uid[8], ev[8], cr[8], a[8], none[8] = {{0}}; /* nulls */
  for (int i = 0; i < n; i++) {
    uid[i] = vi64(rows[i][0]);
    ev[i] = vts(rows[i][1]);
    cr[i] = rows[i][2] == NO_CREATED ? (lr_value){0} : vts(rows[i][2]);
    a[i] = vi64(rows[i][3]);
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev},
                      {"created_timestamp", cr}, {"a", a}, {"b", none},
                      {"c", none}};
  return lr__writer_put(w, cols, 6, (size_t)n, ws);
}

/* Latest-only mode: of consecutive rows with equal keys only the newest
 * (event, then created; the later of equal ones) is written and counted,
 * across puts; against a stored row newer still wins; with in_order a
 * decreasing key fails the put, without it the rows are written. */
Test(online, o048_writer_latest_only_keeps_each_runs_newest) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  must_put_stats(s, 3, T0 + 5 * SEC, 300);
  lr__writer *w;
  cr_assert_eq(lr__writer_begin(s, "user_stats", &w), 0);
  lr__writer_latest_only(w, 1);
  static const long long first[][4] = {
      {1, T0 + SEC, NO_CREATED, 10}, {1, T0 + SEC, T0, 11},
      {1, T0, T0 + SEC, 12},         {2, T0, NO_CREATED, 20},
      {2, T0, NO_CREATED, 21},       {3, T0 + SEC, NO_CREATED, 30}};
  static const long long second[][4] = {
      {3, T0 + 9 * SEC, NO_CREATED, 31}, {3, T0, NO_CREATED, 32},
      {4, T0, NO_CREATED, 40}};
  lr_write_stats ws = {0, 0};
  cr_assert_eq(put_latest(w, first, 6, &ws), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(put_latest(w, second, 3, &ws), 0, "%s", lr_store_errmsg(s));
  static const long long back[][4] = {{2, T0 + 9 * SEC, NO_CREATED, 22}};
  cr_assert_eq(put_latest(w, back, 1, &ws), LR__WRITER_UNORDERED);
  cr_assert_eq(lr__writer_flush(w, &ws), 0);
  cr_assert_eq(ws.rows_written, 4); /* keys 1, 2, 3 (31 beats 300), 4 */
  cr_assert_eq(ws.rows_skipped, 0);
  cr_assert_eq(lr__writer_commit(w), 0, "%s", lr_store_errmsg(s));
  assert_a(s, 1, 11);
  assert_a(s, 2, 21);
  assert_a(s, 3, 31);
  assert_a(s, 4, 40);
  /* not in order: a smaller key is simply written; an older run skipped */
  cr_assert_eq(lr__writer_begin(s, "user_stats", &w), 0);
  lr__writer_latest_only(w, 0);
  static const long long third[][4] = {
      {4, T0 + SEC, NO_CREATED, 41}, {2, T0 + 9 * SEC, NO_CREATED, 22},
      {3, T0, NO_CREATED, 33},       {3, T0 + SEC, NO_CREATED, 34}};
  memset(&ws, 0, sizeof ws);
  cr_assert_eq(put_latest(w, third, 4, &ws), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(lr__writer_flush(w, &ws), 0);
  cr_assert_eq(ws.rows_written, 2);
  cr_assert_eq(ws.rows_skipped, 1);
  cr_assert_eq(lr__writer_commit(w), 0, "%s", lr_store_errmsg(s));
  assert_a(s, 4, 41);
  assert_a(s, 2, 22);
  assert_a(s, 3, 31);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- ingest: lr_write_file ------------------------------------------------ */

static char *file_in(const char *dir, const char *rel, const char *content) {
  th_write(dir, rel, content);
  char *path = malloc(strlen(dir) + strlen(rel) + 2);
  sprintf(path, "%s/%s", dir, rel);
  return path;
}

Test(ingest, i001_csv_basic_quotes_nulls_timestamps) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  char *path = file_in(dir, "rows.csv",
                       "user_id,event_timestamp,a,b,c\n"
                       "1,2024-01-01T10:00:00Z,10,1.5,\"hello, world\"\n"
                       "2,2024-01-01T12:00:00+02:00,20,,\"say \"\"hi\"\"\"\n"
                       "3,2024-01-01 10:00:00,,2.5,\n"
                       "4,2024-01-01T10:00:00.25Z,-4,-0.5,plain\r\n"
                       "5,2024-01-01T04:30:00-0530,5,5,\"multi\nline\"\n"
                       "\n");
  lr_write_stats st;
  int rc = lr_write_file(s, "user_stats", path, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 5);
  static const char *const refs[] = {"user_stats:a", "user_stats:b",
                                     "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 3, 5);
  lr_value keys[5] = {vi64(1), vi64(2), vi64(3), vi64(4), vi64(5)};
  look_get(&l, keys, 5);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 10);
  cr_assert_eq(look_cell(&l, 0, 1).v.f64, 1.5);
  assert_str(look_cell(&l, 0, 2), "hello, world", 12);
  cr_assert_eq(look_cell(&l, 0, 0).event_ts, T0);
  /* +02:00: the same instant */
  cr_assert_eq(look_cell(&l, 1, 0).event_ts, T0);
  cr_assert_eq(look_cell(&l, 1, 1).status, LR_STATUS_NULL_VALUE,
               "an empty cell is null");
  assert_str(look_cell(&l, 1, 2), "say \"hi\"", 8);
  /* naive = UTC */
  cr_assert_eq(look_cell(&l, 2, 0).event_ts, T0);
  cr_assert_eq(look_cell(&l, 2, 0).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 2, 1).v.f64, 2.5);
  cr_assert_eq(look_cell(&l, 2, 2).status, LR_STATUS_NULL_VALUE);
  /* fractions, CRLF */
  cr_assert_eq(look_cell(&l, 3, 0).event_ts, T0 + 250000);
  cr_assert_eq(look_cell(&l, 3, 0).v.i64, -4);
  assert_str(look_cell(&l, 3, 2), "plain", 5);
  /* -0530 offset; a quoted newline */
  cr_assert_eq(look_cell(&l, 4, 0).event_ts, T0);
  assert_str(look_cell(&l, 4, 2), "multi\nline", 10);
  look_free(&l);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i002_csv_every_dtype) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  char *path = file_in(
      dir, "all.csv",
      "f_bool,user_id,event_timestamp,f_i32,f_i64,f_f32,f_f64,f_str,f_bytes,"
      "f_ts,f_af32,f_ai64,f_astr,created_timestamp\n"
      "true,5,2024-01-01T10:00:00Z,-7,-9223372036854775808,0.1,-1e300,caf\xc3\xa9,"
      "AAH+/w==,1969-12-31T23:59:59.5Z,\"[1.5, -2, 0.1]\","
      "\"[1, -9223372036854775807]\",\"[\"\"a\"\", \"\"b,c\"\", \"\"\"\"]\","
      "2024-01-02T00:00:00Z\n"
      "false,6,1704103200,2147483647,0,-inf,nan,,,0,[],[],[],\n");
  int rc = lr_write_file(s, "all_types", path, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  look l;
  look_refs(&l, s, all_refs, N_ALL, 2);
  lr_value keys[2] = {vi64(5), vi64(6)};
  look_get(&l, keys, 2);
  for (int f = 0; f < N_ALL; f++)
    cr_assert_eq(look_cell(&l, 0, f).status, LR_STATUS_PRESENT, "%s: %s",
                 all_refs[f], lr_status_name(look_cell(&l, 0, f).status));
  cr_assert_eq(look_cell(&l, 0, 0).v.b, 1);
  cr_assert_eq(look_cell(&l, 0, 1).v.i32, -7);
  cr_assert_eq(look_cell(&l, 0, 2).v.i64, LLONG_MIN);
  cr_assert_eq(look_cell(&l, 0, 3).v.f32, 0.1f);
  cr_assert_eq(look_cell(&l, 0, 4).v.f64, -1e300);
  assert_str(look_cell(&l, 0, 5), "caf\xc3\xa9", 5);
  assert_str(look_cell(&l, 0, 6), "\0\x01\xfe\xff", 4);
  cr_assert_eq(look_cell(&l, 0, 7).v.ts, -500000);
  lr_value a = look_cell(&l, 0, 8);
  cr_assert_eq(a.v.array.n, 3);
  const float *fl = a.v.array.data;
  cr_assert(fl[0] == 1.5f && fl[1] == -2.0f && fl[2] == 0.1f);
  a = look_cell(&l, 0, 9);
  cr_assert_eq(a.v.array.n, 2);
  const long long *il = a.v.array.data;
  cr_assert(il[0] == 1 && il[1] == -LLONG_MAX);
  a = look_cell(&l, 0, 10);
  cr_assert_eq(a.v.array.n, 3);
  const lr_str *sl = a.v.array.data;
  cr_assert(sl[0].len == 1 && memcmp(sl[0].ptr, "a", 1) == 0);
  cr_assert(sl[1].len == 3 && memcmp(sl[1].ptr, "b,c", 3) == 0);
  cr_assert_eq(sl[2].len, 0);
  /* row 2: integer seconds, extremes, empty arrays, empty cells null */
  cr_assert_eq(look_cell(&l, 1, 0).v.b, 0);
  cr_assert_eq(look_cell(&l, 1, 0).event_ts, T0);
  cr_assert_eq(look_cell(&l, 1, 1).v.i32, INT_MAX);
  cr_assert(isinf(look_cell(&l, 1, 3).v.f32) && look_cell(&l, 1, 3).v.f32 < 0);
  cr_assert(isnan(look_cell(&l, 1, 4).v.f64));
  cr_assert_eq(look_cell(&l, 1, 5).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 1, 6).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 1, 7).v.ts, 0);
  for (int f = 8; f < 11; f++) {
    cr_assert_eq(look_cell(&l, 1, f).status, LR_STATUS_PRESENT);
    cr_assert_eq(look_cell(&l, 1, f).v.array.n, 0);
  }
  look_free(&l);
  /* the created time was read: an older created time at the same event
   * loses */
  kv row[14];
  all_row1(row, 5, T0);
  row[13].name = "created_timestamp";
  row[13].v = vts(T0);
  lr_write_stats st;
  cr_assert_eq(put_row(s, "all_types", row, 14, &st), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(st.rows_skipped, 1);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i003_jsonl_nulls_arrays_missing_keys) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  char *path = file_in(
      dir, "rows.jsonl",
      "{\"user_id\": 1, \"event_timestamp\": \"2024-01-01T10:00:00Z\", "
      "\"a\": 5, \"b\": null, \"c\": \"x\"}\n"
      "\n"
      "{\"user_id\": 2, \"event_timestamp\": 1704103200, \"c\": \"only c\"}\n"
      "{\"c\": \"null\", \"user_id\": \"3\", \"b\": 2.5, "
      "\"event_timestamp\": \"2024-01-01T12:00:00+02:00\", \"a\": null}\n");
  lr_write_stats st;
  int rc = lr_write_file(s, "user_stats", path, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 3);
  static const char *const refs[] = {"user_stats:a", "user_stats:b",
                                     "user_stats:c"};
  look l;
  look_refs(&l, s, refs, 3, 3);
  lr_value keys[3] = {vi64(1), vi64(2), vi64(3)};
  look_get(&l, keys, 3);
  cr_assert_eq(look_cell(&l, 0, 0).v.i64, 5);
  cr_assert_eq(look_cell(&l, 0, 1).status, LR_STATUS_NULL_VALUE);
  assert_str(look_cell(&l, 0, 2), "x", 1);
  /* missing keys are null */
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 1, 1).status, LR_STATUS_NULL_VALUE);
  assert_str(look_cell(&l, 1, 2), "only c", 6);
  cr_assert_eq(look_cell(&l, 1, 2).event_ts, T0);
  /* "null" in quotes is a string */
  cr_assert_eq(look_cell(&l, 2, 0).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 2, 1).v.f64, 2.5);
  assert_str(look_cell(&l, 2, 2), "null", 4);
  cr_assert_eq(look_cell(&l, 2, 2).event_ts, T0);
  look_free(&l);
  free(path);

  /* arrays and every dtype, .json extension */
  path = file_in(
      dir, "all.json",
      "{\"user_id\": 9, \"event_timestamp\": \"2024-01-01T10:00:00Z\", "
      "\"f_af32\": [1.5, 2], \"f_ai64\": [], \"f_astr\": [\"a\", \"\", "
      "\"c d\"], \"f_bool\": true, \"f_bytes\": \"AAH+/w==\", "
      "\"f_ts\": \"1970-01-01T00:00:01Z\"}\n"
      "{\"user_id\": 10, \"event_timestamp\": \"2024-01-01T10:00:00Z\", "
      "\"f_i32\": -1, \"f_i64\": 9223372036854775807, \"f_f32\": 0.1, "
      "\"f_f64\": -2.5, \"f_str\": \"caf\xc3\xa9 \\\"q\\\"\"}\n");
  rc = lr_write_file(s, "all_types", path, NULL);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(s));
  look_refs(&l, s, all_refs, N_ALL, 2);
  lr_value k2[2] = {vi64(9), vi64(10)};
  look_get(&l, k2, 2);
  cr_assert_eq(look_cell(&l, 0, 0).v.b, 1);
  cr_assert_eq(look_cell(&l, 0, 1).status, LR_STATUS_NULL_VALUE);
  assert_str(look_cell(&l, 0, 6), "\0\x01\xfe\xff", 4);
  cr_assert_eq(look_cell(&l, 0, 7).v.ts, SEC);
  lr_value a = look_cell(&l, 0, 8);
  cr_assert_eq(a.v.array.n, 2);
  cr_assert(((const float *)a.v.array.data)[0] == 1.5f &&
            ((const float *)a.v.array.data)[1] == 2.0f);
  cr_assert_eq(look_cell(&l, 0, 9).status, LR_STATUS_PRESENT);
  cr_assert_eq(look_cell(&l, 0, 9).v.array.n, 0);
  a = look_cell(&l, 0, 10);
  cr_assert_eq(a.v.array.n, 3);
  const lr_str *sl = a.v.array.data;
  cr_assert(sl[0].len == 1 && sl[1].len == 0 && sl[2].len == 3 &&
            memcmp(sl[2].ptr, "c d", 3) == 0);
  cr_assert_eq(look_cell(&l, 1, 0).status, LR_STATUS_NULL_VALUE);
  cr_assert_eq(look_cell(&l, 1, 1).v.i32, -1);
  cr_assert_eq(look_cell(&l, 1, 2).v.i64, LLONG_MAX);
  cr_assert_eq(look_cell(&l, 1, 3).v.f32, 0.1f);
  cr_assert_eq(look_cell(&l, 1, 4).v.f64, -2.5);
  assert_str(look_cell(&l, 1, 5), "caf\xc3\xa9 \"q\"", 9);
  cr_assert_eq(look_cell(&l, 1, 8).status, LR_STATUS_NULL_VALUE);
  look_free(&l);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

/* Every ingest error leaves user 1's a = 10 and writes nothing else. */
static void ingest_fails(lr_store *s, const char *dir, const char *rel,
                         const char *content, int want_rc,
                         const char *const *needles) {
  char *path = content ? file_in(dir, rel, content) : NULL;
  if (!path) {
    path = malloc(strlen(dir) + strlen(rel) + 2);
    sprintf(path, "%s/%s", dir, rel);
  }
  lr_write_stats st = {5, 5};
  int rc = lr_write_file(s, "user_stats", path, &st);
  const char *msg = lr_store_errmsg(s);
  cr_assert_eq(rc, want_rc, "%s: got %s, want %s: %s", rel, lr_err_name(rc),
               lr_err_name(want_rc), msg);
  for (int i = 0; needles[i]; i++)
    assert_msg(msg, needles[i]);
  cr_assert_eq(st.rows_written, 0, "a failed write counts nothing");
  cr_assert_eq(st.rows_skipped, 0);
  free(path);
  assert_unchanged(s);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

Test(ingest, i004_csv_unknown_column) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  ingest_fails(s, dir, "bad.csv",
               "user_id,event_timestamp,a,b,c,zzz\n"
               "2,2024-01-02T00:00:00Z,1,1,x,1\n",
               LR_EINVAL, NEEDLES("bad.csv", "unknown column 'zzz'"));
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i005_csv_wrong_field_count_names_row) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  ingest_fails(s, dir, "bad.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,x\n"
               "2,2024-01-02T00:00:00Z,1,1\n",
               LR_EINVAL, NEEDLES("bad.csv: row 2:", "4 fields", "5"));
  /* a record spanning two lines before the bad one: it is one row */
  ingest_fails(s, dir, "bad2.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,\"two\nlines\"\n"
               "2,2024-01-02T00:00:00Z,1,1,x,extra\n",
               LR_EINVAL, NEEDLES("bad2.csv: row 2:", "6 fields"));
  /* an unterminated quote */
  ingest_fails(s, dir, "bad3.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,\"open\n",
               LR_EINVAL, NEEDLES("bad3.csv: row 1:"));
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i006_csv_bad_values_name_file_row_column) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  ingest_fails(s, dir, "num.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,x\n"
               "2,2024-01-02T00:00:00Z,12x,1,x\n",
               LR_EINVAL, NEEDLES("num.csv: row 2:", "column 'a'", "'12x'"));
  ingest_fails(s, dir, "flt.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1.2.3,x\n",
               LR_EINVAL, NEEDLES("flt.csv: row 1:", "column 'b'", "float64"));
  ingest_fails(s, dir, "ts.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-13-02T00:00:00Z,99,1,x\n",
               LR_EINVAL, NEEDLES("ts.csv: row 1:", "column 'event_timestamp'"));
  ingest_fails(s, dir, "key.csv",
               "user_id,event_timestamp,a,b,c\n"
               "one,2024-01-02T00:00:00Z,99,1,x\n",
               LR_EINVAL, NEEDLES("key.csv: row 1:", "column 'user_id'"));
  ingest_fails(s, dir, "big.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99999999999999999999,1,x\n",
               LR_EINVAL, NEEDLES("big.csv: row 1:", "column 'a'"));
  /* a missing column */
  ingest_fails(s, dir, "nocol.csv",
               "user_id,event_timestamp,a,c\n"
               "1,2024-01-02T00:00:00Z,99,x\n",
               LR_EINVAL, NEEDLES("'b'"));
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i007_csv_bad_arrays_and_int32_range) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  const char *head =
      "user_id,event_timestamp,f_bool,f_i32,f_i64,f_f32,f_f64,f_str,f_bytes,"
      "f_ts,f_af32,f_ai64,f_astr\n";
  struct {
    const char *row;
    const char *needle;
  } cases[] = {
      {"1,2024-01-01,true,3000000000,1,1,1,s,AA==,0,[],[],[]\n", "'f_i32'"},
      {"1,2024-01-01,maybe,1,1,1,1,s,AA==,0,[],[],[]\n", "'f_bool'"},
      {"1,2024-01-01,true,1,1,1,1,s,AA==,0,\"[1, x]\",[],[]\n", "'f_af32'"},
      {"1,2024-01-01,true,1,1,1,1,s,AA==,0,[],\"{\"\"a\"\": 1}\",[]\n",
       "'f_ai64'"},
      {"1,2024-01-01,true,1,1,1,1,s,AA==,0,[],[1.5],[]\n", "'f_ai64'"},
      {"1,2024-01-01,true,1,1,1,1,s,@@@,0,[],[],[]\n", "'f_bytes'"},
      {"1,2024-01-01,true,1,1,1,1,s,AA==,yesterday,[],[],[]\n", "'f_ts'"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "%s%s", head, cases[i].row);
    char *path = file_in(dir, "arr.csv", text);
    int rc = lr_write_file(s, "all_types", path, NULL);
    cr_assert_eq(rc, LR_EINVAL, "case %zu: %s", i, lr_err_name(rc));
    assert_msg(lr_store_errmsg(s), "arr.csv: row 1:");
    assert_msg(lr_store_errmsg(s), cases[i].needle);
    free(path);
  }
  static const char *const refs[] = {"all_types:f_i32"};
  look l;
  look_refs(&l, s, refs, 1, 1);
  lr_value k = vi64(1);
  look_get(&l, &k, 1);
  cr_assert_eq(look_cell(&l, 0, 0).status, LR_STATUS_NOT_FOUND);
  look_free(&l);
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i008_jsonl_errors) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  ingest_fails(s, dir, "bad.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 99, \"b\": 1, \"c\": \"x\"}\n"
               "{\"user_id\": 2, \"event_timestamp\": \"2024-01-02T00:00:00Z\",\n",
               LR_EINVAL, NEEDLES("bad.jsonl: row 2:"));
  ingest_fails(s, dir, "list.jsonl", "[1, 2, 3]\n", LR_EINVAL,
               NEEDLES("list.jsonl: row 1:", "JSON object"));
  ingest_fails(s, dir, "unk.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 99, \"b\": 1, \"c\": \"x\"}\n"
               "{\"user_id\": 2, \"zzz\": 1}\n",
               LR_EINVAL, NEEDLES("unk.jsonl: row 2:", "unknown column 'zzz'"));
  ingest_fails(s, dir, "val.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 99, \"b\": 1, \"c\": \"x\"}\n"
               "{\"user_id\": 2, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": [1], \"b\": 1, \"c\": \"x\"}\n",
               LR_EINVAL, NEEDLES("val.jsonl: row 2:", "column 'a'"));
  ingest_fails(s, dir, "num.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": \"ninety\", \"b\": 1, \"c\": \"x\"}\n",
               LR_EINVAL, NEEDLES("num.jsonl: row 1:", "column 'a'", "'ninety'"));
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i009_formats_and_missing_files) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  /* not really Parquet: refused whole (LR_EINVAL quoting DuckDB, or
   * LR_EUNSUPPORTED where libduckdb cannot be loaded) */
  char *pq = file_in(dir, "rows.parquet", "PAR1");
  int rc = lr_write_file(s, "user_stats", pq, NULL);
  cr_assert(rc == LR_EINVAL || rc == LR_EUNSUPPORTED, "parquet: %s: %s",
            lr_err_name(rc), lr_store_errmsg(s));
  assert_msg(lr_store_errmsg(s), "rows.parquet");
  free(pq);
  assert_unchanged(s);
  ingest_fails(s, dir, "rows.txt", "user_id\n", LR_EINVAL,
               NEEDLES("rows.txt", "unknown format"));
  ingest_fails(s, dir, "missing.csv", NULL, LR_ENOTFOUND,
               NEEDLES("missing.csv"));
  ingest_fails(s, dir, "missing.jsonl", NULL, LR_ENOTFOUND,
               NEEDLES("missing.jsonl"));
  /* the extension is case-insensitive */
  char *path = file_in(dir, "ROWS.CSV",
                       "user_id,event_timestamp,a,b,c\n"
                       "1,2024-01-02T00:00:00Z,11,1,x\n");
  cr_assert_eq(lr_write_file(s, "user_stats", path, NULL), 0, "%s",
               lr_store_errmsg(s));
  assert_a(s, 1, 11);
  free(path);
  /* an unknown view */
  path = file_in(dir, "v.csv", "user_id,event_timestamp,a,b,c\n");
  cr_assert_eq(lr_write_file(s, "nope", path, NULL), LR_ENOTFOUND);
  assert_msg(lr_store_errmsg(s), "'nope'");
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

/* Header only, and newer-wins through files. */
Test(ingest, i010_header_only_and_newer_wins) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  char *path = file_in(dir, "empty.csv", "user_id,event_timestamp,a,b,c\n");
  lr_write_stats st = {9, 9};
  cr_assert_eq(lr_write_file(s, "user_stats", path, &st), 0, "%s",
               lr_store_errmsg(s));
  cr_assert_eq(st.rows_written, 0);
  cr_assert_eq(st.rows_skipped, 0);
  free(path);
  path = file_in(dir, "old.csv",
                 "user_id,event_timestamp,a,b,c\n"
                 "1,2023-12-31T00:00:00Z,5,1,old\n"
                 "2,2023-12-31T00:00:00Z,6,1,new\n");
  cr_assert_eq(lr_write_file(s, "user_stats", path, &st), 0);
  cr_assert_eq(st.rows_written, 1);
  cr_assert_eq(st.rows_skipped, 1);
  assert_a(s, 1, 10);
  assert_a(s, 2, 6);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

/* Empty cells where a value is required: the event time and the key. */
Test(ingest, i011_csv_null_event_time_or_key) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  ingest_fails(s, dir, "noev.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,x\n"
               "2,,1,1,x\n",
               LR_EINVAL, NEEDLES("noev.csv: row 2:", "event_timestamp"));
  ingest_fails(s, dir, "nokey.csv",
               "user_id,event_timestamp,a,b,c\n"
               "1,2024-01-02T00:00:00Z,99,1,x\n"
               ",2024-01-02T00:00:00Z,1,1,x\n",
               LR_EINVAL, NEEDLES("nokey.csv: row 2:", "user_id"));
  /* JSON lines: a null key, a missing event_timestamp */
  ingest_fails(s, dir, "nokey.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 99, \"b\": 1, \"c\": \"x\"}\n"
               "{\"user_id\": null, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 1, \"b\": 1, \"c\": \"x\"}\n",
               LR_EINVAL, NEEDLES("nokey.jsonl: row 2:", "user_id"));
  ingest_fails(s, dir, "noev.jsonl",
               "{\"user_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00Z\", "
               "\"a\": 99, \"b\": 1, \"c\": \"x\"}\n"
               "{\"user_id\": 2, \"a\": 1, \"b\": 1, \"c\": \"x\"}\n",
               LR_EINVAL, NEEDLES("noev.jsonl: row 2:", "event_timestamp"));
  lr_store_close(s);
  repo_done(dir);
}

/* ---- NUL bytes and messages of files (issue 13) -------------------------- */

/* Writes `len` bytes (NULs allowed) to dir/rel; returns the path. */
static char *bytes_in(const char *dir, const char *rel, const char *data,
                      size_t len) {
  char *path = malloc(strlen(dir) + strlen(rel) + 2);
  sprintf(path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
  return path;
}

/* The message of a NUL byte at path:line:col, whole. */
static void assert_nul_msg(const char *msg, const char *path, int line,
                           int col) {
  char want[4096];
  snprintf(want, sizeof want, "%s:%d:%d: a NUL byte: text input cannot "
           "contain one (is this a binary or UTF-16 file?); remove it, or "
           "save the file as UTF-8 text", path, line, col);
  cr_assert_str_eq(msg, want);
}

/* A 1,000-row CSV with a NUL on line 10 used to write 8 rows and succeed:
 * the file is refused whole, naming the line and column. */
Test(ingest, i012_nul_byte_in_csv_is_refused_whole) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  lr__buf text;
  lr__buf_init(&text);
  lr__buf_puts(&text, "user_id,event_timestamp,a,b,c\n");
  for (int i = 0; i < 1000; i++)
    lr__buf_printf(&text, "%d,2024-01-02T00:00:00Z,%d,0.5,x\n", 2 + i, i);
  size_t at = 0;
  for (int line = 1; line < 10; line++)
    at = (size_t)(strchr(text.data + at, '\n') - text.data) + 1;
  text.data[at + 3] = '\0'; /* line 10, column 4 */
  char *path = bytes_in(dir, "rows.csv", text.data, text.len);
  lr_write_stats st = {5, 5};
  cr_assert_eq(lr_write_file(s, "user_stats", path, &st), LR_EINVAL);
  assert_nul_msg(lr_store_errmsg(s), path, 10, 4);
  cr_assert_eq(st.rows_written, 0);
  assert_unchanged(s);
  cr_assert_eq(stats_a(s, 3).status, LR_STATUS_NOT_FOUND);
  lr__buf_free(&text);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

Test(ingest, i013_nul_byte_in_jsonl_is_refused_whole) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  static const char rows[] =
      "{\"user_id\": 2, \"event_timestamp\": \"2024-01-02T00:00:00Z\", \"a\": 1}\n"
      "{\"user_id\": 3, \"event_timestamp\": \"2024-01-02T00:00:00Z\", \"c\": \"x\0y\"}\n"
      "{\"user_id\": 4, \"event_timestamp\": \"2024-01-02T00:00:00Z\", \"a\": 4}\n";
  char *path = bytes_in(dir, "rows.jsonl", rows, sizeof rows - 1);
  cr_assert_eq(lr_write_file(s, "user_stats", path, NULL), LR_EINVAL);
  assert_nul_msg(lr_store_errmsg(s), path, 2, 66);
  assert_unchanged(s);
  free(path);
  lr_store_close(s);
  repo_done(dir);
}

/* A failing lr_write_file after a failing one shows only its own message. */
Test(ingest, i014_second_failure_has_only_its_own_message) {
  char *dir;
  lr_store *s = store_with_one(&dir);
  char *nul = bytes_in(dir, "nul.csv", "user_id\0\n", 9);
  char *txt = file_in(dir, "rows.txt", "user_id\n");
  cr_assert_eq(lr_write_file(s, "user_stats", nul, NULL), LR_EINVAL);
  assert_nul_msg(lr_store_errmsg(s), nul, 1, 8);
  cr_assert_eq(lr_write_file(s, "user_stats", txt, NULL), LR_EINVAL);
  char want[4096];
  snprintf(want, sizeof want, "%s: unknown format: use .csv, .jsonl, .json "
           "or .parquet", txt);
  cr_assert_str_eq(lr_store_errmsg(s), want);
  cr_assert_eq(lr_write_file(s, "user_stats", NULL, NULL), LR_EINVAL);
  cr_assert_str_eq(lr_store_errmsg(s), "no file given");
  cr_assert_eq(lr_write_file(s, "user_stats", txt, NULL), LR_EINVAL);
  cr_assert_str_eq(lr_store_errmsg(s), want, "the same failure twice: once");
  free(nul);
  free(txt);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- the process locale (issue 13) --------------------------------------- */

static const char defs_locale[] =
    "entities:\n"
    "  - name: user\n"
    "    join_keys: [user_id]\n"
    "    value_type: int64\n"
    "sources:\n"
    "  - name: src\n"
    "    kind: file\n"
    "    path: data/x.csv\n"
    "    timestamp_field: event_timestamp\n"
    "feature_views:\n"
    "  - name: m\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: b, dtype: float64}\n"
    "      - {name: f, dtype: float32}\n"
    "on_demand_feature_views:\n"
    "  - name: half\n"
    "    sources: [m]\n"
    "    schema:\n"
    "      - {name: h, dtype: float64, expr: \"b * 0.5 + 0.25\"}\n";

/* A host program that sets LC_NUMERIC to a decimal-comma locale used to
 * break strtod ("1.5" read as 1) and printf ("1,5" in answers). Under
 * de_DE.UTF-8: expression constants of the YAML, CSV and JSONL floats,
 * times with fractions, and the formatted answer keep the decimal point. */
Test(ingest, i015_parsing_and_formatting_ignore_the_locale) {
  th_use_decimal_comma_locale();
  char *dir = make_repo(defs_locale); /* parses "0.5" and "0.25" */
  long long us = 0;
  cr_assert_eq(lr_parse_time("2024-01-02T00:00:00.25Z", 0, &us), 0);
  cr_assert_eq(us, 1704153600250000LL);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  char *csv = file_in(dir, "rows.csv", "user_id,event_timestamp,b,f\n"
                      "1,2024-01-02T00:00:00.5Z,1.5,0.1\n"
                      "3,2024-01-02T00:00:00Z,1e-25,2.5e30\n");
  char *jsonl = file_in(dir, "rows.jsonl", "{\"user_id\": 2, "
                        "\"event_timestamp\": \"2024-01-02T00:00:00Z\", "
                        "\"b\": 2.25, \"f\": \"0.75\"}\n");
  cr_assert_eq(lr_write_file(s, "m", csv, NULL), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(lr_write_file(s, "m", jsonl, NULL), 0, "%s",
               lr_store_errmsg(s));
  static const char *const refs[] = {"m:b", "m:f", "half:h"};
  look l;
  look_refs(&l, s, refs, 3, 4);
  lr_value keys[] = {vi64(1), vi64(2), vi64(3)};
  look_get(&l, keys, 3);
  cr_assert_eq(look_cell(&l, 0, 0).v.f64, 1.5);
  cr_assert_eq(look_cell(&l, 0, 1).v.f32, 0.1f);
  cr_assert_eq(look_cell(&l, 0, 2).v.f64, 1.0);
  cr_assert_eq(look_cell(&l, 1, 0).v.f64, 2.25);
  cr_assert_eq(look_cell(&l, 1, 1).v.f32, 0.75f);
  cr_assert_eq(look_cell(&l, 1, 2).v.f64, 1.375);
  cr_assert_eq(look_cell(&l, 2, 0).v.f64, 1e-25);
  cr_assert_eq(look_cell(&l, 0, 0).event_ts, 1704153600500000LL);
  char *json = NULL;
  cr_assert_eq(lr_result_format(l.res, keys, LR_FORMAT_JSON, &json), 0);
  cr_assert(contains(json, "{\"values\": [1.5, 2.25, 1e-25]"), "%s", json);
  cr_assert(contains(json, "{\"values\": [0.1, 0.75, 2.5e+30]"), "%s", json);
  cr_assert(contains(json, "{\"values\": [1, 1.375, 0.25]"), "%s", json);
  cr_assert(contains(json, "2024-01-02T00:00:00.500000Z"), "%s", json);
  lr_free(json);
  char *table = NULL;
  cr_assert_eq(lr_result_format(l.res, keys, 0, &table), 0);
  cr_assert(contains(table, "1.375"), "%s", table);
  cr_assert_null(strstr(table, "1,375"), "%s", table);
  lr_free(table);
  look_free(&l);
  free(csv);
  free(jsonl);
  lr_store_close(s);
  repo_done(dir);
}

/* ---- messages of a shared store ------------------------------------------ */

typedef struct bad_prepare {
  lr_store *s;
  const char *ref;
  char msg[512]; /* the message this thread read after its failures */
  int rounds_ok; /* rounds whose message was exactly its own */
} bad_prepare;

/* Fails to prepare `ref` again and again, reading the message each time. */
static void *prepare_badly(void *p) {
  bad_prepare *b = p;
  const char *const refs[] = {b->ref};
  for (int i = 0; i < 2000; i++) {
    lr_request *req = NULL;
    if (lr_request_prepare(b->s, refs, 1, &req) != LR_ENOTFOUND)
      return NULL;
    const char *m = lr_store_errmsg(b->s);
    if (i == 0)
      snprintf(b->msg, sizeof b->msg, "%s", m);
    b->rounds_ok += strcmp(m, b->msg) == 0;
  }
  return NULL;
}

/* Threads failing on one store each read their own message, whole, every
 * time: no thread resets or grows another's (issue 13's race). */
Test(online, o049_threads_read_their_own_store_messages) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  bad_prepare b[2] = {{s, "user_stats:nope", "", 0},
                      {s, "nowhere:a", "", 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, prepare_badly, &b[i]), 0);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  cr_assert(!strncmp(b[0].msg, "feature view 'user_stats' has no feature "
                     "'nope'", 41), "%s", b[0].msg);
  cr_assert(!strncmp(b[1].msg, "unknown feature view 'nowhere'", 30), "%s",
            b[1].msg);
  cr_assert_eq(b[0].rounds_ok, 2000);
  cr_assert_eq(b[1].rounds_ok, 2000);
  cr_assert_str_eq(lr_store_errmsg(s), "", "this thread failed nothing");
  lr_store_close(s);
  repo_done(dir);
}

/* ---- other processes at once ---------------------------------------------- */

enum { PW_WRITERS = 3, PW_ROUNDS = 40, PW_KEYS = 64 };

static const th_sched pw_sched = {PW_WRITERS, PW_ROUNDS, PW_KEYS};

/* Round r of writer w (th_sched) into user_stats: a = the value, b = a / 2,
 * c = "v<a>", in one write. */
static int put_sched_round(lr_store *s, int w, int r, lr_write_stats *st) {
  lr_value uid[PW_KEYS], ev[PW_KEYS], a[PW_KEYS], b[PW_KEYS], c[PW_KEYS];
  long long value = th_sched_value(w, r);
  char text[32];
  snprintf(text, sizeof text, "v%lld", value);
  int n = 0;
  for (int k = 0; k < PW_KEYS; k++)
    if (th_sched_writes(w, r, k)) {
      uid[n] = vi64(k);
      ev[n] = vts(T0 + th_sched_second(&pw_sched, w, r) * SEC);
      a[n] = vi64(value);
      b[n] = vf64((double)value / 2);
      c[n++] = vstr(text);
    }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a},
                      {"b", b},         {"c", c}};
  return lr_write_rows(s, "user_stats", cols, 5, (size_t)n, st);
}

/* A writer process: its rounds one write each, a byte on `acks` once each
 * returned ('c' when it stored a row, 'a' when all were older). Exit 0,
 * or 1 on a failed write. */
static void sched_writer_child(const char *dir, int w, int acks) {
  lr_store *s = NULL;
  if (lr_store_open(dir, LR_STORE_READWRITE, &s) != 0)
    _exit(1);
  for (int r = 0; r < PW_ROUNDS; r++) {
    lr_write_stats st;
    if (put_sched_round(s, w, r, &st) != 0)
      _exit(1);
    if (write(acks, st.rows_written ? "c" : "a", 1) != 1)
      _exit(1);
  }
  lr_store_close(s);
  _exit(0);
}

/* Reads a writer's acknowledgements to their end: how many writes returned
 * (*changed: how many of them stored a row). */
static int read_acks(int fd, int *changed) {
  int n = 0;
  char buf[64];
  for (ssize_t got; (got = read(fd, buf, sizeof buf)) > 0;)
    for (ssize_t i = 0; i < got; i++) {
      n++;
      *changed += buf[i] == 'c';
    }
  close(fd);
  return n;
}

/* Whether every key holds the newest write among the first done[w] rounds
 * of each writer w. */
static int holds_sched(lr_store *s, const int *done) {
  static const char *const refs[] = {"user_stats:a"};
  look l;
  look_refs(&l, s, refs, 1, 1);
  int same = 1;
  for (int k = 0; k < PW_KEYS && same; k++) {
    long long second, want = th_sched_expect(&pw_sched, k, done, &second);
    lr_value key = vi64(k);
    look_get(&l, &key, 1);
    lr_value a = look_cell(&l, 0, 0);
    same = want < 0 ? a.status == LR_STATUS_NOT_FOUND
                    : a.status == LR_STATUS_PRESENT && a.v.i64 == want &&
                          a.event_ts == T0 + second * SEC;
  }
  look_free(&l);
  return same;
}

/* Three processes write overlapping keys at once, one of them killed with
 * SIGKILL at a seeded random point: every acknowledged write is kept
 * (newer wins per key, whichever process wrote it), the write under way at
 * the kill is there whole or not at all, and a handle opened before the
 * writers counts each of their changes in its version. */
Test(online, o050_writer_processes_keep_every_acknowledged_write,
     .timeout = 60) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READONLY);
  lr_data_version before, after;
  cr_assert_eq(lr_store_version(s, &before), 0);
  int acks[PW_WRITERS];
  pid_t pid[PW_WRITERS];
  for (int w = 0; w < PW_WRITERS; w++) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid[w] = th_fork_child();
    if (pid[w] == 0) {
      close(fds[0]);
      sched_writer_child(dir, w, fds[1]);
    }
    close(fds[1]);
    acks[w] = fds[0];
  }
  /* the last one is killed at a random point after its first write */
  int done[PW_WRITERS] = {0}, changed = 0;
  struct pollfd first = {.fd = acks[PW_WRITERS - 1], .events = POLLIN};
  cr_assert_eq(poll(&first, 1, 20000), 1, "the last writer wrote nothing");
  char ack;
  cr_assert_eq(read(first.fd, &ack, 1), 1);
  done[PW_WRITERS - 1] = 1;
  changed += ack == 'c';
  uint64_t rng = 0x0050 ^ (uint64_t)getpid();
  usleep((useconds_t)(th_random(&rng) % 60000));
  kill(pid[PW_WRITERS - 1], SIGKILL);
  for (int w = 0; w < PW_WRITERS; w++) {
    int code = th_child_status(pid[w], 30000);
    done[w] += read_acks(acks[w], &changed);
    if (w < PW_WRITERS - 1)
      cr_assert(code == 0 && done[w] == PW_ROUNDS, "writer %d: exit %d after "
                "%d of %d writes", w, code, done[w], PW_ROUNDS);
    else
      cr_assert(code == 128 + SIGKILL || (code == 0 && done[w] == PW_ROUNDS),
                "the killed writer: exit %d", code);
  }
  int killed_at = done[PW_WRITERS - 1];
  int without = holds_sched(s, done);
  done[PW_WRITERS - 1] += killed_at < PW_ROUNDS; /* the write under way */
  int with = holds_sched(s, done);
  cr_assert(without || with, "a key lost an acknowledged write, or the "
            "write under way at the kill (round %d) is there in part",
            killed_at);
  cr_assert_eq(lr_store_version(s, &after), 0);
  unsigned long long moved = after.seq - before.seq;
  cr_assert(moved == (unsigned long long)changed + (with && !without) ||
                (with && without && moved == (unsigned long long)changed + 1),
            "%d acknowledged writes stored rows, the version moved by %llu",
            changed, moved);
  lr_store_close(s);
  repo_done(dir);
}

/* One row of `other`: o = `o` for user `user`. */
static int put_other(lr_store *s, long long user, long long o) {
  kv row[] = {{"user_id", vi64(user)},
              {"event_timestamp", vts(T0 + o * SEC)},
              {"o", vi64(o)}};
  return put_row(s, "other", row, 3, NULL);
}

enum { OPEN_PROCS = 6 };

/* An opener process: waits for the parent's byte on `go`, opens the store
 * (read-write for even ids, which write user 100 + id in `other`), then
 * within 10 s must read every even opener's row. Exit 0, or 1 + the step
 * that failed. */
static void opener_child(const char *dir, int id, int go) {
  char c;
  if (read(go, &c, 1) != 1)
    _exit(1);
  lr_store *s = NULL;
  int rw = id % 2 == 0;
  if (lr_store_open(dir, rw ? LR_STORE_READWRITE : LR_STORE_READONLY, &s))
    _exit(2);
  if (rw && put_other(s, 100 + id, id + 1) != 0)
    _exit(3);
  static const char *const refs[] = {"other:o"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  lr_value keys[OPEN_PROCS / 2];
  for (int i = 0; i < OPEN_PROCS / 2; i++)
    keys[i] = vi64(100 + 2 * i);
  if (lr_request_prepare(s, refs, 1, &req) ||
      lr_result_create(req, OPEN_PROCS / 2, &res))
    _exit(4);
  for (long long end = th_now_ms() + 10000;; usleep(2000)) {
    if (lr_get_online_features(req, keys, OPEN_PROCS / 2, res))
      _exit(5);
    int all = 1;
    for (int i = 0; i < OPEN_PROCS / 2; i++) {
      lr_value v;
      lr_result_cell(res, i, 0, &v);
      all &= v.status == LR_STATUS_PRESENT && v.v.i64 == 2 * i + 1;
    }
    if (all)
      break;
    if (th_now_ms() > end)
      _exit(6);
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  _exit(0);
}

/* Starts OPEN_PROCS openers, lets them all open at once, and fails unless
 * each succeeds. */
static void open_from_processes(const char *dir, const char *when) {
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t pid[OPEN_PROCS];
  for (int i = 0; i < OPEN_PROCS; i++) {
    pid[i] = th_fork_child();
    if (pid[i] == 0) {
      close(go[1]);
      opener_child(dir, i, go[0]);
    }
  }
  close(go[0]);
  cr_assert_eq(write(go[1], "gggggg", OPEN_PROCS), OPEN_PROCS);
  close(go[1]);
  for (int i = 0; i < OPEN_PROCS; i++) {
    int code = th_child_status(pid[i], 20000);
    cr_assert_eq(code, 0, "%s: opener %d (%s) failed at step %d", when, i,
                 i % 2 ? "read-only" : "read-write", code - 1);
  }
}

/* A writer process: `other` rows for users 1000, 1001, ... until `stop`
 * is readable. Exit 0, or 1 on a failed open or write. */
static void other_writer_child(const char *dir, int stop) {
  lr_store *s = NULL;
  if (lr_store_open(dir, LR_STORE_READWRITE, &s) != 0)
    _exit(1);
  struct pollfd p = {.fd = stop, .events = POLLIN};
  for (int i = 0; i < 20000 && poll(&p, 1, 0) == 0; i++)
    if (put_other(s, 1000 + i, 1) != 0)
      _exit(1);
  lr_store_close(s);
  _exit(0);
}

/* Whether the live generation still holds a database of view `view`. */
static int has_view_db(lr_store *s, const char *view) {
  lr__env *env = lr__store_env(s);
  MDB_txn *txn;
  cr_assert_eq(mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn), 0);
  int n = 0, found = 0;
  char **names = lr__env_db_names(txn, &n);
  for (int i = 0; i < n; i++) {
    found |= !strncmp(names[i], view, strlen(view)) &&
             names[i][strlen(view)] == '@';
    free(names[i]);
  }
  free(names);
  mdb_txn_abort(txn);
  lr__env_release(env);
  return found;
}

/* Six processes open one store at once, half read-only, half read-write:
 * first a store with no generation yet (the opens make one, gen-1), then,
 * after a view was removed and while another process writes, again (a
 * read-write open frees the removed view's rows, a write that waits for
 * the other writers). Every open and write succeeds and every process
 * reads the others' rows. */
Test(online, o051_store_open_from_processes_at_once, .timeout = 60) {
  char *dir = make_evo_repo(EVO_AB);
  open_from_processes(dir, "no generation yet");
  char path[4200];
  snprintf(path, sizeof path, "%s/data/online/gen-2", dir);
  cr_assert_neq(access(path, F_OK), 0, "the first opens made two generations");
  char *current = th_read(dir, "data/online/CURRENT");
  cr_assert_str_eq(current, "1\n");
  free(current);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  kv row[] = {{"user_id", vi64(1)},
              {"event_timestamp", vts(T0)},
              {"a", vi64(10)},
              {"b", vstr("bee")}};
  cr_assert_eq(put_row(s, "ev", row, 4, NULL), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  write_only_other(dir);
  apply_repo(dir, 0, 0);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  pid_t writer = th_fork_child();
  if (writer == 0)
    other_writer_child(dir, stop[0]);
  open_from_processes(dir, "a view removed, a writer writing");
  cr_assert_eq(write(stop[1], "s", 1), 1);
  cr_assert_eq(th_child_status(writer, 20000), 0, "the writer failed");
  s = open_store(dir, LR_STORE_READONLY);
  cr_assert(!has_view_db(s, "ev"), "the removed view's rows were kept");
  cr_assert(has_view_db(s, "other"));
  lr_store_close(s);
  repo_done(dir);
}

/* A process holding the store's writer lock: begins a write of user_stats
 * (lr__writer_begin), says so on `ready`, and once `go` is readable writes
 * user 500 (a = 5) and commits. Exit 0, or 1. */
static void lock_holder_child(const char *dir, int ready, int go) {
  lr_store *s = NULL;
  lr__writer *w = NULL;
  if (lr_store_open(dir, LR_STORE_READWRITE, &s) != 0 ||
      lr__writer_begin(s, "user_stats", &w) != 0)
    _exit(1);
  char c;
  if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
    _exit(1);
  lr_value uid = vi64(500), ev = vts(T0), a = vi64(5), b = vf64(2.5),
           str = vstr("v");
  lr_column cols[] = {{"user_id", &uid}, {"event_timestamp", &ev},
                      {"a", &a},         {"b", &b},
                      {"c", &str}};
  lr_write_stats st;
  if (lr__writer_put(w, cols, 5, 1, &st) != 0 || lr__writer_commit(w) != 0)
    _exit(1);
  lr_store_close(s);
  _exit(0);
}

/* While another process holds the writer lock (a write under way), the
 * readers of this one do not wait: a lookup, a read-only open,
 * lr_store_version, lr_store_digests and lr_store_verify all return; and
 * lr_write_file refuses a bad, missing or misaddressed file at once (the
 * file is read and checked before its write begins). Once the other write
 * commits, it is seen. (A wait would hang the test: its timeout ends it.) */
Test(online, o052_readers_and_file_checks_never_wait_for_another_writer,
     .timeout = 30) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  must_put_stats(s, 1, T0, 10);
  char *bad = file_in(dir, "bad.csv", "user_id,event_timestamp,a,b,c\n"
                                      "2,2024-01-02T00:00:00Z,eleven,1,x\n");
  char *good = file_in(dir, "good.csv", "user_id,event_timestamp,a,b,c\n"
                                        "2,2024-01-02T00:00:00Z,11,1,x\n");
  int ready[2], go[2];
  cr_assert_eq(pipe(ready), 0);
  cr_assert_eq(pipe(go), 0);
  pid_t holder = th_fork_child();
  if (holder == 0)
    lock_holder_child(dir, ready[1], go[0]);
  char c;
  cr_assert_eq(read(ready[0], &c, 1), 1, "the lock holder did not start");
  assert_a(s, 1, 10);
  lr_store *ro = open_store(dir, LR_STORE_READONLY);
  assert_a(ro, 1, 10);
  lr_data_version v;
  cr_assert_eq(lr_store_version(ro, &v), 0);
  char *json = NULL, *report = NULL;
  cr_assert_eq(lr_store_digests(ro, &json), 0, "%s", lr_store_errmsg(ro));
  cr_assert(strstr(json, "\"user_stats\": {\"rows\": 1,"), "%s", json);
  cr_assert_eq(lr_store_verify(ro, &report), 0, "%s", lr_store_errmsg(ro));
  cr_assert_eq(lr_write_file(s, "user_stats", bad, NULL), LR_EINVAL);
  char want[4400];
  snprintf(want, sizeof want, "%s: row 1: column 'a': 'eleven' is not a valid "
           "int64", bad);
  cr_assert_str_eq(lr_store_errmsg(s), want);
  snprintf(want, sizeof want, "%s/missing.csv", dir);
  cr_assert_eq(lr_write_file(s, "user_stats", want, NULL), LR_ENOTFOUND);
  cr_assert_eq(lr_write_file(s, "nope", good, NULL), LR_ENOTFOUND);
  cr_assert_eq(write(go[1], "g", 1), 1);
  cr_assert_eq(th_child_status(holder, 10000), 0, "the lock holder failed");
  assert_a(ro, 500, 5);
  cr_assert_eq(lr_write_file(s, "user_stats", good, NULL), 0, "%s",
               lr_store_errmsg(s));
  assert_a(ro, 2, 11);
  lr_free(json);
  lr_free(report);
  free(bad);
  free(good);
  lr_store_close(ro);
  lr_store_close(s);
  repo_done(dir);
}

/* The row count lr_store_verify reports for user_stats, or -1. */
static long long verified_rows(lr_store *s) {
  char *report = NULL;
  if (lr_store_verify(s, &report) != 0)
    return -1;
  const char *at = strstr(report, "user_stats: ");
  long long n = at ? atoll(at + strlen("user_stats: ")) : -1;
  lr_free(report);
  return n;
}

/* How many bytes are waiting in pipe `fd` now (read and counted). */
static int drain_count(int fd) {
  int n = 0;
  char buf[256];
  struct pollfd p = {.fd = fd, .events = POLLIN};
  while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
    ssize_t got = read(fd, buf, sizeof buf);
    if (got <= 0)
      break;
    n += (int)got;
  }
  return n;
}

/* A writer process: user_stats rows of users 1000, 1001, ... one a write,
 * a byte on `acks` after each, until `stop` is readable. */
static void stats_writer_child(const char *dir, int acks, int stop) {
  lr_store *s = NULL;
  if (lr_store_open(dir, LR_STORE_READWRITE, &s) != 0)
    _exit(1);
  struct pollfd p = {.fd = stop, .events = POLLIN};
  for (int i = 0; i < 20000 && poll(&p, 1, 0) == 0; i++)
    if (put_stats(s, 1000 + i, T0, NO_CREATED, i, 0, "w", NULL) != 0 ||
        write(acks, "a", 1) != 1)
      _exit(1);
  lr_store_close(s);
  _exit(0);
}

/* A reader process: users 0..99 must read a = key, lookup after lookup,
 * until `stop` is readable. */
static void stats_reader_child(const char *dir, int stop) {
  lr_store *s = NULL;
  static const char *const refs[] = {"user_stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  if (lr_store_open(dir, LR_STORE_READONLY, &s) ||
      lr_request_prepare(s, refs, 1, &req) || lr_result_create(req, 100, &res))
    _exit(2);
  lr_value keys[100];
  for (int i = 0; i < 100; i++)
    keys[i] = vi64(i);
  struct pollfd p = {.fd = stop, .events = POLLIN};
  while (poll(&p, 1, 0) == 0) {
    if (lr_get_online_features(req, keys, 100, res))
      _exit(1);
    for (int i = 0; i < 100; i++) {
      lr_value v;
      lr_result_cell(res, i, 0, &v);
      if (v.status != LR_STATUS_PRESENT || v.v.i64 != i)
        _exit(1);
    }
  }
  lr_result_free(res);
  lr_request_free(req);
  lr_store_close(s);
  _exit(0);
}

/* lr_store_verify and lr_store_digests, again and again, while a writer
 * and a reader run in other processes: each pass succeeds on one whole
 * snapshot (rows never fewer than before), the writer's writes go on
 * meanwhile (it is not held up: at least 20 land during the passes), and
 * the end state holds every acknowledged row. */
Test(online, o053_verify_and_digests_beside_writer_and_reader_processes,
     .timeout = 60) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  for (int k = 0; k < 100; k++)
    must_put_stats(s, k, T0, k);
  int acks[2], stop[2];
  cr_assert_eq(pipe(acks), 0);
  cr_assert_eq(pipe(stop), 0);
  pid_t writer = th_fork_child();
  if (writer == 0)
    stats_writer_child(dir, acks[1], stop[0]);
  pid_t reader = th_fork_child();
  if (reader == 0)
    stats_reader_child(dir, stop[0]);
  close(acks[1]);
  int acked = 0, during = 0, passes = 0;
  long long rows = 100;
  for (long long end = th_now_ms() + 20000;
       (during < 20 || passes < 10) && th_now_ms() < end; passes++) {
    long long n = verified_rows(s);
    cr_assert_geq(n, rows, "verify: %s (rows %lld, before %lld)",
                  lr_store_errmsg(s), n, rows);
    rows = n;
    char *json = NULL;
    cr_assert_eq(lr_store_digests(s, &json), 0, "%s", lr_store_errmsg(s));
    const char *at = strstr(json, "\"user_stats\": {\"rows\": ");
    cr_assert(at && atoll(at + 23) >= rows, "%s", json);
    lr_free(json);
    int got = drain_count(acks[0]);
    acked += got;
    during += passes > 0 ? got : 0;
  }
  cr_assert_geq(during, 20, "the writer was held up: %d writes in %d "
                "passes", during, passes);
  cr_assert_eq(write(stop[1], "ss", 2), 2);
  cr_assert_eq(th_child_status(writer, 20000), 0, "the writer failed");
  cr_assert_eq(th_child_status(reader, 20000), 0, "the reader saw a wrong "
               "value or failed");
  int changed = 0;
  acked += read_acks(acks[0], &changed);
  cr_assert_eq(verified_rows(s), 100 + acked, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  repo_done(dir);
}

/* ---- freshness records ---------------------------------------------------- */

/* View `view`'s freshness record in `s` (online/freshness.h). */
static lr__freshness freshness_of(lr_store *s, const char *view) {
  lr__freshness f;
  int rc = lr__store_freshness(s, view, &f);
  cr_assert_eq(rc, 0, "freshness of %s: %s", view, lr_store_errmsg(s));
  return f;
}

/* Asserts that `f` holds no time of the sources but `except` (-1: none). */
static void only_source(const lr__freshness *f, int except) {
  for (int src = 0; src < LR__FRESH_SOURCES; src++)
    if (src != except)
      cr_assert_eq(f->last_write_us[src], LR__FRESH_NONE, "source %s has a "
                   "time: %lld", lr__fresh_source_name(src),
                   (long long)f->last_write_us[src]);
}

/* A write records, in its transaction, the newest event time of the rows
 * put (also when newer-wins keeps a stored row) and its wall-clock time
 * under `write`; a view never written has no record, and a failed write
 * changes none. */
Test(online, o054_freshness_newest_event_and_last_write) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  lr__freshness f = freshness_of(s, "user_stats");
  cr_assert_eq(f.max_event_us, LR__FRESH_NONE);
  only_source(&f, -1);
  long long before = lr__time_now_us();
  must_put_stats(s, 1, T0 + 5 * SEC, 1);
  must_put_stats(s, 2, T0 + 2 * SEC, 2);
  must_put_stats(s, 1, T0, 3); /* older: the stored row wins */
  long long after = lr__time_now_us();
  f = freshness_of(s, "user_stats");
  cr_assert_eq(f.max_event_us, T0 + 5 * SEC);
  cr_assert(f.last_write_us[LR__FRESH_WRITE] >= before &&
                f.last_write_us[LR__FRESH_WRITE] <= after,
            "write time %lld outside [%lld, %lld]",
            (long long)f.last_write_us[LR__FRESH_WRITE], before, after);
  only_source(&f, LR__FRESH_WRITE);
  lr__freshness other = freshness_of(s, "user_more");
  cr_assert_eq(other.max_event_us, LR__FRESH_NONE, "never written");
  only_source(&other, -1);
  lr_value uid = vi64(9), ev = vts(T0 + 9 * SEC), bad = vstr("x");
  lr_column cols[] = {{"user_id", &uid}, {"event_timestamp", &ev},
                      {"a", &bad}};
  cr_assert_neq(lr_write_rows(s, "user_stats", cols, 3, 1, NULL), 0);
  lr__freshness same = freshness_of(s, "user_stats");
  cr_assert_eq(memcmp(&same, &f, sizeof f), 0, "a failed write moved it");
  must_put_stats(s, 3, T0 + 7 * SEC, 4);
  cr_assert_eq(freshness_of(s, "user_stats").max_event_us, T0 + 7 * SEC);
  lr_store_close(s);
  repo_done(dir);
}

/* Two stores holding the same rows, their freshness records different:
 * same digests, identical to compare (also counted in full), and verify
 * passes. The records take no part in either. */
Test(online, o055_freshness_outside_digests_compare_and_verify) {
  char *a_dir = make_repo(defs_main);
  char *b_dir = make_repo(defs_main); /* the one the fini removes */
  lr_store *a = open_store(a_dir, LR_STORE_READWRITE);
  lr_store *b = open_store(b_dir, LR_STORE_READWRITE);
  must_put_stats(a, 1, T0, 1);
  must_put_stats(b, 1, T0, 1);
  th_meta_txn m = th_meta_begin(b);
  cr_assert_eq(lr__fresh_note(m.txn, m.meta, lr__store_view(b, "user_stats")
                                  ->db_name, T0 + 99 * SEC, LR__FRESH_PUSH,
                              12345), 0);
  th_meta_commit(&m);
  lr__freshness fa = freshness_of(a, "user_stats"),
                fb = freshness_of(b, "user_stats");
  cr_assert(fa.max_event_us == T0 && fb.max_event_us == T0 + 99 * SEC &&
            fb.last_write_us[LR__FRESH_PUSH] == 12345 &&
            fa.last_write_us[LR__FRESH_PUSH] == LR__FRESH_NONE);
  char *da = NULL, *db = NULL;
  cr_assert_eq(lr_store_digests(a, &da), 0);
  cr_assert_eq(lr_store_digests(b, &db), 0);
  cr_assert_str_eq(da, db);
  for (unsigned flags = 0; flags <= LR_COMPARE_FULL; flags += LR_COMPARE_FULL) {
    int identical = 0;
    char *report = NULL;
    cr_assert_eq(lr_store_compare(a, b, flags, &identical, &report), 0, "%s",
                 lr_store_errmsg(a));
    cr_assert_eq(identical, 1, "%s", report);
    lr_free(report);
  }
  char *report = NULL;
  cr_assert_eq(lr_store_verify(b, &report), 0, "%s", lr_store_errmsg(b));
  lr_free(report);
  lr_free(da);
  lr_free(db);
  lr_store_close(a);
  lr_store_close(b);
  th_rmrf(a_dir);
  repo_done(b_dir);
}

/* A compaction copies the meta database: the records come through it
 * unchanged, and the next write goes on from them. */
Test(online, o056_compact_carries_freshness) {
  char *dir = make_repo(defs_main);
  lr_store *s = open_store(dir, LR_STORE_READWRITE);
  write_many(s, 500, T0 + 3 * SEC, 0);
  lr__freshness f = freshness_of(s, "user_stats");
  cr_assert_eq(f.max_event_us, T0 + 3 * SEC);
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s", lr_store_errmsg(s));
  lr__freshness g = freshness_of(s, "user_stats");
  cr_assert_eq(memcmp(&f, &g, sizeof f), 0, "compaction changed the record");
  lr_store_close(s);
  s = open_store(dir, LR_STORE_READONLY);
  g = freshness_of(s, "user_stats");
  cr_assert_eq(memcmp(&f, &g, sizeof f), 0, "reopened: another record");
  lr_store_close(s);
  repo_done(dir);
}

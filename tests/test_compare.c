/*
 * test_compare.c - lr_store_compare (src/online/compare.c,
 * compare_report.c) and `larder verify --against`: two stores that saw the
 * same rows in other orders are identical, whatever their versions; a row
 * that differs, a key on one side only and a view on one side only are
 * each named, with the bucket of the key space they fall in; a record that
 * is not what its rows give is found by a full count; and a comparison
 * made while another process writes both stores answers for the two
 * snapshots it names, never for half a write.
 */
#include <sys/wait.h>

#include "codec/key.h"
#include "helpers.h"
#include "larder.h"
#include "meta_txn.h"
#include "online/digest.h"
#include "online/store.h"
#include "process.h"
#include "util/dtype.h"

/* 2024-01-01T00:00:00Z in microseconds. */
static const long long T0 = 1704067200LL * 1000000;

/* The running test's two repos, removed by the suite's fini (with the
 * processes it started) if an assertion ended the test early. */
static char *g_a, *g_b;

static void cleanup(void) {
  th_kill_children();
  if (g_a)
    th_rmrf(g_a);
  if (g_b)
    th_rmrf(g_b);
  g_a = g_b = NULL;
  th_free_kept();
}

TestSuite(compare, .fini = cleanup);

/* TH_STATS_DEFS and a second view, `extra`, of one feature b. */
static const char extra_defs[] = TH_STATS_DEFS
    "  - name: extra\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: b, dtype: int64}\n";

static lr_store *open_store(const char *dir, unsigned flags) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(dir, flags, &s), 0, "lr_store_open: %s",
               lr_store_errmsg(s));
  return s;
}

static void put(lr_store *s, long long first, int n, long long delta,
                long long at) {
  cr_assert_eq(th_put_stats(s, first, n, delta, at), 0, "%s",
               lr_store_errmsg(s));
}

/* Two fresh repos, g_a of TH_STATS_DEFS and g_b of `defs_b`, with their
 * stores opened read-write; user_ids [0, n) written into both (a =
 * user_id, at T0). */
static void two_stores(const char *defs_b, int n, lr_store **a,
                       lr_store **b) {
  g_a = th_applied_repo(TH_STATS_DEFS);
  g_b = th_applied_repo(defs_b);
  *a = open_store(g_a, LR_STORE_READWRITE);
  *b = open_store(g_b, LR_STORE_READWRITE);
  if (n) {
    put(*a, 0, n, 0, T0);
    put(*b, 0, n, 0, T0);
  }
}

/* lr_store_compare's report (kept for teardown); *identical its verdict. */
static char *compare(lr_store *a, lr_store *b, unsigned flags,
                     int *identical) {
  char *report = NULL;
  cr_assert_eq(lr_store_compare(a, b, flags, identical, &report), 0, "%s",
               lr_store_errmsg(a));
  return th_keep(report);
}

/* "N rows, digest HEX" as lr_store_digests records them for `view`. */
static void recorded(lr_store *s, const char *view, char *out, size_t cap) {
  char *json = NULL, hex[33] = "";
  unsigned long long rows = 0;
  cr_assert_eq(lr_store_digests(s, &json), 0, "%s", lr_store_errmsg(s));
  char key[64];
  snprintf(key, sizeof key, "\"%s\": {\"rows\": ", view);
  const char *at = strstr(json, key);
  cr_assert(at && sscanf(at + strlen(key), "%llu, \"digest\": \"%32[0-9a-f]",
                         &rows, hex) == 2, "%s", json);
  snprintf(out, cap, "%llu row%s, digest %s", rows, rows == 1 ? "" : "s",
           hex);
  lr_free(json);
}

/* "store: DIR/data/online, version G.S\n" for side `side` of store s. */
static void side_line(const char *side, const char *dir, lr_store *s,
                      char *out, size_t cap) {
  lr_data_version v;
  cr_assert_eq(lr_store_version(s, &v), 0);
  snprintf(out, cap, "%s: %s/data/online, version %llu.%llu\n", side, dir,
           v.generation, v.seq);
}

/* The bucket (digest.h) of user_id `id`'s stored key. */
static int bucket_of(long long id) {
  lr__keypart part = {.dtype = LR__DT_INT64, .i = id};
  uint8_t key[LR__KEY_MAX];
  size_t len = lr__key_encode(&part, 1, key);
  return lr__digest_bucket(key, len);
}

/* How many of user_ids [0, n) fall in `bucket`. */
static int in_bucket(int bucket, long long n) {
  int count = 0;
  for (long long id = 0; id < n; id++)
    count += bucket_of(id) == bucket;
  return count;
}

/* "N row(s)" */
static const char *rows_text(int n, char *out, size_t cap) {
  snprintf(out, cap, "%d row%s", n, n == 1 ? "" : "s");
  return out;
}

static void assert_has(const char *text, const char *part) {
  cr_assert(strstr(text, part), "no\n%s\nin\n%s", part, text);
}

/* Same rows in other orders, batches and histories (overwritten, compacted
 * in one of them): identical, from the recorded digests and counted from
 * the rows, either way round and against itself. */
Test(compare, cmp001_same_rows_in_other_orders_are_identical) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 0, &a, &b);
  put(a, 0, 200, 1, T0);
  put(a, 50, 100, 0, T0); /* overwrites */
  put(a, 0, 50, 0, T0);
  put(a, 150, 50, 0, T0);
  cr_assert_eq(lr_store_compact(a, NULL, NULL), 0, "%s", lr_store_errmsg(a));
  for (int k = 199; k >= 0; k -= 40) /* the same rows in another order */
    put(b, k - 39, 40, 0, T0);
  put(b, 0, 200, 1, T0);
  int identical = 0;
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  char want[2048], sa[512], sb[512], digest[128];
  side_line("store", g_a, a, sa, sizeof sa);
  side_line("other", g_b, b, sb, sizeof sb);
  recorded(a, "stats", digest, sizeof digest);
  snprintf(want, sizeof want, "%s%sstats: identical: %s (the recorded "
           "digests agree)\nIdentical: 1 view.\n", sa, sb, digest);
  cr_assert_str_eq(report, want);
  report = compare(a, b, LR_COMPARE_FULL, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  assert_has(report, "stats: identical: 200 rows, digest ");
  assert_has(report, " (counted from the rows)\nIdentical: 1 view.\n");
  report = compare(b, a, LR_COMPARE_FULL | LR_FORMAT_JSON, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  assert_has(report, "{\"identical\": true, \"views_differing\": 0, ");
  assert_has(report, "\"keys_differing\": 0, \"buckets\": [], \"keys\": []}");
  report = compare(a, a, LR_COMPARE_FULL, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  char *text = NULL;
  cr_assert_eq(lr_store_compare(NULL, b, 0, &identical, &text), LR_EINVAL);
  cr_assert_eq(lr_store_compare(a, NULL, 0, &identical, &text), LR_EINVAL);
  cr_assert_eq(lr_store_compare(a, b, 0, NULL, &text), LR_EINVAL);
  cr_assert_eq(lr_store_compare(a, b, 0, &identical, NULL), LR_EINVAL);
  lr_store_close(a);
  lr_store_close(b);
}

/* One row newer in the other store: the view, its bucket (one of 256,
 * the only one that differs) and the key with both event times. */
Test(compare, cmp002_one_differing_row_is_named) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 100, &a, &b);
  put(b, 42, 1, 1, T0 + 1);
  int identical = 1, bucket = bucket_of(42);
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  char want[1024], da[128], db[128], n[32];
  recorded(a, "stats", da, sizeof da);
  recorded(b, "stats", db, sizeof db);
  rows_text(in_bucket(bucket, 100), n, sizeof n);
  snprintf(want, sizeof want, "stats: different: store %s; other %s\n"
           "  1 key differs, in 1 of 256 buckets:\n  bucket %d: store %s, "
           "digest ", da, db, bucket, n);
  assert_has(report, want);
  assert_has(report, "\n    user_id=42: the rows differ: event time "
                     "2024-01-01T00:00:00Z in store, "
                     "2024-01-01T00:00:00.000001Z in other\n"
                     "Different: 1 of 1 view.\n");
  report = compare(a, b, LR_FORMAT_JSON, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  assert_has(report, "\"views\": [{\"view\": \"stats\", \"identical\": "
                     "false, \"counted\": true, ");
  snprintf(want, sizeof want, "\"keys_differing\": 1, \"buckets\": "
           "[{\"bucket\": %d, \"store\": {\"rows\": %d, ", bucket,
           in_bucket(bucket, 100));
  assert_has(report, want);
  snprintf(want, sizeof want, "\"keys\": [{\"key\": \"user_id=42\", "
           "\"bucket\": %d, \"difference\": \"rows_differ\", "
           "\"store_event_timestamp\": \"2024-01-01T00:00:00Z\", "
           "\"other_event_timestamp\": \"2024-01-01T00:00:00.000001Z\"}]}]}\n",
           bucket);
  assert_has(report, want);
  lr_store_close(a);
  lr_store_close(b);
}

/* A key missing on one side, either way round; with 25 more, the first
 * ten in key order are listed and all 26 counted; then there with another
 * value at the same event time. */
Test(compare, cmp003_key_missing_on_one_side) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 42, &a, &b);
  put(a, 42, 58, 0, T0);
  put(b, 43, 57, 0, T0);
  int identical = 1;
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  char want[512], n[32];
  int bucket = bucket_of(42);
  snprintf(want, sizeof want, "  1 key differs, in 1 of 256 buckets:\n"
           "  bucket %d: store %s, digest ", bucket,
           rows_text(in_bucket(bucket, 100), n, sizeof n));
  assert_has(report, want);
  snprintf(want, sizeof want, "; other %s, digest ",
           rows_text(in_bucket(bucket, 100) - 1, n, sizeof n));
  assert_has(report, want);
  assert_has(report, "\n    user_id=42: only in store (event time "
                     "2024-01-01T00:00:00Z)\nDifferent: 1 of 1 view.\n");
  report = compare(b, a, LR_FORMAT_JSON, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  snprintf(want, sizeof want, "\"keys\": [{\"key\": \"user_id=42\", "
           "\"bucket\": %d, \"difference\": \"only_in_other\", "
           "\"store_event_timestamp\": null, \"other_event_timestamp\": "
           "\"2024-01-01T00:00:00Z\"}]", bucket_of(42));
  assert_has(report, want);
  put(a, 1000, 25, 0, T0);
  report = compare(a, b, 0, &identical);
  assert_has(report, "  26 keys differ, in ");
  assert_has(report, "  (the first 10 of the 26 keys that differ are "
                     "listed)\n");
  assert_has(report, "    user_id=42: only in store");
  assert_has(report, "    user_id=1008: only in store");
  cr_assert_null(strstr(report, "user_id=1009:"), "%s", report);
  put(b, 42, 1, 1, T0); /* now there, with another value */
  report = compare(a, b, 0, &identical);
  assert_has(report, "    user_id=42: the rows differ at the same event "
                     "time 2024-01-01T00:00:00Z\n");
  lr_store_close(a);
  lr_store_close(b);
}

/* A view stored in one of them only differs, without reading its rows;
 * the views both have are still compared. */
Test(compare, cmp004_view_on_one_side_only) {
  lr_store *a, *b;
  two_stores(extra_defs, 10, &a, &b);
  lr_value uid[3], ev[3], v[3];
  for (int i = 0; i < 3; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = T0};
    v[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = 7};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"b", v}};
  cr_assert_eq(lr_write_rows(b, "extra", cols, 3, 3, NULL), 0, "%s",
               lr_store_errmsg(b));
  int identical = 1;
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  char want[512], stats[128], extra[128];
  recorded(a, "stats", stats, sizeof stats);
  recorded(b, "extra", extra, sizeof extra);
  snprintf(want, sizeof want, "stats: identical: %s (the recorded digests "
           "agree)\nextra: only in other (%s)\nDifferent: 1 of 2 views.\n",
           stats, extra);
  assert_has(report, want);
  report = compare(b, a, LR_FORMAT_JSON, &identical);
  cr_assert_eq(identical, 0);
  assert_has(report, "{\"view\": \"extra\", \"identical\": false, "
                     "\"only_in\": \"store\", \"store\": {\"rows\": 3, ");
  lr_store_close(a);
  lr_store_close(b);
}

/* The same rows at other versions (more writes, a compaction) are
 * identical; the versions are reported. */
Test(compare, cmp005_different_versions_same_content) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 50, &a, &b);
  put(a, 50, 50, 0, T0); /* a in two writes, b in three and a compaction */
  put(b, 50, 25, 0, T0);
  put(b, 75, 25, 0, T0);
  cr_assert_eq(lr_store_compact(b, NULL, NULL), 0, "%s", lr_store_errmsg(b));
  lr_data_version va, vb;
  cr_assert_eq(lr_store_version(a, &va), 0);
  cr_assert_eq(lr_store_version(b, &vb), 0);
  cr_assert(va.generation != vb.generation && va.seq != vb.seq);
  int identical = 0;
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  char sa[512], sb[512];
  side_line("store", g_a, a, sa, sizeof sa);
  side_line("other", g_b, b, sb, sizeof sb);
  cr_assert(!strncmp(report, sa, strlen(sa)), "%s", report);
  assert_has(report, sb);
  report = compare(a, b, LR_FORMAT_JSON | LR_COMPARE_FULL, &identical);
  cr_assert_eq(identical, 1, "%s", report);
  assert_has(report, "{\"identical\": true, \"views_differing\": 0, "
                     "\"same_version\": false, ");
  lr_store_close(a);
  lr_store_close(b);
}

/* Adds 1 to the sum of stats' recorded digest behind the writer's back:
 * a record that is no longer what the rows give. */
static void skew_record(lr_store *s) {
  th_meta_txn m = th_meta_begin(s);
  lr__digest delta = {0, {1, 0}};
  cr_assert_eq(lr__digest_apply(m.txn, m.meta, s->views[0].db_name, &delta),
               0);
  th_meta_commit(&m);
}

/* Same rows, but the other's record was changed: the records disagree,
 * so both are counted; the rows agree and the wrong record is named, and
 * so is the version both are at (one write each). */
Test(compare, cmp006_a_wrong_record_is_named) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 20, &a, &b);
  char good[128], bad[128], want[1024];
  recorded(a, "stats", good, sizeof good);
  skew_record(b);
  recorded(b, "stats", bad, sizeof bad);
  int identical = 1;
  char *report = compare(a, b, 0, &identical);
  cr_assert_eq(identical, 0, "%s", report);
  snprintf(want, sizeof want, "stats: the same rows: %s (counted from the "
           "rows)\n  the other's recorded digest (%s) is not what its rows "
           "give: run `larder verify` on it\nDifferent: 1 of 1 view.\n"
           "Both are at version 1.1: if they follow one primary, one of "
           "them was changed outside the log or is damaged.\n", good, bad);
  assert_has(report, want);
  report = compare(b, a, LR_FORMAT_JSON, &identical);
  assert_has(report, "\"keys_differing\": 0, \"buckets\": [], \"keys\": []");
  assert_has(report, ", \"recorded\": {\"rows\": 20, ");
  lr_store_close(a);
  lr_store_close(b);
}

/* ---- beside a writer in another process ---------------------------------- */

/* The number after `field` at its `nth` (0-based) place in `text`. */
static unsigned long long number_after(const char *text, const char *field,
                                       int nth) {
  const char *at = text;
  for (int i = 0; at && i <= nth; i++)
    at = strstr(i ? at + 1 : at, field);
  unsigned long long n = 0;
  cr_assert(at && sscanf(at + strlen(field), "%llu", &n) == 1,
            "no %s (#%d) in %s", field, nth, text);
  return n;
}

/* Batch i of the writer: user_ids [0, i) with a = user_id + i at T0 + i,
 * in one transaction: after batch i a store holds i rows, all of them
 * other than after any other batch, at S = S0 + i. */
static void writer_child(int batches) {
  lr_store *a = NULL, *b = NULL;
  if (lr_store_open(g_a, LR_STORE_READWRITE, &a) ||
      lr_store_open(g_b, LR_STORE_READWRITE, &b))
    _exit(2);
  char stop[4096];
  snprintf(stop, sizeof stop, "%s/stop", g_a);
  for (int i = 1; i <= batches && access(stop, F_OK) != 0; i++)
    if (th_put_stats(a, 0, i, i, T0 + i) || th_put_stats(b, 0, i, i, T0 + i))
      _exit(1);
  lr_store_close(a);
  lr_store_close(b);
  _exit(0);
}

/* What one comparison's JSON must say of the two snapshots it names: with
 * a = S - S0 of the store and b of the other, the stores are identical
 * exactly when a = b; otherwise the rows counted are a and b, each side's
 * record is what its rows give (no "recorded"), and max(a, b) keys
 * differ (keys below min(a, b) hold other values, the rest are on one
 * side only). A torn read (a version, record or row from another commit)
 * breaks one of these. */
static void assert_consistent(const char *json, int identical,
                              const unsigned long long s0[2]) {
  unsigned long long a = number_after(json, "\"seq\": ", 0) - s0[0];
  unsigned long long b = number_after(json, "\"seq\": ", 1) - s0[1];
  cr_assert_eq(identical, a == b, "store at +%llu, other at +%llu: %s", a, b,
               json);
  if (a == b)
    return;
  cr_assert_eq(number_after(json, "\"counted\": true, \"store\": {\"rows\": ",
                            0), a, "%s", json);
  cr_assert_eq(number_after(json, "\"other\": {\"rows\": ", 0), b, "%s",
               json);
  cr_assert_eq(number_after(json, "\"keys_differing\": ", 0),
               a > b ? a : b, "%s", json);
  cr_assert_null(strstr(json, "\"recorded\""), "%s", json);
}

/* Compares the two stores again and again, through the library and
 * through `larder verify --against --json` (exit 0 or 1, never 3), while a
 * child writes both in lock-step; each answer is that of the two versions
 * it names. Once the writer is done, they are identical. */
Test(compare, cmp007_compare_beside_a_writer_process, .timeout = 120) {
  lr_store *a, *b;
  two_stores(TH_STATS_DEFS, 0, &a, &b);
  lr_data_version v[2];
  cr_assert_eq(lr_store_version(a, &v[0]), 0);
  cr_assert_eq(lr_store_version(b, &v[1]), 0);
  const unsigned long long s0[2] = {v[0].seq, v[1].seq};
  pid_t pid = th_fork_child();
  if (pid == 0)
    writer_child(2000);
  long long end = th_now_ms() + 20000; /* the writer's first commit */
  while (lr_store_version(a, &v[0]) == 0 && v[0].seq == s0[0] &&
         th_now_ms() < end)
    usleep(1000);
  cr_assert_gt(v[0].seq, s0[0], "the writer wrote nothing");
  const char *const cli_args[] = {"--against", g_b, "--json", NULL};
  for (int round = 0; round < 40; round++) {
    char *json = NULL;
    int identical = -1;
    if (round % 4 == 3) {
      int code = th_run_larder(g_a, "verify", cli_args, 30000, &json);
      cr_assert(code == 0 || code == 1, "exit %d: %s", code, json);
      identical = code == 0;
    } else {
      json = compare(a, b, LR_FORMAT_JSON | (round % 2 ? LR_COMPARE_FULL : 0),
                     &identical);
      json = strdup(json);
    }
    assert_consistent(json, identical, s0);
    free(json);
  }
  th_write(g_a, "stop", "");
  cr_assert_eq(th_child_status(pid, 60000), 0, "the writer failed");
  int identical = 0;
  char *json = compare(a, b, LR_FORMAT_JSON | LR_COMPARE_FULL, &identical);
  assert_consistent(json, identical, s0);
  cr_assert_eq(identical, 1, "%s", json);
  lr_store_close(a);
  lr_store_close(b);
}

/* Counts database `name` of env both ways: in one transaction on this
 * thread, and split over two threads; the two must agree. */
static void counts_agree(MDB_env *env, const char *name, uint64_t rows) {
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, name, 0, &dbi), 0);
  lr__digest one = {0, {0, 0}}, split = {0, {0, 0}};
  cr_assert_eq(lr__digest_count(txn, dbi, &one), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  cr_assert_eq(lr__digest_count_split(env, dbi, &split), 0);
  cr_assert_eq(one.rows, rows, "%s", name);
  cr_assert(lr__digest_equal(&one, &split), "%s: %llu rows one way, %llu "
            "split", name, (unsigned long long)one.rows,
            (unsigned long long)split.rows);
  mdb_dbi_close(env, dbi);
}

/* lr__digest_count_split (the snapshot check's count) gives what one
 * transaction's count gives: an empty database, one key, keys of every
 * length from 0 bytes, keys alike in their first 20 bytes (a split that
 * puts everything on one side), and 5,000 encoded int64 keys. */
Test(compare, cmp008_a_split_count_is_the_whole_count) {
  g_a = th_tempdir();
  MDB_env *env;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 8), 0);
  cr_assert_eq(mdb_env_set_mapsize(env, 64 << 20), 0);
  cr_assert_eq(mdb_env_open(env, g_a, 0, 0644), 0);
  MDB_txn *txn;
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  const char *names[] = {"empty", "one", "lengths", "alike", "ints"};
  MDB_dbi dbi[5];
  for (int i = 0; i < 5; i++)
    cr_assert_eq(mdb_dbi_open(txn, names[i], MDB_CREATE, &dbi[i]), 0);
  MDB_val k = {3, "abc"}, v = {5, "value"};
  cr_assert_eq(mdb_put(txn, dbi[1], &k, &v, 0), 0);
  unsigned char bytes[40];
  for (int len = 1; len <= 40; len++) {
    for (int b = 0; b < len; b++)
      bytes[b] = (unsigned char)(len * 37 + b * 11);
    k = (MDB_val){(size_t)len, bytes};
    cr_assert_eq(mdb_put(txn, dbi[2], &k, &v, 0), 0);
  }
  memset(bytes, 'p', 20);
  for (int i = 0; i < 300; i++) {
    bytes[20] = (unsigned char)(i >> 8), bytes[21] = (unsigned char)i;
    k = (MDB_val){22, bytes};
    cr_assert_eq(mdb_put(txn, dbi[3], &k, &v, 0), 0);
  }
  for (int64_t id = -2500; id < 2500; id++) {
    uint8_t key[LR__KEY_MAX];
    lr__keypart part = {.dtype = LR__DT_INT64, .i = id * 7919};
    k = (MDB_val){lr__key_encode(&part, 1, key), key};
    MDB_val row = {sizeof id, &id};
    cr_assert_eq(mdb_put(txn, dbi[4], &k, &row, 0), 0);
  }
  cr_assert_eq(mdb_txn_commit(txn), 0);
  uint64_t rows[] = {0, 1, 40, 300, 5000};
  for (int i = 0; i < 5; i++)
    counts_agree(env, names[i], rows[i]);
  mdb_env_close(env);
}

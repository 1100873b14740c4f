/*
 * test_generation.c - the online store's generations (src/online/
 * generation.c, env.c, compact.c), tested with the other processes they
 * promise things about: a server, a reader and a writer attached while
 * `larder compact` builds a new generation (g001), and two compactions at
 * once (g010); a reader in a child that keeps the old generation until it
 * lets go; a store of the old layout upgraded under a reader; the version
 * every store and result reports; a teardown refused while another process
 * reads the store (g008, g009); opens in other processes beside
 * compactions (g011); and the last reader's generation deleted beside
 * another sweep or a change of the layout (g012).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/wait.h>

#include "cli/http_client.h"
#include "helpers.h"
#include "larder.h"
#include "meta_txn.h"
#include "online/generation.h"
#include "online/store.h"
#include "online/version.h"
#include "process.h"

/* 2024-01-01T00:00:00Z in microseconds. */
static const long long T0 = 1704067200LL * 1000000;

/* The repo of the running test, removed by the suite's fini with the
 * processes it started (th_track_child) if an assertion ended it early. */
static char *g_dir;

static void cleanup(void) {
  th_kill_children();
  if (g_dir)
    th_rmrf(g_dir);
  g_dir = NULL;
}

TestSuite(generation, .fini = cleanup);

static char *make_repo(void) {
  g_dir = th_applied_repo(TH_STATS_DEFS);
  return g_dir;
}

static lr_store *open_store(unsigned flags) {
  lr_store *s = NULL;
  int rc = lr_store_open(g_dir, flags, &s);
  cr_assert_eq(rc, 0, "lr_store_open: %s", lr_store_errmsg(s));
  return s;
}

/* th_put_stats at event time T0. */
static int put_keys(lr_store *s, long long first, int n, long long delta) {
  return th_put_stats(s, first, n, delta, T0);
}

/* A prepared lookup of stats:a for up to `max` keys. */
typedef struct reader {
  lr_request *req;
  lr_result *res;
  lr_value *keys;
  int max;
} reader;

static int reader_open(reader *r, lr_store *s, int max) {
  static const char *const refs[] = {"stats:a"};
  r->max = max;
  r->keys = calloc((size_t)max, sizeof *r->keys);
  return lr_request_prepare(s, refs, 1, &r->req) ||
         lr_result_create(r->req, max, &r->res);
}

static void reader_close(reader *r) {
  lr_result_free(r->res);
  lr_request_free(r->req);
  free(r->keys);
}

/* Looks up keys [first, first + n): 1 when every one is PRESENT with
 * a = key + delta. */
static int reader_check(reader *r, long long first, int n, long long delta) {
  for (int done = 0; done < n;) {
    int batch = n - done < r->max ? n - done : r->max;
    for (int i = 0; i < batch; i++)
      r->keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + done + i};
    if (lr_get_online_features(r->req, r->keys, batch, r->res) != 0)
      return 0;
    for (int i = 0; i < batch; i++) {
      lr_value v;
      lr_result_cell(r->res, i, 0, &v);
      if (v.status != LR_STATUS_PRESENT ||
          v.v.i64 != first + done + i + delta)
        return 0;
    }
    done += batch;
  }
  return 1;
}

/* The number in the file dir/rel, or -1 when it is not there yet. */
static long long read_number(const char *rel) {
  char *text = th_read(g_dir, rel);
  long long n = text && *text ? atoll(text) : -1;
  free(text);
  return n;
}

static void write_number(const char *rel, long long n) {
  char text[32];
  snprintf(text, sizeof text, "%lld\n", n);
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%s.tmp", rel);
  th_write(g_dir, tmp, text);
  char from[4096], to[4096];
  snprintf(from, sizeof from, "%s/%s", g_dir, tmp);
  snprintf(to, sizeof to, "%s/%s", g_dir, rel);
  rename(from, to); /* readers never see half a number */
}

/* A writer child: writes keys 1000, 1001, ... one per transaction until
 * the file `stop` appears (or 5000 writes), recording how many were
 * acknowledged in `acked` after each. Exit 0, or 1 on a failed write. */
static void writer_child(void) {
  lr_store *s = NULL;
  if (lr_store_open(g_dir, LR_STORE_READWRITE, &s) != 0)
    _exit(1);
  int n = 0;
  while (n < 5000 && read_number("stop") < 0) {
    if (put_keys(s, 1000 + n, 1, 0) != 0)
      _exit(1);
    write_number("acked", ++n);
    usleep(2000);
  }
  lr_store_close(s);
  _exit(0);
}

/* A reader child: looks up keys 0..999 again and again, counting rounds in
 * `rounds`, until `stop` says how many keys the writer wrote; then checks
 * those too. Exit 0 when every answer was right. */
static void reader_child(void) {
  lr_store *s = NULL;
  reader r;
  if (lr_store_open(g_dir, LR_STORE_READONLY, &s) != 0 ||
      reader_open(&r, s, 1000) != 0)
    _exit(2);
  long long stop, rounds = 0;
  while ((stop = read_number("stop")) < 0) {
    if (!reader_check(&r, 0, 1000, 0))
      _exit(1);
    write_number("rounds", ++rounds);
    usleep(1000);
  }
  int ok = reader_check(&r, 0, 1000, 0) && reader_check(&r, 1000, (int)stop, 0);
  lr_data_version v;
  lr_result_version(r.res, &v);
  reader_close(&r);
  lr_store_close(s);
  _exit(ok && v.generation >= 2 ? 0 : 3);
}

/* Waits until the number in `rel` reaches `want` (within 20 s). */
static void wait_number(const char *rel, long long want) {
  long long end = th_now_ms() + 20000;
  while (read_number(rel) < want && th_now_ms() < end)
    usleep(2000);
  cr_assert_geq(read_number(rel), want, "%s stayed below %lld", rel, want);
}

/* Starts a writer child and a reader child (writer_child, reader_child)
 * and waits until both are under way. */
static void start_writer_and_reader(pid_t *writer, pid_t *rdr) {
  *writer = th_fork_child();
  if (*writer == 0)
    writer_child();
  *rdr = th_fork_child();
  if (*rdr == 0)
    reader_child();
  wait_number("acked", 20);
  wait_number("rounds", 3);
}

/* POSTs `body` to the server's `path`; returns the status, the answer in
 * `answer`. */
static int post(int port, const char *path, const char *body, char *answer,
                size_t cap) {
  http_client c = {.fd = -1};
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
  cr_assert_eq(http_parse_url(&c, url, path), 0, "%s", c.err);
  int status = 0;
  const char *got;
  size_t len;
  cr_assert_eq(http_post(&c, body, strlen(body), NULL, &status, &got, &len),
               0, "%s", c.err);
  snprintf(answer, cap, "%.*s", (int)len, got);
  http_close(&c);
  return status;
}

/* How many generation folders the store folder holds. */
static int n_generations(void) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "ls -d %s/data/online/gen-* 2>/dev/null | wc -l",
           g_dir);
  FILE *p = popen(cmd, "r");
  int n = -1;
  cr_assert_eq(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

/* The repro, with every kind of other process attached: `larder
 * compact` runs while a server, a reader and a writer have the store open.
 * Afterwards every process sees every row, every acknowledged write is
 * there (also after the server exits), and the old generation is gone once
 * nobody reads it. */
Test(generation, g001_compact_under_server_reader_and_writer,
     .timeout = 90) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 1000, 0), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  int out, port;
  pid_t server = th_serve(g_dir, NULL, &out, &port);
  th_track_child(server);
  pid_t writer, rdr;
  start_writer_and_reader(&writer, &rdr);
  char *text;
  static const char *const none[] = {NULL};
  int rc = th_run_larder(g_dir, "compact", none, 30000, &text);
  cr_assert_eq(rc, 0, "compact: %s", text);
  cr_assert(strstr(text, "Compacted the online store: "), "%s", text);
  long long at_compact = read_number("acked");
  wait_number("acked", at_compact + 20); /* writes go on, into gen-2 */
  wait_number("rounds", read_number("rounds") + 3);
  write_number("stop", 0); /* the writer stops first */
  cr_assert_eq(th_child_status(writer, 20000), 0, "the writer failed");
  long long acked = read_number("acked");
  write_number("stop", acked); /* the reader checks all of them */
  cr_assert_eq(th_child_status(rdr, 20000), 0,
               "the reader saw a wrong answer (1), missed a write or stayed "
               "on the old generation (3)");
  /* the server: old rows, the last acknowledged write, a write of its own */
  char body[512], answer[8192];
  snprintf(body, sizeof body,
           "{\"features\": [\"stats:a\"], \"entities\": {\"user_id\": "
           "[0, 999, %lld]}}", 1000 + acked - 1);
  cr_assert_eq(post(port, "/get-online-features", body, answer,
                    sizeof answer), 200, "%s", answer);
  char want[512];
  snprintf(want, sizeof want, "{\"values\": [0, 999, %lld], \"statuses\": "
           "[\"PRESENT\", \"PRESENT\", \"PRESENT\"]", 1000 + acked - 1);
  cr_assert(strstr(answer, want), "the server answered %s", answer);
  cr_assert_eq(post(port, "/write-to-online-store",
                    "{\"feature_view_name\": \"stats\", \"df\": {\"user_id\": "
                    "[7000], \"event_timestamp\": [\"2024-01-01T00:00:00Z\"], "
                    "\"a\": [7]}}", answer, sizeof answer), 200, "%s", answer);
  kill(server, SIGTERM);
  cr_assert_eq(th_child_status(server, 10000), 0, "the server did not stop");
  close(out);
  /* a new process sees everything */
  char key[64];
  snprintf(key, sizeof key, "user_id=%lld", 1000 + acked - 1);
  const char *const get_args[] = {"--features", "stats:a", "--entity", key,
                                  "--entity", "user_id=7000", "--json", NULL};
  free(text);
  rc = th_run_larder(g_dir, "get", get_args, 10000, &text);
  cr_assert_eq(rc, 0, "%s", text);
  snprintf(want, sizeof want, "{\"values\": [%lld, 7], \"statuses\": "
           "[\"PRESENT\", \"PRESENT\"]", 1000 + acked - 1);
  cr_assert(strstr(text, want), "larder get answered %s", text);
  free(text);
  s = open_store(LR_STORE_READONLY);
  reader r;
  cr_assert_eq(reader_open(&r, s, 1000), 0);
  cr_assert(reader_check(&r, 0, 1000, 0));
  cr_assert(reader_check(&r, 1000, (int)acked, 0));
  reader_close(&r);
  lr_store_close(s);
  cr_assert_eq(n_generations(), 1, "the old generation outlived its readers");
}

/* A child that reads the store's live generation and keeps it until told
 * (a byte on *go). Then, when `moved_to` is not 0, it looks up once more:
 * that lookup must read generation `moved_to`, with a = key + `delta`.
 * Then it lets go and exits: 0 when every read was right. Returns once the
 * child has read. */
static pid_t holding_child(int *go, unsigned long long moved_to,
                           long long delta) {
  int to_child[2], ready[2];
  cr_assert_eq(pipe(to_child), 0);
  cr_assert_eq(pipe(ready), 0);
  pid_t child = th_fork_child();
  if (child == 0) {
    lr_store *cs = NULL;
    reader r;
    char c;
    int ok = lr_store_open(g_dir, LR_STORE_READONLY, &cs) == 0 &&
             reader_open(&r, cs, 100) == 0 && reader_check(&r, 0, 100, 0);
    ok = ok && write(ready[1], "r", 1) == 1 && read(to_child[0], &c, 1) == 1;
    if (moved_to) {
      lr_data_version v;
      ok = ok && reader_check(&r, 0, 100, delta);
      ok = ok && lr_result_version(r.res, &v) == 0 && v.generation == moved_to;
    }
    reader_close(&r);
    lr_store_close(cs); /* the last reference: the child sweeps */
    _exit(ok ? 0 : 1);
  }
  char c;
  cr_assert_eq(read(ready[0], &c, 1), 1, "the holding child failed");
  close(ready[0]);
  close(ready[1]);
  close(to_child[0]);
  *go = to_child[1];
  return child;
}

/* Compacts while a holding child (holding_child) reads: the child is now
 * the last reader of the old generation, which stays meanwhile. */
static void compact_under_child(lr_store *s) {
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(n_generations(), 2, "the old generation went while the child "
               "reads it");
}

/* Lets a holding child go and waits until it has exited. */
static void let_go(pid_t child, int go) {
  cr_assert_eq(write(go, "g", 1), 1);
  close(go);
  cr_assert_eq(th_child_status(child, 10000), 0, "the child read wrong "
               "values");
}

/* A reader in another process keeps the old generation until it moves on:
 * its next lookup reads the new one, and its close deletes the old. */
Test(generation, g002_old_generation_lives_until_its_last_reader) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 100, 0), 0, "%s", lr_store_errmsg(s));
  int go;
  pid_t child = holding_child(&go, 2, 5);
  compact_under_child(s);
  cr_assert_eq(put_keys(s, 0, 100, 5), 0, "%s", lr_store_errmsg(s));
  let_go(child, go);
  cr_assert_eq(n_generations(), 1, "the child's close did not delete gen-1");
  lr_store_close(s);
}

/* Deletes the digest record of view stats and the version records, as a
 * store of the old layout never had them. */
static void forget_new_records(lr_store *s) {
  th_meta_txn m = th_meta_begin(s);
  char digest[64];
  snprintf(digest, sizeof digest, "digest:%s", s->views[0].db_name);
  const char *keys[] = {digest, LR__META_GENERATION, LR__META_SEQ,
                        LR__META_EPOCH, LR__META_CHAIN};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    MDB_val k = {strlen(keys[i]), (void *)keys[i]};
    int rc = mdb_del(m.txn, m.meta, &k, NULL);
    cr_assert(rc == 0 || (i > 1 && rc == MDB_NOTFOUND), "%s: %s", keys[i],
              mdb_strerror(rc));
  }
  th_meta_commit(&m);
}

/* A store of the layout before generations (data.mdb in the store folder)
 * is read in place, and the first read-write open copies it into a
 * generation: a reader open meanwhile moves to it at its next lookup, and
 * the old files go with the last reader. */
Test(generation, g003_legacy_store_upgrades_on_read_write_open) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 50, 0), 0, "%s", lr_store_errmsg(s));
  forget_new_records(s); /* the old layout kept none */
  lr_store_close(s);
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "cd %s/data/online && mv gen-1/data.mdb . && "
           "rm -rf gen-1 CURRENT layout.lock", g_dir);
  cr_assert_eq(system(cmd), 0);
  lr_store *old = open_store(LR_STORE_READONLY);
  reader r;
  cr_assert_eq(reader_open(&r, old, 50), 0);
  cr_assert(reader_check(&r, 0, 50, 0));
  lr_data_version v;
  lr_result_version(r.res, &v);
  cr_assert_eq(v.generation, 0, "a legacy store reads as generation 0");
  char *current = th_read(g_dir, "data/online/CURRENT");
  cr_assert_null(current, "a read-only open must not upgrade");
  pid_t child = th_fork_child(); /* the upgrade, in another process */
  if (child == 0) {
    lr_store *w = NULL;
    int ok = lr_store_open(g_dir, LR_STORE_READWRITE, &w) == 0 &&
             put_keys(w, 0, 50, 9) == 0;
    lr_store_close(w);
    _exit(ok ? 0 : 1);
  }
  cr_assert_eq(th_child_status(child, 10000), 0, "the upgrading writer failed");
  cr_assert_eq(read_number("data/online/CURRENT"), 1);
  char path[4096];
  snprintf(path, sizeof path, "%s/data/online/data.mdb", g_dir);
  cr_assert_eq(access(path, F_OK), 0, "deleted under its reader");
  cr_assert(reader_check(&r, 0, 50, 9), "the reader did not move");
  lr_result_version(r.res, &v);
  cr_assert_eq(v.generation, 1);
  cr_assert_neq(access(path, F_OK), 0, "the legacy file outlived its reader");
  char *report = NULL; /* the old layout kept no digests: counted at the
                          upgrade, then kept by the write */
  cr_assert_eq(lr_store_verify(old, &report), 0, "%s", lr_store_errmsg(old));
  cr_assert(!strncmp(report, "stats: 50 rows, digest ", 23), "%s", report);
  lr_free(report);
  reader_close(&r);
  lr_store_close(old);
}

/* Every committed change makes the version greater; a result reports the
 * version it read; a compaction starts a greater generation. */
Test(generation, g004_versions_grow_with_every_change) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  lr_data_version v0, v1, v2, rv;
  cr_assert_eq(lr_store_version(s, &v0), 0);
  cr_assert_eq(v0.generation, 1);
  cr_assert_eq(put_keys(s, 0, 10, 0), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(lr_store_version(s, &v1), 0);
  cr_assert_eq(v1.generation, 1);
  cr_assert_gt(v1.seq, v0.seq);
  reader r;
  cr_assert_eq(reader_open(&r, s, 10), 0);
  cr_assert(reader_check(&r, 0, 10, 0));
  cr_assert_eq(lr_result_version(r.res, &rv), 0);
  cr_assert(rv.generation == v1.generation && rv.seq == v1.seq,
            "result read %llu.%llu, store is at %llu.%llu", rv.generation,
            rv.seq, v1.generation, v1.seq);
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(lr_store_version(s, &v2), 0);
  cr_assert_eq(v2.generation, 2);
  cr_assert(reader_check(&r, 0, 10, 0));
  lr_result_version(r.res, &rv);
  cr_assert_eq(rv.generation, 2);
  cr_assert_eq(lr_store_version(NULL, &v2), LR_EINVAL);
  cr_assert_eq(lr_result_version(NULL, &rv), LR_EINVAL);
  reader_close(&r);
  lr_store_close(s);
}

/* Two stores of one repo in one process share one LMDB environment (LMDB
 * forbids a second): a compaction through one is seen by the other's next
 * lookup, and closing one leaves the other working. */
Test(generation, g005_stores_in_one_process_share_the_environment) {
  make_repo();
  lr_store *a = open_store(LR_STORE_READWRITE);
  lr_store *b = open_store(LR_STORE_READONLY);
  cr_assert_eq(atomic_load(&a->env), atomic_load(&b->env));
  cr_assert_eq(put_keys(a, 0, 20, 0), 0, "%s", lr_store_errmsg(a));
  reader r;
  cr_assert_eq(reader_open(&r, b, 20), 0);
  cr_assert(reader_check(&r, 0, 20, 0));
  cr_assert_eq(lr_store_compact(a, NULL, NULL), 0, "%s", lr_store_errmsg(a));
  cr_assert_eq(put_keys(a, 0, 20, 3), 0, "%s", lr_store_errmsg(a));
  cr_assert(reader_check(&r, 0, 20, 3));
  lr_store_close(a);
  cr_assert(reader_check(&r, 0, 20, 3));
  reader_close(&r);
  lr_store_close(b);
  cr_assert_eq(n_generations(), 1);
}

/* ---- digests and verify (digest.c, verify.c) ---------------------------- */

/* The digests JSON of the store at g_dir. */
static char *digests_of(lr_store *s) {
  char *json = NULL;
  cr_assert_eq(lr_store_digests(s, &json), 0, "%s", lr_store_errmsg(s));
  return json;
}

/* Two stores that saw the same rows have the same digests, whatever the
 * order and history: newer wins as a total order (equal times keep the
 * greater row), so one written, overwritten and compacted and one written
 * in reverse order end alike. A newer value changes it. */
Test(generation, g006_same_rows_same_digest_whatever_the_history) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 200, 1), 0);
  cr_assert_eq(put_keys(s, 50, 100, 0), 0); /* overwrites */
  cr_assert_eq(put_keys(s, 0, 50, 0), 0);
  cr_assert_eq(put_keys(s, 150, 50, 0), 0);
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s", lr_store_errmsg(s));
  char *a = digests_of(s);
  lr_store_close(s);
  char *first = g_dir;
  g_dir = NULL;
  make_repo();
  s = open_store(LR_STORE_READWRITE);
  for (int k = 199; k >= 0; k -= 40) /* the same rows in another order */
    cr_assert_eq(put_keys(s, k - 39, 40, 0), 0);
  cr_assert_eq(put_keys(s, 0, 200, 1), 0);
  char *b = digests_of(s);
  cr_assert_str_eq(a, b, "same rows, different digests");
  cr_assert_eq(put_keys(s, 160, 40, 0), 0); /* rows seen before */
  cr_assert_eq(put_keys(s, 160, 40, 1), 0);
  char *same = digests_of(s);
  cr_assert_str_eq(same, b, "rewriting rows seen before moved the digest");
  lr_free(same);
  cr_assert(strstr(a, "{\"stats\": {\"rows\": 200, \"digest\": \""), "%s", a);
  cr_assert_eq(th_put_stats(s, 7, 1, 1, T0 + 1), 0); /* a newer value */
  char *c = digests_of(s);
  cr_assert(strcmp(b, c) != 0, "a changed value kept the digest");
  cr_assert(strstr(c, "\"rows\": 200"), "%s", c);
  lr_free(a);
  lr_free(b);
  lr_free(c);
  lr_store_close(s);
  th_rmrf(first);
}

/* Writes `row` as the stored row of user_id `id` behind the writer's back
 * (no digest change): what a damaged or tampered file looks like. */
static void overwrite_row(lr_store *s, long long id, const void *row,
                          size_t len) {
  lr__env *env = lr__store_env(s);
  MDB_dbi dbi;
  cr_assert(lr__env_dbi(env, s->views[0].db_name, 0, &dbi));
  MDB_txn *txn;
  cr_assert_eq(lr__env_write_begin(env, &txn), 0);
  uint8_t key[8];
  uint64_t u = (uint64_t)id ^ (1ull << 63); /* codec/key.c's int64 form */
  for (int b = 0; b < 8; b++)
    key[b] = (uint8_t)(u >> (56 - 8 * b));
  MDB_val k = {sizeof key, key}, v = {len, (void *)row};
  cr_assert_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  lr__env_release(env);
}

/* The stored bytes of user_id `id`'s row. */
static size_t stored_row(lr_store *s, long long id, uint8_t *out, size_t cap) {
  lr__env *env = lr__store_env(s);
  MDB_dbi dbi;
  cr_assert(lr__env_dbi(env, s->views[0].db_name, 0, &dbi));
  MDB_txn *txn;
  cr_assert_eq(mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn), 0);
  uint8_t key[8];
  uint64_t u = (uint64_t)id ^ (1ull << 63);
  for (int b = 0; b < 8; b++)
    key[b] = (uint8_t)(u >> (56 - 8 * b));
  MDB_val k = {sizeof key, key}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  cr_assert_leq(v.mv_size, cap);
  memcpy(out, v.mv_data, v.mv_size);
  mdb_txn_abort(txn);
  lr__env_release(env);
  return v.mv_size;
}

/* verify passes on a sound store and names the view and key of a row
 * that does not decode, or both digests when a valid row was changed
 * behind the writer's back; `larder verify` exits 1 with that message. */
Test(generation, g007_verify_names_the_view_and_key_that_fail) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 30, 0), 0);
  char *report = NULL;
  cr_assert_eq(lr_store_verify(s, &report), 0, "%s", lr_store_errmsg(s));
  char *json = digests_of(s);
  char want[256], hex[33];
  cr_assert_eq(sscanf(strstr(json, "\"digest\": \"") + 11, "%32[0-9a-f]", hex),
               1, "%s", json);
  snprintf(want, sizeof want, "stats: 30 rows, digest %s: ok\n", hex);
  cr_assert_str_eq(report, want);
  lr_free(report);
  uint8_t row[256], other[256];
  stored_row(s, 3, other, sizeof other);
  size_t len = stored_row(s, 4, row, sizeof row);
  overwrite_row(s, 4, other, len); /* key 4 now holds key 3's row */
  cr_assert_eq(lr_store_verify(s, &report), LR_ECORRUPT);
  cr_assert_null(report);
  const char *msg = lr_store_errmsg(s);
  snprintf(want, sizeof want, "view 'stats': the recorded digest is %s over "
           "30 rows, but the rows stored give ", hex);
  cr_assert(!strncmp(msg, want, strlen(want)), "%s", msg);
  cr_assert(strstr(msg, " over 30; restore the store from a copy or load the "
                        "view again with materialize"), "%s", msg);
  overwrite_row(s, 4, row, 3); /* a row cut short */
  cr_assert_eq(lr_store_verify(s, &report), LR_ECORRUPT);
  cr_assert_str_eq(lr_store_errmsg(s),
                   "view 'stats', key user_id=4: the row does not decode; "
                   "restore the store from a copy or load the view again "
                   "with materialize");
  lr_free(json);
  lr_store_close(s);
  char *text;
  static const char *const none[] = {NULL};
  cr_assert_eq(th_run_larder(g_dir, "verify", none, 10000, &text), 1, "%s",
               text);
  cr_assert_str_eq(text, "larder: verify: view 'stats', key "
                   "user_id=4: the row does not decode; restore the store "
                   "from a copy or load the view again with materialize\n");
  free(text);
}

/* ---- teardown ------------------------------------------------------------ */

/* lr_repo_teardown's outcome: the status, and the report or the message
 * (each "" when absent) into `text`. */
static int teardown(unsigned flags, char *text, size_t cap) {
  char *report = NULL, *err = NULL;
  int rc = lr_repo_teardown(g_dir, flags, &report, &err);
  snprintf(text, cap, "%s", rc ? (err ? err : "") : (report ? report : ""));
  lr_free(report);
  lr_free(err);
  return rc;
}

static int repo_has(const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", g_dir, rel);
  return access(path, F_OK) == 0;
}

/* Teardown never pulls the files from under a process that reads them:
 * while a reader child or a server has the store open it is refused,
 * whole, and both go on answering right; once they are gone, it removes
 * the store and the registry and nothing else, and a second one has
 * nothing to do. */
Test(generation, g008_teardown_refused_while_a_process_reads_the_store,
     .timeout = 60) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 100, 0), 0, "%s", lr_store_errmsg(s));
  cr_assert_eq(lr_store_compact(s, NULL, NULL), 0); /* two generations */
  lr_store_close(s);
  pid_t child = th_fork_child();
  if (child == 0) {
    lr_store *cs = NULL;
    reader r;
    if (lr_store_open(g_dir, LR_STORE_READONLY, &cs) != 0 ||
        reader_open(&r, cs, 100) != 0)
      _exit(2);
    long long rounds = 0;
    while (read_number("stop") < 0) {
      if (!reader_check(&r, 0, 100, 0))
        _exit(1);
      write_number("rounds", ++rounds);
      usleep(1000);
    }
    reader_close(&r);
    lr_store_close(cs);
    _exit(0);
  }
  wait_number("rounds", 3);
  char text[2048], want[2048];
  snprintf(want, sizeof want, "the online store at %s/data/online is open in "
           "another process (a `larder serve`, a `larder replicate`, or a "
           "command or program using it): stop it first, so that none goes "
           "on reading removed files; nothing was removed", g_dir);
  cr_assert_eq(teardown(0, text, sizeof text), LR_EEXISTS, "%s", text);
  cr_assert_str_eq(text, want);
  cr_assert_eq(teardown(LR_TEARDOWN_CHECK, text, sizeof text), LR_EEXISTS);
  cr_assert_str_eq(text, want);
  cr_assert(repo_has("data/online/CURRENT") && repo_has("data/registry.db"));
  wait_number("rounds", read_number("rounds") + 3); /* still reading */
  write_number("stop", 0);
  cr_assert_eq(th_child_status(child, 10000), 0, "the reader read wrong");

  int out, port;
  pid_t server = th_serve(g_dir, NULL, &out, &port);
  th_track_child(server);
  cr_assert_eq(teardown(0, text, sizeof text), LR_EEXISTS, "%s", text);
  cr_assert_str_eq(text, want);
  char answer[8192];
  cr_assert_eq(post(port, "/get-online-features",
                    "{\"features\": [\"stats:a\"], \"entities\": "
                    "{\"user_id\": [7]}}", answer, sizeof answer), 200);
  cr_assert(strstr(answer, "{\"values\": [7], \"statuses\": [\"PRESENT\"]"),
            "%s", answer);
  kill(server, SIGTERM);
  cr_assert_eq(th_child_status(server, 10000), 0, "the server did not stop");
  close(out);

  cr_assert_eq(teardown(LR_TEARDOWN_CHECK, text, sizeof text), 0, "%s", text);
  cr_assert_str_eq(text, "Would remove the online store data/online.\n"
                         "Would remove the registry data/registry.db.\n");
  cr_assert(repo_has("data/online/CURRENT") && repo_has("data/registry.db"));
  cr_assert_eq(teardown(0, text, sizeof text), 0, "%s", text);
  cr_assert_str_eq(text, "Removed the online store data/online.\n"
                         "Removed the registry data/registry.db.\n");
  cr_assert(!repo_has("data/online") && !repo_has("data/registry.db"));
  cr_assert(repo_has("defs.yaml") && repo_has("feature_store.yaml") &&
            repo_has("data/x.csv"));
  cr_assert_eq(teardown(0, text, sizeof text), 0, "%s", text);
  cr_assert_str_eq(text, "");
  s = NULL;
  cr_assert_eq(lr_store_open(g_dir, LR_STORE_READONLY, &s), LR_ENOREGISTRY);
  lr_store_close(s);
}

/* Holds flock LOCK_EX on the store folder's file `name` (made if
 * missing), as a compaction (layout.lock) or a replicator does. */
static int hold_lock(const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data/online/%s", g_dir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  cr_assert_geq(fd, 0);
  cr_assert_eq(flock(fd, LOCK_EX), 0);
  return fd;
}

/* What else stops a teardown, each named: a store handle of this very
 * process, a rebuild under way (the layout lock), a replicator (its
 * lock); a store folder holding files Larder did not write stays (the
 * rest goes); a bad feature_store.yaml is its own error. */
Test(generation, g009_teardown_names_what_holds_the_store) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  char text[2048], want[2048];
  cr_assert_eq(teardown(0, text, sizeof text), LR_EEXISTS, "%s", text);
  cr_assert(strstr(text, "is open in another process"), "%s", text);
  lr_store_close(s);
  int fd = hold_lock("layout.lock");
  cr_assert_eq(teardown(0, text, sizeof text), LR_EEXISTS, "%s", text);
  snprintf(want, sizeof want, "the online store at %s/data/online is being "
           "rebuilt by another process (`larder compact`, an upgrade or a "
           "snapshot install): try again once it is done; nothing was "
           "removed", g_dir);
  cr_assert_str_eq(text, want);
  close(fd);
  fd = hold_lock("replicator.lock");
  cr_assert_eq(teardown(0, text, sizeof text), LR_EEXISTS, "%s", text);
  snprintf(want, sizeof want, "`larder replicate` runs on this repo (it "
           "holds %s/data/online/replicator.lock): stop it first; nothing "
           "was removed", g_dir);
  cr_assert_str_eq(text, want);
  close(fd);
  cr_assert(repo_has("data/online/CURRENT") && repo_has("data/registry.db"));
  th_write(g_dir, "data/online/notes.txt", "mine\n");
  cr_assert_eq(teardown(0, text, sizeof text), 0, "%s", text);
  cr_assert_str_eq(text, "Removed the online store data/online (the folder "
                         "stays: it holds files Larder did not write).\n"
                         "Removed the registry data/registry.db.\n");
  cr_assert(repo_has("data/online/notes.txt"));
  cr_assert(!repo_has("data/online/CURRENT") &&
            !repo_has("data/online/gen-1") &&
            !repo_has("data/online/layout.lock"));
  th_write(g_dir, "feature_store.yaml", "project: [\n");
  cr_assert_eq(teardown(0, text, sizeof text), LR_EDEFINITION, "%s", text);
  cr_assert(strstr(text, "feature_store.yaml:"), "%s", text);
}

/* ---- other processes beside compactions and sweeps ---------------------- */

/* Two `larder compact` (lr_store_compact) at once in two processes, with a
 * writer and a reader attached: one waits for the other (each makes a
 * generation of its own: gen-3 is live after both), both succeed, the
 * writer's writes go on into the newest generation and none is lost, the
 * reader reads every row throughout, and the old generations go once
 * nobody reads them. */
Test(generation, g010_two_compactions_at_once, .timeout = 90) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 1000, 0), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  pid_t writer, rdr;
  start_writer_and_reader(&writer, &rdr);
  static const char *const none[] = {NULL};
  int out[2];
  pid_t compact[2];
  for (int i = 0; i < 2; i++) {
    compact[i] = th_spawn_larder(g_dir, "compact", 1, &out[i], none);
    th_track_child(compact[i]);
  }
  for (int i = 0; i < 2; i++) {
    char line[4096];
    int n = th_read_line(out[i], line, sizeof line, 30000);
    close(out[i]);
    cr_assert_eq(th_child_status(compact[i], 30000), 0, "compact %d: %s", i,
                 n >= 0 ? line : "(no output)");
    cr_assert(n >= 0 && strstr(line, "Compacted the online store: "),
              "compact %d: %s", i, n >= 0 ? line : "(no output)");
  }
  long long at_compact = read_number("acked");
  wait_number("acked", at_compact + 20);
  wait_number("rounds", read_number("rounds") + 3);
  write_number("stop", 0);
  cr_assert_eq(th_child_status(writer, 20000), 0, "the writer failed");
  long long acked = read_number("acked");
  write_number("stop", acked);
  cr_assert_eq(th_child_status(rdr, 20000), 0,
               "the reader saw a wrong answer (1), missed a write or stayed "
               "on the old generation (3)");
  s = open_store(LR_STORE_READONLY);
  lr_data_version v;
  cr_assert_eq(lr_store_version(s, &v), 0);
  cr_assert_eq(v.generation, 3, "two compactions, generation %llu",
               v.generation);
  reader r;
  cr_assert_eq(reader_open(&r, s, 1000), 0);
  cr_assert(reader_check(&r, 0, 1000, 0));
  cr_assert(reader_check(&r, 1000, (int)acked, 0), "an acknowledged write "
            "is missing");
  reader_close(&r);
  char *report = NULL;
  cr_assert_eq(lr_store_verify(s, &report), 0, "%s", lr_store_errmsg(s));
  lr_free(report);
  lr_store_close(s);
  cr_assert_eq(n_generations(), 1, "an old generation outlived its readers");
}

/* An opener child: opens the store (read-write when `rw`), reads keys
 * 0..99, closes, again and again until `stop` appears. Exit 0 when every
 * open and read succeeded with the right values, else 1 + the step. */
static void opener_child(int rw) {
  long long rounds = 0;
  while (read_number("stop") < 0) {
    lr_store *s = NULL;
    reader r;
    if (lr_store_open(g_dir, rw ? LR_STORE_READWRITE : LR_STORE_READONLY,
                      &s) != 0) {
      fprintf(stderr, "opener: %s\n", lr_store_errmsg(s));
      _exit(2);
    }
    if (reader_open(&r, s, 100) != 0)
      _exit(3);
    if (!reader_check(&r, 0, 100, 0))
      _exit(4);
    reader_close(&r);
    lr_store_close(s);
    write_number(rw ? "rw-opens" : "ro-opens", ++rounds);
  }
  _exit(0);
}

/* Opens, read-only and read-write, in other processes while this one
 * compacts again and again: every open succeeds and reads every row
 * (an open that read CURRENT just before it moved, and finds its
 * generation deleted meanwhile, reads CURRENT again), and at the end one
 * generation is left. */
Test(generation, g011_opens_beside_compactions, .timeout = 90) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 100, 0), 0, "%s", lr_store_errmsg(s));
  pid_t ro = th_fork_child();
  if (ro == 0)
    opener_child(0);
  pid_t rw = th_fork_child();
  if (rw == 0)
    opener_child(1);
  wait_number("ro-opens", 3);
  wait_number("rw-opens", 3);
  for (int i = 0; i < 30; i++)
    cr_assert_eq(lr_store_compact(s, NULL, NULL), 0, "%s",
                 lr_store_errmsg(s));
  write_number("stop", 0);
  cr_assert_eq(th_child_status(ro, 20000), 0, "a read-only open or read "
               "failed");
  cr_assert_eq(th_child_status(rw, 20000), 0, "a read-write open or read "
               "failed");
  lr_store_close(s);
  cr_assert_eq(n_generations(), 1, "an old generation outlived its readers");
}

/* The last reader of an old generation, in a child, lets go of it while
 * another process sweeps (this one holds layout.lock shared, as a sweep
 * does): the generation goes at once. Then while a change of the layout
 * is under way (this one holds the layout lock, as a compaction or a
 * replica's copy does): it goes once the change lets go. Sweeps that took
 * the lock exclusive without waiting gave way to each other, and a change
 * that swept before it let go missed a reader that left after: either
 * way nobody came after, and the generation stayed. */
Test(generation, g012_last_reader_out_beside_a_sweep_or_a_change) {
  make_repo();
  lr_store *s = open_store(LR_STORE_READWRITE);
  cr_assert_eq(put_keys(s, 0, 100, 0), 0, "%s", lr_store_errmsg(s));
  char root[4200];
  snprintf(root, sizeof root, "%s/data/online", g_dir);
  char lock_path[4300];
  snprintf(lock_path, sizeof lock_path, "%s/layout.lock", root);
  int go;
  pid_t child = holding_child(&go, 0, 0);
  compact_under_child(s);
  int sweep = open(lock_path, O_RDWR | O_CLOEXEC);
  cr_assert_geq(sweep, 0, "%s: %s", lock_path, strerror(errno));
  cr_assert_eq(flock(sweep, LOCK_SH), 0);
  let_go(child, go);
  cr_assert_eq(n_generations(), 1, "gen-1 stayed: its last reader's sweep "
               "gave way to another sweep");
  close(sweep);
  child = holding_child(&go, 0, 0);
  compact_under_child(s);
  int change;
  cr_assert_eq(lr__gen_lock(root, &change, NULL), 0);
  let_go(child, go);
  lr__gen_unlock(root, change);
  cr_assert_eq(n_generations(), 1, "gen-2 stayed after the change let go");
  lr_store_close(s);
}

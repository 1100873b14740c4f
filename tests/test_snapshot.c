/*
 * test_snapshot.c - snapshots (src/replication/snapshot.c, manifest.c,
 * src/online/copy.c): a primary's live generation published to a folder
 * and installed into a replica with the same definitions. What the
 * snapshot holds (LATEST, the MANIFEST, each file's sha256, the version
 * and digests read from the copy itself), pruning, publishing twice at one
 * version, and every way an install can be refused while the replica,
 * also a reader of it in another process, keeps serving what it had.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "helpers.h"
#include "larder.h"
#include "online/copy.h"
#include "online/freshness.h"
#include "online/store.h"
#include "process.h"
#include "replication/manifest.h"
#include "replication/snapshot.h"
#include "util/fs.h"
#include "util/sha256.h"

static const char defs[] =
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
    "  - name: other\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: b, dtype: int64}\n"
    "  - name: stats\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: a, dtype: int64}\n";

/* 2024-01-01T00:00:00Z in microseconds. */
static const long long T0 = 1704067200LL * 1000000;

/* The running test's primary and replica repos and snapshot folder,
 * removed by the suite's fini (with the children it started and a folder
 * made unwritable) if an assertion ended the test early. */
static char *g_primary, *g_replica, *g_snaps;
static char g_locked[1024]; /* a folder chmod'ed 0500, to give back */
static char g_name[64];     /* the snapshot publish() made last */

static void cleanup(void) {
  th_kill_children();
  lr__fault_enospc_after = -1;
  if (g_locked[0])
    chmod(g_locked, 0755);
  g_locked[0] = '\0';
  char **dirs[] = {&g_primary, &g_replica, &g_snaps};
  for (int i = 0; i < 3; i++)
    if (*dirs[i]) {
      th_rmrf(*dirs[i]);
      *dirs[i] = NULL;
    }
  th_free_kept();
}

TestSuite(snapshot, .fini = cleanup);

/* The two repos (same definitions, each applied) and an empty folder for
 * snapshots. */
static void make_repos(void) {
  g_primary = th_applied_repo(defs);
  g_replica = th_applied_repo(defs);
  g_snaps = th_tempdir();
}

static lr_store *open_store(const char *repo, unsigned flags) {
  lr_store *s = NULL;
  int rc = lr_store_open(repo, flags, &s);
  cr_assert_eq(rc, 0, "lr_store_open(%s): %s", repo, lr_store_errmsg(s));
  return s;
}

/* A repo's registry file. */
static const char *registry_of(const char *repo) {
  static char path[2][4096];
  static int turn;
  turn = !turn;
  snprintf(path[turn], sizeof path[turn], "%s/data/registry.db", repo);
  return path[turn];
}

/* Writes keys [first, first + n) with stats.a = key + delta and other.b =
 * 2 key + delta, one transaction per view. Returns the first failing
 * status (no assertion: children call it too). */
static int put_keys(lr_store *s, long long first, int n, long long delta) {
  lr_value *uid = calloc((size_t)n, sizeof *uid);
  lr_value *ev = calloc((size_t)n, sizeof *ev);
  lr_value *a = calloc((size_t)n, sizeof *a);
  lr_value *b = calloc((size_t)n, sizeof *b);
  for (int i = 0; i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = T0};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i + delta};
    b[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = 2 * (first + i) + delta};
  }
  lr_column sc[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a}};
  lr_column oc[] = {{"user_id", uid}, {"event_timestamp", ev}, {"b", b}};
  int rc = lr_write_rows(s, "stats", sc, 3, (size_t)n, NULL);
  if (rc == 0)
    rc = lr_write_rows(s, "other", oc, 3, (size_t)n, NULL);
  free(uid);
  free(ev);
  free(a);
  free(b);
  return rc;
}

/* 1 when keys [first, first + n) all read back as put_keys(delta) wrote
 * them, in one lookup (n <= 200); *gen (may be NULL) gets the generation
 * it read. */
static int rows_are(lr_store *s, long long first, int n, long long delta,
                    unsigned long long *gen) {
  static const char *const refs[] = {"stats:a", "other:b"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  lr_value keys[200];
  int ok = n <= 200 && lr_request_prepare(s, refs, 2, &req) == 0 &&
           lr_result_create(req, n, &res) == 0;
  for (int i = 0; ok && i < n; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
  ok = ok && lr_get_online_features(req, keys, n, res) == 0;
  for (int i = 0; ok && i < n; i++) {
    lr_value a, b;
    lr_result_cell(res, i, 0, &a);
    lr_result_cell(res, i, 1, &b);
    ok = a.status == LR_STATUS_PRESENT && a.v.i64 == first + i + delta &&
         b.status == LR_STATUS_PRESENT && b.v.i64 == 2 * (first + i) + delta;
  }
  lr_data_version v = {0, 0};
  if (res)
    lr_result_version(res, &v);
  if (gen)
    *gen = v.generation;
  lr_result_free(res);
  lr_request_free(req);
  return ok;
}

/* Writes `pos` as the version records (version.h) of the live
 * generation, behind the writers' back. */
static void put_logpos(lr_store *s, const lr__logpos *pos) {
  lr__env *env = lr__store_env(s);
  MDB_dbi meta;
  cr_assert(lr__env_dbi(env, LR__META_DB, 1, &meta));
  MDB_txn *txn;
  cr_assert_eq(lr__env_write_begin(env, &txn), 0);
  cr_assert_eq(lr__logpos_write(txn, meta, pos), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  lr__env_release(env);
}

/* Sets the version to (g, seq), in epoch `epoch` with a chain of its own,
 * as a primary that logs its writes may be at. */
static void set_logpos(lr_store *s, unsigned long long g,
                       unsigned long long seq, unsigned long long epoch) {
  lr__logpos pos = {g, seq, epoch, {0}};
  for (int i = 0; i < 16; i++)
    pos.chain[i] = (uint8_t)(seq * 16 + (unsigned)i);
  put_logpos(s, &pos);
}

/* The version the store's live generation records (folder number as G
 * when it records none). */
static lr__logpos logpos_of(lr_store *s) {
  cr_assert_geq(lr__store_refresh(s, lr__store_err(s)), 0);
  lr__env *env = lr__store_env(s);
  MDB_dbi meta;
  lr__logpos pos;
  cr_assert(lr__env_dbi(env, LR__META_DB, 0, &meta));
  MDB_txn *txn;
  cr_assert_eq(mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn), 0);
  cr_assert_eq(lr__logpos_read(txn, meta, lr__env_gen(env), &pos), 0);
  mdb_txn_abort(txn);
  lr__env_release(env);
  return pos;
}

/* Publishes the primary's store `s` to g_snaps; *m gets the manifest. */
static void publish(lr_store *s, int keep, lr__manifest *m) {
  lr__buf err;
  lr__buf_init(&err);
  int rc = lr__snapshot_publish(s, registry_of(g_primary), g_snaps, keep, m,
                                &err);
  cr_assert_eq(rc, 0, "publish: %s", lr__buf_str(&err));
  snprintf(g_name, sizeof g_name, "%s", m->name);
  cr_assert_eq(err.len, 0, "a message after success: %s", lr__buf_str(&err));
  lr__buf_free(&err);
}

/* Installs the LATEST snapshot into the replica store `s`: its status,
 * the message in `err` (emptied first). */
static int install_latest(lr_store *s, lr__buf *err) {
  lr__manifest m;
  lr__buf_reset(err);
  int rc = lr__snapshot_latest(g_snaps, &m, err);
  cr_assert_eq(rc, 0, "latest: %s", lr__buf_str(err));
  rc = lr__snapshot_install(s, registry_of(g_replica), g_snaps, &m, err);
  lr__manifest_free(&m);
  return rc;
}

/* The file at `path`, whole (heap; *len its size). */
static char *read_bytes(const char *path, size_t *len) {
  char *data = NULL;
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__fs_read_file(path, &data, len, &err), 0, "%s",
               lr__buf_str(&err));
  lr__buf_free(&err);
  return th_keep(data);
}

/* The sha256 of the file at `path`, in hex. */
static void sha_of(const char *path, char hex[65]) {
  size_t len;
  char *data = read_bytes(path, &len);
  lr__sha256 s;
  uint8_t d[32];
  lr__sha256_init(&s);
  lr__sha256_update(&s, data, len);
  lr__sha256_final(&s, d);
  lr__hex_encode(d, 32, hex);
  th_release(data);
}

/* g_snaps/NAME/FILE into `out`. */
static const char *snap_file(const char *name, const char *file) {
  static char path[2][4096];
  static int turn;
  turn = !turn;
  snprintf(path[turn], sizeof path[turn], "%s/%s/%s", g_snaps, name, file);
  return path[turn];
}

/* The names in `dir`, sorted, one a line. */
static char *listing(const char *dir) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | sort", dir);
  FILE *p = popen(cmd, "r");
  char *text = th_keep(calloc(1, 4096));
  size_t n = fread(text, 1, 4095, p);
  text[n] = '\0';
  pclose(p);
  return text;
}

/* How many generation folders the repo's online store holds. */
static int n_generations(const char *repo) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "ls -d %s/data/online/gen-* 2>/dev/null | wc -l",
           repo);
  FILE *p = popen(cmd, "r");
  int n = -1;
  cr_assert_eq(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

/* Flips one byte in the middle of the file at `path` (xor `mask`). */
static void flip_byte(const char *path, unsigned char mask) {
  int fd = open(path, O_RDWR);
  cr_assert_geq(fd, 0, "%s", path);
  off_t at = lseek(fd, 0, SEEK_END) / 2;
  unsigned char c;
  cr_assert_eq(pread(fd, &c, 1, at), 1);
  c ^= mask;
  cr_assert_eq(pwrite(fd, &c, 1, at), 1);
  close(fd);
}

/* ---- publish and install ------------------------------------------------ */

/* The primary's rows reach the replica: the same digests (and verify
 * passes), the same lookups, the primary's registry file byte for byte,
 * and the snapshot's version (G, S) as the primary's records have it, G
 * being the primary's generation (4, after three compactions) though the
 * replica's own folder is gen-3. */
Test(snapshot, p001_publish_then_install_same_digests_and_lookups) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 200, 0), 0, "%s", lr_store_errmsg(p));
  for (int i = 0; i < 3; i++)
    cr_assert_eq(lr_store_compact(p, NULL, NULL), 0, "%s",
                 lr_store_errmsg(p));
  lr__logpos at = logpos_of(p);
  cr_assert_eq(at.generation, 4);
  lr__manifest m;
  publish(p, 3, &m);
  char name[64];
  snprintf(name, sizeof name, "snap-4-%llu", at.seq);
  cr_assert_str_eq(m.name, name);
  lr__manifest_free(&m);
  lr_store *r = open_store(g_replica, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(r, 0, 50, 7), 0, "%s", lr_store_errmsg(r));
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(install_latest(r, &err), 0, "install: %s", lr__buf_str(&err));
  cr_assert_eq(err.len, 0, "%s", lr__buf_str(&err));
  unsigned long long gen;
  cr_assert(rows_are(r, 0, 200, 0, &gen), "the replica reads other rows");
  cr_assert_eq(gen, 4, "the replica's version is not the snapshot's");
  cr_assert_eq(n_generations(g_replica), 1);
  char gen3[4200]; /* gen-2 held the copy while it came in, then took the
                      number after it */
  snprintf(gen3, sizeof gen3, "%s/data/online/gen-3", g_replica);
  cr_assert(lr__fs_is_dir(gen3));
  char *pd = NULL, *rd = NULL, *report = NULL;
  cr_assert_eq(lr_store_digests(p, &pd), 0);
  cr_assert_eq(lr_store_digests(r, &rd), 0);
  cr_assert_str_eq(rd, pd);
  cr_assert(strstr(pd, "\"stats\": {\"rows\": 200, "), "%s", pd);
  cr_assert_eq(lr_store_verify(r, &report), 0, "%s", lr_store_errmsg(r));
  lr__logpos pos = logpos_of(r);
  cr_assert(pos.generation == 4 && pos.seq == at.seq && pos.epoch == 0,
            "the replica is at %llu.%llu", pos.generation, pos.seq);
  size_t plen, rlen;
  char *preg = read_bytes(registry_of(g_primary), &plen);
  char *rreg = read_bytes(registry_of(g_replica), &rlen);
  cr_assert(plen == rlen && !memcmp(preg, rreg, plen),
            "the replica's registry is not the primary's");
  cr_assert_eq(n_generations(g_replica), 1, "the old generation stayed");
  lr_store_close(r);
  r = open_store(g_replica, LR_STORE_READONLY); /* a new open sees it too */
  cr_assert(rows_are(r, 0, 200, 0, NULL));
  lr_free(pd);
  lr_free(rd);
  lr_free(report);
  th_release(preg);
  th_release(rreg);
  lr__buf_free(&err);
  lr_store_close(r);
  lr_store_close(p);
}

/* A primary that records its version (G 7, seq 42, epoch 3, a chain):
 * the snapshot is named after it and the replica carries it all. A
 * replica store open read-only cannot install. */
Test(snapshot, p002_version_records_travel_with_the_snapshot) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 20, 0), 0, "%s", lr_store_errmsg(p));
  set_logpos(p, 7, 42, 3);
  lr__manifest m;
  publish(p, 3, &m);
  cr_assert_str_eq(m.name, "snap-7-42");
  cr_assert(m.generation == 7 && m.seq == 42 && m.epoch == 3);
  lr__logpos want = logpos_of(p);
  cr_assert_eq(memcmp(m.chain, want.chain, 16), 0);
  lr__manifest_free(&m);
  lr_store *r = open_store(g_replica, LR_STORE_READWRITE);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(install_latest(r, &err), 0, "install: %s", lr__buf_str(&err));
  lr__logpos got = logpos_of(r);
  cr_assert(got.generation == 7 && got.seq == 42 && got.epoch == 3 &&
                !memcmp(got.chain, want.chain, 16),
            "the replica is at %llu.%llu epoch %llu", got.generation,
            got.seq, got.epoch);
  cr_assert(rows_are(r, 0, 20, 0, NULL));
  lr_store_close(r);
  r = open_store(g_replica, LR_STORE_READONLY); /* installs need writes */
  cr_assert_eq(install_latest(r, &err), LR_EREADONLY);
  char msg[8192];
  snprintf(msg, sizeof msg, "the online store at %s/data/online is open "
           "read-only: open it read-write to install a copy into it",
           g_replica);
  cr_assert_str_eq(lr__buf_str(&err), msg);
  lr__buf_free(&err);
  lr_store_close(r);
  lr_store_close(p);
}

/* The digest of `view` in lr_store_digests' JSON: rows and hex. */
static void digest_in(const char *json, const char *view,
                      unsigned long long *rows, char hex[33]) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\": {\"rows\": ", view);
  const char *at = strstr(json, key);
  cr_assert_not_null(at, "%s", json);
  cr_assert_eq(sscanf(at + strlen(key), "%llu, \"digest\": \"%32[0-9a-f]",
                      rows, hex), 2, "%s", json);
}

/* LATEST and the MANIFEST, whole: every member as the copy and the files
 * give it (recomputed here), and only the three files in the folder. */
Test(snapshot, p003_latest_and_manifest_content) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 30, 0), 0, "%s", lr_store_errmsg(p));
  long long before = T0; /* any time after it */
  lr__logpos at = logpos_of(p);
  char name[64], line[128];
  snprintf(name, sizeof name, "snap-1-%llu", at.seq);
  lr__manifest m;
  publish(p, 3, &m);
  char *latest = th_keep(th_read(g_snaps, "LATEST"));
  snprintf(line, sizeof line, "%s\n", name);
  cr_assert_str_eq(latest, line);
  snprintf(line, sizeof line, "LATEST\npublish.lock\n%s\n", name);
  cr_assert_str_eq(listing(g_snaps), line);
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s", g_snaps, name);
  cr_assert_str_eq(listing(dir), "MANIFEST\ndata.mdb\nregistry.db\n");
  char data_sha[65], reg_sha[65], d_other[33], d_stats[33], chain[33];
  sha_of(snap_file(name, "data.mdb"), data_sha);
  sha_of(registry_of(g_primary), reg_sha);
  lr__hex_encode(at.chain, sizeof at.chain, chain);
  struct stat data_st, reg_st;
  cr_assert_eq(stat(snap_file(name, "data.mdb"), &data_st), 0);
  cr_assert_eq(stat(registry_of(g_primary), &reg_st), 0);
  char *json = NULL;
  cr_assert_eq(lr_store_digests(p, &json), 0);
  unsigned long long r_other, r_stats;
  digest_in(json, "other", &r_other, d_other);
  digest_in(json, "stats", &r_stats, d_stats);
  cr_assert_gt(m.created_us, before);
  char want[4096];
  snprintf(want, sizeof want,
           "{\n  \"format\": 1,\n  \"name\": \"%s\",\n"
           "  \"generation\": 1,\n  \"seq\": %llu,\n  \"epoch\": %llu,\n"
           "  \"chain\": \"%s\",\n"
           "  \"created_us\": %lld,\n"
           "  \"registry\": {\"version\": 1, \"sha256\": \"%s\"},\n"
           "  \"views\": [\n"
           "    {\"name\": \"%s\", \"rows\": %llu, \"digest\": \"%s\"},\n"
           "    {\"name\": \"%s\", \"rows\": %llu, \"digest\": \"%s\"}\n"
           "  ],\n  \"files\": [\n"
           "    {\"name\": \"data.mdb\", \"size\": %lld, \"sha256\": \"%s\"},\n"
           "    {\"name\": \"registry.db\", \"size\": %lld, \"sha256\": "
           "\"%s\"}\n  ]\n}\n",
           name, at.seq, at.epoch, chain, m.created_us, reg_sha,
           p->views[0].db_name, r_other, d_other,
           p->views[1].db_name, r_stats, d_stats, (long long)data_st.st_size,
           data_sha, (long long)reg_st.st_size, reg_sha);
  cr_assert_str_eq(p->views[0].view->name, "other");
  char *manifest = th_keep(th_read(dir, "MANIFEST"));
  cr_assert_str_eq(manifest, want);
  lr__manifest back; /* and it reads back as written */
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__snapshot_latest(g_snaps, &back, &err), 0, "%s",
               lr__buf_str(&err));
  lr__buf text;
  lr__buf_init(&text);
  lr__manifest_format(&back, &text);
  cr_assert_str_eq(lr__buf_str(&text), want);
  lr__buf_free(&text);
  lr__buf_free(&err);
  lr__manifest_free(&back);
  lr__manifest_free(&m);
  lr_free(json);
  th_release(manifest);
  th_release(latest);
  lr_store_close(p);
}

/* Only the newest `keep` snapshots stay, newest by generation and then
 * sequence number as numbers (snap-1-10 is newer than snap-1-9). */
Test(snapshot, p004_keep_prunes_to_the_newest) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  static const struct { unsigned long long g, s; int keep; const char *ls; }
      steps[] = {
          {1, 9, 3, "LATEST\npublish.lock\nsnap-1-9\n"},
          {1, 10, 3, "LATEST\npublish.lock\nsnap-1-10\nsnap-1-9\n"},
          {2, 1, 3, "LATEST\npublish.lock\nsnap-1-10\nsnap-1-9\nsnap-2-1\n"},
          {2, 2, 2, "LATEST\npublish.lock\nsnap-2-1\nsnap-2-2\n"},
      };
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(put_keys(p, i, 1, i), 0, "%s", lr_store_errmsg(p));
    set_logpos(p, steps[i].g, steps[i].s, 1);
    lr__manifest m;
    publish(p, steps[i].keep, &m);
    lr__manifest_free(&m);
    cr_assert_str_eq(listing(g_snaps), steps[i].ls, "step %d", i);
    char want[64];
    snprintf(want, sizeof want, "snap-%llu-%llu\n", steps[i].g, steps[i].s);
    char *latest = th_keep(th_read(g_snaps, "LATEST"));
    cr_assert_str_eq(latest, want, "step %d", i);
    th_release(latest);
  }
  lr_store_close(p);
}

/* A second publish at the same version keeps the first snapshot and
 * returns it; a write moves the version, and the next publish makes a new
 * one; a version that did not move with a write (a store whose records
 * were set back) is refused, and nothing changes. */
Test(snapshot, p005_publish_twice_at_one_version_keeps_the_first) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 10, 0), 0, "%s", lr_store_errmsg(p));
  lr__manifest a, b, c;
  publish(p, 3, &a);
  char dir[4200], want[8192];
  snprintf(dir, sizeof dir, "%s/%s", g_snaps, a.name);
  char *first = th_keep(th_read(dir, "MANIFEST"));
  publish(p, 3, &b);
  cr_assert_str_eq(b.name, a.name);
  cr_assert_eq(b.created_us, a.created_us, "not the first one's manifest");
  cr_assert_str_eq(b.files[0].sha256, a.files[0].sha256);
  char *second = th_keep(th_read(dir, "MANIFEST"));
  cr_assert_str_eq(second, first);
  snprintf(want, sizeof want, "LATEST\npublish.lock\n%s\n", a.name);
  cr_assert_str_eq(listing(g_snaps), want);
  cr_assert_eq(put_keys(p, 100, 1, 0), 0, "%s", lr_store_errmsg(p));
  publish(p, 3, &c); /* the write moved the version */
  cr_assert_str_neq(c.name, a.name);
  snprintf(want, sizeof want, "LATEST\npublish.lock\n%s\n%s\n", a.name,
           c.name);
  cr_assert_str_eq(listing(g_snaps), want);
  lr__logpos at = logpos_of(p);
  cr_assert_eq(put_keys(p, 200, 1, 0), 0, "%s", lr_store_errmsg(p));
  put_logpos(p, &at); /* as if that write had not counted */
  lr__buf err;
  lr__buf_init(&err);
  lr__manifest d;
  cr_assert_eq(lr__snapshot_publish(p, registry_of(g_primary), g_snaps, 3, &d,
                                    &err), LR_EEXISTS);
  snprintf(want, sizeof want, "%s/%s was published with other contents at "
           "the same version 1.%llu: the store's version did not move with "
           "its writes (a writer that does not count them, or version records "
           "set back); nothing was published", g_snaps, c.name, at.seq);
  cr_assert_str_eq(lr__buf_str(&err), want);
  cr_assert_null(d.name);
  snprintf(want, sizeof want, "LATEST\npublish.lock\n%s\n%s\n", a.name,
           c.name);
  cr_assert_str_eq(listing(g_snaps), want);
  char *third = th_keep(th_read(dir, "MANIFEST"));
  cr_assert_str_eq(third, first);
  lr__buf_free(&err);
  lr__manifest_free(&a);
  lr__manifest_free(&b);
  lr__manifest_free(&c);
  th_release(first);
  th_release(second);
  th_release(third);
  lr_store_close(p);
}

/* ---- refused installs ---------------------------------------------------- */

/* A reader of the replica in a child, opened before the installs: it
 * answers each byte on `go` by checking the rows of the byte's state
 * ('o': the replica's own, delta 7; 'n': the primary's, delta 0),
 * writing 'y' or 'n' on `answer`; 'q' ends it. */
static void reader_child(int go, int answer) {
  lr_store *s = NULL;
  if (lr_store_open(g_replica, LR_STORE_READONLY, &s) != 0)
    _exit(2);
  char c;
  int ok = rows_are(s, 0, 50, 7, NULL);
  if (write(answer, ok ? "y" : "n", 1) != 1)
    _exit(2);
  while (read(go, &c, 1) == 1 && c != 'q') {
    ok = c == 'o' ? rows_are(s, 0, 50, 7, NULL)
                  : rows_are(s, 0, 50, 0, NULL);
    if (write(answer, ok ? "y" : "n", 1) != 1)
      _exit(2);
  }
  lr_store_close(s);
  _exit(0);
}

/* Asks the reader child to check state `state`; asserts it answers yes. */
static void ask_reader(int go, int answer, char state) {
  char c = 0;
  cr_assert_eq(write(go, &state, 1), 1);
  struct pollfd pfd = {.fd = answer, .events = POLLIN};
  cr_assert_eq(poll(&pfd, 1, 10000), 1, "the reader did not answer");
  cr_assert_eq(read(answer, &c, 1), 1);
  cr_assert_eq(c, 'y', "the reader read other rows than '%c' ones", state);
}

/* The primary with 50 rows published, the replica with 50 rows of its own
 * (delta 7); the replica's store opened read-write into *r. */
static void published_and_replica(lr_store **r) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 50, 0), 0, "%s", lr_store_errmsg(p));
  lr__manifest m;
  publish(p, 3, &m);
  lr__manifest_free(&m);
  lr_store_close(p);
  *r = open_store(g_replica, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(*r, 0, 50, 7), 0, "%s", lr_store_errmsg(*r));
}

/* The replica serves its own rows, from its one generation, with its own
 * registry file `reg` (len bytes). */
static void replica_unchanged(lr_store *r, const char *reg, size_t len) {
  cr_assert(rows_are(r, 0, 50, 7, NULL), "the replica lost its rows");
  cr_assert_eq(n_generations(g_replica), 1, "a partial generation stayed");
  size_t now_len;
  char *now = read_bytes(registry_of(g_replica), &now_len);
  cr_assert(now_len == len && !memcmp(now, reg, len),
            "the registry file changed");
  th_release(now);
}

/* One flipped byte in the snapshot's data.mdb: the install is refused by
 * the checksum, with the whole message; the replica, and a reader of it in
 * another process opened before, keep the old rows; once the byte is
 * back, the install goes through and the reader moves to the new rows. */
Test(snapshot, p006_flipped_byte_refused_old_rows_served_also_in_a_child,
     .timeout = 60) {
  lr_store *r;
  published_and_replica(&r);
  int go[2], answer[2];
  cr_assert_eq(pipe(go), 0);
  cr_assert_eq(pipe(answer), 0);
  pid_t child = th_fork_child();
  if (child == 0)
    reader_child(go[0], answer[1]);
  char c = 0;
  struct pollfd pfd = {.fd = answer[0], .events = POLLIN};
  cr_assert_eq(poll(&pfd, 1, 10000), 1, "the reader did not start");
  cr_assert(read(answer[0], &c, 1) == 1 && c == 'y', "the reader's first read");
  size_t reg_len;
  char *reg = read_bytes(registry_of(g_replica), &reg_len);
  const char *data = snap_file(g_name, "data.mdb");
  char good[65], bad[65];
  sha_of(data, good);
  flip_byte(data, 0x10);
  sha_of(data, bad);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(install_latest(r, &err), LR_ECORRUPT);
  char want[8192];
  snprintf(want, sizeof want, "snapshot %s/%s: data.mdb has sha256 %s, "
           "its manifest says %s; the replica keeps serving what it had; "
           "publish again on the primary (`larder publish`)", g_snaps, g_name, bad,
           good);
  cr_assert_str_eq(lr__buf_str(&err), want);
  replica_unchanged(r, reg, reg_len);
  ask_reader(go[1], answer[0], 'o');
  flip_byte(data, 0x10); /* back as published */
  cr_assert_eq(install_latest(r, &err), 0, "%s", lr__buf_str(&err));
  cr_assert(rows_are(r, 0, 50, 0, NULL));
  ask_reader(go[1], answer[0], 'n');
  cr_assert_eq(write(go[1], "q", 1), 1);
  cr_assert_eq(th_child_status(child, 10000), 0, "the reader failed");
  th_release(reg);
  lr__buf_free(&err);
  lr_store_close(r);
}

/* Writes `row` as the stored row of key `id` of view database `db` in the
 * snapshot's data file, behind the writer's back (no digest change), and
 * gives the manifest the file's new size and sha256: a file that matches
 * its checksum but not its digests. */
static void tamper_row(const char *db, long long id) {
  const char *path = snap_file(g_name, "data.mdb");
  char old_sha[65], new_sha[65];
  sha_of(path, old_sha);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  MDB_env *env;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_set_maxdbs(env, 4), 0);
  cr_assert_eq(mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644), 0);
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
  uint8_t key[8], other[8];
  uint64_t u = (uint64_t)id ^ (1ull << 63), w = (uint64_t)(id + 1) ^ (1ull << 63);
  for (int b = 0; b < 8; b++) {
    key[b] = (uint8_t)(u >> (56 - 8 * b));
    other[b] = (uint8_t)(w >> (56 - 8 * b));
  }
  MDB_val k = {8, other}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  uint8_t row[256];
  memcpy(row, v.mv_data, v.mv_size);
  MDB_val k2 = {8, key}, v2 = {v.mv_size, row}; /* key id gets id+1's row */
  cr_assert_eq(mdb_put(txn, dbi, &k2, &v2, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  sha_of(path, new_sha);
  struct stat now;
  cr_assert_eq(stat(path, &now), 0);
  char dir[4200], size_was[128], size_now[128];
  snprintf(dir, sizeof dir, "%s/%s", g_snaps, g_name);
  char *text = th_keep(th_read(dir, "MANIFEST"));
  snprintf(size_was, sizeof size_was, "\"size\": %lld, \"sha256\": \"%s\"",
           (long long)st.st_size, old_sha);
  snprintf(size_now, sizeof size_now, "\"size\": %lld, \"sha256\": \"%s\"",
           (long long)now.st_size, new_sha);
  char *at = strstr(text, size_was);
  cr_assert_not_null(at, "%s", text);
  char edited[8192];
  snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text,
           size_now, at + strlen(size_was));
  th_write(dir, "MANIFEST", edited);
  th_release(text);
}

/* A data file that passes its checksum but whose rows do not give the
 * digest it records; a manifest whose version or views are not the
 * file's: each refused with the whole message, nothing changed. */
Test(snapshot, p007_digest_or_version_mismatch_refused) {
  lr_store *r;
  published_and_replica(&r);
  size_t reg_len;
  char *reg = read_bytes(registry_of(g_replica), &reg_len);
  const char *stats_db = r->views[1].db_name;
  lr__buf err;
  lr__buf_init(&err);
  lr__manifest m;
  cr_assert_eq(lr__snapshot_latest(g_snaps, &m, &err), 0, "%s",
               lr__buf_str(&err));
  unsigned long long seq = m.seq;
  m.seq = 99; /* a manifest that is not the file's */
  cr_assert_eq(lr__snapshot_install(r, registry_of(g_replica), g_snaps, &m,
                                    &err), LR_ECORRUPT);
  char want[8192];
  snprintf(want, sizeof want, "snapshot %s/%s: data.mdb is at version "
           "1.%llu (epoch 0, chain 00000000000000000000000000000000), its "
           "manifest says 1.99 (epoch 0, chain 000000000000000000000000000000"
           "00); the replica keeps serving what it had; publish again on the "
           "primary (`larder publish`)", g_snaps, g_name, seq);
  cr_assert_str_eq(lr__buf_str(&err), want);
  replica_unchanged(r, reg, reg_len);
  m.seq = seq;
  m.n_views = 1; /* stats left out */
  lr__buf_reset(&err);
  cr_assert_eq(lr__snapshot_install(r, registry_of(g_replica), g_snaps, &m,
                                    &err), LR_ECORRUPT);
  snprintf(want, sizeof want, "snapshot %s/%s: data.mdb holds view "
           "'%s', which its manifest does not list; the replica keeps "
           "serving what it had; publish again on the primary (`larder "
           "publish`)", g_snaps, g_name, stats_db);
  cr_assert_str_eq(lr__buf_str(&err), want);
  m.n_views = 2;
  lr__manifest_free(&m);
  replica_unchanged(r, reg, reg_len);
  tamper_row(stats_db, 10);
  lr__copy_info info;
  lr__digest *counted = NULL;
  cr_assert_eq(lr__copy_read(snap_file(g_name, "data.mdb"), 1, &info,
                             &counted, &err), 0, "%s", lr__buf_str(&err));
  char rec[33], got[33];
  lr__digest_hex(&info.views[1].digest, rec);
  lr__digest_hex(&counted[1], got);
  cr_assert_str_neq(rec, got);
  cr_assert_eq(install_latest(r, &err), LR_ECORRUPT);
  snprintf(want, sizeof want, "snapshot %s/%s: data.mdb records 50 "
           "rows with digest %s for view '%s', but its rows give 50 rows with "
           "digest %s; the replica keeps serving what it had; publish again "
           "on the primary (`larder publish`)", g_snaps, g_name, rec, stats_db, got);
  cr_assert_str_eq(lr__buf_str(&err), want);
  replica_unchanged(r, reg, reg_len);
  free(counted);
  lr__copy_info_free(&info);
  th_release(reg);
  lr__buf_free(&err);
  lr_store_close(r);
}

/* The disk fills up while the data file is copied in (the fault hook,
 * docs/internals/testing.md): a clear LR_EIO, the partial generation
 * gone, the old one served; with room again the install goes through. */
Test(snapshot, p008_disk_full_during_the_copy) {
  lr_store *r;
  published_and_replica(&r);
  size_t reg_len;
  char *reg = read_bytes(registry_of(g_replica), &reg_len);
  lr__buf err;
  lr__buf_init(&err);
  lr__manifest m;
  cr_assert_eq(lr__snapshot_latest(g_snaps, &m, &err), 0, "%s",
               lr__buf_str(&err));
  lr__fault_enospc_after = 4096;
  int rc = lr__snapshot_install(r, registry_of(g_replica), g_snaps, &m, &err);
  lr__fault_enospc_after = -1;
  cr_assert_eq(rc, LR_EIO);
  char want[8192];
  snprintf(want, sizeof want, "snapshot %s/%s: the disk is full "
           "(cannot write %s/data/online/gen-2/data.mdb: No space left on "
           "device); free some space on the replica and install again; the "
           "replica keeps serving what it had", g_snaps, g_name, g_replica);
  cr_assert_str_eq(lr__buf_str(&err), want);
  replica_unchanged(r, reg, reg_len);
  lr__buf_reset(&err);
  cr_assert_eq(lr__snapshot_install(r, registry_of(g_replica), g_snaps, &m,
                                    &err), 0, "%s", lr__buf_str(&err));
  cr_assert(rows_are(r, 0, 50, 0, NULL));
  cr_assert_eq(n_generations(g_replica), 1);
  lr__manifest_free(&m);
  th_release(reg);
  lr__buf_free(&err);
  lr_store_close(r);
}

/* Drops (on 0) or gives back (on 1) the calling process's
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: root ignores a folder's mode
 * without them. Returns 0 or -1. */
static int dac_override(int on) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) != 0)
    return -1;
  unsigned bits = 1u << CAP_DAC_OVERRIDE | 1u << CAP_DAC_READ_SEARCH;
  d[0].effective = on ? d[0].effective | (bits & d[0].permitted)
                      : d[0].effective & ~bits;
  return (int)syscall(SYS_capset, &h, d);
}

/* 1 when this process can create a file in `dir`. */
static int can_write_in(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/probe", dir);
  int fd = open(path, O_WRONLY | O_CREAT, 0644);
  if (fd >= 0) {
    close(fd);
    unlink(path);
  }
  return fd >= 0;
}

/* A snapshot folder that cannot be written (mode 0500; as root, with the
 * capability that overrides it dropped), or that is a file: publish
 * names the folder and the fix. A missing one is created. */
Test(snapshot, p009_folder_not_writable_or_a_file) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  lr__buf err;
  lr__buf_init(&err);
  lr__manifest m;
  char dir[1024], want[8192];
  snprintf(dir, sizeof dir, "%s/a/b", g_snaps); /* missing: created */
  cr_assert_eq(lr__snapshot_publish(p, registry_of(g_primary), dir, 1, &m,
                                    &err), 0, "%s", lr__buf_str(&err));
  lr__manifest_free(&m);
  snprintf(dir, sizeof dir, "%s/file", g_snaps);
  th_write(g_snaps, "file", "x");
  cr_assert_eq(lr__snapshot_publish(p, registry_of(g_primary), dir, 1, &m,
                                    &err), LR_EIO);
  snprintf(want, sizeof want, "cannot publish a snapshot into %s (cannot "
           "create folder %s: a file has that name); make the folder "
           "writable by the user running larder, or set "
           "replication.snapshots to another folder", dir, dir);
  cr_assert_str_eq(lr__buf_str(&err), want);
  snprintf(g_locked, sizeof g_locked, "%s/locked", g_snaps);
  th_mkdirs(g_locked);
  cr_assert_eq(chmod(g_locked, 0500), 0);
  int dropped = geteuid() == 0 && dac_override(0) == 0;
  if (can_write_in(g_locked)) {
    if (dropped)
      dac_override(1);
    lr__buf_free(&err);
    lr_store_close(p);
    cr_skip_test("this process writes into a folder of mode 0500 (root "
                 "without a CAP_DAC_OVERRIDE to drop?): not testable here");
  }
  lr__buf_reset(&err);
  int rc = lr__snapshot_publish(p, registry_of(g_primary), g_locked, 1, &m,
                                &err);
  if (dropped)
    cr_assert_eq(dac_override(1), 0);
  cr_assert_eq(rc, LR_EIO);
  snprintf(want, sizeof want, "cannot publish a snapshot into %s (cannot "
           "create %s/publish.lock: Permission denied); make the folder "
           "writable by the user running larder, or set "
           "replication.snapshots to another folder", g_locked, g_locked);
  cr_assert_str_eq(lr__buf_str(&err), want);
  lr__buf_free(&err);
  lr_store_close(p);
}

/* Reading a snapshot folder that is missing, empty, or damaged (LATEST,
 * MANIFEST, another format), and installing a snapshot that is gone: each
 * a whole message naming the file and the fix. */
Test(snapshot, p010_missing_or_damaged_snapshot_files) {
  make_repos();
  lr__buf err;
  lr__buf_init(&err);
  lr__manifest m;
  char dir[4200], want[8192];
  snprintf(dir, sizeof dir, "%s/none", g_snaps);
  cr_assert_eq(lr__snapshot_latest(dir, &m, &err), LR_ENOTFOUND);
  snprintf(want, sizeof want, "no snapshot in %s: the folder does not exist; "
           "publish one on the primary (`larder publish`), or set "
           "replication.snapshots to the folder it publishes to", dir);
  cr_assert_str_eq(lr__buf_str(&err), want);
  lr__buf_reset(&err);
  cr_assert_eq(lr__snapshot_latest(g_snaps, &m, &err), LR_ENOTFOUND);
  snprintf(want, sizeof want, "no snapshot in %s yet (it has no LATEST); "
           "publish one on the primary (`larder publish`)", g_snaps);
  cr_assert_str_eq(lr__buf_str(&err), want);
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  publish(p, 3, &m);
  lr_store_close(p);
  th_write(g_snaps, "LATEST", "snap-1-x\n");
  lr__manifest got;
  lr__buf_reset(&err);
  cr_assert_eq(lr__snapshot_latest(g_snaps, &got, &err), LR_ECORRUPT);
  snprintf(want, sizeof want, "%s/LATEST is damaged: it must hold a "
           "snapshot's name (snap-GENERATION-SEQ) and a newline; publish "
           "again on the primary (`larder publish`)", g_snaps);
  cr_assert_str_eq(lr__buf_str(&err), want);
  char latest[80];
  snprintf(latest, sizeof latest, "%s\n", g_name);
  th_write(g_snaps, "LATEST", latest);
  snprintf(dir, sizeof dir, "%s/%s", g_snaps, g_name);
  char *text = th_keep(th_read(dir, "MANIFEST"));
  static const struct { const char *from, *to, *says; int rc; } cases[] = {
      {"\"seq\": 0,", "\"seq\": \"0\",",
       "is damaged: \"seq\" must be a whole number", LR_ECORRUPT},
      {"\"format\": 1,", "\"format\": 2,",
       "has format 2; this Larder reads format 1: upgrade Larder on this "
       "replica, or publish with this version", LR_EVERSION},
      {"\"chain\": \"0", "\"chain\": \"X",
       "is damaged: \"chain\" must be 32 lowercase hex digits", LR_ECORRUPT},
      {"{\n  \"format\"", "[\n  \"format\"",
       "is damaged: 2:11: expected ',' or ']' in a list", LR_ECORRUPT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *at = strstr(text, cases[i].from);
    cr_assert_not_null(at, "case %zu", i);
    char edited[8192];
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - text), text,
             cases[i].to, at + strlen(cases[i].from));
    th_write(dir, "MANIFEST", edited);
    lr__buf_reset(&err);
    cr_assert_eq(lr__snapshot_latest(g_snaps, &got, &err), cases[i].rc,
                 "case %zu: %s", i, lr__buf_str(&err));
    cr_assert_null(got.name);
    snprintf(want, sizeof want, "%s/MANIFEST %s", dir, cases[i].says);
    cr_assert(!strncmp(lr__buf_str(&err), want, strlen(want)),
              "case %zu: %s", i, lr__buf_str(&err));
  }
  lr__buf_reset(&err);
  th_write(dir, "MANIFEST", "{\"format\": 1, \"seq\": \"0\"}");
  cr_assert_eq(lr__snapshot_latest(g_snaps, &got, &err), LR_ECORRUPT);
  snprintf(want, sizeof want, "%s/MANIFEST is damaged: \"name\" is missing; "
           "publish a new snapshot on the primary (`larder publish`)", dir);
  cr_assert_str_eq(lr__buf_str(&err), want);
  char cmd[8400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  lr_store *r = open_store(g_replica, LR_STORE_READWRITE);
  lr__buf_reset(&err);
  cr_assert_eq(lr__snapshot_install(r, registry_of(g_replica), g_snaps, &m,
                                    &err), LR_ENOTFOUND);
  snprintf(want, sizeof want, "snapshot %s is gone (a newer one replaced "
           "it); read LATEST again and install that one; the replica keeps "
           "serving what it had", dir);
  cr_assert_str_eq(lr__buf_str(&err), want);
  lr__manifest_free(&m);
  th_release(text);
  lr__buf_free(&err);
  lr_store_close(r);
}

/* A writer child: writes key 1000 + i with stats.a = other.b = i, for i =
 * 0, 1, ... until `stop` has a byte to read (or 20,000 writes). Exit 0, or
 * 1 on a failed write. */
static void writer_child(int stop) {
  lr_store *s = NULL;
  if (lr_store_open(g_primary, LR_STORE_READWRITE, &s) != 0)
    _exit(1);
  struct pollfd pfd = {.fd = stop, .events = POLLIN};
  for (int i = 0; i < 20000 && poll(&pfd, 1, 0) == 0; i++)
    if (put_keys(s, 1000 + i, 1, 0) != 0)
      _exit(1);
  lr_store_close(s);
  _exit(0);
}

/* Publishing while another process writes: each snapshot's manifest
 * digests are those its data file's rows give (the copy is one consistent
 * snapshot, and the manifest is read from it), the writes went on
 * meanwhile, and the last snapshot installs. */
Test(snapshot, p011_publish_while_a_writer_process_writes, .timeout = 60) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 200, 0), 0, "%s", lr_store_errmsg(p));
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  pid_t child = th_fork_child();
  if (child == 0)
    writer_child(stop[0]);
  unsigned long long first_rows = 0, last_rows = 0;
  lr__buf err;
  lr__buf_init(&err);
  for (int i = 1; i <= 5; i++) {
    usleep(20000);
    lr__manifest m;
    publish(p, 10, &m);
    lr__copy_info info;
    lr__digest *counted = NULL;
    cr_assert_eq(lr__copy_read(snap_file(m.name, "data.mdb"), 1, &info,
                               &counted, &err), 0, "%s", lr__buf_str(&err));
    cr_assert_eq(info.n_views, m.n_views);
    for (int v = 0; v < m.n_views; v++) {
      char a[33], b[33];
      lr__digest_hex(&m.views[v].digest, a);
      lr__digest_hex(&counted[v], b);
      cr_assert(lr__digest_equal(&m.views[v].digest, &counted[v]),
                "%s, view %s: the manifest says %s over %llu rows, the rows "
                "give %s over %llu", m.name, m.views[v].name, a,
                (unsigned long long)m.views[v].digest.rows, b,
                (unsigned long long)counted[v].rows);
    }
    if (i == 1)
      first_rows = m.views[1].digest.rows;
    last_rows = m.views[1].digest.rows;
    free(counted);
    lr__copy_info_free(&info);
    lr__manifest_free(&m);
  }
  cr_assert_eq(write(stop[1], "s", 1), 1);
  cr_assert_eq(th_child_status(child, 20000), 0, "the writer failed");
  cr_assert_gt(last_rows, first_rows, "the writer wrote nothing meanwhile");
  lr_store *r = open_store(g_replica, LR_STORE_READWRITE);
  cr_assert_eq(install_latest(r, &err), 0, "install: %s", lr__buf_str(&err));
  cr_assert(rows_are(r, 0, 200, 0, NULL));
  lr__buf_free(&err);
  lr_store_close(r);
  lr_store_close(p);
}

/* The freshness records (online/freshness.h) travel in the snapshot's copy
 * of the meta database: the replica installs the primary's, byte for
 * byte, before it applies anything of its own. */
Test(snapshot, p012_freshness_records_travel_with_the_snapshot) {
  make_repos();
  lr_store *p = open_store(g_primary, LR_STORE_READWRITE);
  cr_assert_eq(put_keys(p, 0, 20, 0), 0, "%s", lr_store_errmsg(p));
  lr__freshness want;
  cr_assert_eq(lr__store_freshness(p, "stats", &want), 0);
  cr_assert(want.max_event_us == T0 &&
            want.last_write_us[LR__FRESH_WRITE] != LR__FRESH_NONE);
  lr__manifest m;
  publish(p, 3, &m);
  lr__manifest_free(&m);
  lr_store *r = open_store(g_replica, LR_STORE_READWRITE);
  lr__freshness got;
  cr_assert_eq(lr__store_freshness(r, "stats", &got), 0);
  cr_assert_eq(got.max_event_us, LR__FRESH_NONE, "nothing installed yet");
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(install_latest(r, &err), 0, "install: %s", lr__buf_str(&err));
  lr__buf_free(&err);
  cr_assert_eq(lr__store_freshness(r, "stats", &got), 0);
  cr_assert_eq(memcmp(&got, &want, sizeof got), 0, "another record");
  lr_store_close(r);
  lr_store_close(p);
}

/*
 * test_rstore_faults.c - the online store on Redis when Redis fails, on
 * real redis-server processes of each test's own (tests/redis_fixture.h:
 * loopback, bounded waits, every server stopped by its pid), through the
 * public API: a 3-master cluster resharding while a second process
 * writes and a third reads (and a slot of many buckets moving slowly
 * under a writer), Redis killed with SIGKILL in the middle of a
 * batch and restarted, maxmemory reached, a wrong or missing password,
 * Redis down or silent at open, and two processes writing the same
 * entities out of order. Each failure's message is asserted whole.
 */
#include <pthread.h>

#include "server_fixture.h"

static th_cluster g_cluster;

/* Stops the servers (each by its pid), then any child a failed
 * assertion left running. */
static void teardown_faults(void) {
  teardown_redis();
  th_cluster_down(&g_cluster);
  th_kill_children();
}

TestSuite(rfault, .fini = teardown_faults, .timeout = 120);

/* The rows these tests write: user_recent (ttl 1d) of users 1 .. n, in
 * 2100 (inside the ttl), recent_clicks = value_of(round, id). */
#define BASE_TIME "2100-01-01T00:00:00Z"

static long long value_of(long long round, long long id) {
  return round * 1000000 + id;
}

/* Writes round `round` of users first .. first + n - 1 (event time BASE_TIME
 * + round seconds) on `store`; returns the status, *stats filled. */
static int write_round(lr_store *store, long long first, size_t n,
                       long long round, lr_write_stats *stats) {
  lr_value *cells = calloc(3 * n, sizeof *cells);
  cr_assert_not_null(cells);
  long long at = ts_of(BASE_TIME) + round * 1000000;
  for (size_t i = 0; i < n; i++) {
    long long id = first + (long long)i;
    cells[i] = v_i64(id);
    cells[n + i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    cells[2 * n + i] = v_i64(value_of(round, id));
  }
  lr_column cols[] = {{"user_id", cells},
                      {"event_timestamp", cells + n},
                      {"recent_clicks", cells + 2 * n}};
  int rc = lr_write_rows(store, "user_recent", cols, 3, n, stats);
  free(cells);
  return rc;
}

/* Opens the test's repo's store (asserting it opens). */
static lr_store *open_store(unsigned flags) {
  lr_store *store;
  int rc = lr_store_open(g_repo, flags, &store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  return store;
}

/* write_round on a store of its own, which must succeed; returns its
 * counts. */
static lr_write_stats write_ok(long long first, size_t n, long long round) {
  lr_store *store = open_store(LR_STORE_READWRITE);
  lr_write_stats st;
  int rc = write_round(store, first, n, round, &st);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  lr_store_close(store);
  return st;
}

/* Reads recent_clicks of users first .. first + n - 1 through the API,
 * in lookups of 500: values[i] (-1 when not PRESENT). Returns 0, or the
 * failing call's status with its message in `msg`. Asserts nothing, so a
 * child may call it. */
static int read_users(lr_store *store, long long first, size_t n,
                      long long *values, char *msg, size_t cap) {
  const char *features[] = {"user_recent:recent_clicks"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  int rc = lr_request_prepare(store, features, 1, &req);
  if (rc)
    snprintf(msg, cap, "%s", lr_store_errmsg(store));
  else if ((rc = lr_result_create(req, 500, &res)) != 0)
    snprintf(msg, cap, "lr_result_create: %d", rc);
  lr_value keys[500];
  for (size_t at = 0; rc == 0 && at < n; at += 500) {
    int k = n - at < 500 ? (int)(n - at) : 500;
    for (int i = 0; i < k; i++)
      keys[i] = v_i64(first + (long long)at + i);
    rc = lr_get_online_features(req, keys, k, res);
    if (rc)
      snprintf(msg, cap, "%s", lr_result_errmsg(res));
    for (int i = 0; rc == 0 && i < k; i++) {
      lr_value v;
      rc = lr_result_cell(res, i, 0, &v);
      values[at + (size_t)i] = v.status == LR_STATUS_PRESENT ? v.v.i64 : -1;
    }
  }
  lr_result_free(res);
  lr_request_free(req);
  return rc;
}

/* Asserts that users first .. first + n - 1 all read value_of(round, id). */
static void assert_round(long long first, size_t n, long long round,
                         const char *when) {
  lr_store *store = open_store(LR_STORE_READONLY);
  long long *got = calloc(n, sizeof *got);
  char msg[1024] = "";
  int rc = read_users(store, first, n, got, msg, sizeof msg);
  lr_store_close(store);
  th_keep(got);
  cr_assert_eq(rc, 0, "%s: %s", when, msg);
  for (size_t i = 0; i < n; i++)
    cr_assert_eq(got[i], value_of(round, first + (long long)i),
                 "%s: user %lld reads %lld, not %lld", when,
                 first + (long long)i, got[i],
                 value_of(round, first + (long long)i));
  th_release(got);
}

/* The repo's feature_store.yaml with `store` as its online_store block. */
static void set_store_config(const char *store) {
  char config[1024];
  snprintf(config, sizeof config, "project: t\nonline_store: %s\n", store);
  th_write(g_repo, "feature_store.yaml", config);
}

/* The message of lr_store_open on the test's repo, which must fail with
 * `want_rc`. */
static const char *open_error(int want_rc) {
  lr_store *store;
  int rc = lr_store_open(g_repo, LR_STORE_READONLY, &store);
  const char *msg = th_keep(strdup(lr_store_errmsg(store)));
  lr_store_close(store);
  cr_assert_eq(rc, want_rc, "%s", msg);
  return msg;
}

/* The store block of a standalone server on `port` with `extra` fields
 * (", password: x", or ""). */
static void set_server_config(int port, const char *extra) {
  char block[512];
  snprintf(block, sizeof block, "{type: redis, url: \"redis://127.0.0.1:%d/"
           "0\", expire_margin: 36500d%s}", port, extra);
  set_store_config(block);
}

/* ---- processes beside the test ------------------------------------------ */

/* A child process of the test and the pipe it reports on, one line per
 * step ("3" when it finished round 3; "fail ..." when it failed). */
typedef struct worker {
  pid_t pid;
  int out;
  int lines;        /* lines read so far */
  char last[2048];  /* the last one */
  char line[2048];  /* the one coming */
  size_t len;
} worker;

/* Reads what `w` reported so far (without waiting). */
static void drain(worker *w) {
  char buf[4096];
  char *line = w->line;
  size_t len = w->len;
  struct pollfd p = {.fd = w->out, .events = POLLIN};
  while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
    ssize_t k = read(w->out, buf, sizeof buf);
    if (k <= 0)
      break;
    for (ssize_t i = 0; i < k; i++) {
      if (buf[i] == '\n') {
        line[len] = '\0';
        snprintf(w->last, sizeof w->last, "%s", line);
        w->lines++;
        len = 0;
      } else if (len + 1 < sizeof w->line) {
        line[len++] = buf[i];
      }
    }
  }
  w->len = len;
}

/* 1 when the parent closed the stop pipe (the child is to end). */
static int told_to_stop(int stop) {
  struct pollfd p = {.fd = stop, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}

/* A worker's store (NULL, the failure reported on `out`, when it cannot
 * be opened). */
static lr_store *worker_open(int out, unsigned flags) {
  lr_store *store;
  if (lr_store_open(g_repo, flags, &store) == 0)
    return store;
  dprintf(out, "fail open: %s\n", lr_store_errmsg(store));
  lr_store_close(store);
  return NULL;
}

/* Starts `body(out, stop[0], arg)` in a child, which exits with its
 * return value; the parent closes stop[1] to tell it to end. */
static worker start_worker(int (*body)(int, int, long long),
                           const int stop[2], long long arg) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  worker w = {.out = fds[0]};
  w.pid = th_fork_child();
  if (w.pid == 0) {
    close(fds[0]);
    close(stop[1]);
    _exit(body(fds[1], stop[0], arg));
  }
  close(fds[1]);
  return w;
}

/* Waits (60 s at most) for `w` to end; returns its exit code, having read
 * all it reported. */
static int end_worker(worker *w) {
  int code = th_child_status(w->pid, 60000);
  drain(w);
  close(w->out);
  return code;
}

/* ---- rf001: resharding --------------------------------------------------- */

enum { MIG_FIRST = 1000, MIG_USERS = 2000 };

/* The writer beside rf001 and rf007: rounds 2, 3, ... of users
 * MIG_FIRST .. MIG_FIRST + users - 1 until told to stop, each of which
 * must store every row; reports each round it finished. */
static int rounds_writer(int out, int stop, long long users) {
  lr_store *store = worker_open(out, LR_STORE_READWRITE);
  if (!store)
    return 1;
  for (long long round = 2; !told_to_stop(stop); round++) {
    lr_write_stats st;
    if (write_round(store, MIG_FIRST, (size_t)users, round, &st) ||
        st.rows_written != (size_t)users) {
      dprintf(out, "fail round %lld: %zu written: %s\n", round,
              st.rows_written, lr_store_errmsg(store));
      return 1;
    }
    dprintf(out, "%lld\n", round);
  }
  lr_store_close(store);
  return 0;
}

/* The reader of rf001: reads every user again and again until told to
 * stop; each must be PRESENT, hold its own id, and never go back to an
 * older round. Reports each pass. */
static int mig_reader(int out, int stop, long long unused) {
  (void)unused;
  lr_store *store = worker_open(out, LR_STORE_READONLY);
  if (!store)
    return 1;
  static long long seen[MIG_USERS], got[MIG_USERS];
  char msg[1024];
  for (int pass = 1; !told_to_stop(stop); pass++) {
    if (read_users(store, MIG_FIRST, MIG_USERS, got, msg, sizeof msg)) {
      dprintf(out, "fail pass %d: %s\n", pass, msg);
      return 1;
    }
    for (int i = 0; i < MIG_USERS; i++) {
      long long id = MIG_FIRST + i;
      if (got[i] < 0 || got[i] % 1000000 != id || got[i] < seen[i]) {
        dprintf(out, "fail pass %d: user %lld read %lld after %lld\n", pass,
                id, got[i], seen[i]);
        return 1;
      }
      seen[i] = got[i];
    }
    dprintf(out, "%d\n", pass);
  }
  lr_store_close(store);
  return 0;
}

/* The repo on g_cluster (started here), `buckets` buckets a view. */
static void setup_cluster(int buckets) {
  th_cluster_up(&g_cluster, NULL);
  char config[512];
  snprintf(config, sizeof config, "project: t\nonline_store: {type: redis, "
           "cluster: [\"redis://127.0.0.1:%d\", \"redis://127.0.0.1:%d\"], "
           "buckets: %d, expire_margin: 36500d}\n", g_cluster.port[0],
           g_cluster.port[1], buckets);
  setup_with(config);
}

/* How many buckets of user_recent node `node` holds in each slot. */
static void buckets_by_slot(int node, int count[16384]) {
  redisReply *keys = th_redis_direct(g_cluster.port[node], "KEYS %s",
                                     "larder:t:user_recent@*");
  cr_assert(keys && keys->type == REDIS_REPLY_ARRAY);
  memset(count, 0, 16384 * sizeof *count);
  for (size_t i = 0; i < keys->elements; i++) {
    redisReply *s = th_redis_direct(g_cluster.port[node],
                                    "CLUSTER KEYSLOT %s",
                                    keys->element[i]->str);
    cr_assert(s && s->type == REDIS_REPLY_INTEGER);
    count[s->integer]++;
    freeReplyObject(s);
  }
  freeReplyObject(keys);
}

/* The slots of node `node` that hold a bucket of user_recent (`cap` at
 * most); returns how many. */
static int recent_slots(int node, unsigned *slots, int cap) {
  static int count[16384];
  buckets_by_slot(node, count);
  int n = 0;
  for (unsigned k = 0; k < 16384 && n < cap; k++)
    if (count[k])
      slots[n++] = k;
  return n;
}

/* Waits (20 s at most) until each of the `n` workers reported a line. */
static void wait_started(worker *w, int n) {
  for (long long end = th_now_ms() + 20000;;) {
    int started = 0;
    for (int i = 0; i < n; i++) {
      drain(&w[i]);
      started += w[i].lines > 0;
    }
    if (started == n)
      return;
    cr_assert_lt(th_now_ms(), end, "a worker reported nothing within 20 s: "
                 "%s", w[0].last);
    usleep(2000);
  }
}

/* A counter of node `node`'s INFO `section`: the number after `field`
 * ("errorstat_ASK:count="), 0 when absent. */
static long long server_count(int node, const char *section,
                              const char *field) {
  redisReply *r = th_redis_direct(g_cluster.port[node], "INFO %s", section);
  cr_assert(r && r->type == REDIS_REPLY_STRING, "INFO %s", section);
  const char *at = strstr(r->str, field);
  long long n = at ? atoll(at + strlen(field)) : 0;
  freeReplyObject(r);
  return n;
}

/* Every slot of node 0 holding user_recent's buckets moves to node 1,
 * one after the other (IMPORTING, MIGRATING, each key MIGRATEd, 100 ms
 * with the slot half moved, SETSLOT NODE on node 0 50 ms before node 1,
 * which meanwhile send each other MOVED), while a second process writes
 * every user round after round and a third reads them all pass after
 * pass. Node 1's scripts are flushed as each slot starts moving (a node
 * added to the cluster has none). Every write and every lookup during
 * the migration succeeds, no user ever reads an older round than it read
 * before, and afterwards every user reads the writer's last round; the
 * servers' counters show the clients met MOVED and ASK (node 0's
 * errorstats), followed ASK (node 1's ASKING calls), were MOVED back by
 * node 1 and met NOSCRIPT. */
Test(rfault, rf001_a_slot_migrated_while_writes_and_reads_run_loses_nothing) {
  setup_cluster(64);
  write_ok(MIG_FIRST, MIG_USERS, 1);
  unsigned slots[64];
  int n_slots = recent_slots(0, slots, 64);
  cr_assert_gt(n_slots, 5, "node 0 holds %d of the 64 buckets", n_slots);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  worker w[2] = {start_worker(rounds_writer, stop, MIG_USERS),
                 start_worker(mig_reader, stop, 0)};
  worker *writer = &w[0], *reader = &w[1];
  close(stop[0]);
  wait_started(w, 2);
  int rounds_before = writer->lines, passes_before = reader->lines;
  char to_id[64];
  th_redis_node_id(g_cluster.port[1], to_id, sizeof to_id);
  for (int i = 0; i < n_slots; i++) {
    th_cluster_begin_migration(&g_cluster, slots[i], 0, 1);
    freeReplyObject(th_redis_direct(g_cluster.port[1], "SCRIPT FLUSH", NULL));
    int step = th_cluster_end_migration(&g_cluster, slots[i], 0, 1, to_id,
                                        100000, 50000);
    cr_assert_eq(step, 0, "slot %u: the migration failed at step %d",
                 slots[i], step);
    drain(writer);
    drain(reader);
  }
  int rounds = writer->lines - rounds_before;
  int passes = reader->lines - passes_before;
  close(stop[1]);
  int wcode = end_worker(writer), rcode = end_worker(reader);
  cr_assert_eq(wcode, 0, "the writer: %s", writer->last);
  cr_assert_eq(rcode, 0, "the reader: %s", reader->last);
  cr_assert_gt(rounds, 0, "no write ran during the migration");
  cr_assert_gt(passes, 0, "no lookup ran during the migration");
  long long moved = server_count(0, "errorstats", "errorstat_MOVED:count=");
  long long asked = server_count(0, "errorstats", "errorstat_ASK:count=");
  long long back = server_count(1, "errorstats", "errorstat_MOVED:count=");
  long long asking = server_count(1, "commandstats", "cmdstat_asking:calls=");
  long long noscript = server_count(1, "errorstats",
                                    "errorstat_NOSCRIPT:count=");
  fprintf(stderr, "rf001: %d slots moved; %d rounds written and %d passes "
          "read during the migration; node 0 answered %lld MOVED and %lld "
          "ASK, node 1 %lld ASKING, %lld MOVED back and %lld NOSCRIPT\n",
          n_slots, rounds, passes, moved, asked, asking, back, noscript);
  cr_assert_gt(moved, 0, "the clients met MOVED");
  cr_assert_gt(back, 0, "and MOVED back, between the two SETSLOT NODE");
  cr_assert_gt(asked, 0, "the clients met ASK");
  cr_assert_gt(asking, 0, "and followed it");
  cr_assert_gt(noscript, 0, "node 1 lacked the script after a flush");
  cr_assert_eq(recent_slots(0, slots, 64), 0, "node 0 still holds buckets");
  assert_round(MIG_FIRST, MIG_USERS, atoll(writer->last),
               "after the migration");
}

/* ---- rf002: Redis killed in the middle of a batch ----------------------- */

enum { KILL_BATCH = 10000, KILL_BATCHES = 20 };

/* Polls the test's server until it holds `keys` keys, then kills it
 * (SIGKILL, by its pid; the test reaps it). */
static void *kill_at(void *arg) {
  long long keys = *(const long long *)arg;
  redisContext *c = redisConnectWithTimeout(
      "127.0.0.1", g_redis.port, (struct timeval){.tv_sec = 2});
  for (long long end = th_now_ms() + 30000; c && !c->err &&
                                            th_now_ms() < end;) {
    redisReply *r = redisCommand(c, "DBSIZE");
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    if (n < 0 || n >= keys)
      break;
  }
  redisFree(c);
  kill(g_redis.pid, SIGKILL);
  return NULL;
}

static const char *const aof[] = {"--appendonly", "yes", "--appendfsync",
                                  "always", NULL};

static void setup_redis_aof(void) { setup_redis_with(aof); }

/* 1 when `msg` is the message of a write of KILL_BATCH rows, `stored` of
 * them stored, cut by the server's death (the connection lost whichever
 * way the kernel reports it). */
static int killed_message(const char *msg, size_t stored, int port) {
  static const char *const why[] = {"Server closed the connection",
                                    "Connection reset by peer",
                                    "Broken pipe"};
  for (size_t k = 0; k < sizeof why / sizeof *why; k++) {
    char want[1024];
    snprintf(want, sizeof want, "%zu of %d rows were stored into redis://"
             "127.0.0.1:%d/0 (the other %zu may or may not be): lost the "
             "connection to Redis at 127.0.0.1:%d (%s): did it stop or "
             "restart? See that it runs, then write again: newer wins, so "
             "rewriting is safe", stored, KILL_BATCH, port,
             KILL_BATCH - stored, port, why[k]);
    if (!strcmp(msg, want))
      return 1;
  }
  return 0;
}

/* Writes batch after batch of KILL_BATCH users (round 1) while a thread
 * kills the server in the middle of the sixth; asserts that write's
 * whole message and reaps the server. Returns how many batches were
 * written before it; *stats has the failed one's counts. */
static int write_until_killed(lr_write_stats *stats) {
  lr_store *store = open_store(LR_STORE_READWRITE);
  long long keys = 5 * KILL_BATCH + KILL_BATCH / 2;
  pthread_t killer;
  cr_assert_eq(pthread_create(&killer, NULL, kill_at, &keys), 0);
  int done = 0, rc = 0;
  for (; done < KILL_BATCHES; done++)
    if ((rc = write_round(store, 1 + (long long)done * KILL_BATCH,
                          KILL_BATCH, 1, stats)) != 0)
      break;
  pthread_join(killer, NULL);
  char msg[2048];
  snprintf(msg, sizeof msg, "%s", lr_store_errmsg(store));
  lr_store_close(store);
  waitpid(g_redis.pid, NULL, 0);
  th_untrack_child(g_redis.pid);
  cr_assert_eq(rc, LR_EIO, "batch %d of %d: %d %s", done, KILL_BATCHES, rc,
               msg);
  cr_assert(killed_message(msg, stats->rows_written, g_redis.port),
            "batch %d, %zu rows counted: %s", done, stats->rows_written, msg);
  cr_assert_lt(stats->rows_written, KILL_BATCH, "the kill came mid-batch");
  fprintf(stderr, "rf002: killed in batch %d, %zu of its rows stored\n",
          done, stats->rows_written);
  return done;
}

/* Redis (appendonly, appendfsync always) killed with SIGKILL while one
 * writer writes batch after batch of 10,000 users, in the middle of the
 * sixth: that batch fails naming the server and what failed, counting
 * the rows it stored; after a restart on the same files every row of the
 * batches reported written, and as many of the failed batch's as it
 * counted, read back; writing the failed batch again succeeds, and then
 * every row is there. The same on a server without persistence: the
 * same message; restarted empty, the store opens and the batch written
 * again is stored whole (the batches before it are gone). */
Test(rfault, rf002_redis_killed_mid_batch_and_restarted_keeps_what_it_reported,
     .init = setup_redis_aof) {
  lr_write_stats st = {0, 0};
  int done = write_until_killed(&st);
  lr_store *store;
  g_redis.pid = th_redis_start_with(&g_redis.port, (const char *const[]){
      "--dir", g_redis.dir, "--appendonly", "yes", "--appendfsync", "always",
      NULL});
  assert_round(1, (size_t)done * KILL_BATCH, 1, "the batches written");
  store = open_store(LR_STORE_READONLY);
  static long long got[KILL_BATCH];
  char why[1024] = "";
  long long first = 1 + (long long)done * KILL_BATCH;
  cr_assert_eq(read_users(store, first, KILL_BATCH, got, why, sizeof why), 0,
               "%s", why);
  lr_store_close(store);
  size_t present = 0;
  for (size_t i = 0; i < KILL_BATCH; i++)
    present += got[i] == value_of(1, first + (long long)i);
  cr_assert_geq(present, st.rows_written, "the failed batch counted %zu "
                "rows stored; %zu read back", st.rows_written, present);
  st = write_ok(first, KILL_BATCH, 1);
  assert_round(1, (size_t)(done + 1) * KILL_BATCH, 1, "written again");

  th_redis_down(&g_redis);
  th_redis_up(&g_redis, NULL);
  set_server_config(g_redis.port, "");
  done = write_until_killed(&st);
  g_redis.pid = th_redis_start_with(&g_redis.port, (const char *const[]){
      "--dir", g_redis.dir, NULL});
  first = 1 + (long long)done * KILL_BATCH;
  st = write_ok(first, KILL_BATCH, 1);
  cr_assert_eq(st.rows_written, KILL_BATCH, "an empty server: all new");
  assert_round(first, KILL_BATCH, 1, "without persistence, written again");
  store = open_store(LR_STORE_READONLY);
  cr_assert_eq(read_users(store, 1, 1, got, why, sizeof why), 0, "%s", why);
  lr_store_close(store);
  cr_assert_eq(got[0], -1, "the batches before are gone with the server");
}


/* ---- rf003: maxmemory ---------------------------------------------------- */

enum { OOM_FIRST = 1000, OOM_USERS = 40000 };

/* A server 1 MB short of its maxmemory (noeviction, Redis' default):
 * a write of 40,000 users stores some of its calls and fails on OOM; the
 * message names OOM, maxmemory and the fix, and counts the rows stored,
 * which are exactly as many as read back, each with its value (not the
 * first ones only: a later call may fit again once the server has freed
 * its input buffer); reads still work; with maxmemory raised the same
 * write succeeds and every row reads. */
Test(rfault, rf003_maxmemory_fails_the_write_naming_oom_and_the_count,
     .init = setup_redis) {
  redisReply *r = th_redis_command(g_redis.port, "INFO memory");
  cr_assert(r && r->type == REDIS_REPLY_STRING);
  long long used = atoll(strstr(r->str, "used_memory:") + 12);
  freeReplyObject(r);
  char limit[32];
  snprintf(limit, sizeof limit, "%lld", used + 1024 * 1024);
  th_redis_must(g_redis.port, "CONFIG SET maxmemory %s", limit);
  lr_store *store = open_store(LR_STORE_READWRITE);
  lr_write_stats st;
  int rc = write_round(store, OOM_FIRST, OOM_USERS, 1, &st);
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", lr_store_errmsg(store));
  lr_store_close(store);
  cr_assert_eq(rc, LR_EIO, "%s", msg);
  size_t stored = st.rows_written;
  cr_assert(stored > 0 && stored < OOM_USERS, "%zu stored: %s", stored, msg);
  cr_assert_eq(st.rows_skipped, 0);
  char want[1024];
  snprintf(want, sizeof want, "%zu of %d rows were stored into redis://"
           "127.0.0.1:%d/0 (the other %zu may or may not be): Redis at "
           "127.0.0.1:%d refused the write: its maxmemory is reached (OOM); "
           "raise maxmemory or free memory, then write again: newer wins, "
           "so rewriting is safe", stored, OOM_USERS, g_redis.port,
           OOM_USERS - stored, g_redis.port);
  cr_assert_str_eq(msg, want);
  store = open_store(LR_STORE_READONLY);
  static long long got[OOM_USERS];
  char why[1024] = "";
  cr_assert_eq(read_users(store, OOM_FIRST, OOM_USERS, got, why, sizeof why),
               0, "%s", why);
  lr_store_close(store);
  size_t present = 0;
  for (size_t i = 0; i < OOM_USERS; i++) {
    long long id = OOM_FIRST + (long long)i;
    cr_assert(got[i] == -1 || got[i] == value_of(1, id),
              "user %lld reads %lld", id, got[i]);
    present += got[i] >= 0;
  }
  cr_assert_eq(present, stored, "an OOM call stores none of its rows: %zu "
               "read back, %zu counted", present, stored);
  th_redis_must(g_redis.port, "CONFIG SET maxmemory %s", "0");
  st = write_ok(OOM_FIRST, OOM_USERS, 1);
  cr_assert_eq(st.rows_written, OOM_USERS, "the stored rows again too");
  assert_round(OOM_FIRST, OOM_USERS, 1, "written again");
}

/* ---- rf004: passwords --------------------------------------------------- */

/* A server that wants a password: the wrong one in feature_store.yaml
 * (with a user too), a wrong one from password_env, and none at all each
 * fail the open with the server, what it answered and the field to fix;
 * the right one from password_env opens. A cluster whose nodes want one,
 * opened with a wrong one: the first seed's refusal explained, the
 * other's as it is; the right one opens. */
Test(rfault, rf004_a_wrong_or_missing_password_fails_the_open_clearly,
     .init = setup_redis) {
  th_redis_must(g_redis.port, "CONFIG SET requirepass %s", "secret");
  int port = g_redis.port;
#define WRONGPASS                                                              \
  "refused the password (WRONGPASS invalid username-password pair or user "   \
  "is disabled.): "
  static const struct {
    const char *fields, *answer; /* the answer after "Redis at HOST:PORT " */
  } cases[] = {
      {", password: wrong",
       WRONGPASS "fix the online store's password in feature_store.yaml"},
      {", password_env: RF_PASSWORD",
       WRONGPASS "fix the password in $RF_PASSWORD (the online store's "
                 "password_env in feature_store.yaml)"},
      {", user: larder, password: wrong",
       WRONGPASS "fix the online store's user and password in "
                 "feature_store.yaml"},
      {"", "wants a password (NOAUTH Authentication required.): set the "
           "online store's password, or password_env, in feature_store.yaml"},
  };
#undef WRONGPASS
  setenv("RF_PASSWORD", "wrong too", 1);
  char want[512];
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    set_server_config(port, cases[k].fields);
    snprintf(want, sizeof want, "Redis at 127.0.0.1:%d %s", port,
             cases[k].answer);
    cr_assert_str_eq(open_error(LR_EIO), want, "with %s", cases[k].fields);
  }
  setenv("RF_PASSWORD", "secret", 1);
  set_server_config(port, ", password_env: RF_PASSWORD");
  lr_store *store = open_store(LR_STORE_READONLY);
  long long got[1];
  char msg[512] = "";
  cr_assert_eq(read_users(store, 2, 1, got, msg, sizeof msg), 0, "%s", msg);
  lr_store_close(store);
  cr_assert_eq(got[0], 9, "the fixture's user 2");
  unsetenv("RF_PASSWORD");

  th_cluster_up(&g_cluster, NULL);
  for (int k = 0; k < TH_MASTERS; k++)
    th_redis_must(g_cluster.port[k], "CONFIG SET requirepass %s", "secret");
  char block[512];
  snprintf(block, sizeof block, "{type: redis, cluster: [\"redis://127.0.0.1:"
           "%d\", \"redis://127.0.0.1:%d\"], password: wrong}",
           g_cluster.port[0], g_cluster.port[1]);
  set_store_config(block);
  snprintf(want, sizeof want, "no seed of the cluster gave its slot map: "
           "Redis at 127.0.0.1:%d refused the password (WRONGPASS invalid "
           "username-password pair or user is disabled.): fix the online "
           "store's password in feature_store.yaml (the other seeds: "
           "127.0.0.1:%d refused the password: WRONGPASS invalid "
           "username-password pair or user is disabled.)", g_cluster.port[0],
           g_cluster.port[1]);
  cr_assert_str_eq(open_error(LR_EIO), want);
  snprintf(block, sizeof block, "{type: redis, cluster: [\"redis://127.0.0.1:"
           "%d\"], password: secret}", g_cluster.port[2]);
  set_store_config(block);
  lr_store_close(open_store(LR_STORE_READONLY));
}

/* ---- rf005: Redis down, Redis silent ------------------------------------ */

/* Nothing listening at the url: the open names the address and the
 * setting (and `larder get` prints the same). A server stopped (SIGSTOP)
 * with a timeout of 300 ms: the open, a lookup on a store opened before
 * and a write each fail naming the server and the timeout setting; after
 * SIGCONT writes and lookups work. */
Test(rfault, rf005_redis_down_or_silent_names_address_and_timeout,
     .init = setup_redis) {
  int port = g_redis.port;
  th_redis_down(&g_redis);
  char want[1024];
  snprintf(want, sizeof want, "cannot connect to Redis at 127.0.0.1:%d "
           "(Connection refused): start redis-server there, or fix the "
           "online store's url in feature_store.yaml", port);
  cr_assert_str_eq(open_error(LR_EIO), want);
  char *out = NULL;
  int code = th_run_larder(g_repo, "get", (const char *const[]){
      "--features", "user_recent:recent_clicks", "--entity", "user_id=2",
      NULL}, 30000, &out);
  th_keep(out);
  char cli[1100];
  snprintf(cli, sizeof cli, "larder: get: %s\n", want);
  cr_assert_eq(code, 1, "%s", out);
  cr_assert_str_eq(out, cli, "`larder get` says the same");

  th_redis_up(&g_redis, NULL);
  set_server_config(g_redis.port, ", timeout: 300ms");
  lr_store *store = open_store(LR_STORE_READWRITE);
  kill(g_redis.pid, SIGSTOP);
  char silent[512];
  snprintf(silent, sizeof silent, "Redis at 127.0.0.1:%d did not answer "
           "within 300 ms (the online store's timeout in "
           "feature_store.yaml): it is stopped or overloaded; if it is only "
           "slow, raise the timeout", g_redis.port);
  const char *at_open = open_error(LR_EIO);
  long long got[1];
  char msg[1024] = "";
  int rc = read_users(store, 2, 1, got, msg, sizeof msg);
  lr_write_stats st;
  int wrc = write_round(store, 7, 1, 1, &st);
  char wmsg[1024];
  snprintf(wmsg, sizeof wmsg, "%s", lr_store_errmsg(store));
  kill(g_redis.pid, SIGCONT);
  cr_assert_str_eq(at_open, silent);
  cr_assert_eq(rc, LR_EIO, "%s", msg);
  cr_assert_str_eq(msg, silent);
  cr_assert_eq(wrc, LR_EIO, "%s", wmsg);
  snprintf(want, sizeof want, "0 of 1 rows were stored into redis://"
           "127.0.0.1:%d/0 (the other 1 may or may not be): %s, then write "
           "again: newer wins, so rewriting is safe", g_redis.port, silent);
  cr_assert_str_eq(wmsg, want);
  cr_assert_eq(write_round(store, 7, 1, 1, &st), 0, "%s",
               lr_store_errmsg(store));
  cr_assert_eq(read_users(store, 7, 1, got, msg, sizeof msg), 0, "%s", msg);
  cr_assert_eq(got[0], value_of(1, 7));
  lr_store_close(store);
}

/* ---- rf006: out of order, from two processes ---------------------------- */

enum { OOO_FIRST = 5000, OOO_USERS = 1000, OOO_ROUNDS = 20 };

/* A writer of rf006: the rounds of parity `parity` (1: 19, 17, ... 1; 2:
 * 20, 18, ... 2), newest first, so every later round is older than the
 * stored rows. The even writer's first round is the newest of all: each of
 * its later rounds must then be skipped whole. */
static int ooo_writer(int out, int stop, long long parity) {
  (void)stop;
  lr_store *store = worker_open(out, LR_STORE_READWRITE);
  if (!store)
    return 1;
  for (long long round = OOO_ROUNDS - 2 + parity; round >= 1; round -= 2) {
    lr_write_stats st;
    if (write_round(store, OOO_FIRST, OOO_USERS, round, &st)) {
      dprintf(out, "fail round %lld: %s\n", round, lr_store_errmsg(store));
      return 1;
    }
    if (st.rows_written + st.rows_skipped != OOO_USERS ||
        (parity == 2 && round < OOO_ROUNDS && st.rows_skipped != OOO_USERS)) {
      dprintf(out, "fail round %lld: %zu written, %zu skipped\n", round,
              st.rows_written, st.rows_skipped);
      return 1;
    }
    dprintf(out, "%lld\n", round);
  }
  lr_store_close(store);
  return 0;
}

/* Runs the two writers of rf006 at once on the test's repo; then every
 * user reads the newest round (20). */
static void two_writers_out_of_order(const char *where) {
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  worker odd = start_worker(ooo_writer, stop, 1);
  worker even = start_worker(ooo_writer, stop, 2);
  close(stop[0]);
  int odd_code = end_worker(&odd), even_code = end_worker(&even);
  close(stop[1]);
  cr_assert_eq(odd_code, 0, "%s, the odd rounds' writer: %s", where,
               odd.last);
  cr_assert_eq(even_code, 0, "%s, the even rounds' writer: %s", where,
               even.last);
  cr_assert_eq(odd.lines, OOO_ROUNDS / 2);
  cr_assert_eq(even.lines, OOO_ROUNDS / 2);
  assert_round(OOO_FIRST, OOO_USERS, OOO_ROUNDS, where);
}

/* Two processes write the same 1,000 users at once, each its rounds
 * newest first (older rows arriving after newer ones, from either
 * process): on a standalone server and on a 3-master cluster, every user
 * reads the newest row, and the newest writer's later rounds are all
 * skipped. */
Test(rfault, rf006_two_processes_writing_out_of_order_the_newest_row_wins,
     .init = setup_redis) {
  two_writers_out_of_order("standalone");
  setup_cluster(1048576);
  two_writers_out_of_order("cluster");
}

/* ---- rf007: a slot of several buckets moved key by key ------------------ */

enum { MANY_USERS = 30000 };

/* The slot of node 0 holding the most buckets of user_recent; *keys gets
 * how many. */
static unsigned fullest_slot(int *keys) {
  static int count[16384];
  buckets_by_slot(0, count);
  unsigned best = 0;
  for (unsigned k = 1; k < 16384; k++)
    if (count[k] > count[best])
      best = k;
  *keys = count[best];
  return best;
}

/* 30,000 users in 2^20 buckets: a slot holds several buckets, so a call
 * of the write script names several keys. The slot of node 0 with the
 * most moves to node 1 one key every 300 ms while a second process writes
 * every user round after round: a call of that slot is answered TRYAGAIN
 * (some of its keys moved, some not) for longer than the client retries,
 * and its rows are sent again one bucket a call. Every write succeeds,
 * node 0 answered TRYAGAIN, and every user reads the last round. */
Test(rfault, rf007_a_slot_of_many_buckets_moved_slowly_fails_no_write) {
  setup_cluster(1048576);
  write_ok(MIG_FIRST, MANY_USERS, 1);
  int keys;
  unsigned slot = fullest_slot(&keys);
  cr_assert_geq(keys, 4, "slot %u holds %d buckets", slot, keys);
  int stop[2];
  cr_assert_eq(pipe(stop), 0);
  worker writer = start_worker(rounds_writer, stop, MANY_USERS);
  close(stop[0]);
  wait_started(&writer, 1);
  int before = writer.lines;
  char to_id[64];
  th_redis_node_id(g_cluster.port[1], to_id, sizeof to_id);
  th_cluster_begin_migration(&g_cluster, slot, 0, 1);
  int step = th_cluster_end_migration(&g_cluster, slot, 0, 1, to_id, 300000,
                                      0);
  cr_assert_eq(step, 0, "slot %u: the migration failed at step %d", slot,
               step);
  drain(&writer);
  int rounds = writer.lines - before;
  close(stop[1]);
  cr_assert_eq(end_worker(&writer), 0, "the writer: %s", writer.last);
  cr_assert_gt(rounds, 0, "no write ran during the migration");
  long long tryagain = server_count(0, "errorstats",
                                    "errorstat_TRYAGAIN:count=");
  fprintf(stderr, "rf007: slot %u of %d buckets moved; %d rounds written "
          "meanwhile; node 0 answered %lld TRYAGAIN\n", slot, keys, rounds,
          tryagain);
  cr_assert_gt(tryagain, 0, "no call met the slot half moved");
  assert_round(MIG_FIRST, MANY_USERS, atoll(writer.last),
               "after the migration");
}

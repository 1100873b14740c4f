/*
 * test_log.c - the write log (src/replication/log.c, log_redis.c) against
 * a real redis-server that each test starts on a free loopback port
 * (tests/process.h) and that dies with it: appends and reads in order with
 * binary bytes, refused re-appends, bounds, blocking reads woken by
 * another process, trimming, gaps, reconnecting after Redis restarts, and
 * the whole message of every failure (a bad URL, an unreachable server, a
 * key of another type, entries Larder did not write, bad arguments).
 */
#include <hiredis/hiredis.h>
#include <stdarg.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "replication/log.h"

/* The test's redis-server (0 until started) and its port; the handles a
 * failed assertion would leave open; the message buffer every call uses
 * and the one lr__log_get copies into. The suite's fini closes, stops and
 * frees them. */
static pid_t g_redis;
static int g_port;
enum { MAX_LOGS = 4 };
static lr__log *g_logs[MAX_LOGS];
static lr__buf g_err, g_got;

static void cleanup(void) {
  for (int i = 0; i < MAX_LOGS; i++) {
    lr__log_close(g_logs[i]);
    g_logs[i] = NULL;
  }
  th_kill_children();
  lr__buf_free(&g_err);
  lr__buf_free(&g_got);
  th_free_kept();
}

TestSuite(log, .fini = cleanup);

static const char *err_text(void) { return lr__buf_str(&g_err); }

/* The URL of database `db` of the test's server, started on first use. */
static const char *url_of_db(int db) {
  static char url[64];
  if (!g_redis)
    g_redis = th_redis_start(&g_port);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d/%d", g_port, db);
  return url;
}

static const char *url(void) { return url_of_db(0); }

/* Opens the log at `at` on `stream`, kept for teardown. */
static lr__log *open_at(const char *at, const char *stream,
                        unsigned long long retention, int timeout_ms) {
  lr__log *log = NULL;
  int rc = lr__log_open(at, stream, retention, timeout_ms, &log, &g_err);
  cr_assert_eq(rc, 0, "lr__log_open: %s", err_text());
  for (int i = 0; i < MAX_LOGS; i++)
    if (!g_logs[i]) {
      g_logs[i] = log;
      return log;
    }
  cr_assert_fail("more than %d logs open", MAX_LOGS);
  return NULL;
}

static lr__log *open_log(const char *stream) {
  return open_at(url(), stream, 0, 2000);
}

static void append(lr__log *log, unsigned long long seq, const void *data,
                   size_t len) {
  cr_assert_eq(lr__log_append(log, seq, data, len, &g_err), 0,
               "append %llu: %s", seq, err_text());
}

static void append_text(lr__log *log, unsigned long long seq,
                        const char *text) {
  append(log, seq, text, strlen(text));
}

/* Asserts the log's bounds. */
static void check_bounds(lr__log *log, unsigned long long first,
                         unsigned long long last) {
  unsigned long long got_first = 99, got_last = 99;
  cr_assert_eq(lr__log_bounds(log, &got_first, &got_last, &g_err), 0, "%s",
               err_text());
  cr_assert(got_first == first && got_last == last,
            "bounds %llu..%llu, wanted %llu..%llu", got_first, got_last,
            first, last);
}

/* Asserts a call's status and its whole message. */
static void check_failure(int rc, int want_rc, const char *want) {
  cr_assert_eq(rc, want_rc, "status %d (%s), wanted %d", rc, err_text(),
               want_rc);
  cr_assert_str_eq(err_text(), want);
}

/* Gets entry `seq` into g_got; returns the status. */
static int get(lr__log *log, unsigned long long seq) {
  return lr__log_get(log, seq, &g_got, &g_err);
}

/* Runs a command on the test's server through a connection of its own
 * (to make what Larder would not: a key of another type, foreign
 * entries). */
static void redis_do(const char *fmt, ...) {
  redisContext *c = redisConnect("127.0.0.1", g_port);
  cr_assert(c && !c->err, "cannot connect to the test's redis-server");
  va_list ap;
  va_start(ap, fmt);
  redisReply *r = redisvCommand(c, fmt, ap);
  va_end(ap);
  int ok = r && r->type != REDIS_REPLY_ERROR;
  freeReplyObject(r);
  redisFree(c);
  cr_assert(ok, "the command %s failed", fmt);
}

/* What a read handed to its callback: each entry's seq and bytes, in
 * order; the callback returns 7 at seq `stop_at`. */
typedef struct seen {
  int n;
  unsigned long long seq[512];
  size_t len[512];
  size_t used;
  char bytes[8192]; /* every entry's data, one after another */
  unsigned long long stop_at;
} seen;

static int collect(void *ctx, const lr__log_entry *e) {
  seen *s = ctx;
  if (s->n == 512 || s->used + e->len > sizeof s->bytes)
    return -1000; /* more than a test writes: fails the read's check */
  s->seq[s->n] = e->seq;
  s->len[s->n++] = e->len;
  memcpy(s->bytes + s->used, e->data, e->len);
  s->used += e->len;
  return e->seq == s->stop_at ? 7 : 0;
}

/* The seqs seen, as "1,2,3", for one assertion. */
static const char *seqs(const seen *s) {
  static char text[4096];
  size_t at = 0;
  text[0] = '\0';
  for (int i = 0; i < s->n && at < sizeof text; i++)
    at += (size_t)snprintf(text + at, sizeof text - at, "%s%llu",
                           i ? "," : "", s->seq[i]);
  return text;
}

/* Reads into a fresh `s` and returns the read's status. */
static int read_into(lr__log *log, unsigned long long after, int max,
                     int block_ms, seen *s) {
  unsigned long long stop_at = s->stop_at;
  memset(s, 0, sizeof *s);
  s->stop_at = stop_at;
  return lr__log_read(log, after, max, block_ms, collect, s, &g_err);
}

/* Entries with NULs, 0xff, an empty one and one of every byte value come
 * back in order and byte for byte, from any point. */
Test(log, l001_append_then_read_in_order) {
  lr__log *log = open_log("larder:t");
  char every[3000];
  for (size_t i = 0; i < sizeof every; i++)
    every[i] = (char)(i % 256);
  const struct {
    const char *data;
    size_t len;
  } entries[] = {{"a\0b", 3}, {"\0\0\xff\n", 4}, {"", 0},
                 {every, sizeof every}};
  for (int i = 0; i < 4; i++)
    append(log, (unsigned long long)i + 1, entries[i].data, entries[i].len);
  seen s = {0};
  cr_assert_eq(read_into(log, 0, 100, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "1,2,3,4");
  size_t at = 0;
  for (int i = 0; i < 4; i++) {
    cr_assert_eq(s.len[i], entries[i].len, "entry %d", i + 1);
    cr_assert(!memcmp(s.bytes + at, entries[i].data, entries[i].len),
              "entry %d's bytes differ", i + 1);
    at += s.len[i];
  }
  cr_assert_eq(read_into(log, 2, 100, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "3,4");
  cr_assert_eq(read_into(log, 4, 100, 0, &s), 0, "%s", err_text());
  cr_assert_eq(s.n, 0, "nothing comes after the last entry");
}

/* Appending at the last seq or below is LR_EEXISTS and changes nothing. */
Test(log, l002_reappend_same_or_older_seq_is_exists) {
  lr__log *log = open_log("larder:t");
  for (unsigned long long seq = 1; seq <= 3; seq++)
    append_text(log, seq, "first");
  char want[256];
  for (unsigned long long seq = 3; seq >= 2; seq--) {
    snprintf(want, sizeof want, "cannot append entry %llu to the stream "
             "larder:t at %s: it holds entry %llu or a later one already",
             seq, url(), seq);
    check_failure(lr__log_append(log, seq, "again", 5, &g_err), LR_EEXISTS,
                  want);
  }
  check_bounds(log, 1, 3);
  cr_assert_eq(get(log, 3), 0, "%s", err_text());
  cr_assert(g_got.len == 5 && !memcmp(g_got.data, "first", 5),
            "entry 3 changed");
}

/* A missing stream and an emptied one are 0..0; a filled one first..last. */
Test(log, l003_bounds_of_missing_empty_and_filled_stream) {
  lr__log *log = open_log("larder:t");
  check_bounds(log, 0, 0);
  for (unsigned long long seq = 1; seq <= 3; seq++)
    append_text(log, seq, "x");
  check_bounds(log, 1, 3);
  redis_do("XDEL larder:t 1-0 2-0 3-0"); /* the key stays, empty */
  check_bounds(log, 0, 0);
}

/* A read that waits is woken by an append from another process. */
Test(log, l004_blocking_read_returns_when_another_connection_appends) {
  lr__log *log = open_log("larder:t");
  const char *at = url();
  fflush(NULL);
  pid_t child = fork();
  cr_assert_geq(child, 0, "fork failed");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    usleep(300 * 1000);
    lr__buf err;
    lr__buf_init(&err);
    lr__log *other = NULL;
    int rc = lr__log_open(at, "larder:t", 0, 2000, &other, &err);
    if (!rc)
      rc = lr__log_append(other, 1, "late", 4, &err);
    _exit(rc ? 1 : 0);
  }
  th_track_child(child);
  seen s = {0};
  long long start = th_now_ms();
  cr_assert_eq(read_into(log, 0, 10, 5000, &s), 0, "%s", err_text());
  long long waited = th_now_ms() - start;
  cr_assert_str_eq(seqs(&s), "1");
  cr_assert(s.len[0] == 4 && !memcmp(s.bytes, "late", 4));
  cr_assert(waited >= 200 && waited < 4000, "waited %lld ms", waited);
  int st = 0;
  cr_assert(th_reap(child, 5000, &st) && th_exit_code(st) == 0,
            "the appending child failed");
  th_untrack_child(child);
}

/* With nothing new a read waits about block_ms (also past the command
 * timeout) and returns 0 with no entry; block_ms 0 does not wait. */
Test(log, l005_blocking_read_times_out_with_nothing) {
  lr__log *log = open_at(url(), "larder:t", 0, 200);
  append_text(log, 1, "x");
  seen s = {0};
  long long start = th_now_ms();
  cr_assert_eq(read_into(log, 1, 10, 600, &s), 0, "%s", err_text());
  long long waited = th_now_ms() - start;
  cr_assert_eq(s.n, 0);
  cr_assert(waited >= 550 && waited < 3000, "waited %lld ms", waited);
  start = th_now_ms();
  cr_assert_eq(read_into(log, 1, 10, 0, &s), 0, "%s", err_text());
  waited = th_now_ms() - start;
  cr_assert(s.n == 0 && waited < 150, "%d entries, %lld ms", s.n, waited);
  check_bounds(log, 1, 1); /* the handle still works */
}

/* A read hands over at most `max` entries; a callback's nonzero value
 * stops it and is what it returns. */
Test(log, l006_read_max_and_callback_stop) {
  lr__log *log = open_log("larder:t");
  for (unsigned long long seq = 1; seq <= 5; seq++)
    append_text(log, seq, "x");
  seen s = {0};
  cr_assert_eq(read_into(log, 0, 3, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "1,2,3");
  s.stop_at = 4;
  cr_assert_eq(read_into(log, 3, 10, 0, &s), 7);
  cr_assert_str_eq(seqs(&s), "4", "the read went on after the stop");
}

/* lr__log_get copies the entry into `out` (replacing what it held), or
 * says which entry the stream does not hold. */
Test(log, l007_get_found_and_not_found) {
  lr__log *log = open_log("larder:t");
  append(log, 1, "one\0x", 5);
  append_text(log, 2, "two");
  lr__buf_puts(&g_got, "what was there");
  cr_assert_eq(get(log, 1), 0, "%s", err_text());
  cr_assert(g_got.len == 5 && !memcmp(g_got.data, "one\0x", 5),
            "entry 1 came back as %zu bytes", g_got.len);
  char want[256];
  snprintf(want, sizeof want, "the stream larder:t at %s holds no entry 3 "
           "(trimmed, or not appended yet)", url());
  check_failure(get(log, 3), LR_ENOTFOUND, want);
}

/* With a retention the stream drops its oldest entries (whole nodes:
 * about, not exactly, `retention` stay). */
Test(log, l008_retention_trims_old_entries) {
  lr__log *log = open_at(url(), "larder:t", 10, 2000);
  for (unsigned long long seq = 1; seq <= 300; seq++)
    append_text(log, seq, "entry");
  unsigned long long first, last;
  cr_assert_eq(lr__log_bounds(log, &first, &last, &g_err), 0, "%s",
               err_text());
  cr_assert(first > 1 && last == 300, "bounds %llu..%llu", first, last);
  cr_assert_eq(get(log, 1), LR_ENOTFOUND, "entry 1 outlived the retention");
}

/* The log does not check contiguity: 1, 5, 9 are kept and read as they
 * are, and order is still enforced. */
Test(log, l009_gaps_are_allowed) {
  lr__log *log = open_log("larder:t");
  append_text(log, 1, "a");
  append_text(log, 5, "b");
  append_text(log, 9, "c");
  seen s = {0};
  cr_assert_eq(read_into(log, 0, 10, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "1,5,9");
  cr_assert_eq(read_into(log, 2, 10, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "5,9", "a read from inside a gap");
  check_bounds(log, 1, 9);
  cr_assert_eq(get(log, 5), 0, "%s", err_text());
  cr_assert_eq(get(log, 3), LR_ENOTFOUND);
  cr_assert_eq(lr__log_append(log, 7, "d", 1, &g_err), LR_EEXISTS);
  append_text(log, 10, "e");
}

/* Nobody listening: LR_EIO naming the address (defaults filled in) and
 * the fix, and no handle. */
Test(log, l010_unreachable_server_message) {
  const char *const urls[] = {"redis://127.0.0.1:1/0", "redis://127.0.0.1:1"};
  for (int i = 0; i < 2; i++) {
    lr__log *log = (lr__log *)&g_err; /* must be set to NULL */
    check_failure(lr__log_open(urls[i], "larder:t", 0, 1000, &log, &g_err),
                  LR_EIO, "cannot reach the write log at "
                  "redis://127.0.0.1:1/0: Connection refused; start "
                  "redis-server there or fix `replication.log` in "
                  "feature_store.yaml");
    cr_assert_null(log);
  }
}

/* Every malformed URL is LR_EINVAL, quoting it and what is accepted. */
Test(log, l011_bad_url_messages) {
  static const struct {
    const char *url, *problem;
  } cases[] = {
      {"ftp://127.0.0.1:6379", "does not start with a scheme Larder knows"},
      {"127.0.0.1:6379", "does not start with a scheme Larder knows"},
      {"", "does not start with a scheme Larder knows"},
      {"redis:/127.0.0.1", "does not start with a scheme Larder knows"},
      {"redis://", "names no host"},
      {"redis://:6379/0", "names no host"},
      {"redis://user@host:6379", "has a bad host (letters, digits, '.', "
       "'-', '_')"},
      {"redis://host:", "has a bad port (1 to 65535)"},
      {"redis://host:0", "has a bad port (1 to 65535)"},
      {"redis://host:65536", "has a bad port (1 to 65535)"},
      {"redis://host:63x9", "has a bad port (1 to 65535)"},
      {"redis://host:6379/", "has a bad database (a number from 0)"},
      {"redis://host:6379/x", "has a bad database (a number from 0)"},
      {"redis://host/0/1", "has a bad database (a number from 0)"},
      {"redis://host/99999999999", "has a bad database (a number from 0)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    lr__log *log = NULL;
    char want[512];
    snprintf(want, sizeof want, "the write log URL `%s` %s: use "
             "redis://HOST:PORT[/DB] (fix `replication.log` in "
             "feature_store.yaml)", cases[i].url, cases[i].problem);
    check_failure(lr__log_open(cases[i].url, "larder:t", 0, 1000, &log,
                               &g_err), LR_EINVAL, want);
  }
  lr__log *log = NULL;
  check_failure(lr__log_open(NULL, "larder:t", 0, 1000, &log, &g_err),
                LR_EINVAL, "the write log URL `` does not start with a "
                "scheme Larder knows: use redis://HOST:PORT[/DB] (fix "
                "`replication.log` in feature_store.yaml)");
}

/* The stream's key holding a string: every call is LR_EIO naming it. */
Test(log, l012_key_of_another_type) {
  lr__log *log = open_log("larder:s");
  redis_do("SET larder:s not-a-stream");
  char want[256];
  snprintf(want, sizeof want, "the key larder:s at %s holds something other "
           "than a stream; fix `replication.stream` in feature_store.yaml",
           url());
  unsigned long long first, last;
  seen s = {0};
  check_failure(lr__log_append(log, 1, "x", 1, &g_err), LR_EIO, want);
  check_failure(lr__log_bounds(log, &first, &last, &g_err), LR_EIO, want);
  check_failure(read_into(log, 0, 10, 0, &s), LR_EIO, want);
  check_failure(get(log, 1), LR_EIO, want);
}

/* Redis killed: the call on the dead connection fails, the next finds
 * nobody, and once a new redis-server listens on the same port the same
 * handle connects again and sees its (empty) stream. */
Test(log, l013_reconnects_after_redis_restarts) {
  lr__log *log = open_log("larder:t");
  append_text(log, 1, "a");
  append_text(log, 2, "b");
  check_bounds(log, 1, 2);
  th_redis_stop(g_redis);
  unsigned long long first, last;
  char want[512];
  snprintf(want, sizeof want, "lost the write log at %s during XRANGE on "
           "larder:t: Server closed the connection; check that redis-server "
           "runs there and answers within 2000 ms (the next call connects "
           "again)", url());
  check_failure(lr__log_bounds(log, &first, &last, &g_err), LR_EIO, want);
  snprintf(want, sizeof want, "cannot reach the write log at %s: Connection "
           "refused; start redis-server there or fix `replication.log` in "
           "feature_store.yaml", url());
  check_failure(lr__log_bounds(log, &first, &last, &g_err), LR_EIO, want);
  g_redis = th_redis_start(&g_port); /* the same port */
  check_bounds(log, 0, 0);
  append_text(log, 1, "again");
  seen s = {0};
  cr_assert_eq(read_into(log, 0, 10, 0, &s), 0, "%s", err_text());
  cr_assert_str_eq(seqs(&s), "1");
}

/* "/DB" selects that database (and the scheme ignores case); one the
 * server does not have is LR_EIO naming it. */
Test(log, l014_database_from_the_url) {
  char db3[64];
  snprintf(db3, sizeof db3, "REDIS%s", url_of_db(3) + strlen("redis"));
  lr__log *in3 = open_at(db3, "larder:t", 0, 2000);
  append_text(in3, 1, "x");
  check_bounds(in3, 1, 1);
  check_bounds(open_log("larder:t"), 0, 0); /* database 0 */
  lr__log *log = NULL;
  char want[256];
  snprintf(want, sizeof want, "the write log at %s refused SELECT 16: ERR DB "
           "index is out of range; fix `replication.log` in "
           "feature_store.yaml", url_of_db(16));
  check_failure(lr__log_open(url_of_db(16), "larder:t", 0, 2000, &log,
                             &g_err), LR_EIO, want);
  cr_assert_null(log);
}

/* Entries of another ID form or other fields are LR_EIO naming the stream
 * and the entry, from every call that meets them. */
Test(log, l015_entries_larder_did_not_write) {
  lr__log *log = open_log("larder:f");
  redis_do("XADD larder:f 5-1 e x");
  static const char *const other_fields[] = {"XADD larder:g 5-0 f x",
                                             "XADD larder:h 5-0 e x f y"};
  char want[512];
  snprintf(want, sizeof want, "the stream larder:f at %s holds an entry "
           "Larder did not write (ID 5-1; Larder writes ID SEQ-0 with the "
           "one field `e`); point `replication.stream` in feature_store.yaml "
           "at a stream of Larder's own", url());
  seen s = {0};
  check_failure(read_into(log, 0, 10, 0, &s), LR_EIO, want);
  unsigned long long first, last;
  check_failure(lr__log_bounds(log, &first, &last, &g_err), LR_EIO, want);
  for (int i = 0; i < 2; i++) {
    redis_do(other_fields[i]);
    const char *key = i ? "larder:h" : "larder:g";
    snprintf(want, sizeof want, "the stream %s at %s holds an entry Larder "
             "did not write (ID 5-0; Larder writes ID SEQ-0 with the one "
             "field `e`); point `replication.stream` in feature_store.yaml "
             "at a stream of Larder's own", key, url());
    check_failure(get(open_log(key), 5), LR_EIO, want);
  }
}

/* Arguments out of range are LR_EINVAL saying which and what is allowed. */
Test(log, l016_bad_arguments) {
  lr__log *log = NULL;
  check_failure(lr__log_open("redis://127.0.0.1:1/0", "", 0, 1000, &log,
                             &g_err), LR_EINVAL,
                "no stream is named for the write log at "
                "redis://127.0.0.1:1/0: set `replication.stream` in "
                "feature_store.yaml");
  check_failure(lr__log_open("redis://127.0.0.1:1/0", "larder:t", 0, 0, &log,
                             &g_err), LR_EINVAL,
                "the write log's timeout must be at least 1 ms, not 0");
  log = open_log("larder:t");
  check_failure(lr__log_append(log, 0, "x", 1, &g_err), LR_EINVAL,
                "cannot append entry 0 to the write log: sequence numbers "
                "start at 1");
  seen s = {0};
  const int bad[][2] = {{0, 0}, {1, -1}};
  for (int i = 0; i < 2; i++) {
    char want[256];
    snprintf(want, sizeof want, "cannot read the write log with max %d and "
             "block_ms %d: max must be at least 1, block_ms at least 0",
             bad[i][0], bad[i][1]);
    check_failure(read_into(log, 0, bad[i][0], bad[i][1], &s), LR_EINVAL,
                  want);
  }
}

/* Redis gone before a large append: hiredis' write(2) to the dead socket
 * raises SIGPIPE, whose default action would end this process; the call
 * fails instead, leaves SIGPIPE neither blocked nor pending, and the next
 * one reconnects. */
Test(log, l017_server_gone_mid_write_is_an_error_not_sigpipe) {
  sigset_t pipe_only, mask, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &pipe_only, NULL);
  lr__log *log = open_log("larder:t");
  append_text(log, 1, "a");
  size_t big = 16u << 20; /* more than one write(2) can send */
  char *data = th_keep(calloc(1, big));
  th_redis_stop(g_redis);
  char want[512];
  snprintf(want, sizeof want, "lost the write log at %s during XADD on "
           "larder:t: Broken pipe; check that redis-server runs there and "
           "answers within 2000 ms (the next call connects again)", url());
  check_failure(lr__log_append(log, 2, data, big, &g_err), LR_EIO, want);
  th_release(data);
  sigprocmask(SIG_BLOCK, NULL, &mask);
  sigpending(&pending);
  cr_assert(!sigismember(&mask, SIGPIPE) && !sigismember(&pending, SIGPIPE),
            "SIGPIPE was left blocked or pending");
  g_redis = th_redis_start(&g_port);
  append_text(log, 1, "again");
  check_bounds(log, 1, 1);
}

/*
 * test_redis.c - the Redis layer (src/redis/) against real redis-server
 * processes on loopback (tests/redis_fixture.h), each started by its test
 * and stopped by its pid: the key slot against the specification's
 * examples and a server's CLUSTER KEYSLOT; the cluster client's routing
 * on a 3-master cluster, a slot migrated while batches of writes and
 * reads run (MOVED and ASK), a node killed, and the whole message of each
 * failure (a node down, a timeout, OOM, a wrong or missing password).
 */
#include <hiredis/hiredis.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "redis/cluster.h"
#include "redis/slot.h"
#include "redis_fixture.h"

/* The servers a test started (zeroed ones are skipped): the teardown stops
 * what a failed assertion left running. */
static th_redis g_server;
static th_cluster g_cluster;

static lr__redis_cluster *g_client;
static lr__buf g_err;

static void cleanup(void) {
  lr__redis_cluster_close(g_client);
  g_client = NULL;
  lr__buf_free(&g_err);
  th_redis_down(&g_server);
  th_cluster_down(&g_cluster);
  th_kill_children();
  th_free_kept();
}

TestSuite(redis, .fini = cleanup);

/* ---- the key slot ---------------------------------------------------- */

/* The specification's CRC16 check value and its hash tag examples. */
Test(redis, rd001_slot_matches_the_cluster_specification) {
  cr_assert_eq(lr__redis_crc16("123456789", 9), 0x31C3);
  cr_assert_eq(lr__redis_key_slot("foo", 3), 12182);
  cr_assert_eq(lr__redis_key_slot("{user1000}.following", 20),
               lr__redis_key_slot("user1000", 8));
  cr_assert_eq(lr__redis_key_slot("{user1000}.followers", 20),
               lr__redis_key_slot("user1000", 8));
  cr_assert_eq(lr__redis_key_slot("foo{}{bar}", 10),
               lr__redis_crc16("foo{}{bar}", 10) % 16384, "empty tag: the "
               "whole key");
  cr_assert_eq(lr__redis_key_slot("foo{{bar}}zap", 13),
               lr__redis_key_slot("{bar", 4));
  cr_assert_eq(lr__redis_key_slot("foo{bar}{zap}", 13),
               lr__redis_key_slot("bar", 3));
  cr_assert_eq(lr__redis_key_slot("{a", 2), lr__redis_crc16("{a", 2) % 16384,
               "no closing brace: the whole key");
  cr_assert_eq(lr__redis_key_slot("", 0), 0);
}

/* Random binary keys (NULs, braces and all) against CLUSTER KEYSLOT of a
 * cluster-enabled server. */
Test(redis, rd002_slot_matches_cluster_keyslot_for_random_keys) {
  static const char *const extra[] = {"--cluster-enabled", "yes", NULL};
  th_redis_up(&g_server, extra);
  redisContext *c = redisConnect("127.0.0.1", g_server.port);
  cr_assert(c && !c->err);
  static const char alphabet[] = "{}ab\0\xff";
  uint64_t rnd = 17;
  for (int i = 0; i < 2000; i++) {
    unsigned char key[40];
    size_t len = th_random(&rnd) % sizeof key;
    for (size_t k = 0; k < len; k++)
      key[k] = i % 2 ? (unsigned char)th_random(&rnd)
                     : (unsigned char)alphabet[th_random(&rnd) % 6];
    redisReply *r = redisCommand(c, "CLUSTER KEYSLOT %b", key, len);
    cr_assert(r && r->type == REDIS_REPLY_INTEGER, "%s",
              r ? r->str : c->errstr);
    cr_assert_eq((long long)lr__redis_key_slot(key, len), r->integer,
                 "key %d of %zu bytes", i, len);
    freeReplyObject(r);
  }
  redisFree(c);
  th_redis_down(&g_server);
}

/* ---- batches --------------------------------------------------------- */

/* A batch being built: each command's words (kept in `text`, NUL after
 * each), its argv and its key. */
enum { MAX_CMDS = 4096, MAX_ARGS = 3 };
typedef struct cmds {
  lr__redis_command cmd[MAX_CMDS];
  lr__redis_answer answer[MAX_CMDS];
  char text[MAX_CMDS][MAX_ARGS][64];
  const char *argv[MAX_CMDS][MAX_ARGS];
  size_t n;
} cmds;

/* Adds command WORD KEY [VALUE] (VALUE NULL: none), routed by KEY. */
static void add(cmds *b, const char *word, const char *key,
                const char *value) {
  cr_assert_lt(b->n, MAX_CMDS);
  size_t i = b->n++;
  const char *words[MAX_ARGS] = {word, key, value};
  int argc = value ? 3 : 2;
  for (int k = 0; k < argc; k++) {
    snprintf(b->text[i][k], sizeof b->text[i][k], "%s", words[k]);
    b->argv[i][k] = b->text[i][k];
  }
  b->cmd[i] = (lr__redis_command){.argc = argc, .argv = b->argv[i],
                                  .key = b->text[i][1],
                                  .key_len = strlen(b->text[i][1])};
}

/* Runs the batch on g_client; returns its code (the message in g_err). */
static int run(cmds *b) {
  lr__redis_answers_clear(b->answer, b->n);
  return lr__redis_cluster_batch(g_client, b->cmd, b->n, b->answer, &g_err);
}

/* The answers are OK for the SETs and VALUE for the GETs, in order. */
static void assert_answers(const cmds *b, const char *when) {
  for (size_t i = 0; i < b->n; i++) {
    const lr__redis_answer *a = &b->answer[i];
    cr_assert_null(a->error, "%s, command %zu: %s", when, i, a->error);
    if (!strcmp(b->argv[i][0], "GET"))
      cr_assert(a->reply->type == REDIS_REPLY_STRING &&
                !strcmp(a->reply->str, b->argv[i - 1][2]),
                "%s: GET %s answered %s, not %s", when, b->argv[i][1],
                a->reply->type == REDIS_REPLY_STRING ? a->reply->str : "nil",
                b->argv[i - 1][2]);
    else
      cr_assert(a->reply->type == REDIS_REPLY_STATUS, "%s: %s", when,
                b->argv[i][0]);
  }
}

/* Opens g_client on the cluster, seeded with node `seed` only. */
static void open_cluster(int seed) {
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", g_cluster.port[seed]);
  const char *seeds[] = {addr};
  lr__redis_options o = {.seeds = seeds, .n_seeds = 1, .cluster = 1,
                         .conn = {.connect_timeout_ms = 1000,
                                  .command_timeout_ms = 2000}};
  cr_assert_eq(lr__redis_cluster_open(&o, &g_client, &g_err), 0, "%s",
               lr__buf_str(&g_err));
}

/* Opens g_client on the standalone server with `password` (NULL: none)
 * and a command timeout of `timeout_ms`; returns the code. */
static int open_server(const char *password, int timeout_ms) {
  char addr[32];
  snprintf(addr, sizeof addr, "127.0.0.1:%d", g_server.port);
  const char *seeds[] = {addr};
  lr__redis_options o = {.seeds = seeds, .n_seeds = 1,
                         .conn = {.connect_timeout_ms = 1000,
                                  .command_timeout_ms = timeout_ms,
                                  .password = password}};
  return lr__redis_cluster_open(&o, &g_client, &g_err);
}

/* SET then GET of `n` keys "PREFIX:I" to "VALUE-I". */
static void add_set_get(cmds *b, const char *prefix, int n,
                        const char *value) {
  for (int i = 0; i < n; i++) {
    char key[64], v[64];
    snprintf(key, sizeof key, "%s:%d", prefix, i);
    snprintf(v, sizeof v, "%s-%d", value, i);
    add(b, "SET", key, v);
    add(b, "GET", key, NULL);
  }
}

/* Each key of a batch lives on the node the client routed it to (a GET
 * there answers, where another node would answer MOVED), and every node
 * holds some. */
Test(redis, rd003_batches_route_each_key_to_its_slots_master) {
  th_cluster_up(&g_cluster, NULL);
  open_cluster(0);
  static cmds b;
  add_set_get(&b, "route", 600, "v");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  assert_answers(&b, "the batch");
  int held[TH_MASTERS] = {0};
  for (size_t i = 0; i < b.n; i += 2) {
    const char *name =
        lr__redis_cluster_node_of(g_client, b.cmd[i].key, b.cmd[i].key_len);
    cr_assert_not_null(name);
    int node = th_cluster_node_of(&g_cluster, atoi(strchr(name, ':') + 1));
    cr_assert_geq(node, 0, "%s is no node of the cluster", name);
    redisReply *r =
        th_redis_direct(g_cluster.port[node], "GET %s", b.argv[i][1]);
    cr_assert(r && r->type == REDIS_REPLY_STRING &&
              !strcmp(r->str, b.argv[i][2]), "%s on %s: %s", b.argv[i][1],
              name, r ? r->str : "no answer");
    freeReplyObject(r);
    held[node]++;
  }
  for (int k = 0; k < TH_MASTERS; k++)
    cr_assert_gt(held[k], 100, "node %d holds %d of 600 keys", k, held[k]);
  unsigned long long moved, asked;
  lr__redis_cluster_redirects(g_client, &moved, &asked);
  cr_assert_eq(moved + asked, 0, "the map was right: no redirection");
  th_cluster_down(&g_cluster);
}

/* Slot S of the keys "{mig}:I" moves from its master A to another, B:
 * B IMPORTING, A MIGRATING (a new key's SET is then answered ASK by A and
 * lands on B), then a child MIGRATEs the keys and gives the slot to B
 * while batches of SET and GET run, each of which must succeed with every
 * GET seeing its SET; at the end every key reads back and the map says B. */
Test(redis, rd004_a_slot_migrated_while_batches_run_loses_nothing) {
  th_cluster_up(&g_cluster, NULL);
  open_cluster(0);
  static cmds b;
  add_set_get(&b, "{mig}", 200, "before");
  add_set_get(&b, "other", 200, "before");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  unsigned slot = lr__redis_key_slot("mig", 3);
  const char *owner = lr__redis_cluster_node_of(g_client, "{mig}", 5);
  int a = th_cluster_node_of(&g_cluster, atoi(strchr(owner, ':') + 1));
  int t = (a + 1) % TH_MASTERS;
  char t_id[64];
  th_redis_node_id(g_cluster.port[t], t_id, sizeof t_id);
  th_cluster_begin_migration(&g_cluster, slot, a, t);

  b.n = 0;
  add(&b, "SET", "{mig}:new", "asked");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  unsigned long long moved, asked;
  lr__redis_cluster_redirects(g_client, &moved, &asked);
  cr_assert_eq(asked, 1, "A answers ASK for a key it does not hold");
  redisContext *on_t = redisConnect("127.0.0.1", g_cluster.port[t]);
  cr_assert(on_t && !on_t->err);
  freeReplyObject(redisCommand(on_t, "ASKING"));
  redisReply *r = redisCommand(on_t, "GET {mig}:new");
  cr_assert(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "asked"),
            "the new key is on the importing node");
  freeReplyObject(r);
  redisFree(on_t);

  pid_t child = th_fork_child(); /* the migration's second half */
  if (child == 0)
    _exit(th_cluster_end_migration(&g_cluster, slot, a, t, t_id, 3000, 0));
  int batches = 0, st = 0;
  for (long long end = th_now_ms() + 60000; !th_wait_exit(child, 0, &st);
       batches++) {
    cr_assert_lt(th_now_ms(), end, "the migration did not end in 60 s");
    char value[32];
    snprintf(value, sizeof value, "round%d", batches);
    b.n = 0;
    add_set_get(&b, "{mig}", 200, value);
    add_set_get(&b, "other", 50, value);
    cr_assert_eq(run(&b), 0, "batch %d: %s", batches, lr__buf_str(&g_err));
    assert_answers(&b, "during the migration");
  }
  th_untrack_child(child);
  cr_assert_eq(th_exit_code(st), 0, "the migration failed (exit %d)",
               th_exit_code(st));

  b.n = 0;
  for (int i = 0; i < 200; i++) {
    char key[32];
    snprintf(key, sizeof key, "{mig}:%d", i);
    add(&b, "GET", key, NULL);
  }
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  for (int i = 0; i < 200; i++) {
    char want[48];
    snprintf(want, sizeof want, "round%d-%d", batches - 1, i);
    cr_assert(b.answer[i].reply->type == REDIS_REPLY_STRING &&
              !strcmp(b.answer[i].reply->str, want), "{mig}:%d: %s, not %s",
              i, b.answer[i].reply->str, want);
  }
  lr__redis_cluster_redirects(g_client, &moved, &asked);
  cr_assert_gt(moved, 0, "the slot moved: MOVED at last");
  char want_owner[32];
  snprintf(want_owner, sizeof want_owner, "127.0.0.1:%d", g_cluster.port[t]);
  cr_assert_str_eq(lr__redis_cluster_node_of(g_client, "{mig}", 5),
                   want_owner);
  fprintf(stderr, "rd004: %d batches during the migration, %llu MOVED, "
          "%llu ASK\n", batches, moved, asked);
  th_cluster_down(&g_cluster);
}

/* The keys "kill:I" of node `node`'s slots, and the others. */
static int served_by(const char *key, int node) {
  const char *name = lr__redis_cluster_node_of(g_client, key, strlen(key));
  return atoi(strchr(name, ':') + 1) == g_cluster.port[node];
}

/* A killed master fails exactly the commands of its slots, each with
 * "cannot connect to HOST:PORT: Connection refused"; the others run. */
Test(redis, rd005_a_killed_node_fails_its_commands_naming_it) {
  th_cluster_up(&g_cluster, NULL);
  open_cluster(0);
  th_cluster_node_down(&g_cluster, 2);
  static cmds b;
  add_set_get(&b, "kill", 100, "v");
  cr_assert_eq(run(&b), LR_EIO);
  char want[96];
  snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%d: Connection "
           "refused", g_cluster.port[2]);
  size_t failed = 0, first = b.n;
  for (size_t i = 0; i < b.n; i++) {
    if (served_by(b.argv[i][1], 2)) {
      cr_assert_str_eq(b.answer[i].error, want, "command %zu", i);
      failed++;
      first = first < i ? first : i;
    } else {
      cr_assert_null(b.answer[i].error, "%s", b.answer[i].error);
    }
  }
  cr_assert_gt(failed, 0);
  char whole[256];
  snprintf(whole, sizeof whole, "%zu of 200 commands failed; the first, "
           "command %zu: %s", failed, first, want);
  cr_assert_str_eq(lr__buf_str(&g_err), whole);
  th_cluster_down(&g_cluster);
}

/* A master killed after the client connected to it: its commands fail
 * with "lost the connection to HOST:PORT during the batch: ...", the next
 * batch's with "cannot connect to ...". */
Test(redis, rd006_a_node_killed_between_batches_is_named) {
  th_cluster_up(&g_cluster, NULL);
  open_cluster(0);
  static cmds b;
  add_set_get(&b, "kill", 100, "v");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  th_cluster_node_down(&g_cluster, 1);
  char lost[96], refused[96];
  snprintf(lost, sizeof lost, "lost the connection to 127.0.0.1:%d during "
           "the batch: ", g_cluster.port[1]);
  snprintf(refused, sizeof refused, "cannot connect to 127.0.0.1:%d: "
           "Connection refused", g_cluster.port[1]);
  cr_assert_eq(run(&b), LR_EIO);
  for (size_t i = 0; i < b.n; i++)
    if (served_by(b.argv[i][1], 1))
      cr_assert(b.answer[i].error &&
                !strncmp(b.answer[i].error, lost, strlen(lost)), "%s",
                b.answer[i].error);
  cr_assert_eq(run(&b), LR_EIO);
  for (size_t i = 0; i < b.n; i++)
    if (served_by(b.argv[i][1], 1))
      cr_assert_str_eq(b.answer[i].error, refused);
  th_cluster_down(&g_cluster);
}

/* Starts g_server and sets its password to "secret" (once it answers:
 * the fixture's readiness check asks without one). */
static void start_with_password(void) {
  th_redis_up(&g_server, NULL);
  th_redis_must(g_server.port, "CONFIG SET requirepass %s", "secret");
}

/* A wrong password fails the open with the server's refusal. */
Test(redis, rd007_a_wrong_password_is_refused_whole) {
  start_with_password();
  cr_assert_eq(open_server("wrong", 1000), LR_EIO);
  char want[256];
  snprintf(want, sizeof want, "127.0.0.1:%d refused the password: WRONGPASS "
           "invalid username-password pair or user is disabled.",
           g_server.port);
  cr_assert_str_eq(lr__buf_str(&g_err), want);
  cr_assert_eq(open_server("secret", 1000), 0, "%s", lr__buf_str(&g_err));
  static cmds b;
  add_set_get(&b, "pw", 3, "v");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  th_redis_down(&g_server);
}

/* No password where one is wanted: each command's NOAUTH, whole. */
Test(redis, rd008_a_missing_password_fails_each_command) {
  start_with_password();
  cr_assert_eq(open_server(NULL, 1000), 0, "%s", lr__buf_str(&g_err));
  static cmds b;
  add(&b, "GET", "k", NULL);
  add(&b, "SET", "k", "v");
  cr_assert_eq(run(&b), LR_EIO);
  char get[128], set[128], whole[256];
  snprintf(get, sizeof get, "127.0.0.1:%d refused GET: NOAUTH "
           "Authentication required.", g_server.port);
  snprintf(set, sizeof set, "127.0.0.1:%d refused SET: NOAUTH "
           "Authentication required.", g_server.port);
  cr_assert_str_eq(b.answer[0].error, get);
  cr_assert_str_eq(b.answer[1].error, set);
  snprintf(whole, sizeof whole, "2 of 2 commands failed; the first, command "
           "0: %s", get);
  cr_assert_str_eq(lr__buf_str(&g_err), whole);
  th_redis_down(&g_server);
}

/* maxmemory reached: the SETs past it fail with the server's OOM, whole,
 * and the ones before it stand. */
Test(redis, rd009_maxmemory_fails_the_writes_past_it) {
  static const char *const extra[] = {"--maxmemory", "2mb",
                                      "--maxmemory-policy", "noeviction",
                                      NULL};
  th_redis_up(&g_server, extra);
  cr_assert_eq(open_server(NULL, 1000), 0, "%s", lr__buf_str(&g_err));
  static cmds b;
  static char big[60];
  memset(big, 'x', sizeof big - 1);
  for (int i = 0; i < MAX_CMDS; i++) {
    char key[32];
    snprintf(key, sizeof key, "oom:%d", i);
    add(&b, "SET", key, big);
  }
  size_t ok = 0, oom = 0;
  char want[160];
  snprintf(want, sizeof want, "127.0.0.1:%d refused SET: OOM command not "
           "allowed when used memory > 'maxmemory'.", g_server.port);
  for (int round = 0; round < 20 && !oom; round++) {
    int rc = run(&b);
    size_t first = b.n;
    for (size_t i = 0; i < b.n; i++) {
      if (b.answer[i].error) {
        cr_assert_str_eq(b.answer[i].error, want);
        first = oom++ ? first : i;
      } else {
        ok++;
      }
    }
    char whole[256];
    snprintf(whole, sizeof whole, "%zu of %d commands failed; the first, "
             "command %zu: %s", oom, MAX_CMDS, first, want);
    cr_assert_eq(rc, oom ? LR_EIO : 0);
    cr_assert_str_eq(lr__buf_str(&g_err), oom ? whole : "");
    for (size_t i = 0; i < b.n; i++) /* new keys for the next round */
      b.text[i][1][0] = (char)('A' + round);
  }
  cr_assert_gt(oom, 0, "2 MB never filled");
  cr_assert_gt(ok, 0);
  th_redis_down(&g_server);
}

/* A server that stops answering (SIGSTOP) fails the batch after the
 * command timeout, naming it. */
Test(redis, rd010_a_silent_server_times_out) {
  th_redis_up(&g_server, NULL);
  cr_assert_eq(open_server(NULL, 300), 0, "%s", lr__buf_str(&g_err));
  static cmds b;
  add(&b, "GET", "k", NULL);
  kill(g_server.pid, SIGSTOP);
  long long start = th_now_ms();
  int rc = run(&b);
  long long took = th_now_ms() - start;
  kill(g_server.pid, SIGCONT);
  cr_assert_eq(rc, LR_EIO);
  char want[128];
  snprintf(want, sizeof want, "127.0.0.1:%d did not answer the batch within "
           "300 ms", g_server.port);
  cr_assert_str_eq(b.answer[0].error, want);
  cr_assert(took >= 250 && took < 5000, "took %lld ms", took);
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  th_redis_down(&g_server);
}

/* A cluster whose nodes want a password, opened with a wrong one: no node
 * gives its map, and the message says what each answered. */
Test(redis, rd011_a_wrong_password_on_a_cluster_is_refused_whole) {
  th_cluster_up(&g_cluster, NULL);
  for (int k = 0; k < TH_MASTERS; k++)
    th_redis_must(g_cluster.port[k], "CONFIG SET requirepass %s", "secret");
  char addr[TH_MASTERS][32];
  const char *seeds[TH_MASTERS];
  for (int k = 0; k < TH_MASTERS; k++) {
    snprintf(addr[k], sizeof addr[k], "127.0.0.1:%d", g_cluster.port[k]);
    seeds[k] = addr[k];
  }
  lr__redis_options o = {.seeds = seeds, .n_seeds = 2, .cluster = 1,
                         .conn = {.connect_timeout_ms = 1000,
                                  .command_timeout_ms = 1000,
                                  .password = "wrong"}};
  cr_assert_eq(lr__redis_cluster_open(&o, &g_client, &g_err), LR_EIO);
  char want[512];
  snprintf(want, sizeof want, "no node of the cluster gave its slot map "
           "(CLUSTER SLOTS): %s refused the password: WRONGPASS invalid "
           "username-password pair or user is disabled.; %s refused the "
           "password: WRONGPASS invalid username-password pair or user is "
           "disabled.", addr[0], addr[1]);
  cr_assert_str_eq(lr__buf_str(&g_err), want);
  o.conn.password = "secret";
  cr_assert_eq(lr__redis_cluster_open(&o, &g_client, &g_err), 0, "%s",
               lr__buf_str(&g_err));
  static cmds b;
  add_set_get(&b, "pw", 100, "v");
  cr_assert_eq(run(&b), 0, "%s", lr__buf_str(&g_err));
  assert_answers(&b, "with the password");
  th_cluster_down(&g_cluster);
}

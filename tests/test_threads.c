/*
 * test_threads.c - many threads on one store at once, the suite that
 * `make test` also runs under ThreadSanitizer (build/tsan; see
 * docs/internals/testing.md). Each case does real work from several
 * threads and checks what they read, so a plain or ASan run proves the
 * answers right and a TSan run proves there is no data race behind them.
 *
 *  - t001: on one lr_store, lr_request_prepare, lr_write_rows, the metrics
 *    text and lr_get_online_features from 4 threads, all at once;
 *  - t002: the server's handler (lr__server_handle, as libmicrohttpd's
 *    threads call it) from 6 threads: lookups of feature lists that each
 *    need a prepare, writes, pushes, /metrics and /health;
 *  - t003: a real server (lr_server_start, its thread pool) under 4 concurrent
 *    HTTP clients, stopped with SIGTERM to its thread;
 *  - t004: lr_store_open from 6 threads at once on a store with no
 *    generation yet (one environment, one generation), then opens and
 *    closes beside another handle's writes;
 *  - t005: lr_write_rows and lr_write_file from 4 threads on one handle,
 *    overlapping keys, beside lookups: newer wins per key, every
 *    acknowledged write counted in the version;
 *  - t006: lr_store_version, lr_store_digests and lr_store_verify beside
 *    writes and lookups, each seeing a whole state, never an older one;
 *  - t007: lr_request_prepare_service (and an unknown service's message)
 *    and the lr_request_* readers of one shared request, beside writes;
 *  - t008: lr_materialize in one thread while others look up and write
 *    through handles of their own (its progress comes in its own thread);
 *  - t009: lr_server_stop from 4 threads at once (twice each), beside
 *    lr_server_port, lr_server_errmsg and lr_server_wait;
 *  - t010: lr_registry_version beside lr_registry_list and _describe;
 *  - t011: the progress of lr_get_historical_features, from a thread of
 *    the library's own, never overlapping, none after the call returns;
 *  - t012: lr_store_replication beside writes and lookups on a primary;
 *  - t013: the calls with no handle (lr_strerror, lr_err_name, lr_version,
 *    lr_status_name, lr_type_name, lr_parse_time) from threads at once.
 *
 * Loops run a fixed number of rounds: no timing goals.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cli/http_client.h"
#include "helpers.h"
#include "larder.h"
#include "online/store.h"
#include "process.h"
#include "serve/metrics.h"
#include "serve/server.h"

/* ---- the fixture repo --------------------------------------------------- */

static const char defs[] =
    "entities:\n"
    "  - {name: user, join_keys: [user_id], value_type: int64}\n"
    "sources:\n"
    "  - {name: src, kind: file, path: data/x.csv,\n"
    "     timestamp_field: event_timestamp}\n"
    "  - {name: pushed, kind: push, batch_source: src}\n"
    "feature_views:\n"
    "  - name: stats\n"
    "    entities: [user]\n"
    "    source: src\n"
    "    schema:\n"
    "      - {name: a, dtype: int64}\n"
    "      - {name: s, dtype: string}\n"
    "  - name: live\n"
    "    entities: [user]\n"
    "    source: pushed\n"
    "    schema:\n"
    "      - {name: n, dtype: int64}\n"
    "feature_services:\n"
    "  - name: svc\n"
    "    features:\n"
    "      - stats: [s, a]\n"
    "      - live\n";

enum { USERS = 64, LOOKUP_THREADS = 4, ROUNDS = 150, WRITES = 40 };

/* 2024-01-01T10:00:00Z */
#define T0 1704103200000000LL
#define SEC 1000000LL

static char *current_dir;

static void remove_leftover(void) {
  if (current_dir)
    th_rmrf(current_dir);
  current_dir = NULL;
}

TestSuite(threads, .fini = remove_leftover);

/* A fresh repo holding `defs`, applied. */
static char *make_repo(void) {
  current_dir = th_applied_repo(defs);
  return current_dir;
}

/* Writes `n` users (ids in `users`) into `stats`, each a = `a` and s =
 * "v<a>", at event time T0 + `second` s, in one batch. */
static int put_users(lr_store *store, const long long *users, int n,
                     long long a, long long second, lr_write_stats *stats) {
  lr_value uid[USERS], ev[USERS], av[USERS], sv[USERS];
  char text[32];
  int len = snprintf(text, sizeof text, "v%lld", a);
  for (int i = 0; i < n && i < USERS; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = users[i]};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = T0 + second * SEC};
    av[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = a};
    sv[i] = (lr_value){.type = LR_TYPE_STRING, .v.str = {text, (size_t)len}};
  }
  lr_column cols[] = {
      {"user_id", uid}, {"event_timestamp", ev}, {"a", av}, {"s", sv}};
  return lr_write_rows(store, "stats", cols, 4, (size_t)(n < USERS ? n : USERS),
                       stats);
}

/* Writes version `v` of every user: a = v, s = "v<v>", at event time T0 +
 * v seconds, in one batch. */
static int write_version(lr_store *store, int v) {
  long long users[USERS];
  for (int i = 0; i < USERS; i++)
    users[i] = i;
  return put_users(store, users, USERS, v, v, NULL);
}

/* ---- t001: one store, every kind of call at once ----------------------- */

typedef struct shared {
  lr_store *store;
  lr_request *req;          /* stats:a, stats:s */
  atomic_int writer_done;
  atomic_int errors;        /* calls that failed */
  atomic_int torn;          /* rows whose a and s disagree */
  char first_problem[256];  /* the first failure, for the message */
  pthread_mutex_t problem_lock;
} shared;

static void problem(shared *sh, const char *what, const char *why) {
  pthread_mutex_lock(&sh->problem_lock);
  if (!sh->first_problem[0])
    snprintf(sh->first_problem, sizeof sh->first_problem, "%s: %s", what,
             why);
  pthread_mutex_unlock(&sh->problem_lock);
}

/* Checks one looked-up entity: absent (before the first write) or a
 * whole version, a and s from the same write. */
static void check_entity(shared *sh, const lr_result *res, int e) {
  lr_value a, s;
  lr_result_cell(res, e, 0, &a);
  lr_result_cell(res, e, 1, &s);
  if (a.status == LR_STATUS_NOT_FOUND && s.status == LR_STATUS_NOT_FOUND)
    return;
  char want[24];
  snprintf(want, sizeof want, "v%lld", a.v.i64);
  if (a.status != LR_STATUS_PRESENT || s.status != LR_STATUS_PRESENT ||
      s.v.str.len != strlen(want) || memcmp(s.v.str.ptr, want, s.v.str.len)) {
    atomic_fetch_add(&sh->torn, 1);
    problem(sh, "a torn row", want);
  }
}

static void *lookup_thread(void *arg) {
  shared *sh = arg;
  lr_result *res = NULL;
  if (lr_result_create(sh->req, USERS, &res) != 0) {
    atomic_fetch_add(&sh->errors, 1);
    return NULL;
  }
  lr_value keys[USERS];
  for (int i = 0; i < USERS; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
  for (int round = 0; round < ROUNDS; round++) {
    int n = 1 + round % USERS;
    if (lr_get_online_features(sh->req, keys, n, res) != 0) {
      atomic_fetch_add(&sh->errors, 1);
      problem(sh, "lr_get_online_features", lr_result_errmsg(res));
      continue;
    }
    for (int e = 0; e < n; e++)
      check_entity(sh, res, e);
  }
  lr_result_free(res);
  return NULL;
}

static void *write_thread(void *arg) {
  shared *sh = arg;
  for (int v = 1; v <= WRITES; v++)
    if (write_version(sh->store, v) != 0) {
      atomic_fetch_add(&sh->errors, 1);
      problem(sh, "lr_write_rows", lr_store_errmsg(sh->store));
    }
  atomic_store(&sh->writer_done, 1);
  return NULL;
}

/* Prepares and frees requests (good and bad ones: a failed prepare writes
 * the store's message) until the writer is done. */
static void *prepare_thread(void *arg) {
  shared *sh = arg;
  static const char *const good[] = {"stats:s", "live:n", "stats:a"};
  static const char *const bad[] = {"stats:nope"};
  for (int round = 0; !atomic_load(&sh->writer_done) || round < 20; round++) {
    lr_request *req = NULL;
    int rc = round % 2 ? lr_request_prepare(sh->store, bad, 1, &req)
                       : lr_request_prepare(sh->store, good, 3, &req);
    if (rc != (round % 2 ? LR_ENOTFOUND : 0)) {
      atomic_fetch_add(&sh->errors, 1);
      problem(sh, "lr_request_prepare", lr_err_name(rc));
    }
    lr_request_free(req);
  }
  return NULL;
}

/* An empty shared state for `store` (NULL: the threads open their own). */
static void shared_init(shared *sh, lr_store *store) {
  memset(sh, 0, sizeof *sh);
  sh->store = store;
  pthread_mutex_init(&sh->problem_lock, NULL);
}

/* Opens the store of `dir` read-write; the test fails if it cannot. */
static lr_store *open_rw(const char *dir) {
  lr_store *store = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &store), 0, "%s",
               lr_store_errmsg(store));
  return store;
}

/* shared_init on `store`, with sh->req the request of stats:a and stats:s
 * that lookup_thread reads through. */
static void shared_for_lookups(shared *sh, lr_store *store) {
  shared_init(sh, store);
  static const char *const refs[] = {"stats:a", "stats:s"};
  cr_assert_eq(lr_request_prepare(store, refs, 2, &sh->req), 0);
}

/* Writes the metrics text (which reads the store's meta) until the writer
 * is done. */
static void *metrics_thread(void *arg) {
  shared *sh = arg;
  lr__metrics m;
  memset(&m, 0, sizeof m);
  for (int round = 0; !atomic_load(&sh->writer_done) || round < 20; round++) {
    lr__buf out;
    lr__buf_init(&out);
    lr__metrics_write(&m, sh->store, &out);
    if (!strstr(lr__buf_str(&out), "larder_registry_version")) {
      atomic_fetch_add(&sh->errors, 1);
      problem(sh, "the metrics text", lr__buf_str(&out));
    }
    lr__buf_free(&out);
  }
  return NULL;
}

Test(threads, t001_prepare_write_metrics_and_lookups_at_once) {
  char *dir = make_repo();
  shared sh;
  shared_for_lookups(&sh, open_rw(dir));
  pthread_t t[LOOKUP_THREADS + 3];
  for (int i = 0; i < LOOKUP_THREADS; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, lookup_thread, &sh), 0);
  cr_assert_eq(pthread_create(&t[LOOKUP_THREADS], NULL, write_thread, &sh), 0);
  cr_assert_eq(pthread_create(&t[LOOKUP_THREADS + 1], NULL, prepare_thread, &sh),
               0);
  cr_assert_eq(pthread_create(&t[LOOKUP_THREADS + 2], NULL, metrics_thread, &sh),
               0);
  for (int i = 0; i < LOOKUP_THREADS + 3; i++)
    pthread_join(t[i], NULL);
  cr_assert_eq(atomic_load(&sh.errors), 0, "%d failed calls; the first: %s",
               atomic_load(&sh.errors), sh.first_problem);
  cr_assert_eq(atomic_load(&sh.torn), 0, "%d torn rows; the first: %s",
               atomic_load(&sh.torn), sh.first_problem);
  /* after the writer: every user at the last version */
  lr_result *res = NULL;
  cr_assert_eq(lr_result_create(sh.req, 1, &res), 0);
  lr_value key = {.type = LR_TYPE_INT64, .v.i64 = USERS - 1}, a;
  cr_assert_eq(lr_get_online_features(sh.req, &key, 1, res), 0);
  lr_result_cell(res, 0, 0, &a);
  cr_assert_eq(a.v.i64, WRITES);
  lr_result_free(res);
  lr_request_free(sh.req);
  lr_store_close(sh.store);
  pthread_mutex_destroy(&sh.problem_lock);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t002: the server's handler from many threads ----------------------- */

/* Answers that were not 200: only the thread that counts the first one
 * writes `first`, read after the joins. */
typedef struct bad_answers {
  atomic_int n;
  char first[512];
} bad_answers;

static void count_bad(bad_answers *bad, const char *path, int status,
                      const char *text) {
  if (atomic_fetch_add(&bad->n, 1) == 0)
    snprintf(bad->first, sizeof bad->first, "%s %d: %.400s", path, status, text);
}

typedef struct handler_ctx {
  lr__server *server;
  int kind; /* which request this thread sends */
  bad_answers *bad;
} handler_ctx;

/* The body thread `kind` sends in round `round`. Lookups name their
 * features in a new order or spacing now and then, so new cache entries
 * (each a prepare under the cache lock) keep being made while the others
 * write. */
static void request_body(int kind, int round, lr__buf *body) {
  static const char *const lists[] = {
      "[\"stats:a\", \"stats:s\"]", "[\"stats:s\",\"stats:a\"]",
      "[\"live:n\", \"stats:a\"]", "[ \"stats:a\" ]"};
  switch (kind) {
  case 0:
  case 1:
    lr__buf_printf(body, "{\"features\": %s%*s, \"entities\": {\"user_id\": "
                   "[1, 2, %d]}}", lists[(round + kind) % 4], round % 7, "",
                   round % USERS);
    break;
  case 2:
    lr__buf_printf(body, "{\"feature_view_name\": \"stats\", \"df\": "
                   "{\"user_id\": [%d], \"event_timestamp\": [%d], \"a\": "
                   "[%d], \"s\": [\"v%d\"]}}", round % USERS,
                   1704103200 + round, round, round);
    break;
  default:
    lr__buf_printf(body, "{\"push_source_name\": \"pushed\", \"df\": "
                   "{\"user_id\": [%d], \"event_timestamp\": [%d], \"n\": "
                   "[%d]}}", round % USERS, 1704103200 + round, round);
  }
}

static void *handler_thread(void *arg) {
  handler_ctx *c = arg;
  static const char *const paths[] = {
      "/get-online-features", "/get-online-features",
      "/write-to-online-store", "/push", "/metrics", "/health"};
  const char *path = paths[c->kind];
  int post = c->kind < 4;
  for (int round = 0; round < ROUNDS; round++) {
    lr__buf body;
    lr__buf_init(&body);
    if (post)
      request_body(c->kind, round, &body);
    lr__reply r = {.status = 500};
    lr__buf_init(&r.body);
    lr__server_handle(c->server, post ? "POST" : "GET", path, NULL,
                      lr__buf_str(&body), body.len, &r);
    if (r.status != 200)
      count_bad(c->bad, path, r.status, lr__buf_str(&r.body));
    lr__buf_free(&r.body);
    lr__buf_free(&body);
  }
  return NULL;
}

Test(threads, t002_server_handler_from_six_threads) {
  char *dir = make_repo();
  lr_server_options opt = {.repo = dir};
  lr__buf err;
  lr__buf_init(&err);
  lr__server *server = NULL;
  cr_assert_eq(lr__server_create(&opt, &server, &err), 0, "%s",
               lr__buf_str(&err));
  lr__buf_free(&err);
  bad_answers bad = {0};
  handler_ctx ctx[6];
  pthread_t t[6];
  for (int i = 0; i < 6; i++) {
    ctx[i] = (handler_ctx){.server = server, .kind = i, .bad = &bad};
    cr_assert_eq(pthread_create(&t[i], NULL, handler_thread, &ctx[i]), 0);
  }
  for (int i = 0; i < 6; i++)
    pthread_join(t[i], NULL);
  cr_assert_eq(atomic_load(&bad.n), 0, "%d answers were not 200; the first: "
               "%s", atomic_load(&bad.n), bad.first);
  lr__server_free(server);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t003: a real server under concurrent HTTP clients ------------------ */

typedef struct client_ctx {
  int port, kind;
  bad_answers *bad;
} client_ctx;

static void *client_thread(void *arg) {
  client_ctx *c = arg;
  static const char *const endpoints[] = {
      "/get-online-features", "/get-online-features",
      "/write-to-online-store", "/push"};
  http_client http;
  memset(&http, 0, sizeof http);
  http.fd = -1;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", c->port);
  if (http_parse_url(&http, url, endpoints[c->kind]) != 0) {
    count_bad(c->bad, url, 0, http.err);
    return NULL;
  }
  for (int round = 0; round < ROUNDS / 3; round++) {
    lr__buf body;
    lr__buf_init(&body);
    request_body(c->kind, round, &body);
    int status = 0;
    const char *answer = "";
    size_t len = 0;
    int rc = http_post(&http, body.data, body.len, NULL, &status, &answer,
                       &len);
    if (rc != 0)
      count_bad(c->bad, endpoints[c->kind], 0, http.err);
    else if (status != 200)
      count_bad(c->bad, endpoints[c->kind], status,
                len ? answer : "(no body)");
    lr__buf_free(&body);
  }
  http_close(&http);
  return NULL;
}

Test(threads, t003_server_under_concurrent_http_clients) {
  char *dir = make_repo();
  lr_server_options opt = {.repo = dir, .port = 0, .threads = 2};
  lr_server *srv = NULL;
  cr_assert_eq(lr_server_start(&opt, &srv), 0, "lr_server_start: %s",
               lr_server_errmsg(srv));
  bad_answers bad = {0};
  client_ctx ctx[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    ctx[i] = (client_ctx){.port = lr_server_port(srv), .kind = i,
                          .bad = &bad};
    cr_assert_eq(pthread_create(&t[i], NULL, client_thread, &ctx[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  lr_server_stop(srv); /* from this thread, while the pool runs */
  cr_assert_eq(lr_server_wait(srv), 0, "%s", lr_server_errmsg(srv));
  lr_server_close(srv);
  cr_assert_eq(atomic_load(&bad.n), 0, "%d answers were not 200; the first: "
               "%s", atomic_load(&bad.n), bad.first);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- what the cases below share ---------------------------------------- */

/* Counts a failed call and keeps its message if it is the first. */
static void failed(shared *sh, const char *what, const char *why) {
  atomic_fetch_add(&sh->errors, 1);
  problem(sh, what, why);
}

/* Fails on any failed call or torn row the threads counted. */
static void assert_no_problem(shared *sh) {
  cr_assert_eq(atomic_load(&sh->errors), 0, "%d failed calls; the first: %s",
               atomic_load(&sh->errors), sh->first_problem);
  cr_assert_eq(atomic_load(&sh->torn), 0, "%d torn rows; the first: %s",
               atomic_load(&sh->torn), sh->first_problem);
  pthread_mutex_destroy(&sh->problem_lock);
}

/* Looks up users 0..n-1 of stats:a and stats:s through a request of its own
 * on `store`, checking each is absent or a whole version (check_entity).
 * Returns the smallest `a` present (0 when none is), or -1 after a failed
 * call. */
static long long lookup_all(shared *sh, lr_store *store, int n) {
  static const char *const refs[] = {"stats:a", "stats:s"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  lr_value *keys = calloc((size_t)n, sizeof *keys);
  for (int i = 0; i < n; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
  long long least = 0;
  if (lr_request_prepare(store, refs, 2, &req) != 0) {
    failed(sh, "lr_request_prepare", lr_store_errmsg(store));
    least = -1;
  } else if (lr_result_create(req, n, &res) != 0 ||
             lr_get_online_features(req, keys, n, res) != 0) {
    failed(sh, "lr_get_online_features", res ? lr_result_errmsg(res) : "");
    least = -1;
  }
  for (int e = 0; least >= 0 && e < n; e++) {
    check_entity(sh, res, e);
    lr_value a;
    lr_result_cell(res, e, 0, &a);
    if (a.status == LR_STATUS_PRESENT && (!least || a.v.i64 < least))
      least = a.v.i64;
  }
  lr_result_free(res);
  lr_request_free(req);
  free(keys);
  return least;
}

/* Whether the store folder of `dir` holds generation `gen`. */
static int has_generation(const char *dir, int gen) {
  char path[4200];
  snprintf(path, sizeof path, "%s/data/online/gen-%d", dir, gen);
  return access(path, F_OK) == 0;
}

/* ---- t004: opens from many threads at once ------------------------------ */

enum { OPENERS = 6, OPEN_ROUNDS = 20 };

typedef struct opener {
  shared *sh;
  const char *dir;
  int id;
  pthread_barrier_t *step; /* the openers and the main thread */
  lr__env *env;            /* of its first open, read while all are open */
  atomic_int *user_done;   /* the main thread's writes are over */
} opener;

/* First, with every other opener at once: opens the store (which has no
 * generation yet: the opens make the first one), read-write for even ids,
 * which write a version; once all have, each reads the newest one, and
 * all close together. Then, while the main thread writes through a
 * handle of its own, opens, looks up and closes again and again. */
static void *opener_main(void *arg) {
  opener *o = arg;
  lr_store *s = NULL;
  int writer = o->id % 2 == 0;
  pthread_barrier_wait(o->step);
  int rc = lr_store_open(o->dir, writer ? LR_STORE_READWRITE
                                        : LR_STORE_READONLY, &s);
  if (rc != 0)
    failed(o->sh, "lr_store_open", lr_store_errmsg(s));
  else if (writer && write_version(s, o->id + 1) != 0)
    failed(o->sh, "lr_write_rows", lr_store_errmsg(s));
  if (rc == 0)
    o->env = atomic_load(&s->env);
  pthread_barrier_wait(o->step);
  if (rc == 0 && lookup_all(o->sh, s, USERS) != OPENERS - 1)
    failed(o->sh, "a lookup once every opener wrote", "not version 5");
  pthread_barrier_wait(o->step); /* all open: main compares the envs */
  lr_store_close(s);
  pthread_barrier_wait(o->step);
  for (int round = 0; round < OPEN_ROUNDS || !atomic_load(o->user_done);
       round++) {
    s = NULL;
    if (lr_store_open(o->dir, writer ? LR_STORE_READWRITE : LR_STORE_READONLY,
                      &s) != 0)
      failed(o->sh, "lr_store_open", lr_store_errmsg(s));
    else if (lookup_all(o->sh, s, USERS) < OPENERS - 1)
      failed(o->sh, "a lookup beside the writes", "an older version");
    lr_store_close(s);
  }
  return NULL;
}

Test(threads, t004_store_open_from_threads_at_once) {
  char *dir = make_repo();
  shared sh;
  shared_init(&sh, NULL);
  pthread_barrier_t step;
  pthread_barrier_init(&step, NULL, OPENERS + 1);
  atomic_int user_done = 0;
  opener o[OPENERS];
  pthread_t t[OPENERS];
  for (int i = 0; i < OPENERS; i++) {
    o[i] = (opener){.sh = &sh, .dir = dir, .id = i, .step = &step,
                    .user_done = &user_done};
    cr_assert_eq(pthread_create(&t[i], NULL, opener_main, &o[i]), 0);
  }
  pthread_barrier_wait(&step); /* they open */
  pthread_barrier_wait(&step); /* they read */
  pthread_barrier_wait(&step); /* all are open */
  int same = 1;
  for (int i = 1; i < OPENERS; i++)
    same &= o[i].env == o[0].env && o[i].env != NULL;
  pthread_barrier_wait(&step); /* they close, then open again and again */
  lr_store *mine = NULL;
  int rc = lr_store_open(dir, LR_STORE_READWRITE, &mine);
  for (int v = OPENERS; rc == 0 && v <= WRITES; v++)
    if (write_version(mine, v) != 0)
      failed(&sh, "lr_write_rows beside the opens", lr_store_errmsg(mine));
  atomic_store(&user_done, 1);
  for (int i = 0; i < OPENERS; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&step);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(mine));
  cr_assert(same, "the opens of one store made more than one environment");
  cr_assert_eq(lookup_all(&sh, mine, USERS), WRITES);
  lr_store_close(mine);
  assert_no_problem(&sh);
  cr_assert(has_generation(dir, 1) && !has_generation(dir, 2),
            "the first opens made more than one generation");
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t005: rows and files written from threads at once ------------------ */

enum { SCHED_WRITERS = 4, SCHED_ROUNDS = 24, SCHED_KEYS = 48 };

static const th_sched sched = {SCHED_WRITERS, SCHED_ROUNDS, SCHED_KEYS};

typedef struct sched_writer {
  shared *sh;
  const char *dir;
  int w;
  int changed; /* writes that stored a row: each is one more version */
} sched_writer;

/* The users round r of writer w writes (th_sched_writes); returns how
 * many. */
static int sched_users(int w, int r, long long *users) {
  int n = 0;
  for (int k = 0; k < SCHED_KEYS; k++)
    if (th_sched_writes(w, r, k))
      users[n++] = k;
  return n;
}

/* The CSV file round r of writer w writes, under DIR/in/. */
static void sched_csv_path(const char *dir, int w, int r, char *path,
                           size_t cap) {
  snprintf(path, cap, "%s/in/w%d-r%d.csv", dir, w, r);
}

/* Writes the CSV files of the writers that write files (the odd ones). */
static void write_sched_files(const char *dir) {
  for (int w = 1; w < SCHED_WRITERS; w += 2)
    for (int r = 0; r < SCHED_ROUNDS; r++) {
      long long users[SCHED_KEYS];
      int n = sched_users(w, r, users);
      long long a = th_sched_value(w, r);
      long long at = T0 / SEC + th_sched_second(&sched, w, r);
      lr__buf csv;
      lr__buf_init(&csv);
      lr__buf_puts(&csv, "user_id,event_timestamp,a,s\n");
      for (int i = 0; i < n; i++)
        lr__buf_printf(&csv, "%lld,%lld,%lld,v%lld\n", users[i], at, a, a);
      char rel[64];
      snprintf(rel, sizeof rel, "in/w%d-r%d.csv", w, r);
      th_write(dir, rel, lr__buf_str(&csv));
      lr__buf_free(&csv);
    }
}

/* Even writers call lr_write_rows, odd ones lr_write_file, on one store
 * handle: every round's write must succeed and count each row once. */
static void *sched_writer_main(void *arg) {
  sched_writer *sw = arg;
  for (int r = 0; r < SCHED_ROUNDS; r++) {
    long long users[SCHED_KEYS];
    int n = sched_users(sw->w, r, users);
    lr_write_stats st;
    int rc;
    if (sw->w % 2 == 0) {
      rc = put_users(sw->sh->store, users, n, th_sched_value(sw->w, r),
                     th_sched_second(&sched, sw->w, r), &st);
    } else {
      char path[4200];
      sched_csv_path(sw->dir, sw->w, r, path, sizeof path);
      rc = lr_write_file(sw->sh->store, "stats", path, &st);
    }
    if (rc != 0)
      failed(sw->sh, sw->w % 2 ? "lr_write_file" : "lr_write_rows",
             lr_store_errmsg(sw->sh->store));
    else if (st.rows_written + st.rows_skipped != (size_t)n)
      failed(sw->sh, "the write's counts", "rows lost or counted twice");
    sw->changed += rc == 0 && st.rows_written > 0;
  }
  return NULL;
}

/* Every key ends with its newest write, from whichever thread. */
static void assert_sched_result(lr_store *store) {
  static const char *const refs[] = {"stats:a"};
  lr_request *req = NULL;
  lr_result *res = NULL;
  cr_assert_eq(lr_request_prepare(store, refs, 1, &req), 0);
  cr_assert_eq(lr_result_create(req, 1, &res), 0);
  int done[SCHED_WRITERS];
  for (int w = 0; w < SCHED_WRITERS; w++)
    done[w] = SCHED_ROUNDS;
  for (int k = 0; k < SCHED_KEYS; k++) {
    long long second;
    long long want = th_sched_expect(&sched, k, done, &second);
    lr_value key = {.type = LR_TYPE_INT64, .v.i64 = k}, a;
    cr_assert_eq(lr_get_online_features(req, &key, 1, res), 0);
    lr_result_cell(res, 0, 0, &a);
    cr_assert(a.status == LR_STATUS_PRESENT && a.v.i64 == want &&
              a.event_ts == T0 + second * SEC,
              "user %d: a = %lld at %lld, the newest write is %lld at %lld",
              k, a.v.i64, a.event_ts, want, T0 + second * SEC);
  }
  lr_result_free(res);
  lr_request_free(req);
}

Test(threads, t005_rows_and_files_written_from_threads_newer_wins) {
  char *dir = make_repo();
  write_sched_files(dir);
  lr_store *store = open_rw(dir);
  shared sh;
  shared_for_lookups(&sh, store);
  lr_data_version before, after;
  cr_assert_eq(lr_store_version(store, &before), 0);
  sched_writer sw[SCHED_WRITERS];
  pthread_t t[SCHED_WRITERS + 2];
  for (int w = 0; w < SCHED_WRITERS; w++) {
    sw[w] = (sched_writer){.sh = &sh, .dir = dir, .w = w};
    cr_assert_eq(pthread_create(&t[w], NULL, sched_writer_main, &sw[w]), 0);
  }
  for (int i = 0; i < 2; i++)
    cr_assert_eq(pthread_create(&t[SCHED_WRITERS + i], NULL, lookup_thread,
                                &sh), 0);
  int changed = 0;
  for (int i = 0; i < SCHED_WRITERS + 2; i++)
    pthread_join(t[i], NULL);
  for (int w = 0; w < SCHED_WRITERS; w++)
    changed += sw[w].changed;
  assert_no_problem(&sh);
  assert_sched_result(store);
  cr_assert_eq(lr_store_version(store, &after), 0);
  cr_assert_eq(after.seq - before.seq, (unsigned long long)changed,
               "%d writes stored rows, the version moved by %llu", changed,
               after.seq - before.seq);
  lr_request_free(sh.req);
  lr_store_close(store);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t006: version, digests and verify beside writes and lookups -------- */

enum { GROW_ROUNDS = 30, GROW_KEYS = 8 };

/* Writes GROW_KEYS new users a round (round r: a = r + 1), so the row count
 * of every whole state is a multiple of GROW_KEYS. */
static void *grow_thread(void *arg) {
  shared *sh = arg;
  for (int r = 0; r < GROW_ROUNDS; r++) {
    long long users[GROW_KEYS];
    for (int i = 0; i < GROW_KEYS; i++)
      users[i] = r * GROW_KEYS + i;
    if (put_users(sh->store, users, GROW_KEYS, r + 1, r + 1, NULL) != 0)
      failed(sh, "lr_write_rows", lr_store_errmsg(sh->store));
  }
  atomic_store(&sh->writer_done, 1);
  return NULL;
}

typedef struct checker {
  shared *sh;
  char *last_json; /* the last digests, freed by the main thread */
} checker;

/* The row count after "VIEW" in `text` (digests JSON or a verify report),
 * or -1. */
static long long rows_after(const char *text, const char *view) {
  const char *at = text ? strstr(text, view) : NULL;
  return at ? atoll(at + strlen(view)) : -1;
}

/* One round of the three calls: each must succeed and see a whole state
 * no older than the one before. */
static void check_round(checker *c, unsigned long long *seq,
                        long long *digest_rows, long long *verify_rows) {
  shared *sh = c->sh;
  lr_data_version v;
  if (lr_store_version(sh->store, &v) != 0 || v.generation != 1 ||
      v.seq < *seq)
    failed(sh, "lr_store_version", "failed or went back");
  *seq = v.seq;
  char *json = NULL, *report = NULL;
  if (lr_store_digests(sh->store, &json) != 0)
    failed(sh, "lr_store_digests", lr_store_errmsg(sh->store));
  long long n = rows_after(json, "\"stats\": {\"rows\": ");
  if (n < *digest_rows || n % GROW_KEYS)
    failed(sh, "lr_store_digests", json ? json : "(none)");
  *digest_rows = n;
  if (lr_store_verify(sh->store, &report) != 0)
    failed(sh, "lr_store_verify", lr_store_errmsg(sh->store));
  n = rows_after(report, "stats: ");
  if (n < *verify_rows || n % GROW_KEYS || !strstr(report, "live: 0 rows"))
    failed(sh, "lr_store_verify", report ? report : "(none)");
  *verify_rows = n;
  lr_free(report);
  lr_free(c->last_json);
  c->last_json = json;
}

/* Checks until the writer is done, then once more (that round sees every
 * row). */
static void *checker_main(void *arg) {
  checker *c = arg;
  unsigned long long seq = 0;
  long long digest_rows = 0, verify_rows = 0;
  for (int last = 0; !last;) {
    last = atomic_load(&c->sh->writer_done);
    check_round(c, &seq, &digest_rows, &verify_rows);
  }
  return NULL;
}

Test(threads, t006_version_digests_and_verify_beside_writes_and_lookups) {
  char *dir = make_repo();
  lr_store *store = open_rw(dir);
  shared sh;
  shared_for_lookups(&sh, store);
  checker c[2] = {{&sh, NULL}, {&sh, NULL}};
  pthread_t t[4];
  cr_assert_eq(pthread_create(&t[0], NULL, grow_thread, &sh), 0);
  cr_assert_eq(pthread_create(&t[1], NULL, lookup_thread, &sh), 0);
  for (int i = 0; i < 2; i++)
    cr_assert_eq(pthread_create(&t[2 + i], NULL, checker_main, &c[i]), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 2; i++) { /* memory of another thread's call */
    cr_assert_eq(rows_after(c[i].last_json, "\"stats\": {\"rows\": "),
                 GROW_ROUNDS * GROW_KEYS, "%s", c[i].last_json);
    lr_free(c[i].last_json);
  }
  assert_no_problem(&sh);
  lr_request_free(sh.req);
  lr_store_close(store);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t007: service prepares and request reads from threads -------------- */

/* The message of preparing the unknown service "nope" (whole). */
static const char unknown_service_msg[] =
    "unknown feature service 'nope'; known feature services: svc";

/* A request of service svc: user_id, then stats:s, stats:a, live:n. */
static int is_svc_request(const lr_request *req) {
  static const char *const want[][3] = {
      {"stats", "s", "s"}, {"stats", "a", "i"}, {"live", "n", "i"}};
  int n_keys = 0, n_feat = 0, n_join = 0, type = 0;
  const char *name = NULL, *view = NULL;
  if (lr_request_shape(req, &n_keys, &n_feat) || n_keys != 1 || n_feat != 3 ||
      lr_request_join_keys(req, &n_join) || n_join != 1 ||
      lr_request_key(req, 0, &name, &type) || strcmp(name, "user_id") ||
      type != LR_TYPE_INT64)
    return 0;
  for (int f = 0; f < 3; f++) {
    int want_type = want[f][2][0] == 's' ? LR_TYPE_STRING : LR_TYPE_INT64;
    if (lr_request_feature(req, f, &view, &name, &type) ||
        strcmp(view, want[f][0]) || strcmp(name, want[f][1]) ||
        type != want_type)
      return 0;
  }
  return 1;
}

typedef struct service_ctx {
  shared *sh;
  const lr_request *common; /* one request all threads read */
} service_ctx;

/* Prepares the service (and fails to prepare an unknown one, reading its
 * own message), reads the common request and looks up through it. */
static void *service_thread(void *arg) {
  service_ctx *c = arg;
  lr_store *store = c->sh->store;
  lr_value keys[4];
  for (int i = 0; i < 4; i++)
    keys[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
  for (int round = 0; round < 100; round++) {
    lr_request *req = NULL;
    if (lr_request_prepare_service(store, "svc", &req) != 0 ||
        !is_svc_request(req))
      failed(c->sh, "lr_request_prepare_service", lr_store_errmsg(store));
    lr_request_free(req);
    req = (lr_request *)1;
    if (lr_request_prepare_service(store, "nope", &req) != LR_ENOTFOUND ||
        req || strcmp(lr_store_errmsg(store), unknown_service_msg))
      failed(c->sh, "an unknown service", lr_store_errmsg(store));
    lr_result *res = NULL;
    if (!is_svc_request(c->common) ||
        lr_result_create(c->common, 4, &res) != 0 ||
        lr_get_online_features(c->common, keys, 4, res) != 0)
      failed(c->sh, "the common request", res ? lr_result_errmsg(res) : "");
    lr_result_free(res);
  }
  return NULL;
}

Test(threads, t007_service_prepares_and_request_reads_from_threads) {
  char *dir = make_repo();
  lr_store *store = open_rw(dir);
  lr_request *common = NULL;
  cr_assert_eq(lr_request_prepare_service(store, "nope", &common),
               LR_ENOTFOUND);
  cr_assert_str_eq(lr_store_errmsg(store), unknown_service_msg);
  cr_assert_eq(lr_request_prepare_service(store, "svc", &common), 0);
  shared sh;
  shared_init(&sh, store);
  service_ctx c = {&sh, common};
  pthread_t t[4];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, service_thread, &c), 0);
  cr_assert_eq(pthread_create(&t[3], NULL, write_thread, &sh), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  assert_no_problem(&sh);
  lr_request_free(common);
  lr_store_close(store);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t008: a materialization beside other handles ----------------------- */

enum { MAT_USERS = 200, MAT_HOURS = 6, SIDE_WRITES = 30 };

/* data/x.csv: each user a row an hour, hour h (T0 + h hours) with a = h
 * and s = "v<h>", for h = 1..hours. */
static void write_hourly_source(const char *dir, int users, int hours) {
  lr__buf csv;
  lr__buf_init(&csv);
  lr__buf_puts(&csv, "user_id,event_timestamp,a,s\n");
  for (int u = 0; u < users; u++)
    for (int h = 1; h <= hours; h++)
      lr__buf_printf(&csv, "%d,2024-01-01 %02d:00:00,%d,v%d\n", u, 10 + h, h,
                     h);
  th_write(dir, "data/x.csv", lr__buf_str(&csv));
  lr__buf_free(&csv);
}

typedef struct mat_ctx {
  shared *sh;
  const char *dir;
  atomic_int loads_done;
  pthread_t loader;          /* the thread that calls lr_materialize */
  atomic_int reports, elsewhere; /* progress calls, and those from
                                    another thread */
} mat_ctx;

/* lr_materialize reports its progress in the calling thread. */
static void on_load_progress(void *ctx, const char *what,
                             unsigned long long done,
                             unsigned long long total) {
  mat_ctx *c = ctx;
  (void)what;
  (void)done;
  (void)total;
  atomic_fetch_add(&c->reports, 1);
  atomic_fetch_add(&c->elsewhere, !pthread_equal(pthread_self(), c->loader));
}

/* Loads [T0, T0 + h hours] for h = 1..MAT_HOURS, one materialization
 * each: every one writes the users' hour-h rows. */
static void *materialize_thread(void *arg) {
  mat_ctx *c = arg;
  c->loader = pthread_self();
  lr_offline *off = NULL;
  if (lr_offline_open(c->dir, &off) != 0)
    failed(c->sh, "lr_offline_open", lr_offline_errmsg(off));
  for (int h = 1; off && h <= MAT_HOURS; h++) {
    static const char *const views[] = {"stats"}; /* live has no source
                                                     rows */
    lr_materialize_spec spec = {.start_us = T0, .end_us = T0 + h * 3600 * SEC,
                                .views = views, .n_views = 1,
                                .progress = on_load_progress,
                                .progress_ctx = c};
    lr_materialize_stats st;
    if (lr_materialize(off, &spec, &st) != 0)
      failed(c->sh, "lr_materialize", lr_offline_errmsg(off));
    else if (st.rows_written != MAT_USERS)
      failed(c->sh, "lr_materialize", "not every user's row written");
  }
  lr_offline_close(off);
  atomic_store(&c->loads_done, 1);
  return NULL;
}

/* Through a read-only handle of its own: every lookup of all the users
 * sees one load whole (the same hour for all, or none yet), never an older
 * one than before, and the last load at the end. */
static void *mat_reader_thread(void *arg) {
  mat_ctx *c = arg;
  lr_store *s = NULL;
  if (lr_store_open(c->dir, LR_STORE_READONLY, &s) != 0) {
    failed(c->sh, "lr_store_open", lr_store_errmsg(s));
    lr_store_close(s);
    return NULL;
  }
  long long seen = 0;
  for (int last = 0; !last;) {
    last = atomic_load(&c->loads_done);
    int before = atomic_load(&c->sh->torn);
    long long least = lookup_all(c->sh, s, MAT_USERS);
    if (least < seen || atomic_load(&c->sh->torn) != before)
      failed(c->sh, "a lookup during the loads", "an older load, or torn");
    seen = least > seen ? least : seen;
  }
  if (seen != MAT_HOURS)
    failed(c->sh, "the lookup after the loads", "not the last load");
  lr_store_close(s);
  return NULL;
}

/* Through a read-write handle of its own, writes users the source has
 * not, one a write. */
static void *side_writer_thread(void *arg) {
  mat_ctx *c = arg;
  lr_store *s = NULL;
  if (lr_store_open(c->dir, LR_STORE_READWRITE, &s) != 0)
    failed(c->sh, "lr_store_open", lr_store_errmsg(s));
  for (int i = 0; s && i < SIDE_WRITES; i++) {
    long long user = 1000 + i;
    if (put_users(s, &user, 1, 1, 1, NULL) != 0)
      failed(c->sh, "lr_write_rows beside the loads", lr_store_errmsg(s));
  }
  lr_store_close(s);
  return NULL;
}

Test(threads, t008_materialize_beside_other_handles) {
  char *dir = make_repo();
  write_hourly_source(dir, MAT_USERS, MAT_HOURS);
  shared sh;
  shared_init(&sh, NULL);
  mat_ctx c = {.sh = &sh, .dir = dir};
  pthread_t t[3];
  cr_assert_eq(pthread_create(&t[0], NULL, mat_reader_thread, &c), 0);
  cr_assert_eq(pthread_create(&t[1], NULL, side_writer_thread, &c), 0);
  cr_assert_eq(pthread_create(&t[2], NULL, materialize_thread, &c), 0);
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  assert_no_problem(&sh);
  cr_assert_gt(atomic_load(&c.reports), 0, "no progress was reported");
  cr_assert_eq(atomic_load(&c.elsewhere), 0, "progress came from a thread "
               "other than lr_materialize's caller");
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READONLY, &s), 0);
  char *report = NULL;
  cr_assert_eq(lr_store_verify(s, &report), 0, "%s", lr_store_errmsg(s));
  cr_assert(strstr(report, "\nstats: 230 rows, digest "), "%s", report);
  lr_free(report);
  lr_store_close(s);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t009: stops from many threads at once ------------------------------ */

enum { STOPPERS = 4, SERVERS = 3 };

typedef struct stopper {
  lr_server *srv;
  pthread_barrier_t *go;
  int port;            /* lr_server_port, read beside the stops */
  const char *errmsg;  /* lr_server_errmsg, likewise */
} stopper;

static void *stopper_main(void *arg) {
  stopper *st = arg;
  pthread_barrier_wait(st->go);
  lr_server_stop(st->srv);
  st->port = lr_server_port(st->srv);
  st->errmsg = lr_server_errmsg(st->srv);
  lr_server_stop(st->srv);
  return NULL;
}

/* A write through a handle of this process's own (newer than the clients'
 * writes) is seen by the server at once (they share one environment). */
static void assert_served_write(const char *dir, int port, int a) {
  lr_store *mine = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &mine), 0);
  long long user = 7;
  cr_assert_eq(put_users(mine, &user, 1, a, 100000 + a, NULL), 0, "%s",
               lr_store_errmsg(mine));
  lr_store_close(mine);
  char answer[8192], want[64];
  cr_assert_eq(th_http_post(port, "/get-online-features",
                            "{\"features\": [\"stats:a\"], \"entities\": "
                            "{\"user_id\": [7]}}", answer, sizeof answer),
               200, "%s", answer);
  snprintf(want, sizeof want, "\"values\": [%d]", a);
  cr_assert(strstr(answer, want), "the server answered %s", answer);
}

/* A server under HTTP clients; then STOPPERS threads stop it at once, each
 * twice, beside lr_server_port and lr_server_errmsg, while this thread
 * waits in lr_server_wait. */
Test(threads, t009_stops_from_threads_at_once_while_waiting) {
  char *dir = make_repo();
  for (int n = 0; n < SERVERS; n++) {
    lr_server_options opt = {.repo = dir, .port = 0, .threads = 2};
    lr_server *srv = NULL;
    cr_assert_eq(lr_server_start(&opt, &srv), 0, "%s", lr_server_errmsg(srv));
    int port = lr_server_port(srv);
    assert_served_write(dir, port, 100 + n);
    bad_answers bad = {0};
    client_ctx cc[2] = {{port, 0, &bad}, {port, 2, &bad}};
    pthread_t ct[2], t[STOPPERS];
    for (int i = 0; i < 2; i++)
      cr_assert_eq(pthread_create(&ct[i], NULL, client_thread, &cc[i]), 0);
    for (int i = 0; i < 2; i++)
      pthread_join(ct[i], NULL);
    cr_assert_eq(atomic_load(&bad.n), 0, "%s", bad.first);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, STOPPERS);
    stopper st[STOPPERS];
    for (int i = 0; i < STOPPERS; i++) {
      st[i] = (stopper){.srv = srv, .go = &go};
      cr_assert_eq(pthread_create(&t[i], NULL, stopper_main, &st[i]), 0);
    }
    cr_assert_eq(lr_server_wait(srv), 0);
    for (int i = 0; i < STOPPERS; i++) {
      pthread_join(t[i], NULL);
      cr_assert_eq(st[i].port, port);
      cr_assert_str_eq(st[i].errmsg, "");
    }
    pthread_barrier_destroy(&go);
    char body[64];
    cr_assert_eq(th_http_get(port, "/health", body, sizeof body), -1,
                 "the stopped server still answers");
    lr_server_close(srv);
  }
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t010: a registry's version beside its listing ---------------------- */

typedef struct registry_ctx {
  shared *sh;
  lr_registry *reg;
} registry_ctx;

/* Lists the views (text and JSON) and describes the service, again and
 * again: the calls that set the handle's message, in one thread. */
static void *list_thread(void *arg) {
  registry_ctx *c = arg;
  for (int round = 0; round < 100; round++) {
    char *out = NULL;
    if (lr_registry_list(c->reg, LR_KIND_FEATURE_VIEW,
                         round % 2 ? LR_FORMAT_JSON : 0, &out) ||
        !strstr(out, "stats") || !strstr(out, "live"))
      failed(c->sh, "lr_registry_list", lr_registry_errmsg(c->reg));
    lr_free(out);
    out = NULL;
    if (lr_registry_describe(c->reg, "svc", LR_FORMAT_JSON, &out) ||
        !strstr(out, "\"svc\""))
      failed(c->sh, "lr_registry_describe", lr_registry_errmsg(c->reg));
    lr_free(out);
  }
  atomic_store(&c->sh->writer_done, 1);
  return NULL;
}

static void *registry_version_thread(void *arg) {
  registry_ctx *c = arg;
  for (int round = 0; !atomic_load(&c->sh->writer_done) || round < 100;
       round++) {
    unsigned long long v = 0;
    if (lr_registry_version(c->reg, &v) != 0 || v != 1)
      failed(c->sh, "lr_registry_version", "not 1");
  }
  return NULL;
}

Test(threads, t010_registry_version_beside_list_and_describe) {
  char *dir = make_repo();
  shared sh;
  shared_init(&sh, NULL);
  registry_ctx c = {&sh, NULL};
  cr_assert_eq(lr_registry_open(dir, &c.reg), 0, "%s",
               lr_registry_errmsg(c.reg));
  pthread_t t[3];
  cr_assert_eq(pthread_create(&t[0], NULL, list_thread, &c), 0);
  for (int i = 1; i < 3; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, registry_version_thread, &c), 0);
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  assert_no_problem(&sh);
  lr_registry_close(c.reg);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t011: the progress of a training set, from a thread of its own ----- */

typedef struct progress_seen {
  pthread_t caller;
  atomic_int in_call, overlaps, calls, from_caller, after_return, odd;
  atomic_int returned;
} progress_seen;

static void on_progress(void *ctx, const char *what, unsigned long long done,
                        unsigned long long total) {
  progress_seen *p = ctx;
  if (atomic_fetch_add(&p->in_call, 1) != 0)
    atomic_fetch_add(&p->overlaps, 1);
  atomic_fetch_add(&p->calls, 1);
  atomic_fetch_add(&p->from_caller, pthread_equal(pthread_self(), p->caller));
  atomic_fetch_add(&p->after_return, atomic_load(&p->returned));
  atomic_fetch_add(&p->odd, strcmp(what, "training set") != 0 ||
                                (total && done > total));
  usleep(20000); /* a call that lasts: a second one now would overlap */
  atomic_fetch_sub(&p->in_call, 1);
}

/* The join of `n` entity rows with progress reported into `seen`; the
 * test fails if it fails. After it returns, waits 0.6 s, so that a report
 * made after the call would be seen. */
static void join_watched(lr_offline *off, const char *out, long long n,
                         progress_seen *seen) {
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT range %% 200 AS user_id, TIMESTAMP "
           "'2024-01-01 13:30:00' AS event_timestamp FROM range(%lld)", n);
  static const char *const feats[] = {"stats:a", "stats:s"};
  *seen = (progress_seen){.caller = pthread_self()};
  lr_historical_spec spec = {
      .entities_sql = sql, .features = feats, .n_features = 2,
      .output = out, .progress = on_progress, .progress_ctx = seen};
  unsigned long long rows = 0;
  int rc = lr_get_historical_features(off, &spec, &rows);
  atomic_store(&seen->returned, 1);
  cr_assert_eq(rc, 0, "%s", lr_offline_errmsg(off));
  cr_assert_eq(rows, (unsigned long long)n);
  usleep(600 * 1000);
}

/* Joins of 300,000 entity rows, twice as many each time until one lasts
 * long enough for a report (the first comes after 0.2 s; how many rows
 * that takes depends on the machine, so the size grows rather than the
 * test assuming a speed; 9.6 million at most): every report from the
 * library's thread, none at once with another, none once the call has
 * returned. */
Test(threads, t011_historical_progress_from_a_thread_of_its_own) {
  char *dir = make_repo();
  write_hourly_source(dir, 200, MAT_HOURS);
  lr_offline *off = NULL;
  cr_assert_eq(lr_offline_open(dir, &off), 0, "%s", lr_offline_errmsg(off));
  char out[4200];
  snprintf(out, sizeof out, "%s/train.parquet", dir);
  progress_seen seen;
  long long n = 300000;
  for (;; n *= 2) {
    join_watched(off, out, n, &seen);
    cr_assert_eq(atomic_load(&seen.from_caller), 0,
                 "progress came from the calling thread");
    cr_assert_eq(atomic_load(&seen.overlaps), 0, "two reports overlapped");
    cr_assert_eq(atomic_load(&seen.after_return), 0,
                 "a report came after the call returned");
    cr_assert_eq(atomic_load(&seen.odd), 0, "a report named something "
                 "else, or more rows done than its total");
    if (atomic_load(&seen.calls) > 0 || n >= 9600000)
      break;
  }
  cr_assert_gt(atomic_load(&seen.calls), 0, "no progress was reported, "
               "even for a join of %lld rows", n);
  lr_offline_close(off);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t012: replication status beside writes ----------------------------- */

/* Reads the primary's replication status until the writer is done: each
 * read succeeds, says primary, never reported (no replicator runs), and
 * a version no older than the one before. */
static void *replication_status_thread(void *arg) {
  shared *sh = arg;
  unsigned long long seq = 0;
  for (int last = 0; !last;) {
    last = atomic_load(&sh->writer_done);
    lr_replication_status st;
    if (lr_store_replication(sh->store, &st) != 0 || !st.primary ||
        st.reported_ms != -1 || st.version.seq < seq)
      failed(sh, "lr_store_replication", "failed, or went back");
    seq = st.version.seq;
  }
  return NULL;
}

Test(threads, t012_replication_status_beside_writes_and_lookups) {
  current_dir = th_tempdir();
  char *dir = current_dir;
  th_apply_repo(dir, "project: t\n"
                     "replication:\n"
                     "  role: primary\n"
                     "  log: redis://127.0.0.1:1/0\n"
                     "  snapshots: snapshots\n", defs);
  lr_store *store = open_rw(dir);
  shared sh;
  shared_for_lookups(&sh, store);
  pthread_t t[4];
  cr_assert_eq(pthread_create(&t[0], NULL, write_thread, &sh), 0);
  cr_assert_eq(pthread_create(&t[1], NULL, lookup_thread, &sh), 0);
  for (int i = 2; i < 4; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, replication_status_thread, &sh),
                 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  assert_no_problem(&sh);
  lr_request_free(sh.req);
  lr_store_close(store);
  th_rmrf(dir);
  current_dir = NULL;
}

/* ---- t013: the calls with no handle, from threads ----------------------- */

/* Each call's answer, every round: static strings, the caller's buffer,
 * a parsed time (2024-01-01T10:00:00Z, and 90 minutes before `now`). */
static void *no_handle_thread(void *arg) {
  shared *sh = arg;
  for (int round = 0; round < 2000; round++) {
    char buf[32];
    long long us = 0, rel = 0;
    int ok = !strcmp(lr_strerror(LR_ENOTFOUND), "not found") &&
             !strcmp(lr_err_name(LR_ETYPE), "LR_ETYPE") &&
             !strcmp(lr_version(), LR_VERSION_STRING) &&
             !strcmp(lr_status_name(LR_STATUS_OUTSIDE_MAX_AGE),
                     "OUTSIDE_MAX_AGE") &&
             !strcmp(lr_type_name(LR_TYPE_ARRAY | LR_TYPE_INT64, buf),
                     "array<int64>") &&
             lr_parse_time("2024-01-01T10:00:00Z", 0, &us) == 0 && us == T0 &&
             lr_parse_time("-90m", T0 + round, &rel) == 0 &&
             rel == T0 + round - 90 * 60 * SEC;
    if (!ok)
      failed(sh, "a call with no handle", "a wrong answer");
  }
  return NULL;
}

Test(threads, t013_calls_with_no_handle_from_threads) {
  shared sh;
  shared_init(&sh, NULL);
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    cr_assert_eq(pthread_create(&t[i], NULL, no_handle_thread, &sh), 0);
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  assert_no_problem(&sh);
}

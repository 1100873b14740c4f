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
 *    HTTP clients, stopped with SIGTERM to its thread.
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
    "      - {name: n, dtype: int64}\n";

enum { USERS = 64, LOOKUP_THREADS = 4, ROUNDS = 150, WRITES = 40 };

/* 2024-01-01T10:00:00Z */
#define T0 1704103200000000LL

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

/* Writes version `v` of every user into `stats`: a = v, s = "v<v>", at
 * event time T0 + v seconds, in one batch. */
static int write_version(lr_store *store, int v) {
  lr_value uid[USERS], ev[USERS], a[USERS], s[USERS];
  static char text[WRITES + 2][16];
  snprintf(text[v], sizeof text[v], "v%d", v);
  for (int i = 0; i < USERS; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = T0 + v * 1000000LL};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = v};
    s[i] = (lr_value){.type = LR_TYPE_STRING,
                      .v.str = {text[v], strlen(text[v])}};
  }
  lr_column cols[] = {
      {"user_id", uid}, {"event_timestamp", ev}, {"a", a}, {"s", s}};
  return lr_write_rows(store, "stats", cols, 4, USERS, NULL);
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
  memset(&sh, 0, sizeof sh);
  pthread_mutex_init(&sh.problem_lock, NULL);
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &sh.store), 0, "%s",
               lr_store_errmsg(sh.store));
  static const char *const refs[] = {"stats:a", "stats:s"};
  cr_assert_eq(lr_request_prepare(sh.store, refs, 2, &sh.req), 0);
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

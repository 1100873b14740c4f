/*
 * server_fixture.h - what the feature server's suites share (test_server.c,
 * test_frontend.c): the fixture repo with fixed data, `larder serve`
 * started on it as a child process and stopped by its PID, and a small
 * HTTP/1.1 client over real TCP sockets (Content-Length bodies,
 * keep-alive), with helpers that assert whole answers.
 *
 * Each suite declares TestSuite(NAME, .init = setup, .fini = teardown).
 * Not every suite uses every helper, hence the pragma.
 */
#ifndef LR_TESTS_SERVER_FIXTURE_H
#define LR_TESTS_SERVER_FIXTURE_H

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libfyaml.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "process.h"
#include "redis_fixture.h"
#include "larder.h"
#include "online/freshness.h"
#include "util/buf.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

/* ------------------------------------------------------------------------ */
/* The fixture repo                                                          */
/* ------------------------------------------------------------------------ */

#define DEFS_HEAD                                                              \
  "entities:\n"                                                                \
  "  - {name: user, join_keys: [user_id], value_type: int64}\n"                \
  "  - {name: item, join_keys: [item_id], value_type: string}\n"               \
  "sources:\n"                                                                 \
  "  - {name: s, kind: file, path: data/x.csv, timestamp_field: ts}\n"         \
  "  - {name: user_push, kind: push, batch_source: s, timestamp_unit: ms}\n"  \
  "  - {name: item_push, kind: push, batch_source: s}\n"                       \
  "feature_views:\n"                                                           \
  "  - name: user_stats\n"                                                     \
  "    entities: [user]\n"                                                     \
  "    source: s\n"                                                            \
  "    schema:\n"                                                              \
  "      - {name: score, dtype: float32}\n"                                    \
  "      - {name: clicks, dtype: int64}\n"                                     \
  "      - {name: label, dtype: string}\n"                                     \
  "      - {name: blob, dtype: bytes}\n"                                       \
  "      - {name: emb, dtype: array<float32>}\n"                               \
  "      - {name: seen, dtype: timestamp}\n"

#define DEFS_TAIL                                                              \
  "  - name: item_stats\n"                                                     \
  "    entities: [item]\n"                                                     \
  "    source: s\n"                                                            \
  "    schema:\n"                                                              \
  "      - {name: price, dtype: float64}\n"                                    \
  "      - {name: title, dtype: string}\n"                                     \
  "  - name: user_recent\n"                                                    \
  "    entities: [user]\n"                                                     \
  "    source: s\n"                                                            \
  "    ttl: 1d\n"                                                              \
  "    schema:\n"                                                              \
  "      - {name: recent_clicks, dtype: int64}\n"                              \
  "  - name: user_pushed\n"                                                    \
  "    entities: [user]\n"                                                     \
  "    source: user_push\n"                                                    \
  "    schema:\n"                                                              \
  "      - {name: last_action, dtype: string}\n"                               \
  "      - {name: action_count, dtype: int64}\n"                               \
  "request_sources:\n"                                                         \
  "  - name: req\n"                                                            \
  "    schema:\n"                                                              \
  "      - {name: boost, dtype: float64}\n"                                    \
  "      - {name: query, dtype: array<float32>}\n"                             \
  "on_demand_feature_views:\n"                                                 \
  "  - name: user_odfv\n"                                                      \
  "    sources: [user_stats, req]\n"                                           \
  "    schema:\n"                                                              \
  "      - {name: boosted, dtype: float64, expr: \"score * boost\"}\n"         \
  "      - {name: sim, dtype: float64, expr: \"cosine(emb, query)\"}\n"        \
  "      - {name: shout, dtype: string, expr: \"upper(coalesce(label, 'none'))\"}\n" \
  "feature_services:\n"                                                        \
  "  - name: user_service\n"                                                   \
  "    features:\n"                                                            \
  "      - user_stats: [label, score]\n"                                       \
  "      - user_recent\n"

static char *g_repo;     /* this test's repo */
static pid_t g_pid = -1; /* the server, while it runs */
static int g_port;
static int g_out = -1;   /* the server's stdout */

static struct fy_document *g_doc; /* the JSON document being checked */

static long long ts_of(const char *iso) {
  long long us;
  cr_assert_eq(lr_parse_time(iso, 0, &us), 0, "bad time %s", iso);
  return us;
}

static lr_value v_null(void) { return (lr_value){.type = LR_TYPE_NULL}; }
static lr_value v_i64(long long x) {
  return (lr_value){.type = LR_TYPE_INT64, .v.i64 = x};
}
static lr_value v_f32(float x) {
  return (lr_value){.type = LR_TYPE_FLOAT32, .v.f32 = x};
}
static lr_value v_f64(double x) {
  return (lr_value){.type = LR_TYPE_FLOAT64, .v.f64 = x};
}
static lr_value v_str(const char *s) {
  return (lr_value){.type = LR_TYPE_STRING, .v.str = {s, strlen(s)}};
}
static lr_value v_bytes(const void *p, size_t n) {
  return (lr_value){.type = LR_TYPE_BYTES, .v.str = {p, n}};
}
static lr_value v_ts(const char *iso) {
  return (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = ts_of(iso)};
}
static lr_value v_f32s(const float *p, size_t n) {
  return (lr_value){.type = LR_TYPE_ARRAY | LR_TYPE_FLOAT32,
                    .v.array = {p, n}};
}

/* Writes `n_rows` rows (cells row-major, `n_cols` a row) into `view` from
 * this process, as another writer would while the server runs. */
static void write_rows(const char *view, const char *const *names, int n_cols,
                       const lr_value *cells, size_t n_rows,
                       lr_write_stats *stats) {
  lr_store *store;
  int rc = lr_store_open(g_repo, LR_STORE_READWRITE, &store);
  cr_assert_eq(rc, 0, "%s", lr_store_errmsg(store));
  lr_value *cols = calloc((size_t)n_cols * n_rows + 1, sizeof *cols);
  lr_column *c = calloc((size_t)n_cols, sizeof *c);
  for (int k = 0; k < n_cols; k++) {
    c[k].name = names[k];
    c[k].values = cols + (size_t)k * n_rows;
    for (size_t r = 0; r < n_rows; r++)
      cols[(size_t)k * n_rows + r] = cells[r * (size_t)n_cols + (size_t)k];
  }
  rc = lr_write_rows(store, view, c, n_cols, n_rows, stats);
  char msg[512];
  snprintf(msg, sizeof msg, "%s", lr_store_errmsg(store));
  free(cols);
  free(c);
  lr_store_close(store);
  cr_assert_eq(rc, 0, "write %s: %s", view, msg);
}

static const char *const user_cols[] = {"user_id", "event_timestamp", "score",
                                        "clicks",  "label",           "blob",
                                        "emb",     "seen"};

/* user_stats: 1 has every type, 2 has nulls, 3 is never written.
 * item_stats: apple, pear. user_recent (ttl 1d): 1 is from 2000 (outside
 * max age), 2 from 2100 (present). user_pushed: empty. */
static void write_fixture_rows(void) {
  static const unsigned char blob[] = {0x00, 0x01, 0xff};
  static const float emb[] = {0.1f, -2.5f, 16777216.0f};
  lr_value users[] = {
      v_i64(1), v_ts("2024-01-02T10:00:00Z"), v_f32(0.1f), v_i64(5),
      v_str("a\"b"), v_bytes(blob, 3), v_f32s(emb, 3),
      v_ts("2023-05-06T07:08:09Z"),
      v_i64(2), v_ts("2024-01-02T10:00:00.5Z"), v_null(), v_null(), v_null(),
      v_null(), v_null(), v_null()};
  write_rows("user_stats", user_cols, 8, users, 2, NULL);
  const char *item_cols[] = {"item_id", "event_timestamp", "price", "title"};
  lr_value items[] = {v_str("apple"), v_ts("2024-01-02T10:00:00Z"),
                      v_f64(1.25), v_str("Apple"),
                      v_str("pear"), v_ts("2024-01-02T10:00:00Z"),
                      v_f64(0.3), v_null()};
  write_rows("item_stats", item_cols, 4, items, 2, NULL);
  const char *recent_cols[] = {"user_id", "event_timestamp", "recent_clicks"};
  lr_value recent[] = {v_i64(1), v_ts("2000-01-01T00:00:00Z"), v_i64(7),
                       v_i64(2), v_ts("2100-01-01T00:00:00Z"), v_i64(9)};
  write_rows("user_recent", recent_cols, 3, recent, 2, NULL);
}

/* Applies `defs` as the repo's defs.yaml, with lr_repo_apply's `flags`. */
static void apply_defs_with(const char *defs, unsigned flags) {
  th_write(g_repo, "defs.yaml", defs);
  lr_repo *repo;
  cr_assert_eq(lr_repo_open(g_repo, &repo), 0, "%s", lr_repo_errmsg(repo));
  char *plan = NULL;
  int rc = lr_repo_apply(repo, flags, &plan);
  lr_free(plan);
  cr_assert_eq(rc, 0, "%s", lr_repo_errmsg(repo));
  lr_repo_close(repo);
}

static void apply_defs(const char *defs) { apply_defs_with(defs, 0); }

/* The repo with the fixture's definitions and rows, its online store as
 * `config` (feature_store.yaml) says. */
static void setup_with(const char *config) {
  signal(SIGPIPE, SIG_IGN);
  if (g_repo) /* a test's .init after its suite's: this repo replaces it */
    th_rmrf(g_repo);
  g_repo = th_tempdir();
  g_pid = -1;
  th_write(g_repo, "feature_store.yaml", config);
  th_write(g_repo, "data/x.csv", "");
  apply_defs(DEFS_HEAD DEFS_TAIL);
  write_fixture_rows();
}

static void setup(void) { setup_with("project: t\n"); }

/* The same repo with its online store on a redis-server of its own
 * (redis_fixture.h, started with `extra` options: NULL-terminated, or
 * NULL), stopped by teardown_redis. Buckets expire 100 years
 * after a row's ttl, so user_recent's row from 2000 is still there to be
 * OUTSIDE_MAX_AGE, as on LMDB (s902 tests the expiry itself). */
static th_redis g_redis;

static void setup_redis_with(const char *const *extra) {
  th_redis_up(&g_redis, extra);
  char config[256];
  snprintf(config, sizeof config, "project: t\nonline_store: {type: redis, "
           "url: \"redis://127.0.0.1:%d/0\", expire_margin: 36500d}\n",
           g_redis.port);
  setup_with(config);
}

/* setup_redis_with a server of Redis' defaults (no persistence). */
static void setup_redis(void) { setup_redis_with(NULL); }

/* ------------------------------------------------------------------------ */
/* The server process                                                        */
/* ------------------------------------------------------------------------ */

/* Starts the server on the test's repo with extra flags (NULL-terminated)
 * and learns its port from the line it prints once listening. */
static void srv_start_argv(const char *const *extra) {
  const char *args[32] = {"--port", "0"};
  int n = 2;
  for (int i = 0; extra && extra[i] && n < 31; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  g_pid = th_spawn_larder(g_repo, "serve", 0, &g_out, args);
  char line[4096];
  int len = th_read_line(g_out, line, sizeof line, 15000);
  cr_assert_geq(len, 0, "the server printed no line (is %s built?)",
                th_larder_bin());
  char prefix[4200];
  snprintf(prefix, sizeof prefix, "Serving %s on http://127.0.0.1:", g_repo);
  cr_assert(!strncmp(line, prefix, strlen(prefix)), "unexpected: %s", line);
  g_port = atoi(line + strlen(prefix));
  cr_assert(g_port > 0 && g_port < 65536, "%s", line);
  cr_assert(strstr(line, " (stop with Ctrl-C or SIGTERM)"), "%s", line);
}

#define srv_start(...)                                                         \
  srv_start_argv((const char *const[]){__VA_ARGS__, NULL})

/* SIGTERM; the server must exit 0 within `ms`. */
static void srv_stop_within(int ms) {
  cr_assert_gt(g_pid, 0);
  cr_assert_eq(kill(g_pid, SIGTERM), 0);
  int st = 0;
  int exited = th_reap(g_pid, ms, &st);
  g_pid = -1;
  close(g_out);
  g_out = -1;
  cr_assert(exited, "the server did not exit within %d ms of SIGTERM", ms);
  cr_assert(WIFEXITED(st), "the server died of signal %d",
            WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  cr_assert_eq(WEXITSTATUS(st), 0, "the server exited %d",
               WEXITSTATUS(st));
}

static void srv_stop(void) { srv_stop_within(10000); }

static void teardown(void) {
  if (g_pid > 0) {
    kill(g_pid, SIGKILL);
    waitpid(g_pid, NULL, 0);
    g_pid = -1;
  }
  if (g_out >= 0)
    close(g_out);
  g_out = -1;
  th_free_kept();
  if (g_doc)
    fy_document_destroy(g_doc);
  g_doc = NULL;
  if (g_repo)
    th_rmrf(g_repo);
  g_repo = NULL;
}

static void teardown_redis(void) {
  teardown();
  th_redis_down(&g_redis);
}

/* ------------------------------------------------------------------------ */
/* A small HTTP/1.1 client                                                   */
/* ------------------------------------------------------------------------ */

/* A connection. Its buffer is inline (no heap), so a failed assertion
 * leaks at most a descriptor. */
enum { HC_BUF = 1 << 18 };
typedef struct hconn {
  int fd;
  size_t len;
  char buf[HC_BUF + 1]; /* bytes received and not consumed yet */
} hconn;

typedef struct hresp {
  int status;
  char *head; /* status line and headers */
  char *body; /* NUL-terminated */
  size_t body_len;
} hresp;

static int hc_open(hconn *c, int port) {
  c->len = 0;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0)
    return -1;
  struct timeval tv = {.tv_sec = 10};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  return 0;
}

static void hc_close(hconn *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  c->len = 0;
}

static int hc_write(hconn *c, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The request head: method, path, Host, Content-Length, extra headers
 * (each ending "\r\n"). */
static void hc_head(lr__buf *b, const char *method, const char *path,
                    const char *headers, size_t body_len) {
  lr__buf_printf(b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, path);
  if (body_len || strcmp(method, "GET"))
    lr__buf_printf(b, "Content-Type: application/json\r\n"
                      "Content-Length: %zu\r\n", body_len);
  lr__buf_puts(b, headers ? headers : "");
  lr__buf_puts(b, "\r\n");
}

static int hc_send(hconn *c, const char *method, const char *path,
                   const char *headers, const char *body, size_t len) {
  lr__buf b;
  lr__buf_init(&b);
  hc_head(&b, method, path, headers, body ? len : 0);
  if (body)
    lr__buf_append(&b, body, len);
  int rc = hc_write(c, b.data, b.len);
  lr__buf_free(&b);
  return rc;
}

/* Receives more bytes. Returns how many; 0 on EOF, -1 on error/timeout. */
static ssize_t hc_fill(hconn *c) {
  if (c->len == HC_BUF)
    return -1; /* a response larger than any this suite expects */
  ssize_t n;
  do
    n = recv(c->fd, c->buf + c->len, HC_BUF - c->len, 0);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    c->len += (size_t)n;
  return n;
}

static void hresp_free(hresp *r) {
  th_release(r->head);
  th_release(r->body);
  memset(r, 0, sizeof *r);
}

/* The value of header `name` in a response (case-insensitive), copied
 * into `out`; returns 0 or -1 when absent. */
static int hdr(const char *head, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p && p[2];
       p = strstr(p + 2, "\r\n")) {
    const char *line = p + 2;
    if (!strncasecmp(line, name, nl) && line[nl] == ':') {
      const char *v = line + nl + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      size_t n = strcspn(v, "\r\n");
      if (n >= cap)
        n = cap - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return 0;
    }
  }
  return -1;
}

/* Reads one response (skipping 1xx). Returns 0, or -1 with *why set. */
static int hc_recv_raw(hconn *c, hresp *r, const char **why) {
  memset(r, 0, sizeof *r);
  for (;;) {
    char *end = NULL;
    while (!(end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL)) {
      ssize_t n = hc_fill(c);
      if (n <= 0) {
        *why = n == 0 ? "the server closed the connection"
                      : "no response (timeout or error)";
        return -1;
      }
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    char *head = strndup(c->buf, head_len);
    int status = 0;
    if (sscanf(head, "HTTP/1.%*d %d", &status) != 1) {
      free(head);
      *why = "not an HTTP status line";
      return -1;
    }
    memmove(c->buf, c->buf + head_len, c->len - head_len);
    c->len -= head_len;
    if (status >= 100 && status < 200) {
      free(head);
      continue;
    }
    char cl[32];
    if (hdr(head, "Content-Length", cl, sizeof cl) != 0) {
      free(head);
      *why = "a response without Content-Length";
      return -1;
    }
    size_t body_len = strtoull(cl, NULL, 10);
    while (c->len < body_len) {
      if (hc_fill(c) <= 0) {
        free(head);
        *why = "the body was cut short";
        return -1;
      }
    }
    r->status = status;
    r->head = head;
    r->body = malloc(body_len + 1);
    memcpy(r->body, c->buf, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    memmove(c->buf, c->buf + body_len, c->len - body_len);
    c->len -= body_len;
    return 0;
  }
}

/* A lookup's answer names the version it read twice: the Larder-Version
 * header and "larder_version" in its metadata. Checks that the two agree
 * and takes the field out, so that the tests compare Feast's shape (s066
 * and the data-driven cases see it in place). 0, or -1 with *why set. */
static int take_version(hresp *r, const char **why) {
  static const char field[] = "{\"metadata\": {\"larder_version\": \"";
  if (strncmp(r->body, field, sizeof field - 1) != 0)
    return 0;
  char *value = r->body + sizeof field - 1, header[64];
  size_t len = strcspn(value, "\"");
  if (hdr(r->head, "Larder-Version", header, sizeof header) != 0 ||
      strlen(header) != len || strncmp(value, header, len) != 0) {
    *why = "the metadata's larder_version is not the Larder-Version header";
    return -1;
  }
  char *from = strstr(r->body, "\"larder_version\"");
  char *rest = value + len + 3; /* past `", ` */
  memmove(from, rest, strlen(rest) + 1);
  r->body_len = strlen(r->body);
  return 0;
}

/* Reads one response as hc_recv_raw, its version checked and taken out. */
static int hc_recv(hconn *c, hresp *r, const char **why) {
  int rc = hc_recv_raw(c, r, why);
  return rc ? rc : take_version(r, why);
}

/* One request on a new connection, asserting it gets an answer. */
static hresp call_h(const char *method, const char *path, const char *headers,
                    const char *body) {
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0, "cannot connect to port %d: %s",
               g_port, strerror(errno));
  cr_assert_eq(hc_send(&c, method, path, headers, body,
                       body ? strlen(body) : 0), 0, "send failed");
  hresp r;
  const char *why = "";
  int rc = hc_recv(&c, &r, &why);
  hc_close(&c);
  cr_assert_eq(rc, 0, "%s %s: %s", method, path, why);
  th_keep(r.head);
  th_keep(r.body);
  return r;
}

static hresp call(const char *method, const char *path, const char *body) {
  return call_h(method, path, NULL, body);
}

static hresp get_online(const char *body) {
  return call("POST", "/get-online-features", body);
}

/* Asserts status and (when `want` is not NULL) the exact body. */
static void check(const char *method, const char *path, const char *body,
                  int status, const char *want) {
  hresp r = call(method, path, body);
  cr_assert_eq(r.status, status, "%s %s %s\n-> %d %s", method, path,
               body ? body : "", r.status, r.body);
  if (want)
    cr_assert_str_eq(r.body, want, "%s %s %s", method, path,
                     body ? body : "");
  hresp_free(&r);
}

/* ---- JSON through libfyaml ---------------------------------------------- */

static struct fy_document *jparse(const char *text) {
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_JSON_FORCE};
  return fy_document_build_from_string(&cfg, text, FY_NT);
}

static void jrender(lr__buf *out, struct fy_node *n) {
  if (!n) {
    lr__buf_puts(out, "<missing>");
  } else if (fy_node_is_sequence(n)) {
    lr__buf_putc(out, '[');
    void *it = NULL;
    struct fy_node *item;
    for (int i = 0; (item = fy_node_sequence_iterate(n, &it)); i++) {
      lr__buf_puts(out, i ? "," : "");
      jrender(out, item);
    }
    lr__buf_putc(out, ']');
  } else if (fy_node_is_mapping(n)) {
    lr__buf_putc(out, '{');
    void *it = NULL;
    struct fy_node_pair *p;
    for (int i = 0; (p = fy_node_mapping_iterate(n, &it)); i++) {
      lr__buf_puts(out, i ? "," : "");
      jrender(out, fy_node_pair_key(p));
      lr__buf_putc(out, ':');
      jrender(out, fy_node_pair_value(p));
    }
    lr__buf_putc(out, '}');
  } else {
    const char *s = fy_node_get_scalar0(n);
    lr__buf_puts(out, s ? s : "null");
  }
}

/* The node at `path` ("/results/1/values") of a JSON text, rendered
 * compactly with scalars bare ("[0.1,null]"); "<not JSON>" or
 * "<missing>" otherwise. Owned by a static ring: no free. */
static const char *jtext(const char *json, const char *path) {
  static char ring[8][8192];
  static int next;
  char *slot = ring[next++ % 8];
  struct fy_document *doc = jparse(json);
  if (!doc) {
    snprintf(slot, 8192, "<not JSON>");
    return slot;
  }
  lr__buf b;
  lr__buf_init(&b);
  struct fy_node *n = fy_node_by_path(fy_document_root(doc), path, FY_NT,
                                      FYNWF_DONT_FOLLOW);
  jrender(&b, n);
  snprintf(slot, 8192, "%s", lr__buf_str(&b));
  lr__buf_free(&b);
  fy_document_destroy(doc);
  return slot;
}

/* Asserts an error answer: the status, a JSON object whose "error" and
 * "detail" are strings, and a detail holding `needle` (unless NULL). */
static void check_error_h(const char *method, const char *path,
                          const char *headers, const char *body, int status,
                          const char *needle) {
  hresp r = call_h(method, path, headers, body);
  cr_assert_eq(r.status, status, "%s %s %.300s\n-> %d %s", method, path,
               body ? body : "", r.status, r.body);
  struct fy_document *doc = g_doc = jparse(r.body);
  cr_assert_not_null(doc, "not JSON: %s", r.body);
  struct fy_node *root = fy_document_root(doc);
  cr_assert(root && fy_node_is_mapping(root), "%s", r.body);
  struct fy_node *e = fy_node_mapping_lookup_by_string(root, "error", FY_NT);
  struct fy_node *d = fy_node_mapping_lookup_by_string(root, "detail", FY_NT);
  cr_assert(e && fy_node_is_scalar(e) && d && fy_node_is_scalar(d),
            "want {\"error\", \"detail\"}: %s", r.body);
  if (needle)
    cr_assert(strstr(fy_node_get_scalar0(d), needle),
              "%s %s %.300s: detail should name '%s': %s", method, path,
              body ? body : "", needle, r.body);
  fy_document_destroy(doc);
  g_doc = NULL;
  hresp_free(&r);
}

static void check_error(const char *method, const char *path,
                        const char *body, int status, const char *needle) {
  check_error_h(method, path, NULL, body, status, needle);
}

/* ---- expected answers ----------------------------------------------------- */

#define EPOCH "\"1970-01-01T00:00:00Z\""
#define T1 "\"2024-01-02T10:00:00Z\""
#define T1_5 "\"2024-01-02T10:00:00.500000Z\""
#define PRESENT "\"PRESENT\""
#define NULL_VALUE "\"NULL_VALUE\""
#define NOT_FOUND "\"NOT_FOUND\""
#define OUTSIDE "\"OUTSIDE_MAX_AGE\""
#define COL(values, statuses, timestamps)                                      \
  "{\"values\": [" values "], \"statuses\": [" statuses                        \
  "], \"event_timestamps\": [" timestamps "]}"
#define FEAST(names, cols)                                                     \
  "{\"metadata\": {\"feature_names\": [" names "]}, \"results\": [" cols       \
  "]}\n"

/* user_stats:score of user 1, the request every "still up?" check makes. */
#define ALIVE_REQ                                                              \
  "{\"features\": [\"user_stats:score\"], \"entities\": {\"user_id\": [1]}}"
#define ALIVE_RESP                                                             \
  FEAST("\"user_id\", \"score\"",                                              \
        COL("1", PRESENT, EPOCH) ", " COL("0.1", PRESENT, T1))

static void check_alive(const char *after) {
  hresp r = get_online(ALIVE_REQ);
  cr_assert_eq(r.status, 200, "after %.200s the server answers %d %s", after,
               r.status, r.body);
  cr_assert_str_eq(r.body, ALIVE_RESP, "after %.200s", after);
  hresp_free(&r);
}

/* The value of the sample `series` (name and labels, exactly) in
 * Prometheus text, or -1 when absent. */
static double metric(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *line = text; line && *line;) {
    if (!strncmp(line, series, n) && line[n] == ' ')
      return strtod(line + n + 1, NULL);
    line = strchr(line, '\n');
    line = line ? line + 1 : NULL;
  }
  return -1;
}

static char *metrics_text(void) {
  hresp r = call("GET", "/metrics", NULL);
  cr_assert_eq(r.status, 200, "%s", r.body);
  char ct[128];
  cr_assert_eq(hdr(r.head, "Content-Type", ct, sizeof ct), 0);
  cr_assert(!strncmp(ct, "text/plain", 10), "Content-Type %s", ct);
  char *text = r.body; /* still tracked: th_release() it */
  r.body = NULL;
  hresp_free(&r);
  return text;
}

/* Sends `prefix`, then `trickle` one byte every 300 ms (well inside the
 * idle timeout) until the server closes the connection or `limit_ms`
 * pass. Returns how long the connection lasted, or -1 when it outlived
 * the limit. */
static long long trickle_until_closed(const char *prefix, const char *trickle,
                                      int limit_ms) {
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  long long start = th_now_ms();
  cr_assert_eq(hc_write(&c, prefix, strlen(prefix)), 0);
  size_t n = strlen(trickle);
  for (size_t i = 0; th_now_ms() - start < limit_ms; i++) {
    struct pollfd p = {.fd = c.fd, .events = POLLIN};
    if (poll(&p, 1, 300) == 1) {
      char byte;
      if (recv(c.fd, &byte, 1, 0) <= 0)
        break; /* closed */
    }
    if (send(c.fd, trickle + i % n, 1, MSG_NOSIGNAL) != 1)
      break;
  }
  long long took = th_now_ms() - start;
  hc_close(&c);
  return took < limit_ms ? took : -1;
}

#pragma GCC diagnostic pop

#endif

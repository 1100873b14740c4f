/*
 * test_frontend.c - the feature server's HTTP front end (src/serve/
 * frontend.c: one event loop per thread, each on its own SO_REUSEPORT
 * listener) against what clients do to connections: pipelining, Expect:
 * 100-continue, a request cut into one-byte segments, 2,000 connections
 * at once, trickling clients beside served ones, a request parked on a
 * loop while the loop serves others, and a second server on a port in
 * use. `larder serve` runs as a child process (tests/server_fixture.h);
 * `make test` runs the suite twice, the second time against the CLI built
 * with ThreadSanitizer (tests/run.sh), where a race aborts the server.
 */
#include <sys/resource.h>

#include "server_fixture.h"

TestSuite(frontend, .init = setup, .fini = teardown, .timeout = 90);

/* The lookup every test here sends, and its answer as bytes on the wire
 * carry it (with the version, which hc_recv takes out). */
static const char lookup_body[] = ALIVE_REQ;

static void lookup_request(lr__buf *b) {
  hc_head(b, "POST", "/get-online-features", NULL, strlen(lookup_body));
  lr__buf_puts(b, lookup_body);
}

/* Reads one answer on `c` and asserts it is the lookup's. */
static void expect_lookup_answer(hconn *c, const char *what) {
  hresp r;
  const char *why = "";
  cr_assert_eq(hc_recv(c, &r, &why), 0, "%s: %s", what, why);
  cr_assert_eq(r.status, 200, "%s: %d %s", what, r.status, r.body);
  cr_assert_str_eq(r.body, ALIVE_RESP, "%s", what);
  hresp_free(&r);
}

/* fe001: three requests written at once on one connection (a client that
 * pipelines) get three answers, in order, each whole. */
Test(frontend, fe001_pipelined_requests_are_answered_in_order) {
  srv_start("--threads", "2");
  lr__buf b;
  lr__buf_init(&b);
  lookup_request(&b);
  hc_head(&b, "GET", "/health", NULL, 0);
  lookup_request(&b);
  hconn *c = th_keep(malloc(sizeof *c));
  cr_assert_eq(hc_open(c, g_port), 0);
  cr_assert_eq(hc_write(c, b.data, b.len), 0);
  lr__buf_free(&b);
  expect_lookup_answer(c, "the first pipelined request");
  hresp r;
  const char *why = "";
  cr_assert_eq(hc_recv(c, &r, &why), 0, "the pipelined /health: %s", why);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert(strstr(r.body, "\"status\""), "%s", r.body);
  hresp_free(&r);
  expect_lookup_answer(c, "the third pipelined request");
  hc_close(c);
  srv_stop();
}

/* Reads from fd until `want` arrives (or 10 s pass); 0 or -1. */
static int read_until(int fd, const char *want, char *buf, size_t cap) {
  size_t len = 0;
  long long start = th_now_ms();
  while (th_now_ms() - start < 10000 && len + 1 < cap) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) != 1)
      continue;
    ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
    if (n <= 0)
      return -1;
    len += (size_t)n;
    buf[len] = '\0';
    if (strstr(buf, want))
      return 0;
  }
  return -1;
}

/* fe002: a client that sends `Expect: 100-continue` gets the interim 100
 * before it sends the body, then the answer. */
Test(frontend, fe002_expect_100_continue_gets_the_interim_answer) {
  srv_start("--threads", "2");
  hconn *c = th_keep(malloc(sizeof *c));
  cr_assert_eq(hc_open(c, g_port), 0);
  lr__buf b;
  lr__buf_init(&b);
  hc_head(&b, "POST", "/get-online-features", "Expect: 100-continue\r\n",
          strlen(lookup_body));
  cr_assert_eq(hc_write(c, b.data, b.len), 0);
  lr__buf_free(&b);
  char interim[256];
  cr_assert_eq(read_until(c->fd, "\r\n\r\n", interim, sizeof interim), 0,
               "no interim answer to Expect: 100-continue");
  cr_assert_str_eq(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  cr_assert_eq(hc_write(c, lookup_body, strlen(lookup_body)), 0);
  expect_lookup_answer(c, "after 100 Continue");
  hc_close(c);
  srv_stop();
}

/* fe003: a request sent one byte per TCP segment (TCP_NODELAY, a pause
 * every 16 bytes so the segments are not merged) is answered whole. */
Test(frontend, fe003_a_request_in_one_byte_segments_is_answered) {
  srv_start("--threads", "2");
  hconn *c = th_keep(malloc(sizeof *c));
  cr_assert_eq(hc_open(c, g_port), 0);
  lr__buf b;
  lr__buf_init(&b);
  lookup_request(&b);
  for (size_t i = 0; i < b.len; i++) {
    cr_assert_eq(send(c->fd, b.data + i, 1, MSG_NOSIGNAL), 1,
                 "the server closed after %zu bytes", i);
    if (i % 16 == 15)
      usleep(2000);
  }
  lr__buf_free(&b);
  expect_lookup_answer(c, "the request sent byte by byte");
  hc_close(c);
  srv_stop();
}

/* A connection of fe004: a socket and the start of its answer. */
typedef struct small_conn {
  int fd;
  char buf[2048];
  size_t len;
} small_conn;

/* Raises this process's open-file limit to at least `n` (within the hard
 * limit); returns 0, or -1 when the hard limit is lower. */
static int files_at_least(rlim_t n) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_max < n)
    return -1;
  if (lim.rlim_cur < n) {
    lim.rlim_cur = n;
    return setrlimit(RLIMIT_NOFILE, &lim);
  }
  return 0;
}

/* Reads small_conn c's answer whole (by Content-Length); 0 or -1. */
static int small_read_answer(small_conn *c) {
  for (;;) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    const char *cl = end ? strcasestr(c->buf, "Content-Length:") : NULL;
    if (cl && c->len >= (size_t)(end + 4 - c->buf) + strtoul(cl + 15, NULL,
                                                            10))
      return 0;
    if (c->len + 1 >= sizeof c->buf)
      return -1;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
    if (n <= 0)
      return -1;
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
  }
}

/* fe004: 2,000 connections open at once, each with a request sent before
 * any answer is read, all get the right answer; the server then still
 * serves. (The client needs 2,000 descriptors; `larder serve` raises its
 * own limit to its hard limit.) */
Test(frontend, fe004_2000_connections_at_once_are_all_answered,
     .timeout = 120) {
  enum { N = 2000 };
  cr_assert_eq(files_at_least(N + 64), 0, "this test needs %d open files "
               "(ulimit -Hn is lower)", N + 64);
  srv_start("--threads", "2");
  small_conn *conns = th_keep(calloc(N, sizeof *conns));
  lr__buf b;
  lr__buf_init(&b);
  lookup_request(&b);
  for (int i = 0; i < N; i++) {
    conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(conns[i].fd, 0, "socket %d: %s", i, strerror(errno));
    struct timeval tv = {.tv_sec = 30};
    setsockopt(conns[i].fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(conns[i].fd, (struct sockaddr *)&a, sizeof a), 0,
                 "connection %d: %s", i + 1, strerror(errno));
    cr_assert_eq(send(conns[i].fd, b.data, b.len, MSG_NOSIGNAL),
                 (ssize_t)b.len, "connection %d: send", i + 1);
  }
  lr__buf_free(&b);
  for (int i = 0; i < N; i++) {
    cr_assert_eq(small_read_answer(&conns[i]), 0,
                 "connection %d of %d got no whole answer: %s", i + 1, N,
                 conns[i].buf);
    cr_assert(!strncmp(conns[i].buf, "HTTP/1.1 200", 12), "connection %d: %s",
              i + 1, conns[i].buf);
    cr_assert(strstr(conns[i].buf, "\"values\": [0.1]"), "connection %d: %s",
              i + 1, conns[i].buf);
  }
  for (int i = 0; i < N; i++)
    close(conns[i].fd);
  check_alive("2,000 connections at once");
  srv_stop();
}

/* Opens a connection and sends the start of a request that it never
 * finishes. */
static int open_trickler(void) {
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  static const char start[] = "POST /get-online-features HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 100\r\n\r\n{\"feat";
  cr_assert_eq(hc_write(&c, start, sizeof start - 1), 0);
  return c.fd;
}

/* fe005: clients that trickle a request on every loop (8 connections over
 * 2 loops) do not hold up the others: 50 lookups on new connections are
 * answered while the tricklers are still open. */
Test(frontend, fe005_trickling_clients_do_not_hold_up_their_loops) {
  srv_start("--threads", "2", "--timeout", "20");
  int slow[8];
  for (int i = 0; i < 8; i++)
    slow[i] = open_trickler();
  for (int i = 0; i < 50; i++) {
    for (int k = 0; k < 8; k++)
      cr_assert_eq(send(slow[k], " ", 1, MSG_NOSIGNAL), 1,
                   "trickler %d was closed", k + 1);
    check_alive("tricklers on every loop");
  }
  for (int k = 0; k < 8; k++) {
    struct pollfd p = {.fd = slow[k], .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0, "trickler %d got an answer or a close "
                 "before its request was whole", k + 1);
    close(slow[k]);
  }
  srv_stop();
}

/* fe006: a request waiting for a min_version is parked: its loop goes on
 * serving. Two waiting requests (one per loop, likely) and 20 lookups on
 * new connections meanwhile: the lookups are answered while the waiting
 * ones still wait, and these then get their 503 (the store never reaches
 * the version asked). */
Test(frontend, fe006_a_parked_request_does_not_hold_up_its_loop) {
  srv_start("--threads", "2");
  hconn *waiting = th_keep(malloc(2 * sizeof *waiting));
  for (int k = 0; k < 2; k++) {
    cr_assert_eq(hc_open(&waiting[k], g_port), 0);
    cr_assert_eq(hc_send(&waiting[k], "POST", "/get-online-features",
                         "Larder-Min-Version: 1000000\r\n", lookup_body,
                         strlen(lookup_body)), 0);
  }
  for (int i = 0; i < 20; i++)
    check_alive("a request parked on a loop");
  for (int k = 0; k < 2; k++) {
    struct pollfd p = {.fd = waiting[k].fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 0), 0, "waiting request %d was answered "
                 "before the lookups beside it", k + 1);
  }
  for (int k = 0; k < 2; k++) {
    hresp r;
    const char *why = "";
    cr_assert_eq(hc_recv_raw(&waiting[k], &r, &why), 0, "%s", why);
    cr_assert_eq(r.status, 503, "%s", r.body);
    cr_assert(strstr(r.body, "\"not at the version asked\""), "%s", r.body);
    hresp_free(&r);
    hc_close(&waiting[k]);
  }
  srv_stop();
}

/* fe007: a second server on the port of a running one fails and says
 * why, instead of sharing the port (each loop's listener has
 * SO_REUSEPORT); the first goes on serving. */
Test(frontend, fe007_a_second_server_on_a_taken_port_fails) {
  srv_start("--threads", "2");
  char port[16];
  snprintf(port, sizeof port, "%d", g_port);
  const char *args[] = {"--port", port, NULL};
  int out;
  pid_t pid = th_spawn_larder(g_repo, "serve", 1, &out, args);
  char text[1024] = "", line[512];
  size_t len = 0;
  while (th_read_line(out, line, sizeof line, 10000) >= 0)
    len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", line);
  close(out);
  int st = 0;
  int exited = th_reap(pid, 10000, &st);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
  }
  cr_assert(exited, "a second server started on port %d", g_port);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "wait status %d", st);
  char want[256];
  snprintf(want, sizeof want, "larder: serve: cannot listen on 127.0.0.1:%d "
           "(Address already in use)\n", g_port);
  cr_assert_str_eq(text, want);
  check_alive("a second server tried the port");
  srv_stop();
}

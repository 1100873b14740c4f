/*
 * frontend.c - the feature server's HTTP front end: one libmicrohttpd
 * event loop per server thread (--threads, one per core by default), each
 * polling its own listening socket, all bound to one port with
 * SO_REUSEPORT so the kernel spreads new connections over the loops; a
 * request is parsed, answered (lr__server_handle, route.c) and written on
 * the thread of the loop that accepted its connection, with no hand-off.
 *
 * Before, one libmicrohttpd thread pool shared a single listening socket:
 * whichever thread woke first took the connection, so connections piled
 * onto some threads while others idled, and at a steady load their p99
 * went to milliseconds (bench/README.md, issue 18). Each loop polls with
 * poll(), not epoll: libmicrohttpd 0.9.75 can abort in MHD_quiesce_daemon
 * ("Failed to remove listen FD from epoll set"), which a drain calls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../ui/ui.h"
#include "../util/timefmt.h"
#include "frontend.h"

/* Connections each loop takes at most, and its listen backlog. */
enum { LOOP_CONNECTIONS_MAX = 10000, LISTEN_BACKLOG = 1024 };

/* One request's body, gathered across upload calls; while parked (a
 * min_version not reached yet), its place in the parked list. */
typedef struct upload {
  lr__buf body;
  int too_large;
  long long started_us;
  long long wait_until_us;     /* lr__reply.wait_until_us */
  struct MHD_Connection *conn; /* while parked */
  struct upload *next_parked;
} upload;

/* The event loops, and the requests parked on them. A parked request's
 * connection is suspended (its loop serves the others meanwhile); the
 * resumer thread resumes every parked connection each millisecond, and
 * libmicrohttpd calls on_request again, which answers or parks again. */
struct lr__frontend {
  struct MHD_Daemon **loops;
  int n_loops;
  pthread_mutex_t park_lock; /* guards parked and resumer_stop */
  pthread_cond_t park_cond;  /* signalled when a request is parked */
  upload *parked;
  int resumer_stop;
  pthread_t resumer;
  int resumer_started;
};

/* ---- parked requests ---------------------------------------------------- */

/* Suspends `conn` (on_request's own) and lists it for the resumer. */
static void park(lr__frontend *fe, struct MHD_Connection *conn, upload *up) {
  MHD_suspend_connection(conn);
  up->conn = conn;
  pthread_mutex_lock(&fe->park_lock);
  up->next_parked = fe->parked;
  fe->parked = up;
  pthread_cond_signal(&fe->park_cond);
  pthread_mutex_unlock(&fe->park_lock);
}

/* Resumes every parked connection (with park_lock held; released while
 * resuming: a resumed request may be answered, or parked again, at once). */
static void resume_parked(lr__frontend *fe) {
  upload *list = fe->parked;
  fe->parked = NULL;
  pthread_mutex_unlock(&fe->park_lock);
  while (list) {
    upload *next = list->next_parked; /* before: it may be parked again */
    MHD_resume_connection(list->conn);
    list = next;
  }
  pthread_mutex_lock(&fe->park_lock);
}

/* The resumer: sleeps while nothing is parked, else resumes the parked
 * requests each millisecond (the granularity a min_version wait had when
 * it slept in the handler). */
static void *resumer_main(void *arg) {
  lr__frontend *fe = arg;
  pthread_mutex_lock(&fe->park_lock);
  while (!fe->resumer_stop) {
    if (!fe->parked) {
      pthread_cond_wait(&fe->park_cond, &fe->park_lock);
      continue;
    }
    pthread_mutex_unlock(&fe->park_lock);
    struct timespec pause = {0, 1000L * 1000};
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&fe->park_lock);
    resume_parked(fe);
  }
  resume_parked(fe); /* none is left suspended when the loops stop */
  pthread_mutex_unlock(&fe->park_lock);
  return NULL;
}

/* ---- libmicrohttpd glue ------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, lr__reply *r) {
  size_t len = r->body.len;
  char *data = lr__buf_steal(&r->body);
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                          : MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(data);
    lr__reply_release(r);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->content_type);
  if (r->allow)
    MHD_add_response_header(resp, "Allow", r->allow);
  if (r->status == 401 && !r->page)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  if (r->set_cookie)
    MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
  if (r->location)
    MHD_add_response_header(resp, "Location", r->location);
  if (r->page) {
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Content-Security-Policy", LR__UI_CSP);
  }
  if (r->versioned) {
    char version[48];
    snprintf(version, sizeof version, "%llu.%llu", r->version.generation,
             r->version.seq);
    MHD_add_response_header(resp, "Larder-Version", version);
  }
  enum MHD_Result queued = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  lr__reply_release(r);
  return queued;
}

/* Appends one query argument to the lr__buf `cls`, percent-encoded. */
static enum MHD_Result add_argument(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value) {
  (void)kind;
  lr__buf *q = cls;
  if (q->len)
    lr__buf_putc(q, '&');
  lr__ui_url_encode(q, key);
  if (value) {
    lr__buf_putc(q, '=');
    lr__ui_url_encode(q, value);
  }
  return MHD_YES;
}

/* A request of the web UI: its Cookie header and query string into r
 * (the query built into `query`, which must outlive the call). */
static void ui_inputs(struct MHD_Connection *conn, lr__buf *query,
                      lr__reply *r) {
  r->cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
  MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_argument, query);
  r->query = lr__buf_str(query);
}

/* The 413 of a body over opt.max_body_bytes. */
static void too_large(lr__server *s, lr__reply *r) {
  lr__buf detail;
  lr__buf_init(&detail);
  lr__buf_printf(&detail, "the body is larger than this server takes (%zu "
                 "bytes)", s->opt.max_body_bytes);
  lr__json_error(&r->body, &r->status, 413, "body too large",
                 lr__buf_str(&detail));
  lr__buf_free(&detail);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **con_cls) {
  (void)version;
  lr__server *s = cls;
  upload *up = *con_cls;
  if (!up) { /* the headers: start gathering the body */
    up = calloc(1, sizeof *up);
    if (!up)
      return MHD_NO;
    lr__buf_init(&up->body);
    up->started_us = lr__time_now_us();
    *con_cls = up;
    atomic_fetch_add(&s->in_flight, 1);
    return MHD_YES;
  }
  if (*data_size) {
    if (up->body.len + *data_size > s->opt.max_body_bytes)
      up->too_large = 1;
    else
      lr__buf_append(&up->body, data, *data_size);
    *data_size = 0;
    return MHD_YES;
  }
  lr__reply r = {.status = 500, .content_type = "application/json",
                 .parkable = 1, .wait_until_us = up->wait_until_us};
  lr__buf_init(&r.body);
  r.min_version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                              "Larder-Min-Version");
  lr__buf query;
  lr__buf_init(&query);
  if (s->opt.ui && lr__ui_path(url))
    ui_inputs(conn, &query, &r);
  if (up->too_large)
    too_large(s, &r);
  else
    lr__server_handle(s, method, url,
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "Authorization"),
                      lr__buf_str(&up->body), up->body.len, &r);
  lr__buf_free(&query);
  if (r.status == LR__STATUS_PARKED) {
    up->wait_until_us = r.wait_until_us;
    lr__reply_release(&r);
    park(s->front, conn, up);
    return MHD_YES;
  }
  lr__metrics_record(&s->metrics, lr__endpoint_of(url), r.status,
                     lr__time_now_us() - up->started_us);
  return reply(conn, &r);
}

/* After each request: frees its upload and starts the connection's clock
 * for the next one. */
static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode why) {
  (void)why;
  lr__server *s = cls;
  upload *up = *con_cls;
  if (up) {
    lr__buf_free(&up->body);
    free(up);
    atomic_fetch_sub(&s->in_flight, 1);
  }
  *con_cls = NULL;
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  lr__conn *c = info ? info->socket_context : NULL;
  if (c)
    atomic_store(&c->since_us, lr__time_now_us());
}

/* ---- the bound on a request's whole time -------------------------------- */

/* libmicrohttpd's timeout counts silence only: a client trickling a byte a
 * second would hold a connection (and a thread's attention) for ever. So
 * every connection is listed with the time its current request window
 * opened (at connect, and when an answer completes); the ticker shuts down
 * the socket of any window open longer than opt.timeout_seconds, and
 * libmicrohttpd then closes it. The list's lock is held across the
 * shutdown, and libmicrohttpd reports a close before it closes the
 * descriptor, so a descriptor reused by a new connection is never hit. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  lr__server *s = cls;
  lr__conn *c = *socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info) { /* an answer goes out at once, not after a delayed ACK */
      int on = 1;
      setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    c = info ? calloc(1, sizeof *c) : NULL;
    if (!c)
      return; /* not bounded, but served */
    c->fd = info->connect_fd;
    atomic_store(&c->since_us, lr__time_now_us());
    pthread_mutex_lock(&s->conns_lock);
    c->next = s->conns;
    if (s->conns)
      s->conns->prev = c;
    s->conns = c;
    pthread_mutex_unlock(&s->conns_lock);
    *socket_context = c;
  } else if (c) {
    pthread_mutex_lock(&s->conns_lock);
    if (c->prev)
      c->prev->next = c->next;
    else
      s->conns = c->next;
    if (c->next)
      c->next->prev = c->prev;
    pthread_mutex_unlock(&s->conns_lock);
    free(c);
    *socket_context = NULL;
  }
}

void lr__frontend_close_slow(lr__server *s) {
  long long limit = lr__time_now_us() - s->opt.timeout_seconds * 1000000LL;
  pthread_mutex_lock(&s->conns_lock);
  for (lr__conn *c = s->conns; c; c = c->next)
    if (!c->shut && atomic_load(&c->since_us) < limit) {
      shutdown(c->fd, SHUT_RDWR);
      c->shut = 1;
    }
  pthread_mutex_unlock(&s->conns_lock);
}

/* ---- the drain ---------------------------------------------------------- */

/* How long a stop waits at most for requests under way. */
enum { DRAIN_MAX_SECONDS = 5 };

/* Stops the resumer (resuming what is still parked), then the loops, and
 * frees the front end. */
static void stop_front(lr__server *s) {
  lr__frontend *fe = s->front;
  if (!fe)
    return;
  if (fe->resumer_started) {
    pthread_mutex_lock(&fe->park_lock);
    fe->resumer_stop = 1;
    pthread_cond_signal(&fe->park_cond);
    pthread_mutex_unlock(&fe->park_lock);
    pthread_join(fe->resumer, NULL);
  }
  for (int i = 0; i < fe->n_loops; i++)
    MHD_stop_daemon(fe->loops[i]);
  pthread_mutex_destroy(&fe->park_lock);
  pthread_cond_destroy(&fe->park_cond);
  free(fe->loops);
  free(fe);
  s->front = NULL;
}

void lr__frontend_stop(lr__server *s) { stop_front(s); }

/* Stops accepting (every loop gives its listening socket back, which is
 * closed: connections not yet accepted are refused), then waits (up to
 * opt.timeout_seconds, at most DRAIN_MAX_SECONDS: a stalled client must
 * not hold a stop up) until the requests under way are answered, then
 * stops the loops (closing idle keep-alive connections). */
void lr__frontend_drain(lr__server *s) {
  int seconds = s->opt.timeout_seconds < DRAIN_MAX_SECONDS
                    ? s->opt.timeout_seconds : DRAIN_MAX_SECONDS;
  for (int i = 0; i < s->front->n_loops; i++) {
    MHD_socket listener = MHD_quiesce_daemon(s->front->loops[i]);
    if (listener != MHD_INVALID_SOCKET)
      close(listener);
  }
  for (int waited_ms = 0; waited_ms < seconds * 1000; waited_ms += 20) {
    if (atomic_load(&s->in_flight) == 0)
      break;
    struct timespec pause = {0, 20L * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  stop_front(s);
}

/* ---- listening ---------------------------------------------------------- */

/* The socket address of opt.host and `port`, or LR_EINVAL with why. */
static int listen_address(lr__server *s, int port, struct sockaddr_in *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, s->opt.host, &addr->sin_addr) == 1)
    return 0;
  lr__buf_printf(&s->errmsg, "the host '%s' is not an IPv4 address (such "
                 "as 127.0.0.1, or 0.0.0.0 for every interface)",
                 s->opt.host);
  return LR_EINVAL;
}

static int cannot_listen(lr__server *s, int port, int fd) {
  lr__buf_printf(&s->errmsg, "cannot listen on %s:%d (%s)", s->opt.host,
                 port, strerror(errno));
  if (fd >= 0)
    close(fd);
  return LR_EIO;
}

/* A TCP socket bound to `addr`, listening when `backlog` > 0; with `share`,
 * SO_REUSEPORT. Returns the descriptor, or -1 with errno set. */
static int bound_socket(const struct sockaddr_in *addr, int share,
                        int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  if (fd < 0)
    return -1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      (share && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on)) ||
      bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 ||
      (backlog > 0 && listen(fd, backlog) != 0)) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/* The port the loops will share: opt.port, checked free, or for port 0 one
 * the kernel picks. A socket bound without SO_REUSEPORT first, then
 * closed: with SO_REUSEPORT alone, a second server started on a port in
 * use would silently share it with the first instead of failing. */
static int free_port(lr__server *s, int *port) {
  struct sockaddr_in addr;
  int rc = listen_address(s, s->opt.port, &addr);
  if (rc)
    return rc;
  int fd = bound_socket(&addr, 0, 0);
  if (fd < 0)
    return cannot_listen(s, s->opt.port, -1);
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
    return cannot_listen(s, s->opt.port, fd);
  close(fd);
  *port = ntohs(addr.sin_port);
  return 0;
}

/* Starts loop `i` on listening socket `fd` (which it then owns). */
static int start_loop(lr__server *s, int fd, int port) {
  lr__frontend *fe = s->front;
  fe->loops[fe->n_loops] = MHD_start_daemon(
      MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
          MHD_USE_ERROR_LOG, 0,
      NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opt.timeout_seconds,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)LOOP_CONNECTIONS_MAX,
      MHD_OPTION_END);
  if (!fe->loops[fe->n_loops])
    return cannot_listen(s, port, fd);
  fe->n_loops++;
  return 0;
}

/* The front end's state and its resumer thread, no loop yet. */
static int make_front(lr__server *s) {
  lr__frontend *fe = s->front = calloc(1, sizeof *fe);
  if (fe)
    fe->loops = calloc((size_t)s->opt.threads, sizeof(struct MHD_Daemon *));
  if (!fe || !fe->loops) {
    lr__buf_puts(&s->errmsg, "out of memory");
    return LR_ENOMEM;
  }
  pthread_mutex_init(&fe->park_lock, NULL);
  pthread_cond_init(&fe->park_cond, NULL);
  if ((errno = pthread_create(&fe->resumer, NULL, resumer_main, fe)) != 0) {
    lr__buf_printf(&s->errmsg, "cannot start a thread: %s", strerror(errno));
    return LR_EIO;
  }
  fe->resumer_started = 1;
  return 0;
}

int lr__frontend_start(lr__server *s) {
  int port;
  int rc = free_port(s, &port);
  if (!rc)
    rc = make_front(s);
  struct sockaddr_in addr;
  if (!rc)
    listen_address(s, port, &addr);
  for (int i = 0; i < s->opt.threads && !rc; i++) {
    int fd = bound_socket(&addr, 1, LISTEN_BACKLOG);
    rc = fd < 0 ? cannot_listen(s, port, -1) : start_loop(s, fd, port);
  }
  if (rc) {
    stop_front(s);
    return rc;
  }
  s->port = port;
  return 0;
}

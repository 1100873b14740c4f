/*
 * server.c - the feature server's life: libmicrohttpd (a pool of poll()
 * threads, one per core by default, keep-alive) in front of the handlers
 * (route.c); body limits; a bound on each request's whole time; a ticker
 * thread that reloads the registry, frees the reader slots of dead
 * processes and, once lr_server_stop writes to its pipe, drains and stops.
 *
 * The library owns no signals: the program decides what stops the server
 * (`larder serve`: SIGTERM and SIGINT, src/cli/serve_cmd.c).
 * libmicrohttpd was measured against h2o on this handler (bench/README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../offline/duckdb.h"
#include "../online/introspect.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "server.h"

/* One request's body, gathered across upload calls. */
typedef struct upload {
  lr__buf body;
  int too_large;
  long long started_us;
} upload;

/* How often the ticker wakes, and how often it clears stale readers. */
enum { TICK_MS = 200, STALE_CHECK_US = 1000000 };

/* ---- libmicrohttpd glue ------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, lr__reply *r) {
  size_t len = r->body.len;
  char *data = lr__buf_steal(&r->body);
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                          : MHD_RESPMEM_PERSISTENT);
  if (!resp) {
    free(data);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->content_type);
  if (r->allow)
    MHD_add_response_header(resp, "Allow", r->allow);
  if (r->status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  if (r->versioned) {
    char version[48];
    snprintf(version, sizeof version, "%llu.%llu", r->version.generation,
             r->version.seq);
    MHD_add_response_header(resp, "Larder-Version", version);
  }
  enum MHD_Result queued = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return queued;
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
  lr__reply r = {.status = 500, .content_type = "application/json"};
  lr__buf_init(&r.body);
  r.min_version = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                              "Larder-Min-Version");
  if (up->too_large)
    too_large(s, &r);
  else
    lr__server_handle(s, method, url,
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "Authorization"),
                      lr__buf_str(&up->body), up->body.len, &r);
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

static void close_slow_connections(lr__server *s) {
  long long limit = lr__time_now_us() - s->opt.timeout_seconds * 1000000LL;
  pthread_mutex_lock(&s->conns_lock);
  for (lr__conn *c = s->conns; c; c = c->next)
    if (!c->shut && atomic_load(&c->since_us) < limit) {
      shutdown(c->fd, SHUT_RDWR);
      c->shut = 1;
    }
  pthread_mutex_unlock(&s->conns_lock);
}

/* ---- registry reloads and stale readers --------------------------------- */

static int registry_stat(const char *path, struct timespec *mtime) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  *mtime = st.st_mtim;
  return 0;
}

void lr__server_maybe_reload(lr__server *s) {
  struct timespec mtime;
  if (registry_stat(s->registry_path, &mtime) != 0 ||
      (s->store && mtime.tv_sec == s->registry_mtime.tv_sec &&
       mtime.tv_nsec == s->registry_mtime.tv_nsec))
    return;
  /* One process may hold an LMDB environment open once: the old store is
   * closed before the new one opens, with no request in between. */
  pthread_rwlock_wrlock(&s->lock);
  lr__server_clear_cache(s);
  lr_store_close(s->store);
  s->store = NULL;
  if (lr_store_open(s->opt.repo, LR_STORE_READWRITE, &s->store) != 0) {
    lr_store_close(s->store); /* 503 until a registry opens again */
    s->store = NULL;
  } else {
    lr__metrics_add_views(&s->metrics, s->store); /* new views: counted
                                                     unless out of memory */
  }
  s->registry_mtime = mtime;
  pthread_rwlock_unlock(&s->lock);
}

/* Frees the reader slots of processes that died holding the store (a
 * server killed with -9 leaves up to its bound behind). */
static void clear_stale_readers(lr__server *s) {
  int cleared = 0;
  pthread_rwlock_rdlock(&s->lock);
  if (s->store)
    lr__store_clear_stale_readers(s->store, &cleared);
  pthread_rwlock_unlock(&s->lock);
  if (cleared > 0)
    atomic_fetch_add(&s->metrics.stale_readers_cleared,
                     (unsigned long long)cleared);
}

/* ---- the ticker and the drain ------------------------------------------- */

/* How long a stop waits at most for requests under way. */
enum { DRAIN_MAX_SECONDS = 5 };

/* Stops accepting connections, then waits (up to opt.timeout_seconds, at
 * most DRAIN_MAX_SECONDS: a stalled client must not hold a stop up) until
 * the requests under way are answered, then stops (closing idle
 * keep-alive connections). */
static void drain(lr__server *s) {
  struct MHD_Daemon *d = s->daemon;
  int seconds = s->opt.timeout_seconds < DRAIN_MAX_SECONDS
                    ? s->opt.timeout_seconds : DRAIN_MAX_SECONDS;
  MHD_socket listener = MHD_quiesce_daemon(d);
  if (listener != MHD_INVALID_SOCKET)
    close(listener);
  for (int waited_ms = 0; waited_ms < seconds * 1000; waited_ms += 20) {
    if (atomic_load(&s->in_flight) == 0)
      break;
    struct timespec pause = {0, 20L * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  MHD_stop_daemon(d);
  s->daemon = NULL;
}

/* The ticker: every TICK_MS, closes slow connections and looks for a new
 * registry; every second, clears stale readers; on a byte in the stop
 * pipe, drains and returns. */
static void *tick_main(void *arg) {
  lr__server *s = arg;
  long long last_stale_check = 0;
  for (;;) {
    struct pollfd p = {.fd = s->stop_pipe[0], .events = POLLIN};
    if (poll(&p, 1, TICK_MS) > 0)
      break;
    close_slow_connections(s);
    lr__server_maybe_reload(s);
    long long now = lr__time_now_us();
    if (now - last_stale_check >= STALE_CHECK_US) {
      last_stale_check = now;
      clear_stale_readers(s);
    }
  }
  drain(s);
  return NULL;
}

/* ---- lifecycle --------------------------------------------------------- */

static int read_token(lr__server *s) {
  if (!s->opt.token_file)
    return 0;
  char *text;
  size_t len;
  if (lr__fs_read_file(s->opt.token_file, &text, &len, &s->errmsg))
    return LR_EINVAL;
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                 text[len - 1] == ' '))
    text[--len] = '\0';
  if (!len) {
    lr__buf_printf(&s->errmsg, "the token file %s is empty",
                   s->opt.token_file);
    free(text);
    return LR_EINVAL;
  }
  s->token = text;
  s->token_len = len;
  return 0;
}

static void apply_defaults(lr_server_options *o) {
  if (!o->host)
    o->host = "127.0.0.1";
  if (o->threads <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cores > 0 ? (int)cores : 1;
  }
  if (!o->max_body_bytes)
    o->max_body_bytes = 1 << 20;
  if (o->max_entities <= 0)
    o->max_entities = 10000;
  if (o->timeout_seconds <= 0)
    o->timeout_seconds = 30;
}

static int start_daemon(lr__server *s) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)s->opt.port);
  if (inet_pton(AF_INET, s->opt.host, &addr.sin_addr) != 1) {
    lr__buf_printf(&s->errmsg, "the host '%s' is not an IPv4 address (such "
                   "as 127.0.0.1, or 0.0.0.0 for every interface)",
                   s->opt.host);
    return LR_EINVAL;
  }
  /* poll(), not epoll: libmicrohttpd 0.9.75 can abort in
   * MHD_quiesce_daemon ("Failed to remove listen FD from epoll set") when a
   * pool of epoll threads is stopped, which a drain does. */
  s->daemon = MHD_start_daemon(
      MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
      (uint16_t)s->opt.port, NULL, NULL, on_request, s,
      MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opt.timeout_seconds,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
      MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_END);
  if (!s->daemon) {
    lr__buf_printf(&s->errmsg, "cannot listen on %s:%d (%s)", s->opt.host,
                   s->opt.port, strerror(errno));
    return LR_EIO;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : s->opt.port;
  return 0;
}

/* Opens the store, notes the registry file to watch, makes the stop pipe
 * (non-blocking: a stop never blocks, even in a signal handler). */
static int open_store(lr__server *s) {
  int rc = lr_store_open(s->opt.repo, LR_STORE_READWRITE, &s->store);
  if (rc) {
    lr__buf_puts(&s->errmsg, lr_store_errmsg(s->store));
    return rc;
  }
  if (lr__metrics_add_views(&s->metrics, s->store) != 0) {
    lr__buf_puts(&s->errmsg, "out of memory");
    return LR_ENOMEM;
  }
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, s->opt.repo,
              lr__store_model(s->store)->config.registry_path);
  s->registry_path = lr__buf_steal(&path);
  registry_stat(s->registry_path, &s->registry_mtime);
  return 0;
}

static int make_stop_pipe(lr__server *s) {
  if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) == 0)
    return 0;
  s->stop_pipe[0] = s->stop_pipe[1] = -1;
  lr__buf_printf(&s->errmsg, "cannot make a pipe: %s", strerror(errno));
  return LR_EIO;
}

/* The state of a server, everything but listening (see server.h). */
static int create(const lr_server_options *opt, lr__server **out) {
  lr__server *s = *out = calloc(1, sizeof *s);
  if (!s)
    return LR_ENOMEM;
  s->stop_pipe[0] = s->stop_pipe[1] = -1;
  lr__buf_init(&s->errmsg);
  pthread_rwlock_init(&s->lock, NULL);
  pthread_mutex_init(&s->cache_lock, NULL);
  pthread_mutex_init(&s->write_lock, NULL);
  pthread_mutex_init(&s->conns_lock, NULL);
  s->metrics.started_us = lr__time_now_us();
  if (!opt || !opt->repo) {
    lr__buf_puts(&s->errmsg, "lr_server_start needs options with a repo");
    return LR_EINVAL;
  }
  s->opt = *opt;
  apply_defaults(&s->opt);
  int rc = read_token(s);
  return rc ? rc : open_store(s);
}

int lr__server_create(const lr_server_options *opt, lr__server **out,
                      lr__buf *err) {
  int rc = create(opt, out);
  if (rc && *out)
    lr__buf_puts(err, lr__buf_str(&(*out)->errmsg));
  return rc;
}

int lr_server_start(const lr_server_options *opt, lr_server **out) {
  if (!out)
    return LR_EINVAL;
  int rc = create(opt, out);
  lr__server *s = *out;
  if (!rc)
    rc = make_stop_pipe(s);
  if (!rc)
    rc = start_daemon(s);
  if (!rc && (errno = pthread_create(&s->ticker, NULL, tick_main, s)) != 0) {
    lr__buf_printf(&s->errmsg, "cannot start a thread: %s", strerror(errno));
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    rc = LR_EIO;
  }
  if (s)
    s->ticking = rc == 0;
  return rc;
}

const char *lr_server_errmsg(const lr_server *srv) {
  if (!srv)
    return "out of memory";
  return srv->errmsg.len ? lr__buf_str(&srv->errmsg) : "";
}

int lr_server_port(const lr_server *srv) { return srv ? srv->port : 0; }

void lr_server_stop(lr_server *srv) {
  if (!srv || srv->stop_pipe[1] < 0)
    return;
  int saved = errno; /* may run in a signal handler */
  ssize_t n = write(srv->stop_pipe[1], "", 1); /* full: a stop is pending */
  (void)n;
  errno = saved;
}

int lr_server_wait(lr_server *srv) {
  if (!srv)
    return LR_EINVAL;
  if (srv->ticking && !srv->waited) {
    pthread_join(srv->ticker, NULL);
    srv->waited = 1;
  }
  return 0;
}

void lr_server_close(lr_server *srv) {
  if (!srv)
    return;
  if (srv->ticking && !srv->waited) {
    lr_server_stop(srv);
    lr_server_wait(srv);
  }
  lr__server_free(srv);
}

void lr__server_free(lr__server *srv) {
  if (!srv)
    return;
  lr__server_clear_cache(srv);
  lr_store_close(srv->store);
  if (srv->push_db)
    lr__duckdb_close(srv->push_db);
  free(srv->push_db);
  free(srv->push_repo);
  for (int i = 0; i < 2; i++)
    if (srv->stop_pipe[i] >= 0)
      close(srv->stop_pipe[i]);
  free(srv->token);
  free(srv->registry_path);
  lr__metrics_free(&srv->metrics);
  pthread_rwlock_destroy(&srv->lock);
  pthread_mutex_destroy(&srv->cache_lock);
  pthread_mutex_destroy(&srv->write_lock);
  pthread_mutex_destroy(&srv->conns_lock);
  lr__buf_free(&srv->errmsg);
  free(srv);
}

/*
 * server.c - `larder serve`: libmicrohttpd (a pool of poll() threads, one
 * per core by default, keep-alive, connection timeouts) in front of the
 * handlers; bearer-token checks in constant time; body and entity limits;
 * registry reloads; a drain on SIGTERM.
 *
 * libmicrohttpd was measured against h2o on this handler (bench/README.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../online/store.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "server.h"

/* One request's body, gathered across upload calls. */
typedef struct upload {
  lr__buf body;
  int too_large;
  long long started_us;
} upload;

/* ---- auth -------------------------------------------------------------- */

/* Compares in time that depends only on the lengths, not on where the
 * first difference is. */
static int same_secret(const char *a, size_t a_len, const char *b,
                       size_t b_len) {
  unsigned char diff = a_len != b_len;
  for (size_t i = 0; i < a_len && i < b_len; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

static int authorized(const lr__server *s, const char *auth) {
  if (!s->token)
    return 1;
  static const char prefix[] = "Bearer ";
  if (!auth || strncmp(auth, prefix, sizeof prefix - 1) != 0)
    return 0;
  const char *given = auth + sizeof prefix - 1;
  return same_secret(given, strlen(given), s->token, s->token_len);
}

/* ---- routing ----------------------------------------------------------- */

static void health(lr__server *s, int *status, lr__buf *out) {
  MDB_stat st;
  MDB_txn *txn;
  int ok = mdb_txn_begin(s->store->env, NULL, MDB_RDONLY, &txn) == 0;
  if (ok) {
    ok = mdb_env_stat(s->store->env, &st) == 0;
    mdb_txn_abort(txn);
  }
  *status = ok ? 200 : 503;
  lr__buf_printf(out, "{\"status\": \"%s\", \"registry_version\": %llu}\n",
                 ok ? "ok" : "unavailable",
                 (unsigned long long)s->store->reg.version);
}

void lr__server_handle(lr__server *s, const char *method, const char *path,
                       const char *auth, const char *body, size_t len,
                       lr__reply *r) {
  int *status = &r->status;
  lr__buf *out = &r->body;
  r->content_type = "application/json";
  if (!authorized(s, auth)) {
    lr__json_error(out, status, 401, "unauthorized",
                   "send the header `Authorization: Bearer <token>`");
    return;
  }
  lr__endpoint ep = lr__endpoint_of(path);
  int post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
  if (ep == LR__EP_OTHER) {
    lr__json_error(out, status, 404, "not found",
                   "endpoints: POST /get-online-features, POST "
                   "/write-to-online-store, POST /push, GET /health, GET "
                   "/metrics");
    return;
  }
  int wants_post = ep == LR__EP_GET_ONLINE || ep == LR__EP_WRITE ||
                   ep == LR__EP_PUSH;
  if ((wants_post && !post) || (!wants_post && !get)) {
    r->allow = wants_post ? "POST" : "GET";
    lr__json_error(out, status, 405, "method not allowed",
                   wants_post ? "use POST" : "use GET");
    return;
  }
  lr__server_maybe_reload(s);
  pthread_rwlock_rdlock(&s->lock);
  if (!s->store) {
    lr__json_error(out, status, 503, "unavailable",
                   "the registry could not be opened; see `larder apply`");
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  switch (ep) {
  case LR__EP_GET_ONLINE: lr__get_online_features(s, body, len, status, out); break;
  case LR__EP_WRITE: lr__write_to_online_store(s, body, len, status, out); break;
  case LR__EP_PUSH: lr__push(s, body, len, status, out); break;
  case LR__EP_HEALTH: health(s, status, out); break;
  default:
    r->content_type = "text/plain; version=0.0.4";
    *status = 200;
    pthread_mutex_lock(&s->write_lock); /* meta reads use the store's
                                           message buffer */
    lr__metrics_write(&s->metrics, s->store, out);
    pthread_mutex_unlock(&s->write_lock);
  }
  pthread_rwlock_unlock(&s->lock);
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
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->content_type);
  if (r->allow)
    MHD_add_response_header(resp, "Allow", r->allow);
  if (r->status == 401)
    MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
  enum MHD_Result queued = MHD_queue_response(conn, (unsigned)r->status, resp);
  MHD_destroy_response(resp);
  return queued;
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
  if (up->too_large)
    lr__json_error(&r.body, &r.status, 413, "body too large",
                   "the body is larger than the server's --max-body-bytes");
  else
    lr__server_handle(s, method, url,
                      MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "Authorization"),
                      lr__buf_str(&up->body), up->body.len, &r);
  lr__metrics_record(&s->metrics, lr__endpoint_of(url), r.status,
                     lr__time_now_us() - up->started_us);
  return reply(conn, &r);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode why) {
  (void)conn, (void)why;
  lr__server *s = cls;
  upload *up = *con_cls;
  if (up) {
    lr__buf_free(&up->body);
    free(up);
    atomic_fetch_sub(&s->in_flight, 1);
  }
  *con_cls = NULL;
}

/* ---- registry reloads -------------------------------------------------- */

static int registry_stat(const char *path, struct timespec *mtime) {
  struct stat st;
  if (stat(path, &st) != 0)
    return -1;
  *mtime = st.st_mtim;
  return 0;
}

void lr__server_maybe_reload(lr__server *s) {
  long long now = lr__time_now_us();
  long long last = atomic_load(&s->last_check_us);
  if (now - last < 1000000 ||
      !atomic_compare_exchange_strong(&s->last_check_us, &last, now))
    return;
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
  }
  s->registry_mtime = mtime;
  pthread_rwlock_unlock(&s->lock);
}

/* ---- lifecycle --------------------------------------------------------- */

static int read_token(lr__server *s, lr__buf *err) {
  if (!s->opt.token_file)
    return 0;
  char *text;
  size_t len;
  int rc = lr__fs_read_file(s->opt.token_file, &text, &len, err);
  if (rc)
    return LR_EINVAL;
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                 text[len - 1] == ' '))
    text[--len] = '\0';
  if (!len) {
    lr__buf_printf(err, "the token file %s is empty", s->opt.token_file);
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

static struct MHD_Daemon *start_daemon(lr__server *s, lr__buf *err) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)s->opt.port);
  if (inet_pton(AF_INET, s->opt.host, &addr.sin_addr) != 1) {
    lr__buf_printf(err, "--host %s is not an IPv4 address", s->opt.host);
    return NULL;
  }
  /* poll(), not epoll: libmicrohttpd 0.9.75 can abort in
   * MHD_quiesce_daemon ("Failed to remove listen FD from epoll set") when a
   * pool of epoll threads is stopped, which a drain on SIGTERM does. */
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG,
      (uint16_t)s->opt.port,
      NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->opt.threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->opt.timeout_seconds,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_END);
  if (!d)
    lr__buf_printf(err, "cannot listen on %s:%d (%s)", s->opt.host,
                   s->opt.port, strerror(errno));
  return d;
}

/* Blocks SIGTERM and SIGINT (in this thread and the threads it starts) and
 * waits for one of them. */
static void wait_for_stop(const sigset_t *set) {
  int sig;
  while (sigwait(set, &sig) != 0)
    ;
}

/* How long a stop waits at most for requests under way. */
enum { DRAIN_MAX_SECONDS = 5 };

/* Stops accepting connections, then waits (up to `seconds`, at most
 * DRAIN_MAX_SECONDS: a stalled client must not hold a stop up) until the
 * requests under way are answered, then stops (closing idle keep-alive
 * connections). */
static void drain(lr__server *s, struct MHD_Daemon *d, int seconds) {
  if (seconds > DRAIN_MAX_SECONDS)
    seconds = DRAIN_MAX_SECONDS;
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
}

int lr__server_create(const lr_server_options *opt, lr__server **out,
                      lr__buf *err) {
  lr__server *s = calloc(1, sizeof *s);
  *out = s;
  if (!s)
    return LR_ENOMEM;
  s->opt = *opt;
  apply_defaults(&s->opt);
  pthread_rwlock_init(&s->lock, NULL);
  pthread_mutex_init(&s->cache_lock, NULL);
  pthread_mutex_init(&s->write_lock, NULL);
  s->metrics.started_us = lr__time_now_us();
  int rc = read_token(s, err);
  if (rc == 0) {
    rc = lr_store_open(s->opt.repo, LR_STORE_READWRITE, &s->store);
    if (rc)
      lr__buf_puts(err, lr_store_errmsg(s->store));
  }
  if (rc)
    return rc;
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, s->opt.repo, s->store->reg.config.registry_path);
  s->registry_path = lr__buf_steal(&path);
  registry_stat(s->registry_path, &s->registry_mtime);
  return 0;
}

void lr__server_free(lr__server *s) {
  if (!s)
    return;
  lr__server_clear_cache(s);
  lr_store_close(s->store);
  free(s->token);
  free(s->registry_path);
  pthread_rwlock_destroy(&s->lock);
  pthread_mutex_destroy(&s->cache_lock);
  pthread_mutex_destroy(&s->write_lock);
  free(s);
}

/* Listens until SIGTERM or SIGINT, then drains. */
static int serve(lr__server *s, lr__buf *err) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct MHD_Daemon *d = start_daemon(s, err);
  if (!d)
    return LR_EIO;
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (s->opt.on_ready)
    s->opt.on_ready(s->opt.on_ready_ctx, info ? info->port : s->opt.port);
  wait_for_stop(&set);
  drain(s, d, s->opt.timeout_seconds);
  return 0;
}

int lr_serve(const lr_server_options *opt, char **errmsg) {
  if (errmsg)
    *errmsg = NULL;
  if (!opt || !opt->repo)
    return LR_EINVAL;
  lr__buf err;
  lr__buf_init(&err);
  lr__server *s = NULL;
  int rc = lr__server_create(opt, &s, &err);
  if (rc == 0)
    rc = serve(s, &err);
  if (rc && errmsg)
    *errmsg = lr__buf_steal(&err);
  lr__server_free(s);
  lr__buf_free(&err);
  return rc;
}

/*
 * h2o_server.c - a measurement prototype, not product code: Larder's
 * request handler (lr__server_handle, the same one `larder serve` runs
 * behind libmicrohttpd) behind libh2o's own event loop instead, so that the
 * two HTTP libraries can be compared on the real handler (issue 5).
 *
 *   h2o_server REPO PORT THREADS
 *
 * One h2o context and event loop per thread, all accepting on one shared
 * listening socket (as libmicrohttpd's thread pool does). HTTP/1.1 with
 * keep-alive; bodies up to 1 MiB (h2o answers 413 above); h2o's request
 * timeout set to 30 s like `larder serve`. Prints "ready PORT" once it
 * listens; SIGTERM or SIGINT stops it (requests under way are not drained:
 * the loops stop at their next wake-up). Only the minimal part of lr_server_start's
 * setup is copied: the store, the registry path (for reloads), the locks,
 * the limits.
 */
#define H2O_USE_LIBUV 0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <h2o.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "online/store.h"
#include "serve/server.h"
#include "compat.h"
#include "util/fs.h"
#include "util/timefmt.h"

static lr__server *server;
static h2o_globalconf_t config;
static int listen_fd = -1;
static volatile sig_atomic_t stopping;

static void free_body(void *slot) { free(*(char **)slot); }

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
  (void)self;
  long long t0 = lr__time_now_us();
  char method[16], path[256];
  size_t ml = req->method.len < sizeof method - 1 ? req->method.len
                                                  : sizeof method - 1;
  size_t pl = req->path_normalized.len < sizeof path - 1
                  ? req->path_normalized.len : sizeof path - 1;
  memcpy(method, req->method.base, ml);
  method[ml] = '\0';
  memcpy(path, req->path_normalized.base, pl);
  path[pl] = '\0';
  /* The Authorization header, NUL-terminated, from the request's pool. */
  const char *auth = NULL;
  ssize_t h = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
  if (h >= 0) {
    h2o_iovec_t v = req->headers.entries[h].value;
    char *a = h2o_mem_alloc_pool(&req->pool, v.len + 1);
    memcpy(a, v.base, v.len);
    a[v.len] = '\0';
    auth = a;
  }
  int status = 500;
  const char *content_type = "application/json";
  lr__buf out;
  lr__buf_init(&out);
  bench_handle(server, method, path, auth,
                    req->entity.base ? req->entity.base : "",
                    req->entity.base ? req->entity.len : 0, &status, &out,
                    &content_type);
  lr__metrics_record(&server->metrics, lr__endpoint_of(path), status,
                     lr__time_now_us() - t0);
  req->res.status = status;
  req->res.reason = status == 200 ? "OK" : "Error";
  req->res.content_length = out.len; /* not chunked */
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                 content_type, strlen(content_type));
  /* The response goes out from the handler's buffer itself (no copy into
   * the request's pool): the buffer is freed when the pool is. */
  static h2o_generator_t generator = {NULL, NULL};
  size_t len = out.len;
  char **slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, free_body);
  *slot = lr__buf_steal(&out);
  h2o_iovec_t body = h2o_iovec_init(*slot ? *slot : "", *slot ? len : 0);
  h2o_start_response(req, &generator);
  h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
  return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err) {
  if (err)
    return;
  h2o_accept_ctx_t *accept_ctx = listener->data;
  h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
  if (!sock)
    return;
  int one = 1;
  setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_NODELAY, &one,
             sizeof one);
  h2o_accept(accept_ctx, sock);
}

static void *worker(void *arg) {
  (void)arg;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  memset(&accept_ctx, 0, sizeof accept_ctx);
  h2o_context_init(&ctx, h2o_evloop_create(), &config);
  accept_ctx.ctx = &ctx;
  accept_ctx.hosts = config.hosts;
  h2o_socket_t *sock =
      h2o_evloop_socket_create(ctx.loop, listen_fd, H2O_SOCKET_FLAG_DONT_READ);
  sock->data = &accept_ctx;
  h2o_socket_read_start(sock, on_accept);
  while (!stopping && h2o_evloop_run(ctx.loop, 100) == 0)
    ;
  return NULL;
}

static int open_listener(int port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(fd, SOMAXCONN) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0)
    return -1;
  return fd;
}

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: h2o_server REPO PORT THREADS\n");
    return 2;
  }
  int port = atoi(argv[2]), threads = atoi(argv[3]);
  if (threads < 1 || threads > 64)
    threads = 2;
  signal(SIGPIPE, SIG_IGN);

  /* The part of lr_server_start() the handler needs. */
  server = calloc(1, sizeof *server);
  server->opt.repo = argv[1];
  server->opt.host = "127.0.0.1";
  server->opt.port = port;
  server->opt.threads = threads;
  server->opt.max_body_bytes = 1 << 20;
  server->opt.max_entities = 10000;
  server->opt.timeout_seconds = 30;
  bench_init_locks(server);
  server->metrics.started_us = lr__time_now_us();
  if (lr_store_open(server->opt.repo, LR_STORE_READWRITE, &server->store)) {
    fprintf(stderr, "h2o_server: %s\n", lr_store_errmsg(server->store));
    return 1;
  }
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, server->opt.repo,
              server->store->reg.config.registry_path);
  server->registry_path = lr__buf_steal(&path);
  struct stat st;
  if (stat(server->registry_path, &st) == 0)
    server->registry_mtime = st.st_mtim;

  h2o_config_init(&config);
  config.max_request_entity_size = server->opt.max_body_bytes;
  config.http1.req_timeout = (uint64_t)server->opt.timeout_seconds * 1000;
  h2o_hostconf_t *host = h2o_config_register_host(
      &config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
  h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof *handler);
  handler->on_req = on_req;

  if ((listen_fd = open_listener(port)) < 0) {
    fprintf(stderr, "h2o_server: cannot listen on 127.0.0.1:%d: %s\n", port,
            strerror(errno));
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  for (int i = 0; i < threads; i++)
    pthread_create(&tids[i], NULL, worker, NULL);
  printf("ready %d\n", port);
  fflush(stdout);
  for (int i = 0; i < threads; i++)
    pthread_join(tids[i], NULL);
  close(listen_fd);
  lr__server_clear_cache(server);
  lr_store_close(server->store);
  free(server->registry_path);
  free(server);
  free(tids);
  return 0;
}

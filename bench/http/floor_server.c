/*
 * floor_server.c - the least an HTTP server can do per request on this
 * machine: the ceiling of issue 5's comparison, as raw LMDB is issue 3's.
 *
 *   floor_server PORT THREADS RESPONSE_BYTES
 *
 * THREADS epoll loops, each with its own SO_REUSEPORT listener, answer
 * every request (headers, then Content-Length bytes of body, unread) with
 * one canned 200 of RESPONSE_BYTES bytes of body, sent in one send(). It
 * parses nothing else, looks nothing up and formats nothing, so its
 * throughput under wrk is what any server (libmicrohttpd, h2o, Redis)
 * could reach at most with the client on the same cores: the rest is the
 * kernel's loopback path and the client. Not a server: no keep-alive
 * limits, no timeouts, no errors answered.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CONN_BUF = 65536 };

typedef struct conn {
  int fd;
  size_t have; /* bytes buffered of the request under way */
  char buf[CONN_BUF];
} conn;

static int port;
static char *response;
static size_t response_len;

/* A listener of its own for each loop: the kernel spreads connections. */
static int listener(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024)) {
    perror("floor_server: bind");
    exit(1);
  }
  return fd;
}

/* The length of the first whole request in c->buf, or 0 when it has not
 * all arrived: headers up to the blank line, then Content-Length bytes. */
static size_t whole_request(const conn *c) {
  const char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
  if (!end)
    return 0;
  size_t head = (size_t)(end - c->buf) + 4, body = 0;
  const char *cl = memmem(c->buf, head, "Content-Length:", 15);
  if (cl)
    body = strtoul(cl + 15, NULL, 10);
  return c->have >= head + body ? head + body : 0;
}

/* Reads what arrived and answers each whole request; 0 when closed. */
static int serve_readable(conn *c) {
  ssize_t got = recv(c->fd, c->buf + c->have, CONN_BUF - c->have, 0);
  if (got <= 0)
    return 0;
  c->have += (size_t)got;
  size_t used;
  while ((used = whole_request(c)) > 0) {
    if (send(c->fd, response, response_len, MSG_NOSIGNAL) < 0)
      return 0;
    memmove(c->buf, c->buf + used, c->have - used);
    c->have -= used;
  }
  return c->have < CONN_BUF;
}

static void *loop(void *unused) {
  (void)unused;
  int lfd = listener(), ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event ready[64];
  for (;;) {
    int n = epoll_wait(ep, ready, 64, -1);
    for (int i = 0; i < n; i++) {
      conn *c = ready[i].data.ptr;
      if (!c) {
        int fd = accept(lfd, NULL, NULL), one = 1;
        if (fd < 0)
          continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
      } else if (!serve_readable(c)) {
        close(c->fd);
        free(c);
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: floor_server PORT THREADS RESPONSE_BYTES\n");
    return 2;
  }
  port = atoi(argv[1]);
  int threads = atoi(argv[2]);
  size_t body = strtoul(argv[3], NULL, 10);
  response = malloc(body + 128);
  int head = sprintf(response,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", body);
  memset(response + head, ' ', body);
  response_len = (size_t)head + body;
  pthread_t tid;
  for (int t = 1; t < threads; t++)
    pthread_create(&tid, NULL, loop, NULL);
  loop(NULL);
  return 0;
}

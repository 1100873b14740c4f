/*
 * http_client.c - a minimal HTTP/1.1 client over a plain socket (see
 * http_client.h): enough to load a feature server with keep-alive POSTs.
 */
#include "http_client.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Copies `n` bytes of `src` into `dst` (of `cap` bytes) as a string;
 * -1 when they do not fit. */
static int copy_part(char *dst, size_t cap, const char *src, size_t n) {
  if (n >= cap)
    return -1;
  memcpy(dst, src, n);
  dst[n] = '\0';
  return 0;
}

/* Splits "HOST[:PORT]" or "[V6]:PORT" (`n` bytes) into c->host, c->port. */
static int parse_authority(http_client *c, const char *a, size_t n) {
  const char *host = a, *colon = NULL;
  size_t host_len = n;
  if (n && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close)
      return -1;
    host = a + 1;
    host_len = (size_t)(close - host);
    colon = close + 1 < a + n && close[1] == ':' ? close + 1 : NULL;
  } else {
    colon = memchr(a, ':', n);
    if (colon)
      host_len = (size_t)(colon - a);
  }
  if (host_len == 0 || copy_part(c->host, sizeof c->host, host, host_len))
    return -1;
  if (!colon)
    return copy_part(c->port, sizeof c->port, "80", 2);
  size_t port_len = (size_t)(a + n - colon - 1);
  if (port_len == 0 || strspn(colon + 1, "0123456789") < port_len ||
      copy_part(c->port, sizeof c->port, colon + 1, port_len) ||
      atoi(c->port) < 1 || atoi(c->port) > 65535)
    return -1;
  return 0;
}

int http_parse_url(http_client *c, const char *url, const char *endpoint) {
  memset(c, 0, sizeof *c);
  c->fd = -1;
  static const char scheme[] = "http://";
  if (strncasecmp(url, scheme, sizeof scheme - 1) != 0) {
    snprintf(c->err, sizeof c->err, "'%s' is not an http:// URL%s", url,
             strncasecmp(url, "https://", 8)
                 ? ""
                 : " (https is not "
                   "supported: give the server's plain http:// address)");
    return -1;
  }
  const char *authority = url + sizeof scheme - 1;
  const char *slash = strchr(authority, '/');
  size_t auth_len = slash ? (size_t)(slash - authority) : strlen(authority);
  if (parse_authority(c, authority, auth_len)) {
    snprintf(c->err, sizeof c->err,
             "'%s' has no valid host[:port] (e.g. "
             "http://127.0.0.1:6566)",
             url);
    return -1;
  }
  const char *prefix = slash ? slash : "";
  size_t prefix_len = strlen(prefix), end_len = strlen(endpoint);
  while (prefix_len && prefix[prefix_len - 1] == '/')
    prefix_len--;
  int has_endpoint = prefix_len >= end_len &&
                     !memcmp(prefix + prefix_len - end_len, endpoint, end_len);
  int n = snprintf(c->path, sizeof c->path, "%.*s%s", (int)prefix_len, prefix,
                   has_endpoint ? "" : endpoint);
  if (n < 0 || (size_t)n >= sizeof c->path) {
    snprintf(c->err, sizeof c->err, "the URL's path is too long");
    return -1;
  }
  return 0;
}

/* Finds header `name` in the head's lines [start, end): its value, or NULL.
 * `*value_len` gets its length without trailing spaces. */
static const char *find_header(const char *start, const char *end,
                               const char *name, size_t *value_len) {
  size_t name_len = strlen(name);
  for (const char *line = start; line < end;) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol)
      eol = end;
    if ((size_t)(eol - line) > name_len && line[name_len] == ':' &&
        !strncasecmp(line, name, name_len)) {
      const char *v = line + name_len + 1;
      while (v < eol && (*v == ' ' || *v == '\t'))
        v++;
      const char *e = eol;
      while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
      *value_len = (size_t)(e - v);
      return v;
    }
    line = eol + 1;
  }
  return NULL;
}

int http_parse_head(const char *buf, size_t len, http_head *head, char *why,
                    size_t why_len) {
  const char *blank = memmem(buf, len, "\r\n\r\n", 4);
  if (!blank)
    return 0;
  if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ') {
    snprintf(why, why_len, "the answer is not HTTP/1.x");
    return -1;
  }
  *head = (http_head){.status = atoi(buf + 9),
                      .head_len = (size_t)(blank - buf) + 4,
                      .keep_alive = buf[7] == '1'};
  const char *lines = memchr(buf, '\n', len) + 1, *end = blank + 2;
  size_t n;
  const char *v = find_header(lines, end, "Transfer-Encoding", &n);
  if (v && !(n == 8 && !strncasecmp(v, "identity", 8))) {
    snprintf(why, why_len,
             "the answer is sent in chunks (Transfer-Encoding: "
             "%.*s), which this client does not read",
             (int)n, v);
    return -1;
  }
  v = find_header(lines, end, "Content-Length", &n);
  if (!v || n == 0 || strspn(v, "0123456789") < n) {
    snprintf(why, why_len, "the answer has no Content-Length");
    return -1;
  }
  head->content_length = (size_t)strtoull(v, NULL, 10);
  v = find_header(lines, end, "Connection", &n);
  if (v && n == 5 && !strncasecmp(v, "close", 5))
    head->keep_alive = 0;
  return 1;
}

/* Connects to c->host:c->port with timeouts and no Nagle delay. */
static int connect_to(http_client *c) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  struct addrinfo *found = NULL;
  int rc = getaddrinfo(c->host, c->port, &hints, &found);
  if (rc != 0) {
    snprintf(c->err, sizeof c->err, "cannot resolve '%s': %s", c->host,
             gai_strerror(rc));
    return -1;
  }
  int saved = 0;
  for (struct addrinfo *a = found; a && c->fd < 0; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      c->fd = fd;
      break;
    }
    saved = errno;
    if (fd >= 0)
      close(fd);
  }
  freeaddrinfo(found);
  if (c->fd < 0) {
    snprintf(c->err, sizeof c->err, "cannot connect to %s:%s: %s", c->host,
             c->port, strerror(saved));
    return -1;
  }
  int one = 1;
  struct timeval tv = {.tv_sec = HTTP_TIMEOUT_SECONDS};
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return 0;
}

/* Closes the socket, if open; the next request connects again. */
static void disconnect(http_client *c) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

/* Makes room for `need` bytes in a growing buffer. */
static int reserve(char **buf, size_t *cap, size_t need) {
  if (need <= *cap)
    return 0;
  size_t grown = *cap ? *cap : 4096;
  while (grown < need)
    grown *= 2;
  char *p = realloc(*buf, grown);
  if (!p)
    return -1;
  *buf = p;
  *cap = grown;
  return 0;
}

/* Builds the request (head and body) into c->out; returns its length. */
static size_t build_request(http_client *c, const char *body, size_t body_len,
                            const char *authorization) {
  char head[2048];
  int n =
      snprintf(head, sizeof head,
               "POST %s HTTP/1.1\r\nHost: %s:%s\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n"
               "%s%s%s\r\n",
               c->path, c->host, c->port, body_len,
               authorization ? "Authorization: " : "",
               authorization ? authorization : "", authorization ? "\r\n" : "");
  size_t head_len = n < 0 ? 0 : (size_t)n;
  if (head_len >= sizeof head ||
      reserve(&c->out, &c->out_cap, head_len + body_len))
    return 0;
  memcpy(c->out, head, head_len);
  memcpy(c->out + head_len, body, body_len);
  return head_len + body_len;
}

/* Sends the `len` bytes of c->out. */
static int send_all(http_client *c, size_t len) {
  for (size_t sent = 0; sent < len;) {
    ssize_t k = send(c->fd, c->out + sent, len - sent, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      snprintf(c->err, sizeof c->err, "cannot send to %s:%s: %s", c->host,
               c->port, k < 0 ? strerror(errno) : "connection closed");
      return -1;
    }
    sent += (size_t)k;
  }
  return 0;
}

/* Reads until one whole answer is in c->in. Returns 1 with *head filled,
 * 0 when the connection closed before any byte (a stale keep-alive
 * connection), -1 on failure. */
static int receive(http_client *c, http_head *head) {
  c->in_len = 0;
  int parsed = 0;
  while (parsed == 0 || c->in_len < head->head_len + head->content_length) {
    if (reserve(&c->in, &c->in_cap, c->in_len + 65536))
      return -1;
    ssize_t k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0 && c->in_len == 0 && (k == 0 || errno == ECONNRESET))
      return 0;
    if (k <= 0) {
      int timed_out = k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      snprintf(c->err, sizeof c->err, "%s:%s: %s", c->host, c->port,
               timed_out ? "no answer within 30 s"
               : k == 0  ? "the server closed the connection mid-answer"
                         : strerror(errno));
      return -1;
    }
    c->in_len += (size_t)k;
    if (parsed == 0)
      parsed = http_parse_head(c->in, c->in_len, head, c->err, sizeof c->err);
    if (parsed < 0)
      return -1;
  }
  return 1;
}

/* One exchange on the current connection: 1 done, 0 stale, -1 failed. */
static int exchange(http_client *c, size_t request_len, http_head *head) {
  c->err[0] = '\0';
  if (c->fd < 0 && connect_to(c))
    return -1;
  if (send_all(c, request_len))
    return 0;
  return receive(c, head);
}

int http_post(http_client *c, const char *body, size_t body_len,
              const char *authorization, int *status, const char **answer,
              size_t *answer_len) {
  size_t request_len = build_request(c, body, body_len, authorization);
  if (request_len == 0) {
    snprintf(c->err, sizeof c->err, "out of memory building a request");
    return -1;
  }
  int was_open = c->fd >= 0;
  http_head head;
  int rc = exchange(c, request_len, &head);
  if (rc == 0 && was_open) {
    disconnect(c);
    rc = exchange(c, request_len, &head);
  }
  if (rc == 0 && !c->err[0])
    snprintf(c->err, sizeof c->err,
             "%s:%s closed the connection without "
             "answering",
             c->host, c->port);
  if (rc <= 0) {
    disconnect(c);
    return -1;
  }
  *status = head.status;
  *answer = c->in + head.head_len;
  *answer_len = head.content_length;
  if (!head.keep_alive)
    disconnect(c);
  return 0;
}

void http_close(http_client *c) {
  disconnect(c);
  free(c->in);
  free(c->out);
  c->in = c->out = NULL;
  c->in_len = c->in_cap = c->out_cap = 0;
}

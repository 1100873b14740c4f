/*
 * http_client.h - the smallest HTTP/1.1 client `larder bench --http` needs:
 * one keep-alive connection over a plain TCP socket, POST with a JSON body,
 * answers framed by Content-Length. No TLS, no chunked answers, no
 * redirects: each is refused with a message saying so.
 */
#ifndef LR_CLI_HTTP_CLIENT_H
#define LR_CLI_HTTP_CLIENT_H

#include <stddef.h>

enum { HTTP_TIMEOUT_SECONDS = 30 };

/* A parsed response head. */
typedef struct http_head {
  int status;            /* e.g. 200 */
  size_t head_len;       /* bytes up to and including the blank line */
  size_t content_length; /* the body's length */
  int keep_alive;        /* 0 when the server said Connection: close */
} http_head;

/* One connection to one endpoint. */
typedef struct http_client {
  char host[256]; /* as written in the URL (brackets dropped) */
  char port[8];
  char path[1024]; /* the endpoint's path, e.g. /get-online-features */
  int fd;          /* -1 while not connected */
  char *in;        /* bytes received */
  size_t in_len, in_cap;
  char *out; /* the request being sent */
  size_t out_cap;
  char err[512]; /* the last failure, for the user */
} http_client;

/*
 * http_parse_url - splits `url` (http://HOST[:PORT][/PREFIX]) into `c`'s
 * host, port (80 when absent) and path: PREFIX + `endpoint`, or PREFIX
 * itself when it already ends with `endpoint`. Returns 0, or -1 with the
 * reason in c->err. Does not connect.
 */
int http_parse_url(http_client *c, const char *url, const char *endpoint);

/*
 * http_parse_head - reads a response head from the `len` bytes at `buf`.
 * Returns 1 when complete (filling *head), 0 when more bytes are needed,
 * -1 when it is not HTTP/1.x or its framing is unsupported (the reason in
 * `why`, `why_len` bytes).
 */
int http_parse_head(const char *buf, size_t len, http_head *head, char *why,
                    size_t why_len);

/*
 * http_post - sends `body` (JSON) to c->path, connecting first when needed
 * (once more if a kept-alive connection turns out closed), and waits for
 * the answer. `authorization` is a header value or NULL.
 * On success returns 0, with *status and the body (`*answer`, `*answer_len`,
 * valid until the next call) filled; -1 with the reason in c->err.
 */
int http_post(http_client *c, const char *body, size_t body_len,
              const char *authorization, int *status, const char **answer,
              size_t *answer_len);

/* Closes the connection and frees the buffers; the URL is kept. */
void http_close(http_client *c);

#endif

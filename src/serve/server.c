/*
 * server.c - the feature server's life: the HTTP front end (frontend.c:
 * one event loop per thread, one thread per core by default) in front of
 * the handlers (route.c); a ticker
 * thread that reloads the registry, frees the reader slots of dead
 * processes and, once lr_server_stop writes to its pipe, drains and stops.
 *
 * The library owns no signals: the program decides what stops the server
 * (`larder serve`: SIGTERM and SIGINT, src/cli/serve_cmd.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../offline/duckdb.h"
#include "../online/introspect.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "frontend.h"
#include "server.h"

/* How often the ticker wakes, and how often it clears stale readers. */
enum { TICK_MS = 200, STALE_CHECK_US = 1000000 };

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
    lr__frontend_close_slow(s);
    lr__server_maybe_reload(s);
    long long now = lr__time_now_us();
    if (now - last_stale_check >= STALE_CHECK_US) {
      last_stale_check = now;
      clear_stale_readers(s);
    }
  }
  lr__frontend_drain(s);
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
    rc = lr__frontend_start(s);
  if (!rc && (errno = pthread_create(&s->ticker, NULL, tick_main, s)) != 0) {
    lr__buf_printf(&s->errmsg, "cannot start a thread: %s", strerror(errno));
    lr__frontend_stop(s);
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

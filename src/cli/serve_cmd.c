/*
 * serve_cmd.c - `larder serve`: the feature server's command line. The
 * library owns no signals: this command blocks SIGTERM and SIGINT before
 * the server's threads start (they inherit the mask), waits for one in the
 * main thread with sigwait, and stops the server.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "larder.h"

static void announce(const lr_server_options *o, int port) {
  printf("Serving %s on http://%s:%d (stop with Ctrl-C or SIGTERM)\n", o->repo,
         o->host ? o->host : "127.0.0.1", port);
  if (o->ui)
    printf("Web UI on http://%s:%d/ui/%s\n", o->host ? o->host : "127.0.0.1",
           port, o->read_only ? " (read-only: no writes, no pushes)" : "");
  fflush(stdout);
}

/* Raises the soft limit on open files to the hard one: each connection
 * is a descriptor, and the usual soft limit (1024) would refuse clients
 * long before the server's own limit (10,000 a loop). */
static void allow_many_connections(void) {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/* Runs the server until SIGTERM or SIGINT. Returns 0 or a status. */
static int serve_until_signalled(const lr_server_options *o) {
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, &old);
  lr_server *srv;
  allow_many_connections();
  int rc = lr_server_start(o, &srv);
  if (rc) {
    cli_fail("serve", rc, lr_server_errmsg(srv));
  } else {
    announce(o, lr_server_port(srv));
    int sig;
    while (sigwait(&stop, &sig) != 0)
      ;
    lr_server_stop(srv);
    lr_server_wait(srv);
  }
  lr_server_close(srv);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

enum {
  SERVE_HOST,
  SERVE_PORT,
  SERVE_THREADS,
  SERVE_TOKEN_FILE,
  SERVE_MAX_BODY,
  SERVE_MAX_ENTITIES,
  SERVE_TIMEOUT,
  SERVE_UI
};

static const cli_option serve_options[] = {
    [SERVE_HOST] = {"--host", "ADDRESS",
                    "the address to listen on (default 127.0.0.1)", 0, 0},
    [SERVE_PORT] = {"--port", "N",
                    "the port (default 6566; 0: one the system picks, "
                    "printed)",
                    0, 0},
    [SERVE_THREADS] = {"--threads", "N",
                       "threads answering requests (default: one per core)",
                       0, 0},
    [SERVE_TOKEN_FILE] = {"--token-file", "FILE",
                          "a file holding the bearer token every request must "
                          "carry",
                          0, 0},
    [SERVE_MAX_BODY] = {"--max-body-bytes", "N",
                        "the largest request body taken (default 1048576; "
                        "larger ones get 413)",
                        0, 0},
    [SERVE_MAX_ENTITIES] = {"--max-entities", "N",
                            "the most entities one request may ask for "
                            "(default 10000; more get 413)",
                            0, 0},
    [SERVE_TIMEOUT] = {"--timeout", "SECONDS",
                       "the most a request may take, from its connection or "
                       "the previous answer until its answer is sent "
                       "(default 30)",
                       0, 0},
    [SERVE_UI] = {"--ui", NULL,
                  "also serve the web UI under /ui (read-only; "
                  "docs/ui.md)",
                  0, 0},
};

/* Option k's value (of table `opts`) as an integer from min to max into
 * *out (kept when absent). */
static int int_option(const cli *c, const cli_option *opts, int k,
                      long long min, long long max, long long *out) {
  const char *text = cli_value(c, k);
  if (!text)
    return 0;
  char *end;
  long long v = strtoll(text, &end, 10);
  if (*end || end == text || v < min || v > max)
    return cli_usage_error("%s: '%s' is not a number from %lld to %lld",
                           opts[k].name, text, min, max);
  *out = v;
  return 0;
}

static int cmd_serve(cli *c) {
  lr_server_options o = {.repo = c->repo,
                         .host = cli_value(c, SERVE_HOST),
                         .token_file = cli_value(c, SERVE_TOKEN_FILE),
                         .ui = c->given[SERVE_UI]};
  long long port = 6566, threads = 0, body = 0, entities = 0, timeout = 0;
  int rc = int_option(c, serve_options, SERVE_PORT, 0, 65535, &port);
  if (rc == 0)
    rc = int_option(c, serve_options, SERVE_THREADS, 1, 4096, &threads);
  if (rc == 0)
    rc = int_option(c, serve_options, SERVE_MAX_BODY, 1, 1LL << 40, &body);
  if (rc == 0)
    rc = int_option(c, serve_options, SERVE_MAX_ENTITIES, 1, 1 << 30, &entities);
  if (rc == 0)
    rc = int_option(c, serve_options, SERVE_TIMEOUT, 1, 1 << 30, &timeout);
  if (rc)
    return rc;
  o.port = (int)port;
  o.threads = (int)threads;
  o.max_body_bytes = (size_t)body;
  o.max_entities = (int)entities;
  o.timeout_seconds = (int)timeout;
  return serve_until_signalled(&o) ? CLI_FAILED : CLI_OK;
}

const cli_command cli_serve_command = {
    "serve", "serve Feast's HTTP JSON API",
    "Serve Feast's HTTP JSON API (get-online-features, push, "
    "write-to-online-store, health, metrics) on the repo's online store "
    "until SIGTERM or Ctrl-C; see docs/server.md. With --ui, also the web "
    "UI under /ui (docs/ui.md).",
    NULL, 0, serve_options, CLI_COUNT(serve_options), cmd_serve};

enum { UI_PORT, UI_TOKEN_FILE };

static const cli_option ui_options[] = {
    [UI_PORT] = {"--port", "N",
                 "the port (default 8888; 0: one the system picks, printed)",
                 0, 0},
    [UI_TOKEN_FILE] = {"--token-file", "FILE",
                       "a file holding the token the UI asks for once (and "
                       "every API request must carry)",
                       0, 0},
};

static int cmd_ui(cli *c) {
  lr_server_options o = {.repo = c->repo,
                         .host = "127.0.0.1",
                         .token_file = cli_value(c, UI_TOKEN_FILE),
                         .ui = 1,
                         .read_only = 1};
  long long port = 8888;
  int rc = int_option(c, ui_options, UI_PORT, 0, 65535, &port);
  if (rc)
    return rc;
  o.port = (int)port;
  return serve_until_signalled(&o) ? CLI_FAILED : CLI_OK;
}

const cli_command cli_ui_command = {
    "ui", "serve the web UI and the read API on localhost",
    "Serve the web UI (overview, objects, each view's data, lookups; "
    "docs/ui.md) and the read API (get-online-features, health, metrics) "
    "on 127.0.0.1 until SIGTERM or Ctrl-C. Nothing is written: "
    "/write-to-online-store and /push answer 403.",
    NULL, 0, ui_options, CLI_COUNT(ui_options), cmd_ui};

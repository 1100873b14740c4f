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

#include "cli.h"
#include "larder.h"

static void announce(const lr_server_options *o, int port) {
  printf("Serving %s on http://%s:%d (stop with Ctrl-C or SIGTERM)\n", o->repo,
         o->host ? o->host : "127.0.0.1", port);
  fflush(stdout);
}

/* Runs the server until SIGTERM or SIGINT. Returns 0 or a status. */
static int serve_until_signalled(const lr_server_options *o) {
  sigset_t stop, old;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, &old);
  lr_server *srv;
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

/* Reads the integer after flag `name` (at argv[*i + 1]). */
static int int_flag(cli *c, int *i, const char *name, long long min,
                    long long *out) {
  if (*i + 1 >= c->argc)
    return cli_usage_error("%s needs a number", name);
  char *end;
  long long v = strtoll(c->argv[++*i], &end, 10);
  if (*end || end == c->argv[*i] || v < min)
    return cli_usage_error("%s: '%s' is not a number >= %lld", name,
                           c->argv[*i], min);
  *out = v;
  return 0;
}

int cli_serve(cli *c) {
  lr_server_options o = {.repo = c->repo, .port = 6566};
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    long long v = 0;
    int rc = 0;
    if (!strcmp(arg, "--host") && i + 1 < c->argc) {
      o.host = c->argv[++i];
    } else if (!strcmp(arg, "--token-file") && i + 1 < c->argc) {
      o.token_file = c->argv[++i];
    } else if (!strcmp(arg, "--port")) {
      rc = int_flag(c, &i, arg, 0, &v);
      o.port = (int)v;
    } else if (!strcmp(arg, "--threads")) {
      rc = int_flag(c, &i, arg, 1, &v);
      o.threads = (int)v;
    } else if (!strcmp(arg, "--max-body-bytes")) {
      rc = int_flag(c, &i, arg, 1, &v);
      o.max_body_bytes = (size_t)v;
    } else if (!strcmp(arg, "--max-entities")) {
      rc = int_flag(c, &i, arg, 1, &v);
      o.max_entities = (int)v;
    } else if (!strcmp(arg, "--timeout")) {
      rc = int_flag(c, &i, arg, 1, &v);
      o.timeout_seconds = (int)v;
    } else {
      return cli_usage_error("serve: unexpected argument '%s'", arg);
    }
    if (rc)
      return rc;
  }
  if (o.port > 65535)
    return cli_usage_error("--port must be at most 65535");
  return serve_until_signalled(&o) ? CLI_FAILED : CLI_OK;
}

/*
 * replicate_cmd.c - `larder replicate` (the shipper on a primary, the
 * follower on a replica; foreground, until SIGTERM or SIGINT, or one round
 * with --once) and `larder publish` (a snapshot now, on a primary).
 *
 * Errors of a round that may pass (the log or the snapshot folder
 * unreachable) are printed and retried after a pause; the command only
 * stops on a signal, so a supervisor (systemd) need not restart it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "larder.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

/* Prints a status line when the version, the head or the bootstraps moved
 * since the last one. */
static void report(lr_replicator *r, lr_replication_status *last) {
  lr_replication_status st;
  if (lr_replicator_status(r, &st) != 0)
    return;
  if (st.version.seq == last->version.seq &&
      st.version.generation == last->version.generation &&
      st.bootstraps == last->bootstraps && st.log_head == last->log_head)
    return;
  printf("%s at %llu.%llu, log head %llu, lag %llu entries, %llu %s, %llu "
         "bootstraps\n", st.primary ? "primary" : "replica",
         st.version.generation, st.version.seq, st.log_head, st.lag_entries,
         st.applied, st.primary ? "shipped" : "applied", st.bootstraps);
  fflush(stdout);
  *last = st;
}

enum { REPLICATE_ONCE };

static int cmd_replicate(cli *c) {
  int once = c->given[REPLICATE_ONCE];
  lr_replicator *r = NULL;
  int rc = lr_replicator_open(c->repo, &r);
  if (rc) {
    cli_fail("replicate", rc, lr_replicator_errmsg(r));
    lr_replicator_close(r);
    return CLI_FAILED;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  lr_replication_status last;
  memset(&last, 0xff, sizeof last);
  int status = CLI_OK;
  do {
    rc = lr_replicator_step(r, once ? 0 : 200);
    if (rc) {
      cli_fail("replicate", rc, lr_replicator_errmsg(r));
      status = CLI_FAILED;
      if (!once)
        usleep(500000);
    } else {
      status = CLI_OK;
    }
    report(r, &last);
  } while (!once && !g_stop);
  lr_replicator_close(r);
  return status;
}

static const cli_option replicate_options[] = {
    [REPLICATE_ONCE] = {"--once", NULL,
                        "one round, then exit (1 on an error)", 0, 0}};

const cli_command cli_replicate_command = {
    "replicate", "ship changes to the write log, or follow it",
    "On a primary (replication: {role: primary} in feature_store.yaml): "
    "ship every committed change to the write log, in order, publishing "
    "snapshots where replicas need one. On a replica: bootstrap from the "
    "newest snapshot when it must, then apply the log entry by entry. Runs "
    "until SIGTERM or SIGINT; errors that may pass are printed and retried.",
    NULL, 0, replicate_options, CLI_COUNT(replicate_options), cmd_replicate};

static int cmd_publish(cli *c) {
  lr_replicator *r = NULL;
  char *name = NULL;
  int rc = lr_replicator_open(c->repo, &r);
  if (rc == 0)
    rc = lr_replicator_publish(r, &name);
  int status = rc ? cli_fail("publish", rc, lr_replicator_errmsg(r)) : CLI_OK;
  if (rc == 0)
    printf("Published %s.\n", name);
  lr_free(name);
  lr_replicator_close(r);
  return status;
}

const cli_command cli_publish_command = {
    "publish", "primary: publish a snapshot now",
    "On a primary: publish a snapshot of the live generation now; prints "
    "its name, snap-G-S.",
    NULL, 0, NULL, 0, cmd_publish};

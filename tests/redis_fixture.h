/*
 * redis_fixture.h - the redis-server processes the Redis store's suites
 * run against (test_redis.c): a standalone server and a 3-master Redis
 * Cluster, each on free loopback ports, without persistence, in a
 * scratch folder of its own. It builds on process.h (th_redis_start_with
 * starts and tracks each server, th_reap bounds redis-cli): every process
 * is stopped by its pid, by the fixture's stop calls or, when an assertion
 * ends a test first, by the suite's teardown (th_kill_children), and every
 * wait is bounded.
 */
#ifndef LR_TESTS_REDIS_FIXTURE_H
#define LR_TESTS_REDIS_FIXTURE_H

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "process.h"

/* A standalone redis-server: its pid, port and scratch folder (--dir). */
typedef struct th_redis {
  pid_t pid;
  int port;
  char *dir;
} th_redis;

/* A Redis Cluster of TH_MASTERS masters and no replicas. Node i listens on
 * port[i], its cluster bus on bus[i] (--cluster-port: a port + 10000 could
 * pass 65535), its nodes file in dir. */
enum { TH_MASTERS = 3 };
typedef struct th_cluster {
  pid_t pid[TH_MASTERS];
  int port[TH_MASTERS];
  int bus[TH_MASTERS];
  char *dir;
} th_cluster;

/* Starts a standalone server in a fresh scratch folder, with `extra`
 * options (NULL-terminated, or NULL: "--maxmemory", "1mb", say). */
static inline void th_redis_up(th_redis *r, const char *const *extra) {
  const char *argv[40];
  int n = 0;
  r->dir = th_tempdir();
  argv[n++] = "--dir";
  argv[n++] = r->dir;
  for (int i = 0; extra && extra[i] && n < 39; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  r->port = 0;
  r->pid = th_redis_start_with(&r->port, argv);
}

/* Stops the server by its pid (if it still runs) and removes its folder. */
static inline void th_redis_down(th_redis *r) {
  if (r->pid > 0)
    th_redis_stop(r->pid);
  r->pid = 0;
  if (r->dir)
    th_rmrf(r->dir);
  r->dir = NULL;
}

/* Runs `argv` (NULL-terminated) to its end within `ms`, its stdout and
 * stderr in *output (heap; the caller frees it). Returns its exit code
 * (th_exit_code), -1 when it had to be killed. */
static inline int th_run_program(const char *const *argv, int ms,
                                 char **output) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  th_track_child(pid);
  close(fds[1]);
  long long end = th_now_ms() + ms;
  *output = th_read_until(fds[0], NULL, ms, 1 << 16);
  close(fds[0]);
  long long left = end - th_now_ms();
  return th_child_status(pid, left > 0 ? (int)left : 0);
}

/* One command on 127.0.0.1:port (hiredis' format, no arguments), its reply
 * (free it) or NULL when the server did not answer within a second. */
static inline redisReply *th_redis_command(int port, const char *command) {
  redisContext *c = redisConnectWithTimeout(
      "127.0.0.1", port, (struct timeval){.tv_sec = 1});
  redisReply *r = NULL;
  if (c && !c->err && redisSetTimeout(c, (struct timeval){.tv_sec = 1}) ==
                          REDIS_OK)
    r = redisCommand(c, command);
  redisFree(c);
  return r;
}

/* 1 when every node's CLUSTER INFO says cluster_state:ok with all 16384
 * slots assigned and every node known. */
static inline int th_cluster_ok(const th_cluster *c) {
  char known[64];
  snprintf(known, sizeof known, "cluster_known_nodes:%d", TH_MASTERS);
  for (int i = 0; i < TH_MASTERS; i++) {
    redisReply *r = th_redis_command(c->port[i], "CLUSTER INFO");
    int ok = r && r->type == REDIS_REPLY_STRING &&
             strstr(r->str, "cluster_state:ok") &&
             strstr(r->str, "cluster_slots_assigned:16384") &&
             strstr(r->str, known);
    freeReplyObject(r);
    if (!ok)
      return 0;
  }
  return 1;
}

/* Waits up to `ms` for th_cluster_ok. */
static inline void th_cluster_wait_ok(const th_cluster *c, int ms) {
  long long end = th_now_ms() + ms;
  while (!th_cluster_ok(c)) {
    cr_assert(th_now_ms() < end, "the cluster on ports %d, %d, %d did not "
              "reach cluster_state:ok within %d ms", c->port[0], c->port[1],
              c->port[2], ms);
    usleep(20000);
  }
}

/* Starts node i: cluster mode, its nodes file and bus port of its own. */
static inline void th_cluster_node_up(th_cluster *c, int i,
                                      const char *const *extra) {
  char bus[16], conf[4096];
  c->port[i] = th_free_port();
  do
    c->bus[i] = th_free_port();
  while (c->bus[i] == c->port[i]);
  snprintf(bus, sizeof bus, "%d", c->bus[i]);
  snprintf(conf, sizeof conf, "%s/nodes-%d.conf", c->dir, c->port[i]);
  const char *argv[40] = {"--dir", c->dir, "--cluster-enabled", "yes",
                          "--cluster-port", bus, "--cluster-config-file",
                          conf};
  int n = 8;
  for (int k = 0; extra && extra[k] && n < 39; k++)
    argv[n++] = extra[k];
  argv[n] = NULL;
  c->pid[i] = th_redis_start_with(&c->port[i], argv);
}

/* Starts TH_MASTERS cluster nodes with `extra` options (NULL or
 * NULL-terminated), joins them with `redis-cli --cluster create` (the
 * slots split evenly, no replicas) and waits until every node says
 * cluster_state:ok (15 s at most). */
static inline void th_cluster_up(th_cluster *c, const char *const *extra) {
  c->dir = th_tempdir();
  for (int i = 0; i < TH_MASTERS; i++)
    th_cluster_node_up(c, i, extra);
  char addr[TH_MASTERS][32];
  const char *argv[16] = {"redis-cli", "--cluster", "create"};
  int n = 3;
  for (int i = 0; i < TH_MASTERS; i++) {
    snprintf(addr[i], sizeof addr[i], "127.0.0.1:%d", c->port[i]);
    argv[n++] = addr[i];
  }
  argv[n++] = "--cluster-replicas";
  argv[n++] = "0";
  argv[n++] = "--cluster-yes";
  argv[n] = NULL;
  char *out = NULL;
  int code = th_run_program(argv, 30000, &out);
  th_keep(out);
  cr_assert_eq(code, 0, "redis-cli --cluster create exited %d: %s", code,
               out);
  th_release(out);
  th_cluster_wait_ok(c, 15000);
}

/* The reply of one command (`fmt` with at most one %s, `arg`) on
 * 127.0.0.1:port (free it; NULL: no answer within 2 s). */
static inline redisReply *th_redis_direct(int port, const char *fmt,
                                          const char *arg) {
  redisContext *c = redisConnectWithTimeout(
      "127.0.0.1", port, (struct timeval){.tv_sec = 2});
  cr_assert(c && !c->err, "cannot connect to %d", port);
  redisSetTimeout(c, (struct timeval){.tv_sec = 2});
  redisReply *r = redisCommand(c, fmt, arg);
  redisFree(c);
  return r;
}

/* Runs `fmt` (one %s argument) on 127.0.0.1:port, which must not answer
 * an error. */
static inline void th_redis_must(int port, const char *fmt, const char *arg) {
  redisReply *r = th_redis_direct(port, fmt, arg);
  cr_assert(r && r->type != REDIS_REPLY_ERROR, "%s on %d: %s", fmt, port,
            r ? r->str : "no answer");
  freeReplyObject(r);
}

/* A node's cluster id (CLUSTER MYID). */
static inline void th_redis_node_id(int port, char *id, size_t cap) {
  redisReply *r = th_redis_direct(port, "CLUSTER MYID", NULL);
  cr_assert(r && r->type == REDIS_REPLY_STRING, "CLUSTER MYID on %d", port);
  snprintf(id, cap, "%s", r->str);
  freeReplyObject(r);
}

/* A slot's migration's first half: node `to` IMPORTING it from node
 * `from`, then `from` MIGRATING it to `to`. */
static inline void th_cluster_begin_migration(const th_cluster *c,
                                              unsigned slot, int from,
                                              int to) {
  char from_id[64], to_id[64], cmd[160];
  th_redis_node_id(c->port[from], from_id, sizeof from_id);
  th_redis_node_id(c->port[to], to_id, sizeof to_id);
  snprintf(cmd, sizeof cmd, "CLUSTER SETSLOT %u IMPORTING %%s", slot);
  th_redis_must(c->port[to], cmd, from_id);
  snprintf(cmd, sizeof cmd, "CLUSTER SETSLOT %u MIGRATING %%s", slot);
  th_redis_must(c->port[from], cmd, to_id);
}

/* A slot's migration's second half, without assertions (it may run in a
 * child): moves the slot's keys from node `from` to node `to` (whose
 * cluster id is `to_id`) one MIGRATE at a time, `pause_us` after each (so
 * that batches meet the slot half moved), then gives the slot to `to` on
 * every node, in the nodes' order, `gap_us` apart (a node told before
 * the target answers MOVED to it, and the target, still importing, MOVED
 * back, until it is told too). Returns 0, or the step that failed (2 to
 * 5). */
static inline int th_cluster_end_migration(const th_cluster *c, unsigned slot,
                                           int from, int to,
                                           const char *to_id, int pause_us,
                                           int gap_us) {
  redisContext *src = redisConnect("127.0.0.1", c->port[from]);
  if (!src || src->err)
    return 2;
  for (;;) {
    redisReply *keys = redisCommand(src, "CLUSTER GETKEYSINSLOT %u 5", slot);
    if (!keys || keys->type != REDIS_REPLY_ARRAY)
      return 3;
    size_t n = keys->elements;
    for (size_t i = 0; i < n; i++) {
      redisReply *r = redisCommand(src, "MIGRATE 127.0.0.1 %d %b 0 5000",
                                   c->port[to], keys->element[i]->str,
                                   keys->element[i]->len);
      if (!r || r->type == REDIS_REPLY_ERROR)
        return 4;
      freeReplyObject(r);
      usleep((useconds_t)pause_us);
    }
    freeReplyObject(keys);
    if (n == 0)
      break;
  }
  redisFree(src);
  for (int k = 0; k < TH_MASTERS; k++) {
    redisContext *n = redisConnect("127.0.0.1", c->port[k]);
    redisReply *r = n && !n->err
                        ? redisCommand(n, "CLUSTER SETSLOT %u NODE %s", slot,
                                       to_id)
                        : NULL;
    int failed = !r || r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    redisFree(n);
    if (failed)
      return 5;
    if (k + 1 < TH_MASTERS)
      usleep((useconds_t)gap_us);
  }
  return 0;
}

/* Stops node i by its pid (if it still runs). */
static inline void th_cluster_node_down(th_cluster *c, int i) {
  if (c->pid[i] > 0)
    th_redis_stop(c->pid[i]);
  c->pid[i] = 0;
}

/* Stops every node by its pid and removes the cluster's folder. */
static inline void th_cluster_down(th_cluster *c) {
  for (int i = 0; i < TH_MASTERS; i++)
    th_cluster_node_down(c, i);
  if (c->dir)
    th_rmrf(c->dir);
  c->dir = NULL;
}

/* The index of the node whose port is `port`; -1 for none. */
static inline int th_cluster_node_of(const th_cluster *c, int port) {
  for (int i = 0; i < TH_MASTERS; i++)
    if (c->port[i] == port)
      return i;
  return -1;
}

#endif

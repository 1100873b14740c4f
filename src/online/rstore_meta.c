/*
 * rstore_meta.c - changing the meta records of a Redis store (rstore.h)
 * with optimistic concurrency: WATCH the meta hash, read, compute,
 * MULTI/HSET/EXEC; EXEC answers nil when another client changed the hash
 * since the WATCH, and the change is computed again from what is there
 * now. Two writers' freshness records and check counts so never overwrite
 * each other, on one server or on a cluster (the hash is one key: one
 * node).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "rstore.h"

#define ATTEMPTS 50

void lr__rstore_meta_put(lr__buf *puts, const char *field, const void *value,
                         size_t len) {
  uint32_t n = (uint32_t)strlen(field);
  lr__buf_append(puts, &n, sizeof n);
  lr__buf_append(puts, field, n);
  n = (uint32_t)len;
  lr__buf_append(puts, &n, sizeof n);
  lr__buf_append(puts, value, len);
}

/* WATCH the meta hash and read `fields`: *old gets the HMGET answer. */
static int watch_and_read(lr__rstore *rs, lr__redis_cluster *c,
                          const char *const *fields, int n,
                          lr__redis_answer old[2], lr__buf *err) {
  const char *key = lr__rstore_meta_key(rs);
  const char **argv = calloc((size_t)n + 2, sizeof *argv);
  if (!argv)
    return LR_ENOMEM;
  const char *watch[2] = {"WATCH", key};
  argv[0] = "HMGET";
  argv[1] = key;
  for (int i = 0; i < n; i++)
    argv[2 + i] = fields[i];
  lr__redis_command cmds[2] = {{2, watch, NULL, key, strlen(key)},
                               {n + 2, argv, NULL, key, strlen(key)}};
  int rc = lr__redis_cluster_batch(c, cmds, n ? 2 : 1, old, err);
  free(argv);
  return rc;
}

/* The argv of MULTI, HSET (when there are puts), HINCRBY, EXEC. */
typedef struct exec_cmds {
  const char **argv;
  size_t *len;
  lr__redis_command cmds[4];
  int n;
} exec_cmds;

/* Builds exec_cmds from `puts`; returns 0 or LR_ENOMEM. */
static int build_exec(lr__rstore *rs, const lr__buf *puts, int bump_seq,
                      exec_cmds *e) {
  const char *key = lr__rstore_meta_key(rs);
  size_t max = 2 + puts->len / 4 + 8;
  e->argv = calloc(max, sizeof *e->argv);
  e->len = calloc(max, sizeof *e->len);
  if (!e->argv || !e->len)
    return LR_ENOMEM;
  static const char *multi[1] = {"MULTI"}, *exec[1] = {"EXEC"};
  size_t kl = strlen(key);
  e->cmds[e->n++] = (lr__redis_command){1, multi, NULL, key, kl};
  size_t at = 0;
  e->argv[at] = "HSET";
  e->len[at++] = 4;
  e->argv[at] = key;
  e->len[at++] = kl;
  for (size_t p = 0; p < puts->len;) {
    uint32_t n;
    memcpy(&n, puts->data + p, sizeof n);
    e->argv[at] = puts->data + p + sizeof n;
    e->len[at++] = n;
    p += sizeof n + n;
  }
  if (at > 2)
    e->cmds[e->n++] = (lr__redis_command){(int)at, e->argv, e->len, key, kl};
  e->argv[at] = "HINCRBY";
  e->argv[at + 1] = key;
  e->argv[at + 2] = LR__RSTORE_SEQ;
  e->argv[at + 3] = "1";
  if (bump_seq)
    e->cmds[e->n++] = (lr__redis_command){4, e->argv + at, NULL, key, kl};
  e->cmds[e->n++] = (lr__redis_command){1, exec, NULL, key, kl};
  return 0;
}

/* One attempt's MULTI/EXEC: 0 done, 1 the hash changed meanwhile. */
static int exec_once(lr__rstore *rs, lr__redis_cluster *c, const lr__buf *puts,
                     int bump_seq, lr__buf *err) {
  exec_cmds e = {0};
  int rc = build_exec(rs, puts, bump_seq, &e);
  lr__redis_answer a[4] = {{0}};
  if (rc == 0)
    rc = lr__redis_cluster_batch(c, e.cmds, (size_t)e.n, a, err);
  const redisReply *r = rc == 0 ? a[e.n - 1].reply : NULL;
  if (rc == 0 && r->type == REDIS_REPLY_NIL)
    rc = 1;
  else if (rc == 0 && r->type != REDIS_REPLY_ARRAY)
    rc = lr__errmsg_set(err, LR_EIO, "%s answered EXEC of the meta records "
                        "with no list", lr__rstore_where(rs));
  for (size_t i = 0; rc == 0 && i < r->elements; i++)
    if (r->element[i]->type == REDIS_REPLY_ERROR)
      rc = lr__errmsg_set(err, LR_EIO, "%s refused a change of the meta "
                          "records: %s", lr__rstore_where(rs),
                          r->element[i]->str);
  lr__redis_answers_clear(a, (size_t)e.n);
  free(e.argv);
  free(e.len);
  return rc;
}

int lr__rstore_meta_change(lr__rstore *rs, lr__redis_cluster *c,
                           const char *const *fields, int n,
                           lr__rstore_meta_fn change, void *ctx, int bump_seq,
                           lr__buf *err) {
  for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
    lr__redis_answer old[2] = {{0}};
    lr__buf puts;
    lr__buf_init(&puts);
    int rc = watch_and_read(rs, c, fields, n, old, err);
    if (rc == 0)
      rc = change(ctx, n ? old[1].reply : NULL, &puts);
    if (rc == 0 && lr__buf_failed(&puts))
      rc = LR_ENOMEM;
    lr__redis_answers_clear(old, 2);
    if (rc == 0)
      rc = exec_once(rs, c, &puts, bump_seq, err);
    lr__buf_free(&puts);
    if (rc == LR_EIO)
      lr__rstore_explain(rs, 1, err);
    if (rc != 1)
      return rc;
  }
  return lr__errmsg_set(err, LR_EIO, "the meta records at %s kept changing "
                        "under %d attempts to change them; try again",
                        lr__rstore_where(rs), ATTEMPTS);
}

/*
 * rstore_remove.c - removing keys of a Redis store: all of them (a
 * teardown, lr_repo_teardown), or the buckets of view databases the
 * registry no longer uses (a removed view, a layout dropped by `apply
 * --force`: lr__rstore_sweep, as the LMDB store drops such databases at a
 * read-write open). Keys are found with SCAN MATCH on every master and
 * removed with UNLINK (the server frees the values in the background).
 *
 * SCAN has no key to route it by, so it runs on each master in turn; the
 * UNLINKs of a page of keys go as one batch of the cluster client, routed
 * by key (a cluster refuses one UNLINK of keys in several slots). SCAN
 * promises every key present from start to end is returned, so a store
 * nobody writes meanwhile is removed whole; keys written during the
 * teardown may stay, which is why the caller asks for writers to stop.
 */
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "rstore.h"

enum { MAX_MASTERS = 1024 };

/* Keys a SCAN call looks at (its COUNT): a page of UNLINKs at most. */
#define PAGE "1000"

/* The SCAN MATCH pattern of every key under `prefix`: its glob characters
 * escaped, then '*'. */
static void prefix_pattern(const char *prefix, lr__buf *out) {
  for (const char *p = prefix; *p; p++) {
    if (strchr("*?[]\\", *p))
      lr__buf_append(out, "\\", 1);
    lr__buf_append(out, p, 1);
  }
  lr__buf_puts(out, "*");
}

/* UNLINKs the `n` keys of a SCAN page (string replies) in one batch. */
static int unlink_page(lr__redis_cluster *c, redisReply **keys, size_t n,
                       lr__buf *err) {
  lr__redis_command *cmds = calloc(n, sizeof *cmds);
  lr__redis_answer *answers = calloc(n, sizeof *answers);
  const char **argv = calloc(2 * n, sizeof *argv);
  size_t *lens = calloc(2 * n, sizeof *lens);
  int rc = cmds && answers && argv && lens ? 0 : LR_ENOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    argv[2 * i] = "UNLINK";
    lens[2 * i] = 6;
    argv[2 * i + 1] = keys[i]->str;
    lens[2 * i + 1] = keys[i]->len;
    cmds[i] = (lr__redis_command){2, argv + 2 * i, lens + 2 * i, keys[i]->str,
                                  keys[i]->len};
  }
  if (rc == 0)
    rc = lr__redis_cluster_batch(c, cmds, n, answers, err);
  else
    lr__errmsg_set(err, rc, "out of memory");
  if (answers)
    lr__redis_answers_clear(answers, n);
  free(cmds);
  free(answers);
  free(argv);
  free(lens);
  return rc;
}

/* Scans master `node` for keys matching `pattern`, counting them into
 * *n_keys and (unless `check`) removing each page as it comes. */
static int teardown_node(lr__redis_cluster *c, int node, const char *pattern,
                         int check, unsigned long long *n_keys,
                         lr__buf *err) {
  char cursor[32] = "0";
  do {
    const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", PAGE};
    redisReply *r = NULL;
    int rc = lr__redis_cluster_call_on(c, node, 6, argv, NULL, &r, err);
    if (rc)
      return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[0]->len >= sizeof cursor ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      freeReplyObject(r);
      return lr__errmsg_set(err, LR_EIO, "SCAN answered in a shape Redis "
                            "does not use (is this a Redis server?)");
    }
    memcpy(cursor, r->element[0]->str, r->element[0]->len + 1);
    redisReply *page = r->element[1];
    *n_keys += page->elements;
    if (!check && page->elements)
      rc = unlink_page(c, page->element, page->elements, err);
    freeReplyObject(r);
    if (rc)
      return rc;
  } while (strcmp(cursor, "0") != 0);
  return 0;
}

/* Removes (or with `check` counts) every key starting with `prefix`, on
 * every master of client c. */
static int remove_prefixed(lr__rstore *rs, lr__redis_cluster *c,
                           const char *prefix, int check,
                           unsigned long long *n_keys, lr__buf *err) {
  int masters[MAX_MASTERS];
  size_t n = lr__redis_cluster_masters(c, masters, MAX_MASTERS);
  lr__buf pattern;
  lr__buf_init(&pattern);
  prefix_pattern(prefix, &pattern);
  int rc = 0;
  if (n == 0)
    rc = lr__errmsg_set(err, LR_EIO, "no node of %s serves a slot: the "
                        "cluster is down", lr__rstore_where(rs));
  else if (n > MAX_MASTERS)
    rc = lr__errmsg_set(err, LR_EUNSUPPORTED, "%s has %zu masters; keys are "
                        "removed from at most %d", lr__rstore_where(rs), n,
                        MAX_MASTERS);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = teardown_node(c, masters[i], lr__buf_str(&pattern), check, n_keys,
                       err);
  lr__buf_free(&pattern);
  return rc;
}

int lr__rstore_teardown(lr__rstore *rs, int check, unsigned long long *n_keys,
                        lr__buf *err) {
  *n_keys = 0;
  lr__redis_cluster *c = lr__rstore_take(rs, err);
  if (!c)
    return LR_EIO;
  int rc = remove_prefixed(rs, c, lr__rstore_prefix(rs), check, n_keys, err);
  lr__rstore_give(rs, c);
  return rc;
}

/* One command on the meta hash's node with client c: its reply in *out
 * (the caller frees it with freeReplyObject). */
static int meta_command(lr__rstore *rs, lr__redis_cluster *c, int argc,
                        const char **argv, redisReply **out, lr__buf *err) {
  lr__redis_answer a = {0};
  int rc = lr__rstore_meta_command(rs, c, argc, argv, &a, err);
  *out = a.reply;
  a.reply = NULL;
  lr__redis_answers_clear(&a, 1);
  return rc;
}

/* 1 when meta field `field` is a record of view database `name`: it
 * ends in ":NAME" (db:, fresh:, materialized:). */
static int record_of(const char *field, size_t len, const char *name) {
  size_t n = strlen(name);
  return len > n && field[len - n - 1] == ':' &&
         memcmp(field + len - n, name, n) == 0;
}

/* Removes stale database `name`: its buckets, then its meta records
 * (fields: the meta hash's field names). */
static int sweep_one(lr__rstore *rs, lr__redis_cluster *c, const char *name,
                     const redisReply *fields, lr__buf *err) {
  lr__buf prefix;
  lr__buf_init(&prefix);
  lr__buf_printf(&prefix, "%s%s:", lr__rstore_prefix(rs), name);
  unsigned long long n_keys = 0;
  int rc = remove_prefixed(rs, c, lr__buf_str(&prefix), 0, &n_keys, err);
  lr__buf_free(&prefix);
  for (size_t i = 0; rc == 0 && i < fields->elements; i++) {
    const redisReply *f = fields->element[i];
    if (f->type != REDIS_REPLY_STRING || !record_of(f->str, f->len, name))
      continue;
    const char *argv[] = {"HDEL", lr__rstore_meta_key(rs), f->str};
    redisReply *r = NULL;
    rc = meta_command(rs, c, 3, argv, &r, err);
    freeReplyObject(r);
  }
  return rc;
}

int lr__rstore_sweep(lr__rstore *rs, int (*is_stale)(void *ctx, const char *),
                     void *ctx, lr__buf *err) {
  const size_t mark = sizeof LR__RSTORE_DB_FIELD - 1;
  lr__redis_cluster *c = lr__rstore_take(rs, err);
  if (!c)
    return LR_EIO;
  const char *argv[] = {"HKEYS", lr__rstore_meta_key(rs)};
  redisReply *fields = NULL;
  int rc = meta_command(rs, c, 2, argv, &fields, err);
  if (rc == 0 && fields->type != REDIS_REPLY_ARRAY)
    rc = lr__errmsg_set(err, LR_EIO, "%s answered HKEYS of its meta records "
                        "with no list", lr__rstore_where(rs));
  for (size_t i = 0; rc == 0 && i < fields->elements; i++) {
    const redisReply *f = fields->element[i];
    if (f->type != REDIS_REPLY_STRING || f->len <= mark ||
        strncmp(f->str, LR__RSTORE_DB_FIELD, mark) != 0 ||
        !is_stale(ctx, f->str + mark))
      continue;
    char *name = strndup(f->str + mark, f->len - mark);
    rc = name ? sweep_one(rs, c, name, fields, err)
              : lr__errmsg_set(err, LR_ENOMEM, "out of memory");
    free(name);
  }
  freeReplyObject(fields);
  lr__rstore_give(rs, c);
  return rc;
}

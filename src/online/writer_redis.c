/*
 * writer_redis.c - a writer on a Redis store (writer.h, rstore.h).
 *
 * The LMDB writer puts rows into one transaction and commits once; Redis
 * has no transaction across a cluster's nodes, so a writer sends the rows
 * of each put when the put ends (newer wins on the server, row by row) and
 * a reader sees them from then on. The commit changes the records (the
 * freshness of each view written, the check counts, the loads a
 * materialization records) and the version counter in one MULTI/EXEC on
 * the meta hash: a failure before it leaves rows stored but the records as
 * they were, so an incremental materialization runs its interval again
 * (newer wins: the same rows again change nothing).
 */
#include <stdio.h>
#include <string.h>

#include "../util/timefmt.h"
#include "checkstats.h"
#include "freshness.h"
#include "rstore.h"
#include "writer_state.h"

int lr__writer_send_redis(lr__writer *w, lr_write_stats *stats) {
  lr__rwrite_counts counts;
  int rc = lr__rwrite_flush(w->rw, w->client, &counts,
                            lr__store_err(w->store));
  stats->rows_written += counts.stored;
  stats->rows_skipped += counts.skipped;
  if (counts.changed)
    w->stored_any = 1;
  return rc;
}

void lr__writer_hold_redis(lr__writer *w) {
  w->hold = 1;
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_hold_redis(w->derived[d].w);
}

/* Sends the rows w and its derived writers held (the checks passed). */
static int send_held(lr__writer *w) {
  lr_write_stats ignored = {0, 0};
  int rc = lr__writer_send_redis(w, w->sink ? w->sink : &ignored);
  for (int d = 0; rc == 0 && d < w->n_derived; d++)
    rc = send_held(w->derived[d].w);
  return rc;
}

/* The record fields a commit reads, in the order its change sets them:
 * each written view's freshness record (w's, then its derived writers'),
 * then w's check counts. `keys` holds their text, 600 bytes each. */
typedef struct commit_fields {
  const char *names[66];
  char keys[66][600];
  int n;
} commit_fields;

static void gather_fresh(const lr__writer *w, commit_fields *f) {
  if (w->max_event != LR__FRESH_NONE && f->n < 65) {
    lr__fresh_key(w->ov->db_name, f->keys[f->n], sizeof f->keys[f->n]);
    f->names[f->n] = f->keys[f->n];
    f->n++;
  }
  for (int d = 0; d < w->n_derived; d++)
    gather_fresh(w->derived[d].w, f);
}

/* What a commit's change needs. */
typedef struct commit_ctx {
  lr__writer *w;
  const commit_fields *f;
  int64_t now_us;
  int refused; /* only the check counts, one refused batch more */
} commit_ctx;

/* Sets the freshness records of w and its derived writers from the old
 * records old->element[*i ...]. */
static void put_fresh(const lr__writer *w, const redisReply *old, int *i,
                      const commit_fields *f, int64_t now_us, lr__buf *puts) {
  if (w->max_event != LR__FRESH_NONE && *i < f->n) {
    const redisReply *r = old->element[*i];
    uint8_t rec[LR__FRESH_RECORD];
    int has = r->type == REDIS_REPLY_STRING;
    lr__fresh_update(has ? r->str : NULL, has ? r->len : 0, w->max_event,
                     w->source, now_us, rec);
    lr__rstore_meta_put(puts, f->names[*i], rec, sizeof rec);
    (*i)++;
  }
  for (int d = 0; d < w->n_derived; d++)
    put_fresh(w->derived[d].w, old, i, f, now_us, puts);
}

/* Marks the databases w and its derived writers wrote as written
 * (LR__RSTORE_DB_FIELD): the sweep of a later read-write open removes
 * them once the registry no longer uses them. */
static void put_dbs(const lr__writer *w, lr__buf *puts) {
  char field[600];
  snprintf(field, sizeof field, LR__RSTORE_DB_FIELD "%s", w->ov->db_name);
  if (w->stored_any)
    lr__rstore_meta_put(puts, field, "", 0);
  for (int d = 0; d < w->n_derived; d++)
    put_dbs(w->derived[d].w, puts);
}

/* The records a commit (or a refused batch) sets, from the old ones. */
static int change_records(void *ctx, const redisReply *old, lr__buf *puts) {
  commit_ctx *c = ctx;
  lr__writer *w = c->w;
  if (c->f->n && (!old || old->type != REDIS_REPLY_ARRAY ||
                  old->elements != (size_t)c->f->n))
    return lr__errmsg_set(lr__store_err(w->store), LR_EIO, "%s answered "
                          "HMGET of the meta records with no list of %d",
                          lr__rstore_where(w->store->redis), c->f->n);
  int i = 0;
  if (!c->refused)
    put_fresh(w, old, &i, c->f, c->now_us, puts);
  if (w->checks && i < c->f->n) {
    const redisReply *r = old->element[i];
    int has = r->type == REDIS_REPLY_STRING;
    lr__buf text;
    lr__buf_init(&text);
    int rc = lr__checkstats_update(has ? r->str : NULL, has ? r->len : 0,
                                   w->checks, c->refused ? 0 : w->quarantined,
                                   c->refused, &text);
    if (rc == 0)
      lr__rstore_meta_put(puts, c->f->names[i], text.data, text.len);
    lr__buf_free(&text);
    if (rc)
      return rc;
  }
  if (!c->refused) {
    lr__buf_append(puts, w->meta_puts.data, w->meta_puts.len);
    put_dbs(w, puts);
  }
  return 0;
}

/* 1 when w or one of its derived writers stored a row. */
static int any_stored(const lr__writer *w) {
  int stored = w->stored_any;
  for (int d = 0; !stored && d < w->n_derived; d++)
    stored = any_stored(w->derived[d].w);
  return stored;
}

/* Changes the records of w's commit (refused: of its refused batch). */
static int change_for(lr__writer *w, int refused) {
  static __thread commit_fields f;
  f.n = 0;
  if (!refused)
    gather_fresh(w, &f);
  if (w->checks) {
    lr__checkstats_key(w->ov->view->name, f.keys[f.n], sizeof f.keys[f.n]);
    f.names[f.n] = f.keys[f.n];
    f.n++;
  }
  if (refused && !w->checks)
    return 0;
  commit_ctx c = {w, &f, lr__time_now_us(), refused};
  int bump = !refused && any_stored(w);
  return lr__rstore_meta_change(w->store->redis, w->client, f.names, f.n,
                                change_records, &c, bump,
                                lr__store_err(w->store));
}

/* Says, before the failure in the store's message, that the rows were
 * stored and only their records were not. */
static void records_failed(lr_store *store) {
  lr__buf *err = lr__store_err(store), why;
  lr__buf_init(&why);
  lr__buf_puts(&why, lr__buf_str(err));
  lr__errmsg_set(err, LR_EIO, "the rows were stored into %s, but not the "
                 "write's records (the views' freshness, the version): %s",
                 lr__rstore_where(store->redis), lr__buf_str(&why));
  lr__buf_free(&why);
}

int lr__writer_commit_redis(lr__writer *w) {
  lr_store *store = w->store;
  int rc = lr__writer_checks_commit(w);
  if (rc == 0 && w->hold)
    rc = send_held(w);
  if (rc == LR_ECHECK)
    change_for(w, 1);
  else if (rc == 0 && (rc = change_for(w, 0)) == LR_EIO)
    records_failed(store);
  lr__rstore_give(store->redis, w->client);
  lr__writer_free(w);
  return rc;
}

/*
 * writer.c - a writer's transaction (writer.h): the view checked, the
 * databases opened, the writers of the on-demand views stored on write
 * attached; at commit the digests, the freshness records and the log
 * entry written with the rows. And lr_write_rows, one begin/put/commit.
 */
#include <stdlib.h>
#include <string.h>

#include "../codec/entry.h"
#include "../util/timefmt.h"
#include "freshness.h"
#include "outbox.h"
#include "writer_state.h"

lr__online_view *lr__writer_view(lr_store *store, const char *view,
                                 int *rc) {
  lr__online_view *ov = view ? lr__store_view(store, view) : NULL;
  *rc = 0;
  if (!store->writable) {
    lr__buf_puts(lr__store_err(store), "the store was opened read-only; open it "
                                 "with LR_STORE_READWRITE to write");
    *rc = LR_EREADONLY;
  } else if (store->repl.role == LR__ROLE_REPLICA) {
    lr__buf_printf(lr__store_err(store), "this repo is a replica: it follows "
                   "the write log %s (stream %s) and takes no writes; write "
                   "on the primary that logs there", store->repl.log,
                   store->repl.stream);
    *rc = LR_EREADONLY;
  } else if (!ov) {
    lr__buf_printf(lr__store_err(store), "unknown feature view '%s'",
                   view ? view : "(null)");
    *rc = LR_ENOTFOUND;
  } else if (ov->view->kind != LR__VIEW_BATCH) {
    lr__buf_printf(lr__store_err(store), "'%s' is an on-demand view: it is "
                   "computed from the rows of the feature views it reads; "
                   "write those", view);
    *rc = LR_EINVAL;
  } else if (!ov->view->online) {
    lr__buf_printf(lr__store_err(store), "view '%s' is not stored online (online: "
                   "false)", view);
    *rc = LR_EINVAL;
  }
  return *rc ? NULL : ov;
}

void lr__writer_free(lr__writer *w) {
  if (!w)
    return; /* a derived writer that failed to start */
  for (int d = 0; d < w->n_derived; d++) {
    lr__writer_free(w->derived[d].w);
    lr__odfv_free(w->derived[d].odfv);
    free(w->derived[d].input_feature);
  }
  free(w->derived);
  lr__checkrun_free(w->checks);
  free(w->map.key);
  free(w->map.feature);
  free(w->cells);
  free(w->slot_feature);
  free(w->key_values);
  lr__buf_free(&w->payload);
  lr__buf_free(&w->row);
  lr__buf_free(&w->held.row);
  lr__buf_free(&w->own_cap.records);
  lr__rwrite_free(w->rw);
  lr__buf_free(&w->meta_puts);
  free(w);
}

/* A writer of view `ov` (database `dbi`) inside transaction `txn`. */
static int writer_new(lr_store *store, lr__online_view *ov, MDB_txn *txn,
                      MDB_dbi dbi, lr__writer **out) {
  const lr__view *v = ov->view;
  lr__writer *w = calloc(1, sizeof *w);
  if (!w)
    return LR_ENOMEM;
  w->store = store;
  w->ov = ov;
  w->txn = txn;
  w->cap = &w->own_cap;
  w->source = LR__FRESH_WRITE;
  w->max_event = LR__FRESH_NONE;
  lr__buf_init(&w->own_cap.records);
  w->cells = calloc((size_t)v->next_slot + 1, sizeof(lr__cell));
  w->slot_feature = malloc(((size_t)v->next_slot + 1) * sizeof(int));
  w->key_values = calloc((size_t)ov->n_keys + 1, sizeof(lr_value));
  w->map.key = calloc((size_t)ov->n_keys + 1, sizeof(int));
  w->map.feature = calloc((size_t)v->n_features + 1, sizeof(int));
  if (!w->cells || !w->slot_feature || !w->key_values || !w->map.key ||
      !w->map.feature) {
    lr__writer_free(w);
    return LR_ENOMEM;
  }
  for (uint32_t s = 0; s < v->next_slot; s++)
    w->slot_feature[s] = -1;
  for (int f = 0; f < v->n_features; f++)
    w->slot_feature[v->features[f].slot] = f;
  lr__buf_init(&w->meta_puts);
  if (store->redis) {
    w->rw = lr__rwrite_new(store->redis, ov->db_name,
                           (long long)v->ttl_seconds * 1000, 0);
    if (!w->rw) {
      lr__writer_free(w);
      return LR_ENOMEM;
    }
    *out = w;
    return 0;
  }
  MDB_stat st;
  w->appending = mdb_stat(txn, dbi, &st) == 0 && st.ms_entries == 0;
  int mrc = mdb_cursor_open(txn, dbi, &w->cur);
  if (mrc) {
    lr__writer_free(w);
    return lr__store_mdb_error(lr__store_err(store), mrc, "cannot open a cursor");
  }
  *out = w;
  return 0;
}

/* Adds a derived writer for on-demand view `dv`, whose database is dbi. */
static int add_derived(lr__writer *w, lr__online_view *dv, MDB_dbi dbi) {
  derived *d = &w->derived[w->n_derived];
  int rc = lr__odfv_compile(&w->store->reg, dv->view, NULL,
                            lr__store_err(w->store), &d->odfv);
  if (rc == 0)
    rc = writer_new(w->store, dv, w->txn, dbi, &d->w);
  if (rc == 0) {
    d->w->meta_dbi = w->meta_dbi;
    d->w->client = w->client;
    d->w->cap = w->cap;
    d->w->source = w->source;
  }
  d->input_feature = rc ? NULL : calloc((size_t)d->odfv->n_inputs + 1,
                                        sizeof(int));
  if (rc == 0 && !d->input_feature)
    rc = LR_ENOMEM;
  for (int i = 0; rc == 0 && i < d->odfv->n_inputs; i++)
    d->input_feature[i] = (int)(d->odfv->input_fields[i] -
                                w->ov->view->features);
  w->n_derived++; /* freed with w, also when incomplete */
  return rc;
}

/* The databases a write of `ov` uses, into names[] (room for n_views + 3):
 * its own, those of the on-demand views stored on write that read it (in
 * store order), on a primary the outbox, then the meta database. They are opened (created) before
 * the write transaction begins: one thread may hold one write transaction
 * per environment, and creating a database takes one. Returns how many. */
static int write_databases(lr_store *store, const lr__online_view *ov,
                           const char **names) {
  int n = 0;
  names[n++] = ov->db_name;
  for (int i = 0; i < store->n_views; i++)
    if (lr__view_derives_from(store->views[i].view, ov->view))
      names[n++] = store->views[i].db_name;
  if (store->repl.role == LR__ROLE_PRIMARY)
    names[n++] = LR__OUTBOX_DB;
  names[n++] = LR__META_DB;
  return n;
}

/* Attaches a writer for each on-demand view stored on write that reads w's
 * view; dbis as write_databases() listed them. */
static int attach_derived(lr__writer *w, const MDB_dbi *dbis) {
  lr_store *store = w->store;
  w->derived = calloc((size_t)store->n_views + 1, sizeof *w->derived);
  if (!w->derived)
    return LR_ENOMEM;
  int rc = 0, next = 1;
  for (int i = 0; rc == 0 && i < store->n_views; i++)
    if (lr__view_derives_from(store->views[i].view, w->ov->view))
      rc = add_derived(w, &store->views[i], dbis ? dbis[next++] : 0);
  return rc;
}

/* Makes the writer of `ov` on a Redis store, with a client of its own. */
static int begin_redis(lr_store *store, lr__online_view *ov,
                       lr__writer **out) {
  lr__redis_cluster *c = lr__rstore_take(store->redis, lr__store_err(store));
  if (!c)
    return LR_EIO;
  lr__writer *w = NULL;
  int rc = writer_new(store, ov, NULL, 0, &w);
  if (rc == 0) {
    w->client = c;
    rc = attach_derived(w, NULL);
  }
  if (rc == 0)
    rc = lr__writer_checks_open(w);
  if (rc == 0 && w->checks && lr__checkrun_may_refuse(w->checks))
    lr__writer_hold_redis(w);
  if (rc) {
    lr__writer_free(w);
    lr__rstore_give(store->redis, c);
    return rc;
  }
  *out = w;
  return 0;
}

/* Begins the transaction and makes the writer of `ov` in it. */
static int begin_on(lr_store *store, lr__online_view *ov, const char **names,
                    MDB_dbi *dbis, lr__writer **out) {
  int n = write_databases(store, ov, names);
  MDB_txn *txn;
  lr__env *env;
  int rc = lr__store_write_begin(store, names, n, dbis, &env, &txn,
                                 lr__store_err(store));
  if (rc)
    return rc;
  lr__writer *w = NULL;
  rc = writer_new(store, ov, txn, dbis[0], &w);
  if (rc == 0) {
    w->env = env;
    w->meta_dbi = dbis[n - 1];
    w->cap->logged = store->repl.role == LR__ROLE_PRIMARY;
    if (w->cap->logged)
      w->cap->outbox = dbis[n - 2];
    rc = attach_derived(w, dbis);
  }
  if (rc == 0)
    rc = lr__writer_checks_open(w);
  if (rc) {
    lr__writer_free(w);
    mdb_txn_abort(txn);
    lr__env_release(env);
    return rc;
  }
  *out = w;
  return 0;
}

int lr__writer_begin(lr_store *store, const char *view, lr__writer **out) {
  *out = NULL;
  lr__buf_reset(lr__store_err(store));
  int rc;
  lr__online_view *ov = lr__writer_view(store, view, &rc);
  if (!ov)
    return rc ? rc : LR_EINVAL;
  if (store->redis)
    return begin_redis(store, ov, out);
  const char **names = calloc((size_t)store->n_views + 3, sizeof *names);
  MDB_dbi *dbis = calloc((size_t)store->n_views + 3, sizeof *dbis);
  rc = names && dbis ? begin_on(store, ov, names, dbis, out) : LR_ENOMEM;
  free(names);
  free(dbis);
  return rc;
}

int lr__writer_put_meta(lr__writer *w, const char *key, const void *value,
                        size_t len) {
  if (w->store->redis) {
    lr__rstore_meta_put(&w->meta_puts, key, value, len);
    return lr__buf_failed(&w->meta_puts) ? LR_ENOMEM : 0;
  }
  MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)value};
  int mrc = mdb_put(w->txn, w->meta_dbi, &k, &v, 0);
  return mrc ? lr__store_mdb_error(lr__store_err(w->store), mrc,
                                   "cannot record the load")
             : 0;
}

/* Closes the cursors of w and its derived writers (LMDB frees a write
 * transaction's cursors when it ends: they must be closed before). */
static void close_cursors(lr__writer *w) {
  if (!w)
    return; /* a derived writer that failed to start */
  for (int d = 0; d < w->n_derived; d++)
    close_cursors(w->derived[d].w);
  if (w->cur)
    mdb_cursor_close(w->cur);
  w->cur = NULL;
}

/* Adds what w and its derived writers changed to their views' digests,
 * and notes in the freshness records of those given rows the newest event
 * time put and when (`now_us`) their path wrote them. */
static int apply_records(lr__writer *w, int64_t now_us) {
  int mrc = lr__digest_apply(w->txn, w->meta_dbi, w->ov->db_name, &w->digest);
  if (mrc == 0 && w->max_event != LR__FRESH_NONE)
    mrc = lr__fresh_note(w->txn, w->meta_dbi, w->ov->db_name, w->max_event,
                         w->source, now_us);
  for (int d = 0; mrc == 0 && d < w->n_derived; d++)
    mrc = apply_records(w->derived[d].w, now_us);
  return mrc;
}

int lr__writer_commit(lr__writer *w) {
  if (w->store->redis)
    return lr__writer_commit_redis(w);
  close_cursors(w);
  int rc = lr__writer_checks_commit(w);
  if (rc) {
    mdb_txn_abort(w->txn);
    lr__writer_checks_refused(w, rc);
    lr__env_release(w->env);
    lr__writer_free(w);
    return rc;
  }
  int mrc = apply_records(w, lr__time_now_us());
  capture *cap = w->cap;
  if (!mrc && cap->changes)
    mrc = lr__outbox_count(w->txn, w->meta_dbi,
                           cap->logged ? &cap->outbox : NULL,
                           lr__env_gen(w->env), 0,
                           cap->overflow ? LR__ENTRY_SNAPSHOT : LR__ENTRY_ROWS,
                           &cap->records, NULL);
  if (mrc)
    mdb_txn_abort(w->txn);
  else
    mrc = mdb_txn_commit(w->txn);
  rc = mrc ? lr__store_mdb_error(lr__store_err(w->store), mrc, "cannot commit")
           : 0;
  lr__env_release(w->env);
  lr__writer_free(w);
  return rc;
}

void lr__writer_abort(lr__writer *w) {
  if (!w)
    return;
  if (w->store->redis) {
    lr__rstore_give(w->store->redis, w->client);
    lr__writer_free(w);
    return;
  }
  close_cursors(w);
  mdb_txn_abort(w->txn);
  lr__env_release(w->env);
  lr__writer_free(w);
}

void lr__writer_source(lr__writer *w, int source) {
  w->source = source;
  for (int d = 0; d < w->n_derived; d++)
    lr__writer_source(w->derived[d].w, source);
}

int lr_write_rows(lr_store *store, const char *view, const lr_column *columns,
                  int n_columns, size_t n_rows, lr_write_stats *stats) {
  return lr__write_rows_by(store, view, LR__FRESH_WRITE, columns, n_columns,
                           n_rows, stats);
}

int lr__write_rows_by(lr_store *store, const char *view, int source,
                      const lr_column *columns, int n_columns, size_t n_rows,
                      lr_write_stats *stats) {
  lr_write_stats local = {0, 0};
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!store)
    return LR_EINVAL;
  if ((!columns && n_columns) || n_columns < 0)
    return lr__errmsg_set(lr__store_err(store), LR_EINVAL, "no columns "
                          "given (%d)", n_columns);
  lr__writer *w = NULL;
  int rc = lr__writer_begin(store, view, &w);
  if (rc == 0 && w)
    lr__writer_source(w, source);
  if (rc == 0 && w)
    rc = lr__writer_put(w, columns, n_columns, n_rows, stats);
  if (rc == 0 && w)
    rc = lr__writer_commit(w);
  else
    lr__writer_abort(w); /* NULL when begin failed */
  if (rc && !store->redis) /* Redis: the rows stored stay counted */
    memset(stats, 0, sizeof *stats);
  return rc;
}

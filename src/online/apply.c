/*
 * apply.c - a replica applying the primary's log entries, and the
 * primary's outbox read and pruned (apply.h).
 *
 * An entry holds pairs exactly as the primary stored them. A replica at
 * the entry's previous position holds what the primary held then, so
 * storing each pair under newer-wins gives the primary's state; the
 * entry's position is written in the same transaction. Entries read
 * together are applied in one transaction, each checked against the
 * position the one before it wrote there: one commit (and its fsync) for
 * the lot, and still no entry without its position or position without
 * its entry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../codec/entry.h"
#include "../codec/row.h"
#include "../util/be64.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "apply.h"
#include "digest.h"
#include "freshness.h"
#include "outbox.h"
#include "store.h"

const lr__replication *lr__store_replication(const lr_store *store) {
  return &store->repl;
}

int lr__store_logpos(lr_store *store, lr__logpos *pos, lr__buf *err) {
  lr__env *env = lr__store_env(store);
  MDB_dbi meta;
  int has_meta = lr__env_dbi(env, LR__META_DB, 0, &meta);
  MDB_txn *txn;
  *pos = (lr__logpos){lr__env_gen(env), 0, 0, {0}};
  int mrc = mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn);
  if (mrc == 0) {
    if (has_meta)
      mrc = lr__logpos_read(txn, meta, lr__env_gen(env), pos);
    mdb_txn_abort(txn);
  }
  lr__env_release(env);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot read the log position")
             : 0;
}

unsigned long long lr__store_last_txnid(lr_store *store) {
  lr__env *env = lr__store_env(store);
  MDB_txn *txn;
  unsigned long long id = 0; /* a read transaction sees what readers see
                                (the meta page's id moves a little before) */
  if (mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn) == 0) {
    id = mdb_txn_id(txn);
    mdb_txn_abort(txn);
  }
  lr__env_release(env);
  return id;
}

/* The distinct databases an entry's pairs go to. */
typedef struct entry_dbs {
  char **names; /* NUL-terminated copies; then the meta database's */
  int n;
  MDB_dbi *dbis;
  lr__digest *delta;
  int64_t *max_event; /* the newest event time of the entry's pairs, per
                         database (freshness.h) */
  unsigned long long stored; /* pairs put (the others lost to newer rows) */
} entry_dbs;

static void dbs_free(entry_dbs *d) {
  for (int i = 0; i < d->n; i++)
    if (strcmp(d->names[i], LR__META_DB) != 0)
      free(d->names[i]);
  free(d->names);
  free(d->dbis);
  free(d->delta);
  free(d->max_event);
}

/* The index of the current group's database in d (added when new). */
static int db_index(entry_dbs *d, const lr__entry_iter *it) {
  for (int i = 0; i < d->n; i++)
    if (strlen(d->names[i]) == it->name_len &&
        memcmp(d->names[i], it->name, it->name_len) == 0)
      return i;
  char **names = realloc(d->names, (size_t)(d->n + 2) * sizeof *names);
  if (!names)
    return -1;
  d->names = names;
  d->names[d->n] = strndup(it->name, it->name_len);
  return d->names[d->n] ? d->n++ : -1;
}

/* Adds the databases of the records to d's list; returns 0 or -1
 * (malformed). */
static int list_dbs(entry_dbs *d, const uint8_t *recs, size_t len) {
  lr__entry_iter it = {recs, recs + len, NULL, 0};
  const void *key, *row;
  size_t klen, rlen;
  int r;
  while ((r = lr__entry_next(&it, &key, &klen, &row, &rlen)) == 1)
    if (db_index(d, &it) < 0)
      return -1;
  return r < 0 ? -1 : 0;
}

/* Ends d's list with the meta database and makes room for the handles
 * and the digests' changes; returns 0 or -1. */
static int dbs_ready(entry_dbs *d) {
  char **names = realloc(d->names, (size_t)(d->n + 1) * sizeof *names);
  if (!names)
    return -1; /* d->names stays d's, freed with it */
  d->names = names;
  d->names[d->n++] = (char *)LR__META_DB;
  d->dbis = calloc((size_t)d->n, sizeof *d->dbis);
  d->delta = calloc((size_t)d->n, sizeof *d->delta);
  d->max_event = malloc((size_t)d->n * sizeof *d->max_event);
  for (int i = 0; d->max_event && i < d->n; i++)
    d->max_event[i] = LR__FRESH_NONE;
  return d->dbis && d->delta && d->max_event ? 0 : -1;
}

/* Stores one pair unless the stored row wins; keeps d's digest delta. */
static int put_pair(MDB_txn *txn, entry_dbs *d, int i, const void *key,
                    size_t klen, const void *row, size_t rlen) {
  MDB_val k = {klen, (void *)key}, old, v = {rlen, (void *)row};
  lr__row_header hn, ho;
  if (lr__row_header_read(row, rlen, &hn) != 0)
    return MDB_CORRUPTED;
  if (hn.event_us > d->max_event[i]) /* every pair, whichever is kept */
    d->max_event[i] = hn.event_us;
  int mrc = mdb_get(txn, d->dbis[i], &k, &old);
  if (mrc && mrc != MDB_NOTFOUND)
    return mrc;
  uint64_t hash[2];
  if (mrc == 0) {
    if (lr__row_header_read(old.mv_data, old.mv_size, &ho) == 0 &&
        lr__row_newer_wins(hn.event_us, hn.created_us, row, rlen, ho.event_us,
                           ho.created_us, old.mv_data, old.mv_size) <= 0)
      return 0;
    lr__digest_pair(key, klen, old.mv_data, old.mv_size, hash);
    lr__digest_sub(&d->delta[i], hash);
  }
  if ((mrc = mdb_put(txn, d->dbis[i], &k, &v, 0)))
    return mrc;
  d->stored++;
  lr__digest_pair(key, klen, row, rlen, hash);
  lr__digest_add(&d->delta[i], hash);
  return 0;
}

/* Puts every pair of the records, the digests' changes and the freshness
 * records' (d's deltas start from zero again for the next entry). */
static int put_records(MDB_txn *txn, entry_dbs *d, const uint8_t *recs,
                       size_t len) {
  lr__entry_iter it = {recs, recs + len, NULL, 0};
  const void *key, *row;
  size_t klen, rlen;
  int mrc = 0;
  while (!mrc && lr__entry_next(&it, &key, &klen, &row, &rlen) == 1)
    mrc = put_pair(txn, d, db_index(d, &it), key, klen, row, rlen);
  int64_t now_us = lr__time_now_us();
  for (int i = 0; !mrc && i < d->n - 1; i++) {
    MDB_dbi meta = d->dbis[d->n - 1];
    mrc = lr__digest_apply(txn, meta, d->names[i], &d->delta[i]);
    if (!mrc && d->max_event[i] != LR__FRESH_NONE)
      mrc = lr__fresh_note(txn, meta, d->names[i], d->max_event[i],
                           LR__FRESH_REPLICATE, now_us);
    d->max_event[i] = LR__FRESH_NONE;
  }
  memset(d->delta, 0, (size_t)d->n * sizeof *d->delta);
  return mrc;
}

/* Whether `head` follows position `at`; the reason in err when not. */
static int follows(const lr__entry_head *head, const lr__logpos *at,
                   lr__buf *err) {
  if (head->seq <= at->seq)
    return LR__APPLY_SEEN;
  if (head->seq != at->seq + 1)
    return lr__buf_printf(err, "the log skips from %llu to %llu",
                          at->seq, head->seq), LR__APPLY_BOOTSTRAP;
  if (head->epoch != at->epoch && at->seq != 0) /* 0: nothing yet, every
                                                  log starts there */
    return lr__buf_printf(err, "entry %llu is of another epoch (%llx, this "
                          "store follows %llx)", head->seq, head->epoch,
                          at->epoch), LR__APPLY_BOOTSTRAP;
  if (memcmp(head->prev, at->chain, sizeof at->chain) != 0)
    return lr__buf_printf(err, "entry %llu does not follow the entries "
                          "applied here (chain digest)", head->seq),
           LR__APPLY_MISMATCH;
  if (head->kind == LR__ENTRY_SNAPSHOT)
    return lr__buf_printf(err, "entry %llu asks for a snapshot", head->seq),
           LR__APPLY_BOOTSTRAP;
  return LR__APPLIED;
}

/* In the open transaction: checks the entry follows, puts its pairs and
 * moves the position (the caller commits on LR__APPLIED, else aborts). */
static int apply_in(MDB_txn *txn, entry_dbs *d, const lr__entry_head *head,
                    const uint8_t *recs, size_t len, const uint8_t chain[16],
                    const lr__env *env, lr__buf *err) {
  MDB_dbi meta = d->dbis[d->n - 1];
  lr__logpos at;
  int mrc = lr__logpos_read(txn, meta, lr__env_gen(env), &at);
  if (mrc)
    return lr__store_mdb_error(err, mrc, "cannot read the log position");
  int outcome = follows(head, &at, err);
  if (outcome != LR__APPLIED)
    return outcome;
  lr__logpos next = {head->generation, head->seq, head->epoch, {0}};
  memcpy(next.chain, chain, sizeof next.chain);
  mrc = put_records(txn, d, recs, len);
  if (!mrc)
    mrc = lr__logpos_write(txn, meta, &next);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot apply a log entry") : 0;
}

/* An entry of a batch, decoded. */
typedef struct decoded {
  lr__entry_head head;
  const uint8_t *recs;
  size_t len;
  uint8_t chain[16];
} decoded;

/* A batch: the entries taken, decoded, with their databases listed. */
typedef struct batch {
  decoded *entries;
  int n;          /* the entries that decoded, applied in one transaction */
  int bad;        /* 1 when the entry after them is damaged or malformed */
  int bad_kind;   /* its outcome: LR__APPLY_MISMATCH or LR_ECORRUPT */
  entry_dbs dbs;
} batch;

/* Decodes the longest prefix of `entries` that fits one transaction (at
 * most LR__OUTBOX_MAX_RECORDS bytes together, at least one entry) and
 * ends before the first damaged or malformed one; lists its databases. */
static int take_batch(const lr__apply_entry *entries, int n, batch *b) {
  size_t bytes = 0;
  b->entries = calloc((size_t)n, sizeof *b->entries);
  if (!b->entries)
    return -1;
  for (; b->n < n; b->n++) {
    const lr__apply_entry *e = &entries[b->n];
    decoded *d = &b->entries[b->n];
    if (b->n && bytes + e->len > LR__OUTBOX_MAX_RECORDS)
      break;
    bytes += e->len;
    b->bad_kind = lr__entry_decode(e->data, e->len, &d->head, &d->recs,
                                   &d->len, d->chain) != 0
                      ? LR__APPLY_MISMATCH
                  : list_dbs(&b->dbs, d->recs, d->len) != 0 ? LR_ECORRUPT
                                                             : 0;
    if ((b->bad = b->bad_kind != 0))
      break;
  }
  return dbs_ready(&b->dbs);
}

/* The outcome of the damaged or malformed entry after batch b. */
static int bad_entry(const batch *b, lr__buf *err) {
  if (b->bad_kind == LR__APPLY_MISMATCH)
    return lr__buf_puts(err, "a log entry is damaged: its chain digest "
                        "does not match its bytes"), LR__APPLY_MISMATCH;
  return lr__errmsg_set(err, LR_ECORRUPT, "log entry %llu is malformed",
                        b->entries[b->n].head.seq);
}

/* Applies b's entries in the open transaction until one does not apply:
 * *applied and *stored count what did. Returns the outcome of the last
 * entry looked at (*looked of them), or an error. */
static int apply_all(MDB_txn *txn, batch *b, const lr__env *env,
                     int *looked, int *applied, unsigned long long *stored,
                     lr__buf *err) {
  int rc = LR__APPLIED;
  for (*looked = 0; *looked < b->n;) {
    const decoded *d = &b->entries[(*looked)++];
    b->dbs.stored = 0;
    rc = apply_in(txn, &b->dbs, &d->head, d->recs, d->len, d->chain, env,
                  err);
    if (rc != LR__APPLIED && rc != LR__APPLY_SEEN)
      break;
    *applied += rc == LR__APPLIED;
    *stored += b->dbs.stored;
  }
  return rc;
}

int lr__store_apply_entries(lr_store *store, const lr__apply_entry *entries,
                            int n, int *taken, int *applied,
                            unsigned long long *stored, lr__buf *err) {
  batch b = {0};
  *taken = *applied = 0;
  *stored = 0;
  if (n < 1 || take_batch(entries, n, &b) != 0) {
    free(b.entries);
    dbs_free(&b.dbs);
    return lr__errmsg_set(err, n < 1 ? LR_EINVAL : LR_ENOMEM,
                          n < 1 ? "no log entry to apply" : "out of memory");
  }
  lr__env *env;
  MDB_txn *txn;
  int rc = b.n ? lr__store_write_begin(store, (const char *const *)b.dbs.names,
                                       b.dbs.n, b.dbs.dbis, &env, &txn, err)
               : LR__APPLIED;
  if (rc == 0 && b.n) {
    rc = apply_all(txn, &b, env, taken, applied, stored, err);
    int ok = rc >= 0 && *applied; /* the entries before one that stops */
    int mrc = ok ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), 0);
    if (mrc)
      rc = lr__store_mdb_error(err, mrc, "cannot commit a log entry");
    if (mrc || rc < 0) { /* nothing was committed */
      *applied = 0;
      *stored = 0;
    }
    lr__env_release(env);
  }
  if ((rc == LR__APPLIED || rc == LR__APPLY_SEEN) && b.bad) {
    (*taken)++;
    rc = bad_entry(&b, err);
  }
  free(b.entries);
  dbs_free(&b.dbs);
  return rc;
}

int lr__store_apply_entry(lr_store *store, const void *data, size_t len,
                          unsigned long long *stored, lr__buf *err) {
  lr__apply_entry e = {data, len};
  int taken, applied;
  return lr__store_apply_entries(store, &e, 1, &taken, &applied, stored, err);
}

int lr__store_outbox_each(lr_store *store, unsigned long long after,
                          int (*each)(void *ctx, unsigned long long seq,
                                      const void *entry, size_t len),
                          void *ctx, lr__buf *err) {
  lr__env *env = lr__store_env(store);
  MDB_dbi outbox;
  MDB_txn *txn = NULL;
  MDB_cursor *cur = NULL;
  int rc = 0;
  if (!lr__env_dbi(env, LR__OUTBOX_DB, 0, &outbox)) {
    lr__env_release(env);
    return 0; /* nothing logged yet */
  }
  int mrc = mdb_txn_begin(lr__env_mdb(env), NULL, MDB_RDONLY, &txn);
  if (!mrc)
    mrc = mdb_cursor_open(txn, outbox, &cur);
  uint8_t start[8];
  lr__be64_put(start, after + 1);
  MDB_val k = {sizeof start, start}, v;
  for (int op = MDB_SET_RANGE; !mrc && !rc; op = MDB_NEXT) {
    mrc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op);
    if (mrc || k.mv_size != 8)
      break;
    rc = each(ctx, lr__be_get(k.mv_data, 8), v.mv_data, v.mv_size);
  }
  if (cur)
    mdb_cursor_close(cur);
  if (txn)
    mdb_txn_abort(txn);
  lr__env_release(env);
  if (mrc && mrc != MDB_NOTFOUND)
    return lr__store_mdb_error(err, mrc, "cannot read the outbox");
  return rc;
}

/* The newest shipped entry that must go: walking back from `shipped`,
 * the first past `keep` entries or `keep_bytes` (0: none must). */
static int prune_point(MDB_cursor *cur, unsigned long long shipped,
                       unsigned long long keep, size_t keep_bytes,
                       unsigned long long *cut) {
  uint8_t start[8];
  lr__be64_put(start, shipped + 1);
  MDB_val k = {sizeof start, start}, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  int op = mrc == 0 ? MDB_PREV : MDB_LAST; /* nothing after: from the end */
  unsigned long long count = 0;
  size_t bytes = 0;
  *cut = 0;
  while ((mrc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
    op = MDB_PREV;
    if (k.mv_size != 8 || lr__be_get(k.mv_data, 8) > shipped)
      continue;
    bytes += v.mv_size;
    if (++count > keep || bytes > keep_bytes) {
      *cut = lr__be_get(k.mv_data, 8);
      return 0;
    }
  }
  return mrc == MDB_NOTFOUND ? 0 : mrc;
}

int lr__store_outbox_prune(lr_store *store, unsigned long long shipped,
                           unsigned long long keep, size_t keep_bytes,
                           lr__buf *err) {
  const char *names[] = {LR__OUTBOX_DB};
  MDB_dbi outbox;
  lr__env *env;
  MDB_txn *txn;
  int rc = lr__store_write_begin(store, names, 1, &outbox, &env, &txn, err);
  if (rc)
    return rc;
  MDB_cursor *cur;
  unsigned long long cut = 0;
  int mrc = mdb_cursor_open(txn, outbox, &cur);
  if (!mrc)
    mrc = prune_point(cur, shipped, keep, keep_bytes, &cut);
  MDB_val k, v;
  while (!mrc && cut && (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
    if (k.mv_size != 8 || lr__be_get(k.mv_data, 8) > cut)
      break;
    mrc = mdb_cursor_del(cur, 0);
  }
  if (!mrc || mrc == MDB_NOTFOUND) {
    mdb_cursor_close(cur);
    mrc = mdb_txn_commit(txn);
  } else {
    mdb_txn_abort(txn);
  }
  lr__env_release(env);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot prune the outbox") : 0;
}

/* The meta record of the registry version a primary last logged. */
#define REGISTRY_LOGGED "log:registry"

/* A write transaction on the outbox (dbis[0]) and the meta database
 * (dbis[1]): what logging a change outside of a write of rows takes. */
static int begin_logging(lr_store *store, MDB_dbi dbis[2], lr__env **env,
                         MDB_txn **txn, lr__buf *err) {
  const char *names[] = {LR__OUTBOX_DB, LR__META_DB};
  return lr__store_write_begin(store, names, 2, dbis, env, txn, err);
}

int lr__store_log_registry(lr_store *store, lr__buf *err) {
  MDB_dbi dbis[2];
  lr__env *env;
  MDB_txn *txn;
  int rc = begin_logging(store, dbis, &env, &txn, err);
  if (rc)
    return rc;
  uint8_t want[8];
  lr__be64_put(want, store->reg.version);
  MDB_val k = {sizeof REGISTRY_LOGGED - 1, (void *)REGISTRY_LOGGED}, v;
  int mrc = mdb_get(txn, dbis[1], &k, &v);
  int same = mrc == 0 && v.mv_size == 8 && memcmp(v.mv_data, want, 8) == 0;
  if (mrc == 0 || mrc == MDB_NOTFOUND)
    mrc = 0;
  if (!mrc && !same) {
    v = (MDB_val){sizeof want, want};
    mrc = mdb_put(txn, dbis[1], &k, &v, 0);
    if (!mrc)
      mrc = lr__outbox_count(txn, dbis[1], &dbis[0], lr__env_gen(env), 0,
                             LR__ENTRY_SNAPSHOT, NULL, NULL);
  }
  mrc = mrc || same ? (mdb_txn_abort(txn), mrc) : mdb_txn_commit(txn);
  lr__env_release(env);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot log the registry") : 0;
}

int lr__store_restart_epoch(lr_store *store, unsigned long long past,
                            lr__buf *err) {
  MDB_dbi dbis[2];
  lr__env *env;
  MDB_txn *txn;
  int rc = begin_logging(store, dbis, &env, &txn, err);
  if (rc)
    return rc;
  lr__logpos pos;
  int mrc = lr__logpos_read(txn, dbis[1], lr__env_gen(env), &pos);
  if (!mrc && pos.seq < past) {
    pos.seq = past;
    pos.epoch = 0; /* the SNAPSHOT change below picks a new one */
    mrc = lr__logpos_write(txn, dbis[1], &pos);
    if (!mrc)
      mrc = lr__outbox_count(txn, dbis[1], &dbis[0], lr__env_gen(env), 0,
                             LR__ENTRY_SNAPSHOT, NULL, NULL);
  }
  mrc = mrc ? (mdb_txn_abort(txn), mrc) : mdb_txn_commit(txn);
  lr__env_release(env);
  return mrc ? lr__store_mdb_error(err, mrc, "cannot start a new epoch") : 0;
}

int lr__store_lock_replicator(lr_store *store, int *fd, lr__buf *err) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, store->root, "replicator.lock");
  *fd = open(lr__buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  int rc = 0;
  if (*fd < 0)
    rc = lr__errmsg_set(err, LR_EIO, "cannot open %s: %s", lr__buf_str(&path),
                        strerror(errno));
  else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    close(*fd);
    *fd = -1;
    rc = lr__errmsg_set(err, LR_EEXISTS, "another `larder replicate` runs on "
                        "this repo (it holds %s); one is enough",
                        lr__buf_str(&path));
  }
  lr__buf_free(&path);
  return rc;
}

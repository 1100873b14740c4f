/*
 * replicator.c - lr_replicator: on a primary, the shipper that appends
 * the outbox's entries (online/outbox.h) to the write log in order, with
 * a snapshot published first wherever an entry asks for one; on a
 * replica, the follower that bootstraps from the newest snapshot and then
 * applies the log entry by entry (docs/internals/replication.md).
 *
 * Both sides keep no state of their own beyond counters: the primary's
 * outbox and the replica's version records are the state, written in the
 * store's own transactions, so either side can be killed at any point and
 * started again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../codec/entry.h"
#include "../online/apply.h"
#include "../online/introspect.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "definitions.h"
#include "log.h"
#include "manifest.h"
#include "snapshot.h"

/* Outbox entries a primary keeps after shipping them: what it can ship
 * again when the log lost its tail (a Redis restarted without them); at
 * most this many, and this many bytes (entries may be up to 8 MiB). */
#define KEEP_SHIPPED 10000ull
#define KEEP_SHIPPED_BYTES ((size_t)64 << 20)
#define LOG_TIMEOUT_MS 2000
#define READ_MAX 1000 /* entries one read of the log asks for */

struct lr_replicator {
  char *repo;
  char *registry_path;
  lr_store *store;
  lr__log *log;                 /* NULL until a round connects */
  int lock_fd;                  /* the replicator lock, or -1 */
  lr__buf err;
  unsigned long long head;      /* the log's last entry, as last seen */
  unsigned long long applied;   /* entries applied or shipped */
  unsigned long long applied_rows; /* pairs those entries stored */
  unsigned long long bootstraps;
  unsigned long long mismatches; /* chain digests or snapshots refused */
  long long behind_since_ms;    /* when a replica fell behind; 0: it is not */
  long long failing_since_ms;   /* when rounds began to fail; 0: they do not */
  char failed[LR_REPLICATION_ERROR_MAX]; /* the last round's error, or "" */
  lr__snapshot_seen seen;       /* the newest snapshot, as last read */
  lr__apply_entry batch[READ_MAX]; /* a follower's entries of one answer */
  int batched;                  /* how many, until its last is in */
};

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Opens (again: after a bootstrap the registry may be new) the store. */
static int open_store(lr_replicator *r) {
  lr_store_close(r->store);
  int rc = lr_store_open(r->repo, LR_STORE_READWRITE, &r->store);
  if (rc)
    lr__buf_printf(&r->err, "%s", lr_store_errmsg(r->store));
  return rc;
}

/* The newest snapshot (lr__snapshot_newest: 0 when none can be read,
 * which publishing again mends). */
static int newest_snapshot(lr_replicator *r, unsigned long long *seq,
                           unsigned long long *epoch) {
  return lr__snapshot_newest(lr__store_replication(r->store)->snapshots,
                             &r->seen, seq, epoch);
}

/* The snapshot a SNAPSHOT entry or a log gap at `seq` needs: published
 * now unless one at `seq` or later is there. */
static int ensure_snapshot(lr_replicator *r, unsigned long long seq) {
  unsigned long long newest;
  if (newest_snapshot(r, &newest, NULL) && newest >= seq)
    return 0;
  const lr__replication *repl = lr__store_replication(r->store);
  lr__manifest m = {0};
  int rc = lr__snapshot_publish(r->store, r->registry_path, repl->snapshots,
                                repl->keep_snapshots, &m, &r->err);
  lr__manifest_free(&m);
  return rc;
}

typedef struct ship_state {
  lr_replicator *r;
  unsigned long long last; /* the log's last entry */
  int first;               /* no entry shipped yet in this round */
  int rc;
} ship_state;

/* An append refused because the log holds `seq` already: another shipper
 * of this primary got there first (the same bytes: stop this round, 1),
 * or another primary logs to this stream, or this one was restored from
 * an older copy (other bytes: an error, since replicas would stall on
 * the chain digest). */
static int already_there(lr_replicator *r, unsigned long long seq,
                         const void *entry, size_t len) {
  lr__buf logged;
  lr__buf_init(&logged);
  lr__buf_reset(&r->err);
  int rc = lr__log_get(r->log, seq, &logged, &r->err);
  if (rc == 0 && (logged.len != len || memcmp(logged.data, entry, len) != 0))
    rc = lr__errmsg_set(&r->err, LR_ECORRUPT, "the write log %s (stream %s) "
                        "holds another entry %llu than this primary's: two "
                        "primaries log to one stream, or this store was "
                        "restored from an older copy; give each primary its "
                        "own `replication.stream`",
                        lr__store_replication(r->store)->log,
                        lr__store_replication(r->store)->stream, seq);
  else if (rc == 0 || rc == LR_ENOTFOUND) /* trimmed meanwhile: it was ours */
    rc = 1;
  lr__buf_free(&logged);
  if (rc == 1)
    lr__buf_reset(&r->err);
  return rc;
}

/* Ships one outbox entry (outbox_each callback). */
static int ship_one(void *ctx, unsigned long long seq, const void *entry,
                    size_t len) {
  ship_state *s = ctx;
  lr_replicator *r = s->r;
  lr__entry_head head;
  const uint8_t *recs;
  size_t n;
  uint8_t chain[16];
  if (lr__entry_decode(entry, len, &head, &recs, &n, chain) != 0)
    return s->rc = lr__errmsg_set(&r->err, LR_ECORRUPT, "outbox entry %llu "
                                  "is damaged", seq);
  /* A gap before the first entry: the log lost entries the outbox no
   * longer holds. A snapshot at this point lets replicas past it. */
  int gap = s->first && s->last && seq > s->last + 1;
  s->first = 0;
  if (gap || head.kind == LR__ENTRY_SNAPSHOT)
    if ((s->rc = ensure_snapshot(r, seq)))
      return s->rc;
  s->rc = lr__log_append(r->log, seq, entry, len, &r->err);
  if (s->rc == LR_EEXISTS)
    return s->rc = already_there(r, seq, entry, len);
  if (s->rc)
    return s->rc;
  r->applied++;
  s->last = seq;
  return 0;
}

/* Publishes a snapshot when replicas could not start from what is
 * there: none yet, or the log no longer holds the entries after the
 * newest one (trimmed past it, or lost). */
static int keep_bootstrappable(lr_replicator *r, unsigned long long first) {
  unsigned long long newest;
  if (newest_snapshot(r, &newest, NULL) && !(first && first > newest + 1))
    return 0;
  lr__logpos pos;
  int rc = lr__store_logpos(r->store, &pos, &r->err);
  if (rc || pos.epoch == 0)
    return rc; /* nothing logged yet: replicas start from the log's first
                  entry, and a snapshot of no epoch could not be followed */
  return ensure_snapshot(r, pos.seq);
}

typedef struct own_entry {
  lr_replicator *r;
  unsigned long long seq;
  int rc;
} own_entry;

/* outbox_each callback: checks the first entry, `seq`, against the log's
 * (already_there), then stops. */
static int check_first(void *ctx, unsigned long long seq, const void *entry,
                       size_t len) {
  own_entry *o = ctx;
  o->rc = seq == o->seq ? already_there(o->r, seq, entry, len) : 1;
  return 1;
}

/* When the log's last entry is not one this replicator shipped or saw:
 * is it this primary's? Another primary's would make replicas stall. */
static int check_last(lr_replicator *r, unsigned long long last) {
  if (!last || last == r->head)
    return 0;
  own_entry o = {r, last, 1};
  int rc = lr__store_outbox_each(r->store, last - 1, check_first, &o,
                                 &r->err);
  if (rc < 0)
    return rc;
  return o.rc < 0 ? o.rc : 0;
}

/* When the log's last entry `last` is past this primary's position: of
 * its own epoch, this store was restored from an older copy (it lost
 * changes its replicas may hold), and starts a new epoch that makes them
 * bootstrap; of another, a second primary logs here (an error). */
static int check_ahead(lr_replicator *r, unsigned long long last) {
  lr__logpos pos;
  int rc = lr__store_logpos(r->store, &pos, &r->err);
  if (rc || last <= pos.seq || pos.epoch == 0)
    return rc; /* (no epoch: nothing logged yet, check_last judges) */
  lr__buf logged;
  lr__buf_init(&logged);
  lr__entry_head head;
  const uint8_t *recs;
  size_t len;
  uint8_t chain[16];
  rc = lr__log_get(r->log, last, &logged, &r->err);
  int decoded = rc == 0 && lr__entry_decode(logged.data, logged.len, &head,
                                            &recs, &len, chain) == 0;
  if (rc == 0 && !decoded)
    rc = lr__errmsg_set(&r->err, LR_ECORRUPT, "the write log %s (stream %s) "
                        "holds a damaged entry %llu",
                        lr__store_replication(r->store)->log,
                        lr__store_replication(r->store)->stream, last);
  else if (rc == 0 && head.epoch == pos.epoch)
    rc = lr__store_restart_epoch(r->store, last, &r->err);
  else if (rc == 0)
    rc = lr__errmsg_set(&r->err, LR_ECORRUPT, "the write log %s (stream %s) "
                        "is at entry %llu, past this primary's %llu, and "
                        "not of its epoch: another primary logs to this "
                        "stream; give each primary its own "
                        "`replication.stream`",
                        lr__store_replication(r->store)->log,
                        lr__store_replication(r->store)->stream, last,
                        pos.seq);
  lr__buf_free(&logged);
  return rc == LR_ENOTFOUND ? (lr__buf_reset(&r->err), 0) : rc;
}

/* One round on a primary: ships what the log lacks, prunes what it has. */
static int ship(lr_replicator *r) {
  unsigned long long first, last;
  int rc = lr__log_bounds(r->log, &first, &last, &r->err);
  if (rc == 0)
    rc = check_ahead(r, last);
  if (rc == 0)
    rc = check_last(r, last);
  if (rc == 0)
    rc = keep_bootstrappable(r, first);
  if (rc)
    return rc;
  ship_state s = {r, last, 1, 0};
  rc = lr__store_outbox_each(r->store, last, ship_one, &s, &r->err);
  if (rc < 0)
    return rc;
  r->head = s.last;
  if (s.last > last) /* shipped something: the oldest may go */
    rc = lr__store_outbox_prune(r->store, s.last, KEEP_SHIPPED,
                                KEEP_SHIPPED_BYTES, &r->err);
  return rc < 0 ? rc : 0;
}

/* Before a replica first takes anything from the primary (no epoch yet):
 * are the definitions it applied the ones snapshot `m` carries? */
static int check_definitions(lr_replicator *r, const lr__manifest *m) {
  lr__buf theirs;
  lr__buf_init(&theirs);
  lr__fs_join(&theirs, lr__store_replication(r->store)->snapshots, m->name);
  lr__buf_puts(&theirs, "/" LR__SNAPSHOT_REGISTRY);
  int rc = lr__definitions_match(r->repo, r->registry_path,
                                 lr__buf_str(&theirs), &r->err);
  lr__buf_free(&theirs);
  return rc;
}

/* Installs the newest snapshot when it is past `pos` (or of another
 * epoch); 0 when installed, 1 when the newest is not past it yet (the
 * primary publishes one for the entries the log lost). No snapshot at
 * all is LR_ENOTFOUND naming the folder: a primary that logged publishes
 * one before its first entry, so the folder is the wrong one, or nothing
 * was ever logged to follow. */
static int bootstrap(lr_replicator *r, const lr__logpos *pos) {
  lr__manifest m = {0};
  int rc = lr__snapshot_latest(lr__store_replication(r->store)->snapshots, &m, &r->err);
  if (rc == 0 && m.epoch == pos->epoch && m.seq <= pos->seq)
    rc = 1; /* nothing newer than what is here: wait for the primary */
  if (rc == 0 && pos->epoch == 0)
    rc = check_definitions(r, &m);
  if (rc == 0)
    rc = lr__snapshot_install(r->store, r->registry_path,
                              lr__store_replication(r->store)->snapshots, &m,
                              &r->err);
  if (rc == LR_ECORRUPT) /* a checksum or digest that did not match */
    r->mismatches++;
  lr__manifest_free(&m);
  if (rc == 0) {
    r->bootstraps++;
    rc = open_store(r);
  }
  return rc;
}

/* Applies the entries kept of the answer being read, in as few
 * transactions as they fit. */
static int apply_batch(lr_replicator *r) {
  int rc = 0;
  for (int at = 0; rc == 0 && at < r->batched;) {
    int taken, applied;
    unsigned long long stored;
    rc = lr__store_apply_entries(r->store, r->batch + at, r->batched - at,
                                 &taken, &applied, &stored, &r->err);
    r->applied += (unsigned long long)applied;
    r->applied_rows += stored;
    at += taken;
    if (rc == LR__APPLY_SEEN)
      rc = 0;
  }
  r->batched = 0;
  return rc;
}

/* lr__log_read callback: keeps each entry of an answer and applies them
 * together once the last is in (one commit for the lot). */
static int apply_one(void *ctx, const lr__log_entry *e) {
  lr_replicator *r = ctx;
  if (e->seq > r->head) /* it came after the bounds were read */
    r->head = e->seq;
  r->batch[r->batched++] = (lr__apply_entry){e->data, e->len};
  return e->more > 0 && r->batched < READ_MAX ? 0 : apply_batch(r);
}

/* A log with no entries while the snapshot folder holds a snapshot of
 * logged changes (an epoch, past entry 0): the primary logs to another
 * stream than this replica reads, or the log lost its entries (the
 * primary's shipper appends them again). Said at once, rather than
 * waiting for entries that never come. */
static int check_empty_log(lr_replicator *r) {
  unsigned long long seq, epoch;
  if (!newest_snapshot(r, &seq, &epoch) || !epoch || !seq)
    return 0; /* nothing logged yet: the replica waits for entry 1 */
  const lr__replication *repl = lr__store_replication(r->store);
  return lr__errmsg_set(&r->err, LR_ENOTFOUND, "the write log %s has no "
                        "entries in stream %s, but its primary has logged "
                        "some (the newest snapshot in %s is at entry %llu): "
                        "this replica reads another stream than its primary "
                        "logs to; set `replication.stream` in %s/"
                        "feature_store.yaml to the primary's "
                        "`replication.stream` (if the stream is right, the "
                        "log lost its entries: `larder replicate` on the "
                        "primary appends them again)", repl->log,
                        repl->stream, repl->snapshots, seq, r->repo);
}

/* One round on a replica: bootstraps when needed, else applies what the
 * log has after its position (waiting up to wait_ms for it). */
static int follow(lr_replicator *r, int wait_ms) {
  lr__logpos pos;
  unsigned long long first, last;
  int rc = lr__store_logpos(r->store, &pos, &r->err);
  if (rc == 0)
    rc = lr__log_bounds(r->log, &first, &last, &r->err);
  if (rc == 0 && last == 0)
    rc = check_empty_log(r);
  if (rc)
    return rc;
  r->head = last;
  /* A store never bootstrapped (no epoch) follows the log from its start
   * only when empty; an entry it needs that the log lost means a
   * snapshot. */
  int trimmed = first > pos.seq + 1;
  if ((pos.epoch == 0 && pos.seq != 0) || trimmed) {
    rc = bootstrap(r, &pos);
    if (rc == 1 && wait_ms > 0)
      usleep((useconds_t)wait_ms * 1000u);
    return rc == 1 ? 0 : rc;
  }
  r->batched = 0;
  rc = lr__log_read(r->log, pos.seq, READ_MAX, wait_ms, apply_one, r,
                    &r->err);
  if (rc == LR__APPLY_MISMATCH)
    r->mismatches++;
  if (rc == LR__APPLY_BOOTSTRAP || rc == LR__APPLY_MISMATCH) {
    lr__buf_reset(&r->err);
    rc = bootstrap(r, &pos);
    return rc == 1 ? 0 : rc;
  }
  return rc < 0 ? rc : 0;
}

int lr_replicator_open(const char *repo, lr_replicator **out) {
  if (!out)
    return LR_EINVAL;
  lr_replicator *r = calloc(1, sizeof *r);
  *out = r;
  if (!r)
    return LR_ENOMEM;
  lr__buf_init(&r->err);
  r->lock_fd = -1;
  if (!repo)
    return lr__errmsg_set(&r->err, LR_EINVAL, "no repo folder given");
  r->repo = strdup(repo);
  int rc = r->repo ? open_store(r) : LR_ENOMEM;
  if (rc == 0) {
    const lr__replication *repl = lr__store_replication(r->store);
    if (repl->role == LR__ROLE_NONE)
      return lr__errmsg_set(&r->err, LR_EINVAL, "%s/feature_store.yaml has no "
                            "`replication:` block: add one with role primary "
                            "or replica (docs/repo-format.md)", repo);
    lr__buf path;
    lr__buf_init(&path);
    lr__fs_join(&path, repo, lr__store_model(r->store)->config.registry_path);
    r->registry_path = lr__buf_steal(&path);
    rc = r->registry_path ? 0 : LR_ENOMEM;
  }
  return rc;
}

/* Connects to the write log, at the first round (publishing needs none).
 * A handle that lost its connection connects again by itself. */
static int open_log(lr_replicator *r) {
  if (r->log)
    return 0;
  const lr__replication *repl = lr__store_replication(r->store);
  return lr__log_open(repl->log, repl->stream,
                      (unsigned long long)repl->log_retention, LOG_TIMEOUT_MS,
                      &r->log, &r->err);
}

/* Waits, on a primary that had nothing to ship, until the store moved
 * from version `at` (read before the round, so a change committed during
 * it is not waited for) or wait_ms pass. A look every 200 µs reads the
 * last committed transaction's id (no system call); only when it moved
 * (a commit, maybe the marker of a new generation) is the version read. */
static void wait_for_change(lr_replicator *r, const lr_data_version *at,
                            int wait_ms) {
  lr_data_version now;
  unsigned long long seen = 0;
  for (long long end = now_ms() + wait_ms; now_ms() < end; usleep(200)) {
    unsigned long long txnid = lr__store_last_txnid(r->store);
    if (txnid == seen)
      continue;
    seen = txnid;
    if (lr_store_version(r->store, &now) != 0 || now.seq != at->seq ||
        now.generation != at->generation)
      return;
  }
}

/* Wall-clock ms: only for the status report's age, never for applying. */
static long long unix_ms(void) { return lr__time_now_us() / 1000; }

/* Notes how round `rc` ended: its message (one line) and since when
 * rounds have been failing. */
static void note_round(lr_replicator *r, int rc) {
  if (!rc) {
    r->failed[0] = '\0';
    r->failing_since_ms = 0;
    return;
  }
  snprintf(r->failed, sizeof r->failed, "%s",
           r->err.len ? lr__buf_str(&r->err) : lr_strerror(rc));
  for (char *c = r->failed; *c; c++)
    *c = *c == '\n' ? ' ' : *c;
  if (!r->failing_since_ms)
    r->failing_since_ms = now_ms();
}

/* The status file, after each round (apply.h): what `larder version`,
 * /health and /metrics read. A failure to write it is the round's error
 * unless the round failed already. */
static int report_status(lr_replicator *r, int round_rc) {
  note_round(r, round_rc);
  lr_replication_status st;
  int rc = lr_replicator_status(r, &st);
  lr__replica_status out = {st.log_head,     st.lag_entries,
                            st.lag_ms,       unix_ms(),
                            st.bootstraps,   st.applied,
                            st.applied_rows, st.mismatches,
                            st.failing_ms,   {0}};
  memcpy(out.error, st.error, sizeof out.error);
  lr__buf ignored;
  lr__buf_init(&ignored);
  if (rc == 0)
    rc = lr__store_put_replica_status(r->store, &out,
                                      round_rc ? &ignored : &r->err);
  lr__buf_free(&ignored);
  return round_rc ? round_rc : rc;
}

/* One round of the role's: ship (a primary) or follow (a replica). */
static int round_of_role(lr_replicator *r, int wait_ms) {
  if (lr__store_replication(r->store)->role != LR__ROLE_PRIMARY)
    return follow(r, wait_ms);
  unsigned long long before = r->applied;
  lr_data_version at;
  int rc = lr_store_version(r->store, &at);
  if (rc == 0)
    rc = ship(r);
  if (rc == 0 && r->applied == before && wait_ms)
    wait_for_change(r, &at, wait_ms);
  return rc;
}

int lr_replicator_step(lr_replicator *r, int wait_ms) {
  if (!r || !r->store || wait_ms < 0)
    return LR_EINVAL;
  lr__buf_reset(&r->err);
  int rc = 0;
  if (r->lock_fd < 0) /* the first round: one replicator per repo steps */
    rc = lr__store_lock_replicator(r->store, &r->lock_fd, &r->err);
  if (rc)
    return rc; /* not this replicator's to report */
  rc = open_log(r);
  if (rc == 0)
    rc = round_of_role(r, wait_ms);
  return report_status(r, rc);
}

int lr_replicator_status(lr_replicator *r, lr_replication_status *st) {
  if (!r || !r->store || !st)
    return LR_EINVAL;
  memset(st, 0, sizeof *st);
  int rc = lr_store_version(r->store, &st->version);
  if (rc)
    return rc;
  st->primary = lr__store_replication(r->store)->role == LR__ROLE_PRIMARY;
  st->log_head = r->head;
  st->lag_entries = r->head > st->version.seq && !st->primary
                        ? r->head - st->version.seq : 0;
  long long now = now_ms();
  if (!st->lag_entries)
    r->behind_since_ms = 0;
  else if (!r->behind_since_ms)
    r->behind_since_ms = now;
  st->lag_ms = r->behind_since_ms ? now - r->behind_since_ms : 0;
  st->applied = r->applied;
  st->applied_rows = r->applied_rows;
  st->bootstraps = r->bootstraps;
  st->mismatches = r->mismatches;
  st->reported_ms = 0;
  st->failing_ms = r->failing_since_ms ? now - r->failing_since_ms : 0;
  memcpy(st->error, r->failed, sizeof st->error);
  return 0;
}

const char *lr_replicator_errmsg(const lr_replicator *r) {
  return r ? lr__buf_str(&r->err) : "no replicator handle";
}

void lr_replicator_close(lr_replicator *r) {
  if (!r)
    return;
  lr__log_close(r->log);
  lr_store_close(r->store);
  if (r->lock_fd >= 0)
    close(r->lock_fd);
  lr__buf_free(&r->err);
  free(r->registry_path);
  free(r->repo);
  free(r);
}

int lr_store_replication(lr_store *store, lr_replication_status *st) {
  if (!store || !st)
    return LR_EINVAL;
  memset(st, 0, sizeof *st);
  const lr__replication *repl = lr__store_replication(store);
  if (repl->role == LR__ROLE_NONE)
    return LR_ENOTFOUND;
  st->primary = repl->role == LR__ROLE_PRIMARY;
  int rc = lr_store_version(store, &st->version);
  lr__replica_status rs;
  st->reported_ms = -1;
  if (rc == 0 && lr__store_replica_status(store, &rs) == 0) {
    st->log_head = rs.head;
    st->lag_entries = rs.lag_entries;
    st->lag_ms = rs.lag_ms;
    st->applied = rs.applied;
    st->applied_rows = rs.applied_rows;
    st->bootstraps = rs.bootstraps;
    st->mismatches = rs.mismatches;
    st->reported_ms = unix_ms() - rs.updated_ms;
    st->failing_ms = rs.failing_ms;
    memcpy(st->error, rs.error, sizeof st->error);
  }
  return rc;
}

int lr_replicator_publish(lr_replicator *r, char **name) {
  if (!r || !r->store)
    return LR_EINVAL;
  lr__buf_reset(&r->err);
  if (name)
    *name = NULL;
  if (lr__store_replication(r->store)->role != LR__ROLE_PRIMARY)
    return lr__errmsg_set(&r->err, LR_EREADONLY, "only a primary publishes "
                          "snapshots, and %s/feature_store.yaml makes this "
                          "repo a replica; publish on its primary", r->repo);
  lr__manifest m = {0};
  int rc = lr__snapshot_publish(r->store, r->registry_path,
                                lr__store_replication(r->store)->snapshots,
                                lr__store_replication(r->store)->keep_snapshots,
                                &m, &r->err);
  if (rc == 0 && name && m.name && !(*name = strdup(m.name)))
    rc = LR_ENOMEM;
  lr__manifest_free(&m);
  return rc;
}

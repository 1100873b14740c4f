/*
 * writer_state.h - the insides of a writer (writer.h), shared by the
 * files that make one: write.c packs and stores rows, writer.c begins,
 * commits and aborts the transaction. Nothing else sees them.
 */
#ifndef LR_ONLINE_WRITER_STATE_H
#define LR_ONLINE_WRITER_STATE_H

#include "../codec/row.h"
#include "../quality/checkrun.h"
#include "../registry/odfv.h"
#include "columns.h"
#include "digest.h"
#include "rstore_write.h"
#include "writer.h"

/* A packed row held back in latest-only mode. */
typedef struct held {
  int has;
  uint8_t key[LR__KEY_MAX];
  size_t key_len;
  int64_t event, created;
  lr__buf row;
} held;

/* What a transaction on a primary changed, for its log entry (outbox.h):
 * every pair stored, by every writer of the transaction, in order; past
 * LR__OUTBOX_MAX_RECORDS the entry becomes a SNAPSHOT instead. */
typedef struct capture {
  int logged;         /* a primary: the change goes to the outbox */
  int overflow;       /* too much for one entry */
  size_t changes;     /* pairs stored (any store) */
  MDB_dbi outbox;
  lr__buf records;
  const char *group;  /* the database of the last record's pairs */
} capture;

/* An on-demand view stored on write: computed from the rows written to its
 * source view and put, in the same transaction, into its own database. */
typedef struct derived {
  lr__writer *w;       /* writes the on-demand view's rows (shares the txn) */
  lr__odfv *odfv;
  int *input_feature;  /* per program input: the source view's feature */
} derived;

struct lr__writer {
  lr_store *store;
  lr__online_view *ov;
  lr__env *env;       /* the generation written (top writer: a reference) */
  MDB_dbi meta_dbi;   /* LR__META_DB in env */
  lr__digest digest;  /* what this transaction changed of the view's
                         digest: applied at commit */
  MDB_txn *txn;       /* derived writers share their parent's */
  MDB_cursor *cur;    /* on the view's database; closed before txn ends */
  capture *cap;       /* the transaction's (derived writers: their
                         parent's) */
  capture own_cap;
  derived *derived;
  int n_derived;
  lr__cell *cells;   /* next_slot cells */
  int *slot_feature; /* per slot: the feature index, or -1 (removed) */
  lr__buf payload, row;
  lr_value *key_values;
  /* the columns of the put under way */
  const lr_column *cols;
  column_map map;
  /* While the database was empty when the write began and keys arrive in
   * increasing order, rows are appended (MDB_APPEND: no search, full
   * pages) and no stored row can compete. */
  int appending;
  uint8_t last_key[LR__KEY_MAX];
  size_t last_len;
  /* Latest-only mode (lr__writer_latest_only): the newest row of the
   * current run of equal keys, stored when another key comes. */
  int latest_only, in_order;
  held held;
  /* lr__writer_replace_ties: a row put wins over a stored one with equal
   * times, whatever their bytes. */
  int replace_ties;
  /* The freshness record (freshness.h): the path writing, and the newest
   * event time of the rows put (LR__FRESH_NONE: none put yet). */
  int source;
  int64_t max_event;
  /* The view's checks (writer_checks.c); NULL: none, or a derived
   * writer. n_cols: the columns of the put under way. */
  lr__checkrun *checks;
  int n_cols;
  /* A Redis store (rstore.h): no transaction, cursor or databases; the
   * rows go out at the end of each put, the records at the commit. */
  lr__rwrite *rw;            /* the rows on their way */
  lr__redis_cluster *client; /* the top writer's (derived writers share it) */
  int stored_any;            /* a row was stored: the version moves */
  int hold;                  /* checks may refuse the batch: the rows wait
                                for the commit's verdict */
  lr_write_stats *sink;      /* held rows: the last put's stats, which
                                the commit counts them into */
  lr__buf meta_puts;         /* lr__writer_put_meta's, set at the commit */
  unsigned long long quarantined; /* rows the checks quarantined */
};

/* writer_redis.c: a writer's rows sent (counted into `stats`), and its
 * commit on a Redis store: the records and the version changed at once. */
int lr__writer_send_redis(lr__writer *w, lr_write_stats *stats);
int lr__writer_commit_redis(lr__writer *w);
/* Makes w and its derived writers hold their rows until the commit. */
void lr__writer_hold_redis(lr__writer *w);

/* writer_checks.c: the view's checks, opened with the top writer, run
 * over each put's rows (*cols and *n_rows become those to store), given
 * their verdict before the commit (LR_ECHECK: refused), and a refusal
 * counted once the transaction is aborted. */
int lr__writer_checks_open(lr__writer *w);
int lr__writer_checks_rows(lr__writer *w, const lr_column **cols,
                           size_t *n_rows);
void lr__writer_checks_grouped(lr__writer *w);
int lr__writer_checks_commit(lr__writer *w);
/* writer.c: frees a writer and the writers derived from it. */
void lr__writer_free(lr__writer *w);
void lr__writer_checks_refused(lr__writer *w, int rc);

#endif

/*
 * materialize.c - lr_materialize: each view's latest source row per entity
 * in [start, end] into the online store.
 *
 * DuckDB reads the source rows of the interval and streams them in chunks;
 * each chunk's vectors become lr_value columns, put through one online
 * writer in latest-only mode: of consecutive rows with the same key only
 * the newest (event, then created time) is written. The source is first
 * read as stored, unsorted: when its keys never decrease (a source written
 * in key order, the common bulk case) every key's rows are consecutive and
 * that is the whole load. The first decreasing key aborts that pass and
 * the view is read again sorted by key. A view's whole load is one LMDB
 * transaction, committed together with the records of the interval it
 * loaded, which incremental runs start from, and of the definitions it
 * loaded with (online/loads.h): an incremental run reloads a view whose
 * definitions changed since. Each committed load is then added to the
 * view's history file (matlog.h), which the web UI lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/row.h"
#include "../online/checkstats.h"
#include "../online/freshness.h"
#include "../online/loads.h"
#include "../online/store.h"
#include "../online/writer.h"
#include "../util/dtype.h"
#include "../util/timefmt.h"
#include "explain.h"
#include "chunkcols.h"
#include "feed.h"
#include "matlog.h"
#include "offline.h"

/* Converts and writes a chunk, BATCH rows at a time. */
static int put_chunk(lr_offline *off, duckdb_data_chunk chunk,
                     lr__chunk_columns *cc, lr__writer *w, lr_write_stats *ws) {
  idx_t rows = lr__duckdb_fns()->data_chunk_get_size(chunk);
  int rc = 0;
  for (idx_t from = 0; rc == 0 && from < rows; from += LR__CHUNK_BATCH) {
    idx_t n = rows - from < LR__CHUNK_BATCH ? rows - from : LR__CHUNK_BATCH;
    rc = lr__chunk_columns_read(off, chunk, cc, from, n);
    if (rc == 0)
      rc = lr__writer_put(w, cc->cols, cc->n_cols, n, ws);
  }
  return rc;
}

typedef struct load_state {
  lr_offline *off;
  const lr_materialize_spec *spec;
  lr_materialize_stats *stats;
  unsigned long long total; /* the source rows in the interval */
  unsigned long long read;  /* those the current pass has read */
  lr_write_stats view;      /* the rows of the view's current pass */
  int replace_ties;         /* the view's load is a reload (loads.h) */
} load_state;

/* Reports the source rows read so far of the total counted first, so that
 * an estimate of the time left holds (the rows kept, the latest per key,
 * have no total known beforehand). The last report's total is what was
 * read (the same, unless the source changed meanwhile). */
static void report(load_state *ls, const lr__view *v, int last) {
  if (ls->spec->progress)
    ls->spec->progress(ls->spec->progress_ctx, v->name, ls->read,
                       last ? ls->read : ls->total);
}

/* LR_EINVAL with the message of a time that could not be read (it names
 * its file and row), else why query `sql` failed (explain.h). */
static int query_error(load_state *ls, const lr__view *v,
                       duckdb_result *result, const char *sql) {
  const char *why = lr__duckdb_fns()->result_error(result);
  if (lr__offline_time_failed(ls->off))
    return LR_EINVAL;
  return lr__explain_source(ls->off, v, why ? why : "unknown error", sql);
}

/* Writes the chunks of a streaming result, fetched ahead by a feed
 * thread. A query that fails midway (a cast, a read error) ends the stream
 * early: its error is checked after the last chunk. */
static int write_chunks(load_state *ls, const lr__view *v, const char *sql,
                        duckdb_result *result, lr__writer *w) {
  lr__chunk_columns cc;
  lr__feed feed;
  int rc = lr__chunk_columns_setup(&ls->off->reg, v, &cc);
  int fed = rc == 0 && lr__feed_open(&feed, result) == 0;
  if (rc == 0 && !fed) {
    lr__buf_puts(&ls->off->errmsg, "cannot start a thread");
    rc = LR_ENOMEM;
  }
  unsigned long long chunks = 0;
  duckdb_data_chunk chunk;
  while (rc == 0 && (chunk = lr__feed_next(&feed))) {
    ls->read += lr__duckdb_fns()->data_chunk_get_size(chunk);
    rc = put_chunk(ls->off, chunk, &cc, w, &ls->view);
    lr__duckdb_fns()->destroy_data_chunk(&chunk);
    if (rc == 0 && ++chunks % 64 == 0)
      report(ls, v, 0);
  }
  if (fed)
    lr__feed_close(&feed);
  lr__chunk_columns_free(&cc);
  if (rc == 0 && lr__duckdb_fns()->result_error(result))
    rc = query_error(ls, v, result, sql);
  return rc;
}

/* Runs the query and writes its rows, then flushes the writer. */
static int stream_rows(load_state *ls, const lr__view *v, const char *sql,
                       lr__writer *w) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  lr_offline *off = ls->off;
  duckdb_prepared_statement stmt;
  duckdb_result result;
  lr__offline_time_reset(off);
  if (api->prepare(off->db.con, sql, &stmt) != DuckDBSuccess) {
    const char *why = api->prepare_error(stmt);
    int rc = lr__explain_source(off, v, why ? why : "unknown error", sql);
    api->destroy_prepare(&stmt);
    return rc;
  }
  int rc = api->execute_prepared_streaming(stmt, &result) == DuckDBSuccess
               ? write_chunks(ls, v, sql, &result, w)
               : query_error(ls, v, &result, sql);
  if (rc == 0)
    rc = lr__writer_flush(w, &ls->view);
  api->destroy_result(&result);
  api->destroy_prepare(&stmt);
  return rc;
}

/* A Parquet scan as stored is cheapest in one DuckDB thread (more threads
 * only hand the chunks over in order, at more CPU); sorting, parsing CSV or
 * running a SQL source's query use one per core, DuckDB's default, which
 * `on` = 0 restores. */
static int one_thread(lr_offline *off, int on) {
  return lr__offline_run(off, on ? "SET threads = 1" : "RESET threads",
                         "setting DuckDB's threads", 0, NULL);
}

/* How a pass reads the source: as stored, or sorted by key. */
enum read_order { AS_STORED, BY_KEY };

/* One pass over the source in `order` into a new writer (*w, aborted by
 * the caller on failure). */
static int load_pass(load_state *ls, lr_store *store, const lr__view *v,
                     int64_t start, enum read_order order, lr__writer **w) {
  lr__buf sql, count_sql, count;
  lr__buf_init(&sql);
  lr__buf_init(&count_sql);
  lr__buf_init(&count);
  memset(&ls->view, 0, sizeof ls->view);
  ls->read = 0;
  int rc = lr__view_rows_sql(ls->off, v, start, ls->spec->end_us, order == BY_KEY, &sql,
                            &count_sql);
  if (rc == 0 && ls->spec->progress && order == AS_STORED)
    rc = lr__offline_run(ls->off, lr__buf_str(&count_sql),
                         "counting the source rows", 1, &count);
  if (order == AS_STORED)
    ls->total = strtoull(lr__buf_str(&count), NULL, 10);
  if (rc == 0) {
    rc = lr__writer_begin(store, v->name, w);
    if (rc)
      lr__buf_puts(&ls->off->errmsg, lr_store_errmsg(store));
  }
  if (rc == 0)
    lr__writer_source(*w, LR__FRESH_MATERIALIZE);
  if (rc == 0 && !ls->spec->incremental) /* replicas take it from a snapshot */
    lr__writer_log_as_snapshot(*w);
  int one = rc == 0 && order == AS_STORED &&
            lr__source_is_parquet(lr__offline_source(ls->off, v));
  if (rc == 0 && one)
    rc = one_thread(ls->off, 1);
  if (rc == 0) {
    lr__writer_latest_only(*w, order == AS_STORED);
    if (ls->replace_ties)
      lr__writer_replace_ties(*w);
    rc = stream_rows(ls, v, lr__buf_str(&sql), *w);
  }
  if (one)
    one_thread(ls->off, 0);
  lr__buf_free(&sql);
  lr__buf_free(&count_sql);
  lr__buf_free(&count);
  return rc;
}

/* "START..END", or "everything up to END". */
static void put_range(lr__buf *out, int64_t start, int64_t end) {
  char ts[40];
  if (start > LR__TIME_MIN_US) {
    lr__time_format(start, ts);
    lr__buf_printf(out, "%s..", ts);
  } else {
    lr__buf_puts(out, "everything up to ");
  }
  lr__time_format(end, ts);
  lr__buf_puts(out, ts);
}

/* Tells the caller (spec->note), before the load, that view v is
 * reloaded over [start, end], or, for a full load that replaces only part
 * of what other definitions loaded, that the rest stays. */
static void note_reload(load_state *ls, const lr__view *v,
                        const lr__reload *r, int covered, int64_t start) {
  const lr_materialize_spec *spec = ls->spec;
  if (!spec->note || (spec->incremental ? !r->needed
                                         : !r->changed || covered))
    return;
  lr__buf text;
  lr__buf_init(&text);
  lr__buf_printf(&text, "%s: ", v->name);
  lr__reload_describe(r, &text);
  lr__buf_puts(&text, spec->incremental ? ": reloading " : ": this load "
               "replaces its rows of ");
  put_range(&text, start, spec->end_us);
  if (!spec->incremental)
    lr__buf_puts(&text, " only; `materialize-incremental` reloads the rest");
  if (!lr__buf_failed(&text))
    spec->note(spec->note_ctx, lr__buf_str(&text));
  lr__buf_free(&text);
}

/* Where view v's load starts: the spec's start; incremental: the reload's
 * start, else the end of the last interval, else where a first load
 * starts. */
static int64_t load_start(const lr_materialize_spec *spec, const lr__view *v,
                          const lr__loads *past, const lr__reload *r) {
  if (!spec->incremental)
    return spec->start_us;
  if (r->needed)
    return r->start_us;
  return past->has_interval ? past->interval_end
                            : lr__loads_first_start(v, spec->end_us);
}

/* Reads what the store records of v's past loads and decides. */
static int read_past(load_state *ls, lr_store *store, const lr__view *v,
                     lr__loads *past, lr__reload *r) {
  int rc = lr__loads_read(store, v, past);
  if (rc)
    return lr__errmsg_set(&ls->off->errmsg, rc, "reading what was loaded "
                          "into feature view '%s': %s", v->name,
                          lr_store_errmsg(store));
  rc = lr__loads_decide(past, &ls->off->reg, v, ls->spec->end_us, r);
  ls->replace_ties = r->changed;
  return rc;
}

/* Tells the caller (spec->note) what the view's checks found when a rule
 * failed: the load's report (quality/checkrun.h), refused or not. */
static void note_checks(load_state *ls, lr_store *store) {
  const lr__buf *report = lr__store_report(store, 0);
  if (!ls->spec->note || !report->len || !strstr(report->data, "  FAIL "))
    return;
  char *text = strndup(report->data, report->len);
  if (text && text[0] && text[strlen(text) - 1] == '\n')
    text[strlen(text) - 1] = '\0';
  if (text)
    ls->spec->note(ls->spec->note_ctx, text);
  free(text);
}

/* What view v's checks recorded in the store so far (zeroes: none). */
static void checks_so_far(lr_store *store, const lr__view *v,
                          unsigned long long *quarantined,
                          unsigned long long *refused) {
  lr__checkstats cs;
  *quarantined = *refused = 0;
  if (v->n_checks && lr__store_checkstats(store, v->name, &cs) == 0 &&
      cs.present) {
    *quarantined = cs.quarantined;
    *refused = cs.rejected;
  }
}

/* Adds the committed load of v to its history (matlog.h); a history that
 * cannot be written is told (spec->note), the load stands. `e` holds the
 * checks' counts before the load. */
static void record_load(load_state *ls, lr_store *store, const lr__view *v,
                        lr__matlog_entry *e) {
  unsigned long long quarantined, refused;
  checks_so_far(store, v, &quarantined, &refused);
  e->rows_quarantined = quarantined - e->rows_quarantined;
  e->batches_refused = refused - e->batches_refused;
  e->duration_us = lr__time_now_us() - e->ran_at_us;
  e->rows_written = ls->view.rows_written;
  e->rows_skipped = ls->view.rows_skipped;
  if (lr__matlog_append(ls->off, v->name, e) == 0 || !ls->spec->note)
    return;
  lr__buf text;
  lr__buf_init(&text);
  lr__buf_printf(&text, "%s: loaded, but its history was not recorded: %s",
                 v->name, lr__buf_str(&ls->off->errmsg));
  ls->spec->note(ls->spec->note_ctx, lr__buf_str(&text));
  lr__buf_free(&text);
  lr__buf_reset(&ls->off->errmsg);
}

/* Loads view `v`: as stored, else (keys out of order) again by key; then
 * the records of the load; one transaction; then its history. */
static int load_view(load_state *ls, lr_store *store, const lr__view *v) {
  const lr_materialize_spec *spec = ls->spec;
  lr__loads past;
  lr__reload r = {0};
  lr__buf_init(&r.why);
  int rc = read_past(ls, store, v, &past, &r);
  int64_t start = load_start(spec, v, &past, &r);
  lr__matlog_entry entry = {.start_us = start, .end_us = spec->end_us,
                            .ran_at_us = lr__time_now_us(),
                            .incremental = spec->incremental};
  checks_so_far(store, v, &entry.rows_quarantined, &entry.batches_refused);
  if (rc == 0)
    note_reload(ls, v, &r, lr__loads_covers(&past, &r, v, start, spec->end_us),
                start);
  lr__writer *w = NULL;
  if (rc == 0)
    rc = load_pass(ls, store, v, start, AS_STORED, &w);
  if (rc == LR__WRITER_UNORDERED) {
    lr__writer_abort(w);
    w = NULL;
    rc = load_pass(ls, store, v, start, BY_KEY, &w);
  }
  if (rc && w && !ls->off->errmsg.len)
    lr__buf_printf(&ls->off->errmsg, "loading feature view '%s': %s",
                   v->name, lr_store_errmsg(store));
  if (rc == 0)
    rc = lr__loads_put(w, &ls->off->reg, v, &past, &r, start, spec->end_us,
                       lr__time_now_us());
  if (rc == 0) {
    rc = lr__writer_commit(w);
    if (rc)
      lr__buf_puts(&ls->off->errmsg, lr_store_errmsg(store));
    note_checks(ls, store);
  } else if (w) {
    lr__writer_abort(w);
  }
  if (rc == 0) {
    record_load(ls, store, v, &entry);
    report(ls, v, 1);
    ls->stats->views++;
    ls->stats->rows_read += ls->view.rows_written + ls->view.rows_skipped;
    ls->stats->rows_written += ls->view.rows_written;
    ls->stats->rows_skipped += ls->view.rows_skipped;
  }
  lr__loads_free(&past);
  lr__reload_free(&r);
  return rc;
}

/* The views to load: the named ones (each checked), or every online view. */
static int pick_views(lr_offline *off, const lr_materialize_spec *spec,
                      const lr__view **out, int *n) {
  *n = 0;
  if (!spec->views) {
    for (int i = 0; i < off->reg.n_views; i++)
      if (off->reg.views[i].kind == LR__VIEW_BATCH && off->reg.views[i].online)
        out[(*n)++] = &off->reg.views[i];
    return 0;
  }
  for (int i = 0; i < spec->n_views; i++) {
    const lr__view *v = lr__model_view(&off->reg, spec->views[i]);
    /* an on-demand view stored on write fills when its source view loads */
    if (v && v->kind == LR__VIEW_ON_DEMAND && v->write_to_online_store)
      v = lr__model_odfv_source(&off->reg, v);
    if (!v || v->kind != LR__VIEW_BATCH || !v->online) {
      lr__buf_printf(&off->errmsg, "'%s' is not an online feature view",
                     spec->views[i]);
      return v ? LR_EINVAL : LR_ENOTFOUND;
    }
    int seen = 0;
    for (int j = 0; j < *n; j++)
      seen |= out[j] == v;
    if (!seen)
      out[(*n)++] = v;
  }
  return 0;
}

int lr_materialize(lr_offline *off, const lr_materialize_spec *spec,
                   lr_materialize_stats *stats) {
  lr_materialize_stats local;
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!off || !spec)
    return LR_EINVAL;
  lr__buf_reset(&off->errmsg);
  if (!spec->incremental && spec->start_us > spec->end_us)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL,
                          "the start of the interval is after its end");
  const lr__view **views =
      calloc((size_t)off->reg.n_views + 1, sizeof(const lr__view *));
  int n = 0;
  int rc = views ? pick_views(off, spec, views, &n) : LR_ENOMEM;
  if (rc == 0)
    rc = lr__offline_session(off);
  lr_store *store = NULL;
  if (rc == 0) {
    rc = lr_store_open(off->repo, LR_STORE_READWRITE | LR__STORE_BULK,
                       &store);
    if (rc)
      lr__errmsg_set(&off->errmsg, rc, "%s", lr_store_errmsg(store));
  }
  load_state ls = {off, spec, stats, 0, 0, {0, 0}, 0};
  for (int i = 0; rc == 0 && i < n; i++)
    rc = load_view(&ls, store, views[i]);
  lr_store_close(store);
  free(views);
  return rc;
}

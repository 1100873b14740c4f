/*
 * skew.c - lr_skew: training/serving skew made visible. For a sample of a
 * batch view's entities, the row the online store serves against the
 * latest row its offline source gives as of now, feature by feature.
 *
 * The entities come from both sides, so that either side's gaps show: up
 * to half from the online store (a reservoir over its rows, online/
 * sample.h) and half from the source's keys that have a row as of now
 * (DuckDB, ordered by a seeded hash of the key). Their union, in key
 * order, is read online in one snapshot (lr__sample_read_keys); offline,
 * one query joins them with the source and keeps each one's latest row
 * by (event, created) time within the ttl, the choice a training set and
 * a materialization make (docs/internals/skew.md). skew_report.c judges
 * and reports.
 */
#include <stdlib.h>
#include <string.h>

#include "../online/introspect.h"
#include "../online/store.h"
#include "../util/timefmt.h"
#include "explain.h"
#include "offline.h"
#include "profile.h"
#include "skew.h"

enum { MAX_KEYS = 16, DEFAULT_SAMPLE = 1000, MAX_SAMPLE = 100000 };

/* One run: the view, the store, the time and what was sampled. */
typedef struct skew_run {
  lr_offline *off;
  const lr__view *view;
  lr_store *store;
  const char *keys[MAX_KEYS];
  uint8_t key_types[MAX_KEYS];
  int n_keys;
  int64_t now_us;
  lr__buf now_sql;   /* '...'::TIMESTAMPTZ */
  lr__sample online; /* the online half */
  lr__arena arena;   /* the offline half's keys */
  lr_value *offline_keys;
  size_t n_offline, cap_offline;
  lr__sample entities; /* the union, read online */
  struct judging {      /* the offline side, judged as its chunks come */
    lr__skew_tally tally;
    size_t next;         /* the first entity not judged yet */
    lr_value *row;       /* one row's features */
    lr__buf scratch;     /* the array<string> items of that row */
  } judging;
} skew_run;

typedef struct judging judging;

/* The feature views an on-demand view reads, for its message. */
static void put_read_views(const lr_offline *off, const lr__view *v,
                           lr__buf *out) {
  int n = 0;
  for (int i = 0; i < v->n_sources; i++)
    if (lr__model_view(&off->reg, v->sources[i]))
      lr__buf_printf(out, "%s%s", n++ ? ", " : "", v->sources[i]);
}

/* Where view v is defined, " (FILE:LINE:COL)", or "" when not known. */
static void put_where(const lr__view *v, lr__buf *out) {
  if (v->loc.file)
    lr__buf_printf(out, " (%s:%d:%d)", v->loc.file, v->loc.line, v->loc.col);
}

/* The batch view `name`, kept online; else the message. */
static int check_view(lr_offline *off, const char *name, const lr__view **v) {
  *v = lr__model_view(&off->reg, name);
  if (!*v)
    return lr__errmsg_set(&off->errmsg, LR_ENOTFOUND, "no feature view '%s' "
                          "in the registry of %s: `larder ls feature-views` "
                          "lists the views", name, off->repo);
  int on_demand = (*v)->kind == LR__VIEW_ON_DEMAND;
  if (!on_demand && (*v)->online)
    return 0;
  lr__buf *err = &off->errmsg;
  lr__buf_printf(err, "%s '%s'", on_demand ? "on-demand feature view"
                                           : "feature view", name);
  put_where(*v, err);
  if (on_demand) {
    lr__buf_puts(err, ": its features are computed from other views, with "
                      "no source rows of their own to compare; run skew on "
                      "the feature views it reads: ");
    put_read_views(off, *v, err);
  } else {
    lr__buf_puts(err, " is offline only (online: false): nothing is served "
                      "to compare with its source; set `online: true`, "
                      "apply and materialize it first");
  }
  return LR_EINVAL;
}

/* Opens the store read-only on the registry the handle has. */
static int open_store(skew_run *r) {
  int rc = lr_store_open(r->off->repo, LR_STORE_READONLY, &r->store);
  if (rc)
    return lr__errmsg_set(&r->off->errmsg, rc, "%s",
                          lr_store_errmsg(r->store));
  unsigned long long online = lr__store_model(r->store)->version;
  if (online != r->off->reg.version)
    return lr__errmsg_set(&r->off->errmsg, LR_EINVAL, "the registry of %s "
                          "was applied again (version %llu) since this "
                          "offline handle read it (version %llu): open it "
                          "again and run skew again", r->off->repo, online,
                          (unsigned long long)r->off->reg.version);
  return 0;
}

/* The online half: up to `n` (>= 1) rows sampled from the store. */
static int sample_online(skew_run *r, size_t n, unsigned long long seed) {
  int rc = lr__sample_view(r->store, r->view->name, n, seed, &r->online);
  if (rc)
    return lr__errmsg_set(&r->off->errmsg, rc, "%s",
                          lr_store_errmsg(r->store));
  if (r->online.n_scanned == 0)
    return lr__errmsg_set(&r->off->errmsg, LR_ENOTFOUND, "feature view '%s' "
                          "has no rows in the online store at %s: nothing is "
                          "served to compare with its source; load it with "
                          "`larder materialize` (or write or push rows to "
                          "it) first", r->view->name, r->store->root);
  return 0;
}

/* Appends the condition that keeps source rows as of now: event time up
 * to now and, with a ttl, no older than now - ttl (both inclusive, as a
 * training set's join reads them). `ts` names the time column. */
static void as_of_now(const skew_run *r, const char *ts, lr__buf *sql) {
  lr__buf_printf(sql, "%s <= %s", ts, lr__buf_str(&r->now_sql));
  if (r->view->ttl_seconds > 0)
    lr__buf_printf(sql, " AND %s >= %s - to_seconds(%lld)", ts,
                   lr__buf_str(&r->now_sql), (long long)r->view->ttl_seconds);
}

/* Appends the key columns, each prefixed with `alias`, comma-separated. */
static void put_key_list(const skew_run *r, const char *alias, lr__buf *sql) {
  for (int k = 0; k < r->n_keys; k++) {
    lr__buf_printf(sql, "%s%s", k ? ", " : "", alias);
    lr__sql_ident(sql, r->keys[k]);
  }
}

/* Called with each chunk of a query's result. */
typedef int (*chunk_fn)(skew_run *r, duckdb_data_chunk chunk, idx_t rows);

/* Runs `sql` over the view's source and hands each chunk to `fn`. */
static int each_chunk(skew_run *r, const char *sql, chunk_fn fn) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_result result;
  lr__buf why;
  lr__buf_init(&why);
  lr__offline_time_reset(r->off);
  int rc = lr__duckdb_query(&r->off->db, sql, &result, &why);
  if (rc && !lr__offline_time_failed(r->off))
    lr__explain_source(r->off, r->view, lr__buf_str(&why), sql);
  lr__buf_free(&why);
  if (rc)
    return LR_EINVAL;
  duckdb_data_chunk chunk;
  while (rc == 0 && (chunk = api->fetch_chunk(result))) {
    rc = fn(r, chunk, api->data_chunk_get_size(chunk));
    api->destroy_data_chunk(&chunk);
  }
  api->destroy_result(&result);
  return rc;
}

/* Copies a key value's string into the run's arena. */
static int keep_key(skew_run *r, lr_value *v) {
  if (v->type != LR_TYPE_STRING && v->type != LR_TYPE_BYTES)
    return 0;
  char *copy = lr__arena_alloc(&r->arena, v->v.str.len + 1);
  if (!copy)
    return LR_ENOMEM;
  memcpy(copy, v->v.str.ptr, v->v.str.len);
  v->v.str.ptr = copy;
  return 0;
}

/* A chunk of sampled offline keys into r->offline_keys. */
static int take_keys(skew_run *r, duckdb_data_chunk chunk, idx_t rows) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  int rc = 0;
  lr_value v;
  for (idx_t i = 0; rc == 0 && i < rows && r->n_offline < r->cap_offline;
       i++, r->n_offline++)
    for (int k = 0; rc == 0 && k < r->n_keys; k++) {
      lr__duck_read_column(api->data_chunk_get_vector(chunk, (idx_t)k),
                           r->key_types[k], i, 1, NULL, &v);
      rc = keep_key(r, &v);
      r->offline_keys[r->n_offline * (size_t)r->n_keys + (size_t)k] = v;
    }
  return rc;
}

/* The offline half: up to `n` distinct keys with a row as of now, the
 * first by a hash of the key and the seed (reproducible whatever DuckDB's
 * threads; ties by key). */
static int sample_offline(skew_run *r, size_t n, unsigned long long seed) {
  r->cap_offline = n;
  r->offline_keys = lr__arena_array(&r->arena, n * (size_t)r->n_keys + 1,
                                    sizeof *r->offline_keys);
  if (!r->offline_keys)
    return LR_ENOMEM;
  if (n == 0)
    return 0;
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_puts(&sql, "SELECT DISTINCT ");
  put_key_list(r, "", &sql);
  lr__buf_puts(&sql, " FROM (");
  int rc = lr__source_select(r->off, r->view, &sql);
  lr__buf_puts(&sql, ") WHERE ");
  as_of_now(r, "__ts", &sql);
  for (int k = 0; k < r->n_keys; k++) {
    lr__buf_puts(&sql, " AND ");
    lr__sql_ident(&sql, r->keys[k]);
    lr__buf_puts(&sql, " IS NOT NULL");
  }
  lr__buf_puts(&sql, " ORDER BY hash(");
  put_key_list(r, "", &sql);
  lr__buf_printf(&sql, ", %llu::UBIGINT), ", seed);
  put_key_list(r, "", &sql);
  lr__buf_printf(&sql, " LIMIT %zu", n);
  if (rc == 0)
    rc = lr__buf_failed(&sql) ? LR_ENOMEM
                              : each_chunk(r, lr__buf_str(&sql), take_keys);
  lr__buf_free(&sql);
  return rc;
}

/* One entity key of the union: its encoded bytes and its values. */
typedef struct union_key {
  uint8_t bytes[LR__KEY_MAX];
  size_t len;
  const lr_value *values;
} union_key;

static int by_bytes(const void *a, const void *b) {
  const union_key *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->bytes, y->bytes, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Encodes the n keys at `values` into `out` (advanced). */
static int encode_all(skew_run *r, const lr_value *values, size_t n,
                      union_key **out) {
  const lr__online_view *ov = lr__store_view(r->store, r->view->name);
  for (size_t i = 0; i < n; i++, (*out)++) {
    (*out)->values = values + i * (size_t)r->n_keys;
    int rc = lr__store_encode_key(ov, (*out)->values, (*out)->bytes,
                                  &(*out)->len, &r->off->errmsg,
                                  "sampled entity", i);
    if (rc)
      return rc;
  }
  return 0;
}

/* Both halves' keys, each once, in key order, read online in one
 * snapshot into r->entities. */
static int read_union(skew_run *r) {
  size_t n = r->online.n_rows + r->n_offline;
  union_key *all = malloc((n + 1) * sizeof *all), *end = all;
  lr_value *keys = calloc(n * (size_t)r->n_keys + 1, sizeof *keys);
  int rc = all && keys ? 0 : LR_ENOMEM;
  if (rc == 0)
    rc = encode_all(r, r->online.keys, r->online.n_rows, &end);
  if (rc == 0)
    rc = encode_all(r, r->offline_keys, r->n_offline, &end);
  size_t unique = 0;
  if (rc == 0 && n > 1)
    qsort(all, n, sizeof *all, by_bytes);
  for (size_t i = 0; rc == 0 && i < n; i++)
    if (i == 0 || by_bytes(&all[i - 1], &all[i]) != 0)
      memcpy(keys + unique++ * (size_t)r->n_keys, all[i].values,
             (size_t)r->n_keys * sizeof *keys);
  if (rc == 0 && (rc = lr__sample_read_keys(r->store, r->view->name, keys,
                                           unique, &r->entities)))
    lr__errmsg_set(&r->off->errmsg, rc, "%s", lr_store_errmsg(r->store));
  free(all);
  free(keys);
  return rc;
}

/* Appends key value `v` (of dtype dt) as a SQL literal of that type;
 * strings and bytes through their hex, whatever bytes they hold. */
static void put_key_literal(const lr_value *v, uint8_t dt, lr__buf *sql) {
  if (dt == LR__DT_INT32 || dt == LR__DT_INT64) {
    lr__buf_put_int(sql, dt == LR__DT_INT32 ? v->v.i32 : v->v.i64);
    lr__buf_puts(sql, dt == LR__DT_INT32 ? "::INTEGER" : "::BIGINT");
    return;
  }
  lr__buf_puts(sql, dt == LR__DT_STRING ? "decode(from_hex('" : "from_hex('");
  for (size_t i = 0; i < v->v.str.len; i++)
    lr__buf_printf(sql, "%02x", (unsigned char)v->v.str.ptr[i]);
  lr__buf_puts(sql, dt == LR__DT_STRING ? "'))" : "')");
}

/* The temporary table __skew_keys: each entity's number and keys. */
static int stage_entities(skew_run *r) {
  const lr__sample *e = &r->entities;
  lr__buf sql;
  lr__buf_init(&sql);
  lr__buf_puts(&sql, "CREATE OR REPLACE TEMP TABLE __skew_keys AS SELECT * "
                     "FROM (VALUES ");
  for (size_t i = 0; i < e->n_rows; i++) {
    lr__buf_printf(&sql, "%s(%zu::BIGINT", i ? ", " : "", i);
    for (int k = 0; k < r->n_keys; k++) {
      lr__buf_puts(&sql, ", ");
      put_key_literal(&e->keys[i * (size_t)r->n_keys + (size_t)k],
                      r->key_types[k], &sql);
    }
    lr__buf_putc(&sql, ')');
  }
  lr__buf_puts(&sql, ") AS t(__i, ");
  put_key_list(r, "", &sql);
  lr__buf_putc(&sql, ')');
  int rc = lr__buf_failed(&sql)
               ? LR_ENOMEM
               : lr__offline_run(r->off, lr__buf_str(&sql),
                                 "staging the sampled entities", 0, NULL);
  lr__buf_free(&sql);
  return rc;
}

/* The query giving each entity's latest source row as of now: its number,
 * event time and features; entities with none are absent. */
static int latest_sql(skew_run *r, lr__buf *sql) {
  lr__buf_puts(sql, "SELECT k.__i, s.__ts");
  for (int f = 0; f < r->view->n_features; f++) {
    lr__buf_puts(sql, ", s.");
    lr__sql_ident(sql, r->view->features[f].name);
  }
  lr__buf_puts(sql, " FROM __skew_keys k JOIN (");
  int rc = lr__source_select(r->off, r->view, sql);
  lr__buf_puts(sql, ") s ON ");
  for (int k = 0; k < r->n_keys; k++) {
    lr__buf_puts(sql, k ? " AND k." : "k.");
    lr__sql_ident(sql, r->keys[k]);
    lr__buf_puts(sql, " = s.");
    lr__sql_ident(sql, r->keys[k]);
  }
  lr__buf_puts(sql, " WHERE ");
  as_of_now(r, "s.__ts", sql);
  lr__buf_puts(sql, " QUALIFY row_number() OVER (PARTITION BY k.__i ORDER "
                    "BY s.__ts DESC, s.__created DESC NULLS LAST) = 1 "
                    "ORDER BY k.__i");
  return rc;
}

/* Reads row i of a chunk's feature columns into j->row. Returns 0 or
 * LR_ENOMEM. */
static int read_features(skew_run *r, judging *j, duckdb_data_chunk chunk,
                         idx_t i) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  lr__buf_reset(&j->scratch);
  for (int f = 0; f < r->view->n_features; f++)
    if (lr__duck_read_column(api->data_chunk_get_vector(chunk, (idx_t)f + 2),
                             r->view->features[f].dtype, i, 1, &j->scratch,
                             &j->row[f]))
      j->row[f] = (lr_value){0}; /* a list holding a null reads as null */
  for (int f = 0; f < r->view->n_features; f++) /* offsets + 1: pointers */
    if (j->row[f].type == (LR__DT_ARRAY | LR__DT_STRING))
      j->row[f].v.array.data =
          j->scratch.data + (uintptr_t)j->row[f].v.array.data - 1;
  return lr__buf_failed(&j->scratch) ? LR_ENOMEM : 0;
}

/* Judges the entities before `e` not judged yet: none came offline. */
static void judge_missing_until(skew_run *r, size_t e) {
  for (; r->judging.next < e; r->judging.next++)
    lr__skew_judge(&r->judging.tally, r->judging.next, NULL, 0);
}

/* A chunk of latest rows, in entity order, each judged against its
 * entity's online row (and those skipped before it as missing offline),
 * so that the examples come in key order. */
static int judge_chunk(skew_run *r, duckdb_data_chunk chunk, idx_t rows) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  judging *j = &r->judging;
  int rc = 0;
  for (idx_t i = 0; rc == 0 && i < rows; i++) {
    lr_value at[2];
    lr__duck_read_column(api->data_chunk_get_vector(chunk, 0), LR__DT_INT64,
                         i, 1, NULL, &at[0]);
    lr__duck_read_column(api->data_chunk_get_vector(chunk, 1),
                         LR__DT_TIMESTAMP, i, 1, NULL, &at[1]);
    size_t e = (size_t)at[0].v.i64;
    rc = e < r->entities.n_rows && e >= j->next
             ? read_features(r, j, chunk, i) : LR_EIO;
    if (rc == LR_EIO)
      lr__buf_printf(&r->off->errmsg, "the offline query gave entity %zu "
                     "twice or out of range", e + 1);
    if (rc == 0) {
      judge_missing_until(r, e);
      lr__skew_judge(&j->tally, e, j->row, at[1].v.ts);
      j->next = e + 1;
    }
  }
  return rc;
}

/* Judges every entity, in key order: against its offline row as the
 * query gives it, else as missing offline. */
static int judge_all(skew_run *r) {
  judging *j = &r->judging;
  j->row = calloc((size_t)r->view->n_features + 1, sizeof *j->row);
  int rc = j->row ? stage_entities(r) : LR_ENOMEM;
  lr__buf sql;
  lr__buf_init(&sql);
  if (rc == 0)
    rc = latest_sql(r, &sql);
  if (rc == 0)
    rc = lr__buf_failed(&sql) ? LR_ENOMEM
                              : each_chunk(r, lr__buf_str(&sql), judge_chunk);
  lr__buf_free(&sql);
  if (rc == 0)
    judge_missing_until(r, r->entities.n_rows);
  return rc;
}

static void run_free(skew_run *r) {
  lr__skew_tally_free(&r->judging.tally); /* before the sample it reads */
  lr__sample_free(&r->online);
  lr__sample_free(&r->entities);
  lr__arena_free(&r->arena);
  lr__buf_free(&r->now_sql);
  free(r->judging.row);
  lr__buf_free(&r->judging.scratch);
  lr_store_close(r->store);
}

/* Sets up a run of view v at the current time. */
static void run_init(skew_run *r, lr_offline *off, const lr__view *v) {
  *r = (skew_run){.off = off, .view = v};
  lr__arena_init(&r->arena);
  lr__buf_init(&r->now_sql);
  lr__buf_init(&r->judging.scratch);
  r->n_keys = lr__model_view_keys(&off->reg, v, r->keys, r->key_types,
                                  MAX_KEYS);
  r->now_us = lr__time_now_us();
  char ts[40];
  lr__time_format(r->now_us, ts);
  lr__buf_printf(&r->now_sql, "'%s'::TIMESTAMPTZ", ts);
}

/* The sample's size, or the message. */
static int sample_size(lr_offline *off, const lr_skew_spec *spec,
                       size_t *n) {
  *n = spec->sample ? (size_t)spec->sample : DEFAULT_SAMPLE;
  if (spec->sample < 0 || spec->sample > MAX_SAMPLE)
    return lr__errmsg_set(&off->errmsg, LR_EINVAL, "a skew sample of %d "
                          "entities: give 1 to %d (0: the default, %d)",
                          spec->sample, MAX_SAMPLE, DEFAULT_SAMPLE);
  return 0;
}

/* Writes the run's JSON report to data/skew/VIEW/NAME.json (the UI
 * shows the newest). Returns 0, LR_ENOMEM or LR_EIO. */
static int save_run(lr_offline *off, const lr__view *v,
                    const lr__skew_tally *t, const char *name) {
  lr__buf json;
  lr__buf_init(&json);
  lr__skew_report_json(t, &json);
  int rc = lr__buf_failed(&json)
               ? LR_ENOMEM
               : lr__quality_save(off, "skew", v->name, name, &json);
  lr__buf_free(&json);
  return rc;
}

int lr_skew(lr_offline *off, const lr_skew_spec *spec, unsigned flags,
            char **report) {
  if (report)
    *report = NULL;
  if (!off || !spec || !spec->view || !report)
    return LR_EINVAL;
  lr__buf_reset(&off->errmsg);
  const lr__view *v;
  size_t n;
  int rc = sample_size(off, spec, &n);
  if (rc == 0 && spec->save)
    rc = lr__quality_name_check(&off->errmsg, "skew run", spec->save);
  if (rc == 0)
    rc = check_view(off, spec->view, &v);
  if (rc)
    return rc;
  skew_run r;
  run_init(&r, off, v);
  rc = lr__offline_session(off);
  if (rc == 0)
    rc = open_store(&r);
  if (rc == 0)
    rc = sample_online(&r, n - n / 2, spec->seed);
  if (rc == 0)
    rc = sample_offline(&r, n / 2, spec->seed);
  if (rc == 0)
    rc = read_union(&r);
  if (rc == 0)
    rc = lr__skew_tally_init(&r.judging.tally, &r.entities,
                             (flags & LR_FORMAT_JSON) != 0);
  if (rc == 0) {
    lr__skew_tally *t = &r.judging.tally;
    t->now_us = r.now_us;
    t->ttl_us = v->ttl_seconds * 1000000;
    t->seed = spec->seed;
    t->keep_json = spec->save != NULL;
    t->sampled_online = r.online.n_rows;
    t->sampled_offline = r.n_offline;
    rc = judge_all(&r);
  }
  lr__buf out;
  lr__buf_init(&out);
  if (rc == 0)
    lr__skew_report(&r.judging.tally, &out);
  if (rc == 0 && spec->save)
    rc = save_run(off, v, &r.judging.tally, spec->save);
  if (rc == 0 && lr__buf_failed(&out))
    rc = LR_ENOMEM;
  if (rc == LR_ENOMEM && !off->errmsg.len)
    lr__buf_printf(&off->errmsg, "out of memory comparing a sample of %zu "
                   "entities of feature view '%s'", n, v->name);
  if (rc == 0)
    *report = lr__buf_steal(&out);
  lr__buf_free(&out);
  run_free(&r);
  return rc;
}

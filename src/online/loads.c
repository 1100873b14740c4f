/*
 * loads.c - the records of each view's loads in the store's meta database
 * and the reload decisions made from them (see loads.h).
 */
#include "loads.h"

#include <stdio.h>
#include <string.h>

#include "../codec/row.h"
#include "../registry/loaddef.h"
#include "../util/dtype.h"
#include "introspect.h"
#include "store.h"

/* The format of a loaded: record's header (u32, then two int64). */
enum { LOADED_FORMAT = 1, LOADED_HEADER = 4 + 8 + 8, KEY_CAP = 256 };

/* materialized:VIEW@EPOCH: the interval of the last load at v's epoch. */
static void interval_key(const lr__view *v, char key[KEY_CAP]) {
  snprintf(key, KEY_CAP, "materialized:%s@%u", v->name,
           (unsigned)v->layout_epoch);
}

/* loaded:VIEW: the range and definition, whatever the epoch (a forced
 * apply's new epoch then reads as "rows dropped"). */
static void range_key(const lr__view *v, char key[KEY_CAP]) {
  snprintf(key, KEY_CAP, "loaded:%s", v->name);
}

/* Reads a loaded: record's header and definition into l. */
static void parse_range(const lr__buf *value, lr__loads *l) {
  uint32_t format = 0;
  if (value->len >= LOADED_HEADER)
    memcpy(&format, value->data, 4);
  if (format != LOADED_FORMAT) {
    l->record = -1;
    return;
  }
  l->record = 1;
  memcpy(&l->range_start, value->data + 4, 8);
  memcpy(&l->range_end, value->data + 12, 8);
  lr__buf ignored;
  lr__buf_init(&ignored);
  l->def_rc = lr__loaddef_decode(value->data + LOADED_HEADER,
                                 value->len - LOADED_HEADER, &l->def,
                                 &ignored);
  lr__buf_free(&ignored);
  if (l->def_rc) { /* a partly filled model is no definition */
    lr__model_free(&l->def);
    lr__model_init(&l->def);
  }
}

int lr__loads_interval_end(lr_store *store, const lr__view *v,
                           int64_t *end_us) {
  char key[KEY_CAP];
  lr__buf value;
  lr__buf_init(&value);
  interval_key(v, key);
  int rc = lr__store_meta_read(store, key, &value);
  /* a record of another size is no interval: the view loads afresh */
  if (rc == 0 && value.len != 3 * sizeof(int64_t))
    rc = LR_ENOTFOUND;
  if (rc == 0)
    memcpy(end_us, value.data + sizeof(int64_t), sizeof *end_us);
  lr__buf_free(&value);
  return rc;
}

int lr__loads_read(lr_store *store, const lr__view *v, lr__loads *out) {
  memset(out, 0, sizeof *out);
  lr__model_init(&out->def);
  int rc = lr__loads_interval_end(store, v, &out->interval_end);
  out->has_interval = rc == 0;
  if (rc == 0 || rc == LR_ENOTFOUND) {
    char key[KEY_CAP];
    lr__buf value;
    lr__buf_init(&value);
    range_key(v, key);
    rc = lr__store_meta_read(store, key, &value);
    if (rc == 0)
      parse_range(&value, out);
    lr__buf_free(&value);
  }
  return rc == LR_ENOTFOUND ? 0 : rc;
}

void lr__loads_free(lr__loads *l) { lr__model_free(&l->def); }

void lr__reload_free(lr__reload *r) { lr__buf_free(&r->why); }

int64_t lr__loads_first_start(const lr__view *v, int64_t end_us) {
  return v->ttl_seconds > 0 ? end_us - v->ttl_seconds * 1000000
                            : LR__TIME_MIN_US;
}

/* 1 when ttl `now` lets lookups serve older rows than `was` (0: no
 * limit, the longest). */
static int ttl_longer(int64_t now, int64_t was) {
  return was != 0 && (now == 0 || now > was);
}

/* "1d", or "0s (no limit)". */
static void put_ttl(lr__buf *out, int64_t seconds) {
  lr__duration_format(out, seconds);
  if (seconds == 0)
    lr__buf_puts(out, " (no limit)");
}

/* A reload of everything, for records that do not say what was loaded. */
static void reload_unknown(const lr__loads *l, const lr__view *v,
                           int64_t end_us, lr__reload *out) {
  out->changed = out->needed = out->unknown = 1;
  if (l->record == 1) {
    out->start_us = l->range_start;
    lr__buf_puts(&out->why, l->def_rc == LR_EVERSION
                                ? "its last load was recorded by another "
                                  "version of Larder"
                                : "the record of its last load is damaged");
    return;
  }
  out->start_us = lr__loads_first_start(v, end_us);
  out->from_ttl = v->ttl_seconds > 0;
  lr__buf_puts(&out->why, l->record ? "the record of its last load is "
                                      "damaged"
                                    : "it was loaded by an earlier Larder, "
                                      "which kept no record of the "
                                      "definitions");
}

int lr__loads_decide(const lr__loads *l, const lr__model *m,
                     const lr__view *v, int64_t end_us, lr__reload *out) {
  memset(out, 0, sizeof *out);
  lr__buf_init(&out->why);
  if (l->record == 0 && !l->has_interval)
    return 0; /* never loaded: a first load */
  const lr__view *was = l->record == 1 ? lr__model_view(&l->def, v->name)
                                       : NULL;
  if (!was || was->kind != LR__VIEW_BATCH) {
    reload_unknown(l, v, end_us, out);
  } else {
    out->changed = lr__loaddef_diff(&l->def, was, m, v, &out->why) > 0;
    out->needed = out->changed;
    out->start_us = l->range_start;
    int64_t first = lr__loads_first_start(v, end_us);
    if (ttl_longer(v->ttl_seconds, was->ttl_seconds) &&
        first < l->range_start) {
      lr__buf_printf(&out->why, "%sttl ", out->changed ? ", " : "");
      put_ttl(&out->why, was->ttl_seconds);
      lr__buf_puts(&out->why, " -> ");
      put_ttl(&out->why, v->ttl_seconds);
      out->needed = 1;
      out->start_us = first;
      out->from_ttl = v->ttl_seconds > 0;
    }
  }
  return lr__buf_failed(&out->why) ? LR_ENOMEM : 0;
}

/* The range recorded before a load, when it says nothing exact: from
 * where a first load starts to the last interval's end. */
static void past_range(const lr__loads *l, const lr__view *v, int64_t end_us,
                       int64_t *start, int64_t *end) {
  if (l->record == 1) {
    *start = l->range_start;
    *end = l->range_end;
  } else {
    *start = lr__loads_first_start(v, end_us);
    *end = l->has_interval ? l->interval_end : LR__TIME_MIN_US;
  }
}

/* Puts loaded:VIEW: the header, then the definition's image. */
static int put_range(lr__writer *w, const lr__model *m, const lr__view *v,
                     int64_t start, int64_t end) {
  lr__buf value;
  lr__buf_init(&value);
  uint32_t format = LOADED_FORMAT;
  lr__buf_append(&value, &format, 4);
  lr__buf_append(&value, &start, 8);
  lr__buf_append(&value, &end, 8);
  int rc = lr__loaddef_encode(m, v, &value);
  char key[KEY_CAP];
  range_key(v, key);
  if (rc == 0)
    rc = lr__writer_put_meta(w, key, value.data, value.len);
  lr__buf_free(&value);
  return rc;
}

int lr__loads_covers(const lr__loads *l, const lr__reload *r,
                     const lr__view *v, int64_t start_us, int64_t end_us) {
  if (!r->changed)
    return 1;
  int64_t past_start, past_end;
  past_range(l, v, end_us, &past_start, &past_end);
  return start_us <= past_start && end_us >= past_end;
}

void lr__reload_describe(const lr__reload *r, lr__buf *out) {
  if (r->unknown)
    lr__buf_puts(out, lr__buf_str(&r->why));
  else
    lr__buf_printf(out, "definition changed since its last load (%s)",
                   lr__buf_str(&r->why));
}

int lr__loads_put(lr__writer *w, const lr__model *m, const lr__view *v,
                  const lr__loads *l, const lr__reload *r, int64_t start_us,
                  int64_t end_us, int64_t at_us) {
  char key[KEY_CAP];
  interval_key(v, key);
  int64_t interval[3] = {start_us, end_us, at_us};
  int rc = lr__writer_put_meta(w, key, interval, sizeof interval);
  int64_t start = start_us, end = end_us;
  if (!r->changed && l->record == 1) {
    start = l->range_start < start ? l->range_start : start;
    end = l->range_end > end ? l->range_end : end;
  }
  return rc == 0 && lr__loads_covers(l, r, v, start_us, end_us)
             ? put_range(w, m, v, start, end)
             : rc;
}

void lr__loads_forget(MDB_txn *txn, MDB_dbi meta, const char *db_name) {
  char key[KEY_CAP];
  snprintf(key, KEY_CAP, "materialized:%s", db_name);
  MDB_val k = {strlen(key), key};
  mdb_del(txn, meta, &k, NULL);
}

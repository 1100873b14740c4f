/*
 * sample.c - a seeded uniform sample of one view's online rows (sample.h):
 * a reservoir of copies of the stored (key, row) pairs over one cursor
 * pass, decoded once the pass is over, so that only the kept rows are
 * decoded and their values outlive the read transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "../codec/row.h"
#include "../codec/varint.h"
#include "../util/dtype.h"
#include "result.h"
#include "sample.h"
#include "scan.h"
#include "store.h"

/* One kept pair: a copy of its key bytes, then its row bytes. */
typedef struct kept_pair {
  size_t key_len, row_len;
  uint8_t bytes[];
} kept_pair;

/* splitmix64: any seed, 0 included, gives a full-period sequence. */
static uint64_t next_draw(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A draw in [0, bound): the high half of draw x bound (Lemire's range
 * reduction; its bias is below 2^-32 for any bound a view reaches). */
static uint64_t draw_below(uint64_t *state, uint64_t bound) {
  return (uint64_t)(((unsigned __int128)next_draw(state) * bound) >> 64);
}

static kept_pair *keep_pair(const MDB_val *k, const MDB_val *v) {
  kept_pair *p = malloc(sizeof *p + k->mv_size + v->mv_size);
  if (!p)
    return NULL;
  p->key_len = k->mv_size;
  p->row_len = v->mv_size;
  memcpy(p->bytes, k->mv_data, k->mv_size);
  memcpy(p->bytes + k->mv_size, v->mv_data, v->mv_size);
  return p;
}

/* The reservoir: up to `cap` pairs (room for `room` of them, grown as
 * they come, so that a small view costs little whatever the cap), and how
 * many pairs the pass saw. */
typedef struct reservoir {
  kept_pair **pairs;
  size_t cap, room, n_kept, n_seen;
  uint64_t state;
} reservoir;

/* Room for one more kept pair. Returns 0 or LR_ENOMEM. */
static int make_room(reservoir *r) {
  if (r->n_kept < r->room)
    return 0;
  size_t room = r->room ? r->room * 2 : 64;
  room = room < r->cap ? room : r->cap;
  kept_pair **pairs = realloc(r->pairs, room * sizeof *pairs);
  if (!pairs)
    return LR_ENOMEM;
  r->pairs = pairs;
  r->room = room;
  return 0;
}

/* Algorithm R: the first cap pairs are kept; pair i (0-based) after them
 * replaces a random slot with probability cap / (i + 1). */
static int offer(reservoir *r, const MDB_val *k, const MDB_val *v) {
  size_t slot = r->n_seen < r->cap ? r->n_seen
                                   : (size_t)draw_below(&r->state,
                                                        r->n_seen + 1);
  r->n_seen++;
  if (slot >= r->cap)
    return 0;
  kept_pair *p = slot < r->n_kept || make_room(r) == 0 ? keep_pair(k, v)
                                                      : NULL;
  if (!p)
    return LR_ENOMEM;
  if (slot < r->n_kept)
    free(r->pairs[slot]);
  else
    r->n_kept++;
  r->pairs[slot] = p;
  return 0;
}

static void reservoir_free(reservoir *r) {
  for (size_t i = 0; i < r->n_kept; i++)
    free(r->pairs[i]);
  free(r->pairs);
}

/* Key order, as the store keeps them (qsort). */
static int by_key(const void *a, const void *b) {
  const kept_pair *x = *(kept_pair *const *)a, *y = *(kept_pair *const *)b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(x->bytes, y->bytes, n);
  return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Copies `len` bytes into the arena (aligned for any element type). */
static const void *copy_bytes(lr__arena *a, const void *bytes, size_t len) {
  void *p = lr__arena_alloc(a, len ? len : 1);
  if (p && len)
    memcpy(p, bytes, len);
  return p;
}

/* An array<string> payload as an lr_str table over a copy of its bytes. */
static const void *copy_string_items(lr__arena *a, const lr__cell *c) {
  const uint8_t *p = copy_bytes(a, c->ptr, c->len), *end = p + c->len;
  lr_str *items = lr__arena_array(a, (size_t)c->count + 1, sizeof *items);
  if (!p || !items)
    return NULL;
  for (uint32_t k = 0; k < c->count; k++) {
    uint64_t len = 0;
    lr__varint_get(&p, end, &len); /* the row was checked when decoded */
    items[k] = (lr_str){(const char *)p, (size_t)len};
    p += len;
  }
  return items;
}

/* Sets `out` (type dt, present) from a decoded cell; -1 out of memory. */
static int take_cell(lr__arena *a, uint8_t dt, const lr__cell *c,
                     lr_value *out) {
  out->type = dt;
  out->status = LR_STATUS_PRESENT;
  if (LR__DT_IS_ARRAY(dt)) {
    out->v.array.n = c->count;
    out->v.array.data = LR__DT_BASE(dt) == LR__DT_STRING
                            ? copy_string_items(a, c)
                            : copy_bytes(a, c->ptr, c->len);
    return out->v.array.data ? 0 : -1;
  }
  if (dt != LR__DT_STRING && dt != LR__DT_BYTES) {
    lr__cell_fixed_value(dt, c, out);
    return 0;
  }
  out->v.str.ptr = copy_bytes(a, c->ptr, c->len);
  out->v.str.len = c->len;
  return out->v.str.ptr ? 0 : -1;
}

/* Appends the message about a pair of view `ov` that does not decode. */
static int damaged(lr_store *store, const lr__online_view *ov,
                   const void *key, size_t key_len, const char *why) {
  lr__buf *err = lr__store_err(store);
  lr__buf_printf(err, "sampling view '%s': key ", ov->view->name);
  lr__scan_describe_key(err, ov, key, key_len);
  lr__buf_printf(err, ": %s; check the store with `larder verify`, and load "
                 "the view again with materialize", why);
  return LR_ECORRUPT;
}

/* Decodes stored key (key, len) into the keys of row `r`. */
static int decode_key(lr_store *store, const lr__online_view *ov,
                      const uint8_t *key, size_t len, lr__sample *s,
                      size_t r) {
  lr__keypart parts[16];
  uint8_t scratch[LR__KEY_MAX];
  if (lr__scan_decode_key(ov, key, len, parts, scratch) < 0)
    return damaged(store, ov, key, len, "the key does not decode");
  int failed = 0;
  for (int k = 0; k < s->n_keys; k++) {
    lr__cell c = {.v.i64 = parts[k].i, .ptr = parts[k].ptr,
                  .len = parts[k].len};
    if (parts[k].dtype == LR__DT_INT32)
      c.v.i32 = (int32_t)parts[k].i;
    failed |= take_cell(&s->arena, parts[k].dtype, &c,
                        &s->keys[r * (size_t)s->n_keys + (size_t)k]);
  }
  return failed ? LR_ENOMEM : 0;
}

/* Decodes the stored row of key (key, key_len) into the values of row
 * `r`; NULL `row`: none is stored (every value NOT_FOUND). */
static int decode_row(lr_store *store, const lr__online_view *ov,
                      const uint8_t *key, size_t key_len, const MDB_val *row,
                      lr__cell *cells, lr__sample *s, size_t r) {
  const lr__view *v = ov->view;
  lr__row_header h = {0, LR__ROW_NO_CREATED, 0};
  if (row && lr__row_decode(row->mv_data, row->mv_size, v->slot_types,
                            v->next_slot, &h, cells) != 0)
    return damaged(store, ov, key, key_len, "the row does not decode");
  s->stored[r] = row != NULL;
  s->event_us[r] = h.event_us;
  s->created_us[r] = h.created_us;
  int failed = 0;
  for (int f = 0; f < s->n_features; f++) {
    const lr__field *field = &v->features[f];
    lr_value *out = &s->values[r * (size_t)s->n_features + (size_t)f];
    *out = (lr_value){.type = field->dtype, .event_ts = h.event_us};
    if (field->slot >= h.n_slots)
      *out = (lr_value){.type = field->dtype, .status = LR_STATUS_NOT_FOUND};
    else if (cells[field->slot].is_null)
      out->status = LR_STATUS_NULL_VALUE;
    else
      failed |= take_cell(&s->arena, field->dtype, &cells[field->slot], out);
  }
  return failed ? LR_ENOMEM : 0;
}

/* Room for n rows in the sample, and the cells one row decodes into. */
static int make_rows(lr__sample *s, size_t n, lr__cell **cells) {
  s->keys = lr__arena_array(&s->arena, n * (size_t)s->n_keys + 1,
                            sizeof *s->keys);
  s->values = lr__arena_array(&s->arena, n * (size_t)s->n_features + 1,
                              sizeof *s->values);
  s->event_us = lr__arena_array(&s->arena, n + 1, sizeof *s->event_us);
  s->created_us = lr__arena_array(&s->arena, n + 1, sizeof *s->created_us);
  s->stored = lr__arena_array(&s->arena, n + 1, 1);
  *cells = calloc((size_t)s->view->next_slot + 1, sizeof **cells);
  return s->keys && s->values && s->event_us && s->created_us &&
                 s->stored && *cells
             ? 0 : LR_ENOMEM;
}

/* Decodes the reservoir's pairs, in key order, into the sample. */
static int decode_all(lr_store *store, const lr__online_view *ov,
                      reservoir *r, lr__sample *s) {
  if (r->n_kept > 1)
    qsort(r->pairs, r->n_kept, sizeof *r->pairs, by_key);
  lr__cell *cells = NULL;
  int rc = make_rows(s, r->n_kept, &cells);
  for (size_t i = 0; rc == 0 && i < r->n_kept; i++) {
    const kept_pair *p = r->pairs[i];
    MDB_val row = {p->row_len, (void *)(p->bytes + p->key_len)};
    rc = decode_key(store, ov, p->bytes, p->key_len, s, i);
    if (rc == 0)
      rc = decode_row(store, ov, p->bytes, p->key_len, &row, cells, s, i);
  }
  free(cells);
  if (rc == 0)
    s->n_rows = r->n_kept;
  return rc;
}

/* The pass over view `vi`'s database in snapshot `scan`. */
static int fill_reservoir(lr_store *store, lr__scan *scan, int vi,
                          reservoir *r) {
  MDB_cursor *cur = NULL;
  int rc = lr__scan_cursor(scan, vi, &cur, lr__store_err(store));
  MDB_val k, v;
  for (int op = MDB_FIRST;
       rc == 0 && cur && mdb_cursor_get(cur, &k, &v, op) == 0; op = MDB_NEXT)
    rc = offer(r, &k, &v);
  if (cur)
    mdb_cursor_close(cur);
  return rc;
}

/* The stored view `name` of the store, or NULL with the message. */
static const lr__online_view *stored_view(lr_store *store, const char *name,
                                          int *rc) {
  const lr__online_view *ov = lr__store_view(store, name);
  *rc = !ov ? LR_ENOTFOUND : !lr__view_is_stored(ov->view) ? LR_EINVAL : 0;
  if (*rc)
    lr__buf_printf(lr__store_err(store), "cannot sample '%s' from the online "
                   "store at %s: %s", name, store->root,
                   ov ? "it keeps no rows online (an offline-only or "
                        "on-demand view)"
                      : "no such view in the applied registry (`larder ls "
                        "feature-views` lists them)");
  return *rc ? NULL : ov;
}

/* The common start: the arguments, the view, the sample's header. */
static const lr__online_view *sample_begin(lr_store *store, const char *view,
                                           lr__sample *out, int *rc) {
  *out = (lr__sample){0};
  lr__arena_init(&out->arena);
  *rc = LR_EINVAL;
  if (!store || !view)
    return NULL;
  lr__buf_reset(lr__store_err(store));
  const lr__online_view *ov = stored_view(store, view, rc);
  if (ov) {
    out->view = ov->view;
    out->n_keys = ov->n_keys;
    out->key_names = ov->key_names;
    out->n_features = ov->view->n_features;
  }
  return ov;
}

int lr__sample_view(lr_store *store, const char *view, size_t max_rows,
                    uint64_t seed, lr__sample *out) {
  int rc;
  const lr__online_view *ov = sample_begin(store, view, out, &rc);
  if (!ov || max_rows == 0)
    return ov ? LR_EINVAL : rc;
  reservoir r = {NULL, max_rows, 0, 0, 0, seed};
  lr__scan scan;
  rc = lr__scan_begin(store, &scan, lr__store_err(store));
  if (rc == 0)
    rc = lr__scan_version(&scan, &out->version, lr__store_err(store));
  if (rc == 0)
    rc = fill_reservoir(store, &scan, (int)(ov - store->views), &r);
  lr__scan_end(&scan);
  out->n_scanned = r.n_seen;
  if (rc == 0)
    rc = decode_all(store, ov, &r, out);
  if (rc == LR_ENOMEM)
    lr__buf_printf(lr__store_err(store), "out of memory sampling %zu rows "
                   "of view '%s'", max_rows, view);
  reservoir_free(&r);
  return rc;
}

/* Reads the n entities' rows through cursor `cur` (NULL: the view has no
 * database yet) into the sample. */
static int read_keys(lr_store *store, const lr__online_view *ov,
                     MDB_cursor *cur, const lr_value *keys, size_t n,
                     lr__sample *s) {
  lr__cell *cells = NULL;
  int rc = make_rows(s, n, &cells);
  uint8_t key[LR__KEY_MAX];
  for (size_t i = 0; rc == 0 && i < n; i++) {
    size_t len;
    rc = lr__store_encode_key(ov, keys + i * (size_t)ov->n_keys, key, &len,
                              lr__store_err(store), "entity", i);
    MDB_val k = {len, key}, row;
    int mrc = rc || !cur ? MDB_NOTFOUND
                         : mdb_cursor_get(cur, &k, &row, MDB_SET_KEY);
    if (rc == 0 && mrc && mrc != MDB_NOTFOUND)
      rc = lr__store_mdb_error(lr__store_err(store), mrc, "cannot read a row");
    if (rc == 0)
      rc = decode_key(store, ov, key, len, s, i);
    if (rc == 0)
      rc = decode_row(store, ov, key, len, mrc ? NULL : &row, cells, s, i);
  }
  free(cells);
  if (rc == 0)
    s->n_rows = n;
  return rc;
}

int lr__sample_read_keys(lr_store *store, const char *view,
                         const lr_value *keys, size_t n, lr__sample *out) {
  int rc;
  const lr__online_view *ov = sample_begin(store, view, out, &rc);
  if (!ov || (n && !keys))
    return ov ? LR_EINVAL : rc;
  lr__scan scan;
  MDB_cursor *cur = NULL;
  rc = lr__scan_begin(store, &scan, lr__store_err(store));
  if (rc == 0)
    rc = lr__scan_version(&scan, &out->version, lr__store_err(store));
  if (rc == 0)
    rc = lr__scan_cursor(&scan, (int)(ov - store->views), &cur,
                         lr__store_err(store));
  if (rc == 0)
    rc = read_keys(store, ov, cur, keys, n, out);
  if (cur)
    mdb_cursor_close(cur);
  lr__scan_end(&scan);
  return rc;
}

void lr__sample_free(lr__sample *s) {
  lr__arena_free(&s->arena);
  *s = (lr__sample){0};
}

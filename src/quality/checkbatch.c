/*
 * checkbatch.c - what a check runner keeps across the batches of one
 * transaction (checkrun.h): copies of the dropped rows for the
 * quarantine, the rows each `unique` rule has seen, and the newest times
 * of each entity by fate (grouped mode). The verdict is checkreport.c's.
 *
 * unique compares 128 bits per row: for one or two scalar columns (the
 * usual key and event_timestamp) the values themselves, exactly; else a
 * SipHash of the columns encoded as bytes (ints as int64, floats as
 * float64, so a column written as int32 once and int64 another time still
 * compares; one hash call per row), where two different rows collide with
 * odds about n^2 / 2^129, below 1e-25 at ten million rows. When a rule's
 * columns hold every join key and the rows come grouped by entity, two
 * equal rows can only be in one entity's group, so only that group's
 * rows are kept: a materialization of any size holds a few. Entity groups
 * are told apart by the key's encoding itself, not a hash.
 */
#include <stdlib.h>
#include <string.h>

#include "../util/siphash.h"
#include "checkrun_state.h"

/* ---- hashing rows ------------------------------------------------------ */

static const uint8_t hash_key[16] = "larder-unique-01";

/* The size of one item of an array of lr_type `type`. */
static size_t elem_size(int type) {
  switch (type & ~LR_TYPE_ARRAY) {
  case LR_TYPE_INT32: case LR_TYPE_FLOAT32: return 4;
  case LR_TYPE_STRING: case LR_TYPE_BYTES: return sizeof(lr_str);
  case LR_TYPE_BOOL: return sizeof(int);
  default: return 8;
  }
}

/* Appends value x, typed, as bytes that two values share only when they
 * are equal (ints as int64, floats as float64, lengths before bytes). */
static void encode_value(lr__buf *b, const lr_value *x) {
  int type = x->type;
  long long i = 0;
  double d = 0;
  switch (type) {
  case LR_TYPE_INT32: i = x->v.i32; type = LR_TYPE_INT64; break;
  case LR_TYPE_INT64: i = x->v.i64; break;
  case LR_TYPE_TIMESTAMP: i = x->v.ts; break;
  case LR_TYPE_BOOL: i = x->v.b != 0; break;
  case LR_TYPE_FLOAT32: d = x->v.f32; type = LR_TYPE_FLOAT64; break;
  case LR_TYPE_FLOAT64: d = x->v.f64; break;
  default: break;
  }
  lr__buf_grow_append(b, &type, sizeof type);
  if (type == LR_TYPE_FLOAT64) {
    lr__buf_grow_append(b, &d, sizeof d);
  } else if (type == LR_TYPE_STRING || type == LR_TYPE_BYTES) {
    lr__buf_grow_append(b, &x->v.str.len, sizeof x->v.str.len);
    if (x->v.str.len)
      lr__buf_grow_append(b, x->v.str.ptr, x->v.str.len);
  } else if (type == (LR_TYPE_ARRAY | LR_TYPE_STRING)) {
    const lr_str *items = x->v.array.data;
    lr__buf_grow_append(b, &x->v.array.n, sizeof x->v.array.n);
    for (size_t k = 0; k < x->v.array.n; k++) {
      lr__buf_grow_append(b, &items[k].len, sizeof items[k].len);
      if (items[k].len)
        lr__buf_grow_append(b, items[k].ptr, items[k].len);
    }
  } else if (type & LR_TYPE_ARRAY) {
    lr__buf_grow_append(b, &x->v.array.n, sizeof x->v.array.n);
    if (x->v.array.n)
      lr__buf_grow_append(b, x->v.array.data, x->v.array.n * elem_size(type));
  } else if (type != LR_TYPE_NULL) {
    lr__buf_grow_append(b, &i, sizeof i);
  }
}

/* Row r's columns `col` (n of them; -1: a column not written, as null)
 * encoded into b (reset first). */
static void encode_row(const lr_column *cols, const int *col, int n, size_t r,
                       lr__buf *b) {
  static const lr_value null_value = {LR_TYPE_NULL, 0, 0, {0}};
  lr__buf_reset(b);
  for (int i = 0; i < n; i++)
    encode_value(b, col[i] >= 0 ? &cols[col[i]].values[r] : &null_value);
}

/* 1 when two encodings are the same bytes. */
static int same_bytes(const lr__buf *a, const lr__buf *b) {
  return a->len == b->len && (a->len == 0 || !memcmp(a->data, b->data, a->len));
}

/* Copies encoding `from` into `to`. */
static void copy_bytes(lr__buf *to, const lr__buf *from) {
  lr__buf_reset(to);
  if (from->len)
    lr__buf_grow_append(to, from->data, from->len);
}

/* ---- the set of unique's hashes ------------------------------------------ */

/* Where h's probing starts: its halves mixed (a row's own values, as
 * exact_row gives them, can be a run like 1, 2, 3). */
static size_t slot_of(const uint64_t h[2]) {
  uint64_t x = h[0] ^ (h[1] * 0x9e3779b97f4a7c15ull);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

/* Adds h; returns 1 when it was there already, 0 when added, -1 out of
 * memory. */
static int set_add(hash_set *hs, const uint64_t h[2]);

/* Doubles the set (or gives it room for `rows` more, when larger). */
static int set_grow(hash_set *hs, size_t rows) {
  size_t cap = hs->cap ? hs->cap * 2 : 64;
  while (cap < 2 * (hs->used + rows))
    cap *= 2;
  hash_set bigger = {NULL, cap, 0, hs->has_zero};
  bigger.slots = calloc(bigger.cap * 2, sizeof *bigger.slots);
  if (!bigger.slots)
    return -1;
  for (size_t i = 0; i < hs->cap; i++)
    if (hs->slots[2 * i] | hs->slots[2 * i + 1])
      set_add(&bigger, &hs->slots[2 * i]);
  free(hs->slots);
  *hs = bigger;
  return 0;
}

static int set_add(hash_set *hs, const uint64_t h[2]) {
  if (!(h[0] | h[1])) {
    int had = hs->has_zero;
    hs->has_zero = 1;
    return had;
  }
  if ((hs->used + 1) * 2 > hs->cap && set_grow(hs, 1))
    return -1;
  size_t mask = hs->cap - 1, i = slot_of(h) & mask;
  while (hs->slots[2 * i] | hs->slots[2 * i + 1]) {
    if (hs->slots[2 * i] == h[0] && hs->slots[2 * i + 1] == h[1])
      return 1;
    i = (i + 1) & mask;
  }
  hs->slots[2 * i] = h[0];
  hs->slots[2 * i + 1] = h[1];
  hs->used++;
  return 0;
}

static void set_clear(hash_set *hs) {
  if (hs->used)
    memset(hs->slots, 0, hs->cap * 2 * sizeof *hs->slots);
  hs->used = 0;
  hs->has_zero = 0;
}

/* 1 when rule c's columns hold every join key of the view. */
static int unique_has_keys(const lr__checkrun *cr, const lr__check *c) {
  for (int k = 0; k < cr->n_keys; k++) {
    int found = 0;
    for (int i = 0; i < c->n_columns && !found; i++)
      found = strcmp(c->columns[i], cr->key_names[k]) == 0;
    if (!found)
      return 0;
  }
  return 1;
}

int lr__checkrun_wants_grouped(const lr__checkrun *cr) {
  for (int k = 0; k < cr->n_rules; k++)
    if (cr->rules[k].u && cr->rules[k].u->per_group)
      return 1;
  return 0;
}

/* A scalar value's 64 bits as unique compares it (ints as int64, floats
 * as float64); 0 when x is null, a string, bytes or an array. */
static int scalar_bits(const lr_value *x, uint64_t *bits) {
  double d;
  switch (x->type) {
  case LR_TYPE_INT32: *bits = (uint64_t)(int64_t)x->v.i32; return 1;
  case LR_TYPE_INT64: *bits = (uint64_t)x->v.i64; return 1;
  case LR_TYPE_TIMESTAMP: *bits = (uint64_t)x->v.ts; return 1;
  case LR_TYPE_BOOL: *bits = x->v.b != 0; return 1;
  case LR_TYPE_FLOAT32: d = x->v.f32; break;
  case LR_TYPE_FLOAT64: d = x->v.f64; break;
  default: return 0;
  }
  memcpy(bits, &d, sizeof *bits);
  return 1;
}

/* One or two scalar columns (a key and event_timestamp, the usual
 * unique) are their own 128 bits: equal only when the values are, so no
 * hashing and no collision; 0 when the row has other values. A column's
 * type is the view's, so two rows' bits compare like for like. */
static int exact_row(const lr_column *cols, const int *col, int n, size_t r,
                     uint64_t h[2]) {
  h[0] = h[1] = 0;
  if (n > 2)
    return 0;
  for (int i = 0; i < n; i++)
    if (col[i] < 0 || !scalar_bits(&cols[col[i]].values[r], &h[i]))
      return 0;
  return 1;
}

static void hash_unique(lr__checkrun *cr, const rule_run *rr,
                        const lr_column *cols, size_t r, uint64_t h[2]) {
  int n = rr->c->n_columns;
  if (exact_row(cols, rr->u->col, n, r, h))
    return;
  encode_row(cols, rr->u->col, n, r, &cr->scratch);
  lr__siphash s;
  lr__siphash_init(&s, hash_key);
  lr__siphash_update(&s, cr->scratch.data, cr->scratch.len);
  lr__siphash_final(&s, h);
}

/* Rows whose slots are fetched ahead of their insertion: a set of a whole
 * write's rows is larger than the caches, and a miss per row waited for
 * one at a time costs more than the rest of the checks together. */
enum { PREFETCH_AHEAD = 8 };

/* Outside an entity group: every row's hash of the batch, computed at its
 * first row, and the set grown to hold them all. */
static int hash_batch(lr__checkrun *cr, rule_run *rr, const lr_column *cols) {
  unique_run *u = rr->u;
  size_t n = cr->batch_n;
  if ((u->set.used + n) * 2 > u->set.cap && set_grow(&u->set, n))
    return LR_ENOMEM;
  if (n > u->hashes_cap) {
    free(u->hashes);
    u->hashes = malloc(2 * n * sizeof *u->hashes);
    u->hashes_cap = u->hashes ? n : 0;
    if (!u->hashes)
      return LR_ENOMEM;
  }
  for (size_t r = 0; r < n; r++)
    hash_unique(cr, rr, cols, r, &u->hashes[2 * r]);
  return 0;
}

/* Row r against unique rule rr: a repeat of an earlier row is a failure. */
static int unique_rule_row(lr__checkrun *cr, rule_run *rr,
                           const lr_column *cols, size_t r) {
  unique_run *u = rr->u;
  uint64_t one[2];
  const uint64_t *h = one;
  if (cr->grouped && u->per_group) {
    if (!same_bytes(&u->entity, &cr->row_key)) {
      set_clear(&u->set);
      copy_bytes(&u->entity, &cr->row_key);
    }
    hash_unique(cr, rr, cols, r, one);
  } else {
    if (r == 0 && hash_batch(cr, rr, cols))
      return LR_ENOMEM;
    h = &u->hashes[2 * r];
    if (r + PREFETCH_AHEAD < cr->batch_n) {
      size_t ahead = slot_of(&h[(size_t)2 * PREFETCH_AHEAD]);
      __builtin_prefetch(&u->set.slots[2 * (ahead & (u->set.cap - 1))]);
    }
  }
  rr->checked++;
  int seen = set_add(&u->set, h);
  if (seen < 0)
    return LR_ENOMEM;
  if (seen) {
    rr->failed++;
    lr__checkrun_sample(cr, rr, cols, r);
  }
  return 0;
}

int lr__checkrun_unique_row(lr__checkrun *cr, const lr_column *cols,
                            size_t r) {
  int rc = 0;
  for (int k = 0; rc == 0 && k < cr->n_rules; k++)
    if (cr->rules[k].u)
      rc = unique_rule_row(cr, &cr->rules[k], cols, r);
  return rc;
}

int lr__unique_open(const lr__checkrun *cr, rule_run *rr) {
  rr->u = calloc(1, sizeof *rr->u);
  if (rr->u) {
    rr->u->per_group = unique_has_keys(cr, rr->c);
    rr->u->col = calloc((size_t)rr->c->n_columns + 1, sizeof(int));
    lr__buf_init(&rr->u->entity);
  }
  return rr->u && rr->u->col ? 0 : LR_ENOMEM;
}

void lr__unique_free(rule_run *rr) {
  if (!rr->u)
    return;
  free(rr->u->set.slots);
  free(rr->u->hashes);
  free(rr->u->col);
  lr__buf_free(&rr->u->entity);
  free(rr->u);
  rr->u = NULL;
}

/* ---- entity groups (grouped mode) ---------------------------------------- */

/* 1 when (e1, c1) is newer than (e2, c2). */
static int newer(int64_t e1, int64_t c1, int64_t e2, int64_t c2) {
  return e1 > e2 || (e1 == e2 && c1 > c2);
}

void lr__checkrun_group_end(lr__checkrun *cr) {
  group_times *g = &cr->group;
  if (!g->has_key || !g->any_dropped)
    return;
  if (!g->any_kept)
    cr->newest_failed_none_kept++;
  else if (newer(g->dropped_event, g->dropped_created, g->kept_event,
                 g->kept_created))
    cr->newest_failed_older_kept++;
}

void lr__checkrun_group_row(lr__checkrun *cr, const lr_column *cols,
                            size_t r, int dropped) {
  group_times *g = &cr->group;
  if (!g->has_key || !same_bytes(&cr->group_key, &cr->row_key)) {
    lr__checkrun_group_end(cr);
    memset(g, 0, sizeof *g);
    g->has_key = 1;
    copy_bytes(&cr->group_key, &cr->row_key);
  }
  int64_t ev = cr->event_col >= 0 ? cols[cr->event_col].values[r].v.ts : 0;
  const lr_value *cv = cr->created_col >= 0
                           ? &cols[cr->created_col].values[r] : NULL;
  int64_t cr_ts = cv && cv->type != LR_TYPE_NULL ? cv->v.ts : INT64_MIN;
  if (dropped) {
    if (!g->any_dropped || newer(ev, cr_ts, g->dropped_event,
                                 g->dropped_created)) {
      g->dropped_event = ev;
      g->dropped_created = cr_ts;
    }
    g->any_dropped = 1;
  } else {
    if (!g->any_kept || newer(ev, cr_ts, g->kept_event, g->kept_created)) {
      g->kept_event = ev;
      g->kept_created = cr_ts;
    }
    g->any_kept = 1;
  }
}

void lr__checkrun_key_bytes(lr__checkrun *cr, const lr_column *cols,
                            size_t r) {
  encode_row(cols, cr->key_col, cr->n_keys, r, &cr->row_key);
}

/* ---- the dropped rows ------------------------------------------------------ */

/* Offsets into drop_bytes stand in for pointers until the copy is read
 * (the buffer moves as it grows): offset + 1, so that 0 stays NULL. */
static const void *put_bytes(lr__buf *b, const void *data, size_t len) {
  size_t at = b->len;
  if (len)
    lr__buf_grow_append(b, data, len);
  return (const void *)(uintptr_t)(at + 1);
}

static const void *at_offset(const lr__buf *b, const void *off) {
  return off ? b->data + (uintptr_t)off - 1 : NULL;
}

/* Copies value x's strings and arrays into drop_bytes (as offsets). */
static lr_value copy_value(lr__buf *b, const lr_value *x) {
  lr_value out = *x;
  if (x->type == LR_TYPE_STRING || x->type == LR_TYPE_BYTES) {
    out.v.str.ptr = put_bytes(b, x->v.str.ptr, x->v.str.len);
  } else if (x->type == (LR_TYPE_ARRAY | LR_TYPE_STRING)) {
    const lr_str *items = x->v.array.data;
    lr_str *copy = malloc((x->v.array.n + 1) * sizeof *copy);
    for (size_t i = 0; copy && i < x->v.array.n; i++)
      copy[i] = (lr_str){put_bytes(b, items[i].ptr, items[i].len),
                         items[i].len};
    out.v.array.data = copy ? put_bytes(b, copy, x->v.array.n * sizeof *copy)
                            : NULL;
    if (!copy)
      b->failed = 1;
    free(copy);
  } else if (x->type & LR_TYPE_ARRAY) {
    out.v.array.data = put_bytes(b, x->v.array.data,
                                 x->v.array.n * elem_size(x->type));
  }
  return out;
}

/* Turns a copied value's offsets into pointers. */
static void fix_value(const lr__buf *b, lr_value *x) {
  if (x->type == LR_TYPE_STRING || x->type == LR_TYPE_BYTES) {
    x->v.str.ptr = at_offset(b, x->v.str.ptr);
  } else if (x->type & LR_TYPE_ARRAY) {
    x->v.array.data = at_offset(b, x->v.array.data);
    if (x->type == (LR_TYPE_ARRAY | LR_TYPE_STRING)) {
      lr_str *items = (lr_str *)x->v.array.data;
      for (size_t i = 0; i < x->v.array.n; i++)
        items[i].ptr = at_offset(b, items[i].ptr);
    }
  }
}

/* The columns of the copy: those of the first batch with a dropped row. */
static int start_dropped(lr__checkrun *cr, const lr_column *cols,
                         int n_cols) {
  cr->drop_names = calloc((size_t)n_cols + 1, sizeof *cr->drop_names);
  if (!cr->drop_names)
    return LR_ENOMEM;
  for (int c = 0; c < n_cols; c++)
    cr->drop_names[c] = cols[c].name;
  cr->drop_ncols = n_cols;
  return 0;
}

/* Room for one more dropped row. */
static int grow_dropped(lr__checkrun *cr) {
  size_t cap = cr->drop_cap ? cr->drop_cap * 2 : 64;
  lr_value *values = calloc((size_t)cr->drop_ncols * cap + 1, sizeof *values);
  lr_value *rules = realloc(cr->drop_rules, cap * sizeof *rules);
  if (!values || !rules) {
    free(values);
    if (rules)
      cr->drop_rules = rules;
    return LR_ENOMEM;
  }
  for (int c = 0; cr->drop_values && c < cr->drop_ncols; c++)
    memcpy(values + (size_t)c * cap, cr->drop_values + (size_t)c * cr->drop_cap,
           cr->drop_cap * sizeof *values);
  free(cr->drop_values);
  cr->drop_values = values;
  cr->drop_rules = rules;
  cr->drop_cap = cap;
  return 0;
}

int lr__checkrun_keep_dropped(lr__checkrun *cr, const lr_column *cols,
                              int n_cols, size_t r) {
  if (!cr->drop_names && start_dropped(cr, cols, n_cols))
    return LR_ENOMEM;
  if (cr->dropped == cr->drop_cap && grow_dropped(cr))
    return LR_ENOMEM;
  size_t at = cr->dropped++;
  for (int c = 0; c < cr->drop_ncols; c++) {
    int from = -1;
    for (int k = 0; k < n_cols && from < 0; k++)
      if (cols[k].name && cr->drop_names[c] &&
          strcmp(cols[k].name, cr->drop_names[c]) == 0)
        from = k;
    lr_value none = {LR_TYPE_NULL, 0, 0, {0}};
    cr->drop_values[(size_t)c * cr->drop_cap + at] =
        from >= 0 ? copy_value(&cr->drop_bytes, &cols[from].values[r]) : none;
  }
  lr__buf names;
  lr__buf_init(&names);
  for (int k = 0; k < cr->n_rules; k++)
    if (cr->fail[(size_t)k * cr->batch_n + r])
      lr__buf_printf(&names, "%s%s", names.len ? "," : "",
                     cr->rules[k].c->name);
  lr_value rules = {LR_TYPE_STRING, 0, 0, {0}};
  rules.v.str.len = names.len;
  rules.v.str.ptr = put_bytes(&cr->drop_bytes, lr__buf_str(&names), names.len);
  cr->drop_rules[at] = rules;
  int failed = lr__buf_failed(&names) || lr__buf_failed(&cr->drop_bytes);
  lr__buf_free(&names);
  return failed ? LR_ENOMEM : 0;
}

size_t lr__checkrun_dropped(const lr__checkrun *cr_const,
                            const lr_column **cols, int *n_cols,
                            const lr_value **rules) {
  lr__checkrun *cr = (lr__checkrun *)cr_const;
  *cols = NULL;
  *n_cols = 0;
  *rules = NULL;
  if (!cr->dropped)
    return 0;
  if (!cr->drop_cols) {
    cr->drop_cols = calloc((size_t)cr->drop_ncols + 1, sizeof *cr->drop_cols);
    if (!cr->drop_cols)
      return 0;
    for (int c = 0; c < cr->drop_ncols; c++) {
      cr->drop_cols[c].name = cr->drop_names[c];
      cr->drop_cols[c].values = cr->drop_values + (size_t)c * cr->drop_cap;
      for (size_t r = 0; r < cr->dropped; r++)
        fix_value(&cr->drop_bytes, &cr->drop_values[(size_t)c * cr->drop_cap + r]);
    }
    for (size_t r = 0; r < cr->dropped; r++)
      fix_value(&cr->drop_bytes, &cr->drop_rules[r]);
  }
  *cols = cr->drop_cols;
  *n_cols = cr->drop_ncols;
  *rules = cr->drop_rules;
  return cr->dropped;
}

void lr__checkrun_quarantined(lr__checkrun *cr, const char *file) {
  free(cr->quarantine);
  cr->quarantine = file ? strdup(file) : NULL;
}

void lr__checkrun_batch_free(lr__checkrun *cr) {

  free(cr->drop_names);
  free(cr->drop_values);
  free(cr->drop_rules);
  free(cr->drop_cols);
  free(cr->quarantine);
  lr__buf_free(&cr->drop_bytes);
  lr__buf_free(&cr->row_key);
  lr__buf_free(&cr->group_key);
  lr__buf_free(&cr->scratch);
}

/*
 * lookup.c - results and lr_get_online_features: the hot path.
 *
 * A lookup renews the result's read transaction (no allocation), then per
 * view of the request encodes each entity's key, reads the packed row with
 * one mdb_get, decodes it once into the result's scratch cells and copies out
 * the requested slots. Strings and arrays are copied into the result's data
 * buffer, so they stay valid after the transaction ends; the buffer only
 * grows, so once it has held the largest values no lookup allocates.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/row.h"
#include "../util/dtype.h"
#include "../transform/expr.h"
#include "../util/timefmt.h"
#include "request.h"
#include "result.h"
#include "version.h"

const char *lr_result_errmsg(const lr_result *res) {
  return res ? lr__buf_str(&res->errmsg) : "no result handle";
}

/* Closes the per-group cursors (before their transaction goes). */
static void close_cursors(lr_result *res) {
  for (int g = 0; g < res->req->n_groups; g++) {
    if (res->cursors[g])
      mdb_cursor_close(res->cursors[g]);
    res->cursors[g] = NULL;
  }
}

/* An eval for on-demand view `o`; inputs the request does not feed (only
 * unrequested outputs read them) are left all-null. */
static int create_eval(const lr_request *req, int o, int max_entities,
                       lr__eval **out) {
  const lr__req_odfv *ro = &req->odfvs[o];
  int rc = lr__eval_create(ro->odfv->prog, max_entities, out);
  for (int i = 0; rc == 0 && i < ro->odfv->n_inputs; i++)
    if (ro->input_cell[i] == INT_MIN)
      memset(lr__eval_input(*out, i)->null, 1, (size_t)max_entities);
  return rc;
}

int lr_result_create(const lr_request *req, int max_entities,
                     lr_result **out) {
  if (!out)
    return LR_EINVAL;
  *out = NULL;
  if (!req || max_entities < 1)
    return LR_EINVAL;
  lr_result *res = calloc(1, sizeof *res);
  if (!res)
    return LR_ENOMEM;
  res->req = req;
  res->max_entities = max_entities;
  size_t n_cells = (size_t)max_entities * (size_t)req->n_cells;
  res->cells = calloc(n_cells + 1, sizeof *res->cells);
  res->scratch = calloc((size_t)req->max_slots + 1, sizeof *res->scratch);
  res->key_len = calloc((size_t)max_entities, sizeof *res->key_len);
  res->first = calloc((size_t)max_entities, sizeof *res->first);
  res->keys = malloc((size_t)max_entities * LR__KEY_MAX);
  res->key_values = calloc((size_t)req->n_keys + 1, sizeof *res->key_values);
  res->cursors = calloc((size_t)req->n_groups + 1, sizeof(MDB_cursor *));
  res->dbis = calloc((size_t)req->n_groups + 1, sizeof *res->dbis);
  res->dbi_ok = calloc((size_t)req->n_groups + 1, 1);
  res->evals = calloc((size_t)req->n_odfvs + 1, sizeof(lr__eval *));
  res->now = calloc((size_t)max_entities, sizeof *res->now);
  res->newest = calloc((size_t)max_entities, sizeof *res->newest);
  int evals_ok = res->evals != NULL;
  for (int o = 0; evals_ok && o < req->n_odfvs; o++)
    evals_ok = create_eval(req, o, max_entities, &res->evals[o]) == 0;
  lr__buf_init(&res->data);
  lr__buf_init(&res->string_tables);
  lr__buf_init(&res->errmsg);
  if (!res->cells || !res->scratch || !res->key_len || !res->first ||
      !res->keys || !res->key_values || !res->cursors || !res->dbis ||
      !res->dbi_ok || !evals_ok ||
      !res->now || !res->newest) {
    lr_result_free(res);
    return LR_ENOMEM;
  }
  *out = res;
  return 0;
}

void lr_result_free(lr_result *res) {
  if (!res)
    return;
  if (res->cursors)
    close_cursors(res);
  if (res->txn)
    mdb_txn_abort(res->txn);
  lr__env_release(res->env);
  lr__rlookup_free(res->redis);
  free(res->dbis);
  free(res->dbi_ok);
  free(res->cells);
  free(res->scratch);
  free(res->key_len);
  free(res->first);
  free(res->keys);
  free(res->key_values);
  free(res->cursors);
  for (int o = 0; res->evals && o < res->req->n_odfvs; o++)
    lr__eval_free(res->evals[o]);
  free(res->evals);
  free(res->now);
  free(res->newest);
  lr__buf_free(&res->data);
  lr__buf_free(&res->string_tables);
  lr__buf_free(&res->errmsg);
  free(res);
}

int lr_result_count(const lr_result *res, int *n_entities) {
  if (!res || !n_entities)
    return LR_EINVAL;
  *n_entities = res->n_entities;
  return 0;
}

int lr_result_cell(const lr_result *res, int entity, int feature,
                   lr_value *out) {
  if (!res || !out || entity < 0 || entity >= res->n_entities ||
      feature < 0 || feature >= res->req->n_features)
    return LR_EINVAL;
  *out = res->cells[(size_t)entity * (size_t)res->req->n_cells +
                    (size_t)feature];
  return 0;
}

/* Moves the result onto the store's live generation: its transaction,
 * cursors and database handles belonged to the one before. */
static void move_result(lr_result *res, lr_store *store) {
  if (res->txn) {
    close_cursors(res);
    mdb_txn_abort(res->txn);
    res->txn = NULL;
  }
  lr__env_release(res->env);
  res->env = lr__store_env(store);
  res->version_env = NULL; /* another generation: read its version */
  res->meta_ok = 0;
  memset(res->dbi_ok, 0, (size_t)res->req->n_groups);
}

/* Opens the databases of groups not opened yet, if they exist now (a
 * writer may have created them since). Before the transaction begins, so
 * that it sees them. */
static void open_group_dbs(lr_result *res) {
  if (!res->meta_ok)
    res->meta_ok = lr__env_dbi(res->env, LR__META_DB, 0, &res->meta_dbi);
  for (int g = 0; g < res->req->n_groups; g++)
    if (!res->dbi_ok[g])
      res->dbi_ok[g] = (unsigned char)lr__env_dbi(
          res->env, res->req->groups[g].ov->db_name, 0, &res->dbis[g]);
}

/* Notes the version the result's transaction reads: from the meta
 * records, read again only when something was committed since the last
 * lookup (or the result moved to another generation). */
static int read_version(lr_result *res, unsigned long long txnid) {
  if (res->version_env == res->env && res->version_txnid == txnid)
    return 0;
  int mrc = lr__env_version(res->env, res->txn, res->meta_ok, res->meta_dbi,
                            &res->version);
  if (mrc)
    return lr__store_mdb_error(&res->errmsg, mrc, "cannot read the version");
  res->version_env = res->env;
  res->version_txnid = txnid;
  return 0;
}

/* Starts (first time) or renews the result's read transaction on the
 * store's live generation. When CURRENT is due a look (store.h) and has
 * moved, the lookup starts again on the new generation, at most once. */
static int begin_read(lr_result *res) {
  lr_store *store = res->req->store;
  for (int attempt = 0;; attempt++) {
    if (res->env != atomic_load_explicit(&store->env, memory_order_acquire))
      move_result(res, store);
    open_group_dbs(res);
    MDB_env *mdb = lr__env_mdb(res->env);
    int mrc = res->txn ? mdb_txn_renew(res->txn)
                       : mdb_txn_begin(mdb, NULL, MDB_RDONLY, &res->txn);
    if (mrc) {
      if (res->txn) {
        close_cursors(res);
        mdb_txn_abort(res->txn);
        res->txn = NULL;
      }
      return lr__store_mdb_error(&res->errmsg, mrc, "cannot start a read");
    }
    unsigned long long txnid = mdb_txn_id(res->txn);
    if (attempt == 0 && lr__store_check_due(store, txnid)) {
      int moved = lr__store_refresh(store, &res->errmsg);
      if (moved == 1) {
        mdb_txn_reset(res->txn);
        continue;
      }
      lr__buf_reset(&res->errmsg); /* a failed look keeps this generation */
      lr__store_checked(store, txnid);
    }
    return read_version(res, txnid);
  }
}

int lr_result_version(const lr_result *res, lr_data_version *version) {
  if (!res || !version)
    return LR_EINVAL;
  *version = res->version;
  return 0;
}

/* Where a copied value will live: offsets into res->data until the final
 * pass turns them into pointers (the buffer may move while it grows). */
static size_t copy_data(lr_result *res, const void *bytes, size_t len) {
  size_t pad = (8 - res->data.len % 8) % 8;
  lr__buf_pad(&res->data, pad);
  size_t offset = res->data.len;
  lr__buf_append(&res->data, bytes, len);
  return offset;
}

/* Copies an array<string> payload as an lr_str table followed by the bytes;
 * the table's pointers are offsets until fixed up. */
static size_t copy_string_array(lr_result *res, const lr__cell *c) {
  size_t table = copy_data(res, NULL, 0);
  lr__buf_pad(&res->data, c->count * sizeof(lr_str));
  size_t record[2] = {table, c->count};
  lr__buf_append(&res->string_tables, record, sizeof record);
  const uint8_t *p = c->ptr, *end = c->ptr + c->len;
  for (uint32_t k = 0; k < c->count; k++) {
    uint64_t slen = 0;
    unsigned shift = 0;
    while (p < end) { /* the row was checked when decoded */
      uint8_t b = *p++;
      slen |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80))
        break;
    }
    size_t at = res->data.len;
    lr__buf_append(&res->data, p, (size_t)slen);
    p += slen;
    if (res->data.data) {
      lr_str *s = (lr_str *)(res->data.data + table) + k;
      s->ptr = (const char *)(uintptr_t)at;
      s->len = (size_t)slen;
    }
  }
  return table;
}

/* Fills `out` from a decoded cell of type `dt`. */
static void take_value(lr_result *res, uint8_t dt, const lr__cell *c,
                       lr_value *out) {
  if (LR__DT_IS_ARRAY(dt)) {
    size_t at = LR__DT_BASE(dt) == LR__DT_STRING
                    ? copy_string_array(res, c)
                    : copy_data(res, c->ptr, c->len);
    out->v.array.data = (const void *)(uintptr_t)at;
    out->v.array.n = c->count;
    return;
  }
  if (dt != LR__DT_STRING && dt != LR__DT_BYTES) {
    lr__cell_fixed_value(dt, c, out);
    return;
  }
  out->v.str.ptr = (const char *)(uintptr_t)copy_data(res, c->ptr, c->len);
  out->v.str.len = c->len;
}

/* Sets the group's features of entity `row` to one status. */
void lr__result_set_status(lr_result *res, const lr__req_group *g, int row,
                             int status, int64_t event_ts) {
  const lr_request *req = res->req;
  for (int j = 0; j < g->n_features; j++) {
    int f = g->features[j];
    lr_value *out = &res->cells[(size_t)row * (size_t)req->n_cells + (size_t)f];
    memset(out, 0, sizeof *out);
    out->type = req->features[f].dtype;
    out->status = status;
    out->event_ts = event_ts;
  }
}

int lr__result_fill(lr_result *res, const lr__req_group *g, int row,
                    const void *data, size_t len, int64_t now) {
  const lr_request *req = res->req;
  const lr__view *v = g->ov->view;
  lr__row_header h;
  if (lr__row_decode(data, len, v->slot_types, v->next_slot,
                     &h, res->scratch) != 0) {
    lr__buf_printf(&res->errmsg, "a stored row of view '%s' is damaged (or "
                   "was written under a newer registry: reopen the store)",
                   v->name);
    return LR_ECORRUPT;
  }
  if (g->ttl_us > 0 && now - h.event_us > g->ttl_us) {
    lr__result_set_status(res, g, row, LR_STATUS_OUTSIDE_MAX_AGE, h.event_us);
    return 0;
  }
  for (int j = 0; j < g->n_features; j++) {
    int f = g->features[j];
    const lr__req_feature *rf = &req->features[f];
    lr_value *out = &res->cells[(size_t)row * (size_t)req->n_cells + (size_t)f];
    memset(out, 0, sizeof *out);
    out->type = rf->dtype;
    out->event_ts = h.event_us;
    if (rf->slot >= h.n_slots) {
      out->status = LR_STATUS_NOT_FOUND;
      out->event_ts = 0;
    } else if (res->scratch[rf->slot].is_null) {
      out->status = LR_STATUS_NULL_VALUE;
    } else {
      out->status = LR_STATUS_PRESENT;
      take_value(res, rf->dtype, &res->scratch[rf->slot], out);
    }
  }
  return 0;
}

/* Copies the group's features of entity `from` to entity `to`. */
static void copy_group(lr_result *res, const lr__req_group *g, int from,
                       int to) {
  size_t nf = (size_t)res->req->n_cells;
  for (int j = 0; j < g->n_features; j++)
    res->cells[(size_t)to * nf + (size_t)g->features[j]] =
        res->cells[(size_t)from * nf + (size_t)g->features[j]];
}

int lr__result_encode_keys(lr_result *res, const lr__req_group *g,
                       const lr_value *keys, int n) {
  const lr_request *req = res->req;
  for (int r = 0; r < n; r++) {
    for (int k = 0; k < g->ov->n_keys; k++)
      res->key_values[k] = keys[(size_t)r * (size_t)req->n_keys +
                                (size_t)g->key_cols[k]];
    int rc = lr__store_encode_key(g->ov, res->key_values,
                                  res->keys + (size_t)r * LR__KEY_MAX,
                                  &res->key_len[r], &res->errmsg, "entity",
                                  (size_t)r);
    if (rc)
      return rc;
  }
  return 0;
}

/* Orders entity indexes by their encoded key (qsort_r context: result). */
static int compare_keys(const void *a, const void *b, void *ctx) {
  const lr_result *res = ctx;
  int x = *(const int *)a, y = *(const int *)b;
  size_t lx = res->key_len[x], ly = res->key_len[y];
  int c = memcmp(res->keys + (size_t)x * LR__KEY_MAX,
                 res->keys + (size_t)y * LR__KEY_MAX, lx < ly ? lx : ly);
  if (c == 0 && lx != ly)
    c = lx < ly ? -1 : 1;
  return c ? c : (x > y) - (x < y);
}

/* 1 when entities x and y have the same encoded key. */
static int same_key(const lr_result *res, int x, int y) {
  return res->key_len[x] == res->key_len[y] &&
         memcmp(res->keys + (size_t)x * LR__KEY_MAX,
                res->keys + (size_t)y * LR__KEY_MAX, res->key_len[x]) == 0;
}

/* Reads the group's rows in key order through one cursor: neighbouring
 * keys share the upper B-tree pages (LMDB skips the descent when the next
 * key is on the current leaf), and repeated entities become neighbours,
 * read once. */
/* The result's cursor on group `gi`'s database, bound to the current read
 * transaction: opened once, renewed afterwards (no allocation). NULL when
 * the database does not exist (yet). */
static MDB_cursor *group_cursor(lr_result *res, int gi, int *rc) {
  *rc = 0;
  if (!res->dbi_ok[gi])
    return NULL;
  MDB_cursor **cur = &res->cursors[gi];
  int mrc = *cur ? mdb_cursor_renew(res->txn, *cur)
                 : mdb_cursor_open(res->txn, res->dbis[gi], cur);
  if (mrc) {
    *rc = lr__store_mdb_error(&res->errmsg, mrc, "cannot open a cursor");
    return NULL;
  }
  return *cur;
}

static int lookup_group(lr_result *res, int gi, const lr_value *keys, int n,
                        int64_t now) {
  const lr__req_group *g = &res->req->groups[gi];
  int rc = lr__result_encode_keys(res, g, keys, n);
  if (rc)
    return rc;
  int *order = res->first;
  for (int r = 0; r < n; r++)
    order[r] = r;
  if (n > 1)
    qsort_r(order, (size_t)n, sizeof *order, compare_keys, res);
  MDB_cursor *cur = group_cursor(res, gi, &rc);
  for (int i = 0; rc == 0 && i < n; i++) {
    int r = order[i];
    if (i > 0 && same_key(res, order[i - 1], r)) {
      copy_group(res, g, order[i - 1], r);
      continue;
    }
    MDB_val key = {res->key_len[r], res->keys + (size_t)r * LR__KEY_MAX};
    MDB_val data;
    int mrc = cur ? mdb_cursor_get(cur, &key, &data, MDB_SET_KEY)
                  : MDB_NOTFOUND;
    if (mrc == MDB_NOTFOUND)
      lr__result_set_status(res, g, r, LR_STATUS_NOT_FOUND, 0);
    else if (mrc)
      rc = lr__store_mdb_error(&res->errmsg, mrc, "cannot read a row");
    else
      rc = lr__result_fill(res, g, r, data.mv_data, data.mv_size, now);
  }
  return rc;
}

/* Turns data offsets into pointers, now that the buffer no longer moves. */
static void fix_pointers(lr_result *res) {
  char *base = res->data.data;
  /* array<string> tables first, each once: repeated entities share them */
  const size_t *tables = (const size_t *)res->string_tables.data;
  for (size_t t = 0; t < res->string_tables.len / (2 * sizeof(size_t)); t++) {
    lr_str *items = (lr_str *)(base + tables[2 * t]);
    for (size_t k = 0; k < tables[2 * t + 1]; k++)
      items[k].ptr = base + (uintptr_t)items[k].ptr;
  }
  size_t n = (size_t)res->n_entities * (size_t)res->req->n_cells;
  for (size_t i = 0; i < n; i++) {
    lr_value *v = &res->cells[i];
    if (v->status != LR_STATUS_PRESENT)
      continue;
    if (v->type & LR__DT_ARRAY)
      v->v.array.data = base + (uintptr_t)v->v.array.data;
    else if (v->type == LR__DT_STRING || v->type == LR__DT_BYTES)
      v->v.str.ptr = base + (uintptr_t)v->v.str.ptr;
  }
}

/* Feeds input i of on-demand view `o` for every entity: a feature's cells
 * (withheld and missing values read as null) or a request column. */
static int feed_input(lr_result *res, int o, int i, const lr_value *keys,
                      int n) {
  const lr_request *req = res->req;
  int cell = req->odfvs[o].input_cell[i];
  lr__eval *e = res->evals[o];
  static const lr_value null_value = {.type = LR_TYPE_NULL};
  for (int r = 0; r < n; r++) {
    if (cell >= 0) {
      const lr_value *v = &res->cells[(size_t)r * (size_t)req->n_cells +
                                      (size_t)cell];
      lr__eval_set(e, i, r, v->status == LR_STATUS_PRESENT ? v : &null_value);
      if (v->event_ts > res->newest[r])
        res->newest[r] = v->event_ts;
      continue;
    }
    int col = -1 - cell;
    if (lr__eval_set(e, i, r, &keys[(size_t)r * (size_t)req->n_keys +
                                    (size_t)col]) != 0) {
      char want[32];
      lr__buf_printf(&res->errmsg, "request field '%s' of entity %d must be "
                     "%s", req->key_names[col], r,
                     lr__dtype_name(req->key_types[col], want));
      return LR_ETYPE;
    }
  }
  return 0;
}

/* Writes output k of view `o` into its feature's cells: PRESENT, or
 * NULL_VALUE; the event time of the newest input row. */
static void take_output(lr_result *res, int o, int k, int n,
                        const int64_t *newest) {
  const lr_request *req = res->req;
  int f = req->odfvs[o].output_feature[k];
  for (int r = 0; f >= 0 && r < n; r++) {
    lr_value *out = &res->cells[(size_t)r * (size_t)req->n_cells + (size_t)f];
    lr__eval_get(res->evals[o], k, r, out);
    out->status = out->type == LR_TYPE_NULL ? LR_STATUS_NULL_VALUE
                                            : LR_STATUS_PRESENT;
    out->type = req->features[f].dtype;
    out->event_ts = newest[r];
  }
}

/* Computes the on-demand views of the request over the entities just read,
 * at the lookup's time `now`; each output's event time is the newest of
 * its entity's input rows (res->newest, gathered while feeding). */
static int compute_odfvs(lr_result *res, const lr_value *keys, int n,
                         int64_t now) {
  const lr_request *req = res->req;
  for (int r = 0; r < n; r++)
    res->now[r] = now;
  for (int o = 0; o < req->n_odfvs; o++) {
    const lr__odfv *odfv = req->odfvs[o].odfv;
    memset(res->newest, 0, (size_t)n * sizeof *res->newest);
    for (int i = 0; i < odfv->n_inputs; i++) {
      int rc = req->odfvs[o].input_cell[i] == INT_MIN
                   ? 0 : feed_input(res, o, i, keys, n);
      if (rc)
        return rc;
    }
    int rc = lr__eval_run(res->evals[o], n, res->now);
    if (rc)
      return rc;
    for (int k = 0; k < odfv->view->n_features; k++)
      take_output(res, o, k, n, res->newest);
  }
  return 0;
}

int lr_get_online_features(const lr_request *req, const lr_value *keys,
                           int n_entities, lr_result *res) {
  if (!req || !res || res->req != req || n_entities < 0 ||
      n_entities > res->max_entities || (n_entities && !keys))
    return res ? lr__errmsg_set(&res->errmsg, LR_EINVAL, "bad arguments: %d "
                                "entities for a result of at most %d",
                                n_entities, res->max_entities)
               : LR_EINVAL;
  lr__buf_reset(&res->errmsg);
  lr__buf_reset(&res->data);
  lr__buf_reset(&res->string_tables);
  res->n_entities = 0;
  int64_t now = lr__time_now_us();
  int rc = 0;
  if (req->store->redis) {
    rc = lr__lookup_redis(res, keys, n_entities, now);
  } else {
    rc = begin_read(res);
    for (int g = 0; rc == 0 && g < req->n_groups; g++)
      rc = lookup_group(res, g, keys, n_entities, now);
    if (res->txn)
      mdb_txn_reset(res->txn);
  }
  if (rc == 0 && (lr__buf_failed(&res->data) ||
                  lr__buf_failed(&res->string_tables))) {
    lr__buf_free(&res->data);
    lr__buf_puts(&res->errmsg, "out of memory copying values");
    rc = LR_ENOMEM;
  }
  if (rc == 0) {
    res->n_entities = n_entities;
    fix_pointers(res);
    if (req->n_odfvs)
      rc = compute_odfvs(res, keys, n_entities, now);
    if (rc)
      res->n_entities = 0;
  }
  return rc;
}

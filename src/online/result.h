/*
 * result.h - the caller-owned result of lookups (lookup.c fills it,
 * format.c prints it).
 */
#ifndef LR_ONLINE_RESULT_H
#define LR_ONLINE_RESULT_H

#include "../codec/row.h"
#include "../util/dtype.h"
#include "../util/valuetext.h"
#include "../transform/expr.h"
#include "request.h"

struct lr_result {
  const lr_request *req;
  int max_entities;
  int n_entities;     /* of the last successful lookup */
  lr_value *cells;    /* max_entities x n_features, row-major */
  lr__buf data;       /* strings and arrays copied out of rows */
  lr__buf string_tables; /* (offset, count) of each array<string> table in
                            data, whose entries are fixed up once */
  lr__cell *scratch;  /* one decoded row: req->max_slots cells */
  lr__env *env;       /* the generation txn reads (a reference is held):
                         moved to the store's at the start of a lookup */
  MDB_txn *txn;       /* a read transaction, reset between lookups */
  MDB_cursor **cursors; /* one per request group, renewed with txn */
  MDB_dbi *dbis;      /* per request group: its database in env ... */
  unsigned char *dbi_ok; /* ... once it exists there */
  MDB_dbi meta_dbi;   /* env's meta database ... */
  int meta_ok;        /* ... once it exists there */
  lr_data_version version; /* what the last lookup read ... */
  const lr__env *version_env; /* ... read from this generation ... */
  unsigned long long version_txnid; /* ... at this transaction id */
  /* Per lookup of one view: each entity's encoded key, and the entity
   * indexes in key order (repeated entities become neighbours). */
  uint8_t *keys;
  size_t *key_len;
  int *first;
  lr_value *key_values; /* one entity's keys, in a view's order */
  lr__eval **evals;     /* one per on-demand view of the request */
  int64_t *now;         /* per entity: the lookup's time, for now() */
  int64_t *newest;      /* per entity: its inputs' newest event time */
  struct lr__rlookup *redis; /* a Redis store's lookups (lookup_redis.c) */
  lr__buf errmsg;
};

/* lookup.c, for the lookups of both stores. Encodes the keys of every
 * entity for group `g` into res->keys / res->key_len. */
int lr__result_encode_keys(lr_result *res, const lr__req_group *g,
                           const lr_value *keys, int n);
/* Sets the group's features of entity `row` to one status. */
void lr__result_set_status(lr_result *res, const lr__req_group *g, int row,
                           int status, int64_t event_ts);
/* Decodes a stored row (len bytes) into the group's features of entity
 * `row`, as of time `now` (a row older than the ttl: OUTSIDE_MAX_AGE). */
int lr__result_fill(lr_result *res, const lr__req_group *g, int row,
                    const void *data, size_t len, int64_t now);

/* lookup_redis.c: the lookup of n entities on a Redis store, one
 * pipelined batch for every group and the version; and its state's
 * release (NULL: nothing). */
int lr__lookup_redis(lr_result *res, const lr_value *keys, int n,
                     int64_t now);
void lr__rlookup_free(struct lr__rlookup *rl);

/* Appends the result as Feast's JSON response (what lr_result_format
 * gives with LR_FORMAT_JSON) to `out`: the server writes it straight into
 * its reply. `keys` as for lr_result_format. Returns 0 or LR_ENOMEM. */
int lr__result_json(const lr_result *res, const lr_value *keys,
                    unsigned flags, lr__buf *out);

/* Sets the value of a decoded cell of fixed-width dtype `dt` (bool,
 * int32, int64, float32, float64, timestamp) into `out`: what a lookup
 * and a sample (sample.c) give for such a cell. */
static inline void lr__cell_fixed_value(uint8_t dt, const lr__cell *c,
                                        lr_value *out) {
  switch (dt) {
  case LR__DT_BOOL: out->v.b = c->v.b; break;
  case LR__DT_INT32: out->v.i32 = c->v.i32; break;
  case LR__DT_FLOAT32: out->v.f32 = c->v.f32; break;
  case LR__DT_FLOAT64: out->v.f64 = c->v.f64; break;
  default: out->v.i64 = c->v.i64; break; /* int64, timestamp */
  }
}


#endif

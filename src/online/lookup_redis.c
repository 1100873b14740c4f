/*
 * lookup_redis.c - lr_get_online_features on a Redis store (rstore.h).
 *
 * One batch per lookup: an HGET of each entity's field in its bucket, for
 * every view group of the request, and an HGET of the version counter; the
 * cluster client splits it per node and pipelines each part, so a lookup
 * costs one round trip per node whatever the number of entities and
 * views. Rows are decoded by the code the LMDB lookup uses (lookup.c), so
 * statuses, ttl and values are the same on both stores.
 *
 * Redis has no snapshot across keys: the version a lookup reports is the
 * counter read in the same batch, and a write under way may show some of
 * its rows and not others (each row is whole: the script replaces it in
 * one step).
 */
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "rstore.h"
#include "store.h"

/* One HGET's arguments: offsets into `bytes` until the batch is sent. */
typedef struct hget {
  size_t bucket, bucket_len, field, field_len;
} hget;

struct lr__rlookup {
  size_t cap;    /* commands room: groups x max_entities + 1 */
  hget *gets;
  lr__buf bytes;
  const char **argv;
  size_t *argvlen;
  lr__redis_command *cmds;
  lr__redis_answer *answers;
};

void lr__rlookup_free(struct lr__rlookup *rl) {
  if (!rl)
    return;
  lr__buf_free(&rl->bytes);
  free(rl->gets);
  free(rl->argv);
  free(rl->argvlen);
  free(rl->cmds);
  free(rl->answers);
  free(rl);
}

/* The result's state, made at its first lookup. */
static struct lr__rlookup *state(lr_result *res) {
  if (res->redis)
    return res->redis;
  struct lr__rlookup *rl = calloc(1, sizeof *rl);
  if (!rl)
    return NULL;
  rl->cap = (size_t)res->req->n_groups * (size_t)res->max_entities + 1;
  rl->gets = calloc(rl->cap, sizeof *rl->gets);
  rl->argv = calloc(3 * rl->cap, sizeof *rl->argv);
  rl->argvlen = calloc(3 * rl->cap, sizeof *rl->argvlen);
  rl->cmds = calloc(rl->cap, sizeof *rl->cmds);
  rl->answers = calloc(rl->cap, sizeof *rl->answers);
  lr__buf_init(&rl->bytes);
  if (!rl->gets || !rl->argv || !rl->argvlen || !rl->cmds || !rl->answers) {
    lr__rlookup_free(rl);
    return NULL;
  }
  res->redis = rl;
  return rl;
}

/* Notes the HGETs of group g's n entities (their keys just encoded). */
static void add_group(lr_result *res, struct lr__rlookup *rl,
                      const lr__req_group *g, int n, size_t *at) {
  const lr__rstore *rs = res->req->store->redis;
  for (int r = 0; r < n; r++) {
    hget *h = &rl->gets[(*at)++];
    const uint8_t *key = res->keys + (size_t)r * LR__KEY_MAX;
    h->bucket = rl->bytes.len;
    lr__rstore_bucket_key(rs, g->ov->db_name, key, res->key_len[r],
                          &rl->bytes);
    h->bucket_len = rl->bytes.len - h->bucket;
    h->field = rl->bytes.len;
    lr__buf_append(&rl->bytes, key, res->key_len[r]);
    h->field_len = res->key_len[r];
  }
}

/* Points command i at its HGET's arguments. */
static void point(struct lr__rlookup *rl, size_t i, const char *base) {
  static const char hget_name[] = "HGET";
  const hget *h = &rl->gets[i];
  const char **argv = rl->argv + 3 * i;
  size_t *len = rl->argvlen + 3 * i;
  argv[0] = hget_name;
  len[0] = 4;
  argv[1] = base + h->bucket;
  len[1] = h->bucket_len;
  argv[2] = base + h->field;
  len[2] = h->field_len;
  rl->cmds[i] = (lr__redis_command){3, argv, len, argv[1], len[1]};
}

/* Sends the batch (rl->cmds[0 .. n), the version's HGET last). */
static int send(lr_result *res, struct lr__rlookup *rl, size_t n) {
  lr__rstore *rs = res->req->store->redis;
  const char *meta = lr__rstore_meta_key(rs);
  static const char *seq_field = LR__RSTORE_SEQ;
  const char **argv = rl->argv + 3 * n;
  argv[0] = "HGET";
  argv[1] = meta;
  argv[2] = seq_field;
  rl->cmds[n] = (lr__redis_command){3, argv, NULL, meta, strlen(meta)};
  lr__redis_cluster *c = lr__rstore_take(rs, &res->errmsg);
  if (!c)
    return LR_EIO;
  int rc = lr__redis_cluster_batch(c, rl->cmds, n + 1, rl->answers,
                                   &res->errmsg);
  lr__rstore_give(rs, c);
  if (rc == LR_EIO)
    lr__rstore_explain(rs, 0, &res->errmsg);
  return rc;
}

/* Fills every entity of every group from the answers, and the version. */
static int take_answers(lr_result *res, struct lr__rlookup *rl, int n,
                        int64_t now) {
  const lr_request *req = res->req;
  int rc = 0;
  size_t i = 0;
  for (int g = 0; g < req->n_groups; g++)
    for (int r = 0; r < n; r++, i++) {
      const redisReply *reply = rl->answers[i].reply;
      if (rc == 0 && reply->type == REDIS_REPLY_STRING)
        rc = lr__result_fill(res, &req->groups[g], r, reply->str, reply->len,
                             now);
      else if (rc == 0)
        lr__result_set_status(res, &req->groups[g], r, LR_STATUS_NOT_FOUND,
                              0);
    }
  const redisReply *seq = rl->answers[i].reply;
  res->version = (lr_data_version){
      LR__RSTORE_GENERATION,
      seq->type == REDIS_REPLY_STRING ? strtoull(seq->str, NULL, 10) : 0};
  return rc;
}

int lr__lookup_redis(lr_result *res, const lr_value *keys, int n,
                     int64_t now) {
  struct lr__rlookup *rl = state(res);
  if (!rl)
    return LR_ENOMEM;
  const lr_request *req = res->req;
  lr__buf_reset(&rl->bytes);
  size_t at = 0;
  int rc = 0;
  for (int g = 0; rc == 0 && g < req->n_groups; g++) {
    rc = lr__result_encode_keys(res, &req->groups[g], keys, n);
    if (rc == 0)
      add_group(res, rl, &req->groups[g], n, &at);
  }
  if (rc == 0 && lr__buf_failed(&rl->bytes))
    rc = LR_ENOMEM;
  for (size_t i = 0; rc == 0 && i < at; i++)
    point(rl, i, rl->bytes.data);
  if (rc == 0)
    rc = send(res, rl, at);
  if (rc == 0)
    rc = take_answers(res, rl, n, now);
  lr__redis_answers_clear(rl->answers, at + 1);
  return rc;
}

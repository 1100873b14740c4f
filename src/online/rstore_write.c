/*
 * rstore_write.c - rows sent to a Redis store through the write script
 * (see rstore_write.h and rstore_script.c).
 *
 * Every added row's bytes go into one buffer (bucket key, field, row, the
 * expiry as text) and are pointed at only when the batch is sent, since
 * the buffer moves while it grows. A flush orders the rows by slot (on a
 * standalone server all rows are one group), cuts each group into calls
 * of at most CALL_ROWS rows (a script blocks its server while it runs:
 * 512 rows take about a millisecond), and sends every call in one batch of
 * the cluster client. A call refused with NOSCRIPT (a server restarted or
 * failed over since the script was loaded, a node new to the cluster) is
 * sent again, once, as EVAL of the script's text, which caches it there.
 * A call of several buckets whose slot is being migrated (some of its
 * keys moved, some not) is answered TRYAGAIN for as long as the slot
 * moves, past the client's rounds: its rows are sent again one bucket a
 * call, which the source answers or redirects with ASK once.
 */
#include "rstore_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../redis/slot.h"
#include "larder.h"

#define CALL_ROWS 512

/* One row: offsets into the batch's bytes. */
typedef struct wrow {
  size_t bucket, bucket_len, field, field_len, row, row_len, exp, exp_len;
  unsigned slot;
} wrow;

struct lr__rwrite {
  lr__rstore *rs;
  char *db_name;
  long long ttl_ms;
  int replace_ties;
  lr__buf bytes;
  wrow *rows;
  size_t n, cap;
};

lr__rwrite *lr__rwrite_new(lr__rstore *rs, const char *db_name,
                           long long ttl_ms, int replace_ties) {
  lr__rwrite *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->rs = rs;
  b->db_name = strdup(db_name);
  b->ttl_ms = ttl_ms;
  b->replace_ties = replace_ties;
  lr__buf_init(&b->bytes);
  if (!b->db_name) {
    free(b);
    return NULL;
  }
  return b;
}

void lr__rwrite_free(lr__rwrite *b) {
  if (!b)
    return;
  lr__buf_free(&b->bytes);
  free(b->rows);
  free(b->db_name);
  free(b);
}

void lr__rwrite_replace_ties(lr__rwrite *b, int on) { b->replace_ties = on; }

size_t lr__rwrite_pending(const lr__rwrite *b) { return b->n; }

/* When the bucket of a row of event time event_us may expire, in ms: its
 * ttl and the margin after the event; 0 (never) without a ttl. */
static long long expire_at(const lr__rwrite *b, int64_t event_us) {
  if (b->ttl_ms <= 0)
    return 0;
  long long at = event_us / 1000 + b->ttl_ms + lr__rstore_margin_ms(b->rs);
  return at > 0 ? at : 1;
}

void lr__rwrite_add(lr__rwrite *b, const uint8_t *key, size_t key_len,
                    const void *row, size_t len, int64_t event_us) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 256;
    wrow *rows = realloc(b->rows, cap * sizeof *rows);
    if (!rows) {
      b->bytes.failed = 1; /* the flush reports it */
      return;
    }
    b->rows = rows;
    b->cap = cap;
  }
  wrow *w = &b->rows[b->n++];
  w->bucket = b->bytes.len;
  lr__rstore_bucket_key(b->rs, b->db_name, key, key_len, &b->bytes);
  w->bucket_len = b->bytes.len - w->bucket;
  w->slot = lr__rstore_is_cluster(b->rs)
                ? lr__redis_key_slot(b->bytes.data + w->bucket, w->bucket_len)
                : 0; /* a standalone server: any keys in one call */
  w->field = b->bytes.len;
  lr__buf_append(&b->bytes, key, key_len);
  w->field_len = key_len;
  w->row = b->bytes.len;
  lr__buf_append(&b->bytes, row, len);
  w->row_len = len;
  w->exp = b->bytes.len;
  lr__buf_printf(&b->bytes, "%lld", expire_at(b, event_us));
  w->exp_len = b->bytes.len - w->exp;
}

/* ---- sending ------------------------------------------------------------ */

/* One call of the script: rows order[first .. first + n), of n_keys
 * buckets; `split`: sent again bucket by bucket (its redirections ran
 * out), so its own answer does not count. */
typedef struct call {
  size_t first, n, n_keys;
  size_t argv_at, argc;
  int split;
} call;

/* The state of one flush. */
typedef struct sending {
  lr__rwrite *b;
  size_t *order; /* row indexes by slot */
  call *calls;
  size_t n_calls;
  const char **argv;
  size_t *argvlen;
  lr__redis_command *cmds;
  lr__redis_answer *answers;
  char *text; /* "N", the ties flag and the key indexes, as text */
  size_t *key_index; /* per row: its bucket's place in its call's KEYS */
} sending;

/* Rows by slot, then by bucket (so that a call names each of its buckets
 * once, found by looking at the last one only), then in the order they
 * were added (so that of two rows with the very same times, the later one
 * is stored, as on LMDB). */
static int by_slot(const void *x, const void *y, void *ctx) {
  const lr__rwrite *b = ctx;
  size_t i = *(const size_t *)x, j = *(const size_t *)y;
  const wrow *p = &b->rows[i], *q = &b->rows[j];
  if (p->slot != q->slot)
    return p->slot < q->slot ? -1 : 1;
  if (p->bucket_len != q->bucket_len)
    return p->bucket_len < q->bucket_len ? -1 : 1;
  int c = memcmp(b->bytes.data + p->bucket, b->bytes.data + q->bucket,
                 p->bucket_len);
  if (c)
    return c;
  return i < j ? -1 : 1;
}

/* 1 when rows x and y (indexes into b->rows) share a bucket. */
static int same_bucket(const lr__rwrite *b, size_t x, size_t y) {
  const wrow *p = &b->rows[x], *q = &b->rows[y];
  return p->bucket_len == q->bucket_len &&
         !memcmp(b->bytes.data + p->bucket, b->bytes.data + q->bucket,
                 p->bucket_len);
}

/* Cuts the n ordered rows into calls: one slot each (`per_bucket`: one
 * bucket each), CALL_ROWS at most. */
static void plan_calls(sending *s, size_t n, int per_bucket) {
  const lr__rwrite *b = s->b;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && j - i < CALL_ROWS &&
           b->rows[s->order[j]].slot == b->rows[s->order[i]].slot &&
           (!per_bucket || same_bucket(b, s->order[j], s->order[i])))
      j++;
    s->calls[s->n_calls++] = (call){.first = i, .n = j - i};
    i = j;
  }
}

/* Points argv at one argument. */
static void arg(sending *s, size_t *at, const char *p, size_t len) {
  s->argv[*at] = p;
  s->argvlen[*at] = len;
  (*at)++;
}

/* The argv of call `c`: EVALSHA SHA NUMKEYS KEYS... N TIES then 4 per row.
 * A row of the bucket before it (rows come by bucket) reuses its KEYS
 * index. */
static void build_call(sending *s, call *c, size_t *at, char **text) {
  const lr__rwrite *b = s->b;
  const char *base = b->bytes.data;
  c->argv_at = *at;
  arg(s, at, "EVALSHA", 7);
  const char *sha = lr__rstore_script_sha(b->rs);
  arg(s, at, sha, strlen(sha));
  size_t numkeys_at = (*at)++, n_keys = 0;
  for (size_t i = 0; i < c->n; i++) {
    const wrow *w = &b->rows[s->order[c->first + i]];
    size_t k = n_keys ? n_keys - 1 : 0;
    if (n_keys == 0 || s->argvlen[numkeys_at + 1 + k] != w->bucket_len ||
        memcmp(s->argv[numkeys_at + 1 + k], base + w->bucket,
               w->bucket_len) != 0) {
      k = n_keys;
      arg(s, at, base + w->bucket, w->bucket_len);
      n_keys++;
    }
    s->key_index[c->first + i] = k + 1;
  }
  c->n_keys = n_keys;
  int len = sprintf(*text, "%zu", n_keys);
  s->argv[numkeys_at] = *text;
  s->argvlen[numkeys_at] = (size_t)len;
  *text += len + 1;
  len = sprintf(*text, "%zu", c->n);
  arg(s, at, *text, (size_t)len);
  *text += len + 1;
  arg(s, at, b->replace_ties ? "1" : "0", 1);
  for (size_t i = 0; i < c->n; i++) {
    const wrow *w = &b->rows[s->order[c->first + i]];
    len = sprintf(*text, "%zu", s->key_index[c->first + i]);
    arg(s, at, *text, (size_t)len);
    *text += len + 1;
    arg(s, at, base + w->field, w->field_len);
    arg(s, at, base + w->row, w->row_len);
    arg(s, at, base + w->exp, w->exp_len);
  }
  c->argc = *at - c->argv_at;
  lr__redis_command *cmd = &s->cmds[c - s->calls];
  const wrow *first = &b->rows[s->order[c->first]];
  *cmd = (lr__redis_command){(int)c->argc, s->argv + c->argv_at,
                             s->argvlen + c->argv_at, base + first->bucket,
                             first->bucket_len};
}

/* Allocates and builds the calls of `n` of b's rows: `rows` (indexes into
 * b->rows, by slot and bucket, as by_slot orders them), one bucket a call
 * when `per_bucket`; or, `rows` NULL, of all of them, one slot a call. */
static int sending_init(sending *s, lr__rwrite *b, const size_t *rows,
                        size_t n, int per_bucket) {
  *s = (sending){.b = b};
  /* per call 5 (EVALSHA SHA NUMKEYS N TIES), per row a key and 4 */
  size_t max_args = 10 * n + 8;
  s->order = malloc(n * sizeof *s->order);
  s->calls = calloc(n, sizeof *s->calls);
  s->argv = malloc(max_args * sizeof *s->argv);
  s->argvlen = malloc(max_args * sizeof *s->argvlen);
  s->cmds = calloc(n, sizeof *s->cmds);
  s->answers = calloc(n, sizeof *s->answers);
  s->text = malloc(n * 3 * 24 + 64);
  s->key_index = malloc(n * sizeof *s->key_index);
  if (!s->order || !s->calls || !s->argv || !s->argvlen || !s->cmds ||
      !s->answers || !s->text || !s->key_index)
    return LR_ENOMEM;
  for (size_t i = 0; i < n; i++)
    s->order[i] = rows ? rows[i] : i;
  if (!rows)
    qsort_r(s->order, n, sizeof *s->order, by_slot, b);
  plan_calls(s, n, per_bucket);
  size_t at = 0;
  char *text = s->text;
  for (size_t c = 0; c < s->n_calls; c++)
    build_call(s, &s->calls[c], &at, &text);
  return 0;
}

static void sending_free(sending *s) {
  if (s->answers)
    lr__redis_answers_clear(s->answers, s->n_calls);
  free(s->order);
  free(s->calls);
  free(s->argv);
  free(s->argvlen);
  free(s->cmds);
  free(s->answers);
  free(s->text);
  free(s->key_index);
}

/* 1 when call c failed for want of the script on its node. */
static int no_script(const sending *s, size_t c) {
  return s->answers[c].error && strstr(s->answers[c].error, "NOSCRIPT");
}

/* Sends the calls refused with NOSCRIPT again, in one batch, as EVAL of
 * the script's text: EVAL runs on whichever node the call reaches (the
 * node an ASK names during a resharding too, which SCRIPT LOAD routed by
 * the key would miss) and leaves the script cached there. */
static void retry_no_script(sending *s, lr__redis_cluster *cl) {
  size_t n = 0;
  for (size_t c = 0; c < s->n_calls; c++)
    n += (size_t)no_script(s, c);
  size_t *which = n ? malloc(n * sizeof *which) : NULL;
  lr__redis_command *cmds = n ? malloc(n * sizeof *cmds) : NULL;
  lr__redis_answer *answers = n ? calloc(n, sizeof *answers) : NULL;
  if (!which || !cmds || !answers) { /* none, or out of memory: as they are */
    free(which);
    free(cmds);
    free(answers);
    return;
  }
  const char *text = lr__rstore_script_text();
  n = 0;
  for (size_t c = 0; c < s->n_calls; c++) {
    if (!no_script(s, c))
      continue;
    size_t at = s->calls[c].argv_at; /* EVALSHA SHA ... becomes EVAL TEXT */
    s->argv[at] = "EVAL";
    s->argvlen[at] = 4;
    s->argv[at + 1] = text;
    s->argvlen[at + 1] = strlen(text);
    which[n] = c;
    cmds[n++] = s->cmds[c];
  }
  lr__buf ignored;
  lr__buf_init(&ignored);
  lr__redis_cluster_batch(cl, cmds, n, answers, &ignored);
  lr__buf_free(&ignored);
  for (size_t i = 0; i < n; i++) {
    lr__redis_answers_clear(&s->answers[which[i]], 1);
    s->answers[which[i]] = answers[i];
  }
  free(which);
  free(cmds);
  free(answers);
}

/* Sends the calls and those refused NOSCRIPT again. */
static void send_calls(sending *s, lr__redis_cluster *cl) {
  lr__buf ignored;
  lr__buf_init(&ignored);
  lr__redis_cluster_batch(cl, s->cmds, s->n_calls, s->answers, &ignored);
  lr__buf_free(&ignored);
  retry_no_script(s, cl);
}

/* Sends again, one bucket a call, the rows of the calls of several
 * buckets that a slot being migrated kept redirecting past the client's
 * rounds (TRYAGAIN from either node while some of their keys have moved
 * and some not, ASK from the source once none is left there; a call of
 * one key is answered by the source or, after one ASK, by the target),
 * in `again`. Returns 0 or LR_ENOMEM. */
static int split_tryagain(sending *s, sending *again, lr__redis_cluster *cl) {
  size_t n = 0;
  for (size_t c = 0; c < s->n_calls; c++) {
    const char *e = s->answers[c].error;
    s->calls[c].split = e && strstr(e, " was still redirected after ") &&
                        s->calls[c].n_keys > 1;
    n += s->calls[c].split ? s->calls[c].n : 0;
  }
  *again = (sending){.b = s->b};
  if (n == 0)
    return 0;
  size_t *rows = malloc(n * sizeof *rows);
  if (!rows)
    return LR_ENOMEM;
  n = 0;
  for (size_t c = 0; c < s->n_calls; c++)
    for (size_t i = 0; s->calls[c].split && i < s->calls[c].n; i++)
      rows[n++] = s->order[s->calls[c].first + i];
  int rc = sending_init(again, s->b, rows, n, 1);
  free(rows);
  if (rc == 0)
    send_calls(again, cl);
  return rc;
}

/* Counts the verdicts of the calls that answered (not those sent again
 * split); the first failure's message goes to `err` unless it has one.
 * Returns how many calls failed. */
static size_t count_verdicts(const sending *s, lr__rwrite_counts *counts,
                             lr__buf *err) {
  size_t failed = 0;
  for (size_t c = 0; c < s->n_calls; c++) {
    const lr__redis_answer *a = &s->answers[c];
    const redisReply *r = a->reply;
    if (s->calls[c].split)
      continue;
    if (!r || r->type != REDIS_REPLY_STRING || r->len != s->calls[c].n) {
      if (!failed++ && err->len == 0)
        lr__buf_printf(err, "%s", a->error ? a->error
                                           : "the write script gave a reply "
                                             "of another shape");
      continue;
    }
    for (size_t i = 0; i < r->len; i++) {
      if (r->str[i] == '0')
        counts->skipped++;
      else
        counts->stored++;
      counts->changed += r->str[i] == '1';
    }
  }
  return failed;
}

int lr__rwrite_flush(lr__rwrite *b, lr__redis_cluster *cl,
                     lr__rwrite_counts *counts, lr__buf *err) {
  *counts = (lr__rwrite_counts){0, 0, 0};
  if (b->n == 0)
    return 0;
  if (lr__buf_failed(&b->bytes))
    return lr__errmsg_set(err, LR_ENOMEM, "out of memory gathering rows");
  sending s, again = {0};
  int rc = sending_init(&s, b, NULL, b->n, 0);
  if (rc == 0) {
    send_calls(&s, cl);
    rc = split_tryagain(&s, &again, cl);
  }
  size_t n_rows = b->n;
  if (rc == 0) {
    lr__buf why;
    lr__buf_init(&why);
    size_t failed = count_verdicts(&s, counts, &why);
    failed += count_verdicts(&again, counts, &why);
    unsigned long long done = counts->stored + counts->skipped;
    if (failed) {
      lr__rstore_explain(b->rs, 1, &why);
      rc = lr__errmsg_set(err, LR_EIO, "%llu of %zu rows were stored into "
                          "%s (the other %llu may or may not be): %s", done,
                          n_rows, lr__rstore_where(b->rs),
                          (unsigned long long)n_rows - done,
                          lr__buf_str(&why));
    }
    lr__buf_free(&why);
  } else {
    lr__errmsg_set(err, rc, "out of memory sending rows");
  }
  sending_free(&s);
  sending_free(&again);
  b->n = 0;
  lr__buf_reset(&b->bytes);
  return rc;
}

/*
 * checkstats.c - the per-view records of what the checks did (see
 * checkstats.h).
 */
#include "checkstats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The record's key: "checks:" and the view's name. */
static MDB_val record_key(const char *view, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "checks:%s", view);
  return (MDB_val){(size_t)n < cap ? (size_t)n : cap - 1, buf};
}

typedef lr__checkstats counts;

/* Reads a record's text (unknown lines are skipped). */
static void parse(const char *text, size_t len, counts *c) {
  memset(c, 0, sizeof *c);
  c->present = len > 0;
  char *copy = strndup(text, len);
  char *save = NULL;
  for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    struct lr__rule_counts *r = &c->rules[c->n_rules];
    if (sscanf(line, "batches_rejected %llu", &c->rejected) == 1 ||
        sscanf(line, "rows_quarantined %llu", &c->quarantined) == 1)
      continue;
    if (c->n_rules < 64 &&
        sscanf(line, "rule %127s %llu %llu", r->name, &r->passed,
               &r->failed) == 3)
      c->n_rules++;
  }
  free(copy);
}

/* Adds runner cr's counts to c. */
static void add(counts *c, const lr__checkrun *cr) {
  for (int k = 0; k < lr__checkrun_rules(cr); k++) {
    const char *name;
    unsigned long long checked, failed;
    int passed;
    lr__checkrun_rule_counts(cr, k, &name, &checked, &failed, &passed);
    int i = 0;
    while (i < c->n_rules && strcmp(c->rules[i].name, name) != 0)
      i++;
    if (i == c->n_rules) {
      if (i == 64 || strlen(name) >= sizeof c->rules[i].name)
        continue;
      snprintf(c->rules[i].name, sizeof c->rules[i].name, "%s", name);
      c->n_rules++;
    }
    c->rules[i].passed += checked - failed;
    c->rules[i].failed += failed;
  }
}

static void render(const counts *c, lr__buf *out) {
  lr__buf_printf(out, "batches_rejected %llu\nrows_quarantined %llu\n",
                 c->rejected, c->quarantined);
  for (int i = 0; i < c->n_rules; i++)
    lr__buf_printf(out, "rule %s %llu %llu\n", c->rules[i].name,
                   c->rules[i].passed, c->rules[i].failed);
}

void lr__checkstats_key(const char *view, char *buf, size_t cap) {
  record_key(view, buf, cap);
}

int lr__checkstats_update(const char *old, size_t old_len,
                          const lr__checkrun *cr,
                          unsigned long long quarantined, int refused,
                          lr__buf *out) {
  counts *c = malloc(sizeof *c);
  if (!c)
    return LR_ENOMEM;
  parse(old ? old : "", old ? old_len : 0, c);
  add(c, cr);
  c->rejected += (unsigned long long)refused;
  c->quarantined += quarantined;
  render(c, out);
  free(c);
  return lr__buf_failed(out) ? LR_ENOMEM : 0;
}

/* Adds to the record in txn; `refused` counts one more refused batch. */
static int note(MDB_txn *txn, MDB_dbi meta, const char *view,
                const lr__checkrun *cr, unsigned long long quarantined,
                int refused) {
  char buf[600];
  MDB_val k = record_key(view, buf, sizeof buf), v;
  int mrc = mdb_get(txn, meta, &k, &v);
  if (mrc && mrc != MDB_NOTFOUND)
    return mrc;
  lr__buf text;
  lr__buf_init(&text);
  int rc = lr__checkstats_update(mrc ? NULL : v.mv_data, mrc ? 0 : v.mv_size,
                                 cr, quarantined, refused, &text);
  v = (MDB_val){text.len, text.data};
  mrc = rc ? ENOMEM : mdb_put(txn, meta, &k, &v, 0);
  lr__buf_free(&text);
  return mrc;
}

int lr__checkstats_note(MDB_txn *txn, MDB_dbi meta, const char *view,
                        const lr__checkrun *cr,
                        unsigned long long quarantined) {
  return note(txn, meta, view, cr, quarantined, 0);
}

int lr__checkstats_note_refused(lr_store *store, const char *view,
                                const lr__checkrun *cr) {
  const char *names[1] = {LR__META_DB};
  MDB_dbi dbi;
  lr__env *env;
  MDB_txn *txn;
  lr__buf err;
  lr__buf_init(&err);
  int rc = lr__store_write_begin(store, names, 1, &dbi, &env, &txn, &err);
  lr__buf_free(&err);
  if (rc)
    return rc;
  int mrc = note(txn, dbi, view, cr, 0, 1);
  if (mrc)
    mdb_txn_abort(txn);
  else
    mrc = mdb_txn_commit(txn);
  lr__env_release(env);
  return mrc ? LR_EIO : 0;
}

int lr__store_checkstats(lr_store *store, const char *view,
                         lr__checkstats *out) {
  char buf[600];
  MDB_val k = record_key(view, buf, sizeof buf);
  lr__buf text;
  lr__buf_init(&text);
  int rc = lr__store_meta_read(store, k.mv_data, &text);
  parse(rc == 0 ? text.data : "", rc == 0 ? text.len : 0, out);
  lr__buf_free(&text);
  return rc == LR_ENOTFOUND ? 0 : rc;
}

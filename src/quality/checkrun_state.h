/*
 * checkrun_state.h - the insides of a check runner (checkrun.h), shared by
 * the files that make one: checkrun.c compiles the rules and tests rows,
 * checkbatch.c keeps what spans batches (dropped rows, unique, groups)
 * and gives the verdict, checkreport.c renders the report.
 */
#ifndef LR_QUALITY_CHECKRUN_STATE_H
#define LR_QUALITY_CHECKRUN_STATE_H

#include <stdint.h>

#include "../transform/expr.h"
#include "../util/regex.h"
#include "checkrun.h"

enum { LR__CHECK_MAX_KEYS = 16, LR__CHECK_MAX_SAMPLES = 20 };

/* A value a rule compares with, read once from its text. */
typedef struct rule_value {
  int is_null;
  long double num; /* numbers: exact for every int64, and for doubles */
  int b;
  const char *str;
  size_t len;
} rule_value;

/* 128-bit hashes of rows, for unique: an open-addressing set. */
typedef struct hash_set {
  uint64_t *slots; /* pairs; (0, 0) is empty */
  size_t cap, used;
  int has_zero;    /* the hash (0, 0) itself was added */
} hash_set;

/* What a unique rule keeps across the batches (checkbatch.c). */
typedef struct unique_run {
  hash_set set;
  int per_group;      /* its columns hold every join key */
  int *col;           /* its columns in the batch under way */
  uint64_t *hashes;   /* outside groups: the batch's row hashes */
  size_t hashes_cap;
  lr__buf entity;     /* in a group: the entity the set holds */
} unique_run;

/* One rule, compiled, and its counts over the transaction. */
typedef struct rule_run {
  const lr__check *c;
  int feature;        /* index in the view's features; -1 */
  uint8_t dtype;      /* the feature's */
  int col;            /* the feature's column in the batch under way */
  rule_value *values; /* between: [low, high]; in: the list */
  int n_values;
  lr__regex *re;      /* matches */
  lr__prog *prog;     /* expr: over the view's features, to bool */
  lr__eval *eval;     /* for EXPR_ROWS rows (checkrun.c) */
  int *input_col;     /* expr: per program input, its column in the batch */
  int *input_feature; /* expr: per program input, its feature */
  int n_inputs;
  unique_run *u;      /* unique */
  unsigned long long checked, failed;
  int passed;         /* after finish */
  lr__buf detail;     /* batch rules: what was measured ("1200 rows") */
  int n_samples;
  lr__buf samples;    /* JSON objects, comma separated */
  lr__buf samples_text; /* one "  key: value" line each */
} rule_run;


/* The newest times of one entity's rows, by their fate (grouped mode). */
typedef struct group_times {
  int has_key;
  int any_kept, any_dropped;
  int64_t kept_event, kept_created, dropped_event, dropped_created;
} group_times;

struct lr__checkrun {
  const lr__model *m;
  const lr__view *v;
  rule_run *rules;
  int n_rules;
  /* The batch under way */
  const char *key_names[LR__CHECK_MAX_KEYS];
  int n_keys;
  int key_col[LR__CHECK_MAX_KEYS];
  int event_col, created_col;
  uint8_t *fail;     /* n_rules x batch rows: 1 when rule k fails row r */
  size_t fail_cap;
  uint8_t *fate;     /* per batch row: stored, nulled or dropped */
  size_t fate_cap;
  size_t batch_n;    /* the rows of the batch under way */
  lr__buf row_key;    /* grouped: the row's entity key, encoded */
  lr__buf group_key;  /* the key of the group under way */
  lr__buf scratch;    /* a row's unique columns, encoded */
  lr_column *kept_cols;
  lr_value *kept_values;
  size_t kept_cap;
  int kept_ncols;
  /* Over the transaction */
  unsigned long long rows, dropped, nulled, failed_any;
  int64_t max_event;
  int any_event;
  int grouped;
  int report_only;
  group_times group;
  unsigned long long newest_failed_older_kept, newest_failed_none_kept;
  /* The dropped rows, copied: columns named as the first batch's */
  int drop_ncols;
  const char **drop_names;
  lr_value *drop_values;    /* drop_ncols x drop_cap, column-major */
  lr_value *drop_rules;     /* per row: the rules it failed (strings) */
  size_t drop_cap;
  lr__buf drop_bytes;       /* the strings and arrays of dropped rows */
  lr_column *drop_cols;     /* built by lr__checkrun_dropped */
  char *quarantine;         /* the file the dropped rows went to */
  int finished, rejected;
  lr__buf verdict;          /* why the batch was refused */
};

/* checkbatch.c: the cross-batch bookkeeping of one batch's row r. */
int lr__checkrun_keep_dropped(lr__checkrun *cr, const lr_column *cols,
                              int n_cols, size_t r);
void lr__checkrun_group_row(lr__checkrun *cr, const lr_column *cols,
                            size_t r, int dropped);
int lr__checkrun_unique_row(lr__checkrun *cr, const lr_column *cols,
                            size_t r);
/* A unique rule's state, made with the runner and freed with it. */
int lr__unique_open(const lr__checkrun *cr, rule_run *rr);
void lr__unique_free(rule_run *rr);
void lr__checkrun_group_end(lr__checkrun *cr);
/* Grouped mode: row r's entity key, encoded, into cr->row_key, first. */
void lr__checkrun_key_bytes(lr__checkrun *cr, const lr_column *cols,
                            size_t r);
void lr__checkrun_batch_free(lr__checkrun *cr);

/* checkreport.c: a sample of rule k failing at row r (its keys and the
 * value tested). */
void lr__checkrun_sample(lr__checkrun *cr, rule_run *rr, const lr_column *cols,
                         size_t r);

#endif

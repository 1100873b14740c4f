/*
 * profile_data.h - a saved profile as data: its statistics and bins per
 * feature, read from and written as JSON (profile_json.c), and where
 * saved profiles and drift runs live. No DuckDB: the server's UI reads
 * profiles through this header alone; computing one is profile.h's.
 */
#ifndef LR_OFFLINE_PROFILE_DATA_H
#define LR_OFFLINE_PROFILE_DATA_H

#include <stdint.h>

#include "../util/buf.h"

/* How a feature is profiled, by its dtype. */
typedef enum {
  LR__PK_NUMBER = 1, /* int32, int64, float32, float64 */
  LR__PK_CATEGORY,   /* string, bool: counted by value */
  LR__PK_LENGTH,     /* arrays and bytes: the numbers are their lengths */
  LR__PK_TIME        /* timestamps: min and max only */
} lr__profile_kind;

enum {
  LR__PCT = 101,          /* the percentiles kept: 0, 1, ..., 100 */
  LR__TOP_SHOWN = 10,     /* the most frequent values a report shows */
  LR__CATEGORIES = 100,   /* those a profile keeps, its categorical bins */
  LR__MAX_EDGES = 9,      /* the deciles: numeric bins are edges + 1 */
  LR__N_SHOWN = 7         /* the percentiles a report shows */
};

/* Those percentiles: p01 p05 p25 p50 p75 p95 p99. */
extern const int lr__pct_shown[LR__N_SHOWN];

/* A value and how many rows hold it. */
typedef struct lr__category {
  char *value;
  unsigned long long count;
} lr__category;

/* One feature's statistics and bins. */
typedef struct lr__fprofile {
  char *name;
  uint8_t dtype;
  lr__profile_kind kind;
  unsigned long long count;  /* non-null values (NaN counts) */
  unsigned long long nulls;
  unsigned long long nan, pos_inf, neg_inf;
  int has_moments;           /* some finite value (NUMBER, LENGTH) */
  double min, max, mean, stddev; /* stddev NaN for a single value */
  double pct[LR__PCT];       /* with has_moments */
  char *time_min, *time_max; /* TIME, as DuckDB writes them; may be NULL */
  unsigned long long distinct; /* CATEGORY */
  lr__category *categories;  /* CATEGORY: the most frequent first */
  int n_categories;
  /* the bins (has_bins): NUMBER: value <= edges[0], ... , > edges[last],
   * then null (and NaN); CATEGORY: each category, other, null */
  int has_bins;
  double edges[LR__MAX_EDGES];
  int n_edges;
  unsigned long long *bin_counts; /* n_bins */
  int n_bins;
} lr__fprofile;

/* A sample's profile. */
typedef struct lr__profile {
  char *view;
  unsigned long long rows;
  char *ts_min, *ts_max;     /* the event-time range; NULL when no rows */
  int exact;
  lr__fprofile *features;
  int n_features;
} lr__profile;

void lr__profile_free(lr__profile *p);

/* The kind a dtype is profiled as. */
lr__profile_kind lr__profile_kind_of(uint8_t dtype);

/* Appends statistic v of a feature of dtype `dtype`: a float32 feature's
 * value that is a float32 as the shortest float32 text (0.1, not
 * 0.10000000149011612), others shortest round-trip as doubles; JSON
 * writes NaN as "NaN", text as "-". */
void lr__profile_put_stat(lr__buf *out, double v, uint8_t dtype, int json);

/* Appends p as JSON (the saved profile's format, docs/repo-format.md). */
void lr__profile_json(const lr__profile *p, lr__buf *out);

/* Reads a profile saved as JSON `text` (of `path`, for messages) into p.
 * Returns 0, or LR_ECORRUPT (errmsg says where). */
int lr__profile_parse(const char *text, size_t len, const char *path,
                      lr__buf *errmsg, lr__profile *p);

/* The path of `kind`'s file `name` of view `view` in the repo:
 * REPO/data/KIND/VIEW/NAME.json (kind "profiles" or "drift"). */
void lr__quality_path(const char *repo, const char *kind, const char *view,
                      const char *name, lr__buf *out);

/* Checks `name` (a profile's or a run's: a letter or digit, then letters,
 * digits, '_', '-' or '.'); returns 0 or LR_EINVAL with errmsg set. */
int lr__quality_name_check(lr__buf *errmsg, const char *what,
                           const char *name);

#endif

/*
 * helpers.h - small helpers shared by the Criterion suites: scratch folders
 * and files, memory kept for teardown, a seeded generator. Every test case
 * has a stable id in its name (e.g. reg_017_...) so a failure can be
 * referred to across renames of the text.
 */
#ifndef LR_TESTS_HELPERS_H
#define LR_TESTS_HELPERS_H

#include <stdint.h>

#include <criterion/criterion.h>
#include <libgen.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "larder.h"

/* A fresh folder under /tmp; the caller removes it with th_rmrf(). */
static inline char *th_tempdir(void) {
  char *dir = strdup("/tmp/larder-test-XXXXXX");
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
  return dir;
}

static inline void th_mkdirs(const char *path) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Writes `content` to dir/rel, creating folders on the way. */
static inline void th_write(const char *dir, const char *rel,
                            const char *content) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  char *copy = strdup(path);
  th_mkdirs(dirname(copy));
  free(copy);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs(content, f);
  fclose(f);
}

/* Reads dir/rel into a heap string (caller frees); NULL when missing. */
static inline char *th_read(const char *dir, const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

static inline void th_rmrf(char *dir) {
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  cr_assert_eq(system(cmd), 0);
  free(dir);
}

/* Switches the calling test process (Criterion runs each test in a child
 * process of its own) to de_DE.UTF-8, a locale that writes a decimal comma,
 * so a test can show that parsing and formatting ignore the locale. The
 * locale is compiled once with localedef (Debian's `locales`, which
 * scripts/deps.sh installs) into build/locale/, found through LOCPATH: no
 * root, no change to the host's locales. Fails the test when it cannot. */
static inline void th_use_decimal_comma_locale(void) {
  const char *dir = "build/locale";
  char path[256], cmd[512];
  snprintf(path, sizeof path, "%s/de_DE.UTF-8/LC_NUMERIC", dir);
  if (access(path, R_OK) != 0) {
    snprintf(cmd, sizeof cmd, "mkdir -p %s && localedef -i de_DE -f UTF-8 "
             "%s/de_DE.UTF-8 >/dev/null 2>&1", dir, dir);
    (void)system(cmd); /* localedef warns and exits 1 on harmless things */
  }
  setenv("LOCPATH", dir, 1);
  cr_assert_not_null(setlocale(LC_ALL, "de_DE.UTF-8"),
                     "no de_DE.UTF-8 locale: install Debian's `locales` "
                     "(scripts/deps.sh does)");
  char text[16];
  snprintf(text, sizeof text, "%.1f", 0.5);
  cr_assert_str_eq(text, "0,5", "the locale should write a decimal comma");
}

/* Memory a failed assertion would leak (it leaves the test at once): a
 * suite keeps it with th_keep() and frees it with th_release(); its
 * teardown calls th_free_kept(), so the ASan build stays leak-free even
 * when a test fails. Main thread only. */
enum { TH_MAX_KEPT = 256 };

static inline void **th_kept(void) {
  static void *slots[TH_MAX_KEPT];
  return slots;
}

/* Keeps `p` (NULL is allowed) and returns it. */
static inline void *th_keep(void *p) {
  void **kept = th_kept();
  for (int i = 0; p && i < TH_MAX_KEPT; i++)
    if (!kept[i]) {
      kept[i] = p;
      break;
    }
  return p;
}

/* Frees `p`, kept or not. */
static inline void th_release(void *p) {
  void **kept = th_kept();
  for (int i = 0; p && i < TH_MAX_KEPT; i++)
    if (kept[i] == p) {
      kept[i] = NULL;
      break;
    }
  free(p);
}

static inline void th_free_kept(void) {
  void **kept = th_kept();
  for (int i = 0; i < TH_MAX_KEPT; i++) {
    free(kept[i]);
    kept[i] = NULL;
  }
}

/* One int64 entity `user` (user_id) and one file source `src`
 * (data/x.csv), then the heading of the views, which follow. */
#define TH_USER_SOURCE                                                         \
  "entities:\n"                                                                \
  "  - name: user\n"                                                           \
  "    join_keys: [user_id]\n"                                                 \
  "    value_type: int64\n"                                                    \
  "sources:\n"                                                                 \
  "  - name: src\n"                                                            \
  "    kind: file\n"                                                           \
  "    path: data/x.csv\n"                                                     \
  "    timestamp_field: event_timestamp\n"                                     \
  "feature_views:\n"

/* The int64 entity `user` (user_id) and the CSV source `events`
 * (data/events.csv: event times in `ts`, created times in `created`):
 * the start of the definitions of the push and skew suites, which may add
 * to the source (field_mapping) or list more sources after it. */
#define TH_EVENTS_SOURCE                                                       \
  "entities:\n"                                                                \
  "  - {name: user, join_keys: [user_id], value_type: int64}\n"                \
  "sources:\n"                                                                 \
  "  - name: events\n"                                                         \
  "    kind: file\n"                                                           \
  "    path: data/events.csv\n"                                                \
  "    timestamp_field: ts\n"                                                  \
  "    created_timestamp_column: created\n"

/* TH_USER_SOURCE and one view `stats` of one int64 feature `a`: the store
 * the generation, snapshot and replication suites write to. */
#define TH_STATS_DEFS                                                          \
  TH_USER_SOURCE                                                               \
  "  - name: stats\n"                                                          \
  "    entities: [user]\n"                                                     \
  "    source: src\n"                                                          \
  "    schema:\n"                                                              \
  "      - {name: a, dtype: int64}\n"

/* Writes user_ids [first, first + n) into TH_STATS_DEFS's view `stats`
 * with a = user_id + delta at event time `at` (µs), in one transaction.
 * Returns lr_write_rows' status (no assertion: children call it too). */
static inline int th_put_stats(lr_store *s, long long first, int n,
                               long long delta, long long at) {
  lr_value *uid = calloc((size_t)n + 1, sizeof *uid);
  lr_value *ev = calloc((size_t)n + 1, sizeof *ev);
  lr_value *a = calloc((size_t)n + 1, sizeof *a);
  for (int i = 0; uid && ev && a && i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i + delta};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a}};
  int rc = uid && ev && a ? lr_write_rows(s, "stats", cols, 3, (size_t)n, NULL)
                          : LR_ENOMEM;
  free(uid);
  free(ev);
  free(a);
  return rc;
}

/* Writes `config` as DIR/feature_store.yaml and `defs` as defs.yaml
 * (sources may read data/x.csv, which is made empty), then applies. */
static inline void th_apply_repo(const char *dir, const char *config,
                                 const char *defs) {
  th_write(dir, "feature_store.yaml", config);
  th_write(dir, "data/x.csv", "");
  th_write(dir, "defs.yaml", defs);
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0, "%s", lr_repo_errmsg(repo));
  char *plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), 0, "%s", lr_repo_errmsg(repo));
  lr_free(plan);
  lr_repo_close(repo);
}

/* A fresh repo under /tmp holding `defs`, applied (th_apply_repo). The
 * caller removes it with th_rmrf(). */
static inline char *th_applied_repo(const char *defs) {
  char *dir = th_tempdir();
  th_apply_repo(dir, "project: t\n", defs);
  return dir;
}

/* The feature_store.yaml most tests use. */
#define TH_CONFIG "project: test_project\n"

/* A seeded generator (xorshift64*) for random test data that reproduces:
 * each suite keeps its own state. */
static inline uint64_t th_random(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return *state * 2685821657736338717ull;
}

/* The writes of the newer-wins tests, run at once by `writers` threads
 * (test_threads.c) or processes (test_online.c): round r of writer w
 * writes value th_sched_value(w, r) to each key k in 0..keys-1 that
 * th_sched_writes() picks, at th_sched_second(w, r) seconds after the
 * test's base time. No two writes share an event time; the times grow
 * with the rounds but are shuffled within each block of 8 writes, so
 * writers that run at their own pace both store rows and have rows
 * refused as older, and each key has one right end state whatever the
 * interleaving: the value of its newest write (th_sched_expect). */
typedef struct th_sched {
  int writers, rounds, keys;
} th_sched;

static inline int th_sched_writes(int w, int r, int k) {
  return (k * 3 + r + w) % 4 != 0;
}

/* The write's number (round-major), its place in its block of 8 shuffled
 * (5 is prime to 8). */
static inline long long th_sched_second(const th_sched *s, int w, int r) {
  long long i = (long long)r * s->writers + w;
  return i - i % 8 + i % 8 * 5 % 8;
}

static inline long long th_sched_value(int w, int r) {
  return (long long)w * 1000 + r;
}

/* The newest write of key k among the first done[w] rounds of each writer
 * w: its value, its second in *second; -1 when none wrote k. */
static inline long long th_sched_expect(const th_sched *s, int k,
                                        const int *done, long long *second) {
  long long best = -1, value = -1;
  for (int w = 0; w < s->writers; w++)
    for (int r = 0; r < done[w]; r++)
      if (th_sched_writes(w, r, k) && th_sched_second(s, w, r) > best) {
        best = th_sched_second(s, w, r);
        value = th_sched_value(w, r);
      }
  if (second)
    *second = best;
  return value;
}

#endif

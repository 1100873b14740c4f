/*
 * fuzz.h - what the libFuzzer harnesses share: scratch folders (in
 * /dev/shm when there is one, so a harness that writes files or the store
 * stays fast), writing an input to a file, and the fixture repo the
 * store-backed harnesses (ingest, server) run against, built and applied
 * once in LLVMFuzzerInitialize and removed at exit.
 *
 * A harness aborts when its fixture cannot be made: that is a broken
 * build, not a finding.
 */
#ifndef LR_TESTS_FUZZ_H
#define LR_TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "larder.h"

/* The definitions of the fixture repo: every dtype, int64, string and
 * composite keys, a push source, an on-demand view and a service. */
#define FZ_DEFS                                                             \
  "entities:\n"                                                             \
  "  - {name: user, join_keys: [user_id], value_type: int64}\n"             \
  "  - {name: item, join_keys: [item_id], value_type: string}\n"            \
  "sources:\n"                                                              \
  "  - {name: src, kind: file, path: data/x.csv,\n"                         \
  "     timestamp_field: event_timestamp}\n"                                \
  "  - {name: pushed, kind: push, batch_source: src}\n"                    \
  "request_sources:\n"                                                      \
  "  - name: req\n"                                                         \
  "    schema: [{name: val, dtype: int64}]\n"                               \
  "feature_views:\n"                                                        \
  "  - name: all_types\n"                                                   \
  "    entities: [user]\n"                                                  \
  "    source: src\n"                                                       \
  "    schema:\n"                                                           \
  "      - {name: f_bool, dtype: bool}\n"                                   \
  "      - {name: f_i32, dtype: int32}\n"                                   \
  "      - {name: f_i64, dtype: int64}\n"                                   \
  "      - {name: f_f32, dtype: float32}\n"                                 \
  "      - {name: f_f64, dtype: float64}\n"                                 \
  "      - {name: f_str, dtype: string}\n"                                  \
  "      - {name: f_bytes, dtype: bytes}\n"                                 \
  "      - {name: f_ts, dtype: timestamp}\n"                                \
  "      - {name: f_af32, dtype: array<float32>}\n"                         \
  "      - {name: f_ai64, dtype: array<int64>}\n"                           \
  "      - {name: f_astr, dtype: array<string>}\n"                          \
  "  - name: user_item\n"                                                   \
  "    entities: [user, item]\n"                                            \
  "    source: pushed\n"                                                    \
  "    ttl: 1h\n"                                                           \
  "    schema:\n"                                                           \
  "      - {name: score, dtype: float32}\n"                                 \
  "      - {name: title, dtype: string}\n"                                  \
  "on_demand_feature_views:\n"                                              \
  "  - name: odfv\n"                                                        \
  "    sources: [all_types, req]\n"                                         \
  "    schema:\n"                                                           \
  "      - {name: plus, dtype: int64, expr: \"f_i64 + val\"}\n"             \
  "      - {name: label, dtype: string,\n"                                  \
  "         expr: \"concat(upper(f_str), cast(f_i32, string))\"}\n"      \
  "feature_services:\n"                                                     \
  "  - name: svc\n"                                                         \
  "    features:\n"                                                         \
  "      - all_types: [f_i64, f_str]\n"                                     \
  "      - odfv\n"

static char fz_dir[64];

static inline void fz_die(const char *what) {
  fprintf(stderr, "fuzz fixture: %s\n", what);
  abort();
}

static inline void fz_remove_dir(void) {
  if (!fz_dir[0])
    return;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", fz_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "fuzz fixture: could not remove %s\n", fz_dir);
}

/* The harness's scratch folder, made on first use, removed at exit. */
static inline const char *fz_scratch(void) {
  if (fz_dir[0])
    return fz_dir;
  const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(fz_dir, sizeof fz_dir, "%s/larder-fuzz-XXXXXX", base);
  if (!mkdtemp(fz_dir))
    fz_die("mkdtemp failed");
  atexit(fz_remove_dir);
  return fz_dir;
}

/* Writes `len` bytes to scratch/rel (rel's one folder made first);
 * returns the path, in a static buffer. */
static inline const char *fz_write(const char *rel, const void *data,
                                   size_t len) {
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", fz_scratch(), rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  mkdir(path, 0755);
  *slash = '/';
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
    fz_die("cannot write a scratch file");
  return path;
}

/* Builds the fixture repo in the scratch folder and applies it. */
static inline const char *fz_fixture_repo(void) {
  const char *dir = fz_scratch();
  fz_write("feature_store.yaml", "project: fuzz\n", 14);
  fz_write("data/x.csv", "", 0);
  fz_write("defs.yaml", FZ_DEFS, strlen(FZ_DEFS));
  lr_repo *repo = NULL;
  char *plan = NULL;
  if (lr_repo_open(dir, &repo) || lr_repo_apply(repo, 0, &plan)) {
    fprintf(stderr, "%s\n", lr_repo_errmsg(repo));
    fz_die("cannot apply the fixture repo");
  }
  lr_free(plan);
  lr_repo_close(repo);
  return dir;
}

#endif

/*
 * registry_open.c - how long a serving process takes to open the registry:
 * a generated repo of 100 feature views x 20 features is applied once, then
 * lr_registry_open + lr_registry_close run many times and the latency
 * distribution is printed. Goal (issue 2): under 1 ms.
 *
 *   registry_open [VIEWS] [FEATURES] [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "larder.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void write_repo(const char *dir, int views, int features) {
  char path[4096];
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs("project: bench\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/data", dir);
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && touch '%s/stats.csv'", path, path);
  if (system(cmd) != 0)
    exit(1);
  snprintf(path, sizeof path, "%s/features.yaml", dir);
  f = fopen(path, "w");
  fputs("entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n  - {name: stats, kind: file, path: data/stats.csv, "
        "timestamp_field: ts}\nfeature_views:\n", f);
  for (int v = 0; v < views; v++) {
    fprintf(f, "  - name: view_%03d\n    entities: [user]\n    source: stats\n"
               "    ttl: 1d\n    schema:\n", v);
    for (int k = 0; k < features; k++)
      fprintf(f, "      - {name: f_%02d, dtype: float32}\n", k);
  }
  fclose(f);
}

int main(int argc, char **argv) {
  int views = argc > 1 ? atoi(argv[1]) : 100;
  int features = argc > 2 ? atoi(argv[2]) : 20;
  int runs = argc > 3 ? atoi(argv[3]) : 2000;
  char dir[] = "/tmp/larder-bench-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  write_repo(dir, views, features);
  lr_repo *repo;
  int rc = lr_repo_open(dir, &repo);
  if (rc == 0)
    rc = lr_repo_apply(repo, 0, NULL);
  if (rc != 0) {
    fprintf(stderr, "apply failed: %s\n", lr_repo_errmsg(repo));
    return 1;
  }
  lr_repo_close(repo);
  double *us = malloc((size_t)runs * sizeof *us);
  for (int i = 0; i < runs; i++) {
    double t0 = now_us();
    lr_registry *reg;
    if (lr_registry_open(dir, &reg) != 0) {
      fprintf(stderr, "open failed: %s\n", lr_registry_errmsg(reg));
      return 1;
    }
    lr_registry_close(reg);
    us[i] = now_us() - t0;
  }
  qsort(us, (size_t)runs, sizeof *us, compare_doubles);
  printf("registry_open views=%d features=%d runs=%d p50_us=%.1f p99_us=%.1f "
         "max_us=%.1f\n", views, features, runs, us[runs / 2],
         us[runs * 99 / 100], us[runs - 1]);
  free(us);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}

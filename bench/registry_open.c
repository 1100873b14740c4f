/*
 * registry_open.c - how long a serving process takes to open the registry:
 * a generated repo of 100 feature views x 20 features is applied once, then
 * lr_registry_open + lr_registry_close run many times; prints the report
 * row `registry_open` (common.h). Goal (issue 2): under 1 ms.
 *
 *   registry_open [VIEWS] [FEATURES] [RUNS]
 */
#include <unistd.h>

#include "common.h"
#include "larder.h"

static void write_repo(const char *dir, int views, int features) {
  char path[4096];
  snprintf(path, sizeof path, "%s/feature_store.yaml", dir);
  FILE *f = fopen(path, "w");
  fputs("project: bench\n", f);
  fclose(f);
  snprintf(path, sizeof path, "%s/data", dir);
  char cmd[8300];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && touch '%s/stats.csv'", path,
           path);
  if (system(cmd) != 0)
    exit(1);
  snprintf(path, sizeof path, "%s/features.yaml", dir);
  f = fopen(path, "w");
  fputs("entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\n"
        "sources:\n  - {name: stats, kind: file, path: data/stats.csv, "
        "timestamp_field: ts}\nfeature_views:\n",
        f);
  for (int v = 0; v < views; v++) {
    fprintf(f,
            "  - name: view_%03d\n    entities: [user]\n    source: stats\n"
            "    ttl: 1d\n    schema:\n",
            v);
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
  latency *h = calloc(1, sizeof *h);
  double total = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = bench_now_ns();
    lr_registry *reg;
    if (lr_registry_open(dir, &reg) != 0)
      bench_die("registry_open", "open", lr_registry_errmsg(reg));
    lr_registry_close(reg);
    double ns = bench_now_ns() - t0;
    total += ns;
    latency_record(h, (unsigned long long)ns);
  }
  char params[64];
  snprintf(params, sizeof params, "views=%d features=%d", views, features);
  bench_row("registry_open", "larder", params, runs / (total / 1e9), "opens/s",
            h);
  free(h);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : 1;
}

/*
 * yaml.c - fuzzes the definitions loader (src/registry/load.c over
 * yaml.c's libfyaml layer) and the checks after it: each input is the
 * repo's one definitions file, which lr_repo_open and lr_repo_plan read,
 * validate and plan against the (empty) registry. A refusal must carry a
 * message.
 *
 * libfyaml 0.7.12 leaks the record of each syntax error (tests/lsan.supp):
 * libFuzzer's per-input leak check would then scan the heap after nearly
 * every input and run ten times slower, so this harness fuzzes without it
 * (the exit-time check, with the suppressions, still runs):
 * fuzz-flags: -detect_leaks=0
 */
#include <stdint.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fz_write("feature_store.yaml", "project: fuzz\n", 14);
  fz_write("data/x.csv", "", 0);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_write("defs.yaml", data, size);
  lr_repo *repo = NULL;
  int rc = lr_repo_open(fz_scratch(), &repo);
  char *plan = NULL;
  if (rc == 0)
    rc = lr_repo_plan(repo, 0, &plan);
  if (rc && !*lr_repo_errmsg(repo))
    __builtin_trap(); /* a refusal always says why */
  lr_free(plan);
  lr_repo_close(repo);
  return 0;
}

/*
 * fuzz_ingest.h - the body of the two ingest harnesses (ingest_csv.c,
 * ingest_jsonl.c), which differ only in the file's extension: the fixture
 * store opened once, each input written to a scratch file and handed to
 * lr_write_file. A file with a NUL byte must be refused (it once ended
 * the input silently).
 */
#ifndef LR_TESTS_FUZZ_INGEST_H
#define LR_TESTS_FUZZ_INGEST_H

#include "fuzz.h"

static lr_store *fz_store;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  if (lr_store_open(fz_fixture_repo(), LR_STORE_READWRITE, &fz_store))
    fz_die(lr_store_errmsg(fz_store));
  return 0;
}

/* Writes the input (after its first byte, which picks the view) as the
 * scratch file `name` into the fixture store. */
static int fz_ingest(const uint8_t *data, size_t size, const char *name) {
  if (size < 1)
    return 0;
  static const char *const views[] = {"all_types", "user_item"};
  const char *path = fz_write(name, data + 1, size - 1);
  lr_write_stats st;
  int rc = lr_write_file(fz_store, views[data[0] & 1], path, &st);
  if (rc && !*lr_store_errmsg(fz_store))
    __builtin_trap(); /* a refusal always says why */
  if (rc == 0 && memchr(data + 1, '\0', size - 1))
    __builtin_trap(); /* a NUL byte is an error, never the end of the file */
  return 0;
}

#endif

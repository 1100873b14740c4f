/*
 * ingest_jsonl.c - fuzzes JSON-lines ingest (src/online/ingest.c's reader,
 * then lr_write_rows) through lr_write_file on the fixture store: the
 * first byte picks the view, the rest is the file. A refusal must say why.
 */
#include "fuzz_ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fz_ingest(data, size, "in.jsonl");
}

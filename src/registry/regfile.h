/*
 * regfile.h - the registry file: what `larder apply` writes and serving
 * processes load. A versioned binary image of the model with a checksum,
 * read in one pass into one arena, so opening a registry of a hundred views
 * takes well under a millisecond.
 *
 * Layout: "LARDERRG", u32 format version, the model (fixed-width
 * little-endian integers, strings as u32 length+1 then bytes, 0 for none),
 * then the u64 FNV-1a hash of all preceding bytes.
 */
#ifndef LR_REGISTRY_REGFILE_H
#define LR_REGISTRY_REGFILE_H

#include <stddef.h>

#include "model.h"

#define LR__REGFILE_FORMAT 6

/* Serializes `m` into `out`. Returns 0 or LR_ENOMEM. */
int lr__regfile_encode(const lr__model *m, lr__buf *out);

/* Fills the empty model `m` from an image. Returns 0; LR_ECORRUPT (bad magic,
 * checksum or truncated image) or LR_EVERSION, with the reason in `err`. */
int lr__regfile_decode(const void *data, size_t len, lr__model *m,
                       lr__buf *err);

/* Reads and decodes the file at `path`. LR_ENOREGISTRY when it is missing. */
int lr__regfile_read(const char *path, lr__model *m, lr__buf *err);

/* Encodes `m` and replaces the file at `path` atomically (folders created). */
int lr__regfile_write(const char *path, const lr__model *m, lr__buf *err);

#endif

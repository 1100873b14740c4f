/*
 * manifest.h - a snapshot's MANIFEST (snapshot.h) as JSON text: written by
 * the publisher, read back strictly by replicas, so that a manifest that
 * was damaged, cut short or written by another format is refused with the
 * file's name instead of steering an install. Used by snapshot.c only.
 *
 *   {"format": 1, "name": "snap-G-S", "generation": G, "seq": S,
 *    "epoch": E, "chain": "32 hex digits", "created_us": T,
 *    "registry": {"version": V, "sha256": "64 hex digits"},
 *    "views": [{"name": "VIEW@EPOCH", "rows": N, "digest": "32 hex"}, ...],
 *    "files": [{"name": "data.mdb", "size": B, "sha256": "64 hex"},
 *              {"name": "registry.db", "size": B, "sha256": "64 hex"}]}
 */
#ifndef LR_REPLICATION_MANIFEST_H
#define LR_REPLICATION_MANIFEST_H

#include "snapshot.h"

/* The files every snapshot holds, as the manifest names them. */
#define LR__SNAPSHOT_DATA "data.mdb"
#define LR__SNAPSHOT_REGISTRY "registry.db"

/* Appends `m` as the MANIFEST's text (one member a line). */
void lr__manifest_format(const lr__manifest *m, lr__buf *out);

/* Reads DIR/NAME/MANIFEST into `out` (overwritten; free it with
 * lr__manifest_free, also after a failure). Its name must be NAME. Returns 0; LR_ECORRUPT (missing, not JSON, a member missing or of
 * the wrong kind, a file missing from the list: the message names the
 * file and what is wrong); LR_EVERSION (another format); LR_EIO. */
int lr__manifest_read(const char *dir, const char *name, lr__manifest *out,
                      lr__buf *err);

/* The entry of file `name` in m's list, or NULL. */
const lr__snapshot_file *lr__manifest_file(const lr__manifest *m,
                                           const char *name);

/* Parses a snapshot folder's name, "snap-G-S" (decimal, no sign), from
 * `len` bytes of `text`. Returns 1 and sets *g and *s, or 0. */
int lr__snapshot_name_parse(const char *text, size_t len,
                            unsigned long long *g, unsigned long long *s);

#endif

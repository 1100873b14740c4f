/*
 * snapshot.h - a primary's generations published to a snapshot folder for
 * replicas to bootstrap from (docs/internals/replication.md):
 *
 *   SNAPSHOTS/snap-G-S/data.mdb      a consistent copy of the live
 *                                    generation, at version (G, S)
 *   SNAPSHOTS/snap-G-S/registry.db   the primary's registry file
 *   SNAPSHOTS/snap-G-S/MANIFEST      JSON, written last: format, G, S, the
 *                                    log epoch and chain digest at S, each
 *                                    view's rows and digest, the registry's
 *                                    version and sha256, and each file's
 *                                    name, size and sha256
 *   SNAPSHOTS/LATEST                 "snap-G-S\n", replaced atomically
 *
 * A snapshot is built in SNAPSHOTS/.tmp-*, fsynced, renamed into place,
 * then LATEST moves; only the newest `keep` snapshots stay. A replica
 * copies one into a scratch folder, checks every sha256 and, once the copy
 * is open, every view's digest against the manifest, and only then makes
 * it its live generation: a damaged or half-copied snapshot is refused and
 * the replica keeps serving what it had.
 */
#ifndef LR_REPLICATION_SNAPSHOT_H
#define LR_REPLICATION_SNAPSHOT_H

#include <stdint.h>

#include "../online/digest.h"
#include "../util/buf.h"
#include "larder.h"

#define LR__SNAPSHOT_FORMAT 1

typedef struct lr__snapshot_view {
  char *name;      /* the view's database name, VIEW@EPOCH */
  lr__digest digest;
} lr__snapshot_view;

typedef struct lr__snapshot_file {
  char *name;          /* "data.mdb", "registry.db" */
  unsigned long long size;
  char sha256[65];     /* hex */
} lr__snapshot_file;

typedef struct lr__manifest {
  char *name;          /* "snap-G-S" */
  unsigned long long generation, seq, epoch;
  uint8_t chain[16];
  unsigned long long registry_version;
  char registry_sha256[65];
  lr__snapshot_view *views;
  int n_views;
  lr__snapshot_file *files;
  int n_files;
  long long created_us;
} lr__manifest;

void lr__manifest_free(lr__manifest *m);

/* Publishes the live generation of `store` (opened read-write on the
 * primary) to `dir` (created if missing) and keeps the newest `keep`
 * snapshots. `registry_path`: the primary's registry file. *out (may be
 * NULL) receives the new manifest. Readers and writers of the store carry
 * on meanwhile. Returns 0 or a status with the message in `err` (a folder
 * missing or not writable is named, with the fix). */
int lr__snapshot_publish(lr_store *store, const char *registry_path,
                         const char *dir, int keep, lr__manifest *out,
                         lr__buf *err);

/* Reads the manifest LATEST names. Returns 0; LR_ENOTFOUND (nothing
 * published yet); LR_ECORRUPT; LR_EIO. */
int lr__snapshot_latest(const char *dir, lr__manifest *out, lr__buf *err);

/* Copies snapshot `m` of `dir` into the replica store `store` (opened
 * read-write): files into a scratch folder, every sha256 checked, the
 * registry file installed at `registry_path`, the data file made a new
 * generation whose digests are checked against the manifest, and only
 * then published as the live one. On any failure the scratch copy is
 * removed and the store is as it was. Returns 0; LR_ECORRUPT (a checksum
 * or digest that does not match, named); LR_EIO (with ENOSPC named: "the
 * disk is full"). */
int lr__snapshot_install(lr_store *store, const char *registry_path,
                         const char *dir, const lr__manifest *m,
                         lr__buf *err);

#endif

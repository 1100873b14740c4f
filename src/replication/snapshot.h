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
 * then LATEST moves; only the newest `keep` snapshots stay. Publishers of
 * one folder take turns on SNAPSHOTS/publish.lock (flock), under which the
 * temporary folders of publishers that died are deleted. A replica
 * copies one into a generation folder reserved for it (online/copy.h),
 * checks every sha256 and, once the copy is open, its version and every
 * view's digest against the manifest, and only then makes
 * it its live generation: a damaged or half-copied snapshot is refused and
 * the replica keeps serving what it had.
 */
#ifndef LR_REPLICATION_SNAPSHOT_H
#define LR_REPLICATION_SNAPSHOT_H

#include <stdint.h>
#include <sys/stat.h>

#include "../online/copy.h"
#include "../util/buf.h"
#include "larder.h"

#define LR__SNAPSHOT_FORMAT 1

/* A view's database name (VIEW@EPOCH) and digest: the online layer's
 * lr__view_digest, so a manifest's list is what an install checks. */
typedef lr__view_digest lr__snapshot_view;

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
 * NULL) receives the new manifest, or the existing one when a snapshot at
 * that version is there already (with the same contents: nothing is
 * written then). Readers and writers of the store carry on meanwhile.
 * Returns 0 or a status with the message in `err` (emptied first):
 * LR_EIO (a folder missing or not writable is named, with the fix; a full
 * disk says so); LR_EEXISTS (a snapshot at that version with other
 * contents is there: the store's version did not move with its writes);
 * LR_EINVAL. */
int lr__snapshot_publish(lr_store *store, const char *registry_path,
                         const char *dir, int keep, lr__manifest *out,
                         lr__buf *err);

/* Reads the manifest LATEST names into `out` (free it with
 * lr__manifest_free; zeroes on failure). Returns 0; LR_ENOTFOUND (no
 * folder, or nothing published yet); LR_ECORRUPT (LATEST or the MANIFEST
 * malformed: the message names the file and the member); LR_EVERSION (a
 * manifest of another format); LR_EIO; the message in `err` (emptied
 * first). */
int lr__snapshot_latest(const char *dir, lr__manifest *out, lr__buf *err);

/* The newest snapshot of a folder as lr__snapshot_newest last read it:
 * LATEST and the MANIFEST it named as stat saw them, and its position.
 * Zero it before the first call. */
typedef struct lr__snapshot_seen {
  int valid;
  struct stat latest, manifest;
  char name[64];
  unsigned long long seq, epoch;
} lr__snapshot_seen;

/* The newest snapshot of `dir`: 1 and its sequence number in *seq (its
 * epoch in *epoch unless NULL) when one is published, 0 when none is or
 * it cannot be read. Reads LATEST and its MANIFEST (lr__snapshot_latest)
 * only when either file changed since `seen` was filled (two stats: a
 * publish replaces LATEST by a rename, so its inode changes); LATEST is
 * looked at before it is read, so a publish in between shows at the next
 * call. For a caller that asks often (a shipper, every round). */
int lr__snapshot_newest(const char *dir, lr__snapshot_seen *seen,
                        unsigned long long *seq, unsigned long long *epoch);

/* Copies snapshot `m` of `dir` into the replica store `store` (opened
 * read-write): the data file into a generation folder reserved for it and
 * the registry file into memory, every size and sha256 checked while
 * copying; the data file opened and checked against the manifest (its
 * version, its view databases, each view's recorded digest and the digest
 * its rows give); then the registry file replaced at `registry_path`
 * (atomically) and the data file published as the live generation, which
 * other processes' stores move to at their next lookup. On any failure the
 * copy is removed and the store and registry file are as they were.
 * Returns 0; LR_ECORRUPT (a size, checksum, version or digest that does
 * not match, named); LR_ENOTFOUND (the snapshot's folder is gone: a newer
 * one replaced it); LR_EIO (with ENOSPC named: "the disk is full");
 * LR_EREADONLY; LR_EINVAL; the message in `err` (emptied first). As
 * with lr_store_compact, no lookup or write may run on this handle during
 * the call; other handles and processes carry on. */
int lr__snapshot_install(lr_store *store, const char *registry_path,
                         const char *dir, const lr__manifest *m,
                         lr__buf *err);

#endif

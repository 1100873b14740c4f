/*
 * snapfile.h - a snapshot's data file, hashed (publishing: its sha256 goes
 * into the manifest) or copied into a replica while it is hashed
 * (installing: the copy is checked against the manifest before LMDB ever
 * opens it).
 */
#ifndef LR_REPLICATION_SNAPFILE_H
#define LR_REPLICATION_SNAPFILE_H

#include "../util/buf.h"

/* The sha256 (hex, NUL-terminated) and size of the file at `path`.
 * Returns 0, or LR_EIO with the cause in `why`. */
int lr__snapfile_hash(const char *path, char sha[65],
                      unsigned long long *size, lr__buf *why);

/* Copies the file `from` to the new file `to` and syncs it, while another
 * thread hashes `from` (one open file read by both, so both see the same
 * bytes): the copy runs in the kernel (lr__fs_copy_range), the hash on the
 * other core. *size and `sha` are the source's. Returns 0, or LR_EIO with
 * the cause in `why` (*full set when the disk was full). */
int lr__snapfile_copy(const char *from, const char *to, char sha[65],
                      unsigned long long *size, int *full, lr__buf *why);

#endif

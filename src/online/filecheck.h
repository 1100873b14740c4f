/*
 * filecheck.h - checking an LMDB data file before mapping it. LMDB trusts
 * its file: a data file cut shorter than its meta page claims, or a root
 * page number past the end, makes the first read through the map fault
 * (SIGBUS) instead of failing. This check reads the file with pread, so a
 * damaged file is an error with a message, never a signal.
 */
#ifndef LR_ONLINE_FILECHECK_H
#define LR_ONLINE_FILECHECK_H

#include <lmdb.h>

#include "../util/buf.h"

/* Checks the LMDB data file at `data_mdb_path` (a `data.mdb`): both meta
 * pages (page type, magic, version, page size), then, under the meta LMDB
 * would use (the greater transaction id), that the file holds every page
 * up to the last one, that the free and main databases' roots and the named
 * databases' roots are within it and are tree pages. A missing or empty
 * file (a store never written) passes. Returns 0, LR_ECORRUPT with a message
 * naming the file and the fix in `err`, or LR_EIO (cannot read it). */
int lr__mdb_file_check(const char *data_mdb_path, lr__buf *err);

/* The zero bytes a writable open keeps after the last page of the data
 * file (sparse: no disk space). LMDB reads a node at an offset of up to
 * 64 KiB from its page and a key of up to 64 KiB: with a damaged offset in
 * one of the last pages those reads run past the end of the file, which is
 * SIGBUS; inside this margin they read zeros and LMDB fails or misses. */
#define LR__MDB_TAIL_MARGIN (256u << 10)

/* Extends the data file of `env` (open read-write) to its last page plus
 * LR__MDB_TAIL_MARGIN when it is shorter, under LMDB's writer lock so that
 * no writer is extending it meanwhile; never shrinks it. Returns 0 or an
 * LMDB/errno code (the store works without the margin). */
int lr__mdb_file_pad(MDB_env *env);

#endif

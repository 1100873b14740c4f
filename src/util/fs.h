/*
 * fs.h - the file-system operations Larder needs, with errno turned into
 * status codes and messages that name the path.
 */
#ifndef LR_UTIL_FS_H
#define LR_UTIL_FS_H

#include <stddef.h>

#include "buf.h"

/* Reads a whole file into a NUL-terminated heap buffer (caller frees).
 * Returns 0, LR_ENOTFOUND or LR_EIO; on failure writes the reason to `err`. */
int lr__fs_read_file(const char *path, char **data, size_t *len, lr__buf *err);

/* A position in text, 1-based; columns count bytes. */
typedef struct lr__text_pos {
  size_t line, col;
} lr__text_pos;

/* Advances `at` over `n` bytes of text, stopping at a NUL byte: returns 1
 * (with `at` on the NUL) when one is among them, else 0. Text is read into C
 * strings, which a NUL would silently end, so every text input is checked. */
int lr__text_scan_nul(lr__text_pos *at, const char *data, size_t n);

/* What a NUL byte is called, and the fix, in every message about one. */
#define LR__NUL_WHAT                                                           \
  "a NUL byte: text input cannot contain one (is this a binary or UTF-16 "     \
  "file?)"
#define LR__NUL_HINT "remove it, or save the file as UTF-8 text"

/* lr__fs_read_file for text (definitions, CSV, JSON lines, lists): a NUL
 * byte, which C strings would silently end the text at, is LR_EINVAL with
 * `path:line:col` and what to do in `err`. */
int lr__fs_read_text(const char *path, char **data, size_t *len,
                     lr__buf *err);

/* The same check without keeping the content, for text another reader
 * (DuckDB) parses: 0, LR_EINVAL at a NUL, LR_ENOTFOUND or LR_EIO. */
int lr__fs_check_text(const char *path, lr__buf *err);

/* Replaces `path` with `data` atomically: writes `path.tmp.PID`, fsyncs it,
 * renames it over `path` and fsyncs the folder. Any failure removes the
 * temporary file and leaves `path` as it was. Returns 0 or LR_EIO. */
int lr__fs_write_atomic(const char *path, const void *data, size_t len,
                        lr__buf *err);

/* Writes all `len` bytes to `fd`, retrying short writes and EINTR.
 * Returns 0, or -1 with errno set. */
int lr__fs_write_all(int fd, const void *data, size_t len);

/* Copies `len` bytes of `in`, from its start, to the start of `out`, in
 * the kernel (copy_file_range: no copy through this process) or, where the
 * file systems do not support that, through a buffer with
 * lr__fs_write_all. Neither file's offset moves. Returns 0, or -1 with
 * errno set (ENOSPC for a full disk, EIO for `in` shorter than `len`). */
int lr__fs_copy_range(int in, int out, unsigned long long len);

/* Fault injection, for tests only (docs/internals/testing.md): when it is
 * 0 or more, lr__fs_write_all and lr__fs_copy_range (so every file this
 * library writes itself,
 * LMDB's own writes aside) may write that many more bytes, then fails with
 * ENOSPC as a full disk would. -1, the default, turns it off. A plain
 * global: set it in a test's own process, with no other thread writing. */
extern long long lr__fault_enospc_after;

/* fsyncs the folder holding `path`, so that a file created or renamed
 * there survives a crash. Returns 0, or -1 with errno set. */
int lr__fs_sync_parent(const char *path);

/* fsyncs the file at `path` (written by another, such as DuckDB), so that
 * its bytes are on disk before it is renamed into place. Returns 0, or -1
 * with errno set. */
int lr__fs_sync_file(const char *path);

/* Removes folder `dir` with the files in it (it holds no folders: a
 * snapshot, a build left behind). Returns 0 (also when `dir` is missing)
 * or -1 with errno set (what could not be removed stays). */
int lr__fs_remove_flat(const char *dir);

/* Creates `path` and its missing parents (mode 0755). Returns 0 or LR_EIO. */
int lr__fs_mkdirs(const char *path, lr__buf *err);

/* Writes `data` to `path`, replacing it (non-atomic; for generated files). */
int lr__fs_write_file(const char *path, const void *data, size_t len,
                      lr__buf *err);

/* 1 when `path` ends with `suffix`, ignoring case (".csv", ".parquet"):
 * how file formats are told apart. */
int lr__fs_has_suffix(const char *path, const char *suffix);

int lr__fs_is_dir(const char *path);
int lr__fs_exists(const char *path);

/* Joins `dir` and `rel` into `out` ("dir/rel"); an absolute `rel` stands
 * alone. */
void lr__fs_join(lr__buf *out, const char *dir, const char *rel);

/* The rename used by lr__fs_write_atomic(); tests replace it to make the
 * last step fail. */
extern int (*lr__fs_rename)(const char *from, const char *to);

#endif

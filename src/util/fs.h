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

/* Replaces `path` with `data` atomically: writes `path.tmp.PID`, fsyncs it,
 * renames it over `path` and fsyncs the folder. Any failure removes the
 * temporary file and leaves `path` as it was. Returns 0 or LR_EIO. */
int lr__fs_write_atomic(const char *path, const void *data, size_t len,
                        lr__buf *err);

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

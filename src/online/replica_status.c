/*
 * replica_status.c - the file a replica's follower reports its state in
 * (ONLINE/replica.status) and its reading by /metrics, `larder status` and
 * the tests (apply.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../codec/crc32c.h"
#include "../util/fs.h"
#include "apply.h"
#include "store.h"

/* ONLINE/replica.status, into `path`. */
static void status_path(const lr_store *store, lr__buf *path) {
  lr__buf_init(path);
  lr__fs_join(path, store->root, "replica.status");
}

/* The status file. Its numbers are fixed-width and the error is padded
 * to its longest, so every report has the same length and is written over
 * the last one in place (one pwrite: no new file and rename each round,
 * and a follower reports after every round); the last line holds the
 * crc32c of the lines before it, so that a reader that catches a report
 * half-written reads again. */
#define STATUS_LINES                                                      \
  "head %020llu\nlag_entries %020llu\nlag_ms %020lld\nupdated_ms %020lld\n" \
  "bootstraps %020llu\napplied %020llu\napplied_rows %020llu\n"           \
  "mismatches %020llu\nfailing_ms %020lld\nerror %-*s\n"
#define STATUS_CHECK "check "
#define STATUS_MAX (400 + LR_REPLICATION_ERROR_MAX)

int lr__store_put_replica_status(lr_store *store, const lr__replica_status *st,
                                 lr__buf *err) {
  char text[STATUS_MAX];
  int n = snprintf(text, sizeof text, STATUS_LINES, st->head, st->lag_entries,
                   st->lag_ms, st->updated_ms, st->bootstraps, st->applied,
                   st->applied_rows, st->mismatches, st->failing_ms,
                   LR_REPLICATION_ERROR_MAX - 1, st->error);
  n += snprintf(text + n, sizeof text - (size_t)n, STATUS_CHECK "%08x\n",
                (unsigned)lr__crc32c(text, (size_t)n));
  lr__buf path;
  status_path(store, &path);
  int fd = open(lr__buf_str(&path), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  int rc = fd >= 0 && pwrite(fd, text, (size_t)n, 0) == n ? 0 : LR_EIO;
  if (fd >= 0 && close(fd) != 0)
    rc = LR_EIO;
  if (rc)
    lr__errmsg_set(err, rc, "cannot write %s", lr__buf_str(&path));
  lr__buf_free(&path);
  return rc;
}

/* The error line of the status text `text` into st->error (the padding
 * dropped). */
static void read_error(const char *text, lr__replica_status *st) {
  const char *at = strstr(text, "\nerror ");
  st->error[0] = '\0';
  if (!at)
    return;
  at += strlen("\nerror ");
  size_t len = strcspn(at, "\n");
  while (len && at[len - 1] == ' ')
    len--;
  if (len >= sizeof st->error)
    len = sizeof st->error - 1;
  memcpy(st->error, at, len);
  st->error[len] = '\0';
}

/* Reads the status file once: 0, LR_ENOTFOUND, or LR_ECORRUPT (also a
 * report caught half-written). */
static int read_status(const char *path, lr__replica_status *st) {
  char text[STATUS_MAX + 1];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return LR_ENOTFOUND;
  ssize_t len = read(fd, text, sizeof text - 1);
  close(fd);
  text[len > 0 ? len : 0] = '\0';
  int n = sscanf(text, "head %llu lag_entries %llu lag_ms %lld updated_ms "
                 "%lld bootstraps %llu applied %llu applied_rows %llu "
                 "mismatches %llu failing_ms %lld", &st->head,
                 &st->lag_entries, &st->lag_ms, &st->updated_ms,
                 &st->bootstraps, &st->applied, &st->applied_rows,
                 &st->mismatches, &st->failing_ms);
  read_error(text, st);
  const char *check = strstr(text, "\n" STATUS_CHECK);
  unsigned sum;
  if (n != 9)
    return LR_ECORRUPT;
  if (!check) /* written whole and renamed into place by an older Larder */
    return 0;
  check++;
  return sscanf(check, STATUS_CHECK "%8x", &sum) == 1 &&
                 sum == lr__crc32c(text, (size_t)(check - text))
             ? 0
             : LR_ECORRUPT;
}

int lr__store_replica_status(lr_store *store, lr__replica_status *st) {
  lr__buf path;
  status_path(store, &path);
  int rc = LR_ECORRUPT;
  for (int tries = 0; tries < 3 && rc == LR_ECORRUPT; tries++)
    rc = read_status(lr__buf_str(&path), st); /* again: caught mid-write */
  lr__buf_free(&path);
  return rc;
}

/*
 * feed.h - a streaming DuckDB result read ahead by a thread of its own:
 * DuckDB scans and decodes the next chunks while the caller converts and
 * writes the ones before (materialization, whose LMDB transaction stays on
 * the caller's thread). A bounded queue holds at most LR__FEED_DEPTH
 * chunks, so memory stays bounded whatever the size of the result.
 */
#ifndef LR_OFFLINE_FEED_H
#define LR_OFFLINE_FEED_H

#include <pthread.h>

#include "duckdb.h"

enum { LR__FEED_DEPTH = 4 };

typedef struct lr__feed {
  duckdb_result *result; /* read by the thread only, until lr__feed_close */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  duckdb_data_chunk ring[LR__FEED_DEPTH];
  int head, count;
  int ended; /* the thread fetched its last chunk (or stopped) */
  int stop;  /* the caller wants no more */
} lr__feed;

/* Starts reading `result` ahead. Returns 0, or LR_ENOMEM when no thread
 * could be started. */
int lr__feed_open(lr__feed *f, duckdb_result *result);

/* The next chunk (the caller destroys it), or NULL after the last one, or
 * when the query failed midway: check duckdb_result_error after
 * lr__feed_close. */
duckdb_data_chunk lr__feed_next(lr__feed *f);

/* Stops the thread, waits for it and frees the chunks not taken. */
void lr__feed_close(lr__feed *f);

#endif

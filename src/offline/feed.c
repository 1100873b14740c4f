/*
 * feed.c - a streaming DuckDB result read ahead by a thread (see feed.h).
 *
 * The thread is the only one to call duckdb_fetch_chunk on the result (and
 * so to run DuckDB's pipeline, when DuckDB has one thread) until it ends;
 * chunks, once fetched, belong to whoever holds them.
 */
#include "feed.h"

#include <string.h>

/* The thread: fetches chunks until the result ends or the caller stops,
 * waiting while the queue is full. */
static void *feed_run(void *arg) {
  lr__feed *f = arg;
  const lr__duckdb_api *api = lr__duckdb_fns();
  for (;;) {
    duckdb_data_chunk chunk = api->fetch_chunk(*f->result);
    pthread_mutex_lock(&f->lock);
    while (chunk && f->count == LR__FEED_DEPTH && !f->stop)
      pthread_cond_wait(&f->changed, &f->lock);
    int done = !chunk || f->stop;
    if (!done)
      f->ring[(f->head + f->count++) % LR__FEED_DEPTH] = chunk;
    f->ended = done;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    if (done) {
      if (chunk)
        api->destroy_data_chunk(&chunk);
      return NULL;
    }
  }
}

int lr__feed_open(lr__feed *f, duckdb_result *result) {
  memset(f, 0, sizeof *f);
  f->result = result;
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->changed, NULL);
  if (pthread_create(&f->thread, NULL, feed_run, f) == 0)
    return 0;
  pthread_cond_destroy(&f->changed);
  pthread_mutex_destroy(&f->lock);
  return LR_ENOMEM;
}

duckdb_data_chunk lr__feed_next(lr__feed *f) {
  pthread_mutex_lock(&f->lock);
  while (!f->count && !f->ended)
    pthread_cond_wait(&f->changed, &f->lock);
  duckdb_data_chunk chunk = NULL;
  if (f->count) {
    chunk = f->ring[f->head];
    f->head = (f->head + 1) % LR__FEED_DEPTH;
    f->count--;
    pthread_cond_broadcast(&f->changed);
  }
  pthread_mutex_unlock(&f->lock);
  return chunk;
}

void lr__feed_close(lr__feed *f) {
  pthread_mutex_lock(&f->lock);
  f->stop = 1;
  pthread_cond_broadcast(&f->changed);
  pthread_mutex_unlock(&f->lock);
  pthread_join(f->thread, NULL);
  for (; f->count; f->count--) {
    lr__duckdb_fns()->destroy_data_chunk(&f->ring[f->head]);
    f->head = (f->head + 1) % LR__FEED_DEPTH;
  }
  pthread_cond_destroy(&f->changed);
  pthread_mutex_destroy(&f->lock);
}

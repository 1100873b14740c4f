/*
 * sigpipe.h - SIGPIPE held off around hiredis' writes. hiredis writes with
 * write(2), and a write to a server that has gone would otherwise end a
 * process that does not ignore SIGPIPE (a library must not change the
 * process's handlers): the guard blocks SIGPIPE in the calling thread and
 * takes back one that the writes raised, so the write fails with EPIPE
 * instead.
 */
#ifndef LR_REDIS_SIGPIPE_H
#define LR_REDIS_SIGPIPE_H

#include <signal.h>

typedef struct lr__redis_sigpipe {
  sigset_t pipe_only, saved;
  int was_pending; /* a SIGPIPE was pending before: not ours to take */
} lr__redis_sigpipe;

/* Blocks SIGPIPE in this thread, noting whether one was pending. */
void lr__redis_sigpipe_block(lr__redis_sigpipe *g);

/* Takes back a SIGPIPE raised since lr__redis_sigpipe_block and restores
 * the thread's mask. */
void lr__redis_sigpipe_restore(lr__redis_sigpipe *g);

#endif

/*
 * sigpipe.c - SIGPIPE held off around hiredis' writes (sigpipe.h).
 */
#include "sigpipe.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

void lr__redis_sigpipe_block(lr__redis_sigpipe *g) {
  sigset_t pending;
  sigemptyset(&g->pipe_only);
  sigaddset(&g->pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &g->pipe_only, &g->saved);
  sigpending(&pending);
  g->was_pending = sigismember(&pending, SIGPIPE);
}

/* sigtimedwait with a zero timeout takes the pending SIGPIPE without
 * waiting; errno is kept for the caller's message. */
void lr__redis_sigpipe_restore(lr__redis_sigpipe *g) {
  sigset_t pending;
  sigpending(&pending);
  if (!g->was_pending && sigismember(&pending, SIGPIPE)) {
    int saved_errno = errno;
    sigtimedwait(&g->pipe_only, NULL, &(struct timespec){0});
    errno = saved_errno;
  }
  pthread_sigmask(SIG_SETMASK, &g->saved, NULL);
}

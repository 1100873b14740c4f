/*
 * frontend.h - the feature server's HTTP front end (frontend.c): one
 * libmicrohttpd event loop per server thread, each with its own listening
 * socket on the one port (SO_REUSEPORT), the handler run on the loop's
 * thread. server.c starts it, ticks it and drains it; nothing else sees
 * libmicrohttpd.
 */
#ifndef LR_SERVE_FRONTEND_H
#define LR_SERVE_FRONTEND_H

#include "server.h"

typedef struct lr__frontend lr__frontend;

/* Binds s->opt.threads listening sockets to s->opt.host:s->opt.port and
 * starts one event loop on each; sets s->port. Returns 0, or LR_EINVAL (a
 * host that is not an IPv4 address) or LR_EIO (the port taken, no
 * socket or thread) with the message in s->errmsg; nothing is left
 * running on failure. */
int lr__frontend_start(lr__server *s);

/* Shuts down every connection whose request window has been open longer
 * than s->opt.timeout_seconds (the ticker calls it). */
void lr__frontend_close_slow(lr__server *s);

/* Stops accepting, waits for the requests under way (at most the timeout,
 * at most 5 s), then stops every loop and closes every connection. */
void lr__frontend_drain(lr__server *s);

/* Stops every loop at once (a start that failed after the loops began). */
void lr__frontend_stop(lr__server *s);

#endif

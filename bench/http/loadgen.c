/*
 * loadgen.c - one load generator for the feature server and for Redis
 * (issue 18): the same connections, schedule, checks and histogram for
 * both, so that their figures differ only by the server.
 *
 *   loadgen http|redis PORT N_ENTITIES BATCH CONNECTIONS THREADS SECONDS
 *           WARMUP_SECONDS [RATE]
 *   loadgen redis-gen N_ENTITIES > data.resp  (then redis-cli --pipe < ...)
 *   loadgen redis-command ID   (one HMGET of entity ID, for redis-cli)
 *   loadgen selftest
 *
 * `http` POSTs /get-online-features to a feature server on 127.0.0.1:PORT
 * (bench/http/loadgen_http.c), `redis` sends Feast's pipelined HMGETs to
 * Redis (bench/http/loadgen_redis.c); each request asks for BATCH keys
 * drawn uniformly over [0, N_ENTITIES) afresh, and every answer is
 * checked. CONNECTIONS connections, split over THREADS threads, each
 * thread one epoll loop, each connection at most one request outstanding.
 *
 * Without RATE (or 0) the loop is closed: a connection sends its next
 * request as soon as the answer is in, and latency is from the send. With
 * RATE the loop is open, as wrk2's: RATE requests a second in all, each
 * connection on its own fixed schedule (every CONNECTIONS / RATE seconds,
 * the connections staggered by 1 / RATE), and a request's latency is from
 * its intended send time, so that a request held back behind a slow
 * answer counts its wait (no coordinated omission). A timerfd wakes the
 * thread at the next intended time (epoll's millisecond timeout would
 * itself add up to a millisecond).
 *
 * The warm-up's requests are answered and checked but not counted; the
 * run counts requests whose (intended) send time falls in the SECONDS
 * after it, then waits up to DRAIN_SECONDS for the answers outstanding
 * (any still missing is an error). Prints one line,
 *   LOADGEN system=http|redis mode=closed|open rate=R batch=.. connections=..
 *     requests=.. seconds=.. rps=.. p50_us=.. p90_us=.. p99_us=.. p999_us=..
 *     max_us=.. errors=.. misses=..
 * with latencies from the bench histogram (src/cli/latency.c: log-linear,
 * a quantile within 1/128 of the true value; one per thread, merged).
 * errors counts wrong answers (and connections lost or answers missing),
 * misses the entities asked that the server does not hold; the exit status
 * is 1 when errors is not 0 or nothing was answered, 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../common.h"
#include "loadgen.h"

enum { MAX_CONNS = 4096, DRAIN_SECONDS = 5, RECV_CHUNK = 65536 };

/* What the command line asked. */
typedef struct settings {
  const lg_protocol *proto;
  int port, batch, conns, threads;
  long long entities;
  double seconds, warmup, rate; /* rate 0: closed loop */
} settings;

/* One connection and its request. */
typedef struct conn {
  int fd;
  int busy;        /* a request is outstanding */
  int want_out;    /* registered for EPOLLOUT (the request not all sent) */
  double intended; /* the (next) request's intended send time, ns */
  char *out;       /* the request */
  size_t out_len, sent;
  char *in; /* bytes received and not yet read, NUL after them */
  size_t in_len, in_cap;
  long long ids[LG_MAX_BATCH];
} conn;

/* One thread's share. */
typedef struct worker {
  const settings *s;
  pthread_barrier_t *ready;
  int first_conn, n_conns; /* the connections' global numbers */
  uint64_t rng;
  double warm_until, stop_at;
  int stopping; /* past stop_at: no more requests sent */
  int ep, timer;
  double timer_at; /* when the timer is armed for (0: not) */
  latency *hist;
  long long errors, misses;
  conn *conns;
} worker;

/* Connects c to the server, non-blocking and without Nagle's delay. */
static void connect_conn(worker *w, conn *c) {
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)w->s->port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
    bench_die("loadgen", "connect", strerror(errno));
  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
  epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
  c->busy = c->want_out = 0;
  c->in_len = 0;
}

/* Watches c for writability too while its request is not all sent. */
static void want_out(worker *w, conn *c, int on) {
  if (c->want_out == on)
    return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
                           .data.ptr = c};
  epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = on;
}

/* Sends what the socket takes of c's request; -1 when the connection
 * failed. */
static int flush(worker *w, conn *c) {
  while (c->sent < c->out_len) {
    ssize_t k = send(c->fd, c->out + c->sent, c->out_len - c->sent,
                     MSG_NOSIGNAL);
    if (k < 0 && errno == EAGAIN)
      break;
    if (k < 0)
      return -1;
    c->sent += (size_t)k;
  }
  want_out(w, c, c->sent < c->out_len);
  return 0;
}

static void drop(worker *w, conn *c);

/* Sends c a new request of fresh keys; in the closed loop its intended
 * time is now. */
static void send_request(worker *w, conn *c) {
  const settings *s = w->s;
  for (int e = 0; e < s->batch; e++)
    c->ids[e] = (long long)(xorshift_next(&w->rng) % (uint64_t)s->entities);
  c->out_len = s->proto->write_request(c->out, c->ids, s->batch, s->port);
  c->sent = 0;
  c->busy = 1;
  if (s->rate == 0)
    c->intended = bench_now_ns();
  if (flush(w, c))
    drop(w, c);
}

/* After c's answer (or its loss): the next request is due now (closed
 * loop) or at the next step of c's schedule (open loop), and sent when it
 * is due, unless the run is over. */
static void next_request(worker *w, conn *c, double now) {
  c->busy = 0;
  if (w->s->rate > 0)
    c->intended += (double)w->s->conns / w->s->rate * 1e9;
  if (!w->stopping && (w->s->rate == 0 || c->intended <= now))
    send_request(w, c);
}

/* The connection failed or fell out of step: an error if a request was
 * outstanding; connects again and goes on. */
static void drop(worker *w, conn *c) {
  int was_busy = c->busy;
  epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  connect_conn(w, c);
  if (was_busy) {
    w->errors++;
    next_request(w, c, bench_now_ns());
  }
}

/* Counts c's answer with verdict v, arrived at `now`. */
static void answered(worker *w, conn *c, const lg_verdict *v, double now) {
  w->errors += v->error;
  w->misses += v->misses;
  if (!v->error && c->intended >= w->warm_until && c->intended < w->stop_at)
    latency_record(w->hist, (unsigned long long)(now - c->intended));
  next_request(w, c, now);
}

/* Reads the answer in c's buffer, if it is all there, and whatever follows
 * it as the next request's; -1 when the bytes cannot be an answer or no
 * request asked for them. */
static int read_answers(worker *w, conn *c) {
  while (c->busy && c->in_len) {
    lg_verdict v;
    long n = w->s->proto->read_answer(c->in, c->in_len, c->ids, w->s->batch,
                                      &v);
    if (n <= 0)
      return (int)n;
    c->in_len -= (size_t)n;
    memmove(c->in, c->in + n, c->in_len + 1); /* with its NUL */
    answered(w, c, &v, bench_now_ns());     /* may send, or drop c */
  }
  return c->in_len && !c->busy ? -1 : 0;
}

/* Receives what c's socket holds and reads the answers in it. */
static void on_readable(worker *w, conn *c) {
  for (;;) {
    if (c->in_cap - c->in_len < RECV_CHUNK + 1) {
      c->in_cap = 2 * c->in_cap + RECV_CHUNK + 1;
      c->in = realloc(c->in, c->in_cap);
      if (!c->in)
        bench_die("loadgen", "out of memory", NULL);
    }
    ssize_t k = recv(c->fd, c->in + c->in_len, RECV_CHUNK, 0);
    if (k < 0 && errno == EAGAIN)
      return;
    if (k <= 0) { /* closed: an error only with a request outstanding */
      drop(w, c);
      return;
    }
    c->in_len += (size_t)k;
    c->in[c->in_len] = '\0';
    if (read_answers(w, c)) {
      c->busy = 1; /* out of step: the request is lost */
      drop(w, c);
      return;
    }
  }
}

/* Open loop: sends every idle connection's request that is due, and arms
 * the timer for the next one (or the end of the run). */
static void send_due(worker *w, double now) {
  double next = w->stop_at;
  for (int i = 0; i < w->n_conns; i++) {
    conn *c = &w->conns[i];
    if (!c->busy && c->intended <= now)
      send_request(w, c);
    if (!c->busy && c->intended < next)
      next = c->intended;
  }
  if (next == w->timer_at)
    return;
  struct itimerspec at = {.it_value = {.tv_sec = (time_t)(next / 1e9),
                                       .tv_nsec = (long)fmod(next, 1e9)}};
  timerfd_settime(w->timer, TFD_TIMER_ABSTIME, &at, NULL);
  w->timer_at = next;
}

/* Connects the thread's connections and waits for the others'. The
 * thread's timer slack (50 us by default) goes to 1 ns: the timer would
 * otherwise send open-loop requests up to 50 us late, and count it. */
static void start_worker(worker *w) {
  const settings *s = w->s;
  prctl(PR_SET_TIMERSLACK, 1UL);
  w->ep = epoll_create1(0);
  w->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(w->ep, EPOLL_CTL_ADD, w->timer, &ev);
  w->conns = calloc((size_t)w->n_conns, sizeof *w->conns);
  for (int i = 0; i < w->n_conns; i++) {
    conn *c = &w->conns[i];
    c->out = malloc(s->proto->request_cap(s->batch));
    connect_conn(w, c);
  }
  pthread_barrier_wait(w->ready);
  double t0 = bench_now_ns();
  w->warm_until = t0 + s->warmup * 1e9;
  w->stop_at = w->warm_until + s->seconds * 1e9;
  for (int i = 0; i < w->n_conns; i++) {
    conn *c = &w->conns[i];
    if (s->rate > 0)
      c->intended = t0 + (double)(w->first_conn + i) / s->rate * 1e9;
    else
      send_request(w, c);
  }
}

/* The number of w's connections with a request outstanding. */
static int outstanding(const worker *w) {
  int n = 0;
  for (int i = 0; i < w->n_conns; i++)
    n += w->conns[i].busy;
  return n;
}

/* One thread: its connections' requests until the end of the run and
 * their answers until the drain ends. */
static void *run_worker(void *arg) {
  worker *w = arg;
  start_worker(w);
  struct epoll_event evs[64];
  for (;;) {
    double now = bench_now_ns();
    if (now >= w->stop_at)
      w->stopping = 1;
    if (w->stopping &&
        (!outstanding(w) || now >= w->stop_at + DRAIN_SECONDS * 1e9))
      break;
    int wait_ms = 10;
    if (w->s->rate > 0 && !w->stopping) {
      send_due(w, now);
      wait_ms = -1;
    }
    int n = epoll_wait(w->ep, evs, 64, wait_ms);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) { /* the timer */
        uint64_t ticks;
        ssize_t got = read(w->timer, &ticks, sizeof ticks);
        (void)got;
        w->timer_at = 0;
        continue;
      }
      if ((evs[i].events & EPOLLOUT) && flush(w, c))
        drop(w, c);
      if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        on_readable(w, c);
    }
  }
  w->errors += outstanding(w); /* unanswered within the drain */
  for (int i = 0; i < w->n_conns; i++) {
    close(w->conns[i].fd);
    free(w->conns[i].out);
    free(w->conns[i].in);
  }
  free(w->conns);
  close(w->timer);
  close(w->ep);
  return NULL;
}

/* Parses the `http`/`redis` command line into *s; 0, or -1 when bad. */
static int parse_settings(int argc, char **argv, settings *s) {
  if (argc != 9 && argc != 10)
    return -1;
  s->proto = strcmp(argv[1], "http") ? &lg_redis : &lg_http;
  s->port = atoi(argv[2]);
  s->entities = atoll(argv[3]);
  s->batch = atoi(argv[4]);
  s->conns = atoi(argv[5]);
  s->threads = atoi(argv[6]);
  s->seconds = atof(argv[7]);
  s->warmup = atof(argv[8]);
  s->rate = argc == 10 ? atof(argv[9]) : 0;
  return s->port < 1 || s->port > 65535 || s->entities < 1 || s->batch < 1 ||
                 s->batch > LG_MAX_BATCH || s->threads < 1 ||
                 s->conns < s->threads || s->conns > MAX_CONNS ||
                 s->seconds <= 0 || s->seconds > 600 || s->warmup < 0 ||
                 s->warmup > 600 || s->rate < 0
             ? -1
             : 0;
}

/* Prints the run's line from the merged histogram; returns the exit
 * status. */
static int report(const settings *s, const latency *all, long long errors,
                  long long misses) {
  printf("LOADGEN system=%s mode=%s rate=%.0f batch=%d connections=%d "
         "requests=%llu seconds=%.2f rps=%.0f p50_us=%.1f p90_us=%.1f "
         "p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%lld misses=%lld\n",
         s->proto->name, s->rate > 0 ? "open" : "closed", s->rate, s->batch,
         s->conns, all->count, s->seconds, (double)all->count / s->seconds,
         latency_quantile(all, 0.5) / 1e3, latency_quantile(all, 0.9) / 1e3,
         latency_quantile(all, 0.99) / 1e3, latency_quantile(all, 0.999) / 1e3,
         all->max_ns / 1e3, errors, misses);
  return errors || !all->count ? 1 : 0;
}

/* `loadgen http|redis ...`: the run (see the top of the file). */
static int run(int argc, char **argv) {
  settings s;
  if (parse_settings(argc, argv, &s)) {
    fprintf(stderr, "usage: loadgen http|redis PORT N_ENTITIES BATCH "
                    "CONNECTIONS THREADS SECONDS WARMUP_SECONDS [RATE]\n");
    return 2;
  }
  worker *ws = calloc((size_t)s.threads, sizeof *ws);
  pthread_t *tids = calloc((size_t)s.threads, sizeof *tids);
  pthread_barrier_t ready;
  pthread_barrier_init(&ready, NULL, (unsigned)s.threads);
  for (int t = 0, first = 0; t < s.threads; t++) {
    ws[t].s = &s;
    ws[t].ready = &ready;
    ws[t].first_conn = first;
    ws[t].n_conns = s.conns / s.threads + (t < s.conns % s.threads);
    first += ws[t].n_conns;
    ws[t].rng = 0x2545F4914F6CDD1Dull + (uint64_t)t * 0x9E3779B97F4A7C15ull;
    ws[t].hist = calloc(1, sizeof *ws[t].hist);
    pthread_create(&tids[t], NULL, run_worker, &ws[t]);
  }
  latency *all = calloc(1, sizeof *all);
  long long errors = 0, misses = 0;
  for (int t = 0; t < s.threads; t++) {
    pthread_join(tids[t], NULL);
    latency_merge(all, ws[t].hist);
    free(ws[t].hist);
    errors += ws[t].errors;
    misses += ws[t].misses;
  }
  int rc = report(&s, all, errors, misses);
  pthread_barrier_destroy(&ready);
  free(all);
  free(ws);
  free(tids);
  return rc;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "redis-gen"))
    return lg_redis_gen(atoll(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "redis-command"))
    return lg_redis_command(atoll(argv[2]));
  if (argc == 2 && !strcmp(argv[1], "selftest"))
    return lg_selftest();
  if (argc >= 2 && (!strcmp(argv[1], "http") || !strcmp(argv[1], "redis")))
    return run(argc, argv);
  fprintf(stderr, "usage: loadgen http|redis ... | redis-gen N | "
                  "redis-command ID | selftest\n");
  return 2;
}

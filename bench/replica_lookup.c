/*
 * replica_lookup.c - lookups of one entity x 20 features on a replica,
 * idle and then while its follower applies a paced stream of writes made
 * on the primary (bench/replica_serve.sh starts `larder replicate` for
 * both, and Redis).
 *
 *   replica_lookup PRIMARY REPLICA N RUNS ROWS_PER_S [runs|random]
 *
 * The replica holds the N entities of bench/online_lookup.c's store
 * (user_stats.h). Every entity is looked up once first, in order. Then
 * RUNS lookups of random entities on the idle replica, then RUNS more
 * while a thread of this process writes ROWS_PER_S rows a second into the
 * primary: every 10 ms a write of B = ROWS_PER_S / 100 entities, all newer
 * than what is stored, so that every row is a change to apply. `runs` (the
 * default): B consecutive entities from a random one, as a batch job
 * updates them; `random`: B entities drawn at random, each row then a page
 * of its own in both stores (LMDB copies every page it changes), which
 * the primary cannot write at 100k rows/s on this machine. The replica's
 * sequence number before and after the second run gives the rate its
 * follower applied at meanwhile.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "user_stats.h"

enum { TICKS_PER_S = 100 };

static const char *const who = "replica_lookup";

/* The paced writer: its store, its batch and its counts. */
typedef struct writer {
  lr_store *primary;
  long long n;       /* entities to draw from */
  int batch;         /* rows per tick */
  int random;        /* each row's entity drawn at random (else a run) */
  atomic_int stop;
  long long writes;  /* lr_write_rows calls made */
  unsigned long long last_seq; /* the primary's version after the last */
} writer;

static lr_store *open_or_die(const char *repo, unsigned flags) {
  lr_store *s = NULL;
  if (lr_store_open(repo, flags, &s) != 0)
    bench_die(who, repo, lr_store_errmsg(s));
  return s;
}

static void add_ns(struct timespec *t, long ns) {
  t->tv_nsec += ns;
  while (t->tv_nsec >= 1000000000L) {
    t->tv_nsec -= 1000000000L;
    t->tv_sec++;
  }
}

/* One write per tick on an absolute schedule; a write that ran late is
 * followed at once by the next, but no more than 10 ticks are made up. */
static void *write_paced(void *arg) {
  writer *w = arg;
  user_stats_rows rows;
  user_stats_rows_init(&rows, (size_t)w->batch);
  uint64_t rng = 0x9E3779B97F4A7C15ull;
  long long ts = (long long)time(NULL) * 1000000 + 1000000;
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!atomic_load(&w->stop)) {
    long long first = (long long)(xorshift_next(&rng) %
                                  (uint64_t)(w->n - w->batch));
    for (int r = 0; r < w->batch; r++)
      user_stats_rows_set(
          &rows, (size_t)r,
          w->random ? (long long)(xorshift_next(&rng) % (uint64_t)w->n)
                    : first + r,
          ts++);
    user_stats_rows_write(&rows, w->primary, (size_t)w->batch);
    lr_data_version v;
    lr_store_version(w->primary, &v);
    w->last_seq = v.seq;
    w->writes++;
    add_ns(&next, 1000000000L / TICKS_PER_S);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double late_ns = (double)(now.tv_sec - next.tv_sec) * 1e9 +
                     (double)(now.tv_nsec - next.tv_nsec);
    if (late_ns > 10e9 / TICKS_PER_S)
      next = now;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  user_stats_rows_free(&rows);
  return NULL;
}

static unsigned long long seq_of(lr_store *s) {
  lr_data_version v = {0, 0};
  if (lr_store_version(s, &v) != 0)
    bench_die(who, "version", lr_store_errmsg(s));
  return v.seq;
}

/* Waits until the replica holds change `seq`; the seconds it took, or
 * -1 after 60 s. */
static double catch_up(lr_store *replica, unsigned long long seq) {
  double t0 = bench_now_ns();
  while (seq_of(replica) < seq) {
    if (bench_now_ns() - t0 > 60e9)
      return -1;
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  return (bench_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "runs") &&
                                strcmp(argv[6], "random")))
    bench_die(who, "usage", "PRIMARY REPLICA N RUNS ROWS_PER_S [runs|random]");
  const char *keys = argc == 7 ? argv[6] : "runs";
  long long n = atoll(argv[3]);
  int runs = atoi(argv[4]), rate = atoi(argv[5]);
  lr_store *replica = open_or_die(argv[2], LR_STORE_READONLY);
  lr_request *req = user_stats_request(replica);
  latency *h = calloc(1, sizeof *h);
  user_stats_warm_up(req, n);
  user_stats_bench(req, "replica_lookup", "larder_idle", n, 1, runs, h);

  writer w = {.primary = open_or_die(argv[1], LR_STORE_READWRITE), .n = n,
              .batch = rate / TICKS_PER_S, .random = !strcmp(keys, "random")};
  pthread_t thread;
  unsigned long long seq0 = seq_of(replica);
  double t0 = bench_now_ns();
  pthread_create(&thread, NULL, write_paced, &w);
  user_stats_bench(req, "replica_lookup", "larder_applying", n, 1, runs, h);
  unsigned long long seq1 = seq_of(replica);
  double secs = (bench_now_ns() - t0) / 1e9;
  atomic_store(&w.stop, 1);
  pthread_join(thread, NULL);

  char params[64];
  snprintf(params, sizeof params, "entities=%lld keys=%s target=%d", n, keys,
           rate);
  bench_figure("replica_lookup_apply", "larder_follower", params,
               (double)(seq1 - seq0) * w.batch / secs, "rows/s", secs);
  bench_figure("replica_lookup_apply", "writer", params,
               (double)w.writes * w.batch / secs, "rows/s", secs);
  printf("# %lld writes of %d rows in %.2f s; the replica applied %llu of "
         "them meanwhile and the rest %.2f s after\n",
         w.writes, w.batch, secs, seq1 - seq0, catch_up(replica, w.last_seq));
  lr_request_free(req);
  lr_store_close(w.primary);
  lr_store_close(replica);
  free(h);
  return 0;
}

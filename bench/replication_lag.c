/*
 * replication_lag.c - push -> visible on every replica, and the followers'
 * apply rate, with `larder replicate` running for the primary and each
 * replica (bench/replication.sh starts them and Redis).
 *
 *   replication_lag PRIMARY PUSHES ROWS PIDS REPLICA...
 *
 * Visibility: PUSHES writes of one row, one at a time; each is timed from
 * before lr_write_rows until every replica's store reports its sequence
 * number (polled every 20 us, in this process). Apply rate, end to end:
 * ROWS rows in writes of 1,000, timed from the first write until every
 * replica holds the last one (the primary's writer and the followers
 * share the machine, so the slower of the two sets it). Catch-up: the
 * followers are stopped (SIGSTOP), ROWS rows are written again and
 * shipped, then the followers are continued and timed until every replica
 * holds the last one: the followers' own apply rate, all of them at once.
 *
 * PIDS: the `larder replicate` processes, comma-separated, the primary's
 * shipper first, then each replica's follower. After each part a note
 * says how long they ran on a CPU and how long they waited for one (the
 * run queue, /proc/PID/schedstat), per push or per 1,000 rows: figures
 * that other work on the machine moves less than the wall-clock ones.
 */
#include <signal.h>
#include <unistd.h>

#include "../bench/common.h"
#include "larder.h"

enum { MAX_REPLICAS = 8, BATCH = 1000 };

/* The replicators' pids (the shipper first) and their scheduler times. */
typedef struct replicators {
  int n;
  long pid[MAX_REPLICAS + 1];
  double run_ns[MAX_REPLICAS + 1], wait_ns[MAX_REPLICAS + 1];
} replicators;

static lr_store *open_or_die(const char *repo, unsigned flags) {
  lr_store *s = NULL;
  if (lr_store_open(repo, flags, &s) != 0)
    bench_die("replication_lag", repo, lr_store_errmsg(s));
  return s;
}

/* Writes keys [first, first + n), all at a time later than any before. */
static unsigned long long write_rows(lr_store *p, long long first, int n,
                                     long long at) {
  static lr_value uid[BATCH], ev[BATCH], a[BATCH];
  for (int i = 0; i < n; i++) {
    uid[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = first + i};
    ev[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = at};
    a[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = at};
  }
  lr_column cols[] = {{"user_id", uid}, {"event_timestamp", ev}, {"a", a}};
  if (lr_write_rows(p, "stats", cols, 3, (size_t)n, NULL) != 0)
    bench_die("replication_lag", "write", lr_store_errmsg(p));
  lr_data_version v;
  lr_store_version(p, &v);
  return v.seq;
}

/* Waits until every replica holds change `seq` (60 s at most). */
static void wait_all(lr_store **r, int n, unsigned long long seq) {
  double end = bench_now_ns() + 60e9;
  for (int i = 0; i < n; i++) {
    lr_data_version v = {0, 0};
    while (lr_store_version(r[i], &v) == 0 && v.seq < seq) {
      if (bench_now_ns() > end)
        bench_die("replication_lag", "wait", "a replica stopped following");
      usleep(20);
    }
  }
}

/* Writes `rows` rows in writes of BATCH; returns the last change's seq. */
static unsigned long long write_all(lr_store *p, int rows, long long *at) {
  unsigned long long last = 0;
  for (int done = 0; done < rows; done += BATCH)
    last = write_rows(p, done, BATCH, (*at)++);
  return last;
}

/* Reads the comma-separated pid list. */
static void parse_pids(const char *list, replicators *rp) {
  rp->n = 0;
  for (const char *p = list; *p && rp->n <= MAX_REPLICAS;
       p += strcspn(p, ","), p += *p == ',')
    rp->pid[rp->n++] = atol(p);
}

/* Sends `sig` to every follower (all but the shipper). */
static void signal_followers(const replicators *rp, int sig) {
  for (int i = 1; i < rp->n; i++)
    if (kill((pid_t)rp->pid[i], sig) != 0)
      bench_die("replication_lag", "kill", "a follower is gone");
}

/* Records each replicator's time on a CPU and waiting for one so far. */
static void sched_mark(replicators *rp) {
  for (int i = 0; i < rp->n; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/schedstat", rp->pid[i]);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%lf %lf", &rp->run_ns[i], &rp->wait_ns[i]) != 2)
      rp->run_ns[i] = rp->wait_ns[i] = 0;
    if (f)
      fclose(f);
  }
}

/* The note of the time the replicators ran and waited since `before`,
 * per `units` (pushes, or thousands of rows): the shipper's, and the
 * followers' mean. */
static void sched_note(const char *part, const replicators *before,
                       replicators *now, double units, const char *unit) {
  sched_mark(now);
  double run[2] = {0, 0}, wait[2] = {0, 0};
  for (int i = 0; i < now->n; i++) {
    double share = i ? 1.0 / (now->n - 1) : 1;
    run[i > 0] += (now->run_ns[i] - before->run_ns[i]) * share;
    wait[i > 0] += (now->wait_ns[i] - before->wait_ns[i]) * share;
  }
  printf("# %s, per %s: shipper %.0f us on a CPU, %.0f us waiting for one; "
         "each follower %.0f us on a CPU, %.0f us waiting\n", part, unit,
         run[0] / units / 1e3, wait[0] / units / 1e3, run[1] / units / 1e3,
         wait[1] / units / 1e3);
}

/* Waits until the primary's shipper reports `seq` in the log (60 s at
 * most). */
static void wait_shipped(lr_store *p, unsigned long long seq) {
  double end = bench_now_ns() + 60e9;
  lr_replication_status st = {0};
  while (lr_store_replication(p, &st) != 0 || st.log_head < seq) {
    if (bench_now_ns() > end)
      bench_die("replication_lag", "ship", "the shipper stopped shipping");
    usleep(1000);
  }
}

/* The catch-up: the followers stopped while `rows` rows are written and
 * shipped, then timed from their continuing until every replica holds
 * the last. */
static void catch_up(lr_store *p, lr_store **r, int n, int rows,
                     replicators *rp, long long *at) {
  signal_followers(rp, SIGSTOP);
  unsigned long long last = write_all(p, rows, at);
  wait_shipped(p, last);
  replicators before = *rp;
  sched_mark(&before);
  double t0 = bench_now_ns();
  signal_followers(rp, SIGCONT);
  wait_all(r, n, last);
  double secs = (bench_now_ns() - t0) / 1e9;
  sched_note("catch-up", &before, rp, rows / 1e3, "1,000 rows");
  printf("csv:replication_catchup,larder,replicas=%d rows=%d,%.0f,,,,,%.3f,"
         "rows/s; s\n", n, rows, rows / secs, secs);
  printf("# catch-up: %d rows (%d entries) applied by %d followers at once "
         "in %.2f s\n", rows, rows / BATCH, n, secs);
}

int main(int argc, char **argv) {
  if (argc < 6 || argc - 5 > MAX_REPLICAS)
    bench_die("replication_lag", "usage", "PRIMARY PUSHES ROWS PIDS "
              "REPLICA... (at most 8 replicas)");
  int pushes = atoi(argv[2]), rows = atoi(argv[3]), n = argc - 5;
  replicators rp, before;
  parse_pids(argv[4], &rp);
  if (rp.n != n + 1)
    bench_die("replication_lag", "usage", "PIDS: the shipper's, then one "
              "follower's per replica");
  lr_store *p = open_or_die(argv[1], LR_STORE_READWRITE), *r[MAX_REPLICAS];
  for (int i = 0; i < n; i++)
    r[i] = open_or_die(argv[5 + i], LR_STORE_READONLY);
  long long at = 1704067200LL * 1000000;
  wait_all(r, n, write_rows(p, 0, 1, at++)); /* every follower is up */
  latency h;
  latency_reset(&h);
  before = rp;
  sched_mark(&before);
  for (int k = 0; k < pushes; k++) {
    double t0 = bench_now_ns();
    wait_all(r, n, write_rows(p, k % 1000, 1, at++));
    latency_record(&h, (unsigned long long)(bench_now_ns() - t0));
  }
  printf("csv:replication_visible,larder,replicas=%d pushes=%d,%.0f,%.1f,"
         "%.1f,%.1f,%.1f,%.1f,pushes/s; us\n", n, pushes,
         1e9 / latency_mean(&h), latency_quantile(&h, 0.5) / 1e3,
         latency_quantile(&h, 0.9) / 1e3, latency_quantile(&h, 0.99) / 1e3,
         latency_quantile(&h, 0.999) / 1e3, h.max_ns / 1e3);
  sched_note("visible", &before, &rp, pushes, "push");
  before = rp;
  sched_mark(&before);
  double t0 = bench_now_ns();
  unsigned long long last = write_all(p, rows, &at);
  double wrote = bench_now_ns();
  wait_all(r, n, last);
  double secs = (bench_now_ns() - t0) / 1e9;
  printf("csv:replication_apply,larder,replicas=%d rows=%d,%.0f,,,,,,"
         "rows/s; -\n", n, rows, rows / secs);
  printf("# %d rows written in %.2f s; on every replica %.2f s after the "
         "first write\n", rows, (wrote - t0) / 1e9, secs);
  sched_note("apply", &before, &rp, rows / 1e3, "1,000 rows");
  catch_up(p, r, n, rows, &rp, &at);
  for (int i = 0; i < n; i++)
    lr_store_close(r[i]);
  lr_store_close(p);
  return 0;
}

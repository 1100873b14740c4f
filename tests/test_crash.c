/*
 * test_crash.c - crash consistency (issue 13): `larder write`,
 * `materialize`, `materialize-incremental` (also reloading a view whose
 * definitions changed), `compact`, `apply` and `push --to offline` killed
 * with SIGKILL at seeded random points while another process reads the
 * store. After each kill the store holds the old or the new state, by value
 * on sampled keys; the reader never saw anything else; running the command
 * again succeeds and leaves exactly the new state.
 *
 * Each case starts from the repo of `larder init`, applied and materialized
 * (the template), which the case turns into its old state and for which it
 * writes the command's input. The new state is what the command leaves when
 * it runs to its end on a copy; those runs also measure how long it takes,
 * so the kills spread over its whole run. Every trial works on a fresh copy
 * of the template. The state is read through the library as one text
 * (crash_state() in crash_reader.h, which also has the reader child):
 * which features resolve, then status, event time and value of each
 * feature of each sampled key; "old or new" means equal to one of the two
 * texts. For the push (c008) the state is the training set of the sampled
 * keys, which historical must be able to read after every kill.
 *
 * The seed is $LARDER_CRASH_SEED (default 13); failures name it and the
 * trial. See docs/internals/testing.md, "Crash consistency".
 */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"
#include "util/buf.h"

enum {
  TRIALS = 20,   /* kills per command (the issue asks for at least 20) */
  FILLER = 20000 /* extra rows a write carries, so it lasts a while */
};

#include "crash_reader.h"

static char *g_dir;      /* scratch: template, inputs, trials */
static char g_tmpl[512]; /* the template repo (the old state) */
static long long g_last; /* the last hour of the example data (µs) */
static uint64_t g_seed;
static char g_arg[4][512];   /* the command's arguments, as text */
static const char *g_cmd[8]; /* the command and its arguments */
static char g_touch[512];    /* the touch row's file (write_touch_csv),
                                in the template already: writing it
                                again changes only the store's
                                transaction id (not its rows, nor their
                                digests) */

/* Kills and reaps every child still alive (a failed assertion left the
 * test in the middle of a trial), frees the kept strings, then removes the
 * scratch folder. */
static void teardown(void) {
  th_kill_children();
  th_free_kept();
  if (g_dir)
    th_rmrf(g_dir);
  g_dir = NULL;
}

/* The state of `repo` (heap text, kept: th_release() it); a failed read fails
 * the test. */
static char *state_of(const char *repo) {
  lr__buf b;
  lr__buf_init(&b);
  int rc = repo_state(repo, &b);
  char *text = th_keep(lr__buf_steal(&b));
  cr_assert_eq(rc, 0, "%s: cannot read the state: %s", repo, text);
  return text;
}

/* ---- digests: `larder version --json`, once it exists -------------------- */

/* The length of the JSON value at `v`: an object or array to its matching
 * bracket (strings inside are not expected to hold brackets), else up to
 * the next `,`, `}` or line end. */
static size_t json_value_len(const char *v) {
  if (*v != '{' && *v != '[')
    return strcspn(v, ",}\n");
  int depth = 0;
  size_t n = 0;
  do {
    depth += (v[n] == '{' || v[n] == '[') - (v[n] == '}' || v[n] == ']');
    n++;
  } while (v[n] && depth > 0);
  return n;
}

/* The values of the "digest" or "digests" members of `larder version
 * --json` on `repo`, one a line in document order (heap, kept), or NULL
 * when this larder has no `version` command yet: the digest check of the
 * issue then waits for it. Output without any digest fails the test. */
static char *version_digests(const char *repo) {
  char *out;
  const char *args[] = {"--json", NULL};
  int rc = th_run_larder(repo, "version", args, RUN_MS, &out);
  th_keep(out);
  if (rc == 2 && strstr(out, "unknown command 'version'")) {
    th_release(out);
    return NULL;
  }
  cr_assert_eq(rc, 0, "%s: larder version --json exited %d: %s", repo, rc, out);
  lr__buf d;
  lr__buf_init(&d);
  for (const char *p = strstr(out, "\"digest"); p;
       p = strstr(p + 1, "\"digest")) {
    const char *v = p + strlen("\"digest");
    v += *v == 's';
    if (*v++ != '"')
      continue; /* another name that starts so */
    v += strspn(v, " \t\n:");
    lr__buf_append(&d, v, json_value_len(v));
    lr__buf_putc(&d, '\n');
  }
  char *digests = th_keep(lr__buf_steal(&d));
  cr_assert(*digests, "%s: larder version --json shows no digest: %s", repo,
            out);
  th_release(out);
  return digests;
}

/* Fails unless the digests of `repo` are those of state `a` or of `b`
 * (either may be the same state). A no-op while `larder version` is
 * missing (`a` is NULL then). */
static void check_digests(const char *repo, const char *a, const char *b,
                          const char *when) {
  if (!a)
    return;
  char *d = version_digests(repo);
  cr_assert(d && (!strcmp(d, a) || !strcmp(d, b)),
            "%s: %s, the digests are of neither state:\n%s\nold/new:\n%s\n%s",
            repo, when, d ? d : "(none)", a, b);
  th_release(d);
}

/* ---- the fixture --------------------------------------------------------- */

/* The template (example_repo()), the touch row's file, the seed. */
static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  g_dir = th_tempdir();
  snprintf(g_tmpl, sizeof g_tmpl, "%s/tmpl", g_dir);
  const char *seed = getenv("LARDER_CRASH_SEED");
  g_seed = seed && *seed ? strtoull(seed, NULL, 10) : 13;
  g_last = example_repo(g_tmpl, g_seed);
  snprintf(g_touch, sizeof g_touch, "%s/touch.csv", g_dir);
  write_touch_csv(g_touch);
  LARDER_OK(g_tmpl, "write", "driver_hourly_stats", g_touch);
}

TestSuite(crash, .init = setup, .fini = teardown, .timeout = 180);

/* Writes g_dir/NAME: a CSV of driver_hourly_stats rows at time `ts` (values
 * from `salt`) for the drivers from 1001 up to `end` (excluded). */
static const char *drivers_csv(const char *name, long long ts, int salt,
                               int end) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", g_dir, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  char t[32];
  iso(ts, t);
  fputs("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips\n", f);
  for (int id = 1001; id < end; id++)
    fprintf(f, "%d,%s,%.4f,%.4f,%d\n", id, t, (id % 997 + salt) / 1e4,
            (id % 89 + salt) / 1e3, id + salt);
  fclose(f);
  return path;
}

/* Every driver and FILLER drivers beyond them. */
static const char *write_rows_csv(const char *name, long long ts, int salt) {
  return drivers_csv(name, ts, salt, 1001 + 300 + FILLER);
}

/* Sets the command: g_cmd = COMMAND ARGS... (copied into g_arg). */
static void set_command(const char *command, int n, const char *const *args) {
  g_cmd[0] = command;
  for (int i = 0; i < n; i++) {
    snprintf(g_arg[i], sizeof g_arg[i], "%s", args[i]);
    g_cmd[i + 1] = g_arg[i];
  }
  g_cmd[n + 1] = NULL;
}
#define SET_COMMAND(command, ...)                                              \
  set_command(command, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *), \
              (const char *[]){__VA_ARGS__})

/* Replaces the first `from` in REPO/features.yaml by `to`. */
static void edit_definitions_of(const char *repo, const char *from,
                                const char *to) {
  char *defs = th_read(repo, "features.yaml");
  char *at = defs ? strstr(defs, from) : NULL;
  cr_assert_not_null(at, "features.yaml has no '%s'", from);
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_append(&b, defs, (size_t)(at - defs));
  lr__buf_puts(&b, to);
  lr__buf_puts(&b, at + strlen(from));
  th_write(repo, "features.yaml", lr__buf_str(&b));
  lr__buf_free(&b);
  free(defs);
}

/* Replaces the first `from` in the template's features.yaml by `to`. */
static void edit_definitions(const char *from, const char *to) {
  edit_definitions_of(g_tmpl, from, to);
}

/* ---- the cases ----------------------------------------------------------- */

/* What a command changes, as crash_state() sees it. */
typedef enum {
  CHANGES_ROWS,     /* every sampled key's row */
  CHANGES_REGISTRY, /* the features that resolve, not the stored rows */
  CHANGES_NOTHING   /* nothing a lookup can see (compact) */
} crash_change;

/* A case: makes the old state in the template and sets the command. */
typedef struct crash_case {
  const char *name;
  void (*prepare)(void);
  crash_change change;
  int reopen; /* the reader opens the store for each read (else holds it) */
} crash_case;

enum { WRITE_SALT = 7 };
#define WRITE_TS (g_last + 1800000000LL)

static void prepare_write(void) {
  SET_COMMAND("write", "driver_hourly_stats",
              write_rows_csv("new_rows.csv", WRITE_TS, WRITE_SALT));
}

/* The later interval: the template holds the hour before the last. */
static void prepare_materialize(void) {
  char a[32], b[32];
  SET_COMMAND("materialize", iso(g_last - 3600000000LL, a), iso(g_last, b));
}

static void prepare_incremental(void) {
  char t[32];
  SET_COMMAND("materialize-incremental", iso(g_last, t));
}

/* Two writes over every row first, so the file has free pages to drop. */
static void prepare_compact(void) {
  for (int i = 1; i <= 2; i++) {
    char name[32];
    snprintf(name, sizeof name, "w%d.csv", i);
    LARDER_OK(g_tmpl, "write", "driver_hourly_stats",
              write_rows_csv(name, g_last + i * 600000000LL, i));
  }
  SET_COMMAND("compact");
}

/* A feature added to the view and a new view, not applied yet. The apply
 * skips the source check: it only reads (the new feature has no column
 * yet), and without it the kills land in the part that writes. */
static void prepare_apply(void) {
  const char *trips = "      - {name: avg_daily_trips, dtype: int64, "
                      "description: trips a day}\n";
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_printf(&b, "%s      - {name: trips_rank, dtype: int64}\n", trips);
  edit_definitions(trips, lr__buf_str(&b));
  lr__buf_free(&b);
  edit_definitions("\non_demand_feature_views:",
                   "  - name: driver_daily_stats\n"
                   "    entities: [driver]\n"
                   "    source: driver_stats_source\n"
                   "    schema:\n"
                   "      - {name: conv_rate, dtype: float32}\n"
                   "\non_demand_feature_views:");
  SET_COMMAND("apply", "--skip-source-check");
}

/* conv_rate read from the acc_rate column, applied: the next incremental
 * run (to the template's end) reloads every row in the new definition's
 * values, one transaction with the records of the load (issue 15). */
static void prepare_reload(void) {
  edit_definitions("field_mapping: {trips: avg_daily_trips}",
                   "field_mapping: {trips: avg_daily_trips, acc_rate: "
                   "conv_rate}");
  LARDER_OK(g_tmpl, "apply");
  char t[32];
  SET_COMMAND("materialize-incremental", iso(g_last - 3600000000LL, t));
}

/* ---- the trials ---------------------------------------------------------- */

/* What the trials of a case share and count. */
typedef struct crash_run {
  const crash_case *cc;
  char *old, *new_;        /* the two states */
  char *old_dig, *new_dig; /* their digests; NULL while `version` is missing */
  long long dur_us;        /* the longest measured run of the command */
  int killed, finished, left_old, left_new, reads;
} crash_run;

/* Replaces repo `to` by a copy of repo `from`. */
static void copy_repo(const char *from, const char *to) {
  char cmd[1100];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
  cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void copy_template(const char *to) { copy_repo(g_tmpl, to); }

static void remove_repo(const char *repo) { th_rmrf(strdup(repo)); }

/* The first line of `a` that `b` does not have at the same place. */
static const char *first_diff(const char *a, const char *b, char *line) {
  while (*a && *a == *b) {
    size_t n = strcspn(a, "\n");
    if (strncmp(a, b, n + 1))
      break;
    a += n + (a[n] != 0);
    b += n + (b[n] != 0);
  }
  snprintf(line, 256, "%.*s", (int)strcspn(a, "\n"), a);
  return line;
}

/* Fails unless `state` of `repo` is `want_a` or `want_b`. */
static void check_state(const char *repo, const char *a, const char *b,
                        const char *when) {
  char *s = state_of(repo);
  char la[256], lb[256];
  cr_assert(!strcmp(s, a) || !strcmp(s, b),
            "%s, the state is neither the old nor the new one:\n"
            "  unlike the old: %s\n  unlike the new: %s",
            when, first_diff(s, a, la), first_diff(s, b, lb));
  th_release(s);
}

/* Runs the command to its end on copies of the template: the new state,
 * its digests and the longest of three durations. */
static void measure(crash_run *run) {
  char repo[512];
  snprintf(repo, sizeof repo, "%s/measure", g_dir);
  for (int i = 0; i < 3; i++) {
    copy_template(repo);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    larder_ok(repo, g_cmd);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long us =
        (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
    run->dur_us = us > run->dur_us ? us : run->dur_us;
    char *s = state_of(repo);
    if (i == 0) {
      run->new_ = s;
      run->new_dig = version_digests(repo);
    } else {
      cr_assert_str_eq(s, run->new_, "two full runs of %s disagree", g_cmd[0]);
      th_release(s);
    }
  }
  remove_repo(repo);
}

/* Fails unless old and new differ as the case says they do. */
static void check_change(const crash_run *run) {
  const char *o = run->old, *n = run->new_;
  if (run->cc->change == CHANGES_NOTHING) {
    cr_assert_str_eq(o, n, "%s changed what lookups see", g_cmd[0]);
    return;
  }
  cr_assert_str_neq(o, n, "%s changed nothing", g_cmd[0]);
  if (run->cc->change != CHANGES_ROWS)
    return;
  o = strchr(o, '\n') + 1; /* past the features line, then key by key */
  n = strchr(n, '\n') + 1;
  for (; *o && *n; o = strchr(o, '\n') + 1, n = strchr(n, '\n') + 1) {
    size_t len = strcspn(o, "\n");
    cr_assert(strncmp(o, n, len + 1), "%s leaves this key as it was: %.*s",
              g_cmd[0], (int)len, o);
  }
}

/* Starts the command on `repo` and kills it with SIGKILL after `delay_us`
 * (it may have ended by then). Returns 1 when the kill stopped it. */
static int run_and_kill(const char *repo, long long delay_us,
                        const char *trial) {
  int out;
  pid_t pid = th_spawn_larder(repo, g_cmd[0], 1, &out, g_cmd + 1);
  th_track_child(pid);
  usleep((useconds_t)delay_us);
  kill(pid, SIGKILL);
  int st = 0;
  int exited = th_reap(pid, RUN_MS, &st);
  th_untrack_child(pid);
  close(out);
  cr_assert(exited, "%s: larder %s outlived SIGKILL", trial, g_cmd[0]);
  int killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
  cr_assert(killed || th_exit_code(st) == 0, "%s: larder %s exited %d", trial,
            g_cmd[0], th_exit_code(st));
  return killed;
}

/* One trial on a fresh copy, a reader attached throughout: the kill, the
 * state after it (old or new), the re-run (new), the reader's verdict, and
 * the state once the reader has gone (new for every process). Half the
 * trials first write g_touch, so the store's last transaction id is even
 * in some and odd in others (LMDB picks a meta page by its parity). */
static void trial(crash_run *run, int i, uint64_t *rng) {
  char repo[512], name[256];
  snprintf(repo, sizeof repo, "%s/trial", g_dir);
  snprintf(name, sizeof name, "%s, trial %d of seed %llu", run->cc->name, i,
           (unsigned long long)g_seed);
  copy_template(repo);
  reader_spec spec = {repo, run->cc->reopen, run->old, run->new_,
                      crash_state};
  reader r = reader_start(&spec);
  if (th_random(rng) & 1)
    LARDER_OK(repo, "write", "driver_hourly_stats", g_touch);
  long long delay =
      (long long)(th_random(rng) % (uint64_t)(run->dur_us * 5 / 4 + 1));
  int killed = run_and_kill(repo, delay, name);
  run->killed += killed;
  run->finished += !killed;
  char *s = state_of(repo);
  run->left_new += !strcmp(s, run->new_) && strcmp(s, run->old);
  run->left_old += !strcmp(s, run->old);
  th_release(s);
  char when[300];
  snprintf(when, sizeof when, "%s: after a kill at %lld us", name, delay);
  check_state(repo, run->old, run->new_, when);
  check_digests(repo, run->old_dig, run->new_dig, when);
  larder_ok(repo, g_cmd);
  snprintf(when, sizeof when, "%s: after the re-run", name);
  check_state(repo, run->new_, run->new_, when);
  check_digests(repo, run->new_dig, run->new_dig, when);
  run->reads += reader_stop(&r, name);
  snprintf(when, sizeof when, "%s: once the reader had gone", name);
  check_state(repo, run->new_, run->new_, when);
  remove_repo(repo);
}

/* Prepares the case, measures the command, runs TRIALS trials and prints
 * what they did (stderr: the harness's figures, not goals). */
static void run_case(const crash_case *cc) {
  crash_run run = {.cc = cc};
  cc->prepare();
  run.old = state_of(g_tmpl);
  run.old_dig = version_digests(g_tmpl);
  measure(&run);
  check_change(&run);
  uint64_t rng = g_seed; /* each case its own sequence, from its name */
  for (const char *c = cc->name; *c; c++)
    rng = rng * 31 + (unsigned char)*c;
  rng |= 1;
  long long t0 = th_now_ms();
  for (int i = 0; i < TRIALS; i++)
    trial(&run, i, &rng);
  fprintf(stderr,
          "crash %s: run %lld us; %d trials in %lld ms: %d killed mid-run, "
          "%d ended first; left old %d, new %d; reader reads %d; digests %s\n",
          cc->name, run.dur_us, TRIALS, th_now_ms() - t0, run.killed,
          run.finished, run.left_old, run.left_new, run.reads,
          run.new_dig ? "checked" : "not available (no larder version)");
  cr_assert_gt(run.killed, 0, "%s: no kill landed before the command ended",
               cc->name);
  th_release(run.old);
  th_release(run.new_);
  th_release(run.old_dig);
  th_release(run.new_dig);
}

Test(crash, c001_write_killed_leaves_old_or_new_rows) {
  run_case(&(crash_case){"write", prepare_write, CHANGES_ROWS, 0});
}

Test(crash, c002_materialize_killed_leaves_old_or_new_rows) {
  run_case(&(crash_case){"materialize", prepare_materialize, CHANGES_ROWS, 0});
}

Test(crash, c003_materialize_incremental_killed_leaves_old_or_new_rows) {
  run_case(&(crash_case){"materialize-incremental", prepare_incremental,
                         CHANGES_ROWS, 0});
}

Test(crash, c004_compact_killed_keeps_every_row_for_every_process) {
  run_case(&(crash_case){"compact", prepare_compact, CHANGES_NOTHING, 0});
}

Test(crash, c005_apply_killed_leaves_old_or_new_registry) {
  run_case(&(crash_case){"apply", prepare_apply, CHANGES_REGISTRY, 1});
}

Test(crash, c007_reload_of_a_changed_view_killed_leaves_old_or_new_rows) {
  run_case(&(crash_case){"reload", prepare_reload, CHANGES_ROWS, 0});
}

/* ---- a push to the offline store killed ------------------------------------ */

/* The training set of the sampled drivers at `at` (µs) in `repo`, as the
 * text of its CSV: what historical reads of the offline store. It must
 * be readable at every point: a partial Parquet file would fail it. */
static char *training_state(const char *repo, long long at) {
  char path[600], out[600], t[32];
  snprintf(path, sizeof path, "%s/sampled.csv", g_dir);
  snprintf(out, sizeof out, "%s/training.csv", g_dir);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fprintf(f, "driver_id,event_timestamp\n");
  for (int i = 0; i < SAMPLE; i++)
    fprintf(f, "%lld,%s\n", g_keys[i], iso(at, t));
  fclose(f);
  LARDER_OK(repo, "historical", "--entities", path, "--features",
            "driver_hourly_stats:conv_rate,driver_hourly_stats:acc_rate,"
            "driver_hourly_stats:avg_daily_trips",
            "--output", out);
  char *text = th_read(g_dir, "training.csv");
  cr_assert_not_null(text);
  return th_keep(text);
}

/* The names in REPO/data/pushed/driver_stats_push that end in `suffix`. */
static int pushed_files(const char *repo, const char *suffix) {
  char dir[600];
  snprintf(dir, sizeof dir, "%s/data/pushed/driver_stats_push", repo);
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    n += strlen(e->d_name) > strlen(suffix) &&
         !strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix);
  if (d)
    closedir(d);
  return n;
}

/* `larder push --to offline` killed with SIGKILL at seeded random points:
 * the offline store holds the pushed rows whole or not at all, and always
 * reads (a training set of the sampled drivers is the old or the new one,
 * never an error from a half-written file); the killed push leaves at
 * most its temporary file, which the push run again removes as it
 * appends the rows. The template's view reads the push source here. */
Test(crash, c008_offline_push_killed_leaves_no_partial_file) {
  char tmpl[512], repo[512], name[300];
  snprintf(tmpl, sizeof tmpl, "%s/push_tmpl", g_dir);
  snprintf(repo, sizeof repo, "%s/trial", g_dir);
  copy_repo(g_tmpl, tmpl);
  edit_definitions_of(tmpl, "    source: driver_stats_source\n    online:",
                      "    source: driver_stats_push\n    online:");
  LARDER_OK(tmpl, "apply");
  SET_COMMAND("push", "driver_stats_push",
              write_rows_csv("pushed.csv", WRITE_TS, WRITE_SALT), "--to",
              "offline");
  long long at = WRITE_TS + 1000000;
  char *old = training_state(tmpl, at), *new_ = NULL;
  long long dur = 0;
  for (int i = 0; i < 3; i++) { /* the new state, and how long a push runs */
    copy_repo(tmpl, repo);
    long long t0 = th_now_ms();
    larder_ok(repo, g_cmd);
    dur = th_now_ms() - t0 > dur ? th_now_ms() - t0 : dur;
    char *s = training_state(repo, at);
    if (!new_)
      new_ = s;
    else
      cr_assert_str_eq(s, new_, "two full pushes disagree");
    if (s != new_)
      th_release(s);
  }
  cr_assert_str_neq(old, new_, "the push changed no training row");
  uint64_t rng = g_seed * 31 + 8;
  int killed = 0, left_old = 0, left_tmp = 0;
  for (int i = 0; i < TRIALS; i++) {
    snprintf(name, sizeof name, "push, trial %d of seed %llu", i,
             (unsigned long long)g_seed);
    copy_repo(tmpl, repo);
    long long delay = (long long)(th_random(&rng) % (uint64_t)(dur * 1250 + 1));
    killed += run_and_kill(repo, delay, name);
    left_tmp += pushed_files(repo, ".tmp");
    cr_assert_leq(pushed_files(repo, ".tmp"), 1, "%s: temporary files", name);
    cr_assert_leq(pushed_files(repo, ".parquet"), 1, "%s: files", name);
    char *s = training_state(repo, at);
    cr_assert(!strcmp(s, old) || !strcmp(s, new_),
              "%s, killed at %lld us: the training set is neither the old "
              "nor the new one:\n%s", name, delay, s);
    left_old += !strcmp(s, old);
    th_release(s);
    larder_ok(repo, g_cmd); /* the same rows again: whole, and cleaned */
    cr_assert_eq(pushed_files(repo, ".tmp"), 0, "%s: left after the re-run",
                 name);
    s = training_state(repo, at);
    cr_assert_str_eq(s, new_, "%s: after the re-run", name);
    th_release(s);
  }
  fprintf(stderr, "crash push: run %lld ms; %d trials: %d killed mid-run, "
          "left old %d, a temporary file %d\n", dur, TRIALS, killed,
          left_old, left_tmp);
  cr_assert_gt(killed, 0, "push: no kill landed before the push ended");
  th_release(old);
  th_release(new_);
  remove_repo(repo);
  remove_repo(tmpl);
}

/* The harness itself: a write of the new rows of only half the drivers
 * leaves a state that is neither old nor new; the reader attached during
 * it must report that (and its last read as not new), and so must a new
 * process. */
Test(crash, c006_a_state_that_is_neither_old_nor_new_is_caught) {
  crash_run run = {.cc =
                       &(crash_case){"write", prepare_write, CHANGES_ROWS, 0}};
  prepare_write();
  run.old = state_of(g_tmpl);
  measure(&run);
  char repo[512];
  snprintf(repo, sizeof repo, "%s/trial", g_dir);
  copy_template(repo);
  reader_spec spec = {repo, 0, run.old, run.new_, crash_state};
  reader r = reader_start(&spec);
  LARDER_OK(repo, "write", "driver_hourly_stats",
            drivers_csv("half.csv", WRITE_TS, WRITE_SALT, 1151));
  char line[1024];
  int rc = reader_finish(&r, line, sizeof line);
  cr_assert_eq(rc, 1, "the reader missed the mixed state: %s", line);
  cr_assert(strstr(line, "last read NOT new") && !strstr(line, "neither 0;"),
            "%s", line);
  char *s = state_of(repo);
  cr_assert(strcmp(s, run.old) && strcmp(s, run.new_),
            "half a write read as the old or the new state");
  th_release(s);
  th_release(run.old);
  th_release(run.new_);
  th_release(run.new_dig);
  remove_repo(repo);
}

/*
 * test_cli.c - the `larder` command line as a user drives it, for what the
 * data-driven cases (tests/e2e) cannot show: every command listed by
 * `larder --help` answers --help, -h and `larder help NAME` with its usage
 * (a loop over the list, so a new command is asked too), and `larder
 * teardown` asks on a real terminal (a pseudo-terminal) and goes ahead only
 * on a `y`.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "helpers.h"
#include "larder.h"
#include "process.h"

/* The children a failed assertion would leave (the terminal's). */
TestSuite(cli, .fini = th_kill_children);

static const char *const no_args[] = {NULL};

/* The command names the top-level help lists under "Commands:", into
 * `names` (at most max); returns how many. */
static int listed_commands(char names[][32], int max) {
  char *text;
  cr_assert_eq(th_run_larder(".", "--help", no_args, 10000, &text), 0, "%s",
               text);
  char *at = strstr(text, "\nCommands:\n");
  cr_assert(at, "no command list in: %s", text);
  int n = 0;
  for (char *line = at + 11; *line == ' ' && n < max;) {
    char *end = strchr(line, '\n');
    cr_assert(end);
    if (line[2] != ' ') /* a continuation line has no name */
      sscanf(line, " %31s", names[n++]);
    line = end + 1;
  }
  free(text);
  return n;
}

/* Every command answers --help, -h and `help NAME` alike, exit 0, with its
 * usage line first and its options (-h among them) last. */
Test(cli, cli001_every_listed_command_answers_help) {
  char names[64][32];
  int n = listed_commands(names, 64);
  cr_assert_geq(n, 18, "only %d commands listed", n);
  int saw_teardown = 0;
  for (int i = 0; i < n; i++) {
    saw_teardown |= !strcmp(names[i], "teardown");
    char *long_form, *short_form, *help_form;
    const char *const dash_dash[] = {"--help", NULL};
    const char *const dash_h[] = {"-h", NULL};
    const char *const named[] = {names[i], NULL};
    cr_assert_eq(th_run_larder(".", names[i], dash_dash, 10000, &long_form),
                 0, "larder %s --help: %s", names[i], long_form);
    cr_assert_eq(th_run_larder(".", names[i], dash_h, 10000, &short_form), 0,
                 "larder %s -h: %s", names[i], short_form);
    cr_assert_eq(th_run_larder(".", "help", named, 10000, &help_form), 0,
                 "larder help %s: %s", names[i], help_form);
    char usage[128];
    snprintf(usage, sizeof usage, "usage: larder [-c REPO] %.31s", names[i]);
    cr_assert(!strncmp(long_form, usage, strlen(usage)), "%s", long_form);
    cr_assert(strstr(long_form, "\nOptions:\n"), "%s", long_form);
    const char *last = "  -h, --help              this text\n";
    size_t len = strlen(long_form);
    cr_assert(len > strlen(last) &&
                  !strcmp(long_form + len - strlen(last), last),
              "%s", long_form);
    cr_assert_str_eq(short_form, long_form);
    cr_assert_str_eq(help_form, long_form);
    free(long_form);
    free(short_form);
    free(help_form);
  }
  cr_assert(saw_teardown);
}

/* ---- on a terminal ------------------------------------------------------ */

/* Starts `larder -c DIR COMMAND ARGS...` (ARGS NULL-terminated) on a new
 * pseudo-terminal: its stdin, stdout and stderr. Returns the pid; *master
 * gets the terminal's other end. */
static pid_t larder_on_terminal(const char *dir, const char *command,
                                const char *const *args, int *master) {
  const char *argv[16] = {th_larder_bin(), "-c", dir, command};
  int n = 4;
  for (int i = 0; args[i] && n < 15; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  *master = posix_openpt(O_RDWR | O_NOCTTY);
  cr_assert_geq(*master, 0);
  cr_assert_eq(grantpt(*master), 0);
  cr_assert_eq(unlockpt(*master), 0);
  const char *slave = ptsname(*master);
  cr_assert(slave);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    setsid();
    int fd = open(slave, O_RDWR); /* the controlling terminal */
    if (fd < 0)
      _exit(126);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  th_track_child(pid);
  return pid;
}

/* Answers the prompt with `answer`; returns the exit code and all that
 * was printed. */
static int answer_teardown(const char *dir, const char *answer,
                           char **printed) {
  int master;
  pid_t pid = larder_on_terminal(dir, "teardown", no_args, &master);
  char *before = th_read_until(master, "Type y to confirm: ", 10000, 1 << 14);
  cr_assert(strstr(before, "Type y to confirm: "), "no prompt: %s", before);
  cr_assert_eq(write(master, answer, strlen(answer)), (ssize_t)strlen(answer));
  char *after = th_read_until(master, NULL, 10000, 1 << 14); /* to the end */
  size_t n = strlen(before) + strlen(after) + 1;
  *printed = calloc(1, n);
  snprintf(*printed, n, "%s%s", before, after);
  free(before);
  free(after);
  close(master);
  return th_child_status(pid, 10000);
}

static int exists(const char *dir, const char *rel) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  struct stat st;
  return stat(path, &st) == 0;
}

/* On a terminal teardown says what it removes and asks: anything but y
 * keeps everything (exit 1); y removes the store and the registry, and
 * only them. (The terminal echoes the answer and writes \r\n.) */
Test(cli, cli002_teardown_asks_on_a_terminal) {
  char *dir = th_applied_repo(TH_STATS_DEFS);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READWRITE, &s), 0); /* makes it */
  lr_store_close(s);
  char *printed;
  cr_assert_eq(answer_teardown(dir, "no\n", &printed), 1, "%s", printed);
  cr_assert_str_eq(printed,
                   "Would remove the online store data/online.\r\n"
                   "Would remove the registry data/registry.db.\r\n"
                   "Remove them? Type y to confirm: no\r\n"
                   "larder: teardown: not confirmed (the answer was not y); "
                   "nothing was removed\r\n");
  free(printed);
  cr_assert(exists(dir, "data/online/CURRENT") &&
            exists(dir, "data/registry.db"));
  cr_assert_eq(answer_teardown(dir, "y\n", &printed), 0, "%s", printed);
  cr_assert_str_eq(printed,
                   "Would remove the online store data/online.\r\n"
                   "Would remove the registry data/registry.db.\r\n"
                   "Remove them? Type y to confirm: y\r\n"
                   "Removed the online store data/online.\r\n"
                   "Removed the registry data/registry.db.\r\n");
  free(printed);
  cr_assert(!exists(dir, "data/online") && !exists(dir, "data/registry.db"));
  cr_assert(exists(dir, "defs.yaml") && exists(dir, "feature_store.yaml") &&
            exists(dir, "data/x.csv"));
  th_rmrf(dir);
}

/* On a terminal, materialize draws a progress line per view with the
 * source rows read of the interval's total (3, of which the latest per key
 * are 2), which the library knows, so a time left can be estimated; its
 * last draw has them equal and no time left. */
Test(cli, cli003_materialize_progress_shows_the_known_total) {
  char *dir = th_applied_repo(TH_STATS_DEFS);
  th_write(dir, "data/x.csv", "user_id,event_timestamp,a\n"
                              "1,2024-01-01T00:00:00Z,10\n"
                              "1,2024-01-02T00:00:00Z,11\n"
                              "2,2024-01-01T00:00:00Z,20\n");
  const char *const args[] = {"2020-01-01", "2030-01-01", NULL};
  int master;
  pid_t pid = larder_on_terminal(dir, "materialize", args, &master);
  char *printed = th_read_until(master, NULL, 20000, 1 << 14);
  close(master);
  cr_assert_eq(th_child_status(pid, 10000), 0, "%s", printed);
  char *line = strstr(printed, "\r  stats: 3 of 3 source rows, ");
  cr_assert(line, "no progress line with the total: %s", printed);
  char *end = strstr(line, "\r\n");
  cr_assert(end && !memmem(line, (size_t)(end - line), "ETA", 3),
            "the last draw estimates a time left: %s", printed);
  cr_assert(strstr(end, "Materialized 1 view: 2 rows read, 2 written"),
            "%s", printed);
  free(printed);
  th_rmrf(dir);
}

/* -v / --verbose, a global option: after an offline error, DuckDB's own
 * message and the query Larder ran; without it, Larder's message alone
 * (the e2e case e2e-100 shows that message whole). */
Test(cli, cli004_verbose_shows_duckdbs_message_and_the_query) {
  char *dir = th_tempdir();
  th_write(dir, "data/stats.csv",
           "user_id,ts,score\n1,2024-01-01T00:00:00Z,0.5\n");
  th_apply_repo(dir, TH_CONFIG,
           "entities:\n  - {name: user, join_keys: [user_id], value_type: "
           "int64}\n"
           "sources:\n  - {name: stats, kind: file, path: data/stats.csv, "
           "timestamp_field: ts}\n"
           "feature_views:\n  - name: s\n    entities: [user]\n"
           "    source: stats\n    online: true\n    schema:\n"
           "      - {name: score, dtype: float32}\n");
  char *out;
  th_write(dir, "data/stats.csv",
           "user_id,ts,score\n1,2024-01-01T00:00:00Z,n/a\n");
  const char *const interval[] = {"2023-01-01", "2025-01-01", NULL};
  const char *const verbose[] = {"materialize", "2023-01-01", "2025-01-01",
                                 NULL};
  const char *message =
      "larder: materialize: feature view 's': data/stats.csv: row 1: column "
      "'score': 'n/a' is not a valid float32 (the type of feature 'score'): "
      "fix the value, or leave the cell empty for a null\n";
  cr_assert_eq(th_run_larder(dir, "materialize", interval, 20000, &out), 1);
  cr_assert_str_eq(out, message);
  free(out);
  const char *forms[] = {"-v", "--verbose"};
  for (int i = 0; i < 2; i++) {
    cr_assert_eq(th_run_larder(dir, forms[i], verbose, 20000, &out), 1);
    cr_assert(!strncmp(out, message, strlen(message) - 1), "%s", out);
    const char *said = strstr(out, "\nDuckDB said: Conversion Error: ");
    const char *query = strstr(out, "\nThe query: SELECT ");
    cr_assert(said && query && said < query, "%s", out);
    free(out);
  }
  th_rmrf(dir);
}

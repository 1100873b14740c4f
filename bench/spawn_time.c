/*
 * spawn_time.c - the cold start of a program doing one lookup: runs a
 * command RUNS times, one after the other, and times each from its start
 * to its exit (loading the program and its libraries, opening the store or
 * connecting, the lookup, printing). Prints one report row (common.h).
 *
 *   spawn_time SCENARIO SYSTEM PARAMS RUNS [--stdin FILE] -- COMMAND ARGS...
 *
 * The command's output goes to /dev/null; its stdin is FILE (e.g. the
 * command redis-cli reads) or /dev/null. A run that fails stops it all.
 */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static const char *const who = "spawn_time";

/* Runs the command once; returns its duration in nanoseconds. */
static double run_once(char **command, const char *stdin_path) {
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, 0, stdin_path, O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&io, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&io, 2, "/dev/null", O_WRONLY, 0);
  double t0 = bench_now_ns();
  pid_t pid;
  if (posix_spawnp(&pid, command[0], &io, NULL, command, environ) != 0)
    bench_die(who, "cannot run", command[0]);
  int status;
  waitpid(pid, &status, 0);
  double ns = bench_now_ns() - t0;
  posix_spawn_file_actions_destroy(&io);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    bench_die(who, "the command failed", command[0]);
  return ns;
}

/* One run to warm the page cache, then RUNS timed runs. */
int main(int argc, char **argv) {
  if (argc < 7)
    bench_die(who, "usage",
              "spawn_time SCENARIO SYSTEM PARAMS RUNS "
              "[--stdin FILE] -- COMMAND ARGS...");
  int runs = atoi(argv[4]), at = 5;
  const char *stdin_path = "/dev/null";
  if (!strcmp(argv[at], "--stdin") && at + 1 < argc) {
    stdin_path = argv[at + 1];
    at += 2;
  }
  if (at + 1 >= argc || strcmp(argv[at], "--") != 0 || runs < 1)
    bench_die(who, "usage", "expected RUNS >= 1 and -- COMMAND");
  char **command = argv + at + 1;
  latency *h = calloc(1, sizeof *h);
  double total = 0;
  run_once(command, stdin_path); /* not counted: fills the page cache */
  for (int i = 0; i < runs; i++) {
    double ns = run_once(command, stdin_path);
    total += ns;
    latency_record(h, (unsigned long long)ns);
  }
  bench_row(argv[1], argv[2], argv[3], runs / (total / 1e9), "starts/s", h);
  free(h);
  return 0;
}

/*
 * process.h - helpers for the suites that run the `larder` binary as a
 * child process (the server, bench and crash suites): where the binary is,
 * starting it with its stdout on a pipe, reading that pipe line by line
 * with a deadline, waiting for the child with a deadline (and killing it
 * when it overstays), running a command to its end with its output, the
 * children a teardown must kill, and a redis-server of the test's own on
 * loopback (the write log's and the replication suites).
 */
#ifndef LR_TESTS_PROCESS_H
#define LR_TESTS_PROCESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The binary: build/larder relative to the current folder (the repo
 * root), or $LARDER_BIN. */
static inline const char *th_larder_bin(void) {
  const char *bin = getenv("LARDER_BIN");
  return bin && *bin ? bin : "build/larder";
}

static inline long long th_now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits up to `ms` for `pid` to exit. Returns 1 and its wait status, or 0
 * when it still runs. */
static inline int th_wait_exit(pid_t pid, int ms, int *wstatus) {
  long long end = th_now_ms() + ms;
  for (;;) {
    pid_t r = waitpid(pid, wstatus, WNOHANG);
    if (r == pid)
      return 1;
    if (r < 0 || th_now_ms() > end)
      return 0;
    usleep(5000);
  }
}

/* How th_spawn_larder_flags starts the child. */
enum {
  TH_MERGE_STDERR = 1, /* stderr to the pipe too */
  /* Without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (dropped from the
   * bounding set before exec, so root's larder has neither): a folder's
   * mode then stops it as it stops any other user. Tests may run as
   * root; see th_modes_bind_without_dac. */
  TH_DROP_DAC = 2
};

/* Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the calling
 * process's bounding set, so that a program it executes runs without
 * them (nothing to drop for a user other than root). */
static inline void th_drop_dac_on_exec(void) {
  prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
  prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
}

/* Starts `larder -c REPO COMMAND ARGS...` (ARGS NULL-terminated) with its
 * stdout on a pipe, as `flags` (TH_MERGE_STDERR, TH_DROP_DAC) say. Returns
 * the pid; *out gets the pipe. The child dies with the test. */
static inline pid_t th_spawn_larder_flags(const char *repo,
                                          const char *command, int flags,
                                          int *out, const char *const *args) {
  const char *argv[48];
  int n = 0;
  argv[n++] = th_larder_bin();
  argv[n++] = "-c";
  argv[n++] = repo;
  argv[n++] = command;
  for (int i = 0; args[i] && n < 47; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    dup2(fds[1], 1);
    if (flags & TH_MERGE_STDERR)
      dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    signal(SIGPIPE, SIG_DFL);
    if (flags & TH_DROP_DAC)
      th_drop_dac_on_exec();
    execv(argv[0], (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  *out = fds[0];
  return pid;
}

/* th_spawn_larder_flags with stderr on the pipe too when `merge_stderr`. */
static inline pid_t th_spawn_larder(const char *repo, const char *command,
                                    int merge_stderr, int *out,
                                    const char *const *args) {
  return th_spawn_larder_flags(repo, command,
                               merge_stderr ? TH_MERGE_STDERR : 0, out, args);
}

/* 1 when a program started with TH_DROP_DAC is refused `path` by its
 * mode: `how` is "-r" (cannot read it: a folder of mode 000, say) or "-w"
 * (cannot write it: mode 0500). Always for a user other than root; for
 * root only when the drop works here (it needs CAP_SETPCAP). Checked the
 * way such a program meets it: `test HOW PATH` started with the drop. */
static inline int th_modes_bind_without_dac(const char *path,
                                            const char *how) {
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0) {
    th_drop_dac_on_exec();
    execlp("test", "test", how, path, (char *)NULL);
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 1;
}

/* Reads one line from fd within `ms` (NUL-terminated, without '\n').
 * Returns its length, or -1 on EOF or timeout. */
static inline int th_read_line(int fd, char *line, size_t cap, int ms) {
  size_t n = 0;
  long long end = th_now_ms() + ms;
  while (n + 1 < cap) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long long left = end - th_now_ms();
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      return -1;
    char c;
    if (read(fd, &c, 1) != 1)
      return -1;
    if (c == '\n')
      break;
    line[n++] = c;
  }
  line[n] = '\0';
  return (int)n;
}

/* Starts `larder -c REPO serve --port 0 ARGS...` and reads the port from
 * its first line. Returns the pid; *out gets its stdout, *port the port. */
static inline pid_t th_serve(const char *repo, const char *const *args,
                             int *out, int *port) {
  const char *argv[32] = {"--port", "0"};
  int n = 2;
  for (int i = 0; args && args[i] && n < 31; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = th_spawn_larder(repo, "serve", 0, out, argv);
  char line[4096], prefix[4200];
  int len = th_read_line(*out, line, sizeof line, 15000);
  cr_assert_geq(len, 0, "the server printed no line (is %s built?)",
                th_larder_bin());
  snprintf(prefix, sizeof prefix, "Serving %s on http://127.0.0.1:", repo);
  cr_assert(!strncmp(line, prefix, strlen(prefix)), "unexpected: %s", line);
  *port = atoi(line + strlen(prefix));
  cr_assert(*port > 0 && *port < 65536, "%s", line);
  return pid;
}

/* Children a failed assertion would leave running (it leaves the test at
 * once): th_track_child() records a pid until th_untrack_child(); a suite's
 * teardown calls th_kill_children(), which kills and reaps each by its pid.
 * (A child also dies with the test: see PR_SET_PDEATHSIG.) */
enum { TH_MAX_CHILDREN = 16 };

static inline pid_t *th_children(void) {
  static pid_t pids[TH_MAX_CHILDREN];
  return pids;
}

static inline void th_track_child(pid_t pid) {
  pid_t *kids = th_children();
  for (int i = 0; i < TH_MAX_CHILDREN; i++)
    if (!kids[i]) {
      kids[i] = pid;
      return;
    }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  cr_assert_fail("more than %d children at once", TH_MAX_CHILDREN);
}

static inline void th_untrack_child(pid_t pid) {
  pid_t *kids = th_children();
  for (int i = 0; i < TH_MAX_CHILDREN; i++)
    if (kids[i] == pid)
      kids[i] = 0;
}

static inline void th_kill_children(void) {
  pid_t *kids = th_children();
  for (int i = 0; i < TH_MAX_CHILDREN; i++)
    if (kids[i] > 0) {
      kill(kids[i], SIGKILL);
      waitpid(kids[i], NULL, 0);
      kids[i] = 0;
    }
}

/* Waits up to `ms` for `pid`; past that kills it (SIGKILL) and reaps it, so
 * no path leaves the child running. Returns 1 when it exited on its own
 * (*wstatus is its wait status), 0 when it had to be killed. */
static inline int th_reap(pid_t pid, int ms, int *wstatus) {
  if (th_wait_exit(pid, ms, wstatus))
    return 1;
  kill(pid, SIGKILL);
  waitpid(pid, wstatus, 0);
  return 0;
}

/* fork(), the child dying with the test (PR_SET_PDEATHSIG) and tracked
 * by the parent (th_kill_children stops it if an assertion ends the
 * test). Returns the pid, 0 in the child. */
static inline pid_t th_fork_child(void) {
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
  else
    th_track_child(pid);
  return pid;
}

/* An exit code from a wait status: the code, or 128 + the signal. */
static inline int th_exit_code(int wstatus) {
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

/* The exit code (th_exit_code) of tracked child `pid` within `ms`, which
 * is then untracked; -1 when it had to be killed. */
static inline int th_child_status(pid_t pid, int ms) {
  int st = 0;
  int exited = th_reap(pid, ms, &st);
  th_untrack_child(pid);
  return exited ? th_exit_code(st) : -1;
}

/* Reads from `fd` into a heap string (the caller frees it) until `want`
 * (NULL: nothing) is in it, the other side closes, `cap` - 1 bytes came or
 * `ms` passed. */
static inline char *th_read_until(int fd, const char *want, int ms,
                                  size_t cap) {
  char *text = calloc(1, cap);
  size_t len = 0;
  long long end = th_now_ms() + ms;
  while (len + 1 < cap && !(want && strstr(text, want))) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long long left = end - th_now_ms();
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t k = read(fd, text + len, cap - len - 1);
    if (k <= 0)
      break; /* closed (a terminal says EIO) */
    len += (size_t)k;
  }
  return text;
}

/* Runs `larder -c REPO COMMAND ARGS...` to its end, within `ms`, and returns
 * its exit code (th_exit_code); *output gets stdout and stderr (heap, caller
 * frees). A command that overstays is killed and fails the test. `flags`
 * as th_spawn_larder_flags takes them (stderr is always merged). */
static inline int th_run_larder_flags(const char *repo, const char *command,
                                      int flags, const char *const *args,
                                      int ms, char **output) {
  int out;
  pid_t pid = th_spawn_larder_flags(repo, command, flags | TH_MERGE_STDERR,
                                    &out, args);
  long long end = th_now_ms() + ms;
  char *text = th_read_until(out, NULL, ms, 1 << 16);
  close(out);
  long long left = end - th_now_ms();
  int st = 0;
  int exited = th_reap(pid, left > 0 ? (int)left : 0, &st);
  *output = text;
  cr_assert(exited, "larder %s did not end within %d ms: %s", command, ms,
            text);
  return th_exit_code(st);
}

/* th_run_larder_flags with no flags but stderr merged. */
static inline int th_run_larder(const char *repo, const char *command,
                                const char *const *args, int ms,
                                char **output) {
  return th_run_larder_flags(repo, command, 0, args, ms, output);
}

/* A loopback port nobody listens on now (the kernel's pick; another
 * process could take it before the caller does: th_redis_start checks). */
static inline int th_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0,
            "no free loopback port: %s", strerror(errno));
  close(fd);
  return ntohs(a.sin_port);
}

/* The pid of the redis-server answering on 127.0.0.1:port (from INFO
 * server), or 0 when none answers: the check that the one listening is
 * the one the test started. */
static inline pid_t th_redis_pid_on(int port) {
  redisContext *c = redisConnectWithTimeout(
      "127.0.0.1", port, (struct timeval){.tv_usec = 200000});
  redisReply *r = c && !c->err ? redisCommand(c, "INFO server") : NULL;
  const char *at = r && r->type == REDIS_REPLY_STRING
                       ? strstr(r->str, "process_id:") : NULL;
  pid_t pid = at ? (pid_t)atoi(at + strlen("process_id:")) : 0;
  freeReplyObject(r);
  redisFree(c);
  return pid;
}

/* Starts `redis-server` on 127.0.0.1:port without persistence, its output
 * to /dev/null, with `extra` (NULL-terminated, or NULL) after the test's
 * own options (`--dir`, `--maxmemory`, the cluster's: redis_fixture.h);
 * tracked (th_track_child), and it dies with the test. */
static inline pid_t th_spawn_redis_with(int port, const char *const *extra) {
  char port_text[16];
  snprintf(port_text, sizeof port_text, "%d", port);
  const char *argv[48] = {"redis-server", "--port", port_text, "--bind",
                          "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--loglevel", "warning"};
  int n = 11;
  for (int i = 0; extra && extra[i] && n < 47; i++)
    argv[n++] = extra[i];
  argv[n] = NULL;
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0, "fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  th_track_child(pid);
  return pid;
}

/* 1 when the redis-server on 127.0.0.1:port has loaded its data (INFO
 * persistence says loading:0): until then it answers most commands with
 * LOADING. */
static inline int th_redis_loaded(int port) {
  redisContext *c = redisConnectWithTimeout(
      "127.0.0.1", port, (struct timeval){.tv_usec = 200000});
  redisReply *r = c && !c->err ? redisCommand(c, "INFO persistence") : NULL;
  int loaded = r && r->type == REDIS_REPLY_STRING &&
               strstr(r->str, "\r\nloading:0\r\n");
  freeReplyObject(r);
  redisFree(c);
  return loaded;
}

/* Waits up to 5 s for redis-server `pid` to answer on `port`, its data
 * loaded. Returns 1, or 0 when it exited first (*wstatus: how). */
static inline int th_redis_ready(pid_t pid, int port, int *wstatus) {
  long long end = th_now_ms() + 5000;
  while (th_redis_pid_on(port) != pid || !th_redis_loaded(port)) {
    if (waitpid(pid, wstatus, WNOHANG) == pid)
      return 0;
    cr_assert(th_now_ms() < end, "redis-server did not answer on port %d "
              "within 5 s", port);
    usleep(5000);
  }
  return 1;
}

/* Starts a redis-server of the test's own, with `extra` as
 * th_spawn_redis_with takes it, and waits until it answers. *port 0: on a
 * free loopback port (set in *port; another one is tried when that one was
 * taken meanwhile); otherwise on that port (a restart on the same
 * address). Returns its pid, tracked: stop it with th_redis_stop(), or the
 * suite's teardown (th_kill_children) does. */
static inline pid_t th_redis_start_with(int *port, const char *const *extra) {
  for (int attempt = 0; attempt < 5; attempt++) {
    int at = *port ? *port : th_free_port();
    pid_t pid = th_spawn_redis_with(at, extra);
    int st = 0;
    if (th_redis_ready(pid, at, &st)) {
      *port = at;
      return pid;
    }
    th_untrack_child(pid);
    cr_assert_neq(th_exit_code(st), 127, "cannot run redis-server: install "
                  "it (scripts/deps.sh does)");
    cr_assert_eq(*port, 0, "redis-server could not listen on port %d (exit "
                 "%d)", *port, th_exit_code(st));
  }
  cr_assert_fail("redis-server found no free port in 5 attempts");
  return -1;
}

/* th_redis_start_with no extra options. */
static inline pid_t th_redis_start(int *port) {
  return th_redis_start_with(port, NULL);
}

/* Stops redis-server `pid` at once (SIGKILL: it keeps nothing anyway) and
 * reaps it, so its port is free when this returns. */
static inline void th_redis_stop(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  th_untrack_child(pid);
}

/* Sends one request to a server on loopback port `port` (the connection
 * closed after it): METHOD `path`, with `body` (NULL: none). Returns the
 * status code, the answer's body in `answer` (at most cap - 1 bytes,
 * NUL-terminated); -1 when nothing answered in 5 s. */
static inline int th_http(int port, const char *method, const char *path,
                          const char *body, char *answer, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  size_t body_len = body ? strlen(body) : 0;
  char head[512], resp[65536];
  int head_len = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: x\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                          method, path, body_len);
  size_t n = 0;
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      write(fd, head, (size_t)head_len) != head_len ||
      (body_len && write(fd, body, body_len) != (ssize_t)body_len)) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  for (long long end = th_now_ms() + 5000; n + 1 < sizeof resp;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long long left = end - th_now_ms();
    if (left <= 0 || poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t k = read(fd, resp + n, sizeof resp - 1 - n);
    if (k <= 0)
      break;
    n += (size_t)k;
  }
  close(fd);
  resp[n] = '\0';
  int status = -1;
  const char *sep = strstr(resp, "\r\n\r\n");
  if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1 || !sep)
    return -1;
  snprintf(answer, cap, "%s", sep + 4);
  return status;
}

/* GET `path` (th_http). */
static inline int th_http_get(int port, const char *path, char *body,
                              size_t cap) {
  return th_http(port, "GET", path, NULL, body, cap);
}

/* POST `body` to `path` (th_http). */
static inline int th_http_post(int port, const char *path, const char *body,
                               char *answer, size_t cap) {
  return th_http(port, "POST", path, body, answer, cap);
}

#endif

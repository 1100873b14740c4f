/*
 * test_monitoring.c - Larder's /metrics as a real Prometheus sees it
 * (docs/monitoring.md): a replica that applied a primary's write (a real
 * redis-server holds the log, `larder replicate --once` ships and applies)
 * is served by `larder serve` on loopback; Debian's `prometheus` scrapes it
 * every second with the alert rules of docs/monitoring/larder-alerts.yml
 * loaded, and its HTTP API is polled (bounded, no timing assertions) for
 * the freshness and served-feature series and the rules. promtool checks
 * the rule file; the Grafana dashboard's queries are checked against the
 * series /metrics exposes.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>

#include "offline/drift_run.h"
#include "online/freshness.h"
#include "replication_fixture.h"
#include "util/arena.h"
#include "util/json.h"

TestSuite(monitoring, .fini = repl_cleanup, .timeout = 180);

#define ALERTS "docs/monitoring/larder-alerts.yml"
#define DASHBOARD "docs/monitoring/larder-dashboard.json"

/* How long a poll of Prometheus waits at most for an answer. */
enum { POLL_MS = 60000 };

/* The event time of the rows the primary writes: T0 + 1 h. */
static const long long EVENT_US = T0 + 3600LL * 1000000;

/* A served replica: the repos, redis, and `larder serve` on the replica. */
typedef struct served {
  pid_t redis, server;
  int out, http;
  char *primary, *replica;
} served;

/* A primary and a replica on a redis of the test's own; the primary
 * writes users 0-4 of `stats` at EVENT_US, ships, the replica applies
 * (so it has a follower status: the replica series), and is served. */
static served serve_replica(void) {
  served s;
  int port;
  s.redis = start_pair(&port, &s.primary, &s.replica);
  run_exits(s.primary, "replicate", ONCE, 0, 20000);
  run_exits(s.replica, "replicate", ONCE, 0, 20000);
  put_rows_in(s.primary, 0, 5, 7, EVENT_US);
  run_exits(s.primary, "replicate", ONCE, 0, 20000);
  run_exits(s.replica, "replicate", ONCE, 0, 20000);
  s.server = th_serve(s.replica, NULL, &s.out, &s.http);
  th_track_child(s.server);
  return s;
}

static void stop_served(served *s) {
  stop_serve(s->server, s->out);
  th_redis_stop(s->redis);
}

/* Looks users 0-6 up in `stats` on the served replica: 5 PRESENT, 2
 * NOT_FOUND. */
static void look_up(const served *s) {
  char answer[8192];
  int status = th_http_post(s->http, "/get-online-features",
                            "{\"features\": [\"stats:a\"], \"entities\": "
                            "{\"user_id\": [0, 1, 2, 3, 4, 5, 6]}}",
                            answer, sizeof answer);
  cr_assert_eq(status, 200, "%s", answer);
}

/* Runs `argv` (a program on PATH) to its end within 30 s, its output
 * (stdout and stderr) into g_tmp/`log`. Returns its exit code. */
static int run_tool(const char *const *argv, const char *log) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", g_tmp, log);
  pid_t pid = th_fork_child();
  if (pid == 0) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  return th_child_status(pid, 30000);
}

/* Starts Prometheus on a free loopback port (into *port), scraping
 * 127.0.0.1:`target` every second with the alert rules loaded; its
 * configuration, data and log in g_tmp. Tracked: stopped by its pid. */
static pid_t start_prometheus(int target, int *port) {
  char rules[PATH_MAX], config[8192], arg[3][4200];
  cr_assert(realpath(ALERTS, rules), "no %s (run from the repo root)", ALERTS);
  snprintf(config, sizeof config,
           "global:\n"
           "  scrape_interval: 1s\n"
           "  evaluation_interval: 1s\n"
           "rule_files:\n"
           "  - %s\n"
           "scrape_configs:\n"
           "  - job_name: larder\n"
           "    static_configs:\n"
           "      - targets: ['127.0.0.1:%d']\n", rules, target);
  th_write(g_tmp, "prometheus/prometheus.yml", config);
  *port = th_free_port();
  snprintf(arg[0], sizeof arg[0], "--config.file=%s/prometheus/prometheus.yml",
           g_tmp);
  snprintf(arg[1], sizeof arg[1], "--storage.tsdb.path=%s/prometheus/tsdb",
           g_tmp);
  snprintf(arg[2], sizeof arg[2], "--web.listen-address=127.0.0.1:%d", *port);
  const char *const argv[] = {"prometheus", arg[0], arg[1], arg[2], NULL};
  char log[4096];
  snprintf(log, sizeof log, "%s/prometheus/log", g_tmp);
  pid_t pid = th_fork_child();
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* Stops Prometheus by its pid: SIGTERM, then at most 10 s. */
static void stop_prometheus(pid_t pid) {
  kill(pid, SIGTERM);
  int st = 0;
  cr_assert(th_reap(pid, 10000, &st), "prometheus ignored SIGTERM");
  th_untrack_child(pid);
}

/* `query` percent-encoded into `out` (for a URL's query string). */
static void url_encode(const char *query, char *out, size_t cap) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)query;
       *p && n + 4 < cap; p++)
    n += (size_t)(isalnum(*p) || strchr("_-.~", *p)
                      ? snprintf(out + n, cap - n, "%c", *p)
                      : snprintf(out + n, cap - n, "%%%02X", *p));
  out[n] = '\0';
}

/* Joins the chunks of a chunked body (Prometheus chunks the longer
 * answers; th_http does not) in place; a body that is not chunked (JSON
 * starts with '{') is left as it is. */
static void dechunk(char *body) {
  char *in = body, *out = body;
  int chunked = *body != '{';
  while (chunked && isxdigit((unsigned char)*in)) {
    char *line_end;
    unsigned long n = strtoul(in, &line_end, 16);
    line_end = strstr(line_end, "\r\n");
    if (!n || !line_end || strlen(line_end + 2) < n)
      break;
    memmove(out, line_end + 2, n);
    out += n;
    in = line_end + 2 + n + 2; /* the data, then its CRLF */
  }
  if (out != body)
    *out = '\0';
}

/* The answer of Prometheus's GET `path` (the JSON body, kept), parsed into
 * `arena`; NULL when it does not answer 200 with JSON yet. */
static const lr__jnode *prom_get(int port, const char *path,
                                 lr__arena *arena) {
  static char body[65536];
  if (th_http_get(port, path, body, sizeof body) != 200)
    return NULL;
  dechunk(body);
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *root = lr__json_read(body, strlen(body), arena, &err);
  lr__buf_free(&err);
  return root;
}

/* A string field of a JSON object, or "" when absent. */
static const char *field(const lr__jnode *obj, const char *key) {
  const lr__jnode *v = lr__json_get(obj, key);
  return v && v->kind == LR__J_STRING ? v->text : "";
}

/* Polls `query` (PromQL) until it has exactly one sample whose value is
 * `value` (NULL: any), within POLL_MS. Returns that sample (in `arena`);
 * fails the test with the last answer otherwise. */
static const lr__jnode *poll_sample(int port, const char *query,
                                    const char *value, lr__arena *arena) {
  char encoded[2048], path[2200];
  url_encode(query, encoded, sizeof encoded);
  snprintf(path, sizeof path, "/api/v1/query?query=%s", encoded);
  const char *last = "(no answer)";
  for (long long end = th_now_ms() + POLL_MS; th_now_ms() < end;
       usleep(500 * 1000)) {
    const lr__jnode *root = prom_get(port, path, arena);
    const lr__jnode *result = lr__json_get(lr__json_get(root, "data"),
                                           "result");
    if (!result || result->kind != LR__J_ARRAY || result->n != 1)
      continue;
    last = root->raw;
    const lr__jnode *v = lr__json_get(result->items[0], "value");
    if (v && v->kind == LR__J_ARRAY && v->n == 2 &&
        (!value || strcmp(v->items[1]->text, value) == 0))
      return result->items[0];
  }
  cr_assert_fail("%s never gave %s within %d ms; last: %.2000s", query,
                 value ? value : "a sample", POLL_MS, last);
  return NULL;
}

/* The replica's freshness record of `stats` (online/freshness.h). */
static lr__freshness freshness_of(const char *repo) {
  lr_store *st = NULL;
  cr_assert_eq(lr_store_open(repo, LR_STORE_READONLY, &st), 0);
  lr__freshness f;
  cr_assert_eq(lr__store_freshness(st, "stats", &f), 0, "%s",
               lr_store_errmsg(st));
  lr_store_close(st);
  return f;
}

Test(monitoring, mon001_alert_rules_pass_promtool) {
  g_tmp = th_tempdir();
  const char *const argv[] = {"promtool", "check", "rules", ALERTS, NULL};
  int code = run_tool(argv, "promtool.log");
  char *log = th_keep(th_read(g_tmp, "promtool.log"));
  cr_assert_eq(code, 0, "promtool exited %d: %s", code, log);
  cr_assert(strstr(log, "SUCCESS: 6 rules found"), "%s", log);
}

/* Prometheus scrapes the replica: the newest event time and the replicate
 * write are what the store records, and the served counts are those of
 * the lookups. */
Test(monitoring, mon002_prometheus_scrapes_freshness_and_served_features) {
  served s = serve_replica();
  int port;
  pid_t prom = start_prometheus(s.http, &port);
  lr__freshness f = freshness_of(s.replica);
  cr_assert_eq(f.max_event_us, EVENT_US);
  lr__arena arena;
  lr__arena_init(&arena);
  char want[64];
  snprintf(want, sizeof want, "%lld", (long long)(f.max_event_us / 1000000));
  const lr__jnode *sample = poll_sample(
      port, "larder_view_max_event_timestamp_seconds", want, &arena);
  const lr__jnode *metric = lr__json_get(sample, "metric");
  cr_assert_str_eq(field(metric, "view"), "stats");
  cr_assert_str_eq(field(metric, "job"), "larder");
  /* a replica's only write path is its follower's apply */
  sample = poll_sample(port, "larder_view_last_write_timestamp_seconds",
                       NULL, &arena);
  metric = lr__json_get(sample, "metric");
  cr_assert_str_eq(field(metric, "source"), "replicate");
  const lr__jnode *value = lr__json_get(sample, "value")->items[1];
  cr_assert(fabs(strtod(value->text, NULL) -
                 (double)f.last_write_us[LR__FRESH_REPLICATE] / 1e6) < 1e-3,
            "replicate at %s, the store says %lld µs", value->text,
            (long long)f.last_write_us[LR__FRESH_REPLICATE]);
  look_up(&s);
  poll_sample(port, "larder_features_served_total{view=\"stats\","
              "status=\"PRESENT\"}", "5", &arena);
  poll_sample(port, "larder_features_served_total{view=\"stats\","
              "status=\"NOT_FOUND\"}", "2", &arena);
  poll_sample(port, "larder_features_served_total{view=\"stats\","
              "status=\"OUTSIDE_MAX_AGE\"}", "0", &arena);
  lr__arena_free(&arena);
  stop_prometheus(prom);
  stop_served(&s);
}

/* The rule file loads into the running Prometheus, every rule evaluates
 * (health ok), and the staleness rule sees the 2024 event time. */
Test(monitoring, mon003_alert_rules_load_and_evaluate) {
  served s = serve_replica();
  int port;
  pid_t prom = start_prometheus(s.http, &port);
  static const char *const names[] = {
      "LarderViewStale", "LarderViewOlderThanItsFreshnessCheck",
      "LarderViewNotWritten", "LarderReplicaLagging",
      "LarderViewNeverWritten", "LarderChecksRefusedABatch"};
  const int n_names = (int)(sizeof names / sizeof names[0]);
  lr__arena arena;
  lr__arena_init(&arena);
  int ok = 0;
  const char *last = "(no answer)";
  for (long long end = th_now_ms() + POLL_MS; !ok && th_now_ms() < end;
       usleep(500 * 1000)) {
    const lr__jnode *root = prom_get(port, "/api/v1/rules", &arena);
    const lr__jnode *groups = lr__json_get(lr__json_get(root, "data"),
                                           "groups");
    if (!groups || groups->kind != LR__J_ARRAY || groups->n != 1)
      continue;
    last = root->raw;
    const lr__jnode *rules = lr__json_get(groups->items[0], "rules");
    int found = 0, stale_pending = 0;
    for (int i = 0; rules && i < rules->n; i++)
      for (int k = 0; k < n_names; k++)
        if (!strcmp(field(rules->items[i], "name"), names[k]) &&
            !strcmp(field(rules->items[i], "health"), "ok")) {
          found++;
          stale_pending |= k == 0 && (!strcmp(field(rules->items[i], "state"),
                                              "pending") ||
                                      !strcmp(field(rules->items[i], "state"),
                                              "firing"));
        }
    ok = found == n_names && stale_pending;
  }
  cr_assert(ok, "the rules did not all load and evaluate; last: %.3000s",
            last);
  lr__arena_free(&arena);
  stop_prometheus(prom);
  stop_served(&s);
}

/* 1 when `name` is a sample name of the Prometheus text `text` (a line
 * that starts with it, then labels or the value). */
static int exposed(const char *text, const char *name, size_t len) {
  for (const char *at = text; (at = strstr(at, name)) != NULL; at++)
    if ((at == text || at[-1] == '\n') && strncmp(at, name, len) == 0 &&
        (at[len] == '{' || at[len] == ' '))
      return 1;
  return 0;
}

/* Asserts that every larder_* name in `expr` is exposed in `text`;
 * returns how many it found. */
static int check_expr(const char *expr, const char *text) {
  int names = 0;
  for (const char *p = expr; (p = strstr(p, "larder_")) != NULL;) {
    size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_:");
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)len, p);
    cr_assert(exposed(text, name, len), "the dashboard's query %s names %s, "
              "which /metrics does not expose:\n%s", expr, name, text);
    names++;
    p += len;
  }
  return names;
}

/* A served repo whose view `stats` has checks (a drop rule and a
 * freshness check), written once (two failing rows dropped): the check
 * series, which a writing process's store records and a replica's does
 * not have; and a view `never` with a freshness check, never written.
 * *dir gets the repo (the caller removes it). */
static pid_t serve_checked(char **dir, int *out, int *http) {
  *dir = th_applied_repo(TH_STATS_DEFS "    checks:\n"
                         "      - {feature: a, between: [0, 2], on_fail: "
                         "drop}\n"
                         "      - {freshness: 2h}\n"
                         "  - name: never\n    entities: [user]\n"
                         "    source: src\n    schema:\n"
                         "      - {name: b, dtype: int64}\n"
                         "    checks:\n      - {freshness: 1h}\n");
  lr_store *st = NULL;
  cr_assert_eq(lr_store_open(*dir, LR_STORE_READWRITE, &st), 0);
  cr_assert_eq(th_put_stats(st, 0, 5, 0, EVENT_US), 0, "%s",
               lr_store_errmsg(st));
  lr_store_close(st);
  pid_t server = th_serve(*dir, NULL, out, http);
  th_track_child(server);
  return server;
}

/* serve_checked's /metrics into text. */
static void checked_metrics(char *text, size_t cap) {
  char *dir;
  int out, http;
  pid_t server = serve_checked(&dir, &out, &http);
  cr_assert_eq(th_http_get(http, "/metrics", text, cap), 200);
  stop_serve(server, out);
  th_rmrf(dir);
}

/* Saves a drift run of feature a of `stats` in `repo` as `larder drift
 * --save` writes it (offline/drift_run.h), for larder_drift_score. */
static void save_drift_run(const char *repo) {
  lr__drift_score score = {"a", "ok", 1, 0.02, 0, 0, 10, 1000, 1000};
  lr__drift_run run = {"stats", "psi", "profile base", "..", 0.1, 0.25, 0,
                       &score, 1, 1};
  lr__buf json;
  lr__buf_init(&json);
  lr__drift_run_json(&run, "daily", &json);
  th_write(repo, "data/drift/stats/daily.json", lr__buf_str(&json));
  lr__buf_free(&json);
}

/* Every query of every panel of the Grafana dashboard names only series
 * that a fleet's /metrics exposes: a served replica's (with a saved drift
 * run), and a writing repo's with checks. */
Test(monitoring, mon004_dashboard_queries_name_exposed_series) {
  served s = serve_replica();
  look_up(&s);
  save_drift_run(s.replica);
  static char text[131072];
  cr_assert_eq(th_http_get(s.http, "/metrics", text, sizeof text / 2), 200);
  size_t used = strlen(text);
  checked_metrics(text + used, sizeof text - used);
  size_t len = 0;
  FILE *f = fopen(DASHBOARD, "r");
  cr_assert(f, "no %s (run from the repo root)", DASHBOARD);
  char *json = th_keep(calloc(1, 1 << 20));
  len = fread(json, 1, (1 << 20) - 1, f);
  fclose(f);
  lr__arena arena;
  lr__arena_init(&arena);
  lr__buf err;
  lr__buf_init(&err);
  const lr__jnode *root = lr__json_read(json, len, &arena, &err);
  cr_assert(root, "%s: %s", DASHBOARD, lr__buf_str(&err));
  const lr__jnode *panels = lr__json_get(root, "panels");
  cr_assert(panels && panels->kind == LR__J_ARRAY && panels->n > 0);
  int exprs = 0, names = 0;
  for (int i = 0; i < panels->n; i++) {
    const lr__jnode *targets = lr__json_get(panels->items[i], "targets");
    cr_assert(targets && targets->n > 0, "panel %d has no query", i);
    for (int t = 0; t < targets->n; t++) {
      const char *expr = field(targets->items[t], "expr");
      cr_assert(*expr, "panel %d target %d has no expr", i, t);
      names += check_expr(expr, text);
      exprs++;
    }
  }
  cr_assert_geq(names, exprs, "a query names no larder series");
  lr__buf_free(&err);
  lr__arena_free(&arena);
  stop_served(&s);
}

/* Prometheus scrapes a writing repo with checks and a saved drift run, and
 * its HTTP API answers the quality series with the store's counts: rows
 * that passed and failed the drop rule, the rows quarantined, no batch
 * refused, the freshness the check expects and the drift score; a view
 * with a freshness check that was never written has its alert pending. */
Test(monitoring, mon005_prometheus_scrapes_check_and_drift_series) {
  g_tmp = th_tempdir();
  char *dir;
  int out, http, port;
  pid_t server = serve_checked(&dir, &out, &http);
  save_drift_run(dir);
  pid_t prom = start_prometheus(http, &port);
  lr__arena arena;
  lr__arena_init(&arena);
  poll_sample(port, "larder_check_rows_total{view=\"stats\",rule="
              "\"a_between\",outcome=\"failed\"}", "2", &arena);
  poll_sample(port, "larder_check_rows_total{view=\"stats\",rule="
              "\"a_between\",outcome=\"passed\"}", "3", &arena);
  poll_sample(port, "larder_rows_quarantined_total{view=\"stats\"}", "2",
              &arena);
  poll_sample(port, "larder_batches_rejected_total{view=\"stats\"}", "0",
              &arena);
  poll_sample(port, "larder_view_expected_freshness_seconds{view=\"stats\"}",
              "7200", &arena);
  poll_sample(port, "larder_drift_score{view=\"stats\",feature=\"a\","
              "method=\"psi\"}", "0.02", &arena);
  /* a view never written: its expected freshness, no newest event, and
   * the alert for it pending (it fires after 10 minutes) */
  poll_sample(port, "larder_view_expected_freshness_seconds{view=\"never\"}",
              "3600", &arena);
  const lr__jnode *alert = poll_sample(
      port, "ALERTS{alertname=\"LarderViewNeverWritten\",view=\"never\"}",
      "1", &arena);
  cr_assert_str_eq(field(lr__json_get(alert, "metric"), "alertstate"),
                   "pending");
  lr__arena_free(&arena);
  stop_prometheus(prom);
  stop_serve(server, out);
  th_rmrf(dir);
}

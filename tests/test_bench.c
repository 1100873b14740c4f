/*
 * test_bench.c - the parts of `larder bench` below the command line: the
 * latency histogram (src/cli/latency.c), the HTTP/1.1 client
 * (src/cli/http_client.c) against a real `larder serve`, and a tiny
 * `larder bench --http` run whose CSV row is read back. No speed is ever
 * asserted: only that something was measured and the figures hang
 * together.
 */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>

#include "cli/http_client.h"
#include "cli/latency.h"
#include "helpers.h"
#include "larder.h"
#include "process.h"

/* ------------------------------------------------------------------------ */
/* The latency histogram                                                     */
/* ------------------------------------------------------------------------ */

static latency *new_histogram(void) {
  latency *h = calloc(1, sizeof *h);
  cr_assert_not_null(h);
  return h;
}

Test(latency, lat_001_small_values_are_exact) {
  latency *h = new_histogram();
  for (unsigned long long v = 1; v <= 100; v++)
    latency_record(h, v);
  cr_assert_eq(h->count, 100);
  cr_assert_eq(latency_quantile(h, 0.5), 50);
  cr_assert_eq(latency_quantile(h, 0.9), 90);
  cr_assert_eq(latency_quantile(h, 0.99), 99);
  cr_assert_eq(latency_quantile(h, 1.0), 100);
  cr_assert_eq(latency_quantile(h, 0.0), 1);
  cr_assert_float_eq(latency_mean(h), 50.5, 1e-9);
  free(h);
}

Test(latency, lat_002_large_values_within_resolution) {
  latency *h = new_histogram();
  for (unsigned long long v = 1; v <= 1000000; v++)
    latency_record(h, v * 1000);
  static const double qs[] = {0.5, 0.9, 0.99, 0.999};
  for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
    double want = qs[i] * 1e9, got = (double)latency_quantile(h, qs[i]);
    cr_assert(fabs(got - want) / want < 1.0 / 64, "q%.3f: %.0f vs %.0f", qs[i],
              got, want);
  }
  cr_assert_eq(latency_quantile(h, 1.0), 1000000000ull, "max is exact");
  cr_assert_eq(h->max_ns, 1000000000ull);
  cr_assert_eq(h->min_ns, 1000ull);
  free(h);
}

Test(latency, lat_003_merge_equals_one_histogram) {
  latency *a = new_histogram(), *b = new_histogram(), *all = new_histogram();
  for (unsigned long long v = 0; v < 5000; v++) {
    unsigned long long x = (v * 7919) % 100003 + 17;
    latency_record(v % 2 ? a : b, x);
    latency_record(all, x);
  }
  latency *merged = new_histogram();
  latency_merge(merged, a);
  latency_merge(merged, b);
  cr_assert_eq(merged->count, all->count);
  cr_assert_eq(merged->min_ns, all->min_ns);
  cr_assert_eq(merged->max_ns, all->max_ns);
  cr_assert_eq(memcmp(merged->buckets, all->buckets, sizeof all->buckets), 0);
  cr_assert_eq(latency_quantile(merged, 0.99), latency_quantile(all, 0.99));
  free(a);
  free(b);
  free(all);
  free(merged);
}

Test(latency, lat_004_empty_and_extremes) {
  latency *h = new_histogram();
  cr_assert_eq(latency_quantile(h, 0.5), 0);
  cr_assert_float_eq(latency_mean(h), 0, 1e-12);
  latency_record(h, 0);
  latency_record(h, ~0ull);
  cr_assert_eq(latency_quantile(h, 0.5), 0);
  cr_assert_eq(latency_quantile(h, 1.0), ~0ull);
  latency_reset(h);
  cr_assert_eq(h->count, 0);
  free(h);
}

/* ------------------------------------------------------------------------ */
/* The HTTP client, offline                                                  */
/* ------------------------------------------------------------------------ */

static const char endpoint[] = "/get-online-features";

Test(http, http_001_urls) {
  http_client c;
  cr_assert_eq(http_parse_url(&c, "http://127.0.0.1:6566", endpoint), 0);
  cr_assert_str_eq(c.host, "127.0.0.1");
  cr_assert_str_eq(c.port, "6566");
  cr_assert_str_eq(c.path, "/get-online-features");
  cr_assert_eq(c.fd, -1);
  cr_assert_eq(http_parse_url(&c, "HTTP://feast.local/api/", endpoint), 0);
  cr_assert_str_eq(c.host, "feast.local");
  cr_assert_str_eq(c.port, "80");
  cr_assert_str_eq(c.path, "/api/get-online-features");
  cr_assert_eq(
      http_parse_url(&c, "http://[::1]:8080/get-online-features", endpoint), 0);
  cr_assert_str_eq(c.host, "::1");
  cr_assert_str_eq(c.port, "8080");
  cr_assert_str_eq(c.path, "/get-online-features");
  static const char *const bad[] = {
      "https://h:1",    "ftp://h",       "http://",   "http://h:0",
      "http://h:70000", "http://h:12ab", "http://:80"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cr_assert_eq(http_parse_url(&c, bad[i], endpoint), -1, "%s", bad[i]);
    cr_assert(c.err[0], "no reason for %s", bad[i]);
  }
  http_parse_url(&c, "https://h:1", endpoint);
  cr_assert(strstr(c.err, "https is not supported"), "%s", c.err);
}

static int parse(const char *text, http_head *h, char *why) {
  return http_parse_head(text, strlen(text), h, why, 256);
}

Test(http, http_002_response_heads) {
  http_head h;
  char why[256];
  cr_assert_eq(parse("HTTP/1.1 200 OK\r\nContent-Le", &h, why), 0);
  cr_assert_eq(
      parse("HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{}", &h, why), 1);
  cr_assert_eq(h.status, 200);
  cr_assert_eq(h.content_length, 12);
  cr_assert_eq(h.head_len, strlen("HTTP/1.1 200 OK\r\ncontent-length: 12"
                                  "\r\n\r\n"));
  cr_assert_eq(h.keep_alive, 1);
  cr_assert_eq(parse("HTTP/1.1 404 Not Found\r\nConnection: close\r\n"
                     "Content-Length: 0\r\n\r\n",
                     &h, why),
               1);
  cr_assert_eq(h.status, 404);
  cr_assert_eq(h.keep_alive, 0);
  cr_assert_eq(parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", &h, why),
               1);
  cr_assert_eq(h.keep_alive, 0, "HTTP/1.0 closes by default");
  cr_assert_eq(
      parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &h, why),
      -1);
  cr_assert(strstr(why, "chunks"), "%s", why);
  cr_assert_eq(parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", &h, why), -1);
  cr_assert(strstr(why, "Content-Length"), "%s", why);
  cr_assert_eq(parse("SSH-2.0-OpenSSH\r\n\r\n", &h, why), -1);
}

/* ------------------------------------------------------------------------ */
/* Against a real server                                                     */
/* ------------------------------------------------------------------------ */

enum { USERS = 50 };

static char *g_repo;
static pid_t g_pid = -1;
static int g_out = -1;
static int g_port;

/* A repo of one view (2 features, USERS users keyed 1..USERS) and a
 * service serving it. */
static void make_repo(void) {
  g_repo = th_tempdir();
  th_write(g_repo, "feature_store.yaml", "project: t\n");
  th_write(g_repo, "data/x.csv", "");
  th_write(g_repo, "defs.yaml",
           "entities:\n  - {name: user, join_keys: [user_id], value_type: "
           "int64}\nsources:\n  - {name: s, kind: file, path: data/x.csv, "
           "timestamp_field: ts}\nfeature_views:\n  - name: stats\n"
           "    entities: [user]\n    source: s\n    schema:\n"
           "      - {name: score, dtype: float32}\n"
           "      - {name: clicks, dtype: int64}\nfeature_services:\n"
           "  - name: all_stats\n    features: [stats]\n");
  lr_repo *repo;
  cr_assert_eq(lr_repo_open(g_repo, &repo), 0, "%s", lr_repo_errmsg(repo));
  cr_assert_eq(lr_repo_apply(repo, 0, NULL), 0, "%s", lr_repo_errmsg(repo));
  lr_repo_close(repo);
  lr_value ids[USERS], ts[USERS], score[USERS], clicks[USERS];
  for (int i = 0; i < USERS; i++) {
    ids[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i + 1};
    ts[i] = (lr_value){.type = LR_TYPE_TIMESTAMP, .v.ts = 1700000000000000LL};
    score[i] = (lr_value){.type = LR_TYPE_FLOAT32, .v.f32 = 0.5f * (float)i};
    clicks[i] = (lr_value){.type = LR_TYPE_INT64, .v.i64 = i * 10};
  }
  lr_column cols[] = {{"user_id", ids},
                      {"event_timestamp", ts},
                      {"score", score},
                      {"clicks", clicks}};
  lr_store *store;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READWRITE, &store), 0);
  cr_assert_eq(lr_write_rows(store, "stats", cols, 4, USERS, NULL), 0, "%s",
               lr_store_errmsg(store));
  lr_store_close(store);
}

/* `larder serve --port 0` on the repo; learns the port it prints. */
static void start_server(void) {
  const char *args[] = {"--port", "0", "--threads", "2", NULL};
  g_pid = th_spawn_larder(g_repo, "serve", 0, &g_out, args);
  char line[4096];
  cr_assert_geq(th_read_line(g_out, line, sizeof line, 15000), 0,
                "the server printed nothing (is %s built?)", th_larder_bin());
  const char *at = strstr(line, "127.0.0.1:");
  cr_assert_not_null(at, "%s", line);
  g_port = atoi(at + strlen("127.0.0.1:"));
  cr_assert(g_port > 0 && g_port < 65536, "%s", line);
}

static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  make_repo();
  start_server();
}

static void teardown(void) {
  if (g_pid > 0) {
    kill(g_pid, SIGTERM);
    int st;
    th_reap(g_pid, 10000, &st);
  }
  g_pid = -1;
  if (g_out >= 0)
    close(g_out);
  g_out = -1;
  if (g_repo)
    th_rmrf(g_repo);
  g_repo = NULL;
}

TestSuite(served, .init = setup, .fini = teardown, .timeout = 60);

static void url_of_server(char *url, size_t cap) {
  snprintf(url, cap, "http://127.0.0.1:%d", g_port);
}

Test(served, http_003_post_keeps_the_connection) {
  char url[64];
  url_of_server(url, sizeof url);
  http_client c;
  cr_assert_eq(http_parse_url(&c, url, endpoint), 0);
  static const char body[] =
      "{\"feature_service\": \"all_stats\", \"entities\": {\"user_id\": [3]}}";
  int status = 0, first_fd = -1;
  for (int i = 0; i < 3; i++) {
    const char *answer;
    size_t len;
    cr_assert_eq(
        http_post(&c, body, strlen(body), NULL, &status, &answer, &len), 0,
        "%s", c.err);
    cr_assert_eq(status, 200, "%.*s", (int)len, answer);
    cr_assert(memmem(answer, len, "\"PRESENT\"", 9), "%.*s", (int)len, answer);
    cr_assert(i == 0 || c.fd == first_fd, "a new connection per request");
    first_fd = c.fd;
  }
  const char *answer;
  size_t len;
  static const char bad[] = "{\"features\": [\"stats:nope\"], "
                            "\"entities\": {\"user_id\": [3]}}";
  cr_assert_eq(http_post(&c, bad, strlen(bad), NULL, &status, &answer, &len), 0,
               "%s", c.err);
  cr_assert_eq(status, 404, "%.*s", (int)len, answer);
  http_close(&c);
}

/* The next field of a CSV line without quoted cells (advances *p). */
static char *next_field(char **p) {
  char *field = *p, *comma = strchr(field, ',');
  if (comma) {
    *comma = '\0';
    *p = comma + 1;
  } else {
    *p = field + strlen(field);
  }
  return field;
}

/* Runs `larder bench ARGS` on the repo; returns its exit status and its
 * output (stdout and stderr, heap, caller frees). */
static int run_bench(const char *const *args, char **output) {
  return th_run_larder(g_repo, "bench", args, 30000, output);
}

static const char csv_header[] =
    "time,version,repo,target,features,batch,threads,warmup_s,duration_s,"
    "keys,request,lookups,lookups_per_s,entities_per_s,mean_us,p50_us,"
    "p90_us,p99_us,p999_us,max_us,open_ms,first_us,store_bytes,present_pct";

Test(served, bench_001_tiny_http_run_measures_something) {
  char url[64], csv[4200];
  url_of_server(url, sizeof url);
  snprintf(csv, sizeof csv, "%s/runs.csv", g_repo);
  const char *args[] = {
      "--service", "all_stats", "--random",   "50",    "--batch",  "5",
      "--threads", "2",         "--duration", "300ms", "--warmup", "50ms",
      "--http",    url,         "--csv",      csv,     NULL};
  char *output;
  int rc = run_bench(args, &output);
  cr_assert_eq(rc, 0, "exit %d: %s", rc, output);
  cr_assert(strstr(output, "over HTTP to "), "%s", output);
  free(output);
  char *text = th_read(g_repo, "runs.csv");
  cr_assert_not_null(text);
  char *row = strchr(text, '\n');
  cr_assert_not_null(row);
  *row++ = '\0';
  cr_assert_str_eq(text, csv_header);
  cr_assert_eq(strchr(row, '\n'), row + strlen(row) - 1, "one row: %s", row);
  row[strlen(row) - 1] = '\0';
  char *fields[32], *p = row;
  int n = 0;
  while (*p && n < 32)
    fields[n++] = next_field(&p);
  cr_assert_eq(n, 24, "%d fields", n);
  cr_assert_str_eq(fields[3], url);
  cr_assert_str_eq(fields[4], "service:all_stats");
  cr_assert_str_eq(fields[5], "5");
  cr_assert_str_eq(fields[9], "random:50");
  cr_assert_gt(atoll(fields[11]), 0, "no lookup measured");
  for (int f = 12; f <= 19; f++)
    cr_assert_gt(atof(fields[f]), 0, "field %d is %s", f, fields[f]);
  cr_assert_leq(atof(fields[15]), atof(fields[17]), "p50 <= p99");
  cr_assert_leq(atof(fields[17]), atof(fields[19]), "p99 <= max");
  cr_assert_float_eq(atof(fields[13]), atof(fields[12]) * 5, 1.0,
                     "entities/s = lookups/s x batch");
  cr_assert_gt(atoll(fields[22]), 0, "store size");
  cr_assert_float_eq(atof(fields[23]), 100.0, 1e-9, "keys 1..50 all stored");
  free(text);
}

Test(served, bench_002_server_errors_are_named) {
  char url[64];
  url_of_server(url, sizeof url);
  char *output;
  const char *args[] = {
      "--features", "stats:score", "--random", "5",      "--duration",
      "100ms",      "--warmup",    "0",        "--http", "http://127.0.0.1:1/x",
      NULL};
  int rc = run_bench(args, &output);
  cr_assert_eq(rc, 1, "%s", output);
  cr_assert(strstr(output, "cannot connect to 127.0.0.1:1"), "%s", output);
  free(output);
  char wrong_path[128];
  snprintf(wrong_path, sizeof wrong_path, "%s/v2/", url);
  const char *args2[] = {"--features", "stats:score", "--random",
                         "5",          "--duration",  "100ms",
                         "--http",     wrong_path,    NULL};
  rc = run_bench(args2, &output);
  cr_assert_eq(rc, 1, "%s", output);
  cr_assert(strstr(output, "the server answered 404"), "%s", output);
  free(output);
}

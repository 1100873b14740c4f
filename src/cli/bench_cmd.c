/*
 * bench_cmd.c - `larder bench`: measures online lookups on the user's own
 * repo, in process (lr_get_online_features) or against a running feature
 * server (--http: POST /get-online-features over keep-alive connections).
 *
 * Each thread draws its keys, times one lookup at a time into its own
 * latency histogram, and runs until the deadline; the histograms are
 * merged at the end. A warm-up runs first and is not counted. The report
 * gives the open time of the store, the first (cold) lookup, the store's
 * size, throughput and latency percentiles; --csv appends it as a row
 * (bench_report.c).
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_run.h"
#include "cli.h"


/* ---- the command line --------------------------------------------------- */

/* Reads a duration: a number with a unit (ms, s, m, h; seconds if none). */
static int parse_duration(const char *flag, const char *text, double min,
                          double *out) {
  static const struct {
    const char *unit;
    double seconds;
  } units[] = {{"", 1},  {"us", 1e-6}, {"ms", 1e-3},
               {"s", 1}, {"m", 60},    {"h", 3600}};
  char *end;
  double v = strtod(text, &end);
  for (size_t u = 0; end != text && u < sizeof units / sizeof units[0]; u++) {
    double s = v * units[u].seconds;
    if (!strcmp(end, units[u].unit) && isfinite(s) && s >= min && s <= 86400) {
      *out = s;
      return 0;
    }
  }
  return cli_usage_error("%s: '%s' is not a duration%s such as 10s, 500ms or "
                         "2m",
                         flag, text, min > 0 ? " above 0" : "");
}

/* The options. Those from F_RANDOM to F_WARMUP take a number or a
 * duration; the others a text. */
typedef enum {
  F_FEATURES,
  F_SERVICE,
  F_ENTITIES,
  F_REQUEST,
  F_HTTP,
  F_TOKEN_FILE,
  F_CSV,
  F_RANDOM,
  F_BATCH,
  F_THREADS,
  F_SEED,
  F_DURATION,
  F_WARMUP
} flag_id;

static const cli_option bench_options[] = {
    [F_FEATURES] = {"--features", "VIEW:FEATURE,...", "the features to look up",
                    0, 1},
    [F_SERVICE] = {"--service", "NAME", "the features of a feature service",
                   0, 1},
    [F_ENTITIES] = {"--entities", "FILE",
                    "draw the keys from the rows of a CSV file whose header "
                    "names the join keys",
                    0, 2},
    [F_REQUEST] = {"--request", "FIELD=VALUE",
                   "a request-data field of on-demand features, for every "
                   "entity",
                   CLI_REPEAT, 0},
    [F_HTTP] = {"--http", "URL",
                "look up through a running server (http://HOST:PORT) instead "
                "of in process",
                0, 0},
    [F_TOKEN_FILE] = {"--token-file", "FILE",
                      "with --http: the file holding the server's bearer "
                      "token",
                      0, 0},
    [F_CSV] = {"--csv", "FILE", "append the report to FILE as a CSV row", 0,
               0},
    [F_RANDOM] = {"--random", "N",
                  "draw integer keys uniformly from 1 to N", 0, 2},
    [F_BATCH] = {"--batch", "N",
                 "entities per lookup, 1 to 10000 (default 1)", 0, 0},
    [F_THREADS] = {"--threads", "N",
                   "threads looking up at once, 1 to 256 (default 1)", 0, 0},
    [F_SEED] = {"--seed", "N", "the seed of the keys drawn (default 1)", 0,
                0},
    [F_DURATION] = {"--duration", "TIME",
                    "how long to measure: 10s, 500ms, 2m... (default 10s)",
                    0, 0},
    [F_WARMUP] = {"--warmup", "TIME",
                  "how long to look up first, not counted (default 1s)", 0,
                  0},
};

/* Stores the value of a flag that takes a number or a duration. */
static int take_number(bench_args *a, flag_id id, const char *value) {
  static const long long most = 9223372036854775807LL;
  long long n = 0;
  int rc = 0;
  switch (id) {
  case F_RANDOM:
    return cli_parse_count("--random", value, 1, most, &a->keys.random_n);
  case F_BATCH:
    rc = cli_parse_count("--batch", value, 1, MAX_BATCH, &n);
    a->batch = (int)n;
    return rc;
  case F_THREADS:
    rc = cli_parse_count("--threads", value, 1, MAX_THREADS, &n);
    a->threads = (int)n;
    return rc;
  case F_SEED:
    rc = cli_parse_count("--seed", value, 0, most, &n);
    a->seed = (unsigned long long)n;
    return rc;
  case F_DURATION:
    return parse_duration("--duration", value, 1e-6, &a->duration_s);
  default:
    return parse_duration("--warmup", value, 0, &a->warmup_s);
  }
}

/* Keeps the text of --features (split into references) or --request. */
static int take_copy(bench_args *a, flag_id id, const char *value) {
  if (id == F_REQUEST) {
    if (a->keys.n_request == MAX_REQUEST)
      return cli_usage_error("at most %d --request", MAX_REQUEST);
    a->request[a->keys.n_request] = strdup(value);
    return a->request[a->keys.n_request++] ? 0 : CLI_FAILED;
  }
  free(a->features);
  a->features = strdup(value);
  a->n_refs = a->features ? cli_split_list(a->features, a->refs, MAX_REFS) : 0;
  if (a->n_refs == 0)
    return cli_usage_error("--features: no reference in '%s'", value);
  return 0;
}

/* Stores one flag's value. */
static int take_flag(bench_args *a, flag_id id, const char *value) {
  if (id >= F_RANDOM)
    return take_number(a, id, value);
  if (id == F_FEATURES || id == F_REQUEST)
    return take_copy(a, id, value);
  const char **text[] = {[F_SERVICE] = &a->service,
                         [F_ENTITIES] = &a->keys.entities_file,
                         [F_HTTP] = &a->url,
                         [F_TOKEN_FILE] = &a->token_file,
                         [F_CSV] = &a->csv};
  *text[id] = value;
  return 0;
}

/* Reads the options into `a`, with the defaults first. */
static int parse_args(const cli *c, bench_args *a) {
  *a = (bench_args){
      .batch = 1, .threads = 1, .duration_s = 10, .warmup_s = 1, .seed = 1};
  a->keys.request = a->request;
  for (int id = 0; id < CLI_COUNT(bench_options); id++)
    for (int k = 0; k < c->given[id]; k++) {
      int rc = take_flag(a, (flag_id)id, c->values[id][k]);
      if (rc)
        return rc;
    }
  if (a->token_file && !a->url)
    return cli_usage_error("--token-file goes with --http URL");
  return 0;
}

/* ---- the run --------------------------------------------------------------
 */


/* Nanoseconds on the monotonic clock. */
static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull +
         (unsigned long long)ts.tv_nsec;
}

/* How many of the request's key columns are join keys; the others are
 * request-data fields, given with --request. */
static int join_key_count(const lr_request *req) {
  int n = 0;
  lr_request_join_keys(req, &n);
  return n;
}

/* ---- in process ---- */

/* In process, each thread has its own result. */
static int inproc_setup(worker *w) {
  int rc = lr_result_create(w->b->req, w->b->a->batch, &w->res);
  if (rc)
    snprintf(w->error, sizeof w->error, "%s", lr_strerror(rc));
  return rc;
}

/* Draws the next keys. */
static int inproc_build(worker *w) {
  bench_keys_draw(&w->b->keys, &w->rng, w->b->a->batch, w->keys, w->texts);
  return 0;
}

/* One lookup; the library's message on failure. */
static int inproc_execute(worker *w) {
  int rc = lr_get_online_features(w->b->req, w->keys, w->b->a->batch, w->res);
  if (rc)
    snprintf(w->error, sizeof w->error, "%s", lr_result_errmsg(w->res));
  return rc;
}

/* The statuses of every value of the last lookup. */
static void inproc_count(worker *w) {
  for (int e = 0; e < w->b->a->batch; e++)
    for (int f = 0; f < w->b->n_features; f++) {
      lr_value v;
      lr_result_cell(w->res, e, f, &v);
      w->checked++;
      w->present += v.status == LR_STATUS_PRESENT;
    }
}

/* Frees the thread's result. */
static void inproc_cleanup(worker *w) { lr_result_free(w->res); }

static const mode in_process = {inproc_setup, inproc_build, inproc_execute,
                                inproc_count, inproc_cleanup};

/* ---- over HTTP ---- */

/* Over HTTP, each thread has its own connection. */
static int http_setup(worker *w) {
  if (http_parse_url(&w->http, w->b->a->url, "/get-online-features") == 0)
    return 0;
  snprintf(w->error, sizeof w->error, "%s", w->http.err);
  return -1;
}

/* The body of the next request: the features, then the keys drawn. */
static int http_build(worker *w) {
  bench *b = w->b;
  bench_keys_draw(&b->keys, &w->rng, b->a->batch, w->keys, w->texts);
  text_clear(&w->body);
  return text_printf(&w->body, "{%s, ", b->prefix.p) ||
         bench_keys_json(&b->keys, b->a->batch, w->keys, w->texts, &w->body) ||
         text_printf(&w->body, "}");
}

/* One request; anything but 200 is a failure, with the answer. */
static int http_execute(worker *w) {
  int status = 0;
  if (http_post(&w->http, w->body.p, w->body.len, w->b->authorization, &status,
                &w->answer, &w->answer_len)) {
    snprintf(w->error, sizeof w->error, "%s", w->http.err);
    return -1;
  }
  if (status == 200)
    return 0;
  snprintf(w->error, sizeof w->error, "the server answered %d: %.*s", status,
           (int)(w->answer_len < 600 ? w->answer_len : 600), w->answer);
  return -1;
}

/* Counts "PRESENT" statuses in the answer; the join key columns, echoed
 * first, are PRESENT for every entity and are not counted. */
static void http_count(worker *w) {
  bench *b = w->b;
  size_t hits = 0;
  const char *p = w->answer, *end = w->answer + w->answer_len;
  while ((p = memmem(p, (size_t)(end - p), "\"PRESENT\"", 9)) != NULL) {
    hits++;
    p += 9;
  }
  size_t keys_echoed = (size_t)b->a->batch * (size_t)b->keys.n_join;
  w->checked += (unsigned long long)b->a->batch * (unsigned)b->n_features;
  w->present += hits > keys_echoed ? hits - keys_echoed : 0;
}

/* Closes the thread's connection. */
static void http_cleanup(worker *w) { http_close(&w->http); }

static const mode over_http = {http_setup, http_build, http_execute, http_count,
                               http_cleanup};

/* ---- threads ---- */

/* Looks up until the deadline: warm-up lookups are counted apart, the
 * others timed into the thread's histogram. */
static void *worker_main(void *arg) {
  worker *w = arg;
  bench *b = w->b;
  for (unsigned long long n = 0;; n++) {
    if (b->m->build(w)) {
      snprintf(w->error, sizeof w->error, "out of memory");
      atomic_store(&b->failed, 1);
      break;
    }
    unsigned long long t0 = now_ns();
    if (t0 >= b->stop_at ||
        atomic_load_explicit(&b->failed, memory_order_relaxed))
      break;
    if (b->m->execute(w)) {
      atomic_store(&b->failed, 1);
      break;
    }
    unsigned long long t1 = now_ns();
    if (n % CHECK_EVERY == 0)
      b->m->count(w);
    if (t0 < b->warm_until) {
      w->warm++;
      continue;
    }
    latency_record(w->hist, t1 - t0);
    atomic_store_explicit(&w->measured, w->hist->count, memory_order_relaxed);
  }
  return NULL;
}

/* Sets every thread up; the first thread's first lookup is the cold one. */
static int setup_workers(bench *b) {
  const bench_args *a = b->a;
  size_t cells = (size_t)a->batch * (size_t)b->keys.n_keys + 1;
  for (int t = 0; t < a->threads; t++) {
    worker *w = &b->workers[t];
    w->b = b;
    w->rng = (a->seed + 1) * 0x9E3779B97F4A7C15ull + (uint64_t)t * 7919 + 1;
    w->keys = calloc(cells, sizeof *w->keys);
    w->texts = calloc(cells, sizeof *w->texts);
    w->hist = calloc(1, sizeof *w->hist);
    if (!w->keys || !w->texts || !w->hist) {
      snprintf(w->error, sizeof w->error, "out of memory");
      return -1;
    }
    if (b->m->setup(w))
      return -1;
    w->ready = 1;
  }
  worker *first = &b->workers[0];
  unsigned long long t0 = now_ns();
  int rc = b->m->build(first) || b->m->execute(first);
  b->first_ns = now_ns() - t0;
  return rc ? -1 : 0;
}

/* Progress on a terminal: the phase, time and rate so far. */
static void show_progress(const bench *b, unsigned long long now) {
  if (now < b->warm_until) {
    fprintf(stderr, "\r  warming up: %.1f of %.1f s   ",
            (double)(now - b->started) / 1e9, b->a->warmup_s);
    return;
  }
  unsigned long long done = 0;
  for (int t = 0; t < b->a->threads; t++)
    done += atomic_load_explicit(&b->workers[t].measured, memory_order_relaxed);
  double secs = (double)(now - b->warm_until) / 1e9;
  fprintf(stderr, "\r  measuring: %.1f of %.1f s, %.0f lookups/s   ", secs,
          b->a->duration_s, secs > 0 ? (double)done / secs : 0);
}

/* Runs the threads to the deadline and merges what they measured. */
static int run_workers(bench *b) {
  const bench_args *a = b->a;
  int tty = isatty(2);
  b->started = now_ns();
  b->warm_until = b->started + (unsigned long long)(a->warmup_s * 1e9);
  b->stop_at = b->warm_until + (unsigned long long)(a->duration_s * 1e9);
  int started = 0;
  for (; started < a->threads; started++)
    if (pthread_create(&b->workers[started].thread, NULL, worker_main,
                       &b->workers[started])) {
      atomic_store(&b->failed, 1);
      snprintf(b->workers[started].error, sizeof b->workers[0].error,
               "cannot start thread %d", started + 1);
      break;
    }
  unsigned long long now;
  while ((now = now_ns()) < b->stop_at && !atomic_load(&b->failed)) {
    unsigned long long left = b->stop_at - now;
    struct timespec nap = {0, (long)(left < 200000000ull ? left : 200000000)};
    nanosleep(&nap, NULL);
    if (tty)
      show_progress(b, now_ns());
  }
  if (tty)
    fputs("\r\033[K", stderr);
  for (int t = 0; t < started; t++)
    pthread_join(b->workers[t].thread, NULL);
  for (int t = 0; t < a->threads; t++)
    latency_merge(&b->total, b->workers[t].hist);
  return atomic_load(&b->failed) ? -1 : 0;
}

/* The first failure any thread met, for the user. */
static const char *first_error(const bench *b) {
  for (int t = 0; t < b->a->threads; t++)
    if (b->workers[t].error[0])
      return b->workers[t].error;
  return "a lookup failed";
}

/* ---- setup
 * ------------------------------------------------------------------- */

static int prepare_request(bench *b) {
  if (b->a->service)
    return lr_request_prepare_service(b->store, b->a->service, &b->req);
  return lr_request_prepare(b->store, b->a->refs, b->a->n_refs, &b->req);
}

/* The size of the online store's data file, or -1. The public API does not
 * give its path (feature_store.yaml may move it), so it is taken from the
 * file LMDB mapped into this process when the store was opened. */
static long long online_store_bytes(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  char line[4352];
  long long bytes = -1;
  while (maps && bytes < 0 && fgets(line, sizeof line, maps)) {
    line[strcspn(line, "\n")] = '\0';
    char *path = strchr(line, '/');
    size_t len = path ? strlen(path) : 0;
    struct stat st;
    if (len > 9 && !strcmp(path + len - 9, "/data.mdb") && stat(path, &st) == 0)
      bytes = (long long)st.st_size;
  }
  if (maps)
    fclose(maps);
  return bytes;
}

/* --http: the fixed part of every body, and the token's header. */
static int setup_http(bench *b) {
  const bench_args *a = b->a;
  http_client probe;
  if (http_parse_url(&probe, a->url, "/get-online-features"))
    return cli_usage_error("--http: %s", probe.err);
  int rc = a->service ? text_printf(&b->prefix, "\"feature_service\": ") ||
                            text_json_string(&b->prefix, a->service,
                                             strlen(a->service))
                      : text_printf(&b->prefix, "\"features\": [");
  for (int i = 0; !a->service && i < a->n_refs && !rc; i++)
    rc = (i ? text_printf(&b->prefix, ", ") : 0) ||
         text_json_string(&b->prefix, a->refs[i], strlen(a->refs[i]));
  if (!a->service && !rc)
    rc = text_printf(&b->prefix, "]");
  if (rc || !a->token_file)
    return rc ? CLI_FAILED : 0;
  FILE *f = fopen(a->token_file, "r");
  char token[4096] = "";
  if (!f || !fgets(token, sizeof token, f)) {
    if (f)
      fclose(f);
    fprintf(stderr, "larder: bench: cannot read the token in %s\n",
            a->token_file);
    return CLI_FAILED;
  }
  fclose(f);
  token[strcspn(token, "\r\n")] = '\0';
  text auth = {0};
  if (text_printf(&auth, "Bearer %s", token))
    return CLI_FAILED;
  b->authorization = auth.p;
  return 0;
}

/* Opens the store (timed: the cold start), prepares the request and
 * learns its keys. */
static int open_and_prepare(bench *b, const char *repo) {
  unsigned long long t0 = now_ns();
  int rc = lr_store_open(repo, LR_STORE_READONLY, &b->store);
  if (rc == 0)
    rc = prepare_request(b);
  b->open_ns = now_ns() - t0;
  if (rc)
    return cli_fail("bench", rc, lr_store_errmsg(b->store));
  b->store_bytes = online_store_bytes();
  lr_request_shape(b->req, NULL, &b->n_features);
  rc = bench_keys_setup(&b->keys, b->req, join_key_count(b->req),
                        &b->a->keys);
  if (rc == 0 && b->a->url)
    rc = setup_http(b);
  return rc;
}

/* ---- the command
 * ------------------------------------------------------------- */

static int measure(bench *b, const char *repo) {
  const bench_args *a = b->a;
  b->m = a->url ? &over_http : &in_process;
  b->workers = calloc((size_t)a->threads, sizeof *b->workers);
  if (!b->workers)
    return CLI_FAILED;
  if (setup_workers(b) || run_workers(b)) {
    fflush(stdout);
    fprintf(stderr, "larder: bench: %s\n", first_error(b));
    return CLI_FAILED;
  }
  if (b->total.count == 0) {
    fprintf(stderr,
            "larder: bench: no lookup was measured in %g s: give a "
            "longer --duration\n",
            a->duration_s);
    return CLI_FAILED;
  }
  bench_print_report(b, repo);
  return a->csv ? bench_append_csv(b, repo) : 0;
}

/* Releases what the run holds, whatever point it reached. */
static void free_bench(bench *b) {
  for (int t = 0; b->workers && t < b->a->threads; t++) {
    worker *w = &b->workers[t];
    if (w->ready)
      b->m->cleanup(w);
    free(w->keys);
    free(w->texts);
    free(w->hist);
    text_free(&w->body);
  }
  free(b->workers);
  bench_keys_free(&b->keys);
  text_free(&b->prefix);
  free(b->authorization);
  lr_request_free(b->req);
  lr_store_close(b->store);
}

static int cmd_bench(cli *c) {
  bench_args *a = calloc(1, sizeof *a);
  bench *b = calloc(1, sizeof *b);
  int status = a && b ? parse_args(c, a) : CLI_FAILED, needs_header;
  if (status == CLI_OK && a->csv)
    status = bench_check_csv(a->csv, &needs_header);
  if (status == CLI_OK) {
    b->a = a;
    status = open_and_prepare(b, c->repo);
  }
  if (status == CLI_OK)
    status = measure(b, c->repo);
  if (b && b->a)
    free_bench(b);
  for (int i = 0; a && i < a->keys.n_request; i++)
    free(a->request[i]);
  if (a)
    free(a->features);
  free(a);
  free(b);
  return status;
}

const cli_command cli_bench_command = {
    "bench", "measure online lookups on this repo",
    "Measure online lookups on this repo, in process or against a running "
    "server (--http): each thread looks up --batch entities at a time for "
    "--warmup, then --duration. Reports the open time, the first lookup, the "
    "store's size, throughput and latency percentiles (p50 to p999).",
    NULL, 0, bench_options, CLI_COUNT(bench_options), cmd_bench};

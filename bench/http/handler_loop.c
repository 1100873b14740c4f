/*
 * handler_loop.c - the feature server's handler without HTTP: calls
 * lr__server_handle (what both front ends call per request) in a loop on
 * one thread, with the same bodies the wrk script sends, and splits the
 * time into its parts so the HTTP library's share can be read off.
 *
 *   handler_loop REPO N_ENTITIES SECONDS_PER_BATCH
 *
 * Prints per batch (1, 10, 100 entities x 20 float32 features):
 *   handler_inproc  lr__server_handle: JSON parse (util/json.c), prepared
 *                   request cache, lookup, JSON response;
 *   lookup_inproc   lr_get_online_features alone;
 *   format_inproc   lr_result_format(JSON) alone on the looked-up result.
 */
#include <sys/stat.h>

#include "../common.h"
#include "online/store.h"
#include "serve/server.h"
#include "compat.h"
#include "util/fs.h"
#include "util/timefmt.h"

enum { MAX_RUNS = 2000000 };

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_random(void) { return xorshift_next(&rng); }

/* One line: the runs' rate on one thread and their percentiles. */
static void report(const char *name, int batch, const double *ns, int runs,
                   double secs) {
  latency *h = calloc(1, sizeof *h);
  for (int i = 0; i < runs; i++)
    latency_record(h, (unsigned long long)ns[i]);
  printf("%s batch=%d runs=%d per_s_one_thread=%.0f p50_us=%.2f p99_us=%.2f "
         "p999_us=%.2f\n", name, batch, runs, runs / secs,
         latency_quantile(h, 0.5) / 1e3, latency_quantile(h, 0.99) / 1e3,
         latency_quantile(h, 0.999) / 1e3);
  fflush(stdout);
  free(h);
}

static void body_for(lr__buf *b, int batch, long long n) {
  lr__buf_reset(b);
  lr__buf_puts(b, "{\"features\": [");
  for (int f = 0; f < 20; f++)
    lr__buf_printf(b, "%s\"user_stats:f%02d\"", f ? ", " : "", f);
  lr__buf_puts(b, "], \"entities\": {\"user_id\": [");
  for (int e = 0; e < batch; e++)
    lr__buf_printf(b, "%s%llu", e ? "," : "",
                   (unsigned long long)(next_random() % (uint64_t)n));
  lr__buf_puts(b, "]}}");
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: handler_loop REPO N_ENTITIES SECONDS_PER_BATCH\n");
    return 2;
  }
  long long n = atoll(argv[2]);
  double limit = atof(argv[3]);
  lr__server *s = calloc(1, sizeof *s);
  s->opt.repo = argv[1];
  s->opt.max_body_bytes = 1 << 20;
  s->opt.max_entities = 10000;
  bench_init_locks(s);
  if (lr_store_open(s->opt.repo, LR_STORE_READWRITE, &s->store)) {
    fprintf(stderr, "handler_loop: %s\n", lr_store_errmsg(s->store));
    return 1;
  }
  const char *refs[20];
  char ref_buf[20][32];
  for (int f = 0; f < 20; f++) {
    snprintf(ref_buf[f], sizeof ref_buf[f], "user_stats:f%02d", f);
    refs[f] = ref_buf[f];
  }
  lr_request *req;
  lr_result *res;
  if (lr_request_prepare(s->store, refs, 20, &req) ||
      lr_result_create(req, 100, &res)) {
    fprintf(stderr, "handler_loop: %s\n", lr_store_errmsg(s->store));
    return 1;
  }
  double *ns = malloc(sizeof *ns * MAX_RUNS);
  lr__buf body, out;
  lr__buf_init(&body);
  lr__buf_init(&out);
  lr_value keys[100];
  static const int batches[] = {1, 10, 100};
  for (int b = 0; b < 3; b++) {
    int batch = batches[b], runs = 0;
    /* warm-up: a tenth of the time */
    for (double t0 = bench_now_ns(); bench_now_ns() - t0 < limit * 1e8;) {
      body_for(&body, batch, n);
      int status;
      const char *ct;
      lr__buf_reset(&out);
      bench_handle(s, "POST", "/get-online-features", NULL,
                        lr__buf_str(&body), body.len, &status, &out, &ct);
    }
    double start = bench_now_ns(), sum = 0;
    while (runs < MAX_RUNS && bench_now_ns() - start < limit * 1e9) {
      body_for(&body, batch, n);
      int status = 0;
      const char *ct;
      lr__buf_reset(&out);
      double t0 = bench_now_ns();
      bench_handle(s, "POST", "/get-online-features", NULL,
                        lr__buf_str(&body), body.len, &status, &out, &ct);
      ns[runs] = bench_now_ns() - t0;
      sum += ns[runs++];
      if (status != 200) {
        fprintf(stderr, "handler_loop: status %d: %s\n", status,
                lr__buf_str(&out));
        return 1;
      }
    }
    report("handler_inproc", batch, ns, runs, sum / 1e9);
    /* the lookup alone, and the JSON formatting alone */
    double *fmt = malloc(sizeof *fmt * (size_t)runs);
    int rr = 0;
    double sum_l = 0, sum_f = 0;
    for (; rr < runs; rr++) {
      for (int e = 0; e < batch; e++)
        keys[e] = (lr_value){.type = LR_TYPE_INT64,
                             .v.i64 = (long long)(next_random() % (uint64_t)n)};
      double t0 = bench_now_ns();
      lr_get_online_features(req, keys, batch, res);
      double t1 = bench_now_ns();
      char *text = NULL;
      lr_result_format(res, keys, LR_FORMAT_JSON, &text);
      double t2 = bench_now_ns();
      lr_free(text);
      ns[rr] = t1 - t0;
      fmt[rr] = t2 - t1;
      sum_l += t1 - t0;
      sum_f += t2 - t1;
    }
    report("lookup_inproc", batch, ns, rr, sum_l / 1e9);
    report("format_inproc", batch, fmt, rr, sum_f / 1e9);
    free(fmt);
  }
  lr__buf_free(&body);
  lr__buf_free(&out);
  lr_result_free(res);
  lr_request_free(req);
  free(ns);
  lr__server_clear_cache(s);
  lr_store_close(s->store);
  free(s->registry_path);
  free(s);
  return 0;
}

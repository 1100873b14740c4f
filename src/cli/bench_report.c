/*
 * bench_report.c - the report of a `larder bench` run (bench_run.h): the
 * text on stdout, and the --csv row, whose columns are the header below.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench_run.h"
#include "cli.h"

static const char csv_header[] =
    "time,version,repo,target,features,batch,threads,warmup_s,duration_s,"
    "keys,request,lookups,lookups_per_s,entities_per_s,mean_us,p50_us,p90_us,"
    "p99_us,p999_us,max_us,open_ms,first_us,store_bytes,present_pct";

/* A duration in the unit that suits it. */
static const char *human_time(double ns, char *buf, size_t cap) {
  if (ns < 1e3)
    snprintf(buf, cap, "%.0f ns", ns);
  else if (ns < 1e6)
    snprintf(buf, cap, "%.*f us", ns < 1e4 ? 2 : 1, ns / 1e3);
  else if (ns < 1e9)
    snprintf(buf, cap, "%.2f ms", ns / 1e6);
  else
    snprintf(buf, cap, "%.2f s", ns / 1e9);
  return buf;
}

/* A size in kB, MB or GB. */
static const char *human_bytes(double bytes, char *buf, size_t cap) {
  if (bytes < 1e6)
    snprintf(buf, cap, "%.1f kB", bytes / 1e3);
  else if (bytes < 1e9)
    snprintf(buf, cap, "%.1f MB", bytes / 1e6);
  else
    snprintf(buf, cap, "%.2f GB", bytes / 1e9);
  return buf;
}

/* The share of the values checked that were PRESENT, in percent. */
static double present_pct(const bench *b) {
  unsigned long long checked = 0, present = 0;
  for (int t = 0; t < b->a->threads; t++) {
    checked += b->workers[t].checked;
    present += b->workers[t].present;
  }
  return checked ? 100.0 * (double)present / (double)checked : 0;
}

/* The lookups of the warm-up, over all threads. */
static unsigned long long warm_lookups(const bench *b) {
  unsigned long long n = 0;
  for (int t = 0; t < b->a->threads; t++)
    n += b->workers[t].warm;
  return n;
}

void bench_print_report(const bench *b, const char *repo) {
  const bench_args *a = b->a;
  const latency *h = &b->total;
  char t1[32], t2[32], t3[32], t4[32], t5[32], t6[32];
  text keys = {0};
  bench_keys_describe(&b->keys, &keys);
  printf("larder bench: %s, %s%s\n", repo,
         a->url ? "over HTTP to " : "in process", a->url ? a->url : "");
  if (a->service)
    printf("  features  %d (service %s)\n", b->n_features, a->service);
  else if (a->n_refs == 1)
    printf("  features  %d (%s)\n", b->n_features, a->refs[0]);
  else
    printf("  features  %d (%s and %d more)\n", b->n_features, a->refs[0],
           a->n_refs - 1);
  printf("  keys      %s, batch %d, %d thread%s\n", keys.p ? keys.p : "",
         a->batch, a->threads, a->threads == 1 ? "" : "s");
  printf("  open      %s (store open and prepare, cold)\n",
         human_time((double)b->open_ns, t1, sizeof t1));
  printf("  first     %s (the first lookup%s)\n",
         human_time((double)b->first_ns, t1, sizeof t1),
         a->url ? ", with connecting" : ", cold");
  if (b->store_bytes >= 0)
    printf("  store     %s (%lld bytes, the online store's data file)\n",
           human_bytes((double)b->store_bytes, t1, sizeof t1), b->store_bytes);
  printf("  warm-up   %.2f s, %llu lookups not counted\n", a->warmup_s,
         warm_lookups(b));
  printf("  measured  %.2f s, %llu lookups: %.1f lookups/s, %.1f entities/s\n",
         a->duration_s, h->count, (double)h->count / a->duration_s,
         (double)h->count * a->batch / a->duration_s);
  printf("  latency   mean %s  p50 %s  p90 %s  p99 %s  p999 %s  max %s\n",
         human_time(latency_mean(h), t1, sizeof t1),
         human_time((double)latency_quantile(h, 0.5), t2, sizeof t2),
         human_time((double)latency_quantile(h, 0.9), t3, sizeof t3),
         human_time((double)latency_quantile(h, 0.99), t4, sizeof t4),
         human_time((double)latency_quantile(h, 0.999), t5, sizeof t5),
         human_time((double)h->max_ns, t6, sizeof t6));
  printf("  present   %.1f%% of the values checked (every %dth lookup)\n",
         present_pct(b), CHECK_EVERY);
  text_free(&keys);
}

/* The parameters as CSV fields, up to `request`. */
static int csv_parameters(const bench *b, const char *repo, text *row) {
  const bench_args *a = b->a;
  char when[32];
  time_t now = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  text field = {0};
  int rc = text_printf(row, "%s,%s,", when, lr_version()) ||
           text_csv_field(row, repo) || text_printf(row, ",") ||
           text_csv_field(row, a->url ? a->url : "in-process") ||
           text_printf(row, ",");
  for (int i = 0; !a->service && i < a->n_refs && !rc; i++)
    rc = text_printf(&field, "%s%s", i ? "," : "", a->refs[i]);
  rc = rc || (a->service && text_printf(&field, "service:%s", a->service)) ||
       text_csv_field(row, field.p) ||
       text_printf(row, ",%d,%d,%g,%g,", a->batch, a->threads, a->warmup_s,
                   a->duration_s);
  text_clear(&field);
  rc = rc || bench_keys_describe(&b->keys, &field) ||
       text_csv_field(row, field.p) || text_printf(row, ",");
  text_clear(&field);
  for (int c = b->keys.n_join; c < b->keys.n_keys && !rc; c++)
    if (b->keys.origin[c] == FROM_FIXED)
      rc = text_printf(&field, "%s%s=%s", field.len ? ";" : "",
                       b->keys.names[c], b->keys.fixed_text[c]);
  rc = rc || text_csv_field(row, field.p ? field.p : "");
  text_free(&field);
  return rc;
}

/* The figures as CSV fields, after `request`. */
static int csv_figures(const bench *b, text *row) {
  const latency *h = &b->total;
  double secs = b->a->duration_s;
  return text_printf(
      row,
      ",%llu,%.1f,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,"
      "%.3f,%.2f,%lld,%.1f\n",
      h->count, (double)h->count / secs, (double)h->count * b->a->batch / secs,
      latency_mean(h) / 1e3, (double)latency_quantile(h, 0.5) / 1e3,
      (double)latency_quantile(h, 0.9) / 1e3,
      (double)latency_quantile(h, 0.99) / 1e3,
      (double)latency_quantile(h, 0.999) / 1e3, (double)h->max_ns / 1e3,
      (double)b->open_ns / 1e6, (double)b->first_ns / 1e3, b->store_bytes,
      present_pct(b));
}

int bench_check_csv(const char *path, int *needs_header) {
  FILE *f = fopen(path, "r");
  char first[1024] = "";
  if (f && !fgets(first, sizeof first, f))
    first[0] = '\0';
  if (f)
    fclose(f);
  first[strcspn(first, "\r\n")] = '\0';
  *needs_header = first[0] == '\0';
  if (*needs_header || !strcmp(first, csv_header))
    return 0;
  fprintf(stderr,
          "larder: bench: %s has other columns than larder bench "
          "%s writes: give --csv a new file\n",
          path, lr_version());
  return CLI_FAILED;
}

int bench_append_csv(const bench *b, const char *repo) {
  int needs_header;
  if (bench_check_csv(b->a->csv, &needs_header))
    return CLI_FAILED;
  text row = {0};
  int rc = (needs_header && text_printf(&row, "%s\n", csv_header)) ||
           csv_parameters(b, repo, &row) || csv_figures(b, &row);
  FILE *f = rc ? NULL : fopen(b->a->csv, "a");
  if (f) {
    rc = fputs(row.p, f) < 0;
    rc = fclose(f) != 0 || rc;
  }
  text_free(&row);
  if (!f || rc) {
    fprintf(stderr, "larder: bench: cannot append to %s\n", b->a->csv);
    return CLI_FAILED;
  }
  return 0;
}


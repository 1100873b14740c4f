/*
 * matlog.c - the materialization history of matlog.h: the file read (its
 * entries kept as written), the new entry added, the file replaced.
 */
#include "matlog.h"

#include <stdlib.h>

#include "../codec/row.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/timefmt.h"
#include "profile.h"

/* Appends "key": "TIME" (or null for the open start). */
static void put_time(lr__buf *out, const char *key, int64_t us) {
  lr__buf_printf(out, "\"%s\": ", key);
  if (us <= LR__TIME_MIN_US) {
    lr__buf_puts(out, "null");
    return;
  }
  char ts[40];
  lr__time_format(us, ts);
  lr__buf_printf(out, "\"%s\"", ts);
}

/* The entry as one JSON object. */
static void put_entry(lr__buf *out, const lr__matlog_entry *e) {
  lr__buf_puts(out, "{");
  put_time(out, "start", e->start_us);
  lr__buf_puts(out, ", ");
  put_time(out, "end", e->end_us);
  lr__buf_puts(out, ", ");
  put_time(out, "ran_at", e->ran_at_us);
  lr__buf_printf(out, ", \"duration_ms\": %.3f, \"incremental\": %s, "
                 "\"rows_written\": %llu, \"rows_skipped\": %llu, "
                 "\"rows_quarantined\": %llu, \"batches_refused\": %llu}",
                 (double)e->duration_us / 1000, e->incremental ? "true"
                                                                 : "false",
                 e->rows_written, e->rows_skipped, e->rows_quarantined,
                 e->batches_refused);
}

int lr__matlog_append(lr_offline *off, const char *view,
                      const lr__matlog_entry *e) {
  lr__buf path, err, out;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__buf_init(&out);
  lr__quality_path(off->repo, "materializations", view, "history", &path);
  char *text = NULL;
  size_t len = 0;
  lr__json_doc doc = {0};
  int had = lr__fs_exists(lr__buf_str(&path)) &&
            lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0;
  if (had)
    lr__json_doc_read(&doc, text, len);
  const lr__jnode *loads = had ? lr__json_get(doc.root, "loads") : NULL;
  int n = loads && loads->kind == LR__J_ARRAY ? loads->n : 0;
  lr__buf_puts(&out, "{\"format\": 1, \"view\": ");
  lr__buf_json_str(&out, view);
  lr__buf_puts(&out, ", \"loads\": [\n");
  for (int i = n >= LR__MATLOG_KEEP ? n - LR__MATLOG_KEEP + 1 : 0; i < n;
       i++)
    if (loads->items[i]->kind == LR__J_OBJECT) {
      lr__buf_append(&out, loads->items[i]->raw, loads->items[i]->raw_len);
      lr__buf_puts(&out, ",\n");
    }
  put_entry(&out, e);
  lr__buf_puts(&out, "]}\n");
  int rc = lr__buf_failed(&out)
               ? LR_ENOMEM
               : lr__quality_save(off, "materializations", view, "history",
                                  &out);
  if (had)
    lr__json_doc_free(&doc);
  free(text);
  lr__buf_free(&path);
  lr__buf_free(&err);
  lr__buf_free(&out);
  return rc;
}

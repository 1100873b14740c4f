/*
 * bench_keys.c - the keys `larder bench` looks up: for each key column of
 * the request, random integers (--random N), a column of an --entities CSV
 * file, or one --request value; and the text buffer the bench builds its
 * bodies, reports and CSV rows in.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "xorshift.h"

/* ---- text ------------------------------------------------------------- */

static int text_reserve(text *t, size_t extra) {
  if (t->len + extra + 1 <= t->cap)
    return 0;
  size_t cap = t->cap ? t->cap : 256;
  while (cap < t->len + extra + 1)
    cap *= 2;
  char *p = realloc(t->p, cap);
  if (!p)
    return -1;
  t->p = p;
  t->cap = cap;
  return 0;
}

int text_printf(text *t, const char *fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  int rc = n < 0 || text_reserve(t, (size_t)n) ? -1 : 0;
  if (rc == 0) {
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, again);
    t->len += (size_t)n;
  }
  va_end(again);
  va_end(ap);
  return rc;
}

int text_json_string(text *t, const char *s, size_t len) {
  if (text_reserve(t, len * 6 + 2))
    return -1;
  t->p[t->len++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\') {
      t->p[t->len++] = '\\';
      t->p[t->len++] = (char)ch;
    } else if (ch < 0x20) {
      t->len += (size_t)snprintf(t->p + t->len, 7, "\\u%04x", ch);
    } else {
      t->p[t->len++] = (char)ch;
    }
  }
  t->p[t->len++] = '"';
  t->p[t->len] = '\0';
  return 0;
}

int text_csv_field(text *t, const char *s) {
  if (!strpbrk(s, ",\"\r\n"))
    return text_printf(t, "%s", s);
  if (text_printf(t, "\""))
    return -1;
  for (const char *q = s; *q; q++)
    if (text_printf(t, *q == '"' ? "\"\"" : "%c", *q))
      return -1;
  return text_printf(t, "\"");
}

void text_clear(text *t) {
  t->len = 0;
  if (t->p)
    t->p[0] = '\0';
}

void text_free(text *t) {
  free(t->p);
  *t = (text){0};
}

/* ---- the --entities file ---------------------------------------------- */

/* Reads the whole file into a NUL-terminated heap string. */
static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  text t = {0};
  char chunk[65536];
  size_t n;
  int ok = 1;
  while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    ok = text_printf(&t, "%.*s", (int)n, chunk) == 0;
  ok = ok && !ferror(f) && text_printf(&t, "%s", "") == 0;
  int saved = errno;
  fclose(f);
  if (!ok) {
    text_free(&t);
    errno = saved ? saved : EIO;
  }
  return t.p;
}

/* Splits one CSV line (NUL-terminated, modified in place) into at most
 * `max` cells; "quoted" cells lose their quotes and "" becomes ". Returns
 * the number of cells, or -1 when a quoted cell is not closed. */
static int split_csv_line(char *line, char **cells, int max) {
  int n = 0;
  char *p = line;
  for (;;) {
    char *cell = p, *out = p;
    if (*p == '"') {
      for (p++;; p++) {
        if (!*p)
          return -1;
        if (*p == '"' && p[1] != '"')
          break;
        *out++ = *p;
        p += *p == '"';
      }
      p++;
    } else {
      while (*p && *p != ',')
        *out++ = *p++;
    }
    char next = *p;
    *out = '\0';
    if (n < max)
      cells[n] = cell;
    n++;
    if (next != ',')
      return next ? -1 : n;
    p++;
  }
}

/* The next line of the file (its '\n' and any '\r' removed), or NULL. */
static char *next_line(char **cursor) {
  char *line = *cursor;
  if (!line || !*line)
    return NULL;
  char *nl = strchr(line, '\n');
  *cursor = nl ? nl + 1 : NULL;
  if (nl)
    *nl = '\0';
  size_t len = strlen(line);
  if (len && line[len - 1] == '\r')
    line[len - 1] = '\0';
  return line;
}

/* Finds each FROM_FILE column in the header cells. */
static int map_header(bench_keys *k, char **cells, int n_cells) {
  for (int c = 0; c < k->n_keys; c++) {
    k->file_column[c] = -1;
    for (int i = 0; i < n_cells && i < BENCH_MAX_KEYS * 4; i++)
      if (!strcmp(cells[i], k->names[c]))
        k->file_column[c] = i;
    if (k->file_column[c] >= 0 && k->origin[c] != FROM_FIXED)
      k->origin[c] = FROM_FILE;
    if (c < k->n_join && k->file_column[c] < 0) {
      fprintf(stderr,
              "larder: bench: %s has no column '%s': its header row "
              "names the join keys (",
              k->file, k->names[c]);
      for (int j = 0; j < k->n_join; j++)
        fprintf(stderr, "%s%s", j ? "," : "", k->names[j]);
      fprintf(stderr, "), one entity per row below it\n");
      return CLI_FAILED;
    }
  }
  return 0;
}

/* Parses the FROM_FILE cells of one data row into row `r`. */
static int parse_row(bench_keys *k, size_t r, char **cells, int n_cells,
                     int n_header) {
  if (n_cells < 0) {
    fprintf(stderr,
            "larder: bench: %s: row %zu: a quoted cell is not closed, or "
            "text follows its closing quote\n",
            k->file, r + 1);
    return CLI_FAILED;
  }
  if (n_cells != n_header) {
    fprintf(stderr,
            "larder: bench: %s: row %zu: %d cell%s where the header has "
            "%d\n",
            k->file, r + 1, n_cells, n_cells == 1 ? "" : "s", n_header);
    return CLI_FAILED;
  }
  for (int c = 0; c < k->n_keys; c++) {
    if (k->origin[c] != FROM_FILE)
      continue;
    const char *cell = cells[k->file_column[c]];
    size_t at = r * (size_t)k->n_keys + (size_t)c;
    k->row_text[at] = cell;
    if (cli_parse_value(cell, k->types[c], &k->rows[at])) {
      char type_name[32];
      fprintf(stderr,
              "larder: bench: %s: row %zu: column '%s': '%s' is not a "
              "valid %s\n",
              k->file, r + 1, k->names[c], cell,
              lr_type_name(k->types[c], type_name));
      return CLI_FAILED;
    }
  }
  return 0;
}

/* Counts the lines that could hold rows (an upper bound). */
static size_t count_lines(const char *s) {
  size_t n = 1;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/* Reads --entities: a header row, then one entity per row. */
static int load_file(bench_keys *k) {
  k->file_bytes = read_file(k->file);
  if (!k->file_bytes) {
    fprintf(stderr, "larder: bench: cannot read %s: %s\n", k->file,
            strerror(errno));
    return CLI_FAILED;
  }
  enum { MAX_CELLS = BENCH_MAX_KEYS * 4 };
  char *cells[MAX_CELLS], *cursor = k->file_bytes, *line = next_line(&cursor);
  int n_header = line ? split_csv_line(line, cells, MAX_CELLS) : 0;
  if (n_header <= 0 || n_header > MAX_CELLS) {
    fprintf(stderr,
            "larder: bench: %s has no header row: write the join "
            "key names on its first line, then one entity per row\n",
            k->file);
    return CLI_FAILED;
  }
  int rc = map_header(k, cells, n_header);
  size_t cap = count_lines(cursor ? cursor : "");
  k->rows = calloc(cap * (size_t)k->n_keys, sizeof *k->rows);
  k->row_text = calloc(cap * (size_t)k->n_keys, sizeof *k->row_text);
  if (!rc && (!k->rows || !k->row_text))
    rc = CLI_FAILED;
  while (!rc && (line = next_line(&cursor))) {
    if (!*line)
      continue;
    int n = split_csv_line(line, cells, MAX_CELLS);
    rc = parse_row(k, k->n_rows, cells, n, n_header);
    k->n_rows++;
  }
  if (!rc && k->n_rows == 0) {
    fprintf(stderr,
            "larder: bench: %s has no rows below its header: give "
            "one entity per row\n",
            k->file);
    rc = CLI_FAILED;
  }
  return rc;
}

/* ---- the columns ------------------------------------------------------ */

/* Joins the names of columns [from, to) with ", " for a message. */
static void list_names(const bench_keys *k, int from, int to, char *out,
                       size_t cap) {
  out[0] = '\0';
  for (int c = from; c < to; c++) {
    size_t used = strlen(out);
    snprintf(out + used, cap - used, "%s%s", c > from ? ", " : "", k->names[c]);
  }
}

/* Applies one --request FIELD=VALUE. */
static int take_request(bench_keys *k, char *spec) {
  char *eq = strchr(spec, '=');
  if (!eq || eq == spec)
    return cli_usage_error("--request: '%s' is not FIELD=VALUE", spec);
  *eq = '\0';
  int c = k->n_join;
  while (c < k->n_keys && strcmp(k->names[c], spec) != 0)
    c++;
  char names[1024], type_name[32];
  list_names(k, k->n_join, k->n_keys, names, sizeof names);
  if (c == k->n_keys && k->n_join == k->n_keys)
    return cli_usage_error("--request %s: the requested features read no "
                           "request data (only on-demand views do): drop "
                           "--request",
                           spec);
  if (c == k->n_keys)
    return cli_usage_error("--request: '%s' is not a request-data field of "
                           "the requested features; they read: %s",
                           spec, names);
  if (cli_parse_value(eq + 1, k->types[c], &k->fixed[c]))
    return cli_usage_error("--request: %s=%s is not a valid %s", spec, eq + 1,
                           lr_type_name(k->types[c], type_name));
  k->origin[c] = FROM_FIXED;
  k->fixed_text[c] = eq + 1;
  return 0;
}

/* Checks that --random can draw every join key (integers only). */
static int check_random(const bench_keys *k) {
  for (int c = 0; c < k->n_join; c++) {
    char type_name[32];
    int t = k->types[c];
    if (t != LR_TYPE_INT32 && t != LR_TYPE_INT64)
      return cli_usage_error("--random draws integer keys, but join key '%s' "
                             "has type %s: give the keys in a CSV file with "
                             "--entities FILE",
                             k->names[c], lr_type_name(t, type_name));
    if (t == LR_TYPE_INT32 && k->random_n > 2147483647LL)
      return cli_usage_error("--random %lld: join key '%s' is an int32",
                             k->random_n, k->names[c]);
  }
  return 0;
}

/* Every request field needs a value: from --request or the file. */
static int check_request_fields(const bench_keys *k) {
  for (int c = k->n_join; c < k->n_keys; c++) {
    char type_name[32];
    if (k->origin[c] == FROM_RANDOM)
      return cli_usage_error("the requested features read request field "
                             "'%s' (%s): give --request %s=VALUE%s",
                             k->names[c], lr_type_name(k->types[c], type_name),
                             k->names[c],
                             k->file ? " or a column of that "
                                       "name in the --entities file"
                                     : "");
  }
  return 0;
}

int bench_keys_setup(bench_keys *k, const lr_request *req, int n_join,
                     const keys_spec *spec) {
  lr_request_shape(req, &k->n_keys, NULL);
  if (k->n_keys > BENCH_MAX_KEYS) {
    fprintf(stderr,
            "larder: bench: the request has %d key columns; larder "
            "bench handles %d\n",
            k->n_keys, BENCH_MAX_KEYS);
    return CLI_FAILED;
  }
  k->n_join = n_join;
  k->random_n = spec->random_n;
  k->file = spec->entities_file;
  for (int c = 0; c < k->n_keys; c++)
    lr_request_key(req, c, &k->names[c], &k->types[c]);
  for (int i = 0; i < spec->n_request; i++)
    if (take_request(k, spec->request[i]))
      return CLI_USAGE;
  if (k->random_n && check_random(k))
    return CLI_USAGE;
  int rc = k->file ? load_file(k) : 0;
  return rc ? rc : check_request_fields(k);
}

void bench_keys_draw(const bench_keys *k, uint64_t *rng, int batch,
                     lr_value *values, const char **texts) {
  for (int e = 0; e < batch; e++) {
    size_t row = k->n_rows ? xorshift_next(rng) % k->n_rows : 0;
    for (int c = 0; c < k->n_keys; c++) {
      size_t at = (size_t)e * (size_t)k->n_keys + (size_t)c;
      size_t from = row * (size_t)k->n_keys + (size_t)c;
      switch (k->origin[c]) {
      case FROM_RANDOM: {
        long long v =
            1 + (long long)(xorshift_next(rng) % (uint64_t)k->random_n);
        values[at] = (lr_value){.type = k->types[c]};
        if (k->types[c] == LR_TYPE_INT32)
          values[at].v.i32 = (int)v;
        else
          values[at].v.i64 = v;
        texts[at] = NULL;
        break;
      }
      case FROM_FILE:
        values[at] = k->rows[from];
        texts[at] = k->row_text[from];
        break;
      case FROM_FIXED:
        values[at] = k->fixed[c];
        texts[at] = k->fixed_text[c];
        break;
      }
    }
  }
}

/* One value in JSON: numbers and booleans as written (they were checked
 * when read), strings and times quoted. */
static int json_value(text *out, const lr_value *v, const char *t) {
  switch (v->type) {
  case LR_TYPE_INT32:
    return text_printf(out, "%d", v->v.i32);
  case LR_TYPE_INT64:
    return text_printf(out, "%lld", v->v.i64);
  case LR_TYPE_FLOAT32:
  case LR_TYPE_FLOAT64:
    return text_printf(out, "%s", t);
  case LR_TYPE_BOOL:
    return text_printf(out, "%s", v->v.b ? "true" : "false");
  default:
    return text_json_string(out, t, strlen(t));
  }
}

int bench_keys_json(const bench_keys *k, int batch, const lr_value *values,
                    const char **texts, text *out) {
  int rc = text_printf(out, "\"entities\": {");
  for (int c = 0; c < k->n_keys && !rc; c++) {
    rc = text_printf(out, "%s\"%s\": [", c ? ", " : "", k->names[c]);
    for (int e = 0; e < batch && !rc; e++) {
      size_t at = (size_t)e * (size_t)k->n_keys + (size_t)c;
      rc = (e ? text_printf(out, ",") : 0) ||
           json_value(out, &values[at], texts[at]);
    }
    rc = rc || text_printf(out, "]");
  }
  return rc || text_printf(out, "}");
}

int bench_keys_describe(const bench_keys *k, text *out) {
  if (k->file)
    return text_printf(out, "file:%s", k->file);
  return text_printf(out, "random:%lld", k->random_n);
}

void bench_keys_free(bench_keys *k) {
  free(k->file_bytes);
  free(k->rows);
  free(k->row_text);
  k->file_bytes = NULL;
  k->rows = NULL;
  k->row_text = NULL;
}

/*
 * timecol.c - time columns in DuckDB's queries read by Larder's one time
 * parser (util/timefmt.h), the one `larder write` and the server use, so
 * that no path guesses at a format another path refuses.
 *
 * Each time column of a query (an entity row's timestamp, a source's
 * timestamp_field, created_timestamp_column and timestamp features) is
 * read through a scalar function registered from here, of (value ANY,
 * file VARCHAR, row BIGINT): typed times (TIMESTAMP of any precision,
 * TIMESTAMPTZ, DATE) convert as they are; text is ISO 8601 or an epoch
 * number; integers are epoch numbers in the column's declared unit. CSV
 * time columns are read as VARCHAR (source.c, historical.c), so DuckDB's
 * sniffer never reads `12/05/2026` as a date of its choosing.
 *
 * A value that is no time fails the query. The function writes the
 * message (the file, the 1-based data row where the query gives them, the
 * column, the value and the fix) into the handle's lr__time_failure; the
 * first failing call wins, since DuckDB may run the function in several
 * threads at once. Whoever reports the query's failure takes that message
 * instead of DuckDB's (lr__offline_time_failed).
 *
 * A snapshot source has no time column: each row counts from the
 * modification time of the file it came from, read by a second function
 * of (file VARCHAR).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../util/timefmt.h"
#include "offline.h"

/* What one registered function reads and how its messages name things. */
typedef struct time_fn {
  lr__time_failure *failure;
  int unit;            /* of epoch numbers */
  char *column;        /* "column 'ts' of source 's'" */
  char *place;         /* where the rows are when no file is given */
  char *repo;          /* files under it are shown relative to it */
  char *declare;       /* how a unit is declared: "declare timestamp_unit: " */
  char *declared_where; /* and where: " on source 's'" (or "") */
} time_fn;

static void free_time_fn(void *p) {
  time_fn *f = p;
  if (!f)
    return;
  free(f->column);
  free(f->place);
  free(f->repo);
  free(f->declare);
  free(f->declared_where);
  free(f);
}

/* Records the first failure's message and hands it to DuckDB. */
static void fail(duckdb_function_info info, lr__time_failure *failure,
                 const lr__buf *message) {
  int idle = 0;
  if (atomic_compare_exchange_strong(&failure->state, &idle, 1)) {
    lr__buf_reset(&failure->message);
    lr__buf_puts(&failure->message, lr__buf_str(message));
    atomic_store(&failure->state, 2);
  }
  lr__duckdb_fns()->scalar_function_set_error(info, lr__buf_str(message));
}

static lr_str duck_text(const duckdb_string_t *s) {
  lr_str out;
  out.len = s->value.inlined.length;
  out.ptr = out.len <= 12 ? s->value.inlined.inlined : s->value.pointer.ptr;
  return out;
}

static int is_valid(const uint64_t *valid, idx_t r) {
  return !valid || ((valid[r / 64] >> (r % 64)) & 1);
}

/* "data/x.csv: row 3: " or the function's place, for row r. */
static void put_place(const time_fn *f, duckdb_data_chunk input, idx_t r,
                      lr__buf *out) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_vector files = api->data_chunk_get_vector(input, 1);
  duckdb_vector rows = api->data_chunk_get_vector(input, 2);
  if (is_valid(api->vector_get_validity(files), r)) {
    lr_str file = duck_text((const duckdb_string_t *)
                                api->vector_get_data(files) + r);
    size_t skip = strlen(f->repo);
    if (skip && file.len > skip && !strncmp(file.ptr, f->repo, skip) &&
        file.ptr[skip] == '/')
      skip++;
    else
      skip = 0;
    lr__buf_append(out, file.ptr + skip, file.len - skip);
  } else {
    lr__buf_puts(out, f->place);
  }
  if (is_valid(api->vector_get_validity(rows), r))
    lr__buf_printf(out, ": row %lld",
                   (long long)((const int64_t *)api->vector_get_data(rows))[r]);
  lr__buf_puts(out, ": ");
}

/* Reads value r of a text or integer vector as text; 0, or -1 for a type
 * that holds no time. */
static int value_text(duckdb_type type, const void *data, idx_t r,
                      char *text, size_t cap) {
  long long n;
  switch (type) {
  case DUCKDB_TYPE_VARCHAR: {
    lr_str s = duck_text((const duckdb_string_t *)data + r);
    size_t len = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(text, s.ptr, len);
    text[len] = '\0';
    if (memchr(text, '\0', len) || s.len >= cap - 1) /* never a time */
      text[0] = '?';
    return 0;
  }
  case DUCKDB_TYPE_TINYINT: n = ((const int8_t *)data)[r]; break;
  case DUCKDB_TYPE_SMALLINT: n = ((const int16_t *)data)[r]; break;
  case DUCKDB_TYPE_INTEGER: n = ((const int32_t *)data)[r]; break;
  case DUCKDB_TYPE_BIGINT: n = ((const int64_t *)data)[r]; break;
  case DUCKDB_TYPE_UTINYINT: n = ((const uint8_t *)data)[r]; break;
  case DUCKDB_TYPE_USMALLINT: n = ((const uint16_t *)data)[r]; break;
  case DUCKDB_TYPE_UINTEGER: n = ((const uint32_t *)data)[r]; break;
  case DUCKDB_TYPE_UBIGINT:
    snprintf(text, cap, "%llu",
             (unsigned long long)((const uint64_t *)data)[r]);
    return 0;
  default: return -1;
  }
  snprintf(text, cap, "%lld", n);
  return 0;
}

/* A typed time's microseconds (1 when `type` is one), else 0. */
static int typed_time(duckdb_type type, const void *data, idx_t r,
                      int64_t *us) {
  int64_t v = type == DUCKDB_TYPE_DATE ? ((const int32_t *)data)[r]
                                        : ((const int64_t *)data)[r];
  switch (type) {
  case DUCKDB_TYPE_TIMESTAMP:
  case DUCKDB_TYPE_TIMESTAMP_TZ: *us = v; return 1;
  case DUCKDB_TYPE_TIMESTAMP_S: *us = v * 1000000; return 1;
  case DUCKDB_TYPE_TIMESTAMP_MS: *us = v * 1000; return 1;
  case DUCKDB_TYPE_TIMESTAMP_NS:
    *us = v / 1000 - (v % 1000 < 0);
    return 1;
  case DUCKDB_TYPE_DATE: *us = v * 86400 * 1000000; return 1;
  default: return 0;
  }
}

/* The name DuckDB gives a column type, for the message of one that holds
 * no time. */
static const char *type_name(duckdb_type type) {
  switch (type) {
  case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
  case DUCKDB_TYPE_FLOAT: return "FLOAT";
  case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
  case DUCKDB_TYPE_DECIMAL: return "DECIMAL";
  case DUCKDB_TYPE_BLOB: return "BLOB";
  case DUCKDB_TYPE_TIME: return "TIME";
  case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
  case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
  case DUCKDB_TYPE_LIST: return "a list";
  default: return "not text, an integer or a time";
  }
}

/* Converts value r into *us; on failure writes the message to `why`. */
static int convert(const time_fn *f, duckdb_type type, const void *data,
                   idx_t r, int64_t *us, lr__buf *why) {
  if (typed_time(type, data, r, us))
    return 0;
  char text[72];
  if (value_text(type, data, r, text, sizeof text) != 0) {
    lr__buf_printf(why, "%s: the column's type is %s, which holds no time: "
                   "store ISO 8601 text, integer epoch numbers or a "
                   "TIMESTAMP", f->column, type_name(type));
    return -1;
  }
  if (lr__time_read(text, f->unit, us) == 0)
    return 0;
  lr__buf_printf(why, "%s: ", f->column);
  lr__time_why(why, text, f->unit, f->declare, f->declared_where);
  return -1;
}

static void call_time(duckdb_function_info info, duckdb_data_chunk input,
                      duckdb_vector output) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  const time_fn *f = api->scalar_function_get_extra_info(info);
  idx_t n = api->data_chunk_get_size(input);
  duckdb_vector values = api->data_chunk_get_vector(input, 0);
  duckdb_logical_type logical = api->vector_get_column_type(values);
  duckdb_type type = api->get_type_id(logical);
  api->destroy_logical_type(&logical);
  const void *data = api->vector_get_data(values);
  const uint64_t *valid = api->vector_get_validity(values);
  api->vector_ensure_validity_writable(output);
  uint64_t *out_valid = api->vector_get_validity(output);
  int64_t *out = api->vector_get_data(output);
  for (idx_t r = 0; r < n; r++) {
    if (!is_valid(valid, r)) {
      out_valid[r / 64] &= ~(1ull << (r % 64));
      continue;
    }
    lr__buf why, message;
    lr__buf_init(&why);
    int rc = convert(f, type, data, r, &out[r], &why);
    if (rc) {
      lr__buf_init(&message);
      put_place(f, input, r, &message);
      lr__buf_puts(&message, lr__buf_str(&why));
      fail(info, f->failure, &message);
      lr__buf_free(&message);
    }
    lr__buf_free(&why);
    if (rc)
      return;
  }
}

/* The modification time of each row's file; stat once per run of rows
 * from the same file. */
static void call_mtime(duckdb_function_info info, duckdb_data_chunk input,
                       duckdb_vector output) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  const time_fn *f = api->scalar_function_get_extra_info(info);
  idx_t n = api->data_chunk_get_size(input);
  duckdb_vector files = api->data_chunk_get_vector(input, 0);
  const duckdb_string_t *names = api->vector_get_data(files);
  int64_t *out = api->vector_get_data(output);
  char path[4096] = "";
  int64_t mtime = 0;
  for (idx_t r = 0; r < n; r++) {
    lr_str name = duck_text(names + r);
    if (name.len < sizeof path && strlen(path) == name.len &&
        !memcmp(path, name.ptr, name.len)) {
      out[r] = mtime;
      continue;
    }
    snprintf(path, sizeof path, "%.*s", (int)name.len, name.ptr);
    struct stat st;
    if (stat(path, &st) != 0) {
      lr__buf message;
      lr__buf_init(&message);
      lr__buf_printf(&message, "%s: cannot read the modification time, "
                     "which is the event time of its rows (%s has no "
                     "timestamp_field): %s", path, f->column, strerror(errno));
      fail(info, f->failure, &message);
      lr__buf_free(&message);
      return;
    }
    mtime = (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000;
    out[r] = mtime;
  }
}

/* Registers `f` as `name`, of `n_args` parameters (ANY, VARCHAR, BIGINT,
 * or VARCHAR for the modification time); DuckDB owns `f` afterwards. */
static int register_fn(lr_offline *off, time_fn *f, const char *name,
                       int mtime) {
  const lr__duckdb_api *api = lr__duckdb_fns();
  duckdb_scalar_function fn = api->create_scalar_function();
  api->scalar_function_set_name(fn, name);
  const duckdb_type params[3] = {mtime ? DUCKDB_TYPE_VARCHAR : DUCKDB_TYPE_ANY,
                                 DUCKDB_TYPE_VARCHAR, DUCKDB_TYPE_BIGINT};
  for (int i = 0; i < (mtime ? 1 : 3); i++) {
    duckdb_logical_type t = api->create_logical_type(params[i]);
    api->scalar_function_add_parameter(fn, t);
    api->destroy_logical_type(&t);
  }
  duckdb_logical_type ret = api->create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
  api->scalar_function_set_return_type(fn, ret);
  api->destroy_logical_type(&ret);
  if (!mtime)
    api->scalar_function_set_special_handling(fn); /* null file or row */
  api->scalar_function_set_function(fn, mtime ? call_mtime : call_time);
  api->scalar_function_set_extra_info(fn, f, free_time_fn);
  int ok = api->register_scalar_function(off->db.con, fn) == DuckDBSuccess;
  api->destroy_scalar_function(&fn);
  if (!ok)
    lr__buf_printf(&off->errmsg, "cannot register the time function %s",
                   name);
  return ok ? 0 : LR_EIO;
}

/* A new function's state from `how`; NULL when out of memory. */
static time_fn *new_time_fn(lr_offline *off, const lr__time_column *how) {
  time_fn *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->failure = &off->time_failure;
  f->unit = how->unit;
  lr__buf column;
  lr__buf_init(&column);
  lr__buf_printf(&column, "column '%s'%s", how->column, how->owner);
  f->column = lr__buf_steal(&column);
  f->place = strdup(how->place);
  f->repo = strdup(off->repo);
  f->declare = strdup(how->declare);
  f->declared_where = strdup(how->declared_where);
  if (!f->column || !f->place || !f->repo || !f->declare ||
      !f->declared_where) {
    free_time_fn(f);
    return NULL;
  }
  return f;
}

/* Registers a function for `how` and appends its call on `args`. */
static int time_call(lr_offline *off, const lr__time_column *how,
                     const char *args, int mtime, lr__buf *sql) {
  static atomic_uint next_id;
  time_fn *f = new_time_fn(off, how);
  if (!f)
    return LR_ENOMEM;
  char name[64];
  snprintf(name, sizeof name, "__larder_time_%u",
           atomic_fetch_add(&next_id, 1));
  int rc = register_fn(off, f, name, mtime);
  if (rc == 0)
    lr__buf_printf(sql, "%s(%s)", name, args);
  return rc;
}

int lr__time_column_call(lr_offline *off, const lr__time_column *how,
                         const char *value, const char *file,
                         const char *row, lr__buf *sql) {
  lr__buf args;
  lr__buf_init(&args);
  lr__buf_printf(&args, "%s, %s::VARCHAR, %s::BIGINT", value,
                 file ? file : "NULL", row ? row : "NULL");
  int rc = lr__buf_failed(&args) ? LR_ENOMEM
                                 : time_call(off, how, lr__buf_str(&args), 0,
                                             sql);
  lr__buf_free(&args);
  return rc;
}

int lr__file_time_call(lr_offline *off, const lr__time_column *how,
                       const char *file, lr__buf *sql) {
  return time_call(off, how, file, 1, sql);
}

int lr__offline_time_failed(lr_offline *off) {
  if (atomic_load(&off->time_failure.state) != 2)
    return 0;
  lr__buf_reset(&off->errmsg);
  lr__buf_puts(&off->errmsg, lr__buf_str(&off->time_failure.message));
  return 1;
}

void lr__offline_time_reset(lr_offline *off) {
  atomic_store(&off->time_failure.state, 0);
}

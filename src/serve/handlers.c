/*
 * handlers.c - the endpoints that read or write the store, in Feast's JSON
 * shapes: /get-online-features, /write-to-online-store and /push. A push
 * to the offline store writes through DuckDB, loaded at the first one;
 * lookups never load it.
 *
 * A request's features are resolved once and kept with a few idle results
 * (cache.c), so a busy server prepares nothing per request and allocates
 * little beyond the response.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../offline/pushed.h"
#include "../online/ingest.h"
#include "../online/introspect.h"
#include "../online/result.h"
#include "../util/json.h"
#include "../util/timefmt.h"
#include "cache.h"

void lr__json_error(lr__buf *out, int *status, int code, const char *error,
                    const char *detail) {
  *status = code;
  lr__buf_reset(out);
  lr__buf_puts(out, "{\"error\": ");
  lr__buf_json_str(out, error);
  lr__buf_puts(out, ", \"detail\": ");
  lr__buf_json_str(out, detail ? detail : "");
  lr__buf_puts(out, "}\n");
}

/* Maps a Larder status to an HTTP one. */
static int http_status(int rc) {
  switch (rc) {
  case LR_ENOTFOUND: return 404;
  case LR_EINVAL:
  case LR_ETYPE:
  case LR_EUNSUPPORTED: return 400;
  case LR_ECHECK: return 422;
  default: return 500;
  }
}

/* The body as a JSON object (nodes in `arena`), or NULL after a 400. */
static const lr__jnode *parse_body(const char *body, size_t len,
                                   lr__arena *arena, int *status,
                                   lr__buf *out) {
  lr__buf why;
  lr__buf_init(&why);
  const lr__jnode *root = len ? lr__json_read(body, len, arena, &why) : NULL;
  if (!root || root->kind != LR__J_OBJECT) {
    lr__json_error(out, status, 400, "malformed JSON",
                   why.len ? lr__buf_str(&why) : "the body must be an object");
    root = NULL;
  }
  lr__buf_free(&why);
  return root;
}

/* A member's text when it is a string, else NULL. */
static const char *string_field(const lr__jnode *obj, const char *name) {
  const lr__jnode *v = lr__json_get(obj, name);
  return v && v->kind == LR__J_STRING ? v->text : NULL;
}

/* ---- /get-online-features ---------------------------------------------- */

/* Why a key value is refused: not of the column's type, or a string for
 * an integer key (docs/server.md: integer keys are JSON numbers, so
 * "1001", "+1001" and "01001" are not quietly read as 1001). */
enum { KEY_BAD = -1, KEY_QUOTED = -2 };

/* Reads one JSON key value as the key column's type (a number or a
 * string; keys are not null). Returns 0, KEY_BAD or KEY_QUOTED. */
static int key_value(const lr__jnode *node, int type, lr_value *out) {
  if (node->kind != LR__J_STRING && node->kind != LR__J_NUMBER)
    return KEY_BAD;
  out->type = type;
  if (type == LR_TYPE_STRING || type == LR_TYPE_BYTES) {
    out->v.str.ptr = node->text;
    out->v.str.len = node->len;
    return 0;
  }
  if (node->kind == LR__J_STRING)
    return KEY_QUOTED;
  return lr__parse_int_text(node->text, type, out) ? KEY_BAD : 0;
}

/* Reads value r of key column k: a join key, or a request field (any
 * type, null allowed; strings and arrays copied into `arena`). */
static int column_value(const lr__jnode *node, int k, int n_join, int type,
                        lr__arena *arena, lr_value *out) {
  if (k < n_join)
    return key_value(node, type, out);
  return lr__json_to_value(arena, node, (uint8_t)type, out) ? KEY_BAD : 0;
}

/* Writes a 400 "bad request" with the detail `fmt`. */
static void bad_request(int *status, lr__buf *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void bad_request(int *status, lr__buf *out, const char *fmt, ...) {
  lr__buf detail;
  lr__buf_init(&detail);
  va_list ap;
  va_start(ap, fmt);
  lr__buf_vprintf(&detail, fmt, ap);
  va_end(ap);
  lr__json_error(out, status, 400, "bad request", lr__buf_str(&detail));
  lr__buf_free(&detail);
}

/* The lists of `entities` for each key column, all of one length: that
 * length, or -1 after writing the error. */
static int entity_lists(const lr_request *req, const lr__jnode *entities,
                        const lr__jnode **cols, int *status, lr__buf *out) {
  int n_keys, n_join, n = -1;
  lr_request_shape(req, &n_keys, NULL);
  lr_request_join_keys(req, &n_join);
  for (int k = 0; k < n_keys; k++) {
    const char *name;
    lr_request_key(req, k, &name, NULL);
    cols[k] = lr__json_get(entities, name);
    int len = cols[k] && cols[k]->kind == LR__J_ARRAY ? cols[k]->n : -1;
    if (len < 0 || (n >= 0 && len != n)) {
      bad_request(status, out, "'entities' needs %s'%s' as a list%s",
                  k < n_join ? "" : "request field ", name,
                  len >= 0 ? " as long as the other keys" : "");
      return -1;
    }
    n = len;
  }
  return n;
}

/* The entity keys of the body, row-major, as the request's key columns:
 * the join keys, then the request fields of its on-demand views (they ride
 * in `entities` too, as in Feast). Returns the number of entities, or -1
 * after writing the error. */
static int read_entities(lr__server *s, const lr_request *req,
                         const lr__jnode *entities, lr__arena *arena,
                         lr_value **keys, int *status, lr__buf *out) {
  int n_keys, n_join;
  lr_request_shape(req, &n_keys, NULL);
  lr_request_join_keys(req, &n_join);
  if (!entities || entities->kind != LR__J_OBJECT) {
    lr__json_error(out, status, 400, "bad request",
                   "'entities' must be an object: {\"key\": [values]}");
    return -1;
  }
  const lr__jnode **cols = calloc((size_t)n_keys + 1, sizeof(lr__jnode *));
  int n = cols ? entity_lists(req, entities, cols, status, out) : -1;
  if (n > s->opt.max_entities) {
    lr__buf detail;
    lr__buf_init(&detail);
    lr__buf_printf(&detail, "split the request: it has %d entities, more "
                   "than this server takes in one (%d)", n,
                   s->opt.max_entities);
    lr__json_error(out, status, 413, "too many entities",
                   lr__buf_str(&detail));
    lr__buf_free(&detail);
    n = -1;
  }
  *keys = n >= 0 ? calloc((size_t)(n > 0 ? n : 1) * (size_t)n_keys,
                          sizeof **keys) : NULL;
  for (int k = 0; n >= 0 && *keys && k < n_keys; k++) {
    int type;
    const char *name;
    lr_request_key(req, k, &name, &type);
    for (int r = 0; n >= 0 && cols[k] && r < n; r++) {
      int bad = column_value(cols[k]->items[r], k, n_join, type, arena,
                             &(*keys)[(size_t)r * (size_t)n_keys + (size_t)k]);
      char tn[32];
      if (bad == KEY_QUOTED)
        bad_request(status, out, "entities.%s[%d] is a string, but %s is an "
                    "%s key: send it as a JSON number, without quotes", name,
                    r, name, lr_type_name(type, tn));
      else if (bad)
        bad_request(status, out, "entities.%s[%d] is not a valid %s", name,
                    r, lr_type_name(type, tn));
      n = bad ? -1 : n;
    }
  }
  free(cols);
  return n;
}

static void lookup_and_reply(lr__server *s, lr__cached_request *c,
                             const lr_value *keys, int n, unsigned flags,
                             lr__reply *r) {
  int *status = &r->status;
  lr__buf *out = &r->body;
  int capacity = 0;
  lr_result *res = lr__cache_checkout(s, c, n, &capacity);
  int rc = res ? lr_get_online_features(c->req, keys, n, res) : LR_ENOMEM;
  if (rc == 0)
    r->versioned = lr_result_version(res, &r->version) == 0;
  if (rc == 0)
    rc = lr__result_json(res, keys, flags | LR_FORMAT_JSON, out);
  if (rc == 0) {
    *status = 200;
    atomic_fetch_add_explicit(&s->metrics.entities, (unsigned long long)n,
                              memory_order_relaxed);
    lr__metrics_count_served(&s->metrics, c->served_view, c->n_features,
                             res);
  } else {
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   res ? lr_result_errmsg(res) : "out of memory");
  }
  if (res)
    lr__cache_checkin(s, c, res, capacity);
}

/* How long a request naming a min_version waits for the store to reach
 * it (a replica still applying the write the client made on the primary). */
#define MIN_VERSION_WAIT_MS 1000

/* Reads a version "G.S" or a sequence number "S" into *seq (S counts: a
 * replica's G may differ); 0, or -1 when malformed. */
static int parse_min_version(const char *text, unsigned long long *seq) {
  const char *dot = strchr(text, '.'), *digits = dot ? dot + 1 : text;
  char *end;
  *seq = strtoull(digits, &end, 10);
  return *end || end == digits || *text == '-' || strchr(digits, '-') ? -1
                                                                       : 0;
}

/* The change the request asks the store to hold first: the greater of
 * the body's "min_version" and the Larder-Min-Version header (0 when
 * neither is given). NULL, or what is wrong (a 400). */
static const char *min_version(const lr__jnode *root, const char *header,
                               unsigned long long *seq) {
  const lr__jnode *v = lr__json_get(root, "min_version");
  unsigned long long from_header = 0;
  *seq = 0;
  if (v && ((v->kind != LR__J_STRING && v->kind != LR__J_NUMBER) ||
            parse_min_version(v->text, seq) != 0))
    return "'min_version' must be a version \"G.S\" or a sequence number S "
           "(a string or a number)";
  if (header && parse_min_version(header, &from_header) != 0)
    return "the Larder-Min-Version header must be a version G.S or a "
           "sequence number S";
  if (from_header > *seq)
    *seq = from_header;
  return NULL;
}

/* Waits (MIN_VERSION_WAIT_MS at most, from the request's first call)
 * until the store holds change `seq`; 0, or -1 with 503 answered, or -1
 * with r->status LR__STATUS_PARKED for a parkable request still within
 * its wait (server.h). */
static int wait_for_version(lr__server *s, unsigned long long seq,
                            lr__reply *r) {
  lr_data_version v = {0, 0};
  if (!r->wait_until_us)
    r->wait_until_us = lr__time_now_us() + MIN_VERSION_WAIT_MS * 1000LL;
  for (;;) {
    if (lr_store_version(s->store, &v) == 0 && v.seq >= seq)
      return 0;
    if (lr__time_now_us() >= r->wait_until_us)
      break;
    if (r->parkable) {
      r->status = LR__STATUS_PARKED;
      return -1;
    }
    usleep(1000);
  }
  lr__buf detail;
  lr__buf_init(&detail);
  lr__buf_printf(&detail, "this store is at version %llu.%llu, the request "
                 "asks for change %llu (min_version); waited %d ms: retry, "
                 "or ask another replica", v.generation, v.seq, seq,
                 MIN_VERSION_WAIT_MS);
  lr__json_error(&r->body, &r->status, 503, "not at the version asked",
                 lr__buf_str(&detail));
  lr__buf_free(&detail);
  return -1;
}

/* What is wrong with the body's request part, or NULL. */
static const char *request_problem(const lr__jnode *features,
                                   const char *service,
                                   const lr__jnode *full) {
  int list = features && features->kind == LR__J_ARRAY;
  if (!!service == list)
    return "give 'features' (a list of \"view:feature\") or "
           "'feature_service' (one of them)";
  if (list && features->n == 0)
    return "'features' is empty: list at least one \"view:feature\"";
  if (full && full->kind != LR__J_BOOL)
    return "'full_feature_names' must be true or false";
  return NULL;
}

void lr__get_online_features(lr__server *s, const char *body, size_t len,
                             lr__reply *r) {
  int *status = &r->status;
  lr__buf *out = &r->body;
  lr__arena arena; /* the body's nodes and its request values */
  lr__arena_init(&arena);
  const lr__jnode *root = parse_body(body, len, &arena, status, out);
  const lr__jnode *features = lr__json_get(root, "features");
  const char *service = string_field(root, "feature_service");
  const lr__jnode *full = lr__json_get(root, "full_feature_names");
  unsigned long long want_seq = 0;
  const char *problem = root ? request_problem(features, service, full)
                             : NULL;
  if (root && !problem)
    problem = min_version(root, r->min_version, &want_seq);
  if (problem)
    lr__json_error(out, status, 400, "bad request", problem);
  int rc = 0;
  lr__buf err;
  lr__buf_init(&err);
  lr__cached_request *c =
      root && !problem ? lr__cache_acquire(s, features, service, &rc, &err)
                       : NULL;
  lr_value *keys = NULL;
  int n = -1;
  if (rc)
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   lr__buf_str(&err));
  else if (c)
    n = read_entities(s, c->req, lr__json_get(root, "entities"), &arena,
                      &keys, status, out);
  /* (a non-boolean was answered 400 above: it has no text) */
  unsigned flags = full && full->kind == LR__J_BOOL &&
                           !strcmp(full->text, "true")
                       ? LR_FULL_FEATURE_NAMES : 0;
  if (n >= 0 && (!want_seq || wait_for_version(s, want_seq, r) == 0))
    lookup_and_reply(s, c, keys, n, flags, r);
  lr__cache_release(s, c);
  free(keys);
  lr__arena_free(&arena);
  lr__buf_free(&err);
}

/* ---- /write-to-online-store and /push ---------------------------------- */

/* Adds member `name` (JSON text `json`) to the error object that
 * lr__json_error wrote into `out`. */
static void error_member(lr__buf *out, const char *name, const char *json) {
  static const char end[] = "}\n";
  if (out->len < 2 || memcmp(out->data + out->len - 2, end, 2) != 0)
    return;
  out->len -= 2;
  lr__buf_printf(out, ", \"%s\": %s%s", name, json, end);
}

/* Writes one df. Writes are serialized (LMDB has one writer at a time
 * anyway), which also keeps the store's message to this request. */
static int write_df(lr__server *s, const char *view, const lr__jnode *df,
                    int *status, lr__buf *out) {
  lr_write_stats st = {0, 0};
  char *checks = NULL;
  pthread_mutex_lock(&s->write_lock);
  int rc = lr__ingest_json_df(s->store, view, df, &st);
  lr_store_check_report(s->store, LR_FORMAT_JSON, &checks);
  if (rc)
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   lr_store_errmsg(s->store));
  pthread_mutex_unlock(&s->write_lock);
  if (rc == 0) {
    atomic_fetch_add_explicit(&s->metrics.rows_written, st.rows_written,
                              memory_order_relaxed);
    lr__buf_printf(out, "%s{\"view\": ", out->len ? ", " : "");
    lr__buf_json_str(out, view);
    lr__buf_printf(out, ", \"rows_written\": %zu, \"rows_skipped\": %zu",
                   st.rows_written, st.rows_skipped);
  }
  if (rc && checks)
    error_member(out, "checks", checks);
  else if (rc == 0)
    lr__buf_printf(out, "%s%s}", checks ? ", \"checks\": " : "",
                   checks ? checks : "");
  lr_free(checks);
  return rc;
}

void lr__write_to_online_store(lr__server *s, const char *body, size_t len,
                               int *status, lr__buf *out) {
  lr__arena arena;
  lr__arena_init(&arena);
  const lr__jnode *root = parse_body(body, len, &arena, status, out);
  const char *view = string_field(root, "feature_view_name");
  if (root && !view) {
    lr__json_error(out, status, 400, "bad request",
                   "'feature_view_name' is missing");
  } else if (root) {
    lr__buf body_out;
    lr__buf_init(&body_out);
    *status = 200;
    if (write_df(s, view, lr__json_get(root, "df"), status, &body_out) == 0)
      lr__buf_printf(out, "{\"written\": [%s]}\n", lr__buf_str(&body_out));
    else
      lr__buf_puts(out, lr__buf_str(&body_out));
    lr__buf_free(&body_out);
  }
  lr__arena_free(&arena);
}

/* The sides of a push in the server: its store, and for an offline
 * push its DuckDB session, opened on the first (under write_lock). 0, or
 * the error answered. */
static int push_sides(lr__server *s, unsigned to, lr__push_sides *sides,
                      int *status, lr__buf *out) {
  *sides = (lr__push_sides){s->push_repo, s->push_db, s->store};
  if (!(to & LR_PUSH_OFFLINE) || s->push_db)
    return 0;
  lr__buf why;
  lr__buf_init(&why);
  s->push_repo = realpath(s->opt.repo, NULL);
  s->push_db = calloc(1, sizeof *s->push_db);
  int rc = !s->push_repo ? LR_EIO : !s->push_db ? LR_ENOMEM : 0;
  if (rc == LR_EIO)
    lr__buf_printf(&why, "cannot find the repo folder %s: %s", s->opt.repo,
                   strerror(errno));
  if (rc == 0)
    rc = lr__duckdb_open(s->push_db, &why);
  if (rc) {
    free(s->push_db);
    free(s->push_repo);
    s->push_db = NULL;
    s->push_repo = NULL;
    lr__json_error(out, status, 500, lr_strerror(rc),
                   why.len ? lr__buf_str(&why) : "out of memory");
  }
  lr__buf_free(&why);
  *sides = (lr__push_sides){s->push_repo, s->push_db, s->store};
  return rc;
}

/* The 200 of a push: the online views written, the rows appended to the
 * offline store. */
static void push_reply(lr__server *s, const lr__push_plan *p, unsigned to,
                       const lr__push_outcome *o, int *status, lr__buf *out) {
  *status = 200;
  lr__buf_puts(out, "{");
  if (to & LR_PUSH_ONLINE) {
    lr__buf_puts(out, "\"written\": [");
    for (int i = 0, n = 0; i < p->n_views; i++) {
      if (!lr__push_view_online(p, i))
        continue;
      lr__buf_puts(out, n++ ? ", {\"view\": " : "{\"view\": ");
      lr__buf_json_str(out, p->views[i].view->name);
      lr__buf_printf(out, ", \"rows_written\": %zu, \"rows_skipped\": %zu}",
                     o->per_view[i].rows_written, o->per_view[i].rows_skipped);
      atomic_fetch_add_explicit(&s->metrics.rows_written,
                                o->per_view[i].rows_written,
                                memory_order_relaxed);
    }
    lr__buf_puts(out, "]");
  }
  if (to & LR_PUSH_OFFLINE) {
    lr__buf_puts(out, to & LR_PUSH_ONLINE ? ", \"offline\": {\"push_source\": "
                                          : "\"offline\": {\"push_source\": ");
    lr__buf_json_str(out, p->source->name);
    lr__buf_printf(out, ", \"rows_appended\": %zu}", o->offline_rows);
  }
  if (o->checks.len) /* per view whose checks ran: what they found */
    lr__buf_printf(out, ", \"checks\": {%.*s}", (int)o->checks.len,
                   o->checks.data);
  lr__buf_puts(out, "}\n");
}

/* Reads "to" (Feast's push modes; "online" when absent): 0 after a 400. */
static unsigned push_to(const lr__jnode *root, int *status, lr__buf *out) {
  const lr__jnode *to = lr__json_get(root, "to");
  const char *text = to && to->kind == LR__J_STRING ? to->text : NULL;
  if (!to || (text && !strcmp(text, "online")))
    return LR_PUSH_ONLINE;
  if (text && !strcmp(text, "offline"))
    return LR_PUSH_OFFLINE;
  if (text && !strcmp(text, "online_and_offline"))
    return LR_PUSH_ONLINE_AND_OFFLINE;
  lr__json_error(out, status, 400, "bad request",
                 "'to' must be \"online\" (the default), \"offline\" or "
                 "\"online_and_offline\"");
  return 0;
}

/* The push of the body's df through plan p, `to` where it goes; under
 * write_lock. */
static void push_rows(lr__server *s, const lr__push_plan *p, unsigned to,
                      const lr__jnode *df, int *status, lr__buf *out) {
  lr__buf err;
  lr__buf_init(&err);
  lr__rows rows = {0};
  lr__arena_init(&rows.arena);
  lr__push_outcome o;
  lr__buf_init(&o.file);
  lr__buf_init(&o.checks);
  lr__push_sides sides;
  int rc = lr__ingest_read_df(&p->cols, df, &rows, &err);
  if (rc == 0)
    rc = lr__push_check_read(p, &rows, "df", &err);
  int answered = rc == 0 && push_sides(s, to, &sides, status, out) != 0;
  if (rc == 0 && !answered)
    rc = lr__push_run(&sides, p, to, rows.cols, rows.n_cols, rows.n_rows, &o,
                      &err);
  if (rc == 0 && !answered)
    push_reply(s, p, to, &o, status, out);
  else if (rc)
    lr__json_error(out, status, rc == LR_EUNSUPPORTED ? 500 : http_status(rc),
                   lr_strerror(rc), lr__buf_str(&err));
  lr__rows_free(&rows);
  lr__buf_free(&o.file);
  lr__buf_free(&o.checks);
  lr__buf_free(&err);
}

void lr__push(lr__server *s, const char *body, size_t len, int *status,
              lr__buf *out) {
  lr__arena arena;
  lr__arena_init(&arena);
  const lr__jnode *root = parse_body(body, len, &arena, status, out);
  const char *source = root ? string_field(root, "push_source_name") : NULL;
  unsigned to = root ? push_to(root, status, out) : 0;
  if (to && !source)
    lr__json_error(out, status, 400, "bad request",
                   "'push_source_name' is missing");
  if (to && source) {
    lr__buf err;
    lr__buf_init(&err);
    lr__push_plan plan;
    pthread_mutex_lock(&s->write_lock);
    int rc = lr__push_plan_init(&plan, lr__store_model(s->store), source, to,
                                &err);
    if (rc)
      lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                     lr__buf_str(&err));
    else
      push_rows(s, &plan, to, lr__json_get(root, "df"), status, out);
    pthread_mutex_unlock(&s->write_lock);
    lr__push_plan_free(&plan);
    lr__buf_free(&err);
  }
  lr__arena_free(&arena);
}

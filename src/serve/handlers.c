/*
 * handlers.c - the endpoints that read or write the store, in Feast's JSON
 * shapes: /get-online-features, /write-to-online-store and /push.
 *
 * A request's features are resolved once and kept (with idle results) by
 * the text that named them, so a busy server prepares nothing per request
 * and allocates little beyond the response.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../online/ingest.h"
#include "../online/result.h"
#include "../online/store.h"
#include "../util/json.h"
#include "server.h"

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

/* ---- prepared requests ------------------------------------------------- */

static void free_entry(lr__cached_request *c) {
  for (int r = 0; r < c->n_results; r++)
    lr_result_free(c->results[r]);
  free(c->results);
  free(c->capacity);
  lr_request_free(c->req);
  pthread_mutex_destroy(&c->lock);
  free(c->key);
  free(c);
}

void lr__server_clear_cache(lr__server *s) {
  for (int i = 0; i < s->n_cache; i++)
    free_entry(s->cache[i]);
  s->n_cache = 0;
}

/* The cache key of a request: its features list as sent (the same text
 * always names the same list; a list spaced differently only takes another
 * entry), or its service. */
static void request_key(const lr__jnode *features, const char *service,
                        lr__buf *key) {
  if (service) {
    lr__buf_puts(key, "s:");
    lr__buf_puts(key, service);
  } else {
    lr__buf_puts(key, "f:");
    lr__buf_append(key, features->raw, features->raw_len);
  }
}

/* Prepares the request named by the body (features or feature_service). */
static int prepare(lr__server *s, const lr__jnode *features,
                   const char *service, lr_request **req) {
  if (service)
    return lr_request_prepare_service(s->store, service, req);
  const char **refs = calloc((size_t)features->n + 1, sizeof *refs);
  if (!refs)
    return LR_ENOMEM;
  for (int i = 0; i < features->n; i++)
    refs[i] = features->items[i]->kind == LR__J_STRING
                  ? features->items[i]->text : "";
  int rc = lr_request_prepare(s->store, refs, features->n, req);
  free(refs);
  return rc;
}

/* The cached entry for this request, prepared on first use (or, when the
 * cache is full, a temporary one the caller releases). On failure the
 * store's message is copied to `err`. */
static lr__cached_request *cached(lr__server *s, const lr__jnode *features,
                                  const char *service, int *rc, lr__buf *err) {
  lr__buf key;
  lr__buf_init(&key);
  request_key(features, service, &key);
  pthread_mutex_lock(&s->cache_lock);
  lr__cached_request *found = NULL;
  for (int i = 0; i < s->n_cache && !found; i++)
    if (s->cache[i]->key_len == key.len &&
        !memcmp(s->cache[i]->key, key.data, key.len))
      found = s->cache[i];
  *rc = 0;
  if (!found) {
    lr_request *req = NULL;
    *rc = prepare(s, features, service, &req);
    found = *rc == 0 ? calloc(1, sizeof *found) : NULL;
    if (found) {
      found->key_len = key.len;
      found->key = lr__buf_steal(&key);
      found->req = req;
      pthread_mutex_init(&found->lock, NULL);
      /* a key lost to a failed allocation is never cached */
      found->temporary = s->n_cache == LR__CACHE_MAX || !found->key;
      if (!found->temporary)
        s->cache[s->n_cache++] = found;
    } else if (*rc == 0) {
      lr_request_free(req);
      *rc = LR_ENOMEM;
    } else {
      lr__buf_puts(err, lr_store_errmsg(s->store));
    }
  }
  pthread_mutex_unlock(&s->cache_lock);
  lr__buf_free(&key);
  return found;
}

/* Releases an entry after a request: a temporary one is freed. */
static void release(lr__cached_request *c) {
  if (c && c->temporary)
    free_entry(c);
}

/* Takes an idle result able to hold n entities, or makes one. */
static lr_result *checkout(lr__cached_request *c, int n) {
  lr_result *res = NULL;
  pthread_mutex_lock(&c->lock);
  for (int i = c->n_results - 1; i >= 0 && !res; i--) {
    if (c->capacity[i] >= n) {
      res = c->results[i];
      c->results[i] = c->results[c->n_results - 1];
      c->capacity[i] = c->capacity[c->n_results - 1];
      c->n_results--;
    }
  }
  pthread_mutex_unlock(&c->lock);
  if (!res && lr_result_create(c->req, n < 64 ? 64 : n, &res) != 0)
    return NULL;
  return res;
}

/* Gives a result back for the next request (or frees it). */
static void checkin(lr__cached_request *c, lr_result *res, int n) {
  pthread_mutex_lock(&c->lock);
  if (c->n_results == c->cap_results) {
    int cap = c->cap_results ? c->cap_results * 2 : 8;
    lr_result **r = realloc(c->results, (size_t)cap * sizeof(lr_result *));
    int *k = realloc(c->capacity, (size_t)cap * sizeof *k);
    if (r)
      c->results = r;
    if (k)
      c->capacity = k;
    if (r && k)
      c->cap_results = cap;
  }
  if (c->n_results < c->cap_results) {
    c->results[c->n_results] = res;
    c->capacity[c->n_results++] = n < 64 ? 64 : n;
    res = NULL;
  }
  pthread_mutex_unlock(&c->lock);
  lr_result_free(res);
}

/* ---- /get-online-features ---------------------------------------------- */

/* Reads one JSON key value as the key column's type (a number or a
 * string; keys are not null). */
static int key_value(const lr__jnode *node, int type, lr_value *out) {
  if (node->kind != LR__J_STRING && node->kind != LR__J_NUMBER)
    return -1;
  out->type = type;
  if (type == LR_TYPE_STRING || type == LR_TYPE_BYTES) {
    out->v.str.ptr = node->text;
    out->v.str.len = node->len;
    return 0;
  }
  return lr__parse_int_text(node->text, type, out);
}

/* Reads value r of key column k: a join key, or a request field (any
 * type, null allowed; strings and arrays copied into `arena`). */
static int column_value(const lr__jnode *node, int k, int n_join, int type,
                        lr__arena *arena, lr_value *out) {
  return k < n_join ? key_value(node, type, out)
                    : lr__json_to_value(arena, node, (uint8_t)type, out);
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
    lr__json_error(out, status, 413, "too many entities",
                   "split the request: it has more entities than the "
                   "server's --max-entities");
    n = -1;
  }
  *keys = n >= 0 ? calloc((size_t)(n > 0 ? n : 1) * (size_t)n_keys,
                          sizeof **keys) : NULL;
  for (int k = 0; n >= 0 && *keys && k < n_keys; k++) {
    int type;
    const char *name;
    lr_request_key(req, k, &name, &type);
    for (int r = 0; n >= 0 && cols[k] && r < n; r++)
      if (column_value(cols[k]->items[r], k, n_join, type, arena,
                       &(*keys)[(size_t)r * (size_t)n_keys + (size_t)k])) {
        char tn[32];
        bad_request(status, out, "entities.%s[%d] is not a valid %s", name,
                    r, lr_type_name(type, tn));
        n = -1;
      }
  }
  free(cols);
  return n;
}

static void lookup_and_reply(lr__server *s, lr__cached_request *c,
                             const lr_value *keys, int n, unsigned flags,
                             int *status, lr__buf *out) {
  lr_result *res = checkout(c, n);
  int rc = res ? lr_get_online_features(c->req, keys, n, res) : LR_ENOMEM;
  if (rc == 0)
    rc = lr__result_json(res, keys, flags | LR_FORMAT_JSON, out);
  if (rc == 0) {
    *status = 200;
    atomic_fetch_add_explicit(&s->metrics.entities, (unsigned long long)n,
                              memory_order_relaxed);
  } else {
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   res ? lr_result_errmsg(res) : "out of memory");
  }
  if (res)
    checkin(c, res, n);
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
                             int *status, lr__buf *out) {
  lr__arena arena; /* the body's nodes and its request values */
  lr__arena_init(&arena);
  const lr__jnode *root = parse_body(body, len, &arena, status, out);
  const lr__jnode *features = lr__json_get(root, "features");
  const char *service = string_field(root, "feature_service");
  const lr__jnode *full = lr__json_get(root, "full_feature_names");
  const char *problem = root ? request_problem(features, service, full)
                             : NULL;
  if (problem)
    lr__json_error(out, status, 400, "bad request", problem);
  int rc = 0;
  lr__buf err;
  lr__buf_init(&err);
  lr__cached_request *c =
      root && !problem ? cached(s, features, service, &rc, &err) : NULL;
  lr_value *keys = NULL;
  int n = -1;
  if (rc)
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   lr__buf_str(&err));
  else if (c)
    n = read_entities(s, c->req, lr__json_get(root, "entities"), &arena,
                      &keys, status, out);
  unsigned flags = full && !strcmp(full->text, "true")
                       ? LR_FULL_FEATURE_NAMES : 0;
  if (n >= 0)
    lookup_and_reply(s, c, keys, n, flags, status, out);
  release(c);
  free(keys);
  lr__arena_free(&arena);
  lr__buf_free(&err);
}

/* ---- /write-to-online-store and /push ---------------------------------- */

/* Writes one df. Writes are serialized (LMDB has one writer at a time
 * anyway), which also keeps the store's message to this request. */
static int write_df(lr__server *s, const char *view, const lr__jnode *df,
                    int *status, lr__buf *out) {
  lr_write_stats st = {0, 0};
  pthread_mutex_lock(&s->write_lock);
  int rc = lr__ingest_json_df(s->store, view, df, &st);
  if (rc)
    lr__json_error(out, status, http_status(rc), lr_strerror(rc),
                   lr_store_errmsg(s->store));
  pthread_mutex_unlock(&s->write_lock);
  if (rc)
    return rc;
  atomic_fetch_add_explicit(&s->metrics.rows_written, st.rows_written,
                            memory_order_relaxed);
  lr__buf_printf(out, "%s{\"view\": ", out->len ? ", " : "");
  lr__buf_json_str(out, view);
  lr__buf_printf(out, ", \"rows_written\": %zu, \"rows_skipped\": %zu}",
                 st.rows_written, st.rows_skipped);
  return 0;
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

void lr__push(lr__server *s, const char *body, size_t len, int *status,
              lr__buf *out) {
  lr__arena arena;
  lr__arena_init(&arena);
  const lr__jnode *root = parse_body(body, len, &arena, status, out);
  if (!root) {
    lr__arena_free(&arena);
    return;
  }
  const char *source = string_field(root, "push_source_name");
  const char *to = string_field(root, "to");
  const lr__source *src = source ? lr__model_source(&s->store->reg, source)
                                 : NULL;
  if (to && strcmp(to, "online") != 0 &&
      strcmp(to, "online_and_offline") != 0) {
    lr__json_error(out, status, 400, "bad request",
                   "'to' must be \"online\" (the offline store is the "
                   "source's files)");
  } else if (!source) {
    lr__json_error(out, status, 400, "bad request",
                   "'push_source_name' is missing");
  } else if (!src || src->kind != LR__SOURCE_PUSH) {
    lr__buf detail;
    lr__buf_init(&detail);
    lr__buf_printf(&detail, "no push source is named '%s'", source);
    lr__json_error(out, status, 404, "not found", lr__buf_str(&detail));
    lr__buf_free(&detail);
  } else {
    lr__buf written;
    lr__buf_init(&written);
    *status = 200;
    int rc = 0, views = 0;
    for (int i = 0; rc == 0 && i < s->store->reg.n_views; i++) {
      const lr__view *v = &s->store->reg.views[i];
      if (v->kind == LR__VIEW_BATCH && v->online && v->source &&
          !strcmp(v->source, source)) {
        rc = write_df(s, v->name, lr__json_get(root, "df"), status,
                      &written);
        views++;
      }
    }
    if (rc == 0 && views)
      lr__buf_printf(out, "{\"written\": [%s]}\n", lr__buf_str(&written));
    else if (rc == 0)
      lr__json_error(out, status, 404, "not found",
                     "no online feature view reads that push source");
    else
      lr__buf_puts(out, lr__buf_str(&written));
    lr__buf_free(&written);
  }
  lr__arena_free(&arena);
}

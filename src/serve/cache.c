/*
 * cache.c - prepared requests, kept by what they name (the features'
 * references as parsed, or the service: spacing and escapes do not make
 * another entry), each with a small pool of idle results.
 *
 * Every result holds a reset LMDB read transaction, hence a slot of the
 * lock file's reader table, which all processes share: the pools are
 * bounded (server.h) so that no sequence of requests can take more than a
 * constant number of slots (docs/internals/serve.md). The cache evicts
 * its least recently used entry when full; an entry in use when evicted
 * is freed by its last user.
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

/* The key: "s:" and the service, or "f:" and each reference's parsed text
 * after its length (4 bytes as they lie in memory: the key never leaves
 * the process), so that the same list however spaced or escaped is one
 * entry. A non-string item never prepares, so its spelling does not
 * matter. */
static void request_key(const lr__jnode *features, const char *service,
                        lr__buf *key) {
  if (service) {
    lr__buf_puts(key, "s:");
    lr__buf_puts(key, service);
    return;
  }
  lr__buf_puts(key, "f:");
  for (int i = 0; i < features->n; i++) {
    const lr__jnode *item = features->items[i];
    uint32_t len = item->kind == LR__J_STRING ? (uint32_t)item->len : 0;
    lr__buf_append(key, &len, sizeof len);
    if (len)
      lr__buf_append(key, item->text, len);
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

/* Frees a result and counts it gone. */
static void drop_result(lr__server *s, lr_result *res) {
  lr_result_free(res);
  atomic_fetch_sub(&s->metrics.results_live, 1);
}

static void free_entry(lr__server *s, lr__cached_request *c) {
  for (int r = 0; r < c->n_idle; r++)
    drop_result(s, c->idle[r]);
  atomic_fetch_sub(&s->idle_results, c->n_idle);
  lr_request_free(c->req);
  pthread_mutex_destroy(&c->lock);
  free(c->served_view);
  free(c->key);
  free(c);
}

void lr__server_clear_cache(lr__server *s) {
  for (int i = 0; i < s->n_cache; i++)
    free_entry(s, s->cache[i]);
  s->n_cache = 0;
  atomic_store(&s->metrics.cached_requests, 0);
}

/* Which view counters (metrics.h) c's features count under; none when
 * out of memory. The server's lock is held for reading: the counters do
 * not move. */
static void served_views(lr__server *s, lr__cached_request *c) {
  int n_keys;
  if (lr_request_shape(c->req, &n_keys, &c->n_features) != 0 ||
      !(c->served_view = calloc((size_t)c->n_features + 1, sizeof(int)))) {
    c->n_features = 0;
    return;
  }
  for (int f = 0; f < c->n_features; f++) {
    const char *view, *name;
    int type;
    c->served_view[f] =
        lr_request_feature(c->req, f, &view, &name, &type) == 0
            ? lr__metrics_view_index(&s->metrics, view) : -1;
  }
}

/* Takes the least recently used entry out of the full cache (cache_lock
 * held): freed now, or by its last user. */
static void evict_one(lr__server *s) {
  int oldest = 0;
  for (int i = 1; i < s->n_cache; i++)
    if (s->cache[i]->used < s->cache[oldest]->used)
      oldest = i;
  lr__cached_request *c = s->cache[oldest];
  s->cache[oldest] = s->cache[--s->n_cache];
  if (c->users)
    c->evicted = 1;
  else
    free_entry(s, c);
}

/* A new entry for `req` under `key` (taken), in the cache unless its key
 * was lost to a failed allocation (then its user frees it). NULL when out
 * of memory. cache_lock held. */
static lr__cached_request *add_entry(lr__server *s, lr__buf *key,
                                     lr_request *req) {
  lr__cached_request *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->key_len = key->len;
  c->key = lr__buf_steal(key);
  c->req = req;
  pthread_mutex_init(&c->lock, NULL);
  served_views(s, c);
  if (!c->key) {
    c->evicted = 1;
    return c;
  }
  if (s->n_cache == LR__CACHE_MAX)
    evict_one(s);
  s->cache[s->n_cache++] = c;
  return c;
}

lr__cached_request *lr__cache_acquire(lr__server *s,
                                      const lr__jnode *features,
                                      const char *service, int *rc,
                                      lr__buf *err) {
  lr__buf key;
  lr__buf_init(&key);
  request_key(features, service, &key);
  pthread_mutex_lock(&s->cache_lock);
  lr__cached_request *found = NULL;
  for (int i = 0; i < s->n_cache && !found; i++) {
    lr__cached_request *c = s->cache[i];
    if (c->key_len == key.len &&
        !memcmp(c->key, key.data, key.len))
      found = c;
  }
  *rc = 0;
  if (!found) {
    lr_request *req = NULL;
    *rc = lr__buf_failed(&key) ? LR_ENOMEM : prepare(s, features, service,
                                                     &req);
    if (*rc)
      lr__buf_puts(err, *rc == LR_ENOMEM ? "out of memory"
                                         : lr_store_errmsg(s->store));
    else if (!(found = add_entry(s, &key, req))) {
      lr_request_free(req);
      *rc = LR_ENOMEM;
      lr__buf_puts(err, "out of memory");
    }
  }
  if (found) {
    found->users++;
    found->used = ++s->cache_clock;
  }
  atomic_store(&s->metrics.cached_requests, s->n_cache);
  pthread_mutex_unlock(&s->cache_lock);
  lr__buf_free(&key);
  return found;
}

void lr__cache_release(lr__server *s, lr__cached_request *c) {
  if (!c)
    return;
  pthread_mutex_lock(&s->cache_lock);
  int last = --c->users == 0 && c->evicted;
  pthread_mutex_unlock(&s->cache_lock);
  if (last)
    free_entry(s, c);
}

/* The size a result for n entities is made in: a power of two (at least
 * LR__RESULT_MIN), so that nearby batch sizes share results, but not
 * beyond the most a request may ask for. */
static int result_size(const lr__server *s, int n) {
  long long cap = LR__RESULT_MIN;
  while (cap < n)
    cap *= 2;
  if (cap > s->opt.max_entities)
    cap = s->opt.max_entities > n ? s->opt.max_entities : n;
  return (int)cap;
}

lr_result *lr__cache_checkout(lr__server *s, lr__cached_request *c, int n,
                              int *capacity) {
  lr_result *res = NULL;
  pthread_mutex_lock(&c->lock);
  int best = -1; /* the smallest idle result that is large enough */
  for (int i = 0; i < c->n_idle; i++)
    if (c->idle_capacity[i] >= n &&
        (best < 0 || c->idle_capacity[i] < c->idle_capacity[best]))
      best = i;
  if (best >= 0) {
    res = c->idle[best];
    *capacity = c->idle_capacity[best];
    c->n_idle--;
    c->idle[best] = c->idle[c->n_idle];
    c->idle_capacity[best] = c->idle_capacity[c->n_idle];
  }
  pthread_mutex_unlock(&c->lock);
  if (res) {
    atomic_fetch_sub(&s->idle_results, 1);
    return res;
  }
  *capacity = result_size(s, n);
  if (lr_result_create(c->req, *capacity, &res) != 0)
    return NULL;
  atomic_fetch_add(&s->metrics.results_live, 1);
  return res;
}

/* Index of the entry's smallest idle result (c->lock held, n_idle > 0). */
static int smallest_idle(const lr__cached_request *c) {
  int small = 0;
  for (int i = 1; i < c->n_idle; i++)
    if (c->idle_capacity[i] < c->idle_capacity[small])
      small = i;
  return small;
}

void lr__cache_checkin(lr__server *s, lr__cached_request *c, lr_result *res,
                       int capacity) {
  if (capacity > LR__POOLED_ENTITIES_MAX) {
    drop_result(s, res);
    return;
  }
  pthread_mutex_lock(&c->lock);
  if (c->n_idle < LR__POOL_PER_REQUEST) {
    if (atomic_fetch_add(&s->idle_results, 1) < LR__IDLE_RESULTS_MAX) {
      c->idle[c->n_idle] = res;
      c->idle_capacity[c->n_idle++] = capacity;
      res = NULL;
    } else {
      atomic_fetch_sub(&s->idle_results, 1);
    }
  } else { /* a full pool keeps its largest results */
    int small = smallest_idle(c);
    if (c->idle_capacity[small] < capacity) {
      lr_result *kept = res;
      res = c->idle[small];
      c->idle[small] = kept;
      c->idle_capacity[small] = capacity;
    }
  }
  pthread_mutex_unlock(&c->lock);
  if (res)
    drop_result(s, res);
}

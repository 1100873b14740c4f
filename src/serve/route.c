/*
 * route.c - one request, whatever front end received it: the bearer-token
 * check (in constant time), the endpoint and method, then the handlers
 * under the store's read lock; /health and /metrics. With opt.ui, the
 * paths under /ui go to the web UI (src/ui/ui.h), which checks the token
 * itself (a header or its cookie).
 */
#include <stdlib.h>
#include <string.h>

#include "../online/apply.h"
#include "../online/introspect.h"
#include "../ui/ui.h"
#include "../util/timefmt.h"
#include "server.h"

/* Compares in time that depends only on the lengths, not on where the
 * first difference is. */
static int same_secret(const char *a, size_t a_len, const char *b,
                       size_t b_len) {
  unsigned char diff = a_len != b_len;
  for (size_t i = 0; i < a_len && i < b_len; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

int lr__server_token_ok(const lr__server *s, const char *given,
                        size_t len) {
  return !s->token || same_secret(given, len, s->token, s->token_len);
}

int lr__server_authorized(const lr__server *s, const char *auth) {
  if (!s->token)
    return 1;
  static const char prefix[] = "Bearer ";
  if (!auth || strncmp(auth, prefix, sizeof prefix - 1) != 0)
    return 0;
  const char *given = auth + sizeof prefix - 1;
  return lr__server_token_ok(s, given, strlen(given));
}

void lr__reply_release(lr__reply *r) {
  lr__buf_free(&r->body);
  free(r->set_cookie);
  free(r->location);
  r->set_cookie = r->location = NULL;
}

/* On a replica, why it may not answer yet (into `why`; empty when it
 * may): no follower has reported, the last report is older than max_lag
 * (the follower stopped), its lag is above max_lag, or its rounds have
 * been failing for longer (with the last round's error). Ages are this
 * machine's clock against the follower's report, also on this machine:
 * a clock off from the primary's changes neither. */
static void replica_unready(lr__server *s, lr__buf *why) {
  const lr__replication *repl = lr__store_replication(s->store);
  if (repl->role != LR__ROLE_REPLICA)
    return;
  lr__replica_status st;
  long long now_ms = lr__time_now_us() / 1000;
  if (lr__store_replica_status(s->store, &st) != 0) {
    lr__buf_puts(why, "no follower has reported yet: run `larder "
                 "replicate` on this replica");
    return;
  }
  if (now_ms - st.updated_ms > repl->max_lag_ms)
    lr__buf_printf(why, "the follower last reported %lld ms ago (max_lag "
                   "%lld ms): is `larder replicate` running?",
                   now_ms - st.updated_ms, repl->max_lag_ms);
  else if (st.lag_ms > repl->max_lag_ms)
    lr__buf_printf(why, "%llu entries behind for %lld ms (max_lag %lld ms)",
                   st.lag_entries, st.lag_ms, repl->max_lag_ms);
  else if (st.failing_ms > repl->max_lag_ms)
    lr__buf_printf(why, "the follower's rounds have failed for %lld ms "
                   "(max_lag %lld ms)", st.failing_ms, repl->max_lag_ms);
  else
    return;
  if (st.error[0] && now_ms - st.updated_ms <= repl->max_lag_ms)
    lr__buf_printf(why, ": %s", st.error);
}

static void health(lr__server *s, int *status, lr__buf *out) {
  lr_data_version v = {0, 0};
  int ok = lr__store_health(s->store) == 0 &&
           lr_store_version(s->store, &v) == 0;
  lr__buf why;
  lr__buf_init(&why);
  if (ok)
    replica_unready(s, &why);
  *status = ok && !why.len ? 200 : 503;
  lr__buf_printf(out, "{\"status\": \"%s\", \"registry_version\": %llu, "
                 "\"store_version\": \"%llu.%llu\"",
                 !ok ? "unavailable" : why.len ? "lagging" : "ok",
                 (unsigned long long)lr__store_model(s->store)->version,
                 v.generation, v.seq);
  if (why.len) {
    lr__buf_puts(out, ", \"reason\": ");
    lr__buf_json_str(out, lr__buf_str(&why));
  }
  lr__buf_puts(out, "}\n");
  lr__buf_free(&why);
}

/* The method and path checks; 0 when the request may go on. */
static int route_error(lr__endpoint ep, const char *method, lr__reply *r) {
  if (ep == LR__EP_OTHER) {
    lr__json_error(&r->body, &r->status, 404, "not found",
                   "endpoints: POST /get-online-features, POST "
                   "/write-to-online-store, POST /push, GET /health, GET "
                   "/metrics");
    return -1;
  }
  int wants_post = ep == LR__EP_GET_ONLINE || ep == LR__EP_WRITE ||
                   ep == LR__EP_PUSH;
  if (strcmp(method, wants_post ? "POST" : "GET") != 0) {
    r->allow = wants_post ? "POST" : "GET";
    lr__json_error(&r->body, &r->status, 405, "method not allowed",
                   wants_post ? "use POST" : "use GET");
    return -1;
  }
  return 0;
}

/* A read-only server's refusal of the endpoints that write; 0 when the
 * request may go on. */
static int read_only_error(const lr__server *s, lr__endpoint ep,
                           lr__reply *r) {
  if (!s->opt.read_only || (ep != LR__EP_WRITE && ep != LR__EP_PUSH))
    return 0;
  lr__json_error(&r->body, &r->status, 403, "read-only",
                 "this server serves the read API only (larder ui): write "
                 "through `larder serve`");
  return -1;
}

void lr__server_handle(lr__server *s, const char *method, const char *path,
                       const char *auth, const char *body, size_t len,
                       lr__reply *r) {
  int *status = &r->status;
  lr__buf *out = &r->body;
  r->content_type = "application/json";
  if (s->opt.ui && lr__ui_path(path)) {
    lr__ui_handle(s, method, path, auth, body, len, r);
    return;
  }
  if (!lr__server_authorized(s, auth)) {
    lr__json_error(out, status, 401, "unauthorized",
                   "send the header `Authorization: Bearer <token>`");
    return;
  }
  lr__endpoint ep = lr__endpoint_of(path);
  int refused = route_error(ep, method, r) || read_only_error(s, ep, r);
  pthread_rwlock_rdlock(&s->lock);
  if (refused && s->store)
    r->versioned = lr_store_version(s->store, &r->version) == 0;
  if (refused) {
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  if (!s->store) {
    lr__json_error(out, status, 503, "unavailable",
                   "the registry could not be opened; see `larder apply`");
    pthread_rwlock_unlock(&s->lock);
    return;
  }
  switch (ep) {
  case LR__EP_GET_ONLINE: lr__get_online_features(s, body, len, r); break;
  case LR__EP_WRITE: lr__write_to_online_store(s, body, len, status, out); break;
  case LR__EP_PUSH: lr__push(s, body, len, status, out); break;
  case LR__EP_HEALTH: health(s, status, out); break;
  default:
    r->content_type = "text/plain; version=0.0.4";
    *status = 200;
    pthread_mutex_lock(&s->write_lock); /* meta reads use the store's
                                           message buffer */
    lr__metrics_write(&s->metrics, s->store, out);
    lr__metrics_write_drift(s->opt.repo, s->store, out);
    pthread_mutex_unlock(&s->write_lock);
  }
  if (!r->versioned) /* after a write: the version that includes it */
    r->versioned = lr_store_version(s->store, &r->version) == 0;
  pthread_rwlock_unlock(&s->lock);
}

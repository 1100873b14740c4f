/*
 * rstore_error.c - a failure of the Redis layer said for the user of a
 * Redis store (rstore.h, lr__rstore_explain): src/redis names the server
 * and what it answered ("127.0.0.1:7001 refused EVALSHA: OOM command not
 * allowed when used memory > 'maxmemory'."), which is right but says
 * nothing of what to do; this adds what failed in the store's terms and
 * the fix: the setting of feature_store.yaml to change, or what the
 * server needs, and, for a write, that writing again is safe.
 *
 * It reads the messages of src/redis/node.h and cluster.h, whose shapes
 * are theirs: "cannot connect to NAME: REASON", "lost the connection to
 * NAME during WHAT: REASON", "NAME did not answer WHAT within N ms", "NAME
 * refused the password: REPLY", "NAME refused COMMAND: REPLY" (the reply
 * starting with Redis' error code), each maybe after a batch's "K of N
 * commands failed; the first, command I: ", and a cluster's seeds' "no
 * node of the cluster gave its slot map (CLUSTER SLOTS): FAILURE; ...".
 * Any other message is kept as it is.
 */
#include <stdio.h>
#include <string.h>

#include "rstore.h"

/* What the store's settings say of a field, for the fixes. */
static const char *servers_field(const lr__online_redis *cfg) {
  return cfg->cluster ? "cluster" : "url";
}

/* The text after the batch summary's "...; the first, command I: ". */
static const char *first_failure(const char *msg) {
  static const char first[] = "; the first, command ";
  const char *at = strstr(msg, " commands failed");
  const char *tail = at ? strstr(at, first) : NULL;
  const char *colon = tail ? strstr(tail + sizeof first - 1, ": ") : NULL;
  return colon ? colon + 2 : msg;
}

/* Appends "Redis at NAME ..." and the fix for NAME refusing `what` with
 * `reply` (its error code first) to `out`; returns 0, appending nothing,
 * when there is no fix to give. */
static int say_refusal(const lr__online_redis *cfg, const char *name,
                       int name_len, const char *what, const char *reply,
                       lr__buf *out) {
  if (!strcmp(what, "the password")) {
    lr__buf_printf(out, "Redis at %.*s refused the password (%s): ",
                   name_len, name, reply);
    if (cfg->password_env)
      lr__buf_printf(out, "fix the password in $%s (the online store's "
                     "password_env in feature_store.yaml)",
                     cfg->password_env);
    else
      lr__buf_printf(out, "fix the online store's %s in feature_store.yaml",
                     cfg->user ? "user and password" : "password");
    return 1;
  }
  if (!strncmp(reply, "NOAUTH ", 7)) {
    lr__buf_printf(out, "Redis at %.*s wants a password (%s): set the "
                   "online store's password, or password_env, in "
                   "feature_store.yaml", name_len, name, reply);
    return 1;
  }
  if (!strncmp(reply, "OOM ", 4)) {
    lr__buf_printf(out, "Redis at %.*s refused the write: its maxmemory is "
                   "reached (OOM); raise maxmemory or free memory",
                   name_len, name);
    return 1;
  }
  if (!strncmp(reply, "LOADING ", 8)) {
    lr__buf_printf(out, "Redis at %.*s is still loading its data (LOADING): "
                   "try again once it has", name_len, name);
    return 1;
  }
  return 0;
}

static int say(const lr__online_redis *cfg, const char *msg, lr__buf *out);

/* A cluster's seeds all failed to give the slot map ("no node of the
 * cluster gave its slot map (CLUSTER SLOTS): FAILURE; FAILURE..."): the
 * first seed's failure explained, the others' as they are. */
static int say_seeds(const lr__online_redis *cfg, const char *failures,
                     lr__buf *out) {
  lr__buf first;
  lr__buf_init(&first);
  const char *rest = strstr(failures, "; ");
  lr__buf_append(&first, failures,
                 rest ? (size_t)(rest - failures) : strlen(failures));
  lr__buf_puts(out, "no seed of the cluster gave its slot map: ");
  int fixed = say(cfg, lr__buf_str(&first), out);
  if (rest)
    lr__buf_printf(out, " (the other seeds: %s)", rest + 2);
  lr__buf_free(&first);
  return fixed;
}

/* Appends the explanation of `msg` (a message of src/redis) to `out`;
 * returns 1 when there is a fix, 0 when `msg` went as it is. */
static int say(const lr__online_redis *cfg, const char *msg, lr__buf *out) {
  static const char seeds[] = "no node of the cluster gave its slot map "
                              "(CLUSTER SLOTS): ";
  if (!strncmp(msg, seeds, sizeof seeds - 1))
    return say_seeds(cfg, msg + sizeof seeds - 1, out);
  const char *to, *end;
  if (!strncmp(msg, "cannot connect to ", 18) &&
      (end = strstr(to = msg + 18, ": "))) {
    lr__buf_printf(out, "cannot connect to Redis at %.*s (%s): start "
                   "redis-server there, or fix the online store's %s in "
                   "feature_store.yaml", (int)(end - to), to, end + 2,
                   servers_field(cfg));
    if (strstr(end, "timed out"))
      lr__buf_printf(out, " (or its connect_timeout, %d ms)",
                     cfg->connect_timeout_ms);
    return 1;
  }
  if (!strncmp(msg, "lost the connection to ", 23) &&
      (end = strstr(to = msg + 23, " during ")) && strstr(end, ": ")) {
    lr__buf_printf(out, "lost the connection to Redis at %.*s (%s): did it "
                   "stop or restart? See that it runs", (int)(end - to), to,
                   strstr(end, ": ") + 2);
    return 1;
  }
  if ((end = strstr(msg, " did not answer ")) && strstr(end, " within ")) {
    lr__buf_printf(out, "Redis at %.*s did not answer within %d ms (the "
                   "online store's timeout in feature_store.yaml): it is "
                   "stopped or overloaded; if it is only slow, raise the "
                   "timeout", (int)(end - msg), msg, cfg->timeout_ms);
    return 1;
  }
  const char *reply;
  if ((end = strstr(msg, " refused ")) && (reply = strstr(end + 9, ": "))) {
    char what[64];
    snprintf(what, sizeof what, "%.*s", (int)(reply - end - 9), end + 9);
    if (say_refusal(cfg, msg, (int)(end - msg), what, reply + 2, out))
      return 1;
  }
  lr__buf_puts(out, msg);
  return 0;
}

void lr__rstore_explain(const lr__rstore *rs, int writing, lr__buf *msg) {
  lr__buf out;
  lr__buf_init(&out);
  int fixed = say(lr__rstore_settings(rs), first_failure(lr__buf_str(msg)),
                  &out);
  if (writing)
    lr__buf_puts(&out, fixed ? ", then write again: newer wins, so "
                               "rewriting is safe"
                             : "; newer wins, so rewriting is safe");
  if (!lr__buf_failed(&out)) {
    lr__buf_reset(msg);
    lr__buf_append(msg, out.data, out.len);
  }
  lr__buf_free(&out);
}

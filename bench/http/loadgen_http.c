/*
 * loadgen_http.c - the load generator's HTTP/1.1 protocol: keep-alive POST
 * /get-online-features with the body bench/http/lookup.lua sends (the 20
 * feature refs user_stats:f00..f19 and BATCH user_id keys), answers framed
 * by Content-Length (the head read by src/cli/http_client.c's
 * http_parse_head, as `larder bench --http` reads it).
 *
 * An answer is right when its status is 200 and its body, in Feast's
 * column-major shape ({"metadata": ..., "results": [{"values": [...], ...},
 * ...]}), holds 21 "values" arrays of BATCH elements: the first the keys
 * asked, in order, and in each feature's array the entities whose id % 20
 * is that feature hold their value (lg_feature_value, parsed as a float32
 * and compared exactly), so that every entity has one value checked and
 * every feature is checked over a run. A checked value that is null is a
 * miss (the server does not hold the entity); anything else is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/http_client.h"
#include "loadgen.h"

static const char body_head[] =
    "{\"features\": [\"user_stats:f00\", \"user_stats:f01\", "
    "\"user_stats:f02\", \"user_stats:f03\", \"user_stats:f04\", "
    "\"user_stats:f05\", \"user_stats:f06\", \"user_stats:f07\", "
    "\"user_stats:f08\", \"user_stats:f09\", \"user_stats:f10\", "
    "\"user_stats:f11\", \"user_stats:f12\", \"user_stats:f13\", "
    "\"user_stats:f14\", \"user_stats:f15\", \"user_stats:f16\", "
    "\"user_stats:f17\", \"user_stats:f18\", \"user_stats:f19\"], "
    "\"entities\": {\"user_id\": [";
static const char body_tail[] = "]}}";

/* The head (under 200 bytes), the body's fixed parts and 21 bytes a key. */
static size_t http_request_cap(int batch) {
  return 256 + sizeof body_head + sizeof body_tail + 21 * (size_t)batch;
}

/* Writes the POST of lookup.lua's body for `ids` (see loadgen.h). */
static size_t http_write_request(char *out, const long long *ids, int batch,
                                 int port) {
  char keys[LG_MAX_BATCH * 21];
  size_t keys_len = 0;
  for (int e = 0; e < batch; e++)
    keys_len += (size_t)sprintf(keys + keys_len, e ? ",%lld" : "%lld", ids[e]);
  size_t body_len = sizeof body_head - 1 + keys_len + sizeof body_tail - 1;
  int n = sprintf(out,
                  "POST /get-online-features HTTP/1.1\r\n"
                  "Host: 127.0.0.1:%d\r\n"
                  "Content-Type: application/json\r\n"
                  "Content-Length: %zu\r\n\r\n%s",
                  port, body_len, body_head);
  memcpy(out + n, keys, keys_len);
  memcpy(out + n + keys_len, body_tail, sizeof body_tail - 1);
  return (size_t)n + keys_len + sizeof body_tail - 1;
}

/* The next `"values": [` at or after p, before `end`: just past its '[',
 * or NULL. */
static const char *next_values(const char *p, const char *end) {
  static const char key[] = "\"values\"";
  while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
    p += sizeof key - 1;
    while (p < end && *p == ' ')
      p++;
    if (p < end && *p == ':')
      p++;
    while (p < end && *p == ' ')
      p++;
    if (p < end && *p == '[')
      return p + 1;
  }
  return NULL;
}

/* Checks element `e` at p of column `column` (0: the keys; 1 + f: feature
 * f) against entity `id`; returns the end of what it read, or NULL when
 * no value is there. */
static const char *check_element(const char *p, const char *end, int column,
                                 long long id, lg_verdict *v) {
  if (end - p >= 4 && !memcmp(p, "null", 4)) {
    if (column == 0)
      v->error = 1;
    else
      v->misses++;
    return p + 4;
  }
  char *stop;
  if (column == 0) {
    if (strtoll(p, &stop, 10) != id)
      v->error = 1;
  } else if (strtof(p, &stop) != lg_feature_value(id, column - 1)) {
    v->error = 1;
  }
  return stop == p ? NULL : stop;
}

/* Walks the `batch` elements of the array of `column` starting at p (just
 * past its '['), checking the keys (column 0) or the entities whose
 * feature this is; returns the end of the array, or NULL when it does not
 * hold `batch` elements. */
static const char *check_column(const char *p, const char *end, int column,
                                const long long *ids, int batch,
                                lg_verdict *v) {
  for (int e = 0; e < batch; e++) {
    while (p < end && *p == ' ')
      p++;
    if (column == 0 || ids[e] % LG_FEATURES == column - 1) {
      p = check_element(p, end, column, ids[e], v);
      if (!p)
        return NULL;
    }
    while (p < end && *p != ',' && *p != ']')
      p++;
    if (p >= end || *p != (e == batch - 1 ? ']' : ','))
      return NULL;
    p++;
  }
  return p;
}

/* Checks a 200 answer's body (see the top of the file). */
static void check_body(const char *p, const char *end, const long long *ids,
                       int batch, lg_verdict *v) {
  for (int column = 0; column <= LG_FEATURES; column++) {
    p = next_values(p, end);
    if (!p || !(p = check_column(p, end, column, ids, batch, v))) {
      v->error = 1;
      return;
    }
  }
  if (next_values(p, end))
    v->error = 1; /* more columns than asked */
}

/* Reads one answer: its head by http_parse_head, then its body by
 * Content-Length (see loadgen.h). */
static long http_read_answer(const char *in, size_t len, const long long *ids,
                             int batch, lg_verdict *v) {
  http_head head;
  char why[256];
  *v = (lg_verdict){0};
  int rc = http_parse_head(in, len, &head, why, sizeof why);
  if (rc <= 0)
    return rc;
  size_t total = head.head_len + head.content_length;
  if (len < total)
    return 0;
  if (head.status != 200)
    v->error = 1;
  else
    check_body(in + head.head_len, in + total, ids, batch, v);
  return (long)total;
}

const lg_protocol lg_http = {"http", http_request_cap, http_write_request,
                             http_read_answer};

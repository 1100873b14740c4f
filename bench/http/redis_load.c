/*
 * redis_load.c - the Redis side of issue 5's comparison: Feast's Redis
 * layout for the benchmark's entities, and a closed-loop load generator
 * that reads them as Feast's Redis online store does.
 *
 *   redis_load gen N_ENTITIES > data.resp   (then: redis-cli --pipe < data.resp)
 *   redis_load run PORT N_ENTITIES BATCH CONNECTIONS THREADS SECONDS WARMUP
 *   redis_load command ID   (one HMGET of entity ID, as redis-cli reads it
 *                            from stdin: binary bytes escaped)
 *   redis_load selftest
 *
 * Layout (feast/infra/online_stores/redis.py, entity key serialization v3):
 *   key    = serialize_entity_key({user_id: int64}) + b"bench" (the project):
 *            <I 1> <I STRING=2> <I 7> "user_id" <I INT64=4> <I 8> <q id>
 *   fields = mmh3_32("user_stats:fNN") as 4 little-endian bytes, each
 *            holding a serialized ValueProto{float_val} (5 bytes: tag 0x35 +
 *            the float), and "_ts:user_stats" holding a serialized
 *            Timestamp{seconds} (6 bytes).
 * Values are the ones bench/online_lookup.c writes ((id*31+f)%1000/1000).
 *
 * `run` keeps CONNECTIONS connections busy (split over THREADS epoll
 * threads), each with one request outstanding: BATCH pipelined HMGETs of
 * the 20 feature fields + the _ts field for random keys over the N
 * entities, exactly what Feast's online_read sends for BATCH entities. A
 * request's latency is from its write to its last reply. Every reply is
 * checked: an array of 21 strings (a missing key counts as a miss). Prints
 *   REDIS requests=.. seconds=.. rps=.. p50_us=.. p90_us=.. p99_us=..
 *         p999_us=.. max_us=.. errors=.. misses=..
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common.h"

enum { FEATURES = 20, FIELDS = FEATURES + 1, KEY_LEN = 35 + 5,
       MAX_BATCH = 1000, MAX_CONNS = 1024 };

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

/* MurmurHash3_x86_32, seed 0: what Python's mmh3.hash(s, signed=False)
 * returns and Feast's _mmh3 packs little-endian. */
static uint32_t mmh3_32(const void *key, size_t len) {
  const uint8_t *data = key;
  size_t nblocks = len / 4;
  uint32_t h1 = 0, c1 = 0xcc9e2d51, c2 = 0x1b873593, k1;
  for (size_t i = 0; i < nblocks; i++) {
    memcpy(&k1, data + i * 4, 4);
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    h1 = h1 * 5 + 0xe6546b64;
  }
  const uint8_t *tail = data + nblocks * 4;
  k1 = 0;
  switch (len & 3) {
  case 3: k1 ^= (uint32_t)tail[2] << 16; /* fall through */
  case 2: k1 ^= (uint32_t)tail[1] << 8;  /* fall through */
  case 1:
    k1 ^= tail[0];
    k1 *= c1;
    k1 = rotl32(k1, 15);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= (uint32_t)len;
  h1 ^= h1 >> 16;
  h1 *= 0x85ebca6b;
  h1 ^= h1 >> 13;
  h1 *= 0xc2b2ae35;
  h1 ^= h1 >> 16;
  return h1;
}

static void put_u32le(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Feast's Redis key of user_id = id in project "bench". */
static void entity_key(long long id, unsigned char *k) {
  put_u32le(k, 1);      /* number of join keys (v3) */
  put_u32le(k + 4, 2);  /* ValueType.STRING */
  put_u32le(k + 8, 7);  /* len("user_id") (v3) */
  memcpy(k + 12, "user_id", 7);
  put_u32le(k + 19, 4); /* ValueType.INT64 */
  put_u32le(k + 23, 8);
  uint64_t u = (uint64_t)id;
  for (int i = 0; i < 8; i++)
    k[27 + i] = (unsigned char)(u >> (8 * i));
  memcpy(k + 35, "bench", 5);
}

static unsigned char field_names[FIELDS][16];
static size_t field_lens[FIELDS];

static void make_fields(void) {
  for (int f = 0; f < FEATURES; f++) {
    char ref[32];
    int n = snprintf(ref, sizeof ref, "user_stats:f%02d", f);
    put_u32le(field_names[f], mmh3_32(ref, (size_t)n));
    field_lens[f] = 4;
  }
  memcpy(field_names[FEATURES], "_ts:user_stats", 14);
  field_lens[FEATURES] = 14;
}

static float feature_value(long long id, int f) {
  return (float)((id * 31 + f) % 1000) / 1000.0f;
}

static void put_bulk(FILE *out, const void *p, size_t len) {
  fprintf(out, "$%zu\r\n", len);
  fwrite(p, 1, len, out);
  fputs("\r\n", out);
}

/* HSET key field value ... for every entity, in Redis' protocol. */
static int gen(long long n) {
  make_fields();
  uint64_t secs = (uint64_t)time(NULL);
  unsigned char ts[16];
  size_t ts_len = 0;
  ts[ts_len++] = 0x08; /* Timestamp.seconds, varint */
  for (uint64_t v = secs; ; v >>= 7) {
    ts[ts_len++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    if (v <= 0x7f)
      break;
  }
  static char iobuf[1 << 20];
  setvbuf(stdout, iobuf, _IOFBF, sizeof iobuf);
  for (long long id = 0; id < n; id++) {
    unsigned char key[KEY_LEN];
    entity_key(id, key);
    fprintf(stdout, "*%d\r\n$4\r\nHSET\r\n", 2 + 2 * FIELDS);
    put_bulk(stdout, key, KEY_LEN);
    for (int f = 0; f < FEATURES; f++) {
      unsigned char val[5] = {0x35}; /* ValueProto.float_val, fixed32 */
      float v = feature_value(id, f);
      memcpy(val + 1, &v, 4);
      put_bulk(stdout, field_names[f], field_lens[f]);
      put_bulk(stdout, val, sizeof val);
    }
    put_bulk(stdout, field_names[FEATURES], field_lens[FEATURES]);
    put_bulk(stdout, ts, ts_len);
  }
  return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- the load ---------------------------------------------------------- */

typedef struct conn {
  int fd;
  redisReader *reader;
  char *cmd;       /* the pipelined request being sent */
  size_t cmd_len, sent;
  int pending;     /* replies still expected */
  double started;
  long long ids[MAX_BATCH];
} conn;

typedef struct worker {
  int port, batch, n_conns;
  long long n_entities;
  double warm_until, stop_at;
  uint64_t rng;
  latency *hist;
  long long errors, misses;
  conn conns[MAX_CONNS];
} worker;

/* Builds BATCH HMGETs for random keys into c->cmd. */
static void build_request(worker *w, conn *c) {
  const char *argv[2 + FIELDS];
  size_t lens[2 + FIELDS];
  unsigned char key[KEY_LEN];
  argv[0] = "HMGET";
  lens[0] = 5;
  argv[1] = (const char *)key;
  lens[1] = KEY_LEN;
  for (int f = 0; f < FIELDS; f++) {
    argv[2 + f] = (const char *)field_names[f];
    lens[2 + f] = field_lens[f];
  }
  free(c->cmd);
  c->cmd = NULL;
  size_t total = 0;
  char *buf = NULL;
  for (int e = 0; e < w->batch; e++) {
    c->ids[e] = (long long)(xorshift_next(&w->rng) % (uint64_t)w->n_entities);
    entity_key(c->ids[e], key);
    char *one;
    int len = redisFormatCommandArgv(&one, 2 + FIELDS, argv, lens);
    buf = realloc(buf, total + (size_t)len);
    memcpy(buf + total, one, (size_t)len);
    total += (size_t)len;
    redisFreeCommand(one);
  }
  c->cmd = buf;
  c->cmd_len = total;
  c->sent = 0;
  c->pending = w->batch;
}

static int try_send(conn *c) {
  while (c->sent < c->cmd_len) {
    ssize_t k = send(c->fd, c->cmd + c->sent, c->cmd_len - c->sent,
                     MSG_NOSIGNAL);
    if (k < 0)
      return errno == EAGAIN ? 0 : -1;
    c->sent += (size_t)k;
  }
  return 0;
}

static void check_reply(worker *w, conn *c, redisReply *r, int index) {
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != FIELDS) {
    w->errors++;
    return;
  }
  if (r->element[0]->type != REDIS_REPLY_STRING) {
    w->misses++;
    return;
  }
  /* the 4th feature (f03) must be this entity's value */
  redisReply *v = r->element[3];
  float got, want = feature_value(c->ids[index], 3);
  if (v->type != REDIS_REPLY_STRING || v->len != 5 ||
      (memcpy(&got, v->str + 1, 4), got != want))
    w->errors++;
}

static void *run_worker(void *arg) {
  worker *w = arg;
  int ep = epoll_create1(0);
  for (int i = 0; i < w->n_conns; i++) {
    conn *c = &w->conns[i];
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)w->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
      perror("redis_load: connect");
      exit(1);
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->reader = redisReaderCreate();
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    build_request(w, c);
    c->started = bench_now_ns();
    if (try_send(c))
      w->errors++;
  }
  struct epoll_event evs[64];
  char buf[65536];
  for (;;) {
    double now = bench_now_ns();
    if (now >= w->stop_at)
      break;
    int n = epoll_wait(ep, evs, 64, 10);
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (c->sent < c->cmd_len && try_send(c))
        w->errors++;
      ssize_t k;
      while ((k = recv(c->fd, buf, sizeof buf, 0)) > 0) {
        redisReaderFeed(c->reader, buf, (size_t)k);
        void *reply;
        while (c->pending &&
               redisReaderGetReply(c->reader, &reply) == REDIS_OK && reply) {
          check_reply(w, c, reply, w->batch - c->pending);
          freeReplyObject(reply);
          c->pending--;
        }
      }
      if (k == 0) {
        fprintf(stderr, "redis_load: the server closed a connection\n");
        exit(1);
      }
      if (c->pending == 0) {
        double done = bench_now_ns();
        if (c->started >= w->warm_until && done < w->stop_at) {
          latency_record(w->hist, (unsigned long long)(done - c->started));
        }
        build_request(w, c);
        c->started = bench_now_ns();
        if (try_send(c))
          w->errors++;
      }
    }
  }
  for (int i = 0; i < w->n_conns; i++) {
    close(w->conns[i].fd);
    redisReaderFree(w->conns[i].reader);
    free(w->conns[i].cmd);
  }
  close(ep);
  return NULL;
}

static int run(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: redis_load run PORT N_ENTITIES BATCH CONNECTIONS "
                    "THREADS SECONDS WARMUP_SECONDS\n");
    return 2;
  }
  int port = atoi(argv[2]), batch = atoi(argv[4]), conns = atoi(argv[5]),
      threads = atoi(argv[6]);
  long long n = atoll(argv[3]);
  double secs = atof(argv[7]), warm = atof(argv[8]);
  if (batch < 1 || batch > MAX_BATCH || threads < 1 || conns < threads ||
      conns / threads > MAX_CONNS || n < 1 || secs <= 0 || secs > 600 ||
      warm < 0 || warm > 600) {
    fprintf(stderr, "redis_load: bad arguments\n");
    return 2;
  }
  make_fields();
  worker *ws = calloc((size_t)threads, sizeof *ws);
  pthread_t *tids = calloc((size_t)threads, sizeof *tids);
  double t0 = bench_now_ns();
  for (int t = 0; t < threads; t++) {
    ws[t].port = port;
    ws[t].batch = batch;
    ws[t].n_entities = n;
    ws[t].n_conns = conns / threads + (t < conns % threads);
    ws[t].warm_until = t0 + warm * 1e9;
    ws[t].stop_at = t0 + (warm + secs) * 1e9;
    ws[t].rng = 0x2545F4914F6CDD1Dull + (uint64_t)t * 0x9E3779B97F4A7C15ull;
    ws[t].hist = calloc(1, sizeof *ws[t].hist);
    pthread_create(&tids[t], NULL, run_worker, &ws[t]);
  }
  latency *all = calloc(1, sizeof *all);
  long long errors = 0, misses = 0;
  for (int t = 0; t < threads; t++) {
    pthread_join(tids[t], NULL);
    latency_merge(all, ws[t].hist);
    free(ws[t].hist);
    errors += ws[t].errors;
    misses += ws[t].misses;
  }
  unsigned long long total = all->count;
  printf("REDIS requests=%llu seconds=%.2f rps=%.0f p50_us=%.0f p90_us=%.0f "
         "p99_us=%.0f p999_us=%.0f max_us=%.0f errors=%lld misses=%lld\n",
         total, secs, (double)total / secs,
         latency_quantile(all, 0.5) / 1e3, latency_quantile(all, 0.9) / 1e3,
         latency_quantile(all, 0.99) / 1e3, latency_quantile(all, 0.999) / 1e3,
         all->max_ns / 1e3, errors, misses);
  free(all);
  free(ws);
  free(tids);
  return errors || misses || !total ? 1 : 0;
}

/* Prints one HMGET of entity `id` (its 20 features and _ts) in the syntax
 * redis-cli reads from stdin: each argument quoted, bytes as \xHH. */
static int command(long long id) {
  make_fields();
  unsigned char key[KEY_LEN];
  entity_key(id, key);
  const unsigned char *args[1 + FIELDS] = {key};
  size_t lens[1 + FIELDS] = {KEY_LEN};
  for (int f = 0; f < FIELDS; f++) {
    args[1 + f] = field_names[f];
    lens[1 + f] = field_lens[f];
  }
  fputs("HMGET", stdout);
  for (int a = 0; a < 1 + FIELDS; a++) {
    fputs(" \"", stdout);
    for (size_t i = 0; i < lens[a]; i++)
      printf("\\x%02x", args[a][i]);
    fputs("\"", stdout);
  }
  putchar('\n');
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "gen"))
    return gen(atoll(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "command"))
    return command(atoll(argv[2]));
  if (argc >= 2 && !strcmp(argv[1], "run"))
    return run(argc, argv);
  if (argc == 2 && !strcmp(argv[1], "selftest")) {
    /* mmh3.hash("hello", signed=False) == 613153351 */
    uint32_t h = mmh3_32("hello", 5);
    printf("mmh3(hello)=%u %s\n", h, h == 613153351u ? "ok" : "WRONG");
    return h == 613153351u ? 0 : 1;
  }
  fprintf(stderr, "usage: redis_load gen N | run ... | command ID | "
                  "selftest\n");
  return 2;
}

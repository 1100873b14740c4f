/*
 * test_redis.c - the Redis layer (src/redis/) against real redis-server
 * processes on loopback (tests/redis_fixture.h), each started by its test
 * and stopped by its pid: the key slot against the specification's
 * examples and a server's CLUSTER KEYSLOT, and the fixture's cluster
 * itself.
 */
#include <hiredis/hiredis.h>

#include "helpers.h"
#include "process.h"
#include "redis/slot.h"
#include "redis_fixture.h"

/* The servers a test started (zeroed ones are skipped): the teardown stops
 * what a failed assertion left running. */
static th_redis g_server;
static th_cluster g_cluster;

static void cleanup(void) {
  th_redis_down(&g_server);
  th_cluster_down(&g_cluster);
  th_kill_children();
  th_free_kept();
}

TestSuite(redis, .fini = cleanup);

/* ---- the key slot ---------------------------------------------------- */

/* The specification's CRC16 check value and its hash tag examples. */
Test(redis, rd001_slot_matches_the_cluster_specification) {
  cr_assert_eq(lr__redis_crc16("123456789", 9), 0x31C3);
  cr_assert_eq(lr__redis_key_slot("foo", 3), 12182);
  cr_assert_eq(lr__redis_key_slot("{user1000}.following", 20),
               lr__redis_key_slot("user1000", 8));
  cr_assert_eq(lr__redis_key_slot("{user1000}.followers", 20),
               lr__redis_key_slot("user1000", 8));
  cr_assert_eq(lr__redis_key_slot("foo{}{bar}", 10),
               lr__redis_crc16("foo{}{bar}", 10) % 16384, "empty tag: the "
               "whole key");
  cr_assert_eq(lr__redis_key_slot("foo{{bar}}zap", 13),
               lr__redis_key_slot("{bar", 4));
  cr_assert_eq(lr__redis_key_slot("foo{bar}{zap}", 13),
               lr__redis_key_slot("bar", 3));
  cr_assert_eq(lr__redis_key_slot("{a", 2), lr__redis_crc16("{a", 2) % 16384,
               "no closing brace: the whole key");
  cr_assert_eq(lr__redis_key_slot("", 0), 0);
}

/* Random binary keys (NULs, braces and all) against CLUSTER KEYSLOT of a
 * cluster-enabled server. */
Test(redis, rd002_slot_matches_cluster_keyslot_for_random_keys) {
  static const char *const extra[] = {"--cluster-enabled", "yes", NULL};
  th_redis_up(&g_server, extra);
  redisContext *c = redisConnect("127.0.0.1", g_server.port);
  cr_assert(c && !c->err);
  static const char alphabet[] = "{}ab\0\xff";
  uint64_t rnd = 17;
  for (int i = 0; i < 2000; i++) {
    unsigned char key[40];
    size_t len = th_random(&rnd) % sizeof key;
    for (size_t k = 0; k < len; k++)
      key[k] = i % 2 ? (unsigned char)th_random(&rnd)
                     : (unsigned char)alphabet[th_random(&rnd) % 6];
    redisReply *r = redisCommand(c, "CLUSTER KEYSLOT %b", key, len);
    cr_assert(r && r->type == REDIS_REPLY_INTEGER, "%s",
              r ? r->str : c->errstr);
    cr_assert_eq((long long)lr__redis_key_slot(key, len), r->integer,
                 "key %d of %zu bytes", i, len);
    freeReplyObject(r);
  }
  redisFree(c);
  th_redis_down(&g_server);
}

/*
 * test_server.c - the feature server end to end: `larder serve` started as a
 * child process on a scratch repo, spoken to over real TCP sockets by a
 * small HTTP/1.1 client (Content-Length bodies, keep-alive).
 *
 * Every test gets a fresh repo with fixed data (setup()) and starts its own
 * server with the flags it needs; teardown() kills a server left running by
 * a failed assertion and removes the repo (tests/server_fixture.h, shared
 * with test_frontend.c). The binary is build/larder
 * relative to the current folder (the repo root), or $LARDER_BIN
 * (process.h).
 *
 * s900 runs the data-driven cases of tests/server/cases/ (or
 * $LARDER_SERVER_CASES) against one server: see tests/server/README.md.
 */
#include "server_fixture.h"

TestSuite(server, .init = setup, .fini = teardown, .timeout = 60);

/* ------------------------------------------------------------------------ */
/* Endpoints and the response shape                                          */
/* ------------------------------------------------------------------------ */

Test(server, s001_health_answers_200) {
  srv_start("--threads", "2");
  hresp r = call("GET", "/health", NULL);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/status"), "ok", "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/registry_version"), "1", "%s", r.body);
  char ct[128];
  cr_assert_eq(hdr(r.head, "Content-Type", ct, sizeof ct), 0);
  cr_assert_str_eq(ct, "application/json");
  hresp_free(&r);
  srv_stop();
}

/* Every value type and PRESENT / NULL_VALUE / NOT_FOUND, compared exactly:
 * keys first (PRESENT, epoch), timestamps RFC 3339 with Z, bytes base64,
 * arrays as JSON arrays, float32 0.1 printed 0.1. */
Test(server, s002_every_type_and_status_in_feast_shape) {
  srv_start("--threads", "2");
  check("POST", "/get-online-features",
        "{\"features\": [\"user_stats:score\", \"user_stats:clicks\", "
        "\"user_stats:label\", \"user_stats:blob\", \"user_stats:emb\", "
        "\"user_stats:seen\"], \"entities\": {\"user_id\": [1, 2, 3]}}",
        200,
        FEAST("\"user_id\", \"score\", \"clicks\", \"label\", \"blob\", "
              "\"emb\", \"seen\"",
              COL("1, 2, 3", PRESENT ", " PRESENT ", " PRESENT,
                  EPOCH ", " EPOCH ", " EPOCH) ", "
              COL("0.1, null, null", PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH) ", "
              COL("5, null, null", PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH) ", "
              COL("\"a\\\"b\", null, null",
                  PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH) ", "
              COL("\"AAH/\", null, null", PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH) ", "
              COL("[0.1, -2.5, 16777216], null, null",
                  PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH) ", "
              COL("\"2023-05-06T07:08:09Z\", null, null",
                  PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  T1 ", " T1_5 ", " EPOCH)));
  srv_stop();
}

Test(server, s003_outside_max_age_from_a_ttl_view) {
  srv_start("--threads", "2");
  check("POST", "/get-online-features",
        "{\"features\": [\"user_recent:recent_clicks\"], "
        "\"entities\": {\"user_id\": [1, 2, 3]}}",
        200,
        FEAST("\"user_id\", \"recent_clicks\"",
              COL("1, 2, 3", PRESENT ", " PRESENT ", " PRESENT,
                  EPOCH ", " EPOCH ", " EPOCH) ", "
              COL("null, 9, null", OUTSIDE ", " PRESENT ", " NOT_FOUND,
                  "\"2000-01-01T00:00:00Z\", \"2100-01-01T00:00:00Z\", "
                  EPOCH)));
  srv_stop();
}

Test(server, s004_features_come_back_in_request_order) {
  srv_start("--threads", "2");
  hresp r = get_online("{\"features\": [\"user_stats:label\", "
                       "\"user_recent:recent_clicks\", \"user_stats:score\", "
                       "\"user_stats:clicks\"], "
                       "\"entities\": {\"user_id\": [2, 1]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/metadata/feature_names"),
                   "[user_id,label,recent_clicks,score,clicks]");
  cr_assert_str_eq(jtext(r.body, "/results/0/values"), "[2,1]");
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[null,a\"b]");
  cr_assert_str_eq(jtext(r.body, "/results/2/statuses"),
                   "[PRESENT,OUTSIDE_MAX_AGE]");
  cr_assert_str_eq(jtext(r.body, "/results/3/values"), "[null,0.1]");
  cr_assert_str_eq(jtext(r.body, "/results/4/values"), "[null,5]");
  hresp_free(&r);
  srv_stop();
}

Test(server, s005_full_feature_names) {
  srv_start("--threads", "2");
  const char *body = "{\"features\": [\"user_stats:score\", "
                     "\"user_recent:recent_clicks\"], \"entities\": "
                     "{\"user_id\": [1]}, \"full_feature_names\": %s}";
  char req[512];
  snprintf(req, sizeof req, body, "true");
  hresp r = get_online(req);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/metadata/feature_names"),
                   "[user_id,user_stats__score,user_recent__recent_clicks]");
  hresp_free(&r);
  snprintf(req, sizeof req, body, "false");
  r = get_online(req);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/metadata/feature_names"),
                   "[user_id,score,recent_clicks]");
  hresp_free(&r);
  srv_stop();
}

Test(server, s006_feature_service_in_the_services_order) {
  srv_start("--threads", "2");
  check("POST", "/get-online-features",
        "{\"feature_service\": \"user_service\", "
        "\"entities\": {\"user_id\": [1, 2]}}",
        200,
        FEAST("\"user_id\", \"label\", \"score\", \"recent_clicks\"",
              COL("1, 2", PRESENT ", " PRESENT, EPOCH ", " EPOCH) ", "
              COL("\"a\\\"b\", null", PRESENT ", " NULL_VALUE, T1 ", " T1_5)
              ", " COL("0.1, null", PRESENT ", " NULL_VALUE, T1 ", " T1_5)
              ", " COL("null, 9", OUTSIDE ", " PRESENT,
                       "\"2000-01-01T00:00:00Z\", \"2100-01-01T00:00:00Z\"")));
  hresp r = get_online("{\"feature_service\": \"user_service\", \"entities\": "
                       "{\"user_id\": [1]}, \"full_feature_names\": true}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/metadata/feature_names"),
                   "[user_id,user_stats__label,user_stats__score,"
                   "user_recent__recent_clicks]");
  hresp_free(&r);
  srv_stop();
}

Test(server, s007_two_views_two_join_keys) {
  srv_start("--threads", "2");
  check("POST", "/get-online-features",
        "{\"features\": [\"item_stats:title\", \"user_stats:clicks\", "
        "\"item_stats:price\"], \"entities\": {\"user_id\": [1, 3], "
        "\"item_id\": [\"apple\", \"pear\"]}}",
        200,
        FEAST("\"item_id\", \"user_id\", \"title\", \"clicks\", \"price\"",
              COL("\"apple\", \"pear\"", PRESENT ", " PRESENT,
                  EPOCH ", " EPOCH) ", "
              COL("1, 3", PRESENT ", " PRESENT, EPOCH ", " EPOCH) ", "
              COL("\"Apple\", null", PRESENT ", " NULL_VALUE, T1 ", " T1) ", "
              COL("5, null", PRESENT ", " NOT_FOUND, T1 ", " EPOCH) ", "
              COL("1.25, 0.3", PRESENT ", " PRESENT, T1 ", " T1)));
  srv_stop();
}

/* Every float32 comes back as text that reads back as the same float32. */
Test(server, s008_float32_round_trips) {
  static const float tricky[] = {0.1f,         1.0f / 3.0f, 3.4028235e38f,
                                 1e-45f,       16777217.0f, 123456.789f,
                                 -0.00012345f, 2.5f,        1e10f,
                                 0.3f};
  enum { N = sizeof tricky / sizeof tricky[0] };
  lr_value row[] = {v_i64(10), v_ts("2024-01-02T10:00:00Z"), v_f32(0.3f),
                    v_null(), v_null(), v_null(), v_f32s(tricky, N), v_null()};
  write_rows("user_stats", user_cols, 8, row, 1, NULL);
  srv_start("--threads", "2");
  hresp r = get_online("{\"features\": [\"user_stats:emb\", "
                       "\"user_stats:score\"], "
                       "\"entities\": {\"user_id\": [10]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  struct fy_document *doc = g_doc = jparse(r.body);
  cr_assert_not_null(doc, "%s", r.body);
  struct fy_node *emb = fy_node_by_path(fy_document_root(doc),
                                        "/results/1/values/0", FY_NT,
                                        FYNWF_DONT_FOLLOW);
  cr_assert(emb && fy_node_is_sequence(emb), "%s", r.body);
  cr_assert_eq(fy_node_sequence_item_count(emb), N);
  for (int i = 0; i < N; i++) {
    const char *text =
        fy_node_get_scalar0(fy_node_sequence_get_by_index(emb, i));
    cr_assert_not_null(text);
    float back = strtof(text, NULL);
    cr_assert(back == tricky[i], "element %d: %.9g printed as %s", i,
              (double)tricky[i], text);
  }
  fy_document_destroy(doc);
  g_doc = NULL;
  cr_assert_str_eq(jtext(r.body, "/results/2/values"), "[0.3]");
  hresp_free(&r);
  srv_stop();
}

/* The answer parses as JSON and has Feast's column-major shape. */
Test(server, s009_response_shape_is_column_major) {
  srv_start("--threads", "2");
  hresp r = get_online("{\"features\": [\"user_stats:score\", "
                       "\"item_stats:title\", \"user_stats:emb\"], "
                       "\"entities\": {\"user_id\": [1, 2, 3, 4], "
                       "\"item_id\": [\"apple\", \"x\", \"pear\", \"y\"]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  struct fy_document *doc = g_doc = jparse(r.body);
  cr_assert_not_null(doc, "not JSON: %s", r.body);
  struct fy_node *root = fy_document_root(doc);
  struct fy_node *names = fy_node_by_path(root, "/metadata/feature_names",
                                          FY_NT, FYNWF_DONT_FOLLOW);
  struct fy_node *results = fy_node_by_path(root, "/results", FY_NT,
                                            FYNWF_DONT_FOLLOW);
  cr_assert(names && fy_node_is_sequence(names));
  cr_assert(results && fy_node_is_sequence(results));
  cr_assert_eq(fy_node_sequence_item_count(names), 5);
  cr_assert_eq(fy_node_sequence_item_count(results), 5);
  for (int c = 0; c < 5; c++) {
    struct fy_node *col = fy_node_sequence_get_by_index(results, c);
    cr_assert(fy_node_is_mapping(col));
    cr_assert_eq(fy_node_mapping_item_count(col), 3, "column %d", c);
    const char *keys[] = {"values", "statuses", "event_timestamps"};
    for (int k = 0; k < 3; k++) {
      struct fy_node *list =
          fy_node_mapping_lookup_by_string(col, keys[k], FY_NT);
      cr_assert(list && fy_node_is_sequence(list), "column %d %s", c,
                keys[k]);
      cr_assert_eq(fy_node_sequence_item_count(list), 4, "column %d %s", c,
                   keys[k]);
    }
    /* every timestamp is RFC 3339 in UTC with a Z */
    struct fy_node *ts =
        fy_node_mapping_lookup_by_string(col, "event_timestamps", FY_NT);
    for (int e = 0; e < 4; e++) {
      const char *t = fy_node_get_scalar0(fy_node_sequence_get_by_index(ts, e));
      int y, mo, d, h, mi, s;
      cr_assert_eq(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
                          &s), 6, "%s", t);
      cr_assert_eq(t[strlen(t) - 1], 'Z', "%s", t);
    }
  }
  fy_document_destroy(doc);
  g_doc = NULL;
  cr_assert_str_eq(jtext(r.body, "/metadata/feature_names"),
                   "[user_id,item_id,score,title,emb]");
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[apple,x,pear,y]");
  cr_assert_str_eq(jtext(r.body, "/results/3/statuses"),
                   "[PRESENT,NOT_FOUND,NULL_VALUE,NOT_FOUND]");
  hresp_free(&r);
  srv_stop();
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

Test(server, s010_malformed_json_is_400_and_the_server_stays_up) {
  srv_start("--threads", "2");
  const char *bad[] = {
      "{\"features\": [\"user_stats:score\"",
      "not json at all",
      "",
      "[1, 2]",
      "\"a string\"",
      "{\"features\": [\"user_stats:score\"], \"entities\": {\"user_id\": [1]",
      "{\"features\": ] }",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_error("POST", "/get-online-features", bad[i], 400, NULL);
    check_alive(bad[i]);
  }
  check_error("POST", "/write-to-online-store", "{\"df\": ", 400, NULL);
  check_alive("a malformed write");
  check_error("POST", "/push", "{{{", 400, NULL);
  check_alive("a malformed push");
  srv_stop();
}

/* JSON is what the API speaks: YAML that is not JSON (unquoted keys,
 * single quotes, block style) is malformed JSON too. */
Test(server, s011_yaml_that_is_not_json_is_rejected) {
  srv_start("--threads", "2");
  const char *bad[] = {
      "{features: [user_stats:score], entities: {user_id: [1]}}",
      "{'features': ['user_stats:score'], 'entities': {'user_id': [1]}}",
      "features:\n  - user_stats:score\nentities:\n  user_id: [1]\n",
      ALIVE_REQ "x",
      ALIVE_REQ " {\"b\": 1}",
      ("{\"features\": [\"user_stats:score\"], \"entities\": &e "
       "{\"user_id\": [1]}, \"x\": *e}"), /* one string, split */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_error("POST", "/get-online-features", bad[i], 400, NULL);
    check_alive(bad[i]);
  }
  srv_stop();
}

Test(server, s012_unknown_view_feature_or_service_is_404_naming_it) {
  srv_start("--threads", "2");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"no_such_view:score\"], "
              "\"entities\": {\"user_id\": [1]}}",
              404, "no_such_view");
  check_alive("an unknown view");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:no_such_feature\"], "
              "\"entities\": {\"user_id\": [1]}}",
              404, "no_such_feature");
  check_alive("an unknown feature");
  check_error("POST", "/get-online-features",
              "{\"feature_service\": \"no_such_service\", "
              "\"entities\": {\"user_id\": [1]}}",
              404, "no_such_service");
  check_alive("an unknown service");
  srv_stop();
}

Test(server, s013_missing_entity_key_is_400_naming_it) {
  srv_start("--threads", "2");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"], "
              "\"entities\": {\"userid\": [1]}}",
              400, "user_id");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\", \"item_stats:title\"], "
              "\"entities\": {\"user_id\": [1]}}",
              400, "item_id");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"]}", 400, "entities");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\", \"item_stats:title\"], "
              "\"entities\": {\"user_id\": [1, 2], \"item_id\": [\"a\"]}}",
              400, "item_id");
  check_alive("missing keys");
  srv_stop();
}

Test(server, s014_wrong_key_type_is_400) {
  srv_start("--threads", "2");
  const char *bad[] = {"\"abc\"", "1.5", "true", "null", "[1]", "{\"a\": 1}",
                       "9223372036854775808"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char body[256];
    snprintf(body, sizeof body,
             "{\"features\": [\"user_stats:score\"], "
             "\"entities\": {\"user_id\": [1, %s]}}", bad[i]);
    check_error("POST", "/get-online-features", body, 400, "user_id");
    check_alive(body);
  }
  srv_stop();
}

Test(server, s015_body_over_max_body_bytes_is_413) {
  srv_start("--threads", "2", "--max-body-bytes", "1000");
  lr__buf big;
  lr__buf_init(&big);
  lr__buf_puts(&big, "{\"features\": [\"user_stats:score\"], "
                     "\"entities\": {\"user_id\": [1");
  while (big.len < 3000)
    lr__buf_puts(&big, ", 1");
  lr__buf_puts(&big, "]}}");
  char *body = th_keep(lr__buf_steal(&big));
  check_error("POST", "/get-online-features", body, 413, NULL);
  check_error("POST", "/write-to-online-store", body, 413, NULL);
  th_release(body);
  check_alive("a body over the limit");
  srv_stop();
}

Test(server, s016_more_entities_than_max_entities_is_413) {
  srv_start("--threads", "2", "--max-entities", "3");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"], "
              "\"entities\": {\"user_id\": [1, 2, 3, 4]}}",
              413, NULL);
  check_alive("too many entities");
  hresp r = get_online("{\"features\": [\"user_stats:score\"], "
                       "\"entities\": {\"user_id\": [1, 2, 3]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[0.1,null,null]");
  hresp_free(&r);
  srv_stop();
}

Test(server, s017_wrong_method_is_405) {
  srv_start("--threads", "2");
  check_error("GET", "/get-online-features", NULL, 405, NULL);
  check_error("PUT", "/write-to-online-store", "{}", 405, NULL);
  check_error("GET", "/push", NULL, 405, NULL);
  check_error("POST", "/health", "{}", 405, NULL);
  check_error("DELETE", "/metrics", NULL, 405, NULL);
  check_alive("wrong methods");
  srv_stop();
}

/* RFC 9110 15.5.6: a 405 must say which methods the resource allows. */
Test(server, s018_405_carries_an_allow_header) {
  srv_start("--threads", "2");
  hresp r = call("GET", "/get-online-features", NULL);
  cr_assert_eq(r.status, 405);
  char allow[128];
  cr_assert_eq(hdr(r.head, "Allow", allow, sizeof allow), 0,
               "no Allow header:\n%s", r.head);
  cr_assert(strstr(allow, "POST"), "Allow: %s", allow);
  hresp_free(&r);
  r = call("POST", "/health", "{}");
  cr_assert_eq(r.status, 405);
  cr_assert_eq(hdr(r.head, "Allow", allow, sizeof allow), 0,
               "no Allow header:\n%s", r.head);
  cr_assert(strstr(allow, "GET"), "Allow: %s", allow);
  hresp_free(&r);
  srv_stop();
}

Test(server, s019_unknown_path_is_404) {
  srv_start("--threads", "2");
  check_error("GET", "/nope", NULL, 404, NULL);
  check_error("POST", "/get-online-features/extra", ALIVE_REQ, 404, NULL);
  check_error("POST", "/", "{}", 404, NULL);
  check_alive("unknown paths");
  srv_stop();
}

Test(server, s020_token_file_requires_the_bearer_token) {
  th_write(g_repo, "token.txt", "s3cret-token\n");
  char path[4200];
  snprintf(path, sizeof path, "%s/token.txt", g_repo);
  srv_start("--threads", "2", "--token-file", path);
  const char *bad[] = {NULL,
                       "Authorization: Bearer wrong\r\n",
                       "Authorization: Bearer s3cret-toke\r\n",
                       "Authorization: Bearer s3cret-token-and-more\r\n",
                       "Authorization: s3cret-token\r\n",
                       "Authorization: Basic czNjcmV0LXRva2Vu\r\n",
                       "Authorization: Bearer \r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    check_error_h("POST", "/get-online-features", bad[i], ALIVE_REQ, 401,
                  NULL);
    check_error_h("GET", "/health", bad[i], NULL, 401, NULL);
    check_error_h("GET", "/metrics", bad[i], NULL, 401, NULL);
    check_error_h("POST", "/write-to-online-store", bad[i], "{}", 401, NULL);
  }
  const char *good = "Authorization: Bearer s3cret-token\r\n";
  hresp r = call_h("POST", "/get-online-features", good, ALIVE_REQ);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(r.body, ALIVE_RESP);
  hresp_free(&r);
  r = call_h("GET", "/health", good, NULL);
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  srv_stop();
}

/* RFC 9110 11.6.1: a 401 must carry a WWW-Authenticate challenge. */
Test(server, s021_401_carries_a_www_authenticate_challenge) {
  th_write(g_repo, "token.txt", "s3cret-token\n");
  char path[4200];
  snprintf(path, sizeof path, "%s/token.txt", g_repo);
  srv_start("--threads", "2", "--token-file", path);
  hresp r = call("POST", "/get-online-features", ALIVE_REQ);
  cr_assert_eq(r.status, 401);
  char v[128];
  cr_assert_eq(hdr(r.head, "WWW-Authenticate", v, sizeof v), 0,
               "no WWW-Authenticate header:\n%s", r.head);
  cr_assert(!strncasecmp(v, "Bearer", 6), "WWW-Authenticate: %s", v);
  hresp_free(&r);
  srv_stop();
}

Test(server, s022_empty_feature_list_is_400_naming_features) {
  srv_start("--threads", "2");
  check_error("POST", "/get-online-features",
              "{\"features\": [], \"entities\": {\"user_id\": [1]}}", 400,
              "features");
  check_error("POST", "/get-online-features",
              "{\"entities\": {\"user_id\": [1]}}", 400, "features");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"], \"feature_service\": "
              "\"user_service\", \"entities\": {\"user_id\": [1]}}",
              400, "feature_service");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"score\"], \"entities\": {\"user_id\": [1]}}",
              400, "score");
  check_alive("bad feature lists");
  srv_stop();
}

/* Prepared requests are cached by their feature list; a list holding one
 * reference with a comma must not be taken for the two-reference list. */
Test(server, s023_a_cached_request_is_not_reused_for_another_list) {
  srv_start("--threads", "2");
  hresp r = get_online("{\"features\": [\"user_stats:score\", "
                       "\"user_stats:clicks\"], "
                       "\"entities\": {\"user_id\": [1]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = get_online("{\"features\": [\"user_stats:score,user_stats:clicks\"], "
                 "\"entities\": {\"user_id\": [1]}}");
  cr_assert(r.status == 400 || r.status == 404,
            "one malformed reference answered %d: %s", r.status, r.body);
  hresp_free(&r);
  srv_stop();
}

/* full_feature_names is a boolean; anything else is a bad field. */
Test(server, s024_a_non_boolean_full_feature_names_is_400) {
  srv_start("--threads", "2");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"], \"entities\": "
              "{\"user_id\": [1]}, \"full_feature_names\": \"maybe\"}",
              400, "full_feature_names");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:score\"], \"entities\": "
              "{\"user_id\": [1]}, \"full_feature_names\": [true]}",
              400, "full_feature_names");
  check_alive("a bad full_feature_names");
  srv_stop();
}

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

Test(server, s030_keep_alive_many_requests_on_one_connection) {
  srv_start("--threads", "2");
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  for (int i = 0; i < 200; i++) {
    const char *body = i % 3 == 2 ? "{\"features\": [" : ALIVE_REQ;
    if (i % 5 == 4)
      cr_assert_eq(hc_send(&c, "GET", "/health", NULL, NULL, 0), 0);
    else
      cr_assert_eq(hc_send(&c, "POST", "/get-online-features", NULL, body,
                           strlen(body)), 0, "request %d", i);
    hresp r;
    const char *why = "";
    cr_assert_eq(hc_recv(&c, &r, &why), 0, "request %d: %s", i, why);
    th_keep(r.head);
    th_keep(r.body);
    int want = i % 5 == 4 ? 200 : i % 3 == 2 ? 400 : 200;
    cr_assert_eq(r.status, want, "request %d: %s", i, r.body);
    if (want == 200 && i % 5 != 4)
      cr_assert_str_eq(r.body, ALIVE_RESP, "request %d", i);
    char conn[64];
    cr_assert(hdr(r.head, "Connection", conn, sizeof conn) != 0 ||
                  strcasecmp(conn, "close"),
              "request %d: the server closes the connection", i);
    hresp_free(&r);
  }
  hc_close(&c);
  srv_stop();
}

/* Concurrent clients: each thread its own connection, 20 requests on it. */
typedef struct client {
  int port, id, ok, errors;
  char first_error[512];
} client;

enum { N_CLIENTS = 50, PER_CLIENT = 20, FIRST_USER = 100, N_USERS = 50 };

static void *client_main(void *arg) {
  client *cl = arg;
  hconn c;
  if (hc_open(&c, cl->port) != 0) {
    cl->errors = PER_CLIENT;
    snprintf(cl->first_error, sizeof cl->first_error, "cannot connect: %s",
             strerror(errno));
    return NULL;
  }
  for (int i = 0; i < PER_CLIENT; i++) {
    int a = FIRST_USER + (cl->id * 7 + i) % N_USERS;
    int b = FIRST_USER + (cl->id * 13 + i * 3) % N_USERS;
    char body[256], want[1024];
    snprintf(body, sizeof body,
             "{\"features\": [\"user_stats:clicks\", \"user_stats:score\"], "
             "\"entities\": {\"user_id\": [%d, %d]}}", a, b);
    snprintf(want, sizeof want,
             FEAST("\"user_id\", \"clicks\", \"score\"",
                   COL("%d, %d", PRESENT ", " PRESENT, EPOCH ", " EPOCH) ", "
                   COL("%d, %d", PRESENT ", " PRESENT, T1 ", " T1) ", "
                   COL("%d.5, %d.5", PRESENT ", " PRESENT, T1 ", " T1)),
             a, b, a * 3, b * 3, a, b);
    hresp r;
    const char *why = "";
    int rc = hc_send(&c, "POST", "/get-online-features", NULL, body,
                     strlen(body));
    if (rc == 0)
      rc = hc_recv(&c, &r, &why);
    else
      why = "send failed";
    if (rc != 0 || r.status != 200 || strcmp(r.body, want)) {
      if (!cl->errors)
        snprintf(cl->first_error, sizeof cl->first_error,
                 "client %d request %d: %s %d %.300s", cl->id, i,
                 rc ? why : "", rc ? 0 : r.status, rc ? "" : r.body);
      cl->errors++;
    } else {
      cl->ok++;
    }
    if (rc == 0)
      hresp_free(&r);
    if (rc != 0)
      break;
  }
  hc_close(&c);
  return NULL;
}

Test(server, s031_1000_requests_on_50_concurrent_connections) {
  lr_value rows[N_USERS * 8];
  for (int u = 0; u < N_USERS; u++) {
    lr_value *row = rows + u * 8;
    int id = FIRST_USER + u;
    row[0] = v_i64(id);
    row[1] = v_ts("2024-01-02T10:00:00Z");
    row[2] = v_f32((float)id + 0.5f);
    row[3] = v_i64(id * 3);
    for (int k = 4; k < 8; k++)
      row[k] = v_null();
  }
  write_rows("user_stats", user_cols, 8, rows, N_USERS, NULL);
  srv_start("--threads", "4");
  static client clients[N_CLIENTS];
  pthread_t threads[N_CLIENTS];
  for (int t = 0; t < N_CLIENTS; t++) {
    clients[t] = (client){.port = g_port, .id = t};
    cr_assert_eq(pthread_create(&threads[t], NULL, client_main, &clients[t]),
                 0);
  }
  int ok = 0, errors = 0;
  const char *first = NULL;
  for (int t = 0; t < N_CLIENTS; t++) {
    pthread_join(threads[t], NULL);
    ok += clients[t].ok;
    errors += clients[t].errors;
    if (clients[t].errors && !first)
      first = clients[t].first_error;
  }
  cr_assert_eq(errors, 0, "%d errors; first: %s", errors, first);
  cr_assert_eq(ok, N_CLIENTS * PER_CLIENT);
  char *m = metrics_text();
  cr_assert_eq(metric(m, "larder_requests_total{endpoint=\"/get-online-"
                         "features\",status=\"200\"}"),
               N_CLIENTS * PER_CLIENT, "%s", m);
  cr_assert_eq(metric(m, "larder_entities_served_total"),
               2 * N_CLIENTS * PER_CLIENT, "%s", m);
  th_release(m);
  srv_stop();
}

Test(server, s032_idle_connections_time_out) {
  srv_start("--threads", "2", "--timeout", "1");
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  long long start = th_now_ms();
  struct pollfd p = {.fd = c.fd, .events = POLLIN};
  int ready = poll(&p, 1, 6000);
  cr_assert_eq(ready, 1, "an idle connection was still open after 6 s");
  char byte;
  cr_assert_leq(recv(c.fd, &byte, 1, 0), 0, "the server sent data");
  long long took = th_now_ms() - start;
  cr_assert_lt(took, 4000, "closed after %lld ms with --timeout 1", took);
  hc_close(&c);
  /* a slow client: headers, then nothing */
  cr_assert_eq(hc_open(&c, g_port), 0);
  const char *part = "POST /get-online-features HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 100\r\n\r\n{\"feat";
  cr_assert_eq(hc_write(&c, part, strlen(part)), 0);
  p.fd = c.fd;
  ready = poll(&p, 1, 6000);
  cr_assert_eq(ready, 1, "a stalled request was still open after 6 s");
  hc_close(&c);
  check_alive("timeouts");
  srv_stop();
}

/* ------------------------------------------------------------------------ */
/* Writes and pushes                                                         */
/* ------------------------------------------------------------------------ */

#define WRITE_USER_4                                                           \
  "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": [4, 5], "     \
  "\"event_timestamp\": [\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"]," \
  " \"score\": [2.75, null], \"clicks\": [40, 50], \"label\": [\"four\", "     \
  "\"five\"], \"blob\": [\"AAH/\", null], \"emb\": [[1.5, 2], []], "           \
  "\"seen\": [\"2024-02-29T12:00:00Z\", null]}}"

Test(server, s040_a_write_then_a_read_sees_it) {
  srv_start("--threads", "2");
  hresp r = call("POST", "/write-to-online-store", WRITE_USER_4);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/written/0/rows_written"), "2", "%s",
                   r.body);
  cr_assert_str_eq(jtext(r.body, "/written/0/rows_skipped"), "0", "%s",
                   r.body);
  hresp_free(&r);
  check("POST", "/get-online-features",
        "{\"features\": [\"user_stats:score\", \"user_stats:clicks\", "
        "\"user_stats:label\", \"user_stats:blob\", \"user_stats:emb\", "
        "\"user_stats:seen\"], \"entities\": {\"user_id\": [4, 5]}}",
        200,
        FEAST("\"user_id\", \"score\", \"clicks\", \"label\", \"blob\", "
              "\"emb\", \"seen\"",
              COL("4, 5", PRESENT ", " PRESENT, EPOCH ", " EPOCH) ", "
              COL("2.75, null", PRESENT ", " NULL_VALUE,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"") ", "
              COL("40, 50", PRESENT ", " PRESENT,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"") ", "
              COL("\"four\", \"five\"", PRESENT ", " PRESENT,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"") ", "
              COL("\"AAH/\", null", PRESENT ", " NULL_VALUE,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"") ", "
              COL("[1.5, 2], []", PRESENT ", " PRESENT,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"") ", "
              COL("\"2024-02-29T12:00:00Z\", null", PRESENT ", " NULL_VALUE,
                  "\"2024-03-01T00:00:00Z\", \"2024-03-01T00:00:01Z\"")));
  srv_stop();
}

Test(server, s041_a_push_then_a_read_sees_it) {
  srv_start("--threads", "2");
  hresp r = call("POST", "/push",
                 "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": "
                 "[1, 2], \"event_timestamp\": [\"2024-05-01T08:00:00Z\", "
                 "\"2024-05-01T08:00:00Z\"], \"last_action\": [\"click\", "
                 "null], \"action_count\": [3, 4]}, \"to\": \"online\"}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/written/0/view"), "user_pushed");
  cr_assert_str_eq(jtext(r.body, "/written/0/rows_written"), "2");
  hresp_free(&r);
  check("POST", "/get-online-features",
        "{\"features\": [\"user_pushed:last_action\", "
        "\"user_pushed:action_count\"], \"entities\": {\"user_id\": [1, 2, 3]}}",
        200,
        FEAST("\"user_id\", \"last_action\", \"action_count\"",
              COL("1, 2, 3", PRESENT ", " PRESENT ", " PRESENT,
                  EPOCH ", " EPOCH ", " EPOCH) ", "
              COL("\"click\", null, null",
                  PRESENT ", " NULL_VALUE ", " NOT_FOUND,
                  "\"2024-05-01T08:00:00Z\", \"2024-05-01T08:00:00Z\", " EPOCH)
              ", " COL("3, 4, null", PRESENT ", " PRESENT ", " NOT_FOUND,
                       "\"2024-05-01T08:00:00Z\", \"2024-05-01T08:00:00Z\", "
                       EPOCH)));
  /* "to" defaults to online, and online_and_offline reaches online too */
  r = call("POST", "/push",
           "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": [3], "
           "\"event_timestamp\": [\"2024-05-01T09:00:00Z\"], "
           "\"last_action\": [\"view\"], \"action_count\": [1]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = get_online("{\"features\": [\"user_pushed:last_action\"], "
                 "\"entities\": {\"user_id\": [3]}}");
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[view]", "%s",
                   r.body);
  hresp_free(&r);
  srv_stop();
}

/* Each bad column, alone in an otherwise good write: 400 naming it, and
 * nothing written. */
Test(server, s042_write_type_errors_are_400_naming_the_column) {
  srv_start("--threads", "2");
  static const struct {
    const char *column, *value;
  } bad[] = {{"clicks", "1.5"},         {"clicks", "\"many\""},
             {"score", "\"abc\""},      {"emb", "\"x\""},
             {"emb", "[1, \"a\"]"},     {"blob", "\"!!not base64\""},
             {"seen", "\"yesterday\""}, {"user_id", "\"abc\""},
             {"event_timestamp", "\"soon\""}, {"label", "[1, 2]"},
             {"event_timestamp", "null"}, {"user_id", "null"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *cols[] = {"user_id", "event_timestamp", "score", "clicks",
                          "label", "blob", "emb", "seen"};
    const char *good[] = {"6", "\"2024-06-01T00:00:00Z\"", "1", "2",
                          "\"l\"", "null", "[]", "null"};
    lr__buf body;
    lr__buf_init(&body);
    lr__buf_puts(&body, "{\"feature_view_name\": \"user_stats\", \"df\": {");
    for (int c = 0; c < 8; c++)
      lr__buf_printf(&body, "%s\"%s\": [%s]", c ? ", " : "", cols[c],
                     strcmp(cols[c], bad[i].column) ? good[c] : bad[i].value);
    lr__buf_puts(&body, "}}");
    char *text = th_keep(lr__buf_steal(&body));
    char needle[64];
    snprintf(needle, sizeof needle, "'%s'", bad[i].column);
    check_error("POST", "/write-to-online-store", text, 400, needle);
    th_release(text);
    check_alive("a bad write");
  }
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": "
              "[6], \"event_timestamp\": [\"2024-06-01T00:00:00Z\"], "
              "\"bogus\": [1]}}",
              400, "bogus");
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": "
              "[6], \"score\": [1], \"clicks\": [1], \"label\": [null], "
              "\"blob\": [null], \"emb\": [null], \"seen\": [null]}}",
              400, "event_timestamp");
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": "
              "[6, 7], \"event_timestamp\": [\"2024-06-01T00:00:00Z\"]}}",
              400, NULL);
  check_error("POST", "/push",
              "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": "
              "[6], \"event_timestamp\": [\"2024-06-01T00:00:00Z\"], "
              "\"last_action\": [\"x\"], \"action_count\": [\"lots\"]}}",
              400, "action_count");
  hresp r = get_online("{\"features\": [\"user_stats:score\", "
                       "\"user_pushed:action_count\"], "
                       "\"entities\": {\"user_id\": [6]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/results/1/statuses"), "[NOT_FOUND]",
                   "a failed write wrote something: %s", r.body);
  cr_assert_str_eq(jtext(r.body, "/results/2/statuses"), "[NOT_FOUND]",
                   "a failed push wrote something: %s", r.body);
  hresp_free(&r);
  srv_stop();
}

Test(server, s043_unknown_write_or_push_target_is_404_missing_name_400) {
  srv_start("--threads", "2");
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"no_such_view\", \"df\": "
              "{\"user_id\": [1]}}",
              404, "no_such_view");
  check_alive("a write to an unknown view");
  check_error("POST", "/push",
              "{\"push_source_name\": \"no_such_source\", \"df\": "
              "{\"user_id\": [1]}}",
              404, "no_such_source");
  check_error("POST", "/push",
              "{\"push_source_name\": \"s\", \"df\": {\"user_id\": [1]}}", 404,
              NULL);
  check_error("POST", "/write-to-online-store", "{\"df\": {}}", 400,
              "feature_view_name");
  check_error("POST", "/push", "{\"df\": {}}", 400, "push_source_name");
  check_error("POST", "/push",
              "{\"push_source_name\": \"user_push\", \"df\": {}, "
              "\"to\": \"nowhere\"}",
              400, "to");
  check_alive("pushes to unknown sources");
  srv_stop();
}

/* An error's detail is about this request only, not earlier ones. */
Test(server, s044_each_error_detail_is_about_its_own_request) {
  srv_start("--threads", "2");
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": "
              "[6], \"event_timestamp\": [\"2024-06-01T00:00:00Z\"], "
              "\"first_bad_column\": [1]}}",
              400, "first_bad_column");
  hresp r = call("POST", "/write-to-online-store",
                 "{\"feature_view_name\": \"user_stats\", \"df\": "
                 "{\"user_id\": [6], \"event_timestamp\": "
                 "[\"2024-06-01T00:00:00Z\"], \"second_bad_column\": [1]}}");
  cr_assert_eq(r.status, 400, "%s", r.body);
  cr_assert(strstr(r.body, "second_bad_column"), "%s", r.body);
  cr_assert(!strstr(r.body, "first_bad_column"),
            "the detail repeats an earlier request's error: %s", r.body);
  hresp_free(&r);
  r = call("POST", "/write-to-online-store",
           "{\"feature_view_name\": \"no_such_view\", \"df\": {}}");
  cr_assert_eq(r.status, 404, "%s", r.body);
  cr_assert(!strstr(r.body, "bad_column"),
            "the detail repeats an earlier request's error: %s", r.body);
  hresp_free(&r);
  srv_stop();
}

/* Many clients sending bad writes at once: each answer names its own
 * column (the store's message is not shared between requests). */
typedef struct bad_writer {
  int port, id, wrong;
  char first[512];
} bad_writer;

static void *bad_writer_main(void *arg) {
  bad_writer *w = arg;
  hconn c;
  if (hc_open(&c, w->port) != 0) {
    w->wrong = 1;
    snprintf(w->first, sizeof w->first, "cannot connect");
    return NULL;
  }
  for (int i = 0; i < 25; i++) {
    char body[256], col[32];
    snprintf(col, sizeof col, "col_%d_%d", w->id, i);
    snprintf(body, sizeof body,
             "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": "
             "[1], \"event_timestamp\": [\"2024-06-01T00:00:00Z\"], "
             "\"%s\": [1]}}", col);
    hresp r;
    const char *why = "";
    int rc = hc_send(&c, "POST", "/write-to-online-store", NULL, body,
                     strlen(body));
    if (rc == 0)
      rc = hc_recv(&c, &r, &why);
    if (rc != 0) {
      w->wrong++;
      snprintf(w->first, sizeof w->first, "writer %d: %s", w->id,
               rc ? why : "");
      break;
    }
    /* exactly one column named: ours */
    const char *found = strstr(r.body, "col_");
    int ok = r.status == 400 && found && !strncmp(found, col, strlen(col)) &&
             !isdigit((unsigned char)found[strlen(col)]) &&
             !strstr(found + 1, "col_");
    if (!ok && !w->wrong)
      snprintf(w->first, sizeof w->first, "writer %d (%s): %d %.400s", w->id,
               col, r.status, r.body);
    w->wrong += !ok;
    hresp_free(&r);
  }
  hc_close(&c);
  return NULL;
}

Test(server, s045_concurrent_bad_writes_each_get_their_own_error) {
  srv_start("--threads", "4");
  enum { N = 8 };
  static bad_writer w[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    w[i] = (bad_writer){.port = g_port, .id = i};
    pthread_create(&t[i], NULL, bad_writer_main, &w[i]);
  }
  int wrong = 0;
  const char *first = NULL;
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    wrong += w[i].wrong;
    if (w[i].wrong && !first)
      first = w[i].first;
  }
  cr_assert_eq(wrong, 0, "%d wrong answers; first: %s", wrong, first);
  check_alive("concurrent bad writes");
  srv_stop();
}

/* Many clients writing at once: every write lands, none is lost. */
static void *good_writer_main(void *arg) {
  bad_writer *w = arg;
  hconn c;
  if (hc_open(&c, w->port) != 0) {
    w->wrong = 1;
    snprintf(w->first, sizeof w->first, "cannot connect");
    return NULL;
  }
  for (int i = 0; i < 25; i++) {
    char body[512];
    int user = 1000 + w->id * 100 + i;
    snprintf(body, sizeof body,
             "{\"feature_view_name\": \"user_recent\", \"df\": {\"user_id\": "
             "[%d], \"event_timestamp\": [\"2099-01-01T00:00:00Z\"], "
             "\"recent_clicks\": [%d]}}", user, user * 2);
    hresp r;
    const char *why = "";
    int rc = hc_send(&c, "POST", "/write-to-online-store", NULL, body,
                     strlen(body));
    if (rc == 0)
      rc = hc_recv(&c, &r, &why);
    if (rc != 0) {
      w->wrong++;
      snprintf(w->first, sizeof w->first, "writer %d: %s", w->id, why);
      break;
    }
    if (r.status != 200 && !w->wrong)
      snprintf(w->first, sizeof w->first, "writer %d: %d %.400s", w->id,
               r.status, r.body);
    w->wrong += r.status != 200;
    hresp_free(&r);
  }
  hc_close(&c);
  return NULL;
}

Test(server, s047_concurrent_writes_all_land) {
  srv_start("--threads", "4");
  enum { N = 8 };
  static bad_writer w[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    w[i] = (bad_writer){.port = g_port, .id = i};
    pthread_create(&t[i], NULL, good_writer_main, &w[i]);
  }
  int wrong = 0;
  const char *first = NULL;
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    wrong += w[i].wrong;
    if (w[i].wrong && !first)
      first = w[i].first;
  }
  cr_assert_eq(wrong, 0, "%d failed writes; first: %s", wrong, first);
  for (int i = 0; i < N; i++) {
    char body[256], want[64];
    snprintf(body, sizeof body,
             "{\"features\": [\"user_recent:recent_clicks\"], \"entities\": "
             "{\"user_id\": [%d, %d]}}", 1000 + i * 100, 1000 + i * 100 + 24);
    snprintf(want, sizeof want, "[%d,%d]", (1000 + i * 100) * 2,
             (1000 + i * 100 + 24) * 2);
    hresp r = get_online(body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jtext(r.body, "/results/1/values"), want, "%s", r.body);
    hresp_free(&r);
  }
  srv_stop();
}

Test(server, s046_newer_wins_an_older_write_is_skipped) {
  srv_start("--threads", "2");
  hresp r = call("POST", "/write-to-online-store",
                 "{\"feature_view_name\": \"user_recent\", \"df\": "
                 "{\"user_id\": [8], \"event_timestamp\": "
                 "[\"2099-06-01T00:00:00Z\"], \"recent_clicks\": [100]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = call("POST", "/write-to-online-store",
           "{\"feature_view_name\": \"user_recent\", \"df\": "
           "{\"user_id\": [8], \"event_timestamp\": "
           "[\"2099-05-01T00:00:00Z\"], \"recent_clicks\": [50]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(jtext(r.body, "/written/0/rows_written"), "0", "%s",
                   r.body);
  cr_assert_str_eq(jtext(r.body, "/written/0/rows_skipped"), "1", "%s",
                   r.body);
  hresp_free(&r);
  check("POST", "/get-online-features",
        "{\"features\": [\"user_recent:recent_clicks\"], "
        "\"entities\": {\"user_id\": [8]}}",
        200,
        FEAST("\"user_id\", \"recent_clicks\"",
              COL("8", PRESENT, EPOCH) ", "
              COL("100", PRESENT, "\"2099-06-01T00:00:00Z\"")));
  /* a push is newer-wins too */
  r = call("POST", "/push",
           "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": [8, "
           "8], \"event_timestamp\": [\"2024-05-02T00:00:00Z\", "
           "\"2024-05-01T00:00:00Z\"], \"last_action\": [\"newer\", "
           "\"older\"], \"action_count\": [2, 1]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = get_online("{\"features\": [\"user_pushed:last_action\"], "
                 "\"entities\": {\"user_id\": [8]}}");
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[newer]", "%s",
                   r.body);
  hresp_free(&r);
  srv_stop();
}

/* ------------------------------------------------------------------------ */
/* Robustness, metrics, freshness, lifecycle                                 */
/* ------------------------------------------------------------------------ */

/* Sends raw bytes on a new connection and reads whatever comes back
 * (or nothing) until the server answers or closes. */
static void send_raw(const void *data, size_t len) {
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  hc_write(&c, data, len);
  shutdown(c.fd, SHUT_WR);
  struct timeval tv = {.tv_sec = 1};
  setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct pollfd p = {.fd = c.fd, .events = POLLIN};
  if (poll(&p, 1, 1000) == 1) {
    char buf[4096];
    while (recv(c.fd, buf, sizeof buf, 0) > 0)
      ;
  }
  hc_close(&c);
}

Test(server, s050_the_server_stays_up_after_bad_input) {
  srv_start("--threads", "2");
  static const char nul_body[] = "{\"features\": [\"user_stats:score\0\"], "
                                 "\"entities\": {\"user_id\": [1]}}";
  lr__buf deep;
  lr__buf_init(&deep);
  lr__buf_puts(&deep, "{\"features\": [\"user_stats:score\"], \"entities\": "
                      "{\"user_id\": ");
  for (int i = 0; i < 100000; i++)
    lr__buf_putc(&deep, '[');
  char *deep_text = th_keep(lr__buf_steal(&deep));
  const char *bodies[] = {
      "{\"features\": \"user_stats:score\", \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [null], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [{\"a\": 1}], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [\"user_stats:score\"], \"entities\": [1, 2]}",
      "{\"features\": [\"user_stats:score\"], \"entities\": {\"user_id\": 1}}",
      "{\"features\": [\"user_stats:score\"], \"entities\": {\"user_id\": "
      "[\"\\u0000\"]}}",
      "{\"feature_service\": [1], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [\"\\xff\\xfe\"], \"entities\": {\"user_id\": [1]}}",
      "\xff\xfe\xfd\x00\x01",
      "{\"features\": [\":\"], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [\"user_stats:\"], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [\":score\"], \"entities\": {\"user_id\": [1]}}",
      "{\"features\": [\"a:b:c\"], \"entities\": {\"user_id\": [1]}}",
      "{\"a\": &x 1, \"b\": *x}",
      "--- !!binary\nAAAA\n",
      deep_text,
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    hresp r = get_online(bodies[i]);
    cr_assert(r.status >= 400 && r.status < 500 && r.status != 200,
              "%.200s -> %d %s", bodies[i], r.status, r.body);
    hresp_free(&r);
    check_alive(bodies[i]);
    r = call("POST", "/write-to-online-store", bodies[i]);
    cr_assert(r.status >= 400 && r.status < 500, "%.200s -> %d %s", bodies[i],
              r.status, r.body);
    hresp_free(&r);
    r = call("POST", "/push", bodies[i]);
    cr_assert(r.status >= 400 && r.status < 500, "%.200s -> %d %s", bodies[i],
              r.status, r.body);
    hresp_free(&r);
    check_alive(bodies[i]);
  }
  th_release(deep_text);
  /* a body with a NUL byte in it */
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  cr_assert_eq(hc_send(&c, "POST", "/get-online-features", NULL, nul_body,
                       sizeof nul_body - 1), 0);
  hresp r;
  const char *why = "";
  cr_assert_eq(hc_recv(&c, &r, &why), 0, "%s", why);
  th_keep(r.head);
  th_keep(r.body);
  cr_assert(r.status >= 400 && r.status < 500, "%d %s", r.status, r.body);
  hresp_free(&r);
  hc_close(&c);
  check_alive("a NUL byte");
  /* not HTTP at all, broken requests, requests cut short */
  static const char raw_nul[] = "GET /he\0lth HTTP/1.1\r\nHost: x\r\n\r\n";
  const char *raw[] = {
      "GARBAGE\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "-5\r\n\r\n{}",
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "99999999999999999999\r\n\r\n{}",
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: "
      "500\r\n\r\n{\"features\": [",
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\nzz\r\n",
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
      "chunked\r\n\r\n5\r\n{\"fea\r\n",
      "GET /health HTTP/9.9\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
    send_raw(raw[i], strlen(raw[i]));
    check_alive(raw[i]);
  }
  send_raw(raw_nul, sizeof raw_nul - 1);
  check_alive("a NUL in the request line");
  /* a request body that arrives in chunked encoding is fine */
  cr_assert_eq(hc_open(&c, g_port), 0);
  lr__buf chunked;
  lr__buf_init(&chunked);
  lr__buf_printf(&chunked, "POST /get-online-features HTTP/1.1\r\nHost: x\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n%zx\r\n%s\r\n"
                           "0\r\n\r\n", strlen(ALIVE_REQ), ALIVE_REQ);
  int wrc = hc_write(&c, chunked.data, chunked.len);
  lr__buf_free(&chunked);
  cr_assert_eq(wrc, 0);
  cr_assert_eq(hc_recv(&c, &r, &why), 0, "%s", why);
  th_keep(r.head);
  th_keep(r.body);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(r.body, ALIVE_RESP);
  hresp_free(&r);
  hc_close(&c);
  hresp h = call("GET", "/health", NULL);
  cr_assert_eq(h.status, 200);
  hresp_free(&h);
  srv_stop();
}

/* Prometheus text: every line a comment or `name{labels} value`, and the
 * counters count exactly the requests made. */
Test(server, s051_metrics_count_the_requests_in_prometheus_text) {
  srv_start("--threads", "2");
  for (int i = 0; i < 3; i++) {
    hresp r = get_online("{\"features\": [\"user_stats:score\"], "
                         "\"entities\": {\"user_id\": [1, 2]}}");
    cr_assert_eq(r.status, 200);
    hresp_free(&r);
  }
  check_error("POST", "/get-online-features", "{", 400, NULL);
  check_error("POST", "/get-online-features",
              "{\"features\": [\"v:x\"], \"entities\": {}}", 404, NULL);
  check("GET", "/health", NULL, 200, NULL);
  check_error("GET", "/nowhere", NULL, 404, NULL);
  check_error("POST", "/write-to-online-store",
              "{\"feature_view_name\": \"user_stats\", \"df\": ", 400, NULL);
  char *m = metrics_text();
  for (const char *line = m; *line;) {
    size_t len = strcspn(line, "\n");
    char text[1024];
    snprintf(text, sizeof text, "%.*s", (int)len, line);
    if (text[0] == '#') {
      cr_assert(!strncmp(text, "# HELP ", 7) || !strncmp(text, "# TYPE ", 7),
                "%s", text);
    } else {
      char name[256];
      double v;
      int n = 0;
      cr_assert(sscanf(text, "%255[a-zA-Z0-9_:]%n", name, &n) == 1, "%s", text);
      const char *rest = text + n;
      if (*rest == '{') {
        rest = strchr(rest, '}');
        cr_assert_not_null(rest, "%s", text);
        rest++;
      }
      char *end;
      cr_assert_eq(*rest, ' ', "%s", text);
      v = strtod(rest + 1, &end);
      cr_assert(end != rest + 1 && (*end == '\0' || *end == ' '), "%s", text);
      cr_assert(v >= 0, "%s", text);
    }
    line += len + (line[len] == '\n');
  }
  const struct {
    const char *series;
    double value;
  } want[] = {
      {"larder_requests_total{endpoint=\"/get-online-features\",status=\"200\"}", 3},
      {"larder_requests_total{endpoint=\"/get-online-features\",status=\"400\"}", 1},
      {"larder_requests_total{endpoint=\"/get-online-features\",status=\"404\"}", 1},
      {"larder_requests_total{endpoint=\"/health\",status=\"200\"}", 1},
      {"larder_requests_total{endpoint=\"/write-to-online-store\",status=\"400\"}", 1},
      {"larder_request_seconds_bucket{endpoint=\"/get-online-features\",le=\"+Inf\"}", 5},
      {"larder_request_seconds_count{endpoint=\"/get-online-features\"}", 5},
      {"larder_entities_served_total", 6},
      {"larder_registry_version", 1},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    cr_assert_eq(metric(m, want[i].series), want[i].value, "%s in\n%s",
                 want[i].series, m);
  cr_assert(strstr(m, "# TYPE larder_requests_total counter"));
  cr_assert(strstr(m, "# TYPE larder_request_seconds histogram"));
  cr_assert(strstr(m, "larder_request_seconds_bucket{endpoint=\"/get-online-"
                      "features\",le=\"0.001\"}"), "%s", m);
  cr_assert_geq(metric(m, "larder_registry_age_seconds"), 0, "%s", m);
  /* the unknown path is counted too */
  cr_assert_eq(metric(m, "larder_requests_total{endpoint=\"other\","
                         "status=\"404\"}"), 1, "%s", m);
  cr_assert_eq(metric(m, "larder_errors_total{status=\"400\"}"), 2, "%s", m);
  th_release(m);
  /* /metrics itself counts once it is answered */
  m = metrics_text();
  cr_assert_eq(metric(m, "larder_requests_total{endpoint=\"/metrics\","
                         "status=\"200\"}"), 1, "%s", m);
  th_release(m);
  srv_stop();
}

Test(server, s052_a_write_by_another_process_is_seen_without_restart) {
  srv_start("--threads", "2");
  const char *req = "{\"features\": [\"user_stats:clicks\"], "
                    "\"entities\": {\"user_id\": [77]}}";
  hresp r = get_online(req);
  cr_assert_str_eq(jtext(r.body, "/results/1/statuses"), "[NOT_FOUND]", "%s",
                   r.body);
  hresp_free(&r);
  lr_value row[] = {v_i64(77), v_ts("2024-07-07T07:07:07Z"), v_f32(7.5f),
                    v_i64(777), v_str("x"), v_null(), v_null(), v_null()};
  write_rows("user_stats", user_cols, 8, row, 1, NULL);
  check("POST", "/get-online-features", req, 200,
        FEAST("\"user_id\", \"clicks\"",
              COL("77", PRESENT, EPOCH) ", "
              COL("777", PRESENT, "\"2024-07-07T07:07:07Z\"")));
  /* and an update of a row the server has already read */
  row[1] = v_ts("2024-07-08T00:00:00Z");
  row[3] = v_i64(778);
  write_rows("user_stats", user_cols, 8, row, 1, NULL);
  r = get_online(req);
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[778]", "%s", r.body);
  hresp_free(&r);
  srv_stop();
}

/* Applies `defs` beside the running server and waits (bounded) until its
 * /health serves registry version `version`: the server reads a new
 * registry at its next check of the file, about once a second. */
static void apply_and_await_registry(const char *defs, const char *version) {
  apply_defs(defs);
  const char *served = "";
  for (long long end = th_now_ms() + 10000; th_now_ms() < end;
       usleep(100 * 1000)) {
    hresp r = call("GET", "/health", NULL);
    served = jtext(r.body, "/registry_version");
    hresp_free(&r);
    if (!strcmp(served, version))
      break;
  }
  cr_assert_str_eq(served, version, "the server kept its registry");
}

Test(server, s053_a_new_registry_is_picked_up_while_serving) {
  srv_start("--threads", "2");
  check_alive("start");
  check_error("POST", "/get-online-features",
              "{\"features\": [\"user_stats:extra\"], "
              "\"entities\": {\"user_id\": [1]}}",
              404, "extra");
  apply_and_await_registry(DEFS_HEAD "      - {name: extra, dtype: int64}\n"
                           DEFS_TAIL, "2");
  check("POST", "/get-online-features",
        "{\"features\": [\"user_stats:score\", \"user_stats:extra\"], "
        "\"entities\": {\"user_id\": [1]}}",
        200,
        FEAST("\"user_id\", \"score\", \"extra\"",
              COL("1", PRESENT, EPOCH) ", " COL("0.1", PRESENT, T1) ", "
              COL("null", NOT_FOUND, EPOCH)));
  hresp r = call("GET", "/health", NULL);
  cr_assert_str_eq(jtext(r.body, "/registry_version"), "2", "%s", r.body);
  hresp_free(&r);
  char *m = metrics_text();
  cr_assert_eq(metric(m, "larder_registry_version"), 2, "%s", m);
  th_release(m);
  /* a write of the new feature through the server */
  r = call("POST", "/write-to-online-store",
           "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": [1], "
           "\"event_timestamp\": [\"2024-08-01T00:00:00Z\"], \"score\": [0.5], "
           "\"clicks\": [1], \"label\": [null], \"blob\": [null], \"emb\": "
           "[null], \"seen\": [null], \"extra\": [42]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = get_online("{\"features\": [\"user_stats:extra\"], "
                 "\"entities\": {\"user_id\": [1]}}");
  cr_assert_str_eq(jtext(r.body, "/results/1/values"), "[42]", "%s", r.body);
  hresp_free(&r);
  srv_stop();
}

Test(server, s054_sigterm_drains_and_exits_0) {
  srv_start("--threads", "2", "--timeout", "2");
  for (int i = 0; i < 5; i++)
    check_alive("warm-up");
  /* a keep-alive connection left idle does not keep the server up */
  hconn idle;
  cr_assert_eq(hc_open(&idle, g_port), 0);
  cr_assert_eq(hc_send(&idle, "GET", "/health", NULL, NULL, 0), 0);
  hresp r;
  const char *why = "";
  cr_assert_eq(hc_recv(&idle, &r, &why), 0, "%s", why);
  th_keep(r.head);
  th_keep(r.body);
  hresp_free(&r);
  srv_stop_within(5000);
  hc_close(&idle);
}

/* A request under way when SIGTERM arrives (its body still arriving) is
 * answered in full; new connections are refused meanwhile; then exit 0. */
Test(server, s055_a_request_under_way_at_sigterm_gets_its_full_answer) {
  srv_start("--threads", "2");
  check_alive("start");
  hconn c;
  cr_assert_eq(hc_open(&c, g_port), 0);
  lr__buf head;
  lr__buf_init(&head);
  hc_head(&head, "POST", "/get-online-features", NULL, strlen(ALIVE_REQ));
  int wrc = hc_write(&c, head.data, head.len);
  lr__buf_free(&head);
  cr_assert_eq(wrc, 0);
  cr_assert_eq(hc_write(&c, ALIVE_REQ, 10), 0);
  usleep(200 * 1000);
  cr_assert_eq(kill(g_pid, SIGTERM), 0);
  usleep(300 * 1000);
  hconn late;
  int refused = hc_open(&late, g_port) != 0;
  if (!refused)
    hc_close(&late);
  int sent = hc_write(&c, &ALIVE_REQ[10], strlen(ALIVE_REQ) - 10);
  hresp r = {0};
  const char *why = "send failed";
  int got = sent == 0 ? hc_recv(&c, &r, &why) : -1;
  th_keep(r.head);
  th_keep(r.body);
  hc_close(&c);
  int st = 0;
  int exited = th_reap(g_pid, 5000, &st);
  g_pid = -1;
  cr_assert_eq(got, 0, "the request under way got no answer: %s", why);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert_str_eq(r.body, ALIVE_RESP);
  hresp_free(&r);
  cr_assert(refused, "a new connection was accepted while draining");
  cr_assert(exited, "the server did not exit after the drain");
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait status %d", st);
}

Test(server, s056_serve_without_a_registry_fails_cleanly) {
  char *empty = th_tempdir();
  th_write(empty, "feature_store.yaml", "project: t\n");
  int out;
  const char *args[] = {"--port", "0", NULL};
  pid_t pid = th_spawn_larder(empty, "serve", 0, &out, args);
  char line[1024];
  int len = th_read_line(out, line, sizeof line, 10000);
  int st = 0;
  int exited = th_reap(pid, 10000, &st);
  close(out);
  th_rmrf(empty);
  cr_assert(exited, "serve kept running without a registry");
  cr_assert(len < 0 || !strstr(line, "Serving"), "%s", line);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "wait status %d", st);
  /* and a token file that does not exist */
  const char *args2[] = {"--port", "0", "--token-file", "/nonexistent/token",
                         NULL};
  pid = th_spawn_larder(g_repo, "serve", 0, &out, args2);
  len = th_read_line(out, line, sizeof line, 10000);
  exited = th_reap(pid, 10000, &st);
  close(out);
  cr_assert(exited, "serve kept running without its token file");
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0, "wait status %d", st);
}

/* ------------------------------------------------------------------------ */
/* Safety: slow clients, reader slots, a killed server (issue 13)            */
/* ------------------------------------------------------------------------ */

/* --timeout bounds a request's whole time, not only its silences: a client
 * that sends a byte every 300 ms, in the headers or in the body, is closed
 * once the timeout passes. */
Test(server, s057_a_trickling_client_is_closed_after_the_timeout) {
  srv_start("--threads", "2", "--timeout", "1");
  long long took = trickle_until_closed(
      "POST /get-online-features HTTP/1.1\r\nHost: x\r\n", "X-Slow: abcdef\r\n",
      4000);
  cr_assert_geq(took, 0, "trickled headers kept the connection open 4 s");
  cr_assert_geq(took, 900, "closed after %lld ms, before the timeout", took);
  took = trickle_until_closed("POST /get-online-features HTTP/1.1\r\nHost: x"
                              "\r\nContent-Length: 10000\r\n\r\n",
                              "{\"features\": ", 4000);
  cr_assert_geq(took, 0, "a trickled body kept the connection open 4 s");
  check_alive("trickling clients");
  srv_stop();
}

/* The reader slots of the store's LMDB environments (every lock.mdb under
 * the repo), from `mdb_stat -r`: the number of slots in use, and whether
 * `pid` holds one. */
static int reader_slots(pid_t pid, int *held_by_pid) {
  char cmd[4400];
  snprintf(cmd, sizeof cmd,
           "find '%s' -name lock.mdb | while read f; do "
           "mdb_stat -r \"$(dirname \"$f\")\" || true; done", g_repo);
  FILE *f = popen(cmd, "r");
  cr_assert_not_null(f);
  char line[512];
  int n = 0;
  *held_by_pid = 0;
  while (fgets(line, sizeof line, f)) {
    char *end;
    long p = strtol(line, &end, 10);
    if (end != line && p > 0 && (*end == ' ' || *end == '\t')) {
      n++;
      *held_by_pid |= p == (long)pid;
    }
  }
  cr_assert_eq(pclose(f), 0, "%s failed", cmd);
  return n;
}

/* `larder get` of user 1's score from a new process: it must succeed. */
static void larder_get_works(const char *after) {
  const char *args[] = {"--features", "user_stats:score", "--entity",
                        "user_id=1", NULL};
  int out;
  pid_t pid = th_spawn_larder(g_repo, "get", 1, &out, args);
  char text[4096] = "";
  size_t len = 0;
  char line[1024];
  while (th_read_line(out, line, sizeof line, 10000) >= 0)
    len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", line);
  close(out);
  int st = 0;
  int exited = th_wait_exit(pid, 10000, &st);
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  cr_assert(exited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "after %s, larder get failed (wait status %d): %s", after, st,
            text);
  cr_assert(strstr(text, "0.1"), "after %s, larder get printed: %s", after,
            text);
}

/* The online features of user_stats, user_recent and user_pushed (one
 * entity key, user_id): request shapes are subsets and orders of these. */
static const char *const user_refs[] = {
    "user_stats:score",  "user_stats:clicks",   "user_stats:label",
    "user_stats:blob",   "user_stats:emb",      "user_stats:seen",
    "user_recent:recent_clicks", "user_pushed:last_action",
    "user_pushed:action_count"};
enum { N_USER_REFS = 9 };

/* Request i of s060: a features list (a subset of user_refs chosen by i,
 * rotated, spaced by i; at most two features for large batches, to keep
 * answers small) or every tenth time the service; and n entities. */
static void shape_body(lr__buf *b, int i, int n) {
  lr__buf_reset(b);
  if (i % 10 == 9) {
    lr__buf_printf(b, "{\"feature_service\": \"user_service\",%*s", i % 7, "");
  } else {
    unsigned mask = (unsigned)(i / 10 * 7 + 1) % 511u + 1u;
    if (n > 8)
      mask = 1u << (i % N_USER_REFS) | 1u << ((i / 9) % N_USER_REFS);
    lr__buf_puts(b, "{\"features\": [");
    int first = 1;
    for (int k = 0; k < N_USER_REFS; k++) {
      int r = (k + i) % N_USER_REFS;
      if (mask & (1u << r)) {
        lr__buf_printf(b, "%s%*s\"%s\"", first ? "" : ",", (i / 3) % 40, "",
                       user_refs[r]);
        first = 0;
      }
    }
    lr__buf_puts(b, "],");
  }
  lr__buf_puts(b, " \"entities\": {\"user_id\": [");
  for (int e = 0; e < n; e++)
    lr__buf_printf(b, "%s%d", e ? "," : "", 1 + e % 3);
  lr__buf_puts(b, "]}}");
}

/* Issue 13: request shapes and batch sizes used to create results (each a
 * reader slot of the shared LMDB lock file) without bound, until every
 * new shape, /health and `larder get` in other processes failed with
 * MDB_READERS_FULL. 10,000 distinct shapes (whitespace variants, orders,
 * subsets, the service; 1..1100 entities) on one keep-alive connection:
 * afterwards the server's slots are within docs/server.md's bound and
 * everything still works. */
Test(server, s060_10000_request_shapes_keep_reader_slots_bounded,
     .timeout = 120) {
  srv_start("--threads", "2");
  hconn *c = th_keep(malloc(sizeof *c));
  cr_assert_eq(hc_open(c, g_port), 0);
  lr__buf body;
  lr__buf_init(&body);
  int bad = 0, most = 0, held;
  for (int i = 0; i < 10000 && !bad; i++) {
    int n = i < 1100 ? i + 1 : 1 + i % 7;
    shape_body(&body, i, n);
    hresp r;
    const char *why = "";
    if (hc_send(c, "POST", "/get-online-features", NULL, body.data,
                body.len) || hc_recv(c, &r, &why)) {
      bad = -1;
      break;
    }
    if (r.status != 200) {
      bad = i + 1;
      fprintf(stderr, "request %d: %d %.300s\n", i, r.status, r.body);
    }
    free(r.head);
    free(r.body);
    if (i % 1000 == 999) {
      int slots = reader_slots(g_pid, &held);
      most = slots > most ? slots : most;
    }
  }
  lr__buf_free(&body);
  hc_close(c);
  th_release(c);
  cr_assert_eq(bad, 0, "request %d failed (-1: no answer)", bad);
  cr_log_info("s060: at most %d reader slots in use", most);
  /* docs/server.md: at most 64 + threads + 1 slots per server */
  cr_assert_leq(most, 64 + 2 + 1, "the server held %d reader slots", most);
  check("GET", "/health", NULL, 200, NULL);
  check_alive("10,000 request shapes");
  larder_get_works("10,000 request shapes");
  char *m = metrics_text();
  cr_assert_leq(metric(m, "larder_results_live"), 64 + 2, "%s", m);
  cr_assert_leq(metric(m, "larder_cached_requests"), 256, "%s", m);
  th_release(m);
  srv_stop();
}

/* A server killed with -9 leaves its reader slots marked taken while
 * another process keeps the store open (LMDB resets the table only when
 * no process has it open). The next server clears them on its periodic
 * check; it and `larder get` work. */
Test(server, s061_a_server_killed_holding_slots_leaves_none_behind,
     .timeout = 90) {
  lr_store *holder; /* keeps the lock file's reader table alive */
  cr_assert_eq(lr_store_open(g_repo, 0, &holder), 0, "%s",
               lr_store_errmsg(holder));
  srv_start("--threads", "2");
  lr__buf body;
  lr__buf_init(&body);
  for (int i = 0; i < 40; i++) {
    shape_body(&body, i, 1 + i);
    hresp r = get_online(lr__buf_str(&body));
    cr_assert_eq(r.status, 200, "%s", r.body);
    hresp_free(&r);
  }
  lr__buf_free(&body);
  pid_t dead = g_pid;
  int held = 0;
  cr_assert_gt(reader_slots(dead, &held), 0);
  cr_assert(held, "the server held no reader slot to leave behind");
  kill(dead, SIGKILL);
  waitpid(dead, NULL, 0);
  g_pid = -1;
  close(g_out);
  g_out = -1;
  srv_start("--threads", "2");
  check_alive("a server killed with -9");
  long long end = th_now_ms() + 5000;
  do {
    reader_slots(dead, &held);
    if (held)
      usleep(100 * 1000);
  } while (held && th_now_ms() < end);
  cr_assert(!held, "the killed server's reader slots were never cleared");
  larder_get_works("a server killed with -9");
  srv_stop();
  lr_store_close(holder);
}

/* A client of s065: shapes first..first+count-1 on one connection;
 * returns the number of answers that were not 200 (as a pointer). */
typedef struct shape_client {
  int first, count, failed;
} shape_client;

static void *shape_client_main(void *arg) {
  shape_client *sc = arg;
  hconn *c = malloc(sizeof *c);
  lr__buf body;
  lr__buf_init(&body);
  if (!c || hc_open(c, g_port) != 0) {
    sc->failed = sc->count;
    free(c);
    return NULL;
  }
  for (int i = sc->first; i < sc->first + sc->count; i++) {
    shape_body(&body, i, 1 + i % 300);
    hresp r;
    const char *why;
    if (hc_send(c, "POST", "/get-online-features", NULL, body.data,
                body.len) || hc_recv(c, &r, &why)) {
      sc->failed++;
      break;
    }
    sc->failed += r.status != 200;
    free(r.head);
    free(r.body);
  }
  hc_close(c);
  free(c);
  lr__buf_free(&body);
  return NULL;
}

/* Eviction under concurrency: four connections send 2,000 distinct shapes
 * at once, so entries are evicted while other threads use them (freed by
 * their last user). Every answer is 200 and the bounds hold. */
Test(server, s065_concurrent_shapes_evict_entries_in_use_safely,
     .timeout = 120) {
  srv_start("--threads", "4");
  shape_client sc[4];
  pthread_t t[4];
  for (int k = 0; k < 4; k++) {
    sc[k] = (shape_client){.first = k * 500, .count = 500};
    cr_assert_eq(pthread_create(&t[k], NULL, shape_client_main, &sc[k]), 0);
  }
  int failed = 0;
  for (int k = 0; k < 4; k++) {
    pthread_join(t[k], NULL);
    failed += sc[k].failed;
  }
  cr_assert_eq(failed, 0, "%d requests failed", failed);
  char *m = metrics_text();
  cr_assert_leq(metric(m, "larder_results_live"), 64 + 4, "%s", m);
  cr_assert_leq(metric(m, "larder_cached_requests"), 256, "%s", m);
  th_release(m);
  check_alive("concurrent shapes");
  srv_stop();
}

/* The cache key is what a list names, not how it is spelled: spacing and
 * escapes share one prepared request (so they cannot be used to fill the
 * cache); another order is another request (its answer differs). */
Test(server, s064_spellings_of_one_list_share_a_prepared_request) {
  srv_start("--threads", "2");
  static const char *const spellings[] = {
      "{\"features\": [\"user_stats:score\", \"user_stats:clicks\"], "
      "\"entities\": {\"user_id\": [1]}}",
      "{\"features\":[\"user_stats:score\",\"user_stats:clicks\"],"
      "\"entities\":{\"user_id\":[1]}}",
      "{\"features\": [ \"user_stats:\\u0073core\" ,\n\"user_stats:clicks\" ], "
      "\"entities\": {\"user_id\": [1]}}"};
  for (int i = 0; i < 3; i++) {
    hresp r = get_online(spellings[i]);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(jtext(r.body, "/results/2/values"), "[5]", "%s", r.body);
    hresp_free(&r);
  }
  char *m = metrics_text();
  cr_assert_eq(metric(m, "larder_cached_requests"), 1, "%s", m);
  th_release(m);
  check("POST", "/get-online-features",
        "{\"features\": [\"user_stats:clicks\", \"user_stats:score\"], "
        "\"entities\": {\"user_id\": [1]}}", 200,
        FEAST("\"user_id\", \"clicks\", \"score\"",
              COL("1", PRESENT, EPOCH) ", " COL("5", PRESENT, T1) ", "
              COL("0.1", PRESENT, T1)));
  m = metrics_text();
  cr_assert_eq(metric(m, "larder_cached_requests"), 2, "%s", m);
  th_release(m);
  srv_stop();
}

/* ------------------------------------------------------------------------ */
/* The C API: start, stop, wait, close                                       */
/* ------------------------------------------------------------------------ */

static void *stop_soon(void *srv) {
  usleep(200 * 1000);
  lr_server_stop(srv);
  return NULL;
}

static lr_server *g_signalled; /* the server SIGUSR1 stops */
static void stop_on_signal(int sig) {
  (void)sig;
  lr_server_stop(g_signalled);
}

/* Starts an in-process server on the test's repo; asserts it listens. */
static lr_server *api_start(void) {
  lr_server_options o = {.repo = g_repo, .port = 0, .threads = 2};
  lr_server *srv = NULL;
  int rc = lr_server_start(&o, &srv);
  cr_assert_eq(rc, 0, "%s", lr_server_errmsg(srv));
  cr_assert_str_eq(lr_server_errmsg(srv), "");
  g_port = lr_server_port(srv);
  cr_assert(g_port > 0 && g_port < 65536, "port %d", g_port);
  return srv;
}

/* After lr_server_wait the port is closed. */
static void assert_stopped(void) {
  hconn c;
  int refused = hc_open(&c, g_port) != 0;
  if (!refused)
    hc_close(&c);
  cr_assert(refused, "port %d still accepts after lr_server_wait", g_port);
}

/* include/larder.h: the library changes no signal mask and installs no
 * handler; lr_server_stop works from another thread and from a signal
 * handler; wait returns once stopped; later stops are harmless. */
Test(server, s062_the_c_api_stops_from_a_thread_or_a_handler) {
  struct sigaction before;
  sigaction(SIGTERM, NULL, &before);
  lr_server *srv = api_start();
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  cr_assert(!sigismember(&mask, SIGTERM) && !sigismember(&mask, SIGINT),
            "lr_server_start blocked a signal in the caller");
  struct sigaction after;
  sigaction(SIGTERM, NULL, &after);
  cr_assert_eq(after.sa_handler, before.sa_handler,
               "lr_server_start changed SIGTERM's handler");
  check_alive("an in-process server");
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, stop_soon, srv), 0);
  cr_assert_eq(lr_server_wait(srv), 0);
  pthread_join(t, NULL);
  assert_stopped();
  lr_server_stop(srv);
  cr_assert_eq(lr_server_wait(srv), 0);
  lr_server_close(srv);
  /* from a signal handler */
  srv = g_signalled = api_start();
  struct sigaction sa = {.sa_handler = stop_on_signal};
  sigemptyset(&sa.sa_mask);
  cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
  check_alive("a second in-process server");
  cr_assert_eq(kill(getpid(), SIGUSR1), 0);
  cr_assert_eq(lr_server_wait(srv), 0);
  assert_stopped();
  lr_server_close(srv);
  /* a server closed without a stop stops first */
  lr_server_close(api_start());
  assert_stopped();
}

/* A failed start still gives a handle with the reason (no CLI flags in
 * it: the library is not the command line). */
Test(server, s063_a_failed_start_says_why) {
  lr_server *srv = NULL;
  cr_assert_eq(lr_server_start(NULL, &srv), LR_EINVAL);
  cr_assert_str_eq(lr_server_errmsg(srv),
                   "lr_server_start needs options with a repo");
  lr_server_close(srv);
  lr_server_options o = {.repo = g_repo, .port = 0, .host = "localhost"};
  cr_assert_eq(lr_server_start(&o, &srv), LR_EINVAL);
  cr_assert_str_eq(lr_server_errmsg(srv),
                   "the host 'localhost' is not an IPv4 address (such as "
                   "127.0.0.1, or 0.0.0.0 for every interface)");
  lr_server_close(srv);
  o.host = NULL;
  o.token_file = "/nonexistent/token";
  cr_assert_eq(lr_server_start(&o, &srv), LR_EINVAL);
  cr_assert_str_eq(lr_server_errmsg(srv), "cannot open /nonexistent/token: "
                   "No such file or directory");
  lr_server_close(srv);
  cr_assert_eq(lr_server_start(&o, NULL), LR_EINVAL);
  lr_server_close(NULL);
  cr_assert_str_eq(lr_server_errmsg(NULL), "out of memory");
}

/* ------------------------------------------------------------------------ */
/* The data-driven cases (tests/server/cases/NNN-name.txt)                   */
/* ------------------------------------------------------------------------ */

static const char *cases_dir(void) {
  const char *d = getenv("LARDER_SERVER_CASES");
  return d && *d ? d : "tests/server/cases";
}

static int is_case(const struct dirent *e) {
  size_t n = strlen(e->d_name);
  return n > 4 && !strcmp(e->d_name + n - 4, ".txt") && e->d_name[0] != '.';
}

/* Strips trailing newlines (and CRs) in place. */
static void rstrip_newlines(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
}

/* Runs one case; returns NULL when it passes, else a message (malloc). */
static char *run_case(const char *name, char *text) {
  lr__buf msg;
  lr__buf_init(&msg);
  char *p = text;
  while (*p == '#' || *p == '\n') /* leading comments and blank lines */
    p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');
  char method[16], path[1024];
  size_t line_len = strcspn(p, "\n");
  char first[1100];
  snprintf(first, sizeof first, "%.*s", (int)line_len, p);
  if (sscanf(first, "%15s %1023s", method, path) != 2) {
    lr__buf_printf(&msg, "%s: the first line is not `METHOD /path`", name);
    return lr__buf_steal(&msg);
  }
  char *body = p + line_len + (p[line_len] == '\n');
  char *sep = !strncmp(body, "--- ", 4) ? body - 1 : strstr(body, "\n--- ");
  if (!sep) {
    lr__buf_printf(&msg, "%s: no `--- STATUS` line", name);
    return lr__buf_steal(&msg);
  }
  int want_status = atoi(sep + 5);
  char *want = sep + 5 + strcspn(sep + 5, "\n");
  if (*want == '\n')
    want++;
  if (sep >= body)
    *sep = '\0';
  else
    body = "";
  rstrip_newlines(want);
  hconn c;
  if (hc_open(&c, g_port) != 0) {
    lr__buf_printf(&msg, "%s: cannot connect", name);
    return lr__buf_steal(&msg);
  }
  int has_body = *body || strcmp(method, "GET");
  hresp r;
  const char *why = "send failed";
  int rc = hc_send(&c, method, path, NULL, has_body ? body : NULL,
                   strlen(body));
  if (rc == 0)
    rc = hc_recv_raw(&c, &r, &why);
  hc_close(&c);
  if (rc) {
    lr__buf_printf(&msg, "%s: %s", name, why);
    return lr__buf_steal(&msg);
  }
  rstrip_newlines(r.body);
  if (r.status != want_status || strcmp(r.body, want)) {
    /* the whole of both on stderr; the first difference in the message */
    fprintf(stderr, "case %s:\n  want %d %s\n  got  %d %s\n", name,
            want_status, want, r.status, r.body);
    size_t at = 0;
    while (want[at] && want[at] == r.body[at])
      at++;
    size_t from = at > 40 ? at - 40 : 0;
    lr__buf_printf(&msg, "%s: want %d, got %d; bodies differ at byte %zu:\n"
                   "  want ...%.120s\n  got  ...%.120s", name, want_status,
                   r.status, at, want + from, r.body + from);
  }
  hresp_free(&r);
  return msg.len ? lr__buf_steal(&msg) : (lr__buf_free(&msg), NULL);
}

/* Runs every case of cases_dir() against the server started, but those
 * named in `skip` (NULL-terminated; their reason beside each). */
static void run_cases(const char *const *skip) {
  struct dirent **list;
  int n = scandir(cases_dir(), &list, is_case, alphasort);
  cr_assert_geq(n, 0, "cannot read %s", cases_dir());
  int failed = 0;
  for (int i = 0; i < n; i++) {
    int skipped = 0;
    for (int k = 0; skip && skip[k]; k++)
      skipped |= strcmp(skip[k], list[i]->d_name) == 0;
    if (skipped) {
      free(list[i]);
      continue;
    }
    char *text = th_read(cases_dir(), list[i]->d_name);
    char *why = text ? run_case(list[i]->d_name, text) : strdup("unreadable");
    if (why) {
      failed++;
      cr_expect_fail("case %s", why);
      free(why);
    }
    free(text);
    free(list[i]);
  }
  free(list);
  cr_expect_eq(failed, 0, "%d of %d server cases failed", failed, n);
  cr_expect_geq(n, 15, "only %d cases in %s", n, cases_dir());
}

Test(server, s900_data_driven_cases) {
  srv_start("--threads", "2", "--max-entities", "5");
  run_cases(NULL);
  srv_stop();
}

/* The same cases, the same fixture rows, the online store on Redis. */
Test(server, s901_data_driven_cases_on_redis, .init = setup_redis,
     .fini = teardown_redis) {
  static const char *const lmdb_only[] = {NULL};
  srv_start("--threads", "2", "--max-entities", "5");
  run_cases(lmdb_only);
  srv_stop();
}

/* The version an answer was read at, from its Larder-Version header. */
static lr_data_version answer_version(const char *method, const char *path,
                                      const char *body, int want_status) {
  hresp r = call(method, path, body);
  cr_assert_eq(r.status, want_status, "%s %s: %s", method, path, r.body);
  char text[64];
  cr_assert_eq(hdr(r.head, "Larder-Version", text, sizeof text), 0,
               "%s %s: no Larder-Version in\n%s", method, path, r.head);
  lr_data_version v;
  char end;
  cr_assert_eq(sscanf(text, "%llu.%llu%c", &v.generation, &v.seq, &end), 2,
               "Larder-Version: %s", text);
  hresp_free(&r);
  return v;
}

/* Every answer carries the store's version as Larder-Version (lookups:
 * the one they read); a write makes it greater; /health shows the same
 * version in its JSON. */
Test(server, s066_every_answer_carries_its_version) {
  srv_start("--threads", "2");
  static const char lookup[] =
      "{\"features\": [\"user_stats:clicks\"], \"entities\": "
      "{\"user_id\": [1]}}";
  lr_data_version read = answer_version("POST", "/get-online-features",
                                        lookup, 200);
  cr_assert_eq(read.generation, 1);
  lr_data_version health = answer_version("GET", "/health", NULL, 200);
  cr_assert(health.generation == read.generation && health.seq == read.seq);
  hresp h = call("GET", "/health", NULL);
  char want[64];
  snprintf(want, sizeof want, "%llu.%llu", read.generation, read.seq);
  cr_assert_str_eq(jtext(h.body, "/store_version"), want, "%s", h.body);
  hresp_free(&h);
  answer_version("GET", "/metrics", NULL, 200);
  answer_version("GET", "/nowhere", NULL, 404);
  answer_version("GET", "/get-online-features", NULL, 405);
  answer_version("POST", "/get-online-features", "{", 400);
  lr_data_version wrote = answer_version(
      "POST", "/write-to-online-store",
      "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": [1], "
      "\"event_timestamp\": [\"2030-01-01T00:00:00Z\"], \"clicks\": [5], "
      "\"score\": [null], \"label\": [null], \"blob\": [null], "
      "\"emb\": [null], \"seen\": [null]}}",
      200);
  cr_assert_gt(wrote.seq, read.seq, "a write did not raise the version");
  lr_data_version again = answer_version("POST", "/get-online-features",
                                         lookup, 200);
  cr_assert(again.generation == wrote.generation && again.seq == wrote.seq);
  srv_stop();
}

/* A lookup naming a min_version waits for the store to hold that change:
 * answered at once when it does, 503 after the wait when it does not, and
 * a malformed one is 400. */
Test(server, s067_min_version_waits_then_answers_or_503) {
  srv_start("--threads", "2");
  lr_data_version now = answer_version("GET", "/health", NULL, 200);
  char body[512];
  snprintf(body, sizeof body, "{\"features\": [\"user_stats:clicks\"], "
           "\"entities\": {\"user_id\": [1]}, \"min_version\": "
           "\"%llu.%llu\"}", now.generation, now.seq);
  hresp h = call("POST", "/get-online-features", body);
  cr_assert_eq(h.status, 200, "%s", h.body);
  hresp_free(&h);
  snprintf(body, sizeof body, "{\"features\": [\"user_stats:clicks\"], "
           "\"entities\": {\"user_id\": [1]}, \"min_version\": %llu}",
           now.seq + 1);
  h = call("POST", "/get-online-features", body);
  char want[512];
  snprintf(want, sizeof want, "{\"error\": \"not at the version asked\", "
           "\"detail\": \"this store is at version %llu.%llu, the request "
           "asks for change %llu (min_version); waited 1000 ms: retry, or ask "
           "another replica\"}\n", now.generation, now.seq, now.seq + 1);
  cr_assert_eq(h.status, 503, "%s", h.body);
  cr_assert_str_eq(h.body, want);
  hresp_free(&h);
  h = call("POST", "/get-online-features",
           "{\"features\": [\"user_stats:clicks\"], \"entities\": "
           "{\"user_id\": [1]}, \"min_version\": \"soon\"}");
  cr_assert_eq(h.status, 400, "%s", h.body);
  cr_assert_str_eq(h.body, "{\"error\": \"bad request\", \"detail\": "
                   "\"'min_version' must be a version \\\"G.S\\\" or a "
                   "sequence number S (a string or a number)\"}\n");
  hresp_free(&h);
  srv_stop();
}

/* A child process's write of user 1's clicks through the server, after
 * `delay_ms` (what a client does on the primary while another waits). */
static pid_t write_later(int delay_ms) {
  pid_t pid = th_fork_child();
  if (pid == 0) {
    usleep((useconds_t)delay_ms * 1000u);
    static const char body[] =
        "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\": [1], "
        "\"event_timestamp\": [\"2030-01-01T00:00:00Z\"], \"score\": [0.5], "
        "\"clicks\": [77], \"label\": [\"x\"], \"blob\": [null], "
        "\"emb\": [null], \"seen\": [null]}}";
    hconn c;
    hresp r;
    const char *why;
    int ok = hc_open(&c, g_port) == 0 &&
             hc_send(&c, "POST", "/write-to-online-store", NULL, body,
                     strlen(body)) == 0 &&
             hc_recv(&c, &r, &why) == 0 && r.status == 200;
    _exit(ok ? 0 : 1);
  }
  return pid;
}

/* The Larder-Min-Version header asks what the body's min_version does (the
 * greater of the two counts): a change another process makes while the
 * request waits is seen, one nobody makes is 503, a malformed one is 400. */
Test(server, s068_min_version_header_waits_for_another_writer) {
  srv_start("--threads", "2");
  lr_data_version now = answer_version("GET", "/health", NULL, 200);
  char header[96];
  snprintf(header, sizeof header, "Larder-Min-Version: %llu.%llu\r\n",
           now.generation, now.seq + 1);
  pid_t writer = write_later(200);
  hresp h = call_h("POST", "/get-online-features", header,
                   "{\"features\": [\"user_stats:clicks\"], \"entities\": "
                   "{\"user_id\": [1]}}");
  cr_assert_eq(th_child_status(writer, 10000), 0, "the write failed");
  cr_assert_eq(h.status, 200, "%s", h.body);
  cr_assert(strstr(h.body, "\"values\": [77]"), "%s", h.body);
  hresp_free(&h);
  snprintf(header, sizeof header, "Larder-Min-Version: %llu\r\n",
           now.seq + 5);
  h = call_h("POST", "/get-online-features", header,
             "{\"features\": [\"user_stats:clicks\"], \"entities\": "
             "{\"user_id\": [1]}, \"min_version\": 1}");
  char want[512];
  snprintf(want, sizeof want, "{\"error\": \"not at the version asked\", "
           "\"detail\": \"this store is at version %llu.%llu, the request "
           "asks for change %llu (min_version); waited 1000 ms: retry, or ask "
           "another replica\"}\n", now.generation, now.seq + 1, now.seq + 5);
  cr_assert_eq(h.status, 503, "%s", h.body);
  cr_assert_str_eq(h.body, want);
  hresp_free(&h);
  h = call_h("POST", "/get-online-features", "Larder-Min-Version: 3.x\r\n",
             "{\"features\": [\"user_stats:clicks\"], \"entities\": "
             "{\"user_id\": [1]}}");
  cr_assert_eq(h.status, 400, "%s", h.body);
  cr_assert_str_eq(h.body, "{\"error\": \"bad request\", \"detail\": \"the "
                   "Larder-Min-Version header must be a version G.S or a "
                   "sequence number S\"}\n");
  hresp_free(&h);
  srv_stop();
}

static volatile sig_atomic_t g_usr2_taken; /* a server thread took SIGUSR2 */
static void take_usr2(int sig) {
  (void)sig;
  g_usr2_taken = 1;
}

/* include/larder.h: the threads lr_server_start starts take the signal
 * mask of the thread that calls it. With SIGUSR2 blocked in the caller
 * (the only thread then) and a handler installed, a SIGUSR2 sent to the
 * process while the server runs and answers is taken by no thread (the
 * handler would run in one that had it unblocked): it stays pending until
 * the caller takes it with sigwait. */
Test(server, s069_server_threads_take_the_callers_signal_mask) {
  sigset_t usr2, before;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  cr_assert_eq(pthread_sigmask(SIG_BLOCK, &usr2, &before), 0);
  struct sigaction sa = {.sa_handler = take_usr2}, old_sa;
  sigemptyset(&sa.sa_mask);
  cr_assert_eq(sigaction(SIGUSR2, &sa, &old_sa), 0);
  g_usr2_taken = 0;
  lr_server *srv = api_start();
  check_alive("a server started with SIGUSR2 blocked");
  cr_assert_eq(kill(getpid(), SIGUSR2), 0);
  for (int i = 0; i < 20 && !g_usr2_taken; i++) {
    check_alive("after SIGUSR2"); /* its threads run meanwhile */
    usleep(10000);
  }
  sigset_t pending;
  cr_assert_eq(sigpending(&pending), 0);
  cr_assert(!g_usr2_taken, "a server thread took SIGUSR2: it did not "
            "inherit the caller's mask");
  cr_assert(sigismember(&pending, SIGUSR2), "SIGUSR2 is not pending");
  int sig = 0;
  cr_assert_eq(sigwait(&usr2, &sig), 0);
  cr_assert_eq(sig, SIGUSR2);
  lr_server_close(srv);
  sigaction(SIGUSR2, &old_sa, NULL);
  pthread_sigmask(SIG_SETMASK, &before, NULL);
}

/* ------------------------------------------------------------------------ */
/* Freshness and served-feature series (docs/monitoring.md)                  */
/* ------------------------------------------------------------------------ */

/* 1 when `line` is a whole line of the Prometheus text `text`. */
static int has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *at = text; (at = strstr(at, line)) != NULL; at++)
    if ((at == text || at[-1] == '\n') && (at[n] == '\n' || !at[n]))
      return 1;
  return 0;
}

/* 1 when a line of `text` starts with `prefix`. */
static int has_series(const char *text, const char *prefix) {
  for (const char *at = text; (at = strstr(at, prefix)) != NULL; at++)
    if (at == text || at[-1] == '\n')
      return 1;
  return 0;
}

/* The wall-clock time, in microseconds since the epoch. */
static long long wall_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

/* `us` microseconds as decimal seconds, no trailing zeros, into buf. */
static const char *secs(long long us, char *buf, size_t cap) {
  snprintf(buf, cap, "%lld.%06lld", us / 1000000, us % 1000000);
  char *end = buf + strlen(buf) - 1;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  return buf;
}

/* The freshness record of `view` in the test's store, read beside the
 * server (online/freshness.h). */
static lr__freshness record_of(const char *view) {
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(g_repo, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  lr__freshness f;
  cr_assert_eq(lr__store_freshness(s, view, &f), 0, "%s", lr_store_errmsg(s));
  lr_store_close(s);
  return f;
}

/* Asserts /metrics' freshness lines of `view`: its newest event time
 * `max_event` (seconds, as written), and a last-write line for exactly the
 * sources its record holds, each equal to the record and within
 * [after_us, now]. */
static void assert_fresh(const char *m, const char *view,
                         const char *max_event, long long after_us) {
  char want[512], num[64];
  snprintf(want, sizeof want, "larder_view_max_event_timestamp_seconds{view="
           "\"%s\"} %s", view, max_event);
  cr_assert(has_line(m, want), "no line %s in:\n%s", want, m);
  lr__freshness f = record_of(view);
  int lines = 0;
  for (int src = 0; src < LR__FRESH_SOURCES; src++) {
    snprintf(want, sizeof want, "larder_view_last_write_timestamp_seconds{"
             "view=\"%s\",source=\"%s\"} ", view, lr__fresh_source_name(src));
    if (f.last_write_us[src] == LR__FRESH_NONE) {
      cr_assert(!has_series(m, want), "%s in:\n%s", want, m);
      continue;
    }
    cr_assert(f.last_write_us[src] >= after_us &&
              f.last_write_us[src] <= wall_us(),
              "%s %lld is not of this write", want,
              (long long)f.last_write_us[src]);
    lines++;
    size_t n = strlen(want);
    snprintf(want + n, sizeof want - n, "%s",
             secs(f.last_write_us[src], num, sizeof num));
    cr_assert(has_line(m, want), "no line %s in:\n%s", want, m);
  }
  cr_assert_eq(lines, 1, "%s: %d sources", view, lines);
}

/* Asserts `view` has no freshness line at all (never written). */
static void assert_never_written(const char *m, const char *view) {
  char prefix[256];
  snprintf(prefix, sizeof prefix, "larder_view_max_event_timestamp_seconds{"
           "view=\"%s\"}", view);
  cr_assert(!has_series(m, prefix), "%s in:\n%s", prefix, m);
  snprintf(prefix, sizeof prefix, "larder_view_last_write_timestamp_seconds{"
           "view=\"%s\",", view);
  cr_assert(!has_series(m, prefix), "%s in:\n%s", prefix, m);
}

Test(server, s070_freshness_after_a_write_never_written_views_absent) {
  long long t0 = wall_us() - 60 * 1000000LL; /* setup wrote */
  srv_start("--threads", "2");
  char *m = metrics_text();
  static const char *const families[] = {
      "larder_view_max_event_timestamp_seconds gauge",
      "larder_view_last_write_timestamp_seconds gauge",
      "larder_features_served_total counter"};
  for (int i = 0; i < 3; i++) {
    char type[128], help[128];
    snprintf(type, sizeof type, "# TYPE %s", families[i]);
    snprintf(help, sizeof help, "# HELP %.*s ",
             (int)(strchr(families[i], ' ') - families[i]), families[i]);
    cr_assert(has_line(m, type) && strstr(m, help), "%s", m);
  }
  assert_fresh(m, "user_stats", "1704189600.5", t0); /* 10:00:00.5 */
  assert_fresh(m, "item_stats", "1704189600", t0);
  assert_fresh(m, "user_recent", "4102444800", t0); /* 2100: newest kept */
  assert_never_written(m, "user_pushed");
  assert_never_written(m, "user_odfv");
  th_release(m);
  long long before = wall_us();
  hresp r = call("POST", "/write-to-online-store",
                 "{\"feature_view_name\": \"user_stats\", \"df\": {\"user_id\":"
                 " [7], \"event_timestamp\": [\"2024-08-01T00:00:00Z\"], "
                 "\"score\": [0.5], \"clicks\": [1], \"label\": [null], "
                 "\"blob\": [null], \"emb\": [null], \"seen\": [null]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  m = metrics_text();
  assert_fresh(m, "user_stats", "1722470400", before);
  assert_never_written(m, "user_pushed");
  th_release(m);
  srv_stop();
}

Test(server, s071_freshness_after_a_push) {
  srv_start("--threads", "2");
  long long before = wall_us();
  hresp r = call("POST", "/push",
                 "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": "
                 "[1, 2], \"event_timestamp\": [\"2024-05-01T08:00:00Z\", "
                 "\"2024-05-01T07:00:00Z\"], \"last_action\": [\"click\", "
                 "null], \"action_count\": [3, 4]}, \"to\": \"online\"}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  char *m = metrics_text();
  assert_fresh(m, "user_pushed", "1714550400", before);
  char want[256];
  snprintf(want, sizeof want, "larder_view_last_write_timestamp_seconds{view="
           "\"user_pushed\",source=\"push\"} ");
  cr_assert(has_series(m, want), "%s", m);
  th_release(m);
  srv_stop();
}

Test(server, s072_freshness_after_a_materialize_while_serving) {
  th_write(g_repo, "data/x.csv",
           "user_id,ts,last_action,action_count\n"
           "1,2024-06-01T00:00:00Z,buy,2\n"
           "2,2024-06-02T12:00:00Z,view,1\n"
           "2,2024-06-01T12:00:00Z,old,9\n");
  srv_start("--threads", "2");
  char *m = metrics_text();
  assert_never_written(m, "user_pushed");
  th_release(m);
  long long before = wall_us();
  char *out = NULL;
  const char *const args[] = {"2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z",
                              "--views", "user_pushed", NULL};
  cr_assert_eq(th_run_larder(g_repo, "materialize", args, 60000, &out), 0,
               "%s", out);
  free(out);
  m = metrics_text();
  assert_fresh(m, "user_pushed", "1717329600", before); /* 06-02 12:00 */
  cr_assert(has_series(m, "larder_view_last_write_timestamp_seconds{view="
                          "\"user_pushed\",source=\"materialize\"} "), "%s", m);
  th_release(m);
  srv_stop();
}

/* Asserts the four served lines of `view`: PRESENT, NOT_FOUND,
 * OUTSIDE_MAX_AGE, NULL_VALUE counts. */
static void assert_served(const char *m, const char *view, int present,
                          int not_found, int outside, int null_value) {
  const char *names[] = {"PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE",
                         "NULL_VALUE"};
  int counts[] = {present, not_found, outside, null_value};
  for (int i = 0; i < 4; i++) {
    char want[256];
    snprintf(want, sizeof want, "larder_features_served_total{view=\"%s\","
             "status=\"%s\"} %d", view, names[i], counts[i]);
    cr_assert(has_line(m, want), "no line %s in:\n%s", want, m);
  }
}

/* Per view and status, every feature value of every entity served; the
 * counts live through a registry reload, which adds the new view's. */
Test(server, s073_features_served_by_view_and_status_survive_a_reload) {
  srv_start("--threads", "2");
  char *m = metrics_text();
  assert_served(m, "user_stats", 0, 0, 0, 0);
  assert_served(m, "user_recent", 0, 0, 0, 0);
  th_release(m);
  hresp r = get_online("{\"features\": [\"user_stats:score\", "
                       "\"user_stats:clicks\", \"user_recent:recent_clicks\"],"
                       " \"entities\": {\"user_id\": [1, 2, 3]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  r = get_online("{\"features\": [\"item_stats:title\"], \"entities\": "
                 "{\"item_id\": [\"apple\", \"pear\", \"fig\"]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  m = metrics_text();
  /* user 1 present, 2 null, 3 absent, for score and clicks; recent_clicks:
   * 1 from 2000 (ttl 1d), 2 from 2100, 3 absent */
  assert_served(m, "user_stats", 2, 2, 0, 2);
  assert_served(m, "user_recent", 1, 1, 1, 0);
  assert_served(m, "item_stats", 1, 1, 0, 1);
  assert_served(m, "user_pushed", 0, 0, 0, 0);
  cr_assert(!has_series(m, "larder_features_served_total{view=\"user_new\""));
  th_release(m);
  apply_and_await_registry(DEFS_HEAD "  - name: user_new\n    entities: "
                           "[user]\n    source: s\n    schema:\n      - "
                           "{name: z, dtype: int64}\n" DEFS_TAIL, "2");
  r = get_online("{\"features\": [\"user_new:z\", \"user_stats:score\"], "
                 "\"entities\": {\"user_id\": [1]}}");
  cr_assert_eq(r.status, 200, "%s", r.body);
  hresp_free(&r);
  m = metrics_text();
  assert_served(m, "user_stats", 3, 2, 0, 2);
  assert_served(m, "user_recent", 1, 1, 1, 0);
  assert_served(m, "user_new", 0, 1, 0, 0);
  th_release(m);
  srv_stop();
}

/* A view's freshness check gives its expected freshness, in seconds; a
 * view without one has no line. The line appears with the registry that
 * adds the check, read by the running server. */
Test(server, s074_expected_freshness_from_the_freshness_check) {
  srv_start("--threads", "2");
  char *m = metrics_text();
  cr_assert(has_series(m, "# TYPE larder_view_expected_freshness_seconds "
                          "gauge\n"), "%s", m);
  cr_assert(!has_series(m, "larder_view_expected_freshness_seconds{"), "%s",
            m);
  th_release(m);
  apply_and_await_registry(DEFS_HEAD "    checks:\n      - {freshness: 2h}\n"
                           "      - {freshness: 30m, name: tight}\n" DEFS_TAIL,
                           "2");
  m = metrics_text();
  cr_assert(has_series(m, "larder_view_expected_freshness_seconds{view="
                          "\"user_stats\"} 1800\n"), "%s", m);
  cr_assert(!has_series(m, "larder_view_expected_freshness_seconds{view="
                           "\"user_recent\"}"), "%s", m);
  th_release(m);
  srv_stop();
}

/* A /write-to-online-store body of `n` user_stats rows (users 100...),
 * clicks = row number except row `bad`, whose clicks are 1000. */
static char *rows_with_one_bad(int n, int bad) {
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_puts(&b, "{\"feature_view_name\": \"user_stats\", \"df\": {");
  static const char *const cols[] = {"user_id", "event_timestamp", "score",
                                     "clicks", "label", "blob", "emb",
                                     "seen"};
  for (int c = 0; c < 8; c++) {
    lr__buf_printf(&b, "%s\"%s\": [", c ? ", " : "", cols[c]);
    for (int i = 0; i < n; i++) {
      lr__buf_puts(&b, i ? ", " : "");
      if (c == 0)
        lr__buf_printf(&b, "%d", 100 + i);
      else if (c == 1)
        lr__buf_puts(&b, "\"2024-09-01T00:00:00Z\"");
      else if (c == 2)
        lr__buf_puts(&b, "0.5");
      else if (c == 3)
        lr__buf_printf(&b, "%d", i == bad ? 1000 : i % 100);
      else
        lr__buf_puts(&b, "null");
    }
    lr__buf_puts(&b, "]");
  }
  lr__buf_puts(&b, "}}");
  return th_keep(lr__buf_steal(&b));
}

#define CLICKS_CHECK(on_fail)                                                \
  DEFS_HEAD "    checks:\n      - {feature: clicks, between: [0, 100], "    \
  "on_fail: " on_fail "}\n" DEFS_TAIL

/* One bad row in 1,000 over HTTP: under drop a 200 that counts it (999
 * written, the row quarantined, its key in the samples); under reject a
 * 422 with the message and the counts, nothing written; /metrics counts
 * both. */
Test(server, s075_one_bad_row_in_a_thousand_drop_then_reject) {
  srv_start("--threads", "2");
  apply_and_await_registry(CLICKS_CHECK("drop"), "2");
  char *body = rows_with_one_bad(1000, 500);
  hresp r = call("POST", "/write-to-online-store", body);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert(strstr(r.body, "{\"written\": [{\"view\": \"user_stats\", "
                   "\"rows_written\": 999, \"rows_skipped\": 0, \"checks\": "
                   "{\"view\": \"user_stats\", \"rows\": 1000, "
                   "\"rows_failed\": 1, \"rows_dropped\": 1, \"rows_nulled\": "
                   "0, \"rejected\": false, \"quarantine\": \""), "%s",
            r.body);
  cr_assert(strstr(r.body, "\"checks\": [{\"name\": \"clicks_between\", "
                   "\"kind\": \"between\", \"feature\": \"clicks\", "
                   "\"on_fail\": \"drop\", \"rows_checked\": 1000, "
                   "\"rows_failed\": 1, \"share_failed\": 0.001, \"passed\": "
                   "false, \"samples\": [{\"key\": {\"user_id\": 600}, "
                   "\"value\": 1000}]}]}}]}"), "%s", r.body);
  hresp_free(&r);
  apply_and_await_registry(CLICKS_CHECK("reject"), "3");
  body = rows_with_one_bad(1000, 7);
  r = call("POST", "/write-to-online-store", body);
  cr_assert_eq(r.status, 422, "%s", r.body);
  cr_assert(strstr(r.body, "{\"error\": \"a data quality check refused the "
                   "rows\", \"detail\": \"df: feature view 'user_stats': the "
                   "checks refused the batch, so nothing was written: check "
                   "'clicks_between' (between on clicks, on_fail: reject): 1 "
                   "of 1000 rows failed (0.1%); fix the rows, or the checks "
                   "in the view's definition (`larder check user_stats` runs "
                   "them over the source)\", \"checks\": {\"view\": "
                   "\"user_stats\", \"rows\": 1000, \"rows_failed\": 1, "
                   "\"rows_dropped\": 0, \"rows_nulled\": 0, \"rejected\": "
                   "true, \"quarantine\": null, "), "%s", r.body);
  hresp_free(&r);
  char *m = metrics_text();
  cr_assert(has_series(m, "larder_batches_rejected_total{view=\"user_stats\"}"
                          " 1\n"), "%s", m);
  cr_assert(has_series(m, "larder_rows_quarantined_total{view=\"user_stats\"}"
                          " 1\n"), "%s", m);
  cr_assert(has_series(m, "larder_check_rows_total{view=\"user_stats\","
                          "rule=\"clicks_between\",outcome=\"failed\"} 2\n"),
            "%s", m);
  cr_assert(has_series(m, "larder_check_rows_total{view=\"user_stats\","
                          "rule=\"clicks_between\",outcome=\"passed\"} "
                          "1998\n"), "%s", m);
  cr_assert(!has_series(m, "larder_batches_rejected_total{view=\"item_stats\""),
            "%s", m);
  th_release(m);
  srv_stop();
}

/* The definitions with `insert` after the first line of `defs` holding
 * `anchor` (kept). */
static const char *defs_with(const char *defs, const char *anchor,
                             const char *insert) {
  const char *at = strstr(defs, anchor);
  cr_assert(at, "no '%s' in the definitions", anchor);
  at = strchr(at, '\n') + 1;
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_printf(&b, "%.*s%s%s", (int)(at - defs), defs, insert, at);
  return th_keep(lr__buf_steal(&b));
}

#define PUSH_TWO_ACTIONS                                                     \
  "{\"push_source_name\": \"user_push\", \"df\": {\"user_id\": [1, 2], "     \
  "\"event_timestamp\": [\"2024-05-01T08:00:00Z\", "                         \
  "\"2024-05-01T08:00:00Z\"], \"last_action\": [\"click\", \"buy\"], "       \
  "\"action_count\": [3, 40]}, \"to\": \"online\"}"

/* A push over HTTP into a view with checks: the 200 carries each view's
 * check report under "checks" (the dropped row counted); under reject a
 * 422 with the message, nothing written. */
Test(server, s076_push_answer_carries_the_checks) {
  srv_start("--threads", "2");
  static const char anchor[] = "{name: action_count, dtype: int64}";
  apply_and_await_registry(
      defs_with(DEFS_HEAD DEFS_TAIL, anchor,
                "    checks:\n      - {feature: action_count, between: [0, "
                "10], on_fail: drop}\n"), "2");
  hresp r = call("POST", "/push", PUSH_TWO_ACTIONS);
  cr_assert_eq(r.status, 200, "%s", r.body);
  cr_assert(strstr(r.body, "{\"written\": [{\"view\": \"user_pushed\", "
                   "\"rows_written\": 1, \"rows_skipped\": 0}], \"checks\": "
                   "{\"user_pushed\": {\"view\": \"user_pushed\", \"rows\": 2, "
                   "\"rows_failed\": 1, \"rows_dropped\": 1, \"rows_nulled\": "
                   "0, \"rejected\": false, \"quarantine\": \""), "%s",
            r.body);
  cr_assert(strstr(r.body, "\"samples\": [{\"key\": {\"user_id\": 2}, "
                   "\"value\": 40}]}]}}}"), "%s", r.body);
  hresp_free(&r);
  apply_and_await_registry(
      defs_with(DEFS_HEAD DEFS_TAIL, anchor,
                "    checks:\n      - {feature: action_count, between: [0, "
                "10], on_fail: reject}\n"), "3");
  r = call("POST", "/push", PUSH_TWO_ACTIONS);
  cr_assert_eq(r.status, 422, "%s", r.body);
  cr_assert_str_eq(r.body, "{\"error\": \"a data quality check refused the "
                   "rows\", \"detail\": \"feature view 'user_pushed': the "
                   "checks refused the batch, so nothing was written: check "
                   "'action_count_between' (between on action_count, "
                   "on_fail: reject): 1 of 2 rows failed (50%); fix the rows, "
                   "or the checks in the view's definition (`larder check "
                   "user_pushed` runs them over the source)\"}\n");
  hresp_free(&r);
  srv_stop();
}

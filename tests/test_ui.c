/*
 * test_ui.c - the web UI's C parts (src/ui/): the HTML escaping, the URL,
 * form and cookie codecs, the SVG charts and the histogram from
 * percentiles, and the UI's handler as the server calls it (the token and
 * its cookie, the login, escaping of what YAML says, the read-only
 * server, the lookup's request). The pages in a real browser: tests/ui/
 * (ui001-ui011).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "helpers.h"
#include "larder.h"
#include "replication_fixture.h"
#include "serve/server.h"
#include "ui/form.h"
#include "ui/html.h"
#include "ui/svg.h"
#include "ui/ui.h"
#include "util/buf.h"

TestSuite(ui);
TestSuite(ui_replica, .fini = repl_cleanup, .timeout = 120);

/* The number of times `needle` occurs in `hay`. */
static int count_of(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
    n++;
  return n;
}

Test(ui, ui101_html_escaping) {
  lr__buf b;
  lr__buf_init(&b);
  lr__html_text(&b, "<script>alert('x') & \"y\"</script>\x01\tok\n");
  cr_assert_str_eq(lr__buf_str(&b),
                   "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;"
                   "&lt;/script&gt;&#xFFFD;\tok\n");
  lr__buf_reset(&b);
  lr__html_text(&b, NULL);
  lr__html_textn(&b, "a<b", 2);
  cr_assert_str_eq(lr__buf_str(&b), "a&lt;");
  lr__buf_reset(&b);
  lr__html_link(&b, "/ui/view/", "a b/<c>", NULL);
  cr_assert_str_eq(lr__buf_str(&b),
                   "<a href=\"/ui/view/a%20b%2F%3Cc%3E\">a b/&lt;c&gt;</a>");
  lr__buf_free(&b);
}

Test(ui, ui102_url_form_and_cookie) {
  lr__buf b, v;
  lr__buf_init(&b);
  lr__buf_init(&v);
  lr__ui_url_encode(&b, "x y&z=1;~é");
  cr_assert_str_eq(lr__buf_str(&b), "x%20y%26z%3D1%3B~%C3%A9");
  const char *form = "q=trips+a+day&features=v%3Af1&features=v%3Af2&bad=%zz"
                     "&empty=&flag";
  cr_assert_eq(lr__form_get(form, "q", &v), 1);
  cr_assert_str_eq(lr__buf_str(&v), "trips a day");
  cr_assert_eq(lr__form_get_nth(form, "features", 1, &v), 1);
  cr_assert_str_eq(lr__buf_str(&v), "v:f2");
  cr_assert_eq(lr__form_get_nth(form, "features", 2, &v), 0);
  cr_assert_eq(lr__form_get(form, "bad", &v), 1);
  cr_assert_str_eq(lr__buf_str(&v), "%zz");
  cr_assert_eq(lr__form_get(form, "empty", &v), 1);
  cr_assert_str_eq(lr__buf_str(&v), "");
  cr_assert_eq(lr__form_get(form, "flag", &v), 1);
  cr_assert_eq(lr__form_get(form, "missing", &v), 0);
  cr_assert_eq(lr__form_get(NULL, "q", &v), 0);
  const char *cookies = "a=1; larder_token=s3%3Bcret; larder_tokenx=no";
  cr_assert_eq(lr__cookie_get(cookies, "larder_token", &v), 1);
  cr_assert_str_eq(lr__buf_str(&v), "s3;cret");
  cr_assert_eq(lr__cookie_get("larder_tokenx=no", "larder_token", &v), 0);
  cr_assert_eq(lr__cookie_get(NULL, "larder_token", &v), 0);
  lr__buf_free(&b);
  lr__buf_free(&v);
}

Test(ui, ui103_histogram_from_percentiles) {
  double pct[101], edges[11], counts[10];
  for (int k = 0; k <= 100; k++)
    pct[k] = k; /* uniform over [0, 100] */
  cr_assert_eq(lr__svg_histogram_from_pct(pct, 1000, 10, edges, counts), 10);
  for (int j = 0; j < 10; j++) {
    cr_assert_float_eq(edges[j], 10.0 * j, 1e-9);
    cr_assert_float_eq(counts[j], 100, 1e-9, "bin %d: %g", j, counts[j]);
  }
  cr_assert_float_eq(edges[10], 100, 1e-9);
  for (int k = 0; k <= 100; k++) /* half the values are 0, then 1..50 */
    pct[k] = k < 50 ? 0 : k - 50;
  lr__svg_histogram_from_pct(pct, 200, 10, edges, counts);
  double total = 0;
  for (int j = 0; j < 10; j++)
    total += counts[j];
  cr_assert_float_eq(total, 200, 1e-9);
  cr_assert_float_eq(counts[0], 100 + 10, 1e-9, "%g", counts[0]);
  for (int k = 0; k <= 100; k++)
    pct[k] = 7; /* one value */
  cr_assert_eq(lr__svg_histogram_from_pct(pct, 42, 10, edges, counts), 1);
  cr_assert_float_eq(counts[0], 42, 1e-9);
  cr_assert_float_eq(edges[0], 7, 1e-9);
  cr_assert_float_eq(edges[1], 7, 1e-9);
}

Test(ui, ui104_svg_bars) {
  lr__buf b;
  lr__buf_init(&b);
  const char *labels[] = {"0 .. 1: 3", "1 .. 2: <5>", "2 .. 3: 0"};
  double values[] = {3, 5, 0};
  lr__svg_bars(&b, "Histogram of <x>", labels, values, 3, "0", "3");
  const char *s = lr__buf_str(&b);
  cr_assert(strncmp(s, "<svg class=\"chart\"", 18) == 0, "%s", s);
  cr_assert(strstr(s, "role=\"img\" aria-label=\"Histogram of &lt;x&gt;\""),
            "%s", s);
  cr_assert_eq(count_of(s, "<rect class=\"bar\""), 3, "%s", s);
  cr_assert(strstr(s, "<title>1 .. 2: &lt;5&gt;</title>"), "%s", s);
  cr_assert(strstr(s, "height=\"140.0\" fill="), "the tallest fills: %s", s);
  cr_assert_eq(count_of(s, "<x>"), 0, "%s", s);
  cr_assert(strstr(s, "</svg>") == s + strlen(s) - 6);
  lr__buf_reset(&b);
  lr__svg_bars(&b, "empty", NULL, NULL, 0, NULL, NULL);
  cr_assert(strstr(lr__buf_str(&b), ">no data</text></svg>"), "%s",
            lr__buf_str(&b));
  lr__buf_free(&b);
}

Test(ui, ui105_svg_lines) {
  lr__buf b;
  lr__buf_init(&b);
  double x[] = {1, 2, 3}, y1[] = {0.1, 0.2, 0.4}, y2[] = {0.3, INFINITY, 0};
  lr__svg_series s[] = {{"a<b", x, y1, 3}, {"c", x, y2, 3}};
  lr__svg_lines(&b, "Drift", s, 2, "t0", "t2");
  const char *t = lr__buf_str(&b);
  cr_assert_eq(count_of(t, "<polyline"), 2, "%s", t);
  cr_assert_eq(count_of(t, "<circle"), 5, "the infinite point is left out: "
               "%s", t);
  cr_assert(strstr(t, "<title>a&lt;b: 0.4</title>"), "%s", t);
  cr_assert(strstr(t, ">t0</text>") && strstr(t, ">t2</text>"), "%s", t);
  lr__buf_free(&b);
}

/* ---- the handler --------------------------------------------------------- */

#define UI_DEFS                                                               \
  "entities:\n"                                                               \
  "  - name: user\n"                                                          \
  "    join_keys: [user_id]\n"                                                \
  "    value_type: int64\n"                                                   \
  "    description: \"a <script>alert(1)</script> user\"\n"                   \
  "sources:\n"                                                                \
  "  - {name: s, kind: file, path: data/x.csv, timestamp_field: ts}\n"        \
  "request_sources:\n"                                                        \
  "  - {name: req, schema: [{name: val, dtype: int64}]}\n"                    \
  "feature_views:\n"                                                          \
  "  - name: stats\n"                                                         \
  "    entities: [user]\n"                                                    \
  "    source: s\n"                                                           \
  "    schema:\n"                                                             \
  "      - {name: clicks, dtype: int64, description: clicks a day}\n"

/* A server (not listening) on a fresh repo; `token` NULL for none. */
static lr__server *ui_server(char **dir, const char *token, int ui,
                             int read_only) {
  *dir = th_tempdir();
  th_apply_repo(*dir, TH_CONFIG, UI_DEFS);
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__buf_printf(&path, "%s/token", *dir);
  if (token)
    th_write(*dir, "token", token);
  lr_server_options opt = {.repo = *dir, .ui = ui, .read_only = read_only,
                           .token_file = token ? lr__buf_str(&path) : NULL};
  lr__server *s = NULL;
  cr_assert_eq(lr__server_create(&opt, &s, &err), 0, "%s", lr__buf_str(&err));
  lr__buf_free(&path);
  lr__buf_free(&err);
  return s;
}

/* One request through the server's handler; free with lr__reply_release. */
static void ask(lr__server *s, const char *method, const char *path,
                const char *auth, const char *cookie, const char *query,
                const char *body, lr__reply *r) {
  *r = (lr__reply){.status = 500, .cookie = cookie, .query = query};
  lr__buf_init(&r->body);
  lr__server_handle(s, method, path, auth, body, body ? strlen(body) : 0, r);
}

Test(ui, ui106_token_cookie_and_login) {
  char *dir;
  lr__server *s = ui_server(&dir, "tok;en\n", 1, 0);
  lr__reply r;
  const char *pages[] = {"/ui", "/ui/", "/ui/objects", "/ui/lookup",
                         "/ui/view/stats", "/ui/object/entity/user",
                         "/ui/none"};
  for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
    ask(s, "GET", pages[i], NULL, NULL, "", NULL, &r);
    cr_assert_eq(r.status, 401, "%s: %d", pages[i], r.status);
    cr_assert(strstr(lr__buf_str(&r.body), "name=\"token\""), "%s",
              pages[i]);
    lr__reply_release(&r);
  }
  ask(s, "GET", "/ui/", "Bearer tok;en", NULL, "", NULL, &r);
  cr_assert_eq(r.status, 200);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/", NULL, "larder_token=tok%3Ben", "", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.content_type, "text/html; charset=utf-8");
  cr_assert_eq(r.page, 1);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/", NULL, "larder_token=tok", "", NULL, &r);
  cr_assert_eq(r.status, 401);
  lr__reply_release(&r);
  ask(s, "POST", "/ui/login", NULL, NULL, NULL,
      "token=tok%3Ben&next=%2Fui%2Fobjects%3Fq%3Dx", &r);
  cr_assert_eq(r.status, 303);
  cr_assert_str_eq(r.set_cookie,
                   "larder_token=tok%3Ben; Path=/ui; HttpOnly; "
                   "SameSite=Strict");
  cr_assert_str_eq(r.location, "/ui/objects?q=x");
  lr__reply_release(&r);
  ask(s, "POST", "/ui/login", NULL, NULL, NULL,
      "token=tok%3Ben&next=%2F%2Fevil.example%2F", &r);
  cr_assert_str_eq(r.location, "/ui/", "another site is never a next");
  lr__reply_release(&r);
  ask(s, "POST", "/ui/login", NULL, NULL, NULL, "token=wrong", &r);
  cr_assert_eq(r.status, 401);
  cr_assert_null(r.set_cookie);
  cr_assert(strstr(lr__buf_str(&r.body), "That is not this server's token."));
  lr__reply_release(&r);
  ask(s, "GET", "/ui/static/ui.css", NULL, NULL, "", NULL, &r);
  cr_assert_eq(r.status, 200, "the stylesheet needs no token");
  cr_assert_str_eq(r.content_type, "text/css; charset=utf-8");
  lr__reply_release(&r);
  ask(s, "POST", "/ui/", "Bearer tok;en", NULL, "", "x", &r);
  cr_assert_eq(r.status, 405);
  cr_assert_str_eq(r.allow, "GET");
  lr__reply_release(&r);
  lr__server_free(s);
  th_rmrf(dir);
}

Test(ui, ui107_yaml_text_escaped_and_search) {
  char *dir;
  lr__server *s = ui_server(&dir, NULL, 1, 0);
  lr__reply r;
  const char *pages[] = {"/ui/object/entity/user", "/ui/objects"};
  for (size_t i = 0; i < 2; i++) {
    ask(s, "GET", pages[i], NULL, NULL, "", NULL, &r);
    const char *html = lr__buf_str(&r.body);
    cr_assert_eq(r.status, 200, "%s: %d", pages[i], r.status);
    cr_assert(strstr(html, "a &lt;script&gt;alert(1)&lt;/script&gt; user"),
              "%s: %s", pages[i], html);
    cr_assert_null(strstr(html, "<script>alert"), "%s", pages[i]);
    cr_assert_eq(count_of(html, "<script"), 1, "%s: only ui.js", pages[i]);
    lr__reply_release(&r);
  }
  ask(s, "GET", "/ui/objects", NULL, NULL, "q=CLICKS+A", NULL, &r);
  const char *html = lr__buf_str(&r.body);
  cr_assert(strstr(html, "<p id=\"matches\" role=\"status\">1 match for "
                         "<q>CLICKS A</q>.</p>"), "%s", html);
  cr_assert(strstr(html, ">stats:clicks</a>"), "%s", html);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/view/nope", NULL, NULL, "", NULL, &r);
  cr_assert_eq(r.status, 404);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/object/view/stats", NULL, NULL, "", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert(strstr(lr__buf_str(&r.body), "Defined at <code>defs.yaml:"),
            "%s", lr__buf_str(&r.body));
  lr__reply_release(&r);
  lr__server_free(s);
  th_rmrf(dir);
}

Test(ui, ui108_ui_off_and_read_only) {
  char *dir;
  lr__server *s = ui_server(&dir, NULL, 0, 1);
  lr__reply r;
  ask(s, "GET", "/ui/", NULL, NULL, NULL, NULL, &r);
  cr_assert_eq(r.status, 404, "without opt.ui /ui is no endpoint");
  cr_assert_eq(r.page, 0);
  lr__reply_release(&r);
  ask(s, "POST", "/write-to-online-store", NULL, NULL, NULL,
      "{\"feature_view_name\": \"stats\", \"df\": {}}", &r);
  cr_assert_eq(r.status, 403);
  cr_assert_str_eq(lr__buf_str(&r.body),
                   "{\"error\": \"read-only\", \"detail\": \"this server "
                   "serves the read API only (larder ui): write through "
                   "`larder serve`\"}\n");
  lr__reply_release(&r);
  ask(s, "POST", "/push", NULL, NULL, NULL, "{}", &r);
  cr_assert_eq(r.status, 403);
  lr__reply_release(&r);
  ask(s, "GET", "/health", NULL, NULL, NULL, NULL, &r);
  cr_assert_eq(r.status, 200, "%s", lr__buf_str(&r.body));
  lr__reply_release(&r);
  lr__server_free(s);
  th_rmrf(dir);
}

Test(ui, ui109_lookup_builds_the_request) {
  char *dir;
  lr__server *s = ui_server(&dir, NULL, 1, 0);
  lr__reply r;
  ask(s, "GET", "/ui/lookup", NULL, NULL,
      "features=stats%3Aclicks&key.user_id=1%2C+2&field.val=5", NULL, &r);
  const char *html = lr__buf_str(&r.body);
  cr_assert_eq(r.status, 200);
  cr_assert(strstr(html, "<pre id=\"request\">{&quot;features&quot;: "
                         "[&quot;stats:clicks&quot;], &quot;entities&quot;: "
                         "{&quot;user_id&quot;: [1, 2], &quot;val&quot;: "
                         "[5, 5]}}</pre>"), "%s", html);
  cr_assert(strstr(html, "<span class=\"status green\">HTTP 200</span>"),
            "%s", html);
  cr_assert_eq(count_of(html, "<td>PRESENT</td>"), 2, "the key of two "
               "entities: %s", html);
  cr_assert_eq(count_of(html, "<td>NOT_FOUND</td>"), 2, "the feature of two "
               "entities (an empty store): %s", html);
  cr_assert(strstr(html, "<input type=\"checkbox\" name=\"features\" "
                         "value=\"stats:clicks\" checked>"), "%s", html);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/lookup", NULL, NULL,
      "features=stats%3Aclicks&key.user_id=%22x%3Cy", NULL, &r);
  html = lr__buf_str(&r.body);
  cr_assert(strstr(html, "&quot;user_id&quot;: [&quot;\\&quot;x&lt;y&quot;]"),
            "a string for an int64 key is sent as one, escaped: %s", html);
  cr_assert(strstr(html, "<span class=\"status red\">HTTP 400</span>"),
            "%s", html);
  lr__reply_release(&r);
  ask(s, "GET", "/ui/lookup", NULL, NULL, "", NULL, &r);
  cr_assert_null(strstr(lr__buf_str(&r.body), "id=\"request\""),
                 "no lookup without features");
  lr__reply_release(&r);
  lr__server_free(s);
  th_rmrf(dir);
}

/* The overview of a server on repo `dir` (no token), into `out`. */
static void overview_of(const char *dir, lr__buf *out) {
  lr_server_options opt = {.repo = dir, .ui = 1};
  lr__buf err;
  lr__buf_init(&err);
  lr__server *s = NULL;
  cr_assert_eq(lr__server_create(&opt, &s, &err), 0, "%s", lr__buf_str(&err));
  lr__reply r;
  ask(s, "GET", "/ui/", NULL, NULL, "", NULL, &r);
  cr_assert_eq(r.status, 200, "%s", lr__buf_str(&r.body));
  lr__buf_puts(out, lr__buf_str(&r.body));
  lr__reply_release(&r);
  lr__server_free(s);
  lr__buf_free(&err);
}

Test(ui_replica, ui110_a_replica_shows_its_lag_and_the_primary_version) {
  int port;
  char *primary, *replica;
  pid_t redis = start_pair(&port, &primary, &replica);
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  put_rows_in(primary, 0, 5, 7, T0);
  run_exits(primary, "replicate", ONCE, 0, 20000);
  run_exits(replica, "replicate", ONCE, 0, 20000);
  lr_data_version v = version_of(replica);
  lr__buf html, want;
  lr__buf_init(&html);
  lr__buf_init(&want);
  overview_of(replica, &html);
  const char *page = lr__buf_str(&html);
  cr_assert(strstr(page, "<p>This store is a <strong>replica</strong>: "
                         "<span class=\"status green\">in step</span></p>"),
            "%s", page);
  lr__buf_printf(&want, "<dt>Primary's version</dt><dd>change %llu (the "
                 "log's last entry)</dd>\n<dt>Lag</dt><dd>0 entries, ",
                 v.seq);
  cr_assert(strstr(page, lr__buf_str(&want)), "want %s in %s",
            lr__buf_str(&want), page);
  lr__buf_reset(&want);
  lr__buf_printf(&want, "<code>%llu.%llu</code>", v.generation, v.seq);
  cr_assert(strstr(page, lr__buf_str(&want)), "the replica's version: %s",
            page);
  lr__buf_reset(&html);
  overview_of(primary, &html);
  cr_assert(strstr(lr__buf_str(&html), "This store is a <strong>primary"
                                       "</strong>"), "%s", lr__buf_str(&html));
  lr__buf_free(&html);
  lr__buf_free(&want);
  th_redis_stop(redis);
}

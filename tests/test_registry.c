/*
 * test_registry.c - the registry through the public API: lr_repo_open,
 * lr_repo_plan, lr_repo_apply, lr_repo_init and lr_registry_*. A good repo
 * applies and round-trips through ls/describe; definition errors are reported
 * with positions and hints and block the apply; plans list added, removed and
 * retyped features; the online row layout (slots) is kept across applies;
 * a failing rename leaves the old registry as it was; the replication block
 * of feature_store.yaml is read on its own, with its defaults and errors,
 * and leaves plan and apply as they were.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "process.h"
#include "registry/model.h"
#include "registry/regfile.h"
#include "registry/replication.h"
#include "util/fs.h"

/* ---- the fixture repo --------------------------------------------------- */

static const char defs_head[] =
    "entities:\n"                            /*  1 */
    "  - name: driver\n"                     /*  2 */
    "    join_keys: [driver_id]\n"           /*  3 */
    "    value_type: int64\n"                /*  4 */
    "    description: A driver\n"            /*  5 */
    "sources:\n"                             /*  6 */
    "  - name: stats_source\n"               /*  7 */
    "    kind: file\n"                       /*  8 */
    "    path: data/stats.csv\n"             /*  9 */
    "    timestamp_field: event_timestamp\n" /* 10 */
    "  - name: stats_sql\n"                  /* 11 */
    "    kind: sql\n"                        /* 12 */
    "    query: SELECT 1\n"                  /* 13 */
    "    timestamp_field: ts\n"              /* 14 */
    "request_sources:\n"                     /* 15 */
    "  - name: vals\n"                       /* 16 */
    "    schema:\n"                          /* 17 */
    "      - {name: val, dtype: int64}\n"    /* 18 */
    "feature_views:\n"                       /* 19 */
    "  - name: driver_stats\n"               /* 20 */
    "    entities: [driver]\n"               /* 21 */
    "    ttl: 1d\n"                          /* 22 */
    "    source: stats_source\n"             /* 23 */
    "    schema:\n";                         /* 24 */

/* lines 25-27 with the base schema */
static const char schema_base[] =
    "      - {name: conv_rate, dtype: float32}\n"
    "      - {name: acc_rate, dtype: float32}\n"
    "      - {name: trips, dtype: int64}\n";

static const char defs_tail[] =
    "on_demand_feature_views:\n"              /* 28 */
    "  - name: conv_plus\n"                   /* 29 */
    "    sources: [driver_stats, vals]\n"     /* 30 */
    "    schema:\n"                           /* 31 */
    "      - {name: conv_plus_val, dtype: float64, expr: \"conv_rate + val\"}\n"
    "feature_services:\n"                     /* 33 */
    "  - name: svc_v1\n"                      /* 34 */
    "    features:\n"                         /* 35 */
    "      - driver_stats: [conv_rate, trips]\n"
    "      - conv_plus\n";                    /* 37 */

/* Writes features.yaml with `schema` as the features of driver_stats. */
static void write_defs(const char *dir, const char *schema) {
  size_t n = strlen(defs_head) + strlen(schema) + strlen(defs_tail) + 1;
  char *text = malloc(n);
  snprintf(text, n, "%s%s%s", defs_head, schema, defs_tail);
  th_write(dir, "features.yaml", text);
  free(text);
}

/* A good repo: config, data file, definitions with the base schema. */
static char *good_repo(void) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,event_timestamp\n1,2024-01-01\n");
  write_defs(dir, schema_base);
  return dir;
}

/* Opens the repo at `dir` and applies it with `flags`, expecting `want`;
 * returns the plan text (lr_free it). */
static char *apply_repo(const char *dir, unsigned flags, int want) {
  lr_repo *repo = NULL;
  int rc = lr_repo_open(dir, &repo);
  cr_assert_not_null(repo);
  cr_assert_eq(rc, 0, "open: %s: %s", lr_err_name(rc), lr_repo_errmsg(repo));
  cr_assert_str_eq(lr_repo_errmsg(repo), "");
  char *plan = NULL;
  rc = lr_repo_apply(repo, flags, &plan);
  cr_assert_eq(rc, want, "apply: got %s, want %s: %s\n%s", lr_err_name(rc),
               lr_err_name(want), lr_repo_errmsg(repo), plan ? plan : "");
  lr_repo_close(repo);
  return plan;
}

static void apply_ok(const char *dir) { lr_free(apply_repo(dir, 0, 0)); }

/* The plan for `dir` (lr_free it), expecting `want`. */
static char *plan_repo(const char *dir, unsigned flags, int want) {
  lr_repo *repo = NULL;
  int rc = lr_repo_open(dir, &repo);
  cr_assert_eq(rc, 0, "open: %s", lr_repo_errmsg(repo));
  char *plan = NULL;
  rc = lr_repo_plan(repo, flags, &plan);
  cr_assert_eq(rc, want, "plan: got %s, want %s: %s", lr_err_name(rc),
               lr_err_name(want), lr_repo_errmsg(repo));
  cr_assert_not_null(plan);
  lr_repo_close(repo);
  return plan;
}

static lr_registry *open_registry(const char *dir) {
  lr_registry *reg = NULL;
  int rc = lr_registry_open(dir, &reg);
  cr_assert_not_null(reg);
  cr_assert_eq(rc, 0, "registry open: %s: %s", lr_err_name(rc),
               lr_registry_errmsg(reg));
  return reg;
}

static unsigned long long registry_version(const char *dir) {
  lr_registry *reg = open_registry(dir);
  unsigned long long v = 0;
  cr_assert_eq(lr_registry_version(reg, &v), 0);
  lr_registry_close(reg);
  return v;
}

static char *describe(const char *dir, const char *name, unsigned flags) {
  lr_registry *reg = open_registry(dir);
  char *out = NULL;
  int rc = lr_registry_describe(reg, name, flags, &out);
  cr_assert_eq(rc, 0, "describe %s: %s", name, lr_registry_errmsg(reg));
  lr_registry_close(reg);
  return out;
}

static char *list_kind(const char *dir, lr_kind kind, unsigned flags) {
  lr_registry *reg = open_registry(dir);
  char *out = NULL;
  int rc = lr_registry_list(reg, kind, flags, &out);
  cr_assert_eq(rc, 0, "list %d: %s", (int)kind, lr_registry_errmsg(reg));
  cr_assert_not_null(out);
  lr_registry_close(reg);
  return out;
}

/* The bytes of dir/rel (free them); NULL when missing. */
static char *read_bytes(const char *dir, const char *rel, size_t *len) {
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__fs_join(&path, dir, rel);
  char *data = NULL;
  if (lr__fs_read_file(lr__buf_str(&path), &data, len, &err) != 0)
    data = NULL;
  lr__buf_free(&path);
  lr__buf_free(&err);
  return data;
}

static void assert_same_bytes(const char *a, size_t na, const char *b,
                              size_t nb, const char *what) {
  cr_assert_not_null(a, "%s: missing", what);
  cr_assert_not_null(b, "%s: missing", what);
  cr_assert_eq(na, nb, "%s: %zu bytes, was %zu", what, nb, na);
  cr_assert_eq(memcmp(a, b, na), 0, "%s: the bytes changed", what);
}

/* Decodes the registry file of `dir` into the empty model `m`. */
static void decode_registry(const char *dir, lr__model *m) {
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__fs_join(&path, dir, "data/registry.db");
  int rc = lr__regfile_read(lr__buf_str(&path), m, &err);
  cr_assert_eq(rc, 0, "%s", lr__buf_str(&err));
  lr__buf_free(&path);
  lr__buf_free(&err);
}

/* The slot of `feature` in view `view` of a decoded registry. */
static int slot_of(const lr__model *m, const char *view, const char *feature) {
  const lr__view *v = lr__model_view(m, view);
  cr_assert_not_null(v, "no view %s", view);
  const lr__field *f = lr__view_feature(v, feature);
  cr_assert_not_null(f, "no feature %s in %s", feature, view);
  return f->slot;
}

/* Names in `dir` (not . and ..) joined by spaces, sorted; free it. */
static char *folder_listing(const char *dir) {
  DIR *d = opendir(dir);
  cr_assert_not_null(d, "cannot open %s", dir);
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
      names[n++] = strdup(e->d_name);
  closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char *t = names[j];
      names[j] = names[j - 1];
      names[j - 1] = t;
    }
  lr__buf out;
  lr__buf_init(&out);
  for (int i = 0; i < n; i++) {
    lr__buf_printf(&out, "%s%s", i ? " " : "", names[i]);
    free(names[i]);
  }
  char *s = lr__buf_steal(&out);
  return s;
}

static void assert_data_folder(const char *dir, const char *want) {
  char path[4096];
  snprintf(path, sizeof path, "%s/data", dir);
  char *got = folder_listing(path);
  cr_assert_str_eq(got, want, "data/ holds: %s", got);
  free(got);
}

static int failing_rename(const char *from, const char *to) {
  (void)from;
  (void)to;
  errno = EIO;
  return -1;
}

/* ---- a strict JSON checker ---------------------------------------------- */

typedef struct json {
  const char *p;
} json;

static void json_ws(json *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
    j->p++;
}

static int json_value(json *j);

static int json_string(json *j) {
  if (*j->p != '"')
    return 0;
  for (j->p++; *j->p != '"'; j->p++) {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20)
      return 0;
    if (c == '\\') {
      j->p++;
      if (*j->p == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!isxdigit((unsigned char)j->p[i]))
            return 0;
        j->p += 4;
      } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
        return 0;
      }
    }
  }
  j->p++;
  return 1;
}

static int json_number(json *j) {
  const char *s = j->p;
  if (*j->p == '-')
    j->p++;
  if (*j->p == '0')
    j->p++;
  else if (isdigit((unsigned char)*j->p))
    while (isdigit((unsigned char)*j->p))
      j->p++;
  else
    return 0;
  if (*j->p == '.') {
    j->p++;
    if (!isdigit((unsigned char)*j->p))
      return 0;
    while (isdigit((unsigned char)*j->p))
      j->p++;
  }
  if (*j->p == 'e' || *j->p == 'E') {
    j->p++;
    if (*j->p == '+' || *j->p == '-')
      j->p++;
    if (!isdigit((unsigned char)*j->p))
      return 0;
    while (isdigit((unsigned char)*j->p))
      j->p++;
  }
  return j->p > s;
}

static int json_value(json *j) {
  json_ws(j);
  if (*j->p == '{') {
    /* keys seen in this object: a key given twice is an error here (RFC
     * 8259 says SHOULD be unique; parsers disagree on which one wins) */
    const char *keys[128];
    size_t key_lens[128];
    int n_keys = 0;
    j->p++;
    json_ws(j);
    if (*j->p == '}')
      return j->p++, 1;
    for (;;) {
      json_ws(j);
      const char *key = j->p;
      if (!json_string(j))
        return 0;
      size_t key_len = (size_t)(j->p - key);
      for (int k = 0; k < n_keys; k++)
        if (key_lens[k] == key_len && !memcmp(keys[k], key, key_len))
          return 0;
      if (n_keys < 128) {
        keys[n_keys] = key;
        key_lens[n_keys++] = key_len;
      }
      json_ws(j);
      if (*j->p++ != ':')
        return 0;
      if (!json_value(j))
        return 0;
      json_ws(j);
      if (*j->p == '}')
        return j->p++, 1;
      if (*j->p++ != ',')
        return 0;
    }
  }
  if (*j->p == '[') {
    j->p++;
    json_ws(j);
    if (*j->p == ']')
      return j->p++, 1;
    for (;;) {
      if (!json_value(j))
        return 0;
      json_ws(j);
      if (*j->p == ']')
        return j->p++, 1;
      if (*j->p++ != ',')
        return 0;
    }
  }
  if (*j->p == '"')
    return json_string(j);
  if (!strncmp(j->p, "true", 4))
    return j->p += 4, 1;
  if (!strncmp(j->p, "false", 5))
    return j->p += 5, 1;
  if (!strncmp(j->p, "null", 4))
    return j->p += 4, 1;
  return json_number(j);
}

/* 1 when `text` is exactly one JSON value (surrounded by white space),
 * with no key twice in an object. */
static int is_json(const char *text) {
  json j = {text};
  if (!json_value(&j))
    return 0;
  json_ws(&j);
  return *j.p == '\0';
}

/* ---- definition errors -------------------------------------------------- */

/* The line of `text` containing `needle` (a copy; free it), or NULL. */
static char *line_with(const char *text, const char *needle) {
  const char *at = strstr(text, needle);
  if (!at)
    return NULL;
  const char *start = at;
  while (start > text && start[-1] != '\n')
    start--;
  size_t n = strcspn(start, "\n");
  return strndup(start, n);
}

/* 1 when `line` starts with `file:line:col: `. */
static int has_position_prefix(const char *line) {
  const char *p = line;
  while (*p && *p != ':' && *p != ' ')
    p++;
  if (p == line || *p++ != ':')
    return 0;
  if (!isdigit((unsigned char)*p))
    return 0;
  while (isdigit((unsigned char)*p))
    p++;
  if (*p++ != ':' || !isdigit((unsigned char)*p))
    return 0;
  while (isdigit((unsigned char)*p))
    p++;
  return p[0] == ':' && p[1] == ' ';
}

/* Checks the shape of a whole definition-error message: every line is a
 * `file:line:col: message` line followed by its `  hint: ` line. */
static void assert_message_shape(const char *msg) {
  cr_assert_gt(strlen(msg), 0u, "empty message");
  char *copy = strdup(msg);
  int expect_hint = 0, n_errors = 0;
  for (char *save, *line = strtok_r(copy, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (expect_hint) {
      cr_assert_eq(strncmp(line, "  hint: ", 8), 0,
                   "an error without a hint line before: '%s'\n%s", line, msg);
      cr_assert_gt(strlen(line), 8u, "an empty hint");
      expect_hint = 0;
      continue;
    }
    cr_assert(has_position_prefix(line),
              "a line without a file:line:col: prefix: '%s'\n%s", line, msg);
    n_errors++;
    expect_hint = 1;
  }
  cr_assert_not(expect_hint, "the last error has no hint line:\n%s", msg);
  cr_assert_gt(n_errors, 0);
  free(copy);
}

/* Writes a repo with `defs` as features.yaml, checks that opening, planning
 * and applying it all fail with LR_EDEFINITION without writing anything, and
 * that the message holds `want_line` (a `file:line:col: message` prefix)
 * with a hint containing `want_hint` right after it. */
static void expect_definition_error(const char *defs, const char *want_line,
                                    const char *want_hint) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,ts\n");
  th_write(dir, "features.yaml", defs);
  lr_repo *repo = NULL;
  int rc = lr_repo_open(dir, &repo);
  cr_assert_not_null(repo);
  cr_assert_eq(rc, LR_EDEFINITION, "open: %s: %s", lr_err_name(rc),
               lr_repo_errmsg(repo));
  const char *msg = lr_repo_errmsg(repo);
  assert_message_shape(msg);
  char *line = line_with(msg, want_line);
  cr_assert_not_null(line, "no '%s' in:\n%s", want_line, msg);
  cr_assert_eq(strncmp(line, want_line, strlen(want_line)), 0,
               "'%s' is not at the start of its line:\n%s", want_line, msg);
  const char *after = strstr(msg, line) + strlen(line);
  cr_assert_eq(strncmp(after, "\n  hint: ", 9), 0, "no hint after '%s'", line);
  char *hint = line_with(after + 1, "  hint: ");
  /* not fatal: the checks below and the cleanup still run */
  cr_expect(strstr(hint, want_hint), "hint '%s' lacks '%s'", hint, want_hint);
  free(hint);
  free(line);

  char *plan = (char *)0x1;
  cr_assert_eq(lr_repo_plan(repo, 0, &plan), LR_EDEFINITION);
  if (plan != (char *)0x1)
    lr_free(plan);
  plan = (char *)0x1;
  cr_assert_eq(lr_repo_apply(repo, LR_APPLY_FORCE, &plan), LR_EDEFINITION);
  if (plan != (char *)0x1)
    lr_free(plan);
  lr_repo_close(repo);
  assert_data_folder(dir, "stats.csv");
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(dir, &reg), LR_ENOREGISTRY);
  lr_registry_close(reg);
  th_rmrf(dir);
}

/* An entity and a file source, lines 1-4, for the definition-error cases. */
#define PREAMBLE                                                               \
  "entities:\n"                                                                \
  "  - {name: driver, join_keys: [driver_id], value_type: int64}\n"            \
  "sources:\n"                                                                 \
  "  - {name: src, kind: file, path: data/stats.csv, timestamp_field: ts}\n"

/* ---- tests: a good repo ------------------------------------------------- */

Test(registry, r001_good_repo_applies) {
  char *dir = good_repo();
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0, "%s", lr_repo_errmsg(repo));
  cr_assert_str_eq(lr_repo_errmsg(repo), "");
  char *plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), 0, "%s", lr_repo_errmsg(repo));
  cr_assert_not_null(plan);
  const char *want[] = {"(no registry yet)", "+ entity driver",
                        "+ source stats_source", "+ source stats_sql",
                        "+ request source vals", "+ feature view driver_stats",
                        "+ on-demand feature view conv_plus",
                        "+ feature service svc_v1",
                        "7 to create, 0 to change, 0 to remove.",
                        "Needs materialization: driver_stats",
                        "Applied: registry version 1"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_assert(strstr(plan, want[i]), "the plan lacks '%s':\n%s", want[i],
              plan);
  lr_free(plan);
  lr_repo_close(repo);
  assert_data_folder(dir, "registry.db stats.csv");
  cr_assert_eq(registry_version(dir), 1u);
  th_rmrf(dir);
}

Test(registry, r002_list_each_kind_as_text) {
  char *dir = good_repo();
  apply_ok(dir);
  static const struct {
    lr_kind kind;
    const char *header[6];
    const char *rows[4];
    const char *absent;
  } cases[] = {
      {LR_KIND_ENTITY, {"NAME", "JOIN_KEYS", "VALUE_TYPE", "DESCRIPTION"},
       {"driver", "driver_id", "int64", "A driver"}, "stats_source"},
      {LR_KIND_SOURCE, {"NAME", "KIND", "PATH", "QUERY", "BATCH_SOURCE"},
       {"stats_source", "stats_sql", "vals"}, "driver_stats"},
      {LR_KIND_FEATURE_VIEW,
       {"NAME", "ENTITIES", "SOURCE", "TTL", "ONLINE", "FEATURES"},
       {"driver_stats", "stats_source", "1d", "true"}, "conv_plus"},
      {LR_KIND_ON_DEMAND_VIEW,
       {"NAME", "SOURCES", "WRITE_TO_ONLINE_STORE", "FEATURES"},
       {"conv_plus", "driver_stats, vals", "false"}, "stats_source"},
      {LR_KIND_FEATURE_SERVICE, {"NAME", "FEATURES"},
       {"svc_v1", "driver_stats:conv_rate, driver_stats:trips, conv_plus"},
       "stats_sql"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    char *out = list_kind(dir, cases[c].kind, 0);
    size_t header_len = strcspn(out, "\n");
    for (int k = 0; k < 6 && cases[c].header[k]; k++) {
      const char *h = strstr(out, cases[c].header[k]);
      cr_assert(h && (size_t)(h - out) < header_len,
                "kind %d: no column %s in the header:\n%s", (int)cases[c].kind,
                cases[c].header[k], out);
    }
    for (int k = 0; k < 4 && cases[c].rows[k]; k++)
      cr_assert(strstr(out + header_len, cases[c].rows[k]),
                "kind %d: no '%s' in:\n%s", (int)cases[c].kind,
                cases[c].rows[k], out);
    cr_assert_null(strstr(out, cases[c].absent), "kind %d lists '%s':\n%s",
                   (int)cases[c].kind, cases[c].absent, out);
    cr_assert_eq(out[strlen(out) - 1], '\n');
    lr_free(out);
  }

  /* the table is aligned: each value starts under its heading */
  char *out = list_kind(dir, LR_KIND_FEATURE_VIEW, 0);
  const char *row = strchr(out, '\n') + 1;
  cr_assert_eq(strncmp(row, "driver_stats", 12), 0, "%s", out);
  const char *cols[][2] = {{"ENTITIES", "driver"}, {"SOURCE", "stats_source"},
                           {"TTL", "1d"}, {"ONLINE", "true"},
                           {"FEATURES", "3"}};
  for (size_t i = 0; i < 5; i++) {
    size_t head_at = (size_t)(strstr(out, cols[i][0]) - out);
    cr_assert_eq(strncmp(row + head_at, cols[i][1], strlen(cols[i][1])), 0,
                 "column %s is not aligned:\n%s", cols[i][0], out);
  }
  lr_free(out);

  /* sources are sorted by name: stats_source < stats_sql < vals */
  out = list_kind(dir, LR_KIND_SOURCE, 0);
  const char *a = strstr(out, "\nstats_source"), *b = strstr(out, "\nstats_sql"),
             *v = strstr(out, "\nvals");
  cr_assert(a && b && v && a < b && b < v, "not sorted by name:\n%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r003_list_each_kind_as_json) {
  char *dir = good_repo();
  apply_ok(dir);
  static const struct {
    lr_kind kind;
    const char *has[4];
    const char *absent;
  } cases[] = {
      {LR_KIND_ENTITY,
       {"\"kind\": \"entity\"", "\"name\": \"driver\"",
        "\"join_keys\": [\"driver_id\"]",
        "\"defined_at\": \"features.yaml:2:5\""},
       "stats_source"},
      {LR_KIND_SOURCE,
       {"\"name\": \"stats_source\"", "\"name\": \"stats_sql\"",
        "\"kind\": \"request source\"", "\"query\": \"SELECT 1\""},
       "driver_stats"},
      {LR_KIND_FEATURE_VIEW,
       {"\"kind\": \"feature view\"", "\"ttl\": \"1d\"",
        "{\"name\": \"trips\", \"dtype\": \"int64\"}",
        "\"defined_at\": \"features.yaml:20:5\""},
       "conv_plus"},
      {LR_KIND_ON_DEMAND_VIEW,
       {"\"kind\": \"on-demand feature view\"",
        "\"expr\": \"conv_rate + val\"", "\"sources\": [\"driver_stats\", "
                                         "\"vals\"]",
        "\"defined_at\": \"features.yaml:29:5\""},
       "stats_source"},
      {LR_KIND_FEATURE_SERVICE,
       {"\"kind\": \"feature service\"",
        "\"features\": [\"driver_stats:conv_rate\", \"driver_stats:trips\", "
        "\"conv_plus\"]",
        "\"defined_at\": \"features.yaml:34:5\""},
       "stats_sql"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    char *out = list_kind(dir, cases[c].kind, LR_FORMAT_JSON);
    cr_assert(is_json(out), "kind %d: not valid JSON:\n%s", (int)cases[c].kind,
              out);
    cr_assert_eq(out[0], '[', "a JSON array:\n%s", out);
    for (int k = 0; k < 4 && cases[c].has[k]; k++)
      cr_assert(strstr(out, cases[c].has[k]), "kind %d: no %s in:\n%s",
                (int)cases[c].kind, cases[c].has[k], out);
    cr_assert_null(strstr(out, cases[c].absent), "kind %d lists %s",
                   (int)cases[c].kind, cases[c].absent);
    lr_free(out);
  }
  th_rmrf(dir);
}

Test(registry, r004_describe_reports_defined_at) {
  char *dir = good_repo();
  apply_ok(dir);
  char *out = describe(dir, "driver", 0);
  cr_assert_eq(strncmp(out, "entity driver  (defined at features.yaml:2:5)\n",
                       46), 0, "%s", out);
  cr_assert(strstr(out, "  join_keys: driver_id\n"), "%s", out);
  cr_assert(strstr(out, "  value_type: int64\n"), "%s", out);
  cr_assert(strstr(out, "  description: A driver\n"), "%s", out);
  lr_free(out);

  out = describe(dir, "driver_stats", 0);
  cr_assert(strstr(out, "feature view driver_stats  (defined at "
                        "features.yaml:20:5)"), "%s", out);
  cr_assert(strstr(out, "conv_rate"), "%s", out);
  cr_assert(strstr(out, "float32"), "%s", out);
  cr_assert(strstr(out, "  ttl: 1d\n"), "%s", out);
  lr_free(out);

  out = describe(dir, "vals", LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert(strstr(out, "\"defined_at\": \"features.yaml:16:5\""), "%s", out);
  cr_assert(strstr(out, "{\"name\": \"val\", \"dtype\": \"int64\"}"), "%s",
            out);
  lr_free(out);

  out = describe(dir, "svc_v1", LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert(strstr(out, "\"defined_at\": \"features.yaml:34:5\""), "%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r005_describe_finds_one_name_in_several_kinds) {
  char *dir = good_repo();
  /* a source and a feature view may share a name */
  th_write(dir, "more/shared.yml",
           "sources:\n"
           "  - {name: shared, kind: sql, query: SELECT 2, timestamp_field: ts}\n"
           "feature_views:\n"
           "  - name: shared\n"
           "    entities: [driver]\n"
           "    source: shared\n"
           "    schema: [{name: s1, dtype: bool}]\n");
  apply_ok(dir);
  char *out = describe(dir, "shared", LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert(strstr(out, "\"kind\": \"source\""), "%s", out);
  cr_assert(strstr(out, "\"kind\": \"feature view\""), "%s", out);
  cr_assert(strstr(out, "\"defined_at\": \"more/shared.yml:2:6\""), "%s", out);
  cr_assert(strstr(out, "\"defined_at\": \"more/shared.yml:4:5\""), "%s", out);
  lr_free(out);
  out = describe(dir, "shared", 0);
  cr_assert(strstr(out, "source shared  (defined at more/shared.yml:2:6)"),
            "%s", out);
  cr_assert(strstr(out, "feature view shared  (defined at more/shared.yml:4:5)"),
            "%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r006_open_missing_folder_is_enotfound) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/does/not/exist", dir);
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(path, &repo), LR_ENOTFOUND);
  cr_assert_not_null(repo, "the handle comes back on failure");
  cr_assert(strstr(lr_repo_errmsg(repo), path), "%s", lr_repo_errmsg(repo));
  char *plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), LR_ENOTFOUND);
  lr_free(plan);
  lr_repo_close(repo);
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(path, &reg), LR_ENOTFOUND);
  cr_assert_not_null(reg);
  cr_assert(strstr(lr_registry_errmsg(reg), path), "%s",
            lr_registry_errmsg(reg));
  lr_registry_close(reg);
  cr_assert(!lr__fs_exists(path), "nothing was created");
  th_rmrf(dir);
}

Test(registry, r007_open_folder_without_config_is_enotfound) {
  char *dir = th_tempdir();
  th_write(dir, "features.yaml", "entities: []\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_ENOTFOUND);
  cr_assert_not_null(repo);
  cr_assert(strstr(lr_repo_errmsg(repo), dir), "%s", lr_repo_errmsg(repo));
  cr_assert(strstr(lr_repo_errmsg(repo), "feature_store.yaml"), "%s",
            lr_repo_errmsg(repo));
  lr_repo_close(repo);
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(dir, &reg), LR_ENOTFOUND);
  cr_assert(strstr(lr_registry_errmsg(reg), dir), "%s",
            lr_registry_errmsg(reg));
  lr_registry_close(reg);
  th_rmrf(dir);
}

/* ---- tests: definition errors ------------------------------------------- */

Test(registry, r008_definition_error_blocks_apply) {
  char *dir = good_repo();
  /* one error in each of two files, plus a good apply before */
  apply_ok(dir);
  size_t len_before;
  char *before = read_bytes(dir, "data/registry.db", &len_before);
  th_write(dir, "b.yaml",
           "entities:\n"
           "  - name: rider\n"
           "    join_keys: [rider_id]\n"
           "    value_type: float32\n");
  th_write(dir, "a.yaml",
           "feature_views:\n"
           "  - name: v2\n"
           "    entities: [driver]\n"
           "    source: stats_source\n"
           "    ttl: 5x\n"
           "    schema:\n"
           "      - {name: f, dtype: float16}\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  const char *msg = lr_repo_errmsg(repo);
  assert_message_shape(msg);
  const char *e1 = strstr(msg, "a.yaml:5:10: bad ttl '5x'");
  const char *e2 = strstr(msg, "a.yaml:7:26: unknown dtype 'float16'");
  const char *e3 = strstr(msg, "b.yaml:4:17: 'float32' cannot be the "
                               "value_type of entity 'rider'");
  cr_assert(e1 && e2 && e3, "missing errors in:\n%s", msg);
  cr_assert(e1 < e2 && e2 < e3, "not sorted by file and line:\n%s", msg);
  cr_assert_eq(strncmp(msg, "a.yaml:5:10: ", 13), 0, "%s", msg);
  char *plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), LR_EDEFINITION);
  lr_free(plan);
  lr_repo_close(repo);
  size_t len_after;
  char *after = read_bytes(dir, "data/registry.db", &len_after);
  assert_same_bytes(before, len_before, after, len_after, "registry");
  assert_data_folder(dir, "registry.db stats.csv");
  free(before);
  free(after);
  th_rmrf(dir);
}

Test(registry, r009_error_unknown_dtype) {
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float16}\n",
                          "features.yaml:10:26: unknown dtype 'float16'",
                          "float32");
}

Test(registry, r010_error_bad_ttl) {
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    ttl: 1y\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n",
                          "features.yaml:9:10: bad ttl '1y' in feature view "
                          "'v'",
                          "`0s` means no limit");
}

Test(registry, r011_error_duplicate_name_points_at_first) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "features.yaml",
           "entities:\n"
           "  - {name: driver, join_keys: [driver_id], value_type: int64}\n");
  th_write(dir, "other.yaml",
           "# the same entity again\n"
           "entities:\n"
           "  - {name: driver, join_keys: [driver_id], value_type: int64}\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  const char *msg = lr_repo_errmsg(repo);
  assert_message_shape(msg);
  cr_assert_str_eq(msg, "other.yaml:3:6: entity 'driver' is defined twice\n"
                        "  hint: the first is at features.yaml:2:6; rename or "
                        "remove one");
  lr_repo_close(repo);
  th_rmrf(dir);
}

Test(registry, r012_error_unknown_field_suggests) {
  expect_definition_error("entities:\n"
                          "  - name: driver\n"
                          "    join_key: [driver_id]\n"
                          "    value_type: int64\n",
                          "features.yaml:3:5: unknown field 'join_key' in "
                          "entity 'driver'",
                          "did you mean 'join_keys'?");
  expect_definition_error("entities:\n"
                          "  - name: driver\n"
                          "    join_key: [driver_id]\n"
                          "    value_type: int64\n",
                          "features.yaml:2:5: entity 'driver' has no "
                          "'join_keys'",
                          "add the missing field");
}

Test(registry, r013_error_unknown_top_level_key) {
  expect_definition_error("feature_view:\n  - name: x\n",
                          "features.yaml:1:1: unknown top-level key "
                          "'feature_view'",
                          "did you mean 'feature_views'?");
}

Test(registry, r014_error_feature_collision_in_service) {
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v1\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n"
                          "  - name: v2\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n"
                          "feature_services:\n"
                          "  - name: s\n"
                          "    features:\n"
                          "      - v1\n"
                          "      - v2\n",
                          "features.yaml:20:9: feature name 'f' collides in "
                          "feature service 's'",
                          "'f' also comes from view 'v1' (features.yaml:19)");
}

Test(registry, r015_error_join_key_types_disagree) {
  expect_definition_error(
      "entities:\n"
      "  - {name: driver, join_keys: [driver_id], value_type: int64}\n"
      "  - {name: driver2, join_keys: [driver_id], value_type: string}\n",
      "features.yaml:3:57: join key 'driver_id' of entity 'driver2' is "
      "string",
      "entity 'driver' (features.yaml:2) declares it int64");
}

Test(registry, r017_error_odfv_without_expr) {
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n"
                          "on_demand_feature_views:\n"
                          "  - name: o\n"
                          "    sources: [v]\n"
                          "    schema:\n"
                          "      - {name: g, dtype: float64}\n",
                          "features.yaml:15:10: feature 'g' of on-demand "
                          "feature view 'o' has no 'expr'",
                          "give it an expression");
}

Test(registry, r018_error_yaml_syntax_and_array_type) {
  expect_definition_error("entities: [unclosed\n", "features.yaml:",
                          "fix the YAML syntax");
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [driver]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: array<bool>}\n",
                          "features.yaml:10:26: unsupported array type "
                          "'array<bool>'",
                          "array<T>");
}

Test(registry, r019_error_unknown_entity_suggests) {
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [drivr]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n",
                          "features.yaml:", "did you mean 'driver'?");
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [driver]\n"
                          "    source: srcc\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n",
                          "features.yaml:", "did you mean 'src'?");
}

/* ---- tests: versions and plans ------------------------------------------ */

Test(registry, r020_version_increments_only_on_change) {
  char *dir = good_repo();
  apply_ok(dir);
  cr_assert_eq(registry_version(dir), 1u);
  size_t len1;
  char *v1 = read_bytes(dir, "data/registry.db", &len1);

  /* unchanged: the plan says so, nothing is written */
  char *plan = apply_repo(dir, 0, 0);
  cr_assert(strstr(plan, "no changes"), "%s", plan);
  cr_assert_null(strstr(plan, "Applied:"), "%s", plan);
  lr_free(plan);
  size_t len2;
  char *v1_again = read_bytes(dir, "data/registry.db", &len2);
  assert_same_bytes(v1, len1, v1_again, len2, "registry after a no-op apply");
  cr_assert_eq(registry_version(dir), 1u);

  /* a change: version 2 */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n"
                  "      - {name: extra, dtype: bool}\n");
  plan = apply_repo(dir, 0, 0);
  cr_assert(strstr(plan, "Applied: registry version 2"), "%s", plan);
  lr_free(plan);
  cr_assert_eq(registry_version(dir), 2u);
  /* and unchanged again: still 2 */
  apply_ok(dir);
  cr_assert_eq(registry_version(dir), 2u);
  /* a removed object counts as a change */
  th_write(dir, "features.yaml", "entities:\n"
                                 "  - name: driver\n"
                                 "    join_keys: [driver_id]\n"
                                 "    value_type: int64\n"
                                 "    description: A driver\n");
  plan = apply_repo(dir, 0, 0);
  cr_assert(strstr(plan, "- feature view driver_stats"), "%s", plan);
  cr_assert(strstr(plan, "- feature service svc_v1"), "%s", plan);
  cr_assert(strstr(plan, "0 to create, 0 to change, 6 to remove."), "%s",
            plan);
  lr_free(plan);
  cr_assert_eq(registry_version(dir), 3u);
  free(v1);
  free(v1_again);
  th_rmrf(dir);
}

Test(registry, r021_plan_added_feature) {
  char *dir = good_repo();
  apply_ok(dir);
  size_t len1;
  char *before = read_bytes(dir, "data/registry.db", &len1);
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: new_feat, dtype: float64}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  char *plan = plan_repo(dir, 0, 0);
  cr_assert(strstr(plan, "(registry version 1)"), "%s", plan);
  cr_assert(strstr(plan, "~ feature view driver_stats"), "%s", plan);
  cr_assert(strstr(plan, "+ feature new_feat (float64)"), "%s", plan);
  cr_assert(strstr(plan, "materialize"), "%s", plan);
  cr_assert(strstr(plan, "Needs materialization: driver_stats"), "%s", plan);
  cr_assert(strstr(plan, "0 to create, 1 to change, 0 to remove."), "%s", plan);
  cr_assert_null(strstr(plan, "force"), "%s", plan);
  lr_free(plan);
  /* plan writes nothing */
  size_t len2;
  char *after = read_bytes(dir, "data/registry.db", &len2);
  assert_same_bytes(before, len1, after, len2, "registry after plan");
  assert_data_folder(dir, "registry.db stats.csv");
  apply_ok(dir);
  char *out = describe(dir, "driver_stats", LR_FORMAT_JSON);
  cr_assert(strstr(out, "{\"name\": \"new_feat\", \"dtype\": \"float64\"}"),
            "%s", out);
  lr_free(out);
  free(before);
  free(after);
  th_rmrf(dir);
}

Test(registry, r022_plan_removed_feature) {
  char *dir = good_repo();
  apply_ok(dir);
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  char *plan = plan_repo(dir, 0, 0);
  cr_assert(strstr(plan, "~ feature view driver_stats"), "%s", plan);
  cr_assert(strstr(plan, "- feature acc_rate"), "%s", plan);
  cr_assert_null(strstr(plan, "+ feature"), "%s", plan);
  cr_assert_null(strstr(plan, "force"), "%s", plan);
  lr_free(plan);
  apply_ok(dir);
  cr_assert_eq(registry_version(dir), 2u);
  char *out = describe(dir, "driver_stats", 0);
  cr_assert_null(strstr(out, "acc_rate"), "%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r023_retyped_feature_needs_force) {
  char *dir = good_repo();
  apply_ok(dir);
  size_t len1;
  char *before = read_bytes(dir, "data/registry.db", &len1);
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: float64}\n");
  /* plan: LR_ENEEDFORCE, with the plan text */
  char *plan = plan_repo(dir, 0, LR_ENEEDFORCE);
  cr_assert(strstr(plan, "~ feature trips: int64 -> float64  needs force: "
                         "drops the view's online rows\n"), "%s", plan);
  cr_assert(strstr(plan, "Some changes drop stored online rows: they need a "
                         "forced apply.\n"), "%s", plan);
  lr_free(plan);

  /* apply without force: refused, nothing written */
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0);
  plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), LR_ENEEDFORCE);
  cr_assert_not_null(plan, "the plan is returned with LR_ENEEDFORCE");
  cr_assert(strstr(plan, "~ feature trips: int64 -> float64"), "%s", plan);
  cr_assert_null(strstr(plan, "Applied:"), "%s", plan);
  cr_assert_str_eq(lr_repo_errmsg(repo), "the plan drops stored online rows; "
                   "a forced apply (LR_APPLY_FORCE) accepts that");
  lr_free(plan);
  size_t len2;
  char *after = read_bytes(dir, "data/registry.db", &len2);
  assert_same_bytes(before, len1, after, len2, "registry after refused apply");
  assert_data_folder(dir, "registry.db stats.csv");

  /* with LR_APPLY_FORCE, on the same handle: done */
  plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, LR_APPLY_FORCE, &plan), 0, "%s",
               lr_repo_errmsg(repo));
  cr_assert(strstr(plan, "will be dropped"), "%s", plan);
  cr_assert(strstr(plan, "Applied: registry version 2"), "%s", plan);
  lr_free(plan);
  lr_repo_close(repo);
  cr_assert_eq(registry_version(dir), 2u);
  char *out = describe(dir, "driver_stats", LR_FORMAT_JSON);
  cr_assert(strstr(out, "{\"name\": \"trips\", \"dtype\": \"float64\"}"), "%s",
            out);
  lr_free(out);
  free(before);
  free(after);
  th_rmrf(dir);
}

Test(registry, r024_plan_with_force_says_rows_are_dropped) {
  char *dir = good_repo();
  apply_ok(dir);
  write_defs(dir, "      - {name: conv_rate, dtype: float64}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  char *plan = plan_repo(dir, LR_APPLY_FORCE, 0);
  cr_assert(strstr(plan, "~ feature conv_rate: float32 -> float64"), "%s",
            plan);
  cr_assert(strstr(plan, "the online rows of driver_stats will be dropped"),
            "%s", plan);
  lr_free(plan);
  cr_assert_eq(registry_version(dir), 1u, "plan wrote nothing");
  th_rmrf(dir);
}

Test(registry, r025_changed_entity_key_needs_force) {
  char *dir = good_repo();
  apply_ok(dir);
  char *text = th_read(dir, "features.yaml");
  char *at = strstr(text, "value_type: int64");
  cr_assert_not_null(at);
  lr__buf b;
  lr__buf_init(&b);
  lr__buf_append(&b, text, (size_t)(at - text));
  lr__buf_puts(&b, "value_type: string");
  lr__buf_puts(&b, at + strlen("value_type: int64"));
  th_write(dir, "features.yaml", lr__buf_str(&b));
  lr__buf_free(&b);
  free(text);
  char *plan = plan_repo(dir, 0, LR_ENEEDFORCE);
  cr_assert(strstr(plan, "~ entity driver"), "%s", plan);
  cr_assert(strstr(plan, "value_type: int64 -> string"), "%s", plan);
  cr_assert(strstr(plan, "entity key changed"), "%s", plan);
  lr_free(plan);
  lr_free(apply_repo(dir, 0, LR_ENEEDFORCE));
  cr_assert_eq(registry_version(dir), 1u);
  lr_free(apply_repo(dir, LR_APPLY_FORCE, 0));
  cr_assert_eq(registry_version(dir), 2u);
  th_rmrf(dir);
}

/* ---- tests: slots -------------------------------------------------------- */

Test(registry, r026_slots_kept_and_added_feature_takes_next_slot) {
  char *dir = good_repo();
  apply_ok(dir);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "acc_rate"), 1);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 2);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 3);
  uint32_t epoch = lr__model_view(&m, "driver_stats")->layout_epoch;
  cr_assert_eq(slot_of(&m, "conv_plus", "conv_plus_val"), 0);
  lr__model_free(&m);

  /* a feature added in the middle of the schema takes the next slot; the
   * others keep theirs */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: added, dtype: int32}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  apply_ok(dir);
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "added"), 3);
  cr_assert_eq(slot_of(&m, "driver_stats", "acc_rate"), 1);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 2);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 4);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->layout_epoch, epoch,
               "adding a feature keeps the view's database");
  lr__model_free(&m);

  /* reordering the schema moves no slot */
  write_defs(dir, "      - {name: trips, dtype: int64}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: added, dtype: int32}\n"
                  "      - {name: conv_rate, dtype: float32}\n");
  lr_free(apply_repo(dir, 0, 0));
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "acc_rate"), 1);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 2);
  cr_assert_eq(slot_of(&m, "driver_stats", "added"), 3);
  lr__model_free(&m);
  th_rmrf(dir);
}

Test(registry, r027_removed_slot_is_not_reused) {
  char *dir = good_repo();
  apply_ok(dir);
  /* remove acc_rate (slot 1) */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  apply_ok(dir);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 2);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 3);
  uint32_t epoch = lr__model_view(&m, "driver_stats")->layout_epoch;
  lr__model_free(&m);
  /* a new feature takes slot 3, not the free slot 1; re-adding acc_rate
   * gives it a new slot too */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n"
                  "      - {name: fresh, dtype: string}\n");
  apply_ok(dir);
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "fresh"), 3);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 2);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 4);
  lr__model_free(&m);
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n"
                  "      - {name: fresh, dtype: string}\n");
  apply_ok(dir);
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "acc_rate"), 4);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 5);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->layout_epoch, epoch,
               "removing and adding features keeps the view's database");
  lr__model_free(&m);
  th_rmrf(dir);
}

Test(registry, r028_forced_retype_bumps_epoch_and_renumbers) {
  char *dir = good_repo();
  apply_ok(dir);
  /* make gaps: remove acc_rate, add two */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n"
                  "      - {name: a1, dtype: int32}\n"
                  "      - {name: a2, dtype: int32}\n");
  apply_ok(dir);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_assert_eq(slot_of(&m, "driver_stats", "a2"), 4);
  cr_assert_eq(lr__model_view(&m, "driver_stats")->next_slot, 5);
  uint32_t epoch_before = lr__model_view(&m, "driver_stats")->layout_epoch;
  lr__model_free(&m);

  /* retype trips with --force */
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: float64}\n"
                  "      - {name: a1, dtype: int32}\n"
                  "      - {name: a2, dtype: int32}\n");
  lr_free(apply_repo(dir, LR_APPLY_FORCE, 0));
  lr__model_init(&m);
  decode_registry(dir, &m);
  const lr__view *v = lr__model_view(&m, "driver_stats");
  cr_assert_eq(v->layout_epoch, epoch_before + 1);
  cr_assert_eq(slot_of(&m, "driver_stats", "conv_rate"), 0);
  cr_assert_eq(slot_of(&m, "driver_stats", "trips"), 1);
  cr_assert_eq(slot_of(&m, "driver_stats", "a1"), 2);
  cr_assert_eq(slot_of(&m, "driver_stats", "a2"), 3);
  cr_assert_eq(v->next_slot, 4);
  /* the other views are untouched */
  cr_assert_eq(lr__model_view(&m, "conv_plus")->layout_epoch, 0u);
  lr__model_free(&m);
  th_rmrf(dir);
}

/* ---- tests: failing writes ---------------------------------------------- */

Test(registry, r029_apply_with_failing_rename_keeps_old_registry) {
  char *dir = good_repo();
  apply_ok(dir);
  size_t len1;
  char *before = read_bytes(dir, "data/registry.db", &len1);
  write_defs(dir, "      - {name: conv_rate, dtype: float32}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n"
                  "      - {name: more, dtype: int64}\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0);
  int (*saved)(const char *, const char *) = lr__fs_rename;
  lr__fs_rename = failing_rename;
  char *plan = NULL;
  int rc = lr_repo_apply(repo, 0, &plan);
  lr__fs_rename = saved;
  cr_assert_eq(rc, LR_EIO, "got %s", lr_err_name(rc));
  cr_assert(strstr(lr_repo_errmsg(repo), "registry.db"), "%s",
            lr_repo_errmsg(repo));
  if (plan)
    cr_assert_null(strstr(plan, "Applied:"), "%s", plan);
  lr_free(plan);
  size_t len2;
  char *after = read_bytes(dir, "data/registry.db", &len2);
  assert_same_bytes(before, len1, after, len2, "registry after failed apply");
  assert_data_folder(dir, "registry.db stats.csv");
  cr_assert_eq(registry_version(dir), 1u);

  /* the same handle applies once the rename works again */
  plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), 0, "%s", lr_repo_errmsg(repo));
  cr_assert(strstr(plan, "Applied: registry version 2"), "%s", plan);
  lr_free(plan);
  lr_repo_close(repo);
  cr_assert_eq(registry_version(dir), 2u);
  free(before);
  free(after);
  th_rmrf(dir);
}

Test(registry, r030_first_apply_with_failing_rename_writes_nothing) {
  char *dir = good_repo();
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0);
  int (*saved)(const char *, const char *) = lr__fs_rename;
  lr__fs_rename = failing_rename;
  char *plan = NULL;
  int rc = lr_repo_apply(repo, 0, &plan);
  lr__fs_rename = saved;
  lr_free(plan);
  lr_repo_close(repo);
  cr_assert_eq(rc, LR_EIO);
  assert_data_folder(dir, "stats.csv");
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(dir, &reg), LR_ENOREGISTRY);
  lr_registry_close(reg);
  th_rmrf(dir);
}

/* ---- tests: init ---------------------------------------------------------- */

Test(registry, r031_init_output_applies_cleanly) {
  char *tmp = th_tempdir();
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/new/repo", tmp);
  char *err = (char *)0x1;
  cr_assert_eq(lr_repo_init(dir, &err), 0, "%s", err ? err : "");
  cr_assert_null(err, "no message on success");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0, "%s", lr_repo_errmsg(repo));
  cr_assert_str_eq(lr_repo_errmsg(repo), "");
  char *plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), 0, "%s", lr_repo_errmsg(repo));
  cr_assert(strstr(plan, "Applied: registry version 1"), "%s", plan);
  lr_free(plan);
  lr_repo_close(repo);
  cr_assert_eq(registry_version(dir), 1u);
  char *out = list_kind(dir, LR_KIND_FEATURE_VIEW, 0);
  cr_assert(strstr(out, "driver_hourly_stats"), "%s", out);
  lr_free(out);
  out = list_kind(dir, LR_KIND_ON_DEMAND_VIEW, LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert(strstr(out, "transformed_conv_rate"), "%s", out);
  lr_free(out);
  out = describe(dir, "driver_activity_v1", 0);
  cr_assert(strstr(out, "feature service driver_activity_v1"), "%s", out);
  lr_free(out);
  /* hourly rows for a few hundred drivers over two weeks, as Parquet */
  lr__duckdb d;
  lr__buf sql, rows, why;
  lr__buf_init(&sql);
  lr__buf_init(&rows);
  lr__buf_init(&why);
  cr_assert_eq(lr__duckdb_open(&d, &why), 0, "%s", lr__buf_str(&why));
  lr__buf_printf(&sql, "SELECT count(*), count(DISTINCT driver_id), "
                 "count(DISTINCT event_timestamp) FROM read_parquet('%s/data/"
                 "driver_stats.parquet')", dir);
  cr_assert_eq(lr__duckdb_run(&d, lr__buf_str(&sql), 3, &rows, &why), 0, "%s",
               lr__buf_str(&why));
  unsigned long n_rows, n_drivers, n_hours;
  cr_assert_eq(sscanf(lr__buf_str(&rows), "%lu\t%lu\t%lu", &n_rows,
                      &n_drivers, &n_hours), 3, "%s", lr__buf_str(&rows));
  cr_assert_geq(n_drivers, 200u);
  cr_assert_eq(n_hours, 14u * 24);
  cr_assert_eq(n_rows, n_drivers * n_hours);
  lr__duckdb_close(&d);
  lr__buf_free(&sql);
  lr__buf_free(&rows);
  lr__buf_free(&why);
  size_t len;
  char *entities = read_bytes(dir, "data/entity_rows.csv", &len);
  cr_assert_not_null(entities, "entity rows for `larder historical`");
  cr_assert(strstr(entities, "driver_id,event_timestamp,val_to_add,"
                            "val_to_add_2\n"), "%s", entities);
  free(entities);
  th_rmrf(tmp);
}

Test(registry, r032_init_twice_is_eexists) {
  char *dir = th_tempdir();
  cr_assert_eq(lr_repo_init(dir, NULL), 0);
  size_t len1;
  char *defs = read_bytes(dir, "features.yaml", &len1);
  th_write(dir, "feature_store.yaml", "project: edited_by_user\n");
  char *err = NULL;
  cr_assert_eq(lr_repo_init(dir, &err), LR_EEXISTS);
  cr_assert_not_null(err);
  cr_assert(strstr(err, dir), "%s", err);
  lr_free(err);
  char *config = th_read(dir, "feature_store.yaml");
  cr_assert_str_eq(config, "project: edited_by_user\n", "left untouched");
  free(config);
  size_t len2;
  char *defs2 = read_bytes(dir, "features.yaml", &len2);
  assert_same_bytes(defs, len1, defs2, len2, "features.yaml");
  free(defs);
  free(defs2);
  th_rmrf(dir);
}

/* ---- tests: registry handles ---------------------------------------------- */

Test(registry, r033_registry_open_before_apply_is_enoregistry) {
  char *dir = good_repo();
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(dir, &reg), LR_ENOREGISTRY);
  cr_assert_not_null(reg);
  cr_assert(strstr(lr_registry_errmsg(reg), "larder apply"), "%s",
            lr_registry_errmsg(reg));
  lr_registry_close(reg);
  th_rmrf(dir);
}

Test(registry, r034_describe_unknown_name_suggests) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_registry *reg = open_registry(dir);
  char *out = (char *)0x1;
  cr_assert_eq(lr_registry_describe(reg, "drivr_stats", 0, &out),
               LR_ENOTFOUND);
  cr_assert_eq(out, (char *)0x1, "no output on failure");
  const char *msg = lr_registry_errmsg(reg);
  cr_assert(strstr(msg, "'drivr_stats'"), "%s", msg);
  cr_assert(strstr(msg, "did you mean 'driver_stats'?"), "%s", msg);
  cr_assert_eq(lr_registry_describe(reg, "zzzzzzzzzzzzzzzz", LR_FORMAT_JSON,
                                    &out), LR_ENOTFOUND);
  cr_assert(strstr(lr_registry_errmsg(reg), "known objects:"), "%s",
            lr_registry_errmsg(reg));
  /* a success clears the message */
  out = NULL;
  cr_assert_eq(lr_registry_describe(reg, "driver", 0, &out), 0);
  cr_assert_str_eq(lr_registry_errmsg(reg), "");
  lr_free(out);
  lr_registry_close(reg);
  th_rmrf(dir);
}

Test(registry, r035_null_arguments_are_einval) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_repo *repo = (lr_repo *)0x1;
  cr_assert_eq(lr_repo_open(NULL, &repo), LR_EINVAL);
  cr_assert_not_null(repo);
  cr_assert_neq(repo, (lr_repo *)0x1);
  cr_assert_gt(strlen(lr_repo_errmsg(repo)), 0u);
  lr_repo_close(repo);
  cr_assert_eq(lr_repo_open(dir, NULL), LR_EINVAL);
  char *plan = NULL;
  cr_assert_eq(lr_repo_plan(NULL, 0, &plan), LR_EINVAL);
  cr_assert_eq(lr_repo_apply(NULL, 0, &plan), LR_EINVAL);
  cr_assert_null(plan);
  cr_assert_not_null(lr_repo_errmsg(NULL));
  lr_repo_close(NULL);

  lr_registry *reg = (lr_registry *)0x1;
  cr_assert_eq(lr_registry_open(NULL, &reg), LR_EINVAL);
  cr_assert_not_null(reg);
  cr_assert_neq(reg, (lr_registry *)0x1);
  lr_registry_close(reg);
  cr_assert_eq(lr_registry_open(dir, NULL), LR_EINVAL);
  char *out = NULL;
  unsigned long long v;
  cr_assert_eq(lr_registry_list(NULL, LR_KIND_ENTITY, 0, &out), LR_EINVAL);
  cr_assert_eq(lr_registry_describe(NULL, "driver", 0, &out), LR_EINVAL);
  cr_assert_eq(lr_registry_version(NULL, &v), LR_EINVAL);
  cr_assert_not_null(lr_registry_errmsg(NULL));
  lr_registry_close(NULL);
  reg = open_registry(dir);
  cr_assert_eq(lr_registry_list(reg, LR_KIND_ENTITY, 0, NULL), LR_EINVAL);
  cr_assert_eq(lr_registry_describe(reg, NULL, 0, &out), LR_EINVAL);
  cr_assert_eq(lr_registry_describe(reg, "driver", 0, NULL), LR_EINVAL);
  cr_assert_eq(lr_registry_version(reg, NULL), LR_EINVAL);
  cr_assert_null(out);
  lr_registry_close(reg);

  char *err = (char *)0x1;
  cr_assert_eq(lr_repo_init(NULL, &err), LR_EINVAL);
  cr_assert(err == NULL || err == (char *)0x1 || strlen(err) > 0);
  if (err != (char *)0x1)
    lr_free(err);
  th_rmrf(dir);
}

Test(registry, r036_list_unknown_kind_is_einval) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_registry *reg = open_registry(dir);
  char *out = NULL;
  cr_assert_eq(lr_registry_list(reg, (lr_kind)0, 0, &out), LR_EINVAL);
  cr_assert_eq(lr_registry_list(reg, (lr_kind)99, LR_FORMAT_JSON, &out),
               LR_EINVAL);
  cr_assert_null(out);
  cr_assert(strstr(lr_registry_errmsg(reg), "99"), "%s",
            lr_registry_errmsg(reg));
  lr_registry_close(reg);
  th_rmrf(dir);
}

Test(registry, r037_registry_open_damaged_file_is_ecorrupt) {
  char *dir = good_repo();
  apply_ok(dir);
  size_t len;
  char *data = read_bytes(dir, "data/registry.db", &len);
  data[len / 3] ^= 0x40;
  char path[4096];
  snprintf(path, sizeof path, "%s/data/registry.db", dir);
  FILE *f = fopen(path, "wb");
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
  free(data);
  lr_registry *reg = NULL;
  cr_assert_eq(lr_registry_open(dir, &reg), LR_ECORRUPT);
  cr_assert(strstr(lr_registry_errmsg(reg), "registry.db"), "%s",
            lr_registry_errmsg(reg));
  lr_registry_close(reg);
  /* plan and apply report it too rather than overwrite silently */
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0);
  char *plan = NULL;
  cr_assert_eq(lr_repo_plan(repo, 0, &plan), LR_ECORRUPT);
  lr_free(plan);
  lr_repo_close(repo);
  th_rmrf(dir);
}

Test(registry, r038_list_of_an_empty_kind) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "features.yaml",
           "entities:\n"
           "  - {name: only, join_keys: [k], value_type: string}\n");
  apply_ok(dir);
  char *out = list_kind(dir, LR_KIND_FEATURE_SERVICE, LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert_str_eq(out, "[]\n");
  lr_free(out);
  out = list_kind(dir, LR_KIND_FEATURE_VIEW, 0);
  cr_assert_eq(strncmp(out, "NAME", 4), 0, "the header alone: %s", out);
  cr_assert_eq(strchr(out, '\n') - out + 1, (long)strlen(out), "%s", out);
  lr_free(out);
  out = list_kind(dir, LR_KIND_ENTITY, LR_FORMAT_JSON);
  cr_assert(is_json(out), "%s", out);
  cr_assert(strstr(out, "\"value_type\": \"string\""), "%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r039_skipped_paths_and_nested_definitions) {
  char *dir = good_repo();
  /* broken YAML where the loader must not look */
  th_write(dir, "data/bad.yaml", "entities: [[[\n");
  th_write(dir, ".hidden/bad.yaml", "entities: [[[\n");
  th_write(dir, "vendor/bad.yaml", "entities: [[[\n");
  th_write(dir, "docs/x.yml", "not: definitions\n");
  th_write(dir, ".larderignore", "# generated\nvendor/\ndocs/*.yml\n");
  th_write(dir, "notes.txt", "entities: [[[\n");
  /* definitions below sub-folders, .yml too */
  th_write(dir, "sub/dir/more.yml",
           "entities:\n"
           "  - {name: customer, join_keys: [customer_id], value_type: "
           "string}\n");
  apply_ok(dir);
  char *out = describe(dir, "customer", LR_FORMAT_JSON);
  cr_assert(strstr(out, "\"defined_at\": \"sub/dir/more.yml:2:6\""), "%s",
            out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r044_unknown_reference_points_at_its_line) {
  /* "errors that point at the line to fix": an unknown entity is fixed on
   * the `entities:` line (8), at the name (col 16), not on the view's
   * `name:` line (6). */
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,ts\n");
  th_write(dir, "features.yaml", PREAMBLE
                                 "feature_views:\n"
                                 "  - name: v\n"
                                 "    source: src\n"
                                 "    entities: [drivr]\n"
                                 "    schema:\n"
                                 "      - {name: f, dtype: float32}\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  char *line = line_with(lr_repo_errmsg(repo), "unknown entity 'drivr'");
  cr_assert_not_null(line, "%s", lr_repo_errmsg(repo));
  cr_assert_eq(strncmp(line, "features.yaml:8:16: ", 20), 0,
               "reported at: %s", line);
  free(line);
  lr_repo_close(repo);
  th_rmrf(dir);
}

Test(registry, r045_unknown_references_point_at_the_reference) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,ts\n");
  th_write(dir, "features.yaml", PREAMBLE
                                 "feature_views:\n"
                                 "  - name: v\n"
                                 "    entities: [driver]\n"
                                 "    source: srcc\n"
                                 "    schema:\n"
                                 "      - {name: f, dtype: float32}\n"
                                 "on_demand_feature_views:\n"
                                 "  - name: o\n"
                                 "    sources: [v, nope]\n"
                                 "    schema:\n"
                                 "      - {name: g, dtype: float64, expr: "
                                 "\"f + 1\"}\n");
  th_write(dir, "push.yaml", "sources:\n"
                             "  - name: p\n"
                             "    kind: push\n"
                             "    batch_source: nowhere\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  const char *msg = lr_repo_errmsg(repo);
  assert_message_shape(msg);
  const char *want[] = {
      "features.yaml:8:13: unknown source 'srcc' in feature view 'v'\n"
      "  hint: did you mean 'src'?",
      "features.yaml:13:18: unknown feature view or request source 'nope' in "
      "on-demand feature view 'o'\n",
      "push.yaml:4:19: unknown source 'nowhere' in push source 'p'\n"};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++)
    cr_assert(strstr(msg, want[i]), "no '%s' in:\n%s", want[i], msg);
  lr_repo_close(repo);
  th_rmrf(dir);
}

Test(registry, r042_unknown_entity_hint_says_entities) {
  /* The hint lists the known entities: "known entities: ...". */
  expect_definition_error(PREAMBLE
                          "feature_views:\n"
                          "  - name: v\n"
                          "    entities: [customer_account]\n"
                          "    source: src\n"
                          "    schema:\n"
                          "      - {name: f, dtype: float32}\n",
                          "features.yaml:", "known entities: driver");
}

Test(registry, r046_json_checker_rejects_what_it_should) {
  /* the checker the JSON tests rely on */
  cr_assert(is_json("[]\n"));
  cr_assert(is_json("{\"a\": [1, -2.5e3, true, null, \"x\\\"\\u00e9\"]}"));
  cr_assert(is_json(" [ {\"a\": {}}, {\"a\": 1} ] "));
  cr_assert_not(is_json("{\"kind\": \"source\", \"kind\": \"file\"}"),
                "a key twice");
  cr_assert_not(is_json("{\"a\": \"we\"ird\"}"), "an unescaped quote");
  cr_assert_not(is_json("[1,]"));
  cr_assert_not(is_json("{\"a\" 1}"));
  cr_assert_not(is_json("[\"tab\there\"]"), "a raw control character");
  cr_assert_not(is_json("[01]"));
  cr_assert_not(is_json("[] []"));
  cr_assert_not(is_json(""));
}

/* ---- tests: behaviour that looks wrong (see the report) ------------------ */

Test(registry, r040_feature_description_change_is_applied) {
  /* A feature's description is shown by describe; changing it is a change:
   * the registry must follow the definitions (new version, new text). */
  char *dir = good_repo();
  apply_ok(dir);
  write_defs(dir, "      - {name: conv_rate, dtype: float32, description: "
                  "share of accepted offers}\n"
                  "      - {name: acc_rate, dtype: float32}\n"
                  "      - {name: trips, dtype: int64}\n");
  char *plan = apply_repo(dir, 0, 0);
  cr_expect_null(strstr(plan, "no changes"), "the plan sees no change:\n%s",
                 plan);
  lr_free(plan);
  cr_expect_eq(registry_version(dir), 2u, "the version did not move");
  char *out = describe(dir, "driver_stats", 0);
  cr_expect(strstr(out, "share of accepted offers"),
            "describe shows the old description:\n%s", out);
  lr_free(out);
  th_rmrf(dir);
}

Test(registry, r041_feature_store_yaml_change_is_applied) {
  /* The registry keeps the settings of feature_store.yaml (project, online
   * store path) for the processes that load it; an apply after they change
   * must not leave the old ones in the registry. */
  char *dir = good_repo();
  apply_ok(dir);
  th_write(dir, "feature_store.yaml",
           "project: renamed_project\n"
           "online_store: {type: lmdb, path: data/online2}\n");
  lr_free(apply_repo(dir, 0, 0));
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  cr_expect_str_eq(m.config.project, "renamed_project");
  cr_expect_str_eq(m.config.online_path, "data/online2");
  lr__model_free(&m);
  th_rmrf(dir);
}

Test(registry, r043_json_stays_valid_with_odd_file_names) {
  /* defined_at is a JSON string: a definition file whose name holds a quote
   * or a backslash must not break the JSON of describe and ls. */
  char *dir = good_repo();
  th_write(dir, "we\"ird\\name.yaml",
           "entities:\n"
           "  - {name: rider, join_keys: [rider_id], value_type: int64}\n");
  apply_ok(dir);
  char *out = describe(dir, "rider", LR_FORMAT_JSON);
  cr_expect(is_json(out), "not valid JSON:\n%s", out);
  lr_free(out);
  out = list_kind(dir, LR_KIND_ENTITY, LR_FORMAT_JSON);
  cr_expect(is_json(out), "not valid JSON:\n%s", out);
  lr_free(out);
  th_rmrf(dir);
}


Test(registry, r047_view_removed_then_defined_again_gets_a_new_epoch) {
  char *dir = good_repo();
  apply_ok(dir);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  uint32_t first = lr__model_view(&m, "driver_stats")->layout_epoch;
  uint32_t next = m.next_epoch;
  cr_assert_gt(next, first, "the counter is past every epoch handed out");
  lr__model_free(&m);
  char *defs = th_read(dir, "features.yaml");
  cr_assert_not_null(defs);
  /* remove the view (and what refers to it), apply, then restore it */
  th_write(dir, "features.yaml",
           "entities:\n  - {name: driver, join_keys: [driver_id], "
           "value_type: int64}\n");
  apply_ok(dir);
  th_write(dir, "features.yaml", defs);
  apply_ok(dir);
  lr__model_init(&m);
  decode_registry(dir, &m);
  uint32_t again = lr__model_view(&m, "driver_stats")->layout_epoch;
  cr_assert_neq(again, first, "a view defined again must not find its old "
                "rows: it gets a database of its own");
  cr_assert_geq(again, next);
  lr__model_free(&m);
  free(defs);
  th_rmrf(dir);
}

/* ---- input hygiene (issue 13) -------------------------------------------- */

/* Opens `dir` expecting `want` and returns the message (freed by caller). */
static char *open_message(const char *dir, int want) {
  lr_repo *repo = NULL;
  int rc = lr_repo_open(dir, &repo);
  cr_assert_eq(rc, want, "open: %s: %s", lr_err_name(rc),
               lr_repo_errmsg(repo));
  char *msg = strdup(lr_repo_errmsg(repo));
  lr_repo_close(repo);
  return msg;
}

/* Writes dir/rel with `len` bytes, NULs allowed. */
static void write_bytes(const char *dir, const char *rel, const char *data,
                        size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, len, f), len);
  fclose(f);
}

/* libfyaml ended a file at a NUL byte without a word: the definitions after
 * it were silently dropped (and applied as removed). */
Test(registry, r048_nul_byte_in_definitions_is_an_error) {
  char *dir = good_repo();
  apply_ok(dir);
  char defs[4096];
  int n = snprintf(defs, sizeof defs, "%s%s%s", defs_head, schema_base,
                   defs_tail);
  char *at = strstr(defs, "  - name: stats_sql");
  *at = '\0'; /* line 11, column 1 */
  write_bytes(dir, "features.yaml", defs, (size_t)n);
  char *msg = open_message(dir, LR_EDEFINITION);
  cr_assert_str_eq(msg, "features.yaml:11:1: a NUL byte: text input cannot "
                   "contain one (is this a binary or UTF-16 file?)\n"
                   "  hint: remove it, or save the file as UTF-8 text");
  free(msg);
  th_rmrf(dir);
}

Test(registry, r049_nul_byte_in_larderignore_is_an_error) {
  char *dir = good_repo();
  write_bytes(dir, ".larderignore", "old/\nsc\0ratch\n", 14);
  char *msg = open_message(dir, LR_EDEFINITION);
  cr_assert_str_eq(msg, ".larderignore:2:3: a NUL byte: text input cannot "
                   "contain one (is this a binary or UTF-16 file?)\n"
                   "  hint: remove it, or save the file as UTF-8 text");
  free(msg);
  th_rmrf(dir);
}

/* features.yaml with feature view driver_stats renamed to `name`. */
static void write_view_named(const char *dir, const char *name) {
  char defs[8192];
  snprintf(defs, sizeof defs, "%s%s%s", defs_head, schema_base, defs_tail);
  lr__buf text;
  lr__buf_init(&text);
  for (const char *p = defs; *p;) {
    const char *hit = strstr(p, "driver_stats");
    size_t n = hit ? (size_t)(hit - p) : strlen(p);
    lr__buf_append(&text, p, n);
    if (!hit)
      break;
    lr__buf_puts(&text, name);
    p = hit + strlen("driver_stats");
  }
  th_write(dir, "features.yaml", lr__buf_str(&text));
  lr__buf_free(&text);
}

/* Two views whose names share their first 158 characters used one online
 * database: names longer than LR__NAME_MAX are refused where written, and
 * a name of exactly LR__NAME_MAX applies. */
Test(registry, r050_names_longer_than_the_limit_are_refused) {
  cr_assert_eq(LR__NAME_MAX, 128);
  char *dir = good_repo();
  char name[LR__NAME_MAX + 2];
  memset(name, 'v', sizeof name - 1);
  name[sizeof name - 1] = '\0'; /* 129 characters */
  write_view_named(dir, name);
  char *msg = open_message(dir, LR_EDEFINITION);
  cr_assert_str_eq(msg, "features.yaml:20:11: feature view name "
                   "'vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv...' is 129 "
                   "characters long; names are at most 128\n"
                   "  hint: shorten it to at most 128 characters");
  free(msg);
  name[LR__NAME_MAX] = '\0';
  write_view_named(dir, name);
  apply_ok(dir);
  th_rmrf(dir);
}

Test(registry, r051_every_kind_of_name_has_the_limit) {
  static const char *const kinds[][2] = {
      {"  - name: driver\n", "entity"},
      {"  - name: stats_source\n", "source"},
      {"{name: conv_rate,", "feature"},
      {"  - name: svc_v1\n", "feature service"},
      {"  - name: conv_plus\n", "feature view"},
  };
  char name[LR__NAME_MAX + 2];
  memset(name, 'n', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    char *dir = good_repo();
    char defs[8192], swapped[8192];
    snprintf(defs, sizeof defs, "%s%s%s", defs_head, schema_base, defs_tail);
    const char *hit = strstr(defs, kinds[k][0]);
    const char *old = strstr(hit, "name: ") + 6;
    size_t old_len = strcspn(old, ",\n");
    snprintf(swapped, sizeof swapped, "%.*s%s%s", (int)(old - defs), defs,
             name, old + old_len);
    th_write(dir, "features.yaml", swapped);
    char *msg = open_message(dir, LR_EDEFINITION);
    char want[512];
    snprintf(want, sizeof want, "%s name '%.40s...' is 129 characters long; "
             "names are at most 128", kinds[k][1], name);
    cr_assert(strstr(msg, want), "%s: no '%s' in:\n%s", kinds[k][1], want,
              msg);
    free(msg);
    th_rmrf(dir);
  }
}

/* Planning a repo that did not load read the plan summary uninitialised
 * (valgrind: "conditional jump depends on uninitialised value"); each
 * failing call shows its own message only. */
Test(registry, r052_plan_after_a_failed_load_has_its_own_message) {
  char *dir = good_repo();
  th_write(dir, "features.yaml", "entities: [\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  char *plan = NULL;
  const char *want = "the repo did not load (the feature definitions are not "
                     "valid); fix that first";
  cr_assert_eq(lr_repo_plan(repo, 0, &plan), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo), want);
  lr_free(plan);
  plan = NULL;
  cr_assert_eq(lr_repo_apply(repo, 0, &plan), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo), want, "not appended to");
  lr_free(plan);
  cr_assert_eq(lr_repo_plan(NULL, 0, NULL), LR_EINVAL);
  lr_repo_close(repo);
  th_rmrf(dir);
}

Test(registry, r053_registry_calls_fail_with_their_own_message) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_registry *reg = open_registry(dir);
  char *out = NULL;
  cr_assert_eq(lr_registry_list(reg, (lr_kind)99, 0, &out), LR_EINVAL);
  cr_assert_str_eq(lr_registry_errmsg(reg), "unknown object kind 99");
  cr_assert_eq(lr_registry_list(reg, (lr_kind)98, 0, &out), LR_EINVAL);
  cr_assert_str_eq(lr_registry_errmsg(reg), "unknown object kind 98");
  int rc = lr_registry_describe(reg, "nope", 0, &out);
  cr_assert_neq(rc, 0);
  char *first = strdup(lr_registry_errmsg(reg));
  cr_assert_neq(lr_registry_describe(reg, "nope", 0, &out), 0);
  cr_assert_str_eq(lr_registry_errmsg(reg), first, "not appended to");
  cr_assert_null(strstr(first, "unknown object kind"), "%s", first);
  free(first);
  lr_registry_close(reg);
  lr_registry *none = NULL;
  cr_assert_eq(lr_registry_open(NULL, &none), LR_EINVAL);
  cr_assert_str_eq(lr_registry_errmsg(none), "no repo folder given");
  lr_registry_close(none);
  th_rmrf(dir);
}

/* Found by the YAML fuzzer (tests/fuzz/yaml.c): a feature without a name
 * in a view that an on-demand view reads crashed `larder plan` (the
 * inputs' aliases were built from the NULL name). It is an error like any
 * other missing name. */
Test(registry, r054_error_unnamed_feature_read_by_an_odfv) {
  static const char defs[] = PREAMBLE
      "feature_views:\n"
      "  - name: v\n"
      "    entities: [driver]\n"
      "    source: src\n"
      "    schema:\n"
      "      - {dtype: float32}\n"
      "on_demand_feature_views:\n"
      "  - name: o\n"
      "    sources: [v]\n"
      "    schema:\n"
      "      - {name: g, dtype: float64, expr: \"1.5\"}\n";
  expect_definition_error(defs, "features.yaml:10:10: field of feature view "
                          "'v' has no 'name'", "add the missing field");
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,ts\n");
  th_write(dir, "features.yaml", defs);
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo),
                   "features.yaml:10:10: field of feature view 'v' has no "
                   "'name'\n  hint: add the missing field");
  lr_repo_close(repo);
  th_rmrf(dir);
}

/* Found by the YAML fuzzer, after r048: a service naming an unknown
 * feature of a view that has an unnamed one crashed in the suggestion. */
Test(registry, r055_error_service_feature_unknown_beside_an_unnamed_one) {
  static const char defs[] = PREAMBLE
      "feature_views:\n"
      "  - name: v\n"
      "    entities: [driver]\n"
      "    source: src\n"
      "    schema:\n"
      "      - {dtype: float32}\n"
      "      - {name: f_str, dtype: string}\n"
      "feature_services:\n"
      "  - name: s\n"
      "    features:\n"
      "      - v: [f_zzz]\n";
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "data/stats.csv", "driver_id,ts\n");
  th_write(dir, "features.yaml", defs);
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo),
                   "features.yaml:10:10: field of feature view 'v' has no "
                   "'name'\n  hint: add the missing field\n"
                   "features.yaml:15:13: view 'v' has no feature 'f_zzz' (in "
                   "feature service 's')\n  hint: known features: f_str");
  lr_repo_close(repo);
  th_rmrf(dir);
}

/* Found by the YAML fuzzer: a `%` directive line followed by a byte that is
 * not UTF-8 made libfyaml 0.7.12 loop forever, so `larder plan` (or any
 * open of the repo) hung on a 3-byte file. Definition files are checked to
 * be UTF-8 first. The timeout only keeps a regression from hanging the
 * suite. */
Test(registry, r056_error_file_not_utf8, .timeout = 30) {
  static const struct { const char *text, *msg; } cases[] = {
      {"%\x83\n", "features.yaml:1:2: the file is not UTF-8 text: byte 0x83\n"
                  "  hint: save the file as UTF-8"},
      {"entities:\n  - {name: d\xc3\xa9j\xff}\n",
       "features.yaml:2:15: the file is not UTF-8 text: byte 0xFF\n"
       "  hint: save the file as UTF-8"},
      {"# a comment \xed\xa0\x80\n",
       "features.yaml:1:13: the file is not UTF-8 text: byte 0xED\n"
       "  hint: save the file as UTF-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *dir = th_tempdir();
    th_write(dir, "feature_store.yaml", TH_CONFIG);
    th_write(dir, "features.yaml", cases[i].text);
    lr_repo *repo = NULL;
    cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION, "case %zu", i);
    cr_assert_str_eq(lr_repo_errmsg(repo), cases[i].msg);
    lr_repo_close(repo);
    th_rmrf(dir);
  }
}

/* Found by the YAML fuzzer: a name defined twice, in a list that also
 * holds an unnamed object (sorted first), crashed the duplicate check
 * while it looked back for the first of the run. */
Test(registry, r057_error_defined_twice_beside_an_unnamed_one) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", TH_CONFIG);
  th_write(dir, "features.yaml",
           "entities:\n"
           "  - {join_keys: [a], value_type: int64}\n"
           "  - {name: d, join_keys: [a], value_type: int64}\n"
           "  - {name: d, join_keys: [b], value_type: int64}\n");
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), LR_EDEFINITION);
  cr_assert_str_eq(lr_repo_errmsg(repo),
                   "features.yaml:2:6: entity has no 'name'\n"
                   "  hint: add the missing field\n"
                   "features.yaml:4:6: entity 'd' is defined twice\n"
                   "  hint: the first is at features.yaml:3:6; rename or "
                   "remove one");
  lr_repo_close(repo);
  th_rmrf(dir);
}

/* ---- tests: the replication block of feature_store.yaml ------------------ */

/* The lines of a block after `project:` (line 1) and `replication:` (line
 * 2): role, log and snapshots are on lines 3, 4 and 5. */
#define REPL_HEAD TH_CONFIG "replication:\n"
#define REPL_ROLE "  role: primary\n"
#define REPL_LOG "  log: redis://127.0.0.1:6379/0\n"
#define REPL_SNAPSHOTS "  snapshots: /mnt/larder/snapshots\n"
#define REPL_REQUIRED REPL_HEAD REPL_ROLE REPL_LOG REPL_SNAPSHOTS

/* Reads the replication block of a repo in `dir` whose feature_store.yaml
 * is `config`; the diagnostics, formatted, go to *msg (free it). */
static int replication_of(const char *dir, const char *config,
                          lr__replication *r, char **msg) {
  th_write(dir, "feature_store.yaml", config);
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__replication_load(dir, r, &diag);
  lr__buf text;
  lr__buf_init(&text);
  lr__diag_format(&diag, &text);
  lr__diag_free(&diag);
  *msg = lr__buf_steal(&text);
  if (!*msg)
    *msg = strdup("");
  return rc;
}

/* Loads `config`, which must be good: 0 and no message. */
static void replication_ok(const char *config, lr__replication *r) {
  char *dir = th_tempdir();
  char *msg = NULL;
  int rc = replication_of(dir, config, r, &msg);
  cr_assert_eq(rc, 0, "%s: %s", lr_err_name(rc), msg);
  cr_assert_str_eq(msg, "");
  free(msg);
  th_rmrf(dir);
}

/* Loads `config`, which must fail with exactly the message `want`, leaving
 * no strings behind. */
static void replication_error(const char *config, const char *want) {
  char *dir = th_tempdir();
  lr__replication r;
  char *msg = NULL;
  int rc = replication_of(dir, config, &r, &msg);
  cr_assert_eq(rc, LR_EDEFINITION, "%s for:\n%s", lr_err_name(rc), config);
  cr_assert_str_eq(msg, want, "for:\n%s", config);
  cr_assert(!r.log && !r.stream && !r.snapshots);
  free(msg);
  th_rmrf(dir);
}

/* The numbers of a block: keep_snapshots, max_lag_ms, log_retention. */
static void assert_numbers(const lr__replication *r, int keep, long long lag,
                           long long retention) {
  cr_assert_eq(r->keep_snapshots, keep);
  cr_assert_eq(r->max_lag_ms, lag);
  cr_assert_eq(r->log_retention, retention);
}

Test(registry, r058_replication_absent_is_a_store_on_its_own) {
  lr__replication r;
  replication_ok(TH_CONFIG, &r);
  cr_assert_eq(r.role, LR__ROLE_NONE);
  cr_assert(!r.log && !r.stream && !r.snapshots);
  assert_numbers(&r, 3, 5000, 1000000);
  lr__replication_free(&r);
  char *dir = th_tempdir();
  lr__diag diag;
  lr__diag_init(&diag);
  cr_assert_eq(lr__replication_load(dir, &r, &diag), LR_ENOTFOUND);
  cr_assert_eq(diag.count, 0);
  lr__diag_free(&diag);
  th_rmrf(dir);
}

Test(registry, r059_replication_defaults) {
  lr__replication r;
  replication_ok(REPL_REQUIRED, &r);
  cr_assert_eq(r.role, LR__ROLE_PRIMARY);
  cr_assert_str_eq(r.log, "redis://127.0.0.1:6379/0");
  cr_assert_str_eq(r.stream, "larder:test_project");
  cr_assert_str_eq(r.snapshots, "/mnt/larder/snapshots");
  assert_numbers(&r, 3, 5000, 1000000);
  lr__replication_free(&r);
  cr_assert(!r.log && !r.stream && !r.snapshots);
}

Test(registry, r060_replication_every_field) {
  lr__replication r;
  replication_ok(REPL_HEAD "  role: replica\n"
                 "  log: redis://user:pw@10.0.0.5:6380/2\n"
                 "  stream: drivers:log\n"
                 "  snapshots: /srv/snaps\n"
                 "  keep_snapshots: 7\n"
                 "  max_lag: 500ms\n"
                 "  log_retention: 1000\n",
                 &r);
  cr_assert_eq(r.role, LR__ROLE_REPLICA);
  cr_assert_str_eq(r.log, "redis://user:pw@10.0.0.5:6380/2");
  cr_assert_str_eq(r.stream, "drivers:log");
  cr_assert_str_eq(r.snapshots, "/srv/snaps");
  assert_numbers(&r, 7, 500, 1000);
  lr__replication_free(&r);
  /* durations in every unit, a log without a database */
  static const struct {
    const char *lag;
    long long ms;
  } lags[] = {{"5s", 5000}, {"2m", 120000}, {"1m30s", 90000},
              {"1h", 3600000}, {"1s500ms", 1500}};
  for (size_t i = 0; i < sizeof lags / sizeof *lags; i++) {
    char config[256];
    snprintf(config, sizeof config,
             REPL_HEAD REPL_ROLE "  log: redis://db.internal:6379\n"
             REPL_SNAPSHOTS "  max_lag: %s\n", lags[i].lag);
    replication_ok(config, &r);
    cr_assert_str_eq(r.log, "redis://db.internal:6379");
    cr_assert_eq(r.max_lag_ms, lags[i].ms, "%s", lags[i].lag);
    lr__replication_free(&r);
  }
}

Test(registry, r061_replication_relative_snapshots_resolved) {
  char *dir = th_tempdir();
  lr__replication r;
  char *msg = NULL;
  cr_assert_eq(replication_of(dir, REPL_HEAD REPL_ROLE REPL_LOG
                              "  snapshots: backups/snaps\n", &r, &msg),
               0, "%s", msg);
  char *real = realpath(dir, NULL);
  char want[4096];
  snprintf(want, sizeof want, "%s/backups/snaps", real);
  cr_assert_str_eq(r.snapshots, want);
  cr_assert_eq(r.snapshots[0], '/');
  free(real);
  free(msg);
  lr__replication_free(&r);
  th_rmrf(dir);
}

Test(registry, r062_replication_error_missing_role) {
  replication_error(REPL_HEAD REPL_LOG REPL_SNAPSHOTS,
                    "feature_store.yaml:3:3: replication has no 'role'\n"
                    "  hint: add the missing field");
}

Test(registry, r063_replication_error_bad_role) {
  replication_error(REPL_HEAD "  role: leader\n" REPL_LOG REPL_SNAPSHOTS,
                    "feature_store.yaml:3:9: unknown role 'leader' in "
                    "replication\n"
                    "  hint: known roles: primary, replica");
}

Test(registry, r064_replication_error_missing_log) {
  replication_error(REPL_HEAD REPL_ROLE REPL_SNAPSHOTS,
                    "feature_store.yaml:3:3: replication has no 'log'\n"
                    "  hint: add the missing field");
}

Test(registry, r065_replication_error_log_not_a_redis_url) {
  static const char *const bad[] = {
      "127.0.0.1:6379",        /* no scheme */
      "http://127.0.0.1:6379", /* another scheme */
      "redis://localhost",     /* no port */
      "redis://:6379",         /* no host */
      "redis://localhost:port", "redis://localhost:6379/", "redis://h:1/db"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char config[256], want[512];
    snprintf(config, sizeof config, REPL_HEAD REPL_ROLE "  log: %s\n"
             REPL_SNAPSHOTS, bad[i]);
    snprintf(want, sizeof want,
             "feature_store.yaml:4:8: 'log' of replication must be a URL "
             "redis://HOST:PORT[/DB], found '%s'\n"
             "  hint: write e.g. `log: redis://127.0.0.1:6379/0` (the /DB "
             "part is optional)", bad[i]);
    replication_error(config, want);
  }
}

Test(registry, r066_replication_error_counts_below_their_limits) {
  replication_error(REPL_REQUIRED "  keep_snapshots: 0\n",
                    "feature_store.yaml:6:19: 'keep_snapshots' of replication "
                    "must be a whole number from 1 to 2147483647, found '0'\n"
                    "  hint: write e.g. `keep_snapshots: 3` (the default)");
  replication_error(REPL_REQUIRED "  keep_snapshots: 2.5\n",
                    "feature_store.yaml:6:19: 'keep_snapshots' of replication "
                    "must be a whole number from 1 to 2147483647, found '2.5'\n"
                    "  hint: write e.g. `keep_snapshots: 3` (the default)");
  replication_error(REPL_REQUIRED "  log_retention: 999\n",
                    "feature_store.yaml:6:18: 'log_retention' of replication "
                    "must be a whole number of at least 1000, found '999'\n"
                    "  hint: write e.g. `log_retention: 1000000` (the "
                    "default)");
}

Test(registry, r067_replication_error_bad_max_lag) {
  static const char *const bad[] = {"soon", "0s", "5", "1.5s"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char config[256], want[512];
    snprintf(config, sizeof config, REPL_REQUIRED "  max_lag: %s\n", bad[i]);
    snprintf(want, sizeof want,
             "feature_store.yaml:6:12: bad max_lag '%s' in replication\n"
             "  hint: write a duration above 0: a number and a unit (ms, s, "
             "m, h), e.g. `500ms`, `5s` or `2m`", bad[i]);
    replication_error(config, want);
  }
}

Test(registry, r068_replication_error_unknown_key) {
  replication_error(REPL_REQUIRED "  lag: 5s\n",
                    "feature_store.yaml:6:3: unknown field 'lag' in "
                    "replication\n"
                    "  hint: did you mean 'log'?");
}

Test(registry, r069_replication_error_wrong_types) {
  replication_error(TH_CONFIG "replication: on\n",
                    "feature_store.yaml:2:14: replication must be a mapping, "
                    "found a value\n"
                    "  hint: write it as `{name: ..., ...}`");
  replication_error(REPL_HEAD "  role: [primary]\n" REPL_LOG REPL_SNAPSHOTS
                    "  keep_snapshots: {n: 3}\n",
                    "feature_store.yaml:3:10: 'role' of replication must be "
                    "a non-empty value, found a list\n"
                    "  hint: give it a value, e.g. `key: text`\n"
                    "feature_store.yaml:6:20: 'keep_snapshots' of replication "
                    "must be a non-empty value, found a mapping\n"
                    "  hint: give it a value, e.g. `key: text`");
}

/* The block is not part of the registry: a repo applies and plans with it
 * exactly as without it. */
Test(registry, r070_repo_with_replication_applies_and_plans_as_before) {
  char *plain = good_repo();
  char *with = good_repo();
  th_write(with, "feature_store.yaml", REPL_REQUIRED);
  char *first_plain = apply_repo(plain, 0, 0);
  char *first_with = apply_repo(with, 0, 0);
  cr_assert_str_eq(first_with, first_plain);
  char *again = plan_repo(with, 0, 0);
  cr_assert(strstr(again, "no changes: the registry matches the "
                          "definitions"), "%s", again);
  /* adding the block to an applied repo changes nothing either */
  th_write(plain, "feature_store.yaml", REPL_REQUIRED);
  char *after = plan_repo(plain, 0, 0);
  cr_assert_str_eq(after, again);
  lr_free(apply_repo(plain, 0, 0));
  cr_assert_eq(registry_version(plain), 1);
  lr__model a, b;
  lr__model_init(&a);
  lr__model_init(&b);
  decode_registry(plain, &a);
  decode_registry(with, &b);
  cr_assert_str_eq(b.config.project, a.config.project);
  cr_assert_str_eq(b.config.online_path, a.config.online_path);
  lr__model_free(&a);
  lr__model_free(&b);
  lr_free(first_plain);
  lr_free(first_with);
  lr_free(again);
  lr_free(after);
  th_rmrf(plain);
  th_rmrf(with);
}

/* ---- tests: what needs materialization ------------------------------------ */

/* Source `src` (whose attributes after its name are `src`) feeding view
 * `stats`, stored online or not, and view `kept` over another source. */
static void write_stats_repo(const char *dir, const char *src,
                             const char *online) {
  char text[1024];
  snprintf(text, sizeof text,
           "entities:\n"
           "  - {name: driver, join_keys: [driver_id], value_type: int64}\n"
           "sources:\n"
           "  - {name: src, kind: file, timestamp_field: event_timestamp, %s}\n"
           "  - {name: other, kind: file, path: data/stats.csv, "
           "timestamp_field: event_timestamp}\n"
           "feature_views:\n"
           "  - {name: stats, entities: [driver], source: src, online: %s,\n"
           "     schema: [{name: trips, dtype: int64}]}\n"
           "  - {name: kept, entities: [driver], source: other,\n"
           "     schema: [{name: trips, dtype: int64}]}\n", src, online);
  th_write(dir, "features.yaml", text);
}

/* The plan of `dir` is `want` (applied when `apply`). */
static void assert_plan(const char *dir, int apply, const char *want) {
  char *plan = apply ? apply_repo(dir, 0, 0) : plan_repo(dir, 0, 0);
  cr_assert_str_eq(plan, want);
  lr_free(plan);
}

/* Changing what a view's load reads — its source's field_mapping or path
 * — or storing it online needs materialization, though the view itself is
 * unchanged (issue 15); a description does not. */
Test(registry, r071_changed_mapping_or_path_needs_materialization) {
  char *dir = good_repo();
  th_write(dir, "data/b.csv", "driver_id,event_timestamp\n1,2024-01-01\n");
  write_stats_repo(dir, "path: data/stats.csv", "true");
  apply_ok(dir);
  write_stats_repo(dir, "path: data/stats.csv, field_mapping: {n: trips}",
                   "true");
  assert_plan(dir, 1,
              "Plan for project 'test_project' (registry version 1):\n"
              "  ~ source src\n"
              "      field_mapping: (unset) -> n=trips\n"
              "0 to create, 1 to change, 0 to remove.\n"
              "Needs materialization: stats\n"
              "Applied: registry version 2 written to data/registry.db.\n");
  write_stats_repo(dir, "path: data/stats.csv, field_mapping: {n: trips}, "
                   "description: new", "true");
  assert_plan(dir, 0,
              "Plan for project 'test_project' (registry version 2):\n"
              "  ~ source src\n"
              "      description: (unset) -> new\n"
              "0 to create, 1 to change, 0 to remove.\n");
  write_stats_repo(dir, "path: data/b.csv, field_mapping: {n: trips}",
                   "true");
  assert_plan(dir, 0,
              "Plan for project 'test_project' (registry version 2):\n"
              "  ~ source src\n"
              "      path: data/stats.csv -> data/b.csv\n"
              "0 to create, 1 to change, 0 to remove.\n"
              "Needs materialization: stats\n");
  write_stats_repo(dir, "path: data/stats.csv, field_mapping: {n: trips}",
                   "false");
  apply_ok(dir);
  write_stats_repo(dir, "path: data/stats.csv, field_mapping: {n: trips}",
                   "true");
  assert_plan(dir, 0,
              "Plan for project 'test_project' (registry version 3):\n"
              "  ~ feature view stats\n"
              "      online: false -> true\n"
              "0 to create, 1 to change, 0 to remove.\n"
              "Needs materialization: stats\n");
  th_rmrf(dir);
}

/* ---- tests: sources and field_mapping ----------------------------------- */

Test(registry, r072_error_field_mapping_to_a_misspelt_feature) {
  expect_definition_error(
      "entities:\n"
      "  - {name: driver, join_keys: [driver_id], value_type: int64}\n"
      "sources:\n"
      "  - name: src\n"
      "    kind: file\n"
      "    path: data/stats.csv\n"
      "    timestamp_field: ts\n"
      "    field_mapping: {trips: avg_trip, id: driver_id}\n"
      "feature_views:\n"
      "  - name: v\n"
      "    entities: [driver]\n"
      "    source: src\n"
      "    schema:\n"
      "      - {name: avg_trips, dtype: int64}\n",
      "features.yaml:8:28: field_mapping of source 'src' maps column 'trips' "
      "to 'avg_trip', which no feature view reading the source has as a "
      "feature or join key",
      "did you mean 'avg_trips'?");
}

/* An entry left from a removed feature (close to no other) does nothing
 * and is no error: removing a feature is one edit. */
Test(registry, r073_field_mapping_left_from_a_removed_feature_applies) {
  th_rmrf(th_applied_repo(
      "entities:\n"
      "  - {name: driver, join_keys: [driver_id], value_type: int64}\n"
      "sources:\n"
      "  - {name: src, kind: file, path: data/stats.csv, "
      "timestamp_field: ts, field_mapping: {trips: avg_daily_trips}}\n"
      "feature_views:\n"
      "  - name: v\n"
      "    entities: [driver]\n"
      "    source: src\n"
      "    schema:\n"
      "      - {name: conv_rate, dtype: float32}\n"));
}

/* A path is the source check's (test_offline.c x008): a repo whose data
 * this host cannot reach still loads, plans and applies. */
Test(registry, r074_a_path_that_matches_nothing_still_applies) {
  th_rmrf(th_applied_repo("sources:\n"
                          "  - {name: src, kind: file, path: "
                          "data/nope_*.parquet, timestamp_field: ts}\n"));
}

/* ---- loads beside applies in other processes ----------------------------- */

static void kill_children(void) { th_kill_children(); }

/* A repo handle on the base schema, plus `extra` (int64) when asked; the
 * handle keeps the definitions it read (features.yaml is rewritten first). */
static lr_repo *repo_on(const char *dir, int extra) {
  lr__buf schema;
  lr__buf_init(&schema);
  lr__buf_puts(&schema, schema_base);
  if (extra)
    lr__buf_puts(&schema, "      - {name: extra, dtype: int64}\n");
  write_defs(dir, lr__buf_str(&schema));
  lr__buf_free(&schema);
  lr_repo *repo = NULL;
  cr_assert_eq(lr_repo_open(dir, &repo), 0, "%s", lr_repo_errmsg(repo));
  return repo;
}

/* An applier process: applies `first`, `second`, `first`, ... `rounds`
 * times in all. Exit 0, or 1 when an apply fails. */
static void applier_child(lr_repo *first, lr_repo *second, int rounds) {
  for (int i = 0; i < rounds; i++) {
    char *plan = NULL;
    if (lr_repo_apply(i % 2 ? second : first, 0, &plan) != 0)
      _exit(1);
    lr_free(plan);
  }
  _exit(0);
}

/* One round of loads while others apply: lr_registry_open (its version;
 * whether driver_stats has `extra`, as *extra), lr_store_open,
 * lr_offline_open and a plan all succeed on a whole registry. */
static unsigned long long load_once(const char *dir, lr_repo *planner,
                                    int *extra) {
  lr_registry *reg = open_registry(dir);
  unsigned long long v = 0;
  cr_assert_eq(lr_registry_version(reg, &v), 0);
  char *text = NULL;
  cr_assert_eq(lr_registry_describe(reg, "driver_stats", 0, &text), 0, "%s",
               lr_registry_errmsg(reg));
  cr_assert(strstr(text, "conv_rate") && strstr(text, "trips"), "%s", text);
  *extra = strstr(text, "extra") != NULL;
  lr_free(text);
  lr_registry_close(reg);
  lr_store *s = NULL;
  cr_assert_eq(lr_store_open(dir, LR_STORE_READONLY, &s), 0, "%s",
               lr_store_errmsg(s));
  static const char *const refs[] = {"driver_stats:extra"};
  lr_request *req = NULL;
  int rc = lr_request_prepare(s, refs, 1, &req);
  cr_assert(rc == 0 || rc == LR_ENOTFOUND, "%s", lr_store_errmsg(s));
  lr_request_free(req);
  lr_store_close(s);
  lr_offline *off = NULL;
  cr_assert_eq(lr_offline_open(dir, &off), 0, "%s", lr_offline_errmsg(off));
  lr_offline_close(off);
  char *plan = NULL;
  cr_assert_eq(lr_repo_plan(planner, 0, &plan), 0, "%s",
               lr_repo_errmsg(planner));
  lr_free(plan);
  return v;
}

enum { APPLIES = 30 };

/* While another process applies two definitions in turn (so odd versions
 * are the base schema, even ones add `extra`), this one opens the
 * registry, a store and an offline handle and plans, again and again:
 * every load succeeds and is one whole registry (its version matches its
 * content), versions never go back, and the last one is the last apply.
 * A registry handle opened before keeps what it read. */
Test(registry, r080_loads_beside_applies_in_another_process_are_whole,
     .fini = kill_children, .timeout = 60) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_registry *held = open_registry(dir);
  lr_repo *with = repo_on(dir, 1), *base = repo_on(dir, 0);
  pid_t applier = th_fork_child();
  if (applier == 0)
    applier_child(with, base, APPLIES);
  unsigned long long last = 1;
  int loads = 0, code = -2, st;
  for (;; loads++) {
    if (code == -2 && waitpid(applier, &st, WNOHANG) == applier) {
      code = th_exit_code(st);
      th_untrack_child(applier);
    }
    int extra = 0;
    unsigned long long v = load_once(dir, base, &extra);
    cr_assert_geq(v, last, "version %llu after %llu", v, last);
    cr_assert_eq(extra, v % 2 == 0, "version %llu %s `extra`", v,
                 extra ? "has" : "lacks");
    last = v;
    if (code != -2)
      break;
  }
  cr_assert_eq(code, 0, "an apply failed");
  cr_assert_eq(last, 1 + APPLIES, "the last load is version %llu", last);
  cr_assert_gt(loads, 0);
  unsigned long long v = 0;
  char *text = NULL;
  cr_assert_eq(lr_registry_version(held, &v), 0);
  cr_assert_eq(v, 1, "a handle opened before the applies moved to %llu", v);
  cr_assert_eq(lr_registry_describe(held, "driver_stats", 0, &text), 0);
  cr_assert_null(strstr(text, "extra"), "%s", text);
  lr_free(text);
  lr_registry_close(held);
  lr_repo_close(with);
  lr_repo_close(base);
  th_rmrf(dir);
}

/* Two processes apply two definitions in turn at once (nothing serializes
 * them: the last rename wins) while this one loads: every apply and every
 * load succeeds, and the registry left is one of the two, whole. */
Test(registry, r081_two_applies_at_once_leave_one_whole_registry,
     .fini = kill_children, .timeout = 60) {
  char *dir = good_repo();
  apply_ok(dir);
  lr_repo *with = repo_on(dir, 1), *base = repo_on(dir, 0);
  pid_t applier[2];
  for (int i = 0; i < 2; i++) {
    applier[i] = th_fork_child();
    if (applier[i] == 0)
      applier_child(i ? base : with, i ? with : base, APPLIES);
  }
  int running = 2, code[2] = {-2, -2};
  while (running) {
    for (int i = 0; i < 2; i++) {
      int st;
      if (code[i] == -2 && waitpid(applier[i], &st, WNOHANG) == applier[i]) {
        code[i] = th_exit_code(st);
        th_untrack_child(applier[i]);
        running--;
      }
    }
    int extra;
    load_once(dir, base, &extra);
  }
  cr_assert(code[0] == 0 && code[1] == 0, "an apply failed (exit %d, %d)",
            code[0], code[1]);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  const lr__view *v = lr__model_view(&m, "driver_stats");
  cr_assert_not_null(v);
  cr_assert(v->n_features == 3 || v->n_features == 4,
            "driver_stats has %d features", v->n_features);
  lr__model_free(&m);
  lr_repo_close(with);
  lr_repo_close(base);
  th_rmrf(dir);
}

/* ---- tests: checks on a feature view (issue 16) ------------------------- */

/* View v over src with a feature of each kind a rule tests (lines 5-14),
 * `checks:` on line 15; the rules start on line 16. */
#define CHECKED_VIEW                                                           \
  PREAMBLE                                                                     \
  "feature_views:\n"                                                           \
  "  - name: v\n"                                                              \
  "    entities: [driver]\n"                                                   \
  "    source: src\n"                                                          \
  "    schema:\n"                                                              \
  "      - {name: rate, dtype: float32}\n"                                     \
  "      - {name: trips, dtype: int32}\n"                                      \
  "      - {name: city, dtype: string}\n"                                      \
  "      - {name: ok, dtype: bool}\n"                                          \
  "      - {name: emb, dtype: array<float32>}\n"                               \
  "    checks:\n"

/* The rule text of every kind, with on_fail, mostly and names. */
static const char every_rule[] =
    "      - {feature: rate, not_null: true, on_fail: drop}\n"
    "      - {feature: rate, between: [0, 1.5], on_fail: \"null\"}\n"
    "      - {feature: trips, between: [null, 100]}\n"
    "      - {feature: city, in: [sf, la, '1'], mostly: 0.99}\n"
    "      - {feature: ok, in: [true]}\n"
    "      - {feature: city, matches: '^[a-z]+$', name: city_word}\n"
    "      - {name: sane, expr: \"rate <= 1 and trips > 0\", on_fail: reject}\n"
    "      - {row_count: [1000, null]}\n"
    "      - {unique: [driver_id, event_timestamp], on_fail: reject}\n"
    "      - {freshness: 2h}\n"
    "    max_failed: 0.05\n";

/* A repo with CHECKED_VIEW and `rules`, applied. */
static char *checked_repo(const char *rules) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", CHECKED_VIEW, rules);
  return th_applied_repo(text);
}

Test(registry, r082_checks_of_every_kind_apply_and_are_kept) {
  char *dir = checked_repo(every_rule);
  lr__model m;
  lr__model_init(&m);
  decode_registry(dir, &m);
  const lr__view *v = lr__model_view(&m, "v");
  cr_assert_not_null(v);
  cr_assert_eq(v->n_checks, 10);
  cr_assert(v->has_max_failed);
  cr_assert_float_eq(v->max_failed, 0.05, 1e-12);
  static const struct {
    const char *name;
    int kind, on_fail;
    const char *feature;
  } want[] = {
      {"rate_not_null", LR__CHECK_NOT_NULL, LR__ON_FAIL_DROP, "rate"},
      {"rate_between", LR__CHECK_BETWEEN, LR__ON_FAIL_NULL, "rate"},
      {"trips_between", LR__CHECK_BETWEEN, LR__ON_FAIL_WARN, "trips"},
      {"city_in", LR__CHECK_IN, LR__ON_FAIL_WARN, "city"},
      {"ok_in", LR__CHECK_IN, LR__ON_FAIL_WARN, "ok"},
      {"city_word", LR__CHECK_MATCHES, LR__ON_FAIL_WARN, "city"},
      {"sane", LR__CHECK_EXPR, LR__ON_FAIL_REJECT, NULL},
      {"row_count", LR__CHECK_ROW_COUNT, LR__ON_FAIL_WARN, NULL},
      {"unique_driver_id_event_timestamp", LR__CHECK_UNIQUE,
       LR__ON_FAIL_REJECT, NULL},
      {"freshness", LR__CHECK_FRESHNESS, LR__ON_FAIL_WARN, NULL},
  };
  for (int i = 0; i < 10; i++) {
    const lr__check *c = &v->checks[i];
    cr_assert_str_eq(c->name, want[i].name);
    cr_assert_eq(c->kind, want[i].kind, "kind of %s", c->name);
    cr_assert_eq(c->on_fail, want[i].on_fail, "on_fail of %s", c->name);
    if (want[i].feature)
      cr_assert_str_eq(c->feature, want[i].feature);
    else
      cr_assert_null(c->feature, "feature of %s", c->name);
  }
  const lr__check *between = &v->checks[2], *in = &v->checks[3];
  cr_assert_eq(between->n_values, 2);
  cr_assert_eq(between->values[0].type, LR__VALUE_NULL);
  cr_assert_null(between->values[0].text);
  cr_assert_eq(between->values[1].type, LR__VALUE_INT);
  cr_assert_str_eq(between->values[1].text, "100");
  cr_assert_eq(in->n_values, 3);
  cr_assert_eq(in->values[2].type, LR__VALUE_STRING);
  cr_assert_str_eq(in->values[2].text, "1");
  cr_assert_float_eq(in->mostly, 0.99, 1e-12);
  cr_assert_float_eq(v->checks[0].mostly, 1.0, 1e-12);
  cr_assert_str_eq(v->checks[5].text, "^[a-z]+$");
  cr_assert_str_eq(v->checks[6].text, "rate <= 1 and trips > 0");
  cr_assert_eq(v->checks[8].n_columns, 2);
  cr_assert_str_eq(v->checks[8].columns[1], "event_timestamp");
  cr_assert_eq(v->checks[9].freshness_seconds, 7200);
  cr_assert_eq(v->checks[0].loc.line, 16);
  lr__model_free(&m);

  char *text = describe(dir, "v", 0);
  const char *want_text =
      "  checks: \n"
      "    rate_not_null            not_null on rate  on_fail: drop\n"
      "    rate_between             between [0, 1.5] on rate  on_fail: null\n"
      "    trips_between            between [null, 100] on trips  on_fail: "
      "warn\n"
      "    city_in                  in ['sf', 'la', '1'] on city  mostly: "
      "0.99  on_fail: warn\n"
      "    ok_in                    in [true] on ok  on_fail: warn\n"
      "    city_word                matches ^[a-z]+$ on city  on_fail: warn\n"
      "    sane                     expr rate <= 1 and trips > 0  on_fail: "
      "reject\n"
      "    row_count                row_count [1000, null]  on_fail: warn\n"
      "    unique_driver_id_event_timestamp unique driver_id, "
      "event_timestamp  on_fail: reject\n"
      "    freshness                freshness 2h  on_fail: warn\n"
      "  max_failed: 0.05\n";
  cr_assert(strstr(text, want_text), "describe lacks the checks:\n%s", text);
  lr_free(text);
  char *json = list_kind(dir, LR_KIND_FEATURE_VIEW, LR_FORMAT_JSON);
  const char *want_json =
      "\"checks\": [{\"name\": \"rate_not_null\", \"feature\": \"rate\", "
      "\"not_null\": true, \"mostly\": 1, \"on_fail\": \"drop\"}, "
      "{\"name\": \"rate_between\", \"feature\": \"rate\", \"between\": [0, "
      "1.5], \"mostly\": 1, \"on_fail\": \"null\"}, {\"name\": "
      "\"trips_between\", \"feature\": \"trips\", \"between\": [null, 100], "
      "\"mostly\": 1, \"on_fail\": \"warn\"}, {\"name\": \"city_in\", "
      "\"feature\": \"city\", \"in\": [\"sf\", \"la\", \"1\"], \"mostly\": "
      "0.99, \"on_fail\": \"warn\"}, {\"name\": \"ok_in\", \"feature\": "
      "\"ok\", \"in\": [true], \"mostly\": 1, \"on_fail\": \"warn\"}, "
      "{\"name\": \"city_word\", \"feature\": \"city\", \"matches\": "
      "\"^[a-z]+$\", \"mostly\": 1, \"on_fail\": \"warn\"}, {\"name\": "
      "\"sane\", \"expr\": \"rate <= 1 and trips > 0\", \"on_fail\": "
      "\"reject\"}, {\"name\": \"row_count\", \"row_count\": [1000, null], "
      "\"on_fail\": \"warn\"}, {\"name\": "
      "\"unique_driver_id_event_timestamp\", \"unique\": [\"driver_id\", "
      "\"event_timestamp\"], \"on_fail\": \"reject\"}, {\"name\": "
      "\"freshness\", \"freshness\": \"2h\", \"on_fail\": \"warn\"}], "
      "\"max_failed\": 0.05, ";
  cr_assert(strstr(json, want_json), "ls --json lacks the checks:\n%s", json);
  lr_free(json);
  th_rmrf(dir);
}

/* A view without checks shows none: describe is as before. */
Test(registry, r083_a_view_without_checks_shows_none) {
  char *dir = checked_repo("      []\n");
  char *text = describe(dir, "v", 0);
  cr_assert_null(strstr(text, "checks"), "%s", text);
  cr_assert_null(strstr(text, "max_failed"), "%s", text);
  lr_free(text);
  th_rmrf(dir);
}

/* A check added, changed and removed is a change of the view, listed by
 * name; it needs no materialization (a rule judges rows as they load). */
Test(registry, r084_plan_lists_checks_added_changed_removed) {
  char *dir = checked_repo("      - {feature: rate, between: [0, 1]}\n"
                           "      - {feature: city, not_null: true}\n");
  char text[4096];
  snprintf(text, sizeof text, "%s%s", CHECKED_VIEW,
           "      - {feature: rate, between: [0, 2], on_fail: drop}\n"
           "      - {freshness: 1d}\n"
           "    max_failed: 0.1\n");
  th_write(dir, "defs.yaml", text);
  assert_plan(dir, 1,
              "Plan for project 't' (registry version 1):\n"
              "  ~ feature view v\n"
              "      max_failed: (unset) -> 0.1\n"
              "      ~ check rate_between             between [0, 1] on rate"
              "  on_fail: warn\n"
              "          -> rate_between             between [0, 2] on rate"
              "  on_fail: drop\n"
              "      + check freshness                freshness 1d  on_fail: "
              "warn\n"
              "      - check city_not_null\n"
              "0 to create, 1 to change, 0 to remove.\n"
              "Applied: registry version 2 written to data/registry.db.\n");
  assert_plan(dir, 0,
              "Plan for project 't' (registry version 2):\n"
              "  no changes: the registry matches the definitions\n");
  th_rmrf(dir);
}

/* CHECKED_VIEW with `rules` from line 16 fails with `want_line` and a
 * hint holding `want_hint`. */
static void check_error(const char *rules, const char *want_line,
                        const char *want_hint) {
  char text[4096];
  snprintf(text, sizeof text, "%s%s", CHECKED_VIEW, rules);
  expect_definition_error(text, want_line, want_hint);
}

Test(registry, r085_error_check_unknown_feature) {
  check_error("      - {feature: rat, not_null: true}\n",
              "features.yaml:16:19: view 'v' has no feature 'rat' (in check "
              "'rat_not_null' of feature view 'v')",
              "did you mean 'rate'?");
}

Test(registry, r086_error_between_on_a_string_bool_or_array) {
  check_error("      - {feature: city, between: [0, 1]}\n",
              "features.yaml:16:35: 'between' of check 'city_between' of "
              "feature view 'v' needs a number feature; 'city' is string",
              "test others with in or matches");
  check_error("      - {feature: ok, between: [0, 1]}\n",
              "features.yaml:16:33: 'between' of check 'ok_between' of "
              "feature view 'v' needs a number feature; 'ok' is bool",
              "between tests int32, int64, float32 and float64 features");
  check_error("      - {feature: emb, between: [0, 1]}\n",
              "features.yaml:16:34: 'between' of check 'emb_between' of "
              "feature view 'v' needs a single-valued feature; 'emb' is "
              "array<float32>",
              "only not_null tests array features");
}

Test(registry, r087_error_between_bounds_of_another_type_or_reversed) {
  check_error("      - {feature: rate, between: [low, 1]}\n",
              "features.yaml:16:35: value 'low' in 'between' of check "
              "'rate_between' of feature view 'v' is a string, not a value "
              "of feature 'rate' (float32)",
              "feature 'rate' is float32: give a value of that type");
  check_error("      - {feature: trips, between: [0.5, null]}\n",
              "features.yaml:16:36: value '0.5' in 'between' of check "
              "'trips_between' of feature view 'v' is a number, not a value "
              "of feature 'trips' (int32)",
              "feature 'trips' is int32: give a value of that type");
  check_error("      - {feature: trips, between: [0, 3000000000]}\n",
              "features.yaml:16:39: value '3000000000' in 'between' of check "
              "'trips_between' of feature view 'v' is a whole number, not a "
              "value of feature 'trips' (int32)",
              "feature 'trips' is int32: give a value in its range");
  check_error("      - {feature: rate, between: [1, 0.5]}\n",
              "features.yaml:16:35: 'between' of check 'rate_between' of "
              "feature view 'v' has its low bound 1 above its high bound 0.5",
              "swap them");
  check_error("      - {feature: rate, between: [null, null]}\n",
              "features.yaml:16:35: 'between' of check 1 of feature view 'v' "
              "has no bound",
              "give at least one bound");
  check_error("      - {feature: rate, between: [0]}\n",
              "features.yaml:16:35: 'between' of check 1 of feature view 'v' "
              "must be [low, high], found 1 values",
              "null leaves a side open");
}

Test(registry, r088_error_in_mixed_other_type_empty_or_null) {
  check_error("      - {feature: city, in: [sf, 1]}\n",
              "features.yaml:16:34: 'in' of check 'city_in' of feature view "
              "'v' mixes types: 'sf' is a string, '1' a whole number",
              "list values of one type: feature 'city' is string");
  check_error("      - {feature: city, in: [1, 2]}\n",
              "features.yaml:16:30: value '1' in 'in' of check 'city_in' of "
              "feature view 'v' is a whole number, not a value of feature "
              "'city' (string)",
              "quote it to make it a string: '1'");
  check_error("      - {feature: ok, in: [yes]}\n",
              "features.yaml:16:28: value 'yes' in 'in' of check 'ok_in' of "
              "feature view 'v' is a string, not a value of feature 'ok' "
              "(bool)",
              "feature 'ok' is bool: give a value of that type");
  check_error("      - {feature: city, in: []}\n",
              "features.yaml:16:29: 'in' of check 1 of feature view 'v' "
              "lists no values",
              "list the values allowed");
  check_error("      - {feature: city, in: [sf, null]}\n",
              "features.yaml:16:34: 'in' of check 1 of feature view 'v' "
              "lists null",
              "add a not_null rule to refuse them");
}

Test(registry, r089_error_matches_on_a_number_empty_or_a_bad_pattern) {
  check_error("      - {feature: rate, matches: 'x'}\n",
              "features.yaml:16:35: 'matches' of check 'rate_matches' of "
              "feature view 'v' needs a string feature; 'rate' is float32",
              "test numbers with between");
  check_error("      - {feature: city, matches: ''}\n",
              "features.yaml:16:35: 'matches' of check 1 of feature view 'v' "
              "must be a non-empty value, found an empty value",
              "give it a value");
  check_error("      - {feature: city, matches: '^(a)\\1$'}\n",
              "features.yaml:16:35: 'matches' of check 'city_matches' of "
              "feature view 'v': pattern '^(a)\\1$': character 5: "
              "backreferences are not supported (RE2 refuses them too)",
              "the syntax matches accepts is in docs/repo-format.md, "
              "\"Regular expressions\"");
}

Test(registry, r090_error_mostly_and_max_failed_out_of_range) {
  check_error("      - {feature: city, not_null: true, mostly: 1.5}\n",
              "features.yaml:16:49: 'mostly' of check 1 of feature view 'v' "
              "must be a number from 0 to 1, found '1.5'",
              "e.g. `mostly: 0.99`");
  check_error("      - {feature: city, not_null: true, mostly: all}\n",
              "features.yaml:16:49: 'mostly' of check 1 of feature view 'v' "
              "must be a number from 0 to 1, found 'all'",
              "e.g. `mostly: 0.99`");
  check_error("      - {row_count: [1, null], mostly: 0.5}\n",
              "features.yaml:16:40: 'mostly' is not used by the row_count "
              "check 'row_count' of feature view 'v'",
              "mostly is for not_null, between, in and matches");
  check_error("      - {freshness: 1h}\n"
              "    max_failed: -0.1\n",
              "features.yaml:17:17: 'max_failed' of feature view 'v' must be "
              "a number from 0 to 1, found '-0.1'",
              "e.g. `max_failed: 0.05`");
}

Test(registry, r091_error_on_fail_unknown_or_not_for_the_kind) {
  check_error("      - {feature: city, not_null: true, on_fail: dorp}\n",
              "features.yaml:16:50: unknown on_fail 'dorp' in check 1 of "
              "feature view 'v'",
              "did you mean 'drop'?");
  check_error("      - {row_count: [1, null], on_fail: drop}\n",
              "features.yaml:16:41: on_fail 'drop' does not apply to the "
              "row_count check 'row_count' of feature view 'v'",
              "it tests the whole batch, not rows: use warn or reject");
  check_error("      - {unique: [driver_id], on_fail: \"null\"}\n",
              "features.yaml:16:41: on_fail 'null' does not apply to the "
              "unique check 'unique_driver_id' of feature view 'v'",
              "use warn or reject");
  check_error("      - {freshness: 1h, on_fail: drop}\n",
              "features.yaml:16:34: on_fail 'drop' does not apply to the "
              "freshness check 'freshness' of feature view 'v'",
              "use warn or reject");
  check_error("      - {feature: city, not_null: true, on_fail: \"null\"}\n",
              "features.yaml:16:51: on_fail 'null' does not apply to the "
              "not_null check 'city_not_null' of feature view 'v'",
              "the value is null already: use warn, drop or reject");
  check_error("      - {name: e, expr: \"ok\", on_fail: \"null\"}\n",
              "features.yaml:16:41: on_fail 'null' does not apply to the "
              "expr check 'e' of feature view 'v'",
              "it tests no one feature to set to null");
}

Test(registry, r092_error_unknown_key_two_kinds_no_kind_no_feature) {
  check_error("      - {feature: city, not_null: true, mostyl: 0.9}\n",
              "features.yaml:16:41: unknown field 'mostyl' in check 1 of "
              "feature view 'v'",
              "did you mean 'mostly'?");
  check_error("      - {feature: city, in: [sf], matches: x}\n",
              "features.yaml:16:44: check 1 of feature view 'v' has two "
              "kinds, 'in' and 'matches'",
              "write one rule per entry of 'checks'");
  check_error("      - {feature: city, mostly: 0.5}\n",
              "features.yaml:16:10: check 1 of feature view 'v' has no rule",
              "give it one of not_null, between, in, matches, expr, "
              "row_count, unique, freshness");
  check_error("      - {in: [sf]}\n",
              "features.yaml:16:10: the in check 1 of feature view 'v' has no "
              "'feature'",
              "name the feature it tests, e.g. `feature: conv_rate`");
  check_error("      - {freshness: 1h, feature: city}\n",
              "features.yaml:16:34: 'feature' is not used by the freshness "
              "check 'freshness' of feature view 'v'",
              "remove it");
  check_error("      - {feature: city, not_null: false}\n",
              "features.yaml:16:35: 'not_null' of check 1 of feature view 'v' "
              "must be true, found 'false'",
              "write `not_null: true`, or remove the rule");
}

Test(registry, r093_error_check_names_twice_or_not_identifiers) {
  check_error("      - {feature: city, in: [sf]}\n"
              "      - {feature: city, in: [la]}\n",
              "features.yaml:17:10: two checks of feature view 'v' are named "
              "'city_in'",
              "the first is at features.yaml:16:10; give one a `name:`");
  check_error("      - {name: a, feature: city, in: [sf]}\n"
              "      - {name: a, freshness: 1h}\n",
              "features.yaml:17:16: two checks of feature view 'v' are named "
              "'a'",
              "the first is at features.yaml:16:10; give one a `name:`");
  check_error("      - {name: 'two words', freshness: 1h}\n",
              "features.yaml:16:17: check name 'two words' is not a valid "
              "identifier",
              "use letters, digits and underscores");
}

Test(registry, r094_error_bad_freshness_and_row_count) {
  check_error("      - {freshness: 2x}\n",
              "features.yaml:16:21: bad freshness '2x' in check 1 of feature "
              "view 'v'",
              "e.g. `2h` or `1d`");
  check_error("      - {freshness: 0s}\n",
              "features.yaml:16:21: bad freshness '0s' in check 1 of feature "
              "view 'v'",
              "write the age the newest row may reach");
  check_error("      - {row_count: [10, 1]}\n",
              "features.yaml:16:22: 'row_count' of check 1 of feature view "
              "'v' has its minimum 10 above its maximum 1",
              "swap them");
  check_error("      - {row_count: [-1, 1]}\n",
              "features.yaml:16:22: 'row_count' of check 1 of feature view "
              "'v' must be whole numbers of rows or null, found '-1'",
              "write a number of rows");
}

Test(registry, r095_error_check_expression_bad_or_not_bool) {
  check_error("      - {name: e, expr: \"rate <=\"}\n",
              "features.yaml:16:33: in the expression of check 'e' of "
              "feature view 'v': expected a value but found the end of the "
              "expression",
              "write a number, a name, a call or '(' here");
  check_error("      - {name: e, expr: \"rate + 1\"}\n",
              "features.yaml:16:30: the expression of check 'e' of feature "
              "view 'v' is float; a check's expression must be bool",
              "compare it, e.g. `acc_rate <= 1`");
  check_error("      - {name: e, expr: \"rte > 1\"}\n",
              "features.yaml:16:26: in the expression of check 'e' of "
              "feature view 'v': unknown name 'rte'",
              "did you mean 'rate'?");
}

Test(registry, r096_error_unique_unknown_or_repeated_column) {
  check_error("      - {unique: [driver, event_timestamp]}\n",
              "features.yaml:16:19: unknown column 'driver' in 'unique' of "
              "check 'unique_driver_event_timestamp' of feature view 'v'",
              "did you mean 'driver_id'?");
  check_error("      - {unique: [city, city]}\n",
              "features.yaml:16:25: 'unique' of check 'unique_city_city' of "
              "feature view 'v' lists column 'city' twice",
              "list each column once");
  check_error("      - {unique: []}\n",
              "features.yaml:16:18: 'unique' of check 1 of feature view 'v' "
              "lists no columns",
              "list the columns that identify a row");
}

/* Checks belong to feature views: an on-demand view has none. */
Test(registry, r097_error_checks_on_an_on_demand_view) {
  expect_definition_error(
      PREAMBLE
      "feature_views:\n"
      "  - {name: v, entities: [driver], source: src,\n"
      "     schema: [{name: rate, dtype: float32}]}\n"
      "on_demand_feature_views:\n"
      "  - name: o\n"
      "    sources: [v]\n"
      "    schema: [{name: r2, dtype: float64, expr: \"rate * 2\"}]\n"
      "    checks: [{feature: r2, not_null: true}]\n",
      "features.yaml:12:5: unknown field 'checks' in on-demand feature view "
      "'o'",
      "known fields");
}

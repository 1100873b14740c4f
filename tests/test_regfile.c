/*
 * test_regfile.c - unit tests of the registry file: a model covering every
 * object kind and attribute survives encode/decode field by field, and any
 * damage (a flipped byte, a cut, a wrong magic, another format number) is
 * detected rather than loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>

#include "helpers.h"
#include "larder.h"
#include "registry/load.h"
#include "registry/model.h"
#include "registry/plan.h"
#include "registry/regfile.h"
#include "util/fs.h"

/* ---- the fixture repo --------------------------------------------------- */

static const char fixture_config[] =
    "project: regfile_project\n"
    "registry: data/reg/registry.db\n"
    "online_store: {type: lmdb, path: data/online_x}\n"
    "offline_store: {type: duckdb}\n"
    "provider: local\n";

static const char fixture_entities[] =
    "entities:\n"
    "  - name: driver\n"
    "    join_keys: [driver_id]\n"
    "    value_type: int64\n"
    "    description: \"A driver, \\\"quoted\\\"\"\n"
    "    tags: {owner: ranking, tier: gold}\n"
    "  - name: customer\n"
    "    join_keys: [customer_id, region]\n"
    "    value_type: String\n";

static const char fixture_sources[] =
    "sources:\n"
    "  - name: stats_file\n"
    "    kind: file\n"
    "    path: data/*.csv\n"
    "    timestamp_field: event_timestamp\n"
    "    created_timestamp_column: created\n"
    "    timestamp_unit: ms\n"
    "    field_mapping: {trips: avg_daily_trips, conv: conv_rate}\n"
    "    description: hourly stats\n"
    "    tags: {pii: \"no\"}\n"
    "  - name: stats_sql\n"
    "    kind: sql\n"
    "    query: \"SELECT * FROM t WHERE x = 'a:b'\"\n"
    "    timestamp_field: ts\n"
    "  - name: stats_push\n"
    "    kind: push\n"
    "    batch_source: stats_file\n"
    "    timestamp_unit: ns\n"
    "    offline_path: data/pushes\n"
    "  - name: stats_latest\n"
    "    kind: file\n"
    "    path: data/*.csv\n"
    "    as_of: 2024-06-01T10:00:00+02:00\n"
    "request_sources:\n"
    "  - name: vals\n"
    "    schema:\n"
    "      - {name: val_a, dtype: int64, description: first}\n"
    "      - {name: val_b, dtype: array<float32>}\n"
    "    description: request values\n"
    "    tags: {k: v}\n";

/* views.yaml, first version */
static const char fixture_views_v1[] =
    "feature_views:\n"
    "  - name: driver_stats\n"
    "    entities: [driver, customer]\n"
    "    ttl: 1h30m\n"
    "    source: stats_file\n"
    "    online: false\n"
    "    schema:\n"
    "      - {name: conv_rate, dtype: float32, description: conversion}\n"
    "      - {name: avg_daily_trips, dtype: int64}\n"
    "      - {name: embedding, dtype: Array(Float32)}\n"
    "      - {name: label, dtype: string}\n"
    "    description: driver stats\n"
    "    tags: {team: drivers, tier: \"1\"}\n"
    "  - name: pushed\n"
    "    entities: [driver]\n"
    "    ttl: 0s\n"
    "    source: stats_push\n"
    "    schema:\n"
    "      - {name: p1, dtype: float64}\n"
    "on_demand_feature_views:\n"
    "  - name: odfv\n"
    "    sources: [driver_stats, vals]\n"
    "    schema:\n"
    "      - {name: conv_plus, dtype: float64, expr: \"conv_rate + val_a\"}\n"
    "    description: computed\n"
    "    tags: {kind: odfv}\n"
    "  - name: stored\n"
    "    sources: [pushed]\n"
    "    write_to_online_store: true\n"
    "    schema:\n"
    "      - {name: p2, dtype: float64, expr: \"p1 * 2\"}\n"
    "feature_services:\n"
    "  - name: svc\n"
    "    features:\n"
    "      - driver_stats: [conv_rate, label]\n"
    "      - odfv\n"
    "      - pushed:p1\n"
    "    description: the service\n"
    "    tags: {owner: me}\n";

/* second version: avg_daily_trips removed, new_feat added */
static const char fixture_views_v2[] =
    "feature_views:\n"
    "  - name: driver_stats\n"
    "    entities: [driver, customer]\n"
    "    ttl: 1h30m\n"
    "    source: stats_file\n"
    "    online: false\n"
    "    schema:\n"
    "      - {name: conv_rate, dtype: float32, description: conversion}\n"
    "      - {name: embedding, dtype: Array(Float32)}\n"
    "      - {name: label, dtype: string}\n"
    "      - {name: new_feat, dtype: int32}\n"
    "    description: driver stats\n"
    "    tags: {team: drivers, tier: \"1\"}\n"
    "    checks:\n"
    "      - {feature: conv_rate, between: [0, null], mostly: 0.9,\n"
    "         on_fail: drop}\n"
    "      - {feature: label, in: [a, 'b'], on_fail: \"null\"}\n"
    "      - {feature: label, matches: '^x'}\n"
    "      - {name: sane, expr: \"conv_rate <= 1\", on_fail: reject}\n"
    "      - {row_count: [1, 10]}\n"
    "      - {unique: [driver_id, event_timestamp], on_fail: reject}\n"
    "      - {freshness: 90m}\n"
    "    max_failed: 0.25\n"
    "  - name: pushed\n"
    "    entities: [driver]\n"
    "    ttl: 0s\n"
    "    source: stats_push\n"
    "    schema:\n"
    "      - {name: p1, dtype: float64}\n"
    "on_demand_feature_views:\n"
    "  - name: odfv\n"
    "    sources: [driver_stats, vals]\n"
    "    schema:\n"
    "      - {name: conv_plus, dtype: float64, expr: \"conv_rate + val_a\"}\n"
    "    description: computed\n"
    "    tags: {kind: odfv}\n"
    "  - name: stored\n"
    "    sources: [pushed]\n"
    "    write_to_online_store: true\n"
    "    schema:\n"
    "      - {name: p2, dtype: float64, expr: \"p1 * 2\"}\n"
    "feature_services:\n"
    "  - name: svc\n"
    "    features:\n"
    "      - driver_stats: [conv_rate, label]\n"
    "      - odfv\n"
    "      - pushed:p1\n"
    "    description: the service\n"
    "    tags: {owner: me}\n";

static char *fixture_repo(const char *views) {
  char *dir = th_tempdir();
  th_write(dir, "feature_store.yaml", fixture_config);
  th_write(dir, "defs/entities.yaml", fixture_entities);
  th_write(dir, "sources.yml", fixture_sources);
  th_write(dir, "views.yaml", views);
  th_write(dir, "data/stats.csv", "driver_id,event_timestamp\n");
  return dir;
}

/* Loads and validates the repo at `dir` into the empty model `m`. */
static void load_model(const char *dir, lr__model *m) {
  lr__diag diag;
  lr__diag_init(&diag);
  int rc = lr__load_config(m, dir, &diag);
  if (rc == 0)
    rc = lr__load_definitions(m, dir, &diag);
  if (rc == 0)
    rc = lr__model_sort(m);
  if (rc == 0)
    rc = lr__validate(m, &diag);
  lr__buf msg;
  lr__buf_init(&msg);
  if (diag.count) /* (formatting an empty list is test_util's u035) */
    lr__diag_format(&diag, &msg);
  lr__diag_free(&diag);
  cr_assert_eq(rc, 0, "the fixture does not load: %s", lr__buf_str(&msg));
  lr__buf_free(&msg);
}

/* Plans `next` against `old` (for its registry state: slots). */
static void plan_model(const lr__model *old, lr__model *next) {
  lr__buf text;
  lr__buf_init(&text);
  lr__plan_summary sum;
  int rc = lr__plan(old, next, 0, &text, &sum);
  cr_assert_eq(rc, 0, "plan failed: %s", lr__buf_str(&text));
  lr__buf_free(&text);
}

/* The fixture's second version planned over the first: slots with a gap. */
static void build_fixture_model(lr__model *m) {
  char *dir = fixture_repo(fixture_views_v1);
  lr__model empty, v1;
  lr__model_init(&empty);
  lr__model_init(&v1);
  load_model(dir, &v1);
  plan_model(&empty, &v1);
  th_write(dir, "views.yaml", fixture_views_v2);
  load_model(dir, m);
  plan_model(&v1, m);
  lr__model_free(&v1);
  lr__model_free(&empty);
  th_rmrf(dir);
  m->version = 7;
  m->applied_at = 1700000000;
  lr__view *v = (lr__view *)lr__model_view(m, "pushed");
  cr_assert_not_null(v);
  v->layout_epoch = 3;
}

static void encode(const lr__model *m, lr__buf *img) {
  lr__buf_init(img);
  cr_assert_eq(lr__regfile_encode(m, img), 0);
  cr_assert_gt(img->len, 20u);
}

/* ---- comparing models --------------------------------------------------- */

static void same_str(const char *a, const char *b, const char *what) {
  if (!a || !b)
    cr_assert(a == b, "%s: '%s' vs '%s'", what, a ? a : "(null)",
              b ? b : "(null)");
  else
    cr_assert_str_eq(a, b, "%s", what);
}

static void same_loc(lr__loc a, lr__loc b, const char *what) {
  same_str(a.file, b.file, what);
  cr_assert_eq(a.line, b.line, "%s: line", what);
  cr_assert_eq(a.col, b.col, "%s: col", what);
}

static void same_strs(const char **a, int na, const char **b, int nb,
                      const char *what) {
  cr_assert_eq(na, nb, "%s: count", what);
  for (int i = 0; i < na; i++)
    same_str(a[i], b[i], what);
}

static void same_kvs(const lr__kv *a, int na, const lr__kv *b, int nb,
                     const char *what) {
  cr_assert_eq(na, nb, "%s: count", what);
  for (int i = 0; i < na; i++) {
    same_str(a[i].key, b[i].key, what);
    same_str(a[i].value, b[i].value, what);
  }
}

static void same_fields(const lr__field *a, int na, const lr__field *b, int nb,
                        const char *what) {
  cr_assert_eq(na, nb, "%s: count", what);
  for (int i = 0; i < na; i++) {
    same_str(a[i].name, b[i].name, what);
    same_str(a[i].description, b[i].description, what);
    same_str(a[i].expr, b[i].expr, what);
    cr_assert_eq(a[i].dtype, b[i].dtype, "%s: dtype of %s", what, a[i].name);
    cr_assert_eq(a[i].slot, b[i].slot, "%s: slot of %s", what, a[i].name);
    same_loc(a[i].loc, b[i].loc, what);
  }
}

static void same_checks(const lr__view *x, const lr__view *y) {
  cr_assert_eq(x->n_checks, y->n_checks, "checks of %s", x->name);
  cr_assert_eq(x->has_max_failed, y->has_max_failed);
  cr_assert_eq(x->max_failed, y->max_failed, "max_failed of %s", x->name);
  for (int i = 0; i < x->n_checks; i++) {
    const lr__check *c = &x->checks[i], *d = &y->checks[i];
    same_str(c->name, d->name, "check name");
    cr_assert_eq(c->kind, d->kind, "kind of check %s", c->name);
    cr_assert_eq(c->on_fail, d->on_fail, "on_fail of check %s", c->name);
    same_str(c->feature, d->feature, "check feature");
    same_str(c->text, d->text, "check text");
    cr_assert_eq(c->n_values, d->n_values, "values of check %s", c->name);
    for (int k = 0; k < c->n_values; k++) {
      cr_assert_eq(c->values[k].type, d->values[k].type);
      same_str(c->values[k].text, d->values[k].text, "check value");
    }
    same_strs(c->columns, c->n_columns, d->columns, d->n_columns,
              "check columns");
    cr_assert_eq(c->freshness_seconds, d->freshness_seconds);
    cr_assert_eq(c->mostly, d->mostly, "mostly of check %s", c->name);
    same_loc(c->loc, d->loc, "check loc");
  }
}

static void same_model(const lr__model *a, const lr__model *b) {
  same_str(a->config.project, b->config.project, "project");
  same_str(a->config.registry_path, b->config.registry_path, "registry");
  same_str(a->config.online_type, b->config.online_type, "online type");
  same_str(a->config.online_path, b->config.online_path, "online path");
  same_str(a->config.offline_type, b->config.offline_type, "offline type");
  cr_assert_eq(a->version, b->version);
  cr_assert_eq(a->applied_at, b->applied_at);

  cr_assert_eq(a->n_entities, b->n_entities);
  for (int i = 0; i < a->n_entities; i++) {
    const lr__entity *x = &a->entities[i], *y = &b->entities[i];
    same_str(x->name, y->name, "entity name");
    same_str(x->description, y->description, "entity description");
    same_strs(x->join_keys, x->n_join_keys, y->join_keys, y->n_join_keys,
              "join keys");
    cr_assert_eq(x->value_type, y->value_type, "value_type of %s", x->name);
    same_kvs(x->tags, x->n_tags, y->tags, y->n_tags, "entity tags");
    same_loc(x->loc, y->loc, "entity loc");
  }

  cr_assert_eq(a->n_sources, b->n_sources);
  for (int i = 0; i < a->n_sources; i++) {
    const lr__source *x = &a->sources[i], *y = &b->sources[i];
    same_str(x->name, y->name, "source name");
    same_str(x->description, y->description, "source description");
    cr_assert_eq(x->kind, y->kind, "kind of %s", x->name);
    same_str(x->path, y->path, "path");
    same_str(x->query, y->query, "query");
    same_str(x->timestamp_field, y->timestamp_field, "timestamp_field");
    same_str(x->created_column, y->created_column, "created column");
    same_str(x->batch_source, y->batch_source, "batch_source");
    cr_assert_eq(x->time_unit, y->time_unit, "timestamp_unit of %s", x->name);
    cr_assert_eq(x->has_as_of, y->has_as_of, "as_of of %s", x->name);
    cr_assert_eq(x->as_of_us, y->as_of_us, "as_of of %s", x->name);
    same_str(x->offline_path, y->offline_path, "offline_path");
    same_kvs(x->field_mapping, x->n_field_mapping, y->field_mapping,
             y->n_field_mapping, "field_mapping");
    same_fields(x->fields, x->n_fields, y->fields, y->n_fields,
                "request schema");
    same_kvs(x->tags, x->n_tags, y->tags, y->n_tags, "source tags");
    same_loc(x->loc, y->loc, "source loc");
  }

  cr_assert_eq(a->n_views, b->n_views);
  for (int i = 0; i < a->n_views; i++) {
    const lr__view *x = &a->views[i], *y = &b->views[i];
    same_str(x->name, y->name, "view name");
    same_str(x->description, y->description, "view description");
    cr_assert_eq(x->kind, y->kind, "kind of %s", x->name);
    same_strs(x->entities, x->n_entities, y->entities, y->n_entities,
              "view entities");
    same_str(x->source, y->source, "view source");
    same_strs(x->sources, x->n_sources, y->sources, y->n_sources,
              "odfv sources");
    cr_assert_eq(x->ttl_seconds, y->ttl_seconds, "ttl of %s", x->name);
    cr_assert_eq(x->online, y->online, "online of %s", x->name);
    cr_assert_eq(x->write_to_online_store, y->write_to_online_store);
    same_fields(x->features, x->n_features, y->features, y->n_features,
                "features");
    same_kvs(x->tags, x->n_tags, y->tags, y->n_tags, "view tags");
    same_checks(x, y);
    cr_assert_eq(x->next_slot, y->next_slot, "next_slot of %s", x->name);
    for (int k = 0; k < x->next_slot; k++)
      cr_assert_eq(x->slot_types[k], y->slot_types[k],
                   "slot_types[%d] of %s", k, x->name);
    cr_assert_eq(x->layout_epoch, y->layout_epoch, "epoch of %s", x->name);
    same_loc(x->loc, y->loc, "view loc");
  }

  cr_assert_eq(a->n_services, b->n_services);
  for (int i = 0; i < a->n_services; i++) {
    const lr__service *x = &a->services[i], *y = &b->services[i];
    same_str(x->name, y->name, "service name");
    same_str(x->description, y->description, "service description");
    cr_assert_eq(x->n_items, y->n_items);
    for (int k = 0; k < x->n_items; k++) {
      same_str(x->items[k].view, y->items[k].view, "item view");
      same_strs(x->items[k].features, x->items[k].n_features,
                y->items[k].features, y->items[k].n_features,
                "item features");
      same_loc(x->items[k].loc, y->items[k].loc, "item loc");
    }
    same_kvs(x->tags, x->n_tags, y->tags, y->n_tags, "service tags");
    same_loc(x->loc, y->loc, "service loc");
  }
}

/* ---- image surgery ------------------------------------------------------ */

static uint64_t fnv1a64(const unsigned char *p, size_t len) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

/* Rewrites the trailing checksum so the image passes it again. */
static void recompute_checksum(unsigned char *img, size_t len) {
  uint64_t h = fnv1a64(img, len - 8);
  for (int i = 0; i < 8; i++)
    img[len - 8 + i] = (unsigned char)(h >> (8 * i)); /* little-endian */
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

/* Offset of the entity count: header, five config strings, version and
 * applied_at. */
static size_t entity_count_offset(const unsigned char *img) {
  size_t off = 12;
  for (int i = 0; i < 5; i++) {
    uint32_t n = get_u32(img + off);
    off += 4 + (n ? n - 1 : 0);
  }
  return off + 20; /* version u64, next_epoch u32, applied_at i64 */
}

static int decode_rc(const void *data, size_t len, lr__buf *err) {
  lr__model m;
  lr__model_init(&m);
  int rc = lr__regfile_decode(data, len, &m, err);
  lr__model_free(&m);
  return rc;
}

/* ---- tests -------------------------------------------------------------- */

Test(regfile, f001_round_trip_compares_every_field) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  cr_assert_eq(memcmp(img.data, "LARDERRG", 8), 0, "the magic comes first");
  cr_assert_eq(get_u32((unsigned char *)img.data + 8), LR__REGFILE_FORMAT);

  lr__model back;
  lr__model_init(&back);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_decode(img.data, img.len, &back, &err), 0, "%s",
               lr__buf_str(&err));
  same_model(&m, &back);

  /* and the fixture really holds what it should (no vacuous comparison) */
  cr_assert_str_eq(back.config.project, "regfile_project");
  cr_assert_str_eq(back.config.registry_path, "data/reg/registry.db");
  cr_assert_str_eq(back.config.online_path, "data/online_x");
  cr_assert_eq(back.version, 7u);
  cr_assert_eq(back.applied_at, 1700000000);
  cr_assert_eq(back.n_entities, 2);
  cr_assert_eq(back.n_sources, 5);
  cr_assert_eq(back.n_views, 4);
  cr_assert_eq(back.n_services, 1);

  const lr__view *checked = lr__model_view(&back, "driver_stats");
  cr_assert_not_null(checked);
  cr_assert_eq(checked->n_checks, 7);
  cr_assert(checked->has_max_failed);
  cr_assert_eq(checked->max_failed, 0.25);
  const lr__check *first = &checked->checks[0];
  cr_assert_str_eq(first->name, "conv_rate_between");
  cr_assert_eq(first->kind, LR__CHECK_BETWEEN);
  cr_assert_eq(first->on_fail, LR__ON_FAIL_DROP);
  cr_assert_eq(first->mostly, 0.9);
  cr_assert_eq(first->n_values, 2);
  cr_assert_eq(first->values[1].type, LR__VALUE_NULL);
  cr_assert_eq(checked->checks[1].values[1].type, LR__VALUE_STRING);
  cr_assert_eq(checked->checks[1].on_fail, LR__ON_FAIL_NULL);
  cr_assert_str_eq(checked->checks[2].text, "^x");
  cr_assert_str_eq(checked->checks[3].text, "conv_rate <= 1");
  cr_assert_str_eq(checked->checks[4].values[1].text, "10");
  cr_assert_eq(checked->checks[5].n_columns, 2);
  cr_assert_eq(checked->checks[6].freshness_seconds, 5400);
  cr_assert_str_eq(first->loc.file, "views.yaml");

  const lr__entity *driver = lr__model_entity(&back, "driver");
  cr_assert_not_null(driver);
  cr_assert_str_eq(driver->description, "A driver, \"quoted\"");
  cr_assert_eq(driver->value_type, LR__DT_INT64);
  cr_assert_eq(driver->n_tags, 2);
  cr_assert_str_eq(driver->tags[1].key, "tier");
  cr_assert_str_eq(driver->tags[1].value, "gold");
  cr_assert_str_eq(driver->loc.file, "defs/entities.yaml");
  cr_assert_eq(driver->loc.line, 2);
  cr_assert_eq(driver->loc.col, 5);
  const lr__entity *customer = lr__model_entity(&back, "customer");
  cr_assert_not_null(customer);
  cr_assert_eq(customer->value_type, LR__DT_STRING);
  cr_assert_eq(customer->n_join_keys, 2);
  cr_assert_str_eq(customer->join_keys[1], "region");
  cr_assert_null(customer->description);

  const lr__source *file = lr__model_source(&back, "stats_file");
  cr_assert_not_null(file);
  cr_assert_eq(file->kind, LR__SOURCE_FILE);
  cr_assert_str_eq(file->path, "data/*.csv");
  cr_assert_str_eq(file->created_column, "created");
  cr_assert_eq(lr__source_time_unit(file), 1); /* LR__TIME_MS */
  const lr__source *latest = lr__model_source(&back, "stats_latest");
  cr_assert_not_null(latest);
  cr_assert_null(latest->timestamp_field);
  cr_assert(latest->has_as_of);
  cr_assert_eq(latest->as_of_us, 1717228800000000ll); /* 08:00Z */
  cr_assert_eq(lr__source_time_unit(lr__model_source(&back, "stats_sql")),
               0); /* none declared: seconds */
  cr_assert_eq(file->n_field_mapping, 2);
  cr_assert_str_eq(file->field_mapping[0].key, "trips");
  cr_assert_str_eq(file->field_mapping[0].value, "avg_daily_trips");
  cr_assert_str_eq(file->loc.file, "sources.yml");
  const lr__source *sql = lr__model_source(&back, "stats_sql");
  cr_assert_not_null(sql);
  cr_assert_str_eq(sql->query, "SELECT * FROM t WHERE x = 'a:b'");
  const lr__source *push = lr__model_source(&back, "stats_push");
  cr_assert_not_null(push);
  cr_assert_eq(push->kind, LR__SOURCE_PUSH);
  cr_assert_str_eq(push->batch_source, "stats_file");
  cr_assert_str_eq(push->offline_path, "data/pushes");
  const lr__source *req = lr__model_source(&back, "vals");
  cr_assert_not_null(req);
  cr_assert_eq(req->kind, LR__SOURCE_REQUEST);
  cr_assert_eq(req->n_fields, 2);
  cr_assert_str_eq(req->fields[0].description, "first");
  cr_assert_eq(req->fields[1].dtype, LR__DT_ARRAY | LR__DT_FLOAT32);

  const lr__view *ds = lr__model_view(&back, "driver_stats");
  cr_assert_not_null(ds);
  cr_assert_eq(ds->kind, LR__VIEW_BATCH);
  cr_assert_eq(ds->ttl_seconds, 5400);
  cr_assert_not(ds->online);
  cr_assert_eq(ds->n_entities, 2);
  cr_assert_str_eq(ds->entities[1], "customer");
  cr_assert_eq(ds->n_features, 4);
  static const char *names[] = {"conv_rate", "embedding", "label", "new_feat"};
  static const uint8_t types[] = {LR__DT_FLOAT32, LR__DT_ARRAY | LR__DT_FLOAT32,
                                  LR__DT_STRING, LR__DT_INT32};
  static const uint16_t slots[] = {0, 2, 3, 4};
  for (int i = 0; i < 4; i++) {
    cr_assert_str_eq(ds->features[i].name, names[i]);
    cr_assert_eq(ds->features[i].dtype, types[i]);
    cr_assert_eq(ds->features[i].slot, slots[i], "slot of %s", names[i]);
  }
  cr_assert_eq(ds->next_slot, 5);
  cr_assert_eq(ds->slot_types[1], LR__DT_INT64, "the removed feature's type");
  cr_assert_eq(ds->slot_types[4], LR__DT_INT32);
  cr_assert_str_eq(ds->features[0].description, "conversion");
  cr_assert_str_eq(ds->loc.file, "views.yaml");
  cr_assert_eq(ds->loc.line, 2);
  cr_assert_eq(ds->features[0].loc.line, 8);
  const lr__view *pushed = lr__model_view(&back, "pushed");
  cr_assert_not_null(pushed);
  cr_assert_eq(pushed->ttl_seconds, 0);
  cr_assert(pushed->online);
  cr_assert_eq(pushed->layout_epoch, 3u);
  const lr__view *odfv = lr__model_view(&back, "odfv");
  cr_assert_not_null(odfv);
  cr_assert_eq(odfv->kind, LR__VIEW_ON_DEMAND);
  cr_assert(!odfv->write_to_online_store);
  cr_assert_eq(odfv->n_sources, 2);
  cr_assert_str_eq(odfv->sources[1], "vals");
  cr_assert_str_eq(odfv->features[0].expr, "conv_rate + val_a");
  const lr__view *stored = lr__model_view(&back, "stored");
  cr_assert_not_null(stored);
  cr_assert(stored->write_to_online_store);
  cr_assert_str_eq(stored->sources[0], "pushed");

  const lr__service *svc = lr__model_service(&back, "svc");
  cr_assert_not_null(svc);
  cr_assert_eq(svc->n_items, 3);
  cr_assert_str_eq(svc->items[0].view, "driver_stats");
  cr_assert_eq(svc->items[0].n_features, 2);
  cr_assert_str_eq(svc->items[0].features[1], "label");
  cr_assert_str_eq(svc->items[1].view, "odfv");
  cr_assert_eq(svc->items[1].n_features, 0, "a whole view");
  cr_assert_str_eq(svc->items[2].view, "pushed");
  cr_assert_str_eq(svc->items[2].features[0], "p1");
  cr_assert_str_eq(svc->description, "the service");

  lr__buf_free(&err);
  lr__buf_free(&img);
  lr__model_free(&back);
  lr__model_free(&m);
}

Test(regfile, f002_encoding_is_deterministic_and_stable) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf a, b, c;
  encode(&m, &a);
  encode(&m, &b);
  cr_assert_eq(a.len, b.len);
  cr_assert_eq(memcmp(a.data, b.data, a.len), 0);
  /* decode then re-encode: the very same bytes */
  lr__model back;
  lr__model_init(&back);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_decode(a.data, a.len, &back, &err), 0);
  encode(&back, &c);
  cr_assert_eq(a.len, c.len);
  cr_assert_eq(memcmp(a.data, c.data, a.len), 0);
  lr__buf_free(&a);
  lr__buf_free(&b);
  lr__buf_free(&c);
  lr__buf_free(&err);
  lr__model_free(&back);
  lr__model_free(&m);
}

Test(regfile, f003_empty_model_round_trips) {
  lr__model m;
  lr__model_init(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model back;
  lr__model_init(&back);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_decode(img.data, img.len, &back, &err), 0, "%s",
               lr__buf_str(&err));
  same_model(&m, &back);
  cr_assert_null(back.config.project);
  cr_assert_eq(back.n_views, 0);
  lr__buf_free(&img);
  lr__buf_free(&err);
  lr__model_free(&back);
}

Test(regfile, f004_any_flipped_byte_is_corrupt) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model_free(&m);
  unsigned char *copy = malloc(img.len);
  lr__buf err;
  lr__buf_init(&err);
  const unsigned char masks[] = {0xFF, 0x01, 0x80};
  for (size_t i = 0; i < img.len; i++) {
    for (size_t k = 0; k < sizeof masks; k++) {
      memcpy(copy, img.data, img.len);
      copy[i] ^= masks[k];
      lr__buf_reset(&err);
      int rc = decode_rc(copy, img.len, &err);
      cr_assert_eq(rc, LR_ECORRUPT, "byte %zu of %zu ^ 0x%02x: got %s", i,
                   img.len, masks[k], lr_err_name(rc));
      cr_assert_gt(err.len, 0u, "no reason given");
    }
  }
  free(copy);
  lr__buf_free(&err);
  lr__buf_free(&img);
}

Test(regfile, f005_truncated_image_is_corrupt) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model_free(&m);
  lr__buf err;
  lr__buf_init(&err);
  for (size_t len = 0; len < img.len; len++) {
    /* a copy of exactly `len` bytes, so ASan sees any read past it */
    unsigned char *cut = malloc(len ? len : 1);
    memcpy(cut, img.data, len);
    lr__buf_reset(&err);
    int rc = decode_rc(cut, len, &err);
    free(cut);
    cr_assert_eq(rc, LR_ECORRUPT, "cut to %zu of %zu bytes: got %s", len,
                 img.len, lr_err_name(rc));
  }
  lr__buf_free(&err);
  lr__buf_free(&img);
}

Test(regfile, f006_wrong_magic_is_corrupt) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model_free(&m);
  unsigned char *copy = malloc(img.len);
  lr__buf err;
  lr__buf_init(&err);
  const char *magics[] = {"LARDERRH", "larderrg", "SQLite f", "\0\0\0\0\0\0\0\0"};
  for (size_t i = 0; i < sizeof magics / sizeof *magics; i++) {
    memcpy(copy, img.data, img.len);
    memcpy(copy, magics[i], 8);
    recompute_checksum(copy, img.len); /* only the magic is wrong */
    lr__buf_reset(&err);
    cr_assert_eq(decode_rc(copy, img.len, &err), LR_ECORRUPT, "magic #%zu", i);
    cr_assert(strstr(lr__buf_str(&err), "not a Larder registry"), "%s",
              lr__buf_str(&err));
  }
  free(copy);
  lr__buf_free(&err);
  lr__buf_free(&img);
}

Test(regfile, f007_other_format_number_is_eversion) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model_free(&m);
  unsigned char *copy = malloc(img.len);
  lr__buf err;
  lr__buf_init(&err);
  const uint32_t formats[] = {LR__REGFILE_FORMAT + 1, 0, 0xFFFFFFFFu};
  for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
    memcpy(copy, img.data, img.len);
    put_u32(copy + 8, formats[i]);
    recompute_checksum(copy, img.len);
    lr__buf_reset(&err);
    int rc = decode_rc(copy, img.len, &err);
    cr_assert_eq(rc, LR_EVERSION, "format %u: got %s", formats[i],
                 lr_err_name(rc));
    char num[16];
    snprintf(num, sizeof num, "%u", formats[i]);
    cr_assert(strstr(lr__buf_str(&err), num), "the message names format %s: %s",
              num, lr__buf_str(&err));
  }
  /* without the recomputed checksum the same change is just damage */
  memcpy(copy, img.data, img.len);
  put_u32(copy + 8, LR__REGFILE_FORMAT + 1);
  cr_assert_eq(decode_rc(copy, img.len, &err), LR_ECORRUPT);
  free(copy);
  lr__buf_free(&err);
  lr__buf_free(&img);
}

Test(regfile, f008_read_missing_file_is_enoregistry) {
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/data/registry.db", dir);
  lr__model m;
  lr__model_init(&m);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_read(path, &m, &err), LR_ENOREGISTRY);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  cr_assert(strstr(lr__buf_str(&err), "larder apply"), "%s",
            lr__buf_str(&err));
  lr__buf_free(&err);
  lr__model_free(&m);
  th_rmrf(dir);
}

Test(regfile, f009_write_then_read_creates_folders_and_round_trips) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/data/deep/er/registry.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_write(path, &m, &err), 0, "%s", lr__buf_str(&err));
  lr__model back;
  lr__model_init(&back);
  cr_assert_eq(lr__regfile_read(path, &back, &err), 0, "%s",
               lr__buf_str(&err));
  same_model(&m, &back);
  /* the file holds exactly the encoded image, and nothing else is there */
  lr__buf img;
  encode(&m, &img);
  char *data;
  size_t len;
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), 0);
  cr_assert_eq(len, img.len);
  cr_assert_eq(memcmp(data, img.data, len), 0);
  free(data);
  snprintf(path, sizeof path, "%s/data/deep/er", dir);
  DIR *d = opendir(path);
  cr_assert_not_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      n++;
      cr_assert_str_eq(e->d_name, "registry.db");
    }
  closedir(d);
  cr_assert_eq(n, 1);
  lr__buf_free(&img);
  lr__buf_free(&err);
  lr__model_free(&back);
  lr__model_free(&m);
  th_rmrf(dir);
}

Test(regfile, f010_read_damaged_file_is_corrupt_and_names_it) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/registry.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_write(path, &m, &err), 0, "%s", lr__buf_str(&err));
  lr__model_free(&m);
  char *data;
  size_t len;
  cr_assert_eq(lr__fs_read_file(path, &data, &len, &err), 0);
  data[len / 2] ^= 0x10;
  cr_assert_eq(lr__fs_write_file(path, data, len, &err), 0);
  free(data);
  lr__model back;
  lr__model_init(&back);
  cr_assert_eq(lr__regfile_read(path, &back, &err), LR_ECORRUPT);
  cr_assert(strstr(lr__buf_str(&err), path), "%s", lr__buf_str(&err));
  cr_assert(strstr(lr__buf_str(&err), "checksum"), "%s", lr__buf_str(&err));
  lr__model_free(&back);
  lr__buf_free(&err);
  th_rmrf(dir);
}

Test(regfile, f011_inconsistent_content_with_valid_checksum_is_corrupt) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__buf img;
  encode(&m, &img);
  lr__model_free(&m);
  lr__buf err;
  lr__buf_init(&err);

  /* extra bytes between the model and the checksum */
  size_t len = img.len + 3;
  unsigned char *longer = malloc(len);
  memcpy(longer, img.data, img.len - 8);
  memcpy(longer + img.len - 8, "xyz", 3);
  recompute_checksum(longer, len);
  cr_assert_eq(decode_rc(longer, len, &err), LR_ECORRUPT);
  cr_assert(strstr(lr__buf_str(&err), "inconsistent"), "%s", lr__buf_str(&err));
  free(longer);

  /* a count far larger than the bytes that follow */
  unsigned char *copy = malloc(img.len);
  size_t off = entity_count_offset((unsigned char *)img.data);
  cr_assert_eq(get_u32((unsigned char *)img.data + off), 2u,
               "the entity count is where the layout says");
  const uint32_t counts[] = {0x7FFFFFFFu, 0x80000000u, 1000000u, 3u};
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
    memcpy(copy, img.data, img.len);
    put_u32(copy + off, counts[i]);
    recompute_checksum(copy, img.len);
    lr__buf_reset(&err);
    cr_assert_eq(decode_rc(copy, img.len, &err), LR_ECORRUPT, "count %u",
                 counts[i]);
  }
  /* a string length past the end */
  memcpy(copy, img.data, img.len);
  put_u32(copy + 12, 0xFFFFFFFFu); /* the project's length */
  recompute_checksum(copy, img.len);
  cr_assert_eq(decode_rc(copy, img.len, &err), LR_ECORRUPT);
  free(copy);
  lr__buf_free(&err);
  lr__buf_free(&img);
}

static int failing_rename(const char *from, const char *to) {
  (void)from;
  (void)to;
  errno = EIO;
  return -1;
}

Test(regfile, f012_write_with_failing_rename_keeps_old_file) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  char *dir = th_tempdir();
  char path[4096];
  snprintf(path, sizeof path, "%s/registry.db", dir);
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__regfile_write(path, &m, &err), 0, "%s", lr__buf_str(&err));
  char *before;
  size_t before_len;
  cr_assert_eq(lr__fs_read_file(path, &before, &before_len, &err), 0);
  m.version = 8;
  int (*saved)(const char *, const char *) = lr__fs_rename;
  lr__fs_rename = failing_rename;
  int rc = lr__regfile_write(path, &m, &err);
  lr__fs_rename = saved;
  cr_assert_eq(rc, LR_EIO);
  char *after;
  size_t after_len;
  cr_assert_eq(lr__fs_read_file(path, &after, &after_len, &err), 0);
  cr_assert_eq(after_len, before_len);
  cr_assert_eq(memcmp(before, after, before_len), 0);
  DIR *d = opendir(dir);
  struct dirent *e;
  while ((e = readdir(d)))
    cr_assert_null(strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
  closedir(d);
  free(before);
  free(after);
  lr__buf_free(&err);
  lr__model_free(&m);
  th_rmrf(dir);
}

/* A registry written by the first version of Larder (commit 734e487), whose
 * layout had no slot_types: project "p", version 1, one batch view "v" with
 * one int64 feature "f" in slot 0 (next_slot 1). */
static const unsigned char first_layout_image[] =
    "\x4c\x41\x52\x44\x45\x52\x52\x47\x01\x00\x00\x00\x02\x00\x00\x00"
    "\x70\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00"
    "\x00\x76\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00"
    "\x00\x02\x00\x00\x00\x66\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\xf3\x44\x45\x74\x8c\xc4\x67\xc6";

Test(regfile, f013_file_of_an_older_layout_is_read_or_eversion) {
  /* The file is intact (its checksum holds): it is not damage. Either this
   * version still reads it, or it says the version differs (LR_EVERSION,
   * "run `larder apply`"); a layout change must come with a new format
   * number so that one of the two happens. */
  size_t len = sizeof first_layout_image - 1;
  cr_assert_eq(len, 159u);
  cr_assert_eq(fnv1a64(first_layout_image, len - 8),
               (uint64_t)first_layout_image[len - 8] |
                   (uint64_t)first_layout_image[len - 1] << 56 |
                   (uint64_t)first_layout_image[len - 2] << 48 |
                   (uint64_t)first_layout_image[len - 3] << 40 |
                   (uint64_t)first_layout_image[len - 4] << 32 |
                   (uint64_t)first_layout_image[len - 5] << 24 |
                   (uint64_t)first_layout_image[len - 6] << 16 |
                   (uint64_t)first_layout_image[len - 7] << 8,
               "the golden image passes its own checksum");
  lr__model m;
  lr__model_init(&m);
  lr__buf err;
  lr__buf_init(&err);
  int rc = lr__regfile_decode(first_layout_image, len, &m, &err);
  cr_expect(rc == 0 || rc == LR_EVERSION,
            "an intact registry of the first layout gives %s: %s",
            lr_err_name(rc), lr__buf_str(&err));
  if (rc == 0) {
    const lr__view *v = lr__model_view(&m, "v");
    cr_expect(v && v->n_features == 1 && v->features[0].slot == 0 &&
                  v->features[0].dtype == LR__DT_INT64 && v->next_slot == 1,
              "read, but not as written");
    cr_expect(m.config.project && !strcmp(m.config.project, "p"));
  }
  lr__buf_free(&err);
  lr__model_free(&m);
}

/* Found by the regfile fuzzer (tests/fuzz/regfile.c): a bool byte other
 * than 0 or 1 read as true, and a NUL inside a string cut the name short,
 * so a damaged image with a valid checksum decoded into a model other than
 * the one written. Both are damage now. */
Test(regfile, f014_non_canonical_bool_or_string_is_corrupt) {
  lr__model m;
  lr__model_init(&m);
  build_fixture_model(&m);
  lr__view *v = (lr__view *)lr__model_view(&m, "pushed");
  lr__buf on, off;
  v->online = true;
  encode(&m, &on);
  v->online = false;
  encode(&m, &off);
  lr__model_free(&m);
  cr_assert_eq(on.len, off.len);
  size_t at = 0;
  while (at < on.len && on.data[at] == off.data[at])
    at++;
  cr_assert_eq((unsigned char)on.data[at], 1, "the online flag's byte");
  lr__buf err;
  lr__buf_init(&err);
  unsigned char *img = (unsigned char *)on.data;
  img[at] = 2;
  recompute_checksum(img, on.len);
  cr_assert_eq(decode_rc(img, on.len, &err), LR_ECORRUPT);
  cr_assert_str_eq(lr__buf_str(&err),
                   "the registry file's content is inconsistent");

  /* a NUL inside the project's name (its first string, at byte 16) */
  memcpy(img, off.data, off.len);
  cr_assert_gt(get_u32(img + 12), 2u, "the project's name has two bytes");
  img[17] = '\0';
  recompute_checksum(img, on.len);
  lr__buf_reset(&err);
  cr_assert_eq(decode_rc(img, on.len, &err), LR_ECORRUPT);
  cr_assert_str_eq(lr__buf_str(&err),
                   "the registry file's content is inconsistent");
  lr__buf_free(&err);
  lr__buf_free(&on);
  lr__buf_free(&off);
}

/* A rule's values outside what the loader accepts (an unknown kind or
 * on_fail, mostly or max_failed out of 0..1 or NaN, a max_failed without
 * its flag, a null value with text) are damage: the encoder writes them
 * as given, the decoder refuses them, so a decoded model is always one
 * the encoder could have written from definitions. */
Test(regfile, f015_check_fields_out_of_range_are_corrupt) {
  static const char *const what[] = {
      "kind 0",         "kind 9",          "on_fail 0",     "on_fail 5",
      "mostly 1.5",     "mostly NaN",      "max_failed -1", "max_failed 0.5 unset",
      "null with text", "value type 9"};
  for (int k = 0; k < (int)(sizeof what / sizeof *what); k++) {
    lr__model m;
    lr__model_init(&m);
    build_fixture_model(&m);
    lr__view *v = (lr__view *)lr__model_view(&m, "driver_stats");
    cr_assert_not_null(v);
    lr__check *c = &v->checks[0]; /* conv_rate_between [0, null] */
    switch (k) {
    case 0: c->kind = 0; break;
    case 1: c->kind = 9; break;
    case 2: c->on_fail = 0; break;
    case 3: c->on_fail = 5; break;
    case 4: c->mostly = 1.5; break;
    case 5: c->mostly = __builtin_nan(""); break;
    case 6: v->max_failed = -1; break;
    case 7: v->has_max_failed = false; v->max_failed = 0.5; break;
    case 8: c->values[1].text = "x"; break;
    case 9: c->values[0].type = 9; break;
    }
    lr__buf img, err;
    encode(&m, &img);
    lr__model_free(&m);
    lr__buf_init(&err);
    cr_assert_eq(decode_rc(img.data, img.len, &err), LR_ECORRUPT, "%s",
                 what[k]);
    cr_assert_str_eq(lr__buf_str(&err),
                     "the registry file's content is inconsistent");
    lr__buf_free(&err);
    lr__buf_free(&img);
  }
}

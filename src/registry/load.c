/*
 * load.c - reading a feature repo's YAML into the model: the object kinds
 * (entities, sources, views, services, feature_store.yaml), each as a table
 * of field specs read by fields.c, and the walk over the repo's files
 * (.larderignore, data/ and dot-folders skipped).
 *
 * This file checks the shape of each object; cross-references (does that
 * entity exist?) are validate.c's job, once every file is read.
 */
#include "load.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/names.h"
#include "../util/timefmt.h"
#include "larder.h"
#include "checks.h"
#include "fields.h"
#include "online_redis.h"
#include "yaml.h"

/* ---- object kinds ------------------------------------------------------ */

static const field_spec entity_specs[] = {
    FIELD_AT(lr__entity, "name", FK_STRING, name, name_loc, true),
    FIELD_N(lr__entity, "join_keys", FK_STRINGS, join_keys, n_join_keys, true),
    FIELD_AT(lr__entity, "value_type", FK_KEY_DTYPE, value_type,
             value_type_loc, true),
    FIELD(lr__entity, "description", FK_STRING, description, false),
    FIELD_N(lr__entity, "tags", FK_KV, tags, n_tags, false),
};

static void read_source_kind(loader *L, struct fy_node *value, void *obj,
                             const char *owner) {
  static const char *const kinds[] = {"file", "sql", "push"};
  int i = lr__fields_choice(L, value, "kind", owner, "source kind", "kinds",
                            kinds, 3);
  if (i >= 0)
    ((lr__source *)obj)->kind = (lr__source_kind)(LR__SOURCE_FILE + i);
}

/* timestamp_unit: the unit of the epoch numbers in the source's time
 * columns (s, ms, us or ns). */
static void read_time_unit(loader *L, struct fy_node *value, void *obj,
                           const char *owner) {
  static const char *const names[] = {"s", "ms", "us", "ns"};
  lr__source *s = obj;
  s->time_unit_loc = lr__fields_loc(L, value);
  int u = lr__fields_choice(L, value, "timestamp_unit", owner,
                            "timestamp_unit", "units", names, 4);
  if (u >= 0)
    s->time_unit = (uint8_t)(u + 1);
}

/* as_of: the event time of every row of a snapshot source, ISO 8601 (an
 * epoch number would need a unit: it is refused). */
static void read_as_of(loader *L, struct fy_node *value, void *obj,
                       const char *owner) {
  lr__source *s = obj;
  s->as_of_loc = lr__fields_loc(L, value);
  const char *text = lr__fields_scalar(L, value, "as_of", owner);
  int64_t us;
  if (!text)
    return;
  const char *digits = text + (*text == '-');
  if (lr__time_read(text, LR__TIME_S, &us) != 0 ||
      strspn(digits, "0123456789") == strlen(digits)) {
    lr__diag_add(L->diag, s->as_of_loc,
                 "write an ISO 8601 time, e.g. `as_of: 2024-01-01T00:00:00Z` "
                 "(no zone: UTC)",
                 "as_of of %s is not a time: '%s'", owner, text);
    return;
  }
  s->has_as_of = true;
  s->as_of_us = us;
}

static const field_spec source_specs[] = {
    FIELD_AT(lr__source, "name", FK_STRING, name, name_loc, true),
    FIELD_FN("kind", read_source_kind, true),
    FIELD_AT(lr__source, "path", FK_STRING, path, path_loc, false),
    FIELD_AT(lr__source, "query", FK_STRING, query, query_loc, false),
    FIELD_AT(lr__source, "timestamp_field", FK_STRING, timestamp_field,
             timestamp_field_loc, false),
    FIELD_AT(lr__source, "created_timestamp_column", FK_STRING, created_column,
             created_column_loc, false),
    FIELD_FN("timestamp_unit", read_time_unit, false),
    FIELD_FN("as_of", read_as_of, false),
    FIELD_N(lr__source, "field_mapping", FK_KV, field_mapping, n_field_mapping,
            false),
    FIELD_AT(lr__source, "batch_source", FK_STRING, batch_source,
             batch_source_loc, false),
    FIELD_AT(lr__source, "offline_path", FK_STRING, offline_path,
             offline_path_loc, false),
    FIELD(lr__source, "description", FK_STRING, description, false),
    FIELD_N(lr__source, "tags", FK_KV, tags, n_tags, false),
};

static const field_spec request_source_specs[] = {
    FIELD_AT(lr__source, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__source, "schema", FK_FIELDS, fields, n_fields, schema_loc,
               true),
    FIELD(lr__source, "description", FK_STRING, description, false),
    FIELD_N(lr__source, "tags", FK_KV, tags, n_tags, false),
};

static const field_spec view_specs[] = {
    FIELD_AT(lr__view, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__view, "entities", FK_STRINGS, entities, n_entities,
               entity_locs, true),
    FIELD(lr__view, "ttl", FK_TTL, ttl_seconds, false),
    FIELD_AT(lr__view, "source", FK_STRING, source, source_loc, true),
    FIELD(lr__view, "online", FK_BOOL, online, false),
    FIELD_N_AT(lr__view, "schema", FK_FIELDS, features, n_features,
               schema_loc, true),
    FIELD(lr__view, "description", FK_STRING, description, false),
    FIELD_N(lr__view, "tags", FK_KV, tags, n_tags, false),
    FIELD_FN("checks", lr__checks_read, false),
    FIELD_FN("max_failed", lr__checks_read_max_failed, false),
};

static const field_spec odfv_specs[] = {
    FIELD_AT(lr__view, "name", FK_STRING, name, name_loc, true),
    FIELD_N_AT(lr__view, "sources", FK_STRINGS, sources, n_sources,
               source_locs, true),
    FIELD_N_AT(lr__view, "schema", FK_FIELDS, features, n_features,
               schema_loc, true),
    FIELD(lr__view, "write_to_online_store", FK_BOOL, write_to_online_store,
          false),
    FIELD(lr__view, "description", FK_STRING, description, false),
    FIELD_N(lr__view, "tags", FK_KV, tags, n_tags, false),
};

/* One entry of a service's `features`: `view`, `view:feature` or
 * `{view: [feature, ...]}`. */
static void read_service_item(loader *L, struct fy_node *node,
                              lr__service_item *item, const char *owner) {
  item->loc = lr__fields_loc(L, node);
  const char *s = lr__yaml_scalar(node);
  if (s && *s) {
    const char *colon = strchr(s, ':');
    if (!colon) {
      item->view = lr__fields_str(L, s);
      return;
    }
    item->view = lr__arena_strndup(&L->m->arena, s, (size_t)(colon - s));
    item->features = lr__arena_array(&L->m->arena, 1, sizeof(char *));
    if (item->features) {
      item->features[0] = lr__fields_str(L, colon + 1);
      item->n_features = 1;
    }
    return;
  }
  if (!fy_node_is_mapping(node) || fy_node_mapping_item_count(node) != 1) {
    lr__diag_add(L->diag, item->loc,
                 "write `- view_name`, `- view:feature` or "
                 "`- view_name: [feature, ...]`",
                 "an entry of 'features' of %s must name one view, found %s",
                 owner, lr__yaml_kind(node));
    return;
  }
  void *it = NULL;
  struct fy_node_pair *pair = fy_node_mapping_iterate(node, &it);
  const char *view =
      lr__fields_scalar(L, fy_node_pair_key(pair), "features", owner);
  if (!view)
    return;
  item->view = lr__fields_str(L, view);
  field_spec spec = FIELD_N_AT(lr__service_item, view, FK_STRINGS, features,
                               n_features, feature_locs, false);
  lr__fields_strings(L, fy_node_pair_value(pair), &spec, item, owner);
}

static void read_service_features(loader *L, struct fy_node *value, void *obj,
                                  const char *owner) {
  lr__service *svc = obj;
  if (!fy_node_is_sequence(value)) {
    lr__diag_add(L->diag, lr__fields_loc(L, value),
                 "write it as a list of views or `view: [features]` entries",
                 "'features' of %s must be a list, found %s", owner,
                 lr__yaml_kind(value));
    return;
  }
  int n = fy_node_sequence_item_count(value);
  svc->items = lr__arena_array(&L->m->arena, (size_t)n, sizeof *svc->items);
  if (!svc->items)
    return;
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(value, &it)))
    read_service_item(L, item, &svc->items[svc->n_items++], owner);
}

static const field_spec service_specs[] = {
    FIELD_AT(lr__service, "name", FK_STRING, name, name_loc, true),
    FIELD_FN("features", read_service_features, true),
    FIELD(lr__service, "description", FK_STRING, description, false),
    FIELD_N(lr__service, "tags", FK_KV, tags, n_tags, false),
};

/* ---- definition files -------------------------------------------------- */

/* Reads the list under one top-level key: `each` is called per item. */
static void read_list(loader *L, struct fy_node *list, const char *key,
                      void (*each)(loader *, struct fy_node *)) {
  if (fy_node_is_null(list))
    return;
  if (!fy_node_is_sequence(list)) {
    lr__diag_add(L->diag, lr__fields_loc(L, list),
                 "write it as a list: `- name: ...`",
                 "'%s' must be a list, found %s", key, lr__yaml_kind(list));
    return;
  }
  void *it = NULL;
  struct fy_node *item;
  while ((item = fy_node_sequence_iterate(list, &it)))
    each(L, item);
}

static void each_entity(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__entity *e = lr__fields_push(L, (void **)&m->entities, &m->n_entities,
                                  &L->cap_entities, sizeof *e);
  if (e)
    lr__fields_object(L, node, "entity", NULL, entity_specs,
                      N_SPECS(entity_specs), e, &e->loc);
}

static void each_source(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__source *s = lr__fields_push(L, (void **)&m->sources, &m->n_sources,
                                  &L->cap_sources, sizeof *s);
  if (s)
    lr__fields_object(L, node, "source", NULL, source_specs,
                      N_SPECS(source_specs), s, &s->loc);
}

static void each_request_source(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__source *s = lr__fields_push(L, (void **)&m->sources, &m->n_sources,
                                  &L->cap_sources, sizeof *s);
  if (!s)
    return;
  s->kind = LR__SOURCE_REQUEST;
  lr__fields_object(L, node, "request source", NULL, request_source_specs,
                    N_SPECS(request_source_specs), s, &s->loc);
}

static void each_view(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__view *v = lr__fields_push(L, (void **)&m->views, &m->n_views,
                                &L->cap_views, sizeof *v);
  if (!v)
    return;
  v->kind = LR__VIEW_BATCH;
  v->online = true;
  lr__fields_object(L, node, "feature view", NULL, view_specs,
                    N_SPECS(view_specs), v, &v->loc);
}

static void each_odfv(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__view *v = lr__fields_push(L, (void **)&m->views, &m->n_views,
                                &L->cap_views, sizeof *v);
  if (!v)
    return;
  v->kind = LR__VIEW_ON_DEMAND;
  lr__fields_object(L, node, "on-demand feature view", NULL, odfv_specs,
                    N_SPECS(odfv_specs), v, &v->loc);
}

static void each_service(loader *L, struct fy_node *node) {
  lr__model *m = L->m;
  lr__service *s = lr__fields_push(L, (void **)&m->services, &m->n_services,
                                   &L->cap_services, sizeof *s);
  if (s)
    lr__fields_object(L, node, "feature service", NULL, service_specs,
                      N_SPECS(service_specs), s, &s->loc);
}

static const struct {
  const char *key;
  void (*each)(loader *, struct fy_node *);
} sections[] = {
    {"entities", each_entity},
    {"sources", each_source},
    {"request_sources", each_request_source},
    {"feature_views", each_view},
    {"on_demand_feature_views", each_odfv},
    {"feature_services", each_service},
};

/* Reads the sections (`entities:`, ...) of one document of a definition
 * file; an empty document defines nothing. */
static void read_definitions(loader *L, struct fy_node *root) {
  if (!root || fy_node_is_null(root))
    return;
  if (!fy_node_is_mapping(root)) {
    lr__diag_add(L->diag, lr__fields_loc(L, root),
                 "a definition file is a mapping with keys such as "
                 "`entities:` and `feature_views:`",
                 "a definition file must be a mapping, found %s",
                 lr__yaml_kind(root));
    return;
  }
  const char *known[sizeof sections / sizeof sections[0]];
  int n_known = 0;
  for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
    known[n_known++] = sections[i].key;
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(root, &it))) {
    struct fy_node *key_node = fy_node_pair_key(pair);
    const char *key = lr__yaml_scalar(key_node);
    size_t i = 0;
    while (i < (size_t)n_known && (!key || strcmp(key, known[i]) != 0))
      i++;
    if (i < (size_t)n_known) {
      read_list(L, fy_node_pair_value(pair), key, sections[i].each);
      continue;
    }
    lr__buf hint;
    lr__buf_init(&hint);
    lr__suggest(&hint, "sections", key ? key : "?", known, n_known);
    lr__buf_puts(&hint, " (a YAML file that is not a definition file can be "
                        "listed in .larderignore)");
    lr__diag_add(L->diag, lr__fields_loc(L, key_node), lr__buf_str(&hint),
                 "unknown top-level key '%s'", key ? key : "?");
    lr__buf_free(&hint);
  }
}

/* ---- feature_store.yaml ------------------------------------------------ */

/* Keys this reader accepts and leaves alone: Feast's that mean nothing here
 * (`provider: local`, the key serialization), so that a Feast
 * feature_store.yaml loads; and `replication`, which replication.c reads
 * on its own (it is no part of the registry). */
static void read_ignored(loader *L, struct fy_node *value, void *obj,
                         const char *owner) {
  (void)L, (void)value, (void)obj, (void)owner;
}

static void read_online_store(loader *L, struct fy_node *value, void *obj,
                              const char *owner) {
  (void)owner;
  static const field_spec specs[] = {
      FIELD_AT(lr__config, "type", FK_STRING, online_type, online_type_loc,
               false),
      FIELD(lr__config, "path", FK_STRING, online_path, false),
      /* a redis store's, read by online_redis.c when it opens */
      FIELD_FN("url", read_ignored, false),
      FIELD_FN("cluster", read_ignored, false),
      FIELD_FN("user", read_ignored, false),
      FIELD_FN("password", read_ignored, false),
      FIELD_FN("password_env", read_ignored, false),
      FIELD_FN("tls", read_ignored, false),
      FIELD_FN("connect_timeout", read_ignored, false),
      FIELD_FN("timeout", read_ignored, false),
      FIELD_FN("key_prefix", read_ignored, false),
      FIELD_FN("buckets", read_ignored, false),
      FIELD_FN("expire_margin", read_ignored, false),
  };
  lr__loc loc;
  lr__fields_object(L, value, "online_store", NULL, specs, N_SPECS(specs), obj,
                    &loc);
  lr__online_fields_check(L, value, ((lr__config *)obj)->online_type);
}

static void read_offline_store(loader *L, struct fy_node *value, void *obj,
                               const char *owner) {
  (void)owner;
  static const field_spec specs[] = {
      FIELD_AT(lr__config, "type", FK_STRING, offline_type, offline_type_loc,
               false),
  };
  lr__loc loc;
  lr__fields_object(L, value, "offline_store", NULL, specs, N_SPECS(specs), obj,
                    &loc);
}

static const field_spec config_specs[] = {
    FIELD_AT(lr__config, "project", FK_STRING, project, project_loc, true),
    FIELD(lr__config, "registry", FK_STRING, registry_path, false),
    FIELD_FN("online_store", read_online_store, false),
    FIELD_FN("offline_store", read_offline_store, false),
    FIELD_FN("provider", read_ignored, false),
    FIELD_FN("entity_key_serialization_version", read_ignored, false),
    FIELD_FN("replication", read_ignored, false),
};

static void config_defaults(loader *L) {
  lr__config *c = &L->m->config;
  if (!c->registry_path)
    c->registry_path = lr__fields_str(L, "data/registry.db");
  if (!c->online_type)
    c->online_type = lr__fields_str(L, "lmdb");
  if (!c->online_path)
    c->online_path = lr__fields_str(L, "data/online");
  if (!c->offline_type)
    c->offline_type = lr__fields_str(L, "duckdb");
}

/* Reads one document of feature_store.yaml into the config (an empty
 * document holds no settings). */
static void each_config_document(struct fy_node *root, void *ctx) {
  loader *L = ctx;
  lr__loc loc;
  if (root && !fy_node_is_null(root))
    lr__fields_object(L, root, "feature_store.yaml", NULL, config_specs,
                      N_SPECS(config_specs), &L->m->config, &loc);
}

int lr__load_config(lr__model *m, const char *repo_dir, lr__diag *diag) {
  loader L = {.m = m, .diag = diag, .file = "feature_store.yaml"};
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, "feature_store.yaml");
  if (!lr__fs_exists(lr__buf_str(&path))) {
    lr__buf_free(&path);
    return LR_ENOTFOUND;
  }
  int before = diag->count;
  int rc = lr__yaml_read_file(lr__buf_str(&path), L.file, diag,
                              each_config_document, &L);
  lr__buf_free(&path);
  if (rc != 0)
    return LR_EDEFINITION;
  if (!m->config.project && diag->count == before) {
    lr__loc start = {L.file, 1, 1};
    lr__diag_add(diag, start, "write at least `project: my_project`",
                 "feature_store.yaml is empty");
  }
  config_defaults(&L);
  return diag->count ? LR_EDEFINITION : 0;
}

/* ---- walking the repo -------------------------------------------------- */

typedef struct ignore_list {
  char **patterns;
  int count;
} ignore_list;

static void ignore_free(ignore_list *ig) {
  for (int i = 0; i < ig->count; i++)
    free(ig->patterns[i]);
  free(ig->patterns);
}

/* Adds the patterns of .larderignore's `text` (modified in place). */
static void ignore_parse(ignore_list *ig, char *text) {
  char *rest = NULL;
  for (char *line = strtok_r(text, "\n", &rest); line;
       line = strtok_r(NULL, "\n", &rest)) {
    size_t n = strcspn(line, "#\r");
    while (n && (line[n - 1] == ' ' || line[n - 1] == '/'))
      n--;
    while (n && *line == ' ')
      line++, n--;
    if (!n)
      continue;
    char **grown = realloc(ig->patterns, (size_t)(ig->count + 1) * sizeof *grown);
    if (!grown)
      return;
    ig->patterns = grown;
    ig->patterns[ig->count++] = strndup(line, n);
  }
}

/* Reads .larderignore: one path or glob a line, relative to the repo;
 * `#` starts a comment; a trailing `/` is dropped. A missing file ignores
 * nothing; one with a NUL byte is an error in `diag`. */
static void ignore_load(ignore_list *ig, const char *repo_dir, lr__diag *diag) {
  memset(ig, 0, sizeof *ig);
  lr__buf path, err;
  lr__buf_init(&path);
  lr__buf_init(&err);
  lr__fs_join(&path, repo_dir, ".larderignore");
  char *text;
  size_t len;
  if (lr__fs_read_file(lr__buf_str(&path), &text, &len, &err) == 0) {
    lr__text_pos at = {1, 1};
    if (lr__text_scan_nul(&at, text, len)) {
      lr__loc loc = {".larderignore", (int)at.line, (int)at.col};
      lr__diag_add(diag, loc, LR__NUL_HINT, "%s", LR__NUL_WHAT);
    } else {
      ignore_parse(ig, text);
    }
    free(text);
  }
  lr__buf_free(&path);
  lr__buf_free(&err);
}

static int ignored(const ignore_list *ig, const char *rel) {
  for (int i = 0; i < ig->count; i++)
    if (ig->patterns[i] && fnmatch(ig->patterns[i], rel, 0) == 0)
      return 1;
  return 0;
}

static int has_yaml_extension(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

typedef struct file_list {
  char **paths; /* relative to the repo */
  int count;
} file_list;

static int compare_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the definition files below `rel` (relative to repo_dir). */
static void walk(const char *repo_dir, const char *rel, const ignore_list *ig,
                 file_list *out) {
  lr__buf dir_path;
  lr__buf_init(&dir_path);
  lr__fs_join(&dir_path, repo_dir, rel);
  DIR *dir = opendir(lr__buf_str(&dir_path));
  lr__buf_free(&dir_path);
  if (!dir)
    return;
  struct dirent *ent;
  while ((ent = readdir(dir))) {
    if (ent->d_name[0] == '.')
      continue;
    lr__buf child;
    lr__buf_init(&child);
    if (*rel)
      lr__buf_printf(&child, "%s/", rel);
    lr__buf_puts(&child, ent->d_name);
    const char *child_rel = lr__buf_str(&child);
    lr__buf full;
    lr__buf_init(&full);
    lr__fs_join(&full, repo_dir, child_rel);
    int is_dir = lr__fs_is_dir(lr__buf_str(&full));
    lr__buf_free(&full);
    int skip = ignored(ig, child_rel) ||
               (!*rel && (strcmp(ent->d_name, "data") == 0 ||
                          strcmp(ent->d_name, "feature_store.yaml") == 0));
    if (!skip && is_dir) {
      walk(repo_dir, child_rel, ig, out);
    } else if (!skip && has_yaml_extension(ent->d_name)) {
      char **grown = realloc(out->paths, (size_t)(out->count + 1) * sizeof *grown);
      if (grown) {
        out->paths = grown;
        out->paths[out->count++] = lr__buf_steal(&child);
      }
    }
    lr__buf_free(&child);
  }
  closedir(dir);
}

/* Reads one document of a definition file. */
static void each_definition_document(struct fy_node *root, void *ctx) {
  read_definitions(ctx, root);
}

/* Reads every document of the definition file `rel`; a file holding none
 * (empty, or only comments) defines nothing. */
static void read_definition_file(loader *L, const char *repo_dir,
                                 const char *rel) {
  lr__buf path;
  lr__buf_init(&path);
  lr__fs_join(&path, repo_dir, rel);
  L->file = lr__fields_str(L, rel);
  lr__yaml_read_file(lr__buf_str(&path), L->file, L->diag,
                     each_definition_document, L);
  lr__buf_free(&path);
}

int lr__load_definitions(lr__model *m, const char *repo_dir, lr__diag *diag) {
  loader L = {.m = m, .diag = diag};
  ignore_list ig;
  ignore_load(&ig, repo_dir, diag);
  file_list files = {0};
  walk(repo_dir, "", &ig, &files);
  ignore_free(&ig);
  if (files.count) /* files.paths is NULL when there are none */
    qsort(files.paths, (size_t)files.count, sizeof *files.paths,
          compare_paths);
  for (int i = 0; i < files.count; i++) {
    read_definition_file(&L, repo_dir, files.paths[i]);
    free(files.paths[i]);
  }
  free(files.paths);
  return diag->count ? LR_EDEFINITION : 0;
}

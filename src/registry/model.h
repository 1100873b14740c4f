/*
 * model.h - the in-memory form of a feature repo's definitions: entities,
 * sources, request sources, feature views (batch and on-demand) and feature
 * services, plus the state the registry keeps between applies (row layouts).
 *
 * Every string and array belongs to the model's arena. The same structs are
 * filled by the YAML loader (definitions on disk) and by the registry file
 * reader (what was applied), so plan, validation and printing work on one
 * shape.
 */
#ifndef LR_REGISTRY_MODEL_H
#define LR_REGISTRY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/arena.h"
#include "../util/diag.h"
#include "../util/dtype.h"

/* The longest name, in bytes (names are ASCII identifiers), of anything a
 * repo defines. The binding one is a view's: the online store keeps its rows
 * in an LMDB database named `NAME@EPOCH` and its loads under the meta key
 * `materialized:NAME@EPOCH` (an epoch is at most 10 digits), and LMDB keys,
 * database names included, hold at most 511 bytes. 128 leaves room in both
 * for the epoch and stays well below what any store or message buffer holds;
 * one limit for every kind of name keeps the rule simple to state. */
#define LR__NAME_MAX 128

typedef struct lr__kv {
  const char *key;
  const char *value;
  lr__loc key_loc;   /* YAML loader only: where the key and the value were */
  lr__loc value_loc; /* written (not kept in the registry file) */
} lr__kv;

typedef struct lr__entity {
  const char *name;
  const char *description;
  const char **join_keys;
  int n_join_keys;
  uint8_t value_type; /* an lr__dtype: int32, int64, string or bytes */
  lr__kv *tags;
  int n_tags;
  lr__loc loc;
  /* Where values were written, for messages; set by the YAML loader only
   * (not kept in the registry file). */
  lr__loc name_loc;
  lr__loc value_type_loc;
} lr__entity;

typedef enum {
  LR__SOURCE_FILE = 1, /* Parquet or CSV files, globs allowed */
  LR__SOURCE_SQL,      /* a DuckDB query */
  LR__SOURCE_PUSH,     /* rows pushed online; batch_source is read offline */
  LR__SOURCE_REQUEST   /* fields supplied with each online request */
} lr__source_kind;

/* A field: a feature of a view, or a field of a request source. */
typedef struct lr__field {
  const char *name;
  const char *description;
  const char *expr; /* on-demand views only: the expression computing it */
  uint8_t dtype;    /* an lr__dtype */
  uint16_t slot;    /* position in the online row layout (registry state) */
  lr__loc loc;
  lr__loc name_loc; /* YAML loader only: the name's value */
  lr__loc dtype_loc; /* YAML loader only: the dtype's value */
  lr__loc expr_loc; /* YAML loader only: the `expr` key, when given */
  lr__loc expr_text_loc; /* YAML loader only: the expression's first
                            character (col 0: a block scalar) */
} lr__field;

typedef struct lr__source {
  const char *name;
  const char *description;
  lr__source_kind kind;
  const char *path;             /* file */
  const char *query;            /* sql */
  const char *timestamp_field;  /* file, sql */
  const char *created_column;   /* file, sql; optional */
  const char *batch_source;     /* push */
  uint8_t time_unit;            /* file, sql, push: the unit of epoch
                                   numbers, LR__TIME_S..NS plus 1; 0 when
                                   not declared (seconds) */
  bool has_as_of;               /* file without timestamp_field: every row's */
  int64_t as_of_us;             /* event time is as_of (else the file's
                                   modification time) */
  const char *offline_path;     /* push; optional: the folder its rows
                                   pushed to the offline store go to
                                   (lr__push_offline_path) */
  lr__loc path_loc;             /* where path / batch_source were written */
  lr__loc batch_source_loc;
  lr__loc offline_path_loc;     /* YAML loader only */
  lr__loc name_loc;             /* YAML loader only, as the two above */
  lr__loc query_loc;            /* YAML loader only: where the values of */
  lr__loc timestamp_field_loc;  /* query, timestamp_field and */
  lr__loc created_column_loc;   /* created_timestamp_column were written */
  lr__loc time_unit_loc;        /* YAML loader only: where timestamp_unit */
  lr__loc as_of_loc;            /* and as_of were written */
  lr__loc schema_loc;           /* request sources; YAML loader only */
  lr__kv *field_mapping;        /* source column -> feature name */
  int n_field_mapping;
  lr__field *fields;            /* request sources: the schema */
  int n_fields;
  lr__kv *tags;
  int n_tags;
  lr__loc loc;
} lr__source;

/* The kinds of data quality rule a feature view's `checks` list holds
 * (docs/repo-format.md, "checks"). The first four test one feature of each
 * row, expr a whole row, the last three the batch. */
typedef enum {
  LR__CHECK_NOT_NULL = 1,
  LR__CHECK_BETWEEN,
  LR__CHECK_IN,
  LR__CHECK_MATCHES,
  LR__CHECK_EXPR,
  LR__CHECK_ROW_COUNT,
  LR__CHECK_UNIQUE,
  LR__CHECK_FRESHNESS
} lr__check_kind;

/* What a failing rule does to the rows it fails. */
typedef enum {
  LR__ON_FAIL_WARN = 1, /* written, counted */
  LR__ON_FAIL_DROP,     /* not written */
  LR__ON_FAIL_NULL,     /* the feature stored null */
  LR__ON_FAIL_REJECT    /* the whole batch fails */
} lr__on_fail;

/* The type of a value written in a rule, as YAML wrote it: a quoted
 * scalar is a string, a plain one a number, a bool or null by its text. */
typedef enum {
  LR__VALUE_NULL = 1,
  LR__VALUE_BOOL,
  LR__VALUE_INT,
  LR__VALUE_FLOAT,
  LR__VALUE_STRING
} lr__value_type;

typedef struct lr__check_value {
  const char *text; /* as written; NULL for null */
  uint8_t type;     /* an lr__value_type */
  lr__loc loc;      /* YAML loader only */
} lr__check_value;

/* One rule of a feature view's `checks`. */
typedef struct lr__check {
  const char *name;        /* as given, or derived (checks.h) */
  uint8_t kind;            /* an lr__check_kind */
  uint8_t on_fail;         /* an lr__on_fail */
  const char *feature;     /* not_null, between, in, matches */
  const char *text;        /* matches: the pattern; expr: the expression */
  lr__check_value *values; /* between, row_count: [low, high] (null: no
                              bound); in: the values allowed */
  int n_values;
  const char **columns;    /* unique: the columns that identify a row */
  int n_columns;
  int64_t freshness_seconds; /* freshness */
  double mostly;           /* feature rules: the share of non-null rows
                              that must pass; 1 when not given */
  lr__loc loc;
  /* Where values were written, for messages; set by the YAML loader only
   * (not kept in the registry file). */
  lr__loc name_loc;
  lr__loc feature_loc;
  lr__loc kind_loc;        /* the kind's value (the first kind given) */
  lr__loc on_fail_loc;
  lr__loc mostly_loc;
  lr__loc text_loc;        /* expr: its first character (col 0: a block) */
  lr__loc *column_locs;
} lr__check;

typedef enum {
  LR__VIEW_BATCH = 1, /* fed from a source, keyed by entities */
  LR__VIEW_ON_DEMAND  /* computed from other views and request data */
} lr__view_kind;

typedef struct lr__view {
  const char *name;
  const char *description;
  lr__view_kind kind;
  const char **entities; /* batch: entity names, in key order */
  int n_entities;
  const char *source;    /* batch: the source's name */
  const char **sources;  /* on-demand: views and request sources */
  int n_sources;
  /* Where references, the name and the schema were written, for messages;
   * set by the YAML loader only (not kept in the registry file). */
  lr__loc *entity_locs;
  lr__loc *source_locs;
  lr__loc source_loc;
  lr__loc name_loc;
  lr__loc schema_loc;
  int64_t ttl_seconds;   /* 0 = no limit */
  bool online;           /* batch: materialized into the online store */
  bool write_to_online_store; /* on-demand: computed on write and stored */
  lr__field *features;
  int n_features;
  lr__kv *tags;
  int n_tags;
  lr__check *checks;     /* batch: data quality rules, in file order */
  int n_checks;
  bool has_max_failed;   /* batch: max_failed given */
  double max_failed;     /* the share of failing rows above which a batch
                            is refused whole */
  lr__loc max_failed_loc; /* YAML loader only */
  /* Registry state, kept across applies: the online row layout. */
  uint16_t next_slot;    /* the slot a newly added feature gets */
  uint8_t *slot_types;   /* next_slot dtypes: every slot ever used, removed
                            features' too, so rows written under older
                            definitions can still be walked */
  uint32_t layout_epoch; /* the online database's number: new for a new
                            view and for a forced change that drops rows */
  lr__loc loc;
} lr__view;

/* One entry of a service: a view and a subset of its features (none listed
 * means the whole view). */
typedef struct lr__service_item {
  const char *view;
  const char **features;
  int n_features;
  lr__loc loc;
  /* Where each of `features` was written, or NULL; set by the YAML loader
   * only (not kept in the registry file). */
  lr__loc *feature_locs;
} lr__service_item;

typedef struct lr__service {
  const char *name;
  const char *description;
  lr__service_item *items;
  int n_items;
  lr__kv *tags;
  int n_tags;
  lr__loc loc;
  lr__loc name_loc; /* YAML loader only: the name's value */
} lr__service;

/* The settings of feature_store.yaml. */
typedef struct lr__config {
  const char *project;
  const char *registry_path; /* relative to the repo unless absolute */
  const char *online_type;   /* "lmdb" */
  const char *online_path;
  const char *offline_type;  /* "duckdb" */
  /* Where values were written, for messages; set by the YAML loader only
   * (not kept in the registry file). */
  lr__loc project_loc;
  lr__loc online_type_loc;
  lr__loc offline_type_loc;
} lr__config;

typedef struct lr__model {
  lr__arena arena;
  lr__config config;
  uint64_t version;    /* registry version; 0 for definitions not applied */
  uint32_t next_epoch; /* the layout epoch the next new view gets: never
                          reused, so a view removed and defined again does
                          not find its old rows */
  int64_t applied_at;  /* unix seconds of the apply that wrote it */
  lr__entity *entities;
  int n_entities;
  lr__source *sources; /* data sources then request sources, by name */
  int n_sources;
  lr__view *views;     /* batch and on-demand views, by name */
  int n_views;
  lr__service *services;
  int n_services;
} lr__model;

void lr__model_init(lr__model *m);
void lr__model_free(lr__model *m);

/* Lookups by name; NULL when absent. */
const lr__entity *lr__model_entity(const lr__model *m, const char *name);
const lr__source *lr__model_source(const lr__model *m, const char *name);
const lr__view *lr__model_view(const lr__model *m, const char *name);
const lr__service *lr__model_service(const lr__model *m, const char *name);
const lr__field *lr__view_feature(const lr__view *v, const char *name);

/* The join keys of a view's entities, in key order: writes at most `max`
 * names and types and returns how many it wrote; with max 0 (names and
 * types may then be NULL) returns how many there are. */
int lr__model_view_keys(const lr__model *m, const lr__view *v,
                        const char **names, uint8_t *types, int max);

/* The (first) feature view an on-demand view reads, or NULL. */
const lr__view *lr__model_odfv_source(const lr__model *m, const lr__view *v);

/* 1 when `v` is an on-demand view stored on write that reads feature view
 * `source`: writing rows of `source` computes and stores v's. */
int lr__view_derives_from(const lr__view *v, const lr__view *source);

/* The source a batch view's rows are read from offline: its own, or a
 * push source's batch source. NULL when there is none. */
const lr__source *lr__model_data_source(const lr__model *m,
                                        const lr__view *v);

/* Appends the folder of push source `s` that its rows pushed to the
 * offline store go to, as written (relative to the repo unless absolute):
 * its offline_path, else data/pushed/NAME. */
void lr__push_offline_path(const lr__source *s, lr__buf *out);

/* The field_mapping entry that maps a source column to `name`, or NULL. */
const lr__kv *lr__source_mapping(const lr__source *s, const char *name);

/* The column of source `s` that feeds the output `name` (a feature or a
 * join key): field_mapping maps source column -> name; an unmapped name
 * reads the column of the same name. */
const char *lr__source_column(const lr__source *s, const char *name);

/* The unit of the epoch numbers in source s's time columns (LR__TIME_S..
 * NS of util/timefmt.h): as declared, else seconds (s may be NULL). */
int lr__source_time_unit(const lr__source *s);

/* 1 when the view has rows in the online store: a batch view with
 * `online: true`, or an on-demand view stored on write. */
int lr__view_is_stored(const lr__view *v);

/* How old a view's newest event may be, in seconds, from its `freshness`
 * checks (the strictest when it has several); -1 when it has none. */
int64_t lr__view_expected_freshness(const lr__view *v);

/* The ttl of a view's rows in seconds (0: no limit). An on-demand view
 * stored on write keys and ages as the feature view it reads, and
 * lr__model_view_keys() gives that view's keys for it too. */
int64_t lr__model_view_ttl(const lr__model *m, const lr__view *v);

/* Sorts every object list by name (stably) so lookups can bisect and
 * printing is ordered. Returns 0 or LR_ENOMEM. */
int lr__model_sort(lr__model *m);

/* Names for kinds, as printed ("feature view", "on-demand feature view"). */
const char *lr__source_kind_name(lr__source_kind kind);
const char *lr__view_kind_name(lr__view_kind kind);

#endif

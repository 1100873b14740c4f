/*
 * validate_sources.c - the sources' part of validate.c's checks: the
 * fields each kind of source needs and those it does not use, a push
 * source's batch source and offline folder, snapshot sources' as_of, and
 * field_mapping's targets against the views that read the source.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/names.h"
#include "validate.h"

/* ---- sources ----------------------------------------------------------- */

/* A field a kind of source does not use is a mistake worth naming. */
static void check_unused(lr__checker *C, const lr__source *s, const char *value,
                         const char *key) {
  if (value)
    lr__diag_add(C->diag, s->loc, "remove it, or change the source's kind",
                 "'%s' is not used by %s source '%s'", key,
                 lr__source_kind_name(s->kind), s->name);
}

/* 1 when a file `file` (a path inside folder `dir`) would be read by
 * file source path `pattern`: DuckDB's globs, where `**` crosses folders
 * and `*` does not, or a folder read whole. */
static int path_reads(const char *pattern, const char *dir,
                      const char *file) {
  size_t n = strlen(pattern);
  while (n > 1 && pattern[n - 1] == '/')
    n--;
  if (!strpbrk(pattern, "*?[") && strncmp(dir, pattern, n) == 0 &&
      (dir[n] == '\0' || dir[n] == '/'))
    return 1;
  return fnmatch(pattern, file, strstr(pattern, "**") ? 0 : FNM_PATHNAME) ==
         0;
}

/* The folder a push source's offline rows go to: a folder (no pattern,
 * not a data file's name), not another push source's, and not read by
 * its batch source already (the rows would be read twice). */
static void check_offline_path(lr__checker *C, const lr__source *s,
                               const lr__source *batch) {
  lr__buf dir, file;
  lr__buf_init(&dir);
  lr__buf_init(&file);
  lr__push_offline_path(s, &dir);
  const char *path = lr__buf_str(&dir);
  lr__buf_printf(&file, "%s/x.parquet", path);
  lr__loc at = lr__at_or(s->offline_path_loc, s->loc);
  if (strpbrk(path, "*?[") || lr__fs_has_suffix(path, ".parquet") ||
      lr__fs_has_suffix(path, ".csv"))
    lr__diag_add(C->diag, at, "name a folder, e.g. `offline_path: "
                 "data/pushed/events`: each push adds one Parquet file to it",
                 "offline_path '%s' of push source '%s' is not a folder",
                 path, s->name);
  else if (batch->kind == LR__SOURCE_FILE && batch->path &&
           path_reads(batch->path, path, lr__buf_str(&file)))
    lr__diag_add(C->diag, at, "set offline_path to a folder of its own, "
                 "outside what the batch source reads",
                 "offline_path '%s' of push source '%s' is read by its batch "
                 "source '%s' (path '%s'): pushed rows would be read twice",
                 path, s->name, batch->name, batch->path);
  for (const lr__source *o = C->m->sources;
       o < C->m->sources + C->m->n_sources; o++) {
    lr__buf other;
    lr__buf_init(&other);
    if (o->kind == LR__SOURCE_PUSH && o != s && o->name && s->name &&
        strcmp(o->name, s->name) < 0) {
      lr__push_offline_path(o, &other);
      if (strcmp(lr__buf_str(&other), path) == 0)
        lr__diag_add(C->diag, at, "give each push source a folder of its own",
                     "push sources '%s' and '%s' both push to '%s'", o->name,
                     s->name, path);
    }
    lr__buf_free(&other);
  }
  lr__buf_free(&dir);
  lr__buf_free(&file);
}

static void require(lr__checker *C, const lr__source *s, const char *value,
                    const char *key, const char *example) {
  if (!value)
    lr__diag_add(C->diag, s->loc, example, "%s source '%s' needs '%s'",
                 lr__source_kind_name(s->kind), s->name, key);
}

/* as_of belongs to file sources read as snapshots. */
static void check_as_of_unused(lr__checker *C, const lr__source *s) {
  if (s->has_as_of)
    lr__diag_add(C->diag, lr__at_or(s->as_of_loc, s->loc),
                 "as_of is for file sources without timestamp_field; remove "
                 "it", "'as_of' is not used by %s source '%s'",
                 lr__source_kind_name(s->kind), s->name);
}

/* The names the feature views reading source `s` offline give its
 * columns (their join keys and features), for field_mapping's targets.
 * Caller frees; *n gets the count. */
static const char **names_read_from(lr__checker *C, const lr__source *s, int *n) {
  const lr__model *m = C->m;
  int cap = 0;
  for (int i = 0; i < m->n_views; i++)
    cap += m->views[i].n_features +
           lr__model_view_keys(m, &m->views[i], NULL, NULL, 0);
  const char **names = calloc((size_t)cap + 1, sizeof *names);
  uint8_t *types = calloc((size_t)cap + 1, 1); /* not needed, but written */
  *n = 0;
  if (!names || !types)
    C->diag->oom = 1;
  for (int i = 0; names && types && i < m->n_views; i++) {
    const lr__view *v = &m->views[i];
    if (v->kind != LR__VIEW_BATCH || lr__model_data_source(m, v) != s)
      continue;
    *n += lr__model_view_keys(m, v, names + *n, types + *n, cap - *n);
    for (int f = 0; f < v->n_features; f++)
      names[(*n)++] = v->features[f].name;
  }
  free(types);
  return names;
}

/* 1 when an entry of `s`'s field_mapping maps a column to `name`. */
static int is_mapped_to(const lr__source *s, const char *name) {
  for (int i = 0; i < s->n_field_mapping; i++)
    if (strcmp(s->field_mapping[i].value, name) == 0)
      return 1;
  return 0;
}

/* A field_mapping entry maps a source column to a feature or join key of a
 * view reading the source. One naming neither, but close to one that no
 * entry maps, is a typo: that feature then reads a column of its own name.
 * One close to none is left from a removed feature and does nothing, so a
 * removal needs no second edit. Sources no view reads yet are skipped. */
static void check_mapping_targets(lr__checker *C, const lr__source *s) {
  if (s->n_field_mapping == 0)
    return;
  int n;
  const char **names = names_read_from(C, s, &n);
  for (int i = 0; names && n && i < s->n_field_mapping; i++) {
    const lr__kv *kv = &s->field_mapping[i];
    int found = 0;
    for (int k = 0; k < n && !found; k++)
      found = names[k] && strcmp(names[k], kv->value) == 0;
    const char *close = found ? NULL : lr__closest(kv->value, names, n);
    if (!close || is_mapped_to(s, close))
      continue;
    lr__buf hint;
    lr__buf_init(&hint);
    lr__buf_printf(&hint, "did you mean '%s'?", close);
    lr__diag_add(C->diag, lr__at_or(kv->value_loc, s->loc), lr__buf_str(&hint),
                 "field_mapping of source '%s' maps column '%s' to '%s', "
                 "which no feature view reading the source has as a feature "
                 "or join key", s->name, kv->key, kv->value);
    lr__buf_free(&hint);
  }
  free(names);
}

void lr__validate_source(lr__checker *C, const lr__source *s) {
  lr__validate_identifier(C->diag, s->name, lr__at_or(s->name_loc, s->loc), "source");
  switch (s->kind) {
  case LR__SOURCE_FILE:
    /* without timestamp_field, a snapshot: rows count from the file's
     * modification time, or as_of */
    require(C, s, s->path, "path", "e.g. `path: data/stats.parquet`");
    if (s->has_as_of && s->timestamp_field)
      lr__diag_add(C->diag, lr__at_or(s->as_of_loc, s->loc),
                   "remove as_of, or timestamp_field to read the file as a "
                   "snapshot of that time",
                   "source '%s' has both timestamp_field and as_of: rows "
                   "take their event time from one of them", s->name);
    check_unused(C, s, s->query, "query");
    check_unused(C, s, s->batch_source, "batch_source");
    check_unused(C, s, s->offline_path, "offline_path");
    break;
  case LR__SOURCE_SQL:
    require(C, s, s->query, "query", "e.g. `query: SELECT * FROM ...`");
    require(C, s, s->timestamp_field, "timestamp_field",
            "e.g. `timestamp_field: event_timestamp`");
    check_as_of_unused(C, s);
    check_unused(C, s, s->path, "path");
    check_unused(C, s, s->batch_source, "batch_source");
    check_unused(C, s, s->offline_path, "offline_path");
    break;
  case LR__SOURCE_PUSH: {
    require(C, s, s->batch_source, "batch_source",
            "name the file or sql source its rows are read from offline");
    check_unused(C, s, s->path, "path");
    check_unused(C, s, s->query, "query");
    check_as_of_unused(C, s);
    if (!s->batch_source)
      break;
    const lr__source *batch = lr__model_source(C->m, s->batch_source);
    lr__buf owner;
    lr__buf_init(&owner);
    lr__buf_printf(&owner, "push source '%s'", s->name);
    if (!batch)
      lr__report_unknown(C, s->batch_source_loc, "source", s->batch_source,
                     C->m->sources, C->m->n_sources, sizeof *C->m->sources,
                     lr__buf_str(&owner));
    else if (batch->kind != LR__SOURCE_FILE && batch->kind != LR__SOURCE_SQL)
      lr__diag_add(C->diag, s->batch_source_loc, "name a file or sql source",
                   "batch_source '%s' of push source '%s' is a %s source",
                   batch->name, s->name, lr__source_kind_name(batch->kind));
    else
      check_offline_path(C, s, batch);
    lr__buf_free(&owner);
    break;
  }
  case LR__SOURCE_REQUEST: {
    lr__buf owner;
    lr__buf_init(&owner);
    lr__buf_printf(&owner, "request source '%s'", s->name);
    lr__validate_fields(C, s->fields, s->n_fields, lr__buf_str(&owner),
                 lr__at_or(s->schema_loc, s->loc), -1);
    lr__buf_free(&owner);
    break;
  }
  }
  for (int i = 0; i < s->n_field_mapping; i++)
    lr__validate_identifier(C->diag, s->field_mapping[i].value,
                     lr__at_or(s->field_mapping[i].value_loc, s->loc),
                     "mapped feature");
  check_mapping_targets(C, s);
}

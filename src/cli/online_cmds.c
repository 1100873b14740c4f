/*
 * online_cmds.c - the commands on the online store: get and write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "larder.h"

enum { MAX_ENTITIES = 10000, MAX_REFS = 4096 };

enum { GET_FEATURES, GET_SERVICE, GET_ENTITY, GET_REQUEST, GET_JSON,
       GET_FULL_NAMES };

static const cli_option get_options[] = {
    [GET_FEATURES] = {"--features", "VIEW:FEATURE,...",
                      "the features to read, in the order they come out", 0,
                      1},
    [GET_SERVICE] = {"--service", "NAME", "the features of a feature service",
                     0, 1},
    [GET_ENTITY] = {"--entity", "KEY=VALUE[,KEY=VALUE]",
                    "one entity: every join key of the requested views (and "
                    "request fields for it alone); once per entity",
                    CLI_REPEAT | CLI_REQUIRED, 0},
    [GET_REQUEST] = {"--request", "FIELD=VALUE",
                     "a request-data field of on-demand features, for every "
                     "entity (null for a null)",
                     CLI_REPEAT, 0},
    [GET_JSON] = {"--json", NULL,
                  "print Feast's feature server response instead of a table",
                  0, 0},
    [GET_FULL_NAMES] = {"--full-feature-names", NULL,
                        "name features view__feature", 0, 0},
};

/* What `get` was asked. */
typedef struct get_args {
  char *features;          /* --features v:f,v:g (a copy, split in place) */
  const char *service;     /* --service NAME */
  const char *const *entities;
  int n_entities;
  const char *const *requests; /* --request FIELD=VALUE: for every entity */
  int n_requests;
  int json, full_names;
} get_args;

/* Reads the parsed options into `a`. */
static int get_args_from(const cli *c, get_args *a) {
  a->service = cli_value(c, GET_SERVICE);
  a->entities = c->values[GET_ENTITY];
  a->n_entities = c->given[GET_ENTITY];
  a->requests = c->values[GET_REQUEST];
  a->n_requests = c->given[GET_REQUEST];
  a->json = c->given[GET_JSON];
  a->full_names = c->given[GET_FULL_NAMES];
  if (a->n_entities > MAX_ENTITIES)
    return cli_usage_error("at most %d --entity per get", MAX_ENTITIES);
  if (a->n_requests > MAX_REFS)
    return cli_usage_error("at most %d --request", MAX_REFS);
  for (int r = 0; r < a->n_requests; r++)
    if (!strchr(a->requests[r], '='))
      return cli_usage_error("--request: '%s' is not FIELD=VALUE",
                             a->requests[r]);
  const char *features = cli_value(c, GET_FEATURES);
  if (features && !(a->features = strdup(features)))
    return CLI_FAILED;
  return 0;
}

static int k_flag_is_request(const char *flag) {
  return strcmp(flag, "--request") == 0;
}

/* Sets column `name` of one entity's row from "NAME=VALUE" text (split in
 * place). `what` names the flag for messages. */
static int set_column(const lr_request *req, lr_value *row, char *part,
                      const char *what, int *given) {
  int n_keys, n_join;
  lr_request_shape(req, &n_keys, NULL);
  lr_request_join_keys(req, &n_join);
  char *eq = strchr(part, '=');
  if (!eq)
    return cli_usage_error("%s: '%s' is not %s=VALUE", what, part,
                           k_flag_is_request(what) ? "FIELD" : "KEY");
  *eq = '\0';
  int k = 0, type = 0;
  const char *name = NULL;
  for (; k < n_keys; k++) {
    lr_request_key(req, k, &name, &type);
    if (!strcmp(name, part))
      break;
  }
  if (k == n_keys)
    return cli_usage_error("%s: '%s' is not a join key (or request field) "
                           "of the requested features", what, part);
  char type_name[32];
  if (k >= n_join && !strcmp(eq + 1, "null"))
    row[k].type = LR_TYPE_NULL;
  else if (cli_parse_value(eq + 1, type, &row[k]))
    return cli_usage_error("%s: %s=%s is not a valid %s", what, part, eq + 1,
                           lr_type_name(type, type_name));
  given[k] = 1;
  return 0;
}

/* Fills one entity's row from its `--entity k=v,k2=v2` argument (split in
 * place) and the --request values; every column must be given. */
static int parse_entity(const lr_request *req, get_args *a, char *spec,
                        char **requests, lr_value *row) {
  int n_keys, n_join;
  lr_request_shape(req, &n_keys, NULL);
  lr_request_join_keys(req, &n_join);
  int given[MAX_REFS] = {0};
  int status = CLI_OK;
  for (int r = 0; status == CLI_OK && r < a->n_requests; r++)
    status = requests[r] ? set_column(req, row, requests[r], "--request", given)
                         : CLI_FAILED;
  for (char *part = strtok(spec, ","); status == CLI_OK && part;
       part = strtok(NULL, ","))
    status = set_column(req, row, part, "--entity", given);
  for (int k = 0; status == CLI_OK && k < n_keys; k++) {
    const char *name;
    lr_request_key(req, k, &name, NULL);
    if (!given[k] && k < n_join)
      return cli_usage_error("--entity must give every join key: %s is "
                             "missing", name);
    if (!given[k])
      return cli_usage_error("request field '%s' is missing: give "
                             "--request %s=VALUE (or %s=... in --entity)",
                             name, name, name);
  }
  return status;
}

static int prepare(lr_store *store, get_args *a, lr_request **req) {
  if (a->service)
    return lr_request_prepare_service(store, a->service, req);
  const char *refs[MAX_REFS];
  int n = cli_split_list(a->features, refs, MAX_REFS);
  return lr_request_prepare(store, refs, n, req);
}

/* Looks the entities up and prints the result. */
static int run_get(lr_request *req, get_args *a) {
  int n_keys;
  lr_request_shape(req, &n_keys, NULL);
  lr_value *keys = calloc((size_t)a->n_entities * (size_t)n_keys + 1,
                          sizeof *keys);
  char **specs = calloc((size_t)a->n_entities + 1, sizeof *specs);
  /* per entity, copies of the --request arguments, split in place */
  char **requests = calloc((size_t)a->n_entities * (size_t)a->n_requests + 1,
                           sizeof *requests);
  lr_result *res = NULL;
  int status = keys && specs && requests ? CLI_OK : CLI_FAILED;
  for (int e = 0; status == CLI_OK && e < a->n_entities; e++) {
    specs[e] = strdup(a->entities[e]);
    char **mine = requests + (size_t)e * (size_t)a->n_requests;
    for (int r = 0; r < a->n_requests; r++)
      mine[r] = strdup(a->requests[r]);
    status = parse_entity(req, a, specs[e], mine,
                          keys + (size_t)e * (size_t)n_keys);
  }
  int rc = status == CLI_OK ? lr_result_create(req, a->n_entities, &res) : 0;
  if (rc == 0 && status == CLI_OK)
    rc = lr_get_online_features(req, keys, a->n_entities, res);
  char *text = NULL;
  if (rc == 0 && status == CLI_OK) {
    unsigned flags = (a->json ? LR_FORMAT_JSON : 0) |
                     (a->full_names ? LR_FULL_FEATURE_NAMES : 0);
    rc = lr_result_format(res, keys, flags, &text);
  }
  if (text)
    fputs(text, stdout);
  if (rc)
    status = cli_fail("get", rc, res ? lr_result_errmsg(res) : NULL);
  lr_free(text);
  lr_result_free(res);
  for (int e = 0; specs && e < a->n_entities; e++)
    free(specs[e]);
  for (int r = 0; requests && r < a->n_entities * a->n_requests; r++)
    free(requests[r]);
  free(requests);
  free(specs);
  free(keys);
  return status;
}

static int cmd_get(cli *c) {
  get_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  int status = get_args_from(c, a);
  lr_store *store = NULL;
  lr_request *req = NULL;
  if (status == CLI_OK) {
    int rc = lr_store_open(c->repo, LR_STORE_READONLY, &store);
    if (rc == 0)
      rc = prepare(store, a, &req);
    status = rc ? cli_fail("get", rc, lr_store_errmsg(store))
                : run_get(req, a);
  }
  lr_request_free(req);
  lr_store_close(store);
  free(a->features);
  free(a);
  return status;
}

const cli_command cli_get_command = {
    "get", "read online features of entities",
    "Read online features of one or more entities from the online store, in "
    "process. Prints a table, one row per entity, keys first; a missing "
    "value shows its status: <NOT_FOUND>, <NULL_VALUE> or <OUTSIDE_MAX_AGE>.",
    NULL, 0, get_options, CLI_COUNT(get_options), cmd_get};

enum { WRITE_IGNORE_EXTRA };

/* What the view's checks found in the write, on stdout, when a rule
 * failed (lr_store_check_report). */
static void print_check_report(lr_store *store) {
  char *report = NULL;
  if (lr_store_check_report(store, 0, &report) == 0 && report &&
      strstr(report, "  FAIL "))
    fputs(report, stdout);
  lr_free(report);
}

static int cmd_write(cli *c) {
  const char *view = c->operand[0], *file = c->operand[1];
  unsigned flags = c->given[WRITE_IGNORE_EXTRA]
                       ? LR_WRITE_IGNORE_EXTRA_COLUMNS : 0;
  lr_store *store = NULL;
  lr_write_stats stats;
  int rc = lr_store_open(c->repo, LR_STORE_READWRITE, &store);
  if (rc == 0)
    rc = lr_write_file_flags(store, view, file, flags, &stats);
  if (store)
    print_check_report(store);
  fflush(stdout);
  int status = rc ? cli_fail("write", rc, lr_store_errmsg(store)) : CLI_OK;
  if (rc == 0)
    printf("Wrote %zu row%s to %s (%zu older than the stored rows were "
           "skipped).\n", stats.rows_written, stats.rows_written == 1 ? "" : "s",
           view, stats.rows_skipped);
  lr_store_close(store);
  return status;
}

static const cli_operand write_operands[] = {
    {"VIEW", "the feature view to write into"},
    {"FILE", "a .csv, .jsonl, .json or .parquet file of rows: every join key, "
             "event_timestamp, optionally created_timestamp, and the view's "
             "features"},
};

static const cli_option write_options[] = {
    [WRITE_IGNORE_EXTRA] = {"--ignore-extra-columns", NULL,
                            "skip the file's columns that the view does not "
                            "have (without it, they are refused)",
                            0, 0}};

const cli_command cli_write_command = {
    "write", "write rows from a CSV, JSONL/JSON or Parquet file",
    "Write the rows of FILE into the online store of VIEW, in one "
    "transaction: readers see all of them or none, and a bad cell fails the "
    "whole file naming its place. Newer rows win: a row older than the "
    "stored one (by event time, then created time) is skipped and counted.",
    write_operands, CLI_COUNT(write_operands), write_options,
    CLI_COUNT(write_options), cmd_write};

static int cmd_compact(cli *c) {
  lr_store *store = NULL;
  unsigned long long before = 0, after = 0;
  int rc = lr_store_open(c->repo, LR_STORE_READWRITE, &store);
  if (rc == 0)
    rc = lr_store_compact(store, &before, &after);
  int status = rc ? cli_fail("compact", rc, lr_store_errmsg(store)) : CLI_OK;
  if (rc == 0)
    printf("Compacted the online store: %llu -> %llu bytes.\n", before, after);
  lr_store_close(store);
  return status;
}

/* The "replication" member of `larder version --json`. */
static void print_replication_json(const lr_replication_status *repl) {
  text error = {0};
  if (text_json_string(&error, repl->error, strlen(repl->error)))
    text_printf(&error, "\"\"");
  printf(", \"replication\": {\"role\": \"%s\", \"log_head\": %llu, "
         "\"lag_entries\": %llu, \"lag_ms\": %lld, \"reported_ms_ago\": "
         "%lld, \"applied\": %llu, \"applied_rows\": %llu, "
         "\"bootstraps\": %llu, \"mismatches\": %llu, \"failing_ms\": "
         "%lld, \"error\": %s}",
         repl->primary ? "primary" : "replica", repl->log_head,
         repl->lag_entries, repl->lag_ms, repl->reported_ms, repl->applied,
         repl->applied_rows, repl->bootstraps, repl->mismatches,
         repl->failing_ms, error.p ? error.p : "\"\"");
  text_free(&error);
}

const cli_command cli_compact_command = {
    "compact", "rewrite the online store compactly",
    "Rewrite the online store as a compact copy into a new generation and "
    "make it live atomically; print the sizes before and after. Servers, "
    "readers and writers in other processes keep working: writers wait for "
    "the copy, readers move to it at their next lookup.",
    NULL, 0, NULL, 0, cmd_compact};

enum { VERSION_JSON };

/* `larder version [--json]`: the library's, the registry's and the online
 * store's versions, and (JSON) each view's digest. */
static int cmd_version(cli *c) {
  int json = c->given[VERSION_JSON];
  lr_registry *reg = NULL;
  lr_store *store = NULL;
  unsigned long long registry_version = 0;
  lr_data_version v = {0, 0};
  char *digests = NULL;
  int rc = lr_registry_open(c->repo, &reg);
  int status = rc ? cli_fail("version", rc, lr_registry_errmsg(reg)) : CLI_OK;
  if (rc == 0) {
    lr_registry_version(reg, &registry_version);
    rc = lr_store_open(c->repo, LR_STORE_READONLY, &store);
    if (rc == 0)
      rc = lr_store_version(store, &v);
    if (rc == 0 && json)
      rc = lr_store_digests(store, &digests);
    if (rc)
      status = cli_fail("version", rc, lr_store_errmsg(store));
  }
  lr_replication_status repl;
  int replicated = rc == 0 && lr_store_replication(store, &repl) == 0;
  if (rc == 0 && json) {
    printf("{\"larder\": \"%s\", \"registry_version\": %llu, "
           "\"store_version\": \"%llu.%llu\", \"generation\": %llu, "
           "\"seq\": %llu, \"digests\": %s", lr_version(),
           registry_version, v.generation, v.seq, v.generation, v.seq,
           digests);
    if (replicated)
      print_replication_json(&repl);
    printf("}\n");
  } else if (rc == 0) {
    printf("larder %s\nregistry version %llu\nstore version %llu.%llu "
           "(generation %llu, sequence %llu)\n", lr_version(),
           registry_version, v.generation, v.seq, v.generation, v.seq);
    if (replicated && repl.reported_ms < 0)
      printf("%s: `larder replicate` has not reported yet\n",
             repl.primary ? "primary" : "replica");
    else if (replicated) {
      printf("%s: log head %llu, %llu entries behind for %lld ms "
             "(reported %lld ms ago)", repl.primary ? "primary" : "replica",
             repl.log_head, repl.lag_entries, repl.lag_ms, repl.reported_ms);
      if (repl.mismatches) /* worth a look: damage, or a second primary */
        printf("; %llu digest mismatches (log entries or snapshots refused)",
               repl.mismatches);
      printf("\n");
    }
    if (replicated && repl.error[0])
      printf("%s: its rounds have failed for %lld ms: %s\n",
             repl.primary ? "primary" : "replica", repl.failing_ms,
             repl.error);
  }
  lr_free(digests);
  lr_store_close(store);
  lr_registry_close(reg);
  return status;
}

enum { VERIFY_AGAINST, VERIFY_JSON, VERIFY_FULL };

/* `larder verify`'s arguments: none, or --against OTHER_REPO with --json
 * and --full. */
typedef struct verify_args {
  const char *against;
  unsigned flags; /* lr_store_compare's */
} verify_args;

static int read_verify_args(const cli *c, verify_args *a) {
  a->against = c->given[VERIFY_AGAINST] ? c->values[VERIFY_AGAINST][0] : NULL;
  a->flags = (c->given[VERIFY_JSON] ? LR_FORMAT_JSON : 0u) |
             (c->given[VERIFY_FULL] ? LR_COMPARE_FULL : 0u);
  if (a->flags && !a->against)
    return cli_usage_error("--json and --full go with --against "
                           "OTHER_REPO");
  return CLI_OK;
}

/* `larder verify --against OTHER`: the report on stdout; exit 0 when the
 * stores are identical, 1 when they differ, CLI_TROUBLE when they could
 * not be compared. The other store is opened read-only: it may be a
 * replica being followed, or a primary being written. */
static int verify_against(cli *c, const verify_args *a) {
  lr_store *store = NULL, *other = NULL;
  char *report = NULL;
  int identical = 0, status = CLI_OK;
  int rc = lr_store_open(c->repo, LR_STORE_READONLY, &store);
  if (rc)
    status = cli_fail("verify", rc, lr_store_errmsg(store));
  if (rc == 0 && (rc = lr_store_open(a->against, LR_STORE_READONLY, &other)))
    status = cli_fail("verify --against", rc, lr_store_errmsg(other));
  if (rc == 0 &&
      (rc = lr_store_compare(store, other, a->flags, &identical, &report)))
    status = cli_fail("verify --against", rc, lr_store_errmsg(store));
  if (rc == 0) {
    fputs(report, stdout);
    status = identical ? CLI_OK : CLI_FAILED;
  }
  lr_free(report);
  lr_store_close(other);
  lr_store_close(store);
  return rc ? CLI_TROUBLE : status;
}

/* `larder verify`: decodes every stored key and row and checks each view's
 * digest; exit 1 naming the view and key where it fails. With --against,
 * compares the store with another one instead (verify_against). */
static int cmd_verify(cli *c) {
  verify_args a = {NULL, 0};
  int status = read_verify_args(c, &a);
  if (status != CLI_OK || a.against)
    return status != CLI_OK ? status : verify_against(c, &a);
  lr_store *store = NULL;
  char *report = NULL;
  int rc = lr_store_open(c->repo, LR_STORE_READONLY, &store);
  if (rc == 0)
    rc = lr_store_verify(store, &report);
  status = cli_print_report("verify", rc, lr_store_errmsg(store), report);
  lr_store_close(store);
  return status;
}

static const cli_option version_options[] = {
    [VERSION_JSON] = {"--json", NULL,
     "print one JSON object, with each view's digest (and replication's "
     "state)",
     0, 0}};

const cli_command cli_version_command = {
    "version", "the library's, registry's and store's versions",
    "Print the library's version, the registry's version and the online "
    "store's version G.S (its generation and the sequence number of the last "
    "committed change) and, in a replicated repo, what `larder replicate` "
    "last reported.",
    NULL, 0, version_options, CLI_COUNT(version_options), cmd_version};

static const cli_option verify_options[] = {
    [VERIFY_AGAINST] = {"--against", "OTHER_REPO",
                        "compare with the online store of that repo (opened "
                        "read-only)", 0, 0},
    [VERIFY_JSON] = {"--json", NULL, "the comparison as one JSON object", 0,
                     0},
    [VERIFY_FULL] = {"--full", NULL,
                     "read every row, also of views whose recorded digests "
                     "agree", 0, 0}};

const cli_command cli_verify_command = {
    "verify", "decode every stored row and check the digests",
    "Read every key and row of the online store, decode each under its "
    "view's layout, and recompute each view's digest to compare with the one "
    "recorded. Exits 1 naming the view and key that do not decode, or both "
    "digests when they differ. With --against, compare the online store "
    "with another repo's instead: versions, each view's digest, and where "
    "they differ the buckets of the key space and the keys; exit 0 "
    "identical, 1 different, 3 when they could not be compared.",
    NULL, 0, verify_options, CLI_COUNT(verify_options), cmd_verify};

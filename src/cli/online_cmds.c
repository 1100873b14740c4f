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

typedef struct get_args {
  char *features;          /* --features v:f,v:g (a copy, split in place) */
  const char *service;     /* --service NAME */
  const char *entities[MAX_ENTITIES];
  int n_entities;
  const char *requests[MAX_REFS]; /* --request FIELD=VALUE: for every entity */
  int n_requests;
  int json, full_names;
} get_args;

static int parse_get_args(cli *c, get_args *a) {
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    int has_value = i + 1 < c->argc;
    if (!strcmp(arg, "--json")) {
      a->json = 1;
    } else if (!strcmp(arg, "--full-feature-names")) {
      a->full_names = 1;
    } else if (!strcmp(arg, "--features") && has_value) {
      free(a->features);
      a->features = strdup(c->argv[++i]);
    } else if (!strcmp(arg, "--service") && has_value) {
      a->service = c->argv[++i];
    } else if (!strcmp(arg, "--entity") && has_value) {
      if (a->n_entities == MAX_ENTITIES)
        return cli_usage_error("at most %d --entity per get", MAX_ENTITIES);
      a->entities[a->n_entities++] = c->argv[++i];
    } else if (!strcmp(arg, "--request") && has_value) {
      if (a->n_requests == MAX_REFS || !strchr(c->argv[i + 1], '='))
        return cli_usage_error("--request takes FIELD=VALUE (at most %d)",
                               MAX_REFS);
      a->requests[a->n_requests++] = c->argv[++i];
    } else {
      return cli_usage_error("get: unexpected argument '%s'", arg);
    }
  }
  if (!a->features == !a->service)
    return cli_usage_error("get needs --features v:f,... or --service NAME "
                           "(one of them)");
  if (!a->n_entities)
    return cli_usage_error("get needs at least one --entity KEY=VALUE");
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

int cli_get(cli *c) {
  get_args *a = calloc(1, sizeof *a);
  if (!a)
    return CLI_FAILED;
  int status = parse_get_args(c, a);
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

int cli_write(cli *c) {
  if (c->argc != 2 || c->argv[0][0] == '-' || c->argv[1][0] == '-')
    return cli_usage_error("write needs a view and a file: larder write VIEW "
                           "FILE(.csv|.jsonl|.json)");
  lr_store *store = NULL;
  lr_write_stats stats;
  int rc = lr_store_open(c->repo, LR_STORE_READWRITE, &store);
  if (rc == 0)
    rc = lr_write_file(store, c->argv[0], c->argv[1], &stats);
  int status = rc ? cli_fail("write", rc, lr_store_errmsg(store)) : CLI_OK;
  if (rc == 0)
    printf("Wrote %zu row%s to %s (%zu older than the stored rows were "
           "skipped).\n", stats.rows_written, stats.rows_written == 1 ? "" : "s",
           c->argv[0], stats.rows_skipped);
  lr_store_close(store);
  return status;
}

int cli_compact(cli *c) {
  if (c->argc != 0)
    return cli_usage_error("compact takes no arguments");
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

/* `larder version [--json]`: the library's, the registry's and the online
 * store's versions, and (JSON) each view's digest. */
int cli_version(cli *c) {
  int json = c->argc == 1 && !strcmp(c->argv[0], "--json");
  if (c->argc > 1 || (c->argc == 1 && !json))
    return cli_usage_error("version takes only --json");
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

/* `larder verify`'s arguments: none, or --against OTHER_REPO with
 * --json and --full. */
typedef struct verify_args {
  const char *against;
  unsigned flags; /* lr_store_compare's */
} verify_args;

static int parse_verify_args(cli *c, verify_args *a) {
  for (int i = 0; i < c->argc; i++) {
    const char *arg = c->argv[i];
    if (!strcmp(arg, "--json"))
      a->flags |= LR_FORMAT_JSON;
    else if (!strcmp(arg, "--full"))
      a->flags |= LR_COMPARE_FULL;
    else if (!strcmp(arg, "--against") && i + 1 < c->argc)
      a->against = c->argv[++i];
    else if (!strcmp(arg, "--against"))
      return cli_usage_error("verify: --against needs OTHER_REPO, the path "
                             "of the feature repo to compare with");
    else
      return cli_usage_error("verify takes only --against OTHER_REPO, "
                             "--json and --full");
  }
  if (a->flags && !a->against)
    return cli_usage_error("verify: --json and --full go with --against "
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
int cli_verify(cli *c) {
  verify_args a = {NULL, 0};
  int status = parse_verify_args(c, &a);
  if (status != CLI_OK || a.against)
    return status != CLI_OK ? status : verify_against(c, &a);
  lr_store *store = NULL;
  char *report = NULL;
  int rc = lr_store_open(c->repo, LR_STORE_READONLY, &store);
  if (rc == 0)
    rc = lr_store_verify(store, &report);
  status = rc ? cli_fail("verify", rc, lr_store_errmsg(store)) : CLI_OK;
  if (rc == 0)
    fputs(report, stdout);
  lr_free(report);
  lr_store_close(store);
  return status;
}

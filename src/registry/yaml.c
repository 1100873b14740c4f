/*
 * yaml.c - libfyaml wrappers (see yaml.h).
 *
 * libfyaml reports syntax errors with 1-based positions and token marks with
 * 0-based ones; everything leaving this file is 1-based.
 */
#include "yaml.h"

#include <string.h>

/* A diagnostic object that collects errors instead of printing them. */
static struct fy_diag *collecting_diag(void) {
  struct fy_diag_cfg cfg;
  fy_diag_cfg_default(&cfg);
  cfg.fp = NULL;
  cfg.output_fn = NULL;
  struct fy_diag *d = fy_diag_create(&cfg);
  if (d)
    fy_diag_set_collect_errors(d, true);
  return d;
}

struct fy_document *lr__yaml_parse_file(const char *path, const char *display,
                                        lr__diag *diag) {
  struct fy_diag *fyd = collecting_diag();
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = fyd};
  struct fy_document *doc = fy_document_build_from_file(&cfg, path);
  if (!doc) {
    void *it = NULL;
    struct fy_diag_error *e;
    int reported = 0;
    while (fyd && (e = fy_diag_errors_iterate(fyd, &it))) {
      lr__loc loc = {display, e->line, e->column};
      lr__diag_add(diag, loc, "fix the YAML syntax at this position",
                   "YAML syntax error: %s", e->msg);
      reported = 1;
    }
    if (!reported) {
      lr__loc loc = {display, 1, 1};
      lr__diag_add(diag, loc, NULL, "cannot read or parse this file");
    }
  }
  if (fyd)
    fy_diag_unref(fyd);
  return doc;
}

struct fy_document *lr__yaml_parse_text(const char *text, size_t len,
                                        lr__buf *err) {
  struct fy_diag *fyd = collecting_diag();
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = fyd};
  struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
  if (!doc) {
    void *it = NULL;
    struct fy_diag_error *e = fyd ? fy_diag_errors_iterate(fyd, &it) : NULL;
    if (e)
      lr__buf_printf(err, "%d:%d: %s", e->line, e->column, e->msg);
    else
      lr__buf_puts(err, "cannot parse the text");
  }
  if (fyd)
    fy_diag_unref(fyd);
  return doc;
}

lr__loc lr__yaml_loc(struct fy_node *node, const char *file) {
  lr__loc loc = {file, 0, 0};
  while (node && !fy_node_is_scalar(node)) {
    void *it = NULL;
    if (fy_node_is_mapping(node)) {
      struct fy_node_pair *pair = fy_node_mapping_iterate(node, &it);
      node = pair ? fy_node_pair_key(pair) : NULL;
    } else {
      node = fy_node_sequence_iterate(node, &it);
    }
  }
  struct fy_token *tok = node ? fy_node_get_scalar_token(node) : NULL;
  const struct fy_mark *mark = tok ? fy_token_start_mark(tok) : NULL;
  if (mark) {
    loc.line = mark->line + 1;
    loc.col = mark->column + 1;
  }
  return loc;
}

const char *lr__yaml_scalar(struct fy_node *node) {
  return node && fy_node_is_scalar(node) ? fy_node_get_scalar0(node) : NULL;
}

const char *lr__yaml_kind(struct fy_node *node) {
  if (!node || fy_node_is_null(node))
    return "nothing";
  if (fy_node_is_mapping(node))
    return "a mapping";
  if (fy_node_is_sequence(node))
    return "a list";
  return "a value";
}

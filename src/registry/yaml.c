/*
 * yaml.c - libfyaml wrappers (see yaml.h).
 *
 * libfyaml reports syntax errors with 1-based positions and token marks with
 * 0-based ones; everything leaving this file is 1-based.
 */
#include "yaml.h"

#include <stdlib.h>
#include <string.h>

#include "../util/fs.h"
#include "../util/utf8.h"

/* A diagnostic object that collects errors instead of printing them. */
static struct fy_diag *collecting_diag(void) {
  /* Filled by hand rather than with fy_diag_cfg_default(), which asks
   * isatty() whether to colour output this never prints: the server parses
   * a body per request. */
  struct fy_diag_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.level = FYET_ERROR;
  cfg.module_mask = (1u << FYEM_MAX) - 1;
  struct fy_diag *d = fy_diag_create(&cfg);
  if (d)
    fy_diag_set_collect_errors(d, true);
  return d;
}

/* A quiet parser reading `path`, its errors collected in `fyd`; NULL when
 * it cannot be set up. */
static struct fy_parser *file_parser(const char *path, struct fy_diag *fyd) {
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = fyd};
  struct fy_parser *fyp = fy_parser_create(&cfg);
  if (fyp && fy_parser_set_input_file(fyp, path) != 0) {
    fy_parser_destroy(fyp);
    return NULL;
  }
  return fyp;
}

/* A quiet parser over `len` bytes already read (and checked for NUL bytes). */
static struct fy_parser *string_parser(const char *text, size_t len,
                                       struct fy_diag *fyd) {
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = fyd};
  struct fy_parser *fyp = fy_parser_create(&cfg);
  if (fyp && fy_parser_set_string(fyp, text, len) != 0) {
    fy_parser_destroy(fyp);
    return NULL;
  }
  return fyp;
}

enum { FLOW_DEPTH_MAX = 64 };

/* Finds where the innermost flow collection (`[` or `{`) still open at the
 * end of `path` starts, by scanning its tokens again. libfyaml reports an
 * unclosed bracket at the end of the file; the bracket is what needs the
 * fix. Returns 1 and sets *at, or 0 when every one was closed. */
static int unclosed_flow(const char *path, struct fy_mark *at) {
  struct fy_diag *fyd = collecting_diag();
  struct fy_parser *fyp = fyd ? file_parser(path, fyd) : NULL;
  struct fy_mark open[FLOW_DEPTH_MAX];
  int depth = 0;
  struct fy_token *tok;
  while (fyp && (tok = fy_scan(fyp))) {
    enum fy_token_type type = fy_token_get_type(tok);
    const struct fy_mark *mark = fy_token_start_mark(tok);
    if (type == FYTT_FLOW_SEQUENCE_START || type == FYTT_FLOW_MAPPING_START) {
      if (depth < FLOW_DEPTH_MAX && mark)
        open[depth] = *mark;
      depth++;
    } else if (depth > 0 && (type == FYTT_FLOW_SEQUENCE_END ||
                             type == FYTT_FLOW_MAPPING_END)) {
      depth--;
    }
    fy_scan_token_free(fyp, tok);
  }
  if (depth > 0)
    *at = open[(depth < FLOW_DEPTH_MAX ? depth : FLOW_DEPTH_MAX) - 1];
  if (fyp)
    fy_parser_destroy(fyp);
  if (fyd)
    fy_diag_unref(fyd);
  return depth > 0;
}

/* Where a syntax error of `path` is reported: libfyaml's position, except
 * that an error at the end of the file about an open bracket points at the
 * bracket. */
static lr__loc error_loc(const struct fy_diag_error *e, const char *path,
                         const char *display) {
  lr__loc loc = {display, e->line, e->column};
  struct fy_mark open;
  if (e->fyt && fy_token_get_type(e->fyt) == FYTT_STREAM_END &&
      unclosed_flow(path, &open)) {
    loc.line = open.line + 1;
    loc.col = open.column + 1;
  }
  return loc;
}

/* Adds the errors libfyaml collected while reading `path` to `diag`;
 * returns how many. */
static int report_errors(struct fy_diag *fyd, const char *path,
                         const char *display, lr__diag *diag) {
  void *it = NULL;
  struct fy_diag_error *e;
  int n = 0;
  while ((e = fy_diag_errors_iterate(fyd, &it))) {
    lr__diag_add(diag, error_loc(e, path, display),
                 "fix the YAML syntax at this position",
                 "YAML syntax error: %s", e->msg);
    n++;
  }
  return n;
}

/* A NUL byte in `text` as an error at its place; returns 1 when there is
 * one. libfyaml would end the file at it without a word. */
static int refuse_nul(const char *text, size_t len, const char *display,
                      lr__diag *diag) {
  lr__text_pos at = {1, 1};
  if (!lr__text_scan_nul(&at, text, len))
    return 0;
  lr__loc loc = {display, (int)at.line, (int)at.col};
  lr__diag_add(diag, loc, LR__NUL_HINT, "%s", LR__NUL_WHAT);
  return 1;
}

/* Definition files are UTF-8 (as YAML requires). libfyaml 0.7.12 loops
 * forever on some invalid bytes (a `%` directive line followed by 0x83 or
 * 0xFF: found by the YAML fuzzer), so the text is checked first and the
 * first bad byte reported at its line and column (in characters). Returns
 * 0, or -1 after reporting. */
static int check_utf8(const char *text, size_t len, const char *display,
                      lr__diag *diag) {
  size_t bad = lr__utf8_valid_len(text, len);
  if (bad < len) {
    lr__loc loc = {display, 1, 1};
    for (size_t i = 0; i < bad; i++) {
      if (text[i] == '\n') {
        loc.line++;
        loc.col = 1;
      } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
        loc.col++;
      }
    }
    lr__diag_add(diag, loc, "save the file as UTF-8",
                 "the file is not UTF-8 text: byte 0x%02X",
                 (unsigned char)text[bad]);
  }
  return bad < len ? -1 : 0;
}

int lr__yaml_read_file(const char *path, const char *display, lr__diag *diag,
                       lr__yaml_each_fn each, void *ctx) {
  char *text = NULL;
  size_t len = 0;
  lr__buf why;
  lr__buf_init(&why);
  int unreadable = lr__fs_read_file(path, &text, &len, &why) != 0;
  lr__buf_free(&why);
  if (!unreadable && (refuse_nul(text, len, display, diag) ||
                      check_utf8(text, len, display, diag) != 0)) {
    free(text);
    return -1;
  }
  struct fy_diag *fyd = collecting_diag();
  struct fy_parser *fyp = fyd && !unreadable ? string_parser(text, len, fyd)
                                             : NULL;
  struct fy_document *doc;
  while (fyp && (doc = fy_parse_load_document(fyp))) {
    each(fy_document_root(doc), ctx);
    fy_parse_document_destroy(fyp, doc);
  }
  int failed = !fyp || fy_parser_get_stream_error(fyp);
  int reported = fyd ? report_errors(fyd, path, display, diag) : 0;
  if (failed && !reported) {
    lr__loc loc = {display, 1, 1};
    lr__diag_add(diag, loc, NULL, "cannot read or parse this file");
  }
  if (fyp)
    fy_parser_destroy(fyp);
  if (fyd)
    fy_diag_unref(fyd);
  free(text);
  return failed || reported ? -1 : 0;
}

/* The first scalar inside `node`, depth first (a mapping's first key), or
 * the innermost collection on the way that is empty. */
static struct fy_node *first_leaf(struct fy_node *node) {
  for (;;) {
    void *it = NULL;
    struct fy_node *child;
    if (fy_node_is_mapping(node)) {
      struct fy_node_pair *pair = fy_node_mapping_iterate(node, &it);
      child = pair ? fy_node_pair_key(pair) : NULL;
    } else if (fy_node_is_sequence(node)) {
      child = fy_node_sequence_iterate(node, &it);
    } else {
      return node;
    }
    if (!child)
      return node;
    node = child;
  }
}

/* Copies where `node` starts to *out: a scalar's token, or the event that
 * opens a collection (its bracket; a block collection's first entry).
 * Returns 0 when there is none: an empty value has no token. */
static int start_mark(struct fy_node *node, struct fy_mark *out) {
  const struct fy_mark *mark = NULL;
  if (fy_node_is_scalar(node)) {
    struct fy_token *tok = fy_node_get_scalar_token(node);
    mark = tok ? fy_token_start_mark(tok) : NULL;
    if (mark)
      *out = *mark;
    return mark != NULL;
  }
  struct fy_document_iterator *it = fy_document_iterator_create();
  if (!it)
    return 0;
  fy_document_iterator_node_start(it, node);
  struct fy_event *ev = fy_document_iterator_body_next(it);
  mark = ev ? fy_event_start_mark(ev) : NULL;
  if (mark)
    *out = *mark;
  if (ev)
    fy_document_iterator_event_free(it, ev);
  fy_document_iterator_destroy(it);
  return mark != NULL;
}

/* The key whose value `node` is, or NULL when its parent is no mapping. */
static struct fy_node *key_of(struct fy_node *node) {
  struct fy_node *parent = fy_node_get_parent(node);
  if (!parent || !fy_node_is_mapping(parent))
    return NULL;
  void *it = NULL;
  struct fy_node_pair *pair;
  while ((pair = fy_node_mapping_iterate(parent, &it)))
    if (fy_node_pair_value(pair) == node)
      return fy_node_pair_key(pair);
  return NULL;
}

lr__loc lr__yaml_loc(struct fy_node *node, const char *file) {
  lr__loc loc = {file, 0, 0};
  struct fy_mark mark;
  if (!node)
    return loc;
  if (start_mark(first_leaf(node), &mark) || start_mark(node, &mark)) {
    loc.line = mark.line + 1;
    loc.col = mark.column + 1;
    return loc;
  }
  struct fy_node *key = key_of(node);
  return key ? lr__yaml_loc(key, file) : loc;
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

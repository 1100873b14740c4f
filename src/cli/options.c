/*
 * options.c - reading a command's arguments by its table (cli.h) and
 * printing its --help from the same table, so that what a command accepts
 * and what its help says cannot drift apart.
 *
 * A word that starts with '-' and a letter (or a second '-') is an option;
 * anything else, "-7d" and "-" among them, is an operand. An option's value
 * is the next word, whatever it looks like (`--warmup -1s`). -h and --help
 * anywhere an option may stand print the help, even beside mistakes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { WIDTH = 79, HELP_COLUMN = 26 };

/* ---- reading ------------------------------------------------------------ */

static int is_option_word(const char *arg) {
  return arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9');
}

static int is_help_word(const char *arg) {
  return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* The index of option `name` in cmd's table, or -1. */
static int find_option(const cli_command *cmd, const char *name) {
  for (int k = 0; k < cmd->n_options; k++)
    if (!strcmp(cmd->options[k].name, name))
      return k;
  return -1;
}

/* What one pass over the words found. */
typedef struct scan {
  int counts[CLI_MAX_OPTIONS];
  int n_operands;
  int help;
  char error[512]; /* the first mistake, or "" */
} scan;

/* Goes over the words: counts options and operands into `s` and, when
 * `c` is given (the second pass, after a clean first one), keeps them. */
static void read_words(const cli_command *cmd, int argc, char **argv, scan *s,
                       cli *c) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (!is_option_word(arg)) {
      if (s->n_operands < cmd->n_operands && c)
        c->operand[s->n_operands] = arg;
      if (s->n_operands++ == cmd->n_operands && !s->error[0])
        snprintf(s->error, sizeof s->error, "unexpected argument '%s'", arg);
      continue;
    }
    if (is_help_word(arg)) {
      s->help = 1;
      continue;
    }
    int k = find_option(cmd, arg);
    if (k < 0) {
      if (!s->error[0])
        snprintf(s->error, sizeof s->error, "unknown flag '%s'", arg);
      continue;
    }
    const cli_option *o = &cmd->options[k];
    if (o->value && i + 1 == argc) {
      if (!s->error[0])
        snprintf(s->error, sizeof s->error, "%s needs a value: %s %s",
                 o->name, o->name, o->value);
      continue;
    }
    if (c)
      c->values[k][s->counts[k]] = o->value ? argv[i + 1] : NULL;
    s->counts[k]++;
    i += o->value != NULL;
  }
}

/* "--name VALUE" (or "--name") into `out`. */
static void option_text(const cli_option *o, char *out, size_t cap) {
  snprintf(out, cap, "%s%s%s", o->name, o->value ? " " : "",
           o->value ? o->value : "");
}

/* Checks alternatives group `g`: exactly one of its options was given. */
static void check_one_of(const cli_command *cmd, int g, const scan *s,
                         char *error, size_t cap) {
  int given = 0, last = 0;
  for (int k = 0; k < cmd->n_options; k++)
    if (cmd->options[k].one_of == g) {
      last = k;
      given += s->counts[k] > 0;
    }
  if (given == 1)
    return;
  char names[400] = ""; /* within the 512 of the message */
  for (int k = 0, seen = 0; k < cmd->n_options; k++) {
    if (cmd->options[k].one_of != g)
      continue;
    char one[128];
    if (given)
      snprintf(one, sizeof one, "%s", cmd->options[k].name);
    else
      option_text(&cmd->options[k], one, sizeof one);
    size_t len = strlen(names);
    snprintf(names + len, sizeof names - len, "%s%s",
             seen++ == 0 ? "" : k < last ? ", " : given ? " and " : " or ",
             one);
  }
  if (given)
    snprintf(error, cap, "give only one of %s", names);
  else
    snprintf(error, cap, "missing %s (give one of them)", names);
}

/* The checks after the words were read: options given twice, operands,
 * required options and alternatives, in table order. */
static void check_counts(const cli_command *cmd, const scan *s, char *error,
                         size_t cap) {
  for (int k = 0; k < cmd->n_options && !error[0]; k++)
    if (s->counts[k] > 1 && !(cmd->options[k].flags & CLI_REPEAT))
      snprintf(error, cap, "%s given twice", cmd->options[k].name);
  if (!error[0] && s->n_operands < cmd->n_operands) {
    const cli_operand *first = &cmd->operands[s->n_operands];
    if (s->n_operands + 1 == cmd->n_operands)
      snprintf(error, cap, "missing %s: %s", first->name, first->help);
    else
      snprintf(error, cap, "missing %s and %s", first->name,
               cmd->operands[s->n_operands + 1].name);
  }
  for (int k = 0; k < cmd->n_options && !error[0]; k++) {
    const cli_option *o = &cmd->options[k];
    char text[128];
    option_text(o, text, sizeof text);
    if ((o->flags & CLI_REQUIRED) && s->counts[k] == 0)
      snprintf(error, cap, "missing %s", text);
    int first_of_group = o->one_of > 0;
    for (int j = 0; j < k && first_of_group; j++)
      first_of_group = cmd->options[j].one_of != o->one_of;
    if (first_of_group && !error[0])
      check_one_of(cmd, o->one_of, s, error, cap);
  }
}

int cli_parse(cli *c, int argc, char **argv) {
  const cli_command *cmd = c->command;
  if (cmd->n_options > CLI_MAX_OPTIONS || cmd->n_operands > CLI_MAX_OPERANDS)
    return cli_fail(cmd->name, LR_EINVAL, "its table has more options or "
                    "operands than cli.h makes room for (CLI_MAX_*)");
  scan s;
  read_words(cmd, argc, argv, &s, NULL);
  if (s.help) {
    cli_print_help(cmd);
    return -1;
  }
  if (!s.error[0])
    check_counts(cmd, &s, s.error, sizeof s.error);
  if (s.error[0])
    return cli_usage_error("%s", s.error);
  int total = 0;
  for (int k = 0; k < cmd->n_options; k++)
    total += s.counts[k];
  c->storage = calloc((size_t)total + 1, sizeof *c->storage);
  if (!c->storage)
    return CLI_FAILED;
  for (int k = 0, at = 0; k < cmd->n_options; at += s.counts[k], k++)
    c->values[k] = c->storage + at;
  read_words(cmd, argc, argv, &s, c);
  memcpy(c->given, s.counts, sizeof c->given);
  return 0;
}

void cli_args_free(cli *c) {
  free(c->storage);
  c->storage = NULL;
}

const char *cli_value(const cli *c, int i) {
  return c->given[i] ? c->values[i][c->given[i] - 1] : NULL;
}

/* ---- printing ----------------------------------------------------------- */

/* Output that wraps at WIDTH: items (words, or synopsis pieces that must
 * stay whole) separated by a space, continuation lines indented. */
typedef struct line_out {
  int col, indent;
} line_out;

static void put_item(line_out *l, const char *s, int len) {
  if (l->col > l->indent && l->col + 1 + len > WIDTH) {
    printf("\n%*s", l->indent, "");
    l->col = l->indent;
  } else if (l->col > l->indent) {
    putchar(' ');
    l->col++;
  }
  printf("%.*s", len, s);
  l->col += len;
}

/* Prints `text` word by word from column l->col. */
static void put_words(line_out *l, const char *text) {
  for (const char *p = text; *p;) {
    while (*p == ' ')
      p++;
    int len = (int)strcspn(p, " ");
    if (len)
      put_item(l, p, len);
    p += len;
  }
}

/* `help` starts at HELP_COLUMN, on the next line when LEFT is too wide. */
void cli_print_entry(const char *left, const char *help) {
  int len = printf("  %s", left);
  if (len + 1 > HELP_COLUMN) { /* no room for a space */
    putchar('\n');
    len = 0;
  }
  printf("%*s", HELP_COLUMN - len, "");
  line_out l = {HELP_COLUMN, HELP_COLUMN};
  put_words(&l, help);
  putchar('\n');
}

/* The synopsis piece of option k: "[--json]", "--output FILE",
 * "(--features V:F,... | --service NAME)" for the first of a group (""
 * for the others), "[--request F=V]..." when it repeats. */
static void synopsis_piece(const cli_command *cmd, int k, char *out,
                           size_t cap) {
  const cli_option *o = &cmd->options[k];
  char text[128];
  option_text(o, text, sizeof text);
  out[0] = '\0';
  if (o->one_of > 0) {
    for (int j = 0; j < k; j++)
      if (cmd->options[j].one_of == o->one_of)
        return;
    snprintf(out, cap, "(%s", text);
    for (int j = k + 1; j < cmd->n_options; j++) {
      if (cmd->options[j].one_of != o->one_of)
        continue;
      size_t len = strlen(out);
      option_text(&cmd->options[j], text, sizeof text);
      snprintf(out + len, cap - len, " | %s", text);
    }
    size_t len = strlen(out);
    snprintf(out + len, cap - len, ")");
    return;
  }
  int required = (o->flags & CLI_REQUIRED) != 0;
  snprintf(out, cap, "%s%s%s%s", required ? "" : "[", text,
           required ? "" : "]", o->flags & CLI_REPEAT ? "..." : "");
}

static void print_synopsis(const cli_command *cmd) {
  int col = printf("usage: larder [-c REPO] %s", cmd->name);
  line_out l = {col, 8};
  for (int i = 0; i < cmd->n_operands; i++)
    put_item(&l, cmd->operands[i].name, (int)strlen(cmd->operands[i].name));
  for (int k = 0; k < cmd->n_options; k++) {
    char piece[512];
    synopsis_piece(cmd, k, piece, sizeof piece);
    if (piece[0])
      put_item(&l, piece, (int)strlen(piece));
  }
  putchar('\n');
}

void cli_print_help(const cli_command *cmd) {
  print_synopsis(cmd);
  printf("\n");
  line_out l = {0, 0};
  put_words(&l, cmd->description ? cmd->description : cmd->summary);
  printf("\n");
  if (cmd->n_operands)
    printf("\nArguments:\n");
  for (int i = 0; i < cmd->n_operands; i++)
    cli_print_entry(cmd->operands[i].name, cmd->operands[i].help);
  printf("\nOptions:\n");
  for (int k = 0; k < cmd->n_options; k++) {
    char text[128];
    option_text(&cmd->options[k], text, sizeof text);
    cli_print_entry(text, cmd->options[k].help);
  }
  cli_print_entry("-h, --help", "this text");
}

/*
 * names.c - identifier checks and "did you mean" suggestions (see names.h).
 */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "clocale.h"

int lr__is_identifier(const char *s) {
  if (!s || !(lr__is_alpha((unsigned char)*s) || *s == '_'))
    return 0;
  for (s++; *s; s++)
    if (!(lr__is_alnum((unsigned char)*s) || *s == '_'))
      return 0;
  return 1;
}

int lr__text_same(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

int lr__edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return (int)(la > lb ? la : lb);
  int row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int up = row[j];
      int cost = lr__to_lower((unsigned char)a[i - 1]) !=
                 lr__to_lower((unsigned char)b[j - 1]);
      int best = diag + cost;
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

enum { SUGGEST_LIST_MAX = 8 };

void lr__suggest(lr__buf *hint, const char *what, const char *name,
                 const char *const *known, int n) {
  const char *best = NULL;
  int best_distance = 0, named = 0;
  for (int i = 0; i < n; i++) {
    if (!known[i])
      continue; /* an object without a name, reported on its own */
    named++;
    int d = lr__edit_distance(name, known[i]);
    if (!best || d < best_distance) {
      best = known[i];
      best_distance = d;
    }
  }
  size_t len = strlen(name);
  int close_enough = best && best_distance <= (len < 6 ? 2 : 3);
  if (close_enough) {
    lr__buf_printf(hint, "did you mean '%s'?", best);
    return;
  }
  if (named == 0) {
    lr__buf_printf(hint, "no %s are defined", what);
    return;
  }
  lr__buf_printf(hint, "known %s: ", what);
  int shown = 0;
  for (int i = 0; i < n && shown < SUGGEST_LIST_MAX; i++)
    if (known[i])
      lr__buf_printf(hint, "%s%s", shown++ ? ", " : "", known[i]);
  if (named > SUGGEST_LIST_MAX)
    lr__buf_printf(hint, " (and %d more)", named - SUGGEST_LIST_MAX);
}

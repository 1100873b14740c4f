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

/* 1 when `longer` is `shorter` with words added before or after it
 * (`f0_score` for `f0`, `user_id` for `id`), ignoring case: a rename
 * that adds a word is as likely a slip as a typo is. */
static int adds_words(const char *shorter, const char *longer) {
  size_t ls = strlen(shorter), ll = strlen(longer);
  if (ls == 0 || ll <= ls + 1)
    return 0;
  return (!lr__ascii_ncasecmp(longer, shorter, ls) && longer[ls] == '_') ||
         (!lr__ascii_casecmp(longer + ll - ls, shorter) &&
          longer[ll - ls - 1] == '_');
}

const char *lr__closest(const char *name, const char *const *known, int n) {
  const char *best = NULL, *worded = NULL;
  int best_distance = 0;
  for (int i = 0; i < n; i++) {
    if (!known[i])
      continue; /* an object without a name, reported on its own */
    int d = lr__edit_distance(name, known[i]);
    if (!best || d < best_distance) {
      best = known[i];
      best_distance = d;
    }
    if (!worded && (adds_words(name, known[i]) || adds_words(known[i], name)))
      worded = known[i];
  }
  /* A few edits, but fewer than the name has characters: a short name is
   * within two edits of every other short name. */
  int len = (int)strlen(name);
  if (best && best_distance <= (len < 6 ? 2 : 3) && best_distance < len)
    return best;
  return worded;
}

void lr__list_names(lr__buf *out, const char *const *known, int n, int max) {
  int shown = 0, named = 0;
  for (int i = 0; i < n; i++) {
    if (!known[i])
      continue;
    if (named++ < max)
      lr__buf_printf(out, "%s%s", shown++ ? ", " : "", known[i]);
  }
  if (named > max)
    lr__buf_printf(out, " (and %d more)", named - max);
}

void lr__suggest(lr__buf *hint, const char *what, const char *name,
                 const char *const *known, int n) {
  const char *best = lr__closest(name, known, n);
  int named = 0;
  for (int i = 0; i < n; i++)
    named += known[i] != NULL;
  if (best)
    lr__buf_printf(hint, "did you mean '%s'?", best);
  else if (named == 0)
    lr__buf_printf(hint, "no %s are defined", what);
  else {
    lr__buf_printf(hint, "known %s: ", what);
    lr__list_names(hint, known, n, SUGGEST_LIST_MAX);
  }
}

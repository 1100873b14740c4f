/*
 * regex.c - fuzzes the regular expressions of the `matches` check
 * (src/util/regex_parse.c, regex.c): the input up to its first NUL byte
 * is the pattern, the rest the text (the pattern itself when there is no
 * NUL). A pattern that compiles is searched in the pattern, the text and
 * the text from each of its next three bytes on (starting inside a UTF-8
 * sequence), each search ending with 0 or 1 (libFuzzer's timeout catches
 * one that does not end); a refusal must say why and leave no regex.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "larder.h"
#include "util/regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *pattern = malloc(size + 1);
  if (!pattern)
    return 0;
  memcpy(pattern, data, size);
  pattern[size] = '\0';
  size_t plen = strlen(pattern);
  const char *text = plen < size ? (const char *)data + plen + 1 : pattern;
  size_t tlen = plen < size ? size - plen - 1 : plen;
  lr__buf err;
  lr__buf_init(&err);
  lr__regex *re = NULL;
  int rc = lr__regex_compile(pattern, &re, &err);
  if (rc != 0 && (re || err.len == 0 || rc != LR_EINVAL))
    __builtin_trap(); /* a refusal says why and hands back nothing */
  if (rc == 0) {
    if (lr__regex_search(re, pattern, plen) > 1)
      __builtin_trap();
    for (size_t from = 0; from <= tlen && from < 4; from++)
      if (lr__regex_search(re, text + from, tlen - from) > 1)
        __builtin_trap();
  }
  lr__regex_free(re);
  lr__buf_free(&err);
  free(pattern);
  return 0;
}

/*
 * regex.h - the regular expressions of the `matches` check: a subset of
 * RE2's syntax (the dialect DuckDB's regexp_matches speaks), so a check
 * gives the same verdict whether DuckDB runs it (materialize) or this
 * code does (write, push, the HTTP write). docs/internals/regex.md has
 * the design; docs/repo-format.md ("Regular expressions") the syntax.
 *
 * Matching is a simulation of the pattern's automaton (no backtracking):
 * a search takes time proportional to the text's length times the size of
 * the compiled program, and the program is capped at compile, so no
 * pattern can stall the thread that runs it.
 *
 * Threads: a compiled regex is immutable. Any number of threads may
 * search it at once; a search keeps its state on its own stack (at most
 * LR__REGEX_SEARCH_STACK bytes). Compile and free it from one thread, and
 * free it only when no search is running.
 */
#ifndef LR_UTIL_REGEX_H
#define LR_UTIL_REGEX_H

#include <stddef.h>

#include "buf.h"

/* The largest count a repetition {m,n} may name, also the largest product
 * of counts nested inside each other, as in RE2 (which refuses more). */
#define LR__REGEX_MAX_REPEAT 1000
/* The largest compiled program, in instructions: a search holds 10
 * bytes per instruction on its stack (40 KiB). */
#define LR__REGEX_MAX_PROGRAM 4096
/* The deepest nesting of groups. */
#define LR__REGEX_MAX_DEPTH 100
/* A search's stack use, in bytes (its state arrays). */
#define LR__REGEX_SEARCH_STACK (LR__REGEX_MAX_PROGRAM * 10)

typedef struct lr__regex lr__regex;

/* Compiles `pattern` (NUL-terminated UTF-8). On success *out is the
 * regex, owned by the caller (lr__regex_free). A pattern outside the
 * subset is refused: LR_EINVAL, *out NULL, and `err` gets one line,
 * "pattern 'P': character N: what is wrong; what to write instead" (N
 * counts code points from 1). LR_ENOMEM when memory runs out. */
int lr__regex_compile(const char *pattern, lr__regex **out, lr__buf *err);

/* 1 when the regex matches somewhere in text[0..len) (a search, as
 * DuckDB's regexp_matches: anchor with ^ and $ to match the whole text),
 * 0 when not. `text` need not be NUL-terminated nor valid UTF-8: a byte
 * that does not begin a well-formed sequence is one character of its own,
 * matched by `.`, by negated classes ([^...], \D, \W, \S) and by nothing
 * else. Any thread, at the same time as other searches. */
int lr__regex_search(const lr__regex *re, const char *text, size_t len);

/* Frees a regex (NULL is a no-op). */
void lr__regex_free(lr__regex *re);

#endif

/*
 * test_regex.c - the regular expressions of the `matches` check
 * (src/util/regex.c): verdicts of the subset, the rule for bytes that are
 * not UTF-8, every refusal's whole message, the bounds, a pathological
 * pattern, searches from many threads at once, and the differential test
 * that DuckDB's regexp_matches gives the same verdict on every pair of a
 * table (the materialize path runs the checks there).
 */
#include <pthread.h>

#include "helpers.h"
#include "larder.h"
#include "offline/duckdb.h"
#include "util/buf.h"
#include "util/regex.h"

/* ---- helpers ------------------------------------------------------------ */

/* A pattern and a text it is searched in, with the expected verdict. */
typedef struct rx_case {
  const char *pattern, *text;
  int match;
} rx_case;

static lr__regex *compile_ok(const char *pattern) {
  lr__buf err;
  lr__buf_init(&err);
  lr__regex *re = NULL;
  int rc = lr__regex_compile(pattern, &re, &err);
  cr_assert_eq(rc, 0, "pattern %s: %s", pattern, lr__buf_str(&err));
  cr_assert_not_null(re);
  lr__buf_free(&err);
  return re;
}

static int search(const char *pattern, const char *text, size_t len) {
  lr__regex *re = compile_ok(pattern);
  int verdict = lr__regex_search(re, text, len);
  lr__regex_free(re);
  return verdict;
}

static void check_cases(const rx_case *cases, size_t n) {
  for (size_t i = 0; i < n; i++)
    cr_expect_eq(search(cases[i].pattern, cases[i].text, strlen(cases[i].text)),
                 cases[i].match, "pattern '%s' on '%s': expected %d",
                 cases[i].pattern, cases[i].text, cases[i].match);
}

/* Asserts that `pattern` is refused with exactly `message`. */
static void check_refused(const char *pattern, const char *message) {
  lr__buf err;
  lr__buf_init(&err);
  lr__regex *re = (lr__regex *)&err; /* must come back NULL */
  int rc = lr__regex_compile(pattern, &re, &err);
  cr_expect_eq(rc, LR_EINVAL, "pattern %s compiled", pattern);
  cr_expect_null(re);
  cr_expect_str_eq(lr__buf_str(&err), message);
  lr__buf_free(&err);
}

#define N_OF(a) (sizeof(a) / sizeof(a)[0])

/* ---- verdicts ----------------------------------------------------------- */

Test(regex, re001_a_search_matches_anywhere_unless_anchored) {
  static const rx_case cases[] = {
      {"abc", "abc", 1},     {"abc", "xxabcxx", 1}, {"abc", "ab", 0},
      {"abc", "", 0},        {"", "", 1},           {"", "anything", 1},
      {"b", "abc", 1},       {"^b", "abc", 0},      {"b$", "abc", 0},
      {"^abc$", "abc", 1},   {"^abc$", "abcd", 0},  {"a|x", "xyz", 1},
      {"^(a|x)$", "xy", 0},  {"colou?r", "color", 1}, {"a*", "bbb", 1},
  };
  check_cases(cases, N_OF(cases));
}

Test(regex, re002_anchors_hold_at_the_whole_texts_edges_only) {
  static const rx_case cases[] = {
      {"^b", "a\nb", 0},  {"a$", "a\n", 0},    {"^a$", "a", 1},
      {"^$", "", 1},      {"^$", "\n", 0},     {"^a|^b", "b", 1},
      {"(^a|b)c", "xbc", 1}, {"(^a|b)c", "xac", 0}, {"x(a|b$)", "xa1", 1},
      {"x(a|b$)", "xb1", 0}, {"(^|,)a(,|$)", ",a,", 1},
      {"(^|,)a(,|$)", "ba", 0},
  };
  check_cases(cases, N_OF(cases));
}

Test(regex, re003_perl_classes_have_their_ascii_meanings) {
  static const rx_case cases[] = {
      {"\\d", "7", 1},      {"\\d", "\xd9\xa3", 0}, /* Arabic-Indic three */
      {"\\w", "_", 1},      {"\\w", "\xc3\xa9", 0}, /* é */
      {"\\s", "\t", 1},     {"\\s", "\f", 1},       {"\\s", "\v", 0},
      {"\\s", "\xc2\xa0", 0}, /* no-break space */
      {"^\\D$", "\xc3\xa9", 1}, {"^\\W$", "-", 1},  {"^\\S$", "x", 1},
      {"^[\\d\\s]+$", "1 2\t3", 1}, {"^[^\\d]$", "5", 0},
  };
  check_cases(cases, N_OF(cases));
}

Test(regex, re004_a_code_point_is_one_character) {
  static const rx_case cases[] = {
      {"^.$", "\xc3\xa9", 1},          {"^.$", "\xe2\x82\xac", 1},
      {"^.$", "\xf0\x9f\x98\x80", 1},  {"^..$", "\xc3\xa9", 0},
      {"^[\xc3\xa0-\xc3\xbf]$", "\xc3\xa9", 1}, /* [à-ÿ] on é */
      {"^[\xc3\xa0-\xc3\xbf]$", "e", 0},
      {"^[^\xc3\xa9]$", "\xc3\xa9", 0}, {"^[^\xc3\xa9]$", "\xe2\x82\xac", 1},
      {"^\xe6\x97\xa5{2}$", "\xe6\x97\xa5\xe6\x97\xa5", 1}, /* 日{2} */
      {".", "\n", 0},                 {"[^x]", "\n", 1},
  };
  check_cases(cases, N_OF(cases));
}

Test(regex, re005_counted_repetition) {
  static const rx_case cases[] = {
      {"^a{3}$", "aaa", 1},       {"^a{3}$", "aa", 0},
      {"^a{2,}$", "aaaaa", 1},    {"^a{2,}$", "a", 0},
      {"^a{0,2}$", "", 1},        {"^a{0,2}$", "aaa", 0},
      {"^a{0}$", "", 1},          {"^(ab){2}$", "abab", 1},
      {"^(?:ab|c){1,3}$", "abcab", 1}, {"^(?:ab|c){1,3}$", "abcabc", 0},
      {"^a{2}?$", "aa", 1},
      {"^[A-Z0-9]{5,8}$", "AB123", 1},  {"^[A-Z0-9]{5,8}$", "AB1234567", 0},
  };
  check_cases(cases, N_OF(cases));
  char text[1002];
  memset(text, 'a', 1000);
  cr_expect_eq(search("^a{1000}$", text, 1000), 1);
  cr_expect_eq(search("^a{1000}$", text, 999), 0);
  cr_expect_eq(search("^(a{10}){100}$", text, 1000), 1);
  cr_expect_eq(search("^(a{10}){100}$", text, 990), 0);
}

Test(regex, re006_a_byte_that_is_not_utf8_is_one_character_of_its_own) {
  static const struct {
    const char *pattern, *text;
    size_t len;
    int match;
  } cases[] = {
      {"^.$", "\xff", 1, 1},      {"^[^a]$", "\xff", 1, 1},
      {"^\\D$", "\xff", 1, 1},    {"^\\W$", "\xff", 1, 1},
      {"^\\S$", "\xff", 1, 1},    {"^[a-z]$", "\xff", 1, 0},
      {"^\\w$", "\xff", 1, 0},    {"^\xef\xbf\xbd$", "\xff", 1, 0}, /* U+FFFD */
      {"^..$", "\xe2\x82", 2, 1}, {"^.$", "\xe2\x82", 2, 0}, /* cut short */
      {"^a..b$", "a\xc0\xaf" "b", 4, 1},                     /* overlong */
      {"^...$", "\xed\xa0\x80", 3, 1},                       /* a surrogate */
      {"cd", "ab\xff" "cd", 5, 1},
      {"a\x00" "b", "a", 1, 1},   /* the pattern ends at its NUL */
      {"^a.b$", "a\x00" "b", 3, 1}, /* a NUL in the text is a character */
  };
  for (size_t i = 0; i < N_OF(cases); i++)
    cr_expect_eq(search(cases[i].pattern, cases[i].text, cases[i].len),
                 cases[i].match, "case %zu", i);
  /* DuckDB holds no such text: its strings are UTF-8 */
  lr__duckdb db;
  lr__buf err;
  lr__buf_init(&err);
  cr_assert_eq(lr__duckdb_open(&db, &err), 0, "%s", lr__buf_str(&err));
  cr_expect_eq(lr__duckdb_run(&db, "SELECT regexp_matches("
                              "decode('\\xFF'::BLOB), '.')", 0, NULL, &err),
               LR_EINVAL);
  cr_expect(strstr(lr__buf_str(&err), "invalid UTF8"), "%s", lr__buf_str(&err));
  lr__duckdb_close(&db);
  lr__buf_free(&err);
}

/* ---- refusals ----------------------------------------------------------- */

Test(regex, re007_what_the_subset_leaves_out_is_refused_with_a_hint) {
  static const char *cases[][2] = {
      {"^(a)\\1$", "pattern '^(a)\\1$': character 5: backreferences are not "
       "supported (RE2 refuses them too)"},
      {"(?=a)", "pattern '(?=a)': character 1: lookaround ((?=, (?!, (?<=, "
       "(?<!) is not supported (RE2 refuses it too)"},
      {"x(?<!a)", "pattern 'x(?<!a)': character 2: lookaround ((?=, (?!, "
       "(?<=, (?<!) is not supported (RE2 refuses it too)"},
      {"(?P<n>a)", "pattern '(?P<n>a)': character 1: named groups are not "
       "supported; write ( ) or (?: )"},
      {"(?i)abc", "pattern '(?i)abc': character 1: flags such as (?i) are not "
       "supported; write each case out, e.g. [Aa] for a or A"},
      {"\\bword", "pattern '\\bword': character 1: word boundaries (\\b, \\B) "
       "are not supported; match the characters around the word, e.g. "
       "(^|\\W)word($|\\W)"},
      {"\\Aa", "pattern '\\Aa': character 1: \\A is not supported; write ^ "
       "(it anchors at the start of the whole text)"},
      {"a\\z", "pattern 'a\\z': character 2: \\z is not supported; write $ "
       "(it anchors at the end of the whole text)"},
      {"\\p{L}", "pattern '\\p{L}': character 1: Unicode classes (\\p, \\P) "
       "are not supported; write the characters as a class, e.g. [a-zA-Z]"},
      {"\\Qa.b\\E", "pattern '\\Qa.b\\E': character 1: quoting (\\Q...\\E) "
       "is not supported; escape each special character with \\"},
      {"\\x41", "pattern '\\x41': character 1: \\x is not supported; write "
       "the character itself, or escape only punctuation (\\., \\\\, \\*, "
       "...), \\t, \\n, \\r, \\d, \\w, \\s, \\D, \\W or \\S"},
      {"\\\xc3\xa9", "pattern '\\\xc3\xa9': character 1: a \\ before a "
       "non-ASCII character is not supported; write the character itself"},
      {"ab\\", "pattern 'ab\\': character 3: a trailing \\ escapes nothing; "
       "write \\\\ for a literal \\"},
      {"[[:alpha:]]", "pattern '[[:alpha:]]': character 2: named classes such "
       "as [:alpha:] are not supported; write the ranges, e.g. [a-zA-Z]"},
      {"[a[]", "pattern '[a[]': character 3: write \\[ for a literal [ inside "
       "a class"},
      {"[a-c-e]", "pattern '[a-c-e]': character 5: a - inside a class makes a "
       "range; write \\- for a literal - (or put it first or last)"},
      {"[a-\\d]", "pattern '[a-\\d]': character 4: a range cannot end at \\d; "
       "write \\- for a literal -"},
      {"[z-a]", "pattern '[z-a]': character 2: this range runs backwards; "
       "write its lower end first"},
      {"[]a]", "pattern '[]a]': character 2: a class needs a character; "
       "write \\] for a literal ] inside a class"},
      {"[abc", "pattern '[abc': character 1: this [ is never closed; add a ], "
       "or write \\[ for a literal ["},
      {"(ab", "pattern '(ab': character 1: this ( is never closed; add a ), "
       "or write \\( for a literal ("},
      {"ab)", "pattern 'ab)': character 3: ) closes no group; write \\) for a "
       "literal )"},
      {"*a", "pattern '*a': character 1: * has nothing before it to repeat; "
       "write \\* for a literal *"},
      {"a|+", "pattern 'a|+': character 3: + has nothing before it to repeat; "
       "write \\+ for a literal +"},
      {"^*", "pattern '^*': character 2: * has nothing before it to repeat (^ "
       "and $ match no character); write \\* for a literal *"},
      {"a**", "pattern 'a**': character 3: a quantifier cannot follow "
       "another; put the repeated part in (?: ) first, e.g. (?:a+)*"},
      {"a{2}{3}", "pattern 'a{2}{3}': character 5: a quantifier cannot follow "
       "another; put the repeated part in (?: ) first, e.g. (?:a+)*"},
      {"a{,3}", "pattern 'a{,3}': character 2: { does not begin a repetition "
       "{m}, {m,} or {m,n}; write \\{ for a literal {"},
      {"a{2", "pattern 'a{2': character 2: { does not begin a repetition {m}, "
       "{m,} or {m,n}; write \\{ for a literal {"},
      {"a{3,2}", "pattern 'a{3,2}': character 2: repetition {3,2} has its "
       "minimum above its maximum; write {2,3}"},
      {"a$b", "pattern 'a$b': character 2: $ may stand only at the end of the "
       "pattern or of an alternative (DuckDB misreads it elsewhere); move it "
       "there, or write \\$ for a literal $"},
      {"a^", "pattern 'a^': character 2: ^ may stand only at the start of the "
       "pattern or of an alternative (DuckDB misreads it elsewhere); move it "
       "there, or write \\^ for a literal ^"},
      {"x(^a)", "pattern 'x(^a)': character 3: ^ may stand only at the start "
       "of the pattern or of an alternative (DuckDB misreads it elsewhere); "
       "move it there, or write \\^ for a literal ^"},
      {"(a$)*", "pattern '(a$)*': character 3: an anchor inside a repeated "
       "group; write ^ and $ outside the repetition, at the start or end of "
       "the pattern or of an alternative"},
      {"a\xff", "pattern 'a\\xFF': character 2: byte 0xFF is not UTF-8; write "
       "the pattern as UTF-8 text"},
      {"a\nb(", "pattern 'a\\x0Ab(': character 4: this ( is never closed; add "
       "a ), or write \\( for a literal ("},
  };
  for (size_t i = 0; i < N_OF(cases); i++)
    check_refused(cases[i][0], cases[i][1]);
}

Test(regex, re008_the_bounds_are_refused_at_the_repetition_that_passes_them) {
  check_refused("a{1001}", "pattern 'a{1001}': character 2: a repetition count "
                "may be at most 1000 (RE2's limit)");
  check_refused("a{2,99999999999}", "pattern 'a{2,99999999999}': character 2: "
                "a repetition count may be at most 1000 (RE2's limit)");
  check_refused("(a{1000}){1000}", "pattern '(a{1000}){1000}': character 10: "
                "repetitions nested in each other repeat more than 1000 times "
                "in all (RE2 refuses this too); lower the counts");
  check_refused("((a{2}){2}){251}", "pattern '((a{2}){2}){251}': character 12: "
                "repetitions nested in each other repeat more than 1000 times "
                "in all (RE2 refuses this too); lower the counts");
  lr__regex_free(compile_ok("((a{2}){2}){250}"));
  lr__regex_free(compile_ok("(a*){1000}"));
  check_refused("[a-z]{1000}[0-9]{1000}[A-Z]{1000}x{1000}y{97}",
                "pattern '[a-z]{1000}[0-9]{1000}[A-Z]{1000}x{1000}y{97}': "
                "character 41: the pattern compiles to more than 4096 "
                "instructions (the limit that keeps matching fast); use "
                "smaller repetition counts or a shorter pattern");
  lr__regex_free(compile_ok("[a-z]{1000}[0-9]{1000}[A-Z]{1000}x{1000}y{95}"));
  enum { DEPTH = LR__REGEX_MAX_DEPTH };
  char deep[2 * (DEPTH + 1) + 1];
  memset(deep, '(', DEPTH);
  memset(deep + DEPTH, ')', DEPTH);
  deep[2 * DEPTH] = '\0';
  lr__regex_free(compile_ok(deep)); /* 100 deep is allowed */
  memset(deep, '(', DEPTH + 1);
  memset(deep + DEPTH + 1, ')', DEPTH + 1);
  deep[2 * (DEPTH + 1)] = '\0';
  lr__buf want;
  lr__buf_init(&want);
  lr__buf_printf(&want, "pattern '%s': character 101: groups nest deeper "
                 "than 100; flatten the pattern", deep);
  check_refused(deep, lr__buf_str(&want));
  lr__buf_free(&want);
}

/* ---- bounded matching and threads --------------------------------------- */

Test(regex, re009_pathological_patterns_get_their_verdict) {
  size_t n = 10000;
  char *text = malloc(n + 1);
  memset(text, 'a', n);
  cr_expect_eq(search("(a*)*b", text, n), 0);
  cr_expect_eq(search("^(a+)+$", text, n), 1);
  cr_expect_eq(search("(a|aa)*c", text, n), 0);
  cr_expect_eq(search("(x+x+)+y", text, n), 0);
  cr_expect_eq(search("(a?){1000}a{1000}b", text, n), 0);
  text[n - 1] = 'b';
  cr_expect_eq(search("(a*)*b", text, n), 1);
  cr_expect_eq(search("^(a|aa)*b$", text, n), 1);
  free(text);
}

typedef struct rx_worker {
  const lr__regex *re;
  int wrong;
} rx_worker;

static void *search_many(void *arg) {
  rx_worker *w = arg;
  for (int i = 0; i < 5000; i++) {
    char text[32];
    int len = snprintf(text, sizeof text, "id-%05d", i);
    if (lr__regex_search(w->re, text, (size_t)len) != (i % 5 == 0))
      w->wrong++;
  }
  return NULL;
}

Test(regex, re010_one_regex_searched_from_many_threads_at_once) {
  lr__regex *re = compile_ok("^id-\\d*[05]$");
  rx_worker workers[4];
  pthread_t ids[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (rx_worker){re, 0};
    cr_assert_eq(pthread_create(&ids[i], NULL, search_many, &workers[i]), 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(ids[i], NULL);
    cr_expect_eq(workers[i].wrong, 0, "worker %d", i);
  }
  lr__regex_free(re);
}

/* ---- the same verdicts as DuckDB ---------------------------------------- */

/* A pattern and texts to search it in (NULL ends them). */
typedef struct rx_diff {
  const char *pattern;
  const char *texts[9];
} rx_diff;

/* Patterns of every feature of the subset, each against texts that match
 * and texts that do not: UTF-8 of two, three and four bytes, empty text,
 * \n against . and classes, anchors, alternation, counted repetition. */
static const rx_diff diff_table[] = {
    {"abc", {"abc", "xabcx", "ab", "", "ABC"}},
    {"^abc$", {"abc", "abcd", "xabc", "abc\n", ""}},
    {"^$", {"", "\n", "a"}},
    {"a.c", {"abc", "a\nc", "ac", "a\xc3\xa9" "c", "a\xe2\x82\xac" "c"}},
    {"^.$", {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "ab", "", "\n"}},
    {"^...$", {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "abc", "ab",
               "\xe6\x97\xa5\xe6\x9c\xac"}},
    {"\\d", {"abc", "a1", "\xd9\xa3", "", "\xef\xbc\x91"}},
    {"^\\d+$", {"12345", "12a45", "", "0"}},
    {"^\\d{3}-\\d{4}$", {"555-1234", "5551234", "55-1234", "555-12345"}},
    {"\\w+", {"___", "\xc3\xa9", "-", "a b", ""}},
    {"^\\w+$", {"hello_world", "h\xc3\xa9llo", "abc123", ""}},
    {"\\s", {" ", "\t", "\v", "\f", "a", "\xc2\xa0", "\r", "\n"}},
    {"^\\S+$", {"abc", "a b", "\xc3\xa9", ""}},
    {"\\D", {"123", "12a", "", "\xc3\xa9"}},
    {"\\W", {"abc", "a-b", "\xc3\xa9", "_"}},
    {"[abc]", {"a", "d", "xxc", ""}},
    {"^[^a-z]+$", {"ABC", "aBC", "123", "\xc3\xa9", "\n"}},
    {"[\xc3\xa0-\xc3\xbf]", {"\xc3\xa9", "e", "\xc3\xbf", "\xc4\x81"}},
    {"^[\xce\xb1-\xcf\x89]+$",
     {"\xce\xb1\xce\xb2\xce\xb3", "\xce\xb1\xce\xb2\xce\xb3" "a",
      "\xce\xa9", ""}},
    {"[\xe2\x82\xac$\xc2\xa3]", {"\xe2\x82\xac", "$", "\xc2\xa3", "\xc2\xa5"}},
    {"^[A-Z0-9]{5,8}$", {"ABC12", "ABCD", "ABCDEFGHI", "ABC123", "abc12",
                         "ABCDEFGH"}},
    {"a{3}", {"aa", "aaa", "baaab", ""}},
    {"^a{2,}$", {"a", "aa", "aaaaa", "aab"}},
    {"^a{0,2}$", {"", "a", "aa", "aaa"}},
    {"^(ab){2}$", {"abab", "ab", "ababab"}},
    {"^(?:ab|cd){1,3}$", {"ab", "abcd", "cdcdcd", "abcdabcd", ""}},
    {"cat|dog", {"cat", "hotdog", "cow", ""}},
    {"^(cat|dog)$", {"cat", "dogs", "dog"}},
    {"^(a|)$", {"", "a", "aa"}},
    {"a|b|c|", {"", "x"}},
    {"^$|^x$", {"", "x", "xx"}},
    {"colou?r", {"color", "colour", "colouur"}},
    {"^a*$", {"", "aaa", "aab"}},
    {"^a+b*c?$", {"a", "abbc", "bc", "ac", "acc"}},
    {"\\.", {"a.b", "ab", ""}},
    {"^\\\\$", {"\\", "\\\\", ""}},
    {"\\(\\)\\[\\]\\{\\}", {"()[]{}", "()[]{"}},
    {"\\*\\+\\?\\|\\^\\$\\-\\/", {"*+?|^$-/", "*+?|^$-"}},
    {"\\t\\n\\r", {"\t\n\r", "\t\n"}},
    {"[#%&'\\\"]\\#\\_\\<\\~", {"'#_<~", "#_<~"}},
    {"^[\\d\\s]+$", {"1 2\t3", "1a", ""}},
    {"[^\\d]", {"123", "12a", "\xc3\xa9"}},
    {"^[-a]+$", {"-a-", "-b"}},
    {"^[a-]+$", {"a-", "b"}},
    {"^[\\-\\]\\[]+$", {"-][", "a"}},
    {"^[!--]+$", {"!-", "."}},
    {"(a*)*b", {"aaab", "aaaa", "b", ""}},
    {"^(a+)+$", {"aaaa", "aaab"}},
    {"x*", {"", "abc"}},
    {"^\xe6\x97\xa5\xe6\x9c\xac", {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                                   "\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac"}},
    {"\xe8\xaa\x9e$", {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
                       "\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac"}},
    {"^.{2}$", {"\xc3\xa9\xc3\xa9", "ab", "\xc3\xa9",
                "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"}},
    {"^[\xf0\x9f\x98\x80-\xf0\x9f\x98\x82]$", {"\xf0\x9f\x98\x81",
                                               "\xf0\x9f\x98\x83", "a"}},
    {"a.*z", {"abcz", "a\nz", "az", "za"}},
    {"[^x]", {"\n", "x", ""}},
    {"^(\\d{1,3}\\.){3}\\d{1,3}$", {"192.168.0.1", "1.2.3", "1234.1.1.1",
                                    "1.2.3.4"}},
    {"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$",
     {"a.b@example.com", "a@b", "a@b.c", "\xc3\xa9@x.com", "x+y@d.org"}},
    {"(?:)", {"", "a"}},
    {"()", {""}},
    {"a*?b", {"aab", "aa"}},
    {"^a{2}?$", {"aa", "a"}},
    {"a]b}", {"a]b}", "ab"}},
    {".", {"", "\n", "a"}},
    {"^\\s*$", {"", "  \t", " a"}},
    {"^-?\\d+(\\.\\d+)?$", {"-3.14", "3.", "42", "--1"}},
    {"\xc3\xa9", {"caf\xc3\xa9", "cafe", "CAF\xc3\x89"}},
    {"^[^\xc3\xa9]$", {"e", "\xc3\xa9", "\xe2\x82\xac"}},
    {"(^a|b)c", {"ac", "bc", "xac", "xbc"}},
    {"x(a|b$)", {"xa", "xb", "xbc", "xab"}},
    {"(^|,)a(,|$)", {"a", ",a,", "ba", "a,b", "b,a"}},
    {"(^|\\W)ab($|\\W)", {"ab", " ab", "xab", "ab."}},
    {"^a|b", {"a", "xa", "xb"}},
    {"c|a$", {"a", "ab", "c"}},
    {"^(a|b)$", {"a", "ab"}},
    {"(?:^|x)a", {"a", "xa", "ya"}},
    {"^[a\\-z]$", {"-", "b", "z"}},
    {"\\$\\d+", {"$100", "100"}},
    {"^\\D{2}\\W\\S$", {"ab-c", "a1-c", "ab c", "ab- "}},
    {"^(?:[01]\\d|2[0-3]):[0-5]\\d$", {"23:59", "24:00", "09:05", "9:05"}},
    /* shapes DuckDB turns into contains, prefix, suffix or equality */
    {"^(abc)$", {"abc", "abcd", "xabc"}},
    {"(?:ab)c$", {"abc", "abcd", "xabc"}},
    {"^a(?:b)", {"abc", "xab"}},
    {"^\\$", {"$", "a$"}},
    {"a\\^", {"a^", "a"}},
    {"^[a]b$", {"ab", "aab"}},
    {"^a{2}b$", {"aab", "ab", "aaab"}},
    {"a{2}$", {"baa", "aab"}},
    {"^\xc3\xa9t\xc3\xa9$",
     {"\xc3\xa9t\xc3\xa9", "ete", "\xc3\xa9t\xc3\xa9s"}},
};

/* Runs every (pattern, text) pair of the table through DuckDB's
 * regexp_matches, the pattern a constant as materialize writes it, and
 * compares each verdict with lr__regex_search. */
Test(regex, re011_duckdb_gives_the_same_verdict_on_every_pair) {
  lr__duckdb db;
  lr__buf err, sql, rows;
  lr__buf_init(&err);
  lr__buf_init(&sql);
  lr__buf_init(&rows);
  cr_assert_eq(lr__duckdb_open(&db, &err), 0, "%s", lr__buf_str(&err));
  int pairs = 0;
  for (size_t i = 0; i < N_OF(diff_table); i++) {
    const rx_diff *d = &diff_table[i];
    lr__buf_reset(&sql);
    lr__buf_reset(&rows);
    lr__buf_puts(&sql, "SELECT regexp_matches(t, ");
    lr__sql_literal(&sql, d->pattern);
    lr__buf_puts(&sql, ") FROM (VALUES ");
    for (int k = 0; d->texts[k]; k++) {
      lr__buf_printf(&sql, "%s(%d, ", k ? ", " : "", k);
      lr__sql_literal(&sql, d->texts[k]);
      lr__buf_puts(&sql, ")");
    }
    lr__buf_puts(&sql, ") v(i, t) ORDER BY i");
    cr_assert_eq(lr__duckdb_run(&db, lr__buf_str(&sql), 1, &rows, &err), 0,
                 "%s: %s", lr__buf_str(&sql), lr__buf_str(&err));
    lr__regex *re = compile_ok(d->pattern);
    const char *line = lr__buf_str(&rows);
    for (int k = 0; d->texts[k]; k++, pairs++) {
      int duck = strncmp(line, "true", 4) == 0;
      cr_assert(duck || strncmp(line, "false", 5) == 0, "%s", line);
      int ours = lr__regex_search(re, d->texts[k], strlen(d->texts[k]));
      cr_expect_eq(ours, duck, "pattern '%s' on '%s': larder %d, DuckDB %d",
                   d->pattern, d->texts[k], ours, duck);
      line = strchr(line, '\n') + 1;
    }
    lr__regex_free(re);
  }
  cr_expect_geq(pairs, 200, "only %d pairs", pairs);
  lr__duckdb_close(&db);
  lr__buf_free(&err);
  lr__buf_free(&sql);
  lr__buf_free(&rows);
}

/* Where a refusal says RE2 refuses the pattern too, DuckDB does. */
Test(regex, re012_what_re2_refuses_duckdb_refuses) {
  static const char *patterns[] = {"^(a)\\1$", "(?=a)", "(?!a)", "(?<=a)b",
                                   "a{1001}", "(a{1000}){1000}",
                                   "((a{2}){2}){251}", "a**"};
  lr__duckdb db;
  lr__buf err, sql, refusal;
  lr__buf_init(&err);
  lr__buf_init(&sql);
  lr__buf_init(&refusal);
  cr_assert_eq(lr__duckdb_open(&db, &err), 0, "%s", lr__buf_str(&err));
  for (size_t i = 0; i < N_OF(patterns); i++) {
    lr__regex *re = NULL;
    lr__buf_reset(&refusal);
    cr_expect_eq(lr__regex_compile(patterns[i], &re, &refusal), LR_EINVAL);
    lr__buf_reset(&sql);
    lr__buf_reset(&err);
    lr__buf_puts(&sql, "SELECT regexp_matches(t, ");
    lr__sql_literal(&sql, patterns[i]);
    lr__buf_puts(&sql, ") FROM (VALUES ('a')) v(t)");
    cr_expect_eq(lr__duckdb_run(&db, lr__buf_str(&sql), 0, NULL, &err),
                 LR_EINVAL, "DuckDB took %s", patterns[i]);
  }
  lr__duckdb_close(&db);
  lr__buf_free(&err);
  lr__buf_free(&sql);
  lr__buf_free(&refusal);
}

/*
 * tsan_suppressions.c - linked into the ThreadSanitizer test binaries only:
 * the suppressions TSan reads at start (its __tsan_default_suppressions
 * hook), so a run needs no TSAN_OPTIONS for them.
 *
 * libduckdb is loaded at run time and not instrumented: its threads
 * synchronize through atomics TSan cannot see, so memory a DuckDB worker
 * allocated or filled looks raced when the querying thread reads it
 * (a result's vectors, read by offline/vectors.c after DuckDB handed the
 * chunk over under its own locks). So: the interceptors called from
 * libduckdb and from libstdc++ (DuckDB's only C++ runtime: Larder has no
 * C++) are ignored, and a race one of whose stacks passes through
 * libstdc++ (an allocation by `operator new`, i.e. DuckDB's) is not
 * reported. Races on memory Larder allocates itself stay reported.
 */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void) {
  return "called_from_lib:libduckdb.so\n"
         "called_from_lib:libstdc++.so.6\n"
         "race:libstdc++.so.6\n";
}

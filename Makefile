# Larder's build. `make` builds the CLI and the libraries, `make test` runs
# every suite (then the unit suites again under ASan/UBSan, the thread suite
# under TSan, and the fuzz harnesses over their corpora), `make fuzz` fuzzes
# (docs/internals/testing.md), `make quickstart` runs the main job on the
# example repo. Each first runs scripts/deps.sh,
# which installs only what is missing.

PREFIX ?= /usr/local
CC ?= cc
BUILD := build

WARN := -Wall -Wextra -Werror
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -fPIC -Iinclude $(WARN) $(DUCKDB_CFLAGS)
CFLAGS ?= -O2 -g
LIBS := -lfyaml -llmdb -lmicrohttpd -lhiredis -lpthread -lm -ldl

# DuckDB is loaded at run time (dlopen), only by the offline layer: its
# header comes from the system or from DUCKDB_DIR (third_party/, filled by
# scripts/deps.sh). A DuckDB from DUCKDB_DIR is "bundled": its path is the
# last place the library looks (docs/internals/offline.md), and `make
# install` installs it beside liblarder.
DUCKDB_DIR ?= $(CURDIR)/third_party/duckdb
DUCKDB_LIB := $(DUCKDB_DIR)/lib/libduckdb.so
DUCKDB_BUNDLED := $(wildcard $(DUCKDB_DIR)/include/duckdb.h)
DUCKDB_CFLAGS := $(if $(DUCKDB_BUNDLED),\
  -I$(DUCKDB_DIR)/include -DLR_DUCKDB_PATH='"$(DUCKDB_LIB)"')

LIB_SRC := $(wildcard src/util/*.c src/transform/*.c src/registry/*.c src/codec/*.c \
  src/quality/*.c src/online/*.c src/redis/*.c src/replication/*.c \
  src/offline/*.c src/serve/*.c src/ui/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
HEADERS := include/larder.h $(wildcard src/*/*.h)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

ASAN := $(BUILD)/asan
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
ASAN_LIB_OBJ := $(LIB_SRC:%.c=$(ASAN)/obj/%.o)
ASAN_TESTS := $(TEST_SRC:tests/%.c=$(ASAN)/tests/%)

# The thread suite again under ThreadSanitizer (clang), in its own tree.
CLANG ?= clang
TSAN := $(BUILD)/tsan
TSAN_FLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer
TSAN_LIB_OBJ := $(LIB_SRC:%.c=$(TSAN)/obj/%.o)

.PHONY: all deps test quickstart install clean bench profile fuzz

all: deps
	@$(MAKE) --no-print-directory $(BUILD)/larder $(BUILD)/liblarder.a \
	  $(BUILD)/liblarder.so $(BUILD)/larder.pc $(BUILD)/larder-uninstalled.pc \
	  $(BUILD)/examples/lookup $(BUILD)/bench/loadgen

deps:
	@scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/liblarder.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Only the public lr_ names are exported (src/liblarder.map); the export
# test (tests/exports.sh) checks the result against include/larder.h. The
# file is named by its soname, with the link-time name beside it, as
# installed: a program linked against build/ runs against build/.
$(BUILD)/liblarder.so.0: $(LIB_OBJ) src/liblarder.map
	$(CC) -shared -Wl,-soname,liblarder.so.0 \
	  -Wl,--version-script=src/liblarder.map -o $@ $(LIB_OBJ) $(LIBS)

$(BUILD)/liblarder.so: $(BUILD)/liblarder.so.0
	ln -sf liblarder.so.0 $@

$(BUILD)/larder: $(CLI_OBJ) $(BUILD)/liblarder.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/liblarder.a $(LIBS)

# The examples build against the public header and library only.
$(BUILD)/examples/%: examples/%.c include/larder.h $(BUILD)/liblarder.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/liblarder.a $(LIBS)

# The pkg-config files. larder.pc names PREFIX (`make install PREFIX=...`
# writes the installed one again with that prefix). larder-uninstalled.pc
# names this tree: pkg-config takes it over larder.pc when both are on
# PKG_CONFIG_PATH, so `PKG_CONFIG_PATH=build pkg-config --libs larder`
# links against build/ (with a run path to it) and `make install` is not
# needed first. PC_SED PREFIX,LIBDIR,INCLUDEDIR,FROM|TO: the last argument
# is one more sed substitution, for @RPATH@: " @RPATH@|" drops it (and its
# space), "@RPATH@|-Wl,-rpath,..." sets the run path.
PC_SED = sed -e 's|@VERSION@|0.1.0|' -e 's|@LIBS@|$(LIBS)|' -e 's|@PREFIX@|$(1)|' \
  -e 's|@LIBDIR@|$(2)|' -e 's|@INCLUDEDIR@|$(3)|' -e 's|$(4)|'
INSTALLED_PC = $(call PC_SED,$(PREFIX),$${prefix}/lib,$${prefix}/include, @RPATH@|)
UNINSTALLED_RPATH := @RPATH@|-Wl,-rpath,$${libdir}
UNINSTALLED_PC = $(call PC_SED,$(CURDIR),$(abspath $(BUILD)),$${prefix}/include,$(UNINSTALLED_RPATH))

$(BUILD)/larder.pc: larder.pc.in Makefile
	$(INSTALLED_PC) $< > $@

$(BUILD)/larder-uninstalled.pc: larder.pc.in Makefile
	$(UNINSTALLED_PC) $< > $@

# ---- tests ----------------------------------------------------------------

# A test may also compile sources from outside the library: they are listed
# as its extra .c prerequisites (test_bench: the CLI's bench helpers).
TEST_EXTRA = $(filter %.c,$(filter-out $<,$^))
BENCH_HELPERS := src/cli/latency.c src/cli/http_client.c
$(BUILD)/tests/test_bench $(ASAN)/tests/test_bench: $(BENCH_HELPERS)
$(BUILD)/tests/test_generation $(ASAN)/tests/test_generation: src/cli/http_client.c
$(BUILD)/tests/test_threads $(ASAN)/tests/test_threads $(TSAN)/tests/test_threads: \
  src/cli/http_client.c

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(BUILD)/liblarder.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -Isrc -o $@ $< $(TEST_EXTRA) \
	  $(BUILD)/liblarder.a $(LIBS) -lcriterion

$(ASAN)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN)/liblarder.a: $(ASAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ASAN)/tests/%: tests/%.c $(wildcard tests/*.h) $(ASAN)/liblarder.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_FLAGS) -Isrc -o $@ $< $(TEST_EXTRA) \
	  $(ASAN)/liblarder.a $(LIBS) -lcriterion


$(TSAN)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) $(TSAN_FLAGS) -c $< -o $@

$(TSAN)/liblarder.a: $(TSAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# tests/tsan_arena.c lets Criterion start under TSan, and
# tests/tsan_suppressions.c names what TSan cannot judge (see the files).
$(TSAN)/tests/%: tests/%.c $(wildcard tests/*.h) $(TSAN)/liblarder.a \
  tests/tsan_arena.c tests/tsan_suppressions.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) $(TSAN_FLAGS) -Isrc -o $@ $< $(TEST_EXTRA) \
	  $(TSAN)/liblarder.a $(LIBS) -lcriterion

# The CLI under TSan: `larder serve` runs as the frontend suite's server
# (tests/run.sh), so its event loops, the resumer of parked requests and
# the ticker are checked for races in a real process.
$(TSAN)/larder: $(CLI_SRC) $(TSAN)/liblarder.a tests/tsan_suppressions.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) $(TSAN_FLAGS) -o $@ $(CLI_SRC) \
	  tests/tsan_suppressions.c $(TSAN)/liblarder.a $(LIBS)

# The libFuzzer harnesses (tests/fuzz/NAME.c, corpora in
# tests/fuzz/corpus/NAME/), with ASan and UBSan, against a library built
# with the fuzzer's coverage instrumentation.
FUZZ := $(BUILD)/fuzz
FUZZ_FLAGS := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ)/obj/%.o)
FUZZERS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(wildcard tests/fuzz/*.c))
FUZZ_SECONDS ?= 60

$(FUZZ)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) $(FUZZ_FLAGS) \
	  -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ)/liblarder.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ)/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ)/liblarder.a
	@mkdir -p $(dir $@)
	$(CLANG) $(BASE_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
	  -Isrc -o $@ $< $(FUZZ)/liblarder.a $(LIBS)

# Fuzzes each harness for FUZZ_SECONDS, growing a scratch corpus in
# $(FUZZ)/corpus/NAME from the committed one; crashes land in $(FUZZ)/crashes.
fuzz: deps
	@$(MAKE) --no-print-directory $(FUZZERS)
	@tests/fuzz/run.sh fuzz $(FUZZ) $(FUZZ_SECONDS)

test: all
	@$(MAKE) --no-print-directory $(TESTS) $(ASAN_TESTS) \
	  $(TSAN)/tests/test_threads $(TSAN)/larder $(FUZZERS)
	@tests/run.sh $(BUILD) $(ASAN) $(TSAN) $(FUZZ)

# The byte-flip probe of data.mdb that Debian's LMDB does not survive
# (tests/test_damage.c, dmg_001): not in `make test`; run it to measure.
.PHONY: damage-probe
damage-probe: all $(BUILD)/tests/test_damage
	LARDER_DAMAGE_PROBE=1 $(BUILD)/tests/test_damage --filter 'damage/dmg_001*'

# The Python and Rust bindings alone (`make test` runs them too); their
# benchmark against C is bindings/bench.sh.
.PHONY: test-bindings
test-bindings: all
	@bindings/run_tests.sh $(BUILD)

# ---- the main job -------------------------------------------------------------

QUICKSTART := $(BUILD)/quickstart

quickstart: all
	rm -rf $(QUICKSTART)
	$(BUILD)/larder init $(QUICKSTART)
	$(BUILD)/larder -c $(QUICKSTART) apply
	$(BUILD)/larder -c $(QUICKSTART) ls feature-views
	$(BUILD)/larder -c $(QUICKSTART) materialize-incremental now
	$(BUILD)/larder -c $(QUICKSTART) get --service driver_activity_v1 \
	  --entity driver_id=1001 --entity driver_id=1002 --entity driver_id=1003 \
	  --request val_to_add=1 --request val_to_add_2=10
	$(BUILD)/larder -c $(QUICKSTART) historical \
	  --entities $(QUICKSTART)/data/entity_rows.csv \
	  --features driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips,transformed_conv_rate:conv_rate_plus_val1 \
	  --output $(QUICKSTART)/training.csv
	cat $(QUICKSTART)/training.csv

# The load generator of bench/server.sh, for the feature server and Redis
# alike (bench/http/loadgen.c; `loadgen selftest` checks it). The other
# benchmark programs are built by the scripts that run them.
LOADGEN_SRC := $(wildcard bench/http/loadgen*.c) src/cli/latency.c \
  src/cli/http_client.c
$(BUILD)/bench/loadgen: $(LOADGEN_SRC) bench/http/loadgen.h bench/common.h \
  src/cli/latency.h src/cli/http_client.h src/cli/xorshift.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O2 -g $(WARN) -Isrc -o $@ $(LOADGEN_SRC) \
	  -lpthread -lm

# The benchmark suite (bench/README.md): QUICK=1 for a short run.
bench: all
	@bench/run.sh $(BUILD) $(if $(QUICK),--quick)

# The hot paths under perf (or callgrind): $(BUILD)/profile/summary.txt.
profile: all
	@bench/profile.sh $(BUILD)

# A bundled DuckDB goes to PREFIX/lib/larder/, where the installed library
# and CLI look for it before the system's (docs/internals/offline.md); a
# system DuckDB is left to the system.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 $(BUILD)/larder $(DESTDIR)$(PREFIX)/bin/larder
	install -m 644 $(BUILD)/liblarder.a $(DESTDIR)$(PREFIX)/lib/liblarder.a
	install -m 755 $(BUILD)/liblarder.so.0 $(DESTDIR)$(PREFIX)/lib/liblarder.so.0
	ln -sf liblarder.so.0 $(DESTDIR)$(PREFIX)/lib/liblarder.so
	install -m 644 include/larder.h $(DESTDIR)$(PREFIX)/include/larder.h
	$(INSTALLED_PC) larder.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/larder.pc
	$(if $(DUCKDB_BUNDLED),install -D -m 755 $(DUCKDB_LIB) \
	  $(DESTDIR)$(PREFIX)/lib/larder/libduckdb.so)

clean:
	rm -rf $(BUILD)

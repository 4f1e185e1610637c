# Keel build.
#   make                 release build -> ./keel-server (jemalloc)
#   make MALLOC=libc     same, with the C library's allocator
#   make SANITIZE=1      ASan+UBSan build -> ./keel-server-san
#   make test            unit tests + integration/differential tests, release and sanitizer builds
#   make test-long       the long property/fuzz modes
#   make bench           side-by-side benchmarks against redis-server
#   make redis-suite     Redis's own Tcl test suite, Keel's counts beside redis-server's
#
# Every .c file under src/ except src/main.c goes into a static library that the server and
# the unit tests link, so a test exercises exactly the code the server runs.

CC      ?= gcc
MALLOC  ?= jemalloc
SANITIZE ?= 0

CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS_BASE := $(CSTD) $(WARN) -g -Isrc -MMD -MP
LDLIBS  := -lm -lpthread -lssl -lcrypto -llua5.1 -llua5.1-cjson -llua5.1-bitop

LUA_CFLAGS := -I/usr/include/lua5.1

ifeq ($(SANITIZE),1)
  VARIANT := san
  OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DKEEL_DEBUG=1
  LDFLAGS += -fsanitize=address,undefined
  MALLOC  := libc
  SERVER  := keel-server-san
else
  VARIANT := release
  OPT     := -O2
  SERVER  := keel-server
endif

# ---- ThreadSanitizer variant (issue "Memory limits": checks the lazy-free thread) ----------
#   make SANITIZE=thread  -> ./keel-server-tsan (libc malloc; overrides the release settings)
ifeq ($(SANITIZE),thread)
  VARIANT := tsan
  OPT     := -O1 -fno-omit-frame-pointer -fsanitize=thread -DKEEL_DEBUG=1
  LDFLAGS += -fsanitize=thread
  MALLOC  := libc
  SERVER  := keel-server-tsan
endif
# ---- end of the ThreadSanitizer variant ---------------------------------------------------

ifeq ($(MALLOC),jemalloc)
  OPT    += -DKEEL_JEMALLOC=1
  LDLIBS += -ljemalloc
endif

BUILD   := build/$(VARIANT)
CFLAGS  := $(CFLAGS_BASE) $(OPT) $(LUA_CFLAGS) $(EXTRA_CFLAGS)

SRCS     := $(shell find src -name '*.c' ! -name main.c | sort)
OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o
LIB      := $(BUILD)/libkeel.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all unit-bins test-bins test test-unit test-long bench insert-pause redis-suite clean

all: $(SERVER)

$(SERVER): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(LIB) $(LDLIBS)

$(LIB): $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

unit-bins: $(UNIT_BINS)

# Unit tests of this variant (bounded mode).
test-unit: unit-bins
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# What tests/run-all.sh runs: both variants and their unit tests.
test-bins:
	$(MAKE) all unit-bins
	$(MAKE) SANITIZE=1 all unit-bins

# The whole suite: both variants, unit tests, then the pytest suites against each server binary.
test: test-bins
	bash tests/run-all.sh

test-long: test-bins
	KEEL_LONG=1 bash tests/run-all.sh

bench: all $(BUILD)/insert_pause
	bash bench/run-all.sh

# In-process: the slowest single SET while 10M keys go in (bench/insert_pause.c).
insert-pause: $(BUILD)/insert_pause
	$(BUILD)/insert_pause

$(BUILD)/insert_pause: bench/insert_pause.c $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# Redis's own Tcl suite against Keel and redis-server, side by side (tests/redis-suite.sh;
# minutes; needs the shared suite folder, so it is not part of `make test`).
redis-suite: all
	bash tests/redis-suite.sh ./$(SERVER)

clean:
	rm -rf build keel-server keel-server-san keel-server-tsan

# ---- fuzzing (tests/fuzz/) -------------------------------------------------------------------
#   make fuzz                      libFuzzer harnesses -> build/fuzz/fuzz_request, fuzz_command
#   make fuzz-run FUZZ_SECONDS=60  runs each harness for FUZZ_SECONDS/2 on tests/fuzz/corpus
#   make fuzz-diff FUZZ_SECONDS=600 [FUZZ_SEED=n]   differential fuzzing against redis-server
# The harnesses link every src/ object built with clang-14 and libFuzzer's instrumentation
# (libc malloc; warnings are not errors here since clang warns differently from gcc).
FUZZ_CC      := clang-14
FUZZ_BUILD   := build/fuzz
FUZZ_CFLAGS  := $(CSTD) -Wall -Wextra -Wno-unused-parameter -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                -Isrc $(LUA_CFLAGS) -MMD -MP
FUZZ_OBJS    := $(SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS    := $(FUZZ_BUILD)/fuzz_request $(FUZZ_BUILD)/fuzz_command
FUZZ_SECONDS ?= 60
FUZZ_SEED    ?= $(shell date +%s)

.PHONY: fuzz fuzz-run fuzz-diff

fuzz: $(FUZZ_BINS)

$(FUZZ_BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(filter-out -ljemalloc,$(LDLIBS))

fuzz-run: fuzz
	/usr/bin/python3 tests/fuzz/run_libfuzzer.py --seconds $(FUZZ_SECONDS)

fuzz-diff: all
	/usr/bin/python3 tests/fuzz/diff_fuzz.py --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED)

-include $(FUZZ_OBJS:.o=.d)
# ---- end of fuzzing --------------------------------------------------------------------------

-include $(OBJS:.o=.d) $(MAIN_OBJ:.o=.d)

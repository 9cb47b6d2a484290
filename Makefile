# hps — one non-recursive Makefile. `make` builds ./hps; `make check` runs every test.
# make SANITIZER=address check   (ASan+UBSan, own build dir; `make sanitize` is the short name)
# make fuzz FUZZ_SECS=60          (libFuzzer targets of tests/fuzz/, clang, build-fuzz/;
#                                  FUZZ_ONLY=proto runs one)

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS     := libczmq libzmq msgpack sqlite3 yaml-0.1 openblas xgboost libsodium liblbfgs

# `make check`, `make demo`, `make bench`, `make soak` and `make sanitize` install missing
# Debian packages (scripts/deps.sh) and then re-enter make, so that pkg-config below is
# asked only once the packages are there: a variable computed when make reads this file
# would otherwise stay empty on a fresh machine for the whole run. Any other goal that
# builds needs the packages already and says how to get them.
ENTRY    := deps clean check demo bench soak sanitize fuzz check-slurm
ifneq ($(filter-out $(ENTRY),$(or $(MAKECMDGOALS),all)),)
  ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
    $(error build packages missing (pkg-config: $(PKGS)); run `make deps` or scripts/deps.sh \
      first, or use `make check` / `make demo`, which install them)
  endif
endif
# Libraries' include dirs come in as -isystem, so that -Wpedantic (with -Werror) judges our
# code and not a library header that another distribution's version may ship.
ALLCFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE -fno-math-errno -Wall -Wextra -Wpedantic -Werror \
            -I. -ffunction-sections -fdata-sections \
            $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS) 2>/dev/null)) -MMD -MP
LDFLAGS  += -Wl,--gc-sections
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm -lpthread

ifeq ($(SANITIZER),address)
  BUILD    := build-asan
  ALLCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
  HPS      := $(BUILD)/hps
  HPS_BENCH := $(BUILD)/hps-bench
else ifeq ($(SANITIZER),thread)
  BUILD    := build-tsan
  ALLCFLAGS += -fsanitize=thread
  LDFLAGS  += -fsanitize=thread
  HPS      := $(BUILD)/hps
  HPS_BENCH := $(BUILD)/hps-bench
else ifeq ($(SANITIZER),fuzz)
  # The library as the fuzz targets of tests/fuzz/ link it: clang, ASan+UBSan, and
  # libFuzzer's coverage instrumentation (its main() comes in at the link).
  CC       := clang
  BUILD    := build-fuzz
  ALLCFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=fuzzer,address,undefined
  HPS      := $(BUILD)/hps
  HPS_BENCH := $(BUILD)/hps-bench
else
  BUILD    := build
  HPS      := hps
  HPS_BENCH := hps-bench
endif

# The layers (docs/design.md): the library (core, samplers, objectives, coordinator,
# worker) in libhps.a; the command front-ends of cli/ that hps.c dispatches to; the
# benchmark programs of bench/, linked into ./hps-bench for `make bench`. Unit tests stay
# beside their modules but out of ./hps: *_test.c files go into libhps_test.a, which only
# the selftest links, and a foo_test() at the bottom of a module is dropped by the
# linker (one section per function, --gc-sections), since nothing in hps calls it.
LIBALL   := $(sort $(wildcard core/*.c samplers/*.c objectives/*.c results/*.c coordinator/*.c \
                              worker/*.c))
TESTSRC  := $(filter %_test.c,$(LIBALL))
LIBSRC   := $(filter-out %_test.c,$(LIBALL))
CLISRC   := $(sort $(wildcard cli/*.c))
BENCHSRC := $(filter-out bench/hps_bench.c,$(sort $(wildcard bench/*.c)))
LIB      := $(BUILD)/libhps.a
LIBTEST  := $(BUILD)/libhps_test.a
LIBCLI   := $(BUILD)/libhps_cli.a
LIBBENCH := $(BUILD)/libhps_bench.a
SELFTEST := $(BUILD)/selftest
RAWPEER  := $(BUILD)/tests/rawpeer
REFIT    := $(BUILD)/tests/refit
FUZZSRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ     := $(FUZZSRC:tests/fuzz/%.c=$(BUILD)/%)
FUZZ_ONLY ?= %
FUZZ_RUN := $(filter $(FUZZ_ONLY:%=$(BUILD)/fuzz_%),$(FUZZ))
FUZZ_SECS ?= 60
ALLSRC   := $(LIBALL) $(CLISRC) $(BENCHSRC)
DEPS     := $(ALLSRC:%.c=$(BUILD)/%.d) $(BUILD)/hps.d $(BUILD)/bench/hps_bench.d \
            $(BUILD)/tests/selftest.d $(BUILD)/tests/rawpeer.d $(BUILD)/tests/refit.d $(FUZZSRC:%.c=$(BUILD)/%.d)

.PHONY: all check unit demo sanitize bench soak fuzz clean deps run-check run-demo run-bench \
        run-soak run-fuzz bench-busy check-slurm run-check-slurm
all: $(HPS) $(HPS_BENCH)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c $< -o $@

$(LIB): $(LIBSRC:%.c=$(BUILD)/%.o)
$(LIBTEST): $(TESTSRC:%.c=$(BUILD)/%.o)
$(LIBCLI): $(CLISRC:%.c=$(BUILD)/%.o)
$(LIBBENCH): $(BENCHSRC:%.c=$(BUILD)/%.o)
$(LIB) $(LIBTEST) $(LIBCLI) $(LIBBENCH):
	@rm -f $@
	ar rcs $@ $^

$(HPS): $(BUILD)/hps.o $(LIBCLI) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(HPS_BENCH): $(BUILD)/bench/hps_bench.o $(LIBBENCH) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A libFuzzer target per tests/fuzz/fuzz_*.c (SANITIZER=fuzz only: its LDFLAGS bring main).
$(FUZZ): $(BUILD)/%: $(BUILD)/tests/fuzz/%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The unit-test table is generated from every `void foo_test(bool verbose)` in the
# library, cli/ and bench/, so adding a module's self-test needs no edit here.
$(BUILD)/selftest_list.h: $(ALLSRC)
	@mkdir -p $(BUILD)
	@grep -ho '^void [a-z0-9_]*_test *(bool verbose)' $(ALLSRC) | \
	  sed 's/^void \([a-z0-9_]*\)_test.*/X(\1)/' > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/selftest.o: tests/selftest.c $(BUILD)/selftest_list.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -I$(BUILD) -c $< -o $@

$(SELFTEST): $(BUILD)/tests/selftest.o $(LIBTEST) $(LIBCLI) $(LIBBENCH) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A raw protocol peer that the cluster tests use to play a hostile client.
$(RAWPEER): $(BUILD)/tests/rawpeer.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The final refit of a model study in-process, writing its artifact (tests/t_predict.sh).
$(REFIT): $(BUILD)/tests/refit.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@scripts/deps.sh

unit: $(SELFTEST)
	$(SELFTEST)

# The entry goals: packages first, then a fresh make that can see them.
check demo soak: deps
	@$(MAKE) --no-print-directory run-$@

sanitize: deps
	@$(MAKE) --no-print-directory SANITIZER=address run-check

# Each target for FUZZ_SECS seconds from its seed corpus (tests/fuzz/run.sh).
fuzz:
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory SANITIZER=fuzz run-fuzz

bench:
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory run-bench

run-check: $(HPS) $(SELFTEST) $(RAWPEER) $(REFIT) $(HPS_BENCH)
	HPS=$(abspath $(HPS)) SELFTEST=$(abspath $(SELFTEST)) RAWPEER=$(abspath $(RAWPEER)) REFIT=$(abspath $(REFIT)) \
	    HPS_BENCH=$(abspath $(HPS_BENCH)) tests/run.sh

run-demo: $(HPS)
	scripts/demo.sh $(abspath $(HPS))

run-bench: $(HPS) $(HPS_BENCH)
	HPS=$(abspath $(HPS)) HPS_BENCH=$(abspath $(HPS_BENCH)) bench/bench.sh

# Busy scale-out over network namespaces (root; bench/busy.sh says what it prints and
# its BUSY_* settings), by hand: not part of `make bench`.
bench-busy: $(HPS)
	HPS=$(abspath $(HPS)) bench/busy.sh

run-soak: $(HPS)
	HPS=$(abspath $(HPS)) scripts/soak.sh
	HPS=$(abspath $(HPS)) scripts/faults.sh

# scripts/slurm/hps.sbatch on a real single-host Slurm that the test starts and stops
# (root; tests/check_slurm.sh): not part of `make check`.
check-slurm: deps
	@scripts/deps.sh --slurm
	@$(MAKE) --no-print-directory run-check-slurm

run-check-slurm: $(HPS)
	HPS=$(abspath $(HPS)) tests/check_slurm.sh

run-fuzz: $(FUZZ_RUN)
	FUZZ_SECS=$(FUZZ_SECS) tests/fuzz/run.sh $(FUZZ_RUN)

clean:
	rm -rf build build-asan build-tsan build-fuzz hps hps-bench

-include $(DEPS)

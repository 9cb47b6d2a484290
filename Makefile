# hps — one non-recursive Makefile. `make` builds ./hps; `make check` runs every test.
# make SANITIZER=address check   (ASan+UBSan, own build dir; `make sanitize` is the short name)

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS     := libczmq libzmq msgpack sqlite3 yaml-0.1 openblas xgboost libsodium

# `make check`, `make demo`, `make bench`, `make soak` and `make sanitize` install missing
# Debian packages (scripts/deps.sh) and then re-enter make, so that pkg-config below is
# asked only once the packages are there: a variable computed when make reads this file
# would otherwise stay empty on a fresh machine for the whole run. Any other goal that
# builds needs the packages already and says how to get them.
ENTRY    := deps clean check demo bench soak sanitize
ifneq ($(filter-out $(ENTRY),$(or $(MAKECMDGOALS),all)),)
  ifneq ($(shell pkg-config --exists $(PKGS) 2>/dev/null && echo ok),ok)
    $(error build packages missing (pkg-config: $(PKGS)); run `make deps` or scripts/deps.sh \
      first, or use `make check` / `make demo`, which install them)
  endif
endif
# Libraries' include dirs come in as -isystem, so that -Wpedantic (with -Werror) judges our
# code and not a library header that another distribution's version may ship.
ALLCFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE -fno-math-errno -Wall -Wextra -Wpedantic -Werror \
            -I. $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PKGS))) -MMD -MP
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lcsv -lm -lpthread

ifeq ($(SANITIZER),address)
  BUILD    := build-asan
  ALLCFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
  HPS      := $(BUILD)/hps
else ifeq ($(SANITIZER),thread)
  BUILD    := build-tsan
  ALLCFLAGS += -fsanitize=thread
  LDFLAGS  += -fsanitize=thread
  HPS      := $(BUILD)/hps
else
  BUILD    := build
  HPS      := hps
endif

LIBSRC  := $(sort $(wildcard core/*.c samplers/*.c objectives/*.c coordinator/*.c worker/*.c))
LIBOBJ  := $(LIBSRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libhps.a
SELFTEST := $(BUILD)/selftest
DEPS    := $(LIBOBJ:.o=.d) $(BUILD)/hps.d $(BUILD)/tests/selftest.d

.PHONY: all check unit demo sanitize bench soak clean deps run-check run-demo run-bench run-soak
all: $(HPS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c $< -o $@

$(LIB): $(LIBOBJ)
	@rm -f $@
	ar rcs $@ $^

$(HPS): $(BUILD)/hps.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The unit-test table is generated from every `void foo_test(bool verbose)` in the library,
# so adding a module's self-test needs no edit here.
$(BUILD)/selftest_list.h: $(LIBSRC)
	@mkdir -p $(BUILD)
	@grep -ho '^void [a-z0-9_]*_test *(bool verbose)' $(LIBSRC) | \
	  sed 's/^void \([a-z0-9_]*\)_test.*/X(\1)/' > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/selftest.o: tests/selftest.c $(BUILD)/selftest_list.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -I$(BUILD) -c $< -o $@

$(SELFTEST): $(BUILD)/tests/selftest.o $(LIB)
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

bench:
	@scripts/deps.sh --bench
	@$(MAKE) --no-print-directory run-bench

run-check: $(HPS) $(SELFTEST)
	HPS=$(abspath $(HPS)) SELFTEST=$(abspath $(SELFTEST)) tests/run.sh

run-demo: $(HPS)
	scripts/demo.sh $(abspath $(HPS))

run-bench: $(HPS)
	HPS=$(abspath $(HPS)) scripts/bench.sh

run-soak: $(HPS)
	HPS=$(abspath $(HPS)) scripts/soak.sh

clean:
	rm -rf build build-asan build-tsan hps

-include $(DEPS)

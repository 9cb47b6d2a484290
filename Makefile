# hps — one non-recursive Makefile. `make` builds ./hps; `make check` runs every test.
# make SANITIZER=address check   (ASan+UBSan, own build dir; `make sanitize` is the short name)

CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS     := libczmq libzmq msgpack sqlite3 yaml-0.1 openblas xgboost libsodium
ALLCFLAGS = $(CFLAGS) -std=c11 -D_GNU_SOURCE -fno-math-errno -Wall -Wextra -Werror -I. \
            $(shell pkg-config --cflags $(PKGS)) -MMD -MP
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

.PHONY: all check unit demo sanitize bench soak clean deps
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

check: deps $(HPS) $(SELFTEST)
	HPS=$(abspath $(HPS)) SELFTEST=$(abspath $(SELFTEST)) tests/run.sh

sanitize:
	$(MAKE) SANITIZER=address check

demo: deps $(HPS)
	scripts/demo.sh $(abspath $(HPS))

bench: $(HPS)
	@scripts/deps.sh --bench
	HPS=$(abspath $(HPS)) scripts/bench.sh

soak: $(HPS)
	HPS=$(abspath $(HPS)) scripts/soak.sh

clean:
	rm -rf build build-asan build-tsan hps

-include $(DEPS)

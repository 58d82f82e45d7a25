# mmkit build. `make` builds the library (static and shared), the mmkit
# command, the tests and the benchmarks into build/; `make SAN=1` does the
# same with AddressSanitizer and UndefinedBehaviorSanitizer into build-san/.
#
#   make demo        build, then run `mmkit demo` on the default machine
#   make check       build both ways and run every test (the CI job)
#   (scripts/demo.sh and scripts/check.sh do the same after installing any
#   missing build tools: the README's Quick start uses them)
#   make bench       build and run the benchmarks
#   make install PREFIX=/some/dir

CC      ?= cc
PREFIX  ?= /usr/local
VERSION := 0.1.0

ifeq ($(SAN),1)
BUILD   ?= build-san
OPT     := -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD   ?= build
OPT     := -O2
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
CFLAGS  := -std=gnu11 -g $(OPT) $(WARN) -fPIC -fvisibility=hidden -Iinclude $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) -rdynamic
LIBS    := -lpthread

LIB_SRC   := $(sort $(wildcard src/*/*.c src/arch/hosted/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC  := $(sort $(wildcard tools/*.c))
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_LIB  := $(BUILD)/obj/tests/harness.o
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

STATIC  := $(BUILD)/lib/libmmkit.a
SHARED  := $(BUILD)/lib/libmmkit.so
MMKIT   := $(BUILD)/bin/mmkit

.PHONY: all lib tests benches demo check test bench install clean
all: lib $(MMKIT) tests benches
lib: $(STATIC) $(SHARED)
tests: $(TEST_BIN)
benches: $(BENCH_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# One relocatable object whose only global symbols are the public mmk_*
# ones, so the library's internal names (printk, mem_map, ...) never clash
# with a program's own.
$(BUILD)/obj/mmkit.o: $(LIB_OBJ)
	$(LD) -r -o $@.tmp $(LIB_OBJ)
	objcopy --wildcard --keep-global-symbol='mmk_*' $@.tmp $@
	@rm -f $@.tmp

$(STATIC): $(BUILD)/obj/mmkit.o
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $<

$(SHARED): $(BUILD)/obj/mmkit.o
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libmmkit.so -o $@ $< $(LIBS)

$(MMKIT): $(TOOL_OBJ) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(STATIC) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_LIB) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_LIB) $(STATIC) $(LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(STATIC) $(LIBS) -ldl

demo: $(MMKIT)
	$(abspath $(MMKIT)) demo

# The CI job: every test, plain and under ASan+UBSan.
check test:
	@bash scripts/check.sh

bench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do ./$$b || exit 1; done

install: $(STATIC) $(SHARED) $(MMKIT)
	install -d $(DESTDIR)$(PREFIX)/include/mmkit $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/mmkit/*.h $(DESTDIR)$(PREFIX)/include/mmkit/
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(MMKIT) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' mmkit.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/mmkit.pc

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# SPDX-License-Identifier: Apache-2.0
#
# flamesamp build.  `make` builds build/flamesamp and the plugins in build/plugins/;
# `make test` runs every test,
# then the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer;
# `make bench` prints speed and memory figures; `make fuzz` builds the libFuzzer
# targets of tests/fuzz (see there).  V=1 shows the commands.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
DESTDIR ?=

CC      ?= cc
SAN     ?= 0
BUILD   ?= $(if $(filter 1,$(SAN)),build-san,build)
WERROR  ?= $(if $(CI),1,0)

PKGS    := zlib json-c libprotobuf-c libelf libdw liblzma libbpf sqlite3
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-Wformat=2 -Wno-format-nonliteral -fno-strict-aliasing -pthread \
	-I. -Iinclude -I$(BUILD)/gen $(PKG_CFLAGS)
ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif
ifeq ($(SAN),1)
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -O1
override LDFLAGS += -fsanitize=address,undefined
endif
# libiberty (the demangler) ships no .pc file.  It is a static archive whose
# xmalloc()/xstrdup() calls resolve to common/xalloc.c (same contract: never NULL).
LDLIBS  += $(PKG_LIBS) -liberty -pthread -lm -ldl

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Library modules: every .c file in these directories goes into libflamesamp.a.
LIB_DIRS := common render collapse sampler symbolize bpf store
LIB_SRCS := $(filter-out %.bpf.c,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_ASMS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.S))
PROTOS   := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.proto))
PROTO_SRCS := $(patsubst %.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_HDRS := $(PROTO_SRCS:.c=.h)
LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS)) \
	$(patsubst %.S,$(BUILD)/%.o,$(LIB_ASMS)) \
	$(PROTO_SRCS:.c=.o)
LIB      := $(BUILD)/libflamesamp.a

# The terminal UI (flamesamp top, the process picker) is cli's alone: only the
# binary links ncurses, the library and its tests do not.
TUI_CFLAGS := $(shell pkg-config --cflags ncursesw 2>/dev/null)
TUI_LIBS   := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))
BIN      := $(BUILD)/flamesamp

# Plugins: plugins/NAME/*.c -> $(BUILD)/plugins/flamesamp-NAME.so, built against
# include/flamesamp/plugin.h alone (never libflamesamp.a or the project's headers),
# each with its own libraries.  The binary looks for them in $(PLUGINDIR), compiled
# in (`make install` rebuilds the binary when PREFIX or LIBDIR changed it).
PLUGINDIR    ?= $(LIBDIR)/flamesamp/plugins
INCLUDEDIR   ?= $(PREFIX)/include
PLUGIN_NAMES := $(notdir $(wildcard plugins/*))
PLUGIN_SOS   := $(patsubst %,$(BUILD)/plugins/flamesamp-%.so,$(PLUGIN_NAMES))
PLUGIN_CFLAGS := $(filter-out -I. -I$(BUILD)/gen $(PKG_CFLAGS),$(CFLAGS)) -fPIC \
	-fvisibility=hidden
PLUGIN_LDFLAGS := -shared $(LDFLAGS) $(if $(filter 1,$(SAN)),,-Wl,-z,defs)
# per plugin: its libraries
PLUGIN_LIBS_http := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
PLUGIN_CFLAGS_http := $(shell pkg-config --cflags libcurl 2>/dev/null)

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

.DELETE_ON_ERROR:
# Generated protobuf sources are kept (make would delete them as intermediates).
.SECONDARY: $(PROTO_SRCS) $(PROTO_HDRS)
.SUFFIXES:
.PHONY: all deps test test-suite tests bench fuzz install uninstall format lint clean

all: $(BIN) $(PLUGIN_SOS)

deps:
	./scripts/install-deps.sh

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: %.proto
	$(call msg,PROTOC,$<)
	$(Q)mkdir -p $(BUILD)/gen
	$(Q)protoc-c --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS) -w -MMD -MP -c -o $@ $<

# Every object may include a generated protobuf header.
$(BUILD)/%.o: %.c $(PROTO_HDRS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.S
	$(call msg,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# BPF programs: bpf/X.bpf.c -> $(BUILD)/bpf/X.bpf.o (clang -target bpf, CO-RE) ->
# $(BUILD)/gen/bpf/X.skel.h (bpftool gen skeleton), included by the loader bpf/X_trace.c.
# Kernel types come from vmlinux.h, generated from the build machine's BTF (VMLINUX_BTF);
# CO-RE relocates every field access against the running kernel's BTF at load time.
BPF_CLANG   ?= clang
BPFTOOL     ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_SKELS   := $(patsubst bpf/%.bpf.c,$(BUILD)/gen/bpf/%.skel.h,$(BPF_SRCS))
.SECONDARY: $(BPF_SKELS) $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

$(BUILD)/gen/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)if [ ! -r $(VMLINUX_BTF) ]; then \
		echo "no kernel BTF at $(VMLINUX_BTF): build on a kernel with CONFIG_DEBUG_INFO_BTF," \
			"or give VMLINUX_BTF=FILE (any vmlinux with BTF)" >&2; exit 1; fi
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c >$@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/%.h $(wildcard bpf/*.bpf.h) bpf/user_regs.h $(BUILD)/gen/vmlinux.h
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -I. -I$(BUILD)/gen \
		-c -o $@ $<

$(BUILD)/gen/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GENSKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< >$@

$(BUILD)/bpf/offcpu_trace.o $(BUILD)/fuzz/obj/bpf/offcpu_trace.o: $(BUILD)/gen/bpf/offcpu.skel.h
$(BUILD)/bpf/malloc_trace.o $(BUILD)/fuzz/obj/bpf/malloc_trace.o: $(BUILD)/gen/bpf/malloc.skel.h

# Files pulled in with .incbin are not seen by -MMD.
$(BUILD)/render/flamegraph_script.o: $(wildcard render/*.js render/*.css)

# The plugin directory is compiled in; the object is rebuilt when it changes
# (`make install PREFIX=/usr` after `make`).
$(BUILD)/cli/plugin_host.o: override CPPFLAGS += -DFLAMESAMP_PLUGIN_DIR='"$(PLUGINDIR)"'
$(BUILD)/cli/plugin_host.o: $(BUILD)/gen/plugindir
$(shell mkdir -p $(BUILD)/gen && { echo '$(PLUGINDIR)' | cmp -s - $(BUILD)/gen/plugindir || \
	echo '$(PLUGINDIR)' >$(BUILD)/gen/plugindir; })

.SECONDEXPANSION:
$(BUILD)/plugins/flamesamp-%.so: $$(wildcard plugins/%/*.c plugins/%/*.h) include/flamesamp/plugin.h
	$(call msg,PLUGIN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PLUGIN_CFLAGS) $(PLUGIN_CFLAGS_$*) -o $@ $(filter %.c,$^) $(PLUGIN_LDFLAGS) \
		$(PLUGIN_LIBS_$*)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/cli/tui.o $(BUILD)/cli/cmd_top.o $(BUILD)/cli/picker.o: CPPFLAGS += $(TUI_CFLAGS)

$(BIN): $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIB) $(LDLIBS) $(TUI_LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(PROTO_HDRS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -MMD -MP -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) $(CMOCKA_LIBS)

tests: $(BIN) $(PLUGIN_SOS) $(TEST_BINS)

# The whole suite, then again under ASan+UBSan in build-san/.
test:
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(MAKE) --no-print-directory SAN=1 tests
	$(Q)tests/run-tests.sh --build build --san-build build-san

bench: $(BIN)
	$(Q)bench/run-bench.sh $(BUILD)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang and ASan+UBSan into
# $(BUILD)/fuzz/fuzz_<name>, with the library compiled again with the same flags in
# $(BUILD)/fuzz/obj.  Not part of `make test`.  Run one for a minute on a corpus folder
# (new inputs are added to it; crashes are saved as crash-* in the current directory):
#     make fuzz && mkdir -p corpus && build/fuzz/fuzz_perf -max_total_time=60 -timeout=2 corpus/
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
	-pthread -I. -I$(BUILD)/gen $(PKG_CFLAGS)
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_OBJS   := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS) $(PROTO_SRCS:$(BUILD)/%=%)) \
	$(patsubst %.S,$(BUILD)/fuzz/obj/%.o,$(LIB_ASMS))
.SECONDARY: $(FUZZ_OBJS) $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/obj/tests/fuzz/%.o,$(FUZZ_SRCS))

fuzz: $(FUZZ_BINS)

$(BUILD)/fuzz/obj/gen/%.o: $(BUILD)/gen/%.c
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -w -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/%.o: %.c $(PROTO_HDRS)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/%.o: %.S
	$(call msg,FUZZAS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/fuzz/obj/render/flamegraph_script.o: $(wildcard render/*.js render/*.css)

$(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/tests/fuzz/%.o $(FUZZ_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

install: $(BIN) $(PLUGIN_SOS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(INCLUDEDIR)/flamesamp
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/flamesamp
	install -m 0755 $(PLUGIN_SOS) $(DESTDIR)$(PLUGINDIR)/
	install -m 0644 include/flamesamp/plugin.h $(DESTDIR)$(INCLUDEDIR)/flamesamp/plugin.h

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/flamesamp
	rm -f $(patsubst %,$(DESTDIR)$(PLUGINDIR)/flamesamp-%.so,$(PLUGIN_NAMES))
	rm -f $(DESTDIR)$(INCLUDEDIR)/flamesamp/plugin.h
	-rmdir $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(LIBDIR)/flamesamp $(DESTDIR)$(INCLUDEDIR)/flamesamp \
		2>/dev/null

FORMAT_SRCS = $(wildcard common/*.[ch] render/*.[ch] collapse/*.[ch] cli/*.[ch] tests/*.[ch] tests/fuzz/*.[ch] \
	sampler/*.[ch] symbolize/*.[ch] bpf/*.[ch] store/*.[ch] include/flamesamp/*.h plugins/*/*.[ch] \
	tests/plugins/*.[ch])
# cppcheck reads host C only: the BPF programs need vmlinux.h and BPF's own headers
LINT_SRCS = $(filter-out %.bpf.c,$(filter %.c,$(FORMAT_SRCS)))

format:
	clang-format -i $(FORMAT_SRCS)

lint:
	clang-format --dry-run --Werror $(FORMAT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--std=c11 -I. -Iinclude $(LINT_SRCS)

clean:
	rm -rf build build-san

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_BINS:=.d) \
	$(wildcard $(BUILD)/fuzz/obj/*/*.d $(BUILD)/fuzz/obj/*/*/*.d)

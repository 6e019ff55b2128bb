# leaktrace - build, test, install.
#   make            build build/leaktrace
#   sudo make run   install missing packages, build, trace the whole host (ARGS='...')
#   sudo make test  install missing packages, build, run every test
#   make V=1        show the commands
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
OUT      := build
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(OUT) -I$(OUT)/user -Iuser -Ibpf $(EXTRA_CFLAGS)
LDLIBS   := -lbpf -ldw -lelf -lz -lcapstone -lprotobuf-c -lm $(EXTRA_LDLIBS)
# The tracer's own allocator: jemalloc, linked into the binary. The tracer puts
# probes on the C library's malloc and free, and each of its own calls there would
# be a trap (~4 us on some of these VMs; symbolizing a first report of a Go
# binary's stacks made ~96k calls through libdw). The exported names make the C
# library and every other library bind to it too. MALLOC_LIB= builds without it
# (the sanitizer builds, whose runtime brings its own malloc).
# (Expanded where a recipe uses them, so that no compiler runs before make deps.)
MALLOC_LIB  ?= $(shell $(CC) -print-file-name=libjemalloc_pic.a 2>/dev/null)
MALLOC_SYMS := malloc free calloc realloc posix_memalign aligned_alloc memalign valloc \
	       malloc_usable_size
MALLOC_LDFLAGS = $(if $(MALLOC_LIB),$(MALLOC_LIB) -lm -lpthread -ldl \
	$(foreach s,$(MALLOC_SYMS),-Wl,--export-dynamic-symbol=$(s)))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -Wall -Werror

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
PROTOS    := $(wildcard user/*.proto)
PROTO_GEN := $(patsubst user/%.proto,$(OUT)/user/%.pb-c.c,$(PROTOS))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) $(PROTO_GEN:.c=.o)
LIB_OBJS  := $(filter-out $(OUT)/user/main.o,$(USER_OBJS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
PROG_SRCS := $(wildcard tests/progs/*.c)
PROG_BINS := $(patsubst tests/progs/%.c,$(OUT)/progs/%,$(PROG_SRCS)) \
	     $(patsubst tests/progs/%.c,$(OUT)/progs/%-nofp,$(PROG_SRCS))
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(patsubst tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))

.PHONY: all deps run test unit install uninstall clean vmlinux bench check-root fuzz test-asan soak FORCE
all: $(OUT)/leaktrace

$(OUT) $(OUT)/user $(OUT)/tests $(OUT)/progs $(OUT)/tools:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c vmlinux/vmlinux.h bpf/leaktrace.h $(wildcard bpf/*.bpf.h) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# protobuf-c code for the pprof writer, generated from user/*.proto.
$(OUT)/user/%.pb-c.c $(OUT)/user/%.pb-c.h: user/%.proto | $(OUT)/user
	$(call msg,PROTOC,$@)
	$(Q)protoc-c --proto_path=user --c_out=$(OUT)/user $<

$(OUT)/user/%.pb-c.o: $(OUT)/user/%.pb-c.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUT)/user -MMD -MP -c $< -o $@

# Objects that include a generated header depend on it being generated first.
$(OUT)/user/%.o: user/%.c | $(OUT)/user $(SKELS) $(PROTO_GEN)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The allocator's link flags and library version, rewritten when they change:
# a build with another MALLOC_LIB, none, or a new libjemalloc-dev relinks.
$(OUT)/malloc.flags: FORCE | $(OUT)
	$(Q)if [ -n "$(MALLOC_LIB)" ] && [ ! -f "$(MALLOC_LIB)" ]; then \
		echo "leaktrace: $(MALLOC_LIB) is missing (package libjemalloc-dev: run 'sudo make deps')" >&2; \
		exit 1; fi
	$(Q)f='$(MALLOC_LDFLAGS) '"$$(stat -c %s:%Y '$(MALLOC_LIB)' 2>/dev/null)"; \
		[ "$$(cat $@ 2>/dev/null)" = "$$f" ] || echo "$$f" > $@
FORCE:

$(OUT)/leaktrace: $(OUT)/malloc.flags $(USER_OBJS) Makefile
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(USER_OBJS) $(MALLOC_LDFLAGS) $(LDLIBS) -lstdc++ -o $@

$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(OUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP $< $(LIB_OBJS) $(LDLIBS) -lstdc++ -o $@

# Test programs: one build with frame pointers, one without.
PROG_CFLAGS := -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fno-inline -fno-optimize-sibling-calls
$(OUT)/progs/%: tests/progs/%.c | $(OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -fno-omit-frame-pointer $< -o $@ -lpthread -lrt
$(OUT)/progs/%-nofp: tests/progs/%.c | $(OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(PROG_CFLAGS) -fomit-frame-pointer $< -o $@ -lpthread -lrt

$(OUT)/tools/%: tools/%.c | $(OUT)/tools
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE $< -o $@ -lpthread -lrt

deps:
	$(Q)tools/deps.sh

check-root:
	$(Q)if [ "$$(id -u)" != 0 ]; then echo "leaktrace: this target needs root: run 'sudo make $(MAKECMDGOALS)'" >&2; exit 1; fi

run: check-root deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/leaktrace $(ARGS)

unit: $(UNIT_BINS)

# Overhead against the probe floor and the peers, aggregator replay (tools/bench/).
bench: all
	$(Q)MALLOC_LDFLAGS="$(MALLOC_LDFLAGS)" tools/bench/run.sh

test: check-root deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(PROG_BINS) $(TOOL_BINS)
	$(Q)tests/run.sh

# Sanitizers: the same suites with leaktrace and the unit tests built with ASan and UBSan.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
test-asan: check-root deps
	$(Q)$(MAKE) --no-print-directory OUT=build-asan EXTRA_CFLAGS="$(SAN)" \
		EXTRA_LDLIBS="$(SAN)" MALLOC_LIB= build-asan/leaktrace \
		$(patsubst $(OUT)/%,build-asan/%,$(UNIT_BINS))
	$(Q)$(MAKE) --no-print-directory $(PROG_BINS) $(TOOL_BINS)
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		TEST_BUILD=build-asan LEAKTRACE=$(CURDIR)/build-asan/leaktrace tests/run.sh $(T)

# Ten minutes of mixed load with process churn; tracer RSS and CPU sampled every second.
soak: check-root deps
	$(Q)$(MAKE) --no-print-directory all $(PROG_BINS)
	$(Q)tools/soak.sh

# Fuzzing (libFuzzer, clang): the event decoder and aggregator, and the ELF readers.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE \
	       -Iuser -Ibpf -I$(OUT) -I$(OUT)/user
$(OUT)/fuzz/fuzz_agg: tests/fuzz/fuzz_agg.c user/agg.c user/agg.h user/sysrec.c user/sysrec.h \
		bpf/leaktrace.h
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_agg.c user/agg.c user/sysrec.c -o $@
$(OUT)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c user/objects.c user/symbolize.c
	$(Q)mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) tests/fuzz/fuzz_elf.c user/objects.c user/symbolize.c \
		-lelf -ldw -lz -lcapstone -lstdc++ -o $@
fuzz: $(OUT)/fuzz/fuzz_agg $(OUT)/fuzz/fuzz_elf
	$(Q)mkdir -p $(OUT)/fuzz/corpus-agg $(OUT)/fuzz/corpus-elf
	$(Q)cp -n /lib/x86_64-linux-gnu/libz.so.1 $(OUT)/fuzz/corpus-elf/ 2>/dev/null || true
	$(Q)cp -n $(OUT)/progs/leaky $(OUT)/fuzz/corpus-elf/ 2>/dev/null || true
	$(OUT)/fuzz/fuzz_agg -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=1024 \
		$(OUT)/fuzz/corpus-agg
	$(OUT)/fuzz/fuzz_elf -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
		$(OUT)/fuzz/corpus-elf

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

install: $(OUT)/leaktrace
	install -D -m 0755 $(OUT)/leaktrace $(DESTDIR)$(SBINDIR)/leaktrace
	install -D -m 0644 docs/leaktrace.8 $(DESTDIR)$(MANDIR)/man8/leaktrace.8

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/leaktrace $(DESTDIR)$(MANDIR)/man8/leaktrace.8

clean:
	rm -rf $(OUT)

-include $(wildcard $(OUT)/user/*.d $(OUT)/tests/*.d)

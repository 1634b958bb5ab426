# Thin wrapper over meson: `make`, `make demo`, `make check`, `make install`, `make bench`.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PREFIX ?= /usr/local
DESTDIR ?=
MESON_OPTS ?=

.PHONY: all deps deps-test demo check check-unit check-asan check-integration check-fuzz install bench format-check clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	@sh scripts/install-deps.sh build
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_OPTS)

demo: all
	@sh scripts/install-deps.sh test
	bash tests/lib/demo.sh $(BUILD)

# Everything CI runs; the last line is `N passed, N failed, N skipped`.
check:
	@sh scripts/install-deps.sh test
	@bash scripts/install-criu.sh >/dev/null || echo "no working criu: the checkpoint tests will say so and skip"
	$(MAKE) all
	bash tests/run-all.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

check-unit: all
	meson test -C $(BUILD) --suite unit --print-errorlogs

# clang: gcc's libubsan ignores log_path, and the integration run finds reports by their log files.
check-asan:
	@sh scripts/install-deps.sh test
	[ -f $(ASAN_BUILD)/build.ninja ] || CC=clang meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs
	bash tests/asan-integration.sh $(ASAN_BUILD)

check-integration: all
	HUSK=$(abspath $(BUILD))/husk bats tests/integration

install: all
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild

bench: all
	@sh scripts/install-deps.sh bench
	HUSK=$(abspath $(BUILD))/husk bash bench/run.sh

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

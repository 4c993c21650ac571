# Convenience front end over CMake. `make demo` and `make check` are the two
# commands of the README; both install missing Debian packages first.
BUILD ?= build
ASAN_BUILD ?= build-asan
COV_BUILD ?= build-cov
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build demo check check-sanitize coverage bench install deb clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# Builds, then runs the digits example end to end and shows what it found.
DEMO_DB = $(BUILD)/demo/digits.db
demo: build
	rm -rf $(BUILD)/demo && mkdir -p $(BUILD)/demo
	$(BUILD)/budgetopt validate examples/digits/study.yaml
	$(BUILD)/budgetopt run --storage $(DEMO_DB) examples/digits/study.yaml
	$(BUILD)/budgetopt status --storage $(DEMO_DB) examples/digits/study.yaml
	$(BUILD)/budgetopt trials --storage $(DEMO_DB) --sort=-score --limit 10 examples/digits/study.yaml

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests built with AddressSanitizer and UndefinedBehaviorSanitizer.
check-sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBO_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --output-on-failure -j $(JOBS)

# Installs the program, libraries, headers, pkg-config file, CMake package,
# man pages and bash completion under PREFIX (DESTDIR for staging).
PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# The Debian packages budgetopt, libbudgetopt0 and libbudgetopt-dev, in ..
deb: deps
	dpkg-buildpackage -us -uc -b

# Line coverage of src/ by the whole test suite (docs/coverage.md): a
# --coverage build in $(COV_BUILD), ctest there from zeroed counters, then
# gcovr's summary on stdout, $(COV_BUILD)/coverage.txt and the annotated
# sources in $(COV_BUILD)/coverage/index.html.
coverage: deps
	cmake -S . -B $(COV_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=--coverage \
		-DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage
	cmake --build $(COV_BUILD) -j $(JOBS)
	find $(COV_BUILD) -name '*.gcda' -delete
	cd $(COV_BUILD) && ctest --output-on-failure -j $(JOBS); echo $$? >ctest.status
	mkdir -p $(COV_BUILD)/coverage
	gcovr -j $(JOBS) --root . --object-directory $(COV_BUILD) --filter '$(CURDIR)/src/' \
		--txt $(COV_BUILD)/coverage.txt --html-details $(COV_BUILD)/coverage/index.html \
		--print-summary
	@exit $$(cat $(COV_BUILD)/ctest.status)   # a failing test fails the target, after the report

bench: build
	bench/run-overhead $(BUILD)/budgetopt

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(COV_BUILD)

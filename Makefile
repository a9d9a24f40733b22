# Thin wrapper: the README's commands. The build itself is CMake's.
BUILD ?= build
ASAN  ?= build-asan
FUZZ  ?= build-fuzz
MPI   ?= build-mpi
JOBS  ?= $(shell nproc)
FUZZ_RUNS ?= 10000000

.PHONY: all deps install test test-asan fuzz-build test-fuzz fuzz mpi demo clean

all: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

# The runtime (include/onedp.h, libonedp.so / .a, lib/pkgconfig/onedp.pc) and bin/onedp.
PREFIX ?= /usr/local
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

# CI runs exactly this: the suite (with the MPI build's data-parallel checks, tests/mpi.sh),
# the suite again under ASan + UBSan, short fuzz runs.
test: all mpi
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-asan test-fuzz

# Every test but the two long training ones (label "slow"), with gcc's ASan + UBSan.
test-asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Release -DONEDP_SANITIZE=ON >/dev/null
	cmake --build $(ASAN) -j $(JOBS)
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS) -LE slow

fuzz-build: deps
	cmake -S . -B $(FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DONEDP_FUZZ=ON >/dev/null
	cmake --build $(FUZZ) -j $(JOBS) --target fuzzers

# Each libFuzzer harness for a few seconds (tests/fuzz/fuzz.cmake).
test-fuzz: fuzz-build
	cd $(FUZZ) && ctest --output-on-failure -j $(JOBS) -L fuzz

# The long run: FUZZ_RUNS executions per harness, one at a time (tests/fuzz/run.sh).
fuzz: fuzz-build
	bash tests/fuzz/run.sh $(FUZZ) $(FUZZ_RUNS)

# onedp against Debian's OpenMPI: mpirun -np N $(MPI)/onedp train|distill|eval ... (README "Scale-out").
mpi: deps
	cmake -S . -B $(MPI) -DCMAKE_BUILD_TYPE=Release -DONEDP_MPI=ON >/dev/null
	cmake --build $(MPI) -j $(JOBS) --target onedp

demo: all
	bash scripts/demo.sh $(BUILD)/demo

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) $(MPI)

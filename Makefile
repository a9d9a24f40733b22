# Thin wrapper: the README's commands. The build itself is CMake's.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps test demo clean

all: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@bash scripts/install-deps.sh

test: all
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: all
	bash scripts/demo.sh $(BUILD)/demo

clean:
	rm -rf $(BUILD)

# libFuzzer harnesses (ONEDP_FUZZ=ON, clang): tests/fuzz/fuzz_<name>.c, one per reader of
# user input, each linked with the sanitized, coverage-instrumented library. ctest runs
# each for ONEDP_FUZZ_SECONDS on the seed corpus that fuzz_seeds writes from real files;
# `make fuzz` (tests/fuzz/run.sh) is the long run.
set(ONEDP_FUZZ_SECONDS 12 CACHE STRING "seconds of fuzzing per harness under ctest")
# A fixed seed makes a ctest failure replay exactly; `make fuzz` explores with fresh ones.
set(ONEDP_FUZZ_SEED 1 CACHE STRING "libFuzzer -seed under ctest")
set(FUZZ_CORPUS ${CMAKE_BINARY_DIR}/fuzz-corpus)

add_executable(fuzz_seeds tests/fuzz/seeds.c)
target_link_libraries(fuzz_seeds PRIVATE onedp_lib)
add_test(NAME fuzz_seeds COMMAND fuzz_seeds ${CMAKE_SOURCE_DIR} ${FUZZ_CORPUS}/seeds)
set_tests_properties(fuzz_seeds PROPERTIES FIXTURES_SETUP fuzz_corpus LABELS fuzz)

file(GLOB ONEDP_FUZZERS CONFIGURE_DEPENDS tests/fuzz/fuzz_*.c)
set(ONEDP_FUZZ_TARGETS fuzz_seeds)
foreach(src ${ONEDP_FUZZERS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" harness ${name})
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE tests/fuzz)
  target_link_libraries(${name} PRIVATE onedp_lib)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  list(APPEND ONEDP_FUZZ_TARGETS ${name})
  # New inputs go to fuzz-corpus/<harness>; the seeds stay as written, and so do the inputs
  # that once failed (tests/fuzz/regressions/<harness>), replayed first. Crashes are saved
  # as fuzz-corpus/crash-<harness>-*; -timeout: one input may take at most 10 s.
  set(regressions ${CMAKE_SOURCE_DIR}/tests/fuzz/regressions/${harness})
  if(NOT EXISTS ${regressions})
    set(regressions "")
  endif()
  add_test(NAME ${name} COMMAND sh -c
    "mkdir -p ${FUZZ_CORPUS}/${harness} && exec $<TARGET_FILE:${name}> -max_total_time=${ONEDP_FUZZ_SECONDS} \
     -seed=${ONEDP_FUZZ_SEED} -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix=${FUZZ_CORPUS}/crash-${harness}- ${FUZZ_CORPUS}/${harness} ${FUZZ_CORPUS}/seeds/${harness} \
     ${regressions}")
  set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED fuzz_corpus LABELS fuzz)
endforeach()
add_custom_target(fuzzers DEPENDS ${ONEDP_FUZZ_TARGETS})

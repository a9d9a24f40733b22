# Sanitizer builds (ONEDP_SANITIZE / ONEDP_FUZZ): every test runs with these options.
# Any report fails the test: UBSan aborts (-fno-sanitize-recover=all, and halt_on_error
# for the runtime), ASan and LeakSanitizer exit non-zero. lsan.supp names the only
# leaks tolerated: third-party libraries' own allocations (never onedp's).
set(ONEDP_SANITIZER_ENV
  "ASAN_OPTIONS=set:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
  "UBSAN_OPTIONS=set:halt_on_error=1:print_stacktrace=1"
  "LSAN_OPTIONS=set:suppressions=${CMAKE_SOURCE_DIR}/tests/sanitize/lsan.supp:print_suppressions=0")
get_property(onedp_all_tests DIRECTORY PROPERTY TESTS)
if(onedp_all_tests)
  set_property(TEST ${onedp_all_tests} APPEND PROPERTY ENVIRONMENT_MODIFICATION ${ONEDP_SANITIZER_ENV})
endif()

# Too slow under the sanitizers for CI's budget (minutes of training each without them);
# `make test-asan` runs everything else (ctest -LE slow).
set_tests_properties(test_onedp_toy test_toy_train test_toy_train_edm PROPERTIES LABELS slow)

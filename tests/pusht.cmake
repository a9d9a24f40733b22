# PushT command-line checks (tests/test_pusht_*.c are the unit tests).
set(PUSHT_DATA ${CMAKE_SOURCE_DIR}/../shared/data/pusht/pusht_cchi_v7_replay.zarr)

# stdout carries only onedp's output (Debian's debug libchipmunk banner swallowed);
# seed 100000 draws docs/facts.md §7's state.
add_test(NAME pusht_cli_env COMMAND onedp env pusht --seed 100000 WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(pusht_cli_env PROPERTIES
  PASS_REGULAR_EXPRESSION "^seed 100000\nbefore settling: 235 124 335 128 -0.90492742842492468\n.*\"state_before\""
  FAIL_REGULAR_EXPRESSION "Chipmunk|cpSpace")

# The replay report: all 206 episodes bit-exact.
add_test(NAME pusht_cli_replay COMMAND onedp replay ${PUSHT_DATA} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(pusht_cli_replay PROPERTIES
  PASS_REGULAR_EXPRESSION "\"episodes\": 206, \"steps\": 25650, \"frac_within_tol\": 1, \"frac_bit_exact\": 1,")

add_test(NAME pusht_cli_bench COMMAND onedp env pusht --bench 3000 WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(pusht_cli_bench PROPERTIES PASS_REGULAR_EXPRESSION "\"steps_per_s\": [0-9]")

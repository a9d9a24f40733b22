# Dataset and GIF tools: CLI runs checked by small scripts (Debian python3 only).
set(ONEDP_PUSHT_ZARR ${CMAKE_SOURCE_DIR}/../shared/data/pusht/pusht_cchi_v7_replay.zarr)

add_test(NAME dataset_info COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/check_dataset_info.py
         $<TARGET_FILE:onedp> ${ONEDP_PUSHT_ZARR})
add_test(NAME dataset_help COMMAND onedp dataset --help)
set_tests_properties(dataset_help PROPERTIES PASS_REGULAR_EXPRESSION "usage: onedp dataset info PATH")
add_test(NAME dataset_bad_path COMMAND onedp dataset info ${CMAKE_SOURCE_DIR}/tests)
set_tests_properties(dataset_bad_path PROPERTIES WILL_FAIL TRUE)
add_test(NAME render_help COMMAND onedp render --help)
set_tests_properties(render_help PROPERTIES PASS_REGULAR_EXPRESSION "usage: onedp render")
add_test(NAME render_bad_episode COMMAND onedp render ${ONEDP_PUSHT_ZARR} --episode 206 --out ${CMAKE_BINARY_DIR}/never.gif)
set_tests_properties(render_bad_episode PROPERTIES WILL_FAIL TRUE)

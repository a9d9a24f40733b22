# Sequence dataset: the oracle writes the reference's episode splits (numpy default_rng)
# and create_indices rows; test_sequence reads them from the build dir.
add_test(NAME sequence_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/sequence_ref.py
         ${CMAKE_BINARY_DIR}/sequence_ref.txt)
set_tests_properties(sequence_oracle PROPERTIES FIXTURES_SETUP sequence_ref)
set_tests_properties(test_sequence PROPERTIES FIXTURES_REQUIRED sequence_ref)

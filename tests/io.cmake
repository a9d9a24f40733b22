# io: the safetensors oracle (torch) writes files before test_safetensors reads them,
# and then checks the files test_safetensors wrote. All under <build>/io.
set(ONEDP_IO_DIR ${CMAKE_BINARY_DIR}/io)
set(ONEDP_ST_ORACLE ${CMAKE_SOURCE_DIR}/tests/ref/safetensors_oracle.py)

add_test(NAME safetensors_oracle_write COMMAND ${ONEDP_PYTHON} ${ONEDP_ST_ORACLE} write ${ONEDP_IO_DIR})
set_tests_properties(safetensors_oracle_write PROPERTIES FIXTURES_SETUP safetensors_oracle_files)

set_tests_properties(test_safetensors PROPERTIES
  FIXTURES_REQUIRED safetensors_oracle_files FIXTURES_SETUP safetensors_c_files)

add_test(NAME safetensors_oracle_check COMMAND ${ONEDP_PYTHON} ${ONEDP_ST_ORACLE} check ${ONEDP_IO_DIR})
set_tests_properties(safetensors_oracle_check PROPERTIES FIXTURES_REQUIRED safetensors_c_files)

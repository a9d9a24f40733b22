# Oracles for tests/test_optim.c and tests/test_diffusion.c: PyTorch scripts run as
# ctest fixtures that write $ONEDP_BUILD/ref/*.bin before the C tests read them.
foreach(area optim diffusion)
  if(NOT EXISTS ${CMAKE_SOURCE_DIR}/tests/ref/${area}_ref.py)
    continue()
  endif()
  add_test(NAME ${area}_ref
           COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/${area}_ref.py
                   ${CMAKE_BINARY_DIR}/ref/${area}_ref.bin
           WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(${area}_ref PROPERTIES FIXTURES_SETUP ${area}_oracle)
  if(TEST test_${area})
    set_tests_properties(test_${area} PROPERTIES FIXTURES_REQUIRED ${area}_oracle)
  endif()
endforeach()

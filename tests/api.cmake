# The runtime library and its API (include/onedp.h): programs linked against libonedp.so
# as an embedder would, the installed package used through pkg-config, the Python binding.
foreach(name api_alloc api_busy)
  add_executable(${name} tests/api/${name}.c)
  target_link_libraries(${name} PRIVATE onedp_shared)
  target_include_directories(${name} PRIVATE include)
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endforeach()
set_tests_properties(api_alloc PROPERTIES PASS_REGULAR_EXPRESSION "ok: 0 allocations|skipped")
set_tests_properties(api_busy PROPERTIES RUN_SERIAL TRUE SKIP_RETURN_CODE 77 ENVIRONMENT "OMP_WAIT_POLICY=passive")
add_executable(api_ref tests/api/api_ref.c)
target_link_libraries(api_ref PRIVATE onedp_lib)
add_executable(act_loop examples/act_loop.c)  # the example, built in-tree against libonedp.so
target_link_libraries(act_loop PRIVATE onedp_shared)
target_include_directories(act_loop PRIVATE include)

# libonedp.so needs no Chipmunk, Blosc or giflib, and exports onedp_* only.
add_test(NAME api_so_deps COMMAND sh -c "readelf -d $<TARGET_FILE:onedp_shared> | grep NEEDED; \
  ! readelf -d $<TARGET_FILE:onedp_shared> | grep NEEDED | grep -Ei 'chipmunk|blosc|gif' && \
  readelf -d $<TARGET_FILE:onedp_shared> | grep -q 'SONAME.*libonedp.so.0' && \
  test -z \"$(nm -D --defined-only $<TARGET_FILE:onedp_shared> | awk '{print $3}' | grep -v '^onedp_')\" && echo ok")
set_tests_properties(api_so_deps PROPERTIES PASS_REGULAR_EXPRESSION "ok\n")

# Not under the sanitizers: an ASan-built libonedp.so cannot be loaded by plain programs
# (the example, python3), and api_busy times things.
if(NOT ONEDP_SANITIZE AND NOT ONEDP_FUZZ)
  add_test(NAME api_install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/api_install.sh ${CMAKE_BINARY_DIR}
           $<TARGET_FILE:api_ref> ${CMAKE_BINARY_DIR}/api_install)
  set_tests_properties(api_install PROPERTIES PASS_REGULAR_EXPRESSION "^ok: ")
  add_test(NAME api_python COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/api_python.py
           $<TARGET_FILE:onedp_shared> $<TARGET_FILE:api_ref> $<TARGET_FILE:act_loop> WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(api_python PROPERTIES PASS_REGULAR_EXPRESSION "^ok")
  set_tests_properties(api_busy PROPERTIES DISABLED FALSE)
else()
  set_tests_properties(api_busy PROPERTIES DISABLED TRUE)
endif()

# onedp serve (ZeroMQ) on a local socket: tests/serve.sh with its load client
# (tests/serve/serve_load.c, checking replies against libonedp) and the example clients.
add_executable(serve_load tests/serve/serve_load.c)
target_link_libraries(serve_load PRIVATE onedp_shared PkgConfig::ZMQ Threads::Threads m)
target_include_directories(serve_load PRIVATE include src)
target_sources(serve_load PRIVATE src/serve/protocol.c src/core/error.c)
add_executable(serve_client examples/serve_client.c)
target_link_libraries(serve_client PRIVATE PkgConfig::ZMQ)
add_test(NAME serve COMMAND bash ${CMAKE_SOURCE_DIR}/tests/serve.sh $<TARGET_FILE:onedp> $<TARGET_FILE:serve_load>
  $<TARGET_FILE:serve_client> WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(serve PROPERTIES TIMEOUT 400 ENVIRONMENT "OMP_WAIT_POLICY=passive")

# U-Net against the PyTorch oracle: the oracle writes weights, inputs and float64
# outputs/gradients, then golden_unet compares.
add_test(NAME unet_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/unet_ref.py ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(unet_oracle PROPERTIES FIXTURES_SETUP unet_golden)
add_executable(golden_unet tests/golden_unet.c)
target_link_libraries(golden_unet PRIVATE onedp_lib)
add_test(NAME golden_unet COMMAND golden_unet ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(golden_unet PROPERTIES FIXTURES_REQUIRED unet_golden)

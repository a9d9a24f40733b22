# U-Net against the PyTorch oracle: the oracle writes weights, inputs and float64
# outputs/gradients, then golden_unet compares.
add_test(NAME unet_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/unet_ref.py ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(unet_oracle PROPERTIES FIXTURES_SETUP unet_golden)
add_executable(golden_unet tests/golden_unet.c)
target_link_libraries(golden_unet PRIVATE onedp_lib)
add_test(NAME golden_unet COMMAND golden_unet ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(golden_unet PROPERTIES FIXTURES_REQUIRED unet_golden)
# OpenBLAS's 512-bit kernels on any AVX-512 CPU, a user's OPENBLAS_CORETYPE kept (with a note).
add_test(NAME blas_kernels COMMAND bash ${CMAKE_SOURCE_DIR}/tests/blas_kernels.sh $<TARGET_FILE:onedp>)
set_tests_properties(blas_kernels PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")
# The image encoder against PyTorch (torchvision's resnet18 with GroupNorm, robomimic's spatial softmax).
add_test(NAME image_encoder_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/image_encoder_ref.py ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(image_encoder_oracle PROPERTIES FIXTURES_SETUP image_encoder_golden)
add_executable(golden_image_encoder tests/golden_image_encoder.c)
target_link_libraries(golden_image_encoder PRIVATE onedp_lib)
add_test(NAME golden_image_encoder COMMAND golden_image_encoder ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(golden_image_encoder PROPERTIES FIXTURES_REQUIRED image_encoder_golden)
# The whole image policy's loss gradient (encoder + U-Net) against PyTorch.
add_test(NAME image_policy_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/image_policy_ref.py ${CMAKE_BINARY_DIR}/golden)
set_tests_properties(image_policy_oracle PROPERTIES FIXTURES_SETUP image_policy_golden)
add_executable(golden_image_policy tests/golden_image_policy.c)
target_link_libraries(golden_image_policy PRIVATE onedp_lib)
add_test(NAME golden_image_policy COMMAND golden_image_policy ${CMAKE_BINARY_DIR}/golden
         ${CMAKE_SOURCE_DIR}/configs/pusht_image_paper.json)
set_tests_properties(golden_image_policy PROPERTIES FIXTURES_REQUIRED image_policy_golden)

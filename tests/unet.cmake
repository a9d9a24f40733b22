# Networks against their PyTorch oracles: tests/ref/<oracle>.py writes weights, inputs and
# float64 outputs/gradients into build/golden (a fixture), then golden_<name> compares.
function(golden_test name oracle)
  add_test(NAME ${oracle}_oracle COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/${oracle}_ref.py ${CMAKE_BINARY_DIR}/golden)
  set_tests_properties(${oracle}_oracle PROPERTIES FIXTURES_SETUP ${oracle}_golden)
  add_executable(golden_${name} tests/golden_${name}.c)
  target_link_libraries(golden_${name} PRIVATE onedp_lib)
  add_test(NAME golden_${name} COMMAND golden_${name} ${CMAKE_BINARY_DIR}/golden ${ARGN})
  set_tests_properties(golden_${name} PROPERTIES FIXTURES_REQUIRED ${oracle}_golden)
endfunction()

golden_test(unet unet)
# The image encoder: torchvision's resnet18 with GroupNorm, robomimic's spatial softmax.
golden_test(image_encoder image_encoder)
# The whole image policy's loss gradient (encoder + U-Net), and the reference image
# configuration's parameter count.
golden_test(image_policy image_policy ${CMAKE_SOURCE_DIR}/configs/pusht_image_paper.json)

# OpenBLAS's 512-bit kernels on any AVX-512 CPU, a user's OPENBLAS_CORETYPE kept (with a note).
add_test(NAME blas_kernels COMMAND bash ${CMAKE_SOURCE_DIR}/tests/blas_kernels.sh $<TARGET_FILE:onedp>)
set_tests_properties(blas_kernels PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")
# `onedp import`: LeRobot (two formats) and Diffusion Policy checkpoints written by PyTorch in
# those projects' formats, imported and compared with PyTorch's outputs; the CLI on the .ckpt
# path, and the imported teacher evaluated.
golden_test(import import ${CMAKE_SOURCE_DIR}/scripts/import_dp_ckpt.py)
add_test(NAME import_cli COMMAND bash -c "$<TARGET_FILE:onedp> import ${CMAKE_BINARY_DIR}/golden/dp.ckpt -o ${CMAKE_BINARY_DIR}/golden/dp_cli.safetensors --task pusht && $<TARGET_FILE:onedp> eval ${CMAKE_BINARY_DIR}/golden/dp_cli.safetensors --sampler ddim:2 --seeds 100000:100002 --max-steps 16 --hz-repeats 0 --threads 1 | tail -1"
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(import_cli PROPERTIES FIXTURES_REQUIRED import_golden PASS_REGULAR_EXPRESSION "\"score\"")

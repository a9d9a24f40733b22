# robomimic HDF5 datasets: tests/ref/robomimic_h5.py (h5py + numpy) drives test_robomimic's
# tool modes: h5py's files read back exactly, the writer's layout as h5py sees it, the training
# windows and rot6d actions as Diffusion Policy computes them, one-line errors for damaged files.
foreach(mode read write windows bad rot)
  add_test(NAME robomimic_${mode} COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/robomimic_h5.py
           $<TARGET_FILE:test_robomimic> ${CMAKE_BINARY_DIR}/robomimic_${mode} ${mode})
  set_tests_properties(robomimic_${mode} PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1")
endforeach()
# HDF5 prints its error stack unless told not to: any trace of it is a failure.
set_tests_properties(test_robomimic PROPERTIES FAIL_REGULAR_EXPRESSION "HDF5-DIAG")

# Teacher training end to end on the PushT demonstrations with a tiny model: runs, logs,
# checkpoints, and a run stopped at step 6 and resumed reaches bit-identical parameters;
# the same for OneDP-S and OneDP-D distillation of that teacher.
add_test(NAME train_resume COMMAND bash ${CMAKE_SOURCE_DIR}/tests/train_resume.sh $<TARGET_FILE:onedp>
         ${CMAKE_BINARY_DIR}/train_resume)
set_tests_properties(train_resume PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} ENVIRONMENT "OMP_NUM_THREADS=1")
# Crash safety: training and distillation SIGKILLed at random moments and mid-checkpoint,
# resumed each time, end byte-identical to uninterrupted runs (seed printed, random).
add_test(NAME crash_resume COMMAND bash ${CMAKE_SOURCE_DIR}/tests/crash_resume.sh $<TARGET_FILE:onedp>
         ${CMAKE_BINARY_DIR}/crash_resume)
# Numerical guards: diverging runs stop naming the step and keep their last finite checkpoint.
add_test(NAME nan_guard COMMAND bash ${CMAKE_SOURCE_DIR}/tests/nan_guard.sh $<TARGET_FILE:onedp>
         ${CMAKE_BINARY_DIR}/nan_guard)
# Every command on bad input: one-line errors naming file and field, no output left behind;
# the cases and messages as a markdown table in <build>/bad_input_table.md.
add_test(NAME bad_input COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bad_input.sh $<TARGET_FILE:onedp>
         ${CMAKE_BINARY_DIR}/bad_input ${CMAKE_BINARY_DIR}/bad_input_table.md)
set_tests_properties(crash_resume nan_guard bad_input PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                     ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")
# The toy's EDM run (test_toy_train with argument edm): trained with EDM's loss, Heun's
# 18-step samples on the modes.
add_test(NAME test_toy_train_edm COMMAND test_toy_train edm WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(test_toy_train_edm PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;ONEDP_BUILD=${CMAKE_BINARY_DIR}")
# EDM teachers, Consistency Policy and OneDP under EDM, end to end with a tiny model.
add_test(NAME edm_cp COMMAND bash ${CMAKE_SOURCE_DIR}/tests/edm_cp.sh $<TARGET_FILE:onedp> ${CMAKE_BINARY_DIR}/edm_cp)
set_tests_properties(edm_cp PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")

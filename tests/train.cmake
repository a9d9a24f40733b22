# Teacher training end to end on the PushT demonstrations with a tiny model: runs, logs,
# checkpoints, and a run stopped at step 6 and resumed reaches bit-identical parameters;
# the same for OneDP-S and OneDP-D distillation of that teacher.
add_test(NAME train_resume COMMAND bash ${CMAKE_SOURCE_DIR}/tests/train_resume.sh $<TARGET_FILE:onedp>
         ${CMAKE_BINARY_DIR}/train_resume)
set_tests_properties(train_resume PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} ENVIRONMENT "OMP_NUM_THREADS=1")

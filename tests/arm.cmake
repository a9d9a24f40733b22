# The arm tasks (env/arm): the controller against numpy's transcription of robosuite's
# (tests/ref/osc_ref.py), and the demos -> train -> eval loop on a robomimic file
# (tests/arm_loop.sh).
add_test(NAME arm_osc COMMAND ${ONEDP_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ref/osc_ref.py
         $<TARGET_FILE:test_arm_env> ${CMAKE_BINARY_DIR}/arm_osc WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME arm_loop COMMAND bash ${CMAKE_SOURCE_DIR}/tests/arm_loop.sh $<TARGET_FILE:onedp> ${CMAKE_BINARY_DIR}/arm_loop
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(arm_osc arm_loop PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")

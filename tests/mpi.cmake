# Data-parallel training, distillation and evaluation under mpirun (tests/mpi.sh): the
# plain build's onedp against the MPI build's, which `make mpi` (and so `make test`) builds
# first into ONEDP_MPI_BUILD. Declared in the plain build only; labelled slow, so the
# sanitizer build (whose arithmetic may differ from the MPI build's) leaves it out.
if(ONEDP_MPI OR ONEDP_SANITIZE OR ONEDP_FUZZ)
  return()
endif()
set(ONEDP_MPI_BUILD ${CMAKE_SOURCE_DIR}/build-mpi CACHE PATH "the MPI build `make mpi` writes (tests/mpi.sh)")
add_test(NAME mpi COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mpi.sh $<TARGET_FILE:onedp> ${ONEDP_MPI_BUILD}/onedp
         ${CMAKE_BINARY_DIR}/mpi)
set_tests_properties(mpi PROPERTIES WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} LABELS "slow;mpi" TIMEOUT 900)

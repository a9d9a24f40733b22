// Private to src/data/robomimic.c and its fuzz harness: opening an HDF5 file that is
// already open (an in-memory file image, tests/fuzz/fuzz_robomimic.c).
#pragma once
#include <hdf5.h>

#include "data/robomimic.h"

// As rm_open on an open file id, which it takes over (closed by rm_close, or here on
// failure); label names the file in errors.
RmFile *rm_open_hid(hid_t file, const char *label);

// A distillation's frozen teacher and its demonstrations, loaded and batched the same way
// for every distiller (OneDP: distill/onedp.c; Consistency Policy: distill/consistency.c).
#pragma once
#include <stdint.h>

#include "data/sequence.h"
#include "model/policy.h"

typedef struct {
  Policy teacher;
  SeqDataset *ds;  // the teacher's task dataset, its config's split
  double passes;   // the teacher's training cost in network sample-passes (0: its config does not say)
  char path[1024];
} TeacherData;

// Loads the teacher at t->path (set by the caller: a distiller names it before its run is
// set up) and its dataset; fails if it is a student, and, naming origin's field 'key', when
// batch exceeds the training windows.
int teacher_data_open(TeacherData *t, int batch, const char *origin, const char *key);
void teacher_data_close(TeacherData *t);

// Batch `index` (B windows) of the shuffle keyed by `seed` (full batches only: a short last
// one is skipped): the normalised low-dim history lowdim (B, To, Dl), the normalised
// actions (B, T, Da), and for image teachers the frames' rows (B, To; may be NULL otherwise).
int teacher_data_batch(const TeacherData *t, int B, uint64_t seed, long index, float *lowdim, float *actions,
                       int64_t *rows);

// An image policy p's conditioning cond (B, Gc) from its encoder with params (a teacher's
// frozen one or a student's trained one; a created for p's encoder, batch B): the frames of
// rows (B, To), rows first.. of their batch (train/frames.h), cropped from Philox stream
// `stream` of `seed`, with the normalised low-dim history lowdim (B, To, Dl). a keeps the
// activations a student's backward pass reads.
void teacher_data_encode(const TeacherData *t, const Policy *p, ObsEncoderActs *a, const float *params,
                         const float *lowdim, const int64_t *rows, long B, long first, uint64_t seed, uint64_t stream,
                         float *cond);

// "distill: cost X% of the teacher's training" on stderr for a distillation of `passes`
// sample-passes (nothing when the teacher's cost is unknown).
void teacher_data_report_cost(const TeacherData *t, double passes);

// Sample-passes: a forward pass of one sample is 1, forward plus backward 3 (a teacher step
// is one forward+backward per sample).
#define PASSES_FORWARD 1.0
#define PASSES_TRAIN 3.0

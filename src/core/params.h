// One contiguous float buffer per model for parameters (and one each for gradients,
// Adam moments, EMA), described by a name -> (offset, shape) table in PyTorch
// state_dict order and with PyTorch's names and shapes.
//
// Storage inside the buffer may differ from PyTorch's layout where a layer computes
// faster that way; the entry's layout says how, and checkpoints convert on the way
// in and out, so files always hold PyTorch's layout.
#pragma once
#include "core/tensor.h"

typedef enum {
  LAYOUT_PLAIN = 0,  // exactly PyTorch's row-major tensor
  LAYOUT_TAPS = 1,   // PyTorch (A, B, K) stored as K row-major (A x B) matrices
} ParamLayout;

typedef struct {
  char name[96];
  long offset;  // in floats, into each of the model's buffers
  long numel;
  int ndim;
  int shape[ODP_MAX_DIMS];  // PyTorch's shape
  ParamLayout layout;
  int frozen;  // not trained (e.g. normalizer statistics): optimisers skip it; entries start trainable
} ParamEntry;

typedef struct {
  ParamEntry *entries;
  int count, capacity;
  long numel;  // total floats
} ParamTable;

// Appends an entry; returns its offset, or -1 (with odp_error set) on failure.
long param_table_add(ParamTable *t, const char *name, int ndim, const int *shape, ParamLayout layout);
// The same for the tensor `suffix` of module `module`: PyTorch's name "module.suffix".
long param_table_add_in(ParamTable *t, const char *module, const char *suffix, int ndim, const int *shape,
                        ParamLayout layout);
const ParamEntry *param_table_find(const ParamTable *t, const char *name);

// A contiguous run of trainable entries in the buffers: what an optimiser updates.
typedef struct {
  long offset, numel;
} ParamSpan;

// The table's trainable runs in buffer order (adjacent trainable entries merged) into
// spans[max]; returns how many, or -1 (odp_error set) when there are more than max.
int param_table_trainable(const ParamTable *t, ParamSpan *spans, int max);
// One past the last trainable float: optimiser state covers [0, end).
long param_table_trainable_end(const ParamTable *t);
void param_table_free(ParamTable *t);

// Convert one tensor between PyTorch layout and its storage in the buffer.
void param_to_pytorch(const ParamEntry *e, const float *stored, float *pytorch);
void param_from_pytorch(const ParamEntry *e, const float *pytorch, float *stored);

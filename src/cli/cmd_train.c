// onedp train CONFIG [key=value ...] -o RUNDIR [--resume]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/error.h"
#include "train/teacher.h"

static void print_help(void) {
  printf(
      "usage: onedp train CONFIG.json [key=value ...] -o RUNDIR\n"
      "       onedp train --resume -o RUNDIR\n\n"
      "Trains a Diffusion Policy teacher (DDPM noise prediction, AdamW + cosine warm-up +\n"
      "EMA) on the demonstrations the config names. Overrides use dotted keys that exist\n"
      "in the config, e.g. train.steps=2000 train.batch=128 model.down_dims=64,128,256.\n\n"
      "RUNDIR receives policy.safetensors (the EMA policy, for `onedp eval`), the training\n"
      "state (for --resume), config.json and log.jsonl (one JSON object per logged step).\n"
      "Every key of the config must be one onedp reads (a misspelt key is an error).\n\n"
      "Checkpoints are written atomically every train.checkpoint_every steps (temp file,\n"
      "fsync, rename), so a run killed at any moment, even mid-write, leaves its last\n"
      "checkpoint whole; --resume continues from it to the same parameters an\n"
      "uninterrupted run reaches, first dropping the log lines written after it (the first\n"
      "line after a resume averages the steps since the resume). --until STEP stops early\n"
      "with a checkpoint, e.g. to split a long run. A new run refuses a RUNDIR that holds\n"
      "one; one process at a time may use a RUNDIR. A loss or parameter that becomes NaN\n"
      "or infinite stops the run (exit 1) naming the step, without saving over the last\n"
      "good checkpoint. train.keep_checkpoints=1 also keeps each checkpoint's policy as\n"
      "RUNDIR/policy_step<N>.safetensors (a training curve: evaluate each).\n"
      "A progress bar with steps/s and ETA is drawn when stderr is a terminal.\n\n"
      "Data-parallel: mpirun -np N build-mpi/onedp train ... (`make mpi`) splits every batch\n"
      "across N processes (same global batch and sample stream; train.threads=0 divides the\n"
      "cores among the ranks on a computer; rank 0 writes RUNDIR; --resume works with another\n"
      "N): docs/scale_out.md.\n\n"
      "Configs shipped in configs/: *_keypoints_small.json (the shipped teacher, ~15 min on\n"
      "2 cores), *_keypoints_paper.json (the reference's 66M model, GPU-scale),\n"
      "pusht_image_cpu.json (an image policy on a CPU budget: ResNet-18-GN at width 16 + the\n"
      "small U-Net), pusht_image_paper.json (the reference's 263M image policy, GPU-scale).\n");
}

int cmd_train(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  const char *config = NULL, *rundir = NULL;
  char *overrides[256];
  int n_overrides = 0, resume = 0;
  long until = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
      if (++i >= argc) return fprintf(stderr, "onedp train: -o needs a directory\n"), 2;
      rundir = argv[i];
    } else if (!strcmp(argv[i], "--until")) {
      char *end;
      if (++i >= argc || (until = strtol(argv[i], &end, 10)) <= 0 || *end)
        return fprintf(stderr, "onedp train: --until needs a positive step count\n"), 2;
    } else if (!strcmp(argv[i], "--resume")) {
      resume = 1;
    } else if (strchr(argv[i], '=') && argv[i][0] != '-') {
      if (n_overrides == 256) return fprintf(stderr, "onedp train: too many overrides\n"), 2;
      overrides[n_overrides++] = argv[i];
    } else if (argv[i][0] == '-') {
      return fprintf(stderr, "onedp train: unknown option '%s' (see onedp train --help)\n", argv[i]), 2;
    } else if (!config) {
      config = argv[i];
    } else {
      return fprintf(stderr, "onedp train: unexpected argument '%s'\n", argv[i]), 2;
    }
  }
  if (!rundir) return fprintf(stderr, "onedp train: missing -o RUNDIR (see onedp train --help)\n"), 2;
  if (!config && !resume) return fprintf(stderr, "onedp train: missing CONFIG (see onedp train --help)\n"), 2;
  if (train_teacher(config, n_overrides, overrides, rundir, resume, until)) {
    fprintf(stderr, "onedp train: %s\n", odp_error());
    return 1;
  }
  return 0;
}

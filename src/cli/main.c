// onedp: fast visuomotor diffusion policies, from training to one-step inference.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "dist/dist.h"

static const Command commands[] = {
    {"train", cmd_train, "train a Diffusion Policy teacher on demonstrations"},
    {"distill", cmd_distill, "distill a teacher into a one-step policy (OneDP-S / OneDP-D)"},
    {"report", cmd_report, "HTML report: policy table, score vs Hz, distillation losses, rollout GIFs"},
    {"info", cmd_info, "summarise a checkpoint or model config (parameters, shapes, cost)"},
    {"bench", cmd_bench, "time the U-Net against the machine's memory and compute floors"},
    {"dataset", cmd_dataset, "zarr replay buffer: arrays, shapes, episode statistics"},
    {"render", cmd_render, "animated GIF of a demonstration episode"},
    {"env", cmd_env, "an environment's seeded reset; --bench for steps/s and frames/s"},
    {"demos", cmd_demos, "scripted demonstrations of an arm task as a robomimic HDF5 file"},
    {"replay", cmd_replay, "replay demonstrations through their environment: fidelity"},
    {"eval", cmd_eval, "closed-loop policy evaluation on its task's seeds: score, success, Hz"},
    {"import", cmd_import, "convert a LeRobot or Diffusion Policy checkpoint into an onedp one"},
    {"serve", cmd_serve, "serve a policy over ZeroMQ: sessions, batched network calls"},
};
static const int command_count = sizeof commands / sizeof commands[0];

int wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: onedp <command> [options]   (onedp <command> --help for its options)\n\ncommands:\n");
  for (int i = 0; i < command_count; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv) {
  blas_prefer_wide_kernels(argv);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  for (int i = 0; i < command_count; i++) {
    if (strcmp(argv[1], commands[i].name)) continue;
    // Under mpirun (the MPI build) each process is a rank of one data-parallel job (dist/dist.h).
    if (dist_init(&argc, &argv)) return fprintf(stderr, "onedp: %s\n", odp_error()), 1;
    return dist_finish(commands[i].run(argc - 1, argv + 1));
  }
  fprintf(stderr, "onedp: unknown command '%s' (see onedp --help)\n", argv[1]);
  return 2;
}

// Subcommands of `onedp`. Each lives in src/cli/cmd_<name>.c, parses its own
// arguments, answers --help, and returns the process exit code.
#pragma once

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);  // argv[0] is the subcommand name
  const char *summary;
} Command;

int cmd_dataset(int argc, char **argv);  // cmd_dataset.c
int cmd_render(int argc, char **argv);   // cmd_render.c
int cmd_env(int argc, char **argv);      // cmd_env.c
int cmd_replay(int argc, char **argv);   // cmd_replay.c
int cmd_eval(int argc, char **argv);     // cmd_eval.c




int cmd_info(int argc, char **argv);   // cmd_info.c
int cmd_bench(int argc, char **argv);  // cmd_bench.c
int bench_api(int argc, char **argv);  // cmd_bench_api.c: onedp bench api

int cmd_train(int argc, char **argv);  // cmd_train.c
int cmd_distill(int argc, char **argv);  // cmd_distill.c
int cmd_report(int argc, char **argv);   // cmd_report.c

// True when argv holds -h or --help.
int wants_help(int argc, char **argv);

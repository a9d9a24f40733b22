// Subcommands of `onedp`. Each lives in src/cli/cmd_<name>.c, parses its own
// arguments, answers --help, and returns the process exit code.
#pragma once
#include <stdio.h>

#include "env/env.h"

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);  // argv[0] is the subcommand name
  const char *summary;
} Command;

int cmd_dataset(int argc, char **argv);  // cmd_dataset.c
int cmd_render(int argc, char **argv);   // cmd_render.c
int cmd_env(int argc, char **argv);      // cmd_env.c
int cmd_demos(int argc, char **argv);    // cmd_demos.c
int cmd_replay(int argc, char **argv);   // cmd_replay.c
int cmd_eval(int argc, char **argv);     // cmd_eval.c
int cmd_serve(int argc, char **argv);    // cmd_serve.c
int cmd_import(int argc, char **argv);   // cmd_import.c




int cmd_info(int argc, char **argv);   // cmd_info.c
int cmd_bench(int argc, char **argv);  // cmd_bench.c
int bench_api(int argc, char **argv);  // cmd_bench_api.c: onedp bench api
int bench_encoder(int argc, char **argv);  // cmd_bench_encoder.c: onedp bench encoder

int cmd_train(int argc, char **argv);  // cmd_train.c
int cmd_distill(int argc, char **argv);  // cmd_distill.c
int cmd_report(int argc, char **argv);   // cmd_report.c

// True when argv holds -h or --help.
int wants_help(int argc, char **argv);

// Environments' own command-line tools (env/env.h EnvTool), found by command (env_tool.c).
const EnvTool *env_tool_find(const EnvOps *ops, const char *command);
// The env named `name` (NULL: the first registered) when it offers `command`, else NULL.
const EnvOps *env_tool_owner(const char *command, const char *name);
// "a, b": the envs offering `command`, into buf.
const char *env_tool_owners(const char *command, char *buf, int size);
// Every env's --help text for `command`, each under its name.
void env_tool_help(const char *command, FILE *f);
// Runs `command`'s tool of the env `--env NAME` selects (default: the first offering it),
// with --env NAME taken out of argv; returns the exit code.
int env_tool_run_named(const char *command, int argc, char **argv);
// `onedp COMMAND NAME ...`: the tool of the env NAME (argv[1]), or exit code 2 with one line
// naming the envs that offer it (`noun`: what NAME is called, "environment", "task").
int env_tool_dispatch(const char *command, const char *noun, int argc, char **argv);

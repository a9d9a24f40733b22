// Subcommands of `onedp`. Each lives in src/cli/cmd_<name>.c, parses its own
// arguments, answers --help, and returns the process exit code.
#pragma once

typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);  // argv[0] is the subcommand name
  const char *summary;
} Command;

int cmd_dataset(int argc, char **argv);  // cmd_dataset.c




// True when argv holds -h or --help.
int wants_help(int argc, char **argv);

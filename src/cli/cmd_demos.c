// onedp demos TASK ...: scripted demonstrations of a task, the environment's own tool
// (env/env.h EnvTool), dispatched like onedp env.
#include <stdio.h>

#include "cli/commands.h"

static void usage(FILE *f) {
  char names[256];
  fprintf(f, "usage: onedp demos TASK -o FILE.hdf5 [options]   (TASK: %s)\n", env_tool_owners("demos", names, sizeof names));
  env_tool_help("demos", f);
}

int cmd_demos(int argc, char **argv) {
  if (wants_help(argc, argv)) return usage(stdout), 0;
  return env_tool_dispatch("demos", "task", argc, argv);
}

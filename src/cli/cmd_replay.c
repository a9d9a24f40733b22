// onedp replay PATH [--env NAME]: replays an environment's demonstrations open loop
// through it and reports how faithfully it reproduces them (the env's own tool).
#include <stdio.h>

#include "cli/commands.h"

static void usage(FILE *f) {
  char names[256];
  fprintf(f,
          "usage: onedp replay PATH [--env NAME] [options]\n\n"
          "Runs the replay check of environment NAME (default the first of: %s) on the\n"
          "demonstrations in PATH; its options:\n",
          env_tool_owners("replay", names, sizeof names));
  env_tool_help("replay", f);
}

int cmd_replay(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  return env_tool_run_named("replay", argc, argv);
}

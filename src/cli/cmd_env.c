// onedp env NAME ...: an environment's own checks (e.g. its seeded reset, --bench for
// stepping and rendering throughput), each environment's tool found through the
// registry (env/env.h).
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static void usage(FILE *f) {
  char names[256];
  fprintf(f, "usage: onedp env NAME [options]   (NAME: %s)\n", env_tool_owners("env", names, sizeof names));
  env_tool_help("env", f);
}

int cmd_env(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  return env_tool_dispatch("env", "environment", argc, argv);
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/error.h"
#include "env/env.h"

const EnvTool *env_tool_find(const EnvOps *ops, const char *command) {
  for (const EnvTool *t = ops->tools; t && t->command; t++)
    if (!strcmp(t->command, command)) return t;
  return NULL;
}

const EnvOps *env_tool_owner(const char *command, const char *name) {
  for (const EnvOps *const *e = env_registry(); *e; e++)
    if ((!name || !strcmp((*e)->name, name)) && env_tool_find(*e, command)) return *e;
  return NULL;
}

const char *env_tool_owners(const char *command, char *buf, int size) {
  int len = 0;
  buf[0] = 0;
  for (const EnvOps *const *e = env_registry(); *e && len < size; e++)
    if (env_tool_find(*e, command)) len += snprintf(buf + len, (size_t)(size - len), "%s%s", len ? ", " : "", (*e)->name);
  return buf;
}

void env_tool_help(const char *command, FILE *f) {
  for (const EnvOps *const *e = env_registry(); *e; e++) {
    const EnvTool *t = env_tool_find(*e, command);
    if (t) fprintf(f, "\n[%s]\n%s", (*e)->name, t->help);
  }
}

int env_tool_run_named(const char *command, int argc, char **argv) {
  const char *name = NULL;
  char **rest = malloc((size_t)(argc + 1) * sizeof *rest), owners[256];
  int n = 0;
  if (!rest) return fprintf(stderr, "onedp %s: out of memory\n", command), 1;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--env")) rest[n++] = argv[i];
    else if (i + 1 < argc) name = argv[++i];
    else return free(rest), fprintf(stderr, "onedp %s: option --env needs a value\n", command), 2;
  }
  rest[n] = NULL;
  const EnvOps *ops = env_tool_owner(command, name);
  int rc = ops ? env_tool_find(ops, command)->run(n, rest) : 2;
  if (!ops)
    fprintf(stderr, "onedp %s: --env %s: no environment of that name offers it (%s)\n", command, name,
            env_tool_owners(command, owners, sizeof owners));
  free(rest);
  return rc;
}

int env_tool_dispatch(const char *command, const char *noun, int argc, char **argv) {
  const EnvOps *ops = argc < 2 ? NULL : env_tool_owner(command, argv[1]);
  if (ops) return env_tool_find(ops, command)->run(argc, argv);
  char names[256];
  fprintf(stderr, "onedp %s: unknown %s '%s' (%s; see onedp %s --help)\n", command, noun, argc < 2 ? "" : argv[1],
          env_tool_owners(command, names, sizeof names), command);
  return 2;
}

// onedp import SRC -o OUT.safetensors [--task pusht]: a policy trained in PyTorch as an
// onedp checkpoint (model/policy_import.h).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "env/env.h"
#include "model/policy_import.h"

static const char *const valued[] = {"-o", "--task", NULL};

static void usage(FILE *f) {
  fprintf(f,
          "usage: onedp import SRC -o OUT.safetensors [--task pusht]\n\n"
          "Converts a diffusion policy trained in PyTorch into an onedp checkpoint that `eval`,\n"
          "`distill`, `serve` and the runtime API run like any onedp teacher:\n"
          "  a LeRobot directory      config.json (\"type\": \"diffusion\") and model.safetensors, its\n"
          "                           normalization in the model file or in lerobot >= 0.4's\n"
          "                           policy_pre/postprocessor files; read natively\n"
          "  a Diffusion Policy .ckpt a workspace checkpoint (a dill pickle): read by\n"
          "                           scripts/import_dp_ckpt.py with Debian's python3-torch (never in C),\n"
          "                           its EMA weights when it has them\n"
          "  an exported .safetensors that script's output (when it ran elsewhere)\n"
          "Low-dim U-Net policies only; others are refused with the reason.\n\n"
          "  -o FILE        the onedp checkpoint to write\n"
          "  --task NAME    the onedp task it runs on: its observation frame is put in the task's\n"
          "                 order (pusht: LeRobot's observation.environment_state = the 9 block\n"
          "                 keypoints, then observation.state = agent_pos) and its demonstrations\n"
          "                 recorded for `distill`; default: none recorded\n");
}

static int is_dir(const char *p) {
  struct stat sb;
  return !stat(p, &sb) && S_ISDIR(sb.st_mode);
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), t = strlen(tail);
  return n >= t && !strcmp(s + n - t, tail);
}

// scripts/import_dp_ckpt.py next to this build (../scripts from the executable's folder, or
// $ONEDP_SCRIPTS), run with Debian's interpreter into `exported`.
static int export_ckpt(const char *ckpt, const char *exported) {
  char self[4096], script[4600];
  const char *dir = getenv("ONEDP_SCRIPTS");
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (dir) snprintf(script, sizeof script, "%s/import_dp_ckpt.py", dir);
  else if (n > 0) {
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash) *slash = 0;
    snprintf(script, sizeof script, "%s/../scripts/import_dp_ckpt.py", self);
  }
  if (access(script, R_OK)) return odp_fail("%s: the converter script %s is not there (set ONEDP_SCRIPTS)", ckpt, script);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/usr/bin/python3", "python3", script, ckpt, exported, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return odp_fail("%s: cannot run %s", ckpt, script);
  if (!WIFEXITED(status) || WEXITSTATUS(status))
    return odp_fail("%s: %s failed (exit %d; it needs /usr/bin/python3 with python3-torch, python3-dill, python3-omegaconf)",
                    ckpt, script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return ODP_OK;
}

int cmd_import(int argc, char **argv) {
  if (wants_help(argc, argv)) return usage(stdout), 0;
  const char *unknown = arg_unknown(argc, argv, valued, NULL);
  if (unknown) return fprintf(stderr, "onedp import: unknown option '%s' (onedp import --help)\n", unknown), 2;
  const char *src = arg_positional(argc, argv, valued), *out = arg_string(argc, argv, "-o", NULL);
  if (!src || !out) return fprintf(stderr, "onedp import: needs SRC and -o OUT.safetensors (onedp import --help)\n"), 2;
  ImportOptions o = {.task = arg_string(argc, argv, "--task", NULL)};
  if (o.task) {  // its demonstrations too, so `distill` finds them
    const EnvOps *env = env_find(o.task);
    if (!env) return fprintf(stderr, "onedp import: --task: %s\n", odp_error()), 2;
    o.dataset = env->demo_store;
    for (const EnvObsKey *k = env->obs_keys; k && k->name; k++)  // the key naming the whole low-dim vector
      if (k->offset == 0 && k->dim == env->obs_dim) o.obs_key = k->name;
  }
  int rc;
  if (is_dir(src)) {
    rc = import_lerobot(src, out, &o);
  } else if (ends_with(src, ".ckpt")) {
    char exported[] = "/tmp/onedp_import_XXXXXX.safetensors";
    int fd = mkstemps(exported, 12);
    if (fd >= 0) close(fd);
    rc = fd < 0 ? odp_fail("cannot create a temporary file") : export_ckpt(src, exported) || import_diffusion_policy(exported, out, &o);
    unlink(exported);
  } else {
    rc = import_diffusion_policy(src, out, &o);
  }
  if (rc) return fprintf(stderr, "onedp import: %s\n", odp_error()), 1;
  printf("import: %s -> %s\n", src, out);
  return 0;
}

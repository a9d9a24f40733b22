// onedp distill TEACHER --variant s|d [key=value ...] -o RUNDIR
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "core/error.h"
#include "distill/consistency.h"
#include "distill/onedp.h"

static void print_help(void) {
  printf(
      "usage: onedp distill TEACHER.safetensors [--variant s|d|cp] [--config FILE] [key=value ...] -o RUNDIR\n"
      "       onedp distill TEACHER.safetensors --resume -o RUNDIR\n\n"
      "Distills a Diffusion Policy teacher into a One-Step Diffusion Policy generator:\n"
      "  s  OneDP-S: stochastic generator z ~ N(0, I), with a generator score network\n"
      "     trained on the generator's own samples (default)\n"
      "  d  OneDP-D: deterministic generator (z = 0), analytic generator score\n"
      "  cp Consistency Policy (EDM teachers): a student G(x, t, s) with the stop time as a\n"
      "     second time input, trained on the CTM loss against one teacher Heun step plus\n"
      "     the denoising loss; options from configs/distill_cp.json (keys cp.*);\n"
      "     evaluate with --sampler cp:1 or cp:3\n"
      "Both start from copies of the teacher and minimise the reverse KL along the\n"
      "diffusion chain (k uniform in [k_min, k_max], weight sigma_k^2). Options come from\n"
      "--config (default configs/distill_onedp.json) and dotted overrides, e.g.\n"
      "distill.steps=500 distill.lr_generator=1e-5 distill.batch=64.\n"
      "distill.regression_weight=W adds DMD's paired regression: before the first step the\n"
      "teacher samples distill.regression_pairs chunks with distill.regression_sampler (ddim:10)\n"
      "from fixed noises z, and the generator also regresses G(z, O) onto them;\n"
      "distill.kl_weight=0 trains on the regression alone; distill.init_generator=STUDENT\n"
      "starts the generator from another student (the two-stage recipe, README).\n"
      "distill.disc_weight=W (OneDP-S) trains DMD2's discriminator on the score network's\n"
      "features (demonstrations vs generator samples diffused to k <= distill.disc_k_max,\n"
      "head lr distill.lr_disc), distill.gan_weight=G adds the generator's adversarial\n"
      "loss through it; distill.score_updates=N gives the score network N updates per\n"
      "generator update. Their measured effect: docs/onedp_budget.md.\n"
      "distill.ema_decay=D (e.g. 0.99) ships an exponential moving average of the generator\n"
      "(Diffusion Policy's warm-up, capped at D) instead of its last weights: the arm tasks'\n"
      "students swing from checkpoint to checkpoint without it (docs/arm_tasks.md).\n\n"
      "RUNDIR receives policy.safetensors (the student; evaluate with\n"
      "`onedp eval RUNDIR/policy.safetensors --sampler onestep`), train_state.safetensors\n"
      "(--resume), distill.json and log.jsonl. --until STEP stops early with a checkpoint.\n"
      "Checkpoints, --resume and divergence behave as for `onedp train` (see its --help):\n"
      "a kill never leaves a half-written checkpoint, a resumed run reaches the same\n"
      "student, a NaN or infinite loss stops the run naming the step.\n\n"
      "Data-parallel: mpirun -np N build-mpi/onedp distill ... (`make mpi`) gives each rank a\n"
      "share of every batch (OneDP-S/-D; Consistency Policy runs in one process); see\n"
      "docs/scale_out.md.\n");
}

int cmd_distill(int argc, char **argv) {
  if (wants_help(argc, argv)) return print_help(), 0;
  const char *teacher = NULL, *rundir = NULL, *config = NULL, *variant = NULL;
  char *overrides[257], variant_override[32];
  int n = 0, resume = 0;
  long until = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int valued = !strcmp(a, "-o") || !strcmp(a, "--config") || !strcmp(a, "--variant") || !strcmp(a, "--until");
    if (valued && i + 1 >= argc) return fprintf(stderr, "onedp distill: %s needs a value\n", a), 2;
    if (!strcmp(a, "-o")) rundir = argv[++i];
    else if (!strcmp(a, "--config")) config = argv[++i];
    else if (!strcmp(a, "--variant")) variant = argv[++i];
    else if (!strcmp(a, "--until")) {
      char *end;
      if ((until = strtol(argv[++i], &end, 10)) <= 0 || *end)
        return fprintf(stderr, "onedp distill: --until needs a positive step count\n"), 2;
    } else if (!strcmp(a, "--resume")) resume = 1;
    else if (a[0] != '-' && strchr(a, '=')) {
      if (n == 256) return fprintf(stderr, "onedp distill: too many overrides\n"), 2;
      overrides[n++] = argv[i];
    } else if (a[0] == '-') return fprintf(stderr, "onedp distill: unknown option '%s' (see --help)\n", a), 2;
    else if (!teacher) teacher = a;
    else return fprintf(stderr, "onedp distill: unexpected argument '%s'\n", a), 2;
  }
  if (!teacher || !rundir) return fprintf(stderr, "onedp distill: needs TEACHER and -o RUNDIR (see --help)\n"), 2;
  char state[1200];  // a resumed run is a Consistency Policy run when its directory holds cp.json
  snprintf(state, sizeof state, "%s/cp.json", rundir);
  const int cp = (variant && !strcmp(variant, "cp")) || (resume && access(state, F_OK) == 0);
  if (!config && !resume) config = cp ? "configs/distill_cp.json" : "configs/distill_onedp.json";
  if (variant && !cp) {
    if (strcmp(variant, "s") && strcmp(variant, "d"))
      return fprintf(stderr, "onedp distill: --variant must be s, d or cp (got '%s')\n", variant), 2;
    snprintf(variant_override, sizeof variant_override, "distill.variant=%s", variant);
    overrides[n++] = variant_override;
  }
  if ((cp ? distill_cp : distill_onedp)(teacher, config, n, overrides, rundir, resume, until)) {
    fprintf(stderr, "onedp distill: %s\n", odp_error());
    return 1;
  }
  return 0;
}

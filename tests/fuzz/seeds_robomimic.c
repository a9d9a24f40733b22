// fuzz_robomimic's seeds, #included by tests/fuzz/seeds.c (it uses seed): programs for the
// harness's file builder (choice 0 is always the well-formed option): one valid demo, thirteen
// valid demos (numeric order: demo_10 after demo_9), and pseudo-random programs that reach the
// odd members, attribute kinds and dataset shapes.
static void robomimic_seeds(void) {
  uint8_t prog[512] = {0};
  seed("robomimic", "one-demo", prog, 96);
  prog[1] = 12;  // members - 1
  seed("robomimic", "thirteen-demos", prog, sizeof prog);
  for (int k = 0; k < 4; k++) {
    uint32_t x = 12345u + (uint32_t)k;
    for (size_t i = 0; i < sizeof prog; i++) x = x * 1103515245u + 12345u, prog[i] = (uint8_t)(x >> 16);
    for (size_t i = 2; i < sizeof prog; i++) prog[i] = prog[i] % 6 ? 0 : prog[i];  // mostly well formed
    prog[0] = 0, prog[1] = (uint8_t)(4 + k);
    char name[32];
    snprintf(name, sizeof name, "varied-%d", k);
    seed("robomimic", name, prog, sizeof prog);
  }
}

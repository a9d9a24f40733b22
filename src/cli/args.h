// Small helpers for subcommand options of the form --name VALUE.
#pragma once

// The value after `name`, or `fallback` when absent.
const char *arg_string(int argc, char **argv, const char *name, const char *fallback);
// Integer option; exits with a message when the value is not an integer in [min, max].
int arg_int(int argc, char **argv, const char *name, int fallback, int min, int max);
// Number option; exits with a message when the value is not a number in [min, max].
double arg_double(int argc, char **argv, const char *name, double fallback, double min, double max);
// Thread counts of --threads "A,B,..." (each in [1, 1024]) into out[max]; the default is
// "1,<all cores>" ("1" on one core). Exits with a message on a malformed list. Returns how many.
int arg_thread_counts(int argc, char **argv, int *out, int max);
// True when the flag is present.
int arg_flag(int argc, char **argv, const char *name);
// The first option (an argument starting with '-') that is neither in `valued` (which take
// a value: skipped with it) nor in `flags` (both NULL-terminated or NULL); NULL when none.
const char *arg_unknown(int argc, char **argv, const char *const *valued, const char *const *flags);
// First argument that is not an option or an option's value (options listed in
// `valued`, NULL-terminated, take a value); NULL when none.
const char *arg_positional(int argc, char **argv, const char *const *valued);

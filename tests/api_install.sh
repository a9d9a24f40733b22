#!/bin/bash
# Install (cmake --install, as `make install PREFIX=...`) into a temporary prefix, build examples/act_loop.c with nothing but
# `cc ... $(pkg-config --cflags --libs onedp)`, run it on the shipped OneDP-S student with
# fixed observations and seed, and require its output to equal, character for character,
# the evaluator's path (tests/api/api_ref.c: policy_predict on the evaluator's history and
# round seeds). Exact, not 1e-6: the library and api_ref run the same objects and kernels
# on the same machine, and %.9g prints every float exactly, so any difference is a bug.
# usage: api_install.sh BUILD_DIR API_REF_BINARY WORK_DIR
set -euo pipefail
build=$1 ref=$2 work=$3
src=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"  # what `make install PREFIX=` runs
for f in include/onedp.h lib/libonedp.so lib/libonedp.so.0 lib/libonedp.a lib/pkgconfig/onedp.pc bin/onedp; do
  test -e "$prefix/$f" || { echo "not installed: $f"; exit 1; }
done
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -O2 -Wall -Wextra -Werror "$src/examples/act_loop.c" $(pkg-config --cflags --libs onedp) -o "$work/act_loop"
ckpt=$src/models/pusht_onedp_s.safetensors
LD_LIBRARY_PATH=$prefix/lib "$work/act_loop" "$ckpt" 40 7 > "$work/api.txt"
"$ref" "$ckpt" 40 7 > "$work/ref.txt"
if ! cmp -s "$work/api.txt" "$work/ref.txt"; then
  diff "$work/api.txt" "$work/ref.txt" | head; echo "act_loop differs from the evaluator's path"; exit 1
fi
# The static library links with pkg-config --static too.
cc -O2 "$src/examples/act_loop.c" $(pkg-config --cflags onedp) "$prefix/lib/libonedp.a" \
  $(pkg-config --libs-only-other --libs-only-l --static onedp | sed 's/-lonedp//') -o "$work/act_loop_static"
"$work/act_loop_static" "$ckpt" 40 7 | cmp -s - "$work/ref.txt" || { echo "static act_loop differs"; exit 1; }
echo "ok: $(wc -l < "$work/api.txt") ticks identical (shared and static), $(head -1 "$work/api.txt")"

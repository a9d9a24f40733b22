#!/usr/bin/env bash
# usage: blas_kernels.sh ONEDP
# On an AVX-512 CPU onedp runs OpenBLAS's 512-bit kernels even where OpenBLAS does not
# recognise the CPU (it re-executes itself with OPENBLAS_CORETYPE=SkylakeX), and keeps a
# kernel set the user chose, with a note that it is narrower than the CPU.
set -euo pipefail
onedp=$1
fail() { echo "blas_kernels: FAIL: $*" >&2; exit 1; }
kernels() {  # the kernel set `onedp bench` reports (its stderr in $err)
  "$@" bench unet --preset small --threads 1 --reps 1 --skip-train 2>"$err" | sed -n 's/^OpenBLAS kernels: \([^ ]*\).*/\1/p'
}
err=$(mktemp); trap 'rm -f "$err"' EXIT
avx512=1
for f in avx512f avx512bw avx512dq avx512vl; do grep -qw "$f" /proc/cpuinfo || avx512=0; done

auto=$(kernels env -u OPENBLAS_CORETYPE "$onedp")
[ -n "$auto" ] || fail "onedp bench named no kernel set"
if [ $avx512 = 1 ]; then
  case ${auto,,} in skylakex|cooperlake|sapphirerapids) ;; *) fail "AVX-512 CPU, but OpenBLAS ran $auto kernels";; esac
  ! grep -q "note:" "$err" || fail "a note on the automatic choice: $(cat "$err")"
fi
chosen=$(kernels env OPENBLAS_CORETYPE=Haswell "$onedp")
[ "$chosen" = Haswell ] || fail "OPENBLAS_CORETYPE=Haswell ran $chosen kernels"
if [ $avx512 = 1 ]; then grep -q "OPENBLAS_CORETYPE=Haswell runs 256-bit" "$err" || fail "no note on the narrow choice"; fi
echo "blas_kernels: ok (automatic: $auto; OPENBLAS_CORETYPE=Haswell: $chosen; AVX-512 CPU: $avx512)"

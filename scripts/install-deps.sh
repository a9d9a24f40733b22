#!/usr/bin/env bash
# Installs the Debian packages onedp builds, tests and benchmarks with.
# Idempotent: installs only what is missing; runs `apt-get update` only then.
set -euo pipefail

packages=(
  cmake make gcc pkg-config binutils   # binutils: readelf (the runtime library's NEEDED check)
  libopenblas-openmp-dev   # GEMM; the OpenMP build defers to our own parallel regions
  libchipmunk-dev          # PushT physics (the engine under the reference's pymunk)
  libblosc-dev             # zarr chunk decompression
  libcjson-dev             # configs, safetensors headers, zarr metadata
  libgif-dev               # rollout GIFs
  libzmq3-dev              # onedp serve (ZeroMQ)
  libmujoco-dev            # the arm tasks' physics (MuJoCo 2.2.2)
  libosmesa6-dev           # their offscreen cameras (OSMesa)
  libxml2-dev              # composing their MJCF scenes from robosuite's asset files
  libhdf5-dev              # robomimic HDF5 datasets
  libopenmpi-dev openmpi-bin   # `make mpi`: data-parallel training and evaluation under mpirun
  python3-h5py             # the HDF5 oracle (tests write robomimic-style files with h5py)
  python3-torch python3-torchvision python3-numpy python3-shapely   # test oracles only
  python3-zmq              # the Python serve client (examples/serve_client.py) and its test
  python3-dill python3-omegaconf   # reading Diffusion Policy workspace checkpoints (scripts/import_dp_ckpt.py)
  clang libclang-rt-dev libomp-dev llvm         # fuzz harnesses: libFuzzer, clang's OpenMP, llvm-symbolizer
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Data-parallel training, distillation and evaluation under mpirun (src/dist/dist.h,
# README "Scale-out"), on this machine over loopback, against the plain build:
#   -np 1 is bit-identical to the plain build (training state, students, eval results);
#   -np 2 matches it to float tolerance over 20 steps (state and loss curve), for a low-dim
#   and an image teacher and for OneDP-S (KL, regression pairs, discriminator) and OneDP-D;
#   a run resumes with another rank count; eval's merged result equals a single process's;
#   a rank killed mid-run ends the job non-zero within seconds naming the rank, and the last
#   checkpoint resumes.
# usage: mpi.sh PLAIN_ONEDP MPI_ONEDP WORKDIR
set -euo pipefail
plain=$1 mpi=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
here=$(cd "$(dirname "$0")" && pwd)
compare() { /usr/bin/python3 "$here/mpi_compare.py" "$@"; }
# Loopback only; as root on CI machines; shared memory without ptrace (containers); bounded.
np() {
  local n=$1; shift
  timeout 300 mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader,tcp \
    --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo --mca btl_vader_single_copy_mechanism none \
    -x OMP_NUM_THREADS -x OMP_WAIT_POLICY -np "$n" "$mpi" "$@"
}
tol=1e-4  # relative to each tensor's largest magnitude; float summation order is all that differs

tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=20 train.warmup_steps=3
      train.log_every=2 train.val_every=10 train.checkpoint_every=5)
"$plain" train configs/pusht_keypoints_small.json "${tiny[@]}" -o "$work/plain" 2>/dev/null
np 1 train configs/pusht_keypoints_small.json "${tiny[@]}" -o "$work/np1" 2>/dev/null
cmp "$work/plain/train_state.safetensors" "$work/np1/train_state.safetensors"
cmp "$work/plain/policy.safetensors" "$work/np1/policy.safetensors"
np 2 train configs/pusht_keypoints_small.json "${tiny[@]}" -o "$work/np2" 2>"$work/np2.err"
grep -q '"ranks": 2, "allreduce_s"' "$work/np2/log.jsonl"
compare "$work/plain" "$work/np2" $tol
# An odd batch (13 rows: shares of 7 and 6) and an epoch's short last batch on both ranks.
odd=("${tiny[@]}" train.batch=13 task.max_train_episodes=2 train.steps=12)
"$plain" train configs/pusht_keypoints_small.json "${odd[@]}" -o "$work/odd_plain" 2>/dev/null
np 2 train configs/pusht_keypoints_small.json "${odd[@]}" -o "$work/odd_np2" 2>/dev/null
compare "$work/odd_plain" "$work/odd_np2" $tol

# Resume with another rank count: 2 ranks to step 10, then 1 process; and 1 then 2.
np 2 train configs/pusht_keypoints_small.json "${tiny[@]}" --until 10 -o "$work/resume21" 2>/dev/null
"$plain" train --resume -o "$work/resume21" 2>/dev/null
compare "$work/plain" "$work/resume21" $tol
"$plain" train configs/pusht_keypoints_small.json "${tiny[@]}" --until 10 -o "$work/resume12" 2>/dev/null
np 2 train --resume -o "$work/resume12" 2>/dev/null
compare "$work/plain" "$work/resume12" $tol

# An image teacher: each rank crops its own frames (drawn at their places in the batch).
image=(model.down_dims=16,32 model.diffusion_step_embed_dim=16 train.batch=6 train.steps=4
       train.warmup_steps=1 train.log_every=1 train.val_every=0 train.checkpoint_every=4 task.max_train_episodes=3)
"$plain" train configs/pusht_image_cpu.json "${image[@]}" -o "$work/image_plain" 2>/dev/null
np 2 train configs/pusht_image_cpu.json "${image[@]}" -o "$work/image_np2" 2>/dev/null
compare "$work/image_plain" "$work/image_np2" $tol

# Distillation of the tiny teacher: OneDP-S with regression pairs and the discriminator, OneDP-D.
teacher=$work/plain/policy.safetensors
for v in s d; do
  args=(--variant $v distill.steps=6 distill.batch=16 distill.log_every=2 distill.checkpoint_every=3)
  [ $v = s ] && args+=(distill.regression_weight=0.25 distill.regression_pairs=40 distill.disc_weight=0.1
                       distill.gan_weight=0.01)
  "$plain" distill "$teacher" "${args[@]}" -o "$work/distill_${v}_plain" 2>/dev/null
  np 1 distill "$teacher" "${args[@]}" -o "$work/distill_${v}_np1" 2>/dev/null
  cmp "$work/distill_${v}_plain/train_state.safetensors" "$work/distill_${v}_np1/train_state.safetensors"
  np 2 distill "$teacher" "${args[@]}" -o "$work/distill_${v}_np2" 2>/dev/null
  compare "$work/distill_${v}_plain" "$work/distill_${v}_np2" $tol
done

# Evaluation: seeds sharded, one merged result; every field but the timings equal.
same_eval() {  # name, then eval arguments
  local name=$1; shift
  "$plain" eval "$@" --threads 1 2>/dev/null | tail -1 > "$work/eval_${name}_plain.json"
  np 2 eval "$@" --threads 1 2>/dev/null | tail -1 > "$work/eval_${name}_np2.json"
  /usr/bin/python3 - "$work/eval_${name}_plain.json" "$work/eval_${name}_np2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
timing = {"hz", "chunk_ms", "env_steps_per_s", "rollout_s", "infer_s", "wall_s", "peak_rss_mb"}
diff = sorted(k for k in a.keys() | b.keys() if k not in timing and a.get(k) != b.get(k))
assert not diff, f"{sys.argv[1]} vs {sys.argv[2]}: {diff}"
print(f"eval {sys.argv[2]}: identical ({a['episodes'] if 'episodes' in a else len(a['scores'])} episodes)")
PY
}
same_eval onestep models/pusht_onedp_s.safetensors --sampler onestep --seeds 100000:100011
same_eval ddpm models/pusht_teacher.safetensors --sampler ddpm:100 --seeds 100000:100005 --max-steps 64 --draws 2
same_eval async models/pusht_onedp_s.safetensors --sampler onestep --seeds 100000:100007 --realtime async \
  --latency-ms 150 --perturb
same_eval lift models/lift_lowdim_teacher.safetensors --sampler ddim:10 --seeds 100000:100003 --max-steps 40

# A rank killed mid-run: the job ends within seconds, non-zero, naming the rank; the last
# checkpoint resumes.
long=("${tiny[@]}" train.steps=1000000 train.log_every=10 train.checkpoint_every=50)
np 2 train configs/pusht_keypoints_small.json "${long[@]}" -o "$work/killed" > "$work/killed.out" 2>&1 &
job=$!
for _ in $(seq 600); do [ -s "$work/killed/log.jsonl" ] && grep -q '"step": 100,' "$work/killed/log.jsonl" && break; sleep 0.1; done
rank1=
for p in $(pgrep -f "$mpi train configs/pusht_keypoints_small.json" || true); do
  grep -qz '^OMPI_COMM_WORLD_RANK=1$' "/proc/$p/environ" 2>/dev/null && rank1=$p
done
[ -n "$rank1" ] || { echo "rank 1 not found"; kill $job; exit 1; }
killed_at=$(date +%s.%N)
kill -9 "$rank1"
rc=0; wait $job || rc=$?
took=$(/usr/bin/python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$killed_at" "$(date +%s.%N)")
echo "rank 1 killed: mpirun exited $rc after ${took} s"
[ "$rc" -ne 0 ] && grep -q "rank 1" "$work/killed.out"
/usr/bin/python3 -c "import sys; sys.exit(float(sys.argv[1]) > 10)" "$took"
step=$("$plain" info "$work/killed/policy.safetensors" | sed -n 's/^trained: \([0-9]*\) steps$/\1/p')
echo "last checkpoint: step $step"
np 2 train --resume --until $((step + 10)) -o "$work/killed" 2>/dev/null
"$plain" info "$work/killed/policy.safetensors" | grep -qx "trained: $((step + 10)) steps"
echo "mpi: all checks passed"

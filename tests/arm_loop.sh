#!/usr/bin/env bash
# The arm tasks end to end with a tiny model: scripted Lift demonstrations written as a
# robomimic HDF5 file (h5py reads them in robomimic's layout), a teacher trained on it,
# evaluated closed loop on its task; the tools' bad input refused with one line.
# usage: arm_loop.sh ONEDP WORKDIR
set -euo pipefail
onedp=$1; work=$2
rm -rf "$work"; mkdir -p "$work"
out=$("$onedp" demos lift --episodes 4 --seed 3 -o "$work/lift.hdf5" --images)
/usr/bin/python3 - "$work/lift.hdf5" "$out" <<'PY'
import json, sys
import h5py
f, report = h5py.File(sys.argv[1], "r"), json.loads(sys.argv[2].splitlines()[-1])
data = f["data"]
demos = sorted(data, key=lambda k: int(k.split("_")[1]))
assert demos == ["demo_0", "demo_1", "demo_2", "demo_3"], demos
assert json.loads(data.attrs["env_args"])["env_name"] == "Lift"
total = 0
for k in demos:
    d = data[k]
    n = d.attrs["num_samples"]
    total += n
    assert d["actions"].shape == (n, 7) and d["states"].shape == (n, 32), (d["actions"].shape, d["states"].shape)
    assert d["obs/object"].shape == (n, 10) and d["obs/robot0_eef_quat"].shape == (n, 4)
    assert d["obs/agentview_image"].shape == (n, 84, 84, 3) and d["obs/agentview_image"].compression == "gzip"
    assert (d["next_obs/robot0_eef_pos"][:-1] == d["obs/robot0_eef_pos"][1:]).all()
    assert d["rewards"][-1] == 1 and d["dones"][-1] == 1 and "<mujoco" in d.attrs["model_file"]
assert data.attrs["total"] == total == report["samples"], (data.attrs["total"], total, report)
print("demos:", report)
PY
# Its demos render from their states, and replay from their first state (task from env_args).
"$onedp" render "$work/lift.hdf5" --episode 1 --size 84 --out "$work/demo1.gif" | tail -1 | grep -q '"frames":'
"$onedp" render "$work/lift.hdf5" --episode 1 --size 84 --replay --out "$work/demo1r.gif" | tail -1 | grep -q '"replay":true'
tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=6 train.warmup_steps=2
      train.log_every=2 train.val_every=0 train.checkpoint_every=6 train.threads=1 task.dataset="$work/lift.hdf5")
"$onedp" train configs/lift_lowdim.json "${tiny[@]}" -o "$work/teacher"
"$onedp" eval "$work/teacher/policy.safetensors" --sampler ddim:2 --seeds 100000:100002 --threads 1 | tail -1 |
  /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["task"] == "lift" and d["episodes"] == 2 and d["env_steps"] > 0, d'
"$onedp" env lift --bench 40 | tail -1 | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["steps_per_s"] > 0, d'

refused() {  # fails with one line that contains the word given
  local want=$1; shift
  if out=$("$@" 2>&1); then echo "accepted: $*"; exit 1; fi
  if [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || ! grep -q -- "$want" <<<"$out"; then echo "bad message: $out"; exit 1; fi
}
refused "out of range" "$onedp" render "$work/lift.hdf5" --episode 9 --out "$work/x.gif"
refused "unknown task" "$onedp" demos nosuchtask -o "$work/x.hdf5"
refused "required" "$onedp" demos lift
refused "--episodes" "$onedp" demos lift --episodes 0 -o "$work/x.hdf5"
refused "--seeds" "$onedp" demos lift --seeds 0 -o "$work/x.hdf5"
refused "low_dim" "$onedp" train configs/lift_lowdim.json "${tiny[@]}" task.obs_key=keypoint -o "$work/bad"
refused "missing.hdf5" "$onedp" train configs/lift_lowdim.json "${tiny[@]}" task.dataset="$work/missing.hdf5" -o "$work/bad"
[ ! -e "$work/x.hdf5" ]
# --seeds N runs exactly N seeds: the success rate is over those, the file holds the successes.
out=$("$onedp" demos lift --seeds 2 --seed 7 -o "$work/two.hdf5")
/usr/bin/python3 - "$work/two.hdf5" "$out" <<'PY'
import json, sys
import h5py
report = json.loads(sys.argv[2].splitlines()[-1])
assert report["seeds_tried"] == 2, report
assert len(h5py.File(sys.argv[1], "r")["data"]) == report["episodes"] == round(2 * report["expert_success"]), report
PY
echo "arm_loop: passed"

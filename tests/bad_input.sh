#!/usr/bin/env bash
# usage: bad_input.sh ONEDP WORKDIR [TABLE.md]   (run from the source directory)
# Every command on bad input: a missing file, a directory, an empty file, a truncated
# file, a file of the wrong kind, NaN/Inf in the data, a wrong shape in a config, an
# unknown key, out-of-range values. Each case must exit 1 (bad input) or 2 (bad usage),
# die of no signal, print exactly one line on stderr, "onedp <command>: ...", naming the
# file and the field at fault, and leave no output file under its final name.
# (Bad input is refused before any work starts, hence exactly one line. A run that fails
# after starting, e.g. by diverging, may have printed its banner first: its error is then
# the last line; see tests/nan_guard.sh.)
# TABLE.md receives the cases as a markdown table (command | input | exit | message).
set -uo pipefail
onedp=$(realpath "$1"); work=$(realpath -m "$2"); table=${3:-}
zarr=../shared/data/pusht/pusht_cchi_v7_replay.zarr
rm -rf "$work"; mkdir -p "$work/out"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
fx=$work/fx out=$work/out

# Good inputs to break: a tiny teacher run, a distilled student, an eval result.
tiny=(model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=16 train.steps=2 train.warmup_steps=0
      train.log_every=1 train.val_every=0 train.checkpoint_every=1 train.threads=1)
cfg=configs/pusht_keypoints_small.json
"$onedp" train $cfg "${tiny[@]}" -o "$work/run" 2>/dev/null || { echo "bad_input: setup run failed" >&2; exit 1; }
"$onedp" distill "$work/run/policy.safetensors" distill.steps=4 distill.batch=16 distill.threads=1 distill.log_every=1 \
  -o "$work/student" 2>/dev/null || { echo "bad_input: setup distill failed" >&2; exit 1; }
"$onedp" eval "$work/run/policy.safetensors" --sampler ddim:1 --seeds 100000 --hz-repeats 0 --threads 1 \
  >"$work/eval.txt" 2>/dev/null || { echo "bad_input: setup eval failed" >&2; exit 1; }
icfg=configs/pusht_image_cpu.json  # a one-step image policy
"$onedp" train $icfg model.down_dims=16,32,64 model.diffusion_step_embed_dim=16 train.batch=2 train.steps=1 \
  train.warmup_steps=0 train.val_every=0 train.threads=1 -o "$work/image" 2>/dev/null ||
  { echo "bad_input: setup image run failed" >&2; exit 1; }
/usr/bin/python3 tests/bad_input_files.py "$fx" "$work/run/policy.safetensors" "$work/run/train_state.safetensors" \
  "$work/student/train_state.safetensors" $cfg "$work/student/log.jsonl" $zarr "$work/image/policy.safetensors" || exit 1
ckpt=$work/run/policy.safetensors state=$work/run/train_state.safetensors student=$work/student/policy.safetensors
printf '{"score": NaN, "score_std": 0, "success": 0, "hz": 1, "nfe": 1}\n' >"$fx/nan_eval.json"
printf '{"score": 1e999, "score_std": 0, "success": 0, "hz": 1, "nfe": 1}\n' >"$fx/inf_eval.json"
head -c 60 "$work/eval.txt" >"$fx/trunc_eval.json"
cp -r "$work/run" "$fx/nan_run" && cp "$fx/nan_state.safetensors" "$fx/nan_run/train_state.safetensors"
cp -r "$work/run" "$fx/trunc_run" && cp "$fx/trunc_state.safetensors" "$fx/trunc_run/train_state.safetensors"
cp -r "$work/run" "$fx/policy_run" && cp "$ckpt" "$fx/policy_run/train_state.safetensors"
cp -r "$work/student" "$fx/nan_student" && cp "$fx/nan_student_state.safetensors" "$fx/nan_student/train_state.safetensors"
mkdir -p "$fx/norun"; : >"$fx/a_file"

cases=0 failed=0
rows=("| command | input | exit | message |" "|---|---|---|---|")
# bad CMD INPUT NEEDLES OUTPUT -- ARGS...: NEEDLES ';'-separated strings the message must
# contain; OUTPUT a path that must not exist afterwards ('' for none). $out is emptied first.
bad() {
  local cmd=$1 input=$2 needles=$3 output=$4; shift 5
  cases=$((cases + 1))
  rm -rf "$out"; mkdir -p "$out"
  timeout -s KILL 60 "$onedp" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$? problems="" msg n
  n=$(wc -l <"$work/stderr"); msg=$(tail -n 1 "$work/stderr")
  [ $rc -eq 1 ] || [ $rc -eq 2 ] || problems+=" exit $rc;"
  [ "$n" -eq 1 ] || problems+=" $n lines on stderr;"
  local prefix="onedp $cmd: "
  [ "$cmd" = onedp ] && prefix="onedp: "
  [[ $msg == "$prefix"* ]] || problems+=" message does not start '$prefix';"
  local IFS=';'
  for needle in $needles; do [[ $msg == *"$needle"* ]] || problems+=" message lacks '$needle';"; done
  unset IFS
  [ -z "$output" ] || [ ! -e "$output" ] || problems+=" $output was written;"
  if [ -n "$problems" ]; then
    failed=$((failed + 1))
    echo "FAIL: $cmd, $input:$problems" >&2
    sed 's/^/  stderr: /' "$work/stderr" >&2
  fi
  msg=${msg//"$work/"/}
  rows+=("| $cmd | $input | $rc | \`${msg//|/\\|}\` |")
}

# ---- train CONFIG [key=value ...] -o RUNDIR
o=$out/train
bad train "config missing" "$fx/nope.json;No such file" "$o" -- train "$fx/nope.json" -o "$o"
bad train "config is a directory" "$fx/adir;directory" "$o" -- train "$fx/adir" -o "$o"
bad train "config empty" "$fx/empty.json;empty" "$o" -- train "$fx/empty.json" -o "$o"
bad train "config truncated" "$fx/trunc_config.json;JSON" "$o" -- train "$fx/trunc_config.json" -o "$o"
bad train "config is a checkpoint" "$ckpt;not a JSON config" "$o" -- train "$ckpt" -o "$o"
bad train "config is a zarr store" "$zarr;directory" "$o" -- train $zarr -o "$o"
bad train "config value Inf (1e999)" "$fx/inf_config.json;train.lr;finite" "$o" -- train "$fx/inf_config.json" -o "$o"
bad train "config value NaN" "$fx/nan_config.json;JSON" "$o" -- train "$fx/nan_config.json" -o "$o"
bad train "config key twice" "$fx/dup_config.json;train;twice" "$o" -- train "$fx/dup_config.json" -o "$o"
bad train "config unknown key" "$fx/unknown_key_config.json;train.stpes;unknown key" "$o" -- \
  train "$fx/unknown_key_config.json" -o "$o"
bad train "config down_dims []" "$fx/shape_config.json;model.down_dims" "$o" -- train "$fx/shape_config.json" -o "$o"
bad train "config obs_dim 19 (cond dim 40)" "$fx/obs_dim_config.json;policy.obs_dim" "$o" -- \
  train "$fx/obs_dim_config.json" -o "$o"
bad train "config steps -5" "$fx/range_config.json;train.steps" "$o" -- train "$fx/range_config.json" -o "$o"
bad train "override unknown key" "$cfg;train.stpes;train.steps" "$o" -- train $cfg train.stpes=5 -o "$o"
bad train "override steps=-5" "$cfg;train.steps" "$o" -- train $cfg train.steps=-5 -o "$o"
bad train "override batch=0" "$cfg;train.batch" "$o" -- train $cfg train.batch=0 -o "$o"
bad train "override lr=1e30" "$cfg;train.lr" "$o" -- train $cfg train.lr=1e30 -o "$o"
bad train "override lr=nan" "$cfg;train.lr" "$o" -- train $cfg train.lr=nan -o "$o"
bad train "override checkpoint_every=0" "$cfg;train.checkpoint_every" "$o" -- train $cfg train.checkpoint_every=0 -o "$o"
bad train "override down_dims=16,x" "$cfg;model.down_dims" "$o" -- train $cfg model.down_dims=16,x -o "$o"
bad train "override horizon=3 (U-Net needs /4)" "$cfg;policy.horizon" "$o" -- train $cfg "${tiny[@]}" policy.horizon=3 -o "$o"
bad train "override obs_key=img" "$cfg;task.obs_key;img" "$o" -- train $cfg task.obs_key=img -o "$o"
bad train "override val_ratio=0.9" "$cfg;task.val_ratio" "$o" -- train $cfg task.val_ratio=0.9 -o "$o"
bad train "--until 0" "--until" "$o" -- train $cfg --until 0 -o "$o"
bad train "--until -3" "--until" "$o" -- train $cfg --until -3 -o "$o"
bad train "dataset missing" "$cfg;task.dataset;$fx/nope.zarr" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$fx/nope.zarr" -o "$o"
bad train "dataset is an empty directory" "$fx/store_empty.zarr" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$fx/store_empty.zarr" -o "$o"
bad train "dataset is a checkpoint" "$cfg;task.dataset;$ckpt" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$ckpt" -o "$o"
bad train "dataset chunk truncated" "$fx/store_trunc.zarr;truncated" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$fx/store_trunc.zarr" -o "$o"
bad train "dataset NaN in data" "$fx/store_nan.zarr;row 3;nan" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$fx/store_nan.zarr" -o "$o"
bad train "dataset episode_ends decreasing" "$fx/store_badends.zarr;episode_ends" "$o/policy.safetensors" -- \
  train $cfg "${tiny[@]}" task.dataset="$fx/store_badends.zarr" -o "$o"
bad train "image: crop 100 of 96 x 96 frames" "$icfg;encoder.crop;larger" "$o" -- train $icfg encoder.crop=100 -o "$o"
bad train "image: encoder.width 24 (GroupNorm of 16)" "$icfg;encoder.width" "$o" -- train $icfg encoder.width=24 -o "$o"
bad train "image: encoder.kind video" "$icfg;encoder.kind;video" "$o" -- train $icfg encoder.kind=video -o "$o"
bad train "image: global_cond_dim 40 (encoder gives 132)" "$icfg;model.global_cond_dim;132" "$o" -- \
  train $icfg model.global_cond_dim=40 -o "$o"
bad train "image: frames 96 x 96, camera 90 x 96" "$icfg;encoder.image_height;96 x 96" "$o/policy.safetensors" -- \
  train $icfg encoder.image_height=90 -o "$o"
bad train "image: frames RGBA" "$fx/store_rgba.zarr;data/img;RGB" "$o/policy.safetensors" -- \
  train $icfg task.dataset="$fx/store_rgba.zarr" -o "$o"
bad train "image: image_array is low-dim" "$icfg;data/state;frames" "$o/policy.safetensors" -- \
  train $icfg task.image_array=data/state -o "$o"
bad train "-o is a file" "$fx/a_file" "" -- train $cfg -o "$fx/a_file"
bad train "-o holds a run already" "$work/run;--resume" "" -- train $cfg "${tiny[@]}" -o "$work/run"
bad train "--resume, no state" "$fx/norun;train_state" "" -- train --resume -o "$fx/norun"
bad train "--resume, NaN in state" "$fx/nan_run/train_state.safetensors;params;NaN" "" -- train --resume -o "$fx/nan_run"
bad train "--resume, state truncated" "$fx/trunc_run/train_state.safetensors;truncated" "" -- \
  train --resume -o "$fx/trunc_run"
bad train "--resume, state is a policy" "$fx/policy_run/train_state.safetensors;step" "" -- \
  train --resume -o "$fx/policy_run"
bad train "--resume with an override" "override" "" -- train --resume train.steps=9 -o "$work/run"
bad train "--resume on a distillation" "$work/student/train_state.safetensors;distill.;distill --resume" "" -- \
  train --resume -o "$work/student"
bad train "unknown option" "--stpes" "" -- train $cfg --stpes 5 -o "$o"
bad train "no -o" "-o" "" -- train $cfg

# ---- distill TEACHER [--config FILE] [key=value ...] -o RUNDIR
o=$out/distill
d=(distill.steps=2 distill.batch=16 distill.threads=1)
bad distill "teacher missing" "$fx/nope.safetensors;No such file" "$o/policy.safetensors" -- \
  distill "$fx/nope.safetensors" "${d[@]}" -o "$o"
bad distill "teacher is a directory" "$fx/adir;directory" "$o/policy.safetensors" -- distill "$fx/adir" "${d[@]}" -o "$o"
bad distill "teacher empty" "$fx/empty.safetensors;empty" "$o/policy.safetensors" -- \
  distill "$fx/empty.safetensors" "${d[@]}" -o "$o"
bad distill "teacher truncated" "$fx/trunc_policy.safetensors;truncated" "$o/policy.safetensors" -- \
  distill "$fx/trunc_policy.safetensors" "${d[@]}" -o "$o"
bad distill "teacher NaN weight" "$fx/nan_policy.safetensors;model.final_conv.1.bias;NaN" "$o/policy.safetensors" -- \
  distill "$fx/nan_policy.safetensors" "${d[@]}" -o "$o"
bad distill "teacher Inf weight" "$fx/inf_policy.safetensors;model.final_conv.1.bias;infinite" "$o/policy.safetensors" -- \
  distill "$fx/inf_policy.safetensors" "${d[@]}" -o "$o"
bad distill "teacher is a training state" "$state;training state" "$o/policy.safetensors" -- \
  distill "$state" "${d[@]}" -o "$o"
bad distill "teacher is a config" "$cfg" "$o/policy.safetensors" -- distill $cfg "${d[@]}" -o "$o"
bad distill "teacher is a zarr store" "$zarr;directory" "$o/policy.safetensors" -- distill $zarr "${d[@]}" -o "$o"
bad distill "teacher is a student" "$student;one-step" "$o/policy.safetensors" -- distill "$student" "${d[@]}" -o "$o"
bad distill "--config missing" "$fx/nope.json" "$o/policy.safetensors" -- distill "$ckpt" --config "$fx/nope.json" -o "$o"
bad distill "--config empty" "$fx/empty.json;empty" "$o/policy.safetensors" -- \
  distill "$ckpt" --config "$fx/empty.json" -o "$o"
bad distill "--config truncated" "$fx/trunc_config.json;JSON" "$o/policy.safetensors" -- \
  distill "$ckpt" --config "$fx/trunc_config.json" -o "$o"
bad distill "--config is a train config" "$cfg;task.name;unknown key" "$o/policy.safetensors" -- distill "$ckpt" --config $cfg -o "$o"
bad distill "--config is a checkpoint" "$ckpt;not a JSON config" "$o/policy.safetensors" -- distill "$ckpt" --config "$ckpt" -o "$o"
bad distill "--variant x" "--variant" "" -- distill "$ckpt" --variant x -o "$o"
bad distill "override unknown key" "distill.stesp;distill.steps" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.stesp=3 -o "$o"
bad distill "override steps=0" "distill.steps" "$o/policy.safetensors" -- distill "$ckpt" distill.steps=0 -o "$o"
bad distill "override batch=0" "distill.batch" "$o/policy.safetensors" -- distill "$ckpt" distill.batch=0 -o "$o"
bad distill "override lr_generator=-1" "distill.lr_generator" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.lr_generator=-1 -o "$o"
bad distill "override k_min 90 > k_max 10" "distill.k_min;distill.k_max" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.k_min=90 distill.k_max=10 -o "$o"
bad distill "override generator_timestep=150" "distill.generator_timestep" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.generator_timestep=150 -o "$o"
bad distill "override batch beyond the data" "distill.batch" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.batch=60000 distill.steps=2 distill.threads=1 -o "$o"
bad distill "override regression_sampler=ddpm:10" "distill.regression_sampler;ddpm:10;deterministic" \
  "$o/policy.safetensors" -- distill "$ckpt" distill.regression_weight=1 distill.regression_sampler=ddpm:10 -o "$o"
bad distill "override regression_sampler=fast" "distill.regression_sampler;fast" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.regression_weight=1 distill.regression_sampler=fast -o "$o"
bad distill "override kl_weight=0, no regression" "distill.kl_weight;distill.regression_weight;nothing" \
  "$o/policy.safetensors" -- distill "$ckpt" distill.kl_weight=0 -o "$o"
bad distill "override gan_weight without the discriminator" "distill.gan_weight;disc_weight" \
  "$o/policy.safetensors" -- distill "$ckpt" distill.gan_weight=1e-3 -o "$o"
bad distill "override disc_weight with variant d" "distill.disc_weight;variant d" "$o/policy.safetensors" -- \
  distill "$ckpt" --variant d distill.disc_weight=1e-2 -o "$o"
bad distill "override disc_k_max beyond k_max" "distill.disc_k_max;99;[2, 95]" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.disc_weight=1e-2 distill.disc_k_max=99 -o "$o"
bad distill "override init_generator=a teacher" "distill.init_generator;one-step student" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.init_generator="$ckpt" -o "$o"
bad distill "override init_generator missing" "distill.init_generator;$fx/nope.safetensors" "$o/policy.safetensors" -- \
  distill "$ckpt" distill.init_generator="$fx/nope.safetensors" -o "$o"
bad distill "--resume, no state" "$fx/norun;train_state" "" -- distill "$ckpt" --resume -o "$fx/norun"
bad distill "--resume, NaN in state" "$fx/nan_student/train_state.safetensors;generator;NaN" "" -- \
  distill "$ckpt" --resume -o "$fx/nan_student"
bad distill "--resume on a teacher run" "$state;task.name;train --resume" "" -- distill "$ckpt" --resume -o "$work/run"
bad distill "--until 0" "--until" "" -- distill "$ckpt" --until 0 -o "$o"

# ---- eval CHECKPOINT [--sampler S] [--seeds A:B] ...
e=(--seeds 100000 --hz-repeats 0 --threads 1)
bad eval "checkpoint missing" "$fx/nope.safetensors;No such file" "" -- eval "$fx/nope.safetensors" "${e[@]}"
bad eval "checkpoint is a directory" "$fx/adir;directory" "" -- eval "$fx/adir" "${e[@]}"
bad eval "checkpoint empty" "$fx/empty.safetensors;empty" "" -- eval "$fx/empty.safetensors" "${e[@]}"
bad eval "checkpoint truncated" "$fx/trunc_policy.safetensors;truncated" "" -- eval "$fx/trunc_policy.safetensors" "${e[@]}"
bad eval "checkpoint NaN weight" "$fx/nan_policy.safetensors;model.final_conv.1.bias;NaN" "" -- \
  eval "$fx/nan_policy.safetensors" "${e[@]}"
bad eval "checkpoint is a training state" "$state;training state" "" -- eval "$state" "${e[@]}"
bad eval "image checkpoint: encoder tensors narrower than its config" \
  "$fx/encoder_mismatch_policy.safetensors;obs_encoder.obs_nets.image.backbone.nets.0.weight;shape" "" -- \
  eval "$fx/encoder_mismatch_policy.safetensors" "${e[@]}"
bad eval "checkpoint is a config" "$cfg" "" -- eval $cfg "${e[@]}"
bad eval "checkpoint is a zarr store" "$zarr;directory" "" -- eval $zarr "${e[@]}"
bad eval "--sampler ddim:0" "--sampler;ddim:0" "" -- eval "$ckpt" --sampler ddim:0 "${e[@]}"
bad eval "--sampler ddpm:-1" "--sampler;ddpm:-1" "" -- eval "$ckpt" --sampler ddpm:-1 "${e[@]}"
bad eval "--sampler ddpm:5x" "--sampler;ddpm:5x" "" -- eval "$ckpt" --sampler ddpm:5x "${e[@]}"
bad eval "--sampler ddim:5:middle" "--sampler;middle" "" -- eval "$ckpt" --sampler ddim:5:middle "${e[@]}"
bad eval "--sampler ddpm:101 (100 train steps)" "ddpm:101" "" -- eval "$ckpt" --sampler ddpm:101 "${e[@]}"
bad eval "--sampler onestep on a teacher" "$ckpt;onestep" "" -- eval "$ckpt" --sampler onestep "${e[@]}"
bad eval "--sampler onestep:3" "--sampler;onestep:3" "" -- eval "$student" --sampler onestep:3 "${e[@]}"
bad eval "--sampler onestep:2:0" "--sampler;onestep:2:0" "" -- eval "$student" --sampler onestep:2:0 "${e[@]}"
bad eval "--sampler onestep:2:100 (100 train steps)" "onestep:2:100;timesteps" "" -- \
  eval "$student" --sampler onestep:2:100 "${e[@]}"
bad eval "--sampler onestep:2 --weights f32" "onestep:2;--weights" "" -- \
  eval "$student" --sampler onestep:2 --weights f32 "${e[@]}"
bad eval "--refiner without onestep:2" "--refiner;onestep:2" "" -- \
  eval "$student" --sampler onestep --refiner "$ckpt" "${e[@]}"
bad eval "--refiner is a student" "--refiner;$student;diffusion policy" "" -- \
  eval "$student" --sampler onestep:2 --refiner "$student" "${e[@]}"
bad eval "--refiner missing" "$fx/nope.safetensors;No such file" "" -- \
  eval "$student" --sampler onestep:2 --refiner "$fx/nope.safetensors" "${e[@]}"
bad eval "--seeds 5:3 (reversed)" "--seeds;5:3" "" -- eval "$ckpt" --seeds 5:3 --hz-repeats 0
bad eval "--seeds -1:3" "--seeds;-1:3" "" -- eval "$ckpt" --seeds -1:3 --hz-repeats 0
bad eval "--seeds 0:2^32+1" "--seeds" "" -- eval "$ckpt" --seeds 0:4294967297 --hz-repeats 0
bad eval "--seed -5" "--seed -5" "" -- eval "$ckpt" --seed -5 "${e[@]}"
bad eval "--threads 0" "--threads" "" -- eval "$ckpt" --threads 0 --seeds 100000
bad eval "--gif-size 100" "--gif-size 100" "" -- eval "$ckpt" --gif "$out/gif" --gif-size 100 "${e[@]}"
bad eval "--gif-count 0" "--gif-count" "" -- eval "$ckpt" --gif "$out/gif" --gif-count 0 "${e[@]}"
bad eval "--hz-repeats -1" "--hz-repeats" "" -- eval "$ckpt" --hz-repeats -1 --seeds 100000
bad eval "--gif is a file" "$fx/a_file;--gif" "" -- eval "$ckpt" --gif "$fx/a_file" "${e[@]}"
bad eval "--gif with a bad checkpoint" "$fx/nan_policy.safetensors" "$out/gif" -- \
  eval "$fx/nan_policy.safetensors" --gif "$out/gif" "${e[@]}"
bad eval "unknown option" "--sed" "" -- eval "$ckpt" --sed 3
bad eval "no checkpoint" "CHECKPOINT" "" -- eval --seeds 0:2

bad eval "--realtime bogus" "--realtime bogus" "" -- eval "$ckpt" --realtime bogus "${e[@]}"
bad eval "--latency-ms without --realtime" "--latency-ms;--realtime" "" -- eval "$ckpt" --latency-ms 50 "${e[@]}"
bad eval "--latency-ms -5" "--latency-ms" "" -- eval "$ckpt" --realtime sync --latency-ms -5 "${e[@]}"
bad eval "--latency-ms and --slowdown" "--slowdown;choose one" "" -- \
  eval "$ckpt" --realtime async --latency-ms 5 --slowdown 2 "${e[@]}"
bad eval "--slowdown 0" "--slowdown" "" -- eval "$ckpt" --realtime sync --slowdown 0 "${e[@]}"

# ---- import SRC -o OUT.safetensors [--task pusht]
o=$out/imported.safetensors
bad import "source missing" "$fx/nope;No such file" "$o" -- import "$fx/nope" -o "$o"
bad import "directory without config.json" "$fx/adir/config.json" "$o" -- import "$fx/adir" -o "$o"
bad import "an onedp checkpoint (no export metadata)" "$ckpt;dp_config" "$o" -- import "$ckpt" -o "$o"
bad import "--task bogus" "--task;bogus" "$o" -- import "$fx/adir" -o "$o" --task bogus
bad import "no -o" "-o" "" -- import "$fx/adir"

# ---- serve CHECKPOINT --listen ENDPOINT
bad serve "checkpoint missing" "$fx/nope.safetensors;No such file" "" -- serve "$fx/nope.safetensors" --listen ipc:///tmp/x
bad serve "no --listen" "--listen" "" -- serve "$student"
bad serve "endpoint malformed" "nowhere;cannot listen" "" -- serve "$student" --listen nowhere --quiet
bad serve "--max-batch 0" "--max-batch" "" -- serve "$student" --listen ipc:///tmp/x --max-batch 0

# ---- report -o OUT.html [--log L=PATH] [--eval L=PATH] [--gif L=PATH]
o=$out/report.html
bad report "--log missing" "$fx/nope.jsonl" "$o" -- report -o "$o" --log "a=$fx/nope.jsonl"
bad report "--log is a directory" "$fx/adir;directory" "$o" -- report -o "$o" --log "a=$fx/adir"
bad report "--log empty" "$fx/empty.json;empty" "$o" -- report -o "$o" --log "a=$fx/empty.json"
bad report "--log truncated" "$fx/trunc_log.jsonl;line 4" "$o" -- report -o "$o" --log "a=$fx/trunc_log.jsonl"
bad report "--log with NaN" "$fx/nan_log.jsonl;line 3" "$o" -- report -o "$o" --log "a=$fx/nan_log.jsonl"
bad report "--log is a checkpoint" "$ckpt;line 1" "$o" -- report -o "$o" --log "a=$ckpt"
bad report "--eval missing" "$fx/nope.json" "$o" -- report -o "$o" --eval "a=$fx/nope.json"
bad report "--eval is a directory" "$fx/adir;directory" "$o" -- report -o "$o" --eval "a=$fx/adir"
bad report "--eval empty" "$fx/empty.json;empty" "$o" -- report -o "$o" --eval "a=$fx/empty.json"
bad report "--eval truncated" "$fx/trunc_eval.json" "$o" -- report -o "$o" --eval "a=$fx/trunc_eval.json"
bad report "--eval with NaN score" "$fx/nan_eval.json;NaN" "$o" -- report -o "$o" --eval "a=$fx/nan_eval.json"
bad report "--eval with Inf score" "$fx/inf_eval.json;score;finite" "$o" -- report -o "$o" --eval "a=$fx/inf_eval.json"
bad report "--eval is a log" "$work/student/log.jsonl;score" "$o" -- report -o "$o" --eval "a=$work/student/log.jsonl"
bad report "--gif missing" "$fx/nope.gif" "$o" -- report -o "$o" --gif "a=$fx/nope.gif"
bad report "--log without LABEL=" "--log" "$o" -- report -o "$o" --log "$work/student/log.jsonl"
bad report "-o in a missing directory" "$fx/nodir/r.html" "" -- report -o "$fx/nodir/r.html" --eval "a=$work/eval.txt"
bad report "-o is a directory" "$fx/adir" "" -- report -o "$fx/adir" --eval "a=$work/eval.txt"
bad report "no -o" "-o" "" -- report --eval "a=$work/eval.txt"

# ---- info FILE
bad info "file missing" "$fx/nope.safetensors;No such file" "" -- info "$fx/nope.safetensors"
bad info "a directory" "$fx/adir;directory" "" -- info "$fx/adir"
bad info "empty file" "$fx/empty.safetensors;empty" "" -- info "$fx/empty.safetensors"
bad info "empty config" "$fx/empty.json;empty" "" -- info "$fx/empty.json"
bad info "checkpoint truncated" "$fx/trunc_policy.safetensors;truncated" "" -- info "$fx/trunc_policy.safetensors"
bad info "training state truncated" "$fx/trunc_state.safetensors;truncated" "" -- info "$fx/trunc_state.safetensors"
bad info "checkpoint NaN weight" "$fx/nan_policy.safetensors;model.final_conv.1.bias;NaN" "" -- \
  info "$fx/nan_policy.safetensors"
bad info "training state NaN" "$fx/nan_state.safetensors;params;NaN" "" -- info "$fx/nan_state.safetensors"
bad info "config truncated" "$fx/trunc_config.json;JSON" "" -- info "$fx/trunc_config.json"
bad info "config value Inf" "$fx/inf_config.json;train.lr;finite" "" -- info "$fx/inf_config.json"
bad info "config down_dims []" "$fx/shape_config.json;down_dims" "" -- info "$fx/shape_config.json"
bad info "config unknown model key" "$fx/unknown_model_key_config.json;model.kernal_size" "" -- \
  info "$fx/unknown_model_key_config.json"
bad info "config key twice" "$fx/dup_config.json;train;twice" "" -- info "$fx/dup_config.json"
bad info "a zarr store" "$zarr;directory" "" -- info $zarr
bad info "a log" "$work/student/log.jsonl;line 2" "" -- info "$work/student/log.jsonl"

# ---- bench unet
bad bench "--preset unknown" "--preset;huge" "" -- bench unet --preset huge
bad bench "--batch 0" "--batch" "" -- bench unet --preset small --batch 0
bad bench "--reps 0" "--reps" "" -- bench unet --preset small --reps 0
bad bench "--threads 0" "--threads" "" -- bench unet --preset small --threads 0
bad bench "--save-weights in a missing directory" "$fx/nodir/w.safetensors" "" -- \
  bench unet --preset small --skip-train --reps 1 --save-weights "$fx/nodir/w.safetensors"
bad bench "--save-weights is a directory" "$fx/adir" "" -- bench unet --preset small --skip-train --reps 1 --save-weights "$fx/adir"
bad bench "unknown benchmark" "conv" "" -- bench conv
bad bench "unknown option" "--presett" "" -- bench unet --presett small
bad bench "no benchmark" "unet" "" -- bench
bad onedp "unknown command" "trian" "" -- trian

# ---- dataset info PATH
bad dataset "store missing" "$fx/nope.zarr" "" -- dataset info "$fx/nope.zarr"
bad dataset "a file" "$ckpt" "" -- dataset info "$ckpt"
bad dataset "empty directory" "$fx/store_empty.zarr" "" -- dataset info "$fx/store_empty.zarr"
bad dataset "chunk truncated" "$fx/store_trunc.zarr;data/keypoint" "" -- dataset info "$fx/store_trunc.zarr"
bad dataset ".zarray truncated" "$fx/store_truncmeta.zarr;data/state" "" -- dataset info "$fx/store_truncmeta.zarr"
bad dataset "NaN in data/keypoint" "$fx/store_nan.zarr;data/keypoint;NaN" "" -- dataset info "$fx/store_nan.zarr"
bad dataset "episode_ends decreasing" "$fx/store_badends.zarr;episode_ends" "" -- dataset info "$fx/store_badends.zarr"
bad dataset "no subcommand" "info PATH" "" -- dataset "$zarr"

# ---- render [PATH] --episode N --out FILE.gif
o=$out/render.gif
bad render "store missing" "$fx/nope.zarr" "$o" -- render "$fx/nope.zarr" --episode 0 --out "$o"
bad render "store is a file" "$ckpt" "$o" -- render "$ckpt" --episode 0 --out "$o"
bad render "empty directory" "$fx/store_empty.zarr" "$o" -- render "$fx/store_empty.zarr" --episode 0 --out "$o"
bad render "chunk truncated" "$fx/store_trunc.zarr;data/state" "$o" -- render "$fx/store_trunc.zarr" --episode 0 --out "$o"
bad render "NaN in data/state" "$fx/store_nan.zarr;data/state;NaN" "$o" -- render "$fx/store_nan.zarr" --episode 0 --out "$o"
bad render "episode_ends decreasing" "$fx/store_badends.zarr;episode_ends" "$o" -- \
  render "$fx/store_badends.zarr" --episode 5 --out "$o"
bad render "--episode 206 (206 episodes)" "episode 206" "$o" -- render $zarr --episode 206 --out "$o"
bad render "--episode -1" "--episode" "$o" -- render $zarr --episode -1 --out "$o"
bad render "--size 100" "--size" "$o" -- render $zarr --episode 0 --size 100 --out "$o"
bad render "--out in a missing directory" "$fx/nodir/r.gif" "" -- render $zarr --episode 0 --out "$fx/nodir/r.gif"
bad render "--out is a directory" "$fx/adir" "" -- render $zarr --episode 0 --out "$fx/adir"
bad render "no --out" "--out" "" -- render $zarr --episode 0

# ---- env pusht [--seed S] [--bench N]
bad env "unknown environment" "cartpole" "" -- env cartpole
bad env "--seed -1" "--seed" "" -- env pusht --seed -1
bad env "--seed 2^32" "--seed" "" -- env pusht --seed 4294967296
bad env "--seed abc" "--seed" "" -- env pusht --seed abc
bad env "--bench 0" "--bench" "" -- env pusht --bench 0
bad env "--seed without a value" "--seed" "" -- env pusht --seed
bad env "unknown option" "--sed" "" -- env pusht --sed 3

# ---- replay PATH [--episodes A:B]
bad replay "store missing" "$fx/nope.zarr" "" -- replay "$fx/nope.zarr"
bad replay "store is a file" "$ckpt" "" -- replay "$ckpt"
bad replay "empty directory" "$fx/store_empty.zarr" "" -- replay "$fx/store_empty.zarr"
bad replay "chunk truncated" "$fx/store_trunc.zarr;data/state" "" -- replay "$fx/store_trunc.zarr"
bad replay ".zarray truncated" "$fx/store_truncmeta.zarr;data/state" "" -- replay "$fx/store_truncmeta.zarr"
bad replay "NaN in data/state" "$fx/store_nan.zarr;data/state;NaN" "" -- replay "$fx/store_nan.zarr"
bad replay "episode_ends decreasing" "$fx/store_badends.zarr;episode_ends" "" -- replay "$fx/store_badends.zarr"
bad replay "--episodes 5:3 (reversed)" "--episodes;5:3" "" -- replay $zarr --episodes 5:3
bad replay "--episodes -1:2" "--episodes;-1:2" "" -- replay $zarr --episodes -1:2
bad replay "--episodes 0:999 (206 episodes)" "--episodes;0:999" "" -- replay $zarr --episodes 0:999
bad replay "--episodes abc" "--episodes" "" -- replay $zarr --episodes abc
bad replay "--episodes 3:5x" "--episodes;3:5x" "" -- replay $zarr --episodes 3:5x
bad replay "no PATH" "PATH" "" -- replay

[ -z "$table" ] || printf '%s\n' "${rows[@]}" >"$table"
echo "bad_input: $((cases - failed)) passed, $failed failed (of $cases cases)"
[ $failed -eq 0 ]

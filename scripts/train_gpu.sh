#!/usr/bin/env bash
# Train EmotionNet wide (issue 25: three schedules and a FER+ fine-tune), the paper config and
# ensemble teachers on one lent GPU, then evaluate each on PublicTest
# (every choice is made there; PrivateTest is looked at once per finished model, back home).
#
#   DATA=gpu-data/fer2013 RUNS=runs/gpu OUT=$OUT bash scripts/train_gpu.sh [extra train options]
#   RUNS=runs/gpu OUT=$OUT bash scripts/train_gpu.sh --collect-paper    # next call: the paper weights
#
# Extra options are appended to every `emotionnet train` call (the last of a repeated option
# wins): CI runs `bash scripts/train_gpu.sh --limit 16 --epochs 1 --batch-size 8` on the CPU.
# Budget on an H200 (an estimate: no GPU has been lent yet): the teachers and paper under 10 minutes
# (FER2013 fits in GPU memory; batches of 256, bf16), wide's 165 epochs a few more; a call cut off at
# its time limit resumes in the next.
#
# Everything (decoded-data cache, checkpoints, logs) goes under RUNS. After each run, what one
# device call can bring back (at most 8 files, 16 MiB each, 64 MiB together) is rewritten in OUT:
#   OUT/wide-s0-ft2.safetensors, OUT/wide-s0-ferplus.safetensors   wide's two entries in fp16 (15.6 MB);
#   OUT/<teacher>.safetensors   each teacher's best weights in fp16 (9.2 MB);
#   OUT/results.tar.gz          logs, eval JSON, times, each run's config.json, and the paper's
#                               Hub-ready folder without its weights.
# So a call cut off at its time limit still returns every run it finished; a second call on the
# still-warm machine resumes each run from its last finished epoch (a finished run is only
# evaluated again). The paper's fp16 weights (60 MB) do not fit beside them: `--collect-paper`, in
# the next call while the machine is warm, writes them to OUT as 15 MB parts
# (`cat paper.safetensors.part-* > model.safetensors`).
# Runs without installing emotionnet (PYTHONPATH=src), as on the device machine's own python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/fer2013}
RUNS=${RUNS:-runs/gpu}
OUT=${OUT:-$RUNS/out}
PY=${PYTHON:-python3}
CACHE=${CACHE:-$RUNS/cache}
mkdir -p "$RUNS" "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
emotionnet() { "$PY" -m emotionnet "$@"; }

if [[ "${1:-}" == "--collect-paper" ]]; then
  split -b 15000000 -d "$RUNS/paper-hub/model.safetensors" "$OUT/paper.safetensors.part-"
  ls -l "$OUT"
  exit 0
fi

collect() {  # rewrite OUT's results archive from what RUNS holds now
  local files=(times.txt)
  for f in "$RUNS"/*.log "$RUNS"/*.publictest.json "$RUNS"/*/best/config.json "$RUNS"/paper-hub/README.md \
    "$RUNS"/paper-hub/config.json; do
    [[ -f "$f" ]] && files+=("${f#"$RUNS"/}")
  done
  tar -czf "$OUT/results.tar.gz.tmp" -C "$RUNS" "${files[@]}" && mv "$OUT/results.tar.gz.tmp" "$OUT/results.tar.gz"
}

run() {  # run NAME TRAIN-OPTIONS...: train, evaluate the best checkpoint on PublicTest, collect
  local name=$1
  shift
  local started=$SECONDS
  emotionnet train --data "$DATA" --out "$RUNS/$name" --cache-dir "$CACHE" --no-progress --resume "$@" "${EXTRA[@]}" \
    2>&1 | tee -a "$RUNS/$name.log"
  emotionnet eval --model "$RUNS/$name/best" --data "$DATA" --split val --cache-dir "$CACHE" --no-progress \
    --json "$RUNS/$name.publictest.json" 2>&1 | tee -a "$RUNS/$name.log"
  echo "$name: $((SECONDS - started)) s" | tee -a "$RUNS/times.txt"
  if [[ "$name" == teacher-* || "$name" == wide-s0-ft2 || "$name" == wide-s0-ferplus ]]; then
    emotionnet export-weights --checkpoint "$RUNS/$name/best" --out "$RUNS/$name-fp16" --half > /dev/null
    cp "$RUNS/$name-fp16/model.safetensors" "$OUT/$name.safetensors"
  fi
  collect
}

EXTRA=("$@")
: > "$RUNS/times.txt"
# Issue 25 first: EmotionNet wide, the default's three schedules at batch 256, then its FER+ fine-tune.
run wide-s0 --config wide --epochs 80 --batch-size 256 --lr 0.1 --seed 0
run wide-s0-ft --config wide --epochs 40 --batch-size 256 --lr 0.02 --label-smoothing 0 \
  --init-from "$RUNS/wide-s0/best" --seed 1
run wide-s0-ft2 --config wide --epochs 20 --batch-size 256 --lr 0.01 --label-smoothing 0 \
  --init-from "$RUNS/wide-s0-ft/best" --seed 2
run wide-s0-ferplus --config wide --targets ferplus --epochs 25 --batch-size 256 --lr 0.02 --label-smoothing 0 \
  --init-from "$RUNS/wide-s0-ft2/best" --seed 3
run teacher-s1 --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 1
run paper --config paper --epochs 60 --batch-size 256 --lr 0.1 --seed 0
emotionnet export-weights --checkpoint "$RUNS/paper/best" --out "$RUNS/paper-hub" --half \
  --metrics "$RUNS/paper.publictest.json"
collect
run teacher-mix --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 3 --targets mix --mix-alpha 0.5
run teacher-s2 --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 2 --class-balance sqrt
cat "$RUNS/times.txt"
ls -l "$OUT"

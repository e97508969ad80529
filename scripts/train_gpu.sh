#!/usr/bin/env bash
# Train the paper config and the ensemble teachers on one lent GPU, then evaluate each on
# PublicTest (every choice is made there; PrivateTest is looked at once per finished model).
#
#   DATA=../shared/data/fer2013 OUT=runs/gpu bash scripts/train_gpu.sh [extra train options]
#
# Extra options are appended to every `emotionnet train` call (the last of a repeated option
# wins): CI runs `bash scripts/train_gpu.sh --limit 16 --epochs 1 --batch-size 8` on the CPU.
# Budget on an H200: under 10 minutes in all (FER2013 fits in GPU memory; batches of 256, bf16).
# Writes, per run, OUT/<run>/best (config.json + model.safetensors), OUT/<run>.log,
# OUT/<run>.publictest.json, and OUT/paper-hub (a Hub-ready folder: weights, config, model card).
# Runs without installing emotionnet (PYTHONPATH=src), as on the device machine's own python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/fer2013}
OUT=${OUT:-runs/gpu}
PY=${PYTHON:-python3}
CACHE=${CACHE:-$OUT/cache}
mkdir -p "$OUT"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
emotionnet() { "$PY" -m emotionnet "$@"; }

run() {  # run NAME TRAIN-OPTIONS...: train, then evaluate the best checkpoint on PublicTest
  local name=$1
  shift
  local started=$SECONDS
  emotionnet train --data "$DATA" --out "$OUT/$name" --cache-dir "$CACHE" --no-progress "$@" "${EXTRA[@]}" \
    2>&1 | tee "$OUT/$name.log"
  emotionnet eval --model "$OUT/$name/best" --data "$DATA" --split val --cache-dir "$CACHE" --no-progress \
    --json "$OUT/$name.publictest.json" 2>&1 | tee -a "$OUT/$name.log"
  echo "$name: $((SECONDS - started)) s" | tee -a "$OUT/times.txt"
}

EXTRA=("$@")
run paper --config paper --epochs 60 --batch-size 256 --lr 0.1 --seed 0
run teacher-s1 --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 1
run teacher-s2 --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 2 --class-balance sqrt
run teacher-mix --config compact --epochs 60 --batch-size 256 --lr 0.1 --seed 3 --targets mix --mix-alpha 0.5
emotionnet export-weights --checkpoint "$OUT/paper/best" --out "$OUT/paper-hub" --metrics "$OUT/paper.publictest.json"
cat "$OUT/times.txt"

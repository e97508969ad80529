#!/usr/bin/env bash
# EmotionNet `wide` (issue 25) on this project's CPUs: the default's three schedules, then the FER+
# fine-tune, one after the other, each resumed from its last finished epoch. Run it again after any interruption (a session's
# end, a kill, Ctrl-C): a finished stage only reloads its data and returns, so the chain goes on
# where it stopped. Pause it with kill -STOP / kill -CONT while tests or timings run.
#
#   nohup bash scripts/train_wide.sh > /dev/null 2>&1 &      # logs: runs/wide-s0*.log
#
# RUNS (default runs), DATA (../shared/data/fer2013), CACHE (~/.cache/emotionnet) move things;
# extra options go to every `emotionnet train` call (CI: --limit 16 --epochs 1 --batch-size 8).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/fer2013}
RUNS=${RUNS:-runs}
CACHE=${CACHE:-$HOME/.cache/emotionnet}
[[ -z "${VIRTUAL_ENV:-}" && -f .venv/bin/activate ]] && . .venv/bin/activate
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$RUNS"

stage() {  # stage NAME TRAIN-OPTIONS...: train (resuming if the run folder holds last.ckpt)
  local name=$1
  shift
  local resume=()
  [[ -f "$RUNS/$name/last.ckpt" ]] && resume=(--resume)
  emotionnet train --data "$DATA" --config wide --batch-size 64 --run-dir "$RUNS/$name" --cache-dir "$CACHE" \
    --no-progress "${resume[@]}" "$@" >> "$RUNS/$name.log" 2>&1
}

stage wide-s0 --epochs 80 --lr 0.1 --seed 0 "$@"
stage wide-s0-ft --epochs 40 --lr 0.02 --label-smoothing 0 --init-from "$RUNS/wide-s0/best" --seed 1 "$@"
stage wide-s0-ft2 --epochs 20 --lr 0.01 --label-smoothing 0 --init-from "$RUNS/wide-s0-ft/best" --seed 2 "$@"
# The FER+ entry from the finished trunk, as emotionnet_compact.ferplus was made from the default.
stage wide-s0-ferplus --targets ferplus --epochs 25 --lr 0.02 --label-smoothing 0 \
  --init-from "$RUNS/wide-s0-ft2/best" --seed 3 "$@"
tail -n 3 "$RUNS"/wide-s0*.log

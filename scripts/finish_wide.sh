#!/usr/bin/env bash
# After scripts/train_wide.sh (issue 25): every PublicTest figure the decisions need, and the files
# two registry entries would ship. It never looks at PrivateTest; it prints the commands that do,
# to run once per finished model after the decisions are written down.
#
#   bash scripts/finish_wide.sh            # writes $RUNS/wide-final/
#
# In $RUNS/wide-final/:
#   <stage>.val.json                      each FER2013 schedule's best/ on PublicTest (single crop, flip,
#                                         ten-crop; temperature fitted on PublicTest)
#   chosen.txt                            the schedule with the best single-crop PublicTest, its temperature
#   fer2013/, ferplus/                    Hub-ready folders: fp16 safetensors, config.json with the
#                                         temperature, model card
#   fer2013_int8.onnx, ferplus_int8.onnx  int8 files, made as the bundled ones are
#   *_int8.val.json                       those files on PublicTest through ONNX Runtime
#
# DATA, RUNS, CACHE as for train_wide.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/fer2013}
RUNS=${RUNS:-runs}
CACHE=${CACHE:-$HOME/.cache/emotionnet}
OUT=$RUNS/wide-final
[[ -z "${VIRTUAL_ENV:-}" && -f .venv/bin/activate ]] && . .venv/bin/activate
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$OUT"
val() { emotionnet eval --data "$DATA" --split val --cache-dir "$CACHE" --no-progress "$@"; }
field() { python -c "import json, sys; d = json.load(open(sys.argv[1])); print(d[sys.argv[2]][sys.argv[3]])" "$@"; }

for stage in wide-s0 wide-s0-ft wide-s0-ft2; do
  [[ -f "$OUT/$stage.val.json" ]] || val --model "$RUNS/$stage/best" --fit-temperature --json "$OUT/$stage.val.json"
done
best=$(for stage in wide-s0 wide-s0-ft wide-s0-ft2; do
  echo "$(field "$OUT/$stage.val.json" FER2013 accuracy) $stage"
done | sort -g | tail -n 1 | cut -d' ' -f2)
t_fer=$(field "$OUT/$best.val.json" FER2013 temperature)
echo "$best $t_fer" > "$OUT/chosen.txt"

[[ -f "$OUT/ferplus.val.json" ]] ||
  val --model "$RUNS/wide-s0-ferplus/best" --fit-temperature ferplus --json "$OUT/ferplus.val.json"
t_fp=$(field "$OUT/ferplus.val.json" FER+ temperature)

for entry in fer2013 ferplus; do
  if [[ $entry == fer2013 ]]; then
    checkpoint=$RUNS/$best/best t=$t_fer report=$OUT/$best.val.json
  else
    checkpoint=$RUNS/wide-s0-ferplus/best t=$t_fp report=$OUT/ferplus.val.json
  fi
  emotionnet export-weights --checkpoint "$checkpoint" --out-dir "$OUT/$entry" --temperature "$t" --half --metrics "$report"
  emotionnet export-onnx --model "local-dir:$OUT/$entry" --int8 "$DATA" --cache-dir "$CACHE" --out "$OUT/${entry}_int8.onnx"
  val --model "local-dir:$OUT/$entry" --runtime onnxruntime --onnx "$OUT/${entry}_int8.onnx" --tta none \
    --json "$OUT/${entry}_int8.val.json"
done

echo
echo "PublicTest, single crop (fp32 / int8):"
echo "  fer2013 ($best, T $t_fer): $(field "$OUT/$best.val.json" FER2013 accuracy) / $(field "$OUT/fer2013_int8.val.json" FER2013 accuracy)"
echo "  ferplus (T $t_fp): FER+ $(field "$OUT/ferplus.val.json" FER+ accuracy) / $(field "$OUT/ferplus_int8.val.json" FER+ accuracy)"
echo "Then, once per finished model, after writing the decision down:"
echo "  emotionnet eval --model local-dir:$OUT/fer2013 --data $DATA --split test"
echo "  emotionnet eval --model local-dir:$OUT/fer2013 --runtime onnxruntime --onnx $OUT/fer2013_int8.onnx --data $DATA --split test"
echo "  (and the same for ferplus)"

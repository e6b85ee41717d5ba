#!/usr/bin/env bash
# Teach the shipped default model to follow hints better on a 2-core CPU, without changing a single automatic
# colorization: only the five hint fusions at the skips train (trainer/hint_tune.py), every crop carries simulated
# hints, and after each step each fusion's answer to no hints is put back. So the decoding study cannot move and the
# hint study decides alone (validation split, paired against the shipped model on the same photos and hints).
#   MINUTES=50 LR=3e-4 OUT=runs/cpu_hints bash trainer/recipes/cpu_hints.sh
# Then, if the hint study says so: python -m trainer.release OUT/export/tinta-base-candidate.json --keep-decoding ...
# Needs a start whose stem reads no hints (tinta-base 1.7 on). Resume after an interruption: the same command.
set -eu -o pipefail
OUT=${OUT:-runs/cpu_hints}
MINUTES=${MINUTES:-50}
LR=${LR:-3e-4}
DATA=${DATA:-../shared/data/train}
PER_GROUP=${PER_GROUP:-20}           # validation photos per group for the hint study (12 groups)
COUNTS=${COUNTS:-1,2,5,10,20,50,100}
BASE=resources/models/tinta-base.onnx
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1
python -m trainer.train --data "$DATA" --out "$OUT" --init_from "$BASE" --hints_only true --hint_prob 1 \
    --scene_head false --in_memory true --min_colourfulness 10 --workers 0 --batch 16 --minutes "$MINUTES" \
    --log_every 50 --ckpt_every 1000 --val_images 256 --prior_images 4000 --lr "$LR" --warmup 100
python -m trainer.export "$OUT/last.pt" --name tinta-base-candidate --out "$OUT/export"
# photos without hints: the candidate's outputs must be the shipped model's, to float rounding
python -m trainer.hint_tune "$BASE" "$OUT/export/tinta-base-candidate.onnx"
python -m trainer.release "$OUT/export/tinta-base-candidate.json" --keep-decoding --version candidate \
    --recipe "bash trainer/recipes/cpu_hints.sh (MINUTES=$MINUTES, LR=$LR)" --out "$OUT/release"
[ -f "$OUT/hints_shipped/hint_study.json" ] || \
    python -m trainer.hint_study --per-group "$PER_GROUP" --counts "$COUNTS" --out "$OUT/hints_shipped"
TINTA_MODELS_DIR="$OUT/release" python -m trainer.hint_study --per-group "$PER_GROUP" --counts "$COUNTS" \
    --against "$OUT/hints_shipped/hint_study.json" --out "$OUT/hints"
echo "compare $OUT/hints/hint_study.json (versus) before shipping"

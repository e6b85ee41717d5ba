#!/usr/bin/env bash
# Improve the shipped default model on a 2-core CPU in a few hours: fine-tune its decoder from the shipped
# ONNX file (the committed checkpoint: weights recovered by trainer/from_onnx.py), encoder and BatchNorm
# frozen, every shared photo decoded once into RAM, near-gray photos dropped, no teacher (a frozen encoder
# gets nothing from the scene loss). Then export, choose the decoding on the validation split, and compare
# with the shipped model before anything replaces it.
#   STEPS=5000 OUT=runs/cpu_ft bash trainer/recipes/cpu_finetune.sh
# Resume after an interruption: run the same command again (OUT/last.pt holds model, optimizer and step).
# On a busy 2-core machine one thread (OMP_NUM_THREADS=1) outran two: OpenMP's two threads stall whenever
# another process takes a core. Measured here: ~1.0 s a step of 16 crops at 128 px.
set -eu -o pipefail
OUT=${OUT:-runs/cpu_ft}
STEPS=${STEPS:-5000}
DATA=${DATA:-../shared/data/train}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} PYTHONUNBUFFERED=1
python -m trainer.train --data "$DATA" --out "$OUT" --init_from resources/models/tinta-base.onnx \
    --freeze_encoder true --scene_head false --in_memory true --min_colourfulness 10 --workers 0 \
    --batch 16 --max_steps "$STEPS" --log_every 50 --ckpt_every 500 --val_images 256 --prior_images 4000 \
    --lr 3e-4 --warmup 200
python -m trainer.export "$OUT/last.pt" --name tinta-base-candidate --out "$OUT/export"
TINTA_MODELS_DIR="$OUT/export" python -m trainer.decoding_study --model tinta-base-candidate \
    --out "$OUT/decoding" --write-card
echo "compare $OUT/decoding/validation.md with the shipped model's card before replacing it"

#!/usr/bin/env bash
# The recipe that trained the shipped default model and its variant sampler on one GPU, in one
# fixed time budget. Inputs: a packed shard set (python -m trainer.pack) and the Lite0 weights file.
#   PACK=.pack/train.tar TINTA_LITE0_WEIGHTS=.pack/lite0.pth OUT=out BASE_MIN=6 VAE_MIN=1.8 \
#       bash trainer/recipes/gpu_default.sh
# Writes OUT/base.pt.part*, OUT/vae.pt.part* when VAE_MIN > 0 (weights only, split under 15 MiB to travel) and
# OUT/logs.tar.
#
# Packs: carry the photos' own bytes, gzipped (a tar of photos this small is ~30% headers and padding; the recipe
# unpacks a .gz pack). A model trained on all 29.5k re-encoded to WebP quality 35 at short side 128 got worse on
# the JPEGs it is used on (docs/gpu-run-2026-11-30.md). A quarter of them per call is 37-39 MiB (a third, 50-51 MiB,
# leaves no room beside the start's 13 MiB and the code's 2 under the 64 MiB a call carries):
#   for k in 0 1 2 3; do python -m trainer.pack ../shared/data/train/*.tar -o .pack/orig-$k.tar --original \
#       --parts 4 --part $k --max-mb 80 && gzip -9 .pack/orig-$k.tar; done
# Start from the shipped model in fp16 with BatchNorm calibrated to train (13.6 MB):
#   python -m trainer.from_onnx resources/models/tinta-base.onnx .pack/init.pt --unfold ../shared/data/train --half
# and make one call per part (move resources/models and docs' pictures out of the tree for it), each carrying its
# pack and the weights to start from: the last call's, joined by `python -m trainer.slim --join` (INIT=...):
#   PACK=.pack/orig-0.tar.gz INIT=.pack/init.pt SCENE=false BATCH=256 DEADLINE_S=560 bash trainer/recipes/gpu_default.sh
# What a call carries, before it starts (tracked and untracked files plus the carried ones; 64 MiB at most):
#   (git ls-files; git ls-files -o --exclude-standard; echo .pack/orig-0.tar.gz .pack/init.pt | tr ' ' '\n') |
#       xargs du -cb | tail -1
# DEADLINE_S: seconds from the start by which every stage must have ended (each is cut, and saves, to fit).
set -u -o pipefail
T0=$(date +%s)
PACK=${PACK:-.pack/train.tar}
OUT=${OUT:-out}
BASE_MIN=${BASE_MIN:-6}
# The whole-network cVAE stage (v0.1's sampler). Off by default: the shipped sampler (tinta-vae 3 on) is a light
# variant head trained on the CPU from the exported base (python -m trainer.variant_train, ~38 minutes), so a
# lease's minutes go to the base; retrain that head from whatever base ships.
VAE_MIN=${VAE_MIN:-0}
BATCH=${BATCH:-128}
INIT=${INIT:-}  # weights to start the base from (a joined slim checkpoint); empty: ImageNet Lite0 weights
SEG=${SEG:-0}  # 11: also train the segmentation head on streets_camvid's label maps; on a CPU fine-tune it made street colours worse (docs/cpu-finetune-tinta-base.md)
WORKERS=${WORKERS:-$(( $(nproc) > 2 ? $(nproc) - 2 : 1 ))}
WORK=${WORK:-/tmp/tinta_runs}
SCENE=${SCENE:-true}  # the scene head's teacher needs the Lite0 weights (TINTA_LITE0_WEIGHTS)
# false: hints enter at the skips only, so the engine runs the encoder once per photo and a stroke costs 0.7x the
# network (docs/history-tinta-base.md, Version 1.7: on 1.6's weights the hint results moved <= 0.02 dB); a start
# whose stem reads no hints (1.7 on) stays so whatever this says
STEM_HINTS=${STEM_HINTS:-false}
# From ImageNet 2e-3. From a trained start (INIT) far less: on the GPU 1.5e-3 at batch 256 undid the CPU fine-tunes'
# gains and 3,000 steps did not win them back; on the CPU 5e-5 at batch 16 kept them and 3e-4 did not
# (docs/gpu-run-2026-11-30.md). 2e-4 is 5e-5 scaled by the square root of 256 / 16.
LR=${LR:-$( [ -n "$INIT" ] && echo 2e-4 || echo 2e-3 )}
PROFILE=${PROFILE:-20}  # steps timed by phase, then as many profiled: base/profile.json and .txt in logs.tar
CKPT=${CKPT:-1000}  # steps between checkpoints; each also validates (16-29 s on the H200 before the fix in train.py)
DEADLINE_S=${DEADLINE_S:-0}  # 0: no deadline
DETAIL=${DETAIL:-0.5}  # share of crops shown crisper or softer (trainer/detail_jitter.py): users' photos are crisper
# than the 144-px training JPEGs; on a CPU fine-tune 0.5 kept crisp photos' colour (docs/cpu-finetune-tinta-base.md)
SCALE_FIT=${SCALE_FIT:-false}  # true: crops framed as the engine frames a photo (--scale_fit, zoom SCALE_MIN-MAX on
SCALE_MIN=${SCALE_MIN:-1.0}    # that); a CPU fine-tune of the last blocks so framed was further on Lite0, closer on
SCALE_MAX=${SCALE_MAX:-1.6}    # Lite2 (docs/cpu-finetune-tinta-base.md, 2026-12-02): untested over the whole encoder
# The perceptual loss (W_PERC; 5 made 1.3 from 1.2) and Lite1's pooled feature (W_SEM; 2 from 2.1 was closer on
# both judges in every draw, docs/cpu-finetune-tinta-base.md, 2026-12-02) need Lite1's weights on the machine:
# carry the .pth (about 21 MB) and set TINTA_LITE1_WEIGHTS to it. Off by default, untested on the GPU.
W_PERC=${W_PERC:-0}
W_SEM=${W_SEM:-0}
# The colour term (W_COLOUR, through the decoding's gain COLOUR_GAIN) and the cast term (W_CAST): each crop's
# colourfulness and each batch's mean tint held at the truth's (trainer/losses.py). W_COLOUR=3 over every encoder
# block on the CPU was closer on both judges in the mean, with casts of 3.1-3.7 ab (docs/cpu-finetune-tinta-base.md,
# 2026-12-03): off by default, untested on the GPU.
W_COLOUR=${W_COLOUR:-0}
COLOUR_GAIN=${COLOUR_GAIN:-1.15}
W_CAST=${W_CAST:-0}
CAST_PER_CROP=${CAST_PER_CROP:-false}  # true: each crop's own tint (a CPU arm: the cast 2 ab lower, FD level)
export PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$WORK"
if [[ "$PACK" == *.gz ]]; then  # unpacked where the run works, not beside the carried copy
    gunzip -c "$PACK" > "$WORK/pack.tar" || exit 1
    PACK="$WORK/pack.tar"
fi
python3 - <<'PY'
import torch, os
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name() if torch.cuda.is_available() else "")
from trainer.lite0 import EfficientNetLite0, load_pretrained
print("lite0 weights", os.environ.get("TINTA_LITE0_WEIGHTS"))
PY
# Photos decoded once into GPU memory and cropped there (trainer/gpu_data.py): the per-crop CPU loader
# fed the H200 only 1.7k crops/s. Near-gray photos are dropped. The log's crops_per_s tells the rate.
common=(--data "$PACK" --batch "$BATCH" --workers "$WORKERS" --crop 128 --log_every 25 --ckpt_every "$CKPT"
        --prior_images 4000 --val_images 512 --min_colourfulness 10 --seg_classes "$SEG" --scene_head "$SCENE"
        --stem_hints "$STEM_HINTS" --detail_jitter "$DETAIL" --scale_fit "$SCALE_FIT" --scale_min "$SCALE_MIN"
        --scale_max "$SCALE_MAX" --w_perc "$W_PERC" --w_sem "$W_SEM" --w_colour "$W_COLOUR"
        --colour_gain "$COLOUR_GAIN" --w_cast "$W_CAST" --cast_per_crop "$CAST_PER_CROP")
base=(--out "$WORK/base" --lr "$LR" $( [ -n "$INIT" ] && echo --init_from "$INIT" --warmup 100 || echo --warmup 300 ))
# The stage's limit leaves room for its start-up (decoding, prior: ~1 minute); SIGTERM from `timeout` makes the
# trainer save the steps done and end (a device call's limit once cut a run that had not saved).
stage_limit() {  # seconds a stage of $1 minutes may take: $2 s of start-up added, capped by DEADLINE_S
    python3 -c "
d = $DEADLINE_S - ($(date +%s) - $T0) - 20
print(max(1, int(min($1 * 60 + $2, d) if $DEADLINE_S else $1 * 60 + $2)))"
}
timeout -k 20 "$(stage_limit "$BASE_MIN" 150)" \
    python3 -m trainer.train "${common[@]}" "${base[@]}" --device_data true --minutes "$BASE_MIN" \
        --profile_steps "$PROFILE"
echo "base exit $?"
if [ ! -f "$WORK/base/last.pt" ]; then  # the device-resident batches failed before a checkpoint: the CPU loader
    left=$(python3 -c "print(max(0.5, $BASE_MIN - ($(date +%s) - $T0) / 60))")
    echo "retrying the base stage with the CPU loader for $left minutes"
    rm -rf "$WORK/base"
    timeout -k 20 "$(stage_limit "$left" 150)" \
        python3 -m trainer.train "${common[@]}" "${base[@]}" --in_memory true --minutes "$left"
    echo "base (CPU loader) exit $?"
fi
# fp16 matrices: the next call carries these weights beside a quarter of the photos (27 MB in fp32 would not fit)
python3 -m trainer.slim "$WORK/base/last.pt" "$OUT/base.pt" --half || echo "slim base failed"
if [ "$DEADLINE_S" != "0" ]; then  # the stage's own start-up (decoding, prior) takes about a minute
    VAE_MIN=$(python3 -c "
v = min($VAE_MIN, ($DEADLINE_S - ($(date +%s) - $T0) - 80) / 60)
print(v if v >= 0.5 else 0)")
fi
echo "variant stage: $VAE_MIN minutes"
if [ -f "$WORK/base/last.pt" ] && [ "$VAE_MIN" != "0" ]; then
    timeout -k 20 "$(stage_limit "$VAE_MIN" 120)" \
        python3 -m trainer.train "${common[@]}" --device_data true --out "$WORK/vae" --minutes "$VAE_MIN" \
        --latent_dim 16 --init_from "$WORK/base/last.pt" --lr 1e-3 --warmup 100 --hint_prob 0.3
    echo "vae exit $?"
    python3 -m trainer.slim "$WORK/vae/last.pt" "$OUT/vae.pt" || echo "slim vae failed"
fi
tar -cf "$OUT/logs.tar" -C "$WORK" $(cd "$WORK" && ls -d */log.jsonl */loss.png */config.json */profile.* 2>/dev/null)
ls -la "$OUT"

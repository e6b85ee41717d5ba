#!/usr/bin/env bash
# Issue 13's GPU proof on a lent GPU machine, which cannot fetch onnxruntime-gpu: its wheel travels in parts
# (packaging/ort_payload.py), one per call, and the last call rebuilds it and runs the checks and benchmarks.
#
# Here, once (the machine runs Python 3.12 and CUDA 13; onnxruntime-gpu 1.31.1 is built for CUDA 13):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 -d .whl onnxruntime-gpu==1.31.1
#   python packaging/ort_payload.py pack .whl/onnxruntime_gpu-1.31.1-cp312-*.whl .ortgpu --part-mb 55
# (1.31.1: 4 parts, the last about 32 MiB). Move resources/models/ and docs/*.jpg out of the tree for the calls
# (64 MiB travel per call), and put back only tinta-base.onnx and its card for the last one.
# Device calls, each within the 30 s a machine stays warm (run's carry names the part):
#   part K < last:  bash packaging/gpu_proof.sh stage .ortgpu/ort-gpu.tar.xz.part0K
#   last part:      bash packaging/gpu_proof.sh run .ortgpu/ort-gpu.tar.xz.part03 .ortgpu/manifest.json
# `stage` keeps a part in .ortstage/ (ignored, so it stays on a warm machine); `run` adds the last files, rebuilds
# onnxruntime-gpu into /tmp/ortsite, puts the machine's own CUDA libraries (PyTorch's nvidia-* wheels) on the library
# path, and writes to $OUT: gpu_check.log (provider, fp16 vs fp32, network time), engine.log/json (preview latency,
# 12 MP and 50 MP on the GPU) and batch.log (photos/s of 1 MP through `tinta batch`; goal >= 100).
set -u -o pipefail
cmd=${1:?usage: gpu_proof.sh stage|run FILE...}
shift
mkdir -p .ortstage
cp "$@" .ortstage/ || exit 1
ls -l .ortstage
[ "$cmd" = stage ] && exit 0
OUT=${OUT:-/tmp/gpu_proof}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 packaging/ort_payload.py unpack .ortstage /tmp/ortsite || exit 1
# The CUDA provider needs libcublas/libcudart 13 and cuDNN 9: the machine has them in PyTorch's nvidia-* wheels.
nv=$(python3 -c "import nvidia, sys; print(' '.join(nvidia.__path__))" 2>/dev/null)
libs=$( [ -n "$nv" ] && find $nv -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd: )
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONPATH="/tmp/ortsite:$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$OUT/gpu_check.log"
python3 packaging/gpu_check.py --preload --no-bench 2>&1 | tee -a "$OUT/gpu_check.log"
check=$?
# PySide6 is not on that machine, so the desktop bench is left out; the engine's figures are the GPU's.
timeout 240 python3 bench/engine.py --json "$OUT/engine.json" 2>&1 | tee "$OUT/engine.log"
timeout 240 python3 bench/archive.py --megapixels 1 --jpegs 400 --tiffs 0 --workers 8 2>&1 | tee "$OUT/batch.log"
exit $check

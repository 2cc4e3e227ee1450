#!/usr/bin/env bash
# The one short script for a lent GPU machine (a few minutes): install CuPy, run the GPU tests and the GPU
# benchmark, keep the results. Run from the repository root: bash experiments/gpu_check.sh
set -euo pipefail
python3 -m venv /tmp/gpuvenv && . /tmp/gpuvenv/bin/activate
pip install -q --upgrade pip
pip install -q -e '.[test,gpu]' torch
python -c "import cupy; print('cupy', cupy.__version__, cupy.cuda.runtime.getDeviceCount(), 'device(s)')"
python -m pytest -q tests/nn/test_gpu.py tests/nn/test_fake_device.py
python experiments/gpu_speed.py --steps 30 ${GPU_SPEED_ARGS:-}
mkdir -p "${OUT:-experiments/results}" && cp experiments/results/gpu_speed.json "${OUT:-experiments/results}/" || true

#!/usr/bin/env bash
# The GPU checks of theorycheck in one prepared script, for a session that is lent a CUDA machine.
#
#   bash benchmarks/device_check.sh --fetch   # here (with network): py3.12 wheels the device image lacks -> .whl/
#   bash benchmarks/device_check.sh           # there (no network): install .whl/, run the checks, logs in $OUT
#
# The device image has CUDA torch, numpy, scipy, matplotlib, scikit-image, hypothesis, tqdm, mpmath and sympy
# but not python-flint, PyWavelets, cvxpy (and its solvers) or pylops: --fetch downloads those (cvxpy without
# scs, 43 MB, which the checks below do not use), about 25 MB in all; carry .whl (`.git/info/exclude` it).
# What runs there, each step's output in $OUT/<step>.log (timings are printed, never asserted):
#   1. the gpu-marked tests (tests/gpu and the @pytest.mark.gpu tests of tests/unit);
#   2. bench_scale.py --device cuda: 256 x 256 complex U-Net search vs a raw ascent loop, the certificate's
#      float64 evaluation on the GPU (values['psi_device']), at the benchmark's 10 steps and the library's 200;
#   3. bench_curve.py --device cuda: the batched robustness curve vs the per-level, per-restart loop.
set -uo pipefail
cd "$(dirname "$0")/.."

WHEELS="python-flint PyWavelets cvxpy clarabel osqp qdldl highspy sparsediffpy cffi pylops"
case "${1:-}" in
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    ""|--fetch) ;;
    *) echo "device_check.sh: unknown argument '$1' (use --fetch, --help or nothing)" >&2; exit 2 ;;
esac
if [ "${1:-}" = "--fetch" ]; then
    mkdir -p .whl
    for w in $WHEELS; do
        python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
            --platform any -d .whl "$w" || echo "could not fetch $w" >&2
    done
    du -sh .whl
    exit 0
fi

OUT="${OUT:-$(mktemp -d)}"
echo "logs in $OUT"
python3 -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' \
    || echo "warning: the wheels in .whl are for Python 3.12; this is $(python3 --version)" >&2
if ls .whl/*.whl > /dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:$PWD"
else
    export PYTHONPATH="$PWD"
fi
export PYTHONUNBUFFERED=1
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name() if torch.cuda.is_available() else '')"

status=0
# each step bounded (the session's device time is short); check_instability's float64 evaluations run on
# the CPU and take minutes at 256 x 256, so the scale runs skip it (--no-check)
# (in all at most 480 s of the device's 600 s per command, the install before them included)
timeout 150 python3 -m pytest -q -p no:cacheprovider -m gpu tests/gpu tests/unit 2>&1 | tee "$OUT/gpu_tests.log" || status=1
timeout 90 python3 benchmarks/bench_scale.py --device cuda --reps 3 --no-check 2>&1 | tee "$OUT/bench_scale_10.log" || status=1
timeout 150 python3 benchmarks/bench_scale.py --device cuda --steps 200 --reps 3 --no-check 2>&1 \
    | tee "$OUT/bench_scale_200.log" || status=1
timeout 90 python3 benchmarks/bench_curve.py --device cuda 2>&1 | tee "$OUT/bench_curve.log" || status=1
exit "$status"

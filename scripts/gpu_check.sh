#!/usr/bin/env bash
# GPU readiness: where CUDA exists, train each preset family a few steps on the GPU with bf16 autocast,
# then sample, evaluate, report and resume each run, and run torchrun with nccl on the GPUs there.
# On a machine without CUDA it says so and exits 0, having run nothing (it does not pretend).
#
#   scripts/gpu_check.sh            (or: make gpu-check)
#   DIVERGAN="python -m divergan" OUT=/tmp/gpu-check scripts/gpu_check.sh
set -euo pipefail

PYTHON=${PYTHON:-python}
DIVERGAN=${DIVERGAN:-"$PYTHON -m divergan"}
TORCHRUN=${TORCHRUN:-"$PYTHON -m torch.distributed.run"}
STEPS=${STEPS:-20}

DEVICE=cuda
AMP=bf16
gpus=$($PYTHON -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)')
if [ "${REHEARSE_ON_CPU:-0}" = 1 ]; then  # the same commands on the CPU (gloo, no amp): checks the script only
    DEVICE=cpu
    AMP=off
    gpus=2
    echo "gpu-check: REHEARSE_ON_CPU=1: running the script's commands on the CPU; this checks nothing about CUDA"
elif [ "$gpus" = 0 ]; then
    echo "gpu-check: no CUDA device here (torch.cuda.is_available() is False): nothing was run"
    exit 0
fi
OUT=${OUT:-$(mktemp -d -t divergan-gpu-check-XXXXXX)}
mkdir -p "$OUT"
echo "gpu-check: $gpus device(s) ($DEVICE); runs under $OUT"
log() { echo "== $*"; }
run() { log "$*"; "$@"; }

common=(--quiet --device "$DEVICE" --set "amp=$AMP" --set eval_every=10 --set log_every=5 --set checkpoint_every=10)
# preset families: flat MLP (default sampler mh), WGAN-GP (penalty under autocast), MIX+GAN, conditional
# and unconditional DCGAN on images (batch norm)
families=(
    "default"
    "wgan-gp-toy"
    "quick --set mix_components=3 --set z_dim=3 --name mixgan"
    "digits-quick"
    "mnist --set eval_samples=500 --name mnist-conditional"
)
for spec in "${families[@]}"; do
    read -r -a words <<<"$spec"
    preset=${words[0]}
    name=$preset
    extra=()
    for ((i = 1; i < ${#words[@]}; i++)); do
        if [ "${words[$i]}" = "--name" ]; then name=${words[$((i + 1))]}; i=$((i + 1)); else extra+=("${words[$i]}"); fi
    done
    folder="$OUT/$name"
    # shellcheck disable=SC2086
    run $DIVERGAN train --preset "$preset" --steps "$STEPS" "${common[@]}" "${extra[@]}" --out "$folder"
    # shellcheck disable=SC2086
    run $DIVERGAN sample "$folder" --n 16 --out "$folder/gpu-samples.npy"
    # shellcheck disable=SC2086
    run $DIVERGAN eval "$folder" --json >"$folder/gpu-eval.json"
    # shellcheck disable=SC2086
    run $DIVERGAN report "$folder" --out "$folder/gpu-report.html"
    # more steps: an explicit constant schedule (a linear one would be refused: it spans the run's steps)
    # shellcheck disable=SC2086
    run $DIVERGAN train --resume "$folder" --steps $((STEPS + 10)) --set lr_schedule=constant --quiet
done
# the applications (Games on the same loop): style generator, and glyphs where the DejaVu fonts exist;
# each on the device, then sample, eval, report, resume
apps=("style-quick --set size=16 --name style")
if $PYTHON -c 'from divergan.data import glyphs; import sys; sys.exit(not all(glyphs.installed(f) for f in ("dejavu-sans", "dejavu-serif", "dejavu-sans-mono")))'; then
    apps+=("glyphs-quick --set size=32 --set chars=latin --set source=dejavu-sans --set targets=dejavu-serif,dejavu-sans-mono --name glyphs")
else
    echo "gpu-check: the DejaVu fonts are not installed: the glyph application is not checked"
fi
for spec in "${apps[@]}"; do
    read -r -a words <<<"$spec"
    preset=${words[0]}
    name=${words[-1]}
    extra=("${words[@]:1:${#words[@]}-3}")
    folder="$OUT/$name"
    # shellcheck disable=SC2086
    run $DIVERGAN train --preset "$preset" --steps "$STEPS" "${common[@]}" "${extra[@]}" --out "$folder"
    # shellcheck disable=SC2086
    run $DIVERGAN sample "$folder" --n 16 --out "$folder/gpu-samples.npy"
    # shellcheck disable=SC2086
    run $DIVERGAN eval "$folder" --json >"$folder/gpu-eval.json"
    # shellcheck disable=SC2086
    run $DIVERGAN report "$folder" --out "$folder/gpu-report.html"
    # shellcheck disable=SC2086
    run $DIVERGAN train --resume "$folder" --steps $((STEPS + 10)) --quiet
done
# the Python API on the GPU
run $PYTHON -c "
import torch, divergan
run = divergan.fit(torch.randn(512, 2), out='$OUT/api', steps=$STEPS, device='$DEVICE', amp='$AMP', tensorboard=True)
g = divergan.load_generator(run.folder)
assert g(torch.randn(4, g.z_dim)).shape == (4, 2)
print('api ok', run.metrics['direct']['w1'])
"
# torchrun with nccl: every GPU (at least one process), flat data and batch-norm images (SyncBatchNorm;
# on the CPU rehearsal that second run must be refused with one error line)
# shellcheck disable=SC2086
run $TORCHRUN --standalone --nproc_per_node="$gpus" -m divergan train --preset quick --steps "$STEPS" \
    --device "$DEVICE" --quiet --out "$OUT/torchrun-quick"
if [ "$DEVICE" = cpu ]; then
    if $TORCHRUN --standalone --nproc_per_node=2 -m divergan train --preset digits-quick --steps 2 --device cpu \
        --quiet --out "$OUT/torchrun-digits" 2>"$OUT/torchrun-digits.err"; then
        echo "gpu-check: batch norm under torchrun on the CPU was not refused"; exit 1
    fi
    grep -q "error: .*batch norm" "$OUT/torchrun-digits.err"
else
# shellcheck disable=SC2086
run $TORCHRUN --standalone --nproc_per_node="$gpus" -m divergan train --preset digits-quick --steps "$STEPS" \
    --device "$DEVICE" --quiet --set batch=$((32 * gpus)) --out "$OUT/torchrun-digits"
fi
# shellcheck disable=SC2086
run $DIVERGAN train --resume "$OUT/torchrun-quick" --steps $((STEPS + 10)) --quiet
echo "gpu-check: all passed ($OUT)"

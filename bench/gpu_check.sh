#!/usr/bin/env bash
# The GPU check (bench/gpu_check.py says what it measures): at most 8 minutes on one GPU, rows written into
# docs/BENCHMARKS.md (block gpu_check). `--dry`: the same code on the CPU at tiny sizes (make test runs it).
#   bash bench/gpu_check.sh [--dry] [--budget S] [--steps N] [--warmup N] [--num-workers N] [--doc FILE]
#   bash bench/gpu_check.sh --pending    # the block's description only: not measured on a GPU yet
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
case " $* " in *" --pending "*) exec "$PY" -m bench.gpu_check "$@" ;; esac
DRY=0
case " $* " in *" --dry "*) DRY=1 ;; esac
# seconds for the whole check: 8 minutes on a GPU; the dry run's time is the CPU's (a shared one is slow)
LIMIT=${GPU_CHECK_LIMIT:-$([ "$DRY" = 1 ] && echo 1800 || echo 480)}
GPUS=$( (nvidia-smi -L 2>/dev/null || true) | grep -c '^GPU' || true)
TWO=0
if [ "$DRY" = 1 ] || [ "$GPUS" -ge 2 ]; then TWO=1; fi
DATA=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
trap 'rm -rf "$DATA"' EXIT
START=$SECONDS
# with a 2-process part to come, the 1-process cases start within 300 s (an explicit --budget wins)
BUDGET=()
if [ "$TWO" = 1 ] && [ "$DRY" = 0 ]; then BUDGET=(--budget 300); fi
timeout "$LIMIT" "$PY" -m bench.gpu_check --data "$DATA" "${BUDGET[@]}" "$@"
if [ "$TWO" = 1 ]; then
    LEFT=$((LIMIT - (SECONDS - START)))
    [ "$LEFT" -gt 30 ] || { echo "gpu_check: no time left for the 2-process rows" >&2; exit 0; }
    timeout "$LEFT" "$PY" -m accelerate.commands.launch --multi_gpu --num_processes 2 --main_process_port \
        "${GPU_CHECK_PORT:-29533}" -m bench.gpu_check --data "$DATA" --processes-row --budget $((LEFT - 30)) "$@"
fi

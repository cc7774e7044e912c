#!/usr/bin/env bash
# g2net_cpu.sh: the G2Net CPU recipe start to finish: exp0116 (the winners' 1D CNN on the whitened strain, at
# width 8 for a CPU: g2net_cnn1d_t; the H1/L1 swap, sign flip and time shift, SGD) for 8 epochs on all folds ->
# evaluate.py with its 4 views, on its validation folds (oof_views.csv) and on the test set -> blend.py
# --classical (its logit, the matched filter's network SNR and excess power, a logistic regression fitted out
# of fold) -> the blended submission. Why the 1D CNN and not exp0109's CQT ResNet18: on the same 12,000
# synthetic samples and test split it scores 0.857 against 0.833 (docs/BENCHMARKS.md, learning curves).
#   bash g2net_cpu.sh                                  # input/g2net -> outputs/g2net_cpu/blend/submission.csv
#   QUICK=1 bash g2net_cpu.sh                          # synthetic data, tiny budget
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=g2net
QUICK_MODEL="model_name=g2net_cnn1d_t"  # QUICK keeps the wave model (its default is a CQT ResNet)
source common/recipe.sh

RUN=$OUTPUTS/g2net_cpu
SETTINGS=(data_dir="$DATA" output_dir="$RUN" model_name=g2net_cnn1d_t epochs=8 num_workers=2 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0116 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0116 --oof --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0116 --set "${SETTINGS[@]}"
$PYTHON blend.py --exps exp0116 --classical --out "$RUN/blend/submission.csv" --set "${SETTINGS[@]}"
echo "g2net_cpu: submission written to $RUN/blend/submission.csv"

#!/usr/bin/env bash
# g2net_cpu.sh: the G2Net CPU recipe start to finish: exp0109 (whitened CQT of the three detectors, ResNet18,
# the H1/L1 swap in training and as a test-time view) at a CPU budget (128 px, 6 epochs) on all folds ->
# evaluate.py with its views, on its validation folds (oof_views.csv) and on the test set -> blend.py
# --classical (its logit, the matched filter's network SNR and excess power, a logistic regression fitted out
# of fold) -> the blended submission.
#   bash g2net_cpu.sh                                  # input/g2net -> outputs/g2net_cpu/blend/submission.csv
#   QUICK=1 bash g2net_cpu.sh                          # synthetic data, tiny budget
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=g2net
source common/recipe.sh

RUN=$OUTPUTS/g2net_cpu
SETTINGS=(data_dir="$DATA" output_dir="$RUN" image_size=128 epochs=6 num_workers=2 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0109 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0109 --oof --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0109 --set "${SETTINGS[@]}"
$PYTHON blend.py --exps exp0109 --classical --out "$RUN/blend/submission.csv" --set "${SETTINGS[@]}"
echo "g2net_cpu: submission written to $RUN/blend/submission.csv"

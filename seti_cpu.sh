#!/usr/bin/env bash
# seti_cpu.sh: the SETI CPU recipe start to finish: exp0025 (resnet18, [aaa,bcd] at 128 px, both flips, line
# augmentation, 8 epochs) on all folds -> evaluate.py with the views it trained with, on its validation folds
# (oof_views.csv) and on the test set -> blend.py --classical (its logit and the dedoppler search's 10
# statistics, a logistic regression fitted out of fold) -> the blended submission.
#   bash seti_cpu.sh                                   # input/seti -> outputs/seti_cpu/blend/submission.csv
#   DATA=input/seti_demo SET="image_size=96" bash seti_cpu.sh
#   QUICK=1 bash seti_cpu.sh                           # synthetic data, tiny budget
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

RUN=$OUTPUTS/seti_cpu
SETTINGS=(data_dir="$DATA" output_dir="$RUN" "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0025 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0025 --oof --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0025 --set "${SETTINGS[@]}"
$PYTHON blend.py --exps exp0025 --classical --out "$RUN/blend/submission.csv" --set "${SETTINGS[@]}"
echo "seti_cpu: submission written to $RUN/blend/submission.csv"

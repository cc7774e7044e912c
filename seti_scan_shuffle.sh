#!/usr/bin/env bash
# seti_scan_shuffle.sh: exp0023 (the six scans stacked, 512x512) with scan shuffles and time reversal, then a
# TTA submission with the trained views (the team log's exp014, from its plan "inp=1, shuffle_cons + inv"):
#   shuffle_cons  permute ON scans among themselves and OFF scans among themselves (target kept)
#   shuffle_inv   swap ON and OFF scans (a needle now sits in the OFF scans: target -> 0)
# plus time reversal within scans: their shuffle baseline flipped both axes.
#   bash seti_scan_shuffle.sh
#   LAUNCH="accelerate launch --multi_gpu --num_processes 2" bash seti_scan_shuffle.sh
#   QUICK=1 bash seti_scan_shuffle.sh      # synthetic data, tiny budget
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

RUN=$OUTPUTS/seti_scan_shuffle
SETTINGS=(data_dir="$DATA" output_dir="$RUN" shuffle_cons=0.5 shuffle_inv=0.25 flip_time=0.5 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0023 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0023 --out "$RUN/submission.csv" --set "${SETTINGS[@]}"
echo "seti_scan_shuffle: submission written to $RUN/submission.csv"

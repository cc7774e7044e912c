#!/usr/bin/env bash
# exp014: inp=1 (one-channel stack of the six scans, 512x512: exp0023) with scan shuffles, then a
# TTA submission with the trained views. From the log's plan "inp=1, shuffle_cons + inv":
#   shuffle_cons  permute ON scans among themselves and OFF scans among themselves (target kept)
#   shuffle_inv   swap ON and OFF scans (a needle now sits in the OFF scans: target -> 0)
# plus time reversal within scans: their shuffle baseline flipped both axes.
#   bash exp014.sh
#   LAUNCH="accelerate launch --multi_gpu --num_processes 2" bash exp014.sh
#   QUICK=1 bash exp014.sh      # synthetic data, tiny budget
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

RUN=$OUTPUTS/exp014
SETTINGS=(data_dir="$DATA" output_dir="$RUN" shuffle_cons=0.5 shuffle_inv=0.25 flip_time=0.5 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0023 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0023 --out "$RUN/submission.csv" --set "${SETTINGS[@]}"
echo "exp014: submission written to $RUN/submission.csv"

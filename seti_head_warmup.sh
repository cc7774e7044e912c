#!/usr/bin/env bash
# exp008: inp=1 (exp0023) with EfficientNetV2-S, warmed up by training only the classifier head for
# the first epochs, then a TTA submission with the trained views. From the log: large models sometimes never learned,
# blamed on the pretrained weights being wrecked early; a head-only warm-up protects them, so give
# the backbone ImageNet weights: SET="pretrained_path=FILE" (or pretrained=true with internet).
#   bash exp008.sh
#   SET="pretrained_path=weights/tf_efficientnetv2_s.in21k_ft_in1k.pth" bash exp008.sh
#   QUICK=1 bash exp008.sh      # synthetic data, tiny budget (its single epoch is all warm-up)
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

RUN=$OUTPUTS/exp008
SETTINGS=(data_dir="$DATA" output_dir="$RUN" model_name=tf_efficientnetv2_s drop_rate=0.4 drop_path_rate=0.2
          head_only_epochs=2 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0023 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0023 --out "$RUN/submission.csv" --set "${SETTINGS[@]}"
echo "exp008: submission written to $RUN/submission.csv"

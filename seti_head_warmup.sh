#!/usr/bin/env bash
# seti_head_warmup.sh: exp0023 with EfficientNetV2-S, the classifier head trained alone for the first 2 epochs,
# then a TTA submission with the trained views (the team log's exp008: inp=1 with a head-only warm-up). From the
# log: large models sometimes never learned, blamed on the pretrained weights being wrecked early; a head-only
# warm-up protects them, so give the backbone ImageNet weights: SET="pretrained_path=FILE" (or pretrained=true with internet).
#   bash seti_head_warmup.sh
#   SET="pretrained_path=weights/tf_efficientnetv2_s.in21k_ft_in1k.pth" bash seti_head_warmup.sh
#   QUICK=1 bash seti_head_warmup.sh      # synthetic data, tiny budget (its single epoch is all warm-up)
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

RUN=$OUTPUTS/seti_head_warmup
SETTINGS=(data_dir="$DATA" output_dir="$RUN" model_name=tf_efficientnetv2_s drop_rate=0.4 drop_path_rate=0.2
          head_only_epochs=2 "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0023 --resume --set "${SETTINGS[@]}"
$LAUNCH evaluate.py --exp exp0023 --out "$RUN/submission.csv" --set "${SETTINGS[@]}"
echo "seti_head_warmup: submission written to $RUN/submission.csv"

#!/usr/bin/env bash
# seti_pretrain_old.sh: exp0012 ([aaa,bcd]) pretrained on the old data, fine-tuned on 4 folds, TTA submission
# (the team log's exp001).
#   1. pretrain on the old (pre-relaunch) data in $DATA/old, one hold-out split (fold 0 of 5)
#   2. fine-tune 4 folds on the new data from stage 1's best checkpoint
#   3. predict the test set with the 4 folds x the test-time views exp0012 trained with
# Re-running continues where it stopped (--resume skips finished folds).
#   bash seti_pretrain_old.sh
#   LAUNCH="accelerate launch --multi_gpu --num_processes 2" bash seti_pretrain_old.sh
#   SET="model_name=tf_efficientnet_b3 batch_size=16" bash seti_pretrain_old.sh
#   QUICK=1 bash seti_pretrain_old.sh      # synthetic data, tiny budget: a few minutes on a CPU
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK).
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=seti
source common/recipe.sh

PRETRAIN=$OUTPUTS/seti_pretrain_old_pretrain
FINETUNE=$OUTPUTS/seti_pretrain_old
STAGE2=(data_dir="$DATA" init_from="$PRETRAIN/exp0012/fold0/best.pt" output_dir="$FINETUNE" "${OVERRIDES[@]}")

$LAUNCH main.py --exp exp0012 --resume \
    --set data_dir="$DATA/old" n_folds=5 folds=0 output_dir="$PRETRAIN" "${OVERRIDES[@]}"
$LAUNCH main.py --exp exp0012 --resume --set "${STAGE2[@]}"
$LAUNCH evaluate.py --exp exp0012 --out "$FINETUNE/submission.csv" --set "${STAGE2[@]}"
echo "seti_pretrain_old: submission written to $FINETUNE/submission.csv"

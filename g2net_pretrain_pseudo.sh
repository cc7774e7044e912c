#!/usr/bin/env bash
# g2net_pretrain_pseudo.sh: exp0116 (the 1D CNN on the whitened strain, what won G2Net) pretrained on synthetic
# data, fine-tuned on the training data, a soft pseudo-label round (exp0117), then a TTA submission (exp0116's 4 views).
#   1. generate $DATA/pretrain with common.g2net.synth if it is not there ($PRETRAIN_SAMPLES samples,
#      default 100000, about 10 GB; another seed than any data set of the same size made with defaults)
#   2. pretrain on it, one hold-out split (fold 0 of 10) choosing the checkpoint
#   3. fine-tune 4 folds on $DATA from stage 2's best checkpoint; predict the test set (the experiment's views)
#   4. fine-tune 4 folds again from stage 2, the test set joining training with stage 3's predicted
#      probabilities as soft labels (exp0117 = exp0116 + soft pseudo labels); predict the test set
# Re-running continues where it stopped (--resume skips finished folds; a half-written synthetic set, one
# without its sample_submission.csv, is generated again).
#   bash g2net_pretrain_pseudo.sh
#   LAUNCH="accelerate launch --multi_gpu --num_processes 2" bash g2net_pretrain_pseudo.sh
#   PRETRAIN_SAMPLES=500000 SET="model_name=g2net_cnn1d_s" bash g2net_pretrain_pseudo.sh
#   QUICK=1 bash g2net_pretrain_pseudo.sh    # synthetic data, tiny model and budget: a few minutes on a CPU
# Environment: see common/recipe.sh (LAUNCH, DATA, OUTPUTS, SET, QUICK), and PRETRAIN_SAMPLES.
set -euo pipefail
cd "$(dirname "$0")"
COMPETITION=g2net
# QUICK's model: resnet18 on 64 px CQT images, a training step 3.4x faster on a CPU than the 1D CNN at width 8
# (g2net_cnn1d_t: its k=127 convolutions at 2048 Hz are slow backwards on a CPU; on a GPU they are not)
QUICK_MODEL="model_name=resnet18 image_size=64 front_end=cqt tta=2"  # a CQT image has no sign-flip views
source common/recipe.sh

if [[ ${QUICK:-0} == 1 ]]; then
    PRETRAIN_SAMPLES=${PRETRAIN_SAMPLES:-160}
fi
PRETRAIN_SAMPLES=${PRETRAIN_SAMPLES:-100000}
PRETRAIN_DATA=$DATA/pretrain
PRETRAIN=$OUTPUTS/g2net_pretrain_pseudo_pretrain
FINETUNE=$OUTPUTS/g2net_pretrain_pseudo_finetune
RUN=$OUTPUTS/g2net_pretrain_pseudo
CHECKPOINT=$PRETRAIN/exp0116/fold0/best.pt
STAGE3=(data_dir="$DATA" init_from="$CHECKPOINT" output_dir="$FINETUNE" "${OVERRIDES[@]}")
STAGE4=(data_dir="$DATA" init_from="$CHECKPOINT" output_dir="$RUN" pseudo_labels="$FINETUNE/submission.csv"
        "${OVERRIDES[@]}")

if [[ ! -f $PRETRAIN_DATA/sample_submission.csv ]]; then  # written last: its absence means not (fully) there
    $PYTHON -m common.g2net.synth --out "$PRETRAIN_DATA" --train "$PRETRAIN_SAMPLES" --test 0 --seed 1001 \
        --overwrite
fi
$LAUNCH main.py --exp exp0116 --resume \
    --set data_dir="$PRETRAIN_DATA" n_folds=10 folds=0 output_dir="$PRETRAIN" "${OVERRIDES[@]}"
$LAUNCH main.py --exp exp0116 --resume --set "${STAGE3[@]}"
$LAUNCH evaluate.py --exp exp0116 --out "$FINETUNE/submission.csv" --set "${STAGE3[@]}"
$LAUNCH main.py --exp exp0117 --resume --set "${STAGE4[@]}"
$LAUNCH evaluate.py --exp exp0117 --out "$RUN/submission.csv" --set "${STAGE4[@]}"
echo "g2net_pretrain_pseudo: submission written to $RUN/submission.csv"

# Shared setup of the recipes (sourced, not run): the recipe sets COMPETITION (seti | g2net) first.
# Reads the environment:
#   LAUNCH   how main.py/evaluate.py start (default "$PYTHON", one process), e.g.
#            "accelerate launch --multi_gpu --num_processes 2"
#   PYTHON   interpreter for helpers (default python)
#   DATA     dataset folder (default input/$COMPETITION, input/${COMPETITION}_quick under QUICK=1);
#            OUTPUTS  where stages write (default outputs); both relative to the repository root, where the
#            recipes run
#   SET      extra "key=value ..." overrides, applied last to every stage
#   QUICK=1  synthetic data in $DATA (generated when it has no train/ folder; by default its own folder, never
#            the real data's input/$COMPETITION), a tiny model and budget, outputs under outputs/quick unless
#            OUTPUTS is set, one torch thread per process (tiny models gain little from threads, and threads
#            thrash on a busy CPU)
# A recipe may set QUICK_MODEL ("key=value ..."), QUICK's tiny model, before sourcing (default resnet18 at 64 px).
# Sets LAUNCH, DATA, OUTPUTS and the array OVERRIDES (pass it after a stage's own --set values).
PYTHON=${PYTHON:-python}
LAUNCH=${LAUNCH:-$PYTHON}
declare -A QUICK_DATA=([seti]="--train 160 --test 40 --old 80" [g2net]="--train 160 --test 40")
OVERRIDES=()
if [[ ${QUICK:-0} == 1 ]]; then
    DATA=${DATA:-input/${COMPETITION}_quick}
    OUTPUTS=${OUTPUTS:-outputs/quick}
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
    if [[ ! -d $DATA/train ]]; then
        $PYTHON -m common."$COMPETITION".synth --out "$DATA" ${QUICK_DATA[$COMPETITION]}
    fi
    read -ra _quick_model <<< "${QUICK_MODEL:-model_name=resnet18 image_size=64}"
    OVERRIDES+=("${_quick_model[@]}" epochs=1 batch_size=16 num_workers=0 wandb=false)
fi
DATA=${DATA:-input/$COMPETITION}
OUTPUTS=${OUTPUTS:-outputs}
read -ra _set <<< "${SET:-}"
OVERRIDES+=("${_set[@]}")

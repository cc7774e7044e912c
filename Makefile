# `make demo`: synthetic data -> train a small experiment on CPU -> 16x TTA submission.csv.
# `make test`: the test suite. Both create .venv and install requirements.txt on first use.
PY := .venv/bin/python
QUICK_DATA ?= input

.venv/installed: requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

demo: .venv/installed
	@test -f $(QUICK_DATA)/train_labels.csv || $(PY) -m common.synth --out $(QUICK_DATA) --train 800 --test 200 --old 400
	$(PY) main.py --exp exp0001 --overwrite --set model_name=resnet18 image_size=128 epochs=3 batch_size=32 num_workers=2 wandb=false n_folds=4 folds=0

test: .venv/installed
	$(PY) -m pytest -q tests

.PHONY: demo test

# `make demo`: synthetic data -> exp001.sh (pretrain on old data, 4-fold fine-tune, 16x TTA submission), CV AUC.
# `make test`: the test suite. Both create .venv and install requirements.txt on first use.
PY := .venv/bin/python
DEMO_SET ?= model_name=resnet18 image_size=96 epochs=2 batch_size=32 num_workers=2 wandb=false

.venv/installed: requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

demo: .venv/installed
	@test -f input/seti/train_labels.csv || $(PY) -m common.seti.synth --out input/seti --train 600 --test 200 --old 300
	QUICK=1 PYTHON=$(PY) OMP_NUM_THREADS=2 DATA=input/seti OUTPUTS=outputs/demo SET="$(DEMO_SET)" bash exp001.sh
	$(PY) -m common.report --output-dir outputs/demo/exp001 --out outputs/demo/report

test: .venv/installed
	$(PY) -m pytest -q tests

.PHONY: demo test

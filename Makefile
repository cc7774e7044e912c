# `make demo`: synthetic SETI data -> exp001.sh (pretrain on old data, 4-fold fine-tune, TTA submission), CV AUC.
# `make demo-g2net`: synthetic G2Net data -> exp0101 (4 folds, tiny budget), 4-view submission, CV AUC beside
#   the classical baseline's, report. `make demo COMPETITION=g2net` is the same.
# `make test`: the test suite. All create .venv and install requirements.txt on first use.
PY := .venv/bin/python
DEMO_SET ?= model_name=resnet18 image_size=96 epochs=2 batch_size=32 num_workers=2 wandb=false
G2NET_DEMO_SET ?= data_dir=input/g2net output_dir=outputs/demo-g2net model_name=resnet18 image_size=64 epochs=3 \
	batch_size=32 num_workers=1 wandb=false
COMPETITION ?= seti

.venv/installed: requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

demo: .venv/installed demo-$(COMPETITION)

demo-seti: .venv/installed
	@test -f input/seti/train_labels.csv || $(PY) -m common.seti.synth --out input/seti --train 600 --test 200 --old 300
	QUICK=1 PYTHON=$(PY) OMP_NUM_THREADS=2 DATA=input/seti OUTPUTS=outputs/demo SET="$(DEMO_SET)" bash exp001.sh
	$(PY) -m common.baseline --exp exp0012 --set data_dir=input/seti output_dir=outputs/demo/exp001 num_workers=2
	$(PY) -m common.report --output-dir outputs/demo/exp001 --out outputs/demo/report

demo-g2net: .venv/installed
	@test -d input/g2net/train || $(PY) -m common.g2net.synth --out input/g2net --train 800 --test 200
	OMP_NUM_THREADS=2 $(PY) main.py --exp exp0101 --resume --set $(G2NET_DEMO_SET)
	OMP_NUM_THREADS=2 $(PY) evaluate.py --exp exp0101 --set $(G2NET_DEMO_SET)
	$(PY) -m common.baseline --exp exp0101 --set $(G2NET_DEMO_SET)
	$(PY) -m common.report --output-dir outputs/demo-g2net --out outputs/demo-g2net/report

test: .venv/installed
	$(PY) -m pytest -q tests

.PHONY: demo demo-seti demo-g2net test

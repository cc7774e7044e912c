# `make install`: .venv with requirements.txt (the other targets do it on first use).
# `make demo`: synthetic SETI data in input/seti_demo (brighter needles than the generator's default, SNR 12-120,
#   printed) -> the CPU recipe exp0025 at a demo budget (2 folds, 96 px, 6 epochs) -> its submission -> blend.py
#   --classical: the network's, the dedoppler search's and the blend's CV AUC on the same cadences, the blended
#   submission -> report PNG, all under outputs/demo.
# `make demo-g2net` (= `make demo COMPETITION=g2net`): the same for G2Net with the CPU recipe's exp0116 (the 1D CNN
#   at width 8, 2 folds, 8 epochs), data in input/g2net_demo.
# `make test`: the test suite (what CI runs).
# No target writes into input/seti or input/g2net, the folders for the real Kaggle data.
PY := .venv/bin/python
DEMO_SET ?= data_dir=input/seti_demo output_dir=outputs/demo image_size=96 epochs=6 batch_size=16 n_folds=2 \
	num_workers=1 wandb=false
G2NET_DEMO_SET ?= data_dir=input/g2net_demo output_dir=outputs/demo-g2net model_name=g2net_cnn1d_t epochs=8 n_folds=2 \
	batch_size=32 num_workers=1 wandb=false
COMPETITION ?= seti

.venv/installed: requirements.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

install: .venv/installed

demo: .venv/installed demo-$(COMPETITION)

demo-seti: .venv/installed
	@test -f input/seti_demo/train_labels.csv || $(PY) -m common.seti.synth --out input/seti_demo --train 480 --test 120 \
		--old 0 --snr-min 12 --snr-max 120 --seed 1 --workers 2
	OMP_NUM_THREADS=2 $(PY) main.py --exp exp0025 --resume --set $(DEMO_SET)
	OMP_NUM_THREADS=2 $(PY) evaluate.py --exp exp0025 --oof --set $(DEMO_SET)
	OMP_NUM_THREADS=2 $(PY) evaluate.py --exp exp0025 --set $(DEMO_SET)
	$(PY) blend.py --exps exp0025 --classical --out outputs/demo/blend/submission.csv --set $(DEMO_SET)
	$(PY) -m common.report --output-dir outputs/demo

demo-g2net: .venv/installed
	@test -d input/g2net_demo/train || $(PY) -m common.g2net.synth --out input/g2net_demo --train 800 --test 200
	OMP_NUM_THREADS=2 $(PY) main.py --exp exp0116 --resume --set $(G2NET_DEMO_SET)
	OMP_NUM_THREADS=2 $(PY) evaluate.py --exp exp0116 --oof --set $(G2NET_DEMO_SET)
	OMP_NUM_THREADS=2 $(PY) evaluate.py --exp exp0116 --set $(G2NET_DEMO_SET)
	$(PY) blend.py --exps exp0116 --classical --out outputs/demo-g2net/blend/submission.csv --set $(G2NET_DEMO_SET)
	$(PY) -m common.report --output-dir outputs/demo-g2net

test: .venv/installed
	$(PY) -m pytest -q tests

.PHONY: install demo demo-seti demo-g2net test

"""G2Net through the engine: exp0101 trains on 2 CPU processes and submits with its views; its keys are its own."""
import sys

import pandas as pd
import pytest

from common.config import load_config
from common.errors import UserError
from common.g2net import synth
from conftest import ROOT, free_port, run

PY = sys.executable


@pytest.fixture(scope="module")
def g2net_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("g2net") / "input"
    synth.generate(out, {"train": 24, "test": 8}, seed=5, snr_min=20, snr_max=30)
    return out


def settings(data_dir, output_dir):
    return ["--set", f"data_dir={data_dir}", f"output_dir={output_dir}", "model_name=resnet18", "image_size=32",
            "epochs=1", "batch_size=8", "num_workers=0", "n_folds=2", "wandb=false"]


def test_two_process_run_then_a_submission(g2net_data, tmp_path):
    run(ROOT, PY, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", 2, "--main_process_port",
        free_port(), "main.py", "--exp", "exp0101", *settings(g2net_data, tmp_path))
    oof = pd.read_csv(tmp_path / "exp0101" / "oof.csv", dtype={"id": str})
    labels = pd.read_csv(g2net_data / "training_labels.csv", dtype={"id": str})
    assert sorted(oof["id"]) == sorted(labels["id"]) and oof["pred"].between(0, 1).all()
    assert (tmp_path / "cache" / "whitening_spectrum_folds.npz").is_file()  # fitted once, by the main process
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary[["exp", "competition"]].values.tolist() == [["exp0101", "g2net"]]

    out = run(ROOT, PY, "evaluate.py", "--exp", "exp0101", *settings(g2net_data, tmp_path))
    assert f"2 folds x {load_config('exp0101').tta} views" in out.stdout
    sub = pd.read_csv(tmp_path / "exp0101" / "submission.csv", dtype={"id": str})
    sample = pd.read_csv(g2net_data / "sample_submission.csv", dtype={"id": str})
    assert sub["id"].tolist() == sample["id"].tolist() and sub["target"].between(0, 1).all()

    out = run(ROOT, PY, "-m", "common.baseline", "--exp", "exp0101", *settings(g2net_data, tmp_path))
    assert "classical baseline AUC" in out.stdout and "the network's CV AUC on the same samples" in out.stdout


def test_seti_keys_are_unknown_to_g2net_experiments():
    with pytest.raises(UserError, match="--set layout: unknown config key"):
        load_config("exp0101", ["layout=aaa_bcd"])
    with pytest.raises(UserError, match="--set swap_ligo: unknown config key"):
        load_config("exp0012", ["swap_ligo=0.5"])
    with pytest.raises(UserError, match="tta=16 is not one of 1, 2, 4"):
        load_config("exp0101", ["tta=16"])
    assert load_config("exp0101").data_dir == "input/g2net" and load_config("exp0012").data_dir == "input/seti"


def test_missing_data_names_the_folder_and_the_generator(tmp_path):
    out = run(ROOT, PY, "main.py", "--exp", "exp0101", *settings(tmp_path / "none", tmp_path), check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "none/ not found" in out.stderr and "python -m common.g2net.synth" in out.stderr

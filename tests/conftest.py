"""Shared fixtures: tiny hand-made datasets in the Kaggle layout."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def write_kaggle_layout(root: Path, n_train=16, n_test=4, seed=0) -> Path:
    """Random-noise cadences in the Kaggle layout (train/, test/, the two CSVs)."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:03x}{rng.integers(16**12):012x}" for i in range(n_train + n_test)]
    for split, split_ids in (("train", ids[:n_train]), ("test", ids[n_train:])):
        for i in split_ids:
            (root / split / i[0]).mkdir(parents=True, exist_ok=True)
            np.save(root / split / i[0] / f"{i}.npy", rng.standard_normal((6, 273, 256)).astype(np.float16))
    pd.DataFrame({"id": ids[:n_train], "target": [k % 2 for k in range(n_train)]}).to_csv(
        root / "train_labels.csv", index=False)
    pd.DataFrame({"id": ids[n_train:], "target": 0.5}).to_csv(root / "sample_submission.csv", index=False)
    return root


@pytest.fixture
def kaggle_dir(tmp_path):
    return write_kaggle_layout(tmp_path / "input")


@pytest.fixture
def root():
    """The repository root (scripts run from here)."""
    return ROOT


def run(root, *cmd, check=True, **kwargs):
    """Run a command from the repository root; fail with its output when check and it fails."""
    import subprocess

    out = subprocess.run([str(c) for c in cmd], cwd=root, capture_output=True, text=True, **kwargs)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory):
    """A tiny synthetic dataset (48 train, 12 test) with 30% positives."""
    import sys

    out = tmp_path_factory.mktemp("synth") / "input"
    run(ROOT, sys.executable, "-m", "common.seti.synth", "--out", out, "--train", 48, "--test", 12, "--old", 0,
        "--positive-fraction", 0.3, "--seed", 1, "--workers", 2)
    return out


def tiny_settings(data_dir, output_dir, *extra):
    """--set overrides for a seconds-long run of a tiny model."""
    return ["--set", f"data_dir={data_dir}", f"output_dir={output_dir}", "model_name=resnet18", "image_size=32",
            "epochs=2", "batch_size=8", "num_workers=0", "n_folds=2", "wandb=false", *extra]


@pytest.fixture(scope="session")
def trained_run(synth_dir, tmp_path_factory):
    """exp0001 trained once on the tiny dataset (both folds, one process); returns its output_dir."""
    import sys

    out = tmp_path_factory.mktemp("runs")
    run(ROOT, sys.executable, "main.py", "--exp", "exp0001", *tiny_settings(synth_dir, out))
    return out

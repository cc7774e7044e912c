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


def write_needle_layout(root: Path, n_train=48, n_test=8, seed=0, amplitude=3.0) -> Path:
    """A set a tiny model learns in a few epochs: Gaussian noise, and for every second training cadence (and
    test cadence) a bright straight line drifting over the ON scans' global time (target 1)."""
    rng = np.random.default_rng(seed)
    ids = [f"{i:03x}{rng.integers(16**12):012x}" for i in range(n_train + n_test)]
    rows = (np.arange(6)[:, None] * 273 + np.arange(273)).astype(float)  # global time of each scan's rows
    freqs = np.arange(256)
    for k, i in enumerate(ids):
        x = rng.standard_normal((6, 273, 256))
        if k % 2:
            start, drift = rng.uniform(40, 216), rng.uniform(-30, 30) / 1638
            centre = start + drift * rows[[0, 2, 4]]
            x[[0, 2, 4]] += amplitude * np.exp(-0.5 * ((freqs - centre[..., None]) / 1.5) ** 2)
        split = "train" if k < n_train else "test"
        (root / split / i[0]).mkdir(parents=True, exist_ok=True)
        np.save(root / split / i[0] / f"{i}.npy", x.astype(np.float16))
    pd.DataFrame({"id": ids[:n_train], "target": [k % 2 for k in range(n_train)]}).to_csv(
        root / "train_labels.csv", index=False)
    pd.DataFrame({"id": ids[n_train:], "target": 0.5}).to_csv(root / "sample_submission.csv", index=False)
    return root


@pytest.fixture(scope="session")
def needle_dir(tmp_path_factory):
    """64 training cadences (half with a bright needle) and 8 test cadences."""
    return write_needle_layout(tmp_path_factory.mktemp("needles") / "input", n_train=64, amplitude=8.0)


def learning_settings(data_dir, output_dir, *extra):
    """--set overrides for a seconds-long run that learns needle_dir (CV AUC ~1 after one epoch): test_nfnet has
    no batch statistics (1 and 2 processes compute the same), and, unlike LayerNorm models (test_convnext), keeps
    a bright pixel's amplitude."""
    return ["--set", f"data_dir={data_dir}", f"output_dir={output_dir}", "model_name=test_nfnet", "image_size=32",
            "epochs=2", "batch_size=8", "num_workers=0", "n_folds=2", "wandb=false", "lr=3e-3", "warmup_epochs=0",
            "sampler=shuffle", *extra]


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


@pytest.fixture
def one_torch_thread():
    """One torch thread: on a machine shared with other jobs, two threads can make tiny models 10x slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def free_port() -> int:
    """A TCP port no process listens on (for a launched process group's rendezvous)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

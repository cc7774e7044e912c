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

"""G2Net data layer: labels and files in the Kaggle layout, checked strain loading, the Dataset.

Layout (`data_dir` defaults to input/g2net):
    <data_dir>/training_labels.csv      id, target
    <data_dir>/sample_submission.csv    id, target
    <data_dir>/train/<id[0]>/<id[1]>/<id[2]>/<id>.npy   (same under test/)
Ids are 10 hex characters. A sample is float64 (3, 4096): detectors H1, L1, V1, 2 s at 2048 Hz,
raw strain of order 1e-20; `load_strain` returns it x1e20 as float32 (order 1, safe under fp16).

Every problem with the input is a one-line `UserError` that names the file and says what to do.
Workers only read files; whitening and the CQT run on the device (common.g2net.frontend).
"""
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from common.data import attach_paths, check_data_dir, load_npy, read_csv_checked
from common.data import sample_path as nested_path

SAMPLE_SHAPE = (3, 4096)  # detectors H1, L1, V1 x 2 s at 2048 Hz
DEPTH = 3  # train/<id[0]>/<id[1]>/<id[2]>/<id>.npy
STRAIN_SCALE = 1e20  # raw strain is of order 1e-20; x1e20 gives order 1
NO_DATA_HINT = ("generate synthetic data with `python -m common.g2net.synth --out {d}` or unzip the "
                "Kaggle g2net-gravitational-wave-detection download into {d}/")
COLUMNS = ("id", "target")


def sample_path(data_dir, split: str, sample_id: str) -> Path:
    """`<data_dir>/<split>/<id[0]>/<id[1]>/<id[2]>/<id>.npy` (split "train" or "test")."""
    return nested_path(Path(data_dir) / split, sample_id, DEPTH)


def _read_split(data_dir, split: str, csv_name: str, exact: bool) -> pd.DataFrame:
    data_dir = Path(data_dir)
    hint = NO_DATA_HINT.format(d=data_dir)
    check_data_dir(data_dir, hint)
    csv = data_dir / csv_name
    df = read_csv_checked(csv, COLUMNS, hint)
    df = attach_paths(df, data_dir / split, DEPTH, csv, hint, exact=exact)
    return df[["id", "target", "path"]].reset_index(drop=True)


def read_labels(data_dir) -> pd.DataFrame:
    """training_labels.csv as (id, target, path); every id needs a file under train/."""
    return _read_split(data_dir, "train", "training_labels.csv", exact=False)


def read_submission_ids(data_dir) -> pd.DataFrame:
    """sample_submission.csv as (id, target, path), in its order; its ids and the files under test/
    must be the same set."""
    return _read_split(data_dir, "test", "sample_submission.csv", exact=True)


def load_strain(path, nan_policy: str = "warn") -> np.ndarray:
    """One sample as float32 (3, 4096) = (H1, L1, V1) x time, multiplied by STRAIN_SCALE = 1e20 (order 1).
    Checked: a readable .npy, shape (3, 4096), a float dtype; NaN/Inf become 0 with one warning per
    process (nan_policy="error" raises UserError instead).

    Keep it float32 up to the whitening: low-frequency noise dominates the amplitude far above the
    20-500 Hz band, so rounding the strain to fp16/bf16 adds noise after whitening (on test noise with
    ~1000x between total and in-band amplitude: fp16 about +3% noise power, bf16 more than the band's own).
    """
    x = load_npy(path, SAMPLE_SHAPE, "detector H1/L1/V1, time", nan_policy)
    x *= STRAIN_SCALE  # float32 holds 1e-20 with full relative precision: scaling after the cast is exact
    return x


class StrainDataset(Dataset):
    """Sample files -> (strain float32 (3, 4096) x1e20, target float32 scalar; 0 when targets is None).

    The loader workers only read and check files; whitening, CQT and augmentations run on the device.
    """

    def __init__(self, paths, targets=None, nan_policy: str = "warn"):
        self.paths = list(paths)
        self.targets = (np.zeros(len(self.paths), np.float32) if targets is None
                        else np.asarray(targets, np.float32))
        if len(self.targets) != len(self.paths):
            raise ValueError(f"{len(self.paths)} paths but {len(self.targets)} targets")
        self.nan_policy = nan_policy

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        x = torch.from_numpy(load_strain(self.paths[i], self.nan_policy))
        return x, torch.tensor(self.targets[i], dtype=torch.float32)

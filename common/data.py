"""Data layer: labels and files in the Kaggle layout, stratified folds, and the cadence Dataset.

A cadence is one `.npy` file of shape (6, 273, 256) = (scan, time, frequency), scans in order
ABACAD: ON scans (the target) at 0, 2, 4 and OFF scans at 1, 3, 5. A `layout` turns it into a
model input (channels, height, width) by stacking scans along time and/or channels.
"""
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from torch.utils.data import Dataset

from common.cadence import CADENCE_SHAPE
from common.errors import UserError

# layout -> channels, each a list of scans stacked along time (top to bottom)
LAYOUTS = {
    "stack6": [[0, 1, 2, 3, 4, 5]],  # the cadence as one tall image
    "on": [[0, 2, 4]],  # ON scans only
    "aaa_bcd": [[0, 2, 4], [1, 3, 5]],  # channel 1: ON scans, channel 2: OFF scans
    "aaabcd": [[0, 2, 4, 1, 3, 5]],  # tile order AAABCD
    "abacad": [[0], [1], [2], [3], [4], [5]],  # each scan its own channel
}
INTERPOLATIONS = ("bicubic", "bilinear", "area", "nearest")

NO_DATA_HINT = ("generate synthetic data with `python -m common.synth --out {d}` or unzip the "
                "Kaggle seti-breakthrough-listen download into {d}/")


def in_channels(layout: str) -> int:
    return len(LAYOUTS[layout])


def cadence_to_image(x: torch.Tensor, layout: str) -> torch.Tensor:
    """(..., 6, T, F) cadence -> (..., C, k*T, F) image: scans picked and stacked per `layout`."""
    scans = torch.tensor(LAYOUTS[layout], device=x.device)  # (C, k)
    img = x[..., scans, :, :]  # (..., C, k, T, F)
    return img.reshape(*img.shape[:-3], img.shape[-3] * img.shape[-2], img.shape[-1])


def resize_image(img: torch.Tensor, size: int, interpolation: str = "bicubic") -> torch.Tensor:
    """Resize (C, H, W) or (B, C, H, W) to size x size; size 0 returns the input unchanged."""
    if not size or img.shape[-2:] == (size, size):
        return img
    batch = img if img.dim() == 4 else img.unsqueeze(0)
    smooth = interpolation in ("bicubic", "bilinear")
    out = F.interpolate(batch, size=(size, size), mode=interpolation,
                        **({"align_corners": False, "antialias": True} if smooth else {}))
    return out if img.dim() == 4 else out.squeeze(0)


def subtract_median(x: torch.Tensor) -> torch.Tensor:
    """Remove each scan's median spectrum (the "image - median image" of exp0011)."""
    x = x.contiguous()  # torch.median gives wrong values on expanded (stride-0) views
    return x - x.median(dim=-2, keepdim=True).values


def cadence_path(data_dir, split: str, cadence_id: str) -> Path:
    return Path(data_dir) / split / cadence_id[0] / f"{cadence_id}.npy"


def _existing_ids(folder: Path) -> set[str]:
    """Ids of all .npy files under folder/<c>/ (one directory scan, no per-file stat)."""
    ids = set()
    for sub in os.scandir(folder):
        if sub.is_dir():
            ids.update(e.name[:-4] for e in os.scandir(sub.path) if e.name.endswith(".npy"))
    return ids


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"{path} not found; " + NO_DATA_HINT.format(d=path.parent))
    try:
        df = pd.read_csv(path, dtype={"id": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise UserError(f"cannot parse {path} ({type(e).__name__}); it must be a CSV with columns "
                        f"{','.join(columns)}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise UserError(f"{path} has no column {', '.join(missing)} (found: {', '.join(df.columns)}); "
                        f"expected columns {','.join(columns)}")
    dup = df["id"][df["id"].duplicated()]
    if len(dup):
        raise UserError(f"{path} lists {dup.nunique()} ids more than once (e.g. {', '.join(dup.iloc[:3])}); "
                        "each id must appear once")
    return df


def _attach_paths(df: pd.DataFrame, data_dir: Path, split: str, csv: Path, exact: bool = False) -> pd.DataFrame:
    """Add each id's file path; every id needs a file (and, when exact, every file an id)."""
    folder = data_dir / split
    if not folder.is_dir():
        raise UserError(f"{folder}/ not found; " + NO_DATA_HINT.format(d=data_dir))
    have = _existing_ids(folder)
    if not have:
        raise UserError(f"{folder}/ holds no .npy files; " + NO_DATA_HINT.format(d=data_dir))
    missing = df.loc[~df["id"].isin(have), "id"]
    if len(missing):
        raise UserError(f"{len(missing)} ids in {csv} have no file in {folder}/ (e.g. "
                        f"{', '.join(missing.iloc[:3])}); expected {folder}/<id[0]>/<id>.npy")
    extra = sorted(have - set(df["id"])) if exact else []
    if extra:
        raise UserError(f"{folder}/ holds {len(extra)} files not listed in {csv} (e.g. {', '.join(extra[:3])}); "
                        "use the CSV that came with this data")
    df = df.copy()
    df["path"] = [str(cadence_path(data_dir, split, i)) for i in df["id"]]
    return df


def read_train(data_dir, n_folds: int, seed: int) -> pd.DataFrame:
    """train_labels.csv with `path` and a stratified `fold` column (reproducible for n_folds, seed)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(f"data folder {data_dir}/ not found; " + NO_DATA_HINT.format(d=data_dir))
    csv = data_dir / "train_labels.csv"
    df = _attach_paths(_read_csv(csv, ("id", "target")), data_dir, "train", csv)
    counts = df["target"].round().value_counts()
    if len(counts) < 2 or counts.min() < n_folds:
        raise UserError(f"{csv}: need at least {n_folds} samples of each class for {n_folds} folds "
                        f"(found {counts.to_dict()})")
    return assign_folds(df, n_folds, seed)


def assign_folds(df: pd.DataFrame, n_folds: int, seed: int) -> pd.DataFrame:
    folds = np.zeros(len(df), dtype=int)
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(skf.split(df, df["target"].round())):
        folds[valid] = k
    return df.assign(fold=folds)


def read_test(data_dir) -> pd.DataFrame:
    """sample_submission.csv with `path`; its ids and the files in test/ must match one to one."""
    data_dir = Path(data_dir)
    csv = data_dir / "sample_submission.csv"
    return _attach_paths(_read_csv(csv, ("id", "target")), data_dir, "test", csv, exact=True)


_warned_nonfinite = False


def load_cadence(path, nan_policy: str = "warn") -> np.ndarray:
    """Load one cadence as float32 (6, 273, 256), checking shape, dtype and finiteness."""
    global _warned_nonfinite
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise UserError(f"cannot read {path} ({e}); the file is truncated or not a .npy array: "
                        "re-download or regenerate it") from None
    if x.shape != CADENCE_SHAPE or not np.issubdtype(x.dtype, np.floating):
        raise UserError(f"{path} holds a {x.dtype} array of shape {x.shape}; expected a float array "
                        f"of shape {CADENCE_SHAPE} (scan, time, frequency)")
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        if nan_policy == "error":
            raise UserError(f"{path} holds {bad.sum()} NaN/Inf values (nan_policy=error)")
        if not _warned_nonfinite:
            warnings.warn(f"{path} holds {bad.sum()} NaN/Inf values, replaced with 0 (further files "
                          "not reported; --set nan_policy=error to stop instead)", stacklevel=2)
            _warned_nonfinite = True
        x[bad] = 0.0
    return x


class CadenceDataset(Dataset):
    """Cadence files -> (image, target).

    Pipeline: load -> [median subtraction] -> cadence_transform(x, y) -> layout -> image_transform
    (albumentations, HWC float32) -> resize. With layout=None the (6, T, F) cadence is returned,
    for transforms done later on the device (test-time augmentation).
    """

    def __init__(self, paths, targets=None, layout: str | None = "stack6", image_size: int = 0,
                 interpolation: str = "bicubic", median_subtract: bool = False,
                 cadence_transform=None, image_transform=None, nan_policy: str = "warn"):
        self.paths = list(paths)
        self.targets = np.zeros(len(self.paths), np.float32) if targets is None else np.asarray(targets, np.float32)
        self.layout, self.image_size, self.interpolation = layout, image_size, interpolation
        self.median_subtract, self.nan_policy = median_subtract, nan_policy
        self.cadence_transform, self.image_transform = cadence_transform, image_transform

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        x = torch.from_numpy(load_cadence(self.paths[i], self.nan_policy))
        y = float(self.targets[i])
        if self.median_subtract:
            x = subtract_median(x)
        if self.cadence_transform is not None:
            x, y = self.cadence_transform(x, y)
        if self.layout is not None:
            x = cadence_to_image(x, self.layout)
            if self.image_transform is not None:
                hwc = np.ascontiguousarray(x.permute(1, 2, 0).numpy())
                x = torch.from_numpy(self.image_transform(image=hwc)["image"]).permute(2, 0, 1)
            x = resize_image(x, self.image_size, self.interpolation)
        return x.contiguous(), torch.tensor(y, dtype=torch.float32)


def make_dataset(cfg, df: pd.DataFrame, train: bool, raw: bool = False) -> CadenceDataset:
    """The Dataset an experiment uses for `df`: augmented when train, raw cadences when raw."""
    from common.augment import build_cadence_transform, build_image_transform

    return CadenceDataset(
        df["path"], df["target"] if "target" in df else None,
        layout=None if raw else cfg.layout, image_size=cfg.image_size,
        interpolation=cfg.interpolation, median_subtract=cfg.median_subtract, nan_policy=cfg.nan_policy,
        cadence_transform=build_cadence_transform(cfg) if train else None,
        image_transform=build_image_transform(cfg) if train else None,
    )


def seed_worker(worker_id: int) -> None:
    """DataLoader worker_init_fn: give albumentations a per-worker seed derived from torch's."""
    info = torch.utils.data.get_worker_info()
    transform = getattr(info.dataset, "image_transform", None)
    if transform is not None and hasattr(transform, "set_random_seed"):
        transform.set_random_seed(torch.initial_seed() % 2**32)

"""Reading a Kaggle competition layout, whatever the competition: labels CSVs checked line by line,
one file per id found with one directory scan, stratified folds, and checked `.npy` loading.

Every problem with the input is a one-line `UserError` that names the file and says what to do;
`hint` is the competition's sentence on how to get data ("generate synthetic data with ...").
"""
import os
import warnings
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedKFold

from common.errors import UserError


def existing_ids(folder: Path, depth: int) -> set[str]:
    """Ids of all `.npy` files `depth` folder levels below `folder` (directory scans only, no stat per file)."""
    level = [str(folder)]
    for _ in range(depth):
        level = [e.path for d in level for e in os.scandir(d) if e.is_dir()]
    return {e.name[:-4] for d in level for e in os.scandir(d) if e.name.endswith(".npy")}


def read_csv_checked(path: Path, columns: tuple[str, ...], hint: str) -> pd.DataFrame:
    """A CSV with `columns` and unique ids (read as strings)."""
    if not path.is_file():
        raise UserError(f"{path} not found; {hint}")
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


def sample_path(folder, sample_id: str, depth: int) -> Path:
    """Kaggle's nesting: `folder/<id[0]>/.../<id[depth-1]>/<id>.npy`."""
    return Path(folder, *sample_id[:depth], f"{sample_id}.npy")


def attach_paths(df: pd.DataFrame, folder: Path, depth: int, csv: Path, hint: str, exact: bool = False) -> pd.DataFrame:
    """Add each id's file path (`sample_path(folder, id, depth)`); every id needs a file and, when exact,
    every file an id."""
    if not folder.is_dir():
        raise UserError(f"{folder}/ not found; {hint}")
    have = existing_ids(folder, depth)
    if not have:
        raise UserError(f"{folder}/ holds no .npy files; {hint}")
    missing = df.loc[~df["id"].isin(have), "id"]
    if len(missing):
        pattern = "".join(f"<id[{k}]>/" for k in range(depth))
        raise UserError(f"{len(missing)} ids in {csv} have no file in {folder}/ (e.g. "
                        f"{', '.join(missing.iloc[:3])}); expected {folder}/{pattern}<id>.npy")
    extra = sorted(have - set(df["id"])) if exact else []
    if extra:
        raise UserError(f"{folder}/ holds {len(extra)} files not listed in {csv} (e.g. {', '.join(extra[:3])}); "
                        "use the CSV that came with this data")
    return df.assign(path=[str(sample_path(folder, i, depth)) for i in df["id"]])


def check_data_dir(data_dir: Path, hint: str) -> None:
    if not data_dir.is_dir():
        raise UserError(f"data folder {data_dir}/ not found; {hint}")


def assign_folds(df: pd.DataFrame, n_folds: int, seed: int) -> pd.DataFrame:
    """A stratified `fold` column, reproducible for (n_folds, seed); each class needs n_folds samples."""
    counts = df["target"].round().value_counts()
    if len(counts) < 2 or counts.min() < n_folds:
        raise UserError(f"need at least {n_folds} samples of each class for {n_folds} folds "
                        f"(found {counts.to_dict()})")
    folds = np.zeros(len(df), dtype=int)
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(skf.split(df, df["target"].round())):
        folds[valid] = k
    return df.assign(fold=folds)


_warned_nonfinite = False


def load_npy(path, shape: tuple[int, ...], axes: str, nan_policy: str = "warn") -> np.ndarray:
    """Load one sample as float32, checking that it is a readable float array of `shape` (described by
    `axes`, e.g. "scan, time, frequency") and finite: NaN/Inf become 0 with one warning per process, or
    stop the run with nan_policy="error"."""
    global _warned_nonfinite
    try:
        x = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise UserError(f"cannot read {path} ({e}); the file is truncated or not a .npy array: "
                        "re-download or regenerate it") from None
    if x.shape != shape or not np.issubdtype(x.dtype, np.floating):
        raise UserError(f"{path} holds a {x.dtype} array of shape {x.shape}; expected a float array "
                        f"of shape {shape} ({axes})")
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


def seed_worker(worker_id: int) -> None:
    """DataLoader worker_init_fn: give a dataset's albumentations pipeline a per-worker seed derived from torch's."""
    info = torch.utils.data.get_worker_info()
    transform = getattr(info.dataset, "image_transform", None)
    if transform is not None and hasattr(transform, "set_random_seed"):
        transform.set_random_seed(torch.initial_seed() % 2**32)

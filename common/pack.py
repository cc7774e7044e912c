"""Packed datasets: one array file per split instead of one small `.npy` file per sample.

    python -m common.pack --exp exp0012 [--set key=value ...] [--split train test] [--workers 4] [--force]
    python -m common.pack --competition g2net [--data-dir input/g2net] [--pack-dir DIR]

For each split (the folder its files are in: train/, test/) it writes, under the config's `pack_dir` (default
`<data_dir>/packed/`; elsewhere for a read-only data_dir, such as Kaggle's /kaggle/input):

    <split>.npy        (N, *SAMPLE_SHAPE) in the competition's PACK_DTYPE, a .npy header then the rows
                       appended batch by batch (the build's memory does not grow with N):
                       np.load(path, mmap_mode="r") opens it
    <split>_ids.csv    row order: id, path (relative to data_dir), size, mtime_ns of the file packed
    <split>.json       the manifest, written last: count, shape, dtype, the sha256 of the ids CSV, ...

Each row holds what the competition's `load_sample(cfg, path)` returns (checked, NaN/Inf handled by
nan_policy, scaled), cast to PACK_DTYPE: float16 for SETI (its files are float16: lossless), float32
for G2Net (float16 strain loses in-band precision after whitening). The build writes temporary files
and renames them, the manifest last, and deletes the old manifest first: an interrupted build leaves
no pack that reads as complete.

Training and evaluation use the pack automatically (`packed=True`, the default; the pack in their config's
`pack_dir`: give them the `--set pack_dir=DIR` the build had): the competition's
make_dataset reads its rows (each from its offset in the file, in each loader worker) instead of the files.
Before that, every sample used is checked against the pack: its file's path must be listed and its
size and mtime_ns unchanged. A stale or incomplete pack stops the run with a one-line UserError
naming the pack and the command that rebuilds it (`--set packed=false` reads the files instead).
Copying a data folder without keeping mtimes (cp without -p) makes its pack stale: rebuild it.
"""
import argparse
import dataclasses
import datetime
import hashlib
import importlib
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from common.competition import competition
from common.errors import UserError, cli

FORMAT = 1  # bump when the pack's layout changes: older packs become stale
ID_COLUMNS = ["id", "path", "size", "mtime_ns"]


def pack_dir(cfg) -> Path:
    """Where cfg's packs are: `pack_dir`, or <data_dir>/packed when it is empty."""
    return Path(cfg.pack_dir or Path(cfg.data_dir) / "packed")


def pack_files(cfg, split: str) -> tuple[Path, Path, Path]:
    """(array, ids CSV, manifest) of `split`'s pack."""
    d = pack_dir(cfg)
    return d / f"{split}.npy", d / f"{split}_ids.csv", d / f"{split}.json"


def rebuild_command(cfg) -> str:
    where = f" --pack-dir {cfg.pack_dir}" if cfg.pack_dir else ""
    return f"python -m common.pack --competition {cfg.competition} --data-dir {cfg.data_dir}{where}"


def relative_paths(data_dir, paths) -> list[str] | None:
    """`paths` relative to data_dir ("train/a/a1.npy"), by string (no file system calls); None when one is
    not under data_dir."""
    root = os.path.join(os.path.abspath(data_dir), "")
    rel = []
    for p in paths:
        a = os.path.abspath(p)
        if not a.startswith(root):
            return None
        rel.append(a[len(root):].replace(os.sep, "/"))
    return rel


def split_name(rel_path: str) -> str:
    """The split folder of a relative sample path: "train/a/a1.npy" -> "train"."""
    return rel_path.split("/", 1)[0]


def file_stats(paths) -> tuple[np.ndarray, np.ndarray]:
    """(size, mtime_ns) of each file; -1 for a file that is gone."""
    sizes, mtimes = np.full(len(paths), -1, np.int64), np.full(len(paths), -1, np.int64)
    for k, p in enumerate(paths):
        try:
            st = os.stat(p)
        except OSError:
            continue
        sizes[k], mtimes[k] = st.st_size, st.st_mtime_ns
    return sizes, mtimes


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Loading(Dataset):
    """The competition's load_sample over paths, for a DataLoader with workers."""

    def __init__(self, cfg, paths):
        self.cfg, self.paths = cfg, list(paths)

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return competition(self.cfg).load_sample(self.cfg, self.paths[i])


def _stack(batch):
    return np.stack(batch)


def build(cfg, df: pd.DataFrame, workers: int = 0, batch_size: int = 32, progress: bool = True, log=print) -> Path:
    """Pack the samples of df (id, path: one split of cfg.data_dir, e.g. comp.read_train(cfg)); returns the
    array's path. Temporary files are renamed into place, the manifest last."""
    comp = competition(cfg)
    rel = relative_paths(cfg.data_dir, df["path"])
    splits = {split_name(r) for r in rel or []}
    split = splits.pop() if len(splits) == 1 and "/" in rel[0] else None
    if split is None:
        raise UserError(f"cannot pack: the files of these {len(df)} samples are not all in one folder of "
                        f"{cfg.data_dir}/")
    npy, ids_csv, manifest = pack_files(cfg, split)
    npy.parent.mkdir(parents=True, exist_ok=True)
    shape, dtype = tuple(comp.SAMPLE_SHAPE), np.dtype(comp.PACK_DTYPE)
    need = len(df) * math.prod(shape) * dtype.itemsize
    free = shutil.disk_usage(npy.parent).free + (npy.stat().st_size if npy.is_file() else 0)
    if need > free * 0.98:
        raise UserError(f"packing {split} needs {need / 2**30:.1f} GiB; {npy.parent}/ has {free / 2**30:.1f} GiB "
                        "free")
    manifest.unlink(missing_ok=True)  # from here on the old pack no longer reads as complete
    sizes, mtimes = file_stats(df["path"])  # before reading: a file changed during the build makes it stale
    tmp_npy, tmp_ids, tmp_manifest = (p.with_name(f".{p.name}.tmp") for p in (npy, ids_csv, manifest))
    inexact, max_error = 0, 0.0
    try:
        loader = DataLoader(_Loading(cfg, df["path"]), batch_size=batch_size, num_workers=workers,
                            collate_fn=_stack)
        with open(tmp_npy, "wb") as f, tqdm(total=len(df), desc=f"packing {split}", unit="sample",
                                            disable=not progress) as bar:
            header = dict(descr=np.lib.format.dtype_to_descr(dtype), fortran_order=False, shape=(len(df), *shape))
            np.lib.format.write_array_header_1_0(f, header)
            for batch in loader:  # appended batch by batch: a memory map would hold every row written
                cast = batch.astype(dtype)
                cast.tofile(f)
                diff = np.abs(cast.astype(np.float32) - batch).reshape(len(batch), -1).max(1)
                inexact += int((diff > 0).sum())
                max_error = max(max_error, float(diff.max()))
                bar.update(len(batch))
        pd.DataFrame({"id": df["id"].astype(str).values, "path": rel, "size": sizes, "mtime_ns": mtimes}).to_csv(
            tmp_ids, index=False)
        info = dict(format=FORMAT, competition=cfg.competition, split=split, count=len(df), shape=list(shape),
                    dtype=dtype.name, npy_bytes=tmp_npy.stat().st_size, ids_sha256=_sha256(tmp_ids),
                    nan_policy=cfg.nan_policy, inexact_samples=inexact, max_abs_error=max_error,
                    built=datetime.datetime.now().isoformat(timespec="seconds"))
        tmp_manifest.write_text(json.dumps(info, indent=2) + "\n")
        os.replace(tmp_npy, npy)
        os.replace(tmp_ids, ids_csv)
        os.replace(tmp_manifest, manifest)
    except BaseException:
        for p in (tmp_npy, tmp_ids, tmp_manifest):
            p.unlink(missing_ok=True)
        raise
    exact = "exact" if not inexact else f"{inexact} samples rounded, largest error {max_error:.3g}"
    log(f"packed {len(df)} {split} samples into {npy} ({need / 2**20:.1f} MiB, {dtype.name}: {exact})")
    return npy


def _incomplete(npy: Path, why: str, cfg) -> UserError:
    return UserError(f"{npy} is {why}; rebuild it with `{rebuild_command(cfg)}` (or --set packed=false to read "
                     "the files)")


def read_manifest(cfg, split: str) -> dict | None:
    """The complete pack of `split` (manifest plus the ids table); None when there is none. UserError
    for a pack that is incomplete (an interrupted build) or was built for other data or code."""
    npy, ids_csv, manifest = pack_files(cfg, split)
    if not manifest.is_file():
        if npy.is_file() or ids_csv.is_file():
            raise _incomplete(npy, "incomplete (no manifest: an interrupted build?)", cfg)
        return None
    try:
        info = json.loads(manifest.read_text())
        comp = competition(cfg)
        wanted = dict(format=FORMAT, competition=cfg.competition, shape=list(comp.SAMPLE_SHAPE),
                      dtype=np.dtype(comp.PACK_DTYPE).name)
        other = [f"{k} {info.get(k)} (now {v})" for k, v in wanted.items() if info.get(k) != v]
        if other:
            raise _incomplete(npy, f"stale: built with {', '.join(other)}", cfg)
        if not npy.is_file() or npy.stat().st_size != info["npy_bytes"]:
            raise _incomplete(npy, "incomplete (missing or of another size than its manifest says)", cfg)
        if not ids_csv.is_file() or _sha256(ids_csv) != info["ids_sha256"]:
            raise _incomplete(npy, f"incomplete ({ids_csv.name} missing or not the one built with it)", cfg)
        ids = pd.read_csv(ids_csv, dtype={"id": str, "path": str})
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise _incomplete(npy, f"unreadable ({type(e).__name__})", cfg) from None
    if len(ids) != info["count"]:
        raise _incomplete(npy, "incomplete (its ids and its manifest disagree)", cfg)
    return dict(info, npy=npy, ids=ids, row=pd.Series(np.arange(len(ids)), index=ids["path"]))


# (manifest, its mtime_ns) -> relative paths checked fresh in this process
_checked: dict[tuple[str, int], set[str]] = {}


def check_fresh(cfg, split: str, pack: dict, rel: list[str], paths: list[str]) -> np.ndarray:
    """Rows of the pack for the samples `rel` (paths relative to data_dir; `paths` as given); UserError
    naming the pack and the rebuild command when one is missing or its file changed since the build."""
    npy = pack["npy"]
    rows = pack["row"].reindex(rel)
    missing = rows.isna().to_numpy()
    if missing.any():
        example = rel[int(np.argmax(missing))]
        raise _incomplete(npy, f"stale: {int(missing.sum())} of these {len(rel)} {split} samples are not in it "
                          f"(e.g. {example}: added since it was built)", cfg)
    rows = rows.to_numpy(np.int64)
    manifest = pack_files(cfg, split)[2]
    key = (str(manifest.resolve()), manifest.stat().st_mtime_ns)
    done = _checked.setdefault(key, set())
    todo = [k for k, r in enumerate(rel) if r not in done]
    sizes, mtimes = file_stats([paths[k] for k in todo])
    ids = pack["ids"]
    changed = (sizes != ids["size"].to_numpy()[rows[todo]]) | (mtimes != ids["mtime_ns"].to_numpy()[rows[todo]])
    if changed.any():
        example = rel[todo[int(np.argmax(changed))]]
        raise _incomplete(npy, f"stale: {int(changed.sum())} {split} files changed since it was built "
                          f"(e.g. {example}: other size or mtime)", cfg)
    done.update(rel[k] for k in todo)
    return rows


def packed_rows(cfg, df: pd.DataFrame) -> "PackedRows | None":
    """The pack's rows for the samples of df (a path column, files under cfg.data_dir), checked fresh; None
    when cfg.packed is off or some split of df has no pack (then the files are read)."""
    if not cfg.packed or len(df) == 0:
        return None
    paths = [str(p) for p in df["path"]]
    rel = relative_paths(cfg.data_dir, paths)
    if rel is None:
        return None
    splits = sorted({split_name(r) for r in rel})
    packs = {s: read_manifest(cfg, s) for s in splits}
    if any(p is None for p in packs.values()):
        return None
    which, rows = np.zeros(len(rel), np.int64), np.zeros(len(rel), np.int64)
    for k, s in enumerate(splits):
        idx = np.flatnonzero([split_name(r) == s for r in rel])
        which[idx] = k
        rows[idx] = check_fresh(cfg, s, packs[s], [rel[i] for i in idx], [paths[i] for i in idx])
    return PackedRows([str(packs[s]["npy"]) for s in splits], which, rows)


class PackedRows:
    """Samples read from rows of packed arrays, as float32 numpy arrays: each row read from its file at its offset
    (no memory map: a loader worker's resident memory would grow with every row it has read, up to the whole
    pack). The arrays' layouts (header offset, dtype, row shape) are read on first use in each process."""

    def __init__(self, files: list[str], which, rows):
        self.files, self.which, self.rows = list(files), np.asarray(which, np.int64), np.asarray(rows, np.int64)
        self._layouts = None

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i) -> np.ndarray:
        if self._layouts is None:
            self._layouts = [_row_layout(f) for f in self.files]
        k = self.which[i]
        offset, dtype, shape = self._layouts[k]
        size = math.prod(shape)
        row = np.fromfile(self.files[k], dtype, size, offset=offset + int(self.rows[i]) * size * dtype.itemsize)
        return row.reshape(shape).astype(np.float32)


def _row_layout(npy: str) -> tuple[int, np.dtype, tuple[int, ...]]:
    """(byte offset of row 0, dtype, shape of one row) of a .npy file, from its header."""
    array = np.load(npy, mmap_mode="r")
    return array.offset, array.dtype, array.shape[1:]


class PackedDataset(Dataset):
    """(sample float32 tensor, target float32 scalar; 0 when targets is None) from PackedRows: the Dataset of
    a competition whose workers only read samples (G2Net)."""

    def __init__(self, rows: PackedRows, targets=None):
        self.packed = rows
        self.targets = np.zeros(len(rows), np.float32) if targets is None else np.asarray(targets, np.float32)

    def __len__(self):
        return len(self.packed)

    def __getitem__(self, i):
        return torch.from_numpy(self.packed[i]), torch.tensor(self.targets[i], dtype=torch.float32)


def is_fresh(cfg, df: pd.DataFrame) -> bool:
    """Whether df's split has a complete pack that is fresh for all of df (no UserError)."""
    try:
        return packed_rows(cfg, df) is not None
    except UserError:
        return False


def config_from(args):
    """The config of --exp (with --set), or the base config of --competition."""
    from common.config import load_config

    overrides = [v for group in args.set for v in group]
    for key, value in (("data_dir", args.data_dir), ("pack_dir", args.pack_dir)):
        if value:
            overrides.append(f"{key}={value}")
    if args.exp:
        return load_config(args.exp, overrides)
    try:
        module = importlib.import_module(f"common.{args.competition}.competition")
    except ModuleNotFoundError:
        raise UserError(f"--competition {args.competition}: no common/{args.competition}/competition.py") from None
    from common.config import apply_overrides

    cfg = apply_overrides(module.Config(), overrides)
    cfg.validate()
    return cfg


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m common.pack", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--exp", help="experiment whose competition and data_dir are packed")
    which.add_argument("--competition", help="competition package under common/ (seti, g2net): its base config")
    p.add_argument("--data-dir", help="the Kaggle layout to pack (default: the config's data_dir)")
    p.add_argument("--pack-dir", help="where the pack goes (default: the config's pack_dir, <data_dir>/packed)")
    p.add_argument("--set", nargs="+", action="append", default=[], metavar="KEY=VALUE",
                   help="config overrides (data_dir, pack_dir, nan_policy)")
    p.add_argument("--split", nargs="+", choices=("train", "test"), default=["train", "test"],
                   help="splits to pack (default both)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1),
                   help="processes reading files (default min(4, CPUs))")
    p.add_argument("--force", action="store_true", help="rebuild even when the pack is up to date")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    cfg = config_from(args)
    comp = competition(cfg)
    for split in args.split:  # folds do not matter here: 2 is the fewest read_train accepts
        df = comp.read_train(dataclasses.replace(cfg, n_folds=2)) if split == "train" else comp.read_test(cfg)
        if not args.force and is_fresh(cfg, df):
            print(f"{pack_files(cfg, split)[0]} is up to date ({len(df)} samples); --force rebuilds it")
            continue
        build(cfg, df, workers=args.workers)


if __name__ == "__main__":
    main()

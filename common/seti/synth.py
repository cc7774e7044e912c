"""Synthetic SETI Breakthrough Listen data in the Kaggle layout, made with setigen (python -m common.seti.synth).

A cadence is one block of 6*273 time rows x 256 frequency channels (dt = 1 s, df = 1 Hz, so times
are rows and frequencies are channels) of setigen's chi-square noise, cut into six scans in ABACAD
order (ON scans 0, 2, 4). Signals use setigen's paths (linear, sine, squared), its Gaussian spectral
profile and its constant or pulsed (periodic Gaussian) intensity profiles, added as Frame.add_signal
does but only where the signal lies (a setigen Frame per cadence costs twice the time). Paths are
evaluated on the global time axis, so a line continues in scan 2 where it would be after scan 1. Kinds:

    needle    target 1  signal in the ON scans; 20% of them miss one ON scan
    noise     target 0  noise only
    rfi       target 0  signal in all six scans
    off_only  target 0  signal in the OFF scans only; 20% miss one OFF scan

Negatives are 50% noise, 25% rfi, 25% off_only, so a plain energy detector cannot win. `snr` is
setigen's convention applied to one 273-row scan (peak intensity = snr * noise_std / sqrt(273)),
drawn log-uniformly from [--snr-min, --snr-max] for every kind that carries a signal; `drift_rate` is
the signal's mean drift over its span, in channels per scan. Train and test: chi-square with 16
degrees of freedom, each scan standardised to mean 0, std 1.

The "old" (pre-relaunch) split is deliberately shifted: chi-square with 4 degrees of freedom (a
heavier tail), a noise level that changes from scan to scan (log-normal, sigma 0.25), an SNR range
twice as high, and one standardisation over the whole cadence instead of per scan.

Each cadence draws from its own numpy Generator seeded by SeedSequence(seed, spawn_key=(split, 1,
index)), which setigen is handed too, so a seed gives byte-identical files whatever --workers is.
"""
import argparse
import functools
import os
import re
import warnings
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from common.seti.cadence import N_FREQ, N_SCANS, N_TIME, OFF_SCANS, ON_SCANS
from common.errors import UserError, cli
from common.files import prepare_dataset_dir

SPLITS = {"train": 0, "test": 1, "old": 2}  # split -> its code in the seed's spawn key
SPLIT_DIRS = {"train": "train", "test": "test", "old": "old/train"}
KINDS = ("needle", "noise", "rfi", "off_only")
NEG_KINDS = {"noise": 0.5, "rfi": 0.25, "off_only": 0.25}
DROP_ONE = 0.2  # chance that a needle (off_only) misses one of its ON (OFF) scans
PULSED = 0.3  # chance of pulsed rather than constant intensity
MAX_DRIFT = 35.0  # channels per scan: a line over five scans stays inside the 256 channels
WIDTHS = (1.0, 2.0, 3.0, 5.0)  # FWHM of the Gaussian spectral profile, channels
MARGIN = 8  # channels kept between a path and the band edges when possible
META_COLUMNS = ["id", "split", "target", "kind", "snr", "drift_rate", "path", "intensity", "width", "signal_scans"]
WRITTEN = ["train", "test", "old/train", "train_labels.csv", "sample_submission.csv", "old/train_labels.csv",
           "synth_meta.csv"]


@dataclass(frozen=True)
class Style:
    """How a split's noise and normalisation look."""

    chi2_df: int
    scan_jitter: float  # sigma of the log-normal noise level of each scan; 0 keeps it constant
    per_scan_norm: bool  # standardise each scan (True) or the whole cadence (False)
    snr_scale: float  # multiplies the --snr-min/--snr-max range


NEW = Style(chi2_df=16, scan_jitter=0.0, per_scan_norm=True, snr_scale=1.0)
OLD = Style(chi2_df=4, scan_jitter=0.25, per_scan_norm=False, snr_scale=2.0)


@functools.cache
def _setigen():
    """setigen, imported on first use (it takes seconds) without blimpy's pkg_resources warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import setigen
    return setigen


def _signal_scans(rng, kind) -> tuple[int, ...]:
    if kind in ("noise", "rfi"):
        return () if kind == "noise" else tuple(range(N_SCANS))
    scans = ON_SCANS if kind == "needle" else OFF_SCANS
    if rng.random() < DROP_ONE:
        missing = scans[rng.integers(len(scans))]
        scans = tuple(s for s in scans if s != missing)
    return scans


def _random_path(rng, ts):
    """A random setigen path that stays inside the band over times `ts`; returns (path, name, drift)."""
    stg = _setigen()
    name = str(rng.choice(["linear", "sine", "squared"]))
    slope = rng.choice([-1, 1]) * rng.uniform(0, MAX_DRIFT) / N_TIME  # channels per row
    if name == "linear":
        def make(f0):
            return stg.constant_path(f0, slope)
    elif name == "sine":
        period, amplitude = rng.uniform(100, 800), rng.uniform(2, 12)

        def make(f0):
            return stg.sine_path(f0, slope, period, amplitude)
    else:  # parabola with its vertex at a random time t0 inside the span
        t0 = rng.uniform(ts[0], ts[-1])
        reach = max(t0 - ts[0], ts[-1] - t0)
        accel = rng.choice([-1, 1]) * 2 * rng.uniform(5, 150) / reach**2

        def make(f0):
            squared = stg.squared_path(f0, accel)
            return lambda t: squared(t - t0)
    offsets = make(0.0)(ts)
    lo, hi = MARGIN - offsets.min(), N_FREQ - 1 - MARGIN - offsets.max()
    f0 = rng.uniform(lo, hi) if lo <= hi else (lo + hi) / 2
    drift = (offsets[-1] - offsets[0]) / (ts[-1] - ts[0]) * N_TIME
    return make(f0), name, float(drift)


def _normalise(x: np.ndarray, per_scan: bool) -> np.ndarray:
    axes = (1, 2) if per_scan else (0, 1, 2)
    return (x - x.mean(axes, keepdims=True)) / x.std(axes, keepdims=True)


def make_cadence(rng: np.random.Generator, kind: str, snr: float, style: Style = NEW,
                 with_signal: bool = True) -> tuple[np.ndarray, dict]:
    """One normalised cadence (float32, (6, 273, 256)) of `kind` and its metadata.

    Everything random is drawn from `rng`: the signal's parameters first, then the noise, so the same
    rng state with with_signal=False gives the same cadence without its signal.
    """
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {KINDS}")
    stg = _setigen()
    ts, fs = np.arange(N_SCANS * N_TIME, dtype=float), np.arange(N_FREQ, dtype=float)
    scans = _signal_scans(rng, kind)
    meta = dict(target=int(kind == "needle"), kind=kind, snr=0.0, drift_rate=0.0, path="none",
                intensity="none", width=0.0, signal_scans=",".join(map(str, scans)))
    if scans:
        path, name, drift = _random_path(rng, ts[scans[0] * N_TIME:(scans[-1] + 1) * N_TIME])
        width = float(rng.choice(WIDTHS))
        pulsed = rng.random() < PULSED
        period, duty, phase = rng.uniform(15, 120), rng.uniform(0.2, 0.5), rng.uniform(0, 1)
        meta.update(snr=round(snr, 3), drift_rate=round(drift, 4), path=name, width=width,
                    intensity="pulsed" if pulsed else "constant")
    data = stg.chi2(1.0, style.chi2_df, (len(ts), N_FREQ), seed=rng)  # as setigen's Frame.add_noise
    if style.scan_jitter:
        data *= np.repeat(np.exp(style.scan_jitter * rng.standard_normal(N_SCANS)), N_TIME)[:, None]
    if scans and with_signal:
        level = snr * np.sqrt(2 / style.chi2_df) / np.sqrt(N_TIME)  # Frame.get_intensity for one scan
        if pulsed:  # Gaussian pulses whose mean equals `level` (a pulse's area is 1.0645 * fwhm * peak)
            fwhm = duty * period
            profile = stg.periodic_gaussian_t_profile(fwhm, period, phase=phase * period, pulse_direction="up",
                                                      amplitude=level * period / (1.0645 * fwhm), level=0,
                                                      seed=rng)
        else:
            profile = stg.constant_t_profile(level)
        # what Frame.add_signal computes, on the signal's rows and the channels near its path only
        rows = np.flatnonzero(np.isin(ts // N_TIME, scans))
        centres = path(ts[rows])
        lo, hi = max(0, int(centres.min() - 3 * width)), min(N_FREQ, int(centres.max() + 3 * width) + 2)
        f_profile = stg.gaussian_f_profile(width)
        data[rows, lo:hi] += profile(ts[rows])[:, None] * f_profile(fs[lo:hi], centres[:, None])
    cadence = data.reshape(N_SCANS, N_TIME, N_FREQ).astype(np.float32)
    return _normalise(cadence, style.per_scan_norm), meta


def _rng(seed: int, split: str, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPLITS[split], *key)))


def split_kinds(seed: int, split: str, n: int, positive_fraction: float) -> list[str]:
    """The kind of each of a split's n cadences: exact class counts, shuffled."""
    counts = {"needle": round(n * positive_fraction)}
    counts.update({k: int((n - counts["needle"]) * f) for k, f in NEG_KINDS.items()})
    counts["noise"] += n - sum(counts.values())
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    return [str(k) for k in _rng(seed, split, 0).permutation(kinds)]


def _write_cadence(task) -> dict:
    """Generate cadence `index` of `split`, save it as float16, return its synth_meta row."""
    out, seed, split, index, kind, snr_min, snr_max = task
    rng = _rng(seed, split, 1, index)
    cid = f"{rng.integers(16**15):015x}"
    style = OLD if split == "old" else NEW
    snr = float(np.exp(rng.uniform(np.log(snr_min), np.log(snr_max)))) * style.snr_scale
    cadence, meta = make_cadence(rng, kind, snr, style)
    path = Path(out) / SPLIT_DIRS[split] / cid[0] / f"{cid}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, cadence.astype(np.float16))
    return {"id": cid, "split": split, **meta}


def generate(out, sizes: dict, seed=0, positive_fraction=0.1, snr_min=4.0, snr_max=40.0, workers=1,
             overwrite=False) -> pd.DataFrame:
    """Write a dataset to `out` (sizes: split -> number of cadences); returns the synth_meta table."""
    out = prepare_dataset_dir(out, WRITTEN, overwrite)
    tasks = [(str(out), seed, split, i, kind, snr_min, snr_max) for split, n in sizes.items()
             for i, kind in enumerate(split_kinds(seed, split, n, positive_fraction))]
    _setigen()  # import once here so forked workers inherit it
    with Pool(workers) as pool:
        chunks = pool.imap(_write_cadence, tasks, chunksize=max(1, min(16, len(tasks) // (4 * workers))))
        rows = list(tqdm(chunks, total=len(tasks), desc=f"synth -> {out}", unit="cadence"))
    meta = pd.DataFrame(rows, columns=META_COLUMNS)
    meta = meta.sort_values(["split", "id"], key=lambda c: c.map(SPLITS) if c.name == "split" else c)
    meta.to_csv(out / "synth_meta.csv", index=False)
    by_split = {split: meta[meta.split == split] for split in SPLITS}
    by_split["train"][["id", "target"]].to_csv(out / "train_labels.csv", index=False)
    by_split["test"][["id"]].assign(target=0.5).to_csv(out / "sample_submission.csv", index=False)
    if sizes.get("old"):
        by_split["old"][["id", "target"]].to_csv(out / "old/train_labels.csv", index=False)
    return meta


def show(cadence_id: str, data_dir, png=None) -> Path:
    """Save a PNG of cadence `cadence_id` found in data_dir's train/, test/ or old/train/."""
    from common.seti.plots import save_cadence_png

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(f"--data-dir {data_dir} does not exist; generate data with python -m common.seti.synth")
    if not re.fullmatch(r"[0-9a-zA-Z_]+", cadence_id):
        raise UserError(f"--show {cadence_id!r} is not a cadence id (15 hex characters, e.g. 0a3f9c1d2e4b5f6)")
    places = {"train": "train_labels.csv", "test": None, "old/train": "old/train_labels.csv"}
    for folder, labels_csv in places.items():
        npy = data_dir / folder / cadence_id[0] / f"{cadence_id}.npy"
        if npy.is_file():
            break
    else:
        raise UserError(f"no cadence {cadence_id} in {data_dir}/train, test or old/train; "
                        f"pick an id from {data_dir}/train_labels.csv or sample_submission.csv")
    cadence = np.load(npy)
    if cadence.ndim != 3 or cadence.shape[0] != N_SCANS:
        raise UserError(f"{npy} has shape {cadence.shape}, expected ({N_SCANS}, time, frequency)")
    title = f"{cadence_id} ({folder})"
    if labels_csv and (data_dir / labels_csv).is_file():
        labels = pd.read_csv(data_dir / labels_csv, dtype={"id": str}).set_index("id")["target"]
        title += f", target {labels[cadence_id]}" if cadence_id in labels.index else ""
    if (data_dir / "synth_meta.csv").is_file():
        meta = pd.read_csv(data_dir / "synth_meta.csv", dtype={"id": str}, keep_default_na=False)
        for row in meta[meta.id == cadence_id].itertuples():
            title += f"\n{row.kind}, snr {row.snr}, drift {row.drift_rate}/scan, {row.path}, {row.intensity}"
    png = Path(png) if png else Path("outputs") / f"cadence_{cadence_id}.png"
    try:
        return save_cadence_png(cadence, png, title)
    except OSError as e:
        raise UserError(f"cannot write --png {png}: {e.strerror or e}; choose another path") from None


def _check_options(args) -> None:
    for name in ("train", "test", "old", "seed"):
        if getattr(args, name) < 0:
            raise UserError(f"--{name} must be >= 0, got {getattr(args, name)}")
    if not 0 <= args.positive_fraction <= 1:
        raise UserError(f"--positive-fraction must be between 0 and 1, got {args.positive_fraction}")
    if not 0 < args.snr_min <= args.snr_max:
        raise UserError(f"need 0 < --snr-min <= --snr-max, got {args.snr_min} and {args.snr_max}")
    if args.workers < 1:
        raise UserError(f"--workers must be >= 1, got {args.workers}")


@cli
def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m common.seti.synth", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="input/seti", help="dataset folder (default input/seti, the base config's data_dir)")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
    p.add_argument("--train", type=int, default=1000, help="train cadences (default 1000)")
    p.add_argument("--test", type=int, default=300, help="test cadences (default 300)")
    p.add_argument("--old", type=int, default=500, help="old/train cadences, shifted distribution (default 500)")
    p.add_argument("--positive-fraction", type=float, default=0.1, help="share of needles (default 0.1)")
    p.add_argument("--snr-min", type=float, default=4.0, help="lowest per-scan SNR (default 4)")
    p.add_argument("--snr-max", type=float, default=40.0, help="highest per-scan SNR (default 40)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="processes (default: number of CPUs)")
    p.add_argument("--show", metavar="ID", help="instead of generating, save a PNG of cadence ID")
    p.add_argument("--data-dir", default="input", help="where --show looks (default input)")
    p.add_argument("--png", help="PNG path for --show (default outputs/cadence_<ID>.png)")
    args = p.parse_args(argv)
    if args.show:
        print(show(args.show, args.data_dir, args.png))
        return
    _check_options(args)
    sizes = {"train": args.train, "test": args.test, "old": args.old}
    meta = generate(args.out, sizes, args.seed, args.positive_fraction, args.snr_min, args.snr_max,
                    args.workers, args.overwrite)
    old = f"; old/: x{OLD.snr_scale:g}" if args.old else ""
    defaults = (args.snr_min, args.snr_max) == (p.get_default("snr_min"), p.get_default("snr_max"))
    print(f"wrote {len(meta)} cadences to {args.out} ({meta.target.sum()} positives; signal SNR "
          f"{args.snr_min:g}-{args.snr_max:g} log-uniform{old}{' (the defaults)' if defaults else ''})")


if __name__ == "__main__":
    main()

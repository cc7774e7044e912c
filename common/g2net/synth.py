"""Synthetic G2Net data in the Kaggle layout, made with pycbc (python -m common.g2net.synth).

A sample is 2 s of raw strain at 2048 Hz in H1, L1 and V1: float64 (3, 4096), not normalised.

Noise: stationary Gaussian noise, each detector from its own PSD (PSD_MODELS, pycbc.psd), as the real
detectors differ: H1 aLIGOO3LowT1800545 and L1 aLIGO175MpcT1800545, two aLIGO curves of the observing
scenarios (LIGO-T1800545; H1's amplitude spectral density is 1.35-2.5x L1's over 30-1000 Hz, so a
detector whitened by the other's spectrum shows), V1 AdvVirgo. pycbc returns 0 below the 15 Hz cutoff
(and at Nyquist); there the PSD is held at its value at 15 Hz (at the bin below Nyquist), so the noise
is finite and flat below 15 Hz. pycbc.noise.noise_from_psd draws it (LAL's SimNoise), its seed drawn
from the sample's rng. Raw strain std (200 negatives): H1 4.1e-22, L1 2.3e-22, V1 9.5e-22; the real data,
of order 1e-20, carry far more power below 15 Hz, under the band analyses use.

Signals (target 1): binary black holes from pycbc.waveform.get_td_waveform(approximant="IMRPhenomD",
f_lower=20 Hz, delta_t=1/2048, distance=1 Mpc). Masses uniform in [5, 50] solar masses each (sorted so
mass1 >= mass2), aligned spins spin1z, spin2z uniform in [-0.5, 0.5], coalescence phase uniform in
[0, 2 pi). Isotropic sky (ra uniform, dec = arcsin U(-1, 1)), polarization uniform in [0, pi),
isotropic inclination (arccos U(-1, 1)). Antenna patterns and time delays come from
pycbc.detector.Detector.project_wave at one fixed GPS time, REF_GPS (2019-04-01, the start of O3); with
an isotropic ra that loses nothing. `merger_time` is the merger - the sample where the waveform's
amplitude |h+ - i hx| peaks (pycbc's t = 0 lies within ~10 ms of it) - in the GEOCENTRE frame, in
seconds from the window start, uniform in [1.5, 1.9] as in the competition; in detector d it lies at
merger_time + Detector(d).time_delay_from_earth_center (|delay| <= 21 ms). The fractional-sample shift
is pycbc's TimeSeries.inject (a frequency-domain shift of the waveform near the window). The signal in the window is
multiplied by taper() (cosine ramps: 0.1 s at the start, where the inspiral is cut off, and 0.05 s at
the end), so the window edges add no power.

SNR: the network optimal SNR `snr` is drawn uniformly in [--snr-min, --snr-max]; default [2, 14],
which is competition-hard: the matched filter over its 60-template bank scores AUC 0.866 on 2,000 test samples
(docs/BENCHMARKS.md, "G2Net sensitivity"), about the competition's best private-LB AUC 0.88. The SNR is that of the
tapered signal as it lies in the 2 s window: snr_d = sqrt(<h_d, h_d>) with
<a, b> = 4 df Re sum a~(f) b~*(f) / S_d(f) over 20 Hz <= f < 1024 Hz (a~ = rfft(a) / 2048, df = 0.5 Hz,
S_d the detector's PSD above; pycbc.filter.sigma), and snr = sqrt(snr_h1^2 + snr_l1^2 +
snr_v1^2). The whole projected signal is scaled so that snr equals the drawn value; `distance` (Mpc)
is 1 / that scale: the waveforms are made at 1 Mpc and their amplitude goes as 1 / distance.

Negatives (target 0) are noise only; their snr, snr_h1, snr_l1, snr_v1 are 0 and all other signal
columns (masses, spins, distance, merger_time, angles) are empty (NaN).

Files: <out>/train/<id[0]>/<id[1]>/<id[2]>/<id>.npy (same under test/), training_labels.csv (id,
target), sample_submission.csv (id, target 0.5; both sorted by id) and synth_meta.csv (META_COLUMNS).
Ids are 10 lowercase hex characters, unique over both splits. Each split has exactly
round(n * --positive-fraction) positives. Sample `index` of a split draws everything (its id, then its
parameters, then its noise) from default_rng(SeedSequence(seed, spawn_key=(split_code, index))), so a
seed gives byte-identical files whatever --workers is; the labels are a permutation drawn from
SeedSequence(seed, spawn_key=(split_code,)).

--show ID draws one sample's raw strain, its whitened strain and its CQT image per detector through
common.g2net.frontend (Whiten by the mean spectrum of up to 128 training negatives, CQT at native size).

From Python: generate(out, sizes) writes a dataset; make_sample(rng, target) makes one sample in memory;
design_psd(n) gives the PSDs, optimal_snr() a clean signal's SNR per detector, colored_noise(rng) the noise.
"""
import argparse
import functools
import os
import re
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from common.errors import UserError, cli
from common.files import prepare_dataset_dir

FS = 2048  # Hz
N = 4096  # samples in a window (2 s)
DT = 1.0 / FS
DETECTORS = ("H1", "L1", "V1")
APPROXIMANT = "IMRPhenomD"
F_LOWER = 20.0  # Hz: waveform start frequency and the lower limit of every inner product
PSD_CUTOFF = 15.0  # Hz: design PSDs below this are held at their value here
NOISE_LEN = 2 * N  # the PSD's resolution for noise_from_psd: 0.25 Hz (LAL colours 4 s segments)
PAD = 512  # samples of the waveform kept either side of the window before its sub-sample shift
PSD_MODELS = {"H1": "aLIGOO3LowT1800545", "L1": "aLIGO175MpcT1800545", "V1": "AdvVirgo"}  # pycbc.psd names
REF_GPS = 1238166018  # 2019-04-01 15:00:00 UTC (O3 start): the GPS time of every antenna pattern and time delay
MERGER_RANGE = (1.5, 1.9)  # s from the window start, geocentre frame
MASS_RANGE = (5.0, 50.0)  # solar masses
SPIN_RANGE = (-0.5, 0.5)  # aligned spin components
SNR_MIN, SNR_MAX = 2.0, 14.0
TAPER_START, TAPER_END = 0.1, 0.05  # s of cosine ramp applied to the signal at the window's edges
SHOW_NEGATIVES = 128  # training negatives whose mean spectrum whitens the sample --show plots

SPLITS = {"train": 0, "test": 1}  # split -> its code in the seed's spawn key
SIGNAL_COLUMNS = ["mass1", "mass2", "spin1z", "spin2z", "distance", "merger_time", "ra", "dec", "polarization",
                  "inclination", "coa_phase"]
SNR_COLUMNS = ["snr", "snr_h1", "snr_l1", "snr_v1"]
META_COLUMNS = ["id", "split", "target", *SNR_COLUMNS, *SIGNAL_COLUMNS]
WRITTEN = ["train", "test", "training_labels.csv", "sample_submission.csv", "synth_meta.csv"]


@functools.cache
def _pycbc():
    """pycbc's modules used here, imported on first use (it takes seconds)."""
    import pycbc.detector
    import pycbc.filter
    import pycbc.noise
    import pycbc.psd
    import pycbc.types
    import pycbc.waveform

    return pycbc


@functools.cache
def design_psd(n: int = N) -> np.ndarray:
    """One-sided PSDs (1/Hz) of H1, L1, V1 on np.fft.rfftfreq(n, 1/2048): float64 (3, n//2 + 1), read-only.

    PSD_MODELS from pycbc.psd, held at their 15 Hz value below 15 Hz and at the last bin's value at
    Nyquist (where pycbc gives 0). The noise is drawn from exactly this.
    """
    df = FS / n
    out = np.empty((len(DETECTORS), n // 2 + 1))
    for row, name in zip(out, DETECTORS):
        row[:] = np.asarray(getattr(_pycbc().psd, PSD_MODELS[name])(n // 2 + 1, df, PSD_CUTOFF))
        nonzero = np.flatnonzero(row > 0)
        row[:nonzero[0]] = row[nonzero[0]]
        row[nonzero[-1] + 1:] = row[nonzero[-1]]
    out.flags.writeable = False
    return out


def colored_noise(rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with the design PSDs: float64 (3, 4096), one pycbc.noise.noise_from_psd per detector
    (LAL's SimNoise, on design_psd(NOISE_LEN)), its seed drawn from rng.

    It takes 11 ms per detector, against 2.2 ms for the numpy colouring of 8 s it replaced (measured on
    the 2-core CPU): the field's generator, at +25 ms a sample (a positive's waveform takes ~50 ms)."""
    pycbc = _pycbc()
    seeds = rng.integers(2**31, size=len(DETECTORS))
    return np.stack([pycbc.noise.noise_from_psd(N, DT, psd, seed=int(seed)).numpy()
                     for psd, seed in zip(_noise_psds(), seeds)])


@functools.cache
def _noise_psds() -> tuple:
    """design_psd(NOISE_LEN) as one pycbc FrequencySeries per detector."""
    return tuple(_pycbc().types.FrequencySeries(row.copy(), delta_f=FS / NOISE_LEN) for row in design_psd(NOISE_LEN))


def optimal_snr(h: np.ndarray, psd: np.ndarray | None = None) -> np.ndarray:
    """Optimal SNR (D,) of a clean signal h (D, n), row d against psd[d] (default design_psd(n)):
    pycbc.filter.sigma over F_LOWER <= f < Nyquist."""
    pycbc = _pycbc()
    psd = design_psd(h.shape[-1]) if psd is None else psd
    df = FS / h.shape[-1]
    return np.array([pycbc.filter.sigma(pycbc.types.TimeSeries(row, delta_t=DT), low_frequency_cutoff=F_LOWER,
                                        psd=pycbc.types.FrequencySeries(np.array(p, float), delta_f=df))
                     for row, p in zip(h, psd)])


@functools.cache
def taper() -> np.ndarray:
    """The window (4096,) applied to every signal: 0 -> 1 over TAPER_START s, 1 -> 0 over the last TAPER_END s."""
    w = np.ones(N)
    n1, n2 = round(TAPER_START * FS), round(TAPER_END * FS)
    w[:n1] = 0.5 * (1 - np.cos(np.pi * np.arange(n1) / n1))
    w[N - n2:] = 0.5 * (1 + np.cos(np.pi * (np.arange(n2) + 1) / n2))
    w.flags.writeable = False
    return w


@functools.cache
def _detectors():
    """H1, L1, V1 as pycbc Detectors, their GMST reference set (astropy's first call takes ~1.5 s)."""
    detectors = tuple(_pycbc().detector.Detector(name) for name in DETECTORS)
    for det in detectors:
        det.antenna_pattern(0.0, 0.0, 0.0, REF_GPS)
    return detectors


def warm_up() -> None:
    """Do the slow first-time work (pycbc import, PSDs, detectors) once, e.g. before forking workers."""
    _pycbc(), design_psd(), _noise_psds(), _detectors(), taper()


def draw_parameters(rng: np.random.Generator, snr_min: float = SNR_MIN, snr_max: float = SNR_MAX) -> dict:
    """A signal's parameters (rounded as they are stored in synth_meta.csv, and used as rounded)."""
    m = np.sort(rng.uniform(*MASS_RANGE, 2))
    return dict(
        snr=round(float(rng.uniform(snr_min, snr_max)), 4),
        mass1=round(float(m[1]), 4), mass2=round(float(m[0]), 4),
        spin1z=round(float(rng.uniform(*SPIN_RANGE)), 4), spin2z=round(float(rng.uniform(*SPIN_RANGE)), 4),
        merger_time=round(float(rng.uniform(*MERGER_RANGE)), 6),
        ra=round(float(rng.uniform(0, 2 * np.pi)), 6), dec=round(float(np.arcsin(rng.uniform(-1, 1))), 6),
        polarization=round(float(rng.uniform(0, np.pi)), 6),
        inclination=round(float(np.arccos(rng.uniform(-1, 1))), 6),
        coa_phase=round(float(rng.uniform(0, 2 * np.pi)), 6),
    )


def make_signal(p: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """The clean signal (3, 4096) of parameters p scaled to network optimal SNR p["snr"]; its per-detector
    optimal SNRs (3,) and the implied distance in Mpc."""
    hp, hc = _pycbc().waveform.get_td_waveform(
        approximant=APPROXIMANT, mass1=p["mass1"], mass2=p["mass2"], spin1z=p["spin1z"], spin2z=p["spin2z"],
        inclination=p["inclination"], coa_phase=p["coa_phase"], distance=1.0, delta_t=DT, f_lower=F_LOWER)
    peak = int(np.argmax(hp.numpy() ** 2 + hc.numpy() ** 2))  # the merger: the peak of the amplitude |h+ - i hx|
    for h in (hp, hc):  # geocentre merger at p["merger_time"] s after the window's start, REF_GPS
        h.start_time = REF_GPS + p["merger_time"] - peak * DT
    window = _pycbc().types.TimeSeries(np.zeros(N), delta_t=DT, epoch=REF_GPS)
    clean = np.empty((len(DETECTORS), N))
    for row, det in zip(clean, _detectors()):
        # antenna pattern and delay at REF_GPS ("constant"): over a 2 s window the Earth turns 0.008 degrees
        h = det.project_wave(hp, hc, p["ra"], p["dec"], p["polarization"], method="constant",
                             reference_time=REF_GPS)
        # only what reaches the window (+- PAD): inject shifts by a fraction of a sample with an FFT of it all
        near = max(h.start_time, window.start_time - PAD * DT), min(h.end_time, window.end_time + PAD * DT)
        row[:] = window.inject(h.time_slice(*near)).numpy() * taper()
    sigma = optimal_snr(clean)
    scale = p["snr"] / np.sqrt(np.sum(sigma**2))
    return clean * scale, sigma * scale, 1.0 / scale


def make_sample(rng: np.random.Generator, target: int, snr_min: float = SNR_MIN,
                snr_max: float = SNR_MAX) -> tuple[np.ndarray, np.ndarray, dict]:
    """One sample in memory: (strain (3, 4096) float64, its clean signal (3, 4096), meta dict).

    The signal's parameters are drawn from rng first (also for a negative), then the noise, so the same
    rng state gives the same noise with target 0 or 1; strain = noise + clean (clean is 0 for target 0).
    meta has the keys of META_COLUMNS but id and split.
    """
    p = draw_parameters(rng, snr_min, snr_max)
    noise = colored_noise(rng)
    meta = {"target": int(target)}
    if not target:
        meta.update({c: 0.0 for c in SNR_COLUMNS}, **{c: np.nan for c in SIGNAL_COLUMNS})
        return noise, np.zeros_like(noise), meta
    clean, snrs, distance = make_signal(p)
    meta.update(snr=p["snr"], **{f"snr_{d.lower()}": round(float(s), 4) for d, s in zip(DETECTORS, snrs)})
    meta.update({c: p[c] for c in SIGNAL_COLUMNS if c != "distance"}, distance=float(f"{distance:.6g}"))
    meta = {c: meta[c] for c in META_COLUMNS if c in meta}
    return noise + clean, clean, meta


def _rng(seed: int, split: str, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPLITS[split], *key)))


def _draw_id(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(16**10)):010x}"


def sample_ids(seed: int, sizes: dict) -> dict:
    """split -> the ids of its samples in index order: each the first draw of the sample's own rng,
    redrawn from it (in split then index order) in the rare case of a clash, so ids are unique."""
    seen, ids = set(), {}
    for split, n in sizes.items():
        ids[split] = []
        for index in range(n):
            rng = _rng(seed, split, index)
            cid = _draw_id(rng)
            while cid in seen:
                cid = _draw_id(rng)
            seen.add(cid)
            ids[split].append(cid)
    return ids


def split_targets(seed: int, split: str, n: int, positive_fraction: float) -> np.ndarray:
    """The targets of a split's n samples: exactly round(n * positive_fraction) ones, shuffled."""
    n_pos = round(n * positive_fraction)
    return (_rng(seed, split).permutation(n) < n_pos).astype(int)


def npy_path(out, split: str, sample_id: str) -> Path:
    return Path(out, split, *sample_id[:3], f"{sample_id}.npy")


def _write_sample(task) -> dict:
    """Generate sample `index` of `split`, save it, return its synth_meta row."""
    out, seed, split, index, cid, target, snr_min, snr_max = task
    rng = _rng(seed, split, index)
    _draw_id(rng)  # the id draw (the id itself comes from sample_ids), so the rest of the stream is fixed
    strain, _, meta = make_sample(rng, target, snr_min, snr_max)
    path = npy_path(out, split, cid)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, strain)
    return {"id": cid, "split": split, **meta}


def check_options(sizes: dict, seed: int, positive_fraction: float, snr_min: float, snr_max: float,
                  workers: int) -> None:
    """Raise a one-line UserError for a bad option."""
    for name, value in (*sizes.items(), ("seed", seed)):
        if value < 0:
            raise UserError(f"--{name} must be >= 0, got {value}")
    if not 0 <= positive_fraction <= 1:
        raise UserError(f"--positive-fraction must be between 0 and 1, got {positive_fraction}")
    if not 0 < snr_min <= snr_max:
        raise UserError(f"need 0 < --snr-min <= --snr-max, got {snr_min} and {snr_max}")
    if workers < 1:
        raise UserError(f"--workers must be >= 1, got {workers}")


def generate(out, sizes: dict, seed: int = 0, positive_fraction: float = 0.5, snr_min: float = SNR_MIN,
             snr_max: float = SNR_MAX, workers: int = 1, overwrite: bool = False) -> pd.DataFrame:
    """Write a dataset to `out` (sizes: {"train": n, "test": n}); returns the synth_meta table."""
    unknown = set(sizes) - set(SPLITS)
    if unknown:
        raise UserError(f"unknown split(s) {', '.join(sorted(unknown))}; sizes takes {', '.join(SPLITS)}")
    check_options(sizes, seed, positive_fraction, snr_min, snr_max, workers)
    out = prepare_dataset_dir(out, WRITTEN, overwrite)
    ids = sample_ids(seed, sizes)
    tasks = [(str(out), seed, split, i, cid, int(target), snr_min, snr_max) for split, n in sizes.items()
             for i, (cid, target) in enumerate(zip(ids[split], split_targets(seed, split, n, positive_fraction)))]
    warm_up()  # once here, so forked workers inherit it
    progress = dict(total=len(tasks), desc=f"g2net synth -> {out}", unit="sample")
    if workers == 1:
        rows = list(tqdm(map(_write_sample, tasks), **progress))
    else:
        with Pool(workers) as pool:
            chunks = pool.imap(_write_sample, tasks, chunksize=max(1, min(16, len(tasks) // (4 * workers))))
            rows = list(tqdm(chunks, **progress))
    meta = pd.DataFrame(rows, columns=META_COLUMNS)
    meta = meta.sort_values(["split", "id"], key=lambda c: c.map(SPLITS) if c.name == "split" else c)
    meta.to_csv(out / "synth_meta.csv", index=False)
    train, test = meta[meta.split == "train"], meta[meta.split == "test"]
    train[["id", "target"]].to_csv(out / "training_labels.csv", index=False)
    test[["id"]].assign(target=0.5).to_csv(out / "sample_submission.csv", index=False)
    return meta.reset_index(drop=True)


def _whitened_and_cqt(x: np.ndarray, data_dir: Path) -> tuple[np.ndarray, np.ndarray, str, tuple]:
    """The model's view of strain x (3, 4096) through common.g2net.frontend: Whiten (by the average spectrum
    of up to SHOW_NEGATIVES training negatives of data_dir) and CQT (the config's defaults) at native size;
    how it was whitened, and the CQT's band (fmin, top bin, bins per octave)."""
    import torch

    from common.g2net.frontend import CQT, Whiten, average_spectrum

    labels_csv = data_dir / "training_labels.csv"
    negatives = []
    if labels_csv.is_file():
        labels = pd.read_csv(labels_csv, dtype={"id": str})
        if {"id", "target"} <= set(labels.columns):
            ids = sorted(labels.id[labels.target == 0])[:SHOW_NEGATIVES]
            negatives = [p for p in (npy_path(data_dir, "train", i) for i in ids) if p.is_file()]
    if not negatives:
        raise UserError(f"--show whitens by the average spectrum of training negatives, and {labels_csv} "
                        f"names none with a file; generate data with python -m common.g2net.synth")
    whiten, cqt = Whiten(average_spectrum(negatives, progress=False)), CQT(image_size=0)
    with torch.no_grad():
        w = whiten(torch.from_numpy(x * 1e20).float()[None])
        img = cqt(w)
    how = f"whitened by the mean spectrum of {len(negatives)} training negatives"
    return w[0].numpy(), img[0].numpy(), how, cqt.band


def show(sample_id: str, data_dir, png=None) -> Path:
    """Save a PNG of sample `sample_id` found in data_dir's train/ or test/: per detector its raw strain,
    its whitened strain and CQT image (common.g2net.frontend's Whiten and CQT, as a model sees them),
    with its synth_meta.csv row (if any) in the title."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise UserError(f"--data-dir {data_dir} does not exist; generate data with python -m common.g2net.synth")
    if not re.fullmatch(r"[0-9a-zA-Z]{3,}", sample_id):
        raise UserError(f"--show {sample_id!r} is not a sample id (10 hex characters, e.g. 00a3f9c1d2)")
    for split in SPLITS:
        npy = npy_path(data_dir, split, sample_id)
        if npy.is_file():
            break
    else:
        raise UserError(f"no sample {sample_id} in {data_dir}/train or {data_dir}/test; pick an id from "
                        f"{data_dir}/training_labels.csv or {data_dir}/sample_submission.csv")
    try:
        x = np.load(npy, allow_pickle=False).astype(np.float64)
    except (OSError, ValueError, EOFError) as e:
        raise UserError(f"cannot read {npy} ({type(e).__name__}); regenerate or re-download it") from None
    if x.shape != (len(DETECTORS), N):
        raise UserError(f"{npy} has shape {x.shape}, expected ({len(DETECTORS)}, {N})")
    whitened, images, how, (fmin, top, per_octave) = _whitened_and_cqt(x, data_dir)

    title, merger = f"{sample_id} ({split})", None
    meta_csv = data_dir / "synth_meta.csv"
    if meta_csv.is_file():
        meta = pd.read_csv(meta_csv, dtype={"id": str})
        for row in meta[meta.id == sample_id].itertuples():
            title += f", target {row.target}"
            if row.target:
                merger = row.merger_time
                title += (f"\nnetwork SNR {row.snr:.2f} (H1 {row.snr_h1:.2f}, L1 {row.snr_l1:.2f}, "
                          f"V1 {row.snr_v1:.2f}), masses {row.mass1:.1f} + {row.mass2:.1f}, spins "
                          f"{row.spin1z:+.2f} {row.spin2z:+.2f}, merger {row.merger_time:.3f} s (geocentre, "
                          f"dashed), {row.distance:.0f} Mpc")
    t = np.arange(N) * DT
    fig = Figure(figsize=(15, 9.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, len(DETECTORS), sharex=True)
    for d, name in enumerate(DETECTORS):
        axes[0, d].plot(t, x[d], lw=0.5)
        axes[0, d].set_title(f"{name} raw strain")
        axes[1, d].plot(t, whitened[d], lw=0.5)
        axes[1, d].set_title(f"{name} whitened")
        axes[2, d].imshow(images[d], aspect="auto", origin="lower", extent=(0, N * DT, 0, images.shape[1]),
                          cmap="viridis")
        axes[2, d].set_title(f"{name} CQT ({fmin:g}-{top:.0f} Hz, {per_octave} bins/octave)")
        axes[2, d].set_xlabel("time (s)")
        if merger is not None:
            for ax in axes[:, d]:
                ax.axvline(merger, color="r", ls="--", lw=0.8)
    axes[0, 0].set_ylabel("strain")
    axes[1, 0].set_ylabel("whitened (noise ~ unit variance)")
    axes[2, 0].set_ylabel("CQT bin")
    fig.suptitle(f"{title}\n{how}", fontsize=10)
    png = Path(png) if png else Path("outputs") / f"g2net_{sample_id}.png"
    try:
        png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png, dpi=80)
    except OSError as e:
        raise UserError(f"cannot write --png {png}: {e.strerror or e}; choose another path") from None
    return png


def main_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m common.g2net.synth", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="input/g2net", help="dataset folder (default input/g2net)")
    p.add_argument("--overwrite", action="store_true", help="replace a dataset already in --out")
    p.add_argument("--train", type=int, default=1000, help="train samples (default 1000)")
    p.add_argument("--test", type=int, default=300, help="test samples (default 300)")
    p.add_argument("--positive-fraction", type=float, default=0.5, help="share of signals (default 0.5)")
    p.add_argument("--snr-min", type=float, default=SNR_MIN, help=f"lowest network optimal SNR (default {SNR_MIN:g})")
    p.add_argument("--snr-max", type=float, default=SNR_MAX, help=f"highest network optimal SNR (default {SNR_MAX:g})")
    p.add_argument("--seed", type=int, default=0, help="same seed, same bytes (default 0)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="processes (default: number of CPUs)")
    p.add_argument("--show", metavar="ID", help="instead of generating, save a PNG of sample ID")
    p.add_argument("--data-dir", default="input/g2net", help="where --show looks (default input/g2net)")
    p.add_argument("--png", help="PNG path for --show (default outputs/g2net_<ID>.png)")
    return p


@cli
def main(argv=None):
    args = main_parser().parse_args(argv)
    if args.show:
        print(show(args.show, args.data_dir, args.png))
        return
    sizes = {"train": args.train, "test": args.test}
    meta = generate(args.out, sizes, args.seed, args.positive_fraction, args.snr_min, args.snr_max,
                    args.workers, args.overwrite)
    print(f"wrote {len(meta)} samples to {args.out} ({int(meta.target.sum())} positives)")


if __name__ == "__main__":
    main()

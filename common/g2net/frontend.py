"""From strain to model input, on the device in batches: whitening, then (for 2D models) a CQT image.

Whitening follows the 3rd place (ZiyueWang25/Kaggle_G2Net, 1D): each 4096-sample detector series is
extended to 8192 samples by odd reflection at both ends (2048 each side), multiplied by a Tukey(8192,
0.5) window - whose tapers cover exactly the reflected parts, so the real 2 s are never attenuated
and a merger at 1.5-1.9 s keeps its full amplitude - Fourier transformed, divided by the mean
amplitude spectrum of the training negatives (target == 0) processed the same way, transformed back
and cropped to the middle 4096 samples. One spectrum for the whole data set, per detector: per-window
PSD estimates from 2 s are too noisy ("averaging over negatives is the key").

Everything here runs in float32 even under autocast; the strain comes in x1e20 (common.g2net.data).
"""
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal.windows import tukey as _scipy_tukey
from torch import nn
from tqdm.auto import tqdm

from common.g2net.augment import StrainBatch, swap_where
from common.g2net.config import Config, cqt_problem, cqt_top

SAMPLE_RATE = 2048
N_SAMPLES = 4096
DETECTORS = ("H1", "L1", "V1")

PAD = N_SAMPLES // 2  # odd reflection on each side: 4096 -> 8192
N_FFT = N_SAMPLES + 2 * PAD  # 8192
N_RFFT = N_FFT // 2 + 1  # 4097 bins, 0.25 Hz apart
TUKEY_ALPHA = 0.5  # tapers 2048 samples at each end = the reflected parts only
BANDPASS_EDGE_HZ = 4.0  # width of the raised-cosine edges of the optional band-pass
# |X| of complex Gaussian noise is Rayleigh: E|X| = sqrt(pi/4 * E|X|^2). Dividing by the mean amplitude
# leaves E|Y|^2 = 4/pi per bin; with orthonormal FFTs that is the variance averaged over the 8192 samples,
# of which the window passes only mean(w^2) = 0.6875 (alpha 0.5), all of it in the middle 4096 kept.
# The gain sqrt(pi/4 * mean(w^2)) gives whitened noise a flat power spectral density of 1, i.e. unit
# variance without band-pass (a band-pass keeps the in-band level: 20-500 Hz leaves variance ~0.47).
SPECTRUM_FILE = "whitening_spectrum.npz"
FOLD_SPECTRUM_FILE = "whitening_spectrum_folds.npz"  # fold_spectra's per-fold sums
SPECTRUM_VERSION = 2  # bump when the spectrum's computation changes: old cache files become stale
FINGERPRINT_FILES = 4  # files whose bytes go into the cache fingerprint

# nnAudio CQT1992v2 settings besides the band and hop (config keys cqt_fmin, cqt_n_bins, cqt_bins_per_octave,
# cqt_hop; common.g2net.config has the defaults and the measurement behind them)
CQT_FIXED = dict(sr=SAMPLE_RATE, fmax=None, window="nuttall", filter_scale=1, norm=1)
# mean CQT magnitude of unit-variance white noise (measured: 1.24 at 21 and at 12 bins per octave; with norm=1
# and nnAudio's librosa scaling it does not depend on the band). Dividing by it puts whitened noise images at
# mean ~1, a chirp above that - a fixed scale keeps absolute loudness, which per-image standardisation would
# throw away
CQT_NOISE_MEAN = 1.24


def tukey(n: int, alpha: float, dtype=torch.float32) -> torch.Tensor:
    """Tukey window of n samples (cosine tapers over alpha * n / 2 samples at each end), as a tensor."""
    return torch.from_numpy(_scipy_tukey(n, alpha, sym=True)).to(dtype)


def whiten_gain(alpha: float = TUKEY_ALPHA) -> float:
    """sqrt(pi/4 * mean(tukey^2)): the factor that gives whitened detector noise unit variance."""
    return float(np.sqrt(np.pi / 4 * tukey(N_FFT, alpha, torch.float64).pow(2).mean().item()))


def _extend(x: torch.Tensor) -> torch.Tensor:
    """(..., 4096) -> (..., 8192): odd reflection about each end sample (value and slope stay continuous)."""
    left = 2 * x[..., :1] - x[..., 1:PAD + 1].flip(-1)
    right = 2 * x[..., -1:] - x[..., -PAD - 1:-1].flip(-1)
    return torch.cat([left, x, right], dim=-1)


def _rfft(x: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Complex spectrum (..., 4097) of the extended, windowed series (orthonormal FFT)."""
    return torch.fft.rfft(_extend(x) * window, n=N_FFT, norm="ortho")


def spectrum_sums(paths, groups=None, alpha: float = TUKEY_ALPHA, batch_size: int = 64, num_workers: int = 0,
                  nan_policy: str = "warn", progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One pass over the files `paths`: the sum of their amplitude spectra |rfft(tukey * extend(x))| per
    group (`groups`: file i's group 0..G-1; None: all one group), float64 (G, 3, 4097), and the files per
    group (G,). Read with a DataLoader in batches, on the CPU."""
    from common.g2net.data import StrainDataset  # the data layer imports nothing from here

    paths = list(paths)
    if not paths:
        raise ValueError("average_spectrum needs at least one file")
    groups = np.zeros(len(paths), int) if groups is None else np.asarray(groups, int)
    loader = torch.utils.data.DataLoader(StrainDataset(paths, groups, nan_policy=nan_policy), batch_size=batch_size,
                                         num_workers=num_workers)
    window = tukey(N_FFT, alpha, torch.float64)
    sums = torch.zeros(groups.max() + 1, len(DETECTORS), N_RFFT, dtype=torch.float64)
    for x, group in tqdm(loader, desc="whitening spectrum", disable=not progress, leave=False):
        sums.index_add_(0, group.long(), _rfft(x.double(), window).abs())
    return sums.numpy(), np.bincount(groups, minlength=len(sums))


def average_spectrum(paths, alpha: float = TUKEY_ALPHA, batch_size: int = 64, num_workers: int = 0,
                     nan_policy: str = "warn", progress: bool = True) -> np.ndarray:
    """Mean amplitude spectrum |rfft(tukey * extend(x))| of the files `paths` (use the training negatives),
    per detector: float64 (3, 4097), bins 0.25 Hz apart."""
    sums, counts = spectrum_sums(paths, None, alpha, batch_size, num_workers, nan_policy, progress)
    return sums[0] / counts[0]


def spectrum_fingerprint(ids, paths, alpha: float = TUKEY_ALPHA, groups=None) -> str:
    """What a cached spectrum depends on: the negatives (count, a hash of the sorted ids, a hash of the
    bytes of the first FINGERPRINT_FILES files in id order: regenerated data under the same ids), their
    groups (folds) when given, and the window settings."""
    triples = sorted(zip(map(str, ids), paths, [0] * len(ids) if groups is None else map(int, groups)))
    ids_hash = hashlib.sha256("\n".join(i for i, _, _ in triples).encode()).hexdigest()[:16]
    files_hash = hashlib.sha256()
    for _, path, _ in triples[:FINGERPRINT_FILES]:
        try:
            files_hash.update(Path(path).read_bytes())
        except OSError:
            files_hash.update(b"unreadable")  # average_spectrum says what is wrong with it
    folds = ""
    if groups is not None:
        folds = f" folds={hashlib.sha256(' '.join(str(g) for _, _, g in triples).encode()).hexdigest()[:16]}"
    return (f"version={SPECTRUM_VERSION} n={len(triples)} ids={ids_hash} files={files_hash.hexdigest()[:16]}{folds} "
            f"reflect={PAD} tukey={alpha:g} nfft={N_FFT}")


def _stale_reason(old: str, new: str) -> str:
    """Why the fingerprint `old` of a cache file does not match `new`, in words."""
    a, b = (dict(f.split("=", 1) for f in s.split() if "=" in f) for s in (old, new))
    if a.get("n") != b.get("n"):
        return f"computed over {a.get('n')} negatives, now {b.get('n')}"
    if a.get("ids") != b.get("ids"):
        return "the negatives' ids changed"
    if a.get("files") != b.get("files"):
        return "the negatives' files changed (regenerated data?)"
    if a.get("folds") != b.get("folds"):
        return "the folds changed"
    changed = [f"{k} {a.get(k)} -> {b.get(k)}" for k in b if a.get(k) != b.get(k)]
    return "settings changed: " + ", ".join(changed)


def cached_spectrum(folder, ids, paths, alpha: float = TUKEY_ALPHA, batch_size: int = 64,
                    num_workers: int = 0, nan_policy: str = "warn", progress: bool = True,
                    log=print) -> np.ndarray:
    """`average_spectrum(paths)` over the negatives `ids` (with their `paths`), cached in
    `<folder>/whitening_spectrum.npz` (see cached_spectrum_sums)."""
    sums, counts = cached_spectrum_sums(Path(folder) / SPECTRUM_FILE, ids, paths, None, alpha, batch_size,
                                        num_workers, nan_policy, progress, log)
    return sums[0] / counts[0]


def fold_spectra(folder, ids, paths, folds, alpha: float = TUKEY_ALPHA, batch_size: int = 64,
                 num_workers: int = 0, nan_policy: str = "warn", progress: bool = True,
                 log=print) -> dict[int, np.ndarray]:
    """For each fold k of `folds` (the fold of each negative `ids`), the average spectrum of the negatives
    outside fold k: fold k's model trains on those, and its validation negatives are whitened by a mean
    that does not contain them. One pass over the files keeps a sum per fold, cached in
    `<folder>/whitening_spectrum_folds.npz` (see cached_spectrum_sums)."""
    values, groups = np.unique(np.asarray(folds, int), return_inverse=True)
    if len(values) < 2:
        raise ValueError(f"fold_spectra needs negatives in at least 2 folds, got folds {values.tolist()}")
    sums, counts = cached_spectrum_sums(Path(folder) / FOLD_SPECTRUM_FILE, ids, paths, groups, alpha, batch_size,
                                        num_workers, nan_policy, progress, log)
    total, n = sums.sum(0), counts.sum()
    return {int(k): (total - sums[g]) / (n - counts[g]) for g, k in enumerate(values)}


def cached_spectrum_sums(file, ids, paths, groups=None, alpha: float = TUKEY_ALPHA, batch_size: int = 64,
                         num_workers: int = 0, nan_policy: str = "warn", progress: bool = True,
                         log=print) -> tuple[np.ndarray, np.ndarray]:
    """`spectrum_sums(paths, groups)` over the negatives `ids`, cached in `file` with
    `spectrum_fingerprint(ids, paths, alpha, groups)`.

    A cache with another fingerprint (other negatives, folds or window) is recomputed with a message, never
    reused; an unreadable one too. When the folder cannot be written the sums are used uncached. Under
    multi-process training call it on one process (main.py sends its result to the others); the file is
    written atomically, so a race costs only time."""
    ids, paths = list(ids), list(paths)
    if len(ids) != len(paths):
        raise ValueError(f"{len(ids)} ids but {len(paths)} paths")
    file = Path(file)
    fingerprint = spectrum_fingerprint(ids, paths, alpha, groups)
    n_groups = 1 if groups is None else int(np.max(groups)) + 1
    if file.is_file():
        try:
            with np.load(file, allow_pickle=False) as z:
                old, sums, counts = str(z["fingerprint"]), z["sums"], z["counts"]
        except (OSError, ValueError, KeyError, EOFError) as e:
            log(f"whitening spectrum: {file} is unreadable ({type(e).__name__}), recomputing over "
                f"{len(ids)} negatives")
        else:
            if old == fingerprint and sums.shape == (n_groups, len(DETECTORS), N_RFFT):
                log(f"whitening spectrum: using {file} ({len(ids)} negatives)")
                return sums, counts
            log(f"whitening spectrum: {file} is stale ({_stale_reason(old, fingerprint)}), recomputing "
                f"over {len(ids)} negatives")
    else:
        log(f"whitening spectrum: computing over {len(ids)} negatives (cached in {file})")
    sums, counts = spectrum_sums(paths, groups, alpha, batch_size, num_workers, nan_policy, progress)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, sums=sums, counts=counts, fingerprint=np.array(fingerprint))
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        log(f"whitening spectrum: cannot write {file} ({e.strerror or e}); using it uncached "
            "(it is recomputed next run)")
    return sums, counts


def _bandpass_mask(bandpass, n_rfft: int = N_RFFT, edge_hz: float = BANDPASS_EDGE_HZ) -> torch.Tensor:
    """1 inside [lo, hi] Hz, 0 outside, raised-cosine edges of edge_hz reaching 0 at lo - edge and hi + edge."""
    freqs = torch.arange(n_rfft, dtype=torch.float64) * (SAMPLE_RATE / 2) / (n_rfft - 1)
    if bandpass is None:
        return torch.ones(n_rfft, dtype=torch.float32)
    lo, hi = (float(v) for v in bandpass)
    if not 0 <= lo < hi <= SAMPLE_RATE / 2:
        raise ValueError(f"bandpass={bandpass!r} must be (lo, hi) Hz with 0 <= lo < hi <= {SAMPLE_RATE // 2}")

    def ramp(d):  # d = distance into the band from the edge's zero, in Hz; 0 -> 0, edge_hz -> 1
        t = (d / edge_hz).clamp(0, 1)
        return 0.5 - 0.5 * torch.cos(torch.pi * t)

    return (ramp(freqs - (lo - edge_hz)) * ramp((hi + edge_hz) - freqs)).float()


class Whiten(nn.Module):
    """(B, 3, 4096) strain x1e20 -> (B, 3, 4096) whitened, about unit variance for detector noise.

    extend by odd reflection to 8192, Tukey(8192, alpha) window, rfft, divide by `spectrum` (3, 4097) -
    the `average_spectrum` of the training negatives -, optional band-pass `(lo, hi)` Hz (raised-cosine
    edges of BANDPASS_EDGE_HZ; None keeps all bins), irfft, crop the middle 4096, times
    `whiten_gain(alpha)` = sqrt(pi/4 * mean(window^2)) = 0.735: noise like the negatives comes out with a
    flat power spectral density of 1 (unit variance without band-pass; a band-pass removes power, it does
    not rescale the band). `spectrum` is a buffer, so checkpoints carry the training spectrum;
    `Whiten()` holds a placeholder of ones until load_state_dict fills it. Float32 even under autocast.
    """

    def __init__(self, spectrum=None, bandpass=None, alpha: float = TUKEY_ALPHA):
        super().__init__()
        if spectrum is None:
            spectrum = torch.ones(len(DETECTORS), N_RFFT)
        if not isinstance(spectrum, torch.Tensor):
            spectrum = torch.as_tensor(np.asarray(spectrum))
        spectrum = spectrum.detach().to("cpu", torch.float32)
        if spectrum.shape != (len(DETECTORS), N_RFFT):
            raise ValueError(f"spectrum has shape {tuple(spectrum.shape)}; expected ({len(DETECTORS)}, {N_RFFT})"
                             " from average_spectrum")
        if not (torch.isfinite(spectrum).all() and (spectrum > 0).all()):
            raise ValueError("spectrum must be finite and positive (average_spectrum of non-empty noise)")
        self.bandpass = None if bandpass is None else tuple(float(v) for v in bandpass)
        self.alpha = alpha
        self.register_buffer("spectrum", spectrum)
        mask = _bandpass_mask(self.bandpass)
        self.register_buffer("window", tukey(N_FFT, alpha), persistent=False)
        self.register_buffer("mask", mask, persistent=False)
        self.gain = whiten_gain(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, enabled=False):
            spec = _rfft(x.float(), self.window) * (self.mask / self.spectrum)
            y = torch.fft.irfft(spec, n=N_FFT, norm="ortho")[..., PAD:PAD + N_SAMPLES]
            return y * self.gain

    def extra_repr(self) -> str:
        return f"bandpass={self.bandpass}, tukey={self.alpha:g}, reflect={PAD}"


class CQT(nn.Module):
    """(B, C, 4096) whitened strain -> (B, C, image_size, image_size) CQT magnitude / CQT_NOISE_MEAN.

    nnAudio CQT1992v2 per channel, n_bins from fmin Hz at bins_per_octave, hop samples apart: (B, C,
    n_bins, 4096 // hop + 1) (frequency low to high, time), then bilinear resize to image_size x image_size
    when image_size > 0. Float32 even under autocast. Its kernels are buffers (not trainable) and in
    state_dict: cqt.cqt_kernels_real/imag (n_bins, 1, kernel width) and cqt.lenghts (n_bins,).
    """

    def __init__(self, image_size: int = 512, fmin: float = Config.cqt_fmin, n_bins: int = Config.cqt_n_bins,
                 bins_per_octave: int = Config.cqt_bins_per_octave, hop: int = Config.cqt_hop):
        super().__init__()
        from nnAudio.features import CQT1992v2

        problem = cqt_problem(fmin, n_bins, bins_per_octave, hop)
        if problem:
            raise ValueError(problem)
        self.image_size = int(image_size)
        self.band = (float(fmin), cqt_top(fmin, n_bins, bins_per_octave), int(bins_per_octave))
        self.cqt = CQT1992v2(**CQT_FIXED, fmin=fmin, n_bins=n_bins, bins_per_octave=bins_per_octave,
                             hop_length=hop, output_format="Magnitude", trainable=False, verbose=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, n = x.shape
        with torch.autocast(device_type=x.device.type, enabled=False):
            img = self.cqt(x.float().reshape(b * c, n))
            img = img.reshape(b, c, *img.shape[-2:])
            if self.image_size > 0:
                img = F.interpolate(img, size=(self.image_size, self.image_size), mode="bilinear",
                                    align_corners=False)
            return img / CQT_NOISE_MEAN

    def extra_repr(self) -> str:
        fmin, top, per_octave = self.band
        return f"image_size={self.image_size}, {fmin:g}-{top:.0f} Hz at {per_octave} bins per octave"


FRONT_ENDS = ("cqt", "wave")


class FrontEnd(nn.Module):
    """Strain batch (B, 3, 4096) x1e20 -> model input: kind "cqt" = Whiten then CQT, (B, 3, image_size,
    image_size) (image_size 0: the CQT's native n_bins x frames); kind "wave" = Whiten only, (B, 3, 4096).
    `cqt` holds CQT's keywords (fmin, n_bins, bins_per_octave, hop). No trainable parameters; state_dict
    holds whiten.spectrum (and for "cqt" the CQT kernels).

    The batch may come as a StrainBatch (common.g2net.augment: the H1/L1 swap of augment_batch and
    apply_view): each detector is whitened by its own spectrum row, then the flagged samples have their
    H1 and L1 exchanged."""

    out_channels = len(DETECTORS)

    def __init__(self, kind: str, spectrum=None, bandpass=None, image_size: int = 512, **cqt):
        super().__init__()
        if kind not in FRONT_ENDS:
            raise ValueError(f"front end {kind!r} is not one of {', '.join(FRONT_ENDS)}")
        self.kind = kind
        self.whiten = Whiten(spectrum, bandpass)
        self.cqt = CQT(image_size, **cqt) if kind == "cqt" else None

    def forward(self, x: torch.Tensor | StrainBatch) -> torch.Tensor:
        if isinstance(x, StrainBatch):
            x = swap_where(self.whiten(x.strain), x.swapped)
        else:
            x = self.whiten(x)
        return self.cqt(x) if self.cqt is not None else x

"""G2Net Gravitational Wave Detection behind the engine's competition interface (see common/competition.py).

A sample is one `.npy` of shape (3, 4096): detectors H1, L1, V1, 2 s at 2048 Hz, read x1e20 by the loader
workers. On the device the front end whitens it by the training negatives' average amplitude spectrum and
makes a CQT image (`front_end=cqt`) or keeps the whitened wave (`front_end=wave`). The spectra are cached
under `<output_dir>/cache/`, which a run can write when `data_dir` is read-only (Kaggle's /kaggle/input).
"""
from pathlib import Path

import pandas as pd

from common.data import assign_folds
from common.pack import PackedDataset, packed_rows
from common.g2net import baseline, matched_filter
from common.g2net.augment import apply_view, augment_batch as _augment, tta_views as _views
from common.g2net.config import Config
from common.g2net.data import SAMPLE_SHAPE, StrainDataset, load_strain, read_labels, read_submission_ids
from common.g2net.frontend import DETECTORS, FrontEnd, cached_spectrum, fold_spectra

MODEL_KEYS = ("model_name", "front_end", "image_size", "bandpass_low", "bandpass_high", "stem_stride",
              "global_pool", "cqt_fmin", "cqt_n_bins", "cqt_bins_per_octave", "cqt_hop")
# float16 strain x1e20 loses in-band precision after whitening (low frequencies dominate the dynamic
# range; see common.g2net.data.load_strain): packs are float32, exactly what load_strain gives
PACK_DTYPE = "float32"


def read_train(cfg):
    return assign_folds(read_labels(cfg.data_dir), cfg.n_folds, cfg.seed)


def read_test(cfg):
    return read_submission_ids(cfg.data_dir)


def load_sample(cfg, path):
    return load_strain(path, cfg.nan_policy)


def make_dataset(cfg, df, train: bool):
    """Strain of df, from the pack when there is one, else the files; the workers only read (augmentations
    run on the device)."""
    targets = df["target"] if "target" in df else None
    packed = packed_rows(cfg, df)
    return PackedDataset(packed, targets) if packed is not None else StrainDataset(df["path"], targets, cfg.nan_policy)


def spectrum_cache(cfg) -> Path:
    return Path(cfg.output_dir) / "cache"


def training_spectrum(cfg):
    """The average amplitude spectrum of all training negatives in cfg.data_dir, as the top teams whitened
    (the classical baseline's; a training run's folds use fit_front_ends')."""
    negatives = read_labels(cfg.data_dir).query("target == 0")
    return cached_spectrum(spectrum_cache(cfg), negatives["id"], negatives["path"], num_workers=cfg.num_workers,
                           nan_policy=cfg.nan_policy)


def fit_front_ends(cfg, df):
    """{fold: the average amplitude spectrum of the negatives of df outside that fold}: one pass over the
    negatives, keeping a sum per fold (cached)."""
    negatives = df[df["target"] == 0]
    return fold_spectra(spectrum_cache(cfg), negatives["id"], negatives["path"], negatives["fold"],
                        num_workers=cfg.num_workers, nan_policy=cfg.nan_policy)


def make_front_end(cfg, fit: bool = False, fitted=None) -> FrontEnd:
    """Whitening (+ CQT) by the spectrum `fitted` (a fold's entry of fit_front_ends), else with fit by all
    training negatives' spectrum; unfitted it waits for a checkpoint's spectrum."""
    spectrum = fitted if fitted is not None else training_spectrum(cfg) if fit else None
    bandpass = (cfg.bandpass_low, cfg.bandpass_high) if cfg.bandpass_high else None
    return FrontEnd(cfg.front_end, spectrum, bandpass, cfg.image_size, fmin=cfg.cqt_fmin, n_bins=cfg.cqt_n_bins,
                    bins_per_octave=cfg.cqt_bins_per_octave, hop=cfg.cqt_hop)


def in_channels(cfg) -> int:
    return len(DETECTORS)


def augment_batch(cfg, x, y, epoch: int):
    return _augment(x, y, cfg.swap_ligo, cfg.flip_sign, cfg.time_shift, cfg.max_shift)


def tta_views(cfg, n: int):
    return _views(n, cfg.front_end)


def classical_scores(cfg, df):
    """The plain classical baseline's score of each sample of df: whitened excess power."""
    return baseline.classical_scores(df["path"], training_spectrum(cfg), cfg.batch_size, cfg.num_workers,
                                     cfg.nan_policy)


def classical_features(cfg, df) -> pd.DataFrame:
    """The matched filter's network SNR (the loudest of its template bank, common.g2net.matched_filter; the
    PSD is the training negatives' average periodogram, which real data need) and the excess-power score of
    each sample of df."""
    negatives = read_labels(cfg.data_dir).query("target == 0")
    psd = matched_filter.average_psd(negatives["path"], cfg.batch_size, cfg.num_workers, cfg.nan_policy)
    mf = matched_filter.MatchedFilter(psd=psd)
    snr = matched_filter.matched_filter_scores(df["path"], mf, num_workers=cfg.num_workers, nan_policy=cfg.nan_policy)
    return pd.DataFrame({"matched_filter": snr, "excess_power": classical_scores(cfg, df)})


def classical_settings(cfg) -> dict:
    return dict(bank_mchirp=matched_filter.BANK_MCHIRP, bank_q=matched_filter.BANK_Q, bank_spin=matched_filter.BANK_SPIN,
                psd="negatives", band=baseline.BAND, window=baseline.WINDOW, nan_policy=cfg.nan_policy)


__all__ = ["Config", "MODEL_KEYS", "SAMPLE_SHAPE", "PACK_DTYPE", "load_sample", "read_train", "read_test", "make_dataset",
           "fit_front_ends", "make_front_end",
           "in_channels", "augment_batch", "tta_views", "apply_view", "classical_scores", "classical_features",
           "classical_settings"]

"""G2Net Gravitational Wave Detection behind the engine's competition interface (see common/competition.py).

A sample is one `.npy` of shape (3, 4096): detectors H1, L1, V1, 2 s at 2048 Hz, read x1e20 by the loader
workers. On the device the front end whitens it by the training negatives' average amplitude spectrum and
makes a CQT image (`front_end=cqt`) or keeps the whitened wave (`front_end=wave`).
"""
from common.data import assign_folds
from common.pack import PackedDataset, packed_rows
from common.g2net import baseline
from common.g2net.augment import apply_view, augment_batch as _augment, tta_views as _views
from common.g2net.config import Config
from common.g2net.data import SAMPLE_SHAPE, StrainDataset, load_strain, read_labels, read_submission_ids
from common.g2net.frontend import DETECTORS, FrontEnd, cached_spectrum

MODEL_KEYS = ("model_name", "front_end", "image_size", "bandpass_low", "bandpass_high", "stem_stride",
              "global_pool")
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


def training_spectrum(cfg):
    """The average amplitude spectrum of all training negatives in cfg.data_dir (cached there), as the top
    teams whitened."""
    negatives = read_labels(cfg.data_dir).query("target == 0")
    return cached_spectrum(cfg.data_dir, negatives["id"], negatives["path"], num_workers=cfg.num_workers,
                           nan_policy=cfg.nan_policy)


def make_front_end(cfg, fit: bool = False) -> FrontEnd:
    """Whitening (+ CQT) by the training spectrum; unfitted it waits for a checkpoint's spectrum."""
    spectrum = training_spectrum(cfg) if fit else None
    bandpass = (cfg.bandpass_low, cfg.bandpass_high) if cfg.bandpass_high else None
    return FrontEnd(cfg.front_end, spectrum, bandpass, cfg.image_size)


def in_channels(cfg) -> int:
    return len(DETECTORS)


def augment_batch(cfg, x, y, epoch: int):
    return _augment(x, y, cfg.swap_ligo, cfg.flip_sign, cfg.time_shift, cfg.max_shift)


def tta_views(cfg, n: int):
    return _views(n)


def classical_scores(cfg, df):
    """The plain classical baseline's score of each sample of df: whitened excess power."""
    return baseline.classical_scores(df["path"], training_spectrum(cfg), cfg.batch_size, cfg.num_workers,
                                     cfg.nan_policy)


__all__ = ["Config", "MODEL_KEYS", "SAMPLE_SHAPE", "PACK_DTYPE", "load_sample", "read_train", "read_test", "make_dataset", "make_front_end",
           "in_channels", "augment_batch", "tta_views", "apply_view", "classical_scores"]

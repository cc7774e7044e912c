"""SETI Breakthrough Listen behind the engine's competition interface (see common/competition.py)."""
import pandas as pd

from common.pack import packed_rows
from common.seti.cadence import CADENCE_SHAPE as SAMPLE_SHAPE, OFF_SCANS, ON_SCANS
from common.seti import baseline
from common.seti.augment import augment_cadences, build_image_transform, mix_batch
from common.seti.config import Config
from common.seti.dedoppler import MAX_DRIFT, PEAK_FEATURES
from common.seti.data import CadenceDataset, CadenceToImage, load_cadence, read_test as _read_test, read_train as _read_train
from common.seti.data import in_channels as _layout_channels
from common.seti.tta import apply_view, trained_views, tta_views as _views

MODEL_KEYS = ("model_name", "layout", "image_size", "interpolation", "median_subtract", "dedoppler_channels",
              "cadence_dedoppler", "dedoppler_pool", "dedoppler_peaks", "stem_stride", "global_pool")
PACK_DTYPE = "float16"  # the Kaggle files are float16: packing is lossless


def read_train(cfg):
    return _read_train(cfg.data_dir, cfg.n_folds, cfg.seed)


def read_test(cfg):
    return _read_test(cfg.data_dir)


def load_sample(cfg, path):
    return load_cadence(path, cfg.nan_policy)


def make_dataset(cfg, df, train: bool) -> CadenceDataset:
    """Cadences of df (from the pack when there is one); with the albumentations steps when train."""
    return CadenceDataset(df["path"], df["target"] if "target" in df else None,
                          image_transform=build_image_transform(cfg) if train else None,
                          nan_policy=cfg.nan_policy, packed=packed_rows(cfg, df))


def fit_front_ends(cfg, df) -> dict:
    """Nothing to fit: the layout, the dedoppler and the resize are fixed."""
    return {}


def make_front_end(cfg, fit: bool = False, fitted=None) -> CadenceToImage:
    """The cadence as the model's image (nothing fitted, see fit_front_ends)."""
    return CadenceToImage(cfg.layout, cfg.image_size, cfg.interpolation, cfg.median_subtract, cfg.dedoppler_channels,
                          cfg.cadence_dedoppler, cfg.dedoppler_pool, cfg.dedoppler_peaks)


def in_channels(cfg) -> int:
    return _layout_channels(cfg.layout, cfg.dedoppler_channels, cfg.cadence_dedoppler)


def augment_batch(cfg, x, y, epoch: int):
    """The cadence augmentations per sample, then mixup / CutMix, on x's device."""
    x, y = augment_cadences(cfg, x, y)
    return mix_batch(x, y, cfg, epoch)


def tta_views(cfg, n: int):
    """n = 0: the views consistent with cfg's training augmentations (see common.seti.tta); else the first n."""
    return trained_views(cfg) if n == 0 else _views(n)


def classical_scores(cfg, df):
    """The classical baseline's score of each cadence of df: the incoherent dedoppler, ON minus OFF."""
    return baseline.classical_scores(df["path"], MAX_DRIFT, cfg.batch_size, cfg.num_workers)


# the names of peak_features' statistics, in its order
FEATURE_NAMES = (*(f"peak_on{i}" for i in ON_SCANS), *(f"peak_off{i}" for i in OFF_SCANS), "through_on", "through_off",
                 "on_off_score", "through_score")
assert len(FEATURE_NAMES) == PEAK_FEATURES


def classical_features(cfg, df) -> pd.DataFrame:
    """The dedoppler search's 10 statistics of each cadence of df (common.seti.dedoppler.peak_features)."""
    table = baseline.peak_feature_table(df["path"], MAX_DRIFT, cfg.batch_size, cfg.num_workers)
    return pd.DataFrame(table, columns=list(FEATURE_NAMES))


def classical_settings(cfg) -> dict:
    return dict(max_drift=MAX_DRIFT, statistics=FEATURE_NAMES)


__all__ = ["Config", "MODEL_KEYS", "SAMPLE_SHAPE", "PACK_DTYPE", "load_sample", "read_train", "read_test", "make_dataset", "fit_front_ends", "make_front_end",
           "in_channels",
           "augment_batch", "tta_views", "apply_view", "classical_scores", "classical_features", "classical_settings"]

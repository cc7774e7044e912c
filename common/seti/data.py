"""SETI data: the Kaggle layout, the cadence Dataset the loader workers run, and the device front end.

A cadence is one `.npy` file of shape (6, 273, 256) = (scan, time, frequency), scans in order
ABACAD: ON scans (the target) at 0, 2, 4 and OFF scans at 1, 3, 5. Workers only read cadences (and, for
training, run the albumentations steps, which need cv2); the cadence augmentations (common.seti.augment) and
the front end work on the batch on the device: [median subtraction] -> a `layout` stacking scans along time
and/or channels -> resize [-> the scans' dedoppler planes stacked and resized alike, as more channels]
[-> the cadence's ON and OFF dedoppler planes, 2 more channels] [, beside the image: the planes' peaks].
"""
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from common.data import assign_folds, attach_paths, check_data_dir, load_npy, read_csv_checked
from common.seti.cadence import CADENCE_SHAPE
from common.seti.dedoppler import PEAK_FEATURES, dedoppler, on_off_planes, peak_features

# layout -> channels, each a list of scans stacked along time (top to bottom)
LAYOUTS = {
    "stack6": [[0, 1, 2, 3, 4, 5]],  # the cadence as one tall image
    "on": [[0, 2, 4]],  # ON scans only
    "aaa_bcd": [[0, 2, 4], [1, 3, 5]],  # channel 1: ON scans, channel 2: OFF scans
    "aaabcd": [[0, 2, 4, 1, 3, 5]],  # tile order AAABCD
    "abacad": [[0], [1], [2], [3], [4], [5]],  # each scan its own channel
}

NO_DATA_HINT = ("generate synthetic data with `python -m common.seti.synth --out {d}` or unzip the Kaggle "
                "seti-breakthrough-listen download into {d}/")


def in_channels(layout: str, dedoppler_channels: bool = False, cadence_dedoppler: bool = False) -> int:
    return len(LAYOUTS[layout]) * (2 if dedoppler_channels else 1) + (2 if cadence_dedoppler else 0)


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


class CadenceToImage(nn.Module):
    """The SETI front end, on the device: a cadence batch (B, 6, T, F) -> model input (B, C, S, S).

    With `dedoppler_channels`, the layout's C channels are followed by the same stacking of the scans' dedoppler
    planes (drift rate x start channel line SNR, common.seti.dedoppler), resized alike: 2C channels, the scans
    and what the classical search sees in them. With `cadence_dedoppler`, 2 last channels: each straight line
    followed through the three ON scans, and through the three OFF scans (common.seti.dedoppler.on_off_planes).
    With `dedoppler_peaks`, it returns (image, the planes' peaks: common.seti.dedoppler.peak_features), which the
    Classifier's side head reads beside the backbone.
    """

    def __init__(self, layout: str, image_size: int = 0, interpolation: str = "bicubic",
                 median_subtract: bool = False, dedoppler_channels: bool = False, cadence_dedoppler: bool = False,
                 dedoppler_pool: bool = False, dedoppler_peaks: bool = False):
        super().__init__()
        self.layout, self.image_size, self.interpolation = layout, image_size, interpolation
        self.median_subtract, self.dedoppler_channels = median_subtract, dedoppler_channels
        self.cadence_dedoppler, self.dedoppler_pool = cadence_dedoppler, dedoppler_pool
        self.side_features = PEAK_FEATURES if dedoppler_peaks else 0  # common.models.Classifier reads it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.median_subtract:
            x = subtract_median(x)
        img = resize_image(cadence_to_image(x, self.layout), self.image_size, self.interpolation)
        if not (self.dedoppler_channels or self.cadence_dedoppler or self.side_features):
            return img
        planes = dedoppler(x)  # (B, 6, drifts, F)
        through = on_off_planes(planes) if self.cadence_dedoppler or self.side_features else None
        extra = [cadence_to_image(planes, self.layout)] if self.dedoppler_channels else []
        if self.cadence_dedoppler:
            extra.append(through)
        img = torch.cat([img, *(self._like(p, img) for p in extra)], 1)
        return (img, peak_features(planes, through)) if self.side_features else img

    def _like(self, planes: torch.Tensor, img: torch.Tensor) -> torch.Tensor:
        """Planes resized to the image's size (by max pooling with `dedoppler_pool`, which keeps each line's
        peak SNR); at image_size 0 the native planes, shorter than the scans, padded below."""
        if self.dedoppler_pool and self.image_size:
            planes = F.adaptive_max_pool2d(planes, self.image_size)
        else:
            planes = resize_image(planes, self.image_size, self.interpolation)
        return F.pad(planes, (0, 0, 0, img.shape[-2] - planes.shape[-2])).to(img.dtype)


def _read_split(data_dir, split: str, csv_name: str, exact: bool) -> pd.DataFrame:
    data_dir = Path(data_dir)
    hint = NO_DATA_HINT.format(d=data_dir)
    check_data_dir(data_dir, hint)
    csv = data_dir / csv_name
    return attach_paths(read_csv_checked(csv, ("id", "target"), hint), data_dir / split, 1, csv, hint, exact)


def read_train(data_dir, n_folds: int, seed: int) -> pd.DataFrame:
    """train_labels.csv with `path` and a stratified `fold` column (reproducible for n_folds, seed)."""
    return assign_folds(_read_split(data_dir, "train", "train_labels.csv", exact=False), n_folds, seed)


def read_test(data_dir) -> pd.DataFrame:
    """sample_submission.csv with `path`; its ids and the files in test/ must match one to one."""
    return _read_split(data_dir, "test", "sample_submission.csv", exact=True)


def load_cadence(path, nan_policy: str = "warn") -> np.ndarray:
    """Load one cadence as float32 (6, 273, 256), checking shape, dtype and finiteness."""
    return load_npy(path, CADENCE_SHAPE, "scan, time, frequency", nan_policy)


class CadenceDataset(Dataset):
    """Cadence files -> (cadence (6, T, F) float32, target), what the loader workers do.

    For training, `image_transform` (albumentations on the cadence as a 6-channel HWC image, so every scan
    moves the same way) runs here; the cadence augmentations run on the batch, on the device.
    `packed` (common.pack.PackedRows over the same samples) reads rows of a pack instead of the files.
    """

    def __init__(self, paths, targets=None, image_transform=None, nan_policy: str = "warn", packed=None):
        self.paths = list(paths)
        self.targets = np.zeros(len(self.paths), np.float32) if targets is None else np.asarray(targets, np.float32)
        self.image_transform, self.nan_policy, self.packed = image_transform, nan_policy, packed

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        x = torch.from_numpy(self.packed[i] if self.packed is not None else load_cadence(self.paths[i], self.nan_policy))
        if self.image_transform is not None:
            hwc = np.ascontiguousarray(x.permute(1, 2, 0).numpy())
            x = torch.from_numpy(self.image_transform(image=hwc)["image"]).permute(2, 0, 1)
        return x.contiguous(), torch.tensor(self.targets[i], dtype=torch.float32)

"""SETI Breakthrough Listen's base config: the engine's keys plus the cadence layout, its image and its
augmentations. Every SETI experiment (exp00NN) inherits from it; `exp0001` is this config unchanged."""
from dataclasses import dataclass
from typing import ClassVar

from common.config import NON_NEGATIVE, POSITIVE, PROBABILITY
from common.config import Config as EngineConfig
from common.errors import UserError

LAYOUTS = ("stack6", "on", "aaa_bcd", "aaabcd", "abacad")
INTERPOLATIONS = ("bicubic", "bilinear", "area", "nearest")
VIEW_COUNTS = (0, 1, 2, 4, 8, 16)


@dataclass
class Config(EngineConfig):
    competition: str = "seti"
    data_dir: str = "input/seti"  # Kaggle layout: train/, test/, train_labels.csv, sample_submission.csv
    wandb_project: str = "seti"

    # input: a layout of the six scans, resized on the device
    layout: str = "stack6"  # stack6 | on | aaa_bcd | aaabcd | abacad (see common.seti.data.LAYOUTS)
    image_size: int = 0  # square side the layout image is resized to; 0 keeps the native size
    interpolation: str = "bicubic"  # bicubic | bilinear | area | nearest
    median_subtract: bool = False  # subtract each scan's median spectrum (exp0011)
    dedoppler_channels: bool = False  # add the scans' dedoppler planes (drift x channel line SNR) as channels
    cadence_dedoppler: bool = False  # add 2 channels: each straight line's SNR through the ON and the OFF scans
    dedoppler_pool: bool = False  # resize the dedoppler planes by max pooling (keeps a line's peak), not `interpolation`
    dedoppler_peaks: bool = False  # give the head the planes' peaks and the classical scores (10 features)

    # augmentation (probabilities unless stated)
    flip_freq: float = 0.0  # mirror the frequency axis
    flip_time: float = 0.0  # reverse the cadence's time (within each scan and the order of ON and of OFF scans)
    shift_scale_rotate: float = 0.0
    motion_blur: float = 0.0
    distort: float = 0.0  # optical / grid / elastic distortion
    spec_augment: float = 0.0  # XYMasking (time and frequency masks)
    noise_aug: float = 0.0  # add chi-square-like noise
    line_aug: float = 0.0  # draw a drifting line into the ON scans, target -> 1
    line_snr_min: float = 1.0  # its peak, uniform in [min, max] times the cadence's noise std (the synthetic
    line_snr_max: float = 4.0  # needles' peaks span about 0.25-2.5: line SNR 4-40 over a scan's 273 rows)
    shuffle_cons: float = 0.0  # permute ON scans among themselves and OFF among themselves
    shuffle_inv: float = 0.0  # swap ON and OFF scans, target -> 0
    mixup: float = 0.0  # probability of mixup per batch (OR label rule)
    mixup_alpha: float = 1.0
    cutmix: float = 0.0  # probability of CutMix per batch (OR label rule)
    mix_off_frac: float = 0.0  # turn mixup/cutmix off for this last fraction of epochs

    tta: int = 0  # test-time views: 0 = those consistent with the training augmentations; or the first 1, 2, 4, 8, 16

    RULES: ClassVar[dict] = EngineConfig.RULES | dict(
        layout=LAYOUTS, image_size=NON_NEGATIVE, interpolation=INTERPOLATIONS, line_snr_min=NON_NEGATIVE,
        line_snr_max=NON_NEGATIVE, mixup_alpha=POSITIVE, mix_off_frac=PROBABILITY, tta=VIEW_COUNTS,
        **dict.fromkeys(("flip_freq", "flip_time", "shift_scale_rotate", "motion_blur", "distort", "spec_augment",
                         "noise_aug", "line_aug", "shuffle_cons", "shuffle_inv", "mixup", "cutmix"), PROBABILITY),
    )

    def validate(self) -> None:
        super().validate()
        if self.line_snr_min > self.line_snr_max:
            raise UserError(f"line_snr_min={self.line_snr_min} and line_snr_max={self.line_snr_max}: "
                            "need line_snr_min <= line_snr_max")

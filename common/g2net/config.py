"""G2Net Gravitational Wave Detection's base config: the engine's keys plus the front end (whitening,
CQT image or whitened wave) and the strain augmentations. Every G2Net experiment (exp01NN) inherits from it."""
from dataclasses import dataclass
from typing import ClassVar

from common.config import NON_NEGATIVE, PROBABILITY, Range
from common.config import Config as EngineConfig
from common.errors import UserError

FRONT_ENDS = ("cqt", "wave")
VIEW_COUNTS = (1, 2, 4)


@dataclass
class Config(EngineConfig):
    competition: str = "g2net"
    data_dir: str = "input/g2net"  # Kaggle layout: train/, test/, training_labels.csv, sample_submission.csv
    wandb_project: str = "g2net"

    # input: whitened strain (by the training negatives' average spectrum), as a CQT image or a wave
    front_end: str = "cqt"  # cqt: 3-channel CQT image (one per detector) | wave: the whitened strain, for 1D models
    image_size: int = 512  # square side the CQT image is resized to (cqt only); 0 keeps 64 x 129
    bandpass_low: float = 0.0  # Hz; with bandpass_high, keep only this band after whitening (0 and 0: off)
    bandpass_high: float = 0.0

    # augmentation (probabilities per sample); all keep the label
    swap_ligo: float = 0.0  # exchange H1 and L1
    flip_sign: float = 0.0  # multiply the strain by -1
    time_shift: float = 0.0  # roll the three detectors together by up to max_shift samples
    max_shift: int = 128  # samples (at 2048 Hz); keeps a merger at 1.5-1.9 s inside the 2 s window

    tta: int = 4  # test-time views: 1 (identity), 2 (+ H1/L1 swap), 4 (+ sign flip, both)

    RULES: ClassVar[dict] = EngineConfig.RULES | dict(
        front_end=FRONT_ENDS, image_size=NON_NEGATIVE, bandpass_low=NON_NEGATIVE, bandpass_high=Range(0, 1024),
        swap_ligo=PROBABILITY, flip_sign=PROBABILITY, time_shift=PROBABILITY,
        max_shift=Range(0, 4095),  # a shift must be shorter than the 4096 samples of the 2 s window
        tta=VIEW_COUNTS,
    )

    def validate(self) -> None:
        super().validate()
        if (self.bandpass_low or self.bandpass_high) and not self.bandpass_low < self.bandpass_high:
            raise UserError(f"band-pass {self.bandpass_low}-{self.bandpass_high} Hz: need bandpass_low < "
                            "bandpass_high <= 1024 (the Nyquist frequency)")

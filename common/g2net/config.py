"""G2Net Gravitational Wave Detection's base config: the engine's keys plus the front end (whitening,
CQT image or whitened wave) and the strain augmentations. Every G2Net experiment (exp01NN) inherits from it."""
import math
from dataclasses import dataclass
from typing import ClassVar

from common.config import COUNT, NON_NEGATIVE, POSITIVE, PROBABILITY, Range
from common.config import Config as EngineConfig
from common.errors import UserError

FRONT_ENDS = ("cqt", "wave")
# test-time views per front end (common.g2net.augment): the CQT magnitude of -x is that of x, so the
# sign-flip views are the wave's only
VIEW_COUNTS = {"cqt": (1, 2), "wave": (1, 2, 4)}
SAMPLE_RATE, N_SAMPLES = 2048, 4096


def cqt_top(fmin: float, n_bins: int, bins_per_octave: int) -> float:
    """Centre frequency (Hz) of a CQT's highest bin."""
    return fmin * 2 ** ((n_bins - 1) / bins_per_octave)


def cqt_problem(fmin: float, n_bins: int, bins_per_octave: int, hop: int) -> str | None:
    """What makes these CQT settings unusable on a 2 s window at 2048 Hz, in words; None when they are fine."""
    band = f"{n_bins} bins from {fmin:g} Hz at {bins_per_octave} per octave"
    if cqt_top(fmin, n_bins, bins_per_octave) >= SAMPLE_RATE / 2:
        return f"{band} reach {cqt_top(fmin, n_bins, bins_per_octave):.0f} Hz, above the Nyquist frequency 1024 Hz"
    kernel = (1 / (2 ** (1 / bins_per_octave) - 1)) * SAMPLE_RATE / fmin  # nnAudio's longest kernel, samples
    if 2 ** math.ceil(math.log2(kernel)) > N_SAMPLES:
        return (f"{band}: the lowest bin's kernel ({kernel:.0f} samples, padded to a power of 2) is longer than "
                f"the {N_SAMPLES}-sample window; raise cqt_fmin or lower cqt_bins_per_octave")
    if hop >= N_SAMPLES:
        return f"cqt_hop={hop} leaves one frame of the {N_SAMPLES}-sample window"
    return None


@dataclass
class Config(EngineConfig):
    competition: str = "g2net"
    data_dir: str = "input/g2net"  # Kaggle layout: train/, test/, training_labels.csv, sample_submission.csv
    wandb_project: str = "g2net"

    # input: whitened strain (by the training negatives' average spectrum), as a CQT image or a wave
    front_end: str = "cqt"  # cqt: 3-channel CQT image (one per detector) | wave: the whitened strain, for 1D models
    image_size: int = 512  # square side the CQT image is resized to (cqt only); 0 keeps cqt_n_bins x frames
    # the CQT (nnAudio CQT1992v2): 64 bins from 22 Hz at 21 per octave = 22-176 Hz (seed 000's README), hop 32 =
    # 129 frames. Against 12 per octave (22-880 Hz, seed 000's yml, which keeps the merger of the lighter
    # binaries): exp0101, resnet18 at 64 px, 3 epochs, fold 0 of 4 on 1,200 synthetic samples (seed 5): valid
    # AUC 0.7549 at 21, 0.7503 at 12, difference +0.005 with paired 95% bootstrap interval -0.050 to +0.056 -
    # no measurable difference on that budget; 21 stays
    cqt_fmin: float = 22.0  # Hz, the lowest bin's centre
    cqt_n_bins: int = 64
    cqt_bins_per_octave: int = 21
    cqt_hop: int = 32  # samples between frames
    bandpass_low: float = 0.0  # Hz; with bandpass_high, keep only this band after whitening (0 and 0: off)
    bandpass_high: float = 0.0

    # augmentation (probabilities per sample); all keep the label
    swap_ligo: float = 0.0  # exchange H1 and L1
    flip_sign: float = 0.0  # multiply the strain by -1
    time_shift: float = 0.0  # roll the three detectors together by up to max_shift samples
    max_shift: int = 128  # samples (at 2048 Hz); keeps a merger at 1.5-1.9 s inside the 2 s window
    # Two views by default: on exp0101 (trained without the swap; the 21-per-octave run of the cqt_* keys) the
    # swap view raised fold 0's valid AUC from 0.7549 to 0.7725 (+0.018, paired 95% bootstrap interval -0.011 to +0.046; at 12 per
    # octave +0.014, interval -0.011 to +0.036)
    tta: int = 2  # test-time views: 1 (identity), 2 (+ H1/L1 swap); the wave also 4 (+ sign flip, both)

    RULES: ClassVar[dict] = EngineConfig.RULES | dict(
        front_end=FRONT_ENDS, image_size=NON_NEGATIVE, bandpass_low=NON_NEGATIVE, bandpass_high=Range(0, 1024),
        swap_ligo=PROBABILITY, flip_sign=PROBABILITY, time_shift=PROBABILITY,
        max_shift=Range(0, 4095),  # a shift must be shorter than the 4096 samples of the 2 s window
        tta=VIEW_COUNTS["wave"], cqt_fmin=POSITIVE, cqt_n_bins=COUNT, cqt_bins_per_octave=COUNT, cqt_hop=COUNT,
    )

    def validate(self) -> None:
        super().validate()
        if (self.bandpass_low or self.bandpass_high) and not self.bandpass_low < self.bandpass_high:
            raise UserError(f"band-pass {self.bandpass_low}-{self.bandpass_high} Hz: need bandpass_low < "
                            "bandpass_high <= 1024 (the Nyquist frequency)")
        if self.tta not in VIEW_COUNTS[self.front_end]:
            raise UserError(f"tta={self.tta} is not one of {', '.join(map(str, VIEW_COUNTS[self.front_end]))} for "
                            f"front_end={self.front_end} (a CQT image has no sign-flip views: |CQT(-x)| = |CQT(x)|)")
        problem = cqt_problem(self.cqt_fmin, self.cqt_n_bins, self.cqt_bins_per_octave, self.cqt_hop)
        if self.front_end == "cqt" and problem:
            raise UserError(problem)

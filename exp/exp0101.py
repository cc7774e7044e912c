"""exp0101 = G2Net baseline: whitened CQT image of the three detectors, EfficientNet-B0, BCE, AdamW.

Seed 000's pipeline at its simplest: the strain whitened by the training negatives' average spectrum,
nnAudio's CQT (hop 32, fmin 22 Hz, 64 bins, 21 per octave: the cqt_* keys) per detector as three image
channels resized to 512 x 512, stratified folds; no augmentation yet (the H1/L1 swap is exp0102's). Test-time
views: the sample and its H1/L1 swap (the config's tta=2, measured there).
"""
from dataclasses import dataclass

from common.g2net.config import Config as Base


@dataclass
class Config(Base):
    pass

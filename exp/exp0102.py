"""exp0102 = exp0101 + H1/L1 swap (training augmentation and test-time views)

Seed 000's one augmentation: half of the training samples have their two LIGO detectors exchanged
(similar noise, nearly opposite orientation: the swapped sample looks like a wave from another sky
position), and the test-time views are the sample and its swap. Sign flips are no views for a CQT
image: its magnitude is the same for x and -x.
"""
from dataclasses import dataclass

from exp.exp0101 import Config as Parent


@dataclass
class Config(Parent):
    swap_ligo: float = 0.5
    tta: int = 2

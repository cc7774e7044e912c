"""exp0002 = exp0001 + flip

The cadence's time reversed (their HorizontalFlip of a time-along-width image), made physically consistent:
time reversed within each scan and the order of the ON scans and of the OFF scans reversed
(common.seti.augment.reverse_time), so a drifting needle stays one straight ON-only track.
"""
from dataclasses import dataclass

from exp.exp0001 import Config as Parent


@dataclass
class Config(Parent):
    flip_time: float = 0.5

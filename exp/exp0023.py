"""exp0023 = exp0007 + vertical flip, mixup off for the last 20% of epochs

Their vertical flip mirrors the frequency axis; it replaces exp0002's time flip.
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    flip_freq: float = 0.5
    flip_time: float = 0.0
    mix_off_frac: float = 0.2

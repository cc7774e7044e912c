"""exp0018 = exp0012 + noise aug

Chi-square-like noise added to the cadence.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    noise_aug: float = 0.5

"""exp0022 = exp0012 + mixup off for the last 20% of epochs"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    mix_off_frac: float = 0.2

"""exp0003 = exp0002 + mixup (or target)

Every batch, label of a mix = y1 OR y2.
"""
from dataclasses import dataclass

from exp.exp0002 import Config as Parent


@dataclass
class Config(Parent):
    mixup: float = 1.0

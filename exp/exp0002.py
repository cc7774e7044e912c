"""exp0002 = exp0001 + flip

Time reversed within each scan (their HorizontalFlip of a time-along-width image).
"""
from dataclasses import dataclass

from exp.exp0001 import Config as Parent


@dataclass
class Config(Parent):
    flip_time: float = 0.5

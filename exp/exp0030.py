"""exp0030 = exp0029 + dedoppler planes resized by max pooling

The bicubic resize to 128 px averages a line's one-pixel peak in the planes with its neighbours; max pooling
keeps it (`dedoppler_pool`). Measured in README "SETI: the CPU recipe".
"""
from dataclasses import dataclass

from exp.exp0029 import Config as Parent


@dataclass
class Config(Parent):
    dedoppler_pool: bool = True

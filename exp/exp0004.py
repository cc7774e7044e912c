"""exp0004 = exp0003 + distort augs

One of optical/grid/elastic distortion, plus shift-scale-rotate and motion blur.
"""
from dataclasses import dataclass

from exp.exp0003 import Config as Parent


@dataclass
class Config(Parent):
    distort: float = 0.5
    shift_scale_rotate: float = 0.5
    motion_blur: float = 0.2

"""exp0011 = exp0007 + (image - median image)

Each scan's median spectrum is subtracted.
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    median_subtract: bool = True

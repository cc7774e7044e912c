"""exp0020 = exp0012 + SWA

Weights averaged over the last 25% of epochs (swa_start=0.75).
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    swa: bool = True

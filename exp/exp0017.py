"""exp0017 = exp0012 + line aug

A drifting line drawn into the ON scans makes the target 1; with the class-balanced sampler
p=0.25 turns about 60% of the samples positive.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    line_aug: float = 0.25

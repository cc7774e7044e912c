"""exp0017 = exp0012 + line aug

A drifting line drawn into the ON scans makes the target 1; at p=0.25 and 10% needles about
a third of the samples are positive.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    line_aug: float = 0.25

"""exp0024 = exp0012 + EMA

An exponential moving average of the weights is evaluated and saved.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    ema: bool = True

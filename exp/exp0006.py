"""exp0006 = exp0005 + tile order AAABCD"""
from dataclasses import dataclass

from exp.exp0005 import Config as Parent


@dataclass
class Config(Parent):
    layout: str = "aaabcd"

"""exp0008 = exp0007 + tile order AAABCD"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    layout: str = "aaabcd"

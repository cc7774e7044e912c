"""exp0015 = exp0007 + input [a,b,a,c,a,d]

Six channels, one scan each.
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    layout: str = "abacad"

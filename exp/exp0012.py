"""exp0012 = exp0007 + input [aaa,bcd]

Two channels: the ON scans stacked, the OFF scans stacked.
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    layout: str = "aaa_bcd"

"""exp0027 = exp0025 + dedoppler channels: the scans' drift x channel line-SNR planes beside the scans

The classical search's incoherent dedoppler (common.seti.dedoppler) as a fixed front-end layer: the ON and
the OFF scans' planes join the [aaa,bcd] image as channels 3 and 4, so a faint straight line summed over
its 273 rows is one bright pixel to the network, and the network still sees the scans for what the
straight-line search misses (curved paths, RFI shapes). Costs about 1.5 s per 32 cadences on one core.
"""
from dataclasses import dataclass

from exp.exp0025 import Config as Parent


@dataclass
class Config(Parent):
    dedoppler_channels: bool = True

"""exp0026 = exp0025 + drawn lines as faint as the data's needles (peaks 0.25-2.5 noise sigmas, was 1-4)

exp0025 loses to the dedoppler on the faintest needles (SNR 4-6, bench/sensitivity.py); its drawn lines were
all brighter than those (line SNR about 16-66 over a scan). Drawing them from the data's own range teaches
the network the needles it misses.
"""
from dataclasses import dataclass

from exp.exp0025 import Config as Parent


@dataclass
class Config(Parent):
    line_snr_min: float = 0.25
    line_snr_max: float = 2.5

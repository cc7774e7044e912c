"""exp0026 = exp0025 + drawn lines as faint as the data's needles (peaks 0.25-2.5 noise sigmas, was 1-4)

exp0025 loses to the dedoppler on the faintest needles (SNR 4-6, bench/sensitivity.py); its drawn lines were
all brighter than those (line SNR about 16-66 over a scan). The idea: lines from the data's own range teach
the network the needles it misses. Measured (docs/seti_cpu_recipe.md): it did not help; fold 0 alone
scored 0.966 on the test cadences against exp0025's 0.977.
"""
from dataclasses import dataclass

from exp.exp0025 import Config as Parent


@dataclass
class Config(Parent):
    line_snr_min: float = 0.25
    line_snr_max: float = 2.5

"""exp0031 = exp0030 + drawn lines as faint as the data's needles (exp0026's peaks, 0.25-2.5 noise sigmas)

exp0026 tried this without the dedoppler planes and lost: at 128 px a faint drawn line cannot be seen in the
resized scans, so it taught little but label noise. In the planes it is a peak of line SNR 4-40 (7-70 through
the three ON scans), kept by the max-pooled resize, which is what the network needs to learn the faint
needles the classical search finds and it misses. Measured on fold 0: validation 0.971, test 0.970 (one
view) against exp0030's 0.971 and 0.973, and the faintest needles (SNR 4-6) did not gain (docs/seti_cpu_recipe.md).
"""
from dataclasses import dataclass

from exp.exp0030 import Config as Parent


@dataclass
class Config(Parent):
    line_snr_min: float = 0.25
    line_snr_max: float = 2.5

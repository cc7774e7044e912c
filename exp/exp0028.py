"""exp0028 = exp0027 + cadence dedoppler: each straight line followed through the three ON and the three OFF scans

Measured in docs/seti_cpu_recipe.md. A needle's path continues from scan to scan, so the line that
starts at channel f of scan 0 with drift d per scan starts at f + 2d in scan 2 and f + 4d in scan 4: summed
through the three ON scans its SNR is sqrt(3) times one scan's, which the per-scan planes (and the classical
search, which takes each scan's peak on its own) cannot add up. Two more channels: that sum through the ON
scans and through the OFF scans (common.seti.dedoppler.follow_through). Measured on folds 0 and 1: no gain
(validation 0.968 and 0.966 against exp0027's 0.975 and 0.964; on the 1,000 test cadences, one view, 0.978
and 0.962 against 0.981 and 0.960), although the same sum as a classical score finds the straight needles
at AUC 0.996 (docs/seti_cpu_recipe.md).
"""
from dataclasses import dataclass

from exp.exp0027 import Config as Parent


@dataclass
class Config(Parent):
    cadence_dedoppler: bool = True

"""exp0027 = exp0025 + dedoppler channels: the scans' drift x channel line-SNR planes beside the scans

Measured in docs/seti_cpu_recipe.md. The classical search's incoherent dedoppler
(common.seti.dedoppler) as a fixed front-end layer: the ON and the OFF scans' planes join the [aaa,bcd]
image as channels 3 and 4, so a faint straight line summed over its 273 rows is one bright pixel to the
network, which still sees the scans for what the straight-line search misses (curved paths, RFI shapes).
Measured on the default distribution (4 folds of 2,000 cadences): validation AUC per fold 0.975, 0.964,
0.908, 0.946 against exp0025's 0.972, 0.940, 0.874, 0.918, but on 1,000 held-out test cadences the 4-fold
ensemble scores 0.975 against exp0025's 0.977 and the dedoppler's 0.981 (all within the noise of 100
needles), so exp0025 stays the recipe; a training step costs about 1.5x exp0025's.
"""
from dataclasses import dataclass

from exp.exp0025 import Config as Parent


@dataclass
class Config(Parent):
    dedoppler_channels: bool = True

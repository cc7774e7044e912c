"""exp0115 = exp0114 + sign flip and time shift, 4 test-time views

The winners' other strain augmentations: x -> -x for half of the samples (a polarisation change; unlike
the CQT magnitude the wave sees it), and a shift of all three detectors together by up to 100 samples
(49 ms: a merger at 1.5-1.9 s stays in the window) for half of them. Test-time views: the sample, its
H1/L1 swap, its sign flip and both (the 3rd place reported +2 bp from the sign-flip views).
"""
from dataclasses import dataclass

from exp.exp0114 import Config as Parent


@dataclass
class Config(Parent):
    flip_sign: float = 0.5
    time_shift: float = 0.5
    max_shift: int = 100
    tta: int = 4

"""exp0114 = exp0102 + 1D CNN on the whitened wave

What the top three teams' best single models were: a 1D CNN on the whitened strain, no CQT. The 3rd
place's design (common/g2net/nets.py): per detector two Conv1d(k=127) then GeM, H1 and L1 through
the same weights, V1 its own; residual blocks with kernels 31, 15, 7 and GeM downsampling; a small head
with dropout; stochastic depth. Width 32 (g2net_cnn1d; g2net_cnn1d_s and _t are 16 and 8). The H1/L1
swap stays (training and 2 views); the optimizer is still AdamW.
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "g2net_cnn1d"
    front_end: str = "wave"
    drop_rate: float = 0.25
    drop_path_rate: float = 0.1

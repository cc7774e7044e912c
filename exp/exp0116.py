"""exp0116 = exp0115 + SGD with Nesterov momentum

The 1st place trained its 1D CNNs with SGD, Nesterov momentum 0.9 (timm's `sgd`) at lr 0.1. Here lr 0.02
for batches of 32 (a smaller batch, a smaller step; not tuned beyond a tiny CPU run), with the engine's
warm-up and cosine decay. Weight decay 5e-4: SGD's is L2 added to the gradient, and AdamW's 1e-2 would be
far too strong there.
"""
from dataclasses import dataclass

from exp.exp0115 import Config as Parent


@dataclass
class Config(Parent):
    optimizer: str = "sgd"
    lr: float = 0.02
    weight_decay: float = 5e-4

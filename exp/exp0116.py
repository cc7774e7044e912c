"""exp0116 = exp0115 + SGD with Nesterov momentum

The 1st place trained its 1D CNNs with SGD, Nesterov momentum 0.9 (timm's `sgd`) at lr 0.1; the same lr
here, with the engine's warm-up and cosine decay. On a tiny CPU run (g2net_cnn1d_t, 750 synthetic
samples, batch 32, fold 0) lr 0.02 had reached only AUC 0.59 after 4 epochs, lr 0.1 reached 0.80 within 8.
Weight decay 5e-4: SGD's is L2 added to the gradient, and AdamW's 1e-2 would be far too strong there.
"""
from dataclasses import dataclass

from exp.exp0115 import Config as Parent


@dataclass
class Config(Parent):
    optimizer: str = "sgd"
    lr: float = 0.1
    weight_decay: float = 5e-4

"""exp0014 = exp0007 + ROC-AUC loss

Pairwise squared-hinge surrogate of ROC-AUC.
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    loss: str = "roc_auc"

"""exp0013 = exp0007 + LibAUC loss

LibAUC's AUC-margin loss (AUCMLoss).
"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    loss: str = "libauc"

"""exp0106 = exp0102 + EfficientNet-B7

Seed 000's models on the 512 x 512 CQT image: timm's tf_efficientnet_b7 (66M parameters; seed 000's whitened-data baseline notebooks).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "tf_efficientnet_b7"

"""exp0103 = exp0102 + EfficientNet-B3

Seed 000's models on the 512 x 512 CQT image: timm's tf_efficientnet_b3 (12M parameters, 1.8 GMAC at 300 px).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "tf_efficientnet_b3"

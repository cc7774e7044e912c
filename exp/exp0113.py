"""exp0113 = exp0102 + ResNet152

Seed 004's ResNets on the CQT image: timm's resnet152, bottlenecks (3, 8, 36, 3).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "resnet152"

"""exp0112 = exp0102 + ResNet101

Seed 004's ResNets on the CQT image: timm's resnet101, bottlenecks (3, 4, 23, 3).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "resnet101"

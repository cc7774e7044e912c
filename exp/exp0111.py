"""exp0111 = exp0102 + ResNet50

Seed 004's ResNets on the CQT image: timm's resnet50, bottlenecks (3, 4, 6, 3).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "resnet50"

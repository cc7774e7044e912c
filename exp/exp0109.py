"""exp0109 = exp0102 + ResNet18

Seed 004's ResNets on the CQT image: timm's resnet18, basic blocks (2, 2, 2, 2).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "resnet18"

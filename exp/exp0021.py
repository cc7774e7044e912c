"""exp0021 = exp0012 + SE-ResNet18 with stride 1

The first convolution keeps full resolution.
"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "seresnet18"
    stem_stride: int = 1

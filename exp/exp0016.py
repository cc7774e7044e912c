"""exp0016 = exp0012 + EfficientNet-B3"""
from dataclasses import dataclass

from exp.exp0012 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "tf_efficientnet_b3"

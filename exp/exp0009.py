"""exp0009 = exp0007 + EfficientNet-B3"""
from dataclasses import dataclass

from exp.exp0007 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "tf_efficientnet_b3"

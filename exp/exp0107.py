"""exp0107 = exp0102 + InceptionV3

Seed 000's other family: timm's inception_v3 on the 512 x 512 three-detector CQT image (any size from
75 px up; global average pooling before its one-logit fc).
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "inception_v3"

"""exp0108 = exp0102 + ResNet16

Seed 004's smallest ResNet on the CQT image: basic blocks, layers (1, 2, 2, 2) - 16 weighted layers
(1 stem conv + 7 blocks x 2 convs + 1 fc), registered with timm by common.nets. Seed 004 used no
augmentation; its ResNets derive from exp0102 all the same, so that they differ from the EfficientNets
(exp0103-exp0106) in the network only.
"""
from dataclasses import dataclass

from exp.exp0102 import Config as Parent


@dataclass
class Config(Parent):
    model_name: str = "resnet16"

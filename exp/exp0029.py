"""exp0029 = exp0028 + avg and max pooling concatenated before the head (timm catavgmax)

A needle is a few bright pixels of the dedoppler planes anywhere in the image: average pooling over the last
feature map dilutes them with the empty rest, max pooling keeps the strongest response (`global_pool`).
Not measured on its own: its fold 0 run was stopped after two epochs to free a core for exp0031, and its
change was measured within exp0030 (docs/seti_cpu_recipe.md).
"""
from dataclasses import dataclass

from exp.exp0028 import Config as Parent


@dataclass
class Config(Parent):
    global_pool: str = "catavgmax"

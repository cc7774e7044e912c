"""exp0030 = exp0029 + dedoppler planes resized by max pooling

The bicubic resize to 128 px averages a line's one-pixel peak in the planes with its neighbours; max pooling
keeps it (`dedoppler_pool`). With exp0029's pooling, measured on fold 0: validation 0.971, test 0.973
(one view) against exp0028's 0.968 and 0.978: no gain (docs/seti_cpu_recipe.md).
"""
from dataclasses import dataclass

from exp.exp0029 import Config as Parent


@dataclass
class Config(Parent):
    dedoppler_pool: bool = True
